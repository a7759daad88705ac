;; lesson: Unbounded recursion hits the sandbox's stack limit and traps cleanly instead of crashing the host.
;; Try:  wasmscope run samples/stack_overflow.wat
;;       wasmscope run --max-stack 64KiB samples/stack_overflow.wat   (traps sooner)
;; $recurse calls itself with n + 1 and adds to the result afterwards, so no call
;; is in tail position and every frame stays on the stack. The trap reads
;; "call stack exhausted"; the backtrace is thousands of $recurse frames deep.
(module $stack_overflow
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   16.. text
  (data (i32.const 16) "recursing without a base case...\n")   ;; 33 bytes

  ;; depth(n) = 1 + depth(n + 1): never stops
  (func $recurse (param $n i32) (result i32)
    (i32.add
      (call $recurse (i32.add (local.get $n) (i32.const 1)))
      (i32.const 1)))

  (func $_start (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 33))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $recurse (i32.const 0))))
)
