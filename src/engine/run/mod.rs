//! One run, the same for a core module and a component: check the policy, load the target
//! (decided once: [`RunTarget`]), build the sandbox, call the entry, classify the outcome.

pub mod kind;
pub mod modes;
pub mod request;
pub mod target;
pub mod tenants;

pub use kind::RunKind;
pub(crate) use kind::failed;
pub use request::RunRequest;

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use wasmtime::{Store, Trap, ValType, WasmBacktrace};
use wasmtime_wasi::I32Exit;

use crate::engine::debugger::Debugger;
use crate::engine::errors::{RunError, cause, chain_text, error_text};
use crate::engine::events::RunEvent;
use crate::engine::module::inspect::{
    self, ExternKind, ModuleInfo, ModuleKind, ModuleStyle, inspect,
};
use crate::engine::outcome::{
    FrameInfo, MEMORY_SNAPSHOT_BYTES, RunOutcome, RunReport, TrapInfo, TrapKind,
};
use crate::engine::policy::{Entry, SandboxPolicy, Travel};
use crate::engine::record::Divergence;
use crate::engine::record::last_write;
use crate::engine::record::recording::ClockRetry;
use crate::engine::run::modes::travel;
use crate::engine::run::target::{CallError, LoadedTarget, RunTarget};
use crate::engine::sandbox::{
    self, EngineKey, GrowthDenied, Host, RunControl, Sandbox, SharedEngine,
};

/// Why a run cannot be both profiled and debugged.
pub const PROFILE_WITH_DEBUG: &str = "profiling and debug mode cannot be on together (debug mode \
    compiles slower code with every check explicit, so its profile would not show where a \
    normal run spends its time): turn one of them off";

/// Why the run was stopped from outside the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    TimedOut,
    Cancelled,
}

/// What a guest call ended with: its formatted results or how it failed, or a stop from
/// outside (timeout, Stop).
pub(crate) type CallResult = Result<Result<Vec<String>, CallError>, Stop>;

/// Runs `request` to its outcome on the calling thread, sending events as it goes and the
/// final report last. The engine's epoch must be ticked by someone else (the runner does).
pub fn run(
    request: &RunRequest,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
) -> RunReport {
    // The kind of run, decided once: every branch below asks it.
    let kind = match RunKind::decide(request) {
        Ok(kind) => kind,
        Err(refusal) => return RunReport::new(request.name.clone(), failed(refusal)),
    };
    match kind.travel() {
        Some(Travel::LastBreakBefore(before)) => {
            return travel::reverse_continue(run, request, control, events, before);
        }
        Some(Travel::BackFrom { anchor, reverse }) => {
            return travel::back_from(run, request, control, events, anchor, reverse);
        }
        _ => {}
    }
    let mut report = run_once(request, &kind, control, events);
    match report.replay.as_ref().and_then(|r| r.clock_retry) {
        Some(ClockRetry::Unclocked) => {
            control.travel_unclocked();
            report = run_once(request, &kind, control, events);
        }
        Some(ClockRetry::PlaceHit { tick, nth }) => {
            let placed = travel::place_hit(run, request, control, tick, nth);
            if let Some(replay) = report.replay.as_mut() {
                replay.last_break_before = placed.as_ref().and_then(|p| p.last_break_before);
                replay.located = placed.and_then(|p| p.located);
            }
        }
        Some(ClockRetry::PlaceTrapFrom(tick)) => {
            let placed = travel::place_trap(run, request, control, tick);
            if let (Some(replay), Some(moment)) = (report.replay.as_mut(), placed) {
                replay.instructions = Some(moment);
            }
        }
        None => {}
    }
    if let RunOutcome::Exited { code } = report.outcome {
        report.exit_code = Some(code);
    }
    if !report.outcome.invites_last_words() {
        report.last_words = None;
    }
    // Where it stopped only means something for a stop from outside.
    if !matches!(
        report.outcome,
        RunOutcome::TimedOut { .. } | RunOutcome::Cancelled
    ) {
        report.stopped_at = None;
    }
    report
}

/// One pass of the run skeleton, its outcome in its report.
fn run_once(
    request: &RunRequest,
    kind: &RunKind,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
) -> RunReport {
    let mut report = RunReport::new(request.name.clone(), RunOutcome::Cancelled);
    report.outcome = match run_inner(request, kind, control, events, &mut report) {
        Ok(outcome) => outcome,
        Err(error) => failed(chain_text(&error)),
    };
    report
}

