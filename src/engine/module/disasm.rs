//! "Where did it trap?": the module as text, function by function, with the byte offset of
//! every instruction, so a backtrace frame's module offset leads to its instruction.
//!
//! Modules up to [`FULL_TEXT_LIMIT_BYTES`] are printed whole by wasmprinter (real WAT, names
//! and all). Larger ones are printed one function at a time, on demand, from a slim copy of
//! the module that holds only that function's body (the same text, names and offsets), so a
//! 100 MB module never turns into gigabytes of text.

use wasmparser::{Parser, Payload};

/// Modules up to this size are printed whole with wasmprinter.
pub const FULL_TEXT_LIMIT_BYTES: usize = 16 * 1024 * 1024;

/// One line of text and the module offset it came from (`None` for headers and `end`s
/// that wasmprinter prints without one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Byte offset in the module.
    pub offset: Option<usize>,
    /// The text, indented.
    pub text: String,
}

/// Where a defined function's body lives.
#[derive(Clone, Debug)]
struct Body {
    func_index: u32,
    range: std::ops::Range<usize>,
}

/// A function's lines in the whole-module text: (function index, first line, end line).
type Span = (u32, usize, usize);
/// The whole module printed, and where each function's lines are.
type FullText = (Vec<Line>, Vec<Span>);

/// The module's text, ready to show one function at a time.
pub struct Disassembly {
    wasm: std::sync::Arc<[u8]>,
    bodies: Vec<Body>,
    /// The whole module printed by wasmprinter, with (function index, first line, end line)
    /// spans; `None` for large modules.
    full: Option<FullText>,
}

/// Why a module cannot be shown as text.
#[derive(Debug, thiserror::Error)]
pub enum DisasmError {
    /// The module could not be read.
    #[error("cannot read the module: {0}")]
    Read(#[source] wasmparser::BinaryReaderError),
    /// Its imports could not be read.
    #[error("cannot read imports: {0}")]
    Imports(#[source] wasmparser::BinaryReaderError),
    /// A component (not a core module).
    #[error("components are not disassembled yet")]
    Component,
    /// The printer failed.
    #[error("cannot print the module: {0}")]
    Print(String),
}

impl Disassembly {
    /// Reads the code section's layout and, for modules up to the limit, prints them whole.
    pub fn new(wasm: std::sync::Arc<[u8]>) -> Result<Self, DisasmError> {
        let mut bodies = Vec::new();
        let mut imported_functions = 0u32;
        for payload in Parser::new(0).parse_all(&wasm) {
            match payload.map_err(DisasmError::Read)? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import.map_err(DisasmError::Imports)?;
                        if matches!(
                            import.ty,
                            wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_)
                        ) {
                            imported_functions += 1;
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => bodies.push(Body {
                    func_index: imported_functions + bodies.len() as u32,
                    range: body.range(),
                }),
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => {
                    return Err(DisasmError::Component);
                }
                _ => {}
            }
        }
        let full = if wasm.len() <= FULL_TEXT_LIMIT_BYTES {
            Some(print_whole(&wasm, &bodies)?)
        } else {
            None
        };
        Ok(Self { wasm, bodies, full })
    }

    /// Indices of the module's defined functions, in order.
    pub fn functions(&self) -> impl Iterator<Item = u32> + '_ {
        self.bodies.iter().map(|b| b.func_index)
    }

    /// The defined function whose body holds `module_offset`.
    pub fn function_at(&self, module_offset: usize) -> Option<u32> {
        self.bodies
            .iter()
            .find(|b| b.range.contains(&module_offset))
            .map(|b| b.func_index)
    }

    /// The text of one function (empty for imported or unknown indices).
    pub fn function(&self, func_index: u32) -> Vec<Line> {
        if let Some((lines, spans)) = &self.full {
            return spans
                .iter()
                .find(|(index, _, _)| *index == func_index)
                .map(|(_, start, end)| lines[*start..*end].to_vec())
                .unwrap_or_default();
        }
        let Some(body) = self.bodies.iter().find(|b| b.func_index == func_index) else {
            return Vec::new();
        };
        print_one(&self.wasm, &self.bodies, body)
            .unwrap_or_else(|| list_operators(&self.wasm, body))
    }

