//! The travel clock: a replay that runs at full speed and single-steps only the last stretch
//! before its moment must land on the same moments, with the same state, as a replay that
//! single-steps every instruction (the path a run with a fuel budget takes).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use common::next_pause;

use wasmscope::engine::debug::PausedState;
use wasmscope::engine::policy::Travel;
use wasmscope::engine::record::recording::Recording;
use wasmscope::engine::{self, RunOutcome, RunReport};
use wasmscope::runner;

/// A guest of some 200,000 instructions: a loop calling a function, storing to memory and
/// asking for random bytes every 1,024 rounds (a different
/// length each time, so the call log keeps each call), then `ending` (a bad load, `unreachable`, or a return).
fn guest(ending: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
  (import "wasi_snapshot_preview1" "random_get"
    (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $acc (mut i32) (i32.const 0))
  (func $mix (param $x i32) (result i32)
    (i32.add (i32.mul (local.get $x) (i32.const 31)) (i32.const 7)))
  (func $work (param $n i32) (local $i i32) (local $sum i32)
    (loop $l
      (local.set $sum (call $mix (i32.add (local.get $sum) (local.get $i))))
      (i32.store (i32.and (i32.mul (local.get $i) (i32.const 4)) (i32.const 0xffc))
        (local.get $sum))
      (if (i32.eqz (i32.and (local.get $i) (i32.const 1023)))
        (then (drop (call $random (i32.const 0x2000)
          (i32.add (i32.shr_u (local.get $i) (i32.const 10)) (i32.const 1))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (global.set $acc (local.get $sum)))
  (func (export "_start")
    (call $work (i32.const 8000))
    {ending}))"#
    ))
    .unwrap()
}

fn recorded(wasm: Vec<u8>) -> Recording {
    common::record("clocked.wat", wasm)
}

/// A travel request; `stepped` gives it a fuel budget, which keeps it off the clock.
fn request(recording: &Recording, travel: Travel, stepped: bool) -> engine::RunRequest {
    let mut request = recording.travel_request(travel);
    if stepped {
        request.policy.fuel = Some(u64::MAX / 4);
    }
    request
}

fn counted(recording: &Recording, stepped: bool) -> RunReport {
    runner::spawn(request(recording, Travel::Count, stepped), None)
        .unwrap()
        .wait()
}

fn paused_at(recording: &Recording, moment: u64, stepped: bool) -> Box<PausedState> {
    let handle = runner::spawn(request(recording, Travel::To(moment), stepped), None).unwrap();
    let state = next_pause(&handle)
        .unwrap_or_else(|report| panic!("no pause at {moment}: {:?}", report.outcome));
    handle.cancel();
    let _ = next_pause(&handle);
    state
}

/// What a pause shows of the guest: where, and every value of the current frame.
fn seen(state: &PausedState) -> (Option<u64>, String) {
    let frames: Vec<_> = state
        .frames
        .iter()
        .map(|f| {
            let values = f.state.as_ref().map(|s| {
                let show = |v: &Vec<engine::debug::DebugValue>| {
                    v.iter().map(|v| v.value.clone()).collect::<Vec<_>>()
                };
                (show(&s.locals), show(&s.stack))
            });
            (f.func_name.clone(), f.module_offset, values)
        })
        .collect();
    (state.moment, format!("{frames:?}"))
}

fn call_moments(report: &RunReport) -> Vec<Option<u64>> {
    report.calls.iter().map(|c| c.moment).collect()
}

/// Counted both ways: the same moment at the end, the same moments for every WASI call.
fn same_count(recording: &Recording) -> u64 {
    let clocked = counted(recording, false);
    let stepped = counted(recording, true);
    assert_eq!(clocked.outcome.name(), stepped.outcome.name());
    let end = clocked.replay.as_ref().unwrap().instructions.unwrap();
    assert_eq!(
        Some(end),
        stepped.replay.as_ref().unwrap().instructions,
        "the moment the run ends at"
    );
    assert!(end > 200_000, "{end}");
    let moments = call_moments(&clocked);
    assert!(moments.len() >= 8, "{moments:?}");
    assert_eq!(moments, call_moments(&stepped), "the WASI calls' moments");
    end
}

#[test]
fn a_trap_where_fuel_does_not_settle_is_placed_as_single_stepping_places_it() {
    let recording = recorded(guest("(drop (i32.load (i32.const 0x20000)))"));
    let trap = same_count(&recording);
    let clocked = counted(&recording, false);
    assert!(matches!(clocked.outcome, RunOutcome::Trapped { .. }));
    // The trapping load itself, reached both ways with its operand.
    for moment in [trap - 1, trap] {
        let fast = paused_at(&recording, moment, false);
        assert_eq!(seen(&fast), seen(&paused_at(&recording, moment, true)));
        assert_eq!(fast.moment, Some(moment));
    }
    let at_trap = paused_at(&recording, trap, false);
    let stack = &at_trap.current().unwrap().state.as_ref().unwrap().stack;
    assert_eq!(stack.last().unwrap().value, 0x20000.to_string());
}

#[test]
fn every_moment_shows_the_state_single_stepping_shows() {
    let recording = recorded(guest("unreachable"));
    let end = same_count(&recording);
    // The first instructions, inside the first tick, across ticks, and the last.
    for moment in [1, 2, 3, 4, 1_000, 70_001, 140_000, 199_999, end - 1, end] {
        let fast = paused_at(&recording, moment, false);
        let slow = paused_at(&recording, moment, true);
        assert_eq!(seen(&fast), seen(&slow), "at moment {moment}");
    }
}

#[test]
fn a_run_that_returns_counts_the_same_both_ways() {
    let recording = recorded(guest("(nop)"));
    let end = same_count(&recording);
    // Paused early, then Continue: on at full speed, and the end counted the same.
    let handle = runner::spawn(request(&recording, Travel::To(100), false), None).unwrap();
    assert_eq!(next_pause(&handle).unwrap().moment, Some(100));
    handle.debug(engine::debug::DebugCommand::Continue);
    let report = next_pause(&handle).unwrap_err();
    assert_eq!(report.replay.unwrap().instructions, Some(end));
    assert_eq!(
        counted(&recording, false).outcome,
        RunOutcome::Exited { code: 0 }
    );
}

#[test]
fn a_moment_inside_a_long_straight_stretch_is_still_reached() {
    // 150,000 instructions with no loop and no call: the clock never ticks in there, so the
    // replay passes its moment unseen and goes again single-stepping.
    let body = "(drop (i32.const 7))".repeat(75_000);
    let wasm = wat::parse_str(format!(
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $x i32)
    (local.set $x (i32.const 5))
    {body}
    (call $exit (local.get $x))))"#
    ))
    .unwrap();
    let recording = recorded(wasm);
    let end = end_of(&recording, false).unwrap();
    assert_eq!(Some(end), end_of(&recording, true));
    let fast = paused_at(&recording, 140_001, false);
    assert_eq!(fast.moment, Some(140_001));
    assert_eq!(seen(&fast), seen(&paused_at(&recording, 140_001, true)));
}

