//! Sandbox profiles.
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
//! "Copy as command" lives in [`crate::engine::export::copy_as`].

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::engine::policy::{
    Compiler, DirGrant, Invocation, Limit, SandboxPolicy, parse_bytes, parse_duration,
};

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
    let text = crate::engine::inputs::read_text(path, crate::engine::inputs::InputKind::Profile)
        .map_err(|e| ProfileError::Read {
            path: path.to_owned(),
            source: e.into_io(),
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
pub(crate) fn exact_size(bytes: u64, space: &str) -> Option<String> {
    [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        .into_iter()
        .find(|&(_, unit)| bytes >= unit && bytes.is_multiple_of(unit))
        .map(|(name, unit)| format!("{}{space}{name}", bytes / unit))
}

/// Milliseconds as a duration people read (`"1s 500ms"`); exact, and parsed back by
/// [`parse_duration`].
pub(crate) fn format_ms(ms: u64) -> String {
    humantime::format_duration(std::time::Duration::from_millis(ms)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
