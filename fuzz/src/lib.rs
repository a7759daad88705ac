//! The hostile-module harness shared by the fuzz targets and by `tests/fuzz_slice.rs`, which
//! includes this file with `#[path]` so plain `cargo test` runs a bounded slice of the same.
//!
//! Two properties are checked, each against what a user would see:
//! - any bytes at all can be inspected and loaded without a panic, and an invalid module
//!   says why ([`check_bytes`]);
//! - any wasm-smith module that may call real WASI functions runs in the full sandbox to a
//!   classified outcome, promptly, within its caps ([`smith_case`], [`run_case`],
//!   [`check_report`]).
//!
//! A violated property panics with its reason: in a fuzz target that panic is the finding.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use wasmscope::engine::{
    self, Entry, ExternKind, Invocation, ModuleInfo, ModuleKind, RunEvent, RunOutcome, RunReport,
    RunRequest, SandboxPolicy, StdinSource,
};
use wasmscope::runner;

/// The WASI preview 1 module the sandbox provides.
pub const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// The WASI functions a generated module may import: output, input, exit, randomness, clocks,
/// arguments, environment and a sleep (`poll_oneoff`), so a run can print, read, exit with a
/// code, and block in a host call that only the timeout can end.
pub const WASI_FUNCS: &[&str] = &[
    "fd_write",
    "fd_read",
    "proc_exit",
    "random_get",
    "clock_time_get",
    "args_sizes_get",
    "args_get",
    "environ_sizes_get",
    "sched_yield",
    "poll_oneoff",
    "fd_close",
    "fd_fdstat_get",
];

/// An import the sandbox does not provide, offered to some modules so the unresolved-import
/// path is exercised too.
pub const MISSING_IMPORT: (&str, &str) = ("env", "not_provided");

/// Caps for fuzzed runs: small enough that a hostile module ends quickly.
pub const MAX_MEMORY_BYTES: u64 = 16 * 1024 * 1024;
/// Table cap for fuzzed runs.
pub const MAX_TABLE_ELEMENTS: u64 = 1000;
/// Timeout for fuzzed runs.
pub const TIMEOUT_MS: u64 = 200;
/// Fuel budget for fuzzed runs.
pub const FUEL: u64 = 100_000;
/// A run that has not reported by then is hung: far beyond the timeout, so it catches hangs,
/// not slowness (compile time is not covered by the timeout).
pub const HANG_AFTER: Duration = Duration::from_secs(20);

/// The message `RunHandle::wait` gives when the worker thread died without a report: a panic.
const LOST_WORKER: &str = "the worker thread ended without a report";

/// WAT for a module that imports `names` from WASI with the sandbox's own signatures, read
/// from [`engine::module::inspect::provided_imports`] so they cannot drift from what a run links.
/// With `with_missing`, it also imports [`MISSING_IMPORT`].
///
/// # Panics
/// If a name is not provided by the sandbox (a bug in the harness's list).
pub fn imports_wat(names: &[&str], with_missing: bool) -> String {
    let provided = engine::module::inspect::provided_imports();
    let mut wat = String::from("(module\n");
    for name in names {
        let sig = provided
            .get(&(WASI_MODULE.to_owned(), (*name).to_owned()))
            .unwrap_or_else(|| panic!("the sandbox provides no {WASI_MODULE}::{name}"));
        let _ = write!(wat, "  (import \"{WASI_MODULE}\" \"{name}\" (func");
        for param in &sig.params {
            let _ = write!(wat, " (param {param})");
        }
        for result in &sig.results {
            let _ = write!(wat, " (result {result})");
        }
        wat.push_str("))\n");
    }
    if with_missing {
        let (module, name) = MISSING_IMPORT;
        let _ = writeln!(wat, "  (import \"{module}\" \"{name}\" (func (param i32)))");
    }
    wat.push(')');
    wat
}

/// [`imports_wat`] for every function in [`WASI_FUNCS`], as binary wasm.
///
/// # Panics
/// If the WAT does not parse (a bug in the harness).
pub fn available_imports(with_missing: bool) -> Vec<u8> {
    let wat = imports_wat(WASI_FUNCS, with_missing);
    wat::parse_str(&wat).unwrap_or_else(|e| panic!("the imports module must parse: {e}\n{wat}"))
}

