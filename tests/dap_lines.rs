//! `wasmscope dap` steps by source line, as editors do (issue 36): `next` runs to the next
//! line, over calls; `stepIn` enters a call at its first line; `granularity: "instruction"`
//! steps one instruction. Uses a C program compiled at test time (SKIPPED without clang and
//! wasi-libc).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common::dap as editor;
use crate::common::words;

use std::process::Command;

use serde_json::json;

use editor::Client;

const SOURCE: &str = "int add(int a, int b) {
    int s = a + b;
    return s;
}

int main(int argc, char **argv) {
    int x = argc;
    int y = add(x, 2);
    return y - 3;
}
";

/// The top frame's function and line.
fn place(dap: &mut Client) -> (String, u64) {
    let top = dap.top_frame();
    (
        top["name"].as_str().unwrap().to_owned(),
        top["line"].as_u64().unwrap(),
    )
}

#[test]
fn next_and_step_in_go_by_source_line_and_instruction_granularity_by_instruction() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = words::c_guest(dir.path(), "lines", SOURCE) else {
        return;
    };
    let source = dir.path().join("lines.c");
    let mut dap = Client::start();
    let capabilities = dap.ok("initialize", json!({}));
    assert_eq!(capabilities["supportsSteppingGranularity"], true);
    dap.ok("launch", json!({ "program": wasm }));
    let set = dap.ok(
        "setBreakpoints",
        json!({ "source": { "path": source }, "breakpoints": [{ "line": 7 }] }),
    );
    assert_eq!(set["breakpoints"][0]["verified"], true, "{set}");
    dap.ok("configurationDone", json!({}));
    assert_eq!(dap.event("stopped")["reason"], "breakpoint");
    assert_eq!(place(&mut dap), ("main".to_owned(), 7));

    dap.ok("next", json!({ "threadId": 1 }));
    assert_eq!(dap.event("stopped")["reason"], "step");
    assert_eq!(place(&mut dap), ("main".to_owned(), 8), "the next line");

    dap.ok("stepIn", json!({ "threadId": 1 }));
    assert_eq!(dap.event("stopped")["reason"], "step");
    let (function, line) = place(&mut dap);
    assert_eq!(function, "add", "into the call");
    assert!(line <= 2, "at add's first lines, not {line}");

    // One instruction: still on the same line.
    let before = place(&mut dap);
    dap.ok(
        "next",
        json!({ "threadId": 1, "granularity": "instruction" }),
    );
    dap.event("stopped");
    assert_eq!(
        place(&mut dap),
        before,
        "an instruction step stays on the line"
    );
    dap.ok("disconnect", json!({}));
}

#[test]
fn a_source_compiled_from_its_parent_folder_comes_back_with_its_whole_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src").join("points.c"), SOURCE).unwrap();
    let wasm = dir.path().join("points.wasm");
    // As a project builds it: from the project's folder, naming the file by a relative path.
    let built = Command::new("clang")
        .current_dir(dir.path())
        .args(["--target=wasm32-wasi", "-O0", "-g", "src/points.c", "-o"])
        .arg(&wasm)
        .output();
    if !built.as_ref().is_ok_and(|out| out.status.success()) {
        eprintln!("SKIPPED: clang cannot build for wasm32-wasi here");
        return;
    }
    let source = std::fs::canonicalize(dir.path())
        .unwrap()
        .join("src")
        .join("points.c");
    let mut dap = Client::start();
    dap.ok("initialize", json!({}));
    dap.ok("launch", json!({ "program": wasm }));
    let set = dap.ok(
        "setBreakpoints",
        json!({ "source": { "path": source }, "breakpoints": [{ "line": 8 }] }),
    );
    assert_eq!(set["breakpoints"][0]["verified"], true, "{set}");
    dap.ok("configurationDone", json!({}));
    dap.event("stopped");
    let trace = dap.ok("stackTrace", json!({ "threadId": 1 }));
    let top = &trace["stackFrames"][0]["source"];
    let path = top["path"].as_str().unwrap();
    assert!(path.starts_with('/'), "a whole path: {top}");
    assert_eq!(
        std::fs::canonicalize(path).unwrap(),
        source,
        "the file an editor opens"
    );
    assert!(
        top.get("presentationHint").is_none(),
        "it is on disk: {top}"
    );
    dap.ok("disconnect", json!({}));
}