/// The run skeleton: one path for every target.
fn run_inner(
    request: &RunRequest,
    kind: &RunKind,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    report: &mut RunReport,
) -> Result<RunOutcome, RunError> {
    let policy = &request.policy;
    if let Err(e) = policy.validate() {
        return Ok(failed(format!("the sandbox policy cannot be applied: {e}")));
    }
    if let Some(refusal) = Debugger::refusal(policy, &request.wasm, control) {
        return Ok(failed(refusal));
    }
    if policy.debug && request.invocation.profiler_interval_ms.is_some() {
        return Ok(failed(PROFILE_WITH_DEBUG));
    }
    let mut key = EngineKey::for_run(policy, &request.invocation, request.precompiled.is_some());
    key.clock = key.epoch_checks && kind.travels_by_clock(request, control);
    // A component's modules are not one line table: wasmtime resolves its frames' lines.
    if wasmparser::Parser::is_component(&request.wasm) {
        key.frame_lines = true;
    }
    let shared = sandbox::shared_engine(key).map_err(|e| RunError::Engine(cause(e)))?;
    // A `--last-write` search runs an instrumented copy of the module.
    let plan = match kind {
        RunKind::LastWrite { watched, .. } => {
            match modes::last_write::instrumented(request, *watched) {
                Ok(plan) => Some((*watched, plan)),
                Err(refusal) => return Ok(failed(refusal)),
            }
        }
        _ => None,
    };
    let code = plan
        .as_ref()
        .map_or(&request.wasm[..], |(_, plan)| &plan.wasm[..]);
    let compiled = match load(request, code, &shared, key)? {
        Ok(compiled) => compiled,
        Err(outcome) => return Ok(outcome),
    };
    // Stop pressed while compiling: the face has moved on; the code stays in the cache.
    if control.is_cancelled() {
        return Ok(RunOutcome::Cancelled);
    }
    report_compiled(report, events, compiled.compile_time, compiled.cached);

    let mut sandbox = Sandbox::new(
        &request.name,
        policy,
        &request.invocation,
        &shared,
        control,
        events,
    )?;
    sandbox
        .store
        .data_mut()
        .watch
        .name_from_exports(&request.wasm);
    // Always through the shim: with the log off it only counts refusals, so a run can say
    // that the sandbox refused something even when nobody asked to see each call.
    let target = compiled
        .target
        .with_wasi_shim(&shared, key, &mut sandbox.store)?;
    if let Some(source) = kind.replay_source() {
        if let Err(refusal) =
            modes::replay::start_replay(request, source, &target, &mut sandbox, report)
        {
            return Ok(failed(refusal));
        }
    } else if let Some(max_bytes) = kind.record_max_bytes() {
        modes::live::start_recording(request, max_bytes, &target, &mut sandbox, report);
    }
    let target = match &plan {
        Some((watched, plan)) => {
            modes::last_write::hook(request, *watched, plan, target, &mut sandbox)?
        }
        None => target,
    };
    let debugger = if policy.debug {
        let store = &mut sandbox.store;
        let travel = kind.travel();
        let installed = Debugger::install(store, target.module(), control, events, travel);
        Some(installed.map_err(|e| RunError::Debug(cause(e)))?)
    } else {
        None
    };
    let entry = &request.invocation.entry;
    let mut instance = None;
    let clock = sandbox.store.data().clock.clone();
    let store = &mut sandbox.store;
    let result = drive(
        &sandbox.runtime,
        sandbox.deadline,
        control,
        sandbox::clock::Clocked {
            call: Box::pin(target.call(store, entry, &mut instance)),
            clock: clock.as_deref(),
        },
    );
    let mut store = sandbox.finish(policy, report);
    let recorder = store.data_mut().recorder.take();
    let replayer = store.data_mut().replay.take();
    let watch = store.data_mut().last_write.take();
    save_coredump(&result, &mut store, &request.name, report);
    if let Some(memory) = instance.and_then(|i| i.get_memory(&mut store, "memory")) {
        let data = memory.data(&store);
        report.memory = Some(Arc::new(
            data[..data.len().min(MEMORY_SNAPSHOT_BYTES)].to_vec(),
        ));
    }
    let mut outcome = outcome_of(result, control, policy, report);
    if !key.frame_lines && plan.is_none() {
        let trap = match &mut outcome {
            RunOutcome::Trapped { trap } => Some(trap),
            _ => None,
        };
        let stopped = report.stopped_at.as_mut();
        let frames = trap.into_iter().flat_map(|t| t.frames.iter_mut());
        crate::engine::sandbox::watch::add_source_lines(
            &request.wasm,
            frames.chain(stopped.into_iter().flat_map(|s| s.frames.iter_mut())),
        );
    }
    if let Some(watch) = watch {
        let memory = watch.memory.or_else(|| {
            instance.and_then(|i| i.get_memory(&mut store, last_write::instrument::MEMORY_EXPORT))
        });
        let memory = memory.map(|m| m.data(&store));
        modes::last_write::finish(watch, memory, &mut outcome, report);
    }
    if let Some(debugger) = debugger {
        debugger.finish(&store, &mut outcome, report);
    }
    modes::live::finish(recorder, outcome.name(), report);
    modes::replay::finish(replayer, &outcome, report);
    Ok(outcome)
}

