//! The guest's values as debug mode shows them: a local, an operand-stack slot or a global,
//! each with its type and its value written in wasm's own notation.

use serde::{Deserialize, Serialize};
use wasmtime::Val;

/// One value of a frame (a local or an operand-stack slot) or an instance (a global).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugValue {
    /// Index: the local's index, the stack slot's depth from the bottom, or the global's index.
    pub index: u32,
    /// Name from the name section (locals and globals), when the module has one.
    pub name: Option<String>,
    /// The wasm type: `i32`, `i64`, `f32`, `f64`, `v128`, `funcref`, ...
    #[serde(rename = "type")]
    pub ty: String,
    /// The value in wasm's own text notation: `7`, `-1`, `2.5`, `nan`, `null`.
    pub value: String,
}

impl DebugValue {
    /// The value as a memory address, when it is an integer that could be one.
    pub fn as_address(&self) -> Option<u64> {
        match self.ty.as_str() {
            "i32" => self.value.parse::<i32>().ok().map(|v| u64::from(v as u32)),
            "i64" => self.value.parse::<i64>().ok().map(|v| v as u64),
            _ => None,
        }
    }

    /// `name=value`, or `$index=value` without a name.
    pub fn short(&self) -> String {
        match &self.name {
            Some(name) => format!("{name}={}", self.value),
            None => format!("${}={}", self.index, self.value),
        }
    }
}

/// A frame's state in debug mode: its locals and its operand stack (bottom first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameState {
    /// The first [`MAX_VALUES`](super::MAX_VALUES) locals (parameters first).
    pub locals: Vec<DebugValue>,
    /// The operand stack, bottom first (its first [`MAX_VALUES`](super::MAX_VALUES) slots).
    pub stack: Vec<DebugValue>,
    /// Locals beyond [`MAX_VALUES`](super::MAX_VALUES), left out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub locals_omitted: u32,
    /// Stack slots beyond [`MAX_VALUES`](super::MAX_VALUES), left out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub stack_omitted: u32,
    /// At a trap seen in a replay with state: the values the trapping instruction took from
    /// the operand stack, bottom first (an `i32.div_s` by zero: `7`, `0`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operands: Vec<DebugValue>,
    /// The program's own variables in scope here, by their source names (from the module's
    /// DWARF; empty without it).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<SourceVariable>,
    /// The global and static variables of this frame's source file (its compilation unit),
    /// read from memory at this moment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unit_globals: Vec<SourceVariable>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The instance's state with a trap or a pause: its globals.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebugState {
    /// The instance's globals (imported ones first), at most [`MAX_VALUES`](super::MAX_VALUES).
    pub globals: Vec<DebugValue>,
    /// Globals beyond [`MAX_VALUES`](super::MAX_VALUES), left out.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub globals_omitted: u32,
    /// Frames deeper than [`MAX_FRAMES`] whose state was not read.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub frames_omitted: u32,
}

/// Formats a value in wasm's text notation: `7`, `-1`, `2.5`, `inf`, `nan`, `null`.
pub fn wasm_value_text(value: &Val) -> String {
    fn float(v: f64, bits_nan: bool) -> String {
        if v.is_nan() {
            if bits_nan { "-nan" } else { "nan" }.to_owned()
        } else if v.is_infinite() {
            if v < 0.0 { "-inf" } else { "inf" }.to_owned()
        } else {
            format!("{v:?}")
        }
    }
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => {
            let v = f32::from_bits(*bits);
            if v.is_nan() || v.is_infinite() {
                float(f64::from(v), bits >> 31 == 1)
            } else {
                format!("{v:?}")
            }
        }
        Val::F64(bits) => float(f64::from_bits(*bits), bits >> 63 == 1),
        Val::V128(v) => format!(
            "i32x4 {:#010x} {:#010x} {:#010x} {:#010x}",
            { v.as_u128() as u32 },
            (v.as_u128() >> 32) as u32,
            (v.as_u128() >> 64) as u32,
            (v.as_u128() >> 96) as u32
        ),
        Val::FuncRef(None)
        | Val::ExternRef(None)
        | Val::AnyRef(None)
        | Val::ExnRef(None)
        | Val::ContRef(None) => "null".to_owned(),
        Val::FuncRef(Some(_)) => "<funcref>".to_owned(),
        Val::ExternRef(Some(_)) => "<externref>".to_owned(),
        Val::AnyRef(Some(_)) => "<anyref>".to_owned(),
        Val::ExnRef(Some(_)) => "<exnref>".to_owned(),
        Val::ContRef(Some(_)) => "<contref>".to_owned(),
    }
}

