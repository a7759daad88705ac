//! Sandbox profiles and "copy as command".
//!
//! A profile is a [`SandboxPolicy`] saved as a small TOML file that people can read and edit:
//!
//! ```toml
//! max_memory = "64 MiB"
//! max_disk = "100 MiB"    # what the guest may add to its read-write folders
//! timeout = "2s"          # or "none"
//! fuel = 1000000          # leave it out for no fuel metering
//! env = { GREETING = "hi" }
//! args = ["one", "two"]
//! [[dir]]
//! host = "./data"
//! guest = "/data"
//! read_only = true        # or read_only = false, scratch = true: work on a copy
//! ```
//!
//! A profile holds every field of the policy, and the guest's arguments and argv0 (the
//! [`Invocation`]'s `args` and `argv0`), which a run uses unless its command line gives its
//! own. What the guest reads and which export to call belong to one run, not to a profile. A
//! key left out takes the policy's safe default; an unknown key or a
//! value of the wrong form is an error naming the key, its line and the accepted form.
//!
//! [`command_line`] turns a policy into the equivalent command for wasmscope itself or for
//! another runtime (wasmtime, Wasmer, WasmEdge, wazero), with a note for each part of the
//! policy that runtime's CLI cannot express.

use std::borrow::Cow;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::engine::policy::{
    Compiler, DEFAULT_MAX_MEMORY_BYTES, DEFAULT_MAX_TABLE_ELEMENTS, DEFAULT_MAX_WASM_STACK_BYTES,
    DEFAULT_TIMEOUT_MS, DirGrant, Entry, Invocation, Limit, SandboxPolicy, StdinSource,
    format_bytes, parse_bytes, parse_duration,
};
use crate::engine::quota::{DEFAULT_MAX_DISK_BYTES, DEFAULT_MAX_FILES};

/// Why a profile could not be read, understood or written.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read the profile {}: {source}", path.display())]
    Read {
        /// The profile file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write the profile {}: {source}", path.display())]
    Write {
        /// The profile file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The text is not a valid profile: bad TOML, an unknown key or a bad value.
    #[error("{}line {line}: {message}", path.as_ref().map(|p| format!("{}, ", p.display())).unwrap_or_default())]
    Invalid {
        /// The profile file, when the text came from one.
        path: Option<PathBuf>,
        /// 1-based line of the problem.
        line: usize,
        /// The key at fault (`dir.host` for a key inside `[[dir]]`), if the problem has one.
        key: Option<String>,
        /// What is wrong and what is accepted.
        message: String,
    },
}

/// What a profile file holds: the sandbox, and the arguments a run passes unless told
/// otherwise. Its invocation's `stdin` and `entry` are always the defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// What the guest may do.
    pub policy: SandboxPolicy,
    /// The guest's arguments and argv0 (stdin and the entry are not part of a profile).
    pub invocation: Invocation,
}

/// The top-level keys a profile understands, for error messages.
const KNOWN_KEYS: &str = "max_memory, max_table_elements, trap_on_grow_failure, timeout, fuel, \
                          max_stack, compiler, log_calls, allow_network, argv0, args, env, [[dir]]";
/// The keys of one `[[dir]]` table.
const KNOWN_DIR_KEYS: &str = "host, guest, read_only, scratch";

