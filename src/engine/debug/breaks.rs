//! Breakpoints and logpoints: `FUNC[+OFFSET]` or `@0xOFFSET` resolved against a module to
//! the instruction they sit on, and what a logpoint recorded over a run.

use serde::{Deserialize, Serialize};

use crate::engine::debug::module_map::{ModuleMap, instruction_at_or_after};
use crate::engine::debug::values::DebugValue;

/// What a breakpoint does when the guest reaches it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakAction {
    /// Record the hit (count, the frame's locals), print one line, go on: a logpoint.
    Log,
    /// Stop the guest until the face says Continue, Step or Stop.
    Pause,
    /// Keep the frame's operand stack as the instruction starts, silently: set at a trap's
    /// instruction in a replay, so the trap shows the operands it was given (wasmtime pops
    /// them before it reports the trap). Not listed among the run's breakpoints.
    Operands,
}

/// A breakpoint resolved against a module: the instruction it sits on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakpoint {
    /// Where it was asked for, as the user wrote it, e.g. `fib+4`.
    pub spec: String,
    /// The instruction's byte offset in the module.
    pub module_offset: usize,
    /// The function it is in.
    pub func_index: u32,
    /// `name+0xREL (@0xOFFSET)`, for messages and reports.
    pub at: String,
    /// Log or pause.
    pub action: BreakAction,
}

/// A `--break` that does not fit the module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--break {spec}: {reason}")]
pub struct BreakError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong, and what would work.
    pub reason: String,
}

/// Resolves `FUNC[+OFFSET]` (FUNC a name or an index, OFFSET bytes from the body start) or
/// `@0xMODULE_OFFSET` against the module, to the instruction at or after that place.
pub fn resolve_breakpoint(
    wasm: &[u8],
    spec: &str,
    action: BreakAction,
) -> Result<Breakpoint, BreakError> {
    let error = |reason: String| BreakError {
        spec: spec.to_owned(),
        reason,
    };
    let map = ModuleMap::parse(wasm).map_err(|e| error(e.to_string()))?;
    resolve_in(&map, wasm, spec, action)
}

/// The silent watch ([`BreakAction::Operands`]) on the instruction at `module_offset` (a
/// trap's innermost frame): a debug run with it shows the operands the trap was given.
pub fn operands_watch(wasm: &[u8], module_offset: usize) -> Option<Breakpoint> {
    resolve_breakpoint(wasm, &format!("@{module_offset:#x}"), BreakAction::Operands)
        .ok()
        .filter(|watch| watch.module_offset == module_offset)
}

/// How many lines past a line with no code a `FILE:LINE` breakpoint looks for the next.
const MAX_LINES_AHEAD: u32 = 50;

/// At most eight source files, the program's own before the C library's.
fn own_files_first(files: Vec<&str>) -> Vec<&str> {
    let (libc, own): (Vec<&str>, Vec<&str>) = files.into_iter().partition(|f| f.contains("libc"));
    own.into_iter().chain(libc).take(8).collect()
}

/// `FILE:LINE` (a file name with a dot or a slash, then a line number), or `None`.
fn source_line(spec: &str) -> Option<(&str, u32)> {
    let (file, line) = spec.rsplit_once(':')?;
    let line = line.trim().parse().ok().filter(|l| *l > 0)?;
    (file.contains('.') || file.contains('/')).then_some((file.trim(), line))
}

fn parse_number(text: &str) -> Option<usize> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => usize::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

