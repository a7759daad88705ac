//! Issue 37: why a guest died, in its own words. A Rust panic, a C assert, a Python exception
//! and an AssemblyScript abort lead the outcome in the CLI and the JSON report, the runtime's
//! frames fold under one line, and a guest that only prints a panic and exits normally is
//! still a normal exit.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use crate::common::words;

use common::{text, wasmscope};
use serde_json::Value;

fn write(dir: &std::path::Path, name: &str, wat: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, wat).unwrap();
    path.display().to_string()
}

/// `wasmscope run --report R FILE`: (exit status, stderr, the report).
fn run_with_report(file: &str) -> (Option<i32>, String, Value) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = wasmscope(&["run", "--report", report.to_str().unwrap(), file]);
    let json = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    (out.status.code(), text(&out.stderr), json)
}

const PYTHON: &str = "Traceback (most recent call last):\n  File \"/app/componentize_py_runtime.py\", line 40, in run\n    app.run()\n  File \"app.py\", line 6, in run\n    print(1 / 0)\nZeroDivisionError: division by zero\n";

#[test]
fn a_python_traceback_leads_the_trap_in_the_cli_and_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let guest = write(
        dir.path(),
        "py.wat",
        &words::dying_guest(PYTHON, "unreachable", &["run"]),
    );
    let (status, stderr, report) = run_with_report(&guest);
    assert_eq!(status, Some(134), "{stderr}");
    assert!(
        stderr.contains(
            "wasmscope: trapped: Python ZeroDivisionError: division by zero — app.py:6 (read \
             from the guest's stderr)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("which ended in the trap: wasm `unreachable` instruction executed"),
        "the trap is still the trap: {stderr}"
    );
    assert_eq!(report["outcome"], "trapped");
    assert_eq!(report["trap"]["kind"], "unreachable_code_reached");
    assert_eq!(report["last_words"]["kind"], "python_exception");
    assert_eq!(report["last_words"]["exception"], "ZeroDivisionError");
    assert_eq!(report["last_words"]["location"], "app.py:6");
    assert_eq!(report["last_words"]["source"], "stderr");
}

#[test]
fn a_fake_panic_before_a_normal_exit_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let guest = write(
        dir.path(),
        "fake.wat",
        &words::dying_guest(
            "thread 'main' panicked at 'not really', fake.rs:1:1\n",
            "i32.const 0 call $exit",
            &["main"],
        ),
    );
    let (status, stderr, report) = run_with_report(&guest);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(!stderr.contains("Rust panic"), "{stderr}");
    assert_eq!(report["outcome"], "exited");
    assert!(report.get("last_words").is_none(), "{report}");
}

#[test]
fn the_panic_machinerys_frames_fold_under_one_line_and_the_users_frame_follows() {
    let dir = tempfile::tempdir().unwrap();
    let guest = write(
        dir.path(),
        "chain.wat",
        &words::dying_guest(
            "thread 'main' panicked at src/names.rs:7:5:\nattempt to divide by zero\n",
            "unreachable",
            words::PANIC_CHAIN,
        ),
    );
    let out = wasmscope(&["run", &guest]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "wasmscope: trapped: Rust panic: attempt to divide by zero — src/names.rs:7:5"
        ),
        "the new panic format: {stderr}"
    );
    assert!(
        stderr.contains("0-2: 3 frames of the Rust panic machinery"),
        "{stderr}"
    );
    let after = stderr
        .split("frames of the Rust panic machinery")
        .nth(1)
        .unwrap();
    let next = after.lines().nth(1).unwrap();
    assert!(
        next.contains("3: func[") && next.contains("names::score"),
        "{next}"
    );
    // In full, on request.
    let full = std::process::Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(["run", &guest])
        .env("WASMSCOPE_BACKTRACE", "full")
        .output()
        .unwrap();
    assert!(text(&full.stderr).contains("__rust_start_panic"));
}

#[test]
fn an_assemblyscript_abort_is_provided_and_read_from_guest_memory() {
    let dir = tempfile::tempdir().unwrap();
    let guest = write(
        dir.path(),
        "as.wat",
        &words::aborting_guest("index out of range", "assembly/index.ts", 3, 5),
    );
    let (status, stderr, report) = run_with_report(&guest);
    assert_eq!(status, Some(134), "{stderr}");
    assert!(
        stderr.contains(
            "wasmscope: trapped: AssemblyScript abort: index out of range — \
             assembly/index.ts:3:5 (passed to env.abort)"
        ),
        "{stderr}"
    );
    assert_eq!(report["trap"]["kind"], "guest_abort");
    assert_eq!(report["last_words"]["kind"], "assembly_script_abort");
}

#[test]
fn a_real_rust_panic_and_a_real_c_assert_lead_with_their_words() {
    let dir = tempfile::tempdir().unwrap();
    let rust = words::rust_guest(
        dir.path(),
        "names",
        "fn score(total: u32, count: u32) -> u32 {\n    total / count\n}\n\nfn main() {\n    \
         let count = std::env::args().count() as u32 - 1;\n    println!(\"{}\", score(10, count));\n}\n",
    );
    if let Some(rust) = rust {
        let out = wasmscope(&["run", rust.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(134), "{stderr}");
        assert!(
            stderr.contains("trapped: Rust panic: attempt to divide by zero — names.rs:2:5"),
            "{stderr}"
        );
        assert!(
            stderr.contains("8 frames of the Rust panic machinery"),
            "{stderr}"
        );
        let after = stderr
            .split("frames of the Rust panic machinery")
            .nth(1)
            .unwrap();
        assert!(
            after.lines().nth(1).unwrap().contains("names::score"),
            "{stderr}"
        );
    }
    let c = words::c_guest(
        dir.path(),
        "count",
        "#include <assert.h>\nint main(int argc, char **argv) {\n    int count = argc - 1;\n    \
         assert(count > 0);\n    return 0;\n}\n",
    );
    if let Some(c) = c {
        let out = wasmscope(&["run", c.to_str().unwrap()]);
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("trapped: C assertion failed: count > 0 — count.c:4"),
            "{stderr}"
        );
        assert!(stderr.contains("frames of wasi-libc"), "{stderr}");
    }
}
