//! Time travel in a replay: every instruction counted, so a pause knows its moment, Step back
//! goes to the moment before, and Reverse continue to the previous breakpoint hit.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use common::next_pause;

use std::sync::Arc;

use wasmscope::engine::debug::{
    self, BreakAction, Breakpoint, DebugCommand, DebugValue, PauseReason, PausedState,
};
use wasmscope::engine::policy::Travel;
use wasmscope::engine::record::recording::Recording;
use wasmscope::engine::{self, Invocation, RunOutcome, SandboxPolicy};
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

/// A loop calling `body` with 0, 1, 2, ...: each call is a breakpoint hit with another `$i`.
const LOOP: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $body (param $i i32) (result i32)
    (i32.add (i32.mul (local.get $i) (i32.const 10)) (i32.const 1)))
  (func (export "_start") (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc (i32.add (local.get $acc) (call $body (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 10))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 8)))))"#;

#[test]
fn step_back_from_a_live_pause_finds_it_in_the_recording_and_goes_one_before() {
    let wasm = wat::parse_str(LOOP).unwrap();
    let at_body = debug::resolve_breakpoint(&wasm, "body", BreakAction::Pause).unwrap();
    let live = runner::spawn_with_breakpoints(
        engine::RunRequest {
            name: "loop.wat".to_owned(),
            wasm: Arc::from(wasm),
            precompiled: None,
            policy: SandboxPolicy {
                debug: true,
                ..SandboxPolicy::default()
            },
            invocation: Invocation {
                record_max_bytes: Some(1 << 20),
                ..Invocation::default()
            },
            info: None,
        },
        vec![at_body.clone()],
        None,
    )
    .unwrap();
    // The third call of body ($i = 2), then two steps into it.
    for _ in 0..2 {
        assert_eq!(paused(&live).reason, PauseReason::Breakpoint);
        live.debug(DebugCommand::Continue);
    }
    let third = paused(&live);
    assert_eq!(local(&third, "i").value, "2");
    assert_eq!(third.moment, None, "a live run does not count");
    live.debug(DebugCommand::StepInstruction);
    let _ = paused(&live);
    live.debug(DebugCommand::StepInstruction);
    let here = paused(&live);
    let anchor = here
        .anchor
        .expect("a step after a breakpoint can be found again");
    assert_eq!((anchor.nth, anchor.steps), (3, 2));
    // Going back stops the live run; its recording holds the run so far.
    live.cancel();
    let report = next_pause(&live).unwrap_err();
    let recording = Recording::parse(report.recording.as_ref().unwrap()).unwrap();

    let back = travel(
        &recording,
        Travel::BackFrom {
            anchor,
            reverse: false,
        },
        vec![at_body.clone()],
    );
    let before = paused(&back);
    let moment = before.moment.expect("the replay counts");
    assert_ne!(before.at, here.at);
    // One step forward is the live pause again: the same place and the same values.
    back.debug(DebugCommand::StepInstruction);
    let again = paused(&back);
    assert_eq!(again.moment, Some(moment + 1));
    assert_eq!(again.at, here.at);
    assert_eq!(again.frames, here.frames);
    back.cancel();
    let _ = next_pause(&back);

    // Reverse continue from the live pause: the third hit itself, where the steps began.
    let reverse = travel(
        &recording,
        Travel::BackFrom {
            anchor,
            reverse: true,
        },
        vec![at_body],
    );
    let hit = paused(&reverse);
    assert_eq!(hit.reason, PauseReason::Breakpoint);
    assert_eq!(local(&hit, "i").value, "2");
    assert_eq!(hit.moment, Some(moment - 1));
    reverse.cancel();
    let _ = next_pause(&reverse);
}

#[test]
fn who_wrote_the_pointer_before_the_trap_is_the_store_in_set_name_called_by_greet() {
    use wasmscope::engine::policy::WatchedRange;
    let recording = recorded();
    let trap_moment = instructions_to_the_trap(&recording);
    let search = |range: &str, end: u64| {
        let report = runner::spawn(
            recording.travel_request(Travel::ScanWrites {
                range: WatchedRange::parse(range).unwrap(),
                end,
            }),
            None,
        )
        .unwrap()
        .wait();
        report.replay.unwrap().last_write_at
    };
    // The pointer at 0x100, read by the trapping load: last written by greet's set_name.
    let write = search("0x100:4", trap_moment).expect("a store wrote it");
    let handle = travel(&recording, Travel::To(write), Vec::new());
    let there = paused(&handle);
    assert_eq!(
        there.current().unwrap().func_name.as_deref(),
        Some("set_name")
    );
    assert_eq!(there.frames[1].func_name.as_deref(), Some("greet"));
    assert!(there.at.contains("set_name"), "{}", there.at);
    // The store about to run holds the bad pointer as its value.
    let stack = &there.current().unwrap().state.as_ref().unwrap().stack;
    assert_eq!(stack.last().unwrap().value, (0x200 + 0x10000).to_string());
    handle.cancel();
    let _ = next_pause(&handle);
    // Before that moment, the last write was _start's own call, earlier.
    let earlier = search("0x100:4", write).expect("the first call wrote it too");
    assert!(earlier < write);
    // Bytes no instruction writes: none found (the data segment put the name there).
    assert_eq!(search("0x200:6", trap_moment), None);
}

#[test]
fn step_over_a_call_stays_in_the_caller_and_step_in_enters_the_callee() {
    let wasm = wat::parse_str(LOOP).unwrap();
    // The offset of `call $body` in _start.
    let map = debug::ModuleMap::parse(&wasm).unwrap();
    let start = map.function_named("_start").unwrap();
    let body = map.body(start).unwrap();
    let reader = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(
        &wasm[body.clone()],
        body.start,
    ));
    let mut ops = reader.get_operators_reader().unwrap();
    let call = loop {
        let (op, at) = ops.read_with_offset().unwrap();
        if matches!(op, wasmparser::Operator::Call { .. }) {
            break at;
        }
    };
    let at_call =
        debug::resolve_breakpoint(&wasm, &format!("@{call:#x}"), BreakAction::Pause).unwrap();
    let recording = common::record("loop.wat", wasm);
    let handle = travel(&recording, Travel::Count, vec![at_call]);
    let first = paused(&handle);
    assert_eq!(first.current().unwrap().module_offset, Some(call));
    let moment = first.moment.unwrap();
    // Over: back in _start after the call, the callee's instructions counted on the way.
    handle.debug(DebugCommand::StepOver);
    let over = paused(&handle);
    assert_eq!(over.current().unwrap().func_name.as_deref(), Some("_start"));
    assert_ne!(over.current().unwrap().module_offset, Some(call));
    assert!(over.moment.unwrap() > moment + 2, "{:?}", over.moment);
    handle.cancel();
    let _ = next_pause(&handle);
    // In: the first instruction of body.
    let handle = travel(
        &recording,
        Travel::Count,
        vec![
            debug::resolve_breakpoint(
                &recording.module,
                &format!("@{call:#x}"),
                BreakAction::Pause,
            )
            .unwrap(),
        ],
    );
    let _ = paused(&handle);
    handle.debug(DebugCommand::StepInstruction);
    let into = paused(&handle);
    assert_eq!(into.current().unwrap().func_name.as_deref(), Some("body"));
    // The call, then body entered and its first instruction begun.
    assert_eq!(into.moment, Some(moment + 2));
    handle.cancel();
    let _ = next_pause(&handle);
}
