//! What the client is shown of a stop (frames, scopes, variables, memory, the trap) and of
//! the module (breakpoints resolved, instructions disassembled), in the protocol's shapes.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::engine::TrapInfo;
use crate::engine::debug::{
    BreakAction, Breakpoint, DebugValue, ModuleMap, PausedState, resolve_breakpoint,
};
use crate::engine::info::dwarf::LineTable;
use crate::engine::last_words::LastWords;
use crate::engine::module::disasm::Disassembly;

/// The most bytes one `readMemory` answers with.
const MAX_READ_BYTES: u64 = 1 << 20;

/// The `variablesReference` of the globals; a frame's locals and operand stack follow.
const GLOBALS: i64 = 1;

/// The mark of a source variable's `variablesReference`: with it, the frame (6 bits) and the
/// path to the variable, up to three member indices from 1 (7 bits each; 0 ends the path).
const SOURCE: i64 = 1 << 30;

/// The reference of the source variables at `path` in frame `frame` (0 when it cannot have
/// one: too deep, or past the indices a reference holds).
fn source_reference(frame: usize, path: &[usize]) -> i64 {
    if frame >= 64 || path.len() > 3 || path.iter().any(|i| *i >= 127) {
        return 0;
    }
    let mut reference = SOURCE | ((frame as i64) << 21);
    for (level, index) in path.iter().enumerate() {
        reference |= ((*index as i64) + 1) << (14 - 7 * level);
    }
    reference
}

/// The frame and path a source reference names.
fn source_path(reference: i64) -> Option<(usize, Vec<usize>)> {
    if reference & SOURCE == 0 {
        return None;
    }
    let frame = ((reference >> 21) & 63) as usize;
    let path = (0..3)
        .map(|level| (reference >> (14 - 7 * level)) & 127)
        .take_while(|index| *index != 0)
        .map(|index| index as usize - 1)
        .collect();
    Some((frame, path))
}

/// `variables` of a source variable (or of a frame's list of them): members by name, each
/// with a reference to its own members.
fn source_variables(paused: &PausedState, frame: usize, path: &[usize]) -> Result<Value, String> {
    let missing = || "those variables are not there (the stop has moved on)".to_owned();
    let mut list = &paused
        .frames
        .get(frame)
        .and_then(|f| f.state.as_ref())
        .ok_or_else(missing)?
        .variables;
    for index in path {
        list = &list.get(*index).ok_or_else(missing)?.members;
    }
    let entries: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, variable)| {
            let mut inner = path.to_vec();
            inner.push(i);
            let reference = if variable.members.is_empty() {
                0
            } else {
                source_reference(frame, &inner)
            };
            let mut entry = json!({
                "name": variable.name,
                "value": variable.value,
                "type": variable.ty,
                "variablesReference": reference,
            });
            if let Some(address) = variable.address.filter(|a| *a < paused.memory_bytes) {
                entry["memoryReference"] = json!(format!("{address:#x}"));
            }
            entry
        })
        .collect();
    Ok(json!({ "variables": entries }))
}

/// The debugged module: its bytes, line table and text, read once.
pub struct Target {
    wasm: Arc<[u8]>,
    lines: Option<LineTable>,
    text: OnceLock<Option<Disassembly>>,
}

impl Target {
    /// `modules`: the wasm modules of the program (a component's core modules each), with
    /// what the debugger knows of their symbols.
    pub fn modules(&self, name: &str) -> Value {
        let symbols = if self.lines.is_some() {
            "DWARF line table"
        } else {
            "no DWARF (names from the name section, when it has one)"
        };
        let mut modules = vec![json!({ "id": 1, "name": name, "symbolStatus": symbols })];
        if wasmparser::Parser::is_component(&self.wasm) {
            let inner = wasmparser::Parser::new(0)
                .parse_all(&self.wasm)
                .filter(|p| matches!(p, Ok(wasmparser::Payload::ModuleSection { .. })))
                .count();
            modules = (1..=inner)
                .map(|i| json!({ "id": i, "name": format!("{name}: core module {i}") }))
                .collect();
        }
        json!({ "modules": modules, "totalModules": modules.len() })
    }

