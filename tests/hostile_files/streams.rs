//! The guest's stdin is read as the guest reads it: a huge file costs no memory, an endless
//! one ends at the timeout. And a `--report` that cannot be written is found before the run.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Reads stdin to its end in 64 KiB reads and writes the byte count to stdout as 8 bytes,
/// little-endian; with `errno` as exit code if a read fails.
const COUNT_STDIN: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  ;; 0..8 iovec for reads (the second page), 8..12 bytes read, 16..24 the count,
  ;; 24..32 iovec for the count, 32..36 bytes written.
  (data (i32.const 0) "\00\00\01\00\00\00\01\00")
  (data (i32.const 24) "\10\00\00\00\08\00\00\00")
  (func (export "_start") (local $errno i32)
    (loop $more
      (local.set $errno (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
      (if (local.get $errno) (then (call $exit (local.get $errno))))
      (i64.store (i32.const 16)
        (i64.add (i64.load (i32.const 16)) (i64.extend_i32_u (i32.load (i32.const 8)))))
      (br_if $more (i32.load (i32.const 8))))
    (drop (call $write (i32.const 1) (i32.const 24) (i32.const 1) (i32.const 32)))))"#;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_guest(dir: &Path) -> String {
    let path = dir.join("count_stdin.wasm");
    std::fs::write(&path, wat::parse_str(COUNT_STDIN).unwrap()).unwrap();
    path.display().to_string()
}

/// The peak resident memory of a running process, from `/proc/PID/status` (`VmHWM`), in bytes.
fn peak_rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Runs `wasmscope` with `args`, watching its peak resident memory until it ends (the last
/// reading before it exits: the peak only grows).
fn run_watching_memory(args: &[&str]) -> (Output, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // The pipes are small: read them on threads so the child never blocks on them.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).unwrap();
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut bytes).unwrap();
        bytes
    });
    let mut peak = 0;
    let status = loop {
        if let Some(bytes) = peak_rss_bytes(pid) {
            peak = peak.max(bytes);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (output, peak)
}

/// Regression (#20, item 5): `--stdin FILE` read the whole file before the run (a 2 GB file
/// cost 4.2 GB of memory). A 1 GiB sparse file, read to its end by the guest, now costs less
/// than 100 MiB, and every byte arrives.
#[test]
fn a_one_gib_stdin_is_read_to_the_end_in_bounded_memory() {
    const GIB: u64 = 1 << 30;
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    std::fs::File::create(&big).unwrap().set_len(GIB).unwrap();
    let guest = write_guest(dir.path());
    let (out, peak) = run_watching_memory(&[
        "run",
        "--timeout",
        "0",
        "--stdin",
        big.to_str().unwrap(),
        &guest,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let count = u64::from_le_bytes(out.stdout[..8].try_into().unwrap());
    assert_eq!(count, GIB, "the guest read every byte");
    assert!(peak > 0, "the child's memory was read");
    assert!(
        peak < 100 << 20,
        "peak resident memory {} MiB for a 1 GiB stdin",
        peak >> 20
    );
}

/// Regression (#20, item 5): `--stdin /dev/zero` grew until the machine ran out of memory,
/// and the timeout did not apply while it was read. Now the guest reads it as it goes, and
/// the timeout ends the run.
#[test]
fn an_endless_stdin_ends_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let guest = write_guest(dir.path());
    let (out, peak) =
        run_watching_memory(&["run", "--timeout", "1s", "--stdin", "/dev/zero", &guest]);
    assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("timed out"),
        "{}",
        text(&out.stderr)
    );
    assert!(peak < 100 << 20, "peak resident memory {} MiB", peak >> 20);
}

/// A guest blocked reading a stdin that never sends anything (a pipe nobody writes) still
/// stops at the timeout: the wait is the run's, not the host's.
#[test]
fn a_guest_waiting_on_a_silent_stdin_ends_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let guest = write_guest(dir.path());
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(["run", "--timeout", "1s", "--stdin", "-", &guest])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep the pipe open (and silent) while the run lasts.
    let _silent = child.stdin.take().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
}

/// Regression (#20, item 6): a `--report` that could not be written was found only after
/// the run, and the exit status stayed the guest's. Now an unwritable path is a usage error
/// before the guest runs, and a write that fails afterwards changes the status.
#[test]
fn an_unwritable_report_is_refused_before_the_run_and_a_failed_write_fails_it() {
    let dir = tempfile::tempdir().unwrap();
    let hello = crate::common::sample("hello").display().to_string();
    let missing = dir.path().join("no such folder").join("report.json");
    for report in [missing.as_path(), dir.path()] {
        let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
            .args(["run", "--report", report.to_str().unwrap(), &hello])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("--report: cannot write"),
            "{}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "the guest never ran");
    }
    // /dev/full opens for writing, then refuses every byte: the guest runs, the report fails.
    if Path::new("/dev/full").exists() {
        let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
            .args(["run", "--report", "/dev/full", &hello])
            .output()
            .unwrap();
        assert_eq!(text(&out.stdout), "Hello from the sandbox!\n");
        assert!(
            text(&out.stderr).contains("cannot write the report"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
    }
}
