//! The pieces a run is built from: the store data (`Host`), the resource limiter, the live
//! output streams, and the shared engines, linkers and compiled modules.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};
use wasmtime::{Config, Engine, Linker, Module, ResourceLimiter, Store, WasmBacktraceDetails};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

use crate::engine::events::{RunEvent, StdStream};
use crate::engine::inspect::FuncSig;
use crate::engine::outcome::{GrowthEvent, MAX_RECORDED_DENIALS, Resource};
use crate::engine::policy::Compiler;

/// The data of one run's `Store`.
pub struct Host {
    /// The guest's WASI view of the world.
    pub wasi: WasiP1Ctx,
    /// Memory and table caps.
    pub limits: Limits,
    /// The capability log, when the policy asks for it.
    pub calls: Option<crate::engine::calllog::CallLog>,
    /// The disk quota on the read-write folders.
    pub quota: Option<crate::engine::quota::DiskQuota>,
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

/// How many bytes of guest output may wait for the channel before the guest waits instead.
const MAX_PENDING_OUTPUT_BYTES: usize = 64 * 1024;
/// Output is sent in chunks of at least this much; smaller remainders go out on the next
/// tick (see [`ChannelOutput::tick`]), so a flood costs one event per 32 KiB, not per write.
const OUTPUT_CHUNK_BYTES: usize = 32 * 1024;

struct OutputState {
    stream: StdStream,
    pending: Vec<u8>,
    total_bytes: u64,
    events: Sender<RunEvent>,
    /// Someone calls [`ChannelOutput::tick`]: small writes may wait for it. Until then
    /// (e.g. the engine used without the runner) every write is sent at once.
    ticked: bool,
}

impl OutputState {
    /// Hands pending bytes to the channel without blocking; `false` if the channel is full.
    fn try_flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let bytes = std::mem::take(&mut self.pending);
        match self.events.try_send(RunEvent::Output {
            stream: self.stream,
            bytes,
        }) {
            Ok(()) => true,
            Err(TrySendError::Full(RunEvent::Output { bytes, .. })) => {
                self.pending = bytes;
                false
            }
            // Nobody listens any more: drop the output rather than stall the guest.
            Err(_) => true,
        }
    }
}

/// A guest's stdout or stderr: bytes go to the event channel as they are written, coalesced
/// while the channel is full; past 64 KiB pending the guest waits (in an async wait that the
/// timeout and Stop can still end).
#[derive(Clone)]
pub struct ChannelOutput(Arc<Mutex<OutputState>>);

impl ChannelOutput {
    /// A stream that sends `stream` output on `events`.
    pub fn new(stream: StdStream, events: Sender<RunEvent>) -> Self {
        Self(Arc::new(Mutex::new(OutputState {
            stream,
            pending: Vec::new(),
            total_bytes: 0,
            events,
            ticked: false,
        })))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, OutputState> {
        // A poisoned lock means a panic while appending bytes; the bytes are still valid.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bytes the guest wrote in all.
    pub fn total_bytes(&self) -> u64 {
        self.state().total_bytes
    }

    /// Sends what is still pending, waiting for room. Call outside any guest call.
    pub fn finish(&self) {
        let mut state = self.state();
        if !state.pending.is_empty() {
            let bytes = std::mem::take(&mut state.pending);
            let _ = state.events.send(RunEvent::Output {
                stream: state.stream,
                bytes,
            });
        }
    }

    fn accept(&self, bytes: &[u8]) -> usize {
        let mut state = self.state();
        let room = MAX_PENDING_OUTPUT_BYTES.saturating_sub(state.pending.len());
        let n = bytes.len().min(room);
        state.pending.extend_from_slice(&bytes[..n]);
        state.total_bytes += n as u64;
        if state.pending.len() >= OUTPUT_CHUNK_BYTES || !state.ticked {
            state.try_flush();
        }
        n
    }

    /// Sends what is pending without blocking. The runner's ticker calls this every
    /// millisecond, so output is never held back for longer than that.
    pub fn tick(&self) {
        let mut state = self.state();
        state.ticked = true;
        state.try_flush();
    }

    fn room(&self) -> usize {
        let mut state = self.state();
        if state.pending.len() >= MAX_PENDING_OUTPUT_BYTES {
            state.try_flush();
        }
        MAX_PENDING_OUTPUT_BYTES.saturating_sub(state.pending.len())
    }
}

impl std::fmt::Debug for ChannelOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state();
        f.debug_struct("ChannelOutput")
            .field("stream", &state.stream)
            .field("pending_bytes", &state.pending.len())
            .field("total_bytes", &state.total_bytes)
            .finish()
    }
}

