//! What a run is built from: the store data (`Host`) and the resource limiter, the
//! [`Sandbox`] (a store made from the policy: WASI context, preopens, fuel, deadline), the
//! stop handle ([`RunControl`]), and the shared engines, linkers and compiled modules.

pub mod abort;
pub mod cache;
pub mod clock;
pub mod control;
pub mod disk_cache;
pub mod last_write;
pub mod output;
pub(crate) mod preopens;
pub mod shim;
pub mod watch;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use wasmtime::{
    Config, Engine, Linker, Module, ResourceLimiter, Store, UpdateDeadline, WasmBacktraceDetails,
};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{WasiCtxBuilder, WasiCtxView, WasiView};

use crate::engine::errors::{RunError, cause};
use crate::engine::events::{RunEvent, SAMPLE_INTERVAL_MS, StdStream};
use crate::engine::outcome::{
    GrowthEvent, MAX_RECORDED_DENIALS, Resource, ResourceSample, RunReport,
};
use crate::engine::policy::{Compiler, Invocation, SandboxPolicy, StdinSource};
pub use crate::engine::sandbox::abort::GuestAbort;
pub use crate::engine::sandbox::cache::Compiled;
pub use crate::engine::sandbox::control::RunControl;
use crate::engine::sandbox::output::ChannelOutput;
use crate::engine::sandbox::preopens::{PreparedDir, prepare_dirs};
use crate::engine::sandbox::shim::calllog::CallLog;

/// The data of one run's `Store`.
pub struct Host {
    /// The guest's WASI view of the world.
    pub wasi: WasiP1Ctx,
    /// Memory and table caps.
    pub limits: Limits,
    /// The capability log (it always counts refusals; it keeps calls when the policy asks).
    pub calls: Option<CallLog>,
    /// The disk quota on the read-write folders.
    pub quota: Option<crate::engine::sandbox::shim::quota::DiskQuota>,
    /// Where the guest stopped, and the guest profiler.
    pub(crate) watch: crate::engine::sandbox::watch::Watch,
    /// The WASI shim's instance in this run (core modules, from the first WASI call on).
    pub(crate) shim: Option<crate::engine::wasi::ShimInstance>,
    /// The recording of this run's WASI calls, when it records.
    pub(crate) recorder: Option<crate::engine::record::Recorder>,
    /// The recording this run replays, when it is a replay.
    pub(crate) replay: Option<crate::engine::record::Replayer>,
    /// A replay's search for the last write to a range (`--last-write`).
    pub(crate) last_write: Option<crate::engine::record::last_write::WriteWatch>,
    /// What an AssemblyScript guest passed to `env.abort`, when it called it.
    pub(crate) abort_words: Option<crate::engine::last_words::LastWords>,
    /// A time-travel replay's clock ([`clock`]), when its engine keeps one.
    pub(crate) clock: Option<Arc<clock::Clock>>,
}

impl crate::engine::sandbox::watch::Watched for Host {
    fn watch(&mut self) -> &mut crate::engine::sandbox::watch::Watch {
        &mut self.watch
    }
}

/// The same WASI context serves preview 1 and preview 2, with one resource table.
impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.ctx()
    }
}

/// The resource limiter: enforces the caps and reports every growth.
pub struct Limits {
    pub(crate) max_memory_bytes: u64,
    pub(crate) max_table_elements: u64,
    pub(crate) trap_on_grow_failure: bool,
    pub(crate) started: Instant,
    pub(crate) events: Sender<RunEvent>,
    /// Largest memory allowed so far.
    pub peak_memory_bytes: u64,
    /// Memory size after the last allowed growth.
    pub memory_bytes: u64,
    /// Table size after the last allowed growth.
    pub table_elements: u64,
    /// The first denied growths.
    pub denied: Vec<GrowthEvent>,
    /// All denied growths.
    pub denied_count: u64,
}

/// The error a denied growth raises when the policy asks to trap on it.
#[derive(Debug, thiserror::Error)]
#[error("{resource} growth to {desired} denied by the sandbox cap of {limit}")]
pub struct GrowthDenied {
    /// "memory" or "table".
    pub resource: &'static str,
    /// Asked-for size, formatted.
    pub desired: String,
    /// The cap, formatted.
    pub limit: String,
}