/// Writes `profile` as a commented TOML profile. Stdin and the entry point are not part of a
/// profile. Environment variables are a TOML table, so of two with the same name only the
/// later one is kept (it is the one a `--env` flag would leave).
pub fn to_toml(profile: &Profile) -> String {
    let policy = &profile.policy;
    let invocation = &profile.invocation;
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line("# wasmscope sandbox profile".into());
    line(
        "# Use it with `wasmscope run --profile FILE MODULE`; flags given there override it."
            .into(),
    );
    line("# A key left out takes its safe default.".into());
    line(String::new());
    line("# Cap on each linear memory, e.g. \"64 MiB\".".into());
    line(format!(
        "max_memory = {}",
        size_value(policy.max_memory_bytes)
    ));
    line("# Cap on the elements of each table.".into());
    line(format!(
        "max_table_elements = {}",
        count_value(policy.max_table_elements)
    ));
    line("# Trap when a growth is denied, instead of returning -1 to the guest.".into());
    line(format!(
        "trap_on_grow_failure = {}",
        policy.trap_on_grow_failure
    ));
    line("# Wall-clock limit of the run, e.g. \"2s\" or \"500ms\"; \"none\" for no limit.".into());
    let timeout = match policy.timeout_ms {
        Some(ms) => toml_string(&format_ms(ms)),
        None => toml_string("none"),
    };
    line(format!("timeout = {timeout}"));
    line(
        "# Fuel budget, about one unit per wasm instruction; leave it out for no fuel metering."
            .into(),
    );
    match policy.fuel {
        Some(fuel) => line(format!("fuel = {}", count_value(fuel))),
        None => line("# fuel = 1000000".into()),
    }
    line("# Maximum native stack that wasm code may use, e.g. \"512 KiB\".".into());
    line(format!(
        "max_stack = {}",
        size_value(policy.max_wasm_stack_bytes as u64)
    ));
    line(
        "# Quota on the bytes the guest may add to its read-write folders, e.g. \"1 GiB\".".into(),
    );
    line(format!("max_disk = {}", size_value(policy.max_disk_bytes)));
    line("# Quota on the files and directories it may create there.".into());
    line(format!("max_files = {}", count_value(policy.max_files)));
    line(
        "# \"cranelift\" (fast code), \"winch\" (fast compile) or \"pulley\" (interpreter).".into(),
    );
    line(format!(
        "compiler = {}",
        toml_string(policy.compiler.name())
    ));
    line("# Record every WASI call (the capability log).".into());
    line(format!("log_calls = {}", policy.log_calls));
    line("# Let a component use the host's network (wasi:sockets).".into());
    line(format!("allow_network = {}", policy.allow_network));
    line("# argv[0] as the guest sees it; leave it out for the module's file name.".into());
    match &invocation.argv0 {
        Some(argv0) => line(format!("argv0 = {}", toml_string(argv0))),
        None => line("# argv0 = \"app.wasm\"".into()),
    }
    line("# Arguments after argv[0].".into());
    let args: Vec<String> = invocation.args.iter().map(|a| toml_string(a)).collect();
    line(format!("args = [{}]", args.join(", ")));
    line(String::new());
    line("# Environment variables the guest sees, in order.".into());
    line("[env]".into());
    let mut env: Vec<&(String, String)> = Vec::new();
    for pair in policy.env.iter().rev() {
        if !env.iter().any(|(name, _)| *name == pair.0) {
            env.push(pair);
        }
    }
    if env.is_empty() {
        line("# GREETING = \"hi\"".into());
    }
    for (name, value) in env.into_iter().rev() {
        line(format!("{} = {}", toml_key(name), toml_string(value)));
    }
    line(String::new());
    line("# Host folders the guest may see. A relative host path is relative to this file.".into());
    line(
        "# `scratch = true` runs a read-write folder on a copy, leaving the real one untouched."
            .into(),
    );
    if policy.dirs.is_empty() {
        line("# [[dir]]".into());
        line("# host = \"./data\"".into());
        line("# guest = \"/data\"".into());
        line("# read_only = true".into());
    }
    for (i, dir) in policy.dirs.iter().enumerate() {
        if i > 0 {
            line(String::new());
        }
        line("[[dir]]".into());
        line(format!(
            "host = {}",
            toml_string(&dir.host_path.to_string_lossy())
        ));
        line(format!("guest = {}", toml_string(&dir.guest_path)));
        line(format!("read_only = {}", dir.read_only));
        if dir.scratch {
            line("scratch = true".into());
        }
    }
    out
}

/// Reads a profile from TOML text. Keys left out take [`SandboxPolicy::default`]'s values;
/// stdin and the entry point are always the defaults (a profile does not hold them). Relative
/// host paths are kept as written; [`load`] resolves them against the profile's folder.
pub fn from_toml(text: &str) -> Result<Profile, ProfileError> {
    Parser { text }.profile()
}

/// Reads a profile file. Relative host paths in it are resolved against the file's folder,
/// so a profile and its data can move together.
pub fn load(path: impl AsRef<Path>) -> Result<Profile, ProfileError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut profile = from_toml(&text).map_err(|e| match e {
        ProfileError::Invalid {
            line, key, message, ..
        } => ProfileError::Invalid {
            path: Some(path.to_owned()),
            line,
            key,
            message,
        },
        other => other,
    })?;
    let folder = path.parent().unwrap_or(Path::new(""));
    for dir in &mut profile.policy.dirs {
        if dir.host_path.is_relative() {
            // `components()` drops the `.` of `./data`, so the result reads cleanly.
            dir.host_path = folder.join(&dir.host_path).components().collect();
        }
    }
    Ok(profile)
}

