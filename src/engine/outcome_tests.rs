//! Tests of `outcome.rs`.

use super::*;

#[test]
fn every_outcome_explains_itself_and_names_the_limit_that_ended_it() {
    let timed_out = RunOutcome::TimedOut { timeout_ms: 1500 };
    assert!(timed_out.explain().contains("1500 ms timeout passed"));
    assert_eq!(timed_out.limit(), Some(Limit::Timeout));
    let fuel = RunOutcome::FuelExhausted { fuel: 42 };
    assert!(fuel.explain().contains("about 42 wasm instructions"));
    assert_eq!(fuel.limit(), Some(Limit::Fuel));
    assert!(
        RunOutcome::Exited { code: 3 }
            .explain()
            .contains("the program's own verdict")
    );
    assert_eq!(RunOutcome::Exited { code: 3 }.limit(), None);
    assert!(RunOutcome::Cancelled.explain().contains("You pressed Stop"));
    let unlinked = RunOutcome::Failed {
        error: "unknown import".to_owned(),
        unresolved: vec![crate::engine::info::UnresolvedImport {
            module: "env".to_owned(),
            name: "f".to_owned(),
            kind: crate::engine::info::ExternKind::Func,
            reason: "not WASI".to_owned(),
        }],
    };
    assert!(unlinked.explain().contains("cannot link 1 import:"));
}

#[test]
fn every_common_trap_code_has_its_own_explanation() {
    let fallback = TrapKind::from_code("SomethingNew").explain();
    for code in [
        "MemoryOutOfBounds",
        "IntegerDivisionByZero",
        "UnreachableCodeReached",
        "StackOverflow",
        "BadSignature",
        "IndirectCallToNull",
        "IntegerOverflow",
        "BadConversionToInteger",
        "TableOutOfBounds",
        "GrowthDenied",
        "HostError",
    ] {
        assert_ne!(
            TrapKind::from_code(code).explain(),
            fallback,
            "{code} falls back"
        );
    }
}

#[test]
fn trap_codes_name_their_kind_and_back() {
    for kind in TrapKind::ALL {
        assert_eq!(TrapKind::from_code(kind.code()), kind, "{kind}");
    }
    assert_eq!(
        TrapKind::of(&wasmtime::Trap::IntegerDivisionByZero),
        TrapKind::IntegerDivisionByZero
    );
}
