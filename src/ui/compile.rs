//! Compiling before Run: the open module is compiled in the background as soon as it loads
//! (and again when the compiler, fuel or stack setting changes), so Run starts at once once it
//! is done. While it compiles the window says how long it has taken and about how long it will
//! take, from the module's size and the compile speed measured on this machine.
//!
//! One compile at a time, on a [`Job`]: a compile under way cannot be interrupted (wasmtime
//! offers no way), so a module opened meanwhile waits for it, and a newer one replaces a
//! module that still waits. A result for a module no longer open is dropped: its code stays in
//! the cache only within the cache's byte bound ([`crate::engine::sandbox::cache`]).

use eframe::egui;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::engine::module::inspect::ModuleKind;
use crate::engine::policy::Compiler;
use crate::engine::sandbox::cache::Pin;
use crate::engine::sandbox::{self, EngineKey};
use crate::ui::job::Job;
use crate::ui::loader::Module;
use crate::ui::theme::bytes_text;

/// Modules with less code than this compile in well under a second; their speed says more
/// about fixed costs than about throughput, so it is not remembered.
const MIN_MEASURED_BYTES: u64 = 256 * 1024;

/// What one function adds to a compile's work beyond its code: its signature, prologue and
/// the compiler's per-function setup, counted as this many bytes of code (a guess that makes
/// a module of many tiny functions slower than its bytes alone say).
const FUNCTION_OVERHEAD_BYTES: u64 = 100;

/// What a compile works through: the code section and the number of functions, not the
/// file's size (a 22 MB module may be mostly data and compile in a second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompileWork {
    /// The code section's size.
    pub code_bytes: u64,
    /// Functions defined in the module.
    pub functions: u32,
}

impl CompileWork {
    /// The work of compiling `info`'s module.
    pub fn of(info: &crate::engine::ModuleInfo) -> Self {
        Self {
            code_bytes: info.code_bytes,
            functions: info.defined_functions,
        }
    }

    /// The work in code-byte equivalents.
    fn units(self) -> f64 {
        (self.code_bytes + u64::from(self.functions) * FUNCTION_OVERHEAD_BYTES) as f64
    }
}

/// Compile speed on this machine, per compiler, remembered between sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompileSpeeds {
    /// Work ([`CompileWork`] units: code bytes, plus an allowance per function) compiled per
    /// second, by compiler name, averaged over recent compiles. (Speeds learnt from file sizes
    /// by earlier versions were kept under another name and are not read.)
    pub code_bytes_per_second: BTreeMap<String, f64>,
}

impl CompileSpeeds {
    /// A first guess per compiler, before this machine has compiled anything big: measured
    /// on a 2-core machine (see the README's "Compiling, and the memory it takes").
    fn default_speed(compiler: Compiler) -> f64 {
        match compiler {
            Compiler::Cranelift => 1.5e6,
            Compiler::Winch => 8.0e6,
            Compiler::Pulley => 1.5e6,
        }
    }

    /// Remembers a compile of `work` that took `took`. A compile served from a cache (ours in
    /// memory, or wasmtime's on disk) compiled nothing and teaches nothing.
    pub fn record(&mut self, compiler: Compiler, work: CompileWork, took: Duration, cached: bool) {
        if cached || work.code_bytes < MIN_MEASURED_BYTES || took.is_zero() {
            return;
        }
        let speed = work.units() / took.as_secs_f64();
        let entry = self
            .code_bytes_per_second
            .entry(compiler.name().to_owned())
            .or_insert(speed);
        // Recent compiles weigh more: the machine and the modules change.
        *entry = *entry * 0.5 + speed * 0.5;
    }

    /// About how long `work` takes to compile, and whether the speed was measured here.
    pub fn estimate(&self, compiler: Compiler, work: CompileWork) -> (Duration, bool) {
        let measured = self
            .code_bytes_per_second
            .get(compiler.name())
            .copied()
            .filter(|s| s.is_finite() && *s > 0.0);
        let speed = measured.unwrap_or_else(|| Self::default_speed(compiler));
        (
            Duration::from_secs_f64(work.units() / speed),
            measured.is_some(),
        )
    }
}

