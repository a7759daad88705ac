;; lesson: A trap is where a bug shows, not where it happened: a replay's `--last-write` names the instruction that wrote the bad pointer, long before the crash.
;; Try:  wasmscope run --record who.wstrace samples/who_wrote_me.wat
;;         prints "guest", then traps in `print_name`, reading through the pointer at 0x100
;;       wasmscope replay who.wstrace --last-write 0x100:4
;;         names the i32.store in `set_name`, called from `greet`, and the pointer's bytes
;;         before and after it
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; The name to print: its pointer at 0x100 and length at 0x104 (an iovec for fd_write).
  (data (i32.const 0x200) "guest\n")

  (func $set_name (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0x100) (local.get $ptr))
    (i32.store (i32.const 0x104) (local.get $len)))

  ;; Reads the name's first byte, then prints it: the read traps when the pointer is bad.
  (func $print_name
    (drop (i32.load8_u (i32.load (i32.const 0x100))))
    (drop (call $fd_write (i32.const 1) (i32.const 0x100) (i32.const 1) (i32.const 0x108))))

  ;; The bug: the name's offset is scaled by 64 KiB instead of 16 bytes.
  (func $greet (param $who i32)
    (call $set_name
      (i32.add (i32.const 0x200) (i32.mul (local.get $who) (i32.const 0x10000)))
      (i32.const 6)))

  (func $_start (export "_start")
    (call $set_name (i32.const 0x200) (i32.const 6))
    (call $print_name)
    (call $greet (i32.const 1))
    (call $print_name)))
