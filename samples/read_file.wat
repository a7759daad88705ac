;; lesson: A guest can open files only through a directory the host preopened for it, here read-only.
;; Try:  wasmscope run --ro-dir samples/data::/data samples/read_file.wat
;;       wasmscope run samples/read_file.wat      (no directory granted: errno 8, "bad file descriptor")
;; The first preopened directory is always fd 3 (0, 1, 2 are stdin, stdout, stderr).
;; The guest opens "hello.txt" relative to fd 3; it never sees the host path
;; samples/data, only the name /data the grant gave it.
;; Errnos you may meet: 8 badf (no fd 3), 44 noent (no such file), 63 perm (not allowed).
(module $read_file
  ;; path_open(dirfd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
  ;;           fdflags, fd_ptr) -> errno
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  ;; fd_read(fd, iovs, iovs_len, nread_ptr) -> errno
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes moved   12..16 the new fd   32..48 decimal digits
  ;;              64..160 text   4096..8192 copy buffer
  (data (i32.const 64) "hello.txt")                        ;; 9 bytes
  (data (i32.const 80) "cannot open hello.txt: errno ")    ;; 29 bytes
  (data (i32.const 112) "cannot read hello.txt: errno ")   ;; 29 bytes
  (data (i32.const 144) "\n")                              ;; 1 byte

  ;; Write len bytes at ptr to fd, looping until the host has taken them all.
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (br_if $done (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (i32.eqz (i32.load (i32.const 8))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

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

  ;; Print "<message>N\n" to stderr and exit with code 1.
  (func $fail (param $msg i32) (param $msg_len i32) (param $errno i32)
    (call $write_all (i32.const 2) (local.get $msg) (local.get $msg_len))
    (call $write_all (i32.const 2) (i32.const 32) (call $utoa (local.get $errno) (i32.const 32)))
    (call $write_all (i32.const 2) (i32.const 144) (i32.const 1))
    (call $proc_exit (i32.const 1)))

  (func $_start (export "_start")
    (local $errno i32) (local $fd i32) (local $n i32)
    (local.set $errno
      (call $path_open
        (i32.const 3)          ;; the first preopened directory
        (i32.const 1)          ;; dirflags: follow a symlink in the last component
        (i32.const 64)         ;; path "hello.txt" ...
        (i32.const 9)          ;; ... 9 bytes, relative to fd 3
        (i32.const 0)          ;; oflags: no CREAT, no TRUNC: just open
        ;; rights: ask only for what reading needs: FD_READ 0x2, FD_SEEK 0x4,
        ;; FD_TELL 0x20, FD_FILESTAT_GET 0x200000. (Asking for FD_WRITE in a
        ;; read-only directory would make wasmtime refuse the whole open.)
        (i64.const 0x200026)
        (i64.const 0)          ;; rights inherited by fds opened from this one
        (i32.const 0)          ;; fdflags
        (i32.const 12)))       ;; where the host stores the new fd
    (if (local.get $errno)
      (then (call $fail (i32.const 80) (i32.const 29) (local.get $errno))))
    (local.set $fd (i32.load (i32.const 12)))

    ;; copy: read up to 4 KiB, write it to stdout, until a read returns 0 bytes
    (block $eof
      (loop $copy
        (i32.store (i32.const 0) (i32.const 4096))
        (i32.store (i32.const 4) (i32.const 4096))
        (local.set $errno (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (if (local.get $errno)
          (then (call $fail (i32.const 112) (i32.const 29) (local.get $errno))))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write_all (i32.const 1) (i32.const 4096) (local.get $n))
        (br $copy)))
    (drop (call $fd_close (local.get $fd))))
)
