//! What the user allows a guest (the sandbox policy), what one run passes it (the
//! invocation), and the parsers for their human spellings.

use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::host_dirs::{self, HostExposure};

/// Default memory cap: 256 MiB.
pub const DEFAULT_MAX_MEMORY_BYTES: u64 = 256 * 1024 * 1024;
/// Default table cap, in elements.
pub const DEFAULT_MAX_TABLE_ELEMENTS: u64 = 100_000;
/// Default timeout: 10 s.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Default maximum wasm stack: 512 KiB (wasmtime's own default).
pub const DEFAULT_MAX_WASM_STACK_BYTES: usize = 512 * 1024;
/// Default quota on bytes added to the read-write folders: 1 GiB.
pub const DEFAULT_MAX_DISK_BYTES: u64 = 1 << 30;
/// Default quota on files and directories created in the read-write folders.
pub const DEFAULT_MAX_FILES: u64 = 10_000;

/// Everything a run is allowed to do. The default is safe: no directories, no environment,
/// 256 MiB of memory, 100,000 table elements, 10 s. What the guest is given for one run
/// (arguments, stdin, the export to call) is the [`Invocation`].
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
    /// Which compiler turns the module into machine code.
    pub compiler: Compiler,
    /// Record every WASI call (the capability log); costs a little per call.
    pub log_calls: bool,
    /// Let a component use the host's network through wasi:sockets (TCP, UDP, name
    /// lookup). Off by default: then every address is refused. wasi:http is never provided.
    pub allow_network: bool,
    /// Quota on the net bytes the guest may add to its read-write folders in one run; past
    /// it, writes fail as on a full disk (see the quota module).
    pub max_disk_bytes: u64,
    /// Quota on the files, directories and links the guest may create in them.
    pub max_files: u64,
    /// Debug mode: a trap shows every frame's locals and operand stack and the globals;
    /// breakpoints, logpoints and stepping work. Compiled code is slower (Cranelift only).
    pub debug: bool,
    /// The user accepted folder grants that hand the guest part of the host (`/`, `/proc`,
    /// `/etc`, the home directory...: see [`crate::engine::host_dirs`]). Never saved: it
    /// comes from `--allow-host-dir` or the window's question, for this run only.
    #[serde(skip)]
    pub allow_host_dirs: bool,
}

/// What one run passes the guest: its arguments, its stdin, and which export to call. The
/// default runs `_start` with no arguments and an empty stdin, stoppable anywhere.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Invocation {
    /// Arguments after argv0.
    pub args: Vec<String>,
    /// argv0; `None` uses the module's file name.
    pub argv0: Option<String>,
    /// What the guest reads on stdin.
    pub stdin: StdinSource,
    /// What to call.
    pub entry: Entry,
    /// The guest profiler: sample the guest's stack every this many milliseconds (at least
    /// 1); `None` leaves it off. A way of watching this run, so not part of the policy nor of
    /// a saved sandbox profile.
    pub profiler_interval_ms: Option<u64>,
    /// Record what crosses the WASI boundary (core modules), keeping at most this many bytes
    /// of calls; `None` records nothing. A way of watching this run, like the profiler.
    #[serde(skip)]
    pub record_max_bytes: Option<u64>,
    /// Replay this recording: every WASI call is answered from it, and nothing of the host
    /// (folders, environment, stdin, clocks, random) is read.
    #[serde(skip)]
    pub replay: Option<ReplaySource>,
    /// Watch these bytes of memory 0 for the last write before the run's end (a replay's
    /// `--last-write`): the run goes through a copy of the module that reports its writes.
    #[serde(skip)]
    pub last_write: Option<LastWriteRequest>,
    /// Time travel in a debug-mode replay: count every instruction, so each pause knows its
    /// moment and the face can go back to an earlier one by replaying to it.
    #[serde(skip)]
    pub travel: Option<Travel>,
    /// A stop request ends the guest wherever it is, even in a loop that never calls the host
    /// (the window's Stop). The compiled code then checks the epoch in every loop and
    /// function. `false` lets a run with no timeout, no profiler and no debug mode compile
    /// without those checks (`wasmscope run --timeout 0`): it runs at full speed, and a stop
    /// ends it only when it next waits in a host call.
    pub stoppable: bool,
}

