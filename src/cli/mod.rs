//! The headless face: `wasmscope run` and `wasmscope inspect`, over the same engine as the GUI.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};

use crate::engine::{
    self, Compiler, DirGrant, Entry, Invocation, Limit, ModuleKind, PolicyError, RunReport,
    SandboxPolicy, StdinSource, exit_status, format_bytes,
};
use crate::runner;

/// wasmscope: see inside a WebAssembly sandbox.
///
/// With no subcommand, opens the desktop explorer (with FILE loaded, if given).
#[derive(Debug, Parser)]
#[command(name = "wasmscope", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; none opens the window.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
    /// A module to open in the window.
    pub file: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Run a module in a sandbox; guest output streams to this terminal.
    Run(Box<RunArgs>),
    /// Show what a module imports and exports and which capabilities it can ask for.
    Inspect(InspectArgs),
    /// Compile a module ahead of time into a `.cwasm` that `run` loads without compiling.
    Compile(CompileArgs),
    /// Run a recording (`run --record FILE`) again exactly: every WASI call is answered from
    /// it, and nothing of this machine (folders, environment, stdin, clock, random) is read.
    Replay(replay::ReplayArgs),
    /// Serve the Debug Adapter Protocol on stdin/stdout for an editor's debugger (a recorded
    /// run, debugged forwards and backwards; see the README for the launch arguments).
    Dap,
}

/// `wasmscope compile`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    /// A .wasm or .wat file.
    pub file: PathBuf,
    /// Where to write the precompiled module [default: FILE with extension .cwasm].
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Compile with fuel metering, for runs that set `--fuel`.
    #[arg(long)]
    pub fuel_metering: bool,
    /// Compiler: cranelift (fast code), winch (fast compile) or pulley (interpreter).
    #[arg(long, value_name = "NAME", default_value = "cranelift", value_parser = Compiler::parse)]
    pub compiler: Compiler,
}

/// `wasmscope inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A .wasm or .wat file.
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Load precompiled code that wasmscope did not make (no tag), to list its imports and
    /// exports. Only for files you made or trust: it is native code.
    #[arg(long)]
    pub allow_precompiled: bool,
}

