;; lesson: proc_exit(code) ends the guest at once and its exit code flows through to wasmscope (and the shell).
;; Try:  wasmscope run samples/exit_code.wat; echo $?      (prints 42)
;; proc_exit never returns: the host unwinds the guest. That is not a trap, it is
;; a normal way to finish, so the run is reported as "exited with code 42".
;; Returning from _start instead means exit code 0.
(module $exit_code
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  (func $_start (export "_start")
    (call $proc_exit (i32.const 42))
    ;; never reached
    unreachable)
)
