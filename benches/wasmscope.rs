//! `cargo bench`: where users wait, measured against a baseline run in the same process and
//! printed as ratios next to each goal. Timings are medians of several runs; the machine is
//! noisy, so read the ratios, not single numbers.

#![allow(clippy::unwrap_used)] // A benchmark that cannot set up should stop loudly.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasm_encoder::{
    CodeSection, DataSection, EntityType, ExportKind, ExportSection, Function, FunctionSection,
    ImportSection, Instruction, MemorySection, MemoryType, Module, TypeSection, ValType,
};
use wasmscope::engine::{self, RunEvent, RunOutcome, SandboxPolicy};
use wasmscope::runner;
use wasmtime_wasi::p1::WasiP1Ctx;

struct Row {
    measure: String,
    value: String,
    ratio: f64,
    goal: String,
    met: bool,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let started = Instant::now();
    let value = f();
    (started.elapsed().as_secs_f64(), value)
}

/// The process's CPU time so far, in seconds: every thread's, so a run's includes the threads
/// that serve it (the epoch ticker, the runner's watcher), and time other programs take from
/// the machine's cores does not count.
fn cpu_now() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Wall time and the process's CPU time of `f`.
fn time_cpu<T>(f: impl FnOnce() -> T) -> (f64, f64, T) {
    let cpu = cpu_now();
    let (wall, value) = time(f);
    (wall, cpu_now() - cpu, value)
}

fn request(name: &str, wasm: &[u8], policy: SandboxPolicy) -> engine::RunRequest {
    engine::RunRequest {
        name: name.to_owned(),
        wasm: Arc::from(wasm),
        precompiled: None,
        policy,
        invocation: engine::Invocation::default(),
        info: None,
    }
}

/// Runs through wasmscope's runner, discarding output; returns the report.
fn run_wasmscope(name: &str, wasm: &[u8], policy: SandboxPolicy) -> engine::RunReport {
    runner::spawn(request(name, wasm, policy), None)
        .unwrap()
        .wait()
}

/// The minimal embedding: Engine, Linker, WASI, Store, `_start`; output to a sink.
struct Bare {
    engine: wasmtime::Engine,
    linker: wasmtime::Linker<WasiP1Ctx>,
}

impl Bare {
    fn new() -> Self {
        let engine = wasmtime::Engine::default();
        let mut linker = wasmtime::Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |ctx| ctx).unwrap();
        Self { engine, linker }
    }

    fn run(&self, module: &wasmtime::Module, args: &[&str]) {
        let mut builder = wasmtime_wasi::WasiCtxBuilder::new();
        builder.arg("bench").args(args);
        builder.stdout(wasmtime_wasi::p2::pipe::SinkOutputStream);
        let mut store = wasmtime::Store::new(&self.engine, builder.build_p1());
        let instance = self.linker.instantiate(&mut store, module).unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        match start.call(&mut store, ()) {
            Ok(()) => {}
            Err(e) if e.downcast_ref::<wasmtime_wasi::I32Exit>().is_some() => {}
            Err(e) => panic!("bare run failed: {e}"),
        }
    }
}

const COMPUTE: &str = r#"(module
  (memory (export "memory") 1)
  (global $result (mut i64) (i64.const 0))
  (func (export "_start") (local $i i32) (local $x i64)
    (local.set $x (i64.const 88172645463325252))
    (loop $l
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 200000000))))
    (global.set $result (local.get $x))))"#;

fn runner_overhead(rows: &mut Vec<Row>) {
    let wasm = wat::parse_str(COMPUTE).unwrap();
    let bare = Bare::new();
    let module = wasmtime::Module::new(&bare.engine, &wasm).unwrap();
    let policy = SandboxPolicy {
        timeout_ms: Some(120_000),
        ..SandboxPolicy::default()
    };
    run_wasmscope("compute", &wasm, policy.clone()); // compile once: the cache serves the rest
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (t, report) = time(|| run_wasmscope("compute", &wasm, policy.clone()));
        assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
        ours.push(t);
        theirs.push(time(|| bare.run(&module, &[])).0);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let ratio = ours / theirs;
    rows.push(Row {
        measure: "runner overhead (compute loop)".into(),
        value: format!(
            "{:.0} ms vs bare wasmtime {:.0} ms",
            ours * 1e3,
            theirs * 1e3
        ),
        ratio,
        goal: "<= 1.05x".into(),
        met: ratio <= 1.05,
    });
}

/// A run that asks for no timeout, no profiler and no debug mode (`wasmscope run --timeout 0`)
/// compiles without epoch checks: the compute loop against a bare embedding with wasmtime's
/// default settings, in the same process.
fn no_timeout_overhead(rows: &mut Vec<Row>) {
    let wasm = wat::parse_str(COMPUTE).unwrap();
    let bare = Bare::new();
    let module = wasmtime::Module::new(&bare.engine, &wasm).unwrap();
    let run = || {
        let mut request = request(
            "compute",
            &wasm,
            SandboxPolicy {
                timeout_ms: None,
                ..SandboxPolicy::default()
            },
        );
        // As the command line runs it: nothing needs to interrupt the guest in its loop.
        request.invocation.stoppable = false;
        runner::spawn(request, None).unwrap().wait()
    };
    run(); // compile once: the cache serves the rest
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        let (t, report) = time(run);
        assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
        ours.push(t);
        theirs.push(time(|| bare.run(&module, &[])).0);
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let ratio = ours / theirs;
    rows.push(Row {
        measure: "no timeout: no epoch checks (compute loop)".into(),
        value: format!(
            "{:.0} ms vs bare wasmtime {:.0} ms",
            ours * 1e3,
            theirs * 1e3
        ),
        ratio,
        goal: "<= 1.05x".into(),
        met: ratio <= 1.05,
    });
}

/// Medians of five alternating runs of `with` and `without` (each run once first, so both
/// engines have compiled the module and the cache serves the rest); the last `with` report.
fn compare_runs(
    with: impl Fn() -> engine::RunReport,
    without: impl Fn() -> engine::RunReport,
) -> (f64, f64, engine::RunReport) {
    with();
    without();
    let (mut with_times, mut without_times, mut last) = (Vec::new(), Vec::new(), None);
    for _ in 0..5 {
        let (t, report) = time(&with);
        assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
        with_times.push(t);
        last = Some(report);
        without_times.push(time(&without).0);
    }
    (median(with_times), median(without_times), last.unwrap())
}

