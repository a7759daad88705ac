//! How a run ended, as values: a trap, a timeout or an exit code is an outcome, not an error.

use serde::{Deserialize, Serialize};

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RunOutcome {
    /// The guest exited (`proc_exit`, or `_start`/the invoked function returned: code 0).
    Exited {
        /// The exit code.
        code: i32,
    },
    /// The guest trapped.
    Trapped {
        /// What trapped, and where.
        trap: TrapInfo,
    },
    /// The timeout passed before the guest finished.
    TimedOut {
        /// The timeout that was set.
        timeout_ms: u64,
    },
    /// The fuel budget ran out.
    FuelExhausted {
        /// The budget that was set.
        fuel: u64,
    },
    /// Somebody pressed Stop (a `Cancel` command).
    Cancelled,
    /// The module never ran: it is invalid, or an import cannot be satisfied, or the policy
    /// cannot be applied (e.g. a preopened directory does not exist).
    Failed {
        /// What went wrong, in words a user can act on.
        error: String,
        /// Every import the sandbox cannot satisfy, when that is the reason.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unresolved: Vec<crate::engine::UnresolvedImport>,
    },
}

impl RunOutcome {
    /// The report's name for this outcome: `exited`, `trapped`, `timed_out`, ...
    pub fn name(&self) -> &'static str {
        match self {
            RunOutcome::Exited { .. } => "exited",
            RunOutcome::Trapped { .. } => "trapped",
            RunOutcome::TimedOut { .. } => "timed_out",
            RunOutcome::FuelExhausted { .. } => "fuel_exhausted",
            RunOutcome::Cancelled => "cancelled",
            RunOutcome::Failed { .. } => "failed",
        }
    }

    /// The process exit status the CLI uses for this outcome (see the README's table).
    pub fn exit_status(&self) -> u8 {
        match self {
            // Exit codes outside 0..=255 are truncated the way a POSIX shell would see them.
            RunOutcome::Exited { code } => (*code & 0xff) as u8,
            RunOutcome::Trapped { .. } => exit_status::TRAPPED,
            RunOutcome::TimedOut { .. } => exit_status::TIMED_OUT,
            RunOutcome::FuelExhausted { .. } => exit_status::FUEL_EXHAUSTED,
            RunOutcome::Cancelled => exit_status::CANCELLED,
            RunOutcome::Failed { .. } => exit_status::FAILED,
        }
    }

    /// One line for people: "exited with code 0", "trapped: integer divide by zero", ...
    pub fn summary(&self) -> String {
        match self {
            RunOutcome::Exited { code } => format!("exited with code {code}"),
            RunOutcome::Trapped { trap } => format!("trapped: {}", trap.message),
            RunOutcome::TimedOut { timeout_ms } => {
                format!(
                    "timed out after {}",
                    humantime::format_duration(std::time::Duration::from_millis(*timeout_ms))
                )
            }
            RunOutcome::FuelExhausted { fuel } => format!("ran out of fuel (budget {fuel})"),
            RunOutcome::Cancelled => "cancelled".to_owned(),
            RunOutcome::Failed { error, .. } => format!("failed to start: {error}"),
        }
    }
}

/// The CLI's exit statuses for outcomes other than a guest exit. They sit above the usual
/// shell codes so a script can tell them from a guest's own exit code.
pub mod exit_status {
    /// The guest trapped (like wasmtime: 128 + SIGABRT).
    pub const TRAPPED: u8 = 134;
    /// The run timed out (like `timeout(1)`).
    pub const TIMED_OUT: u8 = 124;
    /// The fuel budget ran out.
    pub const FUEL_EXHAUSTED: u8 = 125;
    /// The run was cancelled (like SIGINT: 128 + 2).
    pub const CANCELLED: u8 = 130;
    /// The host failed: bad file, invalid module, unresolved import, bad policy.
    pub const FAILED: u8 = 126;
    /// Bad command-line usage.
    pub const USAGE: u8 = 2;
}

/// A trap: its kind, message and wasm backtrace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrapInfo {
    /// wasmtime's trap code, e.g. `IntegerDivisionByZero`; `HostError` when a host call failed.
    pub code: String,
    /// The message, e.g. "integer divide by zero".
    pub message: String,
    /// Innermost frame first.
    pub frames: Vec<FrameInfo>,
    /// For an out-of-bounds access: the wasm address that faulted, when wasmtime knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_address: Option<u64>,
}

/// One frame of a wasm backtrace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameInfo {
    /// Index of the function in the module's function index space.
    pub func_index: u32,
    /// Name from the name section, demangled; `None` when the module has no names.
    pub func_name: Option<String>,
    /// Byte offset of the instruction within the module, when known.
    pub module_offset: Option<usize>,
    /// Source location from DWARF, e.g. `main.c:12:5`, when the module carries debug info.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Resource use at one moment of a run, sent at a bounded rate for charts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSample {
    /// Milliseconds since the run started.
    pub at_ms: u64,
    /// Current linear memory size.
    pub memory_bytes: u64,
    /// Current table size, in elements.
    pub table_elements: u64,
    /// Fuel used so far, when fuel metering is on.
    pub fuel_consumed: Option<u64>,
}

