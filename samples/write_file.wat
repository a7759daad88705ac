;; lesson: Creating or changing a file needs a writable directory grant; a read-only grant refuses it.
;; Try:  mkdir -p /tmp/box && wasmscope run --dir /tmp/box::/out samples/write_file.wat
;;       (then look at /tmp/box/out.txt on the host)
;;       wasmscope run --ro-dir /tmp/box::/out samples/write_file.wat   (errno 63, "not permitted")
;;       wasmscope run samples/write_file.wat                           (errno 8: no directory at all)
;; path_open with oflags CREAT|TRUNC creates out.txt or empties an existing one.
(module $write_file
  ;; path_open(dirfd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
  ;;           fdflags, fd_ptr) -> errno
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   12..16 the new fd   32..48 decimal digits
  ;;              64.. text
  (data (i32.const 64) "out.txt")                          ;; 7 bytes
  (data (i32.const 80) "written by the guest\n")           ;; 21 bytes
  (data (i32.const 112) "cannot write out.txt: errno ")    ;; 28 bytes
  (data (i32.const 144) "\n")                              ;; 1 byte
  (data (i32.const 160) "wrote out.txt\n")                 ;; 14 bytes

  ;; One fd_write of len bytes at ptr; returns the errno. A short write with no
  ;; error is retried with the rest, as a careful program does.
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32) (result i32)
    (local $errno i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (local.set $errno (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (local.get $errno))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
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

  ;; Print "cannot write out.txt: errno N" to stderr and exit with code 1.
  (func $fail (param $errno i32)
    (drop (call $write_all (i32.const 2) (i32.const 112) (i32.const 28)))
    (drop (call $write_all (i32.const 2) (i32.const 32) (call $utoa (local.get $errno) (i32.const 32))))
    (drop (call $write_all (i32.const 2) (i32.const 144) (i32.const 1)))
    (call $proc_exit (i32.const 1)))

  (func $_start (export "_start")
    (local $errno i32) (local $fd i32)
    (local.set $errno
      (call $path_open
        (i32.const 3)          ;; the first preopened directory
        (i32.const 0)          ;; dirflags: do not follow a symlink named out.txt
        (i32.const 64)         ;; path "out.txt" ...
        (i32.const 7)          ;; ... 7 bytes
        (i32.const 9)          ;; oflags: CREAT (1) | TRUNC (8)
        ;; rights: FD_WRITE 0x40, FD_SEEK 0x4, FD_TELL 0x20,
        ;; FD_FILESTAT_GET 0x200000, FD_FILESTAT_SET_SIZE 0x400000
        (i64.const 0x600064)
        (i64.const 0)          ;; rights inherited by fds opened from this one
        (i32.const 0)          ;; fdflags (no APPEND)
        (i32.const 12)))       ;; where the host stores the new fd
    (if (local.get $errno) (then (call $fail (local.get $errno))))
    (local.set $fd (i32.load (i32.const 12)))

    (local.set $errno (call $write_all (local.get $fd) (i32.const 80) (i32.const 21)))
    (if (local.get $errno) (then (call $fail (local.get $errno))))
    (drop (call $fd_close (local.get $fd)))

    (drop (call $write_all (i32.const 1) (i32.const 160) (i32.const 14))))
)
