//! "Copy as command": a policy and an invocation as the equivalent command for wasmscope
//! itself or for another runtime (wasmtime, Wasmer, WasmEdge, wazero), with a note for each
//! part that runtime's CLI cannot express.

use std::borrow::Cow;

use crate::engine::export::profile::{exact_size, format_ms};
use crate::engine::policy::{
    Compiler, DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_TABLE_ELEMENTS, DEFAULT_MAX_WASM_STACK_BYTES,
    DEFAULT_TIMEOUT_MS, DirGrant, Entry, Invocation, SandboxPolicy, StdinSource, format_bytes,
};
use crate::engine::sandbox::shim::quota::{DEFAULT_MAX_DISK_BYTES, DEFAULT_MAX_FILES};

/// A runtime whose command line [`command_line`] can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// `wasmscope run`: reproduces the policy exactly.
    Wasmscope,
    /// `wasmtime run` (flags as of wasmtime 48).
    Wasmtime,
    /// `wasmer run` (`--volume` needs Wasmer 7; older releases spell it `--mapdir GUEST:HOST`).
    Wasmer,
    /// `wasmedge`.
    WasmEdge,
    /// `wazero run`.
    Wazero,
}

impl Runtime {
    /// All runtimes, for menus.
    pub const ALL: [Runtime; 5] = [
        Runtime::Wasmscope,
        Runtime::Wasmtime,
        Runtime::Wasmer,
        Runtime::WasmEdge,
        Runtime::Wazero,
    ];

    /// The runtime's name as people write it.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Wasmscope => "wasmscope",
            Runtime::Wasmtime => "wasmtime",
            Runtime::Wasmer => "Wasmer",
            Runtime::WasmEdge => "WasmEdge",
            Runtime::Wazero => "wazero",
        }
    }
}

/// A policy as one runtime's command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopiedCommand {
    /// The command, quoted for a POSIX shell, ready to paste.
    pub command: String,
    /// One sentence for each part of the policy the runtime's CLI cannot express.
    pub notes: Vec<String>,
}

/// The command that runs `module_path` under `policy`, passing `invocation`, with `runtime`, quoted for a POSIX
/// shell, plus a note for each part of the policy that runtime cannot express. For
/// [`Runtime::Wasmscope`] the command parses back to the same policy (stdin bytes aside,
/// which no flag can carry). An empty stdin becomes `< /dev/null` for runtimes that would
/// otherwise read the terminal.
pub fn command_line(
    runtime: Runtime,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    module_path: &str,
) -> CopiedCommand {
    let mut cmd = Cmd::default();
    match runtime {
        Runtime::Wasmscope => wasmscope_command(&mut cmd, policy, invocation, module_path),
        Runtime::Wasmtime => wasmtime_command(&mut cmd, policy, invocation, module_path),
        Runtime::Wasmer => wasmer_command(&mut cmd, policy, invocation, module_path),
        Runtime::WasmEdge => wasmedge_command(&mut cmd, policy, invocation, module_path),
        Runtime::Wazero => wazero_command(&mut cmd, policy, invocation, module_path),
    }
    let mut command = cmd
        .words
        .iter()
        .map(|w| shell_quote(w))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(redirect) = &cmd.redirect {
        command.push(' ');
        command.push_str(redirect);
    }
    CopiedCommand {
        command,
        notes: cmd.notes,
    }
}