    /// `loadedSources`: the source files the module's line table names.
    pub fn loaded_sources(&self) -> Value {
        let files = self.lines.as_ref().map(|l| l.files()).unwrap_or_default();
        let sources: Vec<Value> = files
            .into_iter()
            .map(|file| {
                let short = file.rsplit(['/', '\\']).next().unwrap_or(file);
                let mut source = json!({ "name": short, "path": file });
                if !std::path::Path::new(file).is_file() {
                    source["presentationHint"] = json!("deemphasize");
                }
                source
            })
            .collect();
        json!({ "sources": sources })
    }

    /// The source line of the instruction at `offset`, when the module has a line table.
    pub fn line_of(&self, offset: usize) -> Option<(String, u32)> {
        let (file, line) = self.lines.as_ref()?.line_at(offset)?;
        Some((file.to_owned(), line))
    }

    /// Reads what breakpoints on source lines need (the DWARF line table, if any).
    pub fn new(wasm: &[u8]) -> Self {
        Self {
            wasm: Arc::from(wasm),
            lines: LineTable::of(wasm),
            text: OnceLock::new(),
        }
    }

    /// A breakpoint on `line` of `file`, through the module's DWARF.
    pub fn line_breakpoint(&self, file: &str, line: u32) -> Result<Breakpoint, String> {
        let lines = self.lines.as_ref().ok_or(
            "the module has no DWARF line table: set breakpoints by function or instruction",
        )?;
        let offset = lines
            .offset_of(file, line)
            .ok_or_else(|| format!("no code for line {line} of {file} in the module"))?;
        resolve_breakpoint(&self.wasm, &format!("@{offset:#x}"), BreakAction::Pause)
            .map_err(|e| e.reason)
    }

    /// Breakpoints for `specs` (`FUNC[+OFFSET]` or `@0xOFFSET`), and the protocol's answer
    /// for each: verified, or why not.
    pub fn resolve_all<'a>(
        &self,
        specs: impl Iterator<Item = &'a str>,
    ) -> (Vec<Breakpoint>, Vec<Value>) {
        let mut set = Vec::new();
        let mut answers = Vec::new();
        for spec in specs {
            match resolve_breakpoint(&self.wasm, spec, BreakAction::Pause) {
                Ok(breakpoint) => {
                    answers.push(json!({
                        "id": breakpoint.module_offset,
                        "verified": true,
                        "instructionReference": format!("{:#x}", breakpoint.module_offset),
                        "message": breakpoint.at,
                    }));
                    set.push(breakpoint);
                }
                Err(e) => answers.push(json!({ "verified": false, "message": e.reason })),
            }
        }
        (set, answers)
    }

    /// `disassemble`: the code view's text, one instruction per entry, around an address.
    pub fn disassemble(&self, arguments: &Value) -> Result<Value, String> {
        let reference = arguments["memoryReference"]
            .as_str()
            .ok_or("disassemble needs `memoryReference`")?;
        let base = parse_address(reference)
            .ok_or_else(|| format!("`{reference}` is not an address (write 0x1a2b)"))?;
        let at = base as i64 + arguments["offset"].as_i64().unwrap_or(0);
        let count = arguments["instructionCount"]
            .as_u64()
            .ok_or("disassemble needs `instructionCount`")?
            .min(10_000) as i64;
        let skip = arguments["instructionOffset"].as_i64().unwrap_or(0);
        let text = self
            .text
            .get_or_init(|| Disassembly::new(Arc::clone(&self.wasm)).ok())
            .as_ref()
            .ok_or("this module cannot be shown as text")?;
        let func = usize::try_from(at)
            .ok()
            .and_then(|at| text.function_at(at))
            .ok_or_else(|| format!("{at:#x} is not inside any function's code"))?;
        let mut instructions: Vec<(usize, String)> = Vec::new();
        for line in text.function(func) {
            if let Some(offset) = line.offset
                && instructions.last().is_none_or(|(last, _)| *last != offset)
            {
                instructions.push((offset, line.text.trim().to_owned()));
            }
        }
        let here = instructions
            .iter()
            .rposition(|(offset, _)| *offset as i64 <= at)
            .unwrap_or(0) as i64;
        let name = ModuleMap::parse(&self.wasm)
            .ok()
            .and_then(|m| m.function_name(func))
            .unwrap_or_else(|| format!("func[{func}]"));
        let first = instructions.first().map_or(0, |(o, _)| *o as i64);
        let last = instructions.last().map_or(0, |(o, _)| *o as i64);
        let listed: Vec<Value> = (here + skip..here + skip + count)
            .map(
                |i| match usize::try_from(i).ok().and_then(|i| instructions.get(i)) {
                    Some((offset, text)) => {
                        let mut entry = json!({
                            "address": format!("{offset:#x}"),
                            "instruction": text,
                        });
                        if i == 0 {
                            entry["symbol"] = json!(name);
                        }
                        entry
                    }
                    // Outside the function: placeholders, as the protocol asks.
                    None => json!({
                        "address": format!("{:#x}", if i < 0 { (first + i).max(0) } else {
                            last + (i - instructions.len() as i64 + 1)
                        }),
                        "instruction": "",
                        "presentationHint": "invalid",
                    }),
                },
            )
            .collect();
        Ok(json!({ "instructions": listed }))
    }
}