/// The two available-imports modules, built once: WASI only, and WASI plus a missing import.
pub struct Imports {
    wasi: Vec<u8>,
    wasi_and_missing: Vec<u8>,
    /// Export shapes: `_start` alone, and `_start` with a `memory` for WASI to use.
    shapes: [Vec<u8>; 3],
}

impl Imports {
    /// Builds the modules wasm-smith draws imports and exports from.
    pub fn new() -> Self {
        Self {
            wasi: available_imports(false),
            wasi_and_missing: available_imports(true),
            shapes: [
                r#"(module (func (export "_start")))"#,
                r#"(module (memory (export "memory") 1) (func (export "_start")))"#,
                r#"(module (memory (export "memory") 0 2) (func (export "_start")))"#,
            ]
            .map(|wat| {
                wat::parse_str(wat).unwrap_or_else(|e| panic!("the shape must parse: {e}\n{wat}"))
            }),
        }
    }
}

impl Default for Imports {
    fn default() -> Self {
        Self::new()
    }
}

/// A generated module and how to run it.
#[derive(Clone, Debug)]
pub struct SmithCase {
    /// Binary wasm from wasm-smith.
    pub wasm: Vec<u8>,
    /// The fuzzed run's policy (caps above).
    pub policy: SandboxPolicy,
    /// What the run passes: arguments, stdin, an entry chosen from the exports.
    pub invocation: Invocation,
}

/// A wasm-smith configuration with small limits, whose imports come from `imports`. Some
/// choices (proposals, traps, exports) are drawn from `u`, swarm-style, so one fixed
/// configuration does not hide a whole class of modules.
pub fn smith_config(
    u: &mut Unstructured,
    imports: &Imports,
) -> arbitrary::Result<wasm_smith::Config> {
    let mut config = wasm_smith::Config {
        available_imports: Some(if u.ratio(1, 8)? {
            imports.wasi_and_missing.clone()
        } else {
            imports.wasi.clone()
        }),
        max_imports: 8,
        max_funcs: 16,
        min_funcs: 1,
        max_instructions: 200,
        max_types: 16,
        max_globals: 8,
        max_memories: 1,
        // Up to 32 pages, some above the 16 MiB cap below so instantiation can be denied.
        max_memory32_bytes: u.int_in_range(1..=32)? * 1024 * 1024,
        max_memory64_bytes: 32 * 1024 * 1024,
        max_tables: 2,
        max_table_elements: 2000,
        max_data_segments: 4,
        max_element_segments: 4,
        max_elements: 32,
        max_exports: 8,
        max_tags: 4,
        max_type_size: 64,
        disallow_traps: u.ratio(1, 4)?,
        memory64_enabled: u.ratio(1, 8)?,
        threads_enabled: u.ratio(1, 8)?,
        simd_enabled: u.arbitrary()?,
        relaxed_simd_enabled: false,
        gc_enabled: u.ratio(1, 4)?,
        exceptions_enabled: u.ratio(1, 4)?,
        tail_call_enabled: u.arbitrary()?,
        ..wasm_smith::Config::default()
    };
    match u.int_in_range(0..=5)? {
        // Most modules are commands with a `_start` of the right type, most of those with a
        // `memory` so WASI calls get past "missing required memory export".
        n @ 0..=2 => config.exports = Some(imports.shapes[n as usize].clone()),
        3 => config.exports = Some(imports.shapes[1].clone()),
        4 => config.export_everything = true,
        _ => {}
    }
    Ok(config)
}

/// Generates a module from `u` and chooses how to run it.
pub fn smith_case(u: &mut Unstructured, imports: &Imports) -> arbitrary::Result<SmithCase> {
    let config = smith_config(u, imports)?;
    let wasm = wasm_smith::Module::new(config, u)?.to_bytes();
    let (policy, invocation) = policy_for(&engine::inspect(&wasm), u)?;
    Ok(SmithCase {
        wasm,
        policy,
        invocation,
    })
}