impl Limits {
    fn record(
        &mut self,
        resource: Resource,
        current: usize,
        desired: usize,
        limit: u64,
        allowed: bool,
    ) {
        let event = GrowthEvent {
            resource,
            current: current as u64,
            desired: desired as u64,
            limit,
            at_ms: self.started.elapsed().as_millis() as u64,
        };
        if allowed {
            match resource {
                Resource::Memory => {
                    self.peak_memory_bytes = self.peak_memory_bytes.max(desired as u64);
                    self.memory_bytes = desired as u64;
                }
                Resource::Table => self.table_elements = desired as u64,
            }
        } else {
            self.denied_count += 1;
            if self.denied.len() < MAX_RECORDED_DENIALS {
                self.denied.push(event.clone());
            }
        }
        // Never block inside the guest's call: if the channel is full the growth is still in
        // the final report (denials) and the next memory sample carries the size.
        let _ = self.events.try_send(RunEvent::Growth { event, allowed });
    }
}

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed =
            desired as u64 <= self.max_memory_bytes && maximum.is_none_or(|m| desired <= m);
        self.record(
            Resource::Memory,
            current,
            desired,
            self.max_memory_bytes,
            allowed,
        );
        if !allowed && self.trap_on_grow_failure {
            return Err(wasmtime::Error::new(GrowthDenied {
                resource: "memory",
                desired: crate::engine::format_bytes(desired as u64),
                limit: crate::engine::format_bytes(self.max_memory_bytes),
            }));
        }
        Ok(allowed)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed =
            desired as u64 <= self.max_table_elements && maximum.is_none_or(|m| desired <= m);
        self.record(
            Resource::Table,
            current,
            desired,
            self.max_table_elements,
            allowed,
        );
        if !allowed && self.trap_on_grow_failure {
            return Err(wasmtime::Error::new(GrowthDenied {
                resource: "table",
                desired: format!("{desired} elements"),
                limit: format!("{} elements", self.max_table_elements),
            }));
        }
        Ok(allowed)
    }
}