impl Default for Invocation {
    fn default() -> Self {
        Self {
            args: Vec::new(),
            argv0: None,
            stdin: StdinSource::Empty,
            entry: Entry::Default,
            profiler_interval_ms: None,
            record_max_bytes: None,
            replay: None,
            last_write: None,
            travel: None,
            stoppable: true,
        }
    }
}

impl Invocation {
    /// Whether the run records what crosses the WASI boundary, or replays a recording.
    pub fn is_recorded(&self) -> bool {
        self.record_max_bytes.is_some() || self.replay.is_some()
    }

    /// Whether the guest's code needs epoch checks: for a timeout, a stop request that must
    /// end it anywhere, the profiler's samples, or debug mode's Pause.
    pub fn needs_epoch_checks(&self, policy: &SandboxPolicy) -> bool {
        self.stoppable
            || policy.timeout_ms.is_some()
            || self.profiler_interval_ms.is_some()
            || policy.debug
    }
}

/// The most bytes `--last-write` watches at once: 1 MiB (the bytes before and after the last
/// write are kept, so this bounds what the search holds).
pub const MAX_WATCHED_BYTES: u32 = 1 << 20;

/// A range of memory 0 whose last write a replay looks for (`ADDR[:LEN]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchedRange {
    /// Its first byte.
    pub addr: u32,
    /// Its length in bytes, 1 to [`MAX_WATCHED_BYTES`].
    pub len: u32,
}

impl WatchedRange {
    /// Reads `ADDR[:LEN]`: ADDR decimal or `0x` hex, LEN in bytes (default 1), the whole range
    /// inside a 32-bit memory.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let number = |text: &str, what: &'static str| {
            let text = text.trim();
            let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => text.parse::<u64>(),
            };
            parsed.map_err(|_| PolicyError::NotAnAddress {
                text: text.to_owned(),
                what,
            })
        };
        let (addr, len) = match text.split_once(':') {
            Some((addr, len)) => (number(addr, "address")?, number(len, "length")?),
            None => (number(text, "address")?, 1),
        };
        if len == 0 || len > u64::from(MAX_WATCHED_BYTES) {
            return Err(PolicyError::WatchedLength(len));
        }
        if addr.saturating_add(len) > 1 << 32 {
            return Err(PolicyError::PastFourGiB { addr, len });
        }
        Ok(Self {
            addr: addr as u32,
            len: len as u32,
        })
    }

    /// One past its last byte.
    pub fn end(&self) -> u64 {
        u64::from(self.addr) + u64::from(self.len)
    }

    /// Whether `len` bytes at `start` touch it.
    pub fn overlaps(&self, start: u64, len: u64) -> bool {
        len > 0 && start < self.end() && start.saturating_add(len) > u64::from(self.addr)
    }
}

impl std::fmt::Display for WatchedRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:#x}..{:#x} ({} bytes)",
            self.addr,
            self.end(),
            self.len
        )
    }
}

/// A search for the last write to a range ([`Invocation::last_write`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastWriteRequest {
    /// The bytes watched.
    pub range: WatchedRange,
    /// A second replay's target: keep the moment of this write (counted from 1) and end the
    /// run there. `None` counts every write and keeps the moments of the first few.
    pub stop_at_write: Option<u64>,
}

