;; lesson: Each kind of wasm trap has its own message, and the name section turns the backtrace into function names.
;; Try:  wasmscope run samples/traps.wat div0          (integer divide by zero)
;;       wasmscope run samples/traps.wat unreachable   (wasm `unreachable` instruction executed)
;;       wasmscope run samples/traps.wat oob           (out of bounds memory access)
;;       wasmscope run samples/traps.wat indirect      (indirect call type mismatch)
;;       wasmscope run samples/traps.wat overflow      (integer overflow)
;;       wasmscope run samples/traps.wat null          (uninitialized element)
;; Every trap sits in its own named function, reached as _start -> $trigger -> $<trap>,
;; so the backtrace shows real names and more than one frame. With no or an unknown
;; argument it prints a usage line to stderr and exits with code 2 (no trap).
(module $traps
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  ;; Two slots: slot 0 holds $add_i64, slot 1 is never filled (null).
  (type $i32_to_i32 (func (param i32) (result i32)))
  (table $fns 2 funcref)
  (elem (table $fns) (i32.const 0) func $add_i64)

  ;; Memory map:  0..8 iovec   8..12 bytes written   16..20 argc   20..24 argv buffer size
  ;;              64.. text   1024.. heap (argv pointers and strings)
  (data (i32.const 64)  "div0")          ;; 4
  (data (i32.const 72)  "unreachable")   ;; 11
  (data (i32.const 88)  "oob")           ;; 3
  (data (i32.const 96)  "indirect")      ;; 8
  (data (i32.const 112) "overflow")      ;; 8
  (data (i32.const 128) "null")          ;; 4
  (data (i32.const 160) "usage: traps div0|unreachable|oob|indirect|overflow|null\n")   ;; 57

  (global $heap (mut i32) (i32.const 1024))

  ;; ---- the traps ---------------------------------------------------------

  ;; 42 / 0 with signed division: "integer divide by zero"
  (func $divide_by_zero (param $divisor i32) (result i32)
    (i32.div_s (i32.const 42) (local.get $divisor)))

  ;; the `unreachable` instruction always traps (compilers emit it after a panic)
  (func $hit_unreachable
    unreachable)

  ;; a load 16 bytes below 4 GiB, far past this 64 KiB memory: "out of bounds memory access"
  (func $load_out_of_bounds (result i32)
    (i32.load (i32.const 0xFFFFFFF0)))

  ;; slot 0 holds a function of type (i64, i64) -> i64, but we call it as
  ;; (i32) -> i32: checked at run time, "indirect call type mismatch"
  (func $call_wrong_signature (result i32)
    (call_indirect $fns (type $i32_to_i32) (i32.const 7) (i32.const 0)))

  ;; INT_MIN / -1 = 2^31 does not fit in an i32: "integer overflow"
  (func $divide_overflow (param $divisor i32) (result i32)
    (i32.div_s (i32.const 0x80000000) (local.get $divisor)))

  ;; slot 1 was never filled: "uninitialized element"
  (func $call_null_slot (result i32)
    (call_indirect $fns (type $i32_to_i32) (i32.const 7) (i32.const 1)))

  ;; only here to sit in table slot 0
  (func $add_i64 (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))

  ;; The helper between _start and the trap, so the backtrace has several frames.
  (func $trigger (param $which i32)
    (if (i32.eq (local.get $which) (i32.const 0)) (then (drop (call $divide_by_zero (i32.const 0)))))
    (if (i32.eq (local.get $which) (i32.const 1)) (then (call $hit_unreachable)))
    (if (i32.eq (local.get $which) (i32.const 2)) (then (drop (call $load_out_of_bounds))))
    (if (i32.eq (local.get $which) (i32.const 3)) (then (drop (call $call_wrong_signature))))
    (if (i32.eq (local.get $which) (i32.const 4)) (then (drop (call $divide_overflow (i32.const -1)))))
    (if (i32.eq (local.get $which) (i32.const 5)) (then (drop (call $call_null_slot)))))

  ;; ---- plumbing ----------------------------------------------------------

  ;; Reserve n bytes on the heap (4-byte aligned), growing memory if needed.
  (func $alloc (param $n i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end
      (i32.and (i32.add (i32.add (local.get $ptr) (local.get $n)) (i32.const 3)) (i32.const -4)))
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq (i32.const -1)
              (memory.grow
                (i32.shr_u
                  (i32.add (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                           (i32.const 65535))
                  (i32.const 16))))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; Does the NUL-terminated string at $s equal the len bytes at $word?
  (func $equals (param $s i32) (param $word i32) (param $len i32) (result i32)
    (local $i i32)
    (block $differ
      (loop $next
        (if (i32.eq (local.get $i) (local.get $len))
          ;; all bytes matched: equal only if $s ends here too
          (then (return (i32.eqz (i32.load8_u (i32.add (local.get $s) (local.get $i)))))))
        (br_if $differ
          (i32.ne (i32.load8_u (i32.add (local.get $s) (local.get $i)))
                  (i32.load8_u (i32.add (local.get $word) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; Which trap does the string name? 0..5, or -1 if none.
  (func $parse_kind (param $s i32) (result i32)
    (if (call $equals (local.get $s) (i32.const 64) (i32.const 4))  (then (return (i32.const 0))))
    (if (call $equals (local.get $s) (i32.const 72) (i32.const 11)) (then (return (i32.const 1))))
    (if (call $equals (local.get $s) (i32.const 88) (i32.const 3))  (then (return (i32.const 2))))
    (if (call $equals (local.get $s) (i32.const 96) (i32.const 8))  (then (return (i32.const 3))))
    (if (call $equals (local.get $s) (i32.const 112) (i32.const 8)) (then (return (i32.const 4))))
    (if (call $equals (local.get $s) (i32.const 128) (i32.const 4)) (then (return (i32.const 5))))
    (i32.const -1))

  (func $usage
    (i32.store (i32.const 0) (i32.const 160))
    (i32.store (i32.const 4) (i32.const 57))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 2)))

  (func $_start (export "_start")
    (local $argc i32) (local $argv i32) (local $kind i32)
    (if (call $args_sizes_get (i32.const 16) (i32.const 20)) (then (call $usage)))
    (local.set $argc (i32.load (i32.const 16)))
    (if (i32.lt_u (local.get $argc) (i32.const 2)) (then (call $usage)))
    (local.set $argv (call $alloc (i32.shl (local.get $argc) (i32.const 2))))
    (if (call $args_get (local.get $argv) (call $alloc (i32.load (i32.const 20))))
      (then (call $usage)))
    ;; argv[1] is the second pointer in the array
    (local.set $kind (call $parse_kind (i32.load offset=4 (local.get $argv))))
    (if (i32.lt_s (local.get $kind) (i32.const 0)) (then (call $usage)))
    (call $trigger (local.get $kind)))
)
