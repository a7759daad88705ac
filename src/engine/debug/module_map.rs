//! Names and code layout read from a core module's bytes: which function each body is, the
//! names of functions, locals and globals, and the instructions of a body.

use std::collections::HashMap;

/// A module's function, local and global names (from its name section) and where each
/// function's body lies: what debug mode needs to label what it reads.
#[derive(Debug, Default)]
pub struct ModuleMap {
    /// Imported functions come first in the function index space.
    pub imported_functions: u32,
    /// Each defined function's body: (function index, byte range in the module).
    pub bodies: Vec<(u32, std::ops::Range<usize>)>,
    functions: HashMap<u32, String>,
    locals: HashMap<u32, HashMap<u32, String>>,
    globals: HashMap<u32, String>,
    exports: HashMap<String, u32>,
}

/// Why a module's names and code layout cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ModuleMapError {
    /// The bytes are not a readable module.
    #[error("cannot read the module: {0}")]
    Unreadable(#[from] wasmparser::BinaryReaderError),
    /// A component: its core modules have maps of their own.
    #[error("this is a component: read its core modules one by one")]
    Component,
}

impl ModuleMap {
    /// Reads a core module's bytes. A malformed name section is ignored (names are optional);
    /// a malformed module is an error.
    pub fn parse(wasm: &[u8]) -> Result<Self, ModuleMapError> {
        use wasmparser::{KnownCustom, Name, Parser, Payload, TypeRef};
        let mut map = Self::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::ImportSection(reader) => {
                    for import in reader.into_imports() {
                        let import = import?;
                        if matches!(import.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                            map.imported_functions += 1;
                        }
                    }
                }
                Payload::ExportSection(reader) => {
                    for export in reader.into_iter().flatten() {
                        if export.kind == wasmparser::ExternalKind::Func {
                            map.exports.insert(export.name.to_owned(), export.index);
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let index = map.imported_functions + map.bodies.len() as u32;
                    map.bodies.push((index, body.range()));
                }
                Payload::CustomSection(reader) => {
                    if let KnownCustom::Name(names) = reader.as_known() {
                        // A broken name section only costs names: stop reading it.
                        for name in names.into_iter().map_while(Result::ok) {
                            match name {
                                Name::Function(map_names) => {
                                    for naming in map_names.into_iter().map_while(Result::ok) {
                                        map.functions.insert(
                                            naming.index,
                                            rustc_demangle::demangle(naming.name).to_string(),
                                        );
                                    }
                                }
                                Name::Local(indirect) => {
                                    for func in indirect.into_iter().map_while(Result::ok) {
                                        let entry = map.locals.entry(func.index).or_default();
                                        for naming in func.names.into_iter().map_while(Result::ok) {
                                            entry.insert(naming.index, naming.name.to_owned());
                                        }
                                    }
                                }
                                Name::Global(map_names) => {
                                    for naming in map_names.into_iter().map_while(Result::ok) {
                                        map.globals.insert(naming.index, naming.name.to_owned());
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => {
                    return Err(ModuleMapError::Component);
                }
                _ => {}
            }
        }
        Ok(map)
    }

    /// The function's name: from the name section, else the export that names it.
    pub fn function_name(&self, func_index: u32) -> Option<String> {
        self.functions.get(&func_index).cloned().or_else(|| {
            self.exports
                .iter()
                .filter(|(_, index)| **index == func_index)
                .map(|(name, _)| name.clone())
                .min()
        })
    }

    /// A local's name from the name section.
    pub fn local_name(&self, func_index: u32, local: u32) -> Option<&str> {
        self.locals
            .get(&func_index)?
            .get(&local)
            .map(String::as_str)
    }

    /// A global's name from the name section.
    pub fn global_name(&self, global: u32) -> Option<&str> {
        self.globals.get(&global).map(String::as_str)
    }

    /// The function (by index) named `name` in the name section or the exports.
    pub fn function_named(&self, name: &str) -> Option<u32> {
        let mut named: Vec<u32> = self
            .functions
            .iter()
            .filter(|(_, n)| n.as_str() == name)
            .map(|(i, _)| *i)
            .collect();
        named.sort_unstable();
        named
            .first()
            .copied()
            .or_else(|| self.exports.get(name).copied())
    }

    /// The body range of a defined function.
    pub fn body(&self, func_index: u32) -> Option<std::ops::Range<usize>> {
        self.bodies
            .iter()
            .find(|(index, _)| *index == func_index)
            .map(|(_, range)| range.clone())
    }

    /// The defined function whose body holds `module_offset`.
    pub fn function_at(&self, module_offset: usize) -> Option<u32> {
        self.bodies
            .iter()
            .find(|(_, range)| range.contains(&module_offset))
            .map(|(index, _)| *index)
    }

    /// `name+0xREL`: an offset as a place in a function, or `@0xOFFSET` outside any.
    pub fn place(&self, module_offset: usize) -> String {
        match self.function_at(module_offset) {
            Some(index) => {
                let start = self.body(index).map_or(0, |r| r.start);
                let name = self
                    .function_name(index)
                    .unwrap_or_else(|| format!("func[{index}]"));
                format!("{name}+{:#x}", module_offset - start)
            }
            None => format!("@{module_offset:#x}"),
        }
    }
}

/// The instructions of one function body: (module offset, operator) in order.
pub(crate) fn operators_of(
    wasm: &[u8],
    body: std::ops::Range<usize>,
) -> Vec<(usize, wasmparser::Operator<'_>)> {
    let mut out = Vec::new();
    let Some(bytes) = wasm.get(body.clone()) else {
        return out;
    };
    let reader = wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(bytes, body.start));
    let Ok(mut operators) = reader.get_operators_reader() else {
        return out;
    };
    while !operators.eof() {
        match operators.read_with_offset() {
            Ok((op, offset)) => out.push((offset, op)),
            Err(_) => break,
        }
    }
    out
}

/// The first instruction at or after `module_offset` inside function `func_index`'s body.
pub(crate) fn instruction_at_or_after(
    map: &ModuleMap,
    wasm: &[u8],
    module_offset: usize,
) -> Option<usize> {
    first_instruction(map, wasm, module_offset, |offset| offset >= module_offset)
}

/// A caller frame's place, as a (call, return point) pair of offsets. wasmtime gives a caller's
/// pc as the instruction its call returns to; a reader wants the call marked, and Step out
/// wants to pause at the return point, not one instruction past it. When `module_offset` is
/// itself a call (a pc reported at the call), it is the call and the next instruction the
/// return point.
pub(crate) fn call_site(
    map: &ModuleMap,
    wasm: &[u8],
    module_offset: usize,
) -> Option<(usize, usize)> {
    let is_call = |op: &wasmparser::Operator<'_>| {
        use wasmparser::Operator as O;
        matches!(
            op,
            O::Call { .. } | O::CallIndirect { .. } | O::CallRef { .. }
        )
    };
    let body = map.body(map.function_at(module_offset)?)?;
    let ops = operators_of(wasm, body);
    let at = ops
        .iter()
        .position(|(offset, _)| *offset == module_offset)?;
    if is_call(&ops[at].1) {
        let next = ops.get(at + 1).map(|(offset, _)| *offset)?;
        return Some((module_offset, next));
    }
    let (previous, op) = ops.get(at.checked_sub(1)?)?;
    is_call(op).then_some((*previous, module_offset))
}

/// The first instruction of the function around `module_offset` whose offset passes `wanted`.
fn first_instruction(
    map: &ModuleMap,
    wasm: &[u8],
    module_offset: usize,
    wanted: impl Fn(usize) -> bool,
) -> Option<usize> {
    let func = map.function_at(module_offset)?;
    let body = map.body(func)?;
    operators_of(wasm, body)
        .into_iter()
        .map(|(offset, _)| offset)
        .find(|offset| wanted(*offset))
}

/// Whether the module carries DWARF sections (`.debug_*` custom sections).
pub(crate) fn has_dwarf_sections(wasm: &[u8]) -> bool {
    wasmparser::Parser::new(0)
        .parse_all(wasm)
        .map_while(Result::ok)
        .any(|payload| {
            matches!(payload, wasmparser::Payload::CustomSection(reader)
                if reader.name().starts_with(".debug_"))
        })
}
