//! `cargo bench --bench travel`: going back in a replay. A replay heading for a moment runs
//! at full speed on the travel clock and single-steps only the last stretch before it, so
//! reaching the trap with its state, and a step back from it, should cost a small multiple of
//! a plain replay of the same recording, measured in the same process. The single-stepping
//! path (what a replay under a fuel budget still takes, and every travel took before the
//! clock) is measured on the smaller run for comparison.

#![allow(clippy::unwrap_used)] // A benchmark that cannot set up should stop loudly.

use std::sync::Arc;
use std::time::Instant;

use wasmscope::engine::policy::Travel;
use wasmscope::engine::record::recording::Recording;
use wasmscope::engine::{self, Invocation, RunEvent, RunOutcome, SandboxPolicy};
use wasmscope::runner;

/// A loop of 12 instructions a turn, `turns` turns, then one WASI call and a trap.
fn looping(turns: u32) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const {turns}))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))
    unreachable))"#
    )
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn recorded(turns: u32) -> Recording {
    let wasm = wat::parse_str(looping(turns)).unwrap();
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

/// Seconds from the start of a replay heading for `travel` to its pause; `stepped` puts it
/// under a fuel budget, which keeps it off the clock.
fn time_to_pause(recording: &Recording, travel: Travel, stepped: bool) -> f64 {
    time_to_pause_with(recording, travel, stepped, Vec::new())
}

fn time_to_pause_with(
    recording: &Recording,
    travel: Travel,
    stepped: bool,
    breakpoints: Vec<wasmscope::engine::debug::Breakpoint>,
) -> f64 {
    let started = Instant::now();
    let mut request = recording.travel_request(travel);
    if stepped {
        request.policy.fuel = Some(u64::MAX / 4);
    }
    let handle = runner::spawn_with_breakpoints(request, breakpoints, None).unwrap();
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

/// Seconds of a plain replay (median of three, after one to compile).
fn plain_replay(recording: &Recording) -> f64 {
    let once = || {
        let started = Instant::now();
        let _ = runner::spawn(recording.replay_request(), None)
            .unwrap()
            .wait();
        started.elapsed().as_secs_f64()
    };
    once();
    median((0..3).map(|_| once()).collect())
}

/// Seconds of a counting replay to the end (the trap, with its state), and its moment.
fn to_the_trap(recording: &Recording) -> (f64, u64) {
    let mut end = 0;
    let took = median(
        (0..3)
            .map(|_| {
                let started = Instant::now();
                let report = runner::spawn(recording.travel_request(Travel::Count), None)
                    .unwrap()
                    .wait();
                let took = started.elapsed().as_secs_f64();
                assert!(matches!(report.outcome, RunOutcome::Trapped { .. }));
                end = report.replay.unwrap().instructions.unwrap();
                took
            })
            .collect(),
    );
    (took, end)
}

fn row(measure: &str, ratio: f64, goal: &str, met: bool, value: String) {
    let met = if met { "yes" } else { "NO" };
    println!("{measure:<64} {ratio:>8.2}x  {goal:<16} {met:<4} {value}");
}

fn main() {
    println!(
        "\n{:<64} {:>9}  {:<16} {:<4} value",
        "measure", "ratio", "goal", "met"
    );
    for turns in [1_000_000, 100_000_000] {
        let recording = recorded(turns);
        let plain = plain_replay(&recording);
        let (trap, end) = to_the_trap(&recording);
        row(
            &format!("to the trap with its state, {end} instructions"),
            trap / plain,
            "<= 10x replay",
            trap / plain <= 10.0,
            format!(
                "{:.0} ms (a plain replay: {:.0} ms)",
                trap * 1e3,
                plain * 1e3
            ),
        );
        let back = median(
            (0..3)
                .map(|_| time_to_pause(&recording, Travel::To(end - 1), false))
                .collect(),
        );
        row(
            "step back from that trap",
            back / plain,
            "<= 1 s",
            back <= 1.0,
            format!("{:.0} ms", back * 1e3),
        );
        // Reverse continue from the trap to the only hit: `_start`'s first instruction, the
        // whole run before it.
        let at_start = wasmscope::engine::debug::resolve_breakpoint(
            &recording.module,
            "_start",
            wasmscope::engine::debug::BreakAction::Pause,
        )
        .unwrap();
        let reverse = median(
            (0..3)
                .map(|_| {
                    time_to_pause_with(
                        &recording,
                        Travel::LastBreakBefore(end),
                        false,
                        vec![at_start.clone()],
                    )
                })
                .collect(),
        );
        row(
            "reverse continue from that trap to a hit at its start",
            reverse / plain,
            "<= 10x replay",
            reverse / plain <= 10.0,
            format!("{:.0} ms", reverse * 1e3),
        );
        if turns <= 1_000_000 {
            let stepped = time_to_pause(&recording, Travel::To(end - 1), true);
            row(
                "  the same step back single-stepping every instruction",
                stepped / plain,
                "(as before)",
                true,
                format!("{:.0} ms", stepped * 1e3),
            );
        }
    }
}