/// `wasmscope run`.
#[derive(Debug, Args)]
#[command(after_help = EXIT_STATUS_HELP)]
pub struct RunArgs {
    /// Start from this sandbox profile (TOML); the other flags override it. wasmtime's
    /// `--profile=guest[,FILE[,INTERVAL]]` profiles the guest instead (see --profile-guest).
    #[arg(long, value_name = "FILE", value_parser = ProfileFlag::parse)]
    pub profile: Option<ProfileFlag>,
    /// Profile the guest: sample its stack every --profile-interval, write a Firefox Profiler
    /// file to FILE (open it at https://profiler.firefox.com) and print the top functions.
    #[arg(long, value_name = "FILE")]
    pub profile_guest: Option<PathBuf>,
    /// How often the guest profiler samples, e.g. `1ms` (a bare number is milliseconds)
    /// [default: 1ms].
    #[arg(long, value_name = "DURATION", value_parser = guest::interval_ms)]
    pub profile_interval: Option<u64>,
    /// Grant a host directory read-write: HOST or HOST::GUEST (e.g. `./data::/data`; split at
    /// the last `::`, so a host folder named with `::` needs its GUEST spelled out).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// Grant a host directory read-only: HOST or HOST::GUEST.
    #[arg(long = "ro-dir", value_name = "HOST[::GUEST]")]
    pub ro_dirs: Vec<String>,
    /// Grant a host directory read-write on a scratch copy: the real folder stays untouched
    /// and the run ends with a report of what the guest would have changed.
    #[arg(long = "scratch-dir", value_name = "HOST[::GUEST]")]
    pub scratch_dirs: Vec<String>,
    /// Allow folder grants that hand the guest the host: `/`, `/proc`, `/sys`, `/dev`,
    /// `/etc` or your home directory (symlinks resolved). Without it they are refused, except
    /// read-only grants of `/dev`, `/etc` and the home directory.
    #[arg(long)]
    pub allow_host_dir: bool,
    /// Set an environment variable (NAME=VAL), or copy NAME from this process's environment.
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    pub env: Vec<String>,
    /// Call this export (after `_initialize`) with ARGS as its typed arguments; print results.
    #[arg(long, value_name = "NAME")]
    pub invoke: Option<String>,
    /// Cap on each linear memory, e.g. `64MiB` [default: 256MiB].
    #[arg(long, value_name = "SIZE", value_parser = |text: &str| Limit::MaxMemory.parse(text))]
    pub max_memory: Option<u64>,
    /// Cap on each table's elements [default: 100000].
    #[arg(long, value_name = "N")]
    pub max_table_elements: Option<u64>,
    /// Wall-clock limit, e.g. `2s`, `500ms`; `0` for none, which also compiles the guest
    /// without the checks a timeout needs (full speed; Ctrl-C then waits for a host call)
    /// [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = TimeoutMs::parse)]
    pub timeout: Option<TimeoutMs>,
    /// Fuel budget (about one unit per instruction); off unless given.
    #[arg(long, value_name = "N")]
    pub fuel: Option<u64>,
    /// Maximum wasm stack, e.g. `512KiB` [default: 512KiB].
    #[arg(long, value_name = "SIZE", value_parser = stack_bytes)]
    pub max_stack: Option<usize>,
    /// Trap when a memory or table growth is denied, instead of returning -1 to the guest.
    #[arg(long)]
    pub trap_on_grow_failure: bool,
    /// Quota on the bytes the guest may add to its read-write folders, e.g. `100MiB`; past
    /// it, writes fail as on a full disk (core modules) [default: 1GiB].
    #[arg(long, value_name = "SIZE", value_parser = |text: &str| Limit::MaxDisk.parse(text))]
    pub max_disk: Option<u64>,
    /// Quota on the files and directories the guest may create in them [default: 10000].
    #[arg(long, value_name = "N", value_parser = |text: &str| Limit::MaxFiles.parse(text))]
    pub max_files: Option<u64>,
    /// wasmtime-style options: max-memory-size=N, max-table-elements=N, timeout=DUR,
    /// fuel=N, max-wasm-stack=N, trap-on-grow-failure[=y|n].
    #[arg(short = 'W', value_name = "KEY=VAL", value_parser = WasmOption::parse)]
    pub wasm_options: Vec<WasmOption>,
    /// Give the guest this file as stdin, read as the guest reads it (any size), or `-` for
    /// this terminal's stdin [default: empty].
    #[arg(long, value_name = "FILE|-")]
    pub stdin: Option<PathBuf>,
    /// argv[0] as the guest sees it [default: the module's file name].
    #[arg(long, value_name = "NAME")]
    pub argv0: Option<String>,
    /// Compiler: cranelift (fast code, default), winch (fast compile) or pulley (interpreter).
    #[arg(long, value_name = "NAME", value_parser = Compiler::parse)]
    pub compiler: Option<Compiler>,
    /// Print every WASI call (the capability log) to stderr, denials explained.
    #[arg(long)]
    pub log_calls: bool,
    /// Let a component use the host's network (wasi:sockets); denied by default.
    #[arg(long)]
    pub allow_network: bool,
    /// Debug mode: a trap shows every frame's locals, operand stack and the globals (slower
    /// code; Cranelift only). Not together with --profile-guest.
    #[arg(long, conflicts_with = "profile_guest")]
    pub debug: bool,
    /// A logpoint (implies --debug): FUNC[+OFFSET] (a name or an index; OFFSET in bytes from
    /// the function body's start) or @0xMODULE_OFFSET. Each hit prints the frame's locals to
    /// stderr and the run goes on. Repeatable.
    #[arg(long = "break", value_name = "FUNC[+OFFSET]|@0xOFFSET")]
    pub breaks: Vec<String>,
    /// When the guest traps, write a wasm coredump (memory, globals, stack) to FILE.
    #[arg(long, value_name = "FILE")]
    pub coredump: Option<PathBuf>,
    /// Write a JSON report of the run to FILE (checked before the run; a failed write ends
    /// with exit 126).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Write the run's report as one self-contained HTML page to FILE, for a browser: the
    /// module, the sandbox, the outcome, the WASI calls and refusals, memory over time.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Record the run to FILE (a `.wstrace`): the module, the sandbox and everything the guest
    /// was handed through WASI, so `wasmscope replay FILE` runs it again exactly, anywhere.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    /// Keep at most SIZE of WASI calls in the recording; past it the recording stops (and
    /// says where) while the run goes on.
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = engine::parse_bytes)]
    pub record_max: u64,
    /// Run FILE even though it is precompiled machine code (a `.cwasm`): native code that
    /// runs outside wasm's validation. Only for files you made or trust. A `.cwasm` whose
    /// wasmscope tag does not match is refused even so.
    #[arg(long)]
    pub allow_precompiled: bool,
    /// Print instead of running: this runtime's command for the sandbox, or for `rust` a
    /// main.rs that enforces it with wasmtime embedded.
    #[arg(long, value_name = "RUNTIME")]
    pub print_as: Option<PrintAs>,
    /// The module: .wasm or .wat.
    pub file: PathBuf,
    /// Arguments for the guest (or for the invoked function).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// What `--print-as` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PrintAs {
    /// `wasmscope run` itself.
    Wasmscope,
    /// `wasmtime run`.
    Wasmtime,
    /// `wasmer run`.
    Wasmer,
    /// `wasmedge`.
    Wasmedge,
    /// `wazero run`.
    Wazero,
    /// A Rust program embedding wasmtime.
    Rust,
}

