//! An editor's side of the Debug Adapter Protocol, for the tests that drive `wasmscope dap`.

#![allow(dead_code)] // Each test module uses some of it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;
use serde_json::{Value, json};

/// An editor's side of the protocol.
pub struct Client {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    messages: Receiver<Value>,
    /// Events seen while waiting for something else, oldest first.
    events: Vec<Value>,
    seq: i64,
}

pub const WAIT: Duration = Duration::from_secs(30);

impl Client {
    /// An adapter that has launched `program` with nothing else set and was told the
    /// configuration is done: the session runs.
    pub fn running(program: &impl serde::Serialize) -> Self {
        let mut dap = Self::start();
        dap.ok("initialize", json!({}));
        dap.ok("launch", json!({ "program": program }));
        dap.event("initialized");
        dap.ok("configurationDone", json!({}));
        dap
    }

    pub fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
            .arg("dap")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
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
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    let value = line.strip_prefix("Content-Length:").expect("a header");
                    length = value.trim().parse().unwrap();
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Self {
            child,
            stdin,
            messages,
            events: Vec::new(),
            seq: 0,
        }
    }

    pub fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    pub fn send(&mut self, command: &str, arguments: Value) -> i64 {
        self.seq += 1;
        let body = json!({
            "seq": self.seq, "type": "request", "command": command, "arguments": arguments,
        })
        .to_string();
        self.write_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
        self.seq
    }

    pub fn next(&mut self) -> Value {
        self.messages.recv_timeout(WAIT).unwrap_or_else(|_| {
            panic!(
                "nothing from the adapter; events so far: {:#?}",
                self.events
            )
        })
    }

    /// The response to request `seq`; events on the way are kept.
    pub fn response(&mut self, seq: i64) -> Value {
        loop {
            let message = self.next();
            if message["type"] == "response" && message["request_seq"] == seq {
                return message;
            }
            assert_eq!(message["type"], "event", "{message}");
            self.events.push(message);
        }
    }

    /// Sends a request that must fail, and returns its response's message.
    pub fn refused(&mut self, command: &str, arguments: Value) -> String {
        let seq = self.send(command, arguments);
        let response = self.response(seq);
        assert_eq!(response["success"], false, "{command}: {response}");
        response["message"].as_str().unwrap_or_default().to_owned()
    }

    /// Sends a request and returns its successful response's body.
    pub fn ok(&mut self, command: &str, arguments: Value) -> Value {
        let seq = self.send(command, arguments);
        let response = self.response(seq);
        assert_eq!(response["success"], true, "{command}: {response}");
        assert_eq!(response["command"], command);
        response["body"].clone()
    }

    /// The next event called `name` (kept ones first); the ones before it stay kept.
    pub fn event(&mut self, name: &str) -> Value {
        if let Some(i) = self.events.iter().position(|e| e["event"] == name) {
            return self.events.remove(i)["body"].clone();
        }
        loop {
            let message = self.next();
            if message["type"] == "event" && message["event"] == name {
                return message["body"].clone();
            }
            self.events.push(message);
        }
    }

    /// Everything the guest printed to stdout so far, as output events.
    pub fn stdout(&self) -> String {
        self.events
            .iter()
            .filter(|e| e["event"] == "output" && e["body"]["category"] == "stdout")
            .map(|e| e["body"]["output"].as_str().unwrap().to_owned())
            .collect()
    }

    pub fn top_frame(&mut self) -> Value {
        let trace = self.ok("stackTrace", json!({ "threadId": 1 }));
        trace["stackFrames"][0].clone()
    }

    /// The innermost frame's local called `name`.
    pub fn local(&mut self, name: &str) -> String {
        let scopes = self.ok("scopes", json!({ "frameId": 1 }));
        let scope = |name: &str| {
            scopes["scopes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == name)
                .unwrap_or_else(|| panic!("no scope {name} in {scopes}"))
                .clone()
        };
        scope("Operand stack");
        let reference = scope("Locals")["variablesReference"].clone();
        let variables = self.ok("variables", json!({ "variablesReference": reference }));
        let found = variables["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == format!("${name}"))
            .unwrap_or_else(|| panic!("no ${name} in {variables}"));
        found["value"].as_str().unwrap().to_owned()
    }

    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the adapter did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
