//! Time travel in a replay: every instruction counted, so a pause knows its moment, Step back
//! goes to the moment before, and Reverse continue to the previous breakpoint hit.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

use std::sync::Arc;
use std::time::Instant;

use wasmscope::engine::debug::{
    self, BreakAction, Breakpoint, DebugCommand, DebugValue, PauseReason, PausedState,
};
use wasmscope::engine::policy::Travel;
use wasmscope::engine::record::recording::Recording;
use wasmscope::engine::{self, Invocation, RunEvent, RunOutcome, RunReport, SandboxPolicy};
use wasmscope::runner::{self, RunHandle};

/// Records a run of `samples/who_wrote_me.wat` (it traps reading through a bad pointer).
fn recorded() -> Recording {
    let module = engine::load_file(&common::sample("who_wrote_me")).unwrap();
    let handle = runner::spawn(
        engine::RunRequest {
            name: module.name.clone(),
            wasm: Arc::from(module.wasm),
            precompiled: None,
            policy: SandboxPolicy::default(),
            invocation: Invocation {
                record_max_bytes: Some(1 << 20),
                ..Invocation::default()
            },
            info: None,
        },
        None,
    )
    .unwrap();
    let report = handle.wait();
    assert!(
        matches!(report.outcome, RunOutcome::Trapped { .. }),
        "{:?}",
        report.outcome
    );
    Recording::parse(report.recording.as_ref().unwrap()).unwrap()
}

fn travel(recording: &Recording, to: Travel, breakpoints: Vec<Breakpoint>) -> RunHandle {
    runner::spawn_with_breakpoints(recording.travel_request(to), breakpoints, None).unwrap()
}

/// The next pause, or the report if the run ended first.
fn next_pause(handle: &RunHandle) -> Result<Box<PausedState>, Box<RunReport>> {
    let deadline = Instant::now() + common::PROMPT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match handle.events.recv_timeout(left) {
            Ok(RunEvent::Paused(state)) => return Ok(state),
            Ok(RunEvent::Finished(report)) => return Err(report),
            Ok(_) => {}
            Err(e) => panic!("no pause and no end within {:?}: {e}", common::PROMPT),
        }
    }
}

fn paused(handle: &RunHandle) -> Box<PausedState> {
    next_pause(handle).unwrap_or_else(|report| panic!("ended instead: {:?}", report.outcome))
}

fn local<'a>(state: &'a PausedState, name: &str) -> &'a DebugValue {
    let frame = state.current().unwrap();
    frame
        .state
        .as_ref()
        .unwrap()
        .locals
        .iter()
        .find(|v| v.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no local {name} in {frame:?}"))
}

/// Replays the whole recording counting: the trap's moment.
fn instructions_to_the_trap(recording: &Recording) -> u64 {
    let report = travel(recording, Travel::Count, Vec::new()).wait();
    let RunOutcome::Trapped { trap } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert_eq!(
        trap.frames[0].func_name.as_deref(),
        Some("print_name"),
        "the counted replay traps where the run did"
    );
    report.replay.unwrap().instructions.unwrap()
}

