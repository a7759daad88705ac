//! The one WASI shim: every WASI preview 1 function a core module imports goes through here,
//! and the run's observers take part in each call in a fixed order:
//!
//! 1. the call log ([`crate::engine::sandbox::shim::calllog::CallLog::entering`]) decodes the arguments as the call goes in;
//! 2. the watch's [`HostCall`] guard tells the profiler the guest is in the host, and sees a
//!    stop abandon the call;
//! 3. in a replay, the recording answers the call (`Replayer::answer`) and nothing of the
//!    host is touched (the guest's writes to stdout and stderr still reach the output);
//!    otherwise the disk quota ([`quota::guarded_call`]) refuses or counts a call that can
//!    grow a read-write folder, and any other call goes straight to the real function;
//! 4. the recorder ([`crate::engine::record::Recorder::record`]) keeps what the guest was
//!    handed: results and the bytes written into its memory;
//! 5. the call log ([`crate::engine::sandbox::shim::calllog::CallLog::returned`]) records what came back.
//!
//! The real functions are wasmtime-wasi's. A WASI function finds `memory` through its
//! caller's instance, so a host function cannot call it directly: each run instantiates a
//! small wasm module that imports the guest's memory and the real functions the module
//! imports (plus the quota's measuring calls) and exports both, and the shim calls the real
//! functions through it. That module is compiled through the code cache, so modules with the
//! same imports share it; the wrapping linker is made once per engine.
//!
//! The observers' state (`CallLog`, `DiskQuota`) lives in the store's [`Host`] and knows
//! nothing of it: the log works on memory slices, the quota through [`QuotaGuest`], which
//! this module implements.

pub mod calllog;
pub mod quota;

use std::sync::{Arc, Mutex, OnceLock};

use wasmtime::{Caller, Extern, Func, Linker, Memory, Module, Store, Val};

use crate::engine::record::{CallEnd, Divergence};
use crate::engine::sandbox::clock::Clock;
use crate::engine::sandbox::watch::HostCall;
use crate::engine::sandbox::{EngineKey, Host, SharedEngine};
use crate::engine::wasi::{ShimInstance, is_wasi_module};
use quota::{DiskQuota, QuotaGuest};

/// One wrapped WASI function.
struct Wrapped {
    module: &'static str,
    name: &'static str,
    /// The disk quota's part in it, if it can grow a folder.
    quota: Option<quota::Op>,
}

/// What every wrapper of one engine shares: where the real functions come from.
struct Shim {
    base: Arc<Linker<Host>>,
}

/// Fuel lent to the sandbox's own wasm during a WASI call, and taken back after it.
const SANDBOX_FUEL: u64 = 1 << 20;

/// The quota's measuring calls, always in a run's shim.
const PROBES: [&str; 4] = [
    "fd_filestat_get",
    "fd_fdstat_get",
    "fd_tell",
    "path_filestat_get",
];
const PREVIEW1: &str = "wasi_snapshot_preview1";

/// The linker a core module's run uses: the shared one when the shim cannot follow
/// `module` (it imports no WASI function, or has no plain 32-bit memory exported as
/// `memory`, without which WASI cannot work either), else the shim's linker of this engine,
/// made once per engine (`store` only serves to read the real functions' types). Puts this
/// run's shim module in the store's data.
pub(crate) fn linker_for(
    shared: &SharedEngine,
    key: EngineKey,
    store: &mut Store<Host>,
    module: &Module,
) -> wasmtime::Result<Arc<Linker<Host>>> {
    let plain_memory = module.exports().any(|e| {
        e.name() == "memory"
            && matches!(e.ty(), wasmtime::ExternType::Memory(m) if !m.is_64() && !m.is_shared())
    });
    let imports_wasi = module.imports().any(|i| is_wasi_module(i.module()));
    if !plain_memory || !imports_wasi {
        return Ok(Arc::clone(&shared.linker));
    }
    store.data_mut().shim = Some(plan(shared, key, store, module)?);
    let mut made = shared.later.shim.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(linker) = made.as_ref() {
        return Ok(Arc::clone(linker));
    }
    let linker = Arc::new(make_linker(shared, store)?);
    *made = Some(Arc::clone(&linker));
    Ok(linker)
}

