//! Inspect a module without running it: [`inspect`] reads the bytes ([`crate::engine::info`]),
//! asks wasmtime about a precompiled `.cwasm`, and checks every import against what the
//! sandbox's real linker provides (all of them at once, where instantiation stops at the
//! first).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::engine::errors::error_text;
pub use crate::engine::info::{
    CapabilityUse, CustomSectionInfo, ExportInfo, ExternKind, FuncSig, ImportInfo, MemoryInfo,
    ModuleInfo, ModuleKind, ModuleStyle, NestedInfo, ParseError, ProducerField, TableInfo,
    UnresolvedImport, WasiInfo,
};
use crate::engine::info::{memory_text, summarize, table_text};
use crate::engine::module::precompiled::Origin;
use crate::engine::sandbox::EngineKey;
use crate::engine::wasi::is_wasi_module;

/// Inspects wasm bytes (binary; convert text first with [`crate::engine::wat_to_wasm`]).
/// Never fails: an unreadable module comes back as [`ModuleKind::Invalid`] with the offset.
/// Precompiled code is not wasm: see [`inspect_precompiled`].
pub fn inspect(bytes: &[u8]) -> ModuleInfo {
    let mut info = crate::engine::info::parse(bytes);
    if info.kind == ModuleKind::CoreModule {
        info.unresolved = unresolved_imports(&info.imports);
    }
    info
}

/// What is known of precompiled code (`image`, made by `origin`). With `load` (the user's
/// say-so, or wasmscope's own tag), it is loaded once under that engine, into the compile
/// cache, and the returned pin keeps it there; its imports and exports then come from
/// wasmtime's types. Without it, nothing of the code is read.
pub fn inspect_precompiled(
    image: &[u8],
    origin: Origin,
    load: Option<EngineKey>,
) -> (ModuleInfo, Option<crate::engine::sandbox::cache::Pin>) {
    let size_bytes = image.len();
    let Some(key) = load else {
        let mut info = ModuleInfo::empty(size_bytes as u64);
        info.warnings.push(
            "not loaded, so its imports and exports are unknown: nothing vouches for this code. \
             Load it only if you made it or trust it (--allow-precompiled)"
                .to_owned(),
        );
        return (precompiled_info(info, origin), None);
    };
    let loaded = crate::engine::sandbox::shared_engine(key)
        .and_then(|shared| crate::engine::module::precompiled::load_pinned(&shared, image));
    match loaded {
        Ok((compiled, pin)) => {
            let info = info_from_module(&compiled.module, size_bytes);
            (precompiled_info(info, origin), Some(pin))
        }
        Err(e) => {
            let mut info = ModuleInfo::empty(size_bytes as u64);
            info.error = Some(ParseError {
                offset: 0,
                message: precompiled_load_error(origin, key, &e),
            });
            (precompiled_info(info, origin), None)
        }
    }
}

/// Why precompiled code did not load under `key`, in words that name the real mismatch.
pub fn precompiled_load_error(origin: Origin, key: EngineKey, e: &wasmtime::Error) -> String {
    let text = error_text(e);
    match origin {
        Origin::Wasmscope(compiled_for) if compiled_for.engine_key() != key => format!(
            "it was compiled for {}, and this run asks for {} ({text}): change the settings, \
             or compile the .wasm again with `wasmscope compile`",
            compiled_for.describe(),
            crate::engine::module::precompiled::CompiledFor::of(key).describe(),
        ),
        Origin::Wasmscope(_) => format!(
            "this wasmtime cannot load it ({text}); it was probably made by another wasmscope \
             version: compile the .wasm again with `wasmscope compile`"
        ),
        Origin::Foreign => format!(
            "it does not fit wasmscope's engine ({text}). Precompiled code loads only into the \
             wasmtime version and settings it was made with, and wasmscope's engines differ \
             from `wasmtime compile`'s defaults (they interrupt the guest for timeouts and \
             Stop): compile the .wasm with `wasmscope compile` instead"
        ),
    }
}

fn precompiled_info(mut info: ModuleInfo, origin: Origin) -> ModuleInfo {
    info.kind = ModuleKind::Precompiled;
    info.native_code = Some(format!(
        "native machine code, not WebAssembly: {}. It runs outside wasm's validation, \
         only with --allow-precompiled",
        origin.describe()
    ));
    info
}

