//! What a module is, read without compiling it: one pass of `wasmparser` over the bytes,
//! skipping function bodies, so it stays fast on 100 MB modules. Pure data and parsing: no
//! engine is started here (see [`crate::engine::inspect`] for the entry point that also asks
//! wasmtime about precompiled modules and what the sandbox can link).

pub mod component;
pub mod dwarf;

use serde::{Deserialize, Serialize};
use wasmparser::{
    CompositeInnerType, Encoding, ExternalKind, KnownCustom, Parser, Payload, TypeRef,
};

use crate::engine::wasi::{Capability, capability_of, is_wasi_module};

/// What kind of binary this is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleKind {
    /// A core WebAssembly module.
    CoreModule,
    /// A component (component model).
    Component,
    /// Not a valid module or component; the rest of [`ModuleInfo`] holds what was read before
    /// the error.
    Invalid,
    /// Precompiled machine code (a `.cwasm`), not WebAssembly: a core module's imports and
    /// exports as wasmtime's types give them, once it is loaded with the user's say-so.
    Precompiled,
}

/// Whether the module is a command (`_start`), a reactor (`_initialize` or exports only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModuleStyle {
    /// Exports `_start`: run it like a program.
    Command,
    /// Exports `_initialize`, or functions but no `_start`: call its exports with `--invoke`.
    Reactor,
    /// Exports no function at all.
    Library,
}

/// Where the parser gave up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// Byte offset in the file.
    pub offset: usize,
    /// The parser's message.
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte offset {:#x})", self.message, self.offset)
    }
}

/// The kind of an import or export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExternKind {
    /// A function.
    Func,
    /// A table.
    Table,
    /// A linear memory.
    Memory,
    /// A global.
    Global,
    /// An exception tag.
    Tag,
}

impl std::fmt::Display for ExternKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExternKind::Func => "func",
            ExternKind::Table => "table",
            ExternKind::Memory => "memory",
            ExternKind::Global => "global",
            ExternKind::Tag => "tag",
        })
    }
}

/// A function signature, comparable with the sandbox's own.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FuncSig {
    /// Parameter types, as wasm text (`i32`, `f64`, `funcref`, ...).
    pub params: Vec<String>,
    /// Result types.
    pub results: Vec<String>,
}

impl std::fmt::Display for FuncSig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "({})", self.params.join(", "))?;
        match self.results.as_slice() {
            [] => Ok(()),
            [one] => write!(f, " -> {one}"),
            many => write!(f, " -> ({})", many.join(", ")),
        }
    }
}

/// One import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportInfo {
    /// The module name, e.g. `wasi_snapshot_preview1`.
    pub module: String,
    /// The field name, e.g. `fd_write`.
    pub name: String,
    /// What is imported.
    pub kind: ExternKind,
    /// Its full type as text, e.g. `(i32, i32, i32, i32) -> i32` or `memory 1..16 pages`.
    pub ty: String,
    /// For functions: the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<FuncSig>,
}

/// One export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportInfo {
    /// The export name.
    pub name: String,
    /// What is exported.
    pub kind: ExternKind,
    /// Index in its kind's index space.
    pub index: u32,
    /// Its full type as text.
    pub ty: String,
    /// For functions: the signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<FuncSig>,
}

/// A linear memory, imported or defined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryInfo {
    /// Whether it is imported.
    pub imported: bool,
    /// Initial size in pages.
    pub initial_pages: u64,
    /// Maximum size in pages, if declared.
    pub maximum_pages: Option<u64>,
    /// Page size in bytes (65536 unless the custom-page-sizes proposal is used).
    pub page_size: u64,
    /// Shared between threads.
    pub shared: bool,
    /// 64-bit addresses (memory64).
    pub memory64: bool,
}

impl MemoryInfo {
    /// The initial size in bytes.
    pub fn initial_bytes(&self) -> u64 {
        self.initial_pages.saturating_mul(self.page_size)
    }
}

/// A table, imported or defined.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInfo {
    /// Whether it is imported.
    pub imported: bool,
    /// Element type, e.g. `funcref`.
    pub element_type: String,
    /// Initial elements.
    pub initial: u64,
    /// Maximum elements, if declared.
    pub maximum: Option<u64>,
    /// 64-bit indices.
    pub table64: bool,
}

/// A custom section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomSectionInfo {
    /// Its name, e.g. `name`, `producers`, `.debug_info`.
    pub name: String,
    /// Size of its contents in bytes.
    pub size_bytes: u64,
}

