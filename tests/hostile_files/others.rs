//! Issue 20, (6): the file-change summary is the guest's. Another program writing in a granted
//! folder while the run lasts is shown apart, never counted as the guest's writes.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Makes the folder `made`, writes "guest" to `made/out.txt` and `mine.txt` (opened through a
/// symlink the test put there, `link.txt`), renames `old` to `new` (a folder with a file in
/// it), then waits for stdin to end.
const WRITE_THEN_WAIT: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename"
    (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "made")
  (data (i32.const 110) "made/out.txt")
  (data (i32.const 130) "link.txt")
  (data (i32.const 140) "old")
  (data (i32.const 150) "new")
  (data (i32.const 160) "guest")
  ;; 200..208 an iovec for "guest"; 208..216 an iovec for reading stdin (into 1024..2048).
  (data (i32.const 200) "\a0\00\00\00\05\00\00\00\00\04\00\00\00\04\00\00")
  (func $check (param $errno i32)
    (if (local.get $errno) (then (call $exit (i32.add (i32.const 10) (local.get $errno))))))
  (func $create_and_write (param $path i32) (param $len i32)
    ;; oflags creat|trunc, rights fd_write
    (call $check (call $open (i32.const 3) (i32.const 1) (local.get $path) (local.get $len)
      (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 300)))
    (call $check (call $write (i32.load (i32.const 300)) (i32.const 200) (i32.const 1)
      (i32.const 304))))
  (func (export "_start")
    (call $check (call $mkdir (i32.const 3) (i32.const 100) (i32.const 4)))
    (call $create_and_write (i32.const 110) (i32.const 12))
    (call $create_and_write (i32.const 130) (i32.const 8))
    (call $check (call $rename (i32.const 3) (i32.const 140) (i32.const 3)
      (i32.const 3) (i32.const 150) (i32.const 3)))
    ;; Wait: read stdin until it ends.
    (loop $more
      (call $check (call $read (i32.const 0) (i32.const 208) (i32.const 1) (i32.const 304)))
      (br_if $more (i32.load (i32.const 304))))))"#;

#[test]
fn changes_by_another_program_during_the_run_are_shown_apart() {
    let temp = tempfile::tempdir().unwrap();
    let wasm = temp.path().join("write_then_wait.wasm");
    std::fs::write(&wasm, wat::parse_str(WRITE_THEN_WAIT).unwrap()).unwrap();
    let folder = temp.path().join("box");
    std::fs::create_dir_all(folder.join("old")).unwrap();
    std::fs::write(folder.join("old/kept.txt"), "old").unwrap();
    std::fs::write(folder.join("mine.txt"), "older").unwrap();
    std::os::unix::fs::symlink("mine.txt", folder.join("link.txt")).unwrap();
    let report = temp.path().join("report.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .arg("run")
        .arg(&wasm)
        .arg("--dir")
        .arg(format!("{}::/box", folder.display()))
        .arg("--stdin")
        .arg("-")
        .arg("--report")
        .arg(&report)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The guest has written once `new` exists; then another program writes beside it.
    let started = Instant::now();
    while !folder.join("new").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the guest never renamed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::write(folder.join("other.txt"), "someone else").unwrap();
    std::fs::write(folder.join("made/theirs.txt"), "someone else").unwrap();
    child.stdin.take().unwrap().write_all(b"done").unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let dir = &report["file_changes"][0];
    let paths = |key: &str| -> Vec<String> {
        dir[key]
            .as_array()
            .map(|changes| {
                changes
                    .iter()
                    .map(|c| format!("{} {}", c["kind"].as_str().unwrap(), c["path"]))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        paths("changes"),
        [
            "created \"made\"",
            "created \"made/out.txt\"",
            "modified \"mine.txt\"",
            "created \"new\"",
            "created \"new/kept.txt\"",
            "deleted \"old\"",
            "deleted \"old/kept.txt\"",
        ]
    );
    assert_eq!(
        paths("by_others"),
        ["created \"made/theirs.txt\"", "created \"other.txt\""]
    );
    // 5 bytes to out.txt, 5 to mine.txt (rewritten: counted whole), 3 moved with kept.txt.
    assert_eq!(dir["bytes_written"], 13);
    assert!(
        stderr.contains("2 changes by other programs meanwhile (not counted)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("changed meanwhile by another program") && stderr.contains("other.txt"),
        "{stderr}"
    );
}

/// Nothing else wrote: nothing is set apart (and the report has no `by_others` at all).
#[test]
fn a_guest_alone_in_its_folder_owns_every_change() {
    let temp = tempfile::tempdir().unwrap();
    let wasm = temp.path().join("write_then_wait.wasm");
    std::fs::write(&wasm, wat::parse_str(WRITE_THEN_WAIT).unwrap()).unwrap();
    let folder = temp.path().join("box");
    std::fs::create_dir_all(folder.join("old")).unwrap();
    std::fs::write(folder.join("mine.txt"), "").unwrap();
    std::os::unix::fs::symlink("mine.txt", folder.join("link.txt")).unwrap();
    let report = temp.path().join("report.json");
    let output = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .arg("run")
        .arg(&wasm)
        .arg("--dir")
        .arg(format!("{}::/box", folder.display()))
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(Path::new(&report)).unwrap()).unwrap();
    let dir = &report["file_changes"][0];
    assert_eq!(dir["changes"].as_array().unwrap().len(), 5, "{dir}");
    assert!(dir.get("by_others").is_none(), "{dir}");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("other program"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