/// The fuzzed-run policy for a module: the small caps above, some stdin, arguments and
/// environment for WASI to read, and an entry from [`choose_entry`].
pub fn policy_for(
    info: &ModuleInfo,
    u: &mut Unstructured,
) -> arbitrary::Result<(SandboxPolicy, Invocation)> {
    let policy = SandboxPolicy {
        max_memory_bytes: MAX_MEMORY_BYTES,
        max_table_elements: MAX_TABLE_ELEMENTS,
        trap_on_grow_failure: u.ratio(1, 4)?,
        timeout_ms: Some(TIMEOUT_MS),
        // A few runs have no fuel, so only the timeout stops a guest that never ends.
        fuel: if u.ratio(1, 16)? { None } else { Some(FUEL) },
        env: vec![("FUZZ".to_owned(), "1".to_owned())],
        ..SandboxPolicy::default()
    };
    let invocation = Invocation {
        args: vec!["--fuzz".to_owned(), "ä".to_owned()],
        argv0: None,
        stdin: StdinSource::Bytes(b"hostile input\n".to_vec()),
        entry: choose_entry(info, u)?,
        profiler_interval_ms: None,
        // Every run records, so its replay can be checked against it.
        record_max_bytes: Some(RECORD_MAX_BYTES),
        replay: None,
        last_write: None,
        travel: None,
        stoppable: true,
    };
    Ok((policy, invocation))
}

/// `_start` when the module has one; else the first exported function whose parameters can
/// be given as text (nullary first), with arguments drawn from `u`; else `_start` anyway,
/// which must end as `Failed` with a message naming the exports.
pub fn choose_entry(info: &ModuleInfo, u: &mut Unstructured) -> arbitrary::Result<Entry> {
    if info.export_sig("_start").is_some() {
        return Ok(Entry::Default);
    }
    let functions = || {
        info.exports
            .iter()
            .filter(|e| e.kind == ExternKind::Func)
            .filter_map(|e| Some((e.name.as_str(), e.sig.as_ref()?)))
    };
    let nullary = functions().find(|(_, sig)| sig.params.is_empty());
    let numeric = || {
        functions().find(|(_, sig)| {
            sig.params
                .iter()
                .all(|p| matches!(p.as_str(), "i32" | "i64" | "f32" | "f64"))
        })
    };
    let Some((name, sig)) = nullary.or_else(numeric) else {
        return Ok(Entry::Default);
    };
    let mut args = Vec::with_capacity(sig.params.len());
    for param in &sig.params {
        args.push(match param.as_str() {
            "i32" => u.arbitrary::<i32>()?.to_string(),
            "i64" => u.arbitrary::<i64>()?.to_string(),
            "f32" => u.arbitrary::<f32>()?.to_string(),
            _ => u.arbitrary::<f64>()?.to_string(),
        });
    }
    Ok(Entry::Invoke {
        name: name.to_owned(),
        args,
    })
}

/// SplitMix64: a tiny deterministic generator, so a seed is a whole case.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The raw bytes wasm-smith draws a module from, for `seed`: 1–4 KiB.
pub fn smith_input(seed: u64) -> Vec<u8> {
    let mut rng = SplitMix(seed);
    let len = 1024 + rng.below(3 * 1024 + 1);
    rng.bytes(len)
}

/// Lower-case hex of `bytes`, to print a module with its finding.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What one wasm-smith seed came to.
pub enum SeedResult {
    /// wasm-smith declined the input (constraints it cannot meet): not a finding.
    Declined {
        /// wasm-smith's reason.
        reason: String,
    },
    /// The module ran to a classified outcome that agrees with its policy.
    Ran {
        /// `_start` or `invoke`.
        entry: &'static str,
        /// The outcome's kind, e.g. `exited` or `trapped (UnreachableCodeReached)`.
        kind: String,
        /// The outcome in one line.
        summary: String,
    },
    /// The run broke a property: the finding, with the module that did it.
    Broken {
        /// Why.
        finding: Broken,
        /// The module.
        wasm: Vec<u8>,
    },
}