/// The compute loop's sandbox for the overhead comparisons: no timeout in the way.
fn compute_policy() -> SandboxPolicy {
    SandboxPolicy {
        timeout_ms: Some(120_000),
        ..SandboxPolicy::default()
    }
}

/// The compute loop three calls deep (`_start` → `main` → `work`, the loop in `work`), with
/// 200 more functions of 64 instructions: with its line tables (one compile unit per
/// function, a row per instruction) it looks to wasmtime like a small program built with
/// debug info.
fn deep_compute() -> Vec<u8> {
    let mut text = String::from(
        r#"(module
  (memory (export "memory") 1)
  (global $result (mut i64) (i64.const 0))
  (func $work (param $n i32) (result i64) (local $i i32) (local $x i64)
    (local.set $x (i64.const 88172645463325252))
    (loop $l
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 13))))
      (local.set $x (i64.xor (local.get $x) (i64.shr_u (local.get $x) (i64.const 7))))
      (local.set $x (i64.xor (local.get $x) (i64.shl (local.get $x) (i64.const 17))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $x))
  (func $main (result i64) (call $work (i32.const 200000000)))
  (func (export "_start") (global.set $result (call $main)))
"#,
    );
    for f in 0..200 {
        text.push_str(&format!("  (func $filler_{f} (export \"filler_{f}\")"));
        for k in 0..32 {
            text.push_str(&format!(" (drop (i32.const {}))", f * 32 + k));
        }
        text.push_str(")\n");
    }
    text.push(')');
    wat::parse_str(&text).unwrap()
}

/// `wasm` with DWARF line tables: one compile unit per function, a row at each instruction.
fn with_line_tables(wasm: &[u8]) -> Vec<u8> {
    use gimli::write::{Address, EndianVec, LineProgram, LineString, Sections, Unit};
    let mut code_start = 0;
    let mut functions: Vec<Vec<u64>> = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            wasmparser::Payload::CodeSectionStart { range, .. } => code_start = range.start,
            wasmparser::Payload::CodeSectionEntry(body) => {
                let mut operators = body.get_operators_reader().unwrap();
                let mut addresses = Vec::new();
                while !operators.eof() {
                    let (_, offset) = operators.read_with_offset().unwrap();
                    addresses.push((offset - code_start) as u64);
                }
                functions.push(addresses);
            }
            _ => {}
        }
    }
    let encoding = gimli::Encoding {
        format: gimli::Format::Dwarf32,
        version: 4,
        address_size: 4,
    };
    let mut dwarf = gimli::write::Dwarf::new();
    for (i, addresses) in functions.iter().enumerate() {
        let name = format!("src/f{i}.rs").into_bytes();
        let mut program = LineProgram::new(
            encoding,
            gimli::LineEncoding::default(),
            LineString::String(b"/bench".to_vec()),
            None,
            LineString::String(name.clone()),
            None,
        );
        let directory = program.default_directory();
        let file = program.add_file(LineString::String(name), directory, None);
        program.begin_sequence(Some(Address::Constant(addresses[0])));
        for (line, address) in addresses.iter().enumerate() {
            program.row().address_offset = address - addresses[0];
            program.row().file = file;
            program.row().line = line as u64 + 1;
            program.generate_row();
        }
        program.end_sequence(addresses.last().unwrap() - addresses[0] + 1);
        dwarf.units.add(Unit::new(encoding, program));
    }
    let mut sections = Sections::new(EndianVec::new(gimli::LittleEndian));
    dwarf.write(&mut sections).unwrap();
    let mut out = wasm.to_vec();
    let leb = |out: &mut Vec<u8>, mut n: usize| loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    };
    sections
        .for_each(|id, data| {
            let data = data.slice();
            if !data.is_empty() {
                let mut payload = Vec::new();
                leb(&mut payload, id.name().len());
                payload.extend_from_slice(id.name().as_bytes());
                payload.extend_from_slice(data);
                out.push(0);
                leb(&mut out, payload.len());
                out.extend_from_slice(&payload);
            }
            Ok::<_, ()>(())
        })
        .unwrap();
    out
}

/// Store data of the bare embeddings below: WASI, and wasmtime's own profiler when on.
struct BareHost {
    wasi: WasiP1Ctx,
    profiler: Option<wasmtime::GuestProfiler>,
}

fn bare_host() -> BareHost {
    let mut builder = wasmtime_wasi::WasiCtxBuilder::new();
    builder.arg("bench");
    builder.stdout(wasmtime_wasi::p2::pipe::SinkOutputStream);
    BareHost {
        wasi: builder.build_p1(),
        profiler: None,
    }
}

/// Advances `engine`'s epoch every `tick` until dropped, as wasmtime's CLI does for its
/// profiler and wasmscope's ticker does for every run.
struct BareTicker {
    done: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BareTicker {
    fn start(engine: &wasmtime::Engine, tick: Duration) -> Self {
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (engine, stop) = (engine.clone(), Arc::clone(&done));
        let thread = std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(tick);
                engine.increment_epoch();
            }
        });
        Self {
            done,
            thread: Some(thread),
        }
    }
}

impl Drop for BareTicker {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

/// The bare embedding profiled the way wasmtime's CLI profiles (`--profile=guest`): its
/// `GuestProfiler` sampled from the epoch callback at every tick of `interval`, the profile
/// written out at the end. On `engine` (wasmscope's profiling engine: the same settings);
/// returns the samples taken.
fn bare_profiled(
    linker: &wasmtime::Linker<BareHost>,
    module: &wasmtime::Module,
    interval: Duration,
    profile: bool,
) -> u64 {
    let engine = module.engine();
    let mut store = wasmtime::Store::new(engine, bare_host());
    let profiler = wasmtime::GuestProfiler::new(
        engine,
        "bench",
        interval,
        [("bench".to_owned(), module.clone())],
    )
    .unwrap();
    store.data_mut().profiler = profile.then_some(profiler);
    let samples = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Arc::clone(&samples);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut store| {
        if let Some(mut profiler) = store.data_mut().profiler.take() {
            profiler.sample(&store, Duration::ZERO);
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            store.data_mut().profiler = Some(profiler);
        }
        Ok(wasmtime::UpdateDeadline::Continue(1))
    });
    let ticker = BareTicker::start(engine, interval);
    let instance = linker.instantiate(&mut store, module).unwrap();
    let start = instance
        .get_typed_func::<(), ()>(&mut store, "_start")
        .unwrap();
    start.call(&mut store, ()).unwrap();
    drop(ticker);
    let mut file = Vec::new();
    if let Some(profiler) = store.data_mut().profiler.take() {
        profiler.finish(&mut file).unwrap();
    }
    samples.load(std::sync::atomic::Ordering::Relaxed)
}