/// One field of the `producers` section: `language`, `processed-by` or `sdk`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerField {
    /// The field name.
    pub field: String,
    /// `(name, version)` pairs.
    pub values: Vec<(String, String)>,
}

/// What the module asks of WASI, grouped by capability.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WasiInfo {
    /// The WASI interfaces imported from: `wasi_snapshot_preview1`, `wasi_unstable`.
    pub interfaces: Vec<String>,
    /// Each capability the module can ask for, with the functions that ask for it.
    pub capabilities: Vec<CapabilityUse>,
}

/// One capability and the imported functions that use it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityUse {
    /// The capability.
    pub capability: Capability,
    /// The imported WASI functions in this group.
    pub functions: Vec<String>,
}

/// Everything `inspect` knows about a module.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModuleInfo {
    /// For precompiled code, first of all: that it is native code and who made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_code: Option<String>,
    /// Core module, component, invalid, or precompiled.
    pub kind: ModuleKind,
    /// Why it is invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ParseError>,
    /// File size.
    pub size_bytes: u64,
    /// Command, reactor or library.
    pub style: ModuleStyle,
    /// Every import, in order.
    pub imports: Vec<ImportInfo>,
    /// Every export, in order.
    pub exports: Vec<ExportInfo>,
    /// The start section's function index, if any (runs at instantiation).
    pub start_function: Option<u32>,
    /// Functions defined in the module (not imported).
    pub defined_functions: u32,
    /// The code section's size: what compiling works through (a module's file may be mostly
    /// data).
    #[serde(default)]
    pub code_bytes: u64,
    /// Memories, imported first.
    pub memories: Vec<MemoryInfo>,
    /// Tables, imported first.
    pub tables: Vec<TableInfo>,
    /// Globals defined or imported.
    pub globals: u32,
    /// Custom sections in order.
    pub custom_sections: Vec<CustomSectionInfo>,
    /// The `producers` section.
    pub producers: Vec<ProducerField>,
    /// Whether a `name` section is present (backtraces show names).
    pub has_name_section: bool,
    /// Whether DWARF debug sections are present (backtraces can show file:line).
    pub has_dwarf: bool,
    /// A core module's line tables checked against its code: stale DWARF (the code optimized
    /// after it was written) is present yet gives no file:line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dwarf_coverage: Option<dwarf::DwarfCoverage>,
    /// WASI interfaces and the capability summary.
    pub wasi: WasiInfo,
    /// Every import the sandbox cannot satisfy.
    pub unresolved: Vec<UnresolvedImport>,
    /// Problems that do not stop instantiation but will stop the run, in plain words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// For components: nested core modules and components, with sizes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nested: Vec<NestedInfo>,
    /// For components: the world it imports and exports, as WIT text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wit: Option<String>,
}

/// A core module or component nested in a component.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NestedInfo {
    /// `module` or `component`.
    pub kind: String,
    /// Size in bytes.
    pub size_bytes: u64,
}

impl ModuleInfo {
    /// The DWARF in plain words: absent, present, or present but not describing this code.
    pub fn dwarf_text(&self) -> &'static str {
        match (self.has_dwarf, self.dwarf_coverage) {
            (false, _) => "none",
            (true, Some(coverage)) if !coverage.covers_code() => {
                "DWARF present, but it does not cover the code: probably optimized after it \
                 was written, so backtraces show no file:line"
            }
            (true, Some(_)) => "DWARF present: backtraces can show file:line",
            (true, None) => "DWARF sections present (no line table): backtraces show no file:line",
        }
    }

    pub(crate) fn empty(size_bytes: u64) -> Self {
        Self {
            native_code: None,
            kind: ModuleKind::CoreModule,
            error: None,
            size_bytes,
            style: ModuleStyle::Library,
            imports: Vec::new(),
            exports: Vec::new(),
            start_function: None,
            defined_functions: 0,
            code_bytes: 0,
            memories: Vec::new(),
            tables: Vec::new(),
            globals: 0,
            custom_sections: Vec::new(),
            producers: Vec::new(),
            has_name_section: false,
            has_dwarf: false,
            dwarf_coverage: None,
            wasi: WasiInfo::default(),
            unresolved: Vec::new(),
            warnings: Vec::new(),
            nested: Vec::new(),
            wit: None,
        }
    }

    /// Looks up an exported function's signature.
    pub fn export_sig(&self, name: &str) -> Option<&FuncSig> {
        self.exports
            .iter()
            .find(|e| e.name == name && e.kind == ExternKind::Func)
            .and_then(|e| e.sig.as_ref())
    }

    /// Whether the module can be run as-is: a valid core module or component, nothing
    /// unresolved.
    pub fn is_runnable(&self) -> bool {
        self.kind != ModuleKind::Invalid && self.unresolved.is_empty()
    }
}