impl Limits {
    /// A limiter enforcing `policy`'s caps, reporting growths on `events`.
    pub(crate) fn new(policy: &SandboxPolicy, started: Instant, events: Sender<RunEvent>) -> Self {
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
    /// Applies `policy`, and passes `invocation` to the guest named `name`: WASI context,
    /// limiter, fuel, epoch deadline and samples.
    pub(crate) fn new(
        name: &str,
        policy: &SandboxPolicy,
        invocation: &Invocation,
        shared: &SharedEngine,
        control: &Arc<RunControl>,
        events: &Sender<RunEvent>,
    ) -> Result<Self, RunError> {
        let stdout = ChannelOutput::new(StdStream::Stdout, events.clone());
        let stderr = ChannelOutput::new(StdStream::Stderr, events.clone());
        control.set_outputs(vec![stdout.clone(), stderr.clone()]);
        // A replay reads nothing of the host: every WASI call is answered from the recording,
        // so the guest gets no folder, variable, argument or stdin of its own.
        let replaying = invocation.replay.is_some();
        let dirs = if replaying {
            Vec::new()
        } else {
            prepare_dirs(&policy.dirs, policy.allow_host_dirs)?
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(RunError::Runtime)?;
        // A stdin file is read by a task of this runtime, so it ends with the run.
        let wasi = {
            let _inside = runtime.enter();
            if replaying {
                let nothing = SandboxPolicy {
                    env: Vec::new(),
                    ..policy.clone()
                };
                let invocation = Invocation {
                    args: Vec::new(),
                    stdin: StdinSource::Empty,
                    ..invocation.clone()
                };
                build_wasi(name, &nothing, &invocation, &dirs, &stdout, &stderr)?
            } else {
                build_wasi(name, policy, invocation, &dirs, &stdout, &stderr)?
            }
        };
        let started = Instant::now();
        let mut store = Store::new(
            &shared.engine,
            Host {
                wasi,
                limits: Limits::new(policy, started, events.clone()),
                calls: Some(CallLog::new(policy, invocation, started, events.clone())),
                quota: Some(crate::engine::sandbox::shim::quota::DiskQuota::new(policy)),
                watch: crate::engine::sandbox::watch::Watch::new(
                    invocation.profiler_interval_ms,
                    events,
                ),
                shim: None,
                recorder: None,
                replay: None,
                last_write: None,
                abort_words: None,
                clock: shared
                    .clock
                    .then(|| Arc::new(clock::Clock::new(&shared.engine))),
            },
        );
        store.limiter(|host| &mut host.limits);
        if let Some(fuel) = policy.fuel {
            store.set_fuel(fuel).map_err(|e| RunError::Fuel(cause(e)))?;
        } else if shared.clock {
            store
                .set_fuel(clock::CLOCK_FUEL)
                .and_then(|()| store.fuel_async_yield_interval(Some(clock::TICK)))
                .map_err(|e| RunError::Fuel(cause(e)))?;
        }
        let deadline = policy.timeout().map(|t| started + t);
        if shared.epoch_checks {
            watch_epochs(&mut store, deadline, control, events, policy.fuel, started);
        }
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
        let paused = self.control.debug().paused_for();
        report.stats.paused_ms = paused.as_millis() as u64;
        report.stats.wall_ms = self.started.elapsed().saturating_sub(paused).as_millis() as u64;
        if let Some(fuel) = policy.fuel {
            report.stats.fuel_consumed = Some(fuel.saturating_sub(store.get_fuel().unwrap_or(0)));
        }
        let mut written = None;
        if let Some(mut log) = store.data_mut().calls.take() {
            log.flush();
            written = Some(std::mem::take(&mut log.written));
            report.calls = log.calls;
            report.calls_total = log.total;
            report.denials = log.denials;
            report.denials_total = log.denials_total;
        }
        store.data_mut().watch.finish(report);
        report.disk = store
            .data()
            .quota
            .as_ref()
            .and_then(crate::engine::sandbox::shim::quota::DiskQuota::usage);
        let limits = &mut store.data_mut().limits;
        report.stats.peak_memory_bytes = limits.peak_memory_bytes;
        report.denied_growths = std::mem::take(&mut limits.denied);
        report.denied_growths_count = limits.denied_count;
        self.control.set_outputs(Vec::new());
        self.stdout.finish();
        self.stderr.finish();
        report.stats.stdout_bytes = self.stdout.total_bytes();
        report.stats.stderr_bytes = self.stderr.total_bytes();
        // Kept whatever the outcome; the run drops them unless it ended by dying
        // ([`crate::engine::RunOutcome::invites_last_words`]).
        report.last_words = store
            .data_mut()
            .abort_words
            .take()
            .or_else(|| crate::engine::last_words::recognise(&self.stderr.tail()));
        report.file_changes = self
            .dirs
            .iter()
            .filter_map(|dir| dir.changes(written.as_ref()))
            .collect();
        report.scratch = self.dirs.iter().filter_map(|d| d.scratch.clone()).collect();
        store
    }
}

/// Looks at the run at every epoch tick (about every millisecond): ends it at the deadline
/// or on a stop request, and otherwise samples it and lets the executor look at the timer and
/// the stop signal before the guest goes on.
fn watch_epochs(
    store: &mut Store<Host>,
    deadline: Option<Instant>,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    fuel_budget: Option<u64>,
    started: Instant,
) {
    let control = Arc::clone(control);
    let samples = events.clone();
    let mut last_sample = started;
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut store| {
        let now = Instant::now();
        // Time spent paused in debug mode does not count.
        let paused = control.debug().paused_for();
        let past_deadline = deadline.is_some_and(|d| now >= d + paused)
            || store
                .data()
                .replay
                .as_ref()
                .and_then(|replay| replay.tail_deadline())
                .is_some_and(|d| now >= d + paused);
        // A clocked replay that passed its moment ends here, to be run again.
        let overshot = store.data().clock.as_ref().is_some_and(|c| c.overshot());
        if past_deadline || control.is_cancelled() || overshot {
            crate::engine::sandbox::watch::stopping(&mut store);
            Ok(UpdateDeadline::Interrupt)
        } else {
            crate::engine::sandbox::watch::tick(&mut store, now);
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
}

fn build_wasi(
    name: &str,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    dirs: &[PreparedDir],
    stdout: &ChannelOutput,
    stderr: &ChannelOutput,
) -> Result<WasiP1Ctx, RunError> {
    let mut builder = WasiCtxBuilder::new();
    builder.arg(invocation.argv0.as_deref().unwrap_or(name));
    builder.args(&invocation.args);
    builder.envs(&policy.env);
    match &invocation.stdin {
        StdinSource::Empty => {}
        StdinSource::Bytes(bytes) => {
            builder.stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(bytes.clone()));
        }
        StdinSource::File(path) => {
            let file = std::fs::File::open(path).map_err(|source| RunError::Stdin {
                path: path.clone(),
                source,
            })?;
            // Read ahead in small chunks as the guest reads, on the run's runtime: memory
            // stays bounded whatever the file's size, and a guest waiting on a slow file
            // (a pipe, a device) still stops at the timeout or on Stop.
            builder.stdin(wasmtime_wasi::cli::AsyncStdinStream::new(
                tokio::fs::File::from_std(file),
            ));
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
            .map_err(|e| RunError::Preopen {
                path: host.to_owned(),
                source: cause(e),
            })?;
    }
    Ok(builder.build_p1())
}

/// What changes compiled code, so one `Engine` serves every policy with the same key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EngineKey {
    /// Fuel metering on.
    pub fuel: bool,
    /// Maximum wasm stack.
    pub max_wasm_stack_bytes: usize,
    /// Which compiler.
    pub compiler: Compiler,
    /// Guest profiling: backtraces keep up to [`crate::engine::profiler::MAX_CAPTURE_FRAMES`]
    /// frames instead of wasmtime's 20.
    pub profiling: bool,
    /// Guest debugging (debug mode): locals and stack readable, breakpoints, slower code.
    pub debug: bool,
    /// Epoch checks compiled into every loop and function: what lets a timeout, Stop, the
    /// profiler and Pause interrupt the guest. Off only for a run that needs none of them
    /// ([`Invocation::needs_epoch_checks`]), where they would cost up to a quarter of a tight
    /// loop's speed for nothing.
    pub epoch_checks: bool,
    /// Deterministic floating point (NaN canonicalization, deterministic relaxed SIMD), as
    /// wasmtime documents for deterministic execution: on for runs that record or replay, so
    /// a replay on another machine computes the same bits.
    pub deterministic: bool,
    /// wasmtime resolves each captured frame's file:line (`wasm_backtrace_details`). Off for
    /// a profiled core module: wasmtime reads the DWARF anew for every frame, at every sample;
    /// the run's reported frames get their lines from the module's line table, once, at the
    /// end ([`crate::engine::sandbox::watch::add_source_lines`]).
    pub frame_lines: bool,
    /// The travel clock ([`clock`]): fuel at one unit per instruction, for time-travel
    /// replays that run at full speed.
    pub clock: bool,
}

impl EngineKey {
    /// The key a policy needs.
    pub fn for_policy(policy: &crate::engine::SandboxPolicy) -> Self {
        Self {
            fuel: policy.fuel.is_some(),
            max_wasm_stack_bytes: policy.max_wasm_stack_bytes,
            compiler: policy.compiler,
            profiling: false,
            debug: policy.debug,
            epoch_checks: true,
            deterministic: false,
            frame_lines: true,
            clock: false,
        }
    }

    /// The same engine, for runs that are recorded or replayed ([`EngineKey::deterministic`]).
    pub fn recorded(self) -> Self {
        Self {
            deterministic: true,
            ..self
        }
    }

    /// The key `request` runs under: profiled or not, and without epoch checks when the run
    /// needs none. A precompiled module keeps them and the frame lines: `wasmscope compile`
    /// writes code with both, and wasmtime loads code only into an engine configured alike.
    pub fn for_run(policy: &SandboxPolicy, invocation: &Invocation, precompiled: bool) -> Self {
        Self {
            profiling: invocation.profiler_interval_ms.is_some(),
            epoch_checks: invocation.needs_epoch_checks(policy) || precompiled,
            deterministic: invocation.is_recorded() && !precompiled,
            frame_lines: invocation.profiler_interval_ms.is_none() || precompiled,
            ..Self::for_policy(policy)
        }
    }

    /// The same key for a profiled run, or not.
    pub fn profiled(self, profiling: bool) -> Self {
        Self { profiling, ..self }
    }
}

/// Turns the on-disk code cache off for this process, as `WASMSCOPE_NO_DISK_CACHE` does
/// (for measurements a load from disk would blur).
pub fn disable_disk_cache() -> bool {
    disk_cache::disable();
    true
}

/// How many compiles the disk cache has answered in this process (a load from it is not a
/// compile: its time says nothing about compile speed).
pub fn disk_cache_hits() -> usize {
    disk_cache::hits()
}

/// An engine with its WASI linker, shared by all runs with the same [`EngineKey`].
#[derive(Clone)]
pub struct SharedEngine {
    /// The engine.
    pub engine: Engine,
    /// WASI preview 1 (and `wasi_unstable`) linked in.
    pub linker: Arc<Linker<Host>>,
    /// Whether its code checks the epoch ([`EngineKey::epoch_checks`]).
    pub epoch_checks: bool,
    /// Whether its code keeps the travel clock ([`EngineKey::clock`]).
    pub clock: bool,
    /// Linkers made for this engine on first need (a linker belongs to one engine, and an
    /// engine may be retired and replaced under the same settings).
    pub(crate) later: Arc<LaterLinkers>,
}

/// The linkers an engine gets on first need: the WASI shim's wrapping linker and the WASI
/// preview 2 linker for components.
#[derive(Default)]
pub(crate) struct LaterLinkers {
    pub(crate) shim: Mutex<Option<Arc<Linker<Host>>>>,
    pub(crate) preview2: Mutex<Option<Arc<wasmtime::component::Linker<Host>>>>,
}

pub(crate) fn make_linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |host: &mut Host| &mut host.wasi)?;
    wasmtime_wasi::p0::add_to_linker_async(&mut linker, |host: &mut Host| &mut host.wasi)?;
    abort::add_to_linker(&mut linker, |host: &mut Host| &mut host.abort_words)?;
    Ok(linker)
}

static ENGINES: OnceLock<Mutex<HashMap<EngineKey, SharedEngine>>> = OnceLock::new();
/// Engines no longer handed out ([`retire`]) that something may still run code in.
static RETIRED: Mutex<Vec<wasmtime::EngineWeak>> = Mutex::new(Vec::new());

/// Advances the epoch of every shared engine: the clock that timeouts and Stop read. A
/// retired engine still ticks while anything holds it (a run that started before).
pub fn increment_epochs() {
    if let Some(engines) = ENGINES.get() {
        for shared in engines.lock().unwrap_or_else(|p| p.into_inner()).values() {
            shared.engine.increment_epoch();
        }
    }
    RETIRED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|weak| match weak.upgrade() {
            Some(engine) => {
                engine.increment_epoch();
                true
            }
            None => false,
        });
}

