;; lesson: In debug mode a trap shows every frame's locals and operand stack, so the values behind a crash are on screen instead of guessed.
;; Try:  wasmscope run --debug samples/debug_me.wat
;;         the trap in `average`, with its locals: count = 0 (an empty list), total = 0,
;;         and the global lists_done = 3: it was the third list
;;       wasmscope run --break average samples/debug_me.wat
;;         a logpoint: one line per call of `average`, with its arguments, and the run goes on
;;       In the window: switch Debug on in the Sandbox panel, Run, then click the trap's frames
;;         in the Outcome panel. Click the gutter beside an instruction in the Code window to set
;;         a breakpoint; Run stops there, and F10 steps, F8 continues.
;; It averages three lists of scores; the third list is empty, and the average of nothing
;; divides by zero.
(module $debug_me
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   64.. message   256.. the score lists
  (data (i32.const 64) "averaging three lists of scores\n")          ;; 32 bytes
  (data (i32.const 256) "\0a\00\00\00\14\00\00\00\1e\00\00\00")     ;; 10, 20, 30
  (data (i32.const 272) "\07\00\00\00\09\00\00\00")                 ;; 7, 9

  ;; The number of lists averaged so far.
  (global $lists_done (mut i32) (i32.const 0))

  ;; The sum of `count` i32s starting at `scores`.
  (func $sum (param $scores i32) (param $count i32) (result i32)
    (local $i i32)
    (local $total i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $total
          (i32.add (local.get $total)
            (i32.load (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $total))

  ;; The average of a list: its sum divided by its length. Nothing checks for an empty list.
  (func $average (param $scores i32) (param $count i32) (result i32)
    (local $total i32)
    (local.set $total (call $sum (local.get $scores) (local.get $count)))
    (global.set $lists_done (i32.add (global.get $lists_done) (i32.const 1)))
    (i32.div_u (local.get $total) (local.get $count)))

  (func $say (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func (export "_start")
    (call $say (i32.const 64) (i32.const 32))
    (drop (call $average (i32.const 256) (i32.const 3)))   ;; 20
    (drop (call $average (i32.const 272) (i32.const 2)))   ;; 8
    (drop (call $average (i32.const 280) (i32.const 0)))))  ;; the empty list: divide by zero