const EXIT_STATUS_HELP: &str = "\
Exit status:
  the guest's exit code   when it exits (0 when _start or the invoked function returns)
  134                     the guest trapped
  124                     the timeout passed
  125                     the fuel ran out
  130                     the run was cancelled
  126                     wasmscope could not run it: bad file, invalid module, unresolved import,
                          precompiled code not allowed (--allow-precompiled) or damaged, a
                          replay that diverged; or the --report could not be written after the run
  2                       bad command line, or a --report or --record path that cannot be written";

/// Entry point for the parsed command line; `None` means "open the window".
mod dap;
mod debug;
mod describe;
pub mod guest;
mod html;
mod interrupt;
mod outputs;
mod replay;
mod report;
mod terminal;
pub use describe::describe;
pub use guest::ProfileFlag;

pub fn main(cli: Cli) -> Option<ExitCode> {
    match cli.command? {
        CliCommand::Run(args) => Some(run(*args)),
        CliCommand::Inspect(args) => Some(inspect(&args)),
        CliCommand::Compile(args) => Some(compile(&args)),
        CliCommand::Replay(args) => Some(replay::replay(&args)),
        CliCommand::Dap => Some(dap::serve()),
    }
}

fn error_exit(message: impl std::fmt::Display, status: u8) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(status)
}

/// A `--timeout`: `None` when the flag said `0` (no limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeoutMs(pub Option<u64>);

impl TimeoutMs {
    /// Reads `2s`, `500ms` or a bare number of seconds; `0` means no timeout.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let duration = engine::parse_duration(text)?;
        if duration.is_zero() {
            return Ok(Self(None));
        }
        // A limit under a millisecond still stops the guest: round it up to one.
        let ms = u64::try_from(duration.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        Limit::Timeout.check(ms).map(|ms| Self(Some(ms)))
    }
}

fn stack_bytes(text: &str) -> Result<usize, PolicyError> {
    let bytes = Limit::MaxWasmStack.parse(text)?;
    // The range ends at 1 GiB, which every host's usize holds.
    usize::try_from(bytes).map_err(|_| PolicyError::OutOfRange {
        limit: Limit::MaxWasmStack,
        value: bytes,
    })
}

/// One wasmtime-style `-W KEY=VAL` option, read when the command line is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WasmOption {
    /// `max-memory-size=BYTES`
    MaxMemorySize(u64),
    /// `max-table-elements=N`
    MaxTableElements(u64),
    /// `timeout=DURATION`
    Timeout(TimeoutMs),
    /// `fuel=N`
    Fuel(u64),
    /// `max-wasm-stack=BYTES`
    MaxWasmStack(usize),
    /// `trap-on-grow-failure[=y|n]`
    TrapOnGrowFailure(bool),
}