/// Stops handing out `engine` (its big module left the code cache): the next run with its
/// settings gets a fresh engine, and this one, with the compiler buffers its big module left
/// behind, is freed once nothing holds it.
fn retire(engine: &Engine) {
    let Some(engines) = ENGINES.get() else {
        return;
    };
    engines
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|_, shared| !Engine::same(&shared.engine, engine));
    RETIRED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(engine.weak());
}

/// The shared engine for `key`, created on first use.
pub fn shared_engine(key: EngineKey) -> wasmtime::Result<SharedEngine> {
    let engines = ENGINES.get_or_init(|| {
        cache::set_retire_hook(retire);
        Default::default()
    });
    let mut engines = engines.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(shared) = engines.get(&key) {
        return Ok(shared.clone());
    }
    let mut config = Config::new();
    config.epoch_interruption(key.epoch_checks);
    config.consume_fuel(key.fuel || key.clock);
    if key.clock {
        config.operator_cost(clock::one_per_instruction());
    }
    if key.deterministic {
        config.cranelift_nan_canonicalization(true);
        config.relaxed_simd_deterministic(true);
    }
    config.max_wasm_stack(key.max_wasm_stack_bytes);
    // Async calls run on a separate stack that must hold the wasm stack plus host frames.
    config.async_stack_size(key.max_wasm_stack_bytes + 2 * 1024 * 1024);
    config.wasm_backtrace_details(if key.frame_lines {
        WasmBacktraceDetails::Enable
    } else {
        WasmBacktraceDetails::Disable
    });
    // A trap carries a coredump (memory, globals, stack) for `--coredump` and the GUI.
    config.coredump_on_trap(true);
    if key.profiling {
        config.wasm_backtrace_max_frames(std::num::NonZeroUsize::new(
            crate::engine::profiler::MAX_CAPTURE_FRAMES,
        ));
    }
    match key.compiler {
        Compiler::Cranelift => {
            config.strategy(wasmtime::Strategy::Cranelift);
        }
        Compiler::Winch => {
            config.strategy(wasmtime::Strategy::Winch);
        }
        Compiler::Pulley => {
            config.target("pulley64")?;
        }
    }
    if key.debug {
        crate::engine::debug::configure(&mut config, key.compiler)?;
    }
    let engine = Engine::new(&config)?;
    let shared = SharedEngine {
        later: Arc::default(),
        linker: Arc::new(make_linker(&engine)?),
        engine,
        epoch_checks: key.epoch_checks,
        clock: key.clock,
    };
    engines.insert(key, shared.clone());
    Ok(shared)
}