struct TypeTable {
    /// Function signature for each type index; `None` for struct/array types.
    sigs: Vec<Option<FuncSig>>,
}

impl TypeTable {
    fn sig(&self, type_index: u32) -> Option<FuncSig> {
        self.sigs.get(type_index as usize).cloned().flatten()
    }
    fn text(&self, type_index: u32) -> String {
        self.sig(type_index)
            .map(|sig| sig.to_string())
            .unwrap_or_else(|| format!("type {type_index}"))
    }
}

fn sig_of(ty: &wasmparser::FuncType) -> FuncSig {
    FuncSig {
        params: ty.params().iter().map(|p| p.to_string()).collect(),
        results: ty.results().iter().map(|r| r.to_string()).collect(),
    }
}

fn memory_info(ty: &wasmparser::MemoryType, imported: bool) -> MemoryInfo {
    MemoryInfo {
        imported,
        initial_pages: ty.initial,
        maximum_pages: ty.maximum,
        page_size: ty
            .page_size_log2
            .map(|log2| 1u64 << log2.min(32))
            .unwrap_or(65536),
        shared: ty.shared,
        memory64: ty.memory64,
    }
}

pub(crate) fn memory_text(m: &MemoryInfo) -> String {
    let mut text = format!("memory {} pages", m.initial_pages);
    if let Some(max) = m.maximum_pages {
        text = format!("memory {}..{} pages", m.initial_pages, max);
    }
    if m.memory64 {
        text.push_str(", 64-bit");
    }
    if m.shared {
        text.push_str(", shared");
    }
    text
}

fn table_info(ty: &wasmparser::TableType, imported: bool) -> TableInfo {
    TableInfo {
        imported,
        element_type: ty.element_type.to_string(),
        initial: ty.initial,
        maximum: ty.maximum,
        table64: ty.table64,
    }
}

pub(crate) fn table_text(t: &TableInfo) -> String {
    match t.maximum {
        Some(max) => format!("table {} {}..{}", t.element_type, t.initial, max),
        None => format!("table {} {}", t.element_type, t.initial),
    }
}

fn global_text(ty: &wasmparser::GlobalType) -> String {
    if ty.mutable {
        format!("global mut {}", ty.content_type)
    } else {
        format!("global {}", ty.content_type)
    }
}

fn parse_error(e: wasmparser::BinaryReaderError) -> ParseError {
    ParseError {
        offset: e.offset(),
        message: e.message().to_owned(),
    }
}