/// Quotes one word for a POSIX shell: as is when it is plainly safe, else in single quotes
/// (a `'` inside becomes `'\''`).
pub fn shell_quote(word: &str) -> Cow<'_, str> {
    let safe = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "%+,-./:=@_".contains(c));
    if safe {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

/// A command being built: unquoted words, an optional redirection, notes.
#[derive(Default)]
struct Cmd {
    words: Vec<String>,
    redirect: Option<String>,
    notes: Vec<String>,
}

impl Cmd {
    fn word(&mut self, word: impl Into<String>) {
        self.words.push(word.into());
    }

    /// `flag value`, or `flag=value` when the value looks like a flag itself.
    fn opt(&mut self, flag: &str, value: impl Into<String>) {
        let value = value.into();
        if value.starts_with('-') {
            self.words.push(format!("{flag}={value}"));
        } else {
            self.words.push(flag.to_owned());
            self.words.push(value);
        }
    }

    fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The module path, kept from reading as a flag.
    fn module(&mut self, module_path: &str) {
        if module_path.starts_with('-') {
            self.words.push(format!("./{module_path}"));
        } else {
            self.words.push(module_path.to_owned());
        }
    }

    /// What the guest reads: an empty stdin is `/dev/null`; bytes cannot be a flag.
    fn stdin(&mut self, runtime: Runtime, invocation: &Invocation) {
        match &invocation.stdin {
            StdinSource::Empty => self.redirect = Some("< /dev/null".to_owned()),
            StdinSource::File(path) => {
                self.redirect = Some(format!("< {}", shell_quote(&path.to_string_lossy())));
            }
            StdinSource::Inherit => {}
            StdinSource::Bytes(_) => self.note(format!(
                "The policy gives the guest {} of stdin; {} reads this terminal, so pipe \
                 them in (e.g. `< input.txt`).",
                format_bytes(stdin_len(invocation)),
                runtime.name()
            )),
        }
    }
}

fn stdin_len(invocation: &Invocation) -> u64 {
    match &invocation.stdin {
        StdinSource::Bytes(bytes) => bytes.len() as u64,
        _ => 0,
    }
}

fn host(dir: &DirGrant) -> String {
    dir.host_path.to_string_lossy().into_owned()
}

/// Milliseconds as `2s` or `1500ms`: understood by wasmtime, wazero (Go) and wasmscope.
fn compact_duration(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A size as `64MiB` (no space, so no quotes) when exact, else bytes.
fn compact_size(bytes: u64) -> String {
    exact_size(bytes, "").unwrap_or_else(|| bytes.to_string())
}

/// The guest's arguments after the module, and the export to call if any. With `--invoke`,
/// the words after the module are the function's arguments, so WASI arguments cannot be
/// given as well.
fn module_args<'p>(cmd: &mut Cmd, runtime: Runtime, invocation: &'p Invocation) -> &'p [String] {
    match &invocation.entry {
        Entry::Default => &invocation.args,
        Entry::Invoke { name, args } => {
            if !invocation.args.is_empty() {
                cmd.note(format!(
                    "{} passes the words after the module to `{name}` as its arguments, so the \
                     guest's own arguments ({}) are left out.",
                    runtime.name(),
                    invocation.args.join(" ")
                ));
            }
            args
        }
    }
}

fn wasmscope_command(
    cmd: &mut Cmd,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    module_path: &str,
) {
    cmd.word("wasmscope");
    cmd.word("run");
    // `wasmscope run` opens --dir, then --ro-dir, then --scratch-dir folders.
    let group = |d: &DirGrant| match (d.read_only, d.scratch) {
        (false, false) => 0,
        (true, _) => 1,
        (false, true) => 2,
    };
    for (flag, kind) in [("--dir", 0), ("--ro-dir", 1), ("--scratch-dir", 2)] {
        for dir in policy.dirs.iter().filter(|d| group(d) == kind) {
            cmd.opt(flag, format!("{}::{}", host(dir), dir.guest_path));
        }
    }
    if policy.allow_host_dirs && policy.dirs.iter().any(|d| d.refused_exposure().is_some()) {
        cmd.word("--allow-host-dir");
    }
    if !policy.dirs.is_sorted_by_key(group) {
        cmd.note(
            "wasmscope run opens --dir, then --ro-dir, then --scratch-dir folders, so the guest \
             finds them in a different order (file descriptors) than in this policy.",
        );
    }
    for (name, value) in &policy.env {
        cmd.opt("--env", format!("{name}={value}"));
    }
    if let Entry::Invoke { name, .. } = &invocation.entry {
        cmd.opt("--invoke", name.clone());
    }
    if policy.max_memory_bytes != DEFAULT_MAX_MEMORY_BYTES {
        cmd.opt("--max-memory", compact_size(policy.max_memory_bytes));
    }
    if policy.max_table_elements != DEFAULT_MAX_TABLE_ELEMENTS {
        cmd.opt(
            "--max-table-elements",
            policy.max_table_elements.to_string(),
        );
    }
    if policy.timeout_ms != Some(DEFAULT_TIMEOUT_MS) {
        let text = policy.timeout_ms.map_or("0".to_owned(), compact_duration);
        cmd.opt("--timeout", text);
    }
    if let Some(fuel) = policy.fuel {
        cmd.opt("--fuel", fuel.to_string());
    }
    if policy.max_wasm_stack_bytes != DEFAULT_MAX_WASM_STACK_BYTES {
        cmd.opt(
            "--max-stack",
            compact_size(policy.max_wasm_stack_bytes as u64),
        );
    }
    if policy.trap_on_grow_failure {
        cmd.word("--trap-on-grow-failure");
    }
    if policy.max_disk_bytes != DEFAULT_MAX_DISK_BYTES {
        cmd.opt("--max-disk", compact_size(policy.max_disk_bytes));
    }
    if policy.max_files != DEFAULT_MAX_FILES {
        cmd.opt("--max-files", policy.max_files.to_string());
    }
    match &invocation.stdin {
        StdinSource::Empty => {}
        StdinSource::Inherit => cmd.opt("--stdin", "-"),
        StdinSource::File(path) => cmd.opt("--stdin", path.to_string_lossy()),
        StdinSource::Bytes(_) => cmd.note(format!(
            "The policy gives the guest {} of stdin; save them to a file and add \
             `--stdin FILE`.",
            format_bytes(stdin_len(invocation))
        )),
    }
    if let Some(argv0) = &invocation.argv0 {
        cmd.opt("--argv0", argv0.clone());
    }
    if policy.compiler != Compiler::default() {
        cmd.opt("--compiler", policy.compiler.name());
    }
    if policy.log_calls {
        cmd.word("--log-calls");
    }
    if policy.allow_network {
        cmd.word("--allow-network");
    }
    let args = module_args(cmd, Runtime::Wasmscope, invocation);
    cmd.module(module_path);
    cmd.words.extend(args.iter().cloned());
}

