//! Small guests written in WAT for the disk-quota and tenant tests.

/// The WASI imports the test guests use, and a 2-page memory whose second page is the write
/// buffer. Low addresses hold names, iovecs and results (where the quota borrows and puts
/// back its 64 bytes, so this also checks that nothing there is disturbed).
pub fn guest(wasi: &str, body: &str) -> Vec<u8> {
    let wat = format!(
        r#"(module
            (import "{wasi}" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
            (import "{wasi}" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
            (import "{wasi}" "fd_pwrite" (func $pwrite (param i32 i32 i32 i64 i32) (result i32)))
            (import "{wasi}" "fd_close" (func $close (param i32) (result i32)))
            (import "{wasi}" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
            (import "{wasi}" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
            (import "{wasi}" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 2)
            (data (i32.const 16) "bomb.bin")
            ;; iovec at 48: the whole second page.
            (data (i32.const 48) "\00\00\01\00\00\00\01\00")
            ;; Opens `len` bytes of name at 16 in the preopen (fd 3) with `oflags`; the fd, or
            ;; exit with the errno.
            (func $open_name (param $len i32) (param $oflags i32) (result i32)
              (local $errno i32)
              (local.set $errno (call $open (i32.const 3) (i32.const 0) (i32.const 16)
                (local.get $len) (local.get $oflags) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0)
                (i32.const 32)))
              (if (local.get $errno)
                (then (call $exit (local.get $errno))))
              (i32.load (i32.const 32)))
            ;; Writes the 4-letter name of `i` at 16 ("aaaa", "baaa", ...).
            (func $name (param $i i32)
              (local $k i32)
              (loop $digits
                (i32.store8 (i32.add (i32.const 16) (local.get $k))
                  (i32.add (i32.const 97)
                    (i32.and (i32.shr_u (local.get $i) (i32.mul (local.get $k) (i32.const 4)))
                      (i32.const 15))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br_if $digits (i32.lt_u (local.get $k) (i32.const 4)))))
            (func (export "_start") (local $fd i32) (local $errno i32) (local $i i32)
              {body}))"#
    );
    wat::parse_str(&wat).unwrap_or_else(|e| panic!("test module: {e}\n{wat}"))
}

/// Opens bomb.bin and appends 64 KiB until a write fails or 10,000 succeed; exits with the
/// failing errno.
pub const WRITE_BOMB: &str = r#"
    (local.set $fd (call $open_name (i32.const 8) (i32.const 9)))
    (loop $again
      (local.set $errno (call $write (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 56)))
      (if (i32.eqz (local.get $errno))
        (then
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $i) (i32.const 10000))))))
    (call $exit (local.get $errno))"#;
