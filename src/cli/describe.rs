//! `wasmscope inspect`'s text: what a module is, what it imports and exports, and which
//! capabilities it could ask for.

use crate::engine::{self, ModuleInfo, ModuleKind, format_bytes};

/// The text form of `inspect`.
pub fn describe(name: &str, info: &ModuleInfo) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let kind = match info.kind {
        ModuleKind::CoreModule => "core module",
        ModuleKind::Component => "component",
        ModuleKind::Invalid => "invalid",
        ModuleKind::Precompiled => "precompiled native code (machine code, not WebAssembly)",
    };
    let _ = writeln!(out, "{name}: {kind}, {}", format_bytes(info.size_bytes));
    if let Some(native) = &info.native_code {
        let _ = writeln!(out, "note: {native}");
    }
    if let Some(error) = &info.error {
        let _ = writeln!(out, "error: {error}");
        return out;
    }
    if info.kind == ModuleKind::Precompiled && info.imports.is_empty() && info.exports.is_empty() {
        // Not loaded (nothing vouches for it): its warnings say so, and nothing else is known.
        for warning in &info.warnings {
            let _ = writeln!(out, "warning: {warning}");
        }
        return out;
    }
    if info.kind == ModuleKind::Component {
        for nested in &info.nested {
            let _ = writeln!(
                out,
                "  nested {}: {}",
                nested.kind,
                format_bytes(nested.size_bytes)
            );
        }
        let style = match info.style {
            engine::ModuleStyle::Command => "command (runs `wasi:cli/run`)",
            engine::ModuleStyle::Reactor => "library of functions (call one with --invoke)",
            engine::ModuleStyle::Library => "exports no functions",
        };
        let _ = writeln!(out, "style: {style}");
        if let Some(wit) = &info.wit {
            let _ = writeln!(out, "\n{}", wit.trim_end());
        }
        let _ = writeln!(out, "\nexports ({}):", info.exports.len());
        for export in &info.exports {
            let _ = writeln!(out, "  {}  {}", export.name, export.ty);
        }
        describe_access(&mut out, info);
        return out;
    }
    let style = match info.style {
        engine::ModuleStyle::Command => "command (runs `_start`)",
        engine::ModuleStyle::Reactor => "reactor (call its exports with --invoke)",
        engine::ModuleStyle::Library => "library (exports no functions)",
    };
    let _ = writeln!(out, "style: {style}");
    if let Some(start) = info.start_function {
        let _ = writeln!(out, "start section: func[{start}] runs at instantiation");
    }
    let _ = writeln!(out, "\nimports ({}):", info.imports.len());
    for import in &info.imports {
        let _ = writeln!(
            out,
            "  {}::{}  {}  {}",
            import.module, import.name, import.kind, import.ty
        );
    }
    let _ = writeln!(out, "\nexports ({}):", info.exports.len());
    for export in &info.exports {
        let _ = writeln!(out, "  {}  {}  {}", export.name, export.kind, export.ty);
    }
    let _ = writeln!(out, "\nmemories ({}):", info.memories.len());
    for memory in &info.memories {
        let max = memory
            .maximum_pages
            .map(|m| format!("{m} pages"))
            .unwrap_or_else(|| "no maximum".to_owned());
        let _ = writeln!(
            out,
            "  {} initial ({} pages), {max}{}{}{}",
            format_bytes(memory.initial_bytes()),
            memory.initial_pages,
            if memory.imported { ", imported" } else { "" },
            if memory.shared { ", shared" } else { "" },
            if memory.memory64 { ", 64-bit" } else { "" },
        );
    }
    let _ = writeln!(out, "tables ({}):", info.tables.len());
    for table in &info.tables {
        let max = table
            .maximum
            .map(|m| m.to_string())
            .unwrap_or_else(|| "no maximum".to_owned());
        let _ = writeln!(
            out,
            "  {} {} initial, {max}",
            table.element_type, table.initial
        );
    }
    let _ = writeln!(
        out,
        "functions defined: {}, globals: {}",
        info.defined_functions, info.globals
    );
    if !info.custom_sections.is_empty() {
        let _ = writeln!(out, "\ncustom sections:");
        for section in &info.custom_sections {
            let _ = writeln!(
                out,
                "  {}  {}",
                section.name,
                format_bytes(section.size_bytes)
            );
        }
    }
    for field in &info.producers {
        let values: Vec<_> = field
            .values
            .iter()
            .map(|(n, v)| format!("{n} {v}"))
            .collect();
        let _ = writeln!(out, "producers {}: {}", field.field, values.join(", "));
    }
    let _ = writeln!(
        out,
        "names: {}, DWARF: {}",
        if info.has_name_section { "yes" } else { "no" },
        match (info.has_dwarf, info.dwarf_coverage) {
            (false, _) => "no",
            (true, Some(coverage)) if !coverage.covers_code() => {
                "present, but it does not cover the code (probably optimized after it was \
                 written: no file:line in backtraces)"
            }
            (true, _) => "yes",
        }
    );
    describe_access(&mut out, info);
    out
}

/// The WASI summary, the warnings and the unresolved imports, for modules and components.
fn describe_access(out: &mut String, info: &ModuleInfo) {
    use std::fmt::Write as _;
    if info.wasi.interfaces.is_empty() {
        let _ = writeln!(
            out,
            "\nWASI: none (the module cannot reach anything outside itself)"
        );
    } else {
        let _ = writeln!(out, "\nWASI: {}", info.wasi.interfaces.join(", "));
        let _ = writeln!(out, "this module can ask for:");
        for group in &info.wasi.capabilities {
            let _ = writeln!(
                out,
                "  {:<8} {}  ({})",
                group.capability.label(),
                group.capability.explain(),
                group.functions.join(", ")
            );
        }
    }
    for warning in &info.warnings {
        let _ = writeln!(out, "\nwarning: {warning}");
    }
    if info.unresolved.is_empty() {
        let _ = writeln!(out, "\nall imports can be satisfied by the sandbox");
    } else {
        let _ = writeln!(
            out,
            "\nunresolved imports ({}): the module cannot run",
            info.unresolved.len()
        );
        for import in &info.unresolved {
            let _ = writeln!(out, "  - {import}");
        }
    }
}
