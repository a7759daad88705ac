//! `evaluate`: what a watch expression, a hover or the debug console asks of a stop. It reads
//! what the stop holds (locals, the operand stack, globals, memory 0) and never runs guest
//! code, so evaluating cannot change the story.
//!
//! Expressions, in a frame (`frameId`, the innermost by default):
//! - a local, a global or a stack slot: `$name` or `name` (from the name section), `local 3`,
//!   `global 0`, `[2]` (operand stack slot, from the bottom);
//! - memory: `*(u32*)0x1000`, `*(i64*)$ptr` (`u8`, `i8`, `u16`, `i16`, `u32`, `i32`, `u64`,
//!   `i64`, `f32`, `f64`, little-endian), and `mem[0x1000..0x1010]` (at most 256 bytes, hex);
//! - a number, `0x1a` or `26`, to convert;
//! - the program's own variables, when the module has DWARF: `area`, `s->width`, `*s`,
//!   `box.name[2]` (a `$` before a name means the wasm local or global of that name).

use serde_json::{Value, json};

use crate::engine::debug::{DebugValue, PausedState, find_variable};

/// The most bytes `mem[a..b]` shows.
const MAX_SHOWN_BYTES: u64 = 256;

/// Answers `evaluate` at `paused`.
pub fn evaluate(paused: &PausedState, arguments: &Value) -> Result<Value, String> {
    let expression = arguments["expression"]
        .as_str()
        .ok_or("evaluate needs `expression`")?
        .trim();
    let frame = arguments["frameId"]
        .as_u64()
        .map_or(0, |id| id.saturating_sub(1) as usize);
    let (result, ty, address) = value_of(paused, frame, expression)?;
    let mut body = json!({ "result": result, "variablesReference": 0 });
    if let Some(ty) = ty {
        body["type"] = json!(ty);
    }
    if let Some(address) = address.filter(|a| *a < paused.memory_bytes) {
        body["memoryReference"] = json!(format!("{address:#x}"));
    }
    Ok(body)
}

type Evaluated = (String, Option<String>, Option<u64>);

fn value_of(paused: &PausedState, frame: usize, expression: &str) -> Result<Evaluated, String> {
    if expression.is_empty() {
        return Err("nothing to evaluate".to_owned());
    }
    if let Some(number) = number(expression) {
        return Ok((format!("{number} ({number:#x})"), None, Some(number)));
    }
    if let Some(rest) = expression.strip_prefix("*(") {
        return load(paused, frame, rest);
    }
    if let Some(range) = expression
        .strip_prefix("mem[")
        .and_then(|r| r.strip_suffix(']'))
    {
        return bytes(paused, frame, range);
    }
    // The program's own variables (from DWARF) by their source path: `s->width`, `name[3]`.
    let source = paused
        .frames
        .get(frame)
        .and_then(|f| f.state.as_ref())
        .filter(|_| !expression.starts_with('$'))
        .and_then(|state| {
            find_variable(&state.variables, expression)
                .or_else(|| find_variable(&state.unit_globals, expression))
        });
    if let Some(variable) = source {
        return Ok((
            variable.value.clone(),
            Some(variable.ty.clone()),
            variable.address,
        ));
    }
    let value = named(paused, frame, expression)?;
    Ok((
        value.value.clone(),
        Some(value.ty.clone()),
        value.as_address(),
    ))
}

fn number(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// A local, a global or a stack slot by name or number.
fn named<'a>(paused: &'a PausedState, frame: usize, name: &str) -> Result<&'a DebugValue, String> {
    let state = paused
        .frames
        .get(frame)
        .and_then(|f| f.state.as_ref())
        .ok_or_else(|| format!("frame {} has no state to read", frame + 1))?;
    let by_index = |prefix: &str, values: &'a [DebugValue]| {
        let index: u32 = name.strip_prefix(prefix)?.trim().parse().ok()?;
        values.iter().find(|v| v.index == index)
    };
    if let Some(value) =
        by_index("local", &state.locals).or_else(|| by_index("global", &paused.state.globals))
    {
        return Ok(value);
    }
    if let Some(slot) = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .and_then(|n| n.trim().parse::<u32>().ok())
    {
        return state
            .stack
            .iter()
            .find(|v| v.index == slot)
            .ok_or_else(|| format!("the operand stack has no slot [{slot}]"));
    }
    let bare = name.strip_prefix('$').unwrap_or(name);
    state
        .locals
        .iter()
        .chain(&paused.state.globals)
        .find(|v| v.name.as_deref() == Some(bare))
        .ok_or_else(|| {
            format!(
                "no local or global is called `{bare}` here (write `local N`, `global N`, \
                 `[N]`, `*(u32*)ADDR` or `mem[A..B]`)"
            )
        })
}

/// An address: a number, or a local or global holding one.
fn address(paused: &PausedState, frame: usize, text: &str) -> Result<u64, String> {
    let text = text.trim();
    if let Some(number) = number(text) {
        return Ok(number);
    }
    named(paused, frame, text)?
        .as_address()
        .ok_or_else(|| format!("`{text}` does not hold an address"))
}

/// The memory the stop kept, from `start`, `len` bytes.
fn memory(paused: &PausedState, start: u64, len: u64) -> Result<&[u8], String> {
    let end = start
        .checked_add(len)
        .ok_or("the range runs past the end of memory")?;
    if end > paused.memory_bytes {
        return Err(format!(
            "{start:#x}..{end:#x} is outside memory ({} bytes)",
            paused.memory_bytes
        ));
    }
    let kept = paused.memory.as_deref().map_or(&[][..], |m| &m[..]);
    kept.get(start as usize..end as usize).ok_or_else(|| {
        format!(
            "{start:#x}..{end:#x} is beyond the first {} bytes of memory this stop keeps",
            kept.len()
        )
    })
}