/// Medians of `runs`' wall and CPU times (seconds), and their CPU range as text in ms.
struct Timings {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Timings {
    fn new() -> Self {
        Self {
            wall: Vec::new(),
            cpu: Vec::new(),
        }
    }

    fn measure<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let (wall, cpu, value) = time_cpu(f);
        self.wall.push(wall);
        self.cpu.push(cpu);
        value
    }

    fn cpu(&self) -> f64 {
        median(self.cpu.clone())
    }

    fn wall(&self) -> f64 {
        median(self.wall.clone())
    }

    /// `cpu N ms (lo–hi), wall N ms`.
    fn text(&self) -> String {
        let lo = self.cpu.iter().copied().fold(f64::MAX, f64::min);
        let hi = self.cpu.iter().copied().fold(0.0, f64::max);
        format!(
            "cpu {:.0} ms ({:.0}–{:.0}), wall {:.0} ms",
            self.cpu() * 1e3,
            lo * 1e3,
            hi * 1e3,
            self.wall() * 1e3
        )
    }
}

/// The guest profiler's cost, for two guests: the compute loop (one frame, no DWARF) and the
/// same loop three calls deep in a module with line tables. Each profiled at 1 ms through the
/// runner, against the same run unprofiled and against the bare embedding profiled by
/// wasmtime's `GuestProfiler` on an engine with wasmscope's profiling settings (and that
/// embedding unprofiled: the peer's own price). Ratios of the process's CPU time, the
/// measure that other programs on the machine disturb least.
fn profiler_overhead(rows: &mut Vec<Row>) {
    use engine::sandbox::{EngineKey, shared_engine};
    const RUNS: usize = 7;
    let interval = Duration::from_millis(1);
    for (guest, wasm) in [
        ("compute loop", wat::parse_str(COMPUTE).unwrap()),
        ("3 frames deep, DWARF", with_line_tables(&deep_compute())),
    ] {
        let profiled_request = || {
            let mut request = request("compute", &wasm, compute_policy());
            request.invocation.profiler_interval_ms = Some(1);
            request
        };
        let key = EngineKey::for_run(&compute_policy(), &profiled_request().invocation, false);
        let shared = shared_engine(key).unwrap();
        let module = wasmtime::Module::new(&shared.engine, &wasm).unwrap();
        let mut linker = wasmtime::Linker::<BareHost>::new(&shared.engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |host| &mut host.wasi).unwrap();
        // Each once first, so both engines have compiled the module.
        runner::spawn(profiled_request(), None).unwrap().wait();
        run_wasmscope("compute", &wasm, compute_policy());
        let (mut ours, mut plain, mut bare, mut bare_plain) = (
            Timings::new(),
            Timings::new(),
            Timings::new(),
            Timings::new(),
        );
        let (mut our_samples, mut bare_samples) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let report = ours.measure(|| runner::spawn(profiled_request(), None).unwrap().wait());
            assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
            our_samples.push(report.profile.map_or(0.0, |p| p.samples as f64));
            bare_samples
                .push(bare.measure(|| bare_profiled(&linker, &module, interval, true)) as f64);
            plain.measure(|| run_wasmscope("compute", &wasm, compute_policy()));
            bare_plain.measure(|| bare_profiled(&linker, &module, interval, false));
        }
        let (our_samples, bare_samples) = (median(our_samples), median(bare_samples));
        rows.push(Row {
            measure: format!("guest profiler at 1 ms vs GuestProfiler ({guest}), cpu"),
            value: format!(
                "{} ({our_samples} samples) vs wasmtime's GuestProfiler on the same engine \
                 settings {} ({bare_samples} samples); the bare embedding unprofiled {}; \
                 median of {RUNS}",
                ours.text(),
                bare.text(),
                bare_plain.text(),
            ),
            ratio: ours.cpu() / bare.cpu(),
            goal: "<= 1.05x".into(),
            met: ours.cpu() / bare.cpu() <= 1.05,
        });
        rows.push(Row {
            measure: format!("guest profiler at 1 ms vs unprofiled ({guest}), cpu"),
            value: format!("{} vs {}", ours.text(), plain.text()),
            ratio: ours.cpu() / plain.cpu(),
            goal: "<= 1.10x".into(),
            met: ours.cpu() / plain.cpu() <= 1.10,
        });
    }
}

/// A debug handler that does nothing: what guest debugging costs wasmtime itself.
#[derive(Clone)]
struct NoDebugger;

impl wasmtime::DebugHandler for NoDebugger {
    type Data = BareHost;

    async fn handle(
        &self,
        _store: wasmtime::StoreContextMut<'_, BareHost>,
        _event: wasmtime::DebugEvent<'_>,
    ) {
    }
}

/// The bare embedding run as wasmscope runs a guest: async, on `engine`, yielding at every
/// 1 ms epoch tick; with a debug handler that does nothing when `debug`.
fn bare_async(engine: &wasmtime::Engine, module: &wasmtime::Module, debug: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut linker = wasmtime::Linker::<BareHost>::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |host| &mut host.wasi).unwrap();
    let mut store = wasmtime::Store::new(engine, bare_host());
    if debug {
        store.set_debug_handler(NoDebugger);
    }
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|_| Ok(wasmtime::UpdateDeadline::Yield(1)));
    let _ticker = BareTicker::start(engine, Duration::from_millis(1));
    runtime.block_on(async {
        let instance = linker.instantiate_async(&mut store, module).await.unwrap();
        let start = instance
            .get_typed_func::<(), ()>(&mut store, "_start")
            .unwrap();
        start.call_async(&mut store, ()).await.unwrap();
    });
}

