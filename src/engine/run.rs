//! One run: compile, build the sandbox from the policy, call the entry, classify the outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use wasmtime::{Store, Trap, UpdateDeadline, Val, ValType, WasmBacktrace};
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

use crate::engine::calllog::{self, CallLog};
use crate::engine::component;
use crate::engine::events::{RunEvent, SAMPLE_INTERVAL_MS, StdStream};
use crate::engine::files::{self, DirChanges, DirSnapshot, ScratchCopy};
use crate::engine::inspect::{self, ExternKind, ModuleInfo, ModuleKind, ModuleStyle, inspect};
use crate::engine::outcome::{
    FrameInfo, MEMORY_SNAPSHOT_BYTES, ResourceSample, RunOutcome, RunReport, TrapInfo,
};
use crate::engine::policy::{DirGrant, Entry, SandboxPolicy, StdinSource};
use crate::engine::quota::{self, DiskQuota};
use crate::engine::sandbox::{self, ChannelOutput, EngineKey, GrowthDenied, Host, Limits};

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// The module's name (file name), used as argv0 and in the report.
    pub name: String,
    /// Binary wasm.
    pub wasm: Arc<[u8]>,
    /// What the guest may do.
    pub policy: SandboxPolicy,
}

/// Stop requests for a run in progress, shared with the thread that may cancel it.
#[derive(Debug, Default)]
pub struct RunControl {
    cancelled: AtomicBool,
    wake: tokio::sync::Notify,
    outputs: std::sync::Mutex<Vec<ChannelOutput>>,
}

impl RunControl {
    /// Asks the run to stop. It ends with [`RunOutcome::Cancelled`], even inside a host call.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Sends guest output that is waiting to be coalesced; call about every millisecond.
    pub fn tick(&self) {
        for output in self
            .outputs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            output.tick();
        }
    }

    fn set_outputs(&self, outputs: Vec<ChannelOutput>) {
        *self.outputs.lock().unwrap_or_else(|p| p.into_inner()) = outputs;
    }

    /// Whether [`Self::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

/// Why the run was stopped from outside the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    TimedOut,
    Cancelled,
}

/// Runs `request` to its outcome on the calling thread, sending events as it goes and the
/// final report last. The engine's epoch must be ticked by someone else (the runner does).
pub fn run(
    request: &RunRequest,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
) -> RunReport {
    let mut report = RunReport::new(request.name.clone(), RunOutcome::Cancelled);
    report.outcome = match run_inner(request, control, events, &mut report) {
        Ok(outcome) => outcome,
        Err(error) => RunOutcome::Failed {
            error,
            unresolved: Vec::new(),
        },
    };
    if let RunOutcome::Exited { code } = report.outcome {
        report.exit_code = Some(code);
    }
    report
}

pub(crate) fn failed(error: impl Into<String>) -> RunOutcome {
    RunOutcome::Failed {
        error: error.into(),
        unresolved: Vec::new(),
    }
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

/// Checks that the module can run under this entry, before anything is compiled.
fn preflight(info: &ModuleInfo, policy: &SandboxPolicy) -> Option<RunOutcome> {
    match info.kind {
        ModuleKind::Invalid => {
            let error = info
                .error
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "unknown parse error".to_owned());
            return Some(failed(format!("invalid module: {error}")));
        }
        // Components take their own path (see `component::run_component`).
        ModuleKind::Component => {
            return Some(failed("this is a component, not a core module"));
        }
        ModuleKind::CoreModule => {}
    }
    if !info.unresolved.is_empty() {
        let n = info.unresolved.len();
        return Some(RunOutcome::Failed {
            error: format!(
                "{n} import{} cannot be satisfied by the sandbox (it provides WASI preview 1 only)",
                if n == 1 { "" } else { "s" }
            ),
            unresolved: info.unresolved.clone(),
        });
    }
    match &policy.entry {
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
        Entry::Default => match info.export_sig("_start") {
            Some(sig) if !sig.params.is_empty() || !sig.results.is_empty() => Some(failed(
                format!("`_start` must take no parameters and return nothing, but it is {sig}"),
            )),
            _ => None,
        },
        Entry::Invoke { name, .. } => match info.export_sig(name) {
            None => Some(failed(format!(
                "the module exports no function named `{name}` ({})",
                exported_functions(info)
            ))),
            Some(_) => None,
        },
    }
}

