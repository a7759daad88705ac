//! What runs, decided once when the module is loaded: a core module or a component, each
//! with the linker that satisfies its imports (wasmtime's own CLI has the same `RunTarget`).
//! The run skeleton in [`crate::engine::run`] is shared; only instantiating and calling the
//! entry differ, and they live here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::{self, Component};
use wasmtime::{Module, Store, Val, ValType};
use wasmtime_wasi::I32Exit;
use wasmtime_wasi::p2::bindings::Command;

use crate::engine::errors::{RunError, cause};
use crate::engine::policy::Entry;
use crate::engine::sandbox::shim;
use crate::engine::sandbox::{self, EngineKey, Host, SharedEngine};

/// A compiled module or component with its linker.
pub(crate) enum RunTarget {
    /// A core module, linked against WASI preview 1 (or the call log's wrapping of it).
    Core {
        /// The compiled module.
        module: Module,
        /// What satisfies its imports.
        linker: Arc<wasmtime::Linker<Host>>,
    },
    /// A component, linked against WASI preview 2.
    Component {
        /// The compiled component.
        component: Component,
        /// What satisfies its imports.
        linker: Arc<component::Linker<Host>>,
    },
}

/// A target and how long it took to compile.
pub(crate) struct LoadedTarget {
    /// What runs.
    pub(crate) target: RunTarget,
    /// Compile time; zero when cached.
    pub(crate) compile_time: Duration,
    /// Whether the compiled code came from the in-memory cache.
    pub(crate) cached: bool,
}

/// How a guest call failed (a stop from outside is not a call error).
pub(crate) enum CallError {
    /// Instantiation failed (link, memory cap, a trapping start function).
    Instantiate(wasmtime::Error),
    /// The entry trapped or exited.
    Call(wasmtime::Error),
    /// The invocation itself was wrong (arguments); nothing ran.
    Usage(String),
}

impl RunTarget {
    /// Compiles a core module (or takes it from the cache).
    pub(crate) fn core(
        shared: &SharedEngine,
        key: EngineKey,
        wasm: &[u8],
    ) -> wasmtime::Result<LoadedTarget> {
        let compiled = sandbox::compile(shared, key, wasm)?;
        Ok(LoadedTarget {
            target: RunTarget::Core {
                module: compiled.module,
                linker: Arc::clone(&shared.linker),
            },
            compile_time: compiled.compile_time,
            cached: compiled.cached,
        })
    }

    /// Loads a precompiled core module's image (or takes it from the cache).
    pub(crate) fn precompiled(
        shared: &SharedEngine,
        image: &[u8],
    ) -> wasmtime::Result<LoadedTarget> {
        let compiled = crate::engine::module::precompiled::load(shared, image)?;
        Ok(LoadedTarget {
            target: RunTarget::Core {
                module: compiled.module,
                linker: Arc::clone(&shared.linker),
            },
            compile_time: compiled.compile_time,
            cached: compiled.cached,
        })
    }

    /// Compiles a component. `Ok(Err(..))`: the component is invalid; `Err`: WASI preview 2
    /// could not be set up.
    pub(crate) fn component(
        shared: &SharedEngine,
        wasm: &[u8],
    ) -> Result<wasmtime::Result<LoadedTarget>, RunError> {
        let started = Instant::now();
        let component = match Component::new(&shared.engine, wasm) {
            Ok(component) => component,
            Err(e) => return Ok(Err(e)),
        };
        let compile_time = started.elapsed();
        let linker = preview2_linker(shared).map_err(|e| RunError::Preview2(cause(e)))?;
        Ok(Ok(LoadedTarget {
            target: RunTarget::Component { component, linker },
            compile_time,
            cached: false,
        }))
    }

    /// The module itself, for a core target (its exports, the call log's wrapping).
    pub(crate) fn module(&self) -> Option<&Module> {
        match self {
            RunTarget::Core { module, .. } => Some(module),
            RunTarget::Component { .. } => None,
        }
    }