#[test]
fn step_back_from_the_trap_reaches_the_instructions_before_it() {
    let recording = recorded();
    let trap_moment = instructions_to_the_trap(&recording);
    assert!(trap_moment > 10, "{trap_moment}");

    // The moment of the trap: the trapping load, about to run.
    let handle = travel(&recording, Travel::To(trap_moment), Vec::new());
    let at_trap = paused(&handle);
    assert_eq!(at_trap.moment, Some(trap_moment));
    assert_eq!(at_trap.reason, PauseReason::Step);
    assert_eq!(
        at_trap.current().unwrap().func_name.as_deref(),
        Some("print_name")
    );
    // The bad pointer is the operand the load was given.
    let stack = &at_trap.current().unwrap().state.as_ref().unwrap().stack;
    assert_eq!(stack.last().unwrap().value, (0x200 + 0x10000).to_string());
    handle.cancel();
    assert!(next_pause(&handle).is_err());

    // One step back: the load that fetched the pointer, with the stack before it.
    let handle = travel(&recording, Travel::To(trap_moment - 1), Vec::new());
    let before = paused(&handle);
    assert_eq!(before.moment, Some(trap_moment - 1));
    assert_ne!(before.at, at_trap.at, "a different instruction");
    assert_eq!(
        before.current().unwrap().func_name.as_deref(),
        Some("print_name")
    );

    // Step from there: the same moment and place as going straight to it.
    handle.debug(DebugCommand::StepInstruction);
    let stepped = paused(&handle);
    assert_eq!(stepped.moment, Some(trap_moment));
    assert_eq!(stepped.at, at_trap.at);
    // And Continue reaches the trap again, counted the same.
    handle.debug(DebugCommand::Continue);
    let report = next_pause(&handle).unwrap_err();
    assert!(matches!(report.outcome, RunOutcome::Trapped { .. }));
    assert_eq!(report.replay.unwrap().instructions, Some(trap_moment));
}

#[test]
fn reverse_continue_goes_to_each_earlier_breakpoint_hit_then_to_the_start() {
    let recording = recorded();
    let trap_moment = instructions_to_the_trap(&recording);
    let at_set_name =
        debug::resolve_breakpoint(&recording.module, "set_name", BreakAction::Pause).unwrap();

    // From the trap back to the last call of set_name: greet's, with the bad pointer.
    let handle = travel(
        &recording,
        Travel::LastBreakBefore(trap_moment),
        vec![at_set_name.clone()],
    );
    let last = paused(&handle);
    assert_eq!(last.reason, PauseReason::Breakpoint);
    assert_eq!(
        last.current().unwrap().func_name.as_deref(),
        Some("set_name")
    );
    assert_eq!(local(&last, "ptr").value, (0x200 + 0x10000).to_string());
    assert_eq!(last.frames[1].func_name.as_deref(), Some("greet"));
    let last_moment = last.moment.unwrap();
    assert!(last_moment < trap_moment);
    handle.cancel();
    let _ = next_pause(&handle);

    // Again: _start's own call, with the good pointer.
    let handle = travel(
        &recording,
        Travel::LastBreakBefore(last_moment),
        vec![at_set_name.clone()],
    );
    let first = paused(&handle);
    assert_eq!(first.reason, PauseReason::Breakpoint);
    assert_eq!(local(&first, "ptr").value, "512");
    assert_eq!(first.frames[1].func_name.as_deref(), Some("_start"));
    let first_moment = first.moment.unwrap();
    assert!(first_moment < last_moment);
    // Continue from there hits the later call, at the moment found before.
    handle.debug(DebugCommand::Continue);
    let again = paused(&handle);
    assert_eq!(again.moment, Some(last_moment));
    handle.cancel();
    let _ = next_pause(&handle);

    // No hit before the first: the start of the run.
    let handle = travel(
        &recording,
        Travel::LastBreakBefore(first_moment),
        vec![at_set_name],
    );
    let start = paused(&handle);
    assert_eq!(start.moment, Some(1));
    assert_eq!(start.reason, PauseReason::Step);
    assert_eq!(
        start.current().unwrap().func_name.as_deref(),
        Some("_start")
    );
    handle.cancel();
    let _ = next_pause(&handle);
}

#[test]
fn going_back_needs_a_recording_and_is_refused_in_words() {
    let module = engine::load_file(&common::sample("hello")).unwrap();
    let policy = SandboxPolicy {
        debug: true,
        ..SandboxPolicy::default()
    };
    let report = runner::spawn(
        engine::RunRequest {
            name: module.name.clone(),
            wasm: Arc::from(module.wasm),
            precompiled: None,
            policy,
            invocation: Invocation {
                travel: Some(Travel::To(3)),
                ..Invocation::default()
            },
            info: None,
        },
        None,
    )
    .unwrap()
    .wait();
    let RunOutcome::Failed { error, .. } = &report.outcome else {
        panic!("{:?}", report.outcome);
    };
    assert!(error.contains("needs a recording"), "{error}");
}