/// A growth that the limiter allowed or denied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrowthEvent {
    /// Memory (bytes) or table (elements).
    pub resource: Resource,
    /// Size before, in bytes or elements.
    pub current: u64,
    /// Size asked for.
    pub desired: u64,
    /// The cap in force.
    pub limit: u64,
    /// Milliseconds since the run started.
    pub at_ms: u64,
}

/// What grew.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    /// A linear memory, counted in bytes.
    Memory,
    /// A table, counted in elements.
    Table,
}

/// Numbers about a run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunStats {
    /// From the start of the run (after compile) to the outcome.
    pub wall_ms: u64,
    /// Compile time; 0 when the module came from the cache.
    pub compile_ms: u64,
    /// Whether the compiled module came from the in-memory cache.
    pub compile_cached: bool,
    /// Largest linear memory seen.
    pub peak_memory_bytes: u64,
    /// Fuel used, when fuel metering was on.
    pub fuel_consumed: Option<u64>,
    /// Bytes the guest wrote to stdout.
    pub stdout_bytes: u64,
    /// Bytes the guest wrote to stderr.
    pub stderr_bytes: u64,
}

/// Everything known at the end of a run; the JSON report is this, serialized.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The module's file name or label.
    pub module: String,
    /// How it ended; flattened so the JSON has `outcome` at the top.
    #[serde(flatten)]
    pub outcome: RunOutcome,
    /// The exit code when the guest exited, else `null`.
    pub exit_code: Option<i32>,
    /// Results of an invoked function, formatted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<String>,
    /// Every denied growth, oldest first (capped at [`MAX_RECORDED_DENIALS`]).
    pub memory_denied: Vec<GrowthEvent>,
    /// How many denied growths there were in all.
    pub memory_denied_count: u64,
    /// Numbers.
    pub stats: RunStats,
    /// The capability log: the first WASI calls (when the policy logs calls).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<crate::engine::calllog::CallRecord>,
    /// WASI calls in all; more than `calls.len()` when the log was truncated.
    #[serde(default)]
    pub calls_total: u64,
    /// The calls the sandbox refused, with why (the first ones, when the policy logs calls).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denials: Vec<crate::engine::calllog::CallRecord>,
    /// WASI calls the sandbox refused, in all: counted whether or not the log is on.
    #[serde(default)]
    pub denials_total: u64,
    /// A wasm coredump (the standard format) when the guest trapped; not in the JSON.
    #[serde(skip)]
    pub coredump: Option<std::sync::Arc<Vec<u8>>>,
    /// The guest's linear memory at the end (its first [`MEMORY_SNAPSHOT_BYTES`]), for the
    /// hex view; not in the JSON.
    #[serde(skip)]
    pub memory: Option<std::sync::Arc<Vec<u8>>>,
    /// What the guest changed in each read-write directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_changes: Vec<crate::engine::files::DirChanges>,
    /// Scratch copies the run worked on: apply their changes to the real folders, or drop
    /// the report to discard them. Not in the JSON.
    #[serde(skip)]
    pub scratch: crate::engine::files::ScratchCopies,
    /// What the guest added to its read-write folders against the disk quota; `None` when
    /// the quota did not watch the run (components, or a run that never started).
    #[serde(default)]
    pub disk: Option<crate::engine::quota::DiskUsage>,
}

/// How much of the guest's memory a report keeps for the hex view.
pub const MEMORY_SNAPSHOT_BYTES: usize = 64 * 1024 * 1024;

/// How many denied growths a report keeps; the count keeps counting.
pub const MAX_RECORDED_DENIALS: usize = 100;

impl RunReport {
    /// An empty report for `module` with `outcome`; a run fills in the rest as it goes.
    pub fn new(module: impl Into<String>, outcome: RunOutcome) -> Self {
        Self {
            module: module.into(),
            outcome,
            exit_code: None,
            results: Vec::new(),
            memory_denied: Vec::new(),
            memory_denied_count: 0,
            stats: RunStats::default(),
            calls: Vec::new(),
            calls_total: 0,
            denials: Vec::new(),
            denials_total: 0,
            coredump: None,
            memory: None,
            file_changes: Vec::new(),
            scratch: Vec::new(),
            disk: None,
        }
    }

    /// How many calls the sandbox refused when the call log was off (so none is listed):
    /// worth a hint to turn the log on. `None` when nothing was refused or the log lists them.
    pub fn unlisted_denials(&self) -> Option<u64> {
        (self.denials_total > 0 && self.denials.is_empty()).then_some(self.denials_total)
    }

    /// Serializes the report as pretty JSON.
    pub fn to_json(&self) -> String {
        // A report holds only strings, numbers and lists: serializing it cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}