    /// Puts a core module's WASI functions behind the WASI shim, so the run's observers (the
    /// call log, the disk quota, the watch) take part in every call. A component, or a module
    /// the shim cannot follow, runs on the shared linker; its report then has no disk usage.
    pub(crate) fn with_wasi_shim(
        self,
        shared: &SharedEngine,
        key: EngineKey,
        store: &mut Store<Host>,
    ) -> Result<Self, RunError> {
        let RunTarget::Core { module, linker: _ } = self else {
            return Ok(self);
        };
        if let Some(quota) = store.data_mut().quota.as_mut() {
            quota.watch();
        }
        let linker =
            shim::linker_for(shared, key, store, &module).map_err(|e| RunError::Shim(cause(e)))?;
        Ok(RunTarget::Core { linker, module })
    }

    /// Instantiates the target in `store` and calls `entry`; returns the formatted results.
    /// A core instance is put in `instance` as soon as there is one, for a last look at its
    /// memory after the run.
    pub(crate) async fn call(
        &self,
        store: &mut Store<Host>,
        entry: &Entry,
        instance: &mut Option<wasmtime::Instance>,
    ) -> Result<Vec<String>, CallError> {
        match self {
            RunTarget::Core { module, linker } => {
                let core = linker
                    .instantiate_async(&mut *store, module)
                    .await
                    .map_err(CallError::Instantiate)?;
                if store.data().clock.is_some() {
                    crate::engine::sandbox::clock::start(&mut *store);
                }
                *instance = Some(core);
                call_core_entry(store, &core, entry).await
            }
            RunTarget::Component { component, linker } => match entry {
                Entry::Default => {
                    let command = Command::instantiate_async(&mut *store, component, linker)
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
                        .instantiate_async(&mut *store, component)
                        .await
                        .map_err(CallError::Instantiate)?;
                    invoke_component(store, &instance, name, args).await
                }
            },
        }
    }
}

