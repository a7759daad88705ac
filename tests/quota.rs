//! The disk quota on read-write folders, as a user sees it: a write bomb or a file-creation
//! bomb is answered `nospc` at the quota and the guest goes on; rewriting in place, or making
//! and removing temporary files, is never refused; the report and the CLI say what happened.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::path::Path;
use std::process::Command;

use common::guests::{WRITE_BOMB, guest};
use common::run_wasm;
use wasmscope::engine::sandbox::shim::quota::{DiskUsage, QuotaKind};
use wasmscope::engine::{DirGrant, RunOutcome, SandboxPolicy};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;
/// Each bomb write is this big (one wasm page).
const WRITE_BYTES: u64 = 64 * KIB;
/// `nospc`, what a full disk answers.
const NOSPC: i32 = 51;

fn policy(folder: &Path, max_disk_bytes: u64, max_files: u64) -> SandboxPolicy {
    SandboxPolicy {
        dirs: vec![DirGrant {
            host_path: folder.to_owned(),
            guest_path: "/data".to_owned(),
            read_only: false,
            scratch: false,
        }],
        max_disk_bytes,
        max_files,
        timeout_ms: Some(20_000),
        ..SandboxPolicy::default()
    }
}

fn exit_code(outcome: &RunOutcome) -> i32 {
    match outcome {
        RunOutcome::Exited { code } => *code,
        other => panic!("expected an exit, got {other:?}"),
    }
}

fn disk(report: &wasmscope::engine::RunReport) -> &DiskUsage {
    report
        .disk
        .as_ref()
        .expect("a core module's report has `disk`")
}

fn folder_bytes(folder: &Path) -> u64 {
    std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().metadata().unwrap().len())
        .sum()
}

#[test]
fn a_write_bomb_stops_at_the_disk_quota_and_the_guest_goes_on() {
    for wasi in ["wasi_snapshot_preview1", "wasi_unstable"] {
        let folder = tempfile::tempdir().unwrap();
        let ran = run_wasm(
            "write_bomb.wasm",
            guest(wasi, WRITE_BOMB),
            policy(folder.path(), MIB, 100),
        );
        // The guest saw `nospc` from fd_write and exited with it: it went on after the refusal.
        assert_eq!(exit_code(&ran.report.outcome), NOSPC, "{wasi}");
        let on_disk = folder_bytes(folder.path());
        assert!(
            on_disk <= MIB + WRITE_BYTES,
            "{wasi}: {on_disk} bytes on disk"
        );
        assert!(
            on_disk >= MIB - WRITE_BYTES,
            "{wasi}: only {on_disk} bytes written"
        );
        let disk = disk(&ran.report);
        assert_eq!(disk.bytes_added, on_disk, "{wasi}");
        assert_eq!(disk.files_created, 1, "{wasi}");
        assert_eq!(disk.refused, 1, "{wasi}");
        let first = disk.first_refused.as_ref().unwrap();
        assert_eq!(first.kind, QuotaKind::Bytes);
        assert_eq!(first.call, "fd_write on /data/bomb.bin", "{wasi}");
        let explanation = disk.explanation().unwrap();
        assert!(
            explanation
                .starts_with("disk quota reached: the guest tried to write past 1 MiB in /data"),
            "{explanation}"
        );
    }
}

#[test]
fn the_call_log_names_the_refused_write() {
    let folder = tempfile::tempdir().unwrap();
    let mut policy = policy(folder.path(), 256 * KIB, 100);
    policy.log_calls = true;
    let ran = run_wasm(
        "write_bomb.wasm",
        guest("wasi_snapshot_preview1", WRITE_BOMB),
        policy,
    );
    assert_eq!(exit_code(&ran.report.outcome), NOSPC);
    assert_eq!(folder_bytes(folder.path()), 256 * KIB);
    let denial = ran
        .report
        .denials
        .iter()
        .find(|call| call.function == "fd_write")
        .expect("the refused write is a denial in the call log");
    assert_eq!(denial.result, "nospc");
    assert!(
        denial
            .denial
            .as_deref()
            .unwrap()
            .contains("disk quota reached"),
        "{denial:?}"
    );
}

