//! The in-memory cache of compiled modules, bounded in bytes.
//!
//! Compiled code for modules that are not open stays within [`MODULE_CACHE_BYTES`] (least
//! recently used goes first), so after a big module is replaced the process returns near its
//! baseline. The open module's code is *pinned* ([`Pin`]) and kept whatever its size, so Run
//! is instant however often it is pressed. A module being compiled is compiled once: a second
//! caller (a run started while the background compile is still going) waits for the first.
//!
//! Code is keyed by the engine that compiled it (one shared engine per set of settings, so the
//! engine stands for the settings) and the module's content hash and length.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use wasmtime::{Engine, Module};

/// Compiled code kept for modules that are not open (not pinned), at most, by default.
pub const MODULE_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A module of at least this many bytes (of wasm) is "big": compiling it can leave the
/// engine's compiler holding buffers sized for its largest functions (80 MiB for eight
/// functions of 40,000 instructions, hundreds for a 69 MB module) for as long as the engine
/// lives. When such a module leaves the cache its engine is retired ([`set_retire_hook`]), so
/// that memory goes too; the next compile gets a fresh engine, which costs milliseconds.
pub const BIG_MODULE_BYTES: usize = 1024 * 1024;

/// Called with an engine whose big module left the cache: the engines' owner stops handing it
/// out, so it is freed once nothing else holds it.
static RETIRE: OnceLock<fn(&Engine)> = OnceLock::new();

/// Sets who retires an engine once its big module left the cache (the shared engines'
/// owner, which sits above this file and so cannot be called from here directly).
pub fn set_retire_hook(retire: fn(&Engine)) {
    let _ = RETIRE.set(retire);
}

static BOUND_BYTES: AtomicUsize = AtomicUsize::new(MODULE_CACHE_BYTES);

/// A compiled module and whether it came from the cache.
pub struct Compiled {
    /// The module.
    pub module: Module,
    /// Compile time (zero when cached).
    pub compile_time: Duration,
    /// Whether it came from the in-memory cache.
    pub cached: bool,
}

/// Sets the bound on compiled code kept for modules that are not open (default
/// [`MODULE_CACHE_BYTES`]); 0 keeps only pinned code. Evicts at once.
pub fn set_bound_bytes(bytes: usize) {
    BOUND_BYTES.store(bytes, Ordering::Relaxed);
    let evicted = lock().evict();
    evicted.finish();
}

/// The bound on compiled code kept for modules that are not open.
pub fn bound_bytes() -> usize {
    BOUND_BYTES.load(Ordering::Relaxed)
}

/// What identifies compiled code: the engine that compiled it, the content's hash and length.
#[derive(Clone)]
struct Key {
    engine: Engine,
    hash: u64,
    len: usize,
}

impl Key {
    fn new(engine: &Engine, wasm: &[u8]) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        wasm.hash(&mut hasher);
        Self {
            engine: engine.clone(),
            hash: hasher.finish(),
            len: wasm.len(),
        }
    }

    fn is(&self, other: &Key) -> bool {
        self.hash == other.hash
            && self.len == other.len
            && Engine::same(&self.engine, &other.engine)
    }
}

struct Entry {
    key: Key,
    module: Module,
    /// The compiled image's size in memory.
    bytes: usize,
    /// How many [`Pin`]s hold it.
    pins: usize,
    /// When it was last used, on the cache's own clock.
    used: u64,
}

#[derive(Default)]
struct Cache {
    entries: Vec<Entry>,
    /// Keys being compiled right now.
    in_flight: Vec<Key>,
    clock: u64,
}

impl Cache {
    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    fn find(&mut self, key: &Key) -> Option<&mut Entry> {
        self.entries.iter_mut().find(|e| e.key.is(key))
    }

    /// Drops the least recently used unpinned entries until they fit the bound. The engine
    /// of a big module dropped is to be retired: its other unpinned modules go with it, so
    /// nothing here keeps it alive.
    fn evict(&mut self) -> Evicted {
        let mut evicted = Evicted::default();
        loop {
            let unpinned: usize = self
                .entries
                .iter()
                .filter(|e| e.pins == 0)
                .map(|e| e.bytes)
                .sum();
            if unpinned <= bound_bytes() {
                break;
            }
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.pins == 0)
                .min_by_key(|(_, e)| e.used)
                .map(|(i, _)| i);
            let Some(index) = oldest else {
                break;
            };
            let entry = self.entries.swap_remove(index);
            evicted.any = true;
            if entry.key.len >= BIG_MODULE_BYTES {
                evicted.retire.push(entry.key.engine);
            }
        }
        for engine in &evicted.retire {
            self.entries
                .retain(|e| e.pins > 0 || !Engine::same(&e.key.engine, engine));
        }
        evicted
    }
}

/// What an eviction dropped; [`Evicted::finish`] retires engines and gives memory back, once
/// the cache's lock is let go.
#[derive(Default)]
#[must_use]
struct Evicted {
    any: bool,
    /// Engines whose big module was dropped.
    retire: Vec<Engine>,
}

impl Evicted {
    fn finish(self) {
        if !self.any {
            return;
        }
        if let Some(retire) = RETIRE.get() {
            for engine in &self.retire {
                retire(engine);
            }
        }
        // The engines' compiler buffers are freed as the last clone goes (here, unless a run
        // still holds one): then the allocator can give the memory back.
        drop(self.retire);
        release_free_memory();
    }
}