/// Generates the module of `seed` ([`smith_input`]), runs it in the full sandbox and checks
/// the report: the one target shared by `tests/fuzz_slice.rs` and `examples/fuzz.rs`.
pub fn run_smith_seed(seed: u64, imports: &Imports) -> SeedResult {
    let input = smith_input(seed);
    let mut u = Unstructured::new(&input);
    let case = match smith_case(&mut u, imports) {
        Ok(case) => case,
        Err(e) => {
            return SeedResult::Declined {
                reason: e.to_string(),
            };
        }
    };
    let entry = match case.invocation.entry {
        Entry::Default => "_start",
        Entry::Invoke { .. } => "invoke",
    };
    let checked = run_case(
        &format!("seed-{seed}.wasm"),
        &case.wasm,
        &case.policy,
        &case.invocation,
    )
    .and_then(|report| check_report(&report, &case.policy).map(|()| report))
    .and_then(|report| check_replay(&report, &case.policy).map(|()| report));
    match checked {
        Ok(report) => SeedResult::Ran {
            entry,
            kind: outcome_kind(&report.outcome),
            summary: report.outcome.summary(),
        },
        Err(finding) => SeedResult::Broken {
            finding,
            wasm: case.wasm,
        },
    }
}

/// The bound on a fuzzed run's recording.
pub const RECORD_MAX_BYTES: u64 = 1 << 20;

/// Replays `report`'s recording (when the run recorded and ended on its own) and checks the
/// replay ends the same way: the same outcome, exit code, trap code and frames, and as many
/// bytes of stdout and stderr. A timed-out run is not checked (where a timeout lands is not
/// an input the recording holds), nor one cut by the recording's bound.
pub fn check_replay(report: &RunReport, policy: &SandboxPolicy) -> Result<(), Broken> {
    use wasmscope::engine::record::recording::Recording;
    let Some(bytes) = &report.recording else {
        return Ok(());
    };
    let recording = Recording::parse(bytes)
        .map_err(|e| Broken(format!("the run's own recording does not read back: {e}")))?;
    if recording.calls.end.cut.is_some()
        || matches!(
            report.outcome,
            RunOutcome::TimedOut { .. } | RunOutcome::Cancelled | RunOutcome::Failed { .. }
        )
    {
        return Ok(());
    }
    let invocation = Invocation {
        replay: Some(wasmscope::engine::policy::ReplaySource(Arc::clone(
            &recording.calls,
        ))),
        ..recording.header.invocation.clone()
    };
    // The recorded run ended on its own (not at the timeout), so its replay must too: the
    // timeout is only a safety net here, long enough that a slower machine (or a loaded one)
    // cannot make a run that ran out of fuel time out instead.
    let replay_policy = SandboxPolicy {
        timeout_ms: policy.timeout_ms.map(|ms| ms.saturating_mul(10)),
        ..policy.clone()
    };
    let replayed = run_case(
        &recording.header.module_name,
        &recording.module,
        &replay_policy,
        &invocation,
    )?;
    let shape = |r: &RunReport| {
        let trap = match &r.outcome {
            // Functions, not offsets: wasm-smith's seed 1 traps one byte apart in two runs of
            // the same module with no WASI call at all, so the offset can differ outside
            // anything a recording holds (the samples' replays compare offsets too).
            RunOutcome::Trapped { trap } => {
                let frames: Vec<_> = trap.frames.iter().map(|f| f.func_index).collect();
                format!("{} {frames:?}", trap.code)
            }
            _ => String::new(),
        };
        (
            r.outcome.name(),
            r.exit_code,
            trap,
            r.stats.stdout_bytes,
            r.stats.stderr_bytes,
        )
    };
    if shape(&replayed) != shape(report) {
        let calls: Vec<String> = recording
            .calls
            .calls
            .iter()
            .map(|c| {
                format!(
                    "{}{:?}={:?} {:?} writes {:?}",
                    recording.calls.name_of(c),
                    c.params,
                    c.results,
                    c.end,
                    c.writes
                        .iter()
                        .map(|(a, b)| (a, b.len()))
                        .collect::<Vec<_>>()
                )
            })
            .collect();
        return Err(Broken(format!(
            "the replay differs from the recorded run: {:?} against {:?}\nrecorded calls: \
             {calls:?}\nreplay: {}",
            shape(&replayed),
            shape(report),
            replayed.to_json()
        )));
    }
    check_last_write(
        report,
        &recording,
        policy,
        &invocation,
        &shape(report),
        shape,
    )
}