/// Debug mode's cost: the compute loop compiled with guest debugging (explicit bounds checks,
/// state kept readable) against the same loop in normal mode, both through the runner; and
/// against a bare embedding on the same debug engine with a debug handler that does nothing
/// (wasmtime's own price, against the same bare embedding on the normal engine). Ratios of
/// the process's CPU time.
fn debug_overhead(rows: &mut Vec<Row>) {
    use engine::sandbox::{EngineKey, shared_engine};
    const RUNS: usize = 5;
    let wasm = wat::parse_str(COMPUTE).unwrap();
    let debug = SandboxPolicy {
        debug: true,
        ..compute_policy()
    };
    let invocation = engine::Invocation::default();
    let debug_engine = shared_engine(EngineKey::for_run(&debug, &invocation, false)).unwrap();
    let normal_engine =
        shared_engine(EngineKey::for_run(&compute_policy(), &invocation, false)).unwrap();
    let debug_module = wasmtime::Module::new(&debug_engine.engine, &wasm).unwrap();
    let normal_module = wasmtime::Module::new(&normal_engine.engine, &wasm).unwrap();
    let ours_debug = || run_wasmscope("compute", &wasm, debug.clone());
    let ours_normal = || run_wasmscope("compute", &wasm, compute_policy());
    ours_debug();
    ours_normal();
    let (mut ours, mut normal, mut bare, mut bare_normal) = (
        Timings::new(),
        Timings::new(),
        Timings::new(),
        Timings::new(),
    );
    for _ in 0..RUNS {
        let report = ours.measure(ours_debug);
        assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
        bare.measure(|| bare_async(&debug_engine.engine, &debug_module, true));
        normal.measure(ours_normal);
        bare_normal.measure(|| bare_async(&normal_engine.engine, &normal_module, false));
    }
    rows.push(Row {
        measure: "debug mode vs normal (compute loop), cpu".into(),
        value: format!(
            "{} in debug mode vs {} (median of {RUNS})",
            ours.text(),
            normal.text()
        ),
        ratio: ours.cpu() / normal.cpu(),
        goal: "<= 3x".into(),
        met: ours.cpu() / normal.cpu() <= 3.0,
    });
    rows.push(Row {
        measure: "debug mode vs bare guest_debug embedding, cpu".into(),
        value: format!(
            "{} vs {} (a debug handler that does nothing); wasmtime's own price: {:.2}x (vs \
             the bare embedding without guest_debug {})",
            ours.text(),
            bare.text(),
            bare.cpu() / bare_normal.cpu(),
            bare_normal.text()
        ),
        ratio: ours.cpu() / bare.cpu(),
        goal: "<= 1.05x".into(),
        met: ours.cpu() / bare.cpu() <= 1.05,
    });
}

/// A loop whose body is a breakpoint: each Continue runs one iteration to the next hit.
const BREAK_LOOP: &str = r#"(module
  (func $body (param $i i32) (result i32) (i32.add (local.get $i) (i32.const 1)))
  (func (export "_start") (local $i i32)
    (loop $next
      (local.set $i (call $body (local.get $i)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 1000000))))))"#;

/// From a breakpoint hit to the paused state in the face's hands: the time from Continue to
/// the next `Paused` event (one loop iteration of guest work, the rest is capture and
/// delivery), against a 16.7 ms frame: a window shows a hit within the frame it happens in.
fn breakpoint_latency(rows: &mut Vec<Row>) {
    use wasmscope::engine::debug::{self, BreakAction, DebugCommand};
    let wasm = wat::parse_str(BREAK_LOOP).unwrap();
    let at = debug::resolve_breakpoint(&wasm, "body", BreakAction::Pause).unwrap();
    let policy = SandboxPolicy {
        debug: true,
        timeout_ms: None,
        ..SandboxPolicy::default()
    };
    let handle =
        runner::spawn_with_breakpoints(request("loop", &wasm, policy), vec![at], None).unwrap();
    let mut latencies = Vec::new();
    let mut sent = None::<Instant>;
    for event in handle.events.iter() {
        if let RunEvent::Paused(_) = event {
            if let Some(sent) = sent {
                latencies.push(sent.elapsed().as_secs_f64());
            }
            if latencies.len() == 50 {
                handle.cancel();
                handle.debug(DebugCommand::Continue);
                break;
            }
            sent = Some(Instant::now());
            handle.debug(DebugCommand::Continue);
        }
    }
    let report = handle.wait();
    assert_eq!(report.outcome, RunOutcome::Cancelled);
    let latency = median(latencies);
    rows.push(Row {
        measure: "breakpoint hit to paused state (median of 50)".into(),
        value: format!("{:.2} ms", latency * 1e3),
        ratio: latency * 1e3 / 16.7,
        goal: "<= 1 frame (16.7 ms)".into(),
        met: latency * 1e3 <= 16.7,
    });
}

/// How many functions the large module exports.
const EXPORTED_FUNCTIONS: u32 = 100_000;

/// A large module: many imports, functions, exports and a big data segment.
fn large_module(functions: u32, imports: u32, data_bytes: usize) -> Vec<u8> {
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32], [ValType::I32]);
    types.ty().function([], []);
    module.section(&types);
    let mut import_section = ImportSection::new();
    for i in 0..imports {
        import_section.import("env", &format!("host_{i}"), EntityType::Function(0));
    }
    module.section(&import_section);
    let mut funcs = FunctionSection::new();
    for _ in 0..functions {
        funcs.function(0);
    }
    funcs.function(1); // _start
    module.section(&funcs);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: (data_bytes as u64).div_ceil(65536) + 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut exports = ExportSection::new();
    // Validation caps the total "type size" of imports and exports near one million.
    for i in 0..functions.min(EXPORTED_FUNCTIONS) {
        exports.export(
            &format!("function_number_{i}"),
            ExportKind::Func,
            imports + i,
        );
    }
    exports.export("_start", ExportKind::Func, imports + functions);
    exports.export("memory", ExportKind::Memory, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    for i in 0..functions {
        let mut f = Function::new([(2, ValType::I32)]);
        for k in 0..6 {
            f.instruction(&Instruction::LocalGet(0));
            f.instruction(&Instruction::I32Const((i as i32).wrapping_mul(31) + k));
            f.instruction(&Instruction::I32Add);
            f.instruction(&Instruction::LocalSet(1));
            f.instruction(&Instruction::LocalGet(1));
            f.instruction(&Instruction::I32Const(3));
            f.instruction(&Instruction::I32Mul);
            f.instruction(&Instruction::LocalSet(0));
        }
        f.instruction(&Instruction::LocalGet(0));
        f.instruction(&Instruction::End);
        code.function(&f);
    }
    let mut start = Function::new([]);
    start.instruction(&Instruction::End);
    code.function(&start);
    module.section(&code);
    let mut data = DataSection::new();
    data.active(
        0,
        &wasm_encoder::ConstExpr::i32_const(0),
        vec![0x5a; data_bytes],
    );
    module.section(&data);
    module.finish()
}

