//! Components and WASI preview 2: inspect shows the WIT world, exports run with WAVE
//! arguments, and traps, timeouts and unresolved imports come out as for core modules.
//! Components are written in component-model text here and parsed at test time.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use wasmscope::engine::{
    self, Entry, Invocation, ModuleKind, ModuleStyle, RunOutcome, SandboxPolicy,
};

/// A component exporting `add`, `boom` (traps) and `spin` (never ends).
const CALC: &str = r#"
(component
  (core module $m
    (func (export "add") (param i32 i32) (result i32)
      local.get 0
      local.get 1
      i32.add)
    (func $explode unreachable)
    (func (export "boom") call $explode)
    (func (export "spin") (loop $again br $again)))
  (core instance $i (instantiate $m))
  (func (export "add") (param "a" u32) (param "b" u32) (result u32)
    (canon lift (core func $i "add")))
  (func (export "boom") (canon lift (core func $i "boom")))
  (func (export "spin") (canon lift (core func $i "spin"))))
"#;

/// A `wasi:cli/command` that writes "hello" to stdout through wasi:io/streams.
const HELLO: &str = r#"
(component
  (import "wasi:io/error@0.2.0" (instance $error
    (export "error" (type (sub resource)))))
  (alias export $error "error" (type $error-res))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer 1 $error-res (type $err))
    (export "error" (type $err-ty (eq $err)))
    (export "output-stream" (type $os (sub resource)))
    (type $se (variant (case "last-operation-failed" (own $err-ty)) (case "closed")))
    (export "stream-error" (type $se-ty (eq $se)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8))
            (result (result (error $se-ty)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:cli/stdout@0.2.0" (instance $stdout
    (alias outer 1 $output-stream (type $os))
    (export "output-stream" (type $os-ty (eq $os)))
    (export "get-stdout" (func (result (own $os-ty))))))
  (core module $Mem (memory (export "memory") 1))
  (core instance $mem (instantiate $Mem))
  (core func $get-stdout (canon lower (func $stdout "get-stdout")))
  (core func $write
    (canon lower (func $streams "[method]output-stream.blocking-write-and-flush")
      (memory (core memory $mem "memory"))))
  (core module $Main
    (import "mem" "memory" (memory 1))
    (import "wasi" "get-stdout" (func $get_stdout (result i32)))
    (import "wasi" "write" (func $write (param i32 i32 i32 i32)))
    (data (i32.const 16) "hello\n")
    (func (export "run") (result i32)
      (call $write (call $get_stdout) (i32.const 16) (i32.const 6) (i32.const 32))
      i32.const 0))
  (core instance $main (instantiate $Main
    (with "mem" (instance $mem))
    (with "wasi" (instance
      (export "get-stdout" (func $get-stdout))
      (export "write" (func $write))))))
  (func $run (result (result)) (canon lift (core func $main "run")))
  (instance $run-inst (export "run" (func $run)))
  (export "wasi:cli/run@0.2.0" (instance $run-inst)))
"#;