/// What a time-travel replay does. It runs in debug mode with every instruction counted: the
/// moment of a pause is the number (from 1) of the instruction about to run, the same in
/// every replay of the recording. Going back is replaying to an earlier moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Travel {
    /// Count, and pause as any debug-mode run does.
    Count,
    /// Run quietly to this moment, pause there (a step), then go on counting.
    To(u64),
    /// Run quietly to this moment, a breakpoint's hit, and pause there as at a breakpoint.
    AtBreak(u64),
    /// Reverse continue: find the last pausing breakpoint's hit before this moment (a quiet
    /// replay first) and pause there; at moment 1 when none was hit.
    LastBreakBefore(u64),
    /// The quiet search of [`Travel::LastBreakBefore`]: never pauses, and ends at this moment.
    Scan(u64),
    /// Going back from a live debug run's pause: find its moment in the run's recording (a
    /// quiet replay), then go to the moment before it, or to the breakpoint hit before it.
    BackFrom {
        /// The live pause.
        anchor: Anchor,
        /// Reverse continue rather than Step back.
        reverse: bool,
    },
    /// The quiet search of [`Travel::BackFrom`]: ends at the anchor's moment.
    Locate(Anchor),
    /// Who wrote these bytes before moment `end`: a quiet replay that reads each writing
    /// instruction's operands, ending at `end`; the report names the last one's moment.
    ScanWrites {
        /// The bytes watched.
        range: WatchedRange,
        /// The moment the search ends at.
        end: u64,
    },
}

/// A live debug run's pause as a replay can find it again: the `nth` execution of the
/// breakpoint at `offset` (set since the start, so every execution was counted), then `steps`
/// single steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anchor {
    /// The breakpoint's module offset.
    pub offset: usize,
    /// Which execution of it (from 1).
    pub nth: u64,
    /// Instructions stepped since.
    pub steps: u64,
}

/// A recording to replay, shared between the face and the run.
#[derive(Clone, Debug)]
pub struct ReplaySource(pub std::sync::Arc<crate::engine::record::Calls>);

/// Two runs replay the same recording when they share it.
impl PartialEq for ReplaySource {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for ReplaySource {}

/// Which compiler wasmtime uses: a trade between time to first output and peak speed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Compiler {
    /// Optimizing compiler: slower to compile, fastest code (wasmtime's default).
    #[default]
    Cranelift,
    /// Baseline compiler: compiles several times faster, runs slower.
    Winch,
    /// Portable interpreter: compiles about as slowly as Cranelift, runs much slower.
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

    /// Its name in a sentence: "Cranelift", "Winch", "Pulley".
    pub fn title(self) -> &'static str {
        match self {
            Compiler::Cranelift => "Cranelift",
            Compiler::Winch => "Winch",
            Compiler::Pulley => "Pulley",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Result<Self, PolicyError> {
        Self::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| PolicyError::UnknownCompiler(name.to_owned()))
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
            compiler: Compiler::default(),
            log_calls: false,
            allow_network: false,
            max_disk_bytes: DEFAULT_MAX_DISK_BYTES,
            max_files: DEFAULT_MAX_FILES,
            debug: false,
            allow_host_dirs: false,
        }
    }
}

