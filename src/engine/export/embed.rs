//! "Copy as Rust": a policy as a complete `main.rs` that embeds wasmtime and enforces the same
//! sandbox — the program people ship once they have shaped the sandbox in wasmscope.
//!
//! The program is written for the policy at hand: an option the policy does not use (fuel, a
//! timeout, stdin, a folder) leaves no code behind. What wasmtime's embedding API cannot do
//! the way wasmscope does is said in a comment at the program's top.

use crate::engine::export::profile::format_ms;
use crate::engine::policy::{
    Compiler, DirGrant, Entry, Invocation, SandboxPolicy, StdinSource, format_bytes,
};

/// The stdin file the program reads when the policy's stdin has no file behind it (text typed
/// in the window).
pub const STDIN_FILE_FALLBACK: &str = "stdin.txt";

/// How often the generated program's ticker thread advances the epoch.
const TICK_MS: u64 = 10;

/// A `main.rs` (with its `[dependencies]` in a comment at the top) that runs `module_path`
/// under `policy` with wasmtime and wasmtime-wasi 48. `stdin_path` is the file the policy's
/// stdin bytes came from, read again by the program; without one it reads
/// [`STDIN_FILE_FALLBACK`]. The module path and the guest's arguments can be replaced on the
/// program's own command line.
pub fn rust_program(
    policy: &SandboxPolicy,
    invocation: &Invocation,
    module_path: &str,
    stdin_path: Option<&str>,
) -> String {
    let policy = &Shaped { policy, invocation };
    let mut code = Code::default();
    header(&mut code, policy, module_path, stdin_path);
    items(&mut code, policy, module_path, stdin_path);
    main_fn(&mut code, policy);
    call_fn(&mut code, policy);
    status_fn(&mut code, policy);
    if matches!(policy.invocation.entry, Entry::Invoke { .. }) {
        code.text(INVOKE_HELPERS);
    }
    code.out
}

/// The sandbox and the run together: the program enforces the one and passes the other.
struct Shaped<'a> {
    policy: &'a SandboxPolicy,
    invocation: &'a Invocation,
}

impl std::ops::Deref for Shaped<'_> {
    type Target = SandboxPolicy;

    fn deref(&self) -> &SandboxPolicy {
        self.policy
    }
}

/// The program text being written.
#[derive(Default)]
struct Code {
    out: String,
}

impl Code {
    /// Appends `text` as is.
    fn text(&mut self, text: &str) {
        self.out.push_str(text);
    }

    /// Appends one line.
    fn line(&mut self, line: impl AsRef<str>) {
        self.out.push_str(line.as_ref());
        self.out.push('\n');
    }
}

/// A Rust string literal (`{:?}` escapes quotes, backslashes and control characters).
fn lit(text: &str) -> String {
    format!("{text:?}")
}

/// A byte count as Rust source: `64 << 20` when whole MiB, else the number.
fn bytes_expr(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} << 20", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} << 10", bytes >> 10)
    } else {
        bytes.to_string()
    }
}

