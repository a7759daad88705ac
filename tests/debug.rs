//! Debug mode: the state at a trap, logpoints, breakpoints, stepping and pausing, on small
//! WAT modules whose values are known. Few runs per test: a guest-debug engine compiles and
//! runs slower than the normal one.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use common::{next_pause, wasmscope};

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmscope::engine::debug::{
    self, BreakAction, Breakpoint, DebugCommand, DebugValue, PauseReason, PausedState,
};
use wasmscope::engine::{
    self, Entry, Invocation, RunEvent, RunOutcome, RunReport, SandboxPolicy, TrapInfo,
};
use wasmscope::runner::{self, RunHandle};

fn debug_policy() -> SandboxPolicy {
    SandboxPolicy {
        debug: true,
        ..SandboxPolicy::default()
    }
}

fn invoke(name: &str, args: &[&str]) -> Invocation {
    Invocation {
        entry: Entry::Invoke {
            name: name.to_owned(),
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        },
        ..Invocation::default()
    }
}

fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).unwrap()
}

fn run(wat: &str, policy: SandboxPolicy, invocation: Invocation) -> RunReport {
    common::run_wasm_with("test.wat", wasm(wat), policy, invocation).report
}

fn trap(report: &RunReport) -> &TrapInfo {
    match &report.outcome {
        RunOutcome::Trapped { trap } => trap,
        other => panic!("expected a trap, got {other:?}"),
    }
}

fn value<'a>(values: &'a [DebugValue], name: &str) -> &'a DebugValue {
    values
        .iter()
        .find(|v| v.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no value named {name} in {values:?}"))
}

fn locals(frame: &engine::FrameInfo) -> &[DebugValue] {
    &frame.state.as_ref().unwrap().locals
}

const LOCALS: &str = r#"(module
  (global $counter (mut i32) (i32.const 42))
  (global $scale f64 (f64.const 0.5))
  (func $inner (param $n i32) (result i32)
    (local $x i32) (local $f f64) (local $big i64)
    (local.set $x (i32.const 7))
    (local.set $f (f64.const 2.5))
    (local.set $big (i64.const -1))
    unreachable)
  (func (export "outer") (param $n i32) (result i32)
    (local $twice i32)
    (local.set $twice (i32.mul (local.get $n) (i32.const 2)))
    (call $inner (local.get $twice))))"#;