impl SandboxPolicy {
    /// The timeout as a [`Duration`].
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout_ms.map(Duration::from_millis)
    }

    /// Checks every folder grant against the host-folder rule ([`DirGrant::refusal`]).
    pub fn check_host_dirs(&self) -> Result<(), PolicyError> {
        let refused = self
            .dirs
            .iter()
            .find_map(|d| d.refusal(self.allow_host_dirs));
        match refused {
            Some(exposure) => Err(PolicyError::HostDir(Box::new(exposure))),
            None => Ok(()),
        }
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
    /// In words: `/data = /home/me/data (read-only)`, `, scratch copy` added for one.
    pub fn describe(&self) -> String {
        format!(
            "{} = {} ({}{})",
            self.guest_path,
            self.host_path.display(),
            if self.read_only {
                "read-only"
            } else {
                "read-write"
            },
            if self.scratch { ", scratch copy" } else { "" }
        )
    }

    /// Parses wasmtime's `HOST[::GUEST]` spelling; without `::GUEST` the guest sees the host path.
    /// It splits at the *last* `::`, so a host folder whose name holds `::` is granted with
    /// its guest path spelled out (`a::b::/data`); a guest path cannot hold `::` here (a
    /// profile's `guest` key can).
    pub fn parse(spec: &str, read_only: bool) -> Result<Self, PolicyError> {
        let (host, guest) = match spec.rsplit_once("::") {
            Some((host, guest)) => (host, guest),
            None => (spec, spec),
        };
        if host.is_empty() || guest.is_empty() {
            return Err(PolicyError::Directory(spec.to_owned()));
        }
        Ok(Self {
            host_path: PathBuf::from(host),
            guest_path: guest.to_owned(),
            read_only,
            scratch: false,
        })
    }

    /// What this grant would expose of the host, whether or not the rule refuses it.
    pub fn exposure(&self) -> Option<HostExposure> {
        host_dirs::exposure(&self.host_path, self.read_only)
    }

    /// What this grant would expose of the host when the rule refuses it (without
    /// [`SandboxPolicy::allow_host_dirs`]).
    pub fn refused_exposure(&self) -> Option<HostExposure> {
        self.exposure().filter(HostExposure::refused)
    }

    /// Why the run refuses this grant, when it does: a refused exposure that the user did not
    /// allow (`allow_host_dirs`), or one of wasmscope's own folders, which nothing allows.
    pub fn refusal(&self, allow_host_dirs: bool) -> Option<HostExposure> {
        self.refused_exposure()
            .filter(|e| !allow_host_dirs || e.refused_whatever_allowed())
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
    /// This file, read as the guest reads it (never whole into memory), then end-of-file. A
    /// guest waiting on it still stops at the timeout or a stop request.
    File(PathBuf),
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

/// Why a value of the policy could not be read or is out of its range. The message says
/// what was given and what is accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not a byte size.
    #[error("invalid size `{0}`: use bytes or units, e.g. `65536`, `64KiB`, `256MiB`, `4GiB`")]
    Size(String),
    /// Not a duration.
    #[error("invalid duration `{text}` ({why}): use e.g. `2s`, `500ms`, `1m`")]
    Duration {
        /// What was given.
        text: String,
        /// What the duration parser said.
        why: String,
    },
    /// Not a whole number.
    #[error("`{0}` is not a number")]
    Count(String),
    /// A limit outside its range.
    #[error("the {} must be between {} and {}, not {}", .limit.label(), .limit.show(*.limit.range().start()), .limit.show(*.limit.range().end()), .limit.show(*.value))]
    OutOfRange {
        /// Which limit.
        limit: Limit,
        /// The value given, in the limit's unit.
        value: u64,
    },
    /// A watched range's address or length that is not a number.
    #[error("`{text}` is not a {what}: give a decimal number or 0x followed by hex")]
    NotAnAddress {
        /// What was given.
        text: String,
        /// `address` or `length`.
        what: &'static str,
    },
    /// A watched range's length of 0 or over [`MAX_WATCHED_BYTES`].
    #[error("the length must be 1 to {MAX_WATCHED_BYTES} bytes (1 MiB), not {0}")]
    WatchedLength(u64),
    /// A watched range that does not fit a 32-bit memory.
    #[error("{addr:#x}:{len} ends past 4 GiB, outside any 32-bit memory")]
    PastFourGiB {
        /// Its first byte.
        addr: u64,
        /// Its length.
        len: u64,
    },
    /// An unknown compiler name.
    #[error("unknown compiler `{0}`: choose cranelift, winch or pulley")]
    UnknownCompiler(String),
    /// A directory grant not in `HOST[::GUEST]` form.
    #[error("invalid directory `{0}`: expected HOST or HOST::GUEST, e.g. `./data::/data`")]
    Directory(String),
    /// A folder grant that would hand the guest part of the host, not allowed.
    #[error("{}", .0.refusal())]
    HostDir(Box<HostExposure>),
}

/// One numeric limit of the sandbox. Each has one accepted range and one message when a
/// value falls outside it, used alike by the command line, profiles, the window and the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// [`SandboxPolicy::max_memory_bytes`], in bytes.
    MaxMemory,
    /// [`SandboxPolicy::max_table_elements`], in elements.
    MaxTableElements,
    /// [`SandboxPolicy::timeout_ms`] when set, in milliseconds.
    Timeout,
    /// [`SandboxPolicy::fuel`] when set, in fuel units.
    Fuel,
    /// [`SandboxPolicy::max_wasm_stack_bytes`], in bytes.
    MaxWasmStack,
    /// [`SandboxPolicy::max_disk_bytes`], in bytes.
    MaxDisk,
    /// [`SandboxPolicy::max_files`], in files.
    MaxFiles,
}