/// Why the run flags do not make a policy.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The profile could not be read.
    #[error("--profile: {0}")]
    Profile(#[from] engine::export::profile::ProfileError),
    /// A flag's value is not accepted.
    #[error("{flag}: {source}")]
    Value {
        /// The flag, e.g. `--dir`.
        flag: &'static str,
        /// What is wrong with its value.
        source: PolicyError,
    },
    /// `--env NAME` for a variable this process does not have.
    #[error("--env {0}: `{0}` is not set in this environment")]
    EnvNotSet(String),
    /// The `--stdin` file could not be read.
    #[error("--stdin: cannot read {}: {source}", path.display())]
    Stdin {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A `-W` option wasmscope does not know.
    #[error(
        "unknown option `{0}`; wasmscope understands max-memory-size, max-table-elements, \
         timeout, fuel, max-wasm-stack, trap-on-grow-failure"
    )]
    UnknownWasmOption(String),
    /// `--profile=guest,...` not in one of wasmtime's forms.
    #[error("--profile={0}: use `guest`, `guest,FILE` or `guest,FILE,INTERVAL`")]
    GuestProfile(String),
    /// A sampling interval out of range.
    #[error(
        "--profile-interval: the interval must be from 1ms (the sandbox's clock ticks every \
         millisecond) to {max}ms, not {0}", max = engine::profiler::MAX_INTERVAL_MS
    )]
    ProfileInterval(String),
    /// `--profile-interval` alone.
    #[error("--profile-interval needs --profile-guest FILE (where the profile goes)")]
    IntervalWithoutFile,
    /// A `-W` option with a value of the wrong form.
    #[error("{key}: {source}")]
    WasmOptionValue {
        /// The option's key.
        key: String,
        /// What is wrong with its value.
        source: PolicyError,
    },
}

impl WasmOption {
    /// Reads `KEY=VAL`.
    pub fn parse(option: &str) -> Result<Self, CliError> {
        let (key, value) = option.split_once('=').unwrap_or((option, ""));
        let context = |source| CliError::WasmOptionValue {
            key: key.to_owned(),
            source,
        };
        Ok(match key {
            "max-memory-size" => {
                Self::MaxMemorySize(Limit::MaxMemory.parse(value).map_err(context)?)
            }
            "max-table-elements" => {
                Self::MaxTableElements(Limit::MaxTableElements.parse(value).map_err(context)?)
            }
            "timeout" => Self::Timeout(TimeoutMs::parse(value).map_err(context)?),
            "fuel" => Self::Fuel(Limit::Fuel.parse(value).map_err(context)?),
            "max-wasm-stack" => Self::MaxWasmStack(stack_bytes(value).map_err(context)?),
            "trap-on-grow-failure" => {
                Self::TrapOnGrowFailure(matches!(value, "" | "y" | "yes" | "true"))
            }
            _ => return Err(CliError::UnknownWasmOption(key.to_owned())),
        })
    }

    fn apply(self, policy: &mut SandboxPolicy) {
        match self {
            Self::MaxMemorySize(bytes) => policy.max_memory_bytes = bytes,
            Self::MaxTableElements(n) => policy.max_table_elements = n,
            Self::Timeout(TimeoutMs(ms)) => policy.timeout_ms = ms,
            Self::Fuel(fuel) => policy.fuel = Some(fuel),
            Self::MaxWasmStack(bytes) => policy.max_wasm_stack_bytes = bytes,
            Self::TrapOnGrowFailure(on) => policy.trap_on_grow_failure = on,
        }
    }
}