fn parse_into(bytes: &[u8], info: &mut ModuleInfo) -> Result<(), ParseError> {
    let mut types = TypeTable { sigs: Vec::new() };
    // Type index of every function: imported ones first, then defined ones.
    let mut func_types: Vec<u32> = Vec::new();
    let mut global_types: Vec<String> = Vec::new();
    let mut tag_types: Vec<u32> = Vec::new();
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();

    let mut parser = Parser::new(0);
    let mut data = bytes;
    loop {
        let (payload, consumed) = match parser.parse(data, true).map_err(parse_error)? {
            wasmparser::Chunk::Parsed { consumed, payload } => (payload, consumed),
            // With `eof = true` the parser reports truncation as an error instead.
            wasmparser::Chunk::NeedMoreData(_) => {
                return Err(ParseError {
                    offset: bytes.len() - data.len(),
                    message: "unexpected end of file".to_owned(),
                });
            }
        };
        data = &data[consumed..];
        match payload {
            Payload::Version {
                encoding: Encoding::Component,
                ..
            } => {
                info.kind = ModuleKind::Component;
                return inspect_component(bytes, info);
            }
            Payload::TypeSection(reader) => {
                for rec_group in reader {
                    let rec_group = rec_group.map_err(parse_error)?;
                    for sub in rec_group.into_types() {
                        types.sigs.push(match &sub.composite_type.inner {
                            CompositeInnerType::Func(f) => Some(sig_of(f)),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(parse_error)?;
                    let (kind, ty, sig) = match import.ty {
                        TypeRef::Func(idx) | TypeRef::FuncExact(idx) => {
                            func_types.push(idx);
                            (ExternKind::Func, types.text(idx), types.sig(idx))
                        }
                        TypeRef::Table(t) => {
                            let table = table_info(&t, true);
                            let text = table_text(&table);
                            info.tables.push(table);
                            (ExternKind::Table, text, None)
                        }
                        TypeRef::Memory(m) => {
                            let memory = memory_info(&m, true);
                            let text = memory_text(&memory);
                            info.memories.push(memory);
                            (ExternKind::Memory, text, None)
                        }
                        TypeRef::Global(g) => {
                            info.globals += 1;
                            let text = global_text(&g);
                            global_types.push(text.clone());
                            (ExternKind::Global, text, None)
                        }
                        TypeRef::Tag(t) => {
                            tag_types.push(t.func_type_idx);
                            (
                                ExternKind::Tag,
                                format!("tag {}", types.text(t.func_type_idx)),
                                None,
                            )
                        }
                    };
                    info.imports.push(ImportInfo {
                        module: import.module.to_owned(),
                        name: import.name.to_owned(),
                        kind,
                        ty,
                        sig,
                    });
                }
            }
            Payload::FunctionSection(reader) => {
                for ty in reader {
                    func_types.push(ty.map_err(parse_error)?);
                    info.defined_functions += 1;
                }
            }
            Payload::TableSection(reader) => {
                for table in reader {
                    info.tables
                        .push(table_info(&table.map_err(parse_error)?.ty, false));
                }
            }
            Payload::MemorySection(reader) => {
                for memory in reader {
                    info.memories
                        .push(memory_info(&memory.map_err(parse_error)?, false));
                }
            }
            Payload::GlobalSection(reader) => {
                for global in reader {
                    global_types.push(global_text(&global.map_err(parse_error)?.ty));
                    info.globals += 1;
                }
            }
            Payload::TagSection(reader) => {
                for tag in reader {
                    tag_types.push(tag.map_err(parse_error)?.func_type_idx);
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(parse_error)?;
                    exports.push((export.name.to_owned(), export.kind, export.index));
                }
            }
            Payload::StartSection { func, .. } => info.start_function = Some(func),
            Payload::CodeSectionStart { size, range, .. } => {
                // Function bodies are compiled later, not inspected: skip them in one step.
                if size as usize > data.len() {
                    return Err(ParseError {
                        offset: range.start,
                        message: format!(
                            "code section is truncated: it declares {size} bytes but the file ends first"
                        ),
                    });
                }
                info.code_bytes = u64::from(size);
                parser.skip_section();
                data = &data[size as usize..];
            }
            Payload::CustomSection(reader) => {
                let name = reader.name().to_owned();
                info.has_dwarf |= name.starts_with(".debug_");
                match reader.as_known() {
                    KnownCustom::Name(_) => info.has_name_section = true,
                    KnownCustom::Producers(reader) => {
                        for field in reader.into_iter().flatten() {
                            let values = field
                                .values
                                .into_iter()
                                .flatten()
                                .map(|v| (v.name.to_owned(), v.version.to_owned()))
                                .collect();
                            info.producers.push(ProducerField {
                                field: field.name.to_owned(),
                                values,
                            });
                        }
                    }
                    _ => {}
                }
                info.custom_sections.push(CustomSectionInfo {
                    name,
                    size_bytes: reader.data().len() as u64,
                });
            }
            Payload::End(_) => break,
            _ => {}
        }
    }

    for (name, kind, index) in exports {
        let (kind, ty, sig) = match kind {
            ExternalKind::Func | ExternalKind::FuncExact => {
                let type_index = func_types.get(index as usize).copied();
                let sig = type_index.and_then(|t| types.sig(t));
                let text = type_index
                    .map(|t| types.text(t))
                    .unwrap_or_else(|| format!("func {index} (out of range)"));
                (ExternKind::Func, text, sig)
            }
            ExternalKind::Table => {
                let text = info
                    .tables
                    .get(index as usize)
                    .map(table_text)
                    .unwrap_or_else(|| format!("table {index}"));
                (ExternKind::Table, text, None)
            }
            ExternalKind::Memory => {
                let text = info
                    .memories
                    .get(index as usize)
                    .map(memory_text)
                    .unwrap_or_else(|| format!("memory {index}"));
                (ExternKind::Memory, text, None)
            }
            ExternalKind::Global => {
                let text = global_types
                    .get(index as usize)
                    .cloned()
                    .unwrap_or_else(|| format!("global {index}"));
                (ExternKind::Global, text, None)
            }
            ExternalKind::Tag => {
                let text = tag_types
                    .get(index as usize)
                    .map(|t| format!("tag {}", types.text(*t)))
                    .unwrap_or_else(|| format!("tag {index}"));
                (ExternKind::Tag, text, None)
            }
        };
        info.exports.push(ExportInfo {
            name,
            kind,
            index,
            ty,
            sig,
        });
    }
    Ok(())
}

/// A first look at a component: its nested modules and components and its custom sections.
/// Its imports, exports and WIT world come from [`component::describe`].
fn inspect_component(bytes: &[u8], info: &mut ModuleInfo) -> Result<(), ParseError> {
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(parse_error)? {
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                if depth == 0 {
                    info.nested.push(NestedInfo {
                        kind: "module".to_owned(),
                        size_bytes: unchecked_range.len() as u64,
                    });
                }
                depth += 1;
            }
            Payload::ComponentSection {
                unchecked_range, ..
            } => {
                if depth == 0 {
                    info.nested.push(NestedInfo {
                        kind: "component".to_owned(),
                        size_bytes: unchecked_range.len() as u64,
                    });
                }
                depth += 1;
            }
            Payload::CustomSection(reader) if depth == 0 => {
                info.custom_sections.push(CustomSectionInfo {
                    name: reader.name().to_owned(),
                    size_bytes: reader.data().len() as u64,
                });
            }
            Payload::End(_) => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            _ => {}
        }
    }
    Ok(())
}

/// An import the sandbox cannot satisfy, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnresolvedImport {
    /// The import's module name.
    pub module: String,
    /// The import's field name.
    pub name: String,
    /// What is imported.
    pub kind: ExternKind,
    /// Why it cannot be satisfied, e.g. "not provided: the sandbox offers only WASI".
    pub reason: String,
}

