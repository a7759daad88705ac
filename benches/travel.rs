//! `cargo bench --bench travel`: going back in a replay, on a recorded run of about 10 million
//! wasm instructions. A step back replays the recording to the moment before, counting every
//! instruction; the goal is an answer within 1 s. A plain replay of the same recording runs
//! in the same process as the baseline.

#![allow(clippy::unwrap_used)] // A benchmark that cannot set up should stop loudly.

use std::sync::Arc;
use std::time::Instant;

use wasmscope::engine::policy::Travel;
use wasmscope::engine::record::recording::Recording;
use wasmscope::engine::{self, Invocation, RunEvent, RunOutcome, SandboxPolicy};
use wasmscope::runner;

/// A loop of 10 instructions a turn, 1,000,000 turns, then one WASI call and a trap.
const LOOP: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000000))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))
    unreachable))"#;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn recorded() -> Recording {
    let wasm = wat::parse_str(LOOP).unwrap();
    let report = runner::spawn(
        engine::RunRequest {
            name: "loop.wat".to_owned(),
            wasm: Arc::from(wasm),
            precompiled: None,
            policy: SandboxPolicy {
                timeout_ms: None,
                ..SandboxPolicy::default()
            },
            invocation: Invocation {
                record_max_bytes: Some(1 << 20),
                ..Invocation::default()
            },
            info: None,
        },
        None,
    )
    .unwrap()
    .wait();
    assert!(matches!(report.outcome, RunOutcome::Trapped { .. }));
    Recording::parse(report.recording.as_ref().unwrap()).unwrap()
}

/// Seconds from the start of a replay heading for `travel` to its pause.
fn time_to_pause(recording: &Recording, travel: Travel) -> f64 {
    let started = Instant::now();
    let handle = runner::spawn(recording.travel_request(travel), None).unwrap();
    for event in handle.events.iter() {
        if let RunEvent::Paused(_) = event {
            let took = started.elapsed().as_secs_f64();
            handle.cancel();
            let _ = handle.wait();
            return took;
        }
    }
    panic!("the replay ended without pausing");
}

fn main() {
    let recording = recorded();
    // Compile once before timing anything.
    let _ = runner::spawn(recording.replay_request(), None)
        .unwrap()
        .wait();
    let plain: Vec<f64> = (0..3)
        .map(|_| {
            let started = Instant::now();
            let _ = runner::spawn(recording.replay_request(), None)
                .unwrap()
                .wait();
            started.elapsed().as_secs_f64()
        })
        .collect();
    let counted = runner::spawn(recording.travel_request(Travel::Count), None)
        .unwrap()
        .wait();
    let end = counted.replay.unwrap().instructions.unwrap();
    let back: Vec<f64> = (0..3)
        .map(|_| time_to_pause(&recording, Travel::To(end - 1)))
        .collect();
    let (plain, back) = (median(plain), median(back));
    println!(
        "\n{:<58} {:>8}  {:<12} {:<4} value",
        "measure", "ratio", "goal", "met"
    );
    println!(
        "{:<58} {:>7.3}x  {:<12} {:<4} {:.0} ms (a plain replay: {:.0} ms)",
        format!("step back at the end of a run of {end} instructions"),
        back,
        "<= 1 s",
        if back <= 1.0 { "yes" } else { "NO" },
        back * 1e3,
        plain * 1e3,
    );
}