#[test]
fn a_trap_in_debug_mode_keeps_every_frames_locals_and_the_globals_in_the_report() {
    let report = run(LOCALS, debug_policy(), invoke("outer", &["-3"]));
    let trap = trap(&report);
    assert_eq!(trap.code, "UnreachableCodeReached");
    assert_eq!(trap.frames.len(), 2, "{:?}", trap.frames);
    let inner = &trap.frames[0];
    assert_eq!(inner.func_name.as_deref(), Some("inner"));
    let values = locals(inner);
    assert_eq!(value(values, "n").value, "-6");
    assert_eq!(
        (
            value(values, "x").ty.as_str(),
            value(values, "x").value.as_str()
        ),
        ("i32", "7")
    );
    assert_eq!(
        (
            value(values, "f").ty.as_str(),
            value(values, "f").value.as_str()
        ),
        ("f64", "2.5")
    );
    assert_eq!(
        (
            value(values, "big").ty.as_str(),
            value(values, "big").value.as_str()
        ),
        ("i64", "-1")
    );
    // The caller's frame too, with its own locals.
    assert_eq!(value(locals(&trap.frames[1]), "n").value, "-3");
    assert_eq!(value(locals(&trap.frames[1]), "twice").value, "-6");
    let globals = &trap.debug.as_ref().unwrap().globals;
    assert_eq!(value(globals, "counter").value, "42");
    assert_eq!(value(globals, "scale").value, "0.5");

    // The JSON report: trap.frames[i].locals / stack as {index, name, type, value}, globals.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let frame = &json["trap"]["frames"][0];
    let x = frame["locals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "x")
        .unwrap();
    assert_eq!(
        (&x["index"], &x["type"], &x["value"]),
        (&1.into(), &"i32".into(), &"7".into())
    );
    assert!(frame["stack"].is_array(), "{frame}");
    let globals = json["trap"]["globals"].as_array().unwrap();
    assert_eq!(
        (&globals[0]["name"], &globals[0]["value"]),
        (&"counter".into(), &"42".into())
    );
}

#[test]
fn without_debug_mode_a_trap_has_no_locals_and_winch_is_refused_for_debug_mode() {
    let report = run(LOCALS, SandboxPolicy::default(), invoke("outer", &["5"]));
    let trap = trap(&report);
    assert!(trap.frames.iter().all(|f| f.state.is_none()));
    assert!(trap.debug.is_none());
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert!(json["trap"]["frames"][0].get("locals").is_none());
    assert!(json["trap"].get("globals").is_none());

    let winch = SandboxPolicy {
        compiler: engine::Compiler::Winch,
        ..debug_policy()
    };
    match run(LOCALS, winch, invoke("outer", &["1"])).outcome {
        RunOutcome::Failed { error, .. } => assert!(error.contains("Cranelift"), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_operand_stack_at_a_division_and_the_faulting_address_of_a_bad_load() {
    let divide = r#"(module
      (func (export "divide") (param $a i32) (param $b i32) (result i32)
        i32.const 100
        local.get $a
        local.get $b
        i32.div_s
        i32.add))"#;
    let report = run(divide, debug_policy(), invoke("divide", &["17", "0"]));
    let trap = trap(&report);
    assert_eq!(trap.code, "IntegerDivisionByZero");
    let state = trap.frames[0].state.as_ref().unwrap();
    let stack: Vec<&str> = state.stack.iter().map(|v| v.value.as_str()).collect();
    // The division's own operands are consumed when it traps; what sits below them stays,
    // and the locals hold the divisor.
    assert_eq!(stack, ["100"]);
    assert_eq!(value(&state.locals, "b").value, "0");

    // Explicit bounds checks leave no address in wasmtime's error: it is computed.
    let poke = r#"(module
      (memory 1)
      (func (export "poke") (param $p i32) (result i32)
        (i32.load offset=16 (local.get $p))))"#;
    let report = run(poke, debug_policy(), invoke("poke", &["65530"]));
    assert_eq!(self::trap(&report).code, "MemoryOutOfBounds");
    assert_eq!(self::trap(&report).fault_address, Some(65530 + 16));
}

#[test]
fn a_frame_with_50000_locals_and_recursion_10000_deep_are_cut_and_say_so() {
    let wide = format!(
        r#"(module
      (func (export "wide") (param i32) (result i32)
        (local i32 i32) (local {})
        (local.set 1 (i32.const 11))
        unreachable))"#,
        "i64 ".repeat(49_997)
    );
    let report = run(&wide, debug_policy(), invoke("wide", &["3"]));
    let trap = trap(&report);
    let state = trap.frames[0].state.as_ref().unwrap();
    assert_eq!(state.locals.len(), debug::MAX_VALUES);
    assert_eq!(state.locals_omitted as usize, 50_000 - debug::MAX_VALUES);
    assert_eq!(
        (
            state.locals[0].value.as_str(),
            state.locals[1].value.as_str()
        ),
        ("3", "11")
    );
    let notes = trap.debug.as_ref().unwrap().omissions(&trap.frames);
    assert!(
        notes.iter().any(|n| n.contains("50000 locals")),
        "{notes:?}"
    );

    let deep = r#"(module
      (func $down (export "down") (param $n i32) (result i32)
        (if (result i32) (i32.eqz (local.get $n))
          (then unreachable)
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get $n) (i32.const 1))))))))"#;
    let policy = SandboxPolicy {
        max_wasm_stack_bytes: 64 << 20,
        ..debug_policy()
    };
    let report = run(deep, policy, invoke("down", &["10000"]));
    let trap = self::trap(&report);
    assert_eq!(trap.frames.len(), debug::MAX_FRAMES);
    // Innermost first: n counts up from 0 toward the caller.
    for (depth, frame) in trap.frames.iter().enumerate() {
        assert_eq!(value(locals(frame), "n").value, depth.to_string());
    }
    let state = trap.debug.as_ref().unwrap();
    assert_eq!(state.frames_omitted as usize, 10_001 - debug::MAX_FRAMES);
    let notes = state.omissions(&trap.frames);
    assert!(notes[0].contains("innermost 64 frames"), "{notes:?}");
}