/// The WASI preview 2 linker for an engine, made once per engine.
fn preview2_linker(shared: &SharedEngine) -> wasmtime::Result<Arc<component::Linker<Host>>> {
    let mut made = shared
        .later
        .preview2
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(linker) = made.as_ref() {
        return Ok(Arc::clone(linker));
    }
    let mut linker = component::Linker::new(&shared.engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    let linker = Arc::new(linker);
    *made = Some(Arc::clone(&linker));
    Ok(linker)
}

async fn call_core_entry(
    store: &mut Store<Host>,
    instance: &wasmtime::Instance,
    entry: &Entry,
) -> Result<Vec<String>, CallError> {
    match entry {
        Entry::Default => {
            // Preflight checked that `_start` exists with type () -> ().
            let start = instance
                .get_func(&mut *store, "_start")
                .ok_or_else(|| CallError::Usage("the module has no `_start`".to_owned()))?;
            start
                .call_async(&mut *store, &[], &mut [])
                .await
                .map_err(CallError::Call)?;
            Ok(Vec::new())
        }
        Entry::Invoke { name, args } => {
            if let Some(init) = instance.get_func(&mut *store, "_initialize") {
                init.call_async(&mut *store, &[], &mut [])
                    .await
                    .map_err(CallError::Call)?;
            }
            let func = instance
                .get_func(&mut *store, name)
                .ok_or_else(|| CallError::Usage(format!("no exported function `{name}`")))?;
            let ty = func.ty(&*store);
            let params: Vec<ValType> = ty.params().collect();
            if params.len() != args.len() {
                let types: Vec<_> = params.iter().map(|p| p.to_string()).collect();
                return Err(arity_error(name, &types, args.len()));
            }
            let values = params
                .iter()
                .zip(args)
                .enumerate()
                .map(|(i, (ty, text))| {
                    parse_value(ty, text).map_err(|e| format!("argument {}: {e}", i + 1))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(CallError::Usage)?;
            let mut results = vec![Val::I32(0); ty.results().len()];
            func.call_async(&mut *store, &values, &mut results)
                .await
                .map_err(CallError::Call)?;
            Ok(results.iter().map(format_value).collect())
        }
    }
}

/// Finds an exported function: `name` at the top, or `interface#name` inside an instance.
fn lookup_component_func(
    store: &mut Store<Host>,
    instance: &component::Instance,
    name: &str,
) -> Option<component::Func> {
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
async fn invoke_component(
    store: &mut Store<Host>,
    instance: &component::Instance,
    name: &str,
    args: &[String],
) -> Result<Vec<String>, CallError> {
    let func = lookup_component_func(store, instance, name)
        .ok_or_else(|| CallError::Usage(format!("no exported function `{name}`")))?;
    let ty = func.ty(&*store);
    let params: Vec<_> = ty.params().map(|(n, t)| (n.to_owned(), t)).collect();
    if params.len() != args.len() {
        let names: Vec<_> = params.iter().map(|(n, _)| n.clone()).collect();
        return Err(arity_error(name, &names, args.len()));
    }
    let values = params
        .iter()
        .zip(args)
        .enumerate()
        .map(|(i, ((param, ty), text))| {
            component::Val::from_wave(ty, text).map_err(|e| {
                format!(
                    "argument {} (`{param}`): `{text}` is not a WAVE value of this type: {e:#}",
                    i + 1
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(CallError::Usage)?;
    let mut results = vec![component::Val::Bool(false); ty.results().len()];
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

/// "`add` takes 2 arguments (i32, i32), but 1 was given".
fn arity_error(name: &str, params: &[String], given: usize) -> CallError {
    CallError::Usage(format!(
        "`{name}` takes {} argument{} ({}), but {given} {} given",
        params.len(),
        if params.len() == 1 { "" } else { "s" },
        params.join(", "),
        if given == 1 { "was" } else { "were" }
    ))
}

/// Why an invoke argument does not fit its parameter.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not an integer.
    #[error("`{0}` is not an integer")]
    NotAnInteger(String),
    /// An integer out of the type's range.
    #[error("`{text}` does not fit in an {ty}")]
    OutOfRange {
        /// What was given.
        text: String,
        /// `i32` or `i64`.
        ty: &'static str,
    },
    /// Not a number.
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// A type the command line cannot spell.
    #[error("parameters of type {0} cannot be given on the command line")]
    Unsupported(String),
}

/// Parses an invoke argument by its parameter type. Integers accept decimal or `0x` hex.
pub fn parse_value(ty: &ValType, text: &str) -> Result<Val, ValueError> {
    let text = text.trim();
    let int = |text: &str| -> Result<i128, ValueError> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let value = match digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            Some(hex) => i128::from_str_radix(hex, 16),
            None => digits.parse::<i128>(),
        }
        .map_err(|_| ValueError::NotAnInteger(text.to_owned()))?;
        Ok(if negative { -value } else { value })
    };
    let out_of_range = |ty| ValueError::OutOfRange {
        text: text.to_owned(),
        ty,
    };
    Ok(match ty {
        // Accept both signed and unsigned spellings, as wasm integers have no sign.
        ValType::I32 => {
            let v = int(text)?;
            if !(i32::MIN as i128..=u32::MAX as i128).contains(&v) {
                return Err(out_of_range("i32"));
            }
            Val::I32(v as i32)
        }
        ValType::I64 => {
            let v = int(text)?;
            if !(i64::MIN as i128..=u64::MAX as i128).contains(&v) {
                return Err(out_of_range("i64"));
            }
            Val::I64(v as i64)
        }
        ValType::F32 => Val::F32(
            text.parse::<f32>()
                .map_err(|_| ValueError::NotANumber(text.to_owned()))?
                .to_bits(),
        ),
        ValType::F64 => Val::F64(
            text.parse::<f64>()
                .map_err(|_| ValueError::NotANumber(text.to_owned()))?
                .to_bits(),
        ),
        other => return Err(ValueError::Unsupported(other.to_string())),
    })
}

/// Formats a result value for people.
pub fn format_value(value: &Val) -> String {
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        Val::V128(v) => format!("{:#034x}", v.as_u128()),
        Val::FuncRef(None) | Val::ExternRef(None) | Val::AnyRef(None) | Val::ExnRef(None) => {
            "null".to_owned()
        }
        Val::FuncRef(Some(_)) => "<funcref>".to_owned(),
        Val::ExternRef(Some(_)) => "<externref>".to_owned(),
        Val::AnyRef(Some(_)) => "<anyref>".to_owned(),
        Val::ExnRef(Some(_)) => "<exnref>".to_owned(),
        Val::ContRef(_) => "<contref>".to_owned(),
    }
}