/// Reads what the bytes are, checks they can run as asked, and compiles them: the one place
/// that tells a core module, a precompiled module and a component apart. The inner `Err` is
/// the outcome when they cannot run; the outer one a failure of the host.
fn load(
    request: &RunRequest,
    code: &[u8],
    shared: &SharedEngine,
    key: EngineKey,
) -> Result<Result<LoadedTarget, RunOutcome>, RunError> {
    let entry = &request.invocation.entry;
    if let Some(origin) = request.precompiled {
        // Precompiled code: no wasm to inspect, so check what wasmtime's types say instead.
        let compiled = match RunTarget::precompiled(shared, &request.wasm) {
            Ok(compiled) => compiled,
            Err(e) => {
                return Ok(Err(failed(format!(
                    "cannot load this precompiled module: {}",
                    inspect::precompiled_load_error(origin, key, &e)
                ))));
            }
        };
        if let Some(module) = compiled.target.module() {
            let info = inspect::info_from_module(module, request.wasm.len());
            if let Some(outcome) = preflight(&info, entry) {
                return Ok(Err(outcome));
            }
        }
        return Ok(Ok(compiled));
    }
    let inspected;
    let info = match &request.info {
        Some(info) => info.as_ref(),
        None => {
            inspected = inspect(&request.wasm);
            &inspected
        }
    };
    if let Some(outcome) = preflight(info, entry) {
        return Ok(Err(outcome));
    }
    Ok(match info.kind {
        ModuleKind::Component => RunTarget::component(shared, &request.wasm)?
            .map_err(|e| failed(format!("invalid component: {}", error_text(&e)))),
        ModuleKind::CoreModule | ModuleKind::Invalid | ModuleKind::Precompiled => {
            RunTarget::core(shared, key, code)
                .map_err(|e| failed(sandbox::compile_error_text(key.compiler, code, &e)))
        }
    })
}

/// The function names a user could `--invoke`.
fn exported_functions(info: &ModuleInfo) -> String {
    let names: Vec<_> = info
        .exports
        .iter()
        .filter(|e| e.kind == ExternKind::Func)
        .map(|e| e.name.as_str())
        .collect();
    if names.is_empty() {
        "it exports no functions".to_owned()
    } else {
        format!("exported functions: {}", names.join(", "))
    }
}

