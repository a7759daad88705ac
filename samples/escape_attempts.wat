;; lesson: A preopened directory is a capability: ../, absolute paths and symlinks cannot lead a guest out of it.
;; Try:  mkdir -p /tmp/box && wasmscope run --dir /tmp/box::/box samples/escape_attempts.wat
;;       wasmscope run --ro-dir /tmp/box::/box samples/escape_attempts.wat   (even symlink creation is refused)
;;       wasmscope run samples/escape_attempts.wat   (no directory: nothing to escape from)
;; Each attempt prints "DENIED <what> (errno N)" or "ESCAPED <what>"; the last line
;; is "escaped: K" and the exit code is K, so 0 means the sandbox held.
;; Errno 63 (perm) is WASI's "a path led outside the directory". A symlink with a
;; relative target like ../.. may be created (it is only a name inside the box), but
;; following it out is refused; wasmtime refuses even to create one with an absolute
;; target such as /etc, so that attempt is reported as "DENIED symlink ...".
(module $escape_attempts
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $fd_prestat_get (param i32 i32) (result i32)))
  ;; path_open(dirfd, dirflags, path, path_len, oflags, rights_base, rights_inheriting,
  ;;           fdflags, fd_ptr) -> errno
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  ;; path_symlink(old_path, old_path_len, dirfd, new_path, new_path_len) -> errno
  ;; creates new_path (inside dirfd) as a symlink whose text is old_path
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $path_symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file"
    (func $path_unlink_file (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)

  ;; Memory map:  0..8 iovec   8..12 bytes written   12..16 opened fd   16..24 prestat
  ;;              32..48 decimal digits   64.. text, one string per 64-byte slot
  ;; paths the guest tries
  (data (i32.const 64)   "../etc/passwd")              ;; 13
  (data (i32.const 128)  "/etc/passwd")                ;; 11
  (data (i32.const 192)  "../../../../etc/passwd")     ;; 22
  (data (i32.const 256)  "/etc")                       ;; 4
  (data (i32.const 320)  "link_out")                   ;; 8
  (data (i32.const 384)  "link_out/passwd")            ;; 15
  (data (i32.const 448)  "../..")                      ;; 5
  (data (i32.const 512)  "rel_out")                    ;; 7
  (data (i32.const 576)  "rel_out/etc/passwd")         ;; 18
  (data (i32.const 640)  "../escaped_dir")             ;; 14
  (data (i32.const 704)  "../victim")                  ;; 9
  ;; pieces of the report
  (data (i32.const 768)  "DENIED ")                    ;; 7
  (data (i32.const 832)  "ESCAPED ")                   ;; 8
  (data (i32.const 896)  " (errno ")                   ;; 8
  (data (i32.const 960)  ")\n")                        ;; 2
  (data (i32.const 1024) "\n")                         ;; 1
  (data (i32.const 1088) "escaped: ")                  ;; 9
  (data (i32.const 1152) "no directory granted at all: nothing to escape from\n")  ;; 52
  ;; what each attempt is called in the report
  (data (i32.const 1216) "open ../etc/passwd")                          ;; 18
  (data (i32.const 1280) "open /etc/passwd")                            ;; 16
  (data (i32.const 1344) "open ../../../../etc/passwd")                 ;; 27
  (data (i32.const 1408) "symlink link_out -> /etc")                    ;; 24
  (data (i32.const 1472) "open link_out/passwd (link_out -> /etc)")     ;; 39
  (data (i32.const 1536) "symlink rel_out -> ../..")                    ;; 24
  (data (i32.const 1600) "open rel_out/etc/passwd (rel_out -> ../..)")  ;; 42
  (data (i32.const 1664) "mkdir ../escaped_dir")                        ;; 20
  (data (i32.const 1728) "unlink ../victim")                            ;; 16

  (global $escaped (mut i32) (i32.const 0))

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

  (func $print_num (param $n i32)
    (call $print (i32.const 32) (call $utoa (local.get $n) (i32.const 32))))

  ;; One report line: errno 0 means the attempt worked, i.e. the guest got out.
  (func $report (param $what i32) (param $what_len i32) (param $errno i32)
    (if (local.get $errno)
      (then
        (call $print (i32.const 768) (i32.const 7))          ;; DENIED
        (call $print (local.get $what) (local.get $what_len))
        (call $print (i32.const 896) (i32.const 8))          ;;  (errno
        (call $print_num (local.get $errno))
        (call $print (i32.const 960) (i32.const 2)))         ;; )\n
      (else
        (global.set $escaped (i32.add (global.get $escaped) (i32.const 1)))
        (call $print (i32.const 832) (i32.const 8))          ;; ESCAPED
        (call $print (local.get $what) (local.get $what_len))
        (call $print (i32.const 1024) (i32.const 1)))))      ;; \n

  ;; Try to open a path under fd 3 for reading; returns the errno (0 = it opened).
  (func $open (param $path i32) (param $path_len i32) (result i32)
    (local $errno i32)
    (local.set $errno
      (call $path_open
        (i32.const 3)
        (i32.const 1)              ;; dirflags: follow symlinks, to give escapes every chance
        (local.get $path) (local.get $path_len)
        (i32.const 0)              ;; oflags: plain open
        (i64.const 0x200026)       ;; rights: FD_READ | FD_SEEK | FD_TELL | FD_FILESTAT_GET
        (i64.const 0)
        (i32.const 0)
        (i32.const 12)))
    (if (i32.eqz (local.get $errno))
      (then (drop (call $fd_close (i32.load (i32.const 12))))))
    (local.get $errno))

  ;; Create symlink `name` -> `target` inside fd 3; report only if that is refused.
  ;; If it worked, try to open `through` (a path that goes through the link).
  ;; Returns 1 if the link was created (so it must be removed at the end).
  (func $via_symlink
      (param $target i32) (param $target_len i32) (param $name i32) (param $name_len i32)
      (param $link_what i32) (param $link_what_len i32)
      (param $through i32) (param $through_len i32)
      (param $open_what i32) (param $open_what_len i32)
      (result i32)
    (local $errno i32)
    (local.set $errno
      (call $path_symlink (local.get $target) (local.get $target_len)
                          (i32.const 3) (local.get $name) (local.get $name_len)))
    (if (local.get $errno)
      (then
        ;; a refused symlink is a denied attempt (e.g. a read-only grant)
        (call $report (local.get $link_what) (local.get $link_what_len) (local.get $errno))
        (return (i32.const 0))))
    (call $report (local.get $open_what) (local.get $open_what_len)
      (call $open (local.get $through) (local.get $through_len)))
    (i32.const 1))

  (func $_start (export "_start")
    (local $made_link_out i32) (local $made_rel_out i32)

    ;; Is there a preopened directory at fd 3 at all? (errno 8 = badf if not)
    (if (call $fd_prestat_get (i32.const 3) (i32.const 16))
      (then
        (call $print (i32.const 1152) (i32.const 52))
        (call $proc_exit (i32.const 0))))

    ;; Remove links left behind by an earlier run that was stopped halfway.
    (drop (call $path_unlink_file (i32.const 3) (i32.const 320) (i32.const 8)))   ;; link_out
    (drop (call $path_unlink_file (i32.const 3) (i32.const 512) (i32.const 7)))   ;; rel_out

    ;; 1. climb out with ..
    (call $report (i32.const 1216) (i32.const 18) (call $open (i32.const 64) (i32.const 13)))
    ;; 2. an absolute path: WASI paths are always relative to a directory fd
    (call $report (i32.const 1280) (i32.const 16) (call $open (i32.const 128) (i32.const 11)))
    ;; 3. many ..: the sandbox does not clamp at its root, it refuses
    (call $report (i32.const 1344) (i32.const 27) (call $open (i32.const 192) (i32.const 22)))
    ;; 4. an absolute symlink: link_out -> /etc, then open link_out/passwd
    (local.set $made_link_out
      (call $via_symlink
        (i32.const 256) (i32.const 4)       ;; target "/etc"
        (i32.const 320) (i32.const 8)       ;; name "link_out"
        (i32.const 1408) (i32.const 24)     ;; "symlink link_out -> /etc"
        (i32.const 384) (i32.const 15)      ;; "link_out/passwd"
        (i32.const 1472) (i32.const 39)))   ;; "open link_out/passwd (link_out -> /etc)"
    ;; 5. a relative symlink that climbs: rel_out -> ../.., then open rel_out/etc/passwd
    (local.set $made_rel_out
      (call $via_symlink
        (i32.const 448) (i32.const 5)       ;; target "../.."
        (i32.const 512) (i32.const 7)       ;; name "rel_out"
        (i32.const 1536) (i32.const 24)     ;; "symlink rel_out -> ../.."
        (i32.const 576) (i32.const 18)      ;; "rel_out/etc/passwd"
        (i32.const 1600) (i32.const 42)))   ;; "open rel_out/etc/passwd (rel_out -> ../..)"
    ;; 6. create a directory next to the granted one
    (call $report (i32.const 1664) (i32.const 20)
      (call $path_create_directory (i32.const 3) (i32.const 640) (i32.const 14)))
    ;; 7. delete a file next to the granted one
    (call $report (i32.const 1728) (i32.const 16)
      (call $path_unlink_file (i32.const 3) (i32.const 704) (i32.const 9)))

    ;; Clean up: the symlinks were created inside the box, so removing them is allowed.
    (if (local.get $made_link_out)
      (then (drop (call $path_unlink_file (i32.const 3) (i32.const 320) (i32.const 8)))))
    (if (local.get $made_rel_out)
      (then (drop (call $path_unlink_file (i32.const 3) (i32.const 512) (i32.const 7)))))

    (call $print (i32.const 1088) (i32.const 9))    ;; escaped:
    (call $print_num (global.get $escaped))
    (call $print (i32.const 1024) (i32.const 1))
    (call $proc_exit (global.get $escaped)))
)