/// The shim module's text: imports the guest memory and the real functions, re-exports the
/// memory and each real function as `f0`, `f1`, ... (by index: a module may import one name
/// from two WASI versions, and export names must be unique).
fn shim_wat(types: &[wasmtime::FuncType]) -> String {
    let mut imports = format!(
        "(module ${}\n  (import \"guest\" \"memory\" (memory 0))\n",
        crate::engine::wasi::SHIM_MODULE_NAME
    );
    let mut exports = String::from("  (export \"memory\" (memory 0))\n");
    for (i, ty) in types.iter().enumerate() {
        let params: Vec<String> = ty.params().map(|p| p.to_string()).collect();
        let results: Vec<String> = ty.results().map(|r| r.to_string()).collect();
        let sig = format!(
            "(param {}) (result {})",
            params.join(" "),
            results.join(" ")
        );
        imports.push_str(&format!("  (import \"real\" \"{i}\" (func $r{i} {sig}))\n"));
        let gets: String = (0..params.len())
            .map(|p| format!("local.get {p} "))
            .collect();
        exports.push_str(&format!(
            "  (func (export \"f{i}\") {sig} {gets}call $r{i})\n"
        ));
    }
    imports.push_str(&exports);
    imports.push(')');
    imports
}

/// A `'static` copy of a WASI name, made once per distinct name (the wrappers' closures need
/// `'static`; there are about a hundred such names).
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(existing) = names.iter().find(|n| **n == name) {
        return existing;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

/// This run's shim module: the real functions `module` imports, and the quota's probes.
fn plan(
    shared: &SharedEngine,
    key: EngineKey,
    store: &mut Store<Host>,
    module: &Module,
) -> wasmtime::Result<ShimInstance> {
    let mut names: Vec<(&'static str, &'static str)> = PROBES.map(|p| (PREVIEW1, p)).to_vec();
    for import in module.imports() {
        if is_wasi_module(import.module())
            && !names
                .iter()
                .any(|(m, n)| *m == import.module() && *n == import.name())
            && shared
                .linker
                .get(&mut *store, import.module(), import.name())
                .is_ok()
        {
            names.push((intern(import.module()), intern(import.name())));
        }
    }
    let mut types = Vec::with_capacity(names.len());
    for (module, name) in &names {
        match shared.linker.get(&mut *store, module, name)? {
            Extern::Func(func) => types.push(func.ty(&*store)),
            _ => {
                return Err(wasmtime::format_err!(
                    "`{module}::{name}` is not a function"
                ));
            }
        }
    }
    let shim_wasm = wat::parse_str(shim_wat(&types))?;
    let compiled = crate::engine::sandbox::compile(shared, key, &shim_wasm)?;
    Ok(ShimInstance {
        module: compiled.module,
        names,
        ready: None,
    })
}

fn make_linker(shared: &SharedEngine, store: &mut Store<Host>) -> wasmtime::Result<Linker<Host>> {
    let mut wrapped = Vec::new();
    for (module, name, item) in shared.linker.iter(&mut *store) {
        if let (true, Extern::Func(func)) = (is_wasi_module(module), item) {
            wrapped.push((intern(module), intern(name), func));
        }
    }
    let shim = Arc::new(Shim {
        base: Arc::clone(&shared.linker),
    });
    let mut linker = (*shared.linker).clone();
    linker.allow_shadowing(true);
    for (module, name, func) in wrapped {
        let ty = func.ty(&*store);
        let shim = Arc::clone(&shim);
        let wrapped = Arc::new(Wrapped {
            module,
            name,
            quota: quota::op_of(name),
        });
        linker.func_new_async(module, name, ty, move |caller, params, results| {
            let shim = Arc::clone(&shim);
            let wrapped = Arc::clone(&wrapped);
            Box::new(async move { call(caller, &shim, &wrapped, params, results).await })
        })?;
    }
    Ok(linker)
}

/// The run's shim instance, instantiating it on first use; returns the guest's memory.
async fn instance(caller: &mut Caller<'_, Host>, shim: &Shim) -> wasmtime::Result<Memory> {
    let missing = || wasmtime::format_err!("the WASI shim was not set up for this run");
    let plan = caller.data().shim.as_ref().ok_or_else(missing)?;
    if let Some((_, memory)) = &plan.ready {
        return Ok(*memory);
    }
    let (module, names) = (plan.module.clone(), plan.names.clone());
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return Err(wasmtime::format_err!("missing required memory export"));
    };
    let mut imports = vec![Extern::Memory(memory)];
    for (module, name) in &names {
        imports.push(shim.base.get(&mut *caller, module, name)?);
    }
    let instance = wasmtime::Instance::new_async(&mut *caller, &module, &imports)
        .await
        .map_err(|e| {
            e.context(
                "the sandbox cannot follow this guest's WASI calls (its memory must be a plain \
                 32-bit memory exported as `memory`)",
            )
        })?;
    let real = (0..names.len())
        .map(|i| instance.get_func(&mut *caller, &format!("f{i}")))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| wasmtime::format_err!("the WASI shim lost a function"))?;
    if let Some(plan) = caller.data_mut().shim.as_mut() {
        plan.ready = Some((real, memory));
    }
    Ok(memory)
}