/// Builds the policy (what the guest may do) and the invocation (what this run passes it)
/// from the run flags, on top of the profile if one is given. Flags override the profile;
/// `-W` options come first, so the named flags override them.
pub fn policy_from_args(args: &RunArgs) -> Result<(SandboxPolicy, Invocation), CliError> {
    let engine::export::profile::Profile {
        mut policy,
        mut invocation,
    } = match &args.profile {
        Some(ProfileFlag::Sandbox(path)) => engine::export::profile::load(path)?,
        _ => engine::export::profile::Profile::default(),
    };
    invocation.profiler_interval_ms = guest::guest_profile(args)?.map(|g| g.interval_ms);
    // Grants that hand the guest the host are refused where they are read, naming the flag.
    let host_check = |flag, grant: &DirGrant| match grant.refusal(args.allow_host_dir) {
        Some(exposure) => Err(CliError::Value {
            flag,
            source: PolicyError::HostDir(Box::new(exposure)),
        }),
        _ => Ok(()),
    };
    for grant in &policy.dirs {
        host_check("--profile", grant)?;
    }
    let dir = |flag, spec: &str, read_only| -> Result<DirGrant, CliError> {
        let grant =
            DirGrant::parse(spec, read_only).map_err(|source| CliError::Value { flag, source })?;
        host_check(flag, &grant)?;
        Ok(grant)
    };
    for spec in &args.dirs {
        policy.dirs.push(dir("--dir", spec, false)?);
    }
    for spec in &args.ro_dirs {
        policy.dirs.push(dir("--ro-dir", spec, true)?);
    }
    for spec in &args.scratch_dirs {
        let mut grant = dir("--scratch-dir", spec, false)?;
        grant.scratch = true;
        policy.dirs.push(grant);
    }
    let mut flags_env = Vec::with_capacity(args.env.len());
    for spec in &args.env {
        flags_env.push(match spec.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => match std::env::var(spec) {
                Ok(value) => (spec.clone(), value),
                Err(_) => return Err(CliError::EnvNotSet(spec.clone())),
            },
        });
    }
    set_env(&mut policy.env, flags_env);
    for option in &args.wasm_options {
        option.apply(&mut policy);
    }
    if let Some(bytes) = args.max_memory {
        policy.max_memory_bytes = bytes;
    }
    if let Some(n) = args.max_table_elements {
        policy.max_table_elements = n;
    }
    if let Some(TimeoutMs(ms)) = args.timeout {
        policy.timeout_ms = ms;
    }
    if let Some(fuel) = args.fuel {
        policy.fuel = Some(fuel);
    }
    if let Some(bytes) = args.max_stack {
        policy.max_wasm_stack_bytes = bytes;
    }
    policy.trap_on_grow_failure |= args.trap_on_grow_failure;
    if let Some(bytes) = args.max_disk {
        policy.max_disk_bytes = bytes;
    }
    if let Some(files) = args.max_files {
        policy.max_files = files;
    }
    invocation.stdin = match &args.stdin {
        None => StdinSource::Empty,
        Some(path) if path == Path::new("-") => StdinSource::Inherit,
        Some(path) => {
            // Read as the guest reads it; checked here so a missing file is a usage error.
            let readable = std::fs::File::open(path).and_then(|file| {
                if file.metadata()?.is_dir() {
                    Err(std::io::Error::from(std::io::ErrorKind::IsADirectory))
                } else {
                    Ok(())
                }
            });
            readable.map_err(|source| CliError::Stdin {
                path: path.clone(),
                source,
            })?;
            StdinSource::File(path.clone())
        }
    };
    if args.argv0.is_some() {
        invocation.argv0 = args.argv0.clone();
    }
    policy.allow_host_dirs = args.allow_host_dir;
    policy.log_calls |= args.log_calls;
    policy.allow_network |= args.allow_network;
    policy.debug |= args.debug || !args.breaks.is_empty();
    if let Some(compiler) = args.compiler {
        policy.compiler = compiler;
    }
    match &args.invoke {
        Some(name) => {
            invocation.entry = Entry::Invoke {
                name: name.clone(),
                args: args.args.clone(),
            }
        }
        // Without arguments on the command line, the profile's stay.
        None if args.args.is_empty() => {}
        None => invocation.args = args.args.clone(),
    }
    Ok((policy, invocation))
}

/// Adds the `--env` flags' variables to `env` (the profile's): a flag replaces a variable of
/// the same name rather than adding a twin, and of repeated flags the last one counts, in the
/// place it was given. Linear in the number of flags, however many repeat.
fn set_env(env: &mut Vec<(String, String)>, flags: Vec<(String, String)>) {
    let given: std::collections::HashSet<&str> =
        flags.iter().map(|(name, _)| name.as_str()).collect();
    env.retain(|(name, _)| !given.contains(name.as_str()));
    let mut seen = std::collections::HashSet::new();
    let mut last: Vec<(String, String)> = flags
        .iter()
        .rev()
        .filter(|(name, _)| seen.insert(name.as_str()))
        .cloned()
        .collect();
    last.reverse();
    env.extend(last);
}