/// Checks that the module or component can run under this entry, before anything is
/// compiled: valid, every import provided, the entry exported with a fitting type.
fn preflight(info: &ModuleInfo, entry: &Entry) -> Option<RunOutcome> {
    let component = info.kind == ModuleKind::Component;
    if info.kind == ModuleKind::Invalid {
        let error = info
            .error
            .as_ref()
            .map(|e| e.to_string())
            .unwrap_or_else(|| "unknown parse error".to_owned());
        return Some(failed(format!("invalid module: {error}")));
    }
    if !info.unresolved.is_empty() {
        let n = info.unresolved.len();
        let provided = if component {
            "the WASI 0.2 interfaces of wasmtime-wasi: wasi:cli, wasi:clocks, wasi:filesystem, \
             wasi:io, wasi:random, wasi:sockets"
        } else {
            "WASI preview 1 only"
        };
        return Some(RunOutcome::Failed {
            error: format!(
                "{n} import{} cannot be satisfied by the sandbox (it provides {provided})",
                if n == 1 { "" } else { "s" }
            ),
            unresolved: info.unresolved.clone(),
        });
    }
    match entry {
        Entry::Default if info.style != ModuleStyle::Command && component => Some(failed(format!(
            "this component exports no `wasi:cli/run`, so it is not a command: choose a \
             function to call with `--invoke NAME` ({})",
            exported_functions(info)
        ))),
        Entry::Default if info.style != ModuleStyle::Command => Some(failed(format!(
            "this module has no `_start`: it is a {}. Choose a function to call with \
             `--invoke NAME` ({})",
            if info.style == ModuleStyle::Reactor {
                "reactor"
            } else {
                "library"
            },
            exported_functions(info)
        ))),
        Entry::Default if component => None,
        Entry::Default => match info.export_sig("_start") {
            Some(sig) if !sig.params.is_empty() || !sig.results.is_empty() => Some(failed(
                format!("`_start` must take no parameters and return nothing, but it is {sig}"),
            )),
            _ => None,
        },
        Entry::Invoke { name, .. } => match info.export_sig(name) {
            None => Some(failed(format!(
                "the {} exports no function named `{name}` ({})",
                if component { "component" } else { "module" },
                exported_functions(info)
            ))),
            Some(_) => None,
        },
    }
}

/// Records the compile step in the report and tells the face the run is starting.
fn report_compiled(
    report: &mut RunReport,
    events: &Sender<RunEvent>,
    compile_time: Duration,
    cached: bool,
) {
    report.stats.compile_ms = compile_time.as_millis() as u64;
    report.stats.compile_cached = cached;
    let _ = events.send(RunEvent::Compiled {
        compile_ms: report.stats.compile_ms,
        cached,
    });
}

/// Runs `call` on `runtime` until it ends, the deadline passes or Stop is pressed.
pub(crate) fn drive<F: std::future::Future>(
    runtime: &tokio::runtime::Runtime,
    deadline: Option<Instant>,
    control: &RunControl,
    call: F,
) -> Result<F::Output, Stop> {
    runtime.block_on(async {
        // Time spent paused in debug mode does not count.
        let timeout = crate::engine::debug::control::timeout(deadline, control.debug());
        tokio::select! {
            result = call => Ok(result),
            () = timeout => Err(Stop::TimedOut),
            () = control.wake.notified() => Err(Stop::Cancelled),
        }
    })
}

/// Keeps the coredump wasmtime attached to a trap.
pub(crate) fn save_coredump(
    result: &CallResult,
    store: &mut Store<Host>,
    name: &str,
    report: &mut RunReport,
) {
    if let Ok(Err(CallError::Instantiate(e) | CallError::Call(e))) = result
        && let Some(dump) = e.downcast_ref::<wasmtime::WasmCoreDump>()
        && coredump_can_serialize(dump, store)
    {
        report.coredump = Some(Arc::new(dump.serialize(store, name)));
    }
}

/// Turns what the call ended with into the run's outcome (results go into `report`).
pub(crate) fn outcome_of(
    result: CallResult,
    control: &RunControl,
    policy: &SandboxPolicy,
    report: &mut RunReport,
) -> RunOutcome {
    let timed_out = |policy: &SandboxPolicy| RunOutcome::TimedOut {
        timeout_ms: policy.timeout_ms.unwrap_or(0),
    };
    match result {
        Err(Stop::TimedOut) => timed_out(policy),
        Err(Stop::Cancelled) => RunOutcome::Cancelled,
        Ok(Ok(results)) => {
            report.results = results;
            RunOutcome::Exited { code: 0 }
        }
        Ok(Err(CallError::Usage(message))) => failed(message),
        Ok(Err(CallError::Instantiate(e) | CallError::Call(e)))
            if e.downcast_ref::<Divergence>().is_some() =>
        {
            match e.downcast::<Divergence>() {
                Ok(Divergence { at_call, detail }) => RunOutcome::Diverged { at_call, detail },
                Err(e) => classify(&e, policy),
            }
        }
        Ok(Err(CallError::Instantiate(e) | CallError::Call(e))) if is_interrupt(&e) => {
            if control.is_cancelled() {
                RunOutcome::Cancelled
            } else {
                timed_out(policy)
            }
        }
        Ok(Err(CallError::Instantiate(e))) if !is_guest_failure(&e) => {
            failed(format!("cannot instantiate: {}", error_text(&e)))
        }
        Ok(Err(CallError::Instantiate(e) | CallError::Call(e))) => classify(&e, policy),
    }
}