/// "3.1 s of about 31 s (measured here)" while a compile is within its estimate; once it
/// outlasts it, the time so far and the estimate it passed, with no new guess: the compiler
/// does not say how far it is, and an estimate revised as the compile goes only drifts
/// ("31 s" becoming "1 min 47 s" for a 1 min 12 s compile).
pub fn progress_words(estimate: Duration, elapsed: Duration, measured: bool) -> String {
    if elapsed <= estimate {
        let basis = if measured {
            "measured here"
        } else {
            "first guess"
        };
        format!(
            "{} of about {} ({basis})",
            duration_text(elapsed),
            duration_text(estimate)
        )
    } else {
        format!(
            "{}, longer than the {} expected",
            duration_text(elapsed),
            duration_text(estimate)
        )
    }
}

/// A finished background compile.
#[derive(Debug)]
pub struct CompileDone {
    /// How long the compile took (zero when the code was cached already).
    pub compile_time: Duration,
    /// Whether the code came from the cache.
    pub cached: bool,
    /// Whether wasmtime's disk cache had the code (a load, not a compile).
    pub from_disk_cache: bool,
    /// Keeps the code cached while the module stays open.
    _pin: Pin,
}

/// What a background compile answers: the code is ready, or why the module does not compile.
pub type CompileResult = Result<CompileDone, String>;

/// Compiles `wasm` for `key` into the cache, pinned (the work of a background compile).
pub fn compile(wasm: &[u8], key: EngineKey) -> CompileResult {
    let shared =
        sandbox::shared_engine(key).map_err(|e| format!("cannot configure the engine: {e:#}"))?;
    let hits = sandbox::disk_cache_hits();
    let (compiled, pin) = sandbox::compile_pinned(&shared, key, wasm)
        .map_err(|e| sandbox::compile_error_text(key.compiler, wasm, &e))?;
    Ok(CompileDone {
        compile_time: compiled.compile_time,
        cached: compiled.cached,
        // Another compile at the same moment may be the hit; then one speed goes unlearnt.
        from_disk_cache: sandbox::disk_cache_hits() > hits,
        _pin: pin,
    })
}

/// Which module generation and engine settings a compile is for.
type Target = (u64, EngineKey);

/// The compile on its thread.
struct Running {
    target: Target,
    wasm_bytes: usize,
    work: CompileWork,
    job: Job<CompileResult>,
}

/// A module waiting for the compile under way to end.
struct Waiting {
    target: Target,
    wasm: Arc<[u8]>,
    work: CompileWork,
}

/// The open module's background compile.
#[derive(Default)]
pub struct CompileState {
    /// What the open module needs compiled, if anything.
    target: Option<Target>,
    running: Option<Running>,
    waiting: Option<Waiting>,
    /// How the compile for `target` ended.
    finished: Option<CompileResult>,
}

/// "12 s", "1 min 5 s", "0.4 s".
pub fn duration_text(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else if secs < 60.0 {
        format!("{secs:.0} s")
    } else {
        format!(
            "{} min {} s",
            duration.as_secs() / 60,
            duration.as_secs() % 60
        )
    }
}

/// A measured time in milliseconds as a reader takes it in: "850 ms" up to 10 s, then
/// [`duration_text`] ("12 s", "3 min 50 s").
pub fn millis_text(ms: u64) -> String {
    if ms < 10_000 {
        format!("{ms} ms")
    } else {
        duration_text(Duration::from_millis(ms))
    }
}

/// Whether a background compile makes sense: a core module that can link (precompiled code
/// is loaded, and pinned, when the user allows it; components take their own path).
fn worth_compiling(module: &Module) -> bool {
    module.info.kind == ModuleKind::CoreModule && module.info.unresolved.is_empty()
}