/// `wasmscope run`.
pub fn run(args: RunArgs) -> ExitCode {
    let (policy, mut invocation) = match policy_from_args(&args) {
        Ok(setup) => setup,
        Err(e) => return error_exit(format!("{e:#}"), exit_status::USAGE),
    };
    // The terminal has no Stop button that must end a guest inside a busy loop: a run with
    // `--timeout 0` (and no profiler or debug mode) compiles without epoch checks, at full
    // speed; a stop request (Ctrl-C) then ends it when it next calls the host.
    invocation.stoppable = false;
    if let Some(target) = args.print_as {
        terminal::print_as(target, &policy, &invocation, &args);
        return ExitCode::SUCCESS;
    }
    // An output that cannot be written, or would overwrite an input, is found now, not
    // after a long run.
    if let Err(e) = outputs::check_run(&args) {
        return error_exit(e, exit_status::USAGE);
    }
    let module = match engine::load_file(&args.file) {
        Ok(module) => module,
        Err(e) => return failed_before_run(&args, e),
    };
    if module.precompiled.is_some() && !args.allow_precompiled {
        let file = args.file.display().to_string();
        return failed_before_run(&args, engine::module::precompiled::refusal(&file));
    }
    if module.recording.is_some() {
        return error_exit(recording_not_a_module(&args.file), exit_status::USAGE);
    }
    let breakpoints = match debug::resolve_breaks(&args.breaks, &module.wasm) {
        Ok(breakpoints) => breakpoints,
        Err(e) => return error_exit(e, exit_status::USAGE),
    };
    let module_name = module.name.clone();
    let mut request = engine::RunRequest {
        name: module.name,
        wasm: Arc::from(module.wasm),
        precompiled: module.precompiled,
        policy,
        invocation,
        info: None,
    };
    if args.record.is_some() {
        request.invocation.record_max_bytes = Some(args.record_max);
    }
    let for_html = args.html.as_ref().map(|_| {
        let r = &request;
        (Arc::clone(&r.wasm), r.policy.clone(), r.invocation.clone())
    });
    let mut samples = html::Samples::default();
    // From here a signal stops the run rather than the process: see `interrupt`.
    let interrupts = interrupt::Interrupts::listen();
    if let Err(e) = &interrupts {
        eprintln!("warning: cannot catch Ctrl+C ({e}): it will end wasmscope without a report");
    }
    let handle = match runner::spawn_with_breakpoints(request, breakpoints, None) {
        Ok(handle) => handle,
        Err(e) => return failed_before_run(&args, format!("cannot start a worker thread: {e}")),
    };
    let stop = interrupts
        .as_ref()
        .map_or_else(|_| crossbeam_channel::never(), |i| i.received.clone());
    let show = |event: &engine::RunEvent| {
        samples.see(event);
        terminal::show_event(event)
    };
    let report = match handle.wait_or_stop(&stop, interrupt::STOP_GRACE, show) {
        runner::Waited::Finished { report, .. } => *report,
        runner::Waited::Abandoned => {
            eprintln!(
                "wasmscope: the guest did not stop within {}s; ending without it",
                interrupt::STOP_GRACE.as_secs()
            );
            RunReport::new(module_name, engine::RunOutcome::Cancelled)
        }
    };
    for result in &report.results {
        println!("{result}");
    }
    report::print_outcome(&report);
    if let Ok(Some(guest)) = guest::guest_profile(&args) {
        guest::write_guest_profile(&report, &guest.path);
    }
    let mut report_written = report::write_report(&args, &report);
    if let (Some(path), Some((wasm, policy, invocation))) = (&args.html, &for_html) {
        report_written &= html::write(path, wasm, &report, policy, invocation, &samples);
    }
    let recorded = args
        .record
        .as_ref()
        .is_none_or(|path| replay::write_recording(path, &report));
    if let Some(path) = &args.coredump
        && let Some(dump) = &report.coredump
    {
        match outputs::write(path, dump.as_slice()) {
            Ok(()) => eprintln!("wasmscope: wrote a coredump to {}", path.display()),
            Err(e) => eprintln!(
                "error: cannot write the coredump to {}: {e}",
                path.display()
            ),
        }
    }
    // Whoever asked for the report or the recording reads it next: the run's own status
    // would hide that it is missing.
    let status = if recorded && report_written {
        report.outcome.exit_status()
    } else {
        exit_status::FAILED
    };
    // Scratch copies go with the report; a worker given up on still holds its own.
    drop(report);
    engine::files::remove_live_copies();
    ExitCode::from(status)
}

/// Ends a run that failed before the guest could start (a bad file, no worker thread): the
/// error on stderr, a `failed` report when one was asked for, and exit 126.
fn failed_before_run(args: &RunArgs, error: impl std::fmt::Display) -> ExitCode {
    let name = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let outcome = engine::RunOutcome::Failed {
        error: error.to_string(),
        unresolved: Vec::new(),
    };
    // The status is 126 either way; a report that cannot be written says so on stderr.
    report::write_report(args, &RunReport::new(name, outcome));
    error_exit(error, exit_status::FAILED)
}

