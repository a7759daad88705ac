;; lesson: A guest that floods stdout cannot flood the host: output is bounded and wasmscope stays responsive.
;; Try:  wasmscope run samples/stdout_flood.wat          (3200 x 64 KiB = 200 MiB of output)
;;       wasmscope run samples/stdout_flood.wat 10       (only 640 KiB)
;; The 64 KiB buffer is 64 lines of 1023 'x' characters and a newline. The guest
;; writes it COUNT times (argv[1], decimal, default 3200), then exits 0. If the host
;; refuses a write, it prints "stdout refused a write: errno N" to stderr and exits 1.
;; Watch the GUI's output pane: it keeps the newest lines and counts the rest.
(module $stdout_flood
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  ;; page 0: scratch and text; page 1: the 64 KiB buffer; page 2 on: argv
  (memory (export "memory") 2)

  ;; Memory map:  0..8 iovec   8..12 bytes written   16..20 argc   20..24 argv buffer size
  ;;              32..48 decimal digits   64.. text   0x10000..0x20000 the buffer
  ;;              0x20000.. heap (argv pointers and strings)
  (data (i32.const 64)  "usage: stdout_flood [COUNT]\n")        ;; 28
  (data (i32.const 96)  "stdout refused a write: errno ")       ;; 30
  (data (i32.const 128) "\n")                                   ;; 1

  (global $heap (mut i32) (i32.const 0x20000))

  ;; Write len bytes at ptr to fd, looping on short writes; returns the errno.
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (local $errno i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (local.set $errno (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (local.get $errno))
        ;; 0 bytes taken and no error: give up rather than spin
        (if (i32.eqz (i32.load (i32.const 8))) (then (return (i32.const 29))))   ;; 29 = io
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more)))
    (local.get $errno))

  ;; Write the decimal digits of n (unsigned) at out; returns how many bytes.
  (func $utoa (param $n i32) (param $out i32) (result i32)
    (local $len i32) (local $t i32)
    (local.set $t (local.get $n))
    (loop $count
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (br_if $count (local.get $t)))
    (local.set $t (local.get $len))
    (loop $fill
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (i32.store8 (i32.add (local.get $out) (local.get $t))
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $fill (local.get $t)))
    (local.get $len))

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

  (func $usage
    (drop (call $write_all (i32.const 2) (i32.const 64) (i32.const 28)))
    (call $proc_exit (i32.const 2)))

  ;; Parse the NUL-terminated decimal at s (1 to 9 digits); anything else is a usage error.
  (func $parse_count (param $s i32) (result i32)
    (local $n i32) (local $digits i32) (local $c i32)
    (block $end
      (loop $next
        (local.set $c (i32.load8_u (local.get $s)))
        (br_if $end (i32.eqz (local.get $c)))
        (if (i32.gt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 9))   ;; not '0'..'9'
          (then (call $usage)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10))
                               (i32.sub (local.get $c) (i32.const 48))))
        (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $next)))
    (if (i32.or (i32.eqz (local.get $digits)) (i32.gt_u (local.get $digits) (i32.const 9)))
      (then (call $usage)))
    (local.get $n))

  ;; COUNT from argv[1], or 3200 if there is no argument.
  (func $count_from_args (result i32)
    (local $argc i32) (local $argv i32)
    (if (call $args_sizes_get (i32.const 16) (i32.const 20)) (then (return (i32.const 3200))))
    (local.set $argc (i32.load (i32.const 16)))
    (if (i32.lt_u (local.get $argc) (i32.const 2)) (then (return (i32.const 3200))))
    (local.set $argv (call $alloc (i32.shl (local.get $argc) (i32.const 2))))
    (drop (call $args_get (local.get $argv) (call $alloc (i32.load (i32.const 20)))))
    (call $parse_count (i32.load offset=4 (local.get $argv))))

  ;; 64 lines of 1023 'x' and a newline = exactly 64 KiB at 0x10000.
  (func $fill_buffer
    (local $line_end i32)
    (memory.fill (i32.const 0x10000) (i32.const 0x78) (i32.const 0x10000))   ;; 'x'
    (local.set $line_end (i32.const 0x103FF))                                 ;; 0x10000 + 1023
    (loop $line
      (i32.store8 (local.get $line_end) (i32.const 10))                       ;; '\n'
      (local.set $line_end (i32.add (local.get $line_end) (i32.const 1024)))
      (br_if $line (i32.lt_u (local.get $line_end) (i32.const 0x20000)))))

  (func $_start (export "_start")
    (local $left i32) (local $errno i32)
    (local.set $left (call $count_from_args))
    (call $fill_buffer)
    (block $done
      (loop $flood
        (br_if $done (i32.eqz (local.get $left)))
        (local.set $errno (call $write_all (i32.const 1) (i32.const 0x10000) (i32.const 0x10000)))
        (if (local.get $errno)
          (then
            (drop (call $write_all (i32.const 2) (i32.const 96) (i32.const 30)))
            (drop (call $write_all (i32.const 2) (i32.const 32)
                    (call $utoa (local.get $errno) (i32.const 32))))
            (drop (call $write_all (i32.const 2) (i32.const 128) (i32.const 1)))
            (call $proc_exit (i32.const 1))))
        (local.set $left (i32.sub (local.get $left) (i32.const 1)))
        (br $flood))))
)
