//! A component's imports and exports, read from its WIT world: which WASI 0.2 interfaces
//! it asks for, grouped by capability, and which of them the sandbox cannot provide.

use wit_parser::{Function, Resolve, WorldItem};

use crate::engine::info::{
    CapabilityUse, ExportInfo, ExternKind, FuncSig, ImportInfo, ModuleInfo, ModuleStyle,
    UnresolvedImport, WasiInfo,
};
use crate::engine::wasi::Capability;

/// The WASI 0.2 interfaces wasmtime-wasi links, by package (see its `src/p2/wit/deps`).
/// `wasi:clocks/timezone` is unstable there and not linked.
const PROVIDED: &[(&str, &[&str])] = &[
    (
        "cli",
        &[
            "environment",
            "exit",
            "stdin",
            "stdout",
            "stderr",
            "terminal-input",
            "terminal-output",
            "terminal-stdin",
            "terminal-stdout",
            "terminal-stderr",
        ],
    ),
    ("clocks", &["monotonic-clock", "wall-clock"]),
    ("filesystem", &["types", "preopens"]),
    ("io", &["error", "poll", "streams"]),
    ("random", &["random", "insecure", "insecure-seed"]),
    (
        "sockets",
        &[
            "network",
            "instance-network",
            "ip-name-lookup",
            "tcp",
            "tcp-create-socket",
            "udp",
            "udp-create-socket",
        ],
    ),
];

/// An interface name split up: `wasi:cli/stdout@0.2.3`.
struct InterfaceName<'a> {
    namespace: &'a str,
    package: &'a str,
    interface: &'a str,
    version: Option<&'a str>,
}

impl<'a> InterfaceName<'a> {
    fn parse(name: &'a str) -> Option<Self> {
        let (namespace, rest) = name.split_once(':')?;
        let (package, rest) = rest.split_once('/')?;
        let (interface, version) = match rest.split_once('@') {
            Some((interface, version)) => (interface, Some(version)),
            None => (rest, None),
        };
        Some(Self {
            namespace,
            package,
            interface,
            version,
        })
    }
}

/// Why the sandbox cannot provide the imported interface `name`, or `None` if it can.
fn unprovided_reason(name: &str) -> Option<String> {
    let Some(parsed) = InterfaceName::parse(name).filter(|n| n.namespace == "wasi") else {
        return Some(format!(
            "not provided: the sandbox offers only WASI 0.2 interfaces (wasi:cli, wasi:io, \
             wasi:filesystem, ...), not `{name}`"
        ));
    };
    if parsed.package == "http" {
        return Some(
            "not provided: the sandbox runs wasi:cli components and has no wasi:http".to_owned(),
        );
    }
    let Some((_, interfaces)) = PROVIDED.iter().find(|(p, _)| *p == parsed.package) else {
        return Some(format!(
            "not provided: the sandbox has no wasi:{} interfaces",
            parsed.package
        ));
    };
    if !interfaces.contains(&parsed.interface) {
        return Some(format!(
            "not provided: wasi:{} has no stable interface `{}` in this sandbox",
            parsed.package, parsed.interface
        ));
    }
    match parsed.version {
        Some(version) if !version.starts_with("0.2.") => Some(format!(
            "the sandbox provides WASI 0.2, and this asks for version {version}"
        )),
        _ => None,
    }
}

/// The capability a WASI 0.2 function belongs to.
fn capability_of(package: &str, interface: &str, function: &str) -> Capability {
    match (package, interface) {
        ("cli", "environment") if function == "get-arguments" => Capability::Args,
        ("cli", "environment") => Capability::Env,
        ("cli", "exit") => Capability::Process,
        ("io", "poll") => Capability::Poll,
        ("clocks", _) if function.starts_with("subscribe") => Capability::Poll,
        ("clocks", _) => Capability::Clocks,
        ("random", _) => Capability::Random,
        ("filesystem", _) => Capability::Filesystem,
        ("sockets" | "http", _) => Capability::Sockets,
        _ => Capability::Stdio,
    }
}