fn header(code: &mut Code, policy: &Shaped<'_>, module_path: &str, stdin_path: Option<&str>) {
    let invoke = match &policy.invocation.entry {
        Entry::Invoke { name, .. } => Some(name.as_str()),
        Entry::Default => None,
    };
    code.line(format!(
        "//! Runs {module_path} in the sandbox shaped in wasmscope, with wasmtime embedded."
    ));
    code.line("//!");
    code.line("//! Cargo.toml:");
    code.line("//!     [dependencies]");
    code.line("//!     anyhow = \"1\"");
    code.line("//!     tokio = { version = \"1\", features = [\"rt\", \"time\"] }");
    match policy.compiler {
        Compiler::Cranelift => code.line("//!     wasmtime = \"48\""),
        other => code.line(format!(
            "//!     wasmtime = {{ version = \"48\", features = [\"{}\"] }}",
            other.name()
        )),
    }
    code.line("//!     wasmtime-wasi = \"48\"");
    code.line("//!");
    let args = if invoke.is_some() {
        "ARGS are the function's arguments"
    } else {
        "ARGS are the guest's arguments"
    };
    code.line(format!(
        "//! Usage: cargo run --release -- [MODULE [ARGS...]]   ({args}; the defaults are the ones"
    ));
    code.line("//! given to wasmscope.)");
    let mut statuses = vec!["the guest's exit code", "134 trapped"];
    if policy.timeout_ms.is_some() {
        statuses.push("124 timed out");
    }
    if policy.fuel.is_some() {
        statuses.push("125 out of fuel");
    }
    statuses.push("126 could not run");
    code.line(format!("//! Exit status: {}.", statuses.join(", ")));
    let notes = notes(policy, stdin_path);
    if !notes.is_empty() {
        code.line("//!");
        code.line("//! What this program does not do as wasmscope did:");
        for note in notes {
            code.line(format!("//! - {note}"));
        }
    }
    code.line("");
}

/// What the program cannot express, one sentence each.
fn notes(policy: &Shaped<'_>, stdin_path: Option<&str>) -> Vec<String> {
    let mut notes = vec![
        "Core modules only (WASI preview 1); a component needs `wasmtime::component` and \
         `wasmtime_wasi::p2` instead."
            .to_owned(),
    ];
    for dir in policy.dirs.iter().filter(|d| d.scratch && !d.read_only) {
        notes.push(format!(
            "No scratch copy of {}: the guest changes the real folder.",
            dir.host_path.display()
        ));
    }
    let writable: Vec<_> = policy.dirs.iter().filter(|d| !d.read_only).collect();
    if !writable.is_empty() {
        let folders: Vec<String> = writable.iter().map(|d| d.guest_path.clone()).collect();
        notes.push(format!(
            "No disk quota on {}: wasmscope let the guest add at most {} and {} files there; \
             this program lets it fill the disk (run it under a filesystem quota, or in a \
             size-limited folder such as a tmpfs).",
            folders.join(", "),
            format_bytes(policy.max_disk_bytes),
            policy.max_files
        ));
    }
    if policy.log_calls {
        notes.push(
            "No capability log; `WASMTIME_LOG=wasmtime_wasi=trace` in the environment traces \
             WASI calls instead (with the `tracing` subscriber of your choice)."
                .to_owned(),
        );
    }
    if policy.allow_network {
        notes.push(
            "No network: wasi:sockets exists only for components (preview 2), which this \
             program does not run."
                .to_owned(),
        );
    }
    if let (StdinSource::Bytes(bytes), None) = (&policy.invocation.stdin, stdin_path) {
        notes.push(format!(
            "The guest's stdin ({}) is read from {STDIN_FILE_FALLBACK}: save it there first.",
            format_bytes(bytes.len() as u64)
        ));
    }
    notes
}

/// The file the program gives the guest as stdin: the one the policy's stdin came from, or
/// [`STDIN_FILE_FALLBACK`] for bytes typed in; `None` for an empty or inherited stdin.
fn stdin_file<'a>(
    stdin: &'a StdinSource,
    stdin_path: Option<&'a str>,
) -> Option<std::borrow::Cow<'a, str>> {
    match stdin {
        StdinSource::Bytes(_) => Some(stdin_path.unwrap_or(STDIN_FILE_FALLBACK).into()),
        StdinSource::File(path) => {
            Some(stdin_path.map_or_else(|| path.to_string_lossy(), Into::into))
        }
        StdinSource::Empty | StdinSource::Inherit => None,
    }
}