fn wasmtime_command(
    cmd: &mut Cmd,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    module_path: &str,
) {
    cmd.word("wasmtime");
    cmd.word("run");
    for dir in &policy.dirs {
        cmd.opt("--dir", format!("{}::{}", host(dir), dir.guest_path));
        note_scratch(cmd, Runtime::Wasmtime, dir);
        if dir.read_only {
            cmd.note(format!(
                "wasmtime's CLI has no read-only directories: the guest may change {} there.",
                host(dir)
            ));
        }
    }
    for (name, value) in &policy.env {
        cmd.opt("--env", format!("{name}={value}"));
    }
    if let Entry::Invoke { name, .. } = &invocation.entry {
        cmd.opt("--invoke", name.clone());
    }
    cmd.opt("-W", format!("max-memory-size={}", policy.max_memory_bytes));
    cmd.opt(
        "-W",
        format!("max-table-elements={}", policy.max_table_elements),
    );
    if let Some(ms) = policy.timeout_ms {
        cmd.opt("-W", format!("timeout={}", compact_duration(ms)));
    }
    if let Some(fuel) = policy.fuel {
        cmd.opt("-W", format!("fuel={fuel}"));
    }
    // wasmscope's default stack is wasmtime's own, so only a change needs saying.
    if policy.max_wasm_stack_bytes != DEFAULT_MAX_WASM_STACK_BYTES {
        cmd.opt(
            "-W",
            format!("max-wasm-stack={}", policy.max_wasm_stack_bytes),
        );
    }
    if policy.trap_on_grow_failure {
        cmd.opt("-W", "trap-on-grow-failure=y");
    }
    match policy.compiler {
        Compiler::Cranelift => {}
        Compiler::Winch => cmd.opt("-C", "compiler=winch"),
        Compiler::Pulley => cmd.opt("--target", "pulley64"),
    }
    if let Some(argv0) = &invocation.argv0 {
        cmd.opt("--argv0", argv0.clone());
    }
    if policy.log_calls {
        cmd.note(
            "wasmtime has no capability log flag; `WASMTIME_LOG=wasmtime_wasi=trace` in its \
             environment traces WASI calls instead.",
        );
    }
    cmd.stdin(Runtime::Wasmtime, invocation);
    let args = module_args(cmd, Runtime::Wasmtime, invocation);
    cmd.module(module_path);
    cmd.words.extend(args.iter().cloned());
}

