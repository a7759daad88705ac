//! What the adapter tells the client it can do (`initialize`), and the exception filters it
//! offers: which traps stop a session.

use serde_json::{Value, json};

use crate::engine::TrapKind;

/// Every trap stops the session.
pub const ALL_TRAPS: &str = "traps";

/// The exception filters offered: id, label, what it means, the trap kinds it stops at (all
/// for none listed).
pub const TRAP_FILTERS: &[(&str, &str, &str, &[TrapKind])] = &[
    (
        ALL_TRAPS,
        "Every trap",
        "Stop at any trap, before the trapping instruction runs.",
        &[],
    ),
    (
        "unreachable",
        "Panics and unreachable",
        "A Rust panic, a C assert or abort, an `unreachable` instruction, an AssemblyScript abort.",
        &[TrapKind::UnreachableCodeReached, TrapKind::GuestAbort],
    ),
    (
        "memory",
        "Out of bounds",
        "A memory, table or array access outside its bounds, or a null call.",
        &[
            TrapKind::MemoryOutOfBounds,
            TrapKind::TableOutOfBounds,
            TrapKind::ArrayOutOfBounds,
            TrapKind::IndirectCallToNull,
            TrapKind::NullReference,
        ],
    ),
    (
        "arithmetic",
        "Divide by zero and overflow",
        "Integer division by zero or overflow, a float that does not convert to an integer.",
        &[
            TrapKind::IntegerDivisionByZero,
            TrapKind::IntegerOverflow,
            TrapKind::BadConversionToInteger,
        ],
    ),
    (
        "stack",
        "Stack overflow",
        "The wasm stack ran out (deep or endless recursion).",
        &[TrapKind::StackOverflow],
    ),
];

/// The trap kinds filter `id` stops at (empty: every kind), or `None` for an unknown filter.
pub fn trap_filter(id: &str) -> Option<&'static [TrapKind]> {
    TRAP_FILTERS
        .iter()
        .find(|(known, ..)| *known == id)
        .map(|(.., kinds)| *kinds)
}

/// What the adapter can do (the `initialize` response).
pub fn capabilities() -> Value {
    let filters: Vec<Value> = TRAP_FILTERS
        .iter()
        .map(|(id, label, description, _)| {
            json!({
                "filter": id, "label": label, "description": description,
                "default": *id == ALL_TRAPS,
            })
        })
        .collect();
    json!({
        "exceptionBreakpointFilters": filters,
        "supportsConfigurationDoneRequest": true,
        "supportsFunctionBreakpoints": true,
        "supportsInstructionBreakpoints": true,
        "supportsStepBack": true,
        "supportsReadMemoryRequest": true,
        "supportsDisassembleRequest": true,
        "supportsExceptionInfoRequest": true,
        "supportsTerminateRequest": true,
        "supportsSteppingGranularity": true,
        "supportsEvaluateForHovers": true,
        "supportsModulesRequest": true,
        "supportsLoadedSourcesRequest": true,
        "supportsRestartRequest": true,
    })
}
