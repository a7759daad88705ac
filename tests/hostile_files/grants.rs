//! Issue 20, parts 2-4: grants of `/` (or a symlink to it) are refused unless
//! `--allow-host-dir`; scratch copies are private (`0700`) and never left behind, whether the
//! run is interrupted by a signal or its process is gone.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use wasmscope::engine::{DirGrant, RunOutcome, SandboxPolicy};

use crate::common::{run_wasm, sample};

/// Runs the binary with `HOME` and the cache directory inside `home` (so the scratch copies
/// and the home-directory rule are this test's own).
fn wasmscope_in(home: &Path, args: &[&str]) -> Output {
    command_in(home, args).output().unwrap()
}

fn command_in(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmscope"));
    command
        .args(args)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"));
    command
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn hello() -> String {
    sample("hello").display().to_string()
}

/// Where the binary puts scratch copies under `home`.
fn scratch_root(home: &Path) -> PathBuf {
    home.join("cache").join("wasmscope").join("scratch")
}

fn scratch_copies(home: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(scratch_root(home)) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn ro_dir_of_the_root_is_refused_with_the_reason_and_the_flag() {
    let home = tempfile::tempdir().unwrap();
    let out = wasmscope_in(home.path(), &["run", "--ro-dir", "/::/", &hello()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--ro-dir: / is the root of the file system"),
        "{stderr}"
    );
    assert!(
        stderr.contains("/proc/self/environ"),
        "says what it exposes: {stderr}"
    );
    assert!(
        stderr.contains("--allow-host-dir"),
        "names the flag: {stderr}"
    );
    assert_eq!(text(&out.stdout), "", "the guest never ran");
}

#[test]
fn a_symlink_to_the_root_is_the_root() {
    let home = tempfile::tempdir().unwrap();
    let link = home.path().join("innocent");
    symlink("/", &link).unwrap();
    let spec = format!("{}::/data", link.display());
    let out = wasmscope_in(home.path(), &["run", "--ro-dir", &spec, &hello()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("(it leads to /)"), "{stderr}");
    // `..` is resolved as well.
    let dotdot = format!("{}/../../../../../../..::/d", home.path().display());
    let out = wasmscope_in(home.path(), &["run", "--ro-dir", &dotdot, &hello()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn allow_host_dir_lets_the_grant_through() {
    let home = tempfile::tempdir().unwrap();
    let link = home.path().join("innocent");
    symlink("/proc", &link).unwrap();
    let spec = format!("{}::/data", link.display());
    for grant in ["/proc::/proc", spec.as_str()] {
        let args = ["run", "--allow-host-dir", "--ro-dir", grant, &hello()];
        let out = wasmscope_in(home.path(), &args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "Hello from the sandbox!\n");
    }
}

#[test]
fn the_home_directory_is_refused_read_write_and_accepted_read_only() {
    let home = tempfile::tempdir().unwrap();
    let home_text = home.path().display().to_string();
    let out = wasmscope_in(home.path(), &["run", "--dir", &home_text, &hello()]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is your home directory"), "{stderr}");
    // Read-only is not enough while the home directory holds wasmscope's own folders (its
    // key and its cache, there by default), even with --allow-host-dir.
    let hello_path = hello();
    for extra in [&[][..], &["--allow-host-dir"][..]] {
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        args.extend(["--ro-dir", home_text.as_str(), hello_path.as_str()]);
        let out = wasmscope_in(home.path(), &args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("wasmscope's key folder"), "{stderr}");
    }
    // With them elsewhere, a read-only home is accepted as before.
    let elsewhere = tempfile::tempdir().unwrap();
    let with_own_elsewhere = |flag| {
        command_in(home.path(), &["run", flag, &home_text, &hello()])
            .env("XDG_DATA_HOME", elsewhere.path().join("data"))
            .env("XDG_CACHE_HOME", elsewhere.path().join("cache"))
            .output()
            .unwrap()
    };
    let out = with_own_elsewhere("--dir");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("or make it read-only"), "{stderr}");
    let out = with_own_elsewhere("--ro-dir");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn the_engine_refuses_a_root_grant_from_any_face() {
    // A policy built by the window or a profile, without the user's consent, never runs.
    let policy = SandboxPolicy {
        dirs: vec![DirGrant::parse("/::/", true).unwrap()],
        ..SandboxPolicy::default()
    };
    let wasm = wat::parse_file(sample("hello")).unwrap();
    let ran = run_wasm("hello.wasm", wasm.clone(), policy.clone());
    let RunOutcome::Failed { error, .. } = &ran.report.outcome else {
        panic!("expected a refusal, got {:?}", ran.report.outcome);
    };
    assert!(error.contains("root of the file system"), "{error}");
    assert_eq!(ran.stdout, "");
    let allowed = SandboxPolicy {
        allow_host_dirs: true,
        ..policy
    };
    // `/` holds wasmscope's own folders: allowing host folders does not lift that.
    let ran = run_wasm("hello.wasm", wasm.clone(), allowed.clone());
    let RunOutcome::Failed { error, .. } = &ran.report.outcome else {
        panic!("expected a refusal, got {:?}", ran.report.outcome);
    };
    assert!(error.contains("even with --allow-host-dir"), "{error}");
    let proc = SandboxPolicy {
        dirs: vec![DirGrant::parse("/proc::/proc", true).unwrap()],
        ..allowed
    };
    let ran = run_wasm("hello.wasm", wasm, proc);
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
}

/// A command that spins until stopped (the epoch, or a signal, ends it).
const SPIN: &str = r#"(module
    (memory (export "memory") 1)
    (func (export "_start") (loop $l (br $l))))"#;

/// A command that blocks reading stdin, in a host call.
const READ_STDIN: &str = r#"(module
    (import "wasi_snapshot_preview1" "fd_read"
        (func $read (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 0) "\10\00\00\00\00\01\00\00")
    (func (export "_start")
        (loop $l
            (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
            (br_if $l (i32.load (i32.const 8))))))"#;

/// A folder only its owner may enter, with a subfolder that others could (inside it) and a
/// private file.
fn private_folder(home: &Path) -> PathBuf {
    let folder = home.join("private");
    std::fs::create_dir(&folder).unwrap();
    std::fs::create_dir(folder.join("inner")).unwrap();
    std::fs::set_permissions(folder.join("inner"), PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(folder.join("inner").join("secret"), "key").unwrap();
    std::fs::set_permissions(
        folder.join("inner").join("secret"),
        PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    std::fs::set_permissions(&folder, PermissionsExt::from_mode(0o700)).unwrap();
    folder
}

/// Starts `wasmscope run` of `wat` on a scratch copy of a private folder, with a report,
/// and waits until the copy is made. Returns the child, the copy and the report's path.
// The child is returned to the caller, which waits for it (`interrupt`).
#[allow(clippy::zombie_processes)]
fn start_run_on_a_scratch_copy(home: &Path, wat: &str) -> (Child, PathBuf, PathBuf) {
    let folder = private_folder(home);
    let guest = home.join("guest.wat");
    std::fs::write(&guest, wat).unwrap();
    let report = home.join("report.json");
    let spec = format!("{}::/data", folder.display());
    let child = command_in(
        home,
        &[
            "run",
            "--timeout",
            "60s",
            "--stdin",
            "-",
            "--scratch-dir",
            &spec,
            "--report",
            report.to_str().unwrap(),
            guest.to_str().unwrap(),
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let prefix = format!("wasmscope-scratch-{}-", child.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let copy = scratch_copies(home).into_iter().find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&prefix))
        });
        if let Some(copy) = copy
            && copy.join("inner").join("secret").exists()
        {
            return (child, copy, report);
        }
        if Instant::now() >= deadline {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
            panic!("no scratch copy appeared");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (a name for `kill`) and waits for the child, killing it if it hangs.
fn interrupt(mut child: Child, signal: &str) -> Output {
    // Give the signal handlers time to be in place after the copy appears.
    std::thread::sleep(Duration::from_millis(200));
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("wasmscope did not end after SIG{signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_cancelled_and_clean(home: &Path, out: &Output, report: &Path, signal: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "SIG{signal}: {stderr}");
    assert!(stderr.contains("cancelled"), "SIG{signal}: {stderr}");
    let report = std::fs::read_to_string(report).expect("the report is written");
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(json["outcome"], "cancelled", "{report}");
    assert_eq!(scratch_copies(home), Vec::<PathBuf>::new(), "SIG{signal}");
}

#[test]
fn scratch_copies_are_private_while_the_run_lasts() {
    let home = tempfile::tempdir().unwrap();
    let (child, copy, report) = start_run_on_a_scratch_copy(home.path(), SPIN);
    assert_eq!(mode(&scratch_root(home.path())), 0o700);
    assert_eq!(mode(&copy), 0o700);
    assert_eq!(
        mode(&copy.join("inner")),
        0o700,
        "subfolders are private too"
    );
    assert_eq!(
        mode(&copy.join("inner").join("secret")),
        0o640,
        "files keep their mode"
    );
    let out = interrupt(child, "INT");
    assert_cancelled_and_clean(home.path(), &out, &report, "INT");
}

#[test]
fn sigterm_cancels_the_run_writes_the_report_and_removes_the_copy() {
    let home = tempfile::tempdir().unwrap();
    let (child, _, report) = start_run_on_a_scratch_copy(home.path(), SPIN);
    let out = interrupt(child, "TERM");
    assert_cancelled_and_clean(home.path(), &out, &report, "TERM");
}

#[test]
fn sighup_during_a_blocking_read_still_ends_cancelled_and_clean() {
    // The guest waits in a host call on a stdin that never closes.
    let home = tempfile::tempdir().unwrap();
    let (child, _, report) = start_run_on_a_scratch_copy(home.path(), READ_STDIN);
    let out = interrupt(child, "HUP");
    assert_cancelled_and_clean(home.path(), &out, &report, "HUP");
}

#[test]
fn a_start_sweeps_copies_of_gone_processes_and_keeps_live_ones() {
    let home = tempfile::tempdir().unwrap();
    let root = scratch_root(home.path());
    std::fs::create_dir_all(&root).unwrap();
    // A process that has ended (and been reaped): its id names no process now.
    let mut gone = Command::new("true").spawn().unwrap();
    gone.wait().unwrap();
    let stale = root.join(format!("wasmscope-scratch-{}-AbCdEf", gone.id()));
    let live = root.join(format!("wasmscope-scratch-{}-GhIjKl", std::process::id()));
    for dir in [&stale, &live] {
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub").join("file"), "data").unwrap();
    }
    let out = wasmscope_in(home.path(), &["inspect", &hello()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!stale.exists(), "a copy of a gone process is removed");
    assert!(
        live.join("sub").join("file").exists(),
        "a live process's copy is kept"
    );
}