/// Notes shared by runtimes without resource caps in their CLI.
fn note_caps(cmd: &mut Cmd, runtime: Runtime, policy: &SandboxPolicy, memory: bool, time: bool) {
    let name = runtime.name();
    if memory {
        cmd.note(format!(
            "{name}'s CLI has no memory cap: the guest may grow each memory to the module's own \
             maximum, not {}.",
            format_bytes(policy.max_memory_bytes)
        ));
    }
    cmd.note(format!(
        "{name}'s CLI has no table cap: tables may grow past {} elements.",
        policy.max_table_elements
    ));
    if time && let Some(ms) = policy.timeout_ms {
        cmd.note(format!(
            "{name}'s CLI has no timeout: the {} limit is not enforced.",
            format_ms(ms)
        ));
    }
    if policy.max_wasm_stack_bytes != DEFAULT_MAX_WASM_STACK_BYTES {
        cmd.note(format!(
            "{name}'s CLI cannot set the wasm stack size; it uses its own instead of {}.",
            format_bytes(policy.max_wasm_stack_bytes as u64)
        ));
    }
    if policy.trap_on_grow_failure {
        cmd.note(format!(
            "{name}'s CLI cannot trap on a denied growth: `memory.grow` returns -1 instead."
        ));
    }
}

/// A scratch folder is a wasmscope idea: elsewhere the guest writes to the real folder.
fn note_scratch(cmd: &mut Cmd, runtime: Runtime, dir: &DirGrant) {
    if dir.scratch && !dir.read_only {
        cmd.note(format!(
            "{} has no scratch copies: the guest changes {} itself.",
            runtime.name(),
            host(dir)
        ));
    }
}

fn note_misc(cmd: &mut Cmd, runtime: Runtime, policy: &SandboxPolicy, invocation: &Invocation) {
    let name = runtime.name();
    if let Some(argv0) = &invocation.argv0 {
        cmd.note(format!(
            "{name}'s CLI cannot set argv[0]: the guest sees the module's file name, not {argv0}."
        ));
    }
    if policy.log_calls {
        cmd.note(format!("{name} has no capability log like `--log-calls`."));
    }
}

fn wasmer_command(
    cmd: &mut Cmd,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    module_path: &str,
) {
    cmd.word("wasmer");
    cmd.word("run");
    for dir in &policy.dirs {
        cmd.opt("--volume", format!("{}:{}", host(dir), dir.guest_path));
        note_scratch(cmd, Runtime::Wasmer, dir);
        if dir.read_only {
            cmd.note(format!(
                "Wasmer's CLI has no read-only volumes: the guest may change {} there.",
                host(dir)
            ));
        }
    }
    for (name, value) in &policy.env {
        cmd.opt("--env", format!("{name}={value}"));
    }
    if let Entry::Invoke { name, .. } = &invocation.entry {
        cmd.opt("--invoke", name.clone());
    }
    note_caps(cmd, Runtime::Wasmer, policy, true, true);
    if let Some(fuel) = policy.fuel {
        cmd.note(format!(
            "Wasmer's CLI has no fuel: the budget of {fuel} is not enforced."
        ));
    }
    if policy.compiler != Compiler::Cranelift {
        cmd.note(format!(
            "Wasmer has no {} backend; it uses its default compiler.",
            policy.compiler.name()
        ));
    }
    note_misc(cmd, Runtime::Wasmer, policy, invocation);
    cmd.stdin(Runtime::Wasmer, invocation);
    let args = module_args(cmd, Runtime::Wasmer, invocation);
    cmd.module(module_path);
    if args.iter().any(|a| a.starts_with('-')) {
        cmd.word("--");
    }
    cmd.words.extend(args.iter().cloned());
}

/// WasmEdge's memory pages are 64 KiB.
const WASM_PAGE_BYTES: u64 = 64 * 1024;

