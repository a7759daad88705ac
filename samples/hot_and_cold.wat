;; lesson: A profiler shows where the time goes: `heavy` does nine times the work of `light`, and gets about nine tenths of the samples.
;; Try:  wasmscope run --profile-guest hot.json samples/hot_and_cold.wat
;;       wasmscope run --invoke run samples/hot_and_cold.wat 2000000   (fewer rounds)
;; Both functions spin the same xorshift loop; `heavy` runs it 9 times as often.
;; Turn on Profile in the Sandbox panel and Run: the flame graph shows _start with
;; `heavy` and `light` under it, `heavy` about nine times as wide. The last call to
;; fd_write is host time, so it appears as its own (thin) frame.
(module $hot_and_cold
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   12..16 result   16.. text
  (data (i32.const 16) "done: heavy did nine times the work of light\n")   ;; 45 bytes

  ;; `rounds` steps of a xorshift generator, starting from `seed`.
  (func $heavy (param $rounds i32) (result i32)
    (local $x i32) (local $i i32)
    (local.set $x (i32.const 2463534242))
    (local.set $i (i32.mul (local.get $rounds) (i32.const 9)))
    (loop $again
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (local.tee $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $again))
    (local.get $x))

  (func $light (param $rounds i32) (result i32)
    (local $x i32) (local $i i32)
    (local.set $x (i32.const 2463534242))
    (local.set $i (local.get $rounds))
    (loop $again
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 13))))
      (local.set $x (i32.xor (local.get $x) (i32.shr_u (local.get $x) (i32.const 17))))
      (local.set $x (i32.xor (local.get $x) (i32.shl (local.get $x) (i32.const 5))))
      (local.tee $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $again))
    (local.get $x))

  ;; Ten alternating calls of each, `rounds` steps of `light` per call.
  (func $run (export "run") (param $rounds i32) (result i32)
    (local $k i32) (local $sum i32)
    (local.set $k (i32.const 10))
    (loop $again
      (local.set $sum (i32.add (local.get $sum) (call $heavy (local.get $rounds))))
      (local.set $sum (i32.add (local.get $sum) (call $light (local.get $rounds))))
      (local.tee $k (i32.sub (local.get $k) (i32.const 1)))
      (br_if $again))
    (local.get $sum))

  (func $_start (export "_start")
    (i32.store (i32.const 12) (call $run (i32.const 4000000)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 45))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
