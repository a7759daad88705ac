;; lesson: A WASI command prints by handing fd_write a list of (pointer, length) buffers in its own memory.
;; Try:  wasmscope run samples/hello.wat
;; Then open it in the inspector: the only import is wasi_snapshot_preview1.fd_write,
;; so the capability summary shows "stdio" and nothing else. Returning from _start
;; (instead of calling proc_exit) ends the run with exit code 0.
(module $hello
  ;; fd_write(fd, iovs, iovs_len, nwritten_ptr) -> errno
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 one iovec {buf: i32, len: i32}   8..12 bytes written
  ;;              16.. the message
  (data (i32.const 16) "Hello from the sandbox!\n")   ;; 24 bytes

  (func $_start (export "_start")
    ;; iovec: the message starts at 16 and is 24 bytes long
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 24))
    ;; fd 1 is stdout; one iovec at address 0; the host stores the count at 8
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
