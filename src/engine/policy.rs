//! What the user allows a guest: the sandbox policy, and the parsers for its human spellings.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Default memory cap: 256 MiB.
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 256 * 1024 * 1024;
/// Default table cap, in elements.
pub const DEFAULT_MAX_TABLE_ELEMENTS: u64 = 100_000;
/// Default timeout: 10 s.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default maximum wasm stack: 512 KiB (wasmtime's own default).
pub const DEFAULT_MAX_WASM_STACK_BYTES: usize = 512 * 1024;

/// Everything a run is allowed to do. The default is safe: no directories, no environment,
/// empty stdin, 256 MiB of memory, 100,000 table elements, 10 s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxPolicy {
    /// Cap on the total bytes of each linear memory.
    pub max_memory_bytes: u64,
    /// Cap on the elements of each table.
    pub max_table_elements: u64,
    /// When a growth is denied, trap instead of letting `memory.grow` return -1.
    pub trap_on_grow_failure: bool,
    /// Wall-clock limit of the run (compile time excluded); `None` runs until done or cancelled.
    pub timeout_ms: Option<u64>,
    /// Fuel budget (roughly one unit per wasm instruction); `None` turns fuel metering off.
    pub fuel: Option<u64>,
    /// Maximum native stack that wasm code may use.
    pub max_wasm_stack_bytes: usize,
    /// Host directories the guest may see.
    pub dirs: Vec<DirGrant>,
    /// Environment variables the guest sees, in order.
    pub env: Vec<(String, String)>,
    /// Arguments after argv0.
    pub args: Vec<String>,
    /// argv0; `None` uses the module's file name.
    pub argv0: Option<String>,
    /// What the guest reads on stdin.
    pub stdin: StdinSource,
    /// What to call.
    pub entry: Entry,
    /// Which compiler turns the module into machine code.
    pub compiler: Compiler,
    /// Record every WASI call (the capability log); costs a little per call.
    pub log_calls: bool,
    /// Let a component use the host's network through wasi:sockets (TCP, UDP, name
    /// lookup). Off by default: then every address is refused. wasi:http is never provided.
    pub allow_network: bool,
    /// Quota on the net bytes the guest may add to its read-write folders in one run; past
    /// it, writes fail as on a full disk (see [`crate::engine::quota`]).
    pub max_disk_bytes: u64,
    /// Quota on the files, directories and links the guest may create in them.
    pub max_files: u64,
}

/// Which compiler wasmtime uses: a trade between time to first output and peak speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compiler {
    /// Optimizing compiler: slower to compile, fastest code (wasmtime's default).
    #[default]
    Cranelift,
    /// Baseline compiler: compiles several times faster, runs slower.
    Winch,
    /// Portable interpreter: almost no compile time, runs much slower.
    Pulley,
}

impl Compiler {
    /// All choices, for menus.
    pub const ALL: [Compiler; 3] = [Compiler::Cranelift, Compiler::Winch, Compiler::Pulley];

    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Compiler::Cranelift => "cranelift",
            Compiler::Winch => "winch",
            Compiler::Pulley => "pulley",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| format!("unknown compiler `{name}`: choose cranelift, winch or pulley"))
    }
}

impl Default for SandboxPolicy {
    fn default() -> Self {
        Self {
            max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES,
            max_table_elements: DEFAULT_MAX_TABLE_ELEMENTS,
            trap_on_grow_failure: false,
            timeout_ms: Some(DEFAULT_TIMEOUT_MS),
            fuel: None,
            max_wasm_stack_bytes: DEFAULT_MAX_WASM_STACK_BYTES,
            dirs: Vec::new(),
            env: Vec::new(),
            args: Vec::new(),
            argv0: None,
            stdin: StdinSource::default(),
            entry: Entry::default(),
            compiler: Compiler::default(),
            log_calls: false,
            allow_network: false,
            max_disk_bytes: crate::engine::quota::DEFAULT_MAX_DISK_BYTES,
            max_files: crate::engine::quota::DEFAULT_MAX_FILES,
        }
    }
}