/// The smallest wasm stack accepted: less cannot hold a few frames of host calls.
pub const MIN_WASM_STACK_BYTES: u64 = 16 * 1024;
/// The largest wasm stack accepted: beyond this the host's own stack limits get in the way.
pub const MAX_WASM_STACK_BYTES: u64 = 1 << 30;

impl Limit {
    /// Every limit, for forms and tests.
    pub const ALL: [Limit; 7] = [
        Limit::MaxMemory,
        Limit::MaxTableElements,
        Limit::Timeout,
        Limit::Fuel,
        Limit::MaxWasmStack,
        Limit::MaxDisk,
        Limit::MaxFiles,
    ];

    /// What it limits, for messages: "memory cap", "wasm stack", ...
    pub fn label(self) -> &'static str {
        match self {
            Limit::MaxMemory => "memory cap",
            Limit::MaxTableElements => "table cap",
            Limit::Timeout => "timeout",
            Limit::Fuel => "fuel budget",
            Limit::MaxWasmStack => "wasm stack",
            Limit::MaxDisk => "disk quota",
            Limit::MaxFiles => "files quota",
        }
    }

    /// The values accepted, in the limit's unit.
    pub fn range(self) -> RangeInclusive<u64> {
        match self {
            // A cap of 0 is allowed: the guest then gets no memory or table growth at all.
            // A quota of 0 is allowed too: the guest then may add nothing to its folders.
            Limit::MaxMemory
            | Limit::MaxTableElements
            | Limit::Fuel
            | Limit::MaxDisk
            | Limit::MaxFiles => 0..=u64::MAX,
            // No timeout is `None`, not 0.
            Limit::Timeout => 1..=u64::MAX,
            Limit::MaxWasmStack => MIN_WASM_STACK_BYTES..=MAX_WASM_STACK_BYTES,
        }
    }

    /// The stretch of [`Self::range`] a slider spans: the values people usually pick. A
    /// value outside it but inside the range may still be typed.
    pub fn usual_range(self) -> RangeInclusive<u64> {
        match self {
            // One wasm page to 4 GiB (the 32-bit address space).
            Limit::MaxMemory => 64 * 1024..=4 * 1024 * 1024 * 1024,
            Limit::MaxTableElements => 10..=10_000_000,
            // 10 ms to 5 min.
            Limit::Timeout => 10..=5 * 60 * 1000,
            Limit::Fuel => 1_000..=1_000_000_000_000,
            Limit::MaxWasmStack => MIN_WASM_STACK_BYTES..=64 * 1024 * 1024,
            // 1 MiB to 1 TiB.
            Limit::MaxDisk => 1024 * 1024..=1024 * 1024 * 1024 * 1024,
            Limit::MaxFiles => 10..=10_000_000,
        }
    }

    /// Checks `value` (in the limit's unit) against [`Self::range`].
    pub fn check(self, value: u64) -> Result<u64, PolicyError> {
        if self.range().contains(&value) {
            Ok(value)
        } else {
            Err(PolicyError::OutOfRange { limit: self, value })
        }
    }

    /// The nearest value to `value` inside [`Self::range`]: how settings saved by another
    /// version, or edited by hand, are brought back in range when they load.
    pub fn clamp(self, value: u64) -> u64 {
        let range = self.range();
        value.clamp(*range.start(), *range.end())
    }

    /// Reads the limit as people write it (`64MiB`, `2s`, `100000`) and checks its range.
    /// A timeout of `0` is not accepted here: callers that allow "none" check for it first.
    pub fn parse(self, text: &str) -> Result<u64, PolicyError> {
        let value = match self {
            Limit::MaxMemory | Limit::MaxWasmStack | Limit::MaxDisk => parse_bytes(text)?,
            Limit::MaxTableElements | Limit::Fuel | Limit::MaxFiles => parse_count(text)?,
            Limit::Timeout => {
                let ms = parse_duration(text)?.as_millis();
                u64::try_from(ms).unwrap_or(u64::MAX)
            }
        };
        self.check(value)
    }

    /// A value of this limit for people: `16 KiB`, `100000 elements`, `2s`.
    pub fn show(self, value: u64) -> String {
        match self {
            Limit::MaxMemory | Limit::MaxWasmStack | Limit::MaxDisk => exact_bytes(value),
            Limit::MaxTableElements => format!("{value} elements"),
            Limit::MaxFiles => format!("{value} files"),
            Limit::Timeout => humantime::format_duration(Duration::from_millis(value)).to_string(),
            Limit::Fuel => value.to_string(),
        }
    }
}

