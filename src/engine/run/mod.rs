//! One run, the same for a core module and a component: check the policy, load the target
//! (decided once: [`RunTarget`]), build the sandbox, call the entry, classify the outcome.

pub mod target;
pub mod tenants;

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
use crate::engine::module::precompiled::Origin;
use crate::engine::outcome::{
    FrameInfo, MEMORY_SNAPSHOT_BYTES, ReplayReport, RunOutcome, RunReport, TrapInfo, TrapKind,
};
use crate::engine::policy::{Entry, Invocation, SandboxPolicy, Travel};
use crate::engine::record::last_write::{self, WriteWatch};
use crate::engine::record::recording::RecordingHeader;
use crate::engine::record::{Divergence, Recorder, Replayer};
use crate::engine::run::target::{CallError, LoadedTarget, RunTarget};
use crate::engine::sandbox::{
    self, EngineKey, GrowthDenied, Host, RunControl, Sandbox, SharedEngine,
};

/// Why a run cannot be both profiled and debugged.
pub const PROFILE_WITH_DEBUG: &str = "profiling and debug mode cannot be on together (debug mode \
    compiles slower code with every check explicit, so its profile would not show where a \
    normal run spends its time): turn one of them off";

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// The module's name (file name), used as argv0 and in the report.
    pub name: String,
    /// Binary wasm, or precompiled code's image when `precompiled` says so.
    pub wasm: Arc<[u8]>,
    /// `Some` runs `wasm` as precompiled machine code made by this origin (from
    /// [`crate::engine::LoadedModule::precompiled`]). Setting it is the face's statement that
    /// the user allowed native code (`--allow-precompiled`, or the window's confirmation).
    pub precompiled: Option<Origin>,
    /// What the guest may do.
    pub policy: SandboxPolicy,
    /// What this run passes the guest: arguments, stdin, the export to call.
    pub invocation: Invocation,
    /// What [`inspect`] found in `wasm`, when the face has it already (the window inspects a
    /// module once, when it opens it), so a run does not parse a large module again. `None`:
    /// the run inspects `wasm` itself. Precompiled code is checked against the types wasmtime
    /// loads instead, as before.
    pub info: Option<Arc<ModuleInfo>>,
}

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
    match request.invocation.travel {
        Some(Travel::LastBreakBefore(before)) => {
            return reverse_continue(request, control, events, before);
        }
        Some(Travel::BackFrom { anchor, reverse }) => {
            return back_from(request, control, events, anchor, reverse);
        }
        _ => {}
    }
    let mut report = RunReport::new(request.name.clone(), RunOutcome::Cancelled);
    report.outcome = match run_inner(request, control, events, &mut report) {
        Ok(outcome) => outcome,
        Err(error) => failed(chain_text(&error)),
    };
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

pub(crate) fn failed(error: impl Into<String>) -> RunOutcome {
    RunOutcome::Failed {
        error: error.into(),
        unresolved: Vec::new(),
    }
}

/// Reverse continue: a quiet replay finds the last pausing breakpoint's hit before moment
/// `before`, then a second replay pauses there (at moment 1 when none was hit). Stop ends
/// either replay.
fn reverse_continue(
    request: &RunRequest,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    before: u64,
) -> RunReport {
    let mut search = request.clone();
    search.invocation.travel = Some(Travel::Scan(before));
    let quiet = Arc::new(control.child());
    // Nobody reads the search's events: its output was shown by the replay that got here.
    let (sink, _) = crossbeam_channel::bounded(1);
    let found = run(&search, &quiet, &sink);
    if control.is_cancelled() {
        return RunReport::new(request.name.clone(), RunOutcome::Cancelled);
    }
    let hit = found.replay.as_ref().and_then(|r| r.last_break_before);
    let mut there = request.clone();
    there.invocation.travel = Some(hit.map_or(Travel::To(1), Travel::AtBreak));
    run(&there, control, events)
}

/// Going back from a live pause: a quiet replay finds the pause's moment, then the replay
/// goes to the moment before it (or to the breakpoint hit before it).
fn back_from(
    request: &RunRequest,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    anchor: crate::engine::policy::Anchor,
    reverse: bool,
) -> RunReport {
    let mut search = request.clone();
    search.invocation.travel = Some(Travel::Locate(anchor));
    let quiet = Arc::new(control.child());
    let (sink, _) = crossbeam_channel::bounded(1);
    let found = run(&search, &quiet, &sink);
    if control.is_cancelled() {
        return RunReport::new(request.name.clone(), RunOutcome::Cancelled);
    }
    let Some(moment) = found.replay.as_ref().and_then(|r| r.located) else {
        return RunReport::new(
            request.name.clone(),
            failed(
                "the paused moment was not found in the run's recording (it may have been \
                 cut short by the recording's size limit)",
            ),
        );
    };
    let mut there = request.clone();
    there.invocation.travel = Some(if reverse {
        Travel::LastBreakBefore(moment)
    } else {
        Travel::To(moment.saturating_sub(1).max(1))
    });
    run(&there, control, events)
}

/// Why a time-travel request cannot be honoured: it steps through a replay of a core module,
/// in debug mode.
fn travel_refusal(request: &RunRequest) -> Option<&'static str> {
    let invocation = &request.invocation;
    invocation.travel?;
    if invocation.replay.is_none() {
        Some("going back in time needs a recording: replay the run (every window run is recorded)")
    } else if !request.policy.debug {
        Some("going back in time needs debug mode")
    } else if wasmparser::Parser::is_component(&request.wasm) {
        Some("going back in time is not available for components")
    } else if invocation.last_write.is_some() {
        Some("a search for the last write cannot also go back in time")
    } else {
        None
    }
}