fn inspect_speed(rows: &mut Vec<Row>) {
    let wasm = large_module(300_000, 2_000, 24 << 20);
    let mb = wasm.len() as f64 / 1e6;
    let ours = median((0..5).map(|_| time(|| engine::inspect(&wasm)).0).collect());
    let info = engine::inspect(&wasm);
    assert_eq!(info.exports.len(), EXPORTED_FUNCTIONS as usize + 2);
    let validate = median(
        (0..3)
            .map(|_| time(|| wasmparser::Validator::new().validate_all(&wasm).unwrap()).0)
            .collect(),
    );
    let ratio = ours / validate;
    rows.push(Row {
        measure: format!("inspect {mb:.0} MB module"),
        value: format!(
            "{:.0} ms ({:.0} MB/s) vs wasmparser validation {:.0} ms ({:.0} MB/s)",
            ours * 1e3,
            mb / ours,
            validate * 1e3,
            mb / validate
        ),
        ratio,
        goal: "<= 1x a validation pass".into(),
        met: ratio <= 1.0,
    });
}

fn cold_and_warm_start(rows: &mut Vec<Row>) {
    let wasm = large_module(20_000, 0, 1 << 20);
    let mb = wasm.len() as f64 / 1e6;
    let policy = SandboxPolicy::default();
    let (cold, report) = time(|| run_wasmscope("large", &wasm, policy.clone()));
    assert_eq!(report.outcome, RunOutcome::Exited { code: 0 }, "{report:?}");
    assert!(!report.stats.compile_cached);
    let warm = median(
        (0..5)
            .map(|_| time(|| run_wasmscope("large", &wasm, policy.clone())).0)
            .collect(),
    );
    let shared =
        engine::sandbox::shared_engine(engine::sandbox::EngineKey::for_policy(&policy)).unwrap();
    let cwasm = shared.engine.precompile_module(&wasm).unwrap();
    let aot = median(
        (0..5)
            .map(|_| {
                // Each start loads the .cwasm afresh, as a new process would (a window keeps
                // the loaded code cached, like compiled code).
                engine::sandbox::cache::set_bound_bytes(0);
                engine::sandbox::cache::set_bound_bytes(engine::sandbox::cache::MODULE_CACHE_BYTES);
                let mut request = request("large.cwasm", &cwasm, policy.clone());
                request.precompiled = Some(engine::module::precompiled::Origin::Foreign);
                time(|| runner::spawn(request, None).unwrap().wait()).0
            })
            .collect(),
    );
    for (what, warm) in [("in-memory cache", warm), ("AOT .cwasm", aot)] {
        let ratio = warm / cold;
        rows.push(Row {
            measure: format!("warm start, {what} ({mb:.1} MB module)"),
            value: format!(
                "{:.1} ms vs cold compile+run {:.0} ms",
                warm * 1e3,
                cold * 1e3
            ),
            ratio,
            goal: "<= 0.05x cold".into(),
            met: ratio <= 0.05,
        });
    }
    // wasmtime's on-disk cache, in a scratch directory so the first compile is truly cold.
    let dir = tempfile::tempdir().unwrap();
    let mut cache_config = wasmtime::CacheConfig::new();
    cache_config.with_directory(dir.path());
    let mut config = wasmtime::Config::new();
    config.cache(Some(wasmtime::Cache::new(cache_config).unwrap()));
    let engine = wasmtime::Engine::new(&config).unwrap();
    let (cold_disk, _) = time(|| wasmtime::Module::new(&engine, &wasm).unwrap());
    let warm_disk = median(
        (0..5)
            .map(|_| time(|| wasmtime::Module::new(&engine, &wasm).unwrap()).0)
            .collect(),
    );
    let ratio = warm_disk / cold_disk;
    rows.push(Row {
        measure: format!("warm compile, disk cache ({mb:.1} MB module)"),
        value: format!(
            "{:.1} ms vs cold compile {:.0} ms",
            warm_disk * 1e3,
            cold_disk * 1e3
        ),
        ratio,
        goal: "<= 0.05x cold".into(),
        met: ratio <= 0.05,
    });
}

/// Writes `total` bytes to stdout in `chunk`-byte writes (one iovec each).
fn flood_module(total: u64, chunk: u32) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 2)
          (func (export "_start") (local $left i64)
            (local.set $left (i64.const {total}))
            (i32.store (i32.const 0) (i32.const 64))
            (i32.store (i32.const 4) (i32.const {chunk}))
            (loop $l
              (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
              (local.set $left (i64.sub (local.get $left) (i64.const {chunk})))
              (br_if $l (i64.gt_s (local.get $left) (i64.const 0))))))"#
    ))
    .unwrap()
}

fn output_flood(rows: &mut Vec<Row>) {
    let total: u64 = 200 << 20;
    let bare = Bare::new();
    for chunk in [64u32, 65536] {
        let wasm = flood_module(total, chunk);
        let module = wasmtime::Module::new(&bare.engine, &wasm).unwrap();
        let policy = SandboxPolicy {
            timeout_ms: Some(300_000),
            ..SandboxPolicy::default()
        };
        run_wasmscope("flood", &wasm, policy.clone());
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..3 {
            let (t, received) = time(|| {
                let handle = runner::spawn(request("flood", &wasm, policy.clone()), None).unwrap();
                let mut received = 0u64;
                // What the GUI does with output: a console with bounded scrollback.
                let mut console = wasmscope::ui::console::Console::with_budget(
                    wasmscope::ui::console::DEFAULT_BUDGET_BYTES,
                );
                let report = handle.wait_with(|event| {
                    if let RunEvent::Output { stream, bytes } = event {
                        received += bytes.len() as u64;
                        console.push(*stream, bytes);
                    }
                });
                assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
                // Host memory stays bounded by the scrollback setting, whatever the flood.
                assert!(console.used_bytes() <= console.budget_bytes());
                assert!(console.dropped_bytes() > 0);
                received
            });
            assert!(received >= total);
            ours.push(t);
            theirs.push(time(|| bare.run(&module, &[])).0);
        }
        let (ours, theirs) = (median(ours), median(theirs));
        let ratio = theirs / ours;
        rows.push(Row {
            measure: format!("output flood, 200 MiB in {chunk}-byte writes"),
            value: format!(
                "{:.0} MB/s into the console vs {:.0} MB/s into a discarding sink",
                total as f64 / 1e6 / ours,
                total as f64 / 1e6 / theirs
            ),
            ratio,
            goal: ">= 0.8x throughput".into(),
            met: ratio >= 0.8,
        });
    }
}

