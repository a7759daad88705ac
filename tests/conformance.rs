//! WASI preview 1 conformance: every wasm32-wasip1 test of the wasi-testsuite, run through
//! `wasmscope run` the way the suite's README describes for wasmtime.
//!
//! The suite's location comes from `WASI_TESTSUITE_DIR` (set by `.ci/run`); without it the
//! test looks in `../shared/wasi-testsuite` beside the repository. When the suite is in
//! neither place (a clean clone), `build.rs` leaves the `wasi_testsuite` cfg off and
//! `cargo test` lists the test as ignored, saying how to run it.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::path::{Path, PathBuf};
use std::process::Command;

fn suite_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("WASI_TESTSUITE_DIR") {
        return PathBuf::from(dir);
    }
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/wasi-testsuite");
    assert!(
        beside.is_dir(),
        "WASI_TESTSUITE_DIR is not set and {} does not exist: set WASI_TESTSUITE_DIR to the \
         wasi-testsuite folder (the one holding tests/{{c,rust,assemblyscript}}), as .ci/run does",
        beside.display()
    );
    beside
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        let file_type = entry.file_type().unwrap();
        if file_type.is_dir() {
            copy_dir(&entry.path(), &target);
        } else if file_type.is_symlink() {
            let link = std::fs::read_link(entry.path()).unwrap();
            std::os::unix::fs::symlink(link, target).unwrap();
        } else if !entry.file_name().to_string_lossy().ends_with(".cleanup") {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs one test; returns a failure description, or `None` when it passed.
fn run_test(wasm: &Path) -> Option<String> {
    let spec_path = wasm.with_extension("json");
    let spec: serde_json::Value = match std::fs::read_to_string(&spec_path) {
        Ok(text) => {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", spec_path.display()))
        }
        Err(_) => serde_json::json!({}),
    };
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasmscope"));
    command.arg("run").args(["--timeout", "60s"]);
    if let Some(env) = spec["env"].as_object() {
        for (key, value) in env {
            command
                .arg("--env")
                .arg(format!("{key}={}", value.as_str().unwrap_or_default()));
        }
    }
    let scratch = tempfile::tempdir().unwrap();
    if let Some(root) = spec["root"].as_str() {
        let copy = scratch.path().join("root");
        copy_dir(&wasm.parent().unwrap().join(root), &copy);
        command.arg("--dir").arg(format!("{}::/", copy.display()));
    }
    command.arg(wasm);
    if let Some(args) = spec["args"].as_array() {
        command.args(
            args.iter()
                .map(|a| a.as_str().unwrap_or_default().to_owned()),
        );
    }
    let output = command.output().unwrap();
    let expected_code = spec["exit_code"].as_i64().unwrap_or(0);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if i64::from(output.status.code().unwrap_or(-1)) != expected_code {
        return Some(format!(
            "exit status {:?}, expected {expected_code}\n  stderr: {stderr}",
            output.status.code()
        ));
    }
    if let Some(expected) = spec["stdout"].as_str()
        && stdout != expected
    {
        return Some(format!("stdout {stdout:?}, expected {expected:?}"));
    }
    None
}

#[test]
#[cfg_attr(
    not(wasi_testsuite),
    ignore = "the wasi-testsuite is not here: set WASI_TESTSUITE_DIR to its folder \
              (the one holding tests/c, tests/rust, tests/assemblyscript) and run \
              `cargo test --test all conformance`"
)]
fn every_wasip1_test_of_the_wasi_testsuite_passes() {
    let suite = suite_dir();
    let mut tests = Vec::new();
    for language in ["c", "rust", "assemblyscript"] {
        let dir = suite
            .join("tests")
            .join(language)
            .join("testsuite/wasm32-wasip1");
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "wasm") {
                tests.push(path);
            }
        }
    }
    tests.sort();
    let failures: Vec<String> = tests
        .iter()
        .filter_map(|test| run_test(test).map(|why| format!("{}: {why}", test.display())))
        .collect();
    println!(
        "wasi-testsuite: {} of {} passed",
        tests.len() - failures.len(),
        tests.len()
    );
    assert_eq!(
        tests.len(),
        72,
        "the suite should hold 72 wasm32-wasip1 tests"
    );
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