#[test]
fn reverse_continue_finds_the_hit_single_stepping_finds() {
    let wasm = guest("unreachable");
    let mix = debug_breakpoint(&wasm, "mix");
    let recording = recorded(wasm);
    let end = same_count(&recording);
    let back = |before: u64, stepped: bool| back_to_break(&recording, before, stepped, &mix);
    // Hits far from the moment (found running free, then placed), near it, and none before.
    for before in [end, 150_000, 100_001, 20, 3] {
        let fast = back(before, false);
        assert_eq!(seen(&fast), seen(&back(before, true)), "before {before}");
        if before > 100 {
            assert_eq!(
                fast.current().unwrap().func_name.as_deref(),
                Some("mix"),
                "before {before}"
            );
            assert!(fast.moment.unwrap() < before);
        }
    }
}

fn debug_breakpoint(wasm: &[u8], at: &str) -> engine::debug::Breakpoint {
    engine::debug::resolve_breakpoint(wasm, at, engine::debug::BreakAction::Pause).unwrap()
}

#[test]
fn a_hit_far_before_the_moment_is_found_running_free_then_placed() {
    // `early` is called in the first loop only; a second, longer loop follows without it, so
    // the last hit lies far before the trap, between two ticks of the fast pass.
    let wasm = wat::parse_str(
        r#"(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $early (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 3)))
  (func (export "_start") (local $i i32) (local $acc i32)
    (loop $first
      (local.set $acc (call $early (local.get $acc)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $first (i32.lt_u (local.get $i) (i32.const 9000))))
    (drop (call $random (i32.const 0x100) (i32.const 4)))
    (local.set $i (i32.const 0))
    (loop $second
      (local.set $acc (i32.xor (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $second (i32.lt_u (local.get $i) (i32.const 40000))))
    unreachable))"#,
    )
    .unwrap();
    let early = debug_breakpoint(&wasm, "early");
    let recording = recorded(wasm);
    let end = end_of(&recording, false).unwrap();
    assert!(end > 400_000, "{end}");
    let back = |stepped: bool| back_to_break(&recording, end, stepped, &early);
    let fast = back(false);
    assert_eq!(fast.current().unwrap().func_name.as_deref(), Some("early"));
    // The 9,000th call, long before the trap.
    assert!(fast.moment.unwrap() < end - 2 * 65_536, "{:?}", fast.moment);
    assert_eq!(seen(&fast), seen(&back(true)));
}

#[test]
fn a_live_pause_is_found_again_where_single_stepping_finds_it() {
    let wasm = guest("unreachable");
    let mix = debug_breakpoint(&wasm, "mix");
    let recording = recorded(wasm);
    let located = |nth: u64, steps: u64, stepped: bool| {
        let anchor = engine::policy::Anchor {
            offset: mix.module_offset,
            nth,
            steps,
        };
        let report = runner::spawn_with_breakpoints(
            request(&recording, Travel::Locate(anchor), stepped),
            vec![mix.clone()],
            None,
        )
        .unwrap()
        .wait();
        report.replay.unwrap().located
    };
    // The first hit, one past the first tick, and one far into the run; with steps after it.
    for (nth, steps) in [(1, 0), (2_700, 0), (7_000, 3)] {
        let fast = located(nth, steps, false);
        assert!(fast.is_some(), "hit {nth} not found");
        assert_eq!(fast, located(nth, steps, true), "hit {nth}");
    }
    // A hit the run never makes is not found.
    assert_eq!(located(9_000, 0, false), None);
}

/// The replay's end moment, counted (`stepped`: single-stepping, under a fuel budget).
fn end_of(recording: &Recording, stepped: bool) -> Option<u64> {
    counted(recording, stepped).replay?.instructions
}

/// Where a reverse continue from moment `before`, with `at` set, pauses.
fn back_to_break(
    recording: &Recording,
    before: u64,
    stepped: bool,
    at: &engine::debug::Breakpoint,
) -> Box<PausedState> {
    let handle = runner::spawn_with_breakpoints(
        request(recording, Travel::LastBreakBefore(before), stepped),
        vec![at.clone()],
        None,
    )
    .unwrap();
    let state = next_pause(&handle)
        .unwrap_or_else(|report| panic!("no pause before {before}: {:?}", report.outcome));
    handle.cancel();
    let _ = next_pause(&handle);
    state
}
