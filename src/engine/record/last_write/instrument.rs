//! A copy of a core module that reports its writes to memory 0: before each store whose
//! address can touch the watched range (the range is known when the copy is made, so the
//! check is two compares in the guest's own code), and before every `memory.fill`,
//! `memory.copy`, `memory.init` and `data.drop`, it calls an appended host import with the
//! address and a site number. The site table says which instruction of the original module
//! each site is, and the offset map turns the copy's code offsets back into the original's,
//! so backtraces name the module the user has. Pure data: no engine.

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{
    BlockType, CodeSection, ExportKind, ExportSection, Function, ImportSection, Instruction,
    SectionId, TypeSection, ValType,
};
use wasmparser::{Operator, Parser, Payload, TypeRef};

use crate::engine::policy::WatchedRange;

/// The import module of the hooks the copy calls.
pub const HOOK_MODULE: &str = "wasmscope:last-write";
/// `store(addr: i32, site: i32)`: a store at `addr` (before its static offset).
pub const STORE_HOOK: &str = "store";
/// `bulk(dst: i32, src: i32, len: i32, site: i32)`: a fill, copy, init or data drop.
pub const BULK_HOOK: &str = "bulk";
/// The copy exports memory 0 under this name, so the hooks can read it.
pub const MEMORY_EXPORT: &str = "wasmscope:last-write-memory";
/// Functions the copy adds (the hooks), after the module's own imports.
const HOOKS: u32 = 2;

/// What an instrumented instruction does to memory 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteKind {
    /// A store of `width` bytes at its address plus `offset`.
    Store {
        /// The memarg's static offset.
        offset: u64,
        /// Bytes stored.
        width: u32,
    },
    /// `memory.fill`.
    Fill,
    /// `memory.copy`.
    Copy,
    /// `memory.init` from this data segment.
    Init(u32),
    /// `data.drop` of this segment (it writes nothing; later inits from it then trap).
    Drop(u32),
}

/// One instrumented instruction of the original module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    /// The function it is in (the original module's index).
    pub func_index: u32,
    /// Its offset in the original module.
    pub module_offset: usize,
    /// Its text, e.g. `i32.store8`.
    pub instruction: &'static str,
    /// What it writes.
    pub kind: SiteKind,
}

/// A data segment of the original module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSegment {
    /// Where an active segment for memory 0 lands, when its offset is a constant.
    pub active_at: Option<u64>,
    /// Its length in bytes.
    pub len: u64,
}

/// Why a module cannot be searched for writes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refusal {
    /// It has no memory.
    #[error("the module has no memory, so there is nothing to watch")]
    NoMemory,
    /// It has more than one.
    #[error("the module has {0} memories; --last-write follows modules with one memory only")]
    ManyMemories(usize),
    /// Its memory is 64-bit.
    #[error("the module's memory is 64-bit; --last-write follows 32-bit memories only")]
    Memory64,
    /// It uses atomics.
    #[error(
        "the module uses atomic memory instructions (the threads proposal), which \
         --last-write does not follow yet"
    )]
    Atomics,
    /// The range is outside anything memory 0 can become.
    #[error(
        "{range} is outside the module's memory: it can grow to at most {max_bytes} bytes \
         (its declared maximum); pick an address below that"
    )]
    OutsideMemory {
        /// The watched range, in words.
        range: String,
        /// The memory's declared maximum.
        max_bytes: u64,
    },
    /// The module already exports a name the copy needs.
    #[error("the module already exports `{MEMORY_EXPORT}`")]
    ExportTaken,
    /// It does not parse.
    #[error("the module cannot be instrumented: {0}")]
    Invalid(String),
}

/// Where each original instruction went in one function of the copy.
#[derive(Debug, Default)]
struct BodyMap {
    /// The copy's body start, in the copy.
    start: usize,
    /// (offset in the copy's body, offset in the original module), one per original
    /// instruction, increasing. The code added before an instruction maps to it.
    points: Vec<(u32, u32)>,
}

/// The instrumented copy, its site table and its offset map (about 8 bytes per instruction
/// of the module).
#[derive(Debug)]
pub struct Instrumented {
    /// The copy's bytes.
    pub wasm: Vec<u8>,
    /// Site number → the original instruction.
    pub sites: Vec<Site>,
    /// The original module's data segments.
    pub data: Vec<DataSegment>,
    imported_funcs: u32,
    bodies: Vec<BodyMap>,
}