#[test]
fn a_file_creation_bomb_stops_at_the_file_cap() {
    let folder = tempfile::tempdir().unwrap();
    // Create files aaaa, baaa, ... (closing each) until one fails; then try a directory too.
    let body = r#"
        (loop $again
          (call $name (local.get $i))
          (local.set $errno (call $open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 4)
            (i32.const 1) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 32)))
          (if (i32.eqz (local.get $errno))
            (then
              (drop (call $close (i32.load (i32.const 32))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))))
        (call $name (i32.const 4000))
        (if (i32.ne (call $mkdir (i32.const 3) (i32.const 16) (i32.const 4)) (i32.const 51))
          (then (call $exit (i32.const 2))))
        (call $exit (local.get $errno))"#;
    let ran = run_wasm(
        "file_bomb.wasm",
        guest("wasi_snapshot_preview1", body),
        policy(folder.path(), MIB, 50),
    );
    // Both the 51st file and the directory after it were refused with nospc.
    assert_eq!(exit_code(&ran.report.outcome), NOSPC);
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 50);
    let disk = disk(&ran.report);
    assert_eq!(
        (disk.files_created, disk.bytes_added, disk.refused),
        (50, 0, 2)
    );
    let first = disk.first_refused.as_ref().unwrap();
    assert_eq!(first.kind, QuotaKind::Files);
    assert_eq!(first.call, "path_open on /data/cdaa");
    assert!(
        disk.explanation()
            .unwrap()
            .contains("tried to create more than 50 files and directories in /data"),
        "{disk:?}"
    );
}

#[test]
fn rewriting_one_file_in_place_many_times_is_not_refused() {
    let folder = tempfile::tempdir().unwrap();
    // 200 times: reopen bomb.bin truncated and write 64 KiB, then overwrite it with pwrite at
    // 0. 25 MiB written in all under a 1 MiB quota; the file never holds more than 64 KiB.
    let body = r#"
        (loop $again
          (local.set $fd (call $open_name (i32.const 8) (i32.const 9)))
          (local.set $errno (call $write (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 56)))
          (if (local.get $errno) (then (call $exit (local.get $errno))))
          (local.set $errno (call $pwrite (local.get $fd) (i32.const 48) (i32.const 1) (i64.const 0) (i32.const 56)))
          (if (local.get $errno) (then (call $exit (i32.const 3))))
          (drop (call $close (local.get $fd)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $i) (i32.const 200))))
        (call $exit (i32.const 0))"#;
    let ran = run_wasm(
        "rewrite.wasm",
        guest("wasi_snapshot_preview1", body),
        policy(folder.path(), MIB, 100),
    );
    assert_eq!(exit_code(&ran.report.outcome), 0);
    assert_eq!(folder_bytes(folder.path()), WRITE_BYTES);
    let disk = disk(&ran.report);
    assert_eq!(
        (disk.bytes_added, disk.files_created, disk.refused),
        (WRITE_BYTES, 1, 0)
    );
    assert_eq!(disk.explanation(), None);
}

