//! Issue 30: wasmscope's own files. A guest must never plant native code through the
//! compiled-code cache, nor read or replace the key that vouches for precompiled code; every
//! grant form that would reach them is refused, even with `--allow-host-dir`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const HELLO: &str = "Hello from the sandbox!\n";

/// A user of their own: `HOME`, data (the key) and cache folders inside `home`.
fn wasmscope_as(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("WASMSCOPE_NO_DISK_CACHE")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code_dir(home: &Path) -> PathBuf {
    home.join("cache").join("wasmscope").join("code")
}

fn entries(home: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(code_dir(home))
        .map(|e| e.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.extension().is_some_and(|e| e == "code"));
    found.sort();
    found
}

fn write_wat(dir: &Path, name: &str, wat: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, wat).unwrap();
    path.display().to_string()
}

/// A module that exits 77: what a planted entry would run instead of the module asked for.
const EXIT_77: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") i32.const 77 call $exit))"#;

#[test]
fn a_cache_entry_moved_to_another_modules_name_is_never_loaded() {
    let home = tempfile::tempdir().unwrap();
    let hello = crate::common::sample("hello").display().to_string();
    let other = write_wat(home.path(), "exit77.wat", EXIT_77);

    let first = wasmscope_as(home.path(), &["run", &hello]);
    assert_eq!(text(&first.stdout), HELLO, "{}", text(&first.stderr));
    let hello_entries = entries(home.path());
    assert!(!hello_entries.is_empty(), "the run kept its code");
    let ran = wasmscope_as(home.path(), &["run", &other]);
    assert_eq!(ran.status.code(), Some(77));
    let other_entry = entries(home.path())
        .into_iter()
        .find(|p| !hello_entries.contains(p))
        .unwrap();

    // What a guest with write access to the cache would do: put code wasmscope really
    // compiled (for another module) where the next run of hello looks.
    for entry in &hello_entries {
        std::fs::copy(&other_entry, entry).unwrap();
    }
    let second = wasmscope_as(home.path(), &["run", &hello]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    assert_eq!(
        text(&second.stdout),
        HELLO,
        "hello ran, not the planted code"
    );

    // And native code without wasmscope's tag at all.
    let mut planted = b"wasmscope-code-1".to_vec();
    planted.extend_from_slice(&[0u8; 32]);
    planted.extend_from_slice(&std::fs::read(&other_entry).unwrap()[48..]);
    for entry in &hello_entries {
        std::fs::write(entry, &planted).unwrap();
    }
    let third = wasmscope_as(home.path(), &["run", &hello]);
    assert_eq!(text(&third.stdout), HELLO, "{}", text(&third.stderr));
    for entry in &hello_entries {
        assert_ne!(
            std::fs::read(entry).unwrap_or_default(),
            planted,
            "the forged entry was deleted (and hello's own code kept again)"
        );
    }
}

#[test]
fn the_cache_and_key_folders_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let home = tempfile::tempdir().unwrap();
    let hello = crate::common::sample("hello").display().to_string();
    let out = wasmscope_as(home.path(), &["run", &hello]);
    assert_eq!(out.status.code(), Some(0));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&code_dir(home.path())), 0o700);
    for entry in entries(home.path()) {
        assert_eq!(mode(&entry), 0o600, "{}", entry.display());
    }
    let key = home
        .path()
        .join("data")
        .join("wasmscope")
        .join("precompiled.key");
    assert_eq!(mode(&key), 0o600);
}