/// `0x1a2b` or `6699`.
pub fn parse_address(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// `main.c:12:5` or `/src/main.c:12` into the file and line.
fn source_place(source: &str) -> Option<(&str, u64)> {
    let (rest, last) = source.rsplit_once(':')?;
    let last: u64 = last.parse().ok()?;
    match rest.rsplit_once(':') {
        Some((file, line)) if line.parse::<u64>().is_ok() => Some((file, line.parse().ok()?)),
        _ => Some((rest, last)),
    }
}

/// `stackTrace`: the paused frames, innermost first. File and line come from the module's
/// line table when it has one (its paths are whole, as an editor needs to open them).
pub fn stack_trace(paused: &PausedState, target: Option<&Target>) -> Value {
    let lines = target.and_then(|t| t.lines.as_ref());
    let frames: Vec<Value> = paused
        .frames
        .iter()
        .enumerate()
        .map(|(i, frame)| {
            let name = frame
                .func_name
                .clone()
                .unwrap_or_else(|| format!("func[{}]", frame.func_index));
            let mut entry = json!({
                "id": i + 1,
                "name": name,
                "line": 0,
                "column": 0,
            });
            if let Some(offset) = frame.module_offset {
                entry["instructionPointerReference"] = json!(format!("{offset:#x}"));
            }
            let from_table = frame
                .module_offset
                .and_then(|offset| lines?.line_at(offset))
                .map(|(file, line)| (file, u64::from(line)));
            let place = from_table.or_else(|| frame.source.as_deref().and_then(source_place));
            if let Some((file, line)) = place {
                let short = file.rsplit(['/', '\\']).next().unwrap_or(file);
                entry["source"] = json!({ "name": short, "path": file });
                // A file that is not on this machine: the editor shows it greyed, not an
                // error on opening it.
                if !std::path::Path::new(file).is_file() {
                    entry["source"]["presentationHint"] = json!("deemphasize");
                    entry["source"]["origin"] = json!("not on this machine");
                }
                entry["line"] = json!(line);
                entry["column"] = json!(1);
            }
            entry
        })
        .collect();
    json!({ "stackFrames": frames, "totalFrames": frames.len() })
}

/// `scopes` of a frame (`frameId` from [`stack_trace`]): its locals, its operand stack, and
/// the globals.
pub fn scopes(paused: &PausedState, arguments: &Value) -> Result<Value, String> {
    let id = arguments["frameId"]
        .as_i64()
        .ok_or("scopes needs `frameId`")?;
    let frame = usize::try_from(id - 1)
        .ok()
        .and_then(|i| paused.frames.get(i))
        .ok_or_else(|| format!("there is no frame {id}"))?;
    let (locals, stack, variables) = frame.state.as_ref().map_or((0, 0, 0), |s| {
        (s.locals.len(), s.stack.len(), s.variables.len())
    });
    // The program's own variables (from DWARF) first, when the frame has them.
    let source = (variables > 0).then(|| {
        json!({ "name": "Variables", "presentationHint": "locals",
          "variablesReference": source_reference(id as usize - 1, &[]),
          "namedVariables": variables, "expensive": false })
    });
    let wasm = [
        json!({ "name": "Locals", "presentationHint": "locals", "variablesReference": 2 * id,
          "namedVariables": locals, "expensive": false }),
        json!({ "name": "Operand stack", "presentationHint": "registers",
          "variablesReference": 2 * id + 1, "indexedVariables": stack, "expensive": false }),
        json!({ "name": "Globals", "variablesReference": GLOBALS,
          "namedVariables": paused.state.globals.len(), "expensive": false }),
    ];
    let scopes: Vec<Value> = source.into_iter().chain(wasm).collect();
    Ok(json!({ "scopes": scopes }))
}

/// `variables` of a scope: values in wasm notation; an `i32` inside memory carries a
/// `memoryReference`, so the client can show the bytes it points at.
pub fn variables(paused: &PausedState, arguments: &Value) -> Result<Value, String> {
    let reference = arguments["variablesReference"]
        .as_i64()
        .ok_or("variables needs `variablesReference`")?;
    if let Some((frame, path)) = source_path(reference) {
        return source_variables(paused, frame, &path);
    }
    let (values, kind): (&[DebugValue], &str) = if reference == GLOBALS {
        (&paused.state.globals, "global")
    } else {
        let frame = usize::try_from(reference / 2 - 1)
            .ok()
            .and_then(|i| paused.frames.get(i))
            .and_then(|f| f.state.as_ref())
            .ok_or_else(|| format!("there is no scope {reference}"))?;
        if reference % 2 == 0 {
            (&frame.locals, "local")
        } else {
            (&frame.stack, "stack")
        }
    };
    let list: Vec<Value> = values
        .iter()
        .map(|value| {
            let name = match (&value.name, kind) {
                (Some(name), _) => format!("${name}"),
                (None, "stack") => format!("[{}]", value.index),
                (None, kind) => format!("{kind} {}", value.index),
            };
            let mut entry = json!({
                "name": name,
                "value": value.value,
                "type": value.ty,
                "variablesReference": 0,
            });
            if value.ty == "i32"
                && let Ok(address) = value.value.parse::<i64>()
            {
                let address = address as u32;
                if u64::from(address) < paused.memory_bytes {
                    entry["memoryReference"] = json!(format!("{address:#x}"));
                }
            }
            entry
        })
        .collect();
    Ok(json!({ "variables": list }))
}

/// `readMemory` of memory 0 as it is at the stop (base64, as the protocol says).
pub fn read_memory(paused: &PausedState, arguments: &Value) -> Result<Value, String> {
    let reference = arguments["memoryReference"]
        .as_str()
        .ok_or("readMemory needs `memoryReference`")?;
    let base = parse_address(reference)
        .ok_or_else(|| format!("`{reference}` is not an address (write 0x1a2b)"))?;
    let start = base as i64 + arguments["offset"].as_i64().unwrap_or(0);
    let count = arguments["count"]
        .as_u64()
        .ok_or("readMemory needs `count`")?;
    if count > MAX_READ_BYTES {
        return Err(format!(
            "at most {MAX_READ_BYTES} bytes at a time, not {count}"
        ));
    }
    let memory = paused.memory.as_deref().map_or(&[][..], |m| &m[..]);
    let Ok(start) = u64::try_from(start) else {
        return Ok(json!({ "address": "0x0", "unreadableBytes": count }));
    };
    let end = start.saturating_add(count).min(memory.len() as u64);
    let bytes = if start < end {
        &memory[start as usize..end as usize]
    } else {
        &[][..]
    };
    Ok(json!({
        "address": format!("{start:#x}"),
        "data": base64::engine::general_purpose::STANDARD.encode(bytes),
        "unreadableBytes": count - bytes.len() as u64,
    }))
}

/// `exceptionInfo` at a trap: its kind and wasmscope's explanation, or the guest's last words
/// (the exception's type as its id) when it said why it died.
pub fn exception_info(trap: &TrapInfo, words: Option<&LastWords>) -> Value {
    if let Some(words) = words {
        return json!({
            "exceptionId": words.id(),
            "description": format!("{}; then it trapped: {}", words.sourced_headline(), trap.message),
            "breakMode": "always",
            "details": {
                "message": words.message,
                "typeName": words.exception.clone().unwrap_or_else(|| words.kind.label().to_owned()),
                "stackTrace": words.location,
            },
        });
    }
    json!({
        "exceptionId": trap.kind.code(),
        "description": format!("{}: {}", trap.message, trap.kind.explain()),
        "breakMode": "always",
        "details": { "message": trap.message, "typeName": trap.kind.code() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_places_are_read() {
        assert_eq!(source_place("main.c:12:5"), Some(("main.c", 12)));
        assert_eq!(source_place("/src/a.c:7"), Some(("/src/a.c", 7)));
        assert_eq!(source_place("nowhere"), None);
        assert_eq!(parse_address("0x1A"), Some(26));
        assert_eq!(parse_address("26"), Some(26));
    }
}