/// What wasmtime's types say about a compiled module (used for precompiled `.cwasm` files,
/// which have no wasm to parse).
pub fn info_from_module(module: &wasmtime::Module, size_bytes: usize) -> ModuleInfo {
    use wasmtime::ExternType;
    let mut info = ModuleInfo::empty(size_bytes as u64);
    let describe = |ty: &ExternType,
                    imported: bool,
                    info: &mut ModuleInfo|
     -> (ExternKind, String, Option<FuncSig>) {
        match ty {
            ExternType::Func(f) => {
                let sig = FuncSig {
                    params: f.params().map(|p| p.to_string()).collect(),
                    results: f.results().map(|r| r.to_string()).collect(),
                };
                (ExternKind::Func, sig.to_string(), Some(sig))
            }
            ExternType::Memory(m) => {
                let memory = MemoryInfo {
                    imported,
                    initial_pages: m.minimum(),
                    maximum_pages: m.maximum(),
                    page_size: m.page_size(),
                    shared: m.is_shared(),
                    memory64: m.is_64(),
                };
                let text = memory_text(&memory);
                info.memories.push(memory);
                (ExternKind::Memory, text, None)
            }
            ExternType::Table(t) => {
                let table = TableInfo {
                    imported,
                    element_type: t.element().to_string(),
                    initial: t.minimum(),
                    maximum: t.maximum(),
                    table64: t.is_64(),
                };
                let text = table_text(&table);
                info.tables.push(table);
                (ExternKind::Table, text, None)
            }
            ExternType::Global(g) => {
                info.globals += 1;
                let text = match g.mutability() {
                    wasmtime::Mutability::Var => format!("global mut {}", g.content()),
                    wasmtime::Mutability::Const => format!("global {}", g.content()),
                };
                (ExternKind::Global, text, None)
            }
            ExternType::Tag(_) => (ExternKind::Tag, "tag".to_owned(), None),
        }
    };
    for import in module.imports() {
        let (kind, ty, sig) = describe(&import.ty(), true, &mut info);
        info.imports.push(ImportInfo {
            module: import.module().to_owned(),
            name: import.name().to_owned(),
            kind,
            ty,
            sig,
        });
    }
    for (index, export) in module.exports().enumerate() {
        let (kind, ty, sig) = describe(&export.ty(), false, &mut info);
        info.exports.push(ExportInfo {
            name: export.name().to_owned(),
            kind,
            index: index as u32,
            ty,
            sig,
        });
    }
    summarize(&mut info);
    info.unresolved = unresolved_imports(&info.imports);
    info
}

/// Every import in `imports` that the sandbox cannot satisfy.
pub fn unresolved_imports(imports: &[ImportInfo]) -> Vec<UnresolvedImport> {
    let provided = provided_imports();
    imports
        .iter()
        .filter_map(|import| {
            let reason = match provided.get(&(import.module.clone(), import.name.clone())) {
                None if is_wasi_module(&import.module) => {
                    format!("`{}` is not a {} function", import.name, import.module)
                }
                None => format!(
                    "not provided: the sandbox offers only WASI preview 1 \
                     (wasi_snapshot_preview1), not module `{}`",
                    import.module
                ),
                Some(_) if import.kind != ExternKind::Func => {
                    format!(
                        "WASI provides a function here, the module imports a {}",
                        import.kind
                    )
                }
                Some(sig) if import.sig.as_ref() != Some(sig) => format!(
                    "wrong signature: WASI defines {sig}, the module declares {}",
                    import.ty
                ),
                Some(_) => return None,
            };
            Some(UnresolvedImport {
                module: import.module.clone(),
                name: import.name.clone(),
                kind: import.kind,
                reason,
            })
        })
        .collect()
}