const LOOP: &str = r#"(module
  (func $body (param $i i32) (param $acc i32) (result i32)
    (i32.add (local.get $acc) (local.get $i)))
  (func (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call $body (local.get $i) (local.get $acc)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))"#;

fn spawn(wat: &str, policy: SandboxPolicy, args: Invocation, at: Vec<Breakpoint>) -> RunHandle {
    let request = engine::RunRequest {
        name: "test.wat".to_owned(),
        wasm: Arc::from(wasm(wat)),
        precompiled: None,
        policy,
        invocation: args,
        info: None,
    };
    runner::spawn_with_breakpoints(request, at, None).unwrap()
}

#[test]
fn a_logpoint_hit_a_million_times_counts_every_hit_and_prints_a_bounded_number_of_lines() {
    let at = debug::resolve_breakpoint(&wasm(LOOP), "body", BreakAction::Log).unwrap();
    let policy = SandboxPolicy {
        timeout_ms: None,
        ..debug_policy()
    };
    let handle = spawn(LOOP, policy, invoke("sum", &["1000000"]), vec![at]);
    let mut lines = Vec::new();
    let report = handle.wait_with(|event| {
        if let RunEvent::Logpoint(hit) = event {
            lines.push(hit.line.clone());
        }
    });
    assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
    let record = &report.breaks[0];
    assert_eq!(record.hits, 1_000_000);
    assert_eq!(lines.len() as u64, debug::MAX_LOG_LINES);
    assert_eq!(record.printed, debug::MAX_LOG_LINES);
    assert!(
        lines[2].contains("body+0x") && lines[2].contains("hit 3: i=2 acc=1"),
        "{}",
        lines[2]
    );
    assert_eq!(value(&record.first, "i").value, "0");
    assert_eq!(value(&record.last, "i").value, "999999");
}

#[test]
fn the_cli_prints_the_trapping_frames_locals_and_logpoints_and_refuses_a_bad_break() {
    let sample = common::sample("debug_me").display().to_string();
    let out = wasmscope(&["run", "--debug", &sample]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(134), "{stderr}");
    assert!(stderr.contains("locals of frame 0:"), "{stderr}");
    // The empty list: count = 0 is the divisor.
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("$count") && l.ends_with(" 0")),
        "{stderr}"
    );
    assert!(stderr.contains("$lists_done"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("r.json");
    let report_arg = report_path.display().to_string();
    let out = wasmscope(&[
        "run",
        "--break",
        "average",
        "--report",
        &report_arg,
        &sample,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let hits: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("break average+0x"))
        .collect();
    assert!(hits.len() >= 3, "{stderr}");
    assert!(hits[0].contains("hit 1: scores=256 count=3"), "{stderr}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).unwrap()).unwrap();
    let record = &json["breaks"][0];
    assert_eq!(record["hits"], 3);
    assert_eq!(value_named(&record["last"], "count"), "0");

    for bad in ["nope", "average+0x4000", "@0x1"] {
        let out = wasmscope(&["run", "--break", bad, &sample]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains(&format!("--break {bad}:")), "{stderr}");
    }
}

fn value_named<'a>(values: &'a serde_json::Value, name: &str) -> &'a str {
    let found = values
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap();
    found["value"].as_str().unwrap()
}

// ---------------------------------------------------------------------------------------------
// Pausing: breakpoints, step, step out, Pause, Stop and the timeout while paused.

/// The offset of the instruction after the one at `offset`, read with wasmparser.
fn next_instruction_after(wasm: &[u8], offset: usize) -> usize {
    let map = debug::ModuleMap::parse(wasm).unwrap();
    let body = map.body(map.function_at(offset).unwrap()).unwrap();
    let reader = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(
        &wasm[body.clone()],
        body.start,
    ));
    let mut ops = reader.get_operators_reader().unwrap();
    while !ops.eof() {
        let (_, at) = ops.read_with_offset().unwrap();
        if at > offset {
            return at;
        }
    }
    panic!("no instruction after {offset:#x}");
}

fn current_locals(paused: &PausedState) -> &[DebugValue] {
    locals(paused.current().unwrap())
}