/// Writes `profile` as a profile file. Relative host paths are made absolute first (against
/// the current directory, which is what they mean now), so the file means the same folders
/// wherever it is later loaded from.
pub fn save(path: impl AsRef<Path>, profile: &Profile) -> Result<(), ProfileError> {
    let path = path.as_ref();
    let mut profile = profile.clone();
    for dir in &mut profile.policy.dirs {
        if dir.host_path.is_relative() {
            dir.host_path =
                std::path::absolute(&dir.host_path).map_err(|source| ProfileError::Write {
                    path: path.to_owned(),
                    source,
                })?;
        }
    }
    std::fs::write(path, to_toml(&profile)).map_err(|source| ProfileError::Write {
        path: path.to_owned(),
        source,
    })
}

/// Walks the parsed document, keeping the text for line numbers and error snippets.
struct Parser<'a> {
    text: &'a str,
}

type Value<'i> = Spanned<DeValue<'i>>;

impl Parser<'_> {
    fn profile(&self) -> Result<Profile, ProfileError> {
        let document = DeTable::parse(self.text).map_err(|e| {
            let line = e.span().map(|span| self.line(span.start)).unwrap_or(1);
            ProfileError::Invalid {
                path: None,
                line,
                key: None,
                message: format!("this is not valid TOML: {}", e.message().trim_end()),
            }
        })?;
        let mut policy = SandboxPolicy::default();
        let mut invocation = Invocation::default();
        for (key, value) in document.get_ref().iter() {
            let name: &str = key.get_ref();
            match name {
                "max_memory" => policy.max_memory_bytes = self.size(name, value)?,
                "max_table_elements" => {
                    policy.max_table_elements = self.count(
                        name,
                        value,
                        "a whole number of elements, e.g. `max_table_elements = 100000`",
                    )?
                }
                "trap_on_grow_failure" => policy.trap_on_grow_failure = self.bool(name, value)?,
                "timeout" => policy.timeout_ms = self.timeout(name, value)?,
                "fuel" => {
                    policy.fuel = Some(self.count(
                        name,
                        value,
                        "a whole number of fuel units, e.g. `fuel = 1000000` \
                         (leave `fuel` out for no fuel metering)",
                    )?)
                }
                "max_stack" => policy.max_wasm_stack_bytes = self.stack(name, value)?,
                "max_disk" => policy.max_disk_bytes = self.size(name, value)?,
                "max_files" => {
                    policy.max_files = self.count(
                        name,
                        value,
                        "a whole number of files and directories, e.g. `max_files = 10000`",
                    )?
                }
                "compiler" => {
                    let accepted = "\"cranelift\", \"winch\" or \"pulley\"";
                    let text = self.string(name, value, accepted)?;
                    policy.compiler =
                        Compiler::parse(text).map_err(|_| self.bad(name, value, accepted, None))?;
                }
                "log_calls" => policy.log_calls = self.bool(name, value)?,
                "allow_network" => policy.allow_network = self.bool(name, value)?,
                "argv0" => {
                    invocation.argv0 = Some(
                        self.string(name, value, "a string, e.g. `argv0 = \"app.wasm\"`")?
                            .to_owned(),
                    )
                }
                "args" => invocation.args = self.args(name, value)?,
                "env" => policy.env = self.env(name, value)?,
                "dir" => policy.dirs = self.dirs(name, value)?,
                _ => return Err(self.unknown(name, key.span(), KNOWN_KEYS)),
            }
        }
        Ok(Profile { policy, invocation })
    }

    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    /// The value as written, shortened for a message.
    fn snippet(&self, span: Range<usize>) -> String {
        let raw = self.text.get(span).unwrap_or("").trim();
        let mut short: String = raw.chars().take(40).collect();
        if short.len() < raw.len() {
            short.push('…');
        }
        short
    }

    fn unknown(&self, key: &str, span: Range<usize>, known: &str) -> ProfileError {
        ProfileError::Invalid {
            path: None,
            line: self.line(span.start),
            key: Some(key.to_owned()),
            message: format!(
                "unknown key `{key}`: remove it or fix its spelling; a profile understands {known}"
            ),
        }
    }

    /// A value of the wrong form: says what was written and what is accepted.
    fn bad(&self, key: &str, value: &Value<'_>, accepted: &str, why: Option<&str>) -> ProfileError {
        let why = why.map(|w| format!(" ({w})")).unwrap_or_default();
        ProfileError::Invalid {
            path: None,
            line: self.line(value.span().start),
            key: Some(key.to_owned()),
            message: format!(
                "`{key} = {}` is not accepted{why}: `{key}` takes {accepted}",
                self.snippet(value.span())
            ),
        }
    }

    fn bool(&self, key: &str, value: &Value<'_>) -> Result<bool, ProfileError> {
        match value.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            _ => Err(self.bad(key, value, "true or false", None)),
        }
    }

    fn string<'v>(
        &self,
        key: &str,
        value: &'v Value<'_>,
        accepted: &str,
    ) -> Result<&'v str, ProfileError> {
        match value.get_ref() {
            DeValue::String(s) => Ok(s),
            _ => Err(self.bad(key, value, accepted, None)),
        }
    }

    /// A non-negative integer; digits in quotes too, for numbers beyond TOML's i64.
    fn count(&self, key: &str, value: &Value<'_>, accepted: &str) -> Result<u64, ProfileError> {
        let parsed = match value.get_ref() {
            DeValue::Integer(n) => u64::from_str_radix(n.as_str(), n.radix()).ok(),
            DeValue::String(s) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        parsed.ok_or_else(|| self.bad(key, value, accepted, None))
    }

    /// A byte size: `"64 MiB"`, `"512KiB"` or a plain number of bytes.
    fn size(&self, key: &str, value: &Value<'_>) -> Result<u64, ProfileError> {
        let accepted = "a size such as \"64 MiB\" or \"512 KiB\", or a number of bytes";
        match value.get_ref() {
            DeValue::Integer(_) => self.count(key, value, accepted),
            DeValue::String(s) => parse_bytes(s).map_err(|_| self.bad(key, value, accepted, None)),
            _ => Err(self.bad(key, value, accepted, None)),
        }
    }

    fn stack(&self, key: &str, value: &Value<'_>) -> Result<usize, ProfileError> {
        let bytes = self.size(key, value)?;
        // The range and its message are the engine's, the same as on the command line.
        if let Err(e) = Limit::MaxWasmStack.check(bytes) {
            return Err(self.bad(
                key,
                value,
                "a size such as \"512 KiB\"",
                Some(&e.to_string()),
            ));
        }
        usize::try_from(bytes)
            .map_err(|_| self.bad(key, value, "a size this machine can address", None))
    }

    /// A duration in quotes, a number of seconds, or `"none"`; zero also means none, as on
    /// the command line.
    fn timeout(&self, key: &str, value: &Value<'_>) -> Result<Option<u64>, ProfileError> {
        let accepted = "a duration such as \"2s\" or \"500ms\" (a bare number is seconds), \
                        or \"none\" for no limit";
        let duration = match value.get_ref() {
            DeValue::String(s) if s.trim() == "none" => return Ok(None),
            DeValue::String(s) => {
                parse_duration(s).map_err(|_| self.bad(key, value, accepted, None))?
            }
            DeValue::Integer(_) => {
                std::time::Duration::from_secs(self.count(key, value, accepted)?)
            }
            _ => return Err(self.bad(key, value, accepted, None)),
        };
        if duration.is_zero() {
            return Ok(None);
        }
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        Ok(Some(ms.max(1)))
    }

    fn args(&self, key: &str, value: &Value<'_>) -> Result<Vec<String>, ProfileError> {
        let accepted = "a list of strings, e.g. `args = [\"one\", \"two\"]`";
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.bad(key, value, accepted, None));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                _ => Err(self.bad(key, item, accepted, Some("every argument is a string"))),
            })
            .collect()
    }

    fn env(&self, key: &str, value: &Value<'_>) -> Result<Vec<(String, String)>, ProfileError> {
        let accepted = "a table of strings, e.g. `env = { GREETING = \"hi\" }`";
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.bad(key, value, accepted, None));
        };
        table
            .iter()
            .map(|(name, item)| {
                let name: &str = name.get_ref();
                match item.get_ref() {
                    DeValue::String(s) => Ok((name.to_owned(), s.to_string())),
                    _ => Err(self.bad(
                        &format!("env.{name}"),
                        item,
                        "a string in quotes, e.g. `GREETING = \"hi\"` (write numbers as \"42\")",
                        None,
                    )),
                }
            })
            .collect()
    }

    fn dirs(&self, key: &str, value: &Value<'_>) -> Result<Vec<DirGrant>, ProfileError> {
        let accepted = "one `[[dir]]` table per folder, with host, guest and read_only";
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.bad(key, value, accepted, None));
        };
        items.iter().map(|item| self.dir(key, item)).collect()
    }

    fn dir(&self, key: &str, value: &Value<'_>) -> Result<DirGrant, ProfileError> {
        let DeValue::Table(table) = value.get_ref() else {
            return Err(self.bad(
                key,
                value,
                "one `[[dir]]` table per folder, with host, guest and read_only",
                None,
            ));
        };
        let path_form = "a path in quotes, e.g. \"./data\"";
        let mut host: Option<&str> = None;
        let mut guest: Option<&str> = None;
        // Safe default: a folder is read-only unless the profile says otherwise.
        let mut read_only = true;
        let mut scratch = false;
        for (name, item) in table.iter() {
            let full = format!("dir.{}", name.get_ref());
            match name.get_ref().as_ref() {
                "host" => host = Some(self.string(&full, item, path_form)?),
                "guest" => guest = Some(self.string(&full, item, path_form)?),
                "read_only" => read_only = self.bool(&full, item)?,
                "scratch" => scratch = self.bool(&full, item)?,
                _ => return Err(self.unknown(&full, name.span(), KNOWN_DIR_KEYS)),
            }
        }
        let Some(host) = host.filter(|h| !h.is_empty()) else {
            return Err(ProfileError::Invalid {
                path: None,
                line: self.line(value.span().start),
                key: Some("dir.host".to_owned()),
                message: "a `[[dir]]` needs `host`, the folder on this machine, \
                          e.g. `host = \"./data\"`"
                    .to_owned(),
            });
        };
        let guest = match guest {
            Some("") => {
                return Err(ProfileError::Invalid {
                    path: None,
                    line: self.line(value.span().start),
                    key: Some("dir.guest".to_owned()),
                    message: "`guest` is where the guest sees the folder, e.g. \
                              `guest = \"/data\"`; it cannot be empty"
                        .to_owned(),
                });
            }
            Some(guest) => guest,
            // As with `--dir HOST`: the guest sees the folder under the host's name.
            None => host,
        };
        Ok(DirGrant {
            host_path: PathBuf::from(host),
            guest_path: guest.to_owned(),
            read_only,
            scratch,
        })
    }
}