fn timeout_and_stop(rows: &mut Vec<Row>) {
    let spin = wat::parse_str(r#"(module (func (export "_start") (loop br 0)))"#).unwrap();
    let sleeper = engine::load_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/samples/sleep_forever.wat"
    )))
    .unwrap()
    .wasm;
    let timeout_ms = 50;
    let mut overshoot = Vec::new();
    for _ in 0..20 {
        let handle =
            runner::spawn(request("spin", &spin, common_timeout(timeout_ms)), None).unwrap();
        let mut started = None;
        let mut finished = None;
        handle.wait_with(|event| match event {
            RunEvent::Compiled { .. } => started = Some(Instant::now()),
            RunEvent::Finished(report) => {
                assert_eq!(report.outcome, RunOutcome::TimedOut { timeout_ms });
                finished = Some(Instant::now());
            }
            _ => {}
        });
        let ran = finished.unwrap() - started.unwrap();
        overshoot.push(
            ran.saturating_sub(Duration::from_millis(timeout_ms))
                .as_secs_f64(),
        );
    }
    let overshoot = median(overshoot);
    rows.push(Row {
        measure: "timeout overshoot (CPU loop, 50 ms timeout)".into(),
        value: format!("{:.2} ms median", overshoot * 1e3),
        ratio: overshoot * 1e3 / 10.0,
        goal: "<= 10 ms".into(),
        met: overshoot <= 0.010,
    });

    for (name, wasm) in [
        ("CPU loop", &spin),
        ("guest asleep in poll_oneoff", &sleeper),
    ] {
        let mut latency = Vec::new();
        for _ in 0..20 {
            let policy = SandboxPolicy {
                timeout_ms: None,
                ..SandboxPolicy::default()
            };
            let handle = runner::spawn(request(name, wasm, policy), None).unwrap();
            // Let it get going (and into its sleep), then press Stop.
            loop {
                if let Ok(RunEvent::Compiled { .. }) = handle.events.recv() {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(30));
            let pressed = Instant::now();
            handle.cancel();
            let report = handle.wait();
            latency.push(pressed.elapsed().as_secs_f64());
            assert_eq!(report.outcome, RunOutcome::Cancelled);
        }
        let latency = median(latency);
        rows.push(Row {
            measure: format!("Stop latency, {name}"),
            value: format!("{:.2} ms median", latency * 1e3),
            ratio: latency * 1e3 / 50.0,
            goal: "<= 50 ms".into(),
            met: latency <= 0.050,
        });
    }
}

/// A module with `imports` fd_write imports (duplicates are valid wasm) whose `_start` writes
/// `lines` short lines.
fn chatty_module(imports: u32, lines: u32) -> Vec<u8> {
    let mut module = Module::new();
    let mut types = TypeSection::new();
    types.ty().function([ValType::I32; 4], [ValType::I32]);
    types.ty().function([], []);
    module.section(&types);
    let mut import_section = ImportSection::new();
    for _ in 0..imports {
        import_section.import(
            "wasi_snapshot_preview1",
            "fd_write",
            EntityType::Function(0),
        );
    }
    module.section(&import_section);
    let mut funcs = FunctionSection::new();
    funcs.function(1);
    module.section(&funcs);
    let mut memories = MemorySection::new();
    memories.memory(MemoryType {
        minimum: 1,
        maximum: None,
        memory64: false,
        shared: false,
        page_size_log2: None,
    });
    module.section(&memories);
    let mut exports = ExportSection::new();
    exports.export("_start", ExportKind::Func, imports);
    exports.export("memory", ExportKind::Memory, 0);
    module.section(&exports);
    let mut code = CodeSection::new();
    let mut start = Function::new([(1, ValType::I32)]);
    use Instruction as I;
    // iovec at 0: (16, 8) -> "line ok\n" at 16.
    for instruction in [
        I::I32Const(0),
        I::I32Const(16),
        I::I32Store(wasm_encoder::MemArg {
            offset: 0,
            align: 2,
            memory_index: 0,
        }),
        I::I32Const(4),
        I::I32Const(8),
        I::I32Store(wasm_encoder::MemArg {
            offset: 0,
            align: 2,
            memory_index: 0,
        }),
        I::Loop(wasm_encoder::BlockType::Empty),
        I::I32Const(1),
        I::I32Const(0),
        I::I32Const(1),
        I::I32Const(8),
        I::Call(0),
        I::Drop,
        I::LocalGet(0),
        I::I32Const(1),
        I::I32Add,
        I::LocalTee(0),
        I::I32Const(lines as i32),
        I::I32LtU,
        I::BrIf(0),
        I::End,
        I::End,
    ] {
        start.instruction(&instruction);
    }
    code.function(&start);
    module.section(&code);
    let mut data = DataSection::new();
    data.active(
        0,
        &wasm_encoder::ConstExpr::i32_const(16),
        b"line ok\n".to_vec(),
    );
    module.section(&data);
    module.finish()
}

fn gui_frame_time(rows: &mut Vec<Row>) {
    use egui_kittest::kittest::Queryable;
    use wasmscope::ui::App;
    let wait = |harness: &mut egui_kittest::Harness<'_, App>| {
        let deadline = Instant::now() + Duration::from_secs(300);
        harness.step();
        while harness.state().is_busy() && Instant::now() < deadline {
            harness.step();
            std::thread::sleep(Duration::from_millis(2));
        }
        harness.step();
    };
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(|_cc| App::new(None));
    harness.step();
    harness
        .state_mut()
        .open_bytes("chatty.wasm", chatty_module(100_000, 1_000_000));
    wait(&mut harness);
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(300_000);
    harness.state_mut().run();
    wait(&mut harness);
    // What the frame shows: the tail of a million lines, and the 100,000-row table.
    assert!(
        harness
            .query_all_by_label_contains("line ok")
            .next()
            .is_some()
    );
    harness.get_by_label_contains("Imports (100000)").click();
    harness.step();
    assert!(harness.query_all_by_label("fd_write").next().is_some());
    // The frame itself, as eframe runs it: our `ui` plus egui's layout and tessellation.
    let mut frames: Vec<f64> = (0..200)
        .map(|_| {
            harness.get_by_label_contains("Imports (").hover();
            time(|| harness.step()).0
        })
        .collect();
    frames.sort_by(|a, b| a.total_cmp(b));
    let p99 = frames[frames.len() * 99 / 100];
    rows.push(Row {
        measure: "GUI frame, console after 1M lines + 100k-row import table".into(),
        value: format!(
            "p99 {:.2} ms, median {:.2} ms over 200 frames (kittest, incl. its accessibility tree)",
            p99 * 1e3,
            frames[frames.len() / 2] * 1e3
        ),
        ratio: p99 * 1e3 / 16.7,
        goal: "p99 <= 16.7 ms".into(),
        met: p99 <= 0.0167,
    });
}

