//! Components and WASI preview 2: what a component imports and exports (as WIT), which of
//! its imports the sandbox provides, and running it under the same sandbox as a core module
//! (`wasi:cli/command` through `run`, or one exported function with WAVE arguments).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use crossbeam_channel::Sender;
use wasmtime::Store;
use wasmtime::component::{Component, Func, Instance, Linker, Val};
use wasmtime_wasi::p2::bindings::Command;
use wasmtime_wasi::{I32Exit, WasiCtxView, WasiView};
use wit_parser::{Function, Resolve, WorldItem};

use crate::engine::events::RunEvent;
use crate::engine::inspect::{
    CapabilityUse, ExportInfo, ExternKind, FuncSig, ImportInfo, ModuleInfo, ModuleStyle, WasiInfo,
};
use crate::engine::outcome::{RunOutcome, RunReport};
use crate::engine::policy::Entry;
use crate::engine::run::{self, CallError, RunControl, RunRequest, Sandbox, error_text, failed};
use crate::engine::sandbox::{self, EngineKey, Host};
use crate::engine::wasi::{Capability, UnresolvedImport};

/// The same WASI context serves preview 1 and preview 2, with one resource table.
impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.ctx()
    }
}

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

/// The exported functions a user could `--invoke`, for messages.
fn exported_functions(info: &ModuleInfo) -> String {
    let names: Vec<_> = info.exports.iter().map(|e| e.name.as_str()).collect();
    if names.is_empty() {
        "it exports no functions".to_owned()
    } else {
        format!("exported functions: {}", names.join(", "))
    }
}

/// Checks that the component can run under this entry, before anything is compiled.
fn preflight(info: &ModuleInfo, entry: &Entry) -> Option<RunOutcome> {
    if !info.unresolved.is_empty() {
        let n = info.unresolved.len();
        return Some(RunOutcome::Failed {
            error: format!(
                "{n} import{} cannot be satisfied by the sandbox (it provides the WASI 0.2 \
                 interfaces of wasmtime-wasi: wasi:cli, wasi:clocks, wasi:filesystem, wasi:io, \
                 wasi:random, wasi:sockets)",
                if n == 1 { "" } else { "s" }
            ),
            unresolved: info.unresolved.clone(),
        });
    }
    match entry {
        Entry::Default if info.style != ModuleStyle::Command => Some(failed(format!(
            "this component exports no `wasi:cli/run`, so it is not a command: choose a \
             function to call with `--invoke NAME` ({})",
            exported_functions(info)
        ))),
        Entry::Default => None,
        Entry::Invoke { name, .. } if !info.exports.iter().any(|e| &e.name == name) => {
            Some(failed(format!(
                "the component exports no function named `{name}` ({})",
                exported_functions(info)
            )))
        }
        Entry::Invoke { .. } => None,
    }
}

/// The WASI preview 2 linker for an engine, made once per engine.
fn linker_for(key: EngineKey, engine: &wasmtime::Engine) -> wasmtime::Result<Arc<Linker<Host>>> {
    type Linkers = Mutex<HashMap<EngineKey, Arc<Linker<Host>>>>;
    static LINKERS: OnceLock<Linkers> = OnceLock::new();
    let mut linkers = LINKERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(linker) = linkers.get(&key) {
        return Ok(Arc::clone(linker));
    }
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    let linker = Arc::new(linker);
    linkers.insert(key, Arc::clone(&linker));
    Ok(linker)
}

/// Runs a component: compile, then the same sandbox, deadline, outputs and outcome rules
/// as a core module. `info` is what `inspect` found in `request.wasm`.
pub(crate) fn run_component(
    request: &RunRequest,
    info: &ModuleInfo,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    report: &mut RunReport,
) -> Result<RunOutcome, String> {
    let policy = &request.policy;
    if let Some(outcome) = preflight(info, &request.invocation.entry) {
        return Ok(outcome);
    }
    let key = EngineKey::for_policy(policy);
    let shared =
        sandbox::shared_engine(key).map_err(|e| format!("cannot configure the engine: {e:#}"))?;
    let compile_started = Instant::now();
    let component = match Component::new(&shared.engine, &request.wasm[..]) {
        Ok(component) => component,
        Err(e) => return Ok(failed(format!("invalid component: {}", error_text(&e)))),
    };
    run::report_compiled(report, events, compile_started.elapsed(), false);
    let linker = linker_for(key, &shared.engine)
        .map_err(|e| format!("cannot set up WASI preview 2: {e:#}"))?;

    let mut sandbox = Sandbox::new(request, &shared, control, events)?;
    let entry = request.invocation.entry.clone();
    let store = &mut sandbox.store;
    let result = run::drive(&sandbox.runtime, sandbox.deadline, control, async {
        match &entry {
            Entry::Default => {
                let command = Command::instantiate_async(&mut *store, &component, &linker)
                    .await
                    .map_err(CallError::Instantiate)?;
                match command
                    .wasi_cli_run()
                    .call_run(&mut *store)
                    .await
                    .map_err(CallError::Call)?
                {
                    Ok(()) => Ok(Vec::new()),
                    // `run` returning `err` is a failed program: exit code 1, as in wasmtime.
                    Err(()) => Err(CallError::Call(wasmtime::Error::new(I32Exit(1)))),
                }
            }
            Entry::Invoke { name, args } => {
                let instance = linker
                    .instantiate_async(&mut *store, &component)
                    .await
                    .map_err(CallError::Instantiate)?;
                invoke(store, &instance, name, args).await
            }
        }
    });
    let mut store = sandbox.finish(policy, report);
    run::save_coredump(&result, &mut store, &request.name, report);
    Ok(run::outcome_of(result, control, policy, report))
}

/// Finds an exported function: `name` at the top, or `interface#name` inside an instance.
fn lookup_func(store: &mut Store<Host>, instance: &Instance, name: &str) -> Option<Func> {
    match name.rsplit_once('#') {
        Some((interface, function)) => {
            let outer = instance.get_export_index(&mut *store, None, interface)?;
            let inner = instance.get_export_index(&mut *store, Some(&outer), function)?;
            instance.get_func(&mut *store, inner)
        }
        None => instance.get_func(&mut *store, name),
    }
}

/// Calls one exported function with arguments in WAVE syntax; results come back as WAVE.
async fn invoke(
    store: &mut Store<Host>,
    instance: &Instance,
    name: &str,
    args: &[String],
) -> Result<Vec<String>, CallError> {
    let func = lookup_func(store, instance, name)
        .ok_or_else(|| CallError::Usage(format!("no exported function `{name}`")))?;
    let ty = func.ty(&*store);
    let params: Vec<_> = ty.params().map(|(n, t)| (n.to_owned(), t)).collect();
    if params.len() != args.len() {
        let names: Vec<_> = params.iter().map(|(n, _)| n.clone()).collect();
        return Err(crate::engine::run::arity_error(name, &names, args.len()));
    }
    let values = params
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, ((param, ty), text))| {
            Val::from_wave(ty, text).map_err(|e| {
                format!(
                    "argument {} (`{param}`): `{text}` is not a WAVE value of this type: {e:#}",
                    i + 1
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(CallError::Usage)?;
    let mut results = vec![Val::Bool(false); ty.results().len()];
    func.call_async(&mut *store, &values, &mut results)
        .await
        .map_err(CallError::Call)?;
    Ok(results
        .iter()
        .map(|value| {
            value
                .to_wave()
                .unwrap_or_else(|e| format!("<{value:?}: {e}>"))
        })
        .collect())
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