struct Shared {
    cache: Mutex<Cache>,
    /// Signalled when a compile in flight ends.
    done: Condvar,
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| Shared {
        cache: Mutex::new(Cache::default()),
        done: Condvar::new(),
    })
}

fn lock() -> MutexGuard<'static, Cache> {
    // A poisoned lock means a panic while editing the list; the list itself is still sound.
    shared().cache.lock().unwrap_or_else(|p| p.into_inner())
}

/// The size of a compiled module's image in memory.
fn image_bytes(module: &Module) -> usize {
    let range = module.image_range();
    (range.end as usize).saturating_sub(range.start as usize)
}

/// Hands memory the allocator keeps after a compile back to the system. Cranelift allocates
/// hundreds of MiB while compiling a big module and frees them, but glibc keeps freed memory
/// in its arenas: without this the idle process stays near its peak after the compile.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    #[allow(unsafe_code)]
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: `malloc_trim` takes no pointers and only returns free pages to the kernel; glibc
    // locks each arena while it trims, so it is safe from any thread at any time.
    #[allow(unsafe_code)]
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// Keeps a module's compiled code in the cache while it lives (the open module's).
pub struct Pin(Option<Key>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pin({} bytes of wasm)",
            self.0.as_ref().map_or(0, |key| key.len)
        )
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        let Some(key) = self.0.take() else {
            return;
        };
        let mut cache = lock();
        if let Some(entry) = cache.find(&key) {
            entry.pins = entry.pins.saturating_sub(1);
        }
        // The key holds its engine: let go of it before an evicted engine is retired.
        drop(key);
        let evicted = cache.evict();
        drop(cache);
        evicted.finish();
    }
}

/// Removes a key from the in-flight list even if the compile panics, and wakes the waiters.
struct InFlight(Key);

impl Drop for InFlight {
    fn drop(&mut self) {
        lock().in_flight.retain(|k| !k.is(&self.0));
        shared().done.notify_all();
    }
}

/// Compiles `wasm` with `engine`, or returns it from the cache; waits for a compile of the
/// same module that is already under way rather than compiling it twice. The result stays
/// cached only while it fits the bound (or something else pins it).
pub fn compile(engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Compiled> {
    compile_pinned(engine, wasm).map(|(compiled, _pin)| compiled)
}

/// Like [`compile`], and pins the result: it stays cached, whatever its size, until the
/// [`Pin`] is dropped.
pub fn compile_pinned(engine: &Engine, wasm: &[u8]) -> wasmtime::Result<(Compiled, Pin)> {
    load_pinned(engine, wasm, || {
        let started = Instant::now();
        if let Some(module) = crate::engine::sandbox::disk_cache::load(engine, wasm) {
            return Ok((module, started.elapsed()));
        }
        let module = Module::new(engine, wasm)?;
        let compile_time = started.elapsed();
        crate::engine::sandbox::disk_cache::save(engine, wasm, &module);
        Ok((module, compile_time))
    })
}

/// The cache's one way in: the module for `bytes` under `engine` from the cache, or made by
/// `make` (which compiles wasm or loads precompiled code, and says how long it took) and
/// cached, pinned. A second caller for the same bytes waits for the first `make`.
pub(crate) fn load_pinned(
    engine: &Engine,
    bytes: &[u8],
    make: impl FnOnce() -> wasmtime::Result<(Module, Duration)>,
) -> wasmtime::Result<(Compiled, Pin)> {
    let key = Key::new(engine, bytes);
    let mut cache = lock();
    loop {
        let now = cache.tick();
        if let Some(entry) = cache.find(&key) {
            entry.used = now;
            entry.pins += 1;
            let compiled = Compiled {
                module: entry.module.clone(),
                compile_time: Duration::ZERO,
                cached: true,
            };
            return Ok((compiled, Pin(Some(key))));
        }
        if !cache.in_flight.iter().any(|k| k.is(&key)) {
            break;
        }
        cache = shared().done.wait(cache).unwrap_or_else(|p| p.into_inner());
    }
    cache.in_flight.push(key.clone());
    drop(cache);
    let in_flight = InFlight(key.clone());
    let (module, compile_time) = make()?;
    let mut cache = lock();
    let used = cache.tick();
    cache.entries.push(Entry {
        key: key.clone(),
        module: module.clone(),
        bytes: image_bytes(&module),
        pins: 1,
        used,
    });
    drop(cache);
    drop(in_flight);
    release_free_memory();
    let compiled = Compiled {
        module,
        compile_time,
        cached: false,
    };
    Ok((compiled, Pin(Some(key))))
}

/// Bytes of compiled code the cache holds: `(pinned, not pinned)`.
pub fn cached_bytes() -> (usize, usize) {
    let cache = lock();
    cache.entries.iter().fold((0, 0), |(pinned, free), e| {
        if e.pins > 0 {
            (pinned + e.bytes, free)
        } else {
            (pinned, free + e.bytes)
        }
    })
}

/// Whether code for `wasm` compiled with `engine` is in the cache.
pub fn is_cached(engine: &Engine, wasm: &[u8]) -> bool {
    let key = Key::new(engine, wasm);
    lock().entries.iter().any(|e| e.key.is(&key))
}