impl IsTerminal for ChannelOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for ChannelOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl OutputStream for ChannelOutput {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        // `check_write` granted room for these bytes, so `accept` takes them all.
        self.accept(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        // With a ticker, pending bytes go out within a millisecond anyway; sending on every
        // flush (p1 flushes after each write) would cost one event per write in a flood.
        let mut state = self.state();
        if !state.ticked {
            state.try_flush();
        }
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(self.room())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for ChannelOutput {
    async fn ready(&mut self) {
        while self.room() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl tokio::io::AsyncWrite for ChannelOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.room() == 0 {
            // Ask to be polled again soon; the channel drains on another thread.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Ok(self.accept(buf)))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.state().try_flush();
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
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
}

impl EngineKey {
    /// The key a policy needs.
    pub fn for_policy(policy: &crate::engine::SandboxPolicy) -> Self {
        Self {
            fuel: policy.fuel.is_some(),
            max_wasm_stack_bytes: policy.max_wasm_stack_bytes,
            compiler: policy.compiler,
        }
    }
}

/// wasmtime's on-disk compiled-code cache, unless `WASMSCOPE_NO_DISK_CACHE` is set or the
/// cache cannot be set up (then compiles simply are not cached on disk).
fn disk_cache() -> Option<wasmtime::Cache> {
    static CACHE: OnceLock<Option<wasmtime::Cache>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            if std::env::var_os("WASMSCOPE_NO_DISK_CACHE").is_some() {
                return None;
            }
            match wasmtime::Cache::new(wasmtime::CacheConfig::new()) {
                Ok(cache) => Some(cache),
                Err(e) => {
                    tracing::warn!("compiled-code cache disabled: {e:#}");
                    None
                }
            }
        })
        .clone()
}

/// An engine with its WASI linker, shared by all runs with the same [`EngineKey`].
#[derive(Clone)]
pub struct SharedEngine {
    /// The engine.
    pub engine: Engine,
    /// WASI preview 1 (and `wasi_unstable`) linked in.
    pub linker: Arc<Linker<Host>>,
}

fn make_linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |host: &mut Host| &mut host.wasi)?;
    wasmtime_wasi::p0::add_to_linker_async(&mut linker, |host: &mut Host| &mut host.wasi)?;
    Ok(linker)
}

static ENGINES: OnceLock<Mutex<HashMap<EngineKey, SharedEngine>>> = OnceLock::new();

/// Advances the epoch of every shared engine: the clock that timeouts and Stop read.
pub fn increment_epochs() {
    if let Some(engines) = ENGINES.get() {
        for shared in engines.lock().unwrap_or_else(|p| p.into_inner()).values() {
            shared.engine.increment_epoch();
        }
    }
}

/// The shared engine for `key`, created on first use.
pub fn shared_engine(key: EngineKey) -> wasmtime::Result<SharedEngine> {
    let engines = ENGINES.get_or_init(Default::default);
    let mut engines = engines.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(shared) = engines.get(&key) {
        return Ok(shared.clone());
    }
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.consume_fuel(key.fuel);
    config.max_wasm_stack(key.max_wasm_stack_bytes);
    // Async calls run on a separate stack that must hold the wasm stack plus host frames.
    config.async_stack_size(key.max_wasm_stack_bytes + 2 * 1024 * 1024);
    config.wasm_backtrace_details(WasmBacktraceDetails::Enable);
    // A trap carries a coredump (memory, globals, stack) for `--coredump` and the GUI.
    config.coredump_on_trap(true);
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
    config.cache(disk_cache());
    let engine = Engine::new(&config)?;
    let shared = SharedEngine {
        linker: Arc::new(make_linker(&engine)?),
        engine,
    };
    engines.insert(key, shared.clone());
    Ok(shared)
}