#[test]
fn temporary_files_removed_again_free_their_quota() {
    let folder = tempfile::tempdir().unwrap();
    // 100 times: create a file, write 64 KiB, close and delete it; quotas of 5 files and
    // 256 KiB would stop the fifth file if deletions freed nothing.
    let body = r#"
        (loop $again
          (local.set $fd (call $open_name (i32.const 8) (i32.const 1)))
          (local.set $errno (call $write (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 56)))
          (if (local.get $errno) (then (call $exit (local.get $errno))))
          (drop (call $close (local.get $fd)))
          (local.set $errno (call $unlink (i32.const 3) (i32.const 16) (i32.const 8)))
          (if (local.get $errno) (then (call $exit (i32.const 4))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $again (i32.lt_u (local.get $i) (i32.const 100))))
        (call $exit (i32.const 0))"#;
    let ran = run_wasm(
        "tempfiles.wasm",
        guest("wasi_snapshot_preview1", body),
        policy(folder.path(), 256 * KIB, 5),
    );
    assert_eq!(exit_code(&ran.report.outcome), 0);
    let disk = disk(&ran.report);
    assert_eq!(
        (disk.bytes_added, disk.files_created, disk.refused),
        (0, 0, 0)
    );
}

#[test]
fn a_deleted_file_still_open_frees_nothing() {
    let folder = tempfile::tempdir().unwrap();
    // Write 192 KiB, delete the file but keep it open, then write on: the blocks are still on
    // the disk, so the 256 KiB quota stops the second 64 KiB write after the delete.
    let body = r#"
        (local.set $fd (call $open_name (i32.const 8) (i32.const 1)))
        (loop $fill
          (local.set $errno (call $write (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 56)))
          (if (local.get $errno) (then (call $exit (local.get $errno))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $fill (i32.lt_u (local.get $i) (i32.const 3))))
        (local.set $errno (call $unlink (i32.const 3) (i32.const 16) (i32.const 8)))
        (if (local.get $errno) (then (call $exit (i32.const 5))))
        (drop (call $write (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 56)))
        (call $exit (call $write (local.get $fd) (i32.const 48) (i32.const 1) (i32.const 56)))"#;
    let ran = run_wasm(
        "unlinked.wasm",
        guest("wasi_snapshot_preview1", body),
        policy(folder.path(), 256 * KIB, 100),
    );
    assert_eq!(exit_code(&ran.report.outcome), NOSPC);
    assert_eq!(disk(&ran.report).refused, 1);
}

#[test]
fn read_only_and_unwritten_folders_report_zero() {
    let folder = tempfile::tempdir().unwrap();
    std::fs::write(folder.path().join("bomb.bin"), b"existing").unwrap();
    // Read-only: opening for writing is refused by the sandbox itself, not by the quota.
    let mut read_only = policy(folder.path(), MIB, 100);
    read_only.dirs[0].read_only = true;
    let ran = run_wasm(
        "write_bomb.wasm",
        guest("wasi_snapshot_preview1", WRITE_BOMB),
        read_only,
    );
    // acces, perm, rofs or notcapable from path_open: not nospc, the quota did nothing.
    let code = exit_code(&ran.report.outcome);
    assert!([2, 63, 69, 76].contains(&code), "{:?}", ran.report.outcome);
    assert_eq!(
        disk(&ran.report),
        &DiskUsage {
            max_bytes: MIB,
            max_files: 100,
            ..DiskUsage::default()
        }
    );
    // Read-write but never written.
    let ran = run_wasm(
        "idle.wasm",
        guest("wasi_snapshot_preview1", "(call $exit (i32.const 0))"),
        policy(folder.path(), MIB, 100),
    );
    assert_eq!(exit_code(&ran.report.outcome), 0);
    let disk = disk(&ran.report);
    assert_eq!(
        (disk.bytes_added, disk.files_created, disk.refused),
        (0, 0, 0)
    );
    assert_eq!(
        std::fs::read(folder.path().join("bomb.bin")).unwrap(),
        b"existing"
    );
}

#[test]
fn a_scratch_copy_counts_the_same_and_the_real_folder_stays_untouched() {
    let folder = tempfile::tempdir().unwrap();
    let mut policy = policy(folder.path(), 512 * KIB, 100);
    policy.dirs[0].scratch = true;
    let ran = run_wasm(
        "write_bomb.wasm",
        guest("wasi_snapshot_preview1", WRITE_BOMB),
        policy,
    );
    assert_eq!(exit_code(&ran.report.outcome), NOSPC);
    let disk = disk(&ran.report);
    assert_eq!((disk.bytes_added, disk.refused), (512 * KIB, 1));
    assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
}

#[test]
fn the_cli_explains_the_quota_and_the_report_has_disk() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let module = work.path().join("write_bomb.wasm");
    std::fs::write(&module, guest("wasi_snapshot_preview1", WRITE_BOMB)).unwrap();
    let report = work.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(["run", "--max-disk", "1MiB", "--max-files", "10", "--dir"])
        .arg(format!("{}::/data", data.display()))
        .arg("--report")
        .arg(&report)
        .arg(&module)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(NOSPC), "{stderr}");
    assert!(
        stderr.contains(
            "wasmscope: disk quota reached: the guest tried to write past 1 MiB in /data \
             (first refused call: fd_write on /data/bomb.bin, answered `nospc (51)` as by a \
             full disk"
        ),
        "{stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["disk"]["bytes_added"], MIB);
    assert_eq!(json["disk"]["files_created"], 1);
    assert_eq!(json["disk"]["refused"], 1);
    assert_eq!(json["disk"]["max_files"], 10);

    // A bad size is a usage error that names the flag.
    let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(["run", "--max-disk", "lots"])
        .arg(&module)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-disk"));
}

#[test]
fn profiles_hold_the_disk_quota_and_copy_as_command_keeps_it() {
    use wasmscope::engine::export::copy_as::{self, Runtime};
    use wasmscope::engine::export::profile;
    let loaded = profile::from_toml("max_disk = \"100 MiB\"\nmax_files = 500\n").unwrap();
    let policy = &loaded.policy;
    assert_eq!((policy.max_disk_bytes, policy.max_files), (100 * MIB, 500));
    let text = profile::to_toml(&loaded);
    assert!(text.contains("max_disk = \"100 MiB\""), "{text}");
    assert_eq!(profile::from_toml(&text).unwrap(), loaded);
    let command =
        copy_as::command_line(Runtime::Wasmscope, policy, &loaded.invocation, "app.wasm").command;
    assert_eq!(
        command,
        "wasmscope run --max-disk 100MiB --max-files 500 app.wasm"
    );
    let err = profile::from_toml("max_disk = \"lots\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("max_disk"), "{err}");
}