/// Every function the sandbox provides, with its signature, keyed by (module, name).
/// Read once from a real linker, so it is exactly what a run can link against.
pub fn provided_imports() -> &'static HashMap<(String, String), FuncSig> {
    static PROVIDED: OnceLock<HashMap<(String, String), FuncSig>> = OnceLock::new();
    PROVIDED.get_or_init(|| {
        let engine = wasmtime::Engine::default();
        let Ok(linker) = crate::engine::sandbox::make_linker(&engine) else {
            return HashMap::new();
        };
        let wasi = wasmtime_wasi::WasiCtxBuilder::new().build_p1();
        let (tx, _rx) = crossbeam_channel::bounded(1);
        let mut store = wasmtime::Store::new(
            &engine,
            crate::engine::sandbox::Host {
                wasi,
                limits: crate::engine::sandbox::Limits::new(
                    &crate::engine::SandboxPolicy::default(),
                    std::time::Instant::now(),
                    tx,
                ),
                calls: None,
                quota: None,
                watch: Default::default(),
                shim: None,
                recorder: None,
                replay: None,
                last_write: None,
                abort_words: None,
                clock: None,
            },
        );
        let mut provided = HashMap::new();
        let items: Vec<_> = linker
            .iter(&mut store)
            .map(|(module, name, item)| (module.to_owned(), name.to_owned(), item))
            .collect();
        for (module, name, item) in items {
            if let wasmtime::ExternType::Func(ty) = item.ty(&store) {
                let sig = FuncSig {
                    params: ty.params().map(|p| p.to_string()).collect(),
                    results: ty.results().map(|r| r.to_string()).collect(),
                };
                provided.insert((module, name), sig);
            }
        }
        provided
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::wasi::Capability;

    fn wasm(text: &str) -> Vec<u8> {
        wat::parse_str(text).expect("test module parses")
    }

    #[test]
    fn command_with_wasi_imports_is_summarised() {
        let info = inspect(&wasm(
            r#"(module
                (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
                (memory (export "memory") 1 16)
                (func (export "_start")))"#,
        ));
        assert_eq!(info.kind, ModuleKind::CoreModule);
        assert_eq!(info.style, ModuleStyle::Command);
        assert_eq!(info.imports[0].ty, "(i32, i32, i32, i32) -> i32");
        assert_eq!(info.exports[0].ty, "memory 1..16 pages");
        assert_eq!(info.wasi.interfaces, vec!["wasi_snapshot_preview1"]);
        let caps: Vec<_> = info
            .wasi
            .capabilities
            .iter()
            .map(|c| c.capability)
            .collect();
        assert_eq!(caps, vec![Capability::Stdio, Capability::Random]);
        assert!(info.unresolved.is_empty(), "{:?}", info.unresolved);
    }

    #[test]
    fn truncated_module_is_invalid_with_offset() {
        let bytes = wasm(r#"(module (func (export "f") (result i32) i32.const 7))"#);
        let info = inspect(&bytes[..bytes.len() - 3]);
        assert_eq!(info.kind, ModuleKind::Invalid);
        let error = info.error.expect("an error");
        assert!(error.offset > 8, "{error}");
    }

    #[test]
    fn non_wasm_bytes_are_invalid() {
        let info = inspect(b"\x7fELF\x02\x01\x01\0\0\0\0\0");
        assert_eq!(info.kind, ModuleKind::Invalid);
        assert!(info.error.unwrap().message.contains("magic"));
    }

    #[test]
    fn reactor_and_shared_memory64_types_are_shown() {
        let info = inspect(&wasm(
            r#"(module
                (import "env" "mem" (memory i64 1 2 shared))
                (global (export "g") (mut i32) (i32.const 0))
                (func (export "_initialize"))
                (func (export "add") (param i32 i32) (result i32) local.get 0))"#,
        ));
        assert_eq!(info.style, ModuleStyle::Reactor);
        assert_eq!(info.imports[0].ty, "memory 1..2 pages, 64-bit, shared");
        assert_eq!(info.exports[0].ty, "global mut i32");
        assert_eq!(
            info.export_sig("add").unwrap().to_string(),
            "(i32, i32) -> i32"
        );
        assert_eq!(info.unresolved.len(), 1);
    }

    #[test]
    fn every_unresolved_import_is_listed_with_its_reason() {
        let bytes = wat::parse_str(
            r#"(module
                (import "env" "host_magic" (func (param i32) (result i32)))
                (import "env" "mem" (memory 1))
                (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
                (import "wasi_snapshot_preview1" "no_such_call" (func))
                (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))))"#,
        )
        .unwrap();
        let unresolved = inspect(&bytes).unresolved;
        let names: Vec<_> = unresolved.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, vec!["host_magic", "mem", "fd_write", "no_such_call"]);
        assert!(
            unresolved[0].reason.contains("only WASI"),
            "{}",
            unresolved[0]
        );
        assert!(
            unresolved[2].reason.contains("wrong signature")
                && unresolved[2].reason.contains("(i32, i32, i32, i32) -> i32"),
            "{}",
            unresolved[2]
        );
    }
}
