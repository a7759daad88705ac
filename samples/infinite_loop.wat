;; lesson: The timeout (an epoch deadline) stops a guest that burns CPU forever without ever calling the host.
;; Try:  wasmscope run --timeout 2s samples/infinite_loop.wat
;;       wasmscope run --fuel 1000000 samples/infinite_loop.wat   (runs out of fuel instead)
;; The guest prints one line, then spins in `loop br 0`. It never returns, never
;; calls WASI, so only the engine can stop it: wasmtime checks the epoch at every
;; loop header and traps with "interrupt" once the deadline passes. The Stop button
;; in the GUI works the same way.
(module $infinite_loop
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   16.. text
  (data (i32.const 16) "spinning forever; only the timeout can stop me\n")   ;; 47 bytes

  (func $spin
    (loop $forever
      (br $forever)))

  (func $_start (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 47))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $spin))
)