/// Every command-line and profile form of a grant that reaches the key or the cache.
#[test]
fn grants_that_reach_the_key_or_the_cache_are_refused_even_with_allow_host_dir() {
    let home = tempfile::tempdir().unwrap();
    let hello = crate::common::sample("hello").display().to_string();
    // Made on the first run.
    assert_eq!(
        wasmscope_as(home.path(), &["run", &hello]).status.code(),
        Some(0)
    );
    let data = home.path().join("data");
    let key_dir = data.join("wasmscope");
    let cache = home.path().join("cache");
    let d = |p: &Path| p.display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--ro-dir".into(), d(&key_dir)],
            "wasmscope's key folder",
        ),
        (vec!["--dir".into(), d(&data)], "wasmscope's key folder"),
        (
            vec!["--ro-dir".into(), d(home.path())],
            "wasmscope's key folder",
        ),
        (
            vec!["--dir".into(), format!("{}::/c", d(&cache))],
            "wasmscope's compiled-code cache",
        ),
        (
            vec!["--ro-dir".into(), d(&code_dir(home.path()))],
            "wasmscope's compiled-code cache",
        ),
        (
            vec!["--scratch-dir".into(), d(&cache.join("wasmscope"))],
            "wasmscope's compiled-code cache",
        ),
        (
            vec!["--ro-dir".into(), "/".into()],
            "wasmscope's key folder",
        ),
    ];
    for (flags, names) in cases {
        for allow in [false, true] {
            let mut args = vec!["run".to_owned()];
            if allow {
                args.push("--allow-host-dir".into());
            }
            args.extend(flags.iter().cloned());
            args.push(hello.clone());
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = wasmscope_as(home.path(), &args);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(names), "{args:?}: {stderr}");
            assert!(
                stderr.contains("refuses this grant even with --allow-host-dir"),
                "{args:?}: {stderr}"
            );
            assert_eq!(text(&out.stdout), "", "{args:?}: the guest never ran");
        }
    }
    // A profile's grant, with the folder named.
    let profile = home.path().join("sandbox.toml");
    std::fs::write(
        &profile,
        format!("[[dir]]\nhost = \"{}\"\nread_only = true\n", d(&key_dir)),
    )
    .unwrap();
    let out = wasmscope_as(
        home.path(),
        &["run", "--allow-host-dir", "--profile", &d(&profile), &hello],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&d(&key_dir)), "names the folder: {stderr}");
    // A folder beside them is still fine.
    let beside = home.path().join("project");
    std::fs::create_dir(&beside).unwrap();
    let out = wasmscope_as(home.path(), &["run", "--dir", &d(&beside), &hello]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// The engine's own check, on the folder the run opens: what the window, a DAP launch and
/// every other face of a run end in, whatever they checked before.
#[test]
fn the_run_itself_refuses_the_key_folder_whatever_the_policy_allows() {
    let keys = crate::common::process_key_dir();
    let mut policy = wasmscope::engine::SandboxPolicy {
        allow_host_dirs: true,
        ..Default::default()
    };
    policy.dirs.push(wasmscope::engine::DirGrant {
        host_path: keys.to_path_buf(),
        guest_path: "/k".into(),
        read_only: true,
        scratch: false,
    });
    let ran = crate::common::run_sample("hello", policy);
    let error = format!("{:?}", ran.report.outcome);
    assert!(error.contains("wasmscope's key folder"), "{error}");
    assert!(ran.stdout.is_empty(), "the guest never ran");
}

/// A recording's policy is a grant form too: one that names wasmscope's key folder (a crafted
/// file) is refused like the same grant anywhere else, although a replay opens no folder.
#[test]
fn a_recording_whose_policy_grants_the_key_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let recording = dir.path().join("read.wstrace");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join("data");
    let data = format!("{}::/data", samples.display());
    let out = crate::common::wasmscope(&[
        "run",
        "--ro-dir",
        &data,
        "--record",
        recording.to_str().unwrap(),
        crate::common::sample("read_file").to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        crate::common::text(&out.stderr)
    );
    let recorded_output = crate::common::text(&out.stdout);
    let bytes = std::fs::read(&recording).unwrap();
    let mut crafted = wasmscope::engine::record::recording::Recording::parse(&bytes).unwrap();
    let keys = crate::common::process_key_dir();
    crafted.header.policy.dirs[0].host_path = keys.to_path_buf();
    // What the guest would print, were the folder opened: its hello.txt.
    std::fs::write(keys.join("hello.txt"), b"a secret the guest must not see\n").unwrap();
    let handle = wasmscope::runner::spawn(crafted.replay_request(), None).unwrap();
    let ran = crate::common::collect(handle);
    // Refused before anything runs, as the same grant on the command line is.
    let wasmscope::engine::RunOutcome::Failed { error, .. } = &ran.report.outcome else {
        panic!("expected a refusal, got {:?}", ran.report.outcome);
    };
    assert!(error.contains("wasmscope's key folder"), "{error}");
    assert!(!ran.stdout.contains("secret"));
    assert_ne!(ran.stdout, recorded_output, "nothing ran");
}
