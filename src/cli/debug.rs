//! `wasmscope run --debug` and `--break`: logpoints resolved before the run, and the trapping
//! frame's source variables (from DWARF), locals, operand stack and the globals printed under
//! the backtrace.

use std::io::Write;

use crate::engine::debug::{
    BreakAction, Breakpoint, DebugValue, SourceVariable, resolve_breakpoint,
};
use crate::engine::{RunReport, TrapInfo};

/// Resolves the `--break` specs against the module before anything runs; an error says which
/// spec does not fit and why (the caller exits with the usage status).
pub fn resolve_breaks(specs: &[String], wasm: &[u8]) -> Result<Vec<Breakpoint>, String> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    if wasmparser::Parser::is_component(wasm) {
        return Err("--break is not available for components yet (--debug is)".to_owned());
    }
    specs
        .iter()
        .map(|spec| resolve_breakpoint(wasm, spec, BreakAction::Log).map_err(|e| e.to_string()))
        .collect()
}

/// One line per logpoint: how often it was hit.
pub fn print_breaks(err: &mut impl Write, report: &RunReport) {
    for record in &report.breaks {
        let _ = writeln!(
            err,
            "wasmscope: break {}: {} hit{}{}",
            record.at,
            record.hits,
            if record.hits == 1 { "" } else { "s" },
            if record.hits > record.printed {
                " (not every hit was printed; the report's `last` has the last hit's locals)"
            } else {
                ""
            }
        );
    }
}

/// Debug mode: the trapping frame's locals and operand stack, the globals, and what was
/// left out.
pub fn print_trap_state(err: &mut impl Write, trap: &TrapInfo) {
    let Some(state) = trap.frames.first().and_then(|f| f.state.as_ref()) else {
        return;
    };
    if let Some(at) = crate::engine::last_words::variables_frame(trap.frames.iter().map(|f| {
        let has = f.state.as_ref().is_some_and(|s| !s.variables.is_empty());
        (f.func_name.as_deref(), has)
    })) && let Some(frame) = trap.frames.get(at)
        && let Some(own) = frame.state.as_ref()
    {
        let _ = match (at, frame.func_name.as_deref()) {
            (0, _) | (_, None) => writeln!(err, "variables of frame {at} (from the DWARF):"),
            (_, Some(name)) => writeln!(err, "variables of frame {at}, {name} (from the DWARF):"),
        };
        print_variables(err, &own.variables, 1);
        if !own.unit_globals.is_empty() {
            let _ = writeln!(err, "globals of its source file:");
            print_variables(err, &own.unit_globals, 1);
        }
    }
    let _ = writeln!(err, "locals of frame 0:");
    if state.locals.is_empty() {
        let _ = writeln!(err, "    (none)");
    }
    print_values(err, &state.locals);
    if !state.stack.is_empty() {
        let _ = writeln!(err, "operand stack of frame 0 (bottom first):");
        print_values(err, &state.stack);
    }
    if !state.operands.is_empty() {
        let _ = writeln!(
            err,
            "operands of the trapping instruction (bottom first; taken off the stack above):"
        );
        print_values(err, &state.operands);
    }
    if let Some(debug) = &trap.debug {
        if !debug.globals.is_empty() {
            let _ = writeln!(err, "globals:");
            print_values(err, &debug.globals);
        }
        for note in debug.omissions(&trap.frames) {
            let _ = writeln!(err, "({note})");
        }
    }
}

/// `    $name            i32       7`, one value a line.
fn print_values(err: &mut impl Write, values: &[DebugValue]) {
    for value in values {
        let name = value
            .name
            .as_deref()
            .map_or_else(|| format!("${}", value.index), |n| format!("${n}"));
        let _ = writeln!(err, "    {name:<16} {:<9} {}", value.ty, value.value);
    }
}

/// `    s                struct shape *   0x1ff0c`, members indented below, at most three
/// levels and 16 members a level (the JSON report has them all).
fn print_variables(err: &mut impl Write, variables: &[SourceVariable], depth: usize) {
    for variable in variables.iter().take(16) {
        let indent = "    ".repeat(depth);
        let _ = writeln!(
            err,
            "{indent}{:<16} {:<16} {}",
            variable.name, variable.ty, variable.value
        );
        if depth < 3 {
            print_variables(err, &variable.members, depth + 1);
        }
    }
    if variables.len() > 16 {
        let indent = "    ".repeat(depth);
        let _ = writeln!(err, "{indent}(… {} more)", variables.len() - 16);
    }
}
