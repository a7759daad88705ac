//! "Copy as Rust" for real: the programs `--print-as rust` writes are built against the
//! workspace's own wasmtime and run on the samples, where each must end the way the sandbox
//! it came from ends them.
//!
//! Ignored by default (it builds four programs); `.ci/run` runs it with
//! `cargo test --test all embed_build -- --ignored`. The programs are the `[[bin]]`s of one scratch
//! project whose dependencies, features, lock file and profiles are the workspace's and whose
//! target directory is the workspace's, so cargo reuses the compiled wasmtime and builds only
//! the four small programs.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use common::sample;
use wasmscope::engine::export::embed::rust_program;
use wasmscope::engine::{DirGrant, Entry, Invocation, SandboxPolicy};

const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// The sandboxes (and what each run passes) the programs are written for, by program name.
fn policies() -> Vec<(&'static str, SandboxPolicy, Invocation)> {
    let data = Path::new(REPO).join("samples/data");
    vec![
        (
            "limits",
            SandboxPolicy {
                max_memory_bytes: 64 << 20,
                timeout_ms: Some(1_000),
                ..SandboxPolicy::default()
            },
            Invocation::default(),
        ),
        (
            "fuel_trap",
            SandboxPolicy {
                max_memory_bytes: 64 << 20,
                trap_on_grow_failure: true,
                timeout_ms: None,
                fuel: Some(1_000_000),
                ..SandboxPolicy::default()
            },
            Invocation::default(),
        ),
        (
            "files",
            SandboxPolicy {
                dirs: vec![DirGrant {
                    host_path: data,
                    guest_path: "/data".to_owned(),
                    read_only: true,
                    scratch: false,
                }],
                env: vec![("GREETING".to_owned(), "hello there".to_owned())],
                ..SandboxPolicy::default()
            },
            Invocation {
                args: vec!["one".to_owned(), "two words".to_owned()],
                argv0: Some("shaped".to_owned()),
                ..Invocation::default()
            },
        ),
        (
            "invoke",
            SandboxPolicy::default(),
            Invocation {
                entry: Entry::Invoke {
                    name: "add".to_owned(),
                    args: vec!["2".to_owned(), "3".to_owned()],
                },
                ..Invocation::default()
            },
        ),
    ]
}