fn run_inner(
    request: &RunRequest,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    report: &mut RunReport,
) -> Result<RunOutcome, String> {
    let policy = &request.policy;
    let key = EngineKey::for_policy(policy);
    let compiled = if sandbox::is_precompiled(&request.wasm) {
        // A `.cwasm`: no wasm to inspect, so check what wasmtime's types say instead.
        let shared = sandbox::shared_engine(key)
            .map_err(|e| format!("cannot configure the engine: {e:#}"))?;
        let compiled = match sandbox::deserialize(&shared, &request.wasm) {
            Ok(compiled) => compiled,
            Err(e) => {
                return Ok(failed(format!(
                    "cannot load this precompiled module: {}. Precompiled code only loads into \
                     the wasmtime version and settings (compiler, fuel) it was made with: \
                     recompile it with `wasmscope compile`, or run the .wasm instead",
                    error_text(&e)
                )));
            }
        };
        let info = inspect::info_from_module(&compiled.module, request.wasm.len());
        if let Some(outcome) = preflight(&info, policy) {
            return Ok(outcome);
        }
        (shared, compiled)
    } else {
        let info = inspect(&request.wasm);
        if info.kind == ModuleKind::Component {
            return component::run_component(request, &info, control, events, report);
        }
        if let Some(outcome) = preflight(&info, policy) {
            return Ok(outcome);
        }
        let shared = sandbox::shared_engine(key)
            .map_err(|e| format!("cannot configure the engine: {e:#}"))?;
        match sandbox::compile(&shared, key, &request.wasm) {
            Ok(compiled) => (shared, compiled),
            Err(e) => return Ok(failed(format!("invalid module: {}", error_text(&e)))),
        }
    };
    let (shared, compiled) = compiled;
    report_compiled(report, events, compiled.compile_time, compiled.cached);

    let mut sandbox = Sandbox::new(request, &shared, control, events)?;
    let module = compiled.module;
    let guarded = quota::guarded_linker(&shared, key, &mut sandbox.store, policy)
        .map_err(|e| format!("cannot set up the disk quota: {e:#}"))?;
    // Always wrapped: with the log off the wrappers only count refusals, so a run can say
    // that the sandbox refused something even when nobody asked to see each call.
    let logging = match calllog::logging_linker(&shared, key, &guarded, &mut sandbox.store, &module)
    {
        Ok(logging) => logging,
        Err(e) if policy.log_calls => return Err(format!("cannot set up the call log: {e:#}")),
        // Counting refusals is a courtesy: a module it cannot wrap still runs as asked.
        Err(_) => None,
    };
    let linker = match logging {
        Some(logging) => Arc::new(logging),
        None => guarded,
    };
    let entry = policy.entry.clone();
    let mut instance_slot = None;
    let store = &mut sandbox.store;
    let result = drive(&sandbox.runtime, sandbox.deadline, control, async {
        let instance = linker
            .instantiate_async(&mut *store, &module)
            .await
            .map_err(CallError::Instantiate)?;
        instance_slot = Some(instance);
        call_entry(store, &instance, &entry).await
    });
    let mut store = sandbox.finish(policy, report);
    save_coredump(&result, &mut store, &request.name, report);
    if let Some(memory) = instance_slot.and_then(|i| i.get_memory(&mut store, "memory")) {
        let data = memory.data(&store);
        report.memory = Some(Arc::new(
            data[..data.len().min(MEMORY_SNAPSHOT_BYTES)].to_vec(),
        ));
    }
    Ok(outcome_of(result, control, policy, report))
}