/// A compiled module and whether it came from the cache.
pub struct Compiled {
    /// The module.
    pub module: Module,
    /// Compile time (zero when cached).
    pub compile_time: Duration,
    /// Whether it came from the in-memory cache.
    pub cached: bool,
}

/// Loads a precompiled `.cwasm` made by `wasmscope compile` (or `wasmtime compile` of this
/// wasmtime version with a matching configuration).
pub fn deserialize(shared: &SharedEngine, bytes: &[u8]) -> wasmtime::Result<Compiled> {
    let started = Instant::now();
    // SAFETY: `Module::deserialize` trusts the bytes to be machine code that wasmtime wrote.
    // wasmscope only loads precompiled files that the user chose to open or run, and says
    // so where it offers them; wasmtime still checks the header, version and configuration.
    #[allow(unsafe_code)]
    let module = unsafe { Module::deserialize(&shared.engine, bytes)? };
    Ok(Compiled {
        module,
        compile_time: started.elapsed(),
        cached: false,
    })
}

/// Whether `bytes` are a precompiled wasmtime module (a `.cwasm`), by their header.
pub fn is_precompiled(bytes: &[u8]) -> bool {
    matches!(
        Engine::detect_precompiled(bytes),
        Some(wasmtime::Precompiled::Module)
    )
}

/// Compiles `wasm` ahead of time into the bytes of a `.cwasm` for this engine.
pub fn precompile(shared: &SharedEngine, wasm: &[u8]) -> wasmtime::Result<Vec<u8>> {
    shared.engine.precompile_module(wasm)
}

/// How many compiled modules the in-memory cache keeps.
const MODULE_CACHE_ENTRIES: usize = 8;

/// Compiles `wasm`, or returns it from the in-memory cache keyed by content hash and engine.
pub fn compile(shared: &SharedEngine, key: EngineKey, wasm: &[u8]) -> wasmtime::Result<Compiled> {
    type Cache = Mutex<Vec<((EngineKey, u64, usize), Module)>>;
    static MODULES: OnceLock<Cache> = OnceLock::new();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    wasm.hash(&mut hasher);
    let cache_key = (key, hasher.finish(), wasm.len());
    let modules = MODULES.get_or_init(Default::default);
    if let Some((_, module)) = modules
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .find(|(k, _)| *k == cache_key)
    {
        return Ok(Compiled {
            module: module.clone(),
            compile_time: Duration::ZERO,
            cached: true,
        });
    }
    let started = Instant::now();
    let module = Module::new(&shared.engine, wasm)?;
    let compile_time = started.elapsed();
    let mut modules = modules.lock().unwrap_or_else(|p| p.into_inner());
    if modules.len() >= MODULE_CACHE_ENTRIES {
        modules.remove(0);
    }
    modules.push((cache_key, module.clone()));
    Ok(Compiled {
        module,
        compile_time,
        cached: false,
    })
}

/// Every function the sandbox provides, with its signature, keyed by (module, name).
/// Read once from a real linker, so it is exactly what a run can link against.
pub fn provided_imports() -> &'static HashMap<(String, String), FuncSig> {
    static PROVIDED: OnceLock<HashMap<(String, String), FuncSig>> = OnceLock::new();
    PROVIDED.get_or_init(|| {
        let engine = Engine::default();
        let Ok(linker) = make_linker(&engine) else {
            return HashMap::new();
        };
        let wasi = wasmtime_wasi::WasiCtxBuilder::new().build_p1();
        let (tx, _rx) = crossbeam_channel::bounded(1);
        let mut store = Store::new(
            &engine,
            Host {
                wasi,
                limits: Limits {
                    max_memory_bytes: 0,
                    max_table_elements: 0,
                    trap_on_grow_failure: false,
                    started: Instant::now(),
                    events: tx,
                    peak_memory_bytes: 0,
                    memory_bytes: 0,
                    table_elements: 0,
                    denied: Vec::new(),
                    denied_count: 0,
                },
                calls: None,
                quota: None,
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