impl SandboxPolicy {
    /// Checks every limit against its range, and the folder grants against the host-folder
    /// rule: the one validation the command line, profiles, the window and the run share.
    pub fn validate(&self) -> Result<(), PolicyError> {
        Limit::MaxMemory.check(self.max_memory_bytes)?;
        Limit::MaxTableElements.check(self.max_table_elements)?;
        if let Some(ms) = self.timeout_ms {
            Limit::Timeout.check(ms)?;
        }
        if let Some(fuel) = self.fuel {
            Limit::Fuel.check(fuel)?;
        }
        Limit::MaxWasmStack.check(self.max_wasm_stack_bytes as u64)?;
        Limit::MaxDisk.check(self.max_disk_bytes)?;
        Limit::MaxFiles.check(self.max_files)?;
        self.check_host_dirs()
    }
}

impl SandboxPolicy {
    /// The same policy with every limit brought inside its [`Limit::range`] (a 16 EiB stack
    /// becomes the largest accepted): for settings loaded from a file, which must not fail a
    /// run later nor reach the engine out of range.
    pub fn clamped(mut self) -> Self {
        self.max_memory_bytes = Limit::MaxMemory.clamp(self.max_memory_bytes);
        self.max_table_elements = Limit::MaxTableElements.clamp(self.max_table_elements);
        self.timeout_ms = self.timeout_ms.map(|ms| Limit::Timeout.clamp(ms));
        self.fuel = self.fuel.map(|fuel| Limit::Fuel.clamp(fuel));
        let stack = Limit::MaxWasmStack.clamp(self.max_wasm_stack_bytes as u64);
        // The range ends at 1 GiB, which every host's usize holds.
        self.max_wasm_stack_bytes = usize::try_from(stack).unwrap_or(DEFAULT_MAX_WASM_STACK_BYTES);
        self.max_disk_bytes = Limit::MaxDisk.clamp(self.max_disk_bytes);
        self.max_files = Limit::MaxFiles.clamp(self.max_files);
        self
    }
}

/// `16 KiB` when a whole number of KiB, MiB or GiB says it exactly, else [`format_bytes`].
fn exact_bytes(bytes: u64) -> String {
    [("GiB", 1u64 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        .into_iter()
        .find(|&(_, unit)| bytes >= unit && bytes.is_multiple_of(unit))
        .map(|(name, unit)| format!("{} {name}", bytes / unit))
        .unwrap_or_else(|| format_bytes(bytes))
}

/// Parses a whole number: `100000`, `100_000`.
pub fn parse_count(text: &str) -> Result<u64, PolicyError> {
    let text = text.trim();
    text.replace('_', "")
        .parse::<u64>()
        .map_err(|_| PolicyError::Count(text.to_owned()))
}

/// Parses a byte size: `65536`, `64KiB`, `64MiB`, `4GiB`, `1.5 MB`.
pub fn parse_bytes(text: &str) -> Result<u64, PolicyError> {
    let text = text.trim();
    if let Ok(n) = text.parse::<u64>() {
        return Ok(n);
    }
    text.parse::<bytesize::ByteSize>()
        .map(|size| size.as_u64())
        .map_err(|_| PolicyError::Size(text.to_owned()))
}

/// Parses a duration: `2s`, `500ms`, `1m 30s`; a bare number means seconds, as in wasmtime.
pub fn parse_duration(text: &str) -> Result<Duration, PolicyError> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text).map_err(|e| PolicyError::Duration {
        text: text.to_owned(),
        why: e.to_string(),
    })
}

/// Formats bytes for people: `64 KiB`, `256 MiB`.
pub fn format_bytes(bytes: u64) -> String {
    bytesize::ByteSize::b(bytes).display().iec().to_string()
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