fn items(code: &mut Code, policy: &Shaped<'_>, module_path: &str, stdin_path: Option<&str>) {
    let mut wasmtime = vec!["Config", "Engine", "Linker", "Module", "Store"];
    wasmtime.extend(["StoreLimits", "StoreLimitsBuilder", "Trap"]);
    if matches!(policy.invocation.entry, Entry::Invoke { .. }) {
        wasmtime.extend(["Val", "ValType"]);
    }
    wasmtime.push("WasmBacktrace");
    let mut wasi = vec![];
    if !policy.dirs.is_empty() {
        wasi.push("FsPerms");
    }
    wasi.extend(["I32Exit", "WasiCtxBuilder"]);
    code.line("use std::process::ExitCode;");
    if policy.timeout_ms.is_some() {
        code.line("use std::time::Duration;");
    }
    code.line("");
    code.line("use anyhow::{Context, Result};");
    if stdin_file(&policy.invocation.stdin, stdin_path).is_some() {
        code.line("use wasmtime_wasi::cli::InputFile;");
    }
    code.line("use wasmtime_wasi::p1::WasiP1Ctx;");
    code.line(format!("use wasmtime_wasi::{{{}}};", wasi.join(", ")));
    code.line(format!("use wasmtime::{{{}}};", wasmtime.join(", ")));
    code.line("");
    code.line("/// The module to run when the command line names none.");
    code.line(format!(
        "const DEFAULT_MODULE: &str = {};",
        lit(module_path)
    ));
    let (doc, args) = match &policy.invocation.entry {
        Entry::Default => (
            "The guest's arguments after argv[0]",
            &policy.invocation.args,
        ),
        Entry::Invoke { args, .. } => ("The exported function's arguments", args),
    };
    code.line(format!("/// {doc} when the command line gives none."));
    let args: Vec<String> = args.iter().map(|a| lit(a)).collect();
    code.line(format!(
        "const DEFAULT_ARGS: &[&str] = &[{}];",
        args.join(", ")
    ));
    if let Entry::Invoke { name, .. } = &policy.invocation.entry {
        code.line("/// The export to call (after `_initialize`, if the module has one).");
        code.line(format!("const EXPORT: &str = {};", lit(name)));
        if !policy.invocation.args.is_empty() {
            let guest: Vec<String> = policy.invocation.args.iter().map(|a| lit(a)).collect();
            code.line("/// The guest's own arguments after argv[0].");
            code.line(format!(
                "const GUEST_ARGS: &[&str] = &[{}];",
                guest.join(", ")
            ));
        }
    }
    if let Some(ms) = policy.timeout_ms {
        code.line(format!(
            "/// Wall-clock limit of the guest's run ({}; compiling is not counted).",
            format_ms(ms)
        ));
        code.line(format!(
            "const TIMEOUT: Duration = Duration::from_millis({ms});"
        ));
        code.line("/// How often the ticker thread advances the epoch: the timeout's resolution.");
        code.line(format!(
            "const TICK: Duration = Duration::from_millis({TICK_MS});"
        ));
    }
    if let Some(fuel) = policy.fuel {
        code.line("/// Fuel budget: about one unit per wasm instruction executed.");
        code.line(format!("const FUEL: u64 = {fuel};"));
    }
    if let Some(file) = stdin_file(&policy.invocation.stdin, stdin_path) {
        code.line("/// What the guest reads on stdin, then end-of-file.");
        code.line(format!("const STDIN_FILE: &str = {};", lit(&file)));
    }
    code.line("");
    code.line("// Exit statuses for endings other than the guest's own exit (as `wasmscope run`).");
    code.line("const TRAPPED: u8 = 134;");
    if policy.timeout_ms.is_some() {
        code.line("const TIMED_OUT: u8 = 124;");
    }
    if policy.fuel.is_some() {
        code.line("const OUT_OF_FUEL: u8 = 125;");
    }
    code.line("const FAILED: u8 = 126;");
    code.line("");
    code.text(HOST_STRUCT);
}

const HOST_STRUCT: &str = "\
/// The store's data: the guest's WASI context and its resource caps.
struct Host {
    wasi: WasiP1Ctx,
    limits: StoreLimits,
}