impl std::fmt::Display for UnresolvedImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}::{} ({}): {}",
            self.module, self.name, self.kind, self.reason
        )
    }
}

/// Parses wasm bytes into a [`ModuleInfo`]; a component's imports and exports are described
/// from its WIT world. Never fails: an unreadable module comes back as [`ModuleKind::Invalid`]
/// with the offset. `unresolved` is left empty for the caller to check.
pub fn parse(bytes: &[u8]) -> ModuleInfo {
    let mut info = ModuleInfo::empty(bytes.len() as u64);
    if let Err(error) = parse_into(bytes, &mut info) {
        info.kind = ModuleKind::Invalid;
        info.error = Some(error);
    }
    summarize(&mut info);
    if info.has_dwarf && info.kind == ModuleKind::CoreModule {
        info.dwarf_coverage = dwarf::coverage(bytes);
    }
    if info.kind == ModuleKind::Component {
        component::describe(bytes, &mut info);
    }
    info
}

/// Fills in the style, the WASI capability summary and the warnings from the imports and
/// exports (what the sandbox can satisfy is checked by [`crate::engine::inspect`]).
pub(crate) fn summarize(info: &mut ModuleInfo) {
    let exports_func = |name: &str| {
        info.exports
            .iter()
            .any(|e| e.name == name && e.kind == ExternKind::Func)
    };
    info.style = if exports_func("_start") {
        ModuleStyle::Command
    } else if exports_func("_initialize") || info.exports.iter().any(|e| e.kind == ExternKind::Func)
    {
        ModuleStyle::Reactor
    } else {
        ModuleStyle::Library
    };

    let mut interfaces: Vec<String> = Vec::new();
    let mut groups: Vec<CapabilityUse> = Vec::new();
    for import in &info.imports {
        if !is_wasi_module(&import.module) {
            continue;
        }
        if !interfaces.contains(&import.module) {
            interfaces.push(import.module.clone());
        }
        let capability = capability_of(&import.name);
        match groups.iter_mut().find(|g| g.capability == capability) {
            Some(group) => {
                if !group.functions.contains(&import.name) {
                    group.functions.push(import.name.clone());
                }
            }
            None => groups.push(CapabilityUse {
                capability,
                functions: vec![import.name.clone()],
            }),
        }
    }
    groups.sort_by_key(|g| g.capability);
    info.wasi = WasiInfo {
        interfaces,
        capabilities: groups,
    };
    if info.kind == ModuleKind::CoreModule {
        let exports_memory = info
            .exports
            .iter()
            .any(|e| e.name == "memory" && e.kind == ExternKind::Memory);
        if !info.wasi.interfaces.is_empty() && !exports_memory {
            info.warnings.push(
                "imports WASI but exports no memory named `memory`: WASI calls that pass \
                 pointers will fail with \"missing required memory export\""
                    .to_owned(),
            );
        }
    }
}