/// Records the compile step in the report and tells the face the run is starting.
pub(crate) fn report_compiled(
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

/// What a guest call ended with: its formatted results or how it failed, or a stop from
/// outside (timeout, Stop).
pub(crate) type CallResult = Result<Result<Vec<String>, CallError>, Stop>;

/// A store built from the policy with its outputs, directories, epoch deadline and async
/// runtime: everything a core module's run and a component's run share.
pub(crate) struct Sandbox {
    /// The store; its data is the [`Host`].
    pub(crate) store: Store<Host>,
    /// The runtime the guest's async calls run on.
    pub(crate) runtime: tokio::runtime::Runtime,
    /// When the timeout ends the run.
    pub(crate) deadline: Option<Instant>,
    stdout: ChannelOutput,
    stderr: ChannelOutput,
    dirs: Vec<PreparedDir>,
    started: Instant,
    control: Arc<RunControl>,
}

impl Sandbox {
    /// Applies `request.policy`: WASI context, limiter, fuel, epoch deadline and samples.
    pub(crate) fn new(
        request: &RunRequest,
        shared: &sandbox::SharedEngine,
        control: &Arc<RunControl>,
        events: &Sender<RunEvent>,
    ) -> Result<Self, String> {
        let policy = &request.policy;
        let stdout = ChannelOutput::new(StdStream::Stdout, events.clone());
        let stderr = ChannelOutput::new(StdStream::Stderr, events.clone());
        control.set_outputs(vec![stdout.clone(), stderr.clone()]);
        let dirs = prepare_dirs(&policy.dirs)?;
        let wasi = build_wasi(request, &dirs, &stdout, &stderr)?;
        let started = Instant::now();
        let mut store = Store::new(
            &shared.engine,
            Host {
                wasi,
                limits: Limits::new(policy, started, events.clone()),
                calls: Some(CallLog::new(policy, started, events.clone())),
                quota: Some(DiskQuota::new(policy)),
            },
        );
        store.limiter(|host| &mut host.limits);
        if let Some(fuel) = policy.fuel {
            store
                .set_fuel(fuel)
                .map_err(|e| format!("cannot set fuel: {e:#}"))?;
        }
        let deadline = policy.timeout().map(|t| started + t);
        let callback_control = Arc::clone(control);
        let samples = events.clone();
        let fuel_budget = policy.fuel;
        let mut last_sample = started;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |store| {
            let now = Instant::now();
            let past_deadline = deadline.is_some_and(|d| now >= d);
            if past_deadline || callback_control.is_cancelled() {
                Ok(UpdateDeadline::Interrupt)
            } else {
                if now.duration_since(last_sample) >= Duration::from_millis(SAMPLE_INTERVAL_MS) {
                    last_sample = now;
                    let limits = &store.data().limits;
                    let sample = ResourceSample {
                        at_ms: now.duration_since(started).as_millis() as u64,
                        memory_bytes: limits.memory_bytes,
                        table_elements: limits.table_elements,
                        fuel_consumed: fuel_budget
                            .map(|budget| budget.saturating_sub(store.get_fuel().unwrap_or(0))),
                    };
                    let _ = samples.try_send(RunEvent::Sample(sample));
                }
                // Let the executor look at the timer and the cancel signal, then go on.
                Ok(UpdateDeadline::Yield(1))
            }
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        Ok(Self {
            store,
            runtime,
            deadline,
            stdout,
            stderr,
            dirs,
            started,
            control: Arc::clone(control),
        })
    }

    /// Ends the run: stops the runtime, and puts the numbers, the call log, the growths, the
    /// output totals and the file changes in `report`. Returns the store for a last look.
    pub(crate) fn finish(self, policy: &SandboxPolicy, report: &mut RunReport) -> Store<Host> {
        // Helper threads of the runtime (blocking file I/O) end here, not later.
        self.runtime.shutdown_timeout(Duration::from_secs(1));
        let mut store = self.store;
        report.stats.wall_ms = self.started.elapsed().as_millis() as u64;
        if let Some(fuel) = policy.fuel {
            report.stats.fuel_consumed = Some(fuel.saturating_sub(store.get_fuel().unwrap_or(0)));
        }
        if let Some(mut log) = store.data_mut().calls.take() {
            log.flush();
            report.calls = log.calls;
            report.calls_total = log.total;
            report.denials = log.denials;
            report.denials_total = log.denials_total;
        }
        report.disk = store.data().quota.as_ref().and_then(DiskQuota::usage);
        let limits = &mut store.data_mut().limits;
        report.stats.peak_memory_bytes = limits.peak_memory_bytes;
        report.memory_denied = std::mem::take(&mut limits.denied);
        report.memory_denied_count = limits.denied_count;
        self.control.set_outputs(Vec::new());
        self.stdout.finish();
        self.stderr.finish();
        report.stats.stdout_bytes = self.stdout.total_bytes();
        report.stats.stderr_bytes = self.stderr.total_bytes();
        report.file_changes = self.dirs.iter().filter_map(PreparedDir::changes).collect();
        report.scratch = self.dirs.iter().filter_map(|d| d.scratch.clone()).collect();
        store
    }
}

/// Runs `call` on `runtime` until it ends, the deadline passes or Stop is pressed.
pub(crate) fn drive<F: std::future::Future>(
    runtime: &tokio::runtime::Runtime,
    deadline: Option<Instant>,
    control: &RunControl,
    call: F,
) -> Result<F::Output, Stop> {
    runtime.block_on(async {
        let timeout = async {
            match deadline {
                Some(deadline) => tokio::time::sleep_until(deadline.into()).await,
                None => std::future::pending().await,
            }
        };
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

impl Limits {
    fn new(policy: &SandboxPolicy, started: Instant, events: Sender<RunEvent>) -> Self {
        Self {
            max_memory_bytes: policy.max_memory_bytes,
            max_table_elements: policy.max_table_elements,
            trap_on_grow_failure: policy.trap_on_grow_failure,
            started,
            events,
            peak_memory_bytes: 0,
            memory_bytes: 0,
            table_elements: 0,
            denied: Vec::new(),
            denied_count: 0,
        }
    }
}

/// A preopen as the run uses it: the real folder, or a scratch copy of it, and a snapshot to
/// tell afterwards what the guest changed.
struct PreparedDir {
    grant: DirGrant,
    scratch: Option<Arc<ScratchCopy>>,
    before: Option<DirSnapshot>,
}

impl PreparedDir {
    fn host_path(&self) -> &std::path::Path {
        match &self.scratch {
            Some(copy) => copy.path(),
            None => &self.grant.host_path,
        }
    }

    /// What the run changed (read-write folders only).
    fn changes(&self) -> Option<DirChanges> {
        let (changes, truncated) = match (&self.scratch, &self.before) {
            (Some(copy), _) => (copy.changes(), false),
            (None, Some(before)) => {
                let after = DirSnapshot::take(&self.grant.host_path);
                (
                    files::diff(before, &after),
                    before.truncated || after.truncated,
                )
            }
            (None, None) => return None,
        };
        Some(DirChanges {
            guest_path: self.grant.guest_path.clone(),
            host_path: self.grant.host_path.clone(),
            scratch: self.scratch.is_some(),
            bytes_written: files::bytes_written(&changes),
            changes,
            truncated,
        })
    }
}

fn prepare_dirs(grants: &[DirGrant]) -> Result<Vec<PreparedDir>, String> {
    grants
        .iter()
        .map(|grant| {
            let host = &grant.host_path;
            if !host.is_dir() {
                return Err(format!(
                    "cannot preopen {}: it does not exist or is not a directory (create it, or \
                     remove it from the sandbox)",
                    host.display()
                ));
            }
            let writable = !grant.read_only;
            let scratch = if writable && grant.scratch {
                Some(Arc::new(ScratchCopy::make(host, &grant.guest_path)?))
            } else {
                None
            };
            Ok(PreparedDir {
                grant: grant.clone(),
                before: (writable && scratch.is_none()).then(|| DirSnapshot::take(host)),
                scratch,
            })
        })
        .collect()
}

fn build_wasi(
    request: &RunRequest,
    dirs: &[PreparedDir],
    stdout: &ChannelOutput,
    stderr: &ChannelOutput,
) -> Result<wasmtime_wasi::p1::WasiP1Ctx, String> {
    let policy = &request.policy;
    let mut builder = WasiCtxBuilder::new();
    builder.arg(policy.argv0.as_deref().unwrap_or(&request.name));
    builder.args(&policy.args);
    builder.envs(&policy.env);
    match &policy.stdin {
        StdinSource::Empty => {}
        StdinSource::Bytes(bytes) => {
            builder.stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(bytes.clone()));
        }
        StdinSource::Inherit => {
            builder.inherit_stdin();
        }
    }
    builder.stdout(stdout.clone());
    builder.stderr(stderr.clone());
    if policy.allow_network {
        // wasi:sockets (preview 2) only; without this every address is refused.
        builder.inherit_network();
        builder.allow_ip_name_lookup(true);
        builder.allow_tcp(true);
        builder.allow_udp(true);
    }
    for prepared in dirs {
        let dir = &prepared.grant;
        let host = prepared.host_path();
        let perms = if dir.read_only {
            wasmtime_wasi::FsPerms::ReadOnly
        } else {
            wasmtime_wasi::FsPerms::ReadWrite
        };
        builder
            .preopened_dir(host, &dir.guest_path, perms)
            .map_err(|e| format!("cannot preopen {}: {e:#}", host.display()))?;
    }
    Ok(builder.build_p1())
}

pub(crate) enum CallError {
    /// Instantiation failed (link, memory cap, a trapping start function).
    Instantiate(wasmtime::Error),
    /// The entry trapped or exited.
    Call(wasmtime::Error),
    /// The invocation itself was wrong (arguments); nothing ran.
    Usage(String),
}

async fn call_entry(
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

/// "`add` takes 2 arguments (i32, i32), but 1 was given".
pub(crate) fn arity_error(name: &str, params: &[String], given: usize) -> CallError {
    CallError::Usage(format!(
        "`{name}` takes {} argument{} ({}), but {given} {} given",
        params.len(),
        if params.len() == 1 { "" } else { "s" },
        params.join(", "),
        if given == 1 { "was" } else { "were" }
    ))
}

/// Parses an invoke argument by its parameter type. Integers accept decimal or `0x` hex.
pub fn parse_value(ty: &ValType, text: &str) -> Result<Val, String> {
    let text = text.trim();
    let int = |text: &str| -> Result<i128, String> {
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
        .map_err(|_| format!("`{text}` is not an integer"))?;
        Ok(if negative { -value } else { value })
    };
    Ok(match ty {
        // Accept both signed and unsigned spellings, as wasm integers have no sign.
        ValType::I32 => {
            let v = int(text)?;
            if !(i32::MIN as i128..=u32::MAX as i128).contains(&v) {
                return Err(format!("`{text}` does not fit in an i32"));
            }
            Val::I32(v as i32)
        }
        ValType::I64 => {
            let v = int(text)?;
            if !(i64::MIN as i128..=u64::MAX as i128).contains(&v) {
                return Err(format!("`{text}` does not fit in an i64"));
            }
            Val::I64(v as i64)
        }
        ValType::F32 => Val::F32(
            text.parse::<f32>()
                .map_err(|_| format!("`{text}` is not a number"))?
                .to_bits(),
        ),
        ValType::F64 => Val::F64(
            text.parse::<f64>()
                .map_err(|_| format!("`{text}` is not a number"))?
                .to_bits(),
        ),
        other => {
            return Err(format!(
                "parameters of type {other} cannot be given on the command line"
            ));
        }
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

fn is_interrupt(e: &wasmtime::Error) -> bool {
    e.downcast_ref::<Trap>() == Some(&Trap::Interrupt)
}

/// Whether an instantiation error is the guest's doing (a trap or exit in a start function,
/// a trapping denied growth), as opposed to the host refusing to instantiate.
fn is_guest_failure(e: &wasmtime::Error) -> bool {
    // A backtrace means guest code was running: the start function failed in a host call.
    e.downcast_ref::<WasmBacktrace>().is_some()
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
                code: format!("{trap:?}"),
                message: trap_message(trap),
                frames,
                fault_address: fault_address(e),
            },
        },
        None => {
            let code = if e.downcast_ref::<GrowthDenied>().is_some() {
                "GrowthDenied"
            } else {
                "HostError"
            };
            RunOutcome::Trapped {
                trap: TrapInfo {
                    code: code.to_owned(),
                    message: error_text(e),
                    frames,
                    fault_address: None,
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
    backtrace
        .frames()
        .iter()
        .map(|frame| FrameInfo {
            func_index: frame.func_index(),
            func_name: frame
                .func_name()
                .map(|name| rustc_demangle::demangle(name).to_string()),
            module_offset: frame.module_offset(),
            source: frame.symbols().first().and_then(|symbol| {
                let file = symbol.file()?;
                Some(match (symbol.line(), symbol.column()) {
                    (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
                    (Some(line), None) => format!("{file}:{line}"),
                    _ => file.to_owned(),
                })
            }),
        })
        .collect()
}

/// An error's message chain without the wasm backtrace (shown separately as frames) and
/// without host stack traces.
pub fn error_text(e: &wasmtime::Error) -> String {
    let parts: Vec<String> = e
        .chain()
        .map(|cause| cause.to_string())
        // The backtrace is attached as context whose text is the whole backtrace.
        .filter(|text| !text.contains("wasm backtrace:"))
        .collect();
    let mut text = String::new();
    for part in parts {
        // wasmtime repeats a cause's text in its context sometimes; keep the first.
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}