fn main() -> ExitCode {
    match run() {
        Ok(status) => status,
        Err(err) => {
            eprintln!(\"error: {err:#}\");
            ExitCode::from(FAILED)
        }
    }
}

";

fn main_fn(code: &mut Code, policy: &Shaped<'_>) {
    let invoke = matches!(policy.invocation.entry, Entry::Invoke { .. });
    code.line("/// Sets the sandbox up, runs the guest, and says how it ended.");
    code.line("fn run() -> Result<ExitCode> {");
    code.line("    let mut command_line = std::env::args().skip(1);");
    code.line(
        "    let module_path = command_line.next().unwrap_or_else(|| DEFAULT_MODULE.to_owned());",
    );
    code.line("    let mut args: Vec<String> = command_line.collect();");
    code.line("    if args.is_empty() {");
    code.line("        args = DEFAULT_ARGS.iter().map(|a| a.to_string()).collect();");
    code.line("    }");
    code.line("");
    code.line("    let mut config = Config::new();");
    if policy.timeout_ms.is_some() {
        code.line(
            "    // Time is bounded by epochs rather than fuel: an epoch check is a load and a \
             compare at",
        );
        code.line(
            "    // loop headers and function entries, and it measures wall-clock time, which \
             fuel cannot.",
        );
        code.line("    config.epoch_interruption(true);");
    }
    if policy.fuel.is_some() {
        code.line("    config.consume_fuel(true);");
    }
    match policy.compiler {
        Compiler::Cranelift => {}
        Compiler::Winch => {
            code.line(
                "    // Winch, the baseline compiler: compiles several times faster, runs slower.",
            );
            code.line("    config.strategy(wasmtime::Strategy::Winch);");
        }
        Compiler::Pulley => {
            code.line("    // Pulley, wasmtime's portable interpreter: no machine code at all.");
            code.line("    config.target(\"pulley64\")?;");
        }
    }
    let stack = bytes_expr(policy.max_wasm_stack_bytes as u64);
    code.line(format!("    let max_wasm_stack = {stack};"));
    code.line("    config.max_wasm_stack(max_wasm_stack);");
    code.line(
        "    // Async calls run on a stack of their own, which must hold the wasm stack and the \
         host's frames.",
    );
    code.line("    config.async_stack_size(max_wasm_stack + (2 << 20));");
    code.line("    let engine = Engine::new(&config)?;");
    code.line("    let module = Module::from_file(&engine, &module_path)");
    code.line(
        "        // wasmtime 48 has an error type of its own; as an anyhow::Error it takes context.",
    );
    code.line("        .map_err(anyhow::Error::from)");
    code.line("        .with_context(|| format!(\"cannot load {module_path}\"))?;");
    if invoke {
        code.line("    // The arguments are parsed by the parameter types before anything runs.");
        code.line("    let func = module");
        code.line("        .get_export(EXPORT)");
        code.line("        .and_then(|export| export.func().cloned())");
        code.line(
            "        .with_context(|| format!(\"{module_path} exports no function `{EXPORT}`\"))?;",
        );
        code.line("    anyhow::ensure!(");
        code.line("        func.params().len() == args.len(),");
        code.line("        \"`{EXPORT}` takes {} arguments, but {} were given\",");
        code.line("        func.params().len(),");
        code.line("        args.len()");
        code.line("    );");
        code.line("    let params = func");
        code.line("        .params()");
        code.line("        .zip(&args)");
        code.line("        .map(|(ty, arg)| parse_arg(&ty, arg))");
        code.line("        .collect::<Result<Vec<_>>>()?;");
        code.line("    let mut results = vec![Val::I32(0); func.results().len()];");
    }
    code.line("");
    code.line("    let runtime = tokio::runtime::Builder::new_current_thread()");
    code.line("        .enable_all()");
    code.line("        .build()?;");
    code.line("    // wasmtime-wasi's streams are tokio's: they must be made inside the runtime.");
    code.line("    let _inside_runtime = runtime.enter();");
    code.line("    let mut linker = Linker::new(&engine);");
    code.line(
        "    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |host: &mut Host| &mut host.wasi)?;",
    );
    code.line("");
    wasi_lines(code, policy);
    code.line("");
    code.line("    // Caps on each memory and table; a growth past them is refused.");
    code.line("    let limits = StoreLimitsBuilder::new()");
    code.line(format!(
        "        .memory_size({})",
        bytes_expr(policy.max_memory_bytes)
    ));
    code.line(format!(
        "        .table_elements({})",
        policy.max_table_elements
    ));
    if policy.trap_on_grow_failure {
        code.line(
            "        // Trap at the refused growth itself rather than return -1 to the guest.",
        );
        code.line("        .trap_on_grow_failure(true)");
    }
    code.line("        .build();");
    code.line("    let mut store = Store::new(");
    code.line("        &engine,");
    code.line("        Host {");
    code.line("            wasi: wasi.build_p1(),");
    code.line("            limits,");
    code.line("        },");
    code.line("    );");
    code.line("    store.limiter(|host| &mut host.limits);");
    if policy.fuel.is_some() {
        code.line("    store.set_fuel(FUEL)?;");
    }
    if policy.timeout_ms.is_some() {
        code.line(
            "    // Wasm code traps with `Trap::Interrupt` once the epoch has moved this many \
             ticks on.",
        );
        code.line(
            "    store.set_epoch_deadline((TIMEOUT.as_millis() / TICK.as_millis()).max(1) as u64);",
        );
        code.line("    let ticker = engine.clone();");
        code.line("    std::thread::Builder::new()");
        code.line("        .name(\"epoch-ticker\".to_owned())");
        code.line("        .spawn(move || {");
        code.line("            loop {");
        code.line("                std::thread::sleep(TICK);");
        code.line("                ticker.increment_epoch();");
        code.line("            }");
        code.line("        })?;");
    }
    code.line("");
    let call = if invoke {
        "call(&mut store, &linker, &module, &params, &mut results)"
    } else {
        "call(&mut store, &linker, &module)"
    };
    if policy.timeout_ms.is_some() {
        code.line(
            "    // The epoch stops running wasm code; a guest blocked in a host call (a sleep, a \
             read)",
        );
        code.line("    // checks no epoch, so the async call also runs under a tokio timeout.");
        code.line(format!(
            "    let ended = runtime.block_on(tokio::time::timeout(TIMEOUT, {call}));"
        ));
        code.line("    let Ok(ended) = ended else {");
        code.line("        eprintln!(\"timed out after {TIMEOUT:?}\");");
        code.line("        return Ok(ExitCode::from(TIMED_OUT));");
        code.line("    };");
    } else {
        code.line(format!("    let ended = runtime.block_on({call});"));
    }
    if invoke {
        code.line("    if ended.is_ok() {");
        code.line("        for result in &results {");
        code.line("            println!(\"{}\", show(result));");
        code.line("        }");
        code.line("    }");
    }
    code.line("    status(ended)");
    code.line("}");
    code.line("");
}

/// The `WasiCtxBuilder` lines: arguments, environment, stdio, folders.
fn wasi_lines(code: &mut Code, policy: &Shaped<'_>) {
    let invoke = matches!(policy.invocation.entry, Entry::Invoke { .. });
    code.line(
        "    // The guest sees only what is granted here: no host environment, no folders \
         but these.",
    );
    code.line("    let mut wasi = WasiCtxBuilder::new();");
    match &policy.invocation.argv0 {
        Some(argv0) => code.line(format!("    wasi.arg({});", lit(argv0))),
        None => {
            code.line("    // argv[0] is the module's file name, as in wasmscope.");
            code.line(
                "    let argv0 = std::path::Path::new(&module_path).file_name().unwrap_or_default();",
            );
            code.line("    wasi.arg(argv0.to_string_lossy());");
        }
    }
    if !invoke {
        code.line("    wasi.args(&args);");
    } else if !policy.invocation.args.is_empty() {
        code.line("    wasi.args(GUEST_ARGS);");
    }
    for (name, value) in &policy.env {
        code.line(format!("    wasi.env({}, {});", lit(name), lit(value)));
    }
    match &policy.invocation.stdin {
        StdinSource::Empty => {}
        StdinSource::Inherit => code.line("    wasi.inherit_stdin();"),
        StdinSource::Bytes(_) | StdinSource::File(_) => {
            code.line("    let stdin = std::fs::File::open(STDIN_FILE)");
            code.line("        .with_context(|| format!(\"cannot open {STDIN_FILE}\"))?;");
            code.line("    wasi.stdin(InputFile::new(stdin));");
        }
    }
    code.line("    wasi.inherit_stdout().inherit_stderr();");
    let mut read_only_said = false;
    let mut read_write_said = false;
    for dir in &policy.dirs {
        if dir.read_only && !read_only_said {
            read_only_said = true;
            code.line(
                "    // ReadOnly: wasmtime-wasi refuses to create, write, rename or delete \
                 anything under",
            );
            code.line(
                "    // this folder (errno `perm`), so a guest can read the data but never \
                 change it.",
            );
        }
        if !dir.read_only && !read_write_said {
            read_write_said = true;
            code.line(
                "    // ReadWrite: the guest may change files here, but `..`, absolute paths \
                 and symlinks",
            );
            code.line("    // still cannot lead it out of the folder.");
        }
        preopen_line(code, dir);
    }
}

fn preopen_line(code: &mut Code, dir: &DirGrant) {
    let host = dir.host_path.to_string_lossy();
    let perms = if dir.read_only {
        "FsPerms::ReadOnly"
    } else {
        "FsPerms::ReadWrite"
    };
    code.line(format!(
        "    wasi.preopened_dir({}, {}, {perms})",
        lit(&host),
        lit(&dir.guest_path)
    ));
    code.line("        .map_err(anyhow::Error::from)");
    code.line(format!(
        "        .with_context(|| format!(\"cannot open the folder {{}}\", {}))?;",
        lit(&host)
    ));
}

fn call_fn(code: &mut Code, policy: &Shaped<'_>) {
    match &policy.invocation.entry {
        Entry::Default => code.text(
            "\
/// Instantiates the module and runs its `_start`: everything the guest does happens here.
async fn call(
    store: &mut Store<Host>,
    linker: &Linker<Host>,
    module: &Module,
) -> wasmtime::Result<()> {
    let instance = linker.instantiate_async(&mut *store, module).await?;
    let start = instance.get_typed_func::<(), ()>(&mut *store, \"_start\")?;
    start.call_async(&mut *store, ()).await
}

",
        ),
        Entry::Invoke { .. } => code.text(
            "\
/// Instantiates the module and calls `EXPORT`: everything the guest does happens here.
async fn call(
    store: &mut Store<Host>,
    linker: &Linker<Host>,
    module: &Module,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let instance = linker.instantiate_async(&mut *store, module).await?;
    // A reactor sets itself up in `_initialize` before any other export is called.
    if let Some(init) = instance.get_func(&mut *store, \"_initialize\") {
        init.call_async(&mut *store, &[], &mut []).await?;
    }
    let func = instance
        .get_func(&mut *store, EXPORT)
        .ok_or_else(|| wasmtime::format_err!(\"no exported function `{EXPORT}`\"))?;
    func.call_async(&mut *store, params, results).await
}

",
        ),
    }
}

fn status_fn(code: &mut Code, policy: &Shaped<'_>) {
    code.line("/// The exit status for how the guest's run ended; `Err` when the host failed, not the guest.");
    code.line("fn status(ended: wasmtime::Result<()>) -> Result<ExitCode> {");
    code.line("    let Err(err) = ended else {");
    code.line("        return Ok(ExitCode::SUCCESS);");
    code.line("    };");
    code.line("    if let Some(exit) = err.downcast_ref::<I32Exit>() {");
    code.line("        // A process status is one byte, as a POSIX shell sees it.");
    code.line("        return Ok(ExitCode::from((exit.0 & 0xff) as u8));");
    code.line("    }");
    code.line("    let status = match err.downcast_ref::<Trap>() {");
    if policy.timeout_ms.is_some() {
        code.line("        Some(Trap::Interrupt) => TIMED_OUT,");
    }
    if policy.fuel.is_some() {
        code.line("        Some(Trap::OutOfFuel) => OUT_OF_FUEL,");
    }
    code.line("        Some(_) => TRAPPED,");
    code.line(
        "        // A backtrace means wasm was running: a host call failed under the guest (a \
         refused",
    );
    code.line("        // growth that traps, say).");
    code.line("        None if err.downcast_ref::<WasmBacktrace>().is_some() => TRAPPED,");
    code.line("        None => return Err(anyhow::Error::from(err)),");
    code.line("    };");
    code.line("    eprintln!(\"{err:?}\");");
    code.line("    Ok(ExitCode::from(status))");
    code.line("}");
}

const INVOKE_HELPERS: &str = "
/// One command-line word as a value of the parameter's type.
fn parse_arg(ty: &ValType, arg: &str) -> Result<Val> {
    let context = || format!(\"`{arg}` is not a valid {ty}\");
    Ok(match ty {
        ValType::I32 => Val::I32(arg.parse().with_context(context)?),
        ValType::I64 => Val::I64(arg.parse().with_context(context)?),
        ValType::F32 => Val::F32(arg.parse::<f32>().with_context(context)?.to_bits()),
        ValType::F64 => Val::F64(arg.parse::<f64>().with_context(context)?.to_bits()),
        other => anyhow::bail!(\"a parameter of type {other} cannot be given on the command line\"),
    })
}

/// A result value as people read it.
fn show(value: &Val) -> String {
    match value {
        Val::I32(v) => v.to_string(),
        Val::I64(v) => v.to_string(),
        Val::F32(bits) => f32::from_bits(*bits).to_string(),
        Val::F64(bits) => f64::from_bits(*bits).to_string(),
        other => format!(\"{other:?}\"),
    }
}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_as_shifts_when_whole() {
        assert_eq!(bytes_expr(64 << 20), "64 << 20");
        assert_eq!(bytes_expr(512 << 10), "512 << 10");
        assert_eq!(bytes_expr(1000), "1000");
    }

    /// Issue 24: the read-write folder's disk quota was dropped without a word.
    #[test]
    fn a_read_write_folder_says_its_disk_quota_is_not_enforced() {
        let folder = |read_only| DirGrant {
            host_path: "/tmp/data".into(),
            guest_path: "/data".to_owned(),
            read_only,
            scratch: false,
        };
        let mut policy = SandboxPolicy {
            dirs: vec![folder(false)],
            ..SandboxPolicy::default()
        };
        policy.max_disk_bytes = 8 << 20;
        let program = rust_program(&policy, &Invocation::default(), "m.wasm", None);
        let note = program
            .lines()
            .find(|l| l.contains("No disk quota on /data"))
            .unwrap_or_else(|| panic!("no note on the quota:\n{program}"));
        assert!(note.contains(&format_bytes(8 << 20)), "{note}");
        // A read-only folder cannot grow: nothing to say.
        policy.dirs = vec![folder(true)];
        let program = rust_program(&policy, &Invocation::default(), "m.wasm", None);
        assert!(!program.contains("No disk quota"), "{program}");
    }

    #[test]
    fn literals_escape_quotes_and_backslashes() {
        assert_eq!(lit(r#"a "b" \c"#), r#""a \"b\" \\c""#);
    }
}