/// Replays again through `--last-write`'s instrumented copy, watching the first 64 bytes, and
/// checks it ends as the recorded run did (its frames mapped back to the module's own) and
/// answers. Modules it refuses (no memory, atomics, ...) and runs out of fuel are skipped, as
/// the CLI refuses them.
fn check_last_write<S: PartialEq + std::fmt::Debug>(
    report: &RunReport,
    recording: &wasmscope::engine::record::recording::Recording,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    expected: &S,
    shape: impl Fn(&RunReport) -> S,
) -> Result<(), Broken> {
    use wasmscope::engine::policy::{LastWriteRequest, WatchedRange};
    use wasmscope::engine::record::last_write::instrument;
    let range = WatchedRange { addr: 0, len: 64 };
    if matches!(report.outcome, RunOutcome::FuelExhausted { .. })
        || instrument::check(&recording.module, range).is_err()
    {
        return Ok(());
    }
    let policy = SandboxPolicy {
        fuel: None,
        timeout_ms: policy.timeout_ms.map(|ms| ms.saturating_mul(10)),
        ..policy.clone()
    };
    let invocation = Invocation {
        last_write: Some(LastWriteRequest {
            range,
            stop_at_write: None,
        }),
        ..invocation.clone()
    };
    let searched = run_case(
        &recording.header.module_name,
        &recording.module,
        &policy,
        &invocation,
    )?;
    // A stack overflow comes at another depth in the copy (its frames are larger): the
    // answer says so (`last_write_caveat`) instead of matching.
    let overflowed = searched
        .last_write
        .as_ref()
        .is_some_and(|l| l.last_write_caveat.is_some());
    if matches!(searched.outcome, RunOutcome::TimedOut { .. }) || overflowed {
        return Ok(());
    }
    if &shape(&searched) != expected || searched.last_write.is_none() {
        return Err(Broken(format!(
            "the --last-write replay differs from the recorded run: {:?} against {expected:?}\n\
             replay: {}",
            shape(&searched),
            searched.to_json()
        )));
    }
    Ok(())
}

/// An outcome's kind for a tally: the outcome's name, with a trap's code or the head of a
/// failure's message (without the module-specific details after the colon).
pub fn outcome_kind(outcome: &RunOutcome) -> String {
    match outcome {
        RunOutcome::Trapped { trap } => format!("trapped ({})", trap.code),
        RunOutcome::Failed { error, .. } => {
            let head = error.split([':', '(']).next().unwrap_or(error);
            format!("failed ({})", head.trim())
        }
        other => other.name().to_owned(),
    }
}

/// Why a run broke a property: the finding.
#[derive(Debug)]
pub struct Broken(pub String);

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `wasm` under `policy` through the runner (worker thread, ticker, events), draining
/// events as a face would. Returns the final report, or why the run is broken: the worker
/// could not start, or no report came within [`HANG_AFTER`] (the run is then cancelled).
pub fn run_case(
    name: &str,
    wasm: &[u8],
    policy: &SandboxPolicy,
    invocation: &Invocation,
) -> Result<RunReport, Broken> {
    let handle = runner::spawn(
        RunRequest {
            precompiled: None,
            name: name.to_owned(),
            wasm: Arc::from(wasm),
            policy: policy.clone(),
            invocation: invocation.clone(),
            info: None,
        },
        None,
    )
    .map_err(|e| Broken(format!("the worker did not start: {e}")))?;
    let deadline = Instant::now() + HANG_AFTER;
    let mut report = None;
    loop {
        match handle.events.recv_deadline(deadline) {
            Ok(RunEvent::Finished(finished)) => report = Some(*finished),
            Ok(_) => {}
            // Every sender is gone: the run is over, with or without a report.
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                handle.cancel();
                return Err(Broken(format!(
                    "no report within {HANG_AFTER:?} (timeout {:?} ms): the host hung",
                    policy.timeout_ms
                )));
            }
        }
    }
    // Joins the worker and ticker; without a `Finished` event this is the "lost" report.
    let joined = handle.wait();
    Ok(report.unwrap_or(joined))
}