/// `TYPE*)ADDR`, the rest of `*(TYPE*)ADDR`.
fn load(paused: &PausedState, frame: usize, rest: &str) -> Result<Evaluated, String> {
    let (ty, at) = rest.split_once("*)").ok_or("write a load as *(u32*)ADDR")?;
    let ty = ty.trim();
    let width = match ty {
        "u8" | "i8" => 1,
        "u16" | "i16" => 2,
        "u32" | "i32" | "f32" => 4,
        "u64" | "i64" | "f64" => 8,
        other => {
            return Err(format!(
                "`{other}` is not a type to load (u8, i8, u16, i16, u32, i32, u64, i64, f32, f64)"
            ));
        }
    };
    let at = address(paused, frame, at)?;
    let bytes = memory(paused, at, width)?;
    let mut raw = [0u8; 8];
    raw[..bytes.len()].copy_from_slice(bytes);
    let bits = u64::from_le_bytes(raw);
    let text = match ty {
        "u8" | "u16" | "u32" | "u64" => bits.to_string(),
        "i8" => (bits as u8 as i8).to_string(),
        "i16" => (bits as u16 as i16).to_string(),
        "i32" => (bits as u32 as i32).to_string(),
        "i64" => (bits as i64).to_string(),
        "f32" => f32::from_bits(bits as u32).to_string(),
        _ => f64::from_bits(bits).to_string(),
    };
    Ok((text, Some(ty.to_owned()), Some(at)))
}

/// `A..B`, the inside of `mem[A..B]`, as hex bytes.
fn bytes(paused: &PausedState, frame: usize, range: &str) -> Result<Evaluated, String> {
    let (start, end) = range
        .split_once("..")
        .ok_or("write a range as mem[0x1000..0x1010]")?;
    let start = address(paused, frame, start)?;
    let end = address(paused, frame, end)?;
    if end <= start {
        return Err(format!("{start:#x}..{end:#x} is empty"));
    }
    if end - start > MAX_SHOWN_BYTES {
        return Err(format!(
            "at most {MAX_SHOWN_BYTES} bytes at a time (the memory view shows more)"
        ));
    }
    let bytes = memory(paused, start, end - start)?;
    let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex.join(" "), None, Some(start)))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::debug::{FrameState, PauseReason};
    use crate::engine::outcome::FrameInfo;

    fn value(index: u32, name: Option<&str>, ty: &str, value: &str) -> DebugValue {
        DebugValue {
            index,
            name: name.map(str::to_owned),
            ty: ty.to_owned(),
            value: value.to_owned(),
        }
    }

    fn paused() -> PausedState {
        let mut memory = vec![0u8; 64];
        memory[16..20].copy_from_slice(&(-2i32).to_le_bytes());
        PausedState {
            reason: PauseReason::Step,
            at: "f+0x1 (@0x20)".into(),
            frames: vec![FrameInfo {
                func_index: 1,
                func_name: Some("f".into()),
                module_offset: Some(0x20),
                source: None,
                state: Some(FrameState {
                    locals: vec![
                        value(0, Some("ptr"), "i32", "16"),
                        value(1, None, "i64", "7"),
                    ],
                    stack: vec![value(0, None, "i32", "3")],
                    locals_omitted: 0,
                    stack_omitted: 0,
                    operands: Vec::new(),
                    variables: Vec::new(),
                    unit_globals: Vec::new(),
                }),
            }],
            state: crate::engine::debug::DebugState {
                globals: vec![value(0, Some("__stack_pointer"), "i32", "1024")],
                ..Default::default()
            },
            source: None,
            memory: Some(Arc::new(memory)),
            memory_bytes: 65536,
            paused_total: std::time::Duration::ZERO,
            moment: Some(5),
            anchor: None,
        }
    }

    fn result(expression: &str) -> Result<String, String> {
        evaluate(&paused(), &json!({ "expression": expression }))
            .map(|body| body["result"].as_str().unwrap().to_owned())
    }

    #[test]
    fn locals_globals_slots_and_memory_are_read_from_the_stop() {
        assert_eq!(result("$ptr").unwrap(), "16");
        assert_eq!(result("ptr").unwrap(), "16");
        assert_eq!(result("local 1").unwrap(), "7");
        assert_eq!(result("__stack_pointer").unwrap(), "1024");
        assert_eq!(result("global 0").unwrap(), "1024");
        assert_eq!(result("[0]").unwrap(), "3");
        assert_eq!(result("*(i32*)0x10").unwrap(), "-2");
        assert_eq!(result("*(u32*)$ptr").unwrap(), "4294967294");
        assert_eq!(result("mem[16..20]").unwrap(), "fe ff ff ff");
        assert_eq!(result("0x1a").unwrap(), "26 (0x1a)");
        let body = evaluate(&paused(), &json!({ "expression": "ptr" })).unwrap();
        assert_eq!(body["memoryReference"], "0x10");
    }

    #[test]
    fn what_cannot_be_read_says_why() {
        assert!(
            result("nope")
                .unwrap_err()
                .contains("no local or global is called `nope`")
        );
        assert!(
            result("*(u32*)0x100")
                .unwrap_err()
                .contains("beyond the first 64 bytes")
        );
        assert!(
            result("*(u32*)0xfffffff0")
                .unwrap_err()
                .contains("outside memory")
        );
        assert!(
            result("*(char*)0")
                .unwrap_err()
                .contains("`char` is not a type")
        );
        assert!(
            result("mem[0..1000]")
                .unwrap_err()
                .starts_with("at most 256 bytes")
        );
    }
}
