//! Compiling before Run and the compiled-code cache (issue 13): one compile per module however
//! many ask at once, and a compiler that lacks a proposal saying so instead of calling a valid
//! module invalid.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use wasmscope::engine::sandbox::{self, EngineKey};
use wasmscope::engine::{Compiler, RunOutcome, SandboxPolicy};

#[test]
fn a_run_started_during_a_background_compile_waits_for_it_instead_of_compiling_again() {
    let wasm = common::many_functions(3000, 11, false);
    let key = EngineKey::for_policy(&SandboxPolicy::default());
    let shared = sandbox::shared_engine(key).unwrap();
    // The window's background compile, on its own thread; it keeps the code pinned.
    let background = {
        let (shared, wasm) = (shared.clone(), wasm.clone());
        std::thread::spawn(move || sandbox::compile_pinned(&shared, key, &wasm).unwrap())
    };
    let ran = common::run_wasm("joined", wasm, SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    let (done, _pin) = background.join().unwrap();
    // Exactly one of the two compiled; the other found its code (waiting if it had to).
    assert!(
        done.cached != ran.report.stats.compile_cached,
        "background cached: {}, run cached: {}",
        done.cached,
        ran.report.stats.compile_cached
    );
}

/// Throws a tag and catches it: valid with the exception-handling proposal.
const EXCEPTIONS: &str = r#"(module
  (tag $oops (param i32))
  (func (export "_start")
    (block $caught (result i32)
      (try_table (catch $oops $caught)
        (throw $oops (i32.const 7)))
      (unreachable))
    (drop)))"#;

#[test]
fn winch_on_exception_handling_says_what_it_lacks_and_that_cranelift_runs_it() {
    let wasm = wat::parse_str(EXCEPTIONS).unwrap();
    let winch = common::run_wasm(
        "eh.wasm",
        wasm.clone(),
        SandboxPolicy {
            compiler: Compiler::Winch,
            ..SandboxPolicy::default()
        },
    );
    let RunOutcome::Failed { error, .. } = &winch.report.outcome else {
        panic!("winch ran it: {:?}", winch.report.outcome);
    };
    assert!(!error.starts_with("invalid module"), "{error}");
    assert!(error.contains("Winch"), "{error}");
    assert!(error.contains("exception handling"), "{error}");
    assert!(error.contains("choose Cranelift"), "{error}");

    let cranelift = common::run_wasm("eh.wasm", wasm, SandboxPolicy::default());
    assert_eq!(cranelift.report.outcome, RunOutcome::Exited { code: 0 });
}

#[test]
fn a_module_no_compiler_accepts_is_still_called_invalid() {
    // `wat` checks syntax only: `i32.add` on an empty stack builds, and every compiler's
    // validation rejects it.
    let wasm = wat::parse_str(r#"(module (func (export "_start") i32.add drop))"#).unwrap();
    let winch = common::run_wasm(
        "bad.wasm",
        wasm,
        SandboxPolicy {
            compiler: Compiler::Winch,
            ..SandboxPolicy::default()
        },
    );
    let RunOutcome::Failed { error, .. } = &winch.report.outcome else {
        panic!("ran: {:?}", winch.report.outcome);
    };
    assert!(error.contains("invalid"), "{error}");
    assert!(!error.contains("choose Cranelift"), "{error}");
}