/// A function's name as people read it: `[method]output-stream.write` -> `output-stream.write`.
fn plain_function_name(name: &str) -> &str {
    ["[method]", "[static]", "[constructor]", "[resource-drop]"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))
        .unwrap_or(name)
}

/// A WIT type as text, e.g. `list<u8>` or `own<output-stream>`.
fn type_text(resolve: &Resolve, ty: &wit_parser::Type) -> String {
    let mut printer = wit_component::WitPrinter::default();
    match printer.print_type_name(resolve, ty) {
        Ok(()) => printer.output.to_string(),
        Err(_) => "?".to_owned(),
    }
}

/// A function's signature: parameter and result types as WIT.
fn func_sig(resolve: &Resolve, func: &Function) -> FuncSig {
    FuncSig {
        params: func
            .params
            .iter()
            .map(|p| type_text(resolve, &p.ty))
            .collect(),
        results: func
            .result
            .iter()
            .map(|ty| type_text(resolve, ty))
            .collect(),
    }
}

/// A function's type as WIT: `func(a: u32, b: u32) -> u32`.
fn func_text(resolve: &Resolve, func: &Function) -> String {
    let params: Vec<String> = func
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name, type_text(resolve, &p.ty)))
        .collect();
    match &func.result {
        Some(ty) => format!("func({}) -> {}", params.join(", "), type_text(resolve, ty)),
        None => format!("func({})", params.join(", ")),
    }
}