    /// The line of `lines` for the instruction at `module_offset`: the last instruction that
    /// starts at or before it.
    pub fn line_for_offset(lines: &[Line], module_offset: usize) -> Option<usize> {
        lines
            .iter()
            .enumerate()
            .filter(|(_, line)| line.offset.is_some_and(|o| o <= module_offset))
            .max_by_key(|(_, line)| line.offset)
            .map(|(i, _)| i)
    }
}

fn print_whole(wasm: &[u8], bodies: &[Body]) -> Result<FullText, DisasmError> {
    let mut storage = String::new();
    let mut config = wasmprinter::Config::new();
    config.print_offsets(false);
    let lines: Vec<Line> = config
        .offsets_and_lines(wasm, &mut storage)
        .map_err(|e| DisasmError::Print(format!("{e:#}")))?
        .map(|(offset, text)| Line {
            offset,
            text: text.trim_end().to_owned(),
        })
        .collect();
    // A function's lines run from its `(func` header to the next top-level item.
    let mut spans = Vec::new();
    let mut next_body = bodies.iter();
    let mut open: Option<(u32, usize)> = None;
    for (i, line) in lines.iter().enumerate() {
        let top_level = line.text.starts_with("  (") && !line.text.starts_with("   ");
        if top_level || line.text == ")" {
            if let Some((index, start)) = open.take() {
                spans.push((index, start, i));
            }
            if line.text.starts_with("  (func ")
                && let Some(body) = next_body.next()
            {
                open = Some((body.func_index, i));
            }
        }
    }
    Ok((lines, spans))
}

/// One function of a module too large to print whole, as real text: wasmprinter prints a
/// slim copy of the module (every other body replaced by an empty one, the data and the
/// custom sections but the names left out), so the function keeps its names, types and
/// callees' names, and its offsets are moved back to the original module's. `None` when the
/// copy cannot be made or printed.
fn print_one(wasm: &[u8], bodies: &[Body], wanted: &Body) -> Option<Vec<Line>> {
    let (slim, slim_start) = slim_module(wasm, bodies, wanted)?;
    let (lines, spans) = print_whole(&slim, bodies).ok()?;
    let (_, start, end) = spans
        .iter()
        .find(|(index, _, _)| *index == wanted.func_index)?;
    let lines = lines.get(*start..*end)?;
    Some(
        lines
            .iter()
            .map(|line| Line {
                offset: line
                    .offset
                    .and_then(|o| o.checked_sub(slim_start))
                    .map(|o| o + wanted.range.start),
                text: line.text.clone(),
            })
            .collect(),
    )
}

/// A copy of `wasm` with only `wanted`'s body (the others become `end`), no data segments and
/// no custom section but `name`; and where `wanted`'s body starts in it.
fn slim_module(wasm: &[u8], bodies: &[Body], wanted: &Body) -> Option<(Vec<u8>, usize)> {
    let mut out = wasm.get(..8)?.to_vec();
    let mut pos = 8;
    let mut slim_start = None;
    while pos < wasm.len() {
        let id = *wasm.get(pos)?;
        let (size, size_len) = read_leb(wasm.get(pos + 1..)?)?;
        let start = pos + 1 + size_len;
        let end = start.checked_add(size)?;
        let content = wasm.get(start..end)?;
        match id {
            // The code: the wanted body whole, an empty one (no locals, `end`) for each other.
            10 => {
                let mut code = Vec::new();
                write_leb(&mut code, bodies.len());
                let mut wanted_at = None;
                for body in bodies {
                    if body.func_index == wanted.func_index {
                        write_leb(&mut code, body.range.len());
                        wanted_at = Some(code.len());
                        code.extend_from_slice(wasm.get(body.range.clone())?);
                    } else {
                        code.extend_from_slice(&[2, 0, 0x0b]);
                    }
                }
                out.push(10);
                write_leb(&mut out, code.len());
                slim_start = Some(out.len() + wanted_at?);
                out.extend_from_slice(&code);
            }
            // Data segments: their bytes are most of a large module and print as nothing here.
            11 => {}
            0 => {
                let (name_len, name_len_len) = read_leb(content)?;
                let name = content.get(name_len_len..name_len_len + name_len)?;
                if name == b"name" {
                    out.extend_from_slice(&wasm[pos..end]);
                }
            }
            _ => out.extend_from_slice(&wasm[pos..end]),
        }
        pos = end;
    }
    Some((out, slim_start?))
}