/// What `run` and `compile` say of a recording given as a module.
fn recording_not_a_module(file: &Path) -> String {
    format!(
        "{} is a recording of a run (.wstrace), not a module: replay it with `wasmscope replay \
         {}` (or open it in the window)",
        file.display(),
        file.display()
    )
}

/// `wasmscope compile`.
pub fn compile(args: &CompileArgs) -> ExitCode {
    let compiler = args.compiler;
    let module = match engine::load_file(&args.file) {
        Ok(module) => module,
        Err(e) => return error_exit(e, exit_status::FAILED),
    };
    if module.recording.is_some() {
        return error_exit(recording_not_a_module(&args.file), exit_status::USAGE);
    }
    if module.precompiled.is_some() {
        return error_exit(
            format!(
                "{} is already precompiled machine code: compile its .wasm instead",
                args.file.display()
            ),
            exit_status::FAILED,
        );
    }
    let info = engine::inspect(&module.wasm);
    if let Some(error) = &info.error {
        return error_exit(format!("invalid module: {error}"), exit_status::FAILED);
    }
    let key = engine::sandbox::EngineKey {
        fuel: args.fuel_metering,
        max_wasm_stack_bytes: engine::policy::DEFAULT_MAX_WASM_STACK_BYTES,
        compiler,
        profiling: false,
        debug: false,
        // Timeouts and Stop work on what `run` loads from it.
        epoch_checks: true,
        // A precompiled module's runs are not recorded.
        deterministic: false,
        // What every run loads it into: wasmtime's frame lines on.
        frame_lines: true,
        clock: false,
    };
    let shared = match engine::sandbox::shared_engine(key) {
        Ok(shared) => shared,
        Err(e) => {
            let text = engine::errors::error_text(&e);
            return error_exit(
                format!("cannot set up the engine: {text}"),
                exit_status::FAILED,
            );
        }
    };
    // Tagged with this user's key, so `run` can tell it from a changed or foreign file.
    let bytes = match engine::module::precompiled::precompile(&shared, key, &module.wasm) {
        Ok(bytes) => bytes,
        Err(e) => {
            return error_exit(format!("{e}: {}", args.file.display()), exit_status::FAILED);
        }
    };
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| args.file.with_extension("cwasm"));
    if let Err(e) = outputs::check(&[("--output", &output)], &[("module", &args.file)]) {
        return error_exit(e, exit_status::USAGE);
    }
    if let Err(e) = outputs::write(&output, &bytes) {
        return error_exit(
            format!("cannot write {}: {e}", output.display()),
            exit_status::FAILED,
        );
    }
    eprintln!(
        "wrote {} ({}, {}{}, tagged as made here); run it with \
         `wasmscope run --allow-precompiled {}`",
        output.display(),
        format_bytes(std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0)),
        compiler.name(),
        if args.fuel_metering {
            ", fuel metering"
        } else {
            ""
        },
        output.display()
    );
    ExitCode::SUCCESS
}

/// `wasmscope inspect`.
pub fn inspect(args: &InspectArgs) -> ExitCode {
    let module = match engine::load_file(&args.file) {
        Ok(module) => module,
        Err(e) => return error_exit(e, exit_status::FAILED),
    };
    let (info, _pin) = match module.precompiled {
        Some(origin) => {
            // wasmscope's own tagged output is loaded to read its types; other precompiled
            // code only when the user allows it.
            let load = match origin {
                engine::module::precompiled::Origin::Wasmscope(compiled_for) => {
                    Some(compiled_for.engine_key())
                }
                engine::module::precompiled::Origin::Foreign => args
                    .allow_precompiled
                    .then(|| engine::sandbox::EngineKey::for_policy(&SandboxPolicy::default())),
            };
            engine::module::inspect::inspect_precompiled(&module.wasm, origin, load)
        }
        None => (engine::inspect(&module.wasm), None),
    };
    if args.json {
        match serde_json::to_string_pretty(&info) {
            Ok(json) => println!("{json}"),
            Err(e) => return error_exit(format!("cannot serialize: {e}"), exit_status::FAILED),
        }
    } else {
        print!("{}", describe(&module.name, &info));
    }
    if info.kind == ModuleKind::Invalid || info.error.is_some() {
        ExitCode::from(exit_status::FAILED)
    } else {
        ExitCode::SUCCESS
    }
}
