;; lesson: A guest sees only the arguments and environment variables the sandbox hands it, never the host's own.
;; Try:  wasmscope run samples/args_env.wat one "two words"
;;       wasmscope run --env GREETING=hi --env LANG=C samples/args_env.wat
;; arg[0] is the program name the host chose. With no --env flags the guest
;; prints "no environment variables granted": your shell's PATH, HOME, tokens...
;; are invisible unless you pass them on purpose.
(module $args_env
  ;; args_sizes_get(argc_ptr, argv_buf_size_ptr) -> errno
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  ;; args_get(argv_ptr, argv_buf_ptr) -> errno: fills argv[] with pointers to
  ;; NUL-terminated strings that it copies into argv_buf
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  ;; the same pair for "NAME=VALUE" environment strings
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   16..20 count   20..24 buffer size
  ;;              32..48 decimal digits   64..160 text   1024.. heap (pointer arrays, strings)
  (data (i32.const 64) "arg[")                                  ;; 4 bytes
  (data (i32.const 72) "]=")                                    ;; 2 bytes
  (data (i32.const 80) "env: ")                                 ;; 5 bytes
  (data (i32.const 88) "\n")                                    ;; 1 byte
  (data (i32.const 96) "no environment variables granted\n")    ;; 33 bytes

  (global $heap (mut i32) (i32.const 1024))

  ;; Write len bytes at ptr to stdout, looping until the host has taken them all.
  (func $print (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  ;; Length of the NUL-terminated string at ptr.
  (func $strlen (param $ptr i32) (result i32)
    (local $end i32)
    (local.set $end (local.get $ptr))
    (loop $scan
      (if (i32.load8_u (local.get $end))
        (then
          (local.set $end (i32.add (local.get $end) (i32.const 1)))
          (br $scan))))
    (i32.sub (local.get $end) (local.get $ptr)))

  ;; Write the decimal digits of n (unsigned) at out; returns how many bytes.
  (func $utoa (param $n i32) (param $out i32) (result i32)
    (local $len i32) (local $t i32)
    (local.set $t (local.get $n))
    (loop $count                       ;; how many digits?
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (br_if $count (local.get $t)))
    (local.set $t (local.get $len))
    (loop $fill                        ;; last digit first, right to left
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
        ;; pages missing = ceil((end - current bytes) / 64 KiB)
        (if (i32.eq (i32.const -1)
              (memory.grow
                (i32.shr_u
                  (i32.add (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                           (i32.const 65535))
                  (i32.const 16))))
          (then unreachable))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  (func $_start (export "_start")
    (local $count i32) (local $ptrs i32) (local $i i32) (local $s i32)

    ;; ---- arguments -------------------------------------------------------
    (if (call $args_sizes_get (i32.const 16) (i32.const 20))
      (then (i32.store (i32.const 16) (i32.const 0))))
    (local.set $count (i32.load (i32.const 16)))
    (local.set $ptrs (call $alloc (i32.shl (local.get $count) (i32.const 2))))
    (drop (call $args_get (local.get $ptrs) (call $alloc (i32.load (i32.const 20)))))
    (local.set $i (i32.const 0))
    (block $args_done
      (loop $each_arg
        (br_if $args_done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $s (i32.load (i32.add (local.get $ptrs) (i32.shl (local.get $i) (i32.const 2)))))
        (call $print (i32.const 64) (i32.const 4))                        ;; arg[
        (call $print (i32.const 32) (call $utoa (local.get $i) (i32.const 32)))
        (call $print (i32.const 72) (i32.const 2))                        ;; ]=
        (call $print (local.get $s) (call $strlen (local.get $s)))
        (call $print (i32.const 88) (i32.const 1))                        ;; \n
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each_arg)))

    ;; ---- environment -----------------------------------------------------
    (if (call $environ_sizes_get (i32.const 16) (i32.const 20))
      (then (i32.store (i32.const 16) (i32.const 0))))
    (local.set $count (i32.load (i32.const 16)))
    (if (i32.eqz (local.get $count))
      (then
        (call $print (i32.const 96) (i32.const 33))   ;; no environment variables granted
        (return)))
    (local.set $ptrs (call $alloc (i32.shl (local.get $count) (i32.const 2))))
    (drop (call $environ_get (local.get $ptrs) (call $alloc (i32.load (i32.const 20)))))
    (local.set $i (i32.const 0))
    (block $env_done
      (loop $each_var
        (br_if $env_done (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $s (i32.load (i32.add (local.get $ptrs) (i32.shl (local.get $i) (i32.const 2)))))
        (call $print (i32.const 80) (i32.const 5))                        ;; env:
        (call $print (local.get $s) (call $strlen (local.get $s)))        ;; NAME=VALUE
        (call $print (i32.const 88) (i32.const 1))                        ;; \n
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each_var))))
)
