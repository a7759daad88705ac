;; lesson: Every input a guest gets crosses the WASI boundary, so a recording of those calls replays the run exactly.
;; Try:  wasmscope run --record run.wstrace --ro-dir samples/data::/data --env NAME=you samples/replay_me.wat < some-file
;;       wasmscope replay run.wstrace      (the same random bytes, clock, file, variable and stdin: nothing is read again)
;; Run it twice without a recording and the random bytes and the clock differ; a replay gives
;; back exactly what the recorded run saw, even with samples/data deleted or on another machine.
(module $replay_me
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 a count   12..16 the file's fd   16..24 the clock
  ;;              24..32 random bytes   40..44 bytes read   64..192 text   1024..1088 hex digits
  ;;              1536..2048 environ pointers   2048..4096 environ strings   4096..8192 reads
  (data (i32.const 64) "random: ")     ;; 8 bytes
  (data (i32.const 80) "clock: ")      ;; 7 bytes
  (data (i32.const 96) "env: ")        ;; 5 bytes
  (data (i32.const 112) "file: ")      ;; 6 bytes
  (data (i32.const 128) "stdin: ")     ;; 7 bytes
  (data (i32.const 144) "\n")          ;; 1 byte
  (data (i32.const 160) "hello.txt")   ;; 9 bytes
  (data (i32.const 176) "0123456789abcdef")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Writes the n bytes at ptr as hex digits, then a newline.
  (func $hex (param $ptr i32) (param $n i32)
    (local $i i32) (local $byte i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $byte (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
        (i32.store8 (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.add (i32.const 176) (i32.shr_u (local.get $byte) (i32.const 4)))))
        (i32.store8 (i32.add (i32.const 1025) (i32.shl (local.get $i) (i32.const 1)))
          (i32.load8_u (i32.add (i32.const 176) (i32.and (local.get $byte) (i32.const 15)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $write (i32.const 1024) (i32.shl (local.get $n) (i32.const 1)))
    (call $write (i32.const 144) (i32.const 1)))

  ;; Reads from fd into 4096.. and writes what came after the label at ptr/len.
  (func $copy (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 4096))
    (i32.store (i32.const 40) (i32.const 0))
    (drop (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 40)))
    (call $write (local.get $ptr) (local.get $len))
    (call $write (i32.const 4096) (i32.load (i32.const 40)))
    (call $write (i32.const 144) (i32.const 1)))

  (func (export "_start")
    (call $write (i32.const 64) (i32.const 8))
    (drop (call $random_get (i32.const 24) (i32.const 8)))
    (call $hex (i32.const 24) (i32.const 8))

    (call $write (i32.const 80) (i32.const 7))
    (drop (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 16)))
    (call $hex (i32.const 16) (i32.const 8))

    ;; Every variable, NUL-separated as WASI hands them over.
    (drop (call $environ_sizes_get (i32.const 8) (i32.const 12)))
    (drop (call $environ_get (i32.const 1536) (i32.const 2048)))
    (call $write (i32.const 96) (i32.const 5))
    (call $write (i32.const 2048) (i32.load (i32.const 12)))
    (call $write (i32.const 144) (i32.const 1))

    ;; hello.txt in the first granted folder, if there is one.
    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 160) (i32.const 9)
                   (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 12)))
      (then (call $copy (i32.load (i32.const 12)) (i32.const 112) (i32.const 6))))

    (call $copy (i32.const 0) (i32.const 128) (i32.const 7)))
)