/// The run skeleton: one path for every target.
fn run_inner(
    request: &RunRequest,
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
    if let Some(refusal) = travel_refusal(request) {
        return Ok(failed(refusal));
    }
    let mut key = EngineKey::for_run(policy, &request.invocation, request.precompiled.is_some());
    // A component's modules are not one line table: wasmtime resolves its frames' lines.
    if wasmparser::Parser::is_component(&request.wasm) {
        key.frame_lines = true;
    }
    let shared = sandbox::shared_engine(key).map_err(|e| RunError::Engine(cause(e)))?;
    // A `--last-write` search runs an instrumented copy of the module.
    let plan = match request.invocation.last_write {
        Some(watched) if request.precompiled.is_none() => {
            match last_write::instrument::instrument(&request.wasm, watched.range) {
                Ok(plan) => Some((watched, Arc::new(plan))),
                Err(refusal) => return Ok(failed(format!("cannot search for writes: {refusal}"))),
            }
        }
        Some(_) => return Ok(failed("cannot search for writes in precompiled code")),
        None => None,
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
    if let Some(outcome) = record_or_replay(request, &target, &mut sandbox, report) {
        return Ok(outcome);
    }
    let target = match (&plan, target) {
        (Some((watched, plan)), RunTarget::Core { module, linker }) => {
            let hooked = crate::engine::sandbox::last_write::linker_with_hooks(&linker)
                .map_err(|e| RunError::Shim(cause(e)))?;
            sandbox.store.data_mut().last_write = Some(WriteWatch::new(
                *watched,
                Arc::clone(plan),
                Arc::clone(&request.wasm),
            ));
            RunTarget::Core {
                module,
                linker: Arc::new(hooked),
            }
        }
        (_, target) => target,
    };
    let debugger = if policy.debug {
        let store = &mut sandbox.store;
        let travel = request.invocation.travel;
        let installed = Debugger::install(store, target.module(), control, events, travel);
        Some(installed.map_err(|e| RunError::Debug(cause(e)))?)
    } else {
        None
    };
    let entry = &request.invocation.entry;
    let mut instance = None;
    let store = &mut sandbox.store;
    let result = drive(
        &sandbox.runtime,
        sandbox.deadline,
        control,
        target.call(store, entry, &mut instance),
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
        watch.map_outcome(&mut outcome);
        let memory = watch.memory.or_else(|| {
            instance.and_then(|i| i.get_memory(&mut store, last_write::instrument::MEMORY_EXPORT))
        });
        report.last_write = Some(watch.finish(memory.map(|m| m.data(&store)), &outcome));
    }
    if let Some(debugger) = debugger {
        debugger.finish(&mut outcome, report);
    }
    if let Some(recorder) = recorder {
        report.recording = Some(Arc::new(recorder.finish(outcome.name())));
    }
    if let (Some(replayer), Some(replay)) = (replayer, report.replay.as_mut()) {
        replay.calls_replayed = replayer.replayed();
        replay.diverged = matches!(outcome, RunOutcome::Diverged { .. });
    }
    Ok(outcome)
}

/// Puts the recorder or the replayer in the store, as the invocation asks. A recording the
/// sandbox cannot make is noted in the report; a replay it cannot make is the outcome.
fn record_or_replay(
    request: &RunRequest,
    target: &RunTarget,
    sandbox: &mut Sandbox,
    report: &mut RunReport,
) -> Option<RunOutcome> {
    let invocation = &request.invocation;
    let followed = target.module().is_some() && sandbox.store.data().shim.is_some();
    let why_not = || match target.module() {
        None => "components are not recorded yet: only core modules' WASI calls are".to_owned(),
        Some(_) => "this module makes no WASI call the sandbox can follow (it imports none, or \
                    has no plain 32-bit memory exported as `memory`), so nothing crosses the \
                    boundary to record"
            .to_owned(),
    };
    if let Some(replay) = &invocation.replay {
        let imports_wasi = target.module().is_some_and(|m| {
            m.imports()
                .any(|i| crate::engine::wasi::is_wasi_module(i.module()))
        });
        if !followed && (imports_wasi || target.module().is_none()) {
            return Some(failed(format!("cannot replay: {}", why_not())));
        }
        report.replay = Some(ReplayReport {
            recording: request.name.clone(),
            calls_replayed: 0,
            calls_recorded: replay.0.calls.len() as u64,
            diverged: false,
            instructions: None,
            last_break_before: None,
            located: None,
            last_write_at: None,
        });
        sandbox.store.data_mut().replay = Some(Replayer::new(Arc::clone(&replay.0)));
    } else if let Some(max_bytes) = invocation.record_max_bytes {
        if request.precompiled.is_some() {
            report.recording_note = Some(
                "precompiled code is not recorded: a recording carries the module to replay \
                 anywhere, and machine code loads only where it was compiled; record the .wasm"
                    .to_owned(),
            );
            return None;
        }
        if !followed {
            report.recording_note = Some(why_not());
            return None;
        }
        let header =
            RecordingHeader::new(&request.name, &request.wasm, &request.policy, invocation);
        let mut args = vec![
            invocation
                .argv0
                .clone()
                .unwrap_or_else(|| request.name.clone()),
        ];
        args.extend(invocation.args.iter().cloned());
        let recorder = Recorder::new(
            serde_json::to_vec(&header).unwrap_or_default(),
            Arc::clone(&request.wasm),
            max_bytes,
            &args,
            &request.policy.env,
        );
        sandbox.store.data_mut().recorder = Some(recorder);
    }
    None
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
