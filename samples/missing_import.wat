;; lesson: wasmscope lists every import the sandbox cannot satisfy before running, where wasmtime stops at the first.
;; Try:  wasmscope inspect samples/missing_import.wat
;;       wasmscope run samples/missing_import.wat     (refused, with all three problems listed)
;; Three imports cannot be provided:
;;   env.host_magic   a function from a module other than WASI (no such host here)
;;   env.shared_mem   a memory the host would have to hand in
;;   wasi_snapshot_preview1.fd_write declared as (i32) -> (), but WASI's is
;;                    (i32, i32, i32, i32) -> i32: the right name is not enough
;; proc_exit is declared correctly and resolves fine. wasmtime alone would report
;; only env.host_magic, fix one, rerun, and find the next.
(module $missing_import
  (import "env" "host_magic" (func $host_magic (param i32) (result i32)))
  (import "env" "shared_mem" (memory $shared 1))
  ;; wrong on purpose: the real fd_write is (param i32 i32 i32 i32) (result i32)
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write_wrong (param i32)))
  ;; right: this one would link
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))

  ;; the imported memory is re-exported as the guest's memory
  (export "memory" (memory $shared))

  (func $_start (export "_start")
    (call $fd_write_wrong (i32.const 1))
    (call $proc_exit (call $host_magic (i32.const 7))))
)