/// A short run as a tenant's request would be: print a line, write a small file, exit.
const SHORT_RUN: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "done\n")
  (data (i32.const 80) "out.txt")
  (data (i32.const 16) "\40\00\00\00\05\00\00\00")
  (func (export "_start")
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 80) (i32.const 7) (i32.const 9)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 32)))
    (drop (call $write (i32.load (i32.const 32)) (i32.const 16) (i32.const 1) (i32.const 24)))))"#;

/// Throughput of short runs: one engine, N workers each running tenants one after another,
/// against the same runs one after another on one thread.
fn tenant_throughput(rows: &mut Vec<Row>) {
    const RUNS: usize = 64;
    let wasm = wat::parse_str(SHORT_RUN).unwrap();
    let root = tempfile::tempdir().unwrap();
    let policies =
        engine::run::tenants::tenant_policies(&SandboxPolicy::default(), RUNS, root.path())
            .unwrap();
    let run = |i: usize| {
        let report = run_wasmscope(&format!("tenant-{i}"), &wasm, policies[i].clone());
        assert_eq!(report.outcome, RunOutcome::Exited { code: 0 }, "{report:?}");
    };
    run(0); // compile once: every later run takes the module from the cache
    let (serial, ()) = time(|| (0..RUNS).for_each(run));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let (parallel, ()) = time(|| {
        std::thread::scope(|scope| {
            for w in 0..workers {
                let run = &run;
                scope.spawn(move || (w..RUNS).step_by(workers).for_each(run));
            }
        })
    });
    let (serial_rate, parallel_rate) = (RUNS as f64 / serial, RUNS as f64 / parallel);
    let ratio = parallel_rate / serial_rate;
    rows.push(Row {
        measure: format!("short tenant runs, {workers} workers vs one after another"),
        value: format!("{parallel_rate:.0} runs/s vs {serial_rate:.0} runs/s"),
        ratio,
        goal: ">= 1.3x (parallel helps)".into(),
        met: ratio >= 1.3,
    });
}

/// `wasm` with a custom section holding `seed`: the same code, a different content hash, so
/// every compile is cold.
fn with_seed(wasm: &[u8], seed: u32) -> Vec<u8> {
    let mut seeded = wasm.to_vec();
    // Custom section (id 0), 9 bytes: name length 4, "seed", then the seed.
    seeded.extend_from_slice(&[0, 9, 4]);
    seeded.extend_from_slice(b"seed");
    seeded.extend_from_slice(&seed.to_le_bytes());
    seeded
}

/// Cold compiles of a large module: the window's background compile (its thread, the cache,
/// the pin) against a bare `Module::new` on an engine with the same settings, and against
/// wasmtime's default engine; then Winch and Pulley against Cranelift.
fn compile_speed(rows: &mut Vec<Row>) {
    use engine::sandbox::{EngineKey, shared_engine};
    use wasmscope::ui::job::Job;
    let base = large_module(60_000, 0, 1 << 20);
    let mb = base.len() as f64 / 1e6;
    let mut seed = 0;
    let mut fresh = || {
        seed += 1;
        with_seed(&base, seed)
    };
    let key_for = |compiler| {
        EngineKey::for_policy(&SandboxPolicy {
            compiler,
            ..SandboxPolicy::default()
        })
    };
    let cranelift = key_for(engine::Compiler::Cranelift);
    let shared = shared_engine(cranelift).unwrap();
    let default_engine = wasmtime::Engine::default();
    let ctx = eframe::egui::Context::default();
    let (mut ours, mut bare, mut default) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        let wasm = fresh();
        ours.push(
            time(|| {
                let job = Job::spawn("compile", "bench", &ctx, move || {
                    wasmscope::ui::compile::compile(&wasm, cranelift)
                })
                .unwrap();
                loop {
                    if let Some(result) = job.poll() {
                        return result.unwrap().unwrap();
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            })
            .0,
        );
        let wasm = fresh();
        bare.push(time(|| wasmtime::Module::new(&shared.engine, &wasm).unwrap()).0);
        let wasm = fresh();
        default.push(time(|| wasmtime::Module::new(&default_engine, &wasm).unwrap()).0);
    }
    let (ours, bare, default) = (median(ours), median(bare), median(default));
    rows.push(Row {
        measure: format!("cold compile, {mb:.1} MB module"),
        value: format!(
            "{ours:.2} s in the background vs bare Module::new {bare:.2} s (same engine settings)"
        ),
        ratio: ours / bare,
        goal: "<= 1.05x".into(),
        met: ours / bare <= 1.05,
    });
    rows.push(Row {
        measure: "cold compile vs wasmtime's default engine".into(),
        value: format!(
            "{ours:.2} s vs {default:.2} s (epoch checks for timeout and Stop cost this)"
        ),
        ratio: ours / default,
        goal: "<= 1.2x".into(),
        met: ours / default <= 1.2,
    });
    for compiler in [engine::Compiler::Winch, engine::Compiler::Pulley] {
        let shared = shared_engine(key_for(compiler)).unwrap();
        let took = median(
            (0..3)
                .map(|_| {
                    let wasm = fresh();
                    time(|| wasmtime::Module::new(&shared.engine, &wasm).unwrap()).0
                })
                .collect(),
        );
        rows.push(Row {
            measure: format!("compile with {}, {mb:.1} MB module", compiler.name()),
            value: format!("{took:.2} s vs Cranelift {bare:.2} s"),
            ratio: took / bare,
            goal: "README's words".into(),
            met: true,
        });
    }
}

/// A guest that lives on WASI calls: reads `big.bin` from its folder in 4 KiB chunks, asks the
/// clock 200,000 times, writes 10,000 lines.
const WASI_HEAVY: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "big.bin")
  (data (i32.const 80) "line\0a")
  (func (export "_start") (local $i i32)
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 7) (i32.const 0)
      (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 12)))
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 4096))
    (block $eof (loop $more
      (drop (call $read (i32.load (i32.const 12)) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $eof (i32.eqz (i32.load (i32.const 8))))
      (br $more)))
    (local.set $i (i32.const 200000))
    (loop $tick
      (drop (call $clock (i32.const 1) (i64.const 1) (i32.const 16)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $tick (local.get $i)))
    (i32.store (i32.const 32) (i32.const 80))
    (i32.store (i32.const 36) (i32.const 5))
    (local.set $i (i32.const 10000))
    (loop $line
      (drop (call $write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 40)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $line (local.get $i)))))"#;