/// The workspace's target directory (where `cargo test` put this test).
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Writes `text` to `path` unless it already holds it, so cargo sees nothing new to build.
fn write_if_changed(path: &Path, text: &str) {
    if std::fs::read_to_string(path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// The scratch project's manifest: the workspace's dependencies and dev-dependencies as plain
/// dependencies (so features unify exactly as in `cargo test`), its edition and profiles, and
/// one `[[bin]]` per program.
fn manifest(names: &[&str]) -> String {
    let repo: toml::Table = std::fs::read_to_string(Path::new(REPO).join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let mut dependencies = toml::Table::new();
    for section in ["dependencies", "dev-dependencies"] {
        for (name, spec) in repo[section].as_table().unwrap() {
            let mut spec = spec.clone();
            if let Some(table) = spec.as_table_mut() {
                table.remove("optional");
            }
            dependencies.insert(name.clone(), spec);
        }
    }
    let mut package = toml::Table::new();
    package.insert("name".into(), "wasmscope-embed-check".into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), repo["package"]["edition"].clone());
    package.insert("publish".into(), false.into());
    let bins: Vec<toml::Value> = names
        .iter()
        .map(|name| {
            let mut bin = toml::Table::new();
            bin.insert("name".into(), format!("embed_check_{name}").into());
            bin.insert("path".into(), format!("src/{name}.rs").into());
            toml::Value::Table(bin)
        })
        .collect();
    let mut manifest = toml::Table::new();
    manifest.insert("package".into(), package.into());
    // Its own workspace: not a member of wasmscope's, and no parent manifest is searched.
    manifest.insert("workspace".into(), toml::Table::new().into());
    manifest.insert("dependencies".into(), dependencies.into());
    manifest.insert("profile".into(), repo["profile"].clone());
    manifest.insert("bin".into(), bins.into());
    toml::to_string(&manifest).unwrap()
}

/// Builds every program once; returns where the binaries are.
fn build_programs() -> PathBuf {
    let target = target_dir();
    let project = target.join("tmp/embed-check");
    let policies = policies();
    let names: Vec<&str> = policies.iter().map(|(name, _, _)| *name).collect();
    write_if_changed(&project.join("Cargo.toml"), &manifest(&names));
    write_if_changed(
        &project.join("Cargo.lock"),
        &std::fs::read_to_string(Path::new(REPO).join("Cargo.lock")).unwrap(),
    );
    for (name, policy, invocation) in &policies {
        let program = rust_program(policy, invocation, "module.wasm", None);
        write_if_changed(&project.join(format!("src/{name}.rs")), &program);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let started = Instant::now();
    let out = Command::new(cargo)
        .current_dir(&project)
        .env("CARGO_TARGET_DIR", &target)
        .args(["build", "--offline", "--bins"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the programs must compile:\n{stderr}");
    // Only the programs themselves may compile: a rebuilt wasmtime means the dependency
    // setup drifted from the workspace's and CI would pay minutes for it.
    let rebuilt: Vec<&str> = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling") && !l.contains("wasmscope-embed-check"))
        .collect();
    assert!(rebuilt.is_empty(), "dependencies were rebuilt:\n{stderr}");
    eprintln!(
        "built the generated programs in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    target.join("debug")
}

fn run(bin: &Path, program: &str, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = Command::new(bin.join(format!("embed_check_{program}")))
        .args(args)
        .current_dir(REPO)
        .output()
        .unwrap();
    eprintln!(
        "{program} {args:?}: {:?} in {:.1}s",
        out.status.code(),
        started.elapsed().as_secs_f64()
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn path(name: &str) -> String {
    sample(name).display().to_string()
}

#[test]
#[ignore = "builds the generated Rust programs; run with --ignored (as .ci/run does)"]
fn generated_programs_enforce_their_sandbox() {
    let bin = build_programs();

    // Timeout: a spinning guest is stopped by the epoch, a sleeping one by the tokio timeout.
    for spinner in ["infinite_loop", "sleep_forever"] {
        let out = run(&bin, "limits", &[&path(spinner)]);
        assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
    }

    // Memory cap: growth is refused at 64 MiB (63 MiB on top of the first page), then the
    // guest traps on its own out-of-bounds store.
    let out = run(&bin, "limits", &[&path("memory_hog")]);
    assert!(
        text(&out.stdout).contains("memory.grow refused after 63 MiB"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));

    // Trap on a refused growth: the grow itself traps, before the guest can report it.
    let out = run(&bin, "fuel_trap", &[&path("memory_hog")]);
    assert_eq!(out.status.code(), Some(134), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("refused after"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stderr).contains("forcing trap when growing memory"),
        "{}",
        text(&out.stderr)
    );

    // Fuel: a spinning guest runs out of it.
    let out = run(&bin, "fuel_trap", &[&path("infinite_loop")]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));

    // A read-only folder: reading works, writing is refused, and no path leads outside.
    let out = run(&bin, "files", &[&path("read_file")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("This file lives on the host and was granted read-only."),
        "{}",
        text(&out.stdout)
    );
    let out = run(&bin, "files", &[&path("write_file")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot write out.txt: errno 63"),
        "{}",
        text(&out.stderr)
    );
    assert!(!Path::new(REPO).join("samples/data/out.txt").exists());
    let out = run(&bin, "files", &[&path("escape_attempts")]);
    assert!(
        text(&out.stdout).contains("escaped: 0"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // Environment and arguments arrive: the policy's by default, the command line's instead.
    let out = run(&bin, "files", &[&path("args_env")]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for expected in ["shaped", "one", "two words", "GREETING=hello there"] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(!stdout.contains("PATH="), "{stdout}");
    let out = run(&bin, "files", &[&path("args_env"), "other"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("other") && !stdout.contains("two words"),
        "{stdout}"
    );

    // --invoke with typed arguments: the policy's by default, the command line's instead.
    let out = run(&bin, "invoke", &[&path("reactor")]);
    assert_eq!(text(&out.stdout), "5\n", "{}", text(&out.stderr));
    let out = run(&bin, "invoke", &[&path("reactor"), "40", "2"]);
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
    let out = run(&bin, "invoke", &[&path("reactor"), "forty", "2"]);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stderr).contains("`forty` is not a valid i32"),
        "{}",
        text(&out.stderr)
    );
}