pub(crate) fn resolve_in(
    map: &ModuleMap,
    wasm: &[u8],
    spec: &str,
    action: BreakAction,
) -> Result<Breakpoint, BreakError> {
    let spec = spec.trim();
    let error = |reason: String| BreakError {
        spec: spec.to_owned(),
        reason,
    };
    // FILE:LINE, from the module's line table: the line's first instruction, or the next
    // line with code when this one has none (said in the breakpoint's place).
    if let Some((file, line)) = source_line(spec) {
        let table = crate::engine::info::dwarf::LineTable::of(wasm).ok_or_else(|| {
            error("the module has no DWARF line table: break at a function or @0xOFFSET".into())
        })?;
        let (at_line, offset) = (line..line.saturating_add(MAX_LINES_AHEAD))
            .find_map(|l| table.offset_of(file, l).map(|offset| (l, offset)))
            .ok_or_else(|| {
                error(format!(
                    "no code at {file}:{line} or in the {MAX_LINES_AHEAD} lines after it \
                     (files with code: {})",
                    own_files_first(table.files()).join(", ")
                ))
            })?;
        let mut breakpoint = resolve_in(map, wasm, &format!("@{offset:#x}"), action)?;
        breakpoint.spec = spec.to_owned();
        breakpoint.at = if at_line == line {
            format!("{file}:{line} ({})", breakpoint.at)
        } else {
            format!(
                "{file}:{at_line} ({}; line {line} has no code)",
                breakpoint.at
            )
        };
        return Ok(breakpoint);
    }
    let (func_index, requested) = if let Some(offset) = spec.strip_prefix('@') {
        let offset = parse_number(offset)
            .ok_or_else(|| error(format!("`{offset}` is not a module offset (write @0x1a2b)")))?;
        let func = map.function_at(offset).ok_or_else(|| {
            error(format!(
                "module offset {offset:#x} is not inside any function's code"
            ))
        })?;
        (func, offset)
    } else {
        let (func, relative) = match spec.rsplit_once('+') {
            Some((func, rel)) => {
                let rel = parse_number(rel).ok_or_else(|| {
                    error(format!(
                        "`{rel}` is not a byte offset (write FUNC+12 or FUNC+0xc)"
                    ))
                })?;
                (func, rel)
            }
            None => (spec, 0),
        };
        let index = match parse_number(func) {
            Some(index) if func.chars().all(|c| c.is_ascii_hexdigit() || c == 'x') => index as u32,
            _ => map.function_named(func).ok_or_else(|| {
                error({
                    let mut known: Vec<String> = map
                        .bodies
                        .iter()
                        .filter_map(|(i, _)| map.function_name(*i))
                        .take(12)
                        .collect();
                    known.sort();
                    if known.is_empty() {
                        format!(
                            "no function is named `{func}` (the module has no names: use an index \
                         or @0xOFFSET)"
                        )
                    } else {
                        format!(
                            "no function is named `{func}` (functions with names: {})",
                            known.join(", ")
                        )
                    }
                })
            })?,
        };
        let body = map.body(index).ok_or_else(|| {
            error({
                if index < map.imported_functions {
                    format!("func[{index}] is imported: it has no code to break in")
                } else {
                    format!(
                        "there is no function {index} (the module defines functions {}..{})",
                        map.imported_functions,
                        map.imported_functions + map.bodies.len() as u32
                    )
                }
            })
        })?;
        if relative >= body.len() {
            return Err(error(format!(
                "offset {relative:#x} is not inside {} (its body is {} bytes)",
                map.function_name(index)
                    .unwrap_or_else(|| format!("func[{index}]")),
                body.len()
            )));
        }
        (index, body.start + relative)
    };
    let module_offset = instruction_at_or_after(map, wasm, requested).ok_or_else(|| {
        error(format!(
            "no instruction at or after module offset {requested:#x} in its function"
        ))
    })?;
    Ok(Breakpoint {
        spec: spec.to_owned(),
        module_offset,
        func_index,
        at: format!("{} (@{module_offset:#x})", map.place(module_offset)),
        action,
    })
}

/// A pausing breakpoint at an instruction (the window's gutter), checked against the module.
pub fn breakpoint_at(wasm: &[u8], module_offset: usize) -> Result<Breakpoint, BreakError> {
    resolve_breakpoint(wasm, &format!("@{module_offset:#x}"), BreakAction::Pause)
}

/// What a logpoint recorded over the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakReport {
    /// `name+0xREL (@0xOFFSET)`.
    pub at: String,
    /// The instruction's module offset.
    pub module_offset: usize,
    /// Every hit, printed or not.
    pub hits: u64,
    /// Hits printed as a line (at most [`MAX_LOG_LINES`](super::MAX_LOG_LINES) over all logpoints).
    pub printed: u64,
    /// The frame's locals at the first hit.
    pub first: Vec<DebugValue>,
    /// The frame's locals at the last hit.
    pub last: Vec<DebugValue>,
}

/// One printed logpoint hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogHit {
    /// The line, e.g. `break fib+0x4 (@0x3c) hit 3: n=5 acc=8`.
    pub line: String,
}
