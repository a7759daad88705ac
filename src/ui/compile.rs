//! Compiling before Run: the open module is compiled in the background as soon as it loads
//! (and again when the compiler, fuel or stack setting changes), so Run starts at once once it
//! is done. While it compiles the window says how long it has taken and about how long it will
//! take, from the module's size and the compile speed measured on this machine.
//!
//! One compile at a time, on a [`Job`]: a compile under way cannot be interrupted (wasmtime
//! offers no way), so a module opened meanwhile waits for it, and a newer one replaces a
//! module that still waits. A result for a module no longer open is dropped: its code stays in
//! the cache only within the cache's byte bound ([`crate::engine::cache`]).

use eframe::egui;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::engine::cache::Pin;
use crate::engine::inspect::ModuleKind;
use crate::engine::policy::Compiler;
use crate::engine::sandbox::{self, EngineKey};
use crate::ui::job::Job;
use crate::ui::loader::Module;
use crate::ui::theme::bytes_text;

/// Modules smaller than this compile in well under a second; their speed says more about
/// fixed costs than about throughput, so it is not remembered.
const MIN_MEASURED_BYTES: usize = 256 * 1024;

/// Compile speed on this machine, per compiler, remembered between sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CompileSpeeds {
    /// Module bytes compiled per second, by compiler name, averaged over recent compiles.
    pub bytes_per_second: BTreeMap<String, f64>,
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

    /// Remembers a compile of `bytes` that took `took`.
    pub fn record(&mut self, compiler: Compiler, bytes: usize, took: Duration) {
        if bytes < MIN_MEASURED_BYTES || took.is_zero() {
            return;
        }
        let speed = bytes as f64 / took.as_secs_f64();
        let entry = self
            .bytes_per_second
            .entry(compiler.name().to_owned())
            .or_insert(speed);
        // Recent compiles weigh more: the machine and the modules change.
        *entry = *entry * 0.5 + speed * 0.5;
    }

    /// About how long `bytes` take to compile, and whether the speed was measured here.
    pub fn estimate(&self, compiler: Compiler, bytes: usize) -> (Duration, bool) {
        let measured = self
            .bytes_per_second
            .get(compiler.name())
            .copied()
            .filter(|s| s.is_finite() && *s > 0.0);
        let speed = measured.unwrap_or_else(|| Self::default_speed(compiler));
        (
            Duration::from_secs_f64(bytes as f64 / speed),
            measured.is_some(),
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
    /// Keeps the code cached while the module stays open.
    _pin: Pin,
}

/// What a background compile answers: the code is ready, or why the module does not compile.
pub type CompileResult = Result<CompileDone, String>;

/// Compiles `wasm` for `key` into the cache, pinned (the work of a background compile).
pub fn compile(wasm: &[u8], key: EngineKey) -> CompileResult {
    let shared =
        sandbox::shared_engine(key).map_err(|e| format!("cannot configure the engine: {e:#}"))?;
    let (compiled, pin) = sandbox::compile_pinned(&shared, key, wasm)
        .map_err(|e| sandbox::compile_error_text(key.compiler, wasm, &e))?;
    Ok(CompileDone {
        compile_time: compiled.compile_time,
        cached: compiled.cached,
        _pin: pin,
    })
}

/// Which module generation and engine settings a compile is for.
type Target = (u64, EngineKey);

/// The compile on its thread.
struct Running {
    target: Target,
    wasm_bytes: usize,
    job: Job<CompileResult>,
}

/// A module waiting for the compile under way to end.
struct Waiting {
    target: Target,
    wasm: Arc<[u8]>,
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
            });
        }
        if self.running.is_none()
            && let Some(waiting) = self.waiting.take()
        {
            let wasm = waiting.wasm;
            let wasm_bytes = wasm.len();
            let label = format!("compiling a {} module", bytes_text(wasm_bytes as u64));
            let compiler = waiting.target.1;
            match Job::spawn("compile", label, ctx, move || compile(&wasm, compiler)) {
                Ok(job) => {
                    self.running = Some(Running {
                        target: waiting.target,
                        wasm_bytes,
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
        if let Ok(done) = &result
            && !done.cached
        {
            speeds.record(
                running.target.1.compiler,
                running.wasm_bytes,
                done.compile_time,
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
        let (estimate, measured) = speeds.estimate(compiler, running.wasm_bytes);
        let elapsed = running.job.started().elapsed();
        // Short: the toolbar shares its row at 1024 points wide; the hover says more.
        let basis = if measured {
            "measured here"
        } else {
            "first guess"
        };
        Some(
            if elapsed > estimate + estimate / 4 + Duration::from_secs(1) {
                format!(
                    "{} (longer than the {} expected, {basis})",
                    duration_text(elapsed),
                    duration_text(estimate)
                )
            } else {
                format!(
                    "{} of about {} ({basis})",
                    duration_text(elapsed),
                    duration_text(estimate)
                )
            },
        )
    }

    /// A line for the toolbar: compiling (with time and estimate), ready, or why not.
    pub fn status_ui(&self, ui: &mut egui::Ui, speeds: &CompileSpeeds) {
        if let Some(progress) = self.progress_text(speeds) {
            ui.spinner();
            let (compiler, bytes) = self
                .target
                .zip(self.running.as_ref().map(|r| r.wasm_bytes))
                .map_or(("The compiler", 0), |((_, key), bytes)| {
                    (key.compiler.title(), bytes)
                });
            // Truncated rather than pushing the toolbar past a narrow window.
            ui.add(egui::Label::new(format!("Compiling: {progress}")).truncate())
                .on_hover_text(format!(
                    "{compiler} compiles the module ({}) in the background, so Run starts at \
                     once when it is done. Run now waits for this compile; Stop returns the \
                     window to idle at once.\n\nThe estimate comes from the module's size and \
                     the compile speed measured on this machine (a first guess until a module \
                     over 256 KiB has compiled here).",
                    bytes_text(bytes as u64),
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

    /// The outcome panel's words while a run waits for its compile.
    pub fn compiling_ui(&self, ui: &mut egui::Ui, run_started: Instant, speeds: &CompileSpeeds) {
        let progress = self
            .progress_text(speeds)
            .unwrap_or_else(|| duration_text(run_started.elapsed()));
        ui.add(egui::Label::new(progress).wrap());
        ui.add(
            egui::Label::new(
                RichText::new(
                    "Stop returns the window to idle at once. The compile cannot be \
                     interrupted, so it finishes in the background and the next Run uses its \
                     code.",
                )
                .weak(),
            )
            .wrap(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_the_speed_measured_here() {
        let mut speeds = CompileSpeeds::default();
        let (_, measured) = speeds.estimate(Compiler::Cranelift, 10_000_000);
        assert!(!measured, "no compile measured yet");
        // 8 MB in 4 s: 2 MB/s, so 10 MB takes about 5 s.
        speeds.record(Compiler::Cranelift, 8_000_000, Duration::from_secs(4));
        let (estimate, measured) = speeds.estimate(Compiler::Cranelift, 10_000_000);
        assert!(measured);
        assert_eq!(estimate.as_secs(), 5);
        // Small compiles are mostly fixed costs: not remembered.
        speeds.record(Compiler::Cranelift, 1000, Duration::from_secs(4));
        assert_eq!(
            speeds.estimate(Compiler::Cranelift, 10_000_000).0.as_secs(),
            5
        );
        // Each compiler has its own speed.
        assert!(!speeds.estimate(Compiler::Winch, 10_000_000).1);
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(Duration::from_millis(400)), "0.4 s");
        assert_eq!(duration_text(Duration::from_secs(12)), "12 s");
        assert_eq!(duration_text(Duration::from_secs(65)), "1 min 5 s");
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
            info: crate::engine::inspect(&wasm),
            wasm: Arc::from(wasm),
            from_text: false,
            key: None,
            native: None,
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
        assert!(crate::engine::cache::is_cached(&engine, &third.wasm));
        assert!(
            !crate::engine::cache::is_cached(&engine, &second.wasm),
            "a module replaced while it waited was compiled"
        );
        // Closing the module forgets its result.
        state.follow(None, 3, key, &mut speeds, &ctx);
        assert!(!state.is_ready() && !state.is_compiling());
    }
}