#[test]
fn a_breakpoint_pauses_step_advances_one_instruction_and_continue_hits_it_again() {
    let wasm = wasm(LOOP);
    let at = debug::resolve_breakpoint(&wasm, "body", BreakAction::Pause).unwrap();
    let handle = spawn(
        LOOP,
        debug_policy(),
        invoke("sum", &["3"]),
        vec![at.clone()],
    );
    let paused = next_pause(&handle).unwrap();
    assert_eq!(paused.reason, PauseReason::Breakpoint);
    let frame = paused.current().unwrap();
    assert_eq!(frame.module_offset, Some(at.module_offset));
    assert_eq!(frame.func_name.as_deref(), Some("body"));
    assert_eq!(paused.frames.len(), 2);
    assert!(paused.at.starts_with("body+0x"), "{}", paused.at);

    handle.debug(DebugCommand::StepInstruction);
    let stepped = next_pause(&handle).unwrap();
    assert_eq!(stepped.reason, PauseReason::Step);
    let next = next_instruction_after(&wasm, at.module_offset);
    assert_eq!(stepped.current().unwrap().module_offset, Some(next));
    // The first `local.get` pushed acc (0) on the operand stack.
    let stack = &stepped.current().unwrap().state.as_ref().unwrap().stack;
    assert_eq!(
        stack.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(),
        ["0"]
    );

    // Continue: the breakpoint is hit again on the next iteration, with i = 1.
    handle.debug(DebugCommand::Continue);
    let again = next_pause(&handle).unwrap();
    assert_eq!(value(current_locals(&again), "i").value, "1");
    // Clear it while paused: the run finishes without pausing again.
    handle.debug(DebugCommand::SetBreakpoint {
        module_offset: at.module_offset,
        enabled: false,
    });
    handle.debug(DebugCommand::Continue);
    assert_eq!(next_pause(&handle).unwrap_err().results, ["3"]);
}

/// The offset of the first `call` instruction in the module, read with wasmparser.
fn first_call(wasm: &[u8]) -> usize {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let (op, at) = ops.read_with_offset().unwrap();
                if matches!(op, wasmparser::Operator::Call { .. }) {
                    return at;
                }
            }
        }
    }
    panic!("no call in the module");
}

/// Issue 24: the caller frame pointed past the call (at the instruction it returns to), and
/// Step out then paused one instruction later still.
#[test]
fn step_out_pauses_in_the_caller_right_after_the_call() {
    let wasm = wasm(LOOP);
    let call = first_call(&wasm);
    let at = debug::resolve_breakpoint(&wasm, "body", BreakAction::Pause).unwrap();
    let handle = spawn(
        LOOP,
        debug_policy(),
        invoke("sum", &["2"]),
        vec![at.clone()],
    );
    let paused = next_pause(&handle).unwrap();
    // The caller's frame marks the call it is in.
    assert_eq!(paused.frames[1].module_offset, Some(call));
    handle.debug(DebugCommand::StepOut);
    let out = next_pause(&handle).unwrap();
    assert_eq!(out.reason, PauseReason::StepOut);
    assert_eq!(out.frames.len(), 1);
    assert_eq!(out.current().unwrap().func_name.as_deref(), Some("sum"));
    // The `local.set` that takes the call's result: the first instruction after the call.
    assert_eq!(
        out.current().unwrap().module_offset,
        Some(next_instruction_after(&wasm, call))
    );
    handle.debug(DebugCommand::SetBreakpoint {
        module_offset: at.module_offset,
        enabled: false,
    });
    handle.debug(DebugCommand::Continue);
    assert_eq!(next_pause(&handle).unwrap_err().results, ["1"]);
}

const SPIN: &str = r#"(module
  (func $spin (param $n i32)
    (loop $forever
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $forever)))
  (func (export "run") (call $spin (i32.const 0))))"#;

#[test]
fn pause_stops_an_infinite_loop_in_the_looping_function_and_stop_ends_it_at_once() {
    let policy = SandboxPolicy {
        timeout_ms: None,
        ..debug_policy()
    };
    let handle = spawn(SPIN, policy, invoke("run", &[]), Vec::new());
    std::thread::sleep(Duration::from_millis(100));
    handle.debug(DebugCommand::Pause);
    let paused = next_pause(&handle).unwrap();
    assert_eq!(paused.reason, PauseReason::Requested);
    assert_eq!(paused.current().unwrap().func_name.as_deref(), Some("spin"));
    let n: i64 = value(current_locals(&paused), "n").value.parse().unwrap();
    assert!(n > 0, "the loop ran before the pause: n = {n}");
    // Stop while paused ends the run at once, as cancelled.
    let stopped = Instant::now();
    handle.cancel();
    let report = handle.wait();
    assert_eq!(report.outcome, RunOutcome::Cancelled);
    assert!(stopped.elapsed() < common::PROMPT);
    // Issue 24: it says where it stopped, as a Stop of a running guest does: where it paused.
    let at = report.stopped_at.expect("where it stopped");
    assert_eq!(at.frames[0].func_name.as_deref(), Some("spin"));
    assert_eq!(
        at.frames[0].module_offset,
        paused.current().unwrap().module_offset
    );
}