fn wasmedge_command(
    cmd: &mut Cmd,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    module_path: &str,
) {
    cmd.word("wasmedge");
    for dir in &policy.dirs {
        let mut spec = format!("{}:{}", dir.guest_path, host(dir));
        if dir.read_only {
            spec.push_str(":readonly");
        }
        cmd.opt("--dir", spec);
        note_scratch(cmd, Runtime::WasmEdge, dir);
    }
    for (name, value) in &policy.env {
        cmd.opt("--env", format!("{name}={value}"));
    }
    let pages = policy.max_memory_bytes / WASM_PAGE_BYTES;
    cmd.opt("--memory-page-limit", pages.to_string());
    if !policy.max_memory_bytes.is_multiple_of(WASM_PAGE_BYTES) {
        cmd.note(format!(
            "WasmEdge caps memory in whole 64 KiB pages: {pages} pages is {}, a little under {}.",
            format_bytes(pages * WASM_PAGE_BYTES),
            format_bytes(policy.max_memory_bytes)
        ));
    }
    if let Some(ms) = policy.timeout_ms {
        cmd.opt("--time-limit", ms.to_string());
    }
    if let Some(fuel) = policy.fuel {
        cmd.opt("--gas-limit", fuel.to_string());
        cmd.note(
            "WasmEdge's gas also costs about one unit per instruction, but not exactly as \
             wasmtime's fuel does: treat the gas limit as approximate.",
        );
    }
    note_caps(cmd, Runtime::WasmEdge, policy, false, false);
    if policy.compiler == Compiler::Winch {
        cmd.note("WasmEdge has no baseline compiler like winch; it interprets by default.");
    }
    note_misc(cmd, Runtime::WasmEdge, policy, invocation);
    cmd.stdin(Runtime::WasmEdge, invocation);
    let invoked = match &invocation.entry {
        Entry::Invoke { name, .. } => {
            cmd.word("--reactor");
            Some(name.clone())
        }
        Entry::Default => None,
    };
    let args = module_args(cmd, Runtime::WasmEdge, invocation);
    // `--` keeps a guest argument such as `-v` from reading as a WasmEdge option.
    if args.iter().any(|a| a.starts_with('-')) {
        cmd.word("--");
    }
    cmd.module(module_path);
    cmd.words.extend(invoked);
    cmd.words.extend(args.iter().cloned());
}

fn wazero_command(
    cmd: &mut Cmd,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    module_path: &str,
) {
    cmd.word("wazero");
    cmd.word("run");
    for dir in &policy.dirs {
        let mut spec = format!("{}:{}", host(dir), dir.guest_path);
        if dir.read_only {
            spec.push_str(":ro");
        }
        cmd.opt("-mount", spec);
        note_scratch(cmd, Runtime::Wazero, dir);
        if dir.guest_path.contains(':') {
            cmd.note(format!(
                "wazero cannot mount at a guest path with a colon ({}).",
                dir.guest_path
            ));
        }
    }
    for (name, value) in &policy.env {
        cmd.opt("-env", format!("{name}={value}"));
    }
    if let Some(ms) = policy.timeout_ms {
        cmd.opt("-timeout", compact_duration(ms));
    }
    match policy.compiler {
        Compiler::Cranelift => {}
        Compiler::Pulley => cmd.word("-interpreter"),
        Compiler::Winch => {
            cmd.note("wazero has no baseline compiler like winch; it uses its own compiler.")
        }
    }
    if policy.log_calls {
        cmd.opt("-hostlogging", "all");
    }
    note_caps(cmd, Runtime::Wazero, policy, true, false);
    if let Some(fuel) = policy.fuel {
        cmd.note(format!(
            "wazero's CLI has no fuel: the budget of {fuel} is not enforced."
        ));
    }
    if let Some(argv0) = &invocation.argv0 {
        cmd.note(format!(
            "wazero's CLI cannot set argv[0]: the guest sees the module's file name, not {argv0}."
        ));
    }
    cmd.stdin(Runtime::Wazero, invocation);
    let args: &[String] = match &invocation.entry {
        Entry::Default => &invocation.args,
        Entry::Invoke { name, .. } => {
            cmd.note(format!(
                "wazero's CLI only runs `_start`: it cannot call `{name}`, so it runs the module \
                 as a command instead."
            ));
            &invocation.args
        }
    };
    cmd.module(module_path);
    // wazero drops a leading `--` from the guest's arguments, so keep a real one.
    if args.first().is_some_and(|a| a == "--") {
        cmd.word("--");
    }
    cmd.words.extend(args.iter().cloned());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_leaves_plain_words_and_wraps_the_rest() {
        assert_eq!(shell_quote("./data::/data"), "./data::/data");
        assert_eq!(shell_quote("GREETING=hi"), "GREETING=hi");
        assert_eq!(shell_quote("two words"), "'two words'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote("~/x"), "'~/x'");
    }

    #[test]
    fn compact_units_for_command_lines() {
        assert_eq!(compact_size(64 << 20), "64MiB");
        assert_eq!(compact_duration(1500), "1500ms");
        assert_eq!(compact_duration(2000), "2s");
    }
}