/// Recording's cost: the WASI-heavy guest recorded against the same run unrecorded, and what
/// the recording holds beyond the bytes read.
fn record_overhead(rows: &mut Vec<Row>) {
    const FILE_BYTES: usize = 16 << 20;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![7u8; FILE_BYTES]).unwrap();
    let wasm = wat::parse_str(WASI_HEAVY).unwrap();
    let policy = SandboxPolicy {
        dirs: vec![engine::DirGrant {
            host_path: dir.path().to_owned(),
            guest_path: "/data".into(),
            read_only: true,
            scratch: false,
        }],
        ..compute_policy()
    };
    let run = |record: bool| {
        let mut request = request("wasi_heavy", &wasm, policy.clone());
        request.invocation.record_max_bytes =
            record.then_some(engine::record::DEFAULT_RECORD_MAX_BYTES);
        runner::spawn(request, None).unwrap().wait()
    };
    let (with, without, report) = compare_runs(|| run(true), || run(false));
    let size = report.recording.as_ref().map_or(0, |r| r.len());
    let calls = FILE_BYTES / 4096 + 1 + 200_000 + 10_000 + 1;
    let per_call = size.saturating_sub(FILE_BYTES + wasm.len()) as f64 / calls as f64;
    let ratio = with / without;
    rows.push(Row {
        measure: "recording a WASI-heavy run (16 MiB in 4 KiB reads, 200k clock calls, 10k lines)"
            .into(),
        value: format!(
            "{:.0} ms recorded vs {:.0} ms; the file holds the bytes read + {per_call:.1} bytes \
             per call",
            with * 1e3,
            without * 1e3
        ),
        ratio,
        goal: "<= 1.10x".into(),
        met: ratio <= 1.10,
    });
}

/// A store-heavy loop of about 100 million wasm instructions: 6.7 million iterations of 15
/// instructions, each storing to one of 16,384 words (so the watched word is written 409
/// times, past the moments the first replay keeps: the answer takes both replays).
const STORE_HEAVY: &str = r#"
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $i i32) (local $p i32)
    (drop (call $random_get (i32.const 0) (i32.const 4)))
    (local.set $i (i32.const 6700000))
    (loop $again
      (local.set $p (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 0xfffc)))
      (i32.store (local.get $p) (local.get $i))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $again (local.get $i)))))"#;

/// "Who wrote this?": `replay --last-write` (both replays, as the CLI runs them) against a
/// plain replay of the same recording of the store-heavy loop.
fn last_write_overhead(rows: &mut Vec<Row>) {
    use engine::policy::{LastWriteRequest, ReplaySource, WatchedRange};
    let wasm = wat::parse_str(STORE_HEAVY).unwrap();
    let mut recorded = request("store_heavy", &wasm, compute_policy());
    recorded.invocation.record_max_bytes = Some(engine::record::DEFAULT_RECORD_MAX_BYTES);
    let report = runner::spawn(recorded, None).unwrap().wait();
    let bytes = report.recording.expect("recorded");
    let recording = engine::record::recording::Recording::parse(&bytes).unwrap();
    let replay = |watched: Option<LastWriteRequest>| {
        let mut request = request(
            "store_heavy",
            &recording.module,
            recording.header.policy.clone(),
        );
        request.invocation.replay = Some(ReplaySource(Arc::clone(&recording.calls)));
        request.invocation.last_write = watched;
        runner::spawn(request, None).unwrap().wait()
    };
    let range = WatchedRange::parse("0x100:4").unwrap();
    let search = || {
        let mut first = replay(Some(LastWriteRequest {
            range,
            stop_at_write: None,
        }));
        let found = first.last_write.as_mut().expect("searched");
        if let Some(number) = found.moment_missing {
            let second = replay(Some(LastWriteRequest {
                range,
                stop_at_write: Some(number),
            }));
            found.complete_with(second.last_write.expect("searched again"));
        }
        first
    };
    let (with, without, report) = compare_runs(search, || replay(None));
    let found = report.last_write.unwrap();
    let write = found.last_write.expect("the loop writes the word");
    assert!(!write.frames.is_empty() && !write.before.is_empty());
    let ratio = with / without;
    rows.push(Row {
        measure: "replay --last-write vs plain replay, store-heavy loop of 100M instructions"
            .into(),
        value: format!(
            "{:.0} ms vs {:.0} ms ({} writes to the word; two replays)",
            with * 1e3,
            without * 1e3,
            found.last_write_count
        ),
        ratio,
        goal: "<= 10x".into(),
        met: ratio <= 10.0,
    });
}

fn common_timeout(ms: u64) -> SandboxPolicy {
    SandboxPolicy {
        timeout_ms: Some(ms),
        ..SandboxPolicy::default()
    }
}

fn main() {
    // Keep wasmtime's disk cache out of the cold measurements (set before any engine exists).
    // SAFETY: no other thread is running yet.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var("WASMSCOPE_NO_DISK_CACHE", "1")
    };
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let mut rows = Vec::new();
    type Bench = fn(&mut Vec<Row>);
    let benches: [(&str, Bench); 14] = [
        ("overhead", runner_overhead),
        ("notimeout", no_timeout_overhead),
        ("profiler", profiler_overhead),
        ("debug", debug_overhead),
        ("breakpoint", breakpoint_latency),
        ("inspect", inspect_speed),
        ("start", cold_and_warm_start),
        ("compile", compile_speed),
        ("flood", output_flood),
        ("stop", timeout_and_stop),
        ("gui", gui_frame_time),
        ("tenants", tenant_throughput),
        ("record", record_overhead),
        ("lastwrite", last_write_overhead),
    ];
    for (name, bench) in benches {
        if wanted(name) {
            eprintln!("running {name}…");
            bench(&mut rows);
        }
    }
    println!(
        "\n{:<50} {:>8}  {:<26} {:<4} value",
        "measure", "ratio", "goal", "met"
    );
    for row in &rows {
        println!(
            "{:<50} {:>7.3}x  {:<26} {:<4} {}",
            row.measure,
            row.ratio,
            row.goal,
            if row.met { "yes" } else { "NO" },
            row.value
        );
    }
}