fn is_interrupt(e: &wasmtime::Error) -> bool {
    e.downcast_ref::<Trap>() == Some(&Trap::Interrupt)
}

/// Whether an instantiation error is the guest's doing (a trap or exit in a start function,
/// a trapping denied growth), as opposed to the host refusing to instantiate.
fn is_guest_failure(e: &wasmtime::Error) -> bool {
    // A backtrace (or a coredump: wasmtime attaches one even where the backtrace it took has
    // no frame it can name) means guest code was running: the start function failed in a host
    // call.
    e.downcast_ref::<WasmBacktrace>().is_some()
        || e.downcast_ref::<wasmtime::WasmCoreDump>().is_some()
        || e.downcast_ref::<Trap>().is_some()
        || e.downcast_ref::<I32Exit>().is_some()
        || e.downcast_ref::<GrowthDenied>().is_some()
}

/// Turns a guest error into an outcome.
fn classify(e: &wasmtime::Error, policy: &SandboxPolicy) -> RunOutcome {
    if let Some(exit) = e.downcast_ref::<I32Exit>() {
        return RunOutcome::Exited { code: exit.0 };
    }
    let frames = backtrace_frames(e);
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => RunOutcome::FuelExhausted {
            fuel: policy.fuel.unwrap_or(0),
        },
        Some(trap) => RunOutcome::Trapped {
            trap: TrapInfo {
                kind: TrapKind::of(trap),
                // The wasmtime name, also for a trap this version has no kind for.
                code: format!("{trap:?}"),
                message: trap_message(trap),
                frames,
                fault_address: fault_address(e),
                debug: None,
            },
        },
        None => {
            let kind = if e.downcast_ref::<GrowthDenied>().is_some() {
                TrapKind::GrowthDenied
            } else if e
                .downcast_ref::<crate::engine::sandbox::GuestAbort>()
                .is_some()
            {
                TrapKind::GuestAbort
            } else {
                TrapKind::HostError
            };
            RunOutcome::Trapped {
                trap: TrapInfo {
                    kind,
                    code: kind.code().to_owned(),
                    message: error_text(e),
                    frames,
                    fault_address: None,
                    debug: None,
                },
            }
        }
    }
}

/// Whether wasmtime can write this coredump: its serializer panics on globals whose type is
/// not under func, extern or any (e.g. `exnref`), so such a trap comes without a coredump.
/// (Found by the fuzz slice: `(global exnref (ref.null exn))` then `unreachable`.)
fn coredump_can_serialize(dump: &wasmtime::WasmCoreDump, store: &Store<Host>) -> bool {
    dump.globals()
        .iter()
        .all(|global| match global.ty(store).content() {
            ValType::Ref(r) => matches!(
                r.heap_type().top(),
                wasmtime::HeapType::Func | wasmtime::HeapType::Extern | wasmtime::HeapType::Any
            ),
            _ => true,
        })
}

/// The faulting wasm address of an out-of-bounds access, from wasmtime's error context
/// ("memory fault at wasm address 0x... in linear memory of size 0x...").
fn fault_address(e: &wasmtime::Error) -> Option<u64> {
    const MARK: &str = "memory fault at wasm address 0x";
    e.chain().find_map(|cause| {
        let text = cause.to_string();
        let hex = &text[text.find(MARK)? + MARK.len()..];
        let end = hex
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(hex.len());
        u64::from_str_radix(&hex[..end], 16).ok()
    })
}

/// The trap's own words, without wasmtime's "wasm trap: " prefix.
pub fn trap_message(trap: &Trap) -> String {
    let text = trap.to_string();
    text.strip_prefix("wasm trap: ")
        .map(str::to_owned)
        .unwrap_or(text)
}

fn backtrace_frames(e: &wasmtime::Error) -> Vec<FrameInfo> {
    let Some(backtrace) = e.downcast_ref::<WasmBacktrace>() else {
        return Vec::new();
    };
    // The guest's frames only: a trap in a WASI call passes through the shim's module.
    crate::engine::profiler::guest_frames(backtrace.frames())
        .map(crate::engine::sandbox::watch::frame_info)
        .collect()
}