/// Compiles `wasm`, or returns it from the in-memory cache, bounded in bytes (see
/// [`crate::engine::sandbox::cache`]).
pub fn compile(shared: &SharedEngine, key: EngineKey, wasm: &[u8]) -> wasmtime::Result<Compiled> {
    compile_pinned(shared, key, wasm).map(|(compiled, _pin)| compiled)
}

/// Like [`compile`], and keeps the code cached, whatever its size, while the [`cache::Pin`]
/// lives (the window pins the open module's code, so Run is instant).
pub fn compile_pinned(
    shared: &SharedEngine,
    key: EngineKey,
    wasm: &[u8],
) -> wasmtime::Result<(Compiled, cache::Pin)> {
    // The cache knows code by its engine: one shared engine per key, or one retired since
    // `shared` was handed out (its code is cached under it, and goes when it is let go).
    debug_assert!(
        shared_engine(key).is_ok_and(|s| Engine::same(&s.engine, &shared.engine))
            || RETIRED
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .any(|weak| weak
                    .upgrade()
                    .is_some_and(|e| Engine::same(&e, &shared.engine)))
    );
    cache::compile_pinned(&shared.engine, wasm)
}

/// The proposal a compile error names, in words, from wasmtime's message.
fn proposal_named_in(text: &str) -> &'static str {
    let text = text.to_lowercase();
    if text.contains("exception") || text.contains("try_table") || text.contains("throw") {
        "exception handling"
    } else if text.contains("tail call") || text.contains("return_call") {
        "tail calls"
    } else if text.contains("relaxed") {
        "relaxed SIMD"
    } else if text.contains("function reference") || text.contains("typed func") {
        "typed function references"
    } else if text.contains("gc") || text.contains("struct") || text.contains("array") {
        "garbage collection (GC)"
    } else if text.contains("stack switching") || text.contains("cont") {
        "stack switching"
    } else {
        "a WebAssembly proposal"
    }
}

/// What to say when `wasm` does not compile under `compiler`. A module that is valid under
/// Cranelift but uses a proposal this compiler lacks (Winch has no exception handling, for
/// one) is not "invalid": say which proposal is missing and that Cranelift runs it.
pub fn compile_error_text(compiler: Compiler, wasm: &[u8], e: &wasmtime::Error) -> String {
    let text = crate::engine::errors::error_text(e);
    if compiler != Compiler::Cranelift {
        let key = EngineKey {
            compiler: Compiler::Cranelift,
            ..EngineKey::for_policy(&SandboxPolicy::default())
        };
        let valid_for_cranelift =
            shared_engine(key).is_ok_and(|shared| Module::validate(&shared.engine, wasm).is_ok());
        if valid_for_cranelift {
            return format!(
                "{} cannot compile this module: it lacks the {} proposal that the module uses \
                 ({text}). The module is valid: choose Cranelift as the compiler (Sandbox panel, \
                 or `--compiler cranelift`), which runs it",
                compiler.title(),
                proposal_named_in(&text),
            );
        }
    }
    format!("invalid module: {text}")
}