/// A TOML basic string with escapes.
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// A TOML key: bare when it can be, quoted otherwise.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_owned()
    } else {
        toml_string(key)
    }
}

/// A count as a TOML integer, or as quoted digits beyond TOML's i64 range.
fn count_value(n: u64) -> String {
    if i64::try_from(n).is_ok() {
        n.to_string()
    } else {
        toml_string(&n.to_string())
    }
}

/// A size as people write it (`"64 MiB"`) when a whole number of KiB, MiB or GiB says it
/// exactly, else in bytes.
fn size_value(bytes: u64) -> String {
    match exact_size(bytes, " ") {
        Some(human) => toml_string(&human),
        None => count_value(bytes),
    }
}

/// `64 MiB` (with `space` between number and unit) when exact; `None` otherwise.
fn exact_size(bytes: u64, space: &str) -> Option<String> {
    [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        .into_iter()
        .find(|&(_, unit)| bytes >= unit && bytes.is_multiple_of(unit))
        .map(|(name, unit)| format!("{}{space}{name}", bytes / unit))
}

/// Milliseconds as a duration people read (`"1s 500ms"`); exact, and parsed back by
/// [`parse_duration`].
fn format_ms(ms: u64) -> String {
    humantime::format_duration(std::time::Duration::from_millis(ms)).to_string()
}

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
    if let Some(redirect) = cmd.redirect {
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
    redirect: Option<&'static str>,
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
            StdinSource::Empty => self.redirect = Some("< /dev/null"),
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
    fn lines_count_from_one() {
        let parser = Parser { text: "a\nb\nc" };
        assert_eq!(parser.line(0), 1);
        assert_eq!(parser.line(2), 2);
        assert_eq!(parser.line(99), 3);
    }

    #[test]
    fn sizes_are_written_in_units_only_when_exact() {
        assert_eq!(size_value(64 << 20), "\"64 MiB\"");
        assert_eq!(size_value(1_000_001), "1000001");
        assert_eq!(size_value(3 << 30), "\"3 GiB\"");
        assert_eq!(size_value(1536), "1536");
        assert_eq!(compact_size(64 << 20), "64MiB");
        assert_eq!(compact_duration(1500), "1500ms");
        assert_eq!(compact_duration(2000), "2s");
    }
}