/// An unsigned LEB128 number at the start of `bytes`, and how many bytes it took.
fn read_leb(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn write_leb(out: &mut Vec<u8>, value: usize) {
    crate::engine::leb::write_u64(out, value as u64);
}

/// A plain listing of one body's instructions, for a module too large to print whole whose
/// slim copy could not be printed either.
fn list_operators(wasm: &[u8], body: &Body) -> Vec<Line> {
    let mut lines = vec![Line {
        offset: Some(body.range.start),
        text: format!(
            "  (func {} ;; listed from its instructions: the module is too large to print whole",
            body.func_index
        ),
    }];
    let reader = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(
        &wasm[body.range.clone()],
        body.range.start,
    ));
    let Ok(mut operators) = reader.get_operators_reader() else {
        return lines;
    };
    let mut depth = 2usize;
    while !operators.eof() {
        let Ok((operator, offset)) = operators.read_with_offset() else {
            break;
        };
        let text = format!("{operator:?}");
        let closes = matches!(
            operator,
            wasmparser::Operator::End | wasmparser::Operator::Else
        );
        if closes {
            depth = depth.saturating_sub(1).max(2);
        }
        lines.push(Line {
            offset: Some(offset),
            text: format!("{}{}", "  ".repeat(depth), text),
        });
        if matches!(
            operator,
            wasmparser::Operator::Block { .. }
                | wasmparser::Operator::Loop { .. }
                | wasmparser::Operator::If { .. }
                | wasmparser::Operator::Else
                | wasmparser::Operator::TryTable { .. }
        ) {
            depth += 1;
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = r#"(module
        (import "env" "f" (func $imported))
        (func $first (result i32) i32.const 1)
        (func $divide (param i32) (result i32)
          i32.const 10
          local.get 0
          i32.div_s))"#;

    #[test]
    fn functions_are_sliced_and_offsets_lead_to_instructions() {
        let wasm: std::sync::Arc<[u8]> = wat::parse_str(MODULE).unwrap().into();
        let disassembly = Disassembly::new(wasm.clone()).unwrap();
        assert_eq!(disassembly.functions().collect::<Vec<_>>(), vec![1, 2]);
        let lines = disassembly.function(2);
        assert!(lines[0].text.contains("(func $divide"), "{lines:?}");
        let div = lines.iter().find(|l| l.text.contains("i32.div_s")).unwrap();
        let offset = div.offset.unwrap();
        assert_eq!(disassembly.function_at(offset), Some(2));
        let at = Disassembly::line_for_offset(&lines, offset).unwrap();
        assert!(lines[at].text.contains("i32.div_s"));
        assert!(disassembly.function(0).is_empty(), "imports have no body");
    }

    /// Issue 24: a large module's code view showed `I32Load { memarg: MemArg {…` and calls by
    /// number; it now shows the same text as a small module's, at the same offsets.
    #[test]
    fn a_large_modules_function_prints_as_text_at_its_own_offsets() {
        let wat = r#"(module
            (memory 1)
            (data (i32.const 0) "a data segment the slim copy leaves out")
            (func $first (result i32) i32.const 1)
            (func $load (param $p i32) (result i32)
              local.get $p
              i32.load offset=8
              call $first
              i32.add))"#;
        let wasm: std::sync::Arc<[u8]> = wat::parse_str(wat).unwrap().into();
        let full = Disassembly::new(wasm.clone()).unwrap();
        let whole = full.function(1);
        let one = print_one(&wasm, &full.bodies, &full.bodies[1]).unwrap();
        assert_eq!(one, whole);
        assert!(
            one.iter().any(|l| l.text.contains("i32.load offset=8")),
            "{one:?}"
        );
        assert!(
            one.iter().any(|l| l.text.contains("call $first")),
            "{one:?}"
        );
    }

    #[test]
    fn large_modules_are_listed_per_function() {
        let wasm = wat::parse_str(MODULE).unwrap();
        let body = {
            let full = Disassembly::new(wasm.clone().into()).unwrap();
            full.bodies[1].clone()
        };
        let lines = list_operators(&wasm, &body);
        assert!(
            lines.iter().any(|l| l.text.contains("I32DivS")),
            "{lines:?}"
        );
    }
}