/// Fills in what a component imports and exports, as WIT and as lists, its WASI capability
/// summary, and the imports the sandbox cannot provide. Called by `inspect` for components.
pub fn describe(bytes: &[u8], info: &mut ModuleInfo) {
    let (resolve, world_id) = match wit_component::decode(bytes) {
        Ok(wit_component::DecodedWasm::Component(resolve, world)) => (resolve, world),
        Ok(wit_component::DecodedWasm::WitPackage(..)) => {
            info.warnings.push(
                "this is a WIT package (interface types only), not a component that can run"
                    .to_owned(),
            );
            return;
        }
        Err(e) => {
            info.warnings.push(format!(
                "cannot read the component's imports and exports: {e:#}"
            ));
            return;
        }
    };
    let world = &resolve.worlds[world_id];
    if let Some(package) = world.package {
        let mut printer = wit_component::WitPrinter::default();
        printer.emit_docs(false);
        if printer.print(&resolve, package, &[]).is_ok() {
            info.wit = Some(printer.output.to_string());
        }
    }

    let mut imports = Vec::new();
    let mut unresolved = Vec::new();
    let mut interfaces = Vec::new();
    let mut groups: Vec<CapabilityUse> = Vec::new();
    for (key, item) in &world.imports {
        match item {
            WorldItem::Interface { id, .. } => {
                let name = resolve
                    .id_of(*id)
                    .unwrap_or_else(|| resolve.name_world_key(key));
                let reason = unprovided_reason(&name);
                let functions = &resolve.interfaces[*id].functions;
                let parsed = InterfaceName::parse(&name).filter(|n| n.namespace == "wasi");
                if let Some(parsed) = &parsed {
                    interfaces.push(name.clone());
                    for function in functions.keys() {
                        let capability = capability_of(parsed.package, parsed.interface, function);
                        let label =
                            format!("{}/{}", parsed.interface, plain_function_name(function));
                        match groups.iter_mut().find(|g| g.capability == capability) {
                            Some(group) => group.functions.push(label),
                            None => groups.push(CapabilityUse {
                                capability,
                                functions: vec![label],
                            }),
                        }
                    }
                }
                if let Some(reason) = &reason
                    && functions.is_empty()
                {
                    unresolved.push(UnresolvedImport {
                        module: name.clone(),
                        name: "*".to_owned(),
                        kind: ExternKind::Func,
                        reason: reason.clone(),
                    });
                }
                for (function_name, function) in functions {
                    if let Some(reason) = &reason {
                        unresolved.push(UnresolvedImport {
                            module: name.clone(),
                            name: function_name.clone(),
                            kind: ExternKind::Func,
                            reason: reason.clone(),
                        });
                    }
                    imports.push(ImportInfo {
                        module: name.clone(),
                        name: function_name.clone(),
                        kind: ExternKind::Func,
                        ty: func_text(&resolve, function),
                        sig: Some(func_sig(&resolve, function)),
                    });
                }
            }
            WorldItem::Function(function) => {
                unresolved.push(UnresolvedImport {
                    module: String::new(),
                    name: function.name.clone(),
                    kind: ExternKind::Func,
                    reason: "not provided: the sandbox offers only WASI 0.2 interfaces, not \
                             functions of the component's own"
                        .to_owned(),
                });
                imports.push(ImportInfo {
                    module: String::new(),
                    name: function.name.clone(),
                    kind: ExternKind::Func,
                    ty: func_text(&resolve, function),
                    sig: Some(func_sig(&resolve, function)),
                });
            }
            WorldItem::Type { .. } => {}
        }
    }

    let mut exports = Vec::new();
    let mut is_command = false;
    for (key, item) in &world.exports {
        match item {
            WorldItem::Interface { id, .. } => {
                let name = resolve
                    .id_of(*id)
                    .unwrap_or_else(|| resolve.name_world_key(key));
                is_command |= InterfaceName::parse(&name).is_some_and(|n| {
                    n.namespace == "wasi" && n.package == "cli" && n.interface == "run"
                });
                for (function_name, function) in &resolve.interfaces[*id].functions {
                    exports.push(ExportInfo {
                        // The name `--invoke` takes, as wasmtime looks nested exports up.
                        name: format!("{name}#{function_name}"),
                        kind: ExternKind::Func,
                        index: exports.len() as u32,
                        ty: func_text(&resolve, function),
                        sig: Some(func_sig(&resolve, function)),
                    });
                }
            }
            WorldItem::Function(function) => exports.push(ExportInfo {
                name: function.name.clone(),
                kind: ExternKind::Func,
                index: exports.len() as u32,
                ty: func_text(&resolve, function),
                sig: Some(func_sig(&resolve, function)),
            }),
            WorldItem::Type { .. } => {}
        }
    }

    groups.sort_by_key(|g| g.capability);
    info.style = if is_command {
        ModuleStyle::Command
    } else if exports.is_empty() {
        ModuleStyle::Library
    } else {
        ModuleStyle::Reactor
    };
    info.imports = imports;
    info.exports = exports;
    info.unresolved = unresolved;
    info.wasi = WasiInfo {
        interfaces,
        capabilities: groups,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasi_interfaces_are_provided_by_name_and_version() {
        assert_eq!(unprovided_reason("wasi:cli/stdout@0.2.0"), None);
        assert_eq!(unprovided_reason("wasi:sockets/tcp@0.2.6"), None);
        assert!(
            unprovided_reason("wasi:http/outgoing-handler@0.2.0")
                .is_some_and(|r| r.contains("wasi:http"))
        );
        assert!(unprovided_reason("wasi:cli/stdout@0.3.0").is_some());
        assert!(unprovided_reason("acme:db/query").is_some_and(|r| r.contains("`acme:db/query`")));
    }

    #[test]
    fn capabilities_group_p2_functions() {
        assert_eq!(
            capability_of("cli", "environment", "get-arguments"),
            Capability::Args
        );
        assert_eq!(
            capability_of("filesystem", "types", "[method]descriptor.read"),
            Capability::Filesystem
        );
        assert_eq!(capability_of("io", "streams", "x"), Capability::Stdio);
    }
}