impl CompileState {
    /// Keeps the background compile in step with the open module and the engine settings:
    /// asks for one for a new module (or new settings), replacing a module that still waits;
    /// forgets the result when the module closes. Measured speeds go to `speeds`. Call every
    /// frame.
    pub fn follow(
        &mut self,
        module: Option<&Module>,
        generation: u64,
        key: EngineKey,
        speeds: &mut CompileSpeeds,
        ctx: &egui::Context,
    ) {
        self.poll(speeds);
        let wanted = module.filter(|m| worth_compiling(m));
        let target = wanted.map(|_| (generation, key));
        if target != self.target {
            self.target = target;
            // Dropping the last result unpins its code: the cache keeps it only within its
            // bound.
            self.finished = None;
            self.waiting = wanted.map(|m| Waiting {
                target: (generation, key),
                wasm: Arc::clone(&m.wasm),
                work: CompileWork::of(&m.info),
            });
        }
        if self.running.is_none()
            && let Some(waiting) = self.waiting.take()
        {
            let wasm = waiting.wasm;
            let wasm_bytes = wasm.len();
            let work = waiting.work;
            let label = format!("compiling a {} module", bytes_text(wasm_bytes as u64));
            let compiler = waiting.target.1;
            match Job::spawn("compile", label, ctx, move || compile(&wasm, compiler)) {
                Ok(job) => {
                    self.running = Some(Running {
                        target: waiting.target,
                        wasm_bytes,
                        work,
                        job,
                    });
                }
                Err(err) => {
                    self.finished = Some(Err(format!("cannot start the compile thread: {err:#}")));
                }
            }
        }
        if self.running.is_some() {
            // Elapsed time moves even when nothing else happens.
            ctx.request_repaint_after(Duration::from_millis(250));
        }
    }

    fn poll(&mut self, speeds: &mut CompileSpeeds) {
        let Some(result) = self.running.as_ref().and_then(|r| r.job.poll()) else {
            return;
        };
        let Some(running) = self.running.take() else {
            return;
        };
        if Some(running.target) != self.target {
            // For a module no longer open (or older settings): dropped, with its pin.
            return;
        }
        let result = result.unwrap_or_else(|lost| Err(lost.to_string()));
        if let Ok(done) = &result {
            speeds.record(
                running.target.1.compiler,
                running.work,
                done.compile_time,
                done.cached || done.from_disk_cache,
            );
        }
        self.finished = Some(result);
    }

    /// Whether the open module is being compiled in the background (or waits to be).
    pub fn is_compiling(&self) -> bool {
        self.target.is_some()
            && (self.waiting.is_some() || self.running.as_ref().map(|r| r.target) == self.target)
    }

    /// Whether the open module's code is compiled and waiting for Run.
    pub fn is_ready(&self) -> bool {
        matches!(self.finished, Some(Ok(_)))
    }

    /// "3.1 s of about 1 min 2 s (…)", for the compile of the open module, or what it waits
    /// for; `None` when it is not compiling.
    fn progress_text(&self, speeds: &CompileSpeeds) -> Option<String> {
        if !self.is_compiling() {
            return None;
        }
        let Some(running) = self
            .running
            .as_ref()
            .filter(|r| Some(r.target) == self.target)
        else {
            return Some(
                "waiting for the previous module's compile to end (it cannot be interrupted)"
                    .to_owned(),
            );
        };
        let compiler = running.target.1.compiler;
        let (estimate, measured) = speeds.estimate(compiler, running.work);
        // Short: the toolbar shares its row at 1024 points wide; the hover says more.
        Some(progress_words(
            estimate,
            running.job.started().elapsed(),
            measured,
        ))
    }

    /// A line for the toolbar: compiling (with time and estimate), ready, or why not.
    pub fn status_ui(&self, ui: &mut egui::Ui, speeds: &CompileSpeeds) {
        if let Some(progress) = self.progress_text(speeds) {
            ui.spinner();
            let (compiler, bytes, work) = self
                .target
                .zip(self.running.as_ref().map(|r| (r.wasm_bytes, r.work)))
                .map_or(
                    ("The compiler", 0, CompileWork::default()),
                    |((_, key), (bytes, work))| (key.compiler.title(), bytes, work),
                );
            // Truncated rather than pushing the toolbar past a narrow window.
            ui.add(egui::Label::new(format!("Compiling: {progress}")).truncate())
                .on_hover_text(format!(
                    "{compiler} compiles the module ({}, of which {} code in {} functions) in \
                     the background, so Run starts at once when it is done. Run now waits for \
                     this compile; Stop returns the window to idle at once.\n\nThe estimate \
                     comes from the module's code and function count and the compile speed \
                     measured on this machine (a first guess until a module with over 256 KiB \
                     of code has compiled here; loads from a cache do not count). A compile \
                     that outlasts it says so, without a new guess: the compiler does not \
                     say how far it is.",
                    bytes_text(bytes as u64),
                    bytes_text(work.code_bytes),
                    work.functions,
                ));
            return;
        }
        match &self.finished {
            Some(Ok(done)) => {
                let text = if done.cached {
                    "Compiled (cached): Run starts at once".to_owned()
                } else {
                    format!(
                        "Compiled in {}: Run starts at once",
                        duration_text(done.compile_time)
                    )
                };
                ui.weak(text);
            }
            Some(Err(message)) => {
                ui.add(
                    egui::Label::new(
                        RichText::new("Does not compile (see Run)")
                            .color(ui.visuals().warn_fg_color),
                    )
                    .truncate(),
                )
                .on_hover_text(message.as_str());
            }
            None => {}
        }
    }

