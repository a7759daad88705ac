//! The call log tells the truth (issue #13, item 3): rights and flags from the call's real
//! arguments, categories from what the descriptor is, refusals only for what the sandbox
//! refused, and a total that counts every refusal, with the log on or off.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::process::Command;

use common::{run_sample, run_wasm, sample};
use wasmscope::engine::outcome::MAX_RECORDED_DENIALS;
use wasmscope::engine::sandbox::shim::calllog::CallRecord;
use wasmscope::engine::{Capability, DirGrant, SandboxPolicy};

fn granted(dir: &std::path::Path, read_only: bool, log_calls: bool) -> SandboxPolicy {
    SandboxPolicy {
        dirs: vec![DirGrant {
            host_path: dir.to_owned(),
            guest_path: "/data".into(),
            read_only,
            scratch: false,
        }],
        log_calls,
        ..SandboxPolicy::default()
    }
}

fn calls<'a>(report: &'a wasmscope::engine::RunReport, function: &str) -> Vec<&'a CallRecord> {
    report
        .calls
        .iter()
        .filter(|c| c.function == function)
        .collect()
}

#[test]
fn a_read_only_open_says_read_and_reading_a_file_is_file_access() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hi from the host\n").unwrap();
    let ran = run_sample("read_file", granted(dir.path(), true, true));
    assert_eq!(ran.report.exit_code, Some(0), "{}", ran.stderr);
    let open = calls(&ran.report, "path_open");
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0].args.ends_with("[read]"), "{}", open[0].args);
    assert!(open[0].denial.is_none());
    // Reading the opened file is files; writing what was read to stdout is stdio.
    let reads = calls(&ran.report, "fd_read");
    assert!(!reads.is_empty());
    assert!(
        reads.iter().all(|c| c.capability == Capability::Filesystem),
        "{reads:?}"
    );
    let writes = calls(&ran.report, "fd_write");
    assert!(
        writes.iter().all(|c| c.capability == Capability::Stdio),
        "{writes:?}"
    );
    assert!(ran.report.denials.is_empty(), "{:?}", ran.report.denials);
    assert_eq!(ran.report.denials_total, 0);
}

#[test]
fn a_write_open_names_write_create_and_truncate() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_sample("write_file", granted(dir.path(), false, true));
    assert_eq!(ran.report.exit_code, Some(0), "{}", ran.stderr);
    let open = calls(&ran.report, "path_open");
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0].args.contains("write"), "{}", open[0].args);
    assert!(open[0].args.contains("create"), "{}", open[0].args);
    assert!(!open[0].args.contains("read"), "{}", open[0].args);
}

#[test]
fn empty_grants_and_the_preopen_scan_are_not_refusals() {
    // args_env asks for its environment (empty) and arguments (none); nothing is refused.
    let ran = run_sample(
        "args_env",
        SandboxPolicy {
            log_calls: true,
            ..SandboxPolicy::default()
        },
    );
    assert!(
        ran.report
            .calls
            .iter()
            .any(|c| c.function == "environ_sizes_get"),
        "{:?}",
        ran.report.calls
    );
    assert!(ran.report.denials.is_empty(), "{:?}", ran.report.denials);
    assert_eq!(ran.report.denials_total, 0);
}

/// Calls `path_open(3, "../x")` COUNT times: each is refused (outside the preopen).
fn escape_loop(count: u32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "wasi_snapshot_preview1" "path_open"
            (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "../x")
          (func (export "_start") (local $i i32)
            (loop $again
              (drop (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 4)
                                (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0)
                                (i32.const 64)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const {count}))))))"#
    ))
    .unwrap()
}

#[test]
fn the_refusal_total_counts_past_the_recorded_ones() {
    let dir = tempfile::tempdir().unwrap();
    let count = MAX_RECORDED_DENIALS as u64 + 50;
    let ran = run_wasm(
        "escape_loop.wat",
        escape_loop(count as u32),
        granted(dir.path(), true, true),
    );
    assert_eq!(ran.report.exit_code, Some(0), "{}", ran.stderr);
    assert_eq!(ran.report.denials.len(), MAX_RECORDED_DENIALS);
    assert_eq!(ran.report.denials_total, count);
    let json: serde_json::Value = serde_json::from_str(&ran.report.to_json()).unwrap();
    assert_eq!(json["denials_total"], count);
}

#[test]
fn with_the_log_off_refusals_are_still_counted() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_wasm(
        "escape_loop.wat",
        escape_loop(3),
        granted(dir.path(), true, false),
    );
    // Issue #34: the refused calls are kept (and so shown) with the call log off.
    assert!(ran.report.calls.is_empty());
    assert_eq!(ran.report.denials.len(), 3);
    assert_eq!(ran.report.denials_total, 3);
    assert_eq!(ran.report.unlisted_denials(), None);
}

#[test]
fn the_cli_says_refusals_happened_when_the_log_is_off() {
    // read_file with no folder: its open is refused; the guest reports it and exits 1, and
    // "exit code 1" alone would not say that the sandbox refused something.
    let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .arg("run")
        .arg(sample("read_file"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "1 WASI call was refused by the sandbox; run with --log-calls to see every call"
        ),
        "{stderr}"
    );
    // And which one, with why, as the call log would have said it.
    assert!(
        stderr.contains("wasmscope: [files] path_open(") && stderr.contains("DENIED: "),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .arg("run")
        .arg(sample("hello"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("refused"));
}

/// Issue #23: a refusal carries both paths and the errno by number; the one step the sandbox
/// allows on the way out (a link pointing outside) is marked, and so is following it.
#[test]
fn escape_attempts_name_host_paths_and_mark_the_link_that_points_out() {
    let class = tempfile::tempdir().unwrap();
    let granted = class.path().join("box");
    std::fs::create_dir(&granted).unwrap();
    let mut policy = granted_policy(&granted);
    policy.dirs[0].guest_path = "/box".into();
    let ran = run_sample("escape_attempts", policy);
    assert_eq!(ran.report.exit_code, Some(0), "{}", ran.stdout);
    let up = ran
        .report
        .denials
        .iter()
        .find(|c| c.args.contains("path=\"../etc/passwd\""))
        .unwrap();
    assert_eq!(up.result_text(), "perm (63)");
    let paths = up.paths.as_ref().unwrap();
    assert_eq!(paths.guest, "../etc/passwd");
    assert_eq!(paths.guest_dir, "/box");
    assert_eq!(paths.host, format!("{}/etc/passwd", class.path().display()));
    assert!(!paths.inside);
    let link = calls(&ran.report, "path_symlink")
        .into_iter()
        .find(|c| c.errno == Some(0))
        .unwrap();
    assert!(
        link.prepares_escape
            .as_deref()
            .is_some_and(|n| n.starts_with("allowed here, refused when followed")),
        "{link:?}"
    );
    let followed = ran
        .report
        .denials
        .iter()
        .find(|c| c.args.contains("rel_out/etc/passwd"))
        .unwrap();
    assert!(
        followed
            .denial
            .as_deref()
            .is_some_and(|d| d.contains("goes through a link this run made")),
        "{followed:?}"
    );
    // Only the outward link is marked: no allowed call inside the folder is.
    assert_eq!(
        ran.report
            .calls
            .iter()
            .filter(|c| c.prepares_escape.is_some())
            .count(),
        1
    );
}

fn granted_policy(dir: &std::path::Path) -> SandboxPolicy {
    granted(dir, false, true)
}