fn component(text: &str) -> Vec<u8> {
    wat::parse_str(text).expect("test component parses")
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

#[test]
fn inspect_shows_the_wit_world_and_exports() {
    let info = engine::inspect(&component(CALC));
    assert_eq!(info.kind, ModuleKind::Component);
    assert_eq!(info.style, ModuleStyle::Reactor);
    let wit = info.wit.as_deref().expect("a WIT world");
    assert!(
        wit.contains("export add: func(a: u32, b: u32) -> u32;"),
        "{wit}"
    );
    let add = info.exports.iter().find(|e| e.name == "add").unwrap();
    assert_eq!(add.ty, "func(a: u32, b: u32) -> u32");
    assert!(info.unresolved.is_empty(), "{:?}", info.unresolved);
    assert!(info.is_runnable());
}

#[test]
fn invoking_add_with_wave_arguments_returns_a_wave_result() {
    let ran = common::run_wasm_with(
        "calc.wasm",
        component(CALC),
        SandboxPolicy::default(),
        invoke("add", &["2", "3"]),
    );
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert_eq!(ran.report.results, vec!["5"]);
}

#[test]
fn a_bad_wave_argument_is_a_clear_failure() {
    let ran = common::run_wasm_with(
        "calc.wasm",
        component(CALC),
        SandboxPolicy::default(),
        invoke("add", &["2", "three"]),
    );
    match &ran.report.outcome {
        RunOutcome::Failed { error, .. } => {
            assert!(error.contains("argument 2 (`b`)"), "{error}")
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_trapping_component_is_a_trap_with_frames() {
    let ran = common::run_wasm_with(
        "calc.wasm",
        component(CALC),
        SandboxPolicy::default(),
        invoke("boom", &[]),
    );
    match &ran.report.outcome {
        RunOutcome::Trapped { trap } => {
            assert_eq!(trap.code, "UnreachableCodeReached");
            assert!(!trap.frames.is_empty(), "{trap:?}");
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(ran.report.outcome.exit_status(), 134);
}

#[test]
fn an_endless_component_times_out_under_the_policy() {
    let policy = SandboxPolicy {
        timeout_ms: Some(200),
        ..SandboxPolicy::default()
    };
    let ran = common::run_wasm_with("calc.wasm", component(CALC), policy, invoke("spin", &[]));
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 200 });
}

#[test]
fn an_unknown_interface_is_unresolved_and_the_run_says_so() {
    let bytes = component(
        r#"(component
            (import "acme:db/query@1.0.0" (instance (export "ping" (func (result u32)))))
            (core module $m (func (export "f")))
            (core instance $i (instantiate $m))
            (func (export "f") (canon lift (core func $i "f"))))"#,
    );
    let info = engine::inspect(&bytes);
    let unresolved: Vec<_> = info
        .unresolved
        .iter()
        .map(|u| format!("{}::{}", u.module, u.name))
        .collect();
    assert_eq!(unresolved, vec!["acme:db/query@1.0.0::ping"]);
    assert!(!info.is_runnable());

    let ran = common::run_wasm_with("db.wasm", bytes, SandboxPolicy::default(), invoke("f", &[]));
    match &ran.report.outcome {
        RunOutcome::Failed { error, unresolved } => {
            assert!(error.contains("cannot be satisfied"), "{error}");
            assert_eq!(unresolved.len(), 1);
            assert!(
                unresolved[0].reason.contains("acme:db/query"),
                "{unresolved:?}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_component_without_run_explains_how_to_invoke() {
    let ran = common::run_wasm("calc.wasm", component(CALC), SandboxPolicy::default());
    match &ran.report.outcome {
        RunOutcome::Failed { error, .. } => {
            assert!(
                error.contains("wasi:cli/run") && error.contains("add"),
                "{error}"
            )
        }
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_wasi_command_component_prints_hello_through_the_runner() {
    let bytes = component(HELLO);
    let info = engine::inspect(&bytes);
    assert_eq!(info.style, ModuleStyle::Command, "{:?}", info.warnings);
    assert!(info.unresolved.is_empty(), "{:?}", info.unresolved);
    assert!(
        info.wasi
            .interfaces
            .iter()
            .any(|i| i == "wasi:cli/stdout@0.2.0"),
        "{:?}",
        info.wasi.interfaces
    );
    let ran = common::run_wasm("hello.wasm", bytes, SandboxPolicy::default());
    assert_eq!(
        ran.report.outcome,
        RunOutcome::Exited { code: 0 },
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stdout, "hello\n");
    assert_eq!(ran.report.stats.stdout_bytes, 6);
}

#[test]
fn a_command_whose_run_returns_err_exits_with_code_1() {
    let bytes = component(
        r#"(component
            (core module $m (func (export "run") (result i32) i32.const 1))
            (core instance $i (instantiate $m))
            (func $run (result (result)) (canon lift (core func $i "run")))
            (instance $r (export "run" (func $run)))
            (export "wasi:cli/run@0.2.0" (instance $r)))"#,
    );
    let ran = common::run_wasm("fails.wasm", bytes, SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 1 });
    assert_eq!(ran.report.exit_code, Some(1));
}

#[test]
fn the_cli_describes_a_component_with_its_wit_and_invokes_it() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("calc.wat");
    std::fs::write(&path, CALC).unwrap();
    let inspect = std::process::Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .arg("inspect")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&inspect.stdout);
    assert!(inspect.status.success(), "{text}");
    assert!(text.contains("world root {"), "{text}");
    assert!(
        text.contains("export add: func(a: u32, b: u32) -> u32;"),
        "{text}"
    );

    let run = std::process::Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(["run", "--invoke", "add"])
        .arg(&path)
        .args(["40", "2"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "42");
}