#[test]
fn time_spent_paused_does_not_count_toward_the_timeout_but_running_time_does() {
    let at = debug::resolve_breakpoint(&wasm(LOOP), "body", BreakAction::Pause).unwrap();
    let policy = SandboxPolicy {
        timeout_ms: Some(300),
        ..debug_policy()
    };
    let handle = spawn(
        LOOP,
        policy.clone(),
        invoke("sum", &["3"]),
        vec![at.clone()],
    );
    assert_eq!(next_pause(&handle).unwrap().reason, PauseReason::Breakpoint);
    // Paused for well over the timeout.
    std::thread::sleep(Duration::from_millis(800));
    handle.debug(DebugCommand::SetBreakpoint {
        module_offset: at.module_offset,
        enabled: false,
    });
    handle.debug(DebugCommand::Continue);
    let report = next_pause(&handle).unwrap_err();
    assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
    // Issue #34: the time paused is reported apart from the guest's own time ("ran 11 s"
    // after a 28 ms run that sat at a pause for 11 s).
    assert!(report.stats.paused_ms >= 800, "{:?}", report.stats);
    assert!(report.stats.wall_ms < 800, "{:?}", report.stats);

    // A debug run that is not paused still times out.
    let report = spawn(SPIN, policy, invoke("run", &[]), Vec::new()).wait();
    assert_eq!(report.outcome, RunOutcome::TimedOut { timeout_ms: 300 });
}

#[test]
fn breakpoints_without_debug_mode_are_refused_and_a_run_whose_face_left_is_not_left_paused() {
    let at = debug::resolve_breakpoint(&wasm(LOOP), "body", BreakAction::Pause).unwrap();
    let report = spawn(
        LOOP,
        SandboxPolicy::default(),
        invoke("sum", &["3"]),
        vec![at.clone()],
    )
    .wait();
    match report.outcome {
        RunOutcome::Failed { error, .. } => assert!(error.contains("debug mode"), "{error}"),
        other => panic!("{other:?}"),
    }

    let handle = spawn(LOOP, debug_policy(), invoke("sum", &["3"]), vec![at]);
    assert_eq!(next_pause(&handle).unwrap().reason, PauseReason::Breakpoint);
    // Dropping the handle: nobody can answer the pause, so the guest runs on to its end.
    let events = handle.events.clone();
    drop(handle);
    let report = loop {
        if let RunEvent::Finished(report) = events.recv_timeout(common::PROMPT).unwrap() {
            break report;
        }
    };
    assert_eq!(report.results, ["3"]);
}

#[test]
fn a_component_in_debug_mode_keeps_the_state_at_a_trap_but_refuses_breakpoints() {
    let calc = r#"(component
      (core module $m
        (func $explode (param $depth i32) unreachable)
        (func (export "boom") (call $explode (i32.const 7))))
      (core instance $i (instantiate $m))
      (func (export "boom") (canon lift (core func $i "boom"))))"#;
    let report = run(calc, debug_policy(), invoke("boom", &[]));
    let trap = trap(&report);
    assert_eq!(trap.code, "UnreachableCodeReached");
    assert_eq!(value(locals(&trap.frames[0]), "depth").value, "7");

    let somewhere = Breakpoint {
        spec: "@0x1".to_owned(),
        module_offset: 1,
        func_index: 0,
        at: "@0x1".to_owned(),
        action: BreakAction::Pause,
    };
    let report = spawn(calc, debug_policy(), invoke("boom", &[]), vec![somewhere]).wait();
    match report.outcome {
        RunOutcome::Failed { error, .. } => {
            assert!(error.contains("not available for components"), "{error}")
        }
        other => panic!("{other:?}"),
    }
}
