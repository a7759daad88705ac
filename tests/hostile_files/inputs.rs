//! Issue 30: every input read bounded, from regular files only; outputs never overwrite an
//! input nor write through a symlink; a scratch copy never copies itself.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{sample, text, wasmscope};

fn hello() -> String {
    sample("hello").display().to_string()
}

/// Makes a FIFO at `path` (nobody ever writes to it).
fn fifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(made.success());
}

/// Asserts that `out` is a clear refusal, quickly and without a guest: `(status, message)`.
fn refused(out: &Output, status: i32, message: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(status), "{stderr}");
    assert!(stderr.contains(message), "wanted {message:?} in: {stderr}");
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn an_endless_stream_is_never_a_module_a_recording_or_a_profile() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("pipe.wasm");
    fifo(&pipe);
    let pipe = pipe.display().to_string();
    let started = Instant::now();
    for file in ["/dev/zero", pipe.as_str()] {
        let what = if file == "/dev/zero" {
            "is a device, not a file"
        } else {
            "is a FIFO (named pipe), not a file"
        };
        refused(&wasmscope(&["run", file]), 126, what);
        refused(&wasmscope(&["inspect", file]), 126, what);
        refused(&wasmscope(&["compile", file]), 126, what);
        refused(&wasmscope(&["replay", file]), 126, what);
        refused(
            &wasmscope(&["run", "--profile", file, &hello()]),
            2,
            "not a regular file",
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "nothing waited on a stream"
    );
}

#[test]
fn a_huge_sparse_recording_is_refused_by_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.wstrace");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(8 << 30).unwrap();
    let out = wasmscope(&["replay", &big.display().to_string()]);
    refused(
        &out,
        126,
        "is 8.0 GiB: recordings above 1.0 GiB are refused",
    );
}

#[test]
fn a_lesson_file_that_is_a_device_is_skipped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("endless.toml")).unwrap();
    fifo(&dir.path().join("blocked.toml"));
    let lessons = wasmscope::engine::lessons::load_with_folder(Some(dir.path()));
    let mut errors: Vec<String> = lessons
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.file, e.message))
        .collect();
    errors.sort();
    assert_eq!(
        errors,
        [
            "blocked.toml: cannot be read: it is a FIFO (named pipe), not a regular file",
            "endless.toml: cannot be read: it is a device, not a regular file",
        ]
    );
    assert!(
        !lessons.lessons.is_empty(),
        "the shipped lessons are still there"
    );
}

#[test]
fn a_source_file_named_by_dwarf_that_never_ends_or_blocks_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("main.c");
    fifo(&pipe);
    let started = Instant::now();
    let zero = wasmscope::engine::debug::source_context("/dev/zero:3").unwrap();
    assert!(zero.lines.is_empty());
    assert_eq!(
        zero.note.as_deref(),
        Some("/dev/zero is not read: it is a device, not a regular file")
    );
    let blocked =
        wasmscope::engine::debug::source_context(&format!("{}:3", pipe.display())).unwrap();
    assert!(
        blocked
            .note
            .unwrap()
            .ends_with("it is a FIFO (named pipe), not a regular file"),
        "never waited on"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn an_output_that_is_the_module_is_refused_and_the_module_kept() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("hello.wat");
    std::fs::copy(sample("hello"), &module).unwrap();
    let before = std::fs::read(&module).unwrap();
    let path = module.display().to_string();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&module, &link).unwrap();
    let link = link.display().to_string();
    for flag in [
        "--record",
        "--report",
        "--html",
        "--coredump",
        "--profile-guest",
    ] {
        for output in [&path, &link] {
            let out = wasmscope(&["run", flag, output, &path]);
            refused(
                &out,
                2,
                &format!("{flag}: {output} is the module this command reads"),
            );
        }
    }
    let out = wasmscope(&["compile", &path, "-o", &path]);
    refused(&out, 2, "--output: ");
    assert!(text(&out.stderr).contains("is the module this command reads"));
    assert_eq!(
        std::fs::read(&module).unwrap(),
        before,
        "the module is intact"
    );
}

#[test]
fn an_output_at_a_symlink_replaces_the_link_and_keeps_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let precious = dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let report = dir.path().join("report.json");
    std::os::unix::fs::symlink(&precious, &report).unwrap();
    let out = wasmscope(&["run", "--report", &report.display().to_string(), &hello()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    assert!(!std::fs::symlink_metadata(&report).unwrap().is_symlink());
    let json = std::fs::read_to_string(&report).unwrap();
    assert!(json.contains("\"exited\""), "{json}");
    // Nothing left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn a_scratch_copy_of_the_folder_that_holds_the_scratch_area_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    // No home and no cache folder: scratch copies go under $TMPDIR, here inside the folder.
    let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args([
            "run",
            "--scratch-dir",
            &dir.path().display().to_string(),
            &hello(),
        ])
        .env_remove("HOME")
        .env_remove("XDG_CACHE_HOME")
        .env("TMPDIR", &tmp)
        .env("WASMSCOPE_NO_DISK_CACHE", "1")
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("holds wasmscope's scratch area"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "");
    let left: Vec<_> = walk(dir.path());
    assert!(left.len() < 10, "nothing copied: {left:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

#[test]
fn a_replay_of_a_run_that_timed_out_stops_at_the_recorded_limit_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("loop.wstrace");
    let recording = recording.display().to_string();
    let spin = sample("infinite_loop").display().to_string();
    let out = wasmscope(&["run", "--timeout", "3s", "--record", &recording, &spin]);
    assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
    // `--last-write` replays with ten times the recorded timeout (it instruments every
    // store): 30 s here, were the recorded limit not kept.
    let started = Instant::now();
    let out = wasmscope(&["replay", "--last-write", "0x10", &recording]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(124), "{stderr}");
    assert!(
        stderr.contains("the replay stops at the recorded limit (3000 ms)"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "ended near the recorded limit, not ten times later: {:?}",
        started.elapsed()
    );
}
