//! `wasmscope dap` steps by source line, as editors do (issue 36): `next` runs to the next
//! line, over calls; `stepIn` enters a call at its first line; `granularity: "instruction"`
//! steps one instruction. Uses a C program compiled at test time (SKIPPED without clang and
//! wasi-libc).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;
#[path = "common/words.rs"]
mod words;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use crossbeam_channel::Receiver;
use serde_json::{Value, json};

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

struct Adapter {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    seq: i64,
}

impl Adapter {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
            .arg("dap")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, messages) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    match line.trim().strip_prefix("Content-Length:") {
                        Some(n) => length = n.trim().parse().unwrap(),
                        None => break,
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take().unwrap();
        Self {
            child,
            stdin,
            messages,
            seq: 0,
        }
    }

    fn ok(&mut self, command: &str, arguments: Value) -> Value {
        self.seq += 1;
        let body = json!({
            "seq": self.seq, "type": "request", "command": command, "arguments": arguments,
        })
        .to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
        loop {
            let message = self.next();
            if message["type"] == "response" && message["request_seq"] == self.seq {
                assert_eq!(message["success"], true, "{command}: {message}");
                return message["body"].clone();
            }
        }
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(30))
            .expect("the adapter answers")
    }

    fn stopped(&self) -> Value {
        loop {
            let message = self.next();
            if message["event"] == "stopped" {
                return message["body"].clone();
            }
        }
    }

    /// The top frame's function and line.
    fn place(&mut self) -> (String, u64) {
        let trace = self.ok("stackTrace", json!({ "threadId": 1 }));
        let top = &trace["stackFrames"][0];
        (
            top["name"].as_str().unwrap().to_owned(),
            top["line"].as_u64().unwrap(),
        )
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn next_and_step_in_go_by_source_line_and_instruction_granularity_by_instruction() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = words::c_guest(dir.path(), "lines", SOURCE) else {
        return;
    };
    let source = dir.path().join("lines.c");
    let mut dap = Adapter::start();
    let capabilities = dap.ok("initialize", json!({}));
    assert_eq!(capabilities["supportsSteppingGranularity"], true);
    dap.ok("launch", json!({ "program": wasm }));
    let set = dap.ok(
        "setBreakpoints",
        json!({ "source": { "path": source }, "breakpoints": [{ "line": 7 }] }),
    );
    assert_eq!(set["breakpoints"][0]["verified"], true, "{set}");
    dap.ok("configurationDone", json!({}));
    assert_eq!(dap.stopped()["reason"], "breakpoint");
    assert_eq!(dap.place(), ("main".to_owned(), 7));

    dap.ok("next", json!({ "threadId": 1 }));
    assert_eq!(dap.stopped()["reason"], "step");
    assert_eq!(dap.place(), ("main".to_owned(), 8), "the next line");

    dap.ok("stepIn", json!({ "threadId": 1 }));
    assert_eq!(dap.stopped()["reason"], "step");
    let (function, line) = dap.place();
    assert_eq!(function, "add", "into the call");
    assert!(line <= 2, "at add's first lines, not {line}");

    // One instruction: still on the same line.
    let before = dap.place();
    dap.ok(
        "next",
        json!({ "threadId": 1, "granularity": "instruction" }),
    );
    dap.stopped();
    assert_eq!(dap.place(), before, "an instruction step stays on the line");
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
    let mut dap = Adapter::start();
    dap.ok("initialize", json!({}));
    dap.ok("launch", json!({ "program": wasm }));
    let set = dap.ok(
        "setBreakpoints",
        json!({ "source": { "path": source }, "breakpoints": [{ "line": 8 }] }),
    );
    assert_eq!(set["breakpoints"][0]["verified"], true, "{set}");
    dap.ok("configurationDone", json!({}));
    dap.stopped();
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