/// Checks that `report` is a classified outcome that agrees with `policy` and its caps.
pub fn check_report(report: &RunReport, policy: &SandboxPolicy) -> Result<(), Broken> {
    let broken = |why: String| Err(Broken(format!("{why}\nreport: {}", report.to_json())));
    match &report.outcome {
        RunOutcome::Exited { code } => {
            if report.exit_code != Some(*code) {
                return broken(format!(
                    "exited with {code} but exit_code is {:?}",
                    report.exit_code
                ));
            }
        }
        RunOutcome::Trapped { trap } => {
            if trap.code.is_empty() || trap.message.is_empty() {
                return broken("a trap without a code or message".to_owned());
            }
        }
        RunOutcome::TimedOut { timeout_ms } => {
            if Some(*timeout_ms) != policy.timeout_ms {
                return broken(format!("timed out after {timeout_ms} ms, not the policy's"));
            }
        }
        RunOutcome::FuelExhausted { fuel } => {
            if Some(*fuel) != policy.fuel {
                return broken(format!("ran out of a budget of {fuel}, not the policy's"));
            }
        }
        RunOutcome::Cancelled => return broken("cancelled, but nobody cancelled".to_owned()),
        RunOutcome::Diverged { .. } => {
            return broken("diverged, but the run replayed nothing".to_owned());
        }
        RunOutcome::Failed { error, .. } => {
            if error.trim().is_empty() {
                return broken("failed without a message".to_owned());
            }
            if error.contains(LOST_WORKER) {
                return broken("the worker thread died (a host panic)".to_owned());
            }
        }
    }
    if !matches!(report.outcome, RunOutcome::Exited { .. }) && report.exit_code.is_some() {
        return broken("an exit code without an exit".to_owned());
    }
    if report.stats.peak_memory_bytes > policy.max_memory_bytes {
        return broken(format!(
            "memory peaked at {} bytes, above the cap of {}",
            report.stats.peak_memory_bytes, policy.max_memory_bytes
        ));
    }
    if let (Some(used), Some(fuel)) = (report.stats.fuel_consumed, policy.fuel)
        && used > fuel
    {
        return broken(format!("consumed {used} fuel of a budget of {fuel}"));
    }
    if report.denied_growths.len() as u64 > report.denied_growths_count {
        return broken("more recorded denials than counted".to_owned());
    }
    // JSON -> report -> JSON must be stable (fields kept out of JSON, like a core dump, are
    // legitimately lost on the way).
    let json = report.to_json();
    match serde_json::from_str::<RunReport>(&json) {
        Ok(back) if back.to_json() == json => {}
        Ok(back) => {
            return broken(format!(
                "the JSON report reads back differently:\n{}",
                back.to_json()
            ));
        }
        Err(e) => return broken(format!("the JSON report does not read back: {e}")),
    }
    Ok(())
}

/// Inspects and loads `bytes` as a user's file would be; checks that nothing panics and that
/// whatever is rejected says why.
pub fn check_bytes(bytes: &[u8]) -> Result<(), Broken> {
    check_info(&engine::inspect(bytes), bytes.len())?;
    match engine::load_bytes("fuzz.wasm", bytes.to_vec()) {
        Ok(loaded) => {
            if !loaded.wasm.starts_with(b"\0asm") {
                return Err(Broken(format!(
                    "loaded (from_text: {}) into bytes that are not binary wasm",
                    loaded.from_text
                )));
            }
            if loaded.from_text {
                check_info(&engine::inspect(&loaded.wasm), loaded.wasm.len())?;
            }
        }
        Err(e) if e.message.trim().is_empty() => {
            return Err(Broken("a load error without a message".to_owned()));
        }
        Err(_) => {}
    }
    Ok(())
}

fn check_info(info: &ModuleInfo, len: usize) -> Result<(), Broken> {
    if info.size_bytes != len as u64 {
        return Err(Broken(format!(
            "size_bytes {} for {len} bytes",
            info.size_bytes
        )));
    }
    match (&info.kind, &info.error) {
        (ModuleKind::Invalid, None) => Err(Broken("invalid without an error".to_owned())),
        (ModuleKind::Invalid, Some(e)) if e.to_string().trim().is_empty() => {
            Err(Broken("invalid with an empty error".to_owned()))
        }
        _ => Ok(()),
    }
}