/// The type of a value, as wasm writes it.
pub fn wasm_type_text(value: &Val) -> &'static str {
    match value {
        Val::I32(_) => "i32",
        Val::I64(_) => "i64",
        Val::F32(_) => "f32",
        Val::F64(_) => "f64",
        Val::V128(_) => "v128",
        Val::FuncRef(_) => "funcref",
        Val::ExternRef(_) => "externref",
        Val::AnyRef(_) => "anyref",
        Val::ExnRef(_) => "exnref",
        Val::ContRef(_) => "contref",
    }
}

/// One variable (or member, element, pointee) as the source names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceVariable {
    /// Its name (`area`, `width`, `[3]`, `*s`).
    pub name: String,
    /// Its type as the source writes it (`int`, `struct shape *`, `char[8]`).
    pub ty: String,
    /// Its value in words: a number, a string, `{ width = 3, … }`, or why it is not shown
    /// (`optimized out`).
    pub value: String,
    /// Where it lives in linear memory, when it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<u64>,
    /// Its size in bytes, when it lives in memory (what "who wrote it?" watches).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Its members, elements or pointee.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<SourceVariable>,
}

impl SourceVariable {
    /// The member named `name` (`width`, `[3]`, `*s`).
    pub fn member(&self, name: &str) -> Option<&SourceVariable> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// What the reader needs of a stopped frame: where it is and the values it can read.
pub struct FrameView<'a> {
    /// The frame's pc, as a module offset.
    pub pc: u64,
    /// The frame's wasm locals, as raw bits (`None`: not readable).
    pub locals: &'a [Option<u64>],
    /// The instance's globals, as raw bits.
    pub globals: &'a [Option<u64>],
    /// The frame's operand stack, bottom first, as raw bits.
    pub stack: &'a [Option<u64>],
    /// Linear memory 0 (as much of it as was read).
    pub memory: &'a [u8],
}

/// The variable a source path names among `variables`: `area`, `s->width`, `box.name[2]`,
/// `*s`, `s->label`. `None` when a step names nothing there.
pub fn find<'a>(variables: &'a [SourceVariable], path: &str) -> Option<&'a SourceVariable> {
    let path = path.trim();
    let (deref, path) = match path.strip_prefix('*') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, path),
    };
    let (first, mut rest) = identifier(path);
    let mut at = variables.iter().find(|v| v.name == first)?;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let member = match rest.strip_prefix("->") {
            Some(after) => {
                at = pointee(at)?;
                Some(after)
            }
            None => rest.strip_prefix('.'),
        };
        if let Some(after) = member {
            let (name, tail) = identifier(after.trim_start());
            at = at.member(name)?;
            rest = tail;
            continue;
        }
        if let Some(after) = rest.strip_prefix('[') {
            let (index, tail) = after.split_once(']')?;
            let index: u64 = index.trim().parse().ok()?;
            let element = format!("[{index}]");
            at = at
                .member(&element)
                .or_else(|| pointee(at).and_then(|p| p.member(&element)))?;
            rest = tail;
            continue;
        }
        return None;
    }
    if deref { pointee(at) } else { Some(at) }
}

/// A name at the start of `text`, and what follows it.
fn identifier(text: &str) -> (&str, &str) {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    text.split_at(end)
}

/// What a pointer variable points at (its one `*name` member).
fn pointee(variable: &SourceVariable) -> Option<&SourceVariable> {
    variable.members.iter().find(|m| m.name.starts_with('*'))
}