/// One WASI call of the guest, through the observers (see the module's docs for the order).
async fn call(
    mut caller: Caller<'_, Host>,
    shim: &Shim,
    wrapped: &Wrapped,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    // A clocked replay: a yield in here is not the clock's, and the count is settled here,
    // so this call's moment is exact.
    let clock = caller.data().clock.clone();
    let _busy = clock.as_deref().map(Clock::busy);
    if clock.is_some()
        && let Some(moment) = crate::engine::sandbox::clock::moment(&caller)
        && let Some(moments) = caller
            .data()
            .calls
            .as_ref()
            .and_then(|l| l.moments.as_ref())
    {
        moments.store(moment, std::sync::atomic::Ordering::Relaxed);
    }
    let memory = instance(&mut caller, shim).await?;
    let entering = {
        let (data, host) = memory.data_and_store_mut(&mut caller);
        if let Some(recorder) = host.recorder.as_mut() {
            recorder.entering(data, wrapped.name, params);
        }
        host.calls
            .as_ref()
            .map(|log| log.entering(data, wrapped.name, params))
    };
    let refused_before = caller.data().quota.as_ref().map_or(0, DiskQuota::refused);
    let quota_op = wrapped.quota.filter(|_| {
        caller
            .data()
            .quota
            .as_ref()
            .is_some_and(DiskQuota::guards_writes)
    });
    // The guard sees the call come back, or wasmtime abandon it at a stop (see `watch`).
    let guard = HostCall::start(&mut caller, wrapped.name);
    let mut through = Through {
        caller: &mut *guard.caller,
        module: wrapped.module,
        name: wrapped.name,
        memory,
    };
    let replaying = through.caller.data().replay.is_some();
    // The sandbox's own work in a WASI call (the shim's wasm, the quota's measuring calls)
    // costs the guest no fuel: fuel counts the guest's instructions, and a recorded run and
    // its replay (which skips that work) must burn the same. A clocked replay runs none of it,
    // and setting its fuel would restart the clock's tick.
    let clocked = through.caller.data().clock.is_some();
    let fuel = through.caller.get_fuel().ok().filter(|_| !clocked);
    if let Some(fuel) = fuel {
        let _ = through.caller.set_fuel(fuel.saturating_add(SANDBOX_FUEL));
    }
    let outcome = match quota_op {
        _ if replaying => replay(&mut through, wrapped.name, params, results).await,
        Some(op) => quota::guarded_call(&mut through, wrapped.name, op, params, results).await,
        None => through.call_through(params, results).await,
    };
    guard.returned();
    if let Some(fuel) = fuel {
        let _ = caller.set_fuel(fuel);
    }
    {
        let (data, host) = memory.data_and_store_mut(&mut caller);
        if let Some(recorder) = host.recorder.as_mut() {
            recorder.record(data, wrapped.name, params, results, call_end(&outcome));
        }
    }
    let refused_by_quota =
        caller.data().quota.as_ref().map_or(0, DiskQuota::refused) > refused_before;
    if let Some(entering) = entering {
        let (data, host) = memory.data_and_store_mut(&mut caller);
        if let Some(log) = host.calls.as_mut() {
            log.returned(
                data,
                wrapped.name,
                params,
                entering,
                &outcome,
                results,
                refused_by_quota,
            );
        }
    }
    outcome
}