impl SandboxPolicy {
    /// The timeout as a [`Duration`].
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }
}

/// One preopened directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirGrant {
    /// The folder on the host.
    pub host_path: PathBuf,
    /// Where the guest sees it, e.g. `/data` or `.`.
    pub guest_path: String,
    /// The guest may read but not create, change or delete anything.
    pub read_only: bool,
    /// Run against a temporary copy; the real folder stays untouched until the changes are
    /// applied (read-write directories only).
    #[serde(default)]
    pub scratch: bool,
}

impl DirGrant {
    /// Parses wasmtime's `HOST[::GUEST]` spelling; without `::GUEST` the guest sees the host path.
    pub fn parse(spec: &str, read_only: bool) -> Result<Self, String> {
        let (host, guest) = match spec.split_once("::") {
            Some((host, guest)) => (host, guest),
            None => (spec, spec),
        };
        if host.is_empty() || guest.is_empty() {
            return Err(format!(
                "invalid directory `{spec}`: expected HOST or HOST::GUEST, e.g. `./data::/data`"
            ));
        }
        Ok(Self {
            host_path: PathBuf::from(host),
            guest_path: guest.to_owned(),
            read_only,
            scratch: false,
        })
    }
}

/// Where the guest's stdin comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum StdinSource {
    /// Nothing: the guest reads end-of-file at once.
    #[default]
    Empty,
    /// These bytes, then end-of-file.
    Bytes(Vec<u8>),
    /// The host process's own stdin (CLI only).
    Inherit,
}

/// What to call once the module is instantiated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Entry {
    /// `_start` for a command; for a reactor, only `_initialize`.
    #[default]
    Default,
    /// `_initialize` (if exported), then this export with arguments parsed from strings.
    Invoke {
        /// Export name.
        name: String,
        /// One string per parameter, parsed by the parameter's type.
        args: Vec<String>,
    },
}

/// Parses a byte size: `65536`, `64KiB`, `64MiB`, `4GiB`, `1.5 MB`.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    text.parse::<bytesize::ByteSize>()
        .map(|size| size.as_u64())
        .map_err(|_| {
            format!(
                "invalid size `{text}`: use bytes or units, e.g. `65536`, `64KiB`, `256MiB`, `4GiB`"
            )
        })
}

/// Parses a duration: `2s`, `500ms`, `1m 30s`; a bare number means seconds, as in wasmtime.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("invalid duration `{text}` ({e}): use e.g. `2s`, `500ms`, `1m`"))
}

/// Formats bytes for people: `64 KiB`, `256 MiB`.
pub fn format_bytes(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_human_and_plain_units() {
        assert_eq!(parse_bytes("65536"), Ok(65536));
        assert_eq!(parse_bytes("64KiB"), Ok(64 * 1024));
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
        let err = parse_bytes("lots").unwrap_err();
        assert!(err.contains("invalid size `lots`"), "{err}");
    }

    #[test]
    fn durations_default_to_seconds() {
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("invalid duration")
        );
    }

    #[test]
    fn dir_specs_follow_wasmtime() {
        let grant = DirGrant::parse("./data::/data", true).unwrap();
        assert_eq!(grant.host_path, PathBuf::from("./data"));
        assert_eq!(grant.guest_path, "/data");
        assert!(grant.read_only);
        assert_eq!(DirGrant::parse("tmp", false).unwrap().guest_path, "tmp");
        assert!(DirGrant::parse("::/x", false).is_err());
    }

    #[test]
    fn default_policy_is_safe() {
        let policy = SandboxPolicy::default();
        assert!(policy.dirs.is_empty() && policy.env.is_empty());
        assert_eq!(policy.stdin, StdinSource::Empty);
        assert_eq!(policy.max_memory_bytes, 256 << 20);
        assert_eq!(policy.timeout_ms, Some(10_000));
    }
}