impl Instrumented {
    /// The original module's index of the copy's function `index`.
    pub fn original_func(&self, index: u32) -> u32 {
        if index < self.imported_funcs {
            index
        } else {
            index.saturating_sub(HOOKS)
        }
    }

    /// The original module's offset of an offset in the copy's function `index`.
    pub fn original_offset(&self, index: u32, offset: usize) -> Option<usize> {
        let body = self
            .bodies
            .get(index.checked_sub(self.imported_funcs + HOOKS)? as usize)?;
        let within = u32::try_from(offset.checked_sub(body.start)?).ok()?;
        let at = body.points.partition_point(|(copy, _)| *copy <= within);
        let (_, original) = body.points.get(at.checked_sub(1)?)?;
        Some(*original as usize)
    }
}

/// What the module looks like, read before the rewrite.
#[derive(Default)]
struct Shape {
    types: u32,
    /// Each type's parameter count (0 for non-function types).
    type_params: Vec<u32>,
    imported_funcs: u32,
    /// Each defined function's type.
    func_types: Vec<u32>,
    memories: Vec<wasmparser::MemoryType>,
    exports_memory_name: bool,
    data: Vec<DataSegment>,
}

fn shape_of(wasm: &[u8]) -> Result<Shape, Refusal> {
    let invalid = |e: wasmparser::BinaryReaderError| Refusal::Invalid(e.to_string());
    let mut shape = Shape::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(invalid)? {
            Payload::TypeSection(reader) => {
                for group in reader.into_iter() {
                    for sub in group.map_err(invalid)?.types() {
                        let params = match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => f.params().len() as u32,
                            _ => 0,
                        };
                        shape.type_params.push(params);
                        shape.types += 1;
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    match import.map_err(invalid)?.ty {
                        TypeRef::Func(_) | TypeRef::FuncExact(_) => shape.imported_funcs += 1,
                        TypeRef::Memory(memory) => shape.memories.push(memory),
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    shape.func_types.push(ty.map_err(invalid)?);
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    shape.memories.push(memory.map_err(invalid)?);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    shape.exports_memory_name |= export.map_err(invalid)?.name == MEMORY_EXPORT;
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(invalid)?;
                    let active_at = match data.kind {
                        wasmparser::DataKind::Active {
                            memory_index: 0,
                            offset_expr,
                        } => match offset_expr.get_operators_reader().read() {
                            Ok(Operator::I32Const { value }) => Some(u64::from(value as u32)),
                            _ => None,
                        },
                        _ => None,
                    };
                    shape.data.push(DataSegment {
                        active_at,
                        len: data.data.len() as u64,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(shape)
}

/// Whether `wasm` can be searched for writes to `range`, without making the copy: one 32-bit
/// memory, no atomics, and a range that fits in the memory's declared maximum.
pub fn check(wasm: &[u8], range: WatchedRange) -> Result<(), Refusal> {
    check_shape(&shape_of(wasm)?, range)?;
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CodeSectionEntry(body)) = payload else {
            continue;
        };
        let Ok(mut reader) = body.get_operators_reader() else {
            continue;
        };
        while !reader.eof() {
            let Ok((_, offset)) = reader.read_with_offset() else {
                break;
            };
            if wasm.get(offset) == Some(&0xFE) {
                return Err(Refusal::Atomics);
            }
        }
    }
    Ok(())
}

fn check_shape(shape: &Shape, range: WatchedRange) -> Result<(), Refusal> {
    let memory = match shape.memories.as_slice() {
        [] => return Err(Refusal::NoMemory),
        [memory] => *memory,
        many => return Err(Refusal::ManyMemories(many.len())),
    };
    if memory.memory64 {
        return Err(Refusal::Memory64);
    }
    if memory.shared {
        return Err(Refusal::Atomics);
    }
    let page = 1u64 << memory.page_size_log2.unwrap_or(16);
    let max_bytes = memory
        .maximum
        .map_or(1 << 32, |pages| pages.saturating_mul(page).min(1 << 32));
    if range.end() > max_bytes {
        return Err(Refusal::OutsideMemory {
            range: range.to_string(),
            max_bytes,
        });
    }
    if shape.exports_memory_name {
        return Err(Refusal::ExportTaken);
    }
    Ok(())
}

/// Makes the copy of `wasm` that reports writes touching `range`, or says why it cannot.
pub fn instrument(wasm: &[u8], range: WatchedRange) -> Result<Instrumented, Refusal> {
    let shape = shape_of(wasm)?;
    check_shape(&shape, range)?;
    let mut rewriter = Rewriter {
        wasm,
        range,
        shape: &shape,
        sites: Vec::new(),
        bodies: Vec::new(),
        types_done: false,
        imports_done: false,
        exports_done: false,
    };
    let mut module = wasm_encoder::Module::new();
    rewriter
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| match e {
            reencode::Error::UserError(refusal) => refusal,
            other => Refusal::Invalid(other.to_string()),
        })?;
    let copy = module.finish();
    let Rewriter {
        sites, mut bodies, ..
    } = rewriter;
    // Where each body landed in the copy.
    let mut at = 0;
    for payload in Parser::new(0).parse_all(&copy) {
        if let Ok(Payload::CodeSectionEntry(body)) = payload
            && let Some(map) = bodies.get_mut(at)
        {
            map.start = body.range().start;
            at += 1;
        }
    }
    Ok(Instrumented {
        wasm: copy,
        sites,
        data: shape.data,
        imported_funcs: shape.imported_funcs,
        bodies,
    })
}

struct Rewriter<'a> {
    wasm: &'a [u8],
    range: WatchedRange,
    shape: &'a Shape,
    sites: Vec<Site>,
    bodies: Vec<BodyMap>,
    types_done: bool,
    imports_done: bool,
    exports_done: bool,
}

/// Where a section stands in a module's order.
fn rank(id: SectionId) -> u8 {
    match id {
        SectionId::Type => 1,
        SectionId::Import => 2,
        SectionId::Function => 3,
        SectionId::Table => 4,
        SectionId::Memory => 5,
        SectionId::Tag => 6,
        SectionId::Global => 7,
        SectionId::Export => 8,
        SectionId::Start => 9,
        SectionId::Element => 10,
        SectionId::DataCount => 11,
        SectionId::Code => 12,
        SectionId::Data => 13,
        _ => 0,
    }
}

impl Rewriter<'_> {
    fn add_types(&mut self, types: &mut TypeSection) {
        types.ty().function([ValType::I32; 2], []);
        types.ty().function([ValType::I32; 4], []);
        self.types_done = true;
    }

    fn add_imports(&mut self, imports: &mut ImportSection) {
        let store = wasm_encoder::EntityType::Function(self.shape.types);
        let bulk = wasm_encoder::EntityType::Function(self.shape.types + 1);
        imports.import(HOOK_MODULE, STORE_HOOK, store);
        imports.import(HOOK_MODULE, BULK_HOOK, bulk);
        self.imports_done = true;
    }

    fn add_exports(&mut self, exports: &mut ExportSection) {
        exports.export(MEMORY_EXPORT, ExportKind::Memory, 0);
        self.exports_done = true;
    }
}

/// A store's text, width and the type of the value it stores; `None` for anything else.
pub(crate) fn store_of(
    op: &Operator<'_>,
) -> Option<(&'static str, wasmparser::MemArg, u32, ValType)> {
    use Operator as O;
    use ValType::{F32, F64, I32, I64, V128};
    Some(match *op {
        O::I32Store { memarg } => ("i32.store", memarg, 4, I32),
        O::I32Store8 { memarg } => ("i32.store8", memarg, 1, I32),
        O::I32Store16 { memarg } => ("i32.store16", memarg, 2, I32),
        O::I64Store { memarg } => ("i64.store", memarg, 8, I64),
        O::I64Store8 { memarg } => ("i64.store8", memarg, 1, I64),
        O::I64Store16 { memarg } => ("i64.store16", memarg, 2, I64),
        O::I64Store32 { memarg } => ("i64.store32", memarg, 4, I64),
        O::F32Store { memarg } => ("f32.store", memarg, 4, F32),
        O::F64Store { memarg } => ("f64.store", memarg, 8, F64),
        O::V128Store { memarg } => ("v128.store", memarg, 16, V128),
        O::V128Store8Lane { memarg, .. } => ("v128.store8_lane", memarg, 1, V128),
        O::V128Store16Lane { memarg, .. } => ("v128.store16_lane", memarg, 2, V128),
        O::V128Store32Lane { memarg, .. } => ("v128.store32_lane", memarg, 4, V128),
        O::V128Store64Lane { memarg, .. } => ("v128.store64_lane", memarg, 8, V128),
        _ => return None,
    })
}

/// A bulk write's text and kind; `None` for anything else.
pub(crate) fn bulk_of(op: &Operator<'_>) -> Option<(&'static str, SiteKind)> {
    Some(match *op {
        Operator::MemoryFill { .. } => ("memory.fill", SiteKind::Fill),
        Operator::MemoryCopy { .. } => ("memory.copy", SiteKind::Copy),
        Operator::MemoryInit { data_index, .. } => ("memory.init", SiteKind::Init(data_index)),
        Operator::DataDrop { data_index } => ("data.drop", SiteKind::Drop(data_index)),
        _ => return None,
    })
}

/// The scratch locals an instrumented body adds after its own: only those its writes need,
/// so a function that writes nothing keeps its frame as it was.
struct Scratch {
    /// Three i32s (address, an i32 value or a bulk op's second operand, a length).
    i32s: u32,
    /// A local for a stored value of each other type (index by `VALUE_TYPES`).
    values: [Option<u32>; 4],
}

/// The stored value types with a scratch local of their own (an i32 value uses `i32s + 1`).
const VALUE_TYPES: [ValType; 4] = [ValType::I64, ValType::F32, ValType::F64, ValType::V128];

impl Scratch {
    /// The locals to declare, numbered from `base`, for a body whose writes store `stored`
    /// types (`any` when it writes at all).
    fn new(base: u32, any: bool, stored: [bool; 4], locals: &mut Vec<(u32, ValType)>) -> Self {
        let mut next = base;
        if any {
            locals.push((3, ValType::I32));
            next += 3;
        }
        let mut values = [None; 4];
        for (i, ty) in VALUE_TYPES.iter().enumerate() {
            if stored[i] {
                locals.push((1, *ty));
                values[i] = Some(next);
                next += 1;
            }
        }
        Self { i32s: base, values }
    }

    fn value(&self, ty: ValType) -> u32 {
        VALUE_TYPES
            .iter()
            .position(|t| *t == ty)
            .and_then(|i| self.values[i])
            .unwrap_or(self.i32s + 1)
    }
}

type Fail = reencode::Error<Refusal>;

impl Reencode for Rewriter<'_> {
    type Error = Refusal;

    fn function_index(&mut self, func: u32) -> Result<u32, Fail> {
        Ok(if func < self.shape.imported_funcs {
            func
        } else {
            func + HOOKS
        })
    }

    fn intersperse_section_hook(
        &mut self,
        module: &mut wasm_encoder::Module,
        _after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Fail> {
        let next = before.map_or(u8::MAX, rank);
        if !self.types_done && next > rank(SectionId::Type) {
            let mut types = TypeSection::new();
            self.add_types(&mut types);
            module.section(&types);
        }
        if !self.imports_done && next > rank(SectionId::Import) {
            let mut imports = ImportSection::new();
            self.add_imports(&mut imports);
            module.section(&imports);
        }
        if !self.exports_done && next > rank(SectionId::Export) {
            let mut exports = ExportSection::new();
            self.add_exports(&mut exports);
            module.section(&exports);
        }
        Ok(())
    }

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Fail> {
        reencode::utils::parse_type_section(self, types, section)?;
        self.add_types(types);
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Fail> {
        reencode::utils::parse_import_section(self, imports, section)?;
        self.add_imports(imports);
        Ok(())
    }

    fn parse_export_section(
        &mut self,
        exports: &mut ExportSection,
        section: wasmparser::ExportSectionReader<'_>,
    ) -> Result<(), Fail> {
        reencode::utils::parse_export_section(self, exports, section)?;
        self.add_exports(exports);
        Ok(())
    }

    fn parse_custom_section(
        &mut self,
        module: &mut wasm_encoder::Module,
        section: wasmparser::CustomSectionReader<'_>,
    ) -> Result<(), Fail> {
        // Names are kept (renumbered); DWARF is not: its addresses are the original code's,
        // and the answer's file:line is read from the original module instead.
        if let wasmparser::KnownCustom::Name(names) = section.as_known()
            && let Ok(names) = self.custom_name_section(names)
        {
            module.section(&names);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Fail> {
        let defined = self.bodies.len() as u32;
        let func_index = self.shape.imported_funcs + defined;
        let params = self
            .shape
            .func_types
            .get(defined as usize)
            .and_then(|ty| self.shape.type_params.get(*ty as usize))
            .copied()
            .unwrap_or(0);
        let mut locals = Vec::new();
        let mut declared = 0u32;
        for pair in func.get_locals_reader()? {
            let (count, ty) = pair?;
            declared = declared.saturating_add(count);
            locals.push((count, self.val_type(ty)?));
        }
        let (mut writes, mut stored) = (false, [false; 4]);
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            if self.wasm.get(offset) == Some(&0xFE) {
                return Err(reencode::Error::UserError(Refusal::Atomics));
            }
            if let Some((.., ty)) = store_of(&op) {
                writes = true;
                if let Some(i) = VALUE_TYPES.iter().position(|t| *t == ty) {
                    stored[i] = true;
                }
            }
            writes |= bulk_of(&op).is_some();
        }
        let scratch = Scratch::new(params + declared, writes, stored, &mut locals);
        let mut f = Function::new(locals);
        let mut map = BodyMap::default();
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let (op, offset) = reader.read_with_offset()?;
            map.points.push((f.byte_len() as u32, offset as u32));
            if let Some((text, memarg, width, ty)) = store_of(&op)
                && memarg.memory == 0
            {
                self.hook_store(
                    &mut f, &scratch, func_index, offset, text, memarg, width, ty,
                );
            } else if let Some((text, kind)) = bulk_of(&op) {
                self.hook_bulk(&mut f, &scratch, func_index, offset, text, kind);
            }
            f.instruction(&self.instruction(op)?);
        }
        code.function(&f);
        self.bodies.push(map);
        Ok(())
    }
}

impl Rewriter<'_> {
    fn site(&mut self, func_index: u32, offset: usize, text: &'static str, kind: SiteKind) -> i32 {
        self.sites.push(Site {
            func_index,
            module_offset: offset,
            instruction: text,
            kind,
        });
        (self.sites.len() - 1) as i32
    }

    /// Before a store: `[addr, value]` → the same, after calling the store hook when the
    /// address can touch the range (a site that never can is left as it is).
    #[allow(clippy::too_many_arguments)]
    fn hook_store(
        &mut self,
        f: &mut Function,
        scratch: &Scratch,
        func_index: u32,
        offset: usize,
        text: &'static str,
        memarg: wasmparser::MemArg,
        width: u32,
        ty: ValType,
    ) {
        // The store touches the range when addr + offset < end and addr + offset + width >
        // start, i.e. addr in [low, high).
        let low = (i128::from(self.range.addr) - i128::from(memarg.offset) - i128::from(width) + 1)
            .max(0);
        let high = i128::from(self.range.end()) - i128::from(memarg.offset);
        if high <= low {
            return;
        }
        let (low, span) = (low as i64, (high - low).min(1 << 33) as i64);
        let site = self.site(
            func_index,
            offset,
            text,
            SiteKind::Store {
                offset: memarg.offset,
                width,
            },
        );
        let (addr, value) = (scratch.i32s, scratch.value(ty));
        for ins in [
            Instruction::LocalSet(value),
            Instruction::LocalTee(addr),
            Instruction::I64ExtendI32U,
            Instruction::I64Const(low),
            Instruction::I64Sub,
            Instruction::I64Const(span),
            Instruction::I64LtU,
            Instruction::If(BlockType::Empty),
            Instruction::LocalGet(addr),
            Instruction::I32Const(site),
            Instruction::Call(self.shape.imported_funcs),
            Instruction::End,
            Instruction::LocalGet(addr),
            Instruction::LocalGet(value),
        ] {
            f.instruction(&ins);
        }
    }

    /// Before a bulk write: `[dst, src, len]` (or nothing, for `data.drop`) → the same, after
    /// calling the bulk hook.
    fn hook_bulk(
        &mut self,
        f: &mut Function,
        scratch: &Scratch,
        func_index: u32,
        offset: usize,
        text: &'static str,
        kind: SiteKind,
    ) {
        let site = self.site(func_index, offset, text, kind);
        let bulk = self.shape.imported_funcs + 1;
        let [dst, src, len] = [scratch.i32s, scratch.i32s + 1, scratch.i32s + 2];
        let instructions: &[Instruction] = match kind {
            SiteKind::Drop(_) => &[
                Instruction::I32Const(0),
                Instruction::I32Const(0),
                Instruction::I32Const(0),
                Instruction::I32Const(site),
                Instruction::Call(bulk),
            ],
            _ => &[
                Instruction::LocalSet(len),
                Instruction::LocalSet(src),
                Instruction::LocalTee(dst),
                Instruction::LocalGet(src),
                Instruction::LocalGet(len),
                Instruction::I32Const(site),
                Instruction::Call(bulk),
                Instruction::LocalGet(dst),
                Instruction::LocalGet(src),
                Instruction::LocalGet(len),
            ],
        };
        for ins in instructions {
            f.instruction(ins);
        }
    }
}

/// The data segments that put bytes into `range` at instantiation: their numbers.
pub fn segments_covering(data: &[DataSegment], range: WatchedRange) -> Vec<usize> {
    data.iter()
        .enumerate()
        .filter(|(_, d)| d.active_at.is_some_and(|at| range.overlaps(at, d.len)))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULE: &str = r#"(module
        (import "env" "f" (func $f))
        (memory 1)
        (func $far (i32.store offset=0x1000 (i32.const 0) (i32.const 1)))
        (func $near (param i64)
          (i64.store (i32.const 8) (local.get 0))
          (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
          (call $f) (call $far)))"#;

    #[test]
    fn the_copy_is_valid_and_maps_back_to_the_original() {
        let wasm = wat::parse_str(MODULE).unwrap();
        let range = WatchedRange { addr: 8, len: 4 };
        let plan = instrument(&wasm, range).unwrap();
        wasmparser::Validator::new()
            .validate_all(&plan.wasm)
            .expect("the copy validates");
        // The store at offset 0x1000 can never reach 8..12: left as it is.
        let kinds: Vec<_> = plan.sites.iter().map(|s| s.instruction).collect();
        assert_eq!(kinds, ["i64.store", "memory.fill"]);
        assert!(plan.sites.iter().all(|s| s.func_index == 2));
        // `$near` is function 2 in the original and 4 in the copy (two hooks imported).
        assert_eq!(plan.original_func(4), 2);
        assert_eq!(plan.original_func(0), 0);
        // The copy's `call $far` lands on the original's `call $far`.
        let call_far = |wasm: &[u8], target: u32| {
            Parser::new(0)
                .parse_all(wasm)
                .filter_map(|p| match p.unwrap() {
                    Payload::CodeSectionEntry(body) => Some(body),
                    _ => None,
                })
                .flat_map(|body| {
                    let mut reader = body.get_operators_reader().unwrap();
                    let mut found = Vec::new();
                    while !reader.eof() {
                        let (op, offset) = reader.read_with_offset().unwrap();
                        if matches!(op, Operator::Call { function_index } if function_index == target)
                        {
                            found.push(offset);
                        }
                    }
                    found
                })
                .next()
                .unwrap()
        };
        let original = call_far(&wasm, 1);
        let in_copy = call_far(&plan.wasm, 3);
        assert_eq!(plan.original_offset(4, in_copy), Some(original));
    }

    #[test]
    fn refusals_are_named() {
        let range = WatchedRange { addr: 0, len: 1 };
        let no_memory = wat::parse_str("(module)").unwrap();
        assert_eq!(
            instrument(&no_memory, range).unwrap_err(),
            Refusal::NoMemory
        );
        let small = wat::parse_str("(module (memory 1 1))").unwrap();
        let past = WatchedRange {
            addr: 0x10000,
            len: 1,
        };
        assert!(matches!(
            check(&small, past),
            Err(Refusal::OutsideMemory {
                max_bytes: 65536,
                ..
            })
        ));
        let truncated = instrument(b"\0asm\x01\0\0\0\x05", range);
        assert!(matches!(truncated, Err(Refusal::Invalid(_))));
    }
}