/// Answers the call `name(params)` from the recording the run replays: the bytes the host
/// wrote into guest memory, the results, and how the call ended. A call the recording does
/// not hold ends the run with a [`Divergence`].
async fn replay(
    through: &mut Through<'_, '_>,
    name: &'static str,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let Some(replay) = through.caller.data_mut().replay.as_mut() else {
        return through.call_through(params, results).await;
    };
    let at_call = replay.replayed() + 1;
    let call = replay
        .answer(name, params)
        .cloned()
        .map_err(wasmtime::Error::new)?;
    // A `--last-write` search sees the call's writes before anything of it lands.
    crate::engine::sandbox::last_write::wasi_writes(
        through.caller,
        through.memory,
        name,
        at_call,
        &call.writes,
    )?;
    // The guest's own output is the replay's output: its writes to stdout and stderr go
    // through to the run's output streams (the recording checks what they answered).
    if name == "fd_write" && matches!(params.first().and_then(Val::i32), Some(1 | 2)) {
        let mut ignored = results.to_vec();
        through.call_through(params, &mut ignored).await?;
    }
    let memory = through.memory();
    for (addr, bytes) in &call.writes {
        let start = *addr as usize;
        let Some(target) = start
            .checked_add(bytes.len())
            .and_then(|end| memory.get_mut(start..end))
        else {
            return Err(wasmtime::Error::new(Divergence {
                at_call,
                detail: format!(
                    "the recording writes {} bytes at {addr:#x}, outside the guest's memory",
                    bytes.len()
                ),
            }));
        };
        target.copy_from_slice(bytes);
    }
    for (slot, value) in results.iter_mut().zip(&call.results) {
        *slot = match slot {
            Val::I64(_) => Val::I64(*value),
            _ => Val::I32(*value as i32),
        };
    }
    match call.end {
        CallEnd::Returned => Ok(()),
        CallEnd::Exit(code) => Err(wasmtime_wasi::I32Exit(code).into()),
        CallEnd::Trap(text) => Err(wasmtime::format_err!("{text}")),
    }
}

/// A call in progress, as the quota sees it.
struct Through<'a, 'c> {
    caller: &'a mut Caller<'c, Host>,
    module: &'static str,
    name: &'static str,
    memory: Memory,
}

impl Through<'_, '_> {
    /// The real function `module::name` of this run's shim.
    fn real(&self, module: &str, name: &str) -> wasmtime::Result<Func> {
        self.caller
            .data()
            .shim
            .as_ref()
            .and_then(|shim| shim.real(module, name))
            .ok_or_else(|| wasmtime::format_err!("the WASI shim lost track of `{name}`"))
    }
}

impl QuotaGuest for Through<'_, '_> {
    fn memory(&mut self) -> &mut [u8] {
        self.memory.data_mut(&mut *self.caller)
    }

    fn quota(&mut self) -> Option<&mut DiskQuota> {
        self.caller.data_mut().quota.as_mut()
    }

    async fn call_wasi(
        &mut self,
        name: &'static str,
        params: &[Val],
        results: &mut [Val],
    ) -> wasmtime::Result<()> {
        let func = self.real(PREVIEW1, name)?;
        func.call_async(&mut *self.caller, params, results).await
    }

    async fn call_through(&mut self, params: &[Val], results: &mut [Val]) -> wasmtime::Result<()> {
        let func = self.real(self.module, self.name)?;
        func.call_async(&mut *self.caller, params, results).await
    }
}

/// How a call ended, for the recording: an error keeps the words a user reads (not the
/// backtrace and coredump wasmtime attached on the way out of the shim module: a replay gets
/// its own on the way out).
fn call_end(outcome: &wasmtime::Result<()>) -> CallEnd {
    match outcome {
        Ok(()) => CallEnd::Returned,
        Err(e) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => CallEnd::Exit(exit.0),
            None => CallEnd::Trap(crate::engine::errors::error_text(e)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shim_text_reexports_memory_and_every_function_by_index() {
        let ty = wasmtime::FuncType::new(
            &wasmtime::Engine::default(),
            [wasmtime::ValType::I32, wasmtime::ValType::I32],
            [wasmtime::ValType::I32],
        );
        let wat = shim_wat(&[ty.clone(), ty]);
        let wasm = wat::parse_str(&wat).expect("the shim's text is valid wasm");
        let module = Module::new(&wasmtime::Engine::default(), wasm).expect("compiles");
        let exports: Vec<&str> = module.exports().map(|e| e.name()).collect();
        assert_eq!(exports, ["memory", "f0", "f1"]);
    }
}