    /// The outcome panel's words while the module compiles: for a run that waits for it
    /// (started at `run_started`), or before any run (`None`).
    pub fn compiling_ui(
        &self,
        ui: &mut egui::Ui,
        run_started: Option<Instant>,
        speeds: &CompileSpeeds,
    ) {
        let progress = self
            .progress_text(speeds)
            .or_else(|| run_started.map(|started| duration_text(started.elapsed())))
            .unwrap_or_default();
        ui.add(egui::Label::new(progress).wrap());
        let note = if run_started.is_some() {
            "Stop returns the window to idle at once. The compile cannot be interrupted, so it \
             finishes in the background and the next Run uses its code."
        } else {
            "Run starts at once when it is done; a Run pressed now waits for it."
        };
        ui.add(egui::Label::new(RichText::new(note).weak()).wrap());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `code_bytes` of code in `functions` functions.
    fn work(code_bytes: u64, functions: u32) -> CompileWork {
        CompileWork {
            code_bytes,
            functions,
        }
    }

    #[test]
    fn estimates_follow_the_speed_measured_here() {
        let mut speeds = CompileSpeeds::default();
        let (_, measured) = speeds.estimate(Compiler::Cranelift, work(10_000_000, 0));
        assert!(!measured, "no compile measured yet");
        // 8 MB of code in 4 s: 2 MB/s, so 10 MB takes about 5 s.
        speeds.record(
            Compiler::Cranelift,
            work(8_000_000, 0),
            Duration::from_secs(4),
            false,
        );
        let (estimate, measured) = speeds.estimate(Compiler::Cranelift, work(10_000_000, 0));
        assert!(measured);
        assert_eq!(estimate.as_secs(), 5);
        // Small compiles are mostly fixed costs: not remembered.
        speeds.record(
            Compiler::Cranelift,
            work(1000, 0),
            Duration::from_secs(4),
            false,
        );
        let later = speeds.estimate(Compiler::Cranelift, work(10_000_000, 0)).0;
        assert_eq!(later.as_secs(), 5);
        // Each compiler has its own speed.
        assert!(!speeds.estimate(Compiler::Winch, work(10_000_000, 0)).1);
    }

    /// Issue 24: a 22 MB module "compiled" in 1.2 s (a load from wasmtime's disk cache) taught
    /// a speed that promised 3.8 s for a 69 MB module that took 3 min 30 s.
    #[test]
    fn the_estimate_learns_only_from_real_compiles_and_scales_with_the_code() {
        let mut speeds = CompileSpeeds::default();
        let (before, _) = speeds.estimate(Compiler::Cranelift, work(50_000_000, 60_000));
        // A load from a cache compiled nothing: it teaches nothing.
        speeds.record(
            Compiler::Cranelift,
            work(20_000_000, 10_000),
            Duration::from_millis(1200),
            true,
        );
        assert_eq!(
            speeds.estimate(Compiler::Cranelift, work(50_000_000, 60_000)),
            (before, false)
        );
        // A real compile of a module that is mostly data: 2 MB of code in 2 s.
        speeds.record(
            Compiler::Cranelift,
            work(2_000_000, 0),
            Duration::from_secs(2),
            false,
        );
        // 50 MB of code then takes about 50 s, plus its 60,000 functions' share, whatever the
        // file sizes.
        let (estimate, measured) = speeds.estimate(Compiler::Cranelift, work(50_000_000, 60_000));
        assert!(measured);
        assert_eq!(estimate.as_secs(), 56);
        // More functions for the same code take longer.
        let (fewer, _) = speeds.estimate(Compiler::Cranelift, work(50_000_000, 100));
        assert!(fewer < estimate);
    }

    #[test]
    fn a_compile_that_outlasts_its_estimate_says_so_without_a_drifting_new_guess() {
        let first = Duration::from_secs(31);
        assert_eq!(
            progress_words(first, Duration::from_secs(3), true),
            "3.0 s of about 31 s (measured here)"
        );
        // Issue #34: the estimate drifted from 31 s to 1 min 47 s on a 1 min 12 s compile.
        assert_eq!(
            progress_words(first, Duration::from_secs(72), true),
            "1 min 12 s, longer than the 31 s expected"
        );
        assert_eq!(
            progress_words(first, Duration::from_secs(107), false),
            "1 min 47 s, longer than the 31 s expected"
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(Duration::from_millis(400)), "0.4 s");
        assert_eq!(duration_text(Duration::from_secs(12)), "12 s");
        assert_eq!(duration_text(Duration::from_secs(65)), "1 min 5 s");
        // Issue 24: a long run's wall time read "230155 ms".
        assert_eq!(millis_text(9_999), "9999 ms");
        assert_eq!(millis_text(230_155), "3 min 50 s");
        assert_eq!(millis_text(12_400), "12 s");
    }

    /// A module with `functions` small functions; `seed` makes equal sizes differ.
    fn module(functions: u32, seed: u32) -> Module {
        use std::fmt::Write;
        let mut wat = String::from("(module\n");
        for i in 0..functions {
            let _ = writeln!(
                wat,
                "(func (export \"f{i}\") (param i32) (result i32) \
                 local.get 0 i32.const {seed} i32.add i32.const {i} i32.mul)"
            );
        }
        wat.push(')');
        let wasm = wat::parse_str(&wat).expect("valid text");
        Module {
            path: None,
            name: format!("m{seed}.wasm"),
            info: Arc::new(crate::engine::inspect(&wasm)),
            wasm: Arc::from(wasm),
            from_text: false,
            key: None,
            native: None,
            replay: None,
        }
    }

    fn settle(state: &mut CompileState, module: &Module, generation: u64, ctx: &egui::Context) {
        let key = EngineKey::for_policy(&crate::engine::SandboxPolicy::default());
        let deadline = Instant::now() + Duration::from_secs(120);
        while state.is_compiling() || state.running.is_some() {
            state.follow(
                Some(module),
                generation,
                key,
                &mut CompileSpeeds::default(),
                ctx,
            );
            assert!(Instant::now() < deadline, "the compile never ended");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn one_compile_at_a_time_and_a_newer_module_replaces_one_that_waits() {
        let ctx = egui::Context::default();
        let key = EngineKey::for_policy(&crate::engine::SandboxPolicy::default());
        let engine = sandbox::shared_engine(key).expect("engine").engine;
        let (first, second, third) = (module(3000, 1), module(10, 2), module(10, 3));
        let mut state = CompileState::default();
        let mut speeds = CompileSpeeds::default();
        state.follow(Some(&first), 1, key, &mut speeds, &ctx);
        assert!(state.is_compiling());
        // Opened while the first compiles: the second waits, then the third replaces it.
        state.follow(Some(&second), 2, key, &mut speeds, &ctx);
        assert!(state.running.is_some(), "the first compile keeps going");
        state.follow(Some(&third), 3, key, &mut speeds, &ctx);
        settle(&mut state, &third, 3, &ctx);
        assert!(state.is_ready(), "the open module is compiled");
        assert!(crate::engine::sandbox::cache::is_cached(
            &engine,
            &third.wasm
        ));
        assert!(
            !crate::engine::sandbox::cache::is_cached(&engine, &second.wasm),
            "a module replaced while it waited was compiled"
        );
        // Closing the module forgets its result.
        state.follow(None, 3, key, &mut speeds, &ctx);
        assert!(!state.is_ready() && !state.is_compiling());
    }
}
