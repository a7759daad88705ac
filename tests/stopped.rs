//! Where it stopped: a run ended by the timeout or by Stop says where the guest was, as a
//! backtrace shaped like a trap's (issue #11, "Where it stopped, always").

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::time::Duration;

use common::{run_sample, sample, short_timeout};
use wasmscope::engine::{self, RunOutcome, SandboxPolicy};

fn names(frames: &[engine::FrameInfo]) -> Vec<String> {
    frames
        .iter()
        .map(|f| f.func_name.clone().unwrap_or_default())
        .collect()
}

#[test]
fn a_timed_out_loop_names_the_looping_function() {
    let ran = run_sample("infinite_loop", short_timeout(200));
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 200 });
    let stopped = ran
        .report
        .stopped_at
        .expect("a timeout says where it stopped");
    let names = names(&stopped.frames);
    assert_eq!(names, ["spin", "_start"], "{stopped:?}");
    // The innermost frame points into `spin`'s body, like a trap's frame does.
    assert!(stopped.frames[0].module_offset.is_some());
}

#[test]
fn a_guest_timed_out_in_a_host_call_names_its_caller() {
    let ran = run_sample("sleep_forever", short_timeout(200));
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 200 });
    let stopped = ran
        .report
        .stopped_at
        .expect("a timeout says where it stopped");
    assert_eq!(names(&stopped.frames), ["_start"], "{stopped:?}");
}

fn cancelled(name: &str) -> engine::RunReport {
    common::cancel_after(name, Duration::from_millis(150)).report
}

#[test]
fn a_cancelled_run_says_where_it_was() {
    let report = cancelled("infinite_loop");
    assert_eq!(report.outcome, RunOutcome::Cancelled);
    let stopped = report.stopped_at.expect("Stop says where it stopped");
    assert_eq!(names(&stopped.frames), ["spin", "_start"]);

    let report = cancelled("sleep_forever");
    assert_eq!(report.outcome, RunOutcome::Cancelled);
    let stopped = report.stopped_at.expect("Stop says where it stopped");
    assert_eq!(names(&stopped.frames), ["_start"]);
}

#[test]
fn stopped_at_is_in_the_json_only_for_stops() {
    let ran = run_sample("infinite_loop", short_timeout(100));
    let json: serde_json::Value = serde_json::from_str(&ran.report.to_json()).unwrap();
    assert_eq!(json["outcome"], "timed_out");
    let frames = json["stopped_at"]["frames"].as_array().expect("frames");
    // Shaped like `trap.frames`.
    assert_eq!(frames[0]["func_name"], "spin");
    assert!(frames[0]["func_index"].is_u64() && frames[0]["module_offset"].is_u64());

    let ran = run_sample("hello", SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert!(ran.report.stopped_at.is_none());
    assert!(!ran.report.to_json().contains("stopped_at"));
}

#[test]
fn the_cli_prints_where_a_timed_out_guest_was() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(["run", "--timeout", "200ms"])
        .arg(sample("infinite_loop"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(124));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("timed out after 200ms"), "{stderr}");
    assert!(stderr.contains("stopped at (wasm backtrace):"), "{stderr}");
    // Innermost first, like a trap's backtrace.
    let spin = stderr.find("] spin @ 0x").expect("spin is named");
    let start = stderr.find("] _start @ 0x").expect("_start is named");
    assert!(spin < start, "{stderr}");
}
