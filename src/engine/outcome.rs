//! How a run ended, as values: a trap, a timeout or an exit code is an outcome, not an error.

use serde::{Deserialize, Serialize};

use crate::engine::policy::Limit;

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
    /// A replay's guest asked for something its recording does not hold.
    Diverged {
        /// The call, from 1.
        at_call: u64,
        /// What was recorded and what was asked, in words.
        detail: String,
    },
    /// The module never ran: it is invalid, or an import cannot be satisfied, or the policy
    /// cannot be applied (e.g. a preopened directory does not exist).
    Failed {
        /// What went wrong, in words a user can act on.
        error: String,
        /// Every import the sandbox cannot satisfy, when that is the reason.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unresolved: Vec<crate::engine::info::UnresolvedImport>,
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
            RunOutcome::Diverged { .. } => "diverged",
            RunOutcome::Failed { .. } => "failed",
        }
    }

    /// Whether the guest may have died of its own accord (a trap, or an exit with a failure
    /// code), so what it said last on stderr may be why ([`RunReport::last_words`]).
    pub fn invites_last_words(&self) -> bool {
        match self {
            RunOutcome::Trapped { trap } => trap.kind != TrapKind::Interrupt,
            RunOutcome::Exited { code } => *code != 0,
            _ => false,
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
            RunOutcome::Diverged { .. } | RunOutcome::Failed { .. } => exit_status::FAILED,
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
            RunOutcome::Diverged { at_call, detail } => {
                format!("the replay diverged at call {at_call}: {detail}")
            }
            RunOutcome::Failed { error, .. } => format!("failed to start: {error}"),
        }
    }
}

impl RunOutcome {
    /// What happened, in plain words, with its likely cause: the window shows it under the
    /// outcome's badge and `wasmscope run` prints it under the outcome line. For a trap it is
    /// the trap kind's explanation ([`TrapKind::explain`]).
    pub fn explain(&self) -> String {
        match self {
            RunOutcome::Exited { code: 0 } => {
                "The guest finished normally: exit code 0 means success.".to_owned()
            }
            RunOutcome::Exited { .. } => "The guest chose this exit code (proc_exit or a \
                non-zero return from main). It is the program's own verdict, not a sandbox \
                failure; by convention non-zero means it reports an error."
                .to_owned(),
            RunOutcome::Trapped { trap } => trap.kind.explain().to_owned(),
            RunOutcome::TimedOut { timeout_ms } => format!(
                "The guest was still running when the {timeout_ms} ms timeout passed, so the \
                 sandbox stopped it (an epoch deadline: it interrupts busy loops and blocked \
                 host calls alike). If the module just needs longer, raise the timeout; if it \
                 never ends, it is probably stuck in a loop."
            ),
            RunOutcome::FuelExhausted { fuel } => format!(
                "The guest executed about {fuel} wasm instructions, its whole fuel budget, and \
                 was stopped. Fuel counts work, not time, so the same module stops at the same \
                 point on every machine. Raise the budget, or turn fuel off."
            ),
            RunOutcome::Cancelled => "You pressed Stop (or Ctrl+C), and the sandbox ended the \
                guest, even if it was blocked in a host call such as a sleep."
                .to_owned(),
            RunOutcome::Diverged { .. } => "A replay answers each WASI call with what the \
                recorded run was handed, so the guest runs exactly as it did, as long as all \
                its inputs crossed the WASI boundary. Here it asked for something the \
                recording does not hold: either the recording ends before this point (a run \
                that was stopped, timed out or reached its size bound), or something outside \
                WASI made this run differ. The output up to this call is exact."
                .to_owned(),
            RunOutcome::Failed { unresolved, .. } if !unresolved.is_empty() => format!(
                "The sandbox cannot link {} import{}: it provides WASI and nothing else, so \
                 every import listed must be removed from the module or provided by another \
                 host.",
                unresolved.len(),
                if unresolved.len() == 1 { "" } else { "s" }
            ),
            RunOutcome::Failed { .. } => "The module never ran, so nothing the guest did \
                caused this: the host could not read, compile, link or set it up as the \
                error says."
                .to_owned(),
        }
    }

    /// The limit that ended the run, when raising it would let the guest go further.
    pub fn limit(&self) -> Option<Limit> {
        match self {
            RunOutcome::TimedOut { .. } => Some(Limit::Timeout),
            RunOutcome::FuelExhausted { .. } => Some(Limit::Fuel),
            RunOutcome::Trapped { trap } if trap.kind == TrapKind::StackOverflow => {
                Some(Limit::MaxWasmStack)
            }
            _ => None,
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
    /// What kind of trap, with its plain-words explanation ([`TrapKind::explain`]).
    #[serde(default)]
    pub kind: TrapKind,
    /// wasmtime's trap code, e.g. `IntegerDivisionByZero`; `HostError` when a host call failed.
    /// The same as `kind.code()`, except for a trap this version does not know by kind.
    pub code: String,
    /// The message, e.g. "integer divide by zero".
    pub message: String,
    /// Innermost frame first.
    pub frames: Vec<FrameInfo>,
    /// For an out-of-bounds access: the wasm address that faulted, when wasmtime knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault_address: Option<u64>,
    /// Debug mode: the instance's globals (`trap.globals`) and what was left out.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub debug: Option<crate::engine::debug::values::DebugState>,
}

/// What kind of trap ended a run: wasmtime's trap codes that a guest can meet, plus the two
/// ways a run ends in the host (a denied growth that traps, a failed host call).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrapKind {
    /// Read or write outside linear memory.
    MemoryOutOfBounds,
    /// A misaligned atomic access.
    HeapMisaligned,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Signed division overflow (`MIN / -1`).
    IntegerOverflow,
    /// A trapping float-to-integer conversion of NaN, infinity or an out-of-range value.
    BadConversionToInteger,
    /// An `unreachable` instruction.
    UnreachableCodeReached,
    /// The wasm stack ran out.
    StackOverflow,
    /// A table index past the table's end.
    TableOutOfBounds,
    /// An indirect call to an empty table slot.
    IndirectCallToNull,
    /// An indirect call to a function of another type.
    BadSignature,
    /// A null reference where a value was required.
    NullReference,
    /// The host interrupted the guest (timeout or Stop).
    Interrupt,
    /// The fuel budget ran out.
    OutOfFuel,
    /// A GC allocation too large.
    AllocationTooLarge,
    /// A GC array index past the array's end.
    ArrayOutOfBounds,
    /// A failed reference cast.
    CastFailure,
    /// A denied memory or table growth, with "trap on grow failure" on.
    GrowthDenied,
    /// A host function (a WASI call) failed and aborted the guest.
    HostError,
    /// The guest called AssemblyScript's `env.abort`: it decided to die.
    GuestAbort,
    /// A trap this version has no explanation for; `TrapInfo::code` names it.
    #[default]
    Other,
}

impl TrapKind {
    /// Every kind, for lists and tests.
    pub const ALL: [TrapKind; 20] = [
        TrapKind::MemoryOutOfBounds,
        TrapKind::HeapMisaligned,
        TrapKind::IntegerDivisionByZero,
        TrapKind::IntegerOverflow,
        TrapKind::BadConversionToInteger,
        TrapKind::UnreachableCodeReached,
        TrapKind::StackOverflow,
        TrapKind::TableOutOfBounds,
        TrapKind::IndirectCallToNull,
        TrapKind::BadSignature,
        TrapKind::NullReference,
        TrapKind::Interrupt,
        TrapKind::OutOfFuel,
        TrapKind::AllocationTooLarge,
        TrapKind::ArrayOutOfBounds,
        TrapKind::CastFailure,
        TrapKind::GrowthDenied,
        TrapKind::HostError,
        TrapKind::GuestAbort,
        TrapKind::Other,
    ];

    /// The kind of a wasmtime trap.
    pub fn of(trap: &wasmtime::Trap) -> Self {
        use wasmtime::Trap;
        match trap {
            Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
            Trap::HeapMisaligned => TrapKind::HeapMisaligned,
            Trap::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
            Trap::IntegerOverflow => TrapKind::IntegerOverflow,
            Trap::BadConversionToInteger => TrapKind::BadConversionToInteger,
            Trap::UnreachableCodeReached => TrapKind::UnreachableCodeReached,
            Trap::StackOverflow => TrapKind::StackOverflow,
            Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
            Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
            Trap::BadSignature => TrapKind::BadSignature,
            Trap::NullReference => TrapKind::NullReference,
            Trap::Interrupt => TrapKind::Interrupt,
            Trap::OutOfFuel => TrapKind::OutOfFuel,
            Trap::AllocationTooLarge => TrapKind::AllocationTooLarge,
            Trap::ArrayOutOfBounds => TrapKind::ArrayOutOfBounds,
            Trap::CastFailure => TrapKind::CastFailure,
            _ => TrapKind::Other,
        }
    }

    /// The kind named by a trap code as reports write it (`IntegerDivisionByZero`).
    pub fn from_code(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|kind| *kind != TrapKind::Other && kind.code() == code)
            .unwrap_or(TrapKind::Other)
    }

    /// The trap code as reports and the window's badge write it: wasmtime's name.
    pub fn code(self) -> &'static str {
        match self {
            TrapKind::MemoryOutOfBounds => "MemoryOutOfBounds",
            TrapKind::HeapMisaligned => "HeapMisaligned",
            TrapKind::IntegerDivisionByZero => "IntegerDivisionByZero",
            TrapKind::IntegerOverflow => "IntegerOverflow",
            TrapKind::BadConversionToInteger => "BadConversionToInteger",
            TrapKind::UnreachableCodeReached => "UnreachableCodeReached",
            TrapKind::StackOverflow => "StackOverflow",
            TrapKind::TableOutOfBounds => "TableOutOfBounds",
            TrapKind::IndirectCallToNull => "IndirectCallToNull",
            TrapKind::BadSignature => "BadSignature",
            TrapKind::NullReference => "NullReference",
            TrapKind::Interrupt => "Interrupt",
            TrapKind::OutOfFuel => "OutOfFuel",
            TrapKind::AllocationTooLarge => "AllocationTooLarge",
            TrapKind::ArrayOutOfBounds => "ArrayOutOfBounds",
            TrapKind::CastFailure => "CastFailure",
            TrapKind::GrowthDenied => "GrowthDenied",
            TrapKind::HostError => "HostError",
            TrapKind::GuestAbort => "GuestAbort",
            TrapKind::Other => "Other",
        }
    }

    /// What the trap means in plain words, and its likely causes. The CLI prints this under
    /// the trap line and the window shows it under the message.
    pub fn explain(self) -> &'static str {
        match self {
            TrapKind::MemoryOutOfBounds => {
                "The guest read or wrote outside its linear memory. Usual causes: a bad pointer \
                 or index, a buffer overrun, use after free, or assuming the memory is larger \
                 than it is, often after a memory.grow that the sandbox refused."
            }
            TrapKind::HeapMisaligned => {
                "An atomic memory access used an address that is not aligned to its size. \
                 Usual cause: a corrupted pointer or a struct packed without respecting \
                 alignment."
            }
            TrapKind::IntegerDivisionByZero => {
                "An integer division or remainder had a divisor of zero. Wasm traps here \
                 instead of returning a value. Usual cause: an unchecked divisor from input or \
                 a counter."
            }
            TrapKind::IntegerOverflow => {
                "A signed division overflowed: the most negative integer divided by -1 has no \
                 representable result. Usual cause: i32::MIN / -1 (or the i64 equivalent)."
            }
            TrapKind::BadConversionToInteger => {
                "A float was converted to an integer with a trapping instruction (trunc) but \
                 the value was NaN, infinite or out of the integer's range. Compilers emit the \
                 saturating form unless asked not to."
            }
            TrapKind::UnreachableCodeReached => {
                "The guest executed an `unreachable` instruction. Compilers put it where the \
                 program decided to abort: a Rust panic with panic=abort, a failed assertion, \
                 abort() in C, or a path the compiler proved impossible."
            }
            TrapKind::StackOverflow => {
                "The guest's call stack exceeded the sandbox's maximum wasm stack. Usual cause: \
                 unbounded or very deep recursion, or very large local frames. Raising \"Max \
                 stack\" only helps when the recursion is bounded."
            }
            TrapKind::TableOutOfBounds => {
                "An indirect call or table access used an index past the end of its table. \
                 Usual cause: a corrupted function pointer or a vtable index out of range."
            }
            TrapKind::IndirectCallToNull => {
                "An indirect call hit a table slot that holds no function (null). Usual cause: \
                 calling an uninitialised function pointer or callback."
            }
            TrapKind::BadSignature => {
                "An indirect call found a function whose type differs from the one the call \
                 site expects. Usual cause: casting a function pointer to the wrong type, or a \
                 corrupted table entry."
            }
            TrapKind::NullReference => {
                "A reference instruction was given a null reference where a value was required."
            }
            TrapKind::Interrupt => "The run was interrupted by the host (timeout or Stop).",
            TrapKind::OutOfFuel => "The guest used up its fuel budget.",
            TrapKind::AllocationTooLarge => {
                "The guest asked for a GC allocation larger than allowed."
            }
            TrapKind::ArrayOutOfBounds => "A GC array access used an index past the array's end.",
            TrapKind::CastFailure => {
                "A reference cast (ref.cast) failed: the value has another type."
            }
            TrapKind::GrowthDenied => {
                "The sandbox refused a memory or table growth and, because \"Trap when growth \
                 is denied\" is on, the growth itself trapped instead of returning -1. Raise \
                 the cap if the module genuinely needs more."
            }
            TrapKind::HostError => {
                "A host function (a WASI call) failed in a way the guest could not handle, so \
                 the call aborted the guest. The message says which call and why."
            }
            TrapKind::GuestAbort => {
                "The guest called abort (AssemblyScript's env.abort) with a message, a file and \
                 a line: it found something it could not go on with and ended itself."
            }
            TrapKind::Other => {
                "The guest stopped with a trap. The message below says what the engine saw."
            }
        }
    }
}

impl std::fmt::Display for TrapKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// One frame of a wasm backtrace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Debug mode: the frame's locals and operand stack (`locals`, `stack`).
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub state: Option<crate::engine::debug::values::FrameState>,
}

pub use crate::engine::calls::{CallPaths, CallRecord};

/// Where the guest was when the timeout or Stop ended it: its wasm backtrace at that moment,
/// shaped like a trap's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoppedAt {
    /// Innermost frame first.
    pub frames: Vec<FrameInfo>,
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
    /// From the start of the run (after compile) to the outcome, less the time it sat paused
    /// in debug mode: the guest's own time.
    pub wall_ms: u64,
    /// The time the run sat paused in debug mode (at a breakpoint, a step, a pause), apart
    /// from `wall_ms`.
    #[serde(default)]
    pub paused_ms: u64,
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
    /// Every denied memory or table growth, oldest first (capped at
    /// [`MAX_RECORDED_DENIALS`]). JSON key `memory_denied`, its name before tables counted.
    #[serde(rename = "memory_denied")]
    pub denied_growths: Vec<GrowthEvent>,
    /// How many memory or table growths were denied in all. JSON key `memory_denied_count`.
    #[serde(rename = "memory_denied_count")]
    pub denied_growths_count: u64,
    /// Numbers.
    pub stats: RunStats,
    /// The capability log: the first WASI calls (when the policy logs calls).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<CallRecord>,
    /// WASI calls in all; more than `calls.len()` when the log was truncated.
    #[serde(default)]
    pub calls_total: u64,
    /// The calls the sandbox refused, with why (the first ones, when the policy logs calls).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub denials: Vec<CallRecord>,
    /// WASI calls the sandbox refused, in all: counted whether or not the log is on.
    #[serde(default)]
    pub denials_total: u64,
    /// Where the guest was when it timed out or was stopped (`timed_out` and `cancelled`
    /// only; a component blocked in a host call cannot say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<StoppedAt>,
    /// The guest profile, when the run was profiled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<crate::engine::profiler::GuestProfile>,
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
    pub disk: Option<crate::engine::disk::DiskUsage>,
    /// What the guest said last, before it died (a panic, a traceback, an assert, an
    /// abort): read from the end of its stderr, never part of the classification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_words: Option<crate::engine::last_words::LastWords>,
    /// Logpoints (`--break`): where, how often hit, and the frame's locals at the first and
    /// last hit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<crate::engine::debug::breaks::BreakReport>,
    /// For a replay: what it replayed, and how far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayReport>,
    /// The run's recording (a `.wstrace` file's bytes), when it recorded. Not in the JSON.
    #[serde(skip)]
    pub recording: Option<std::sync::Arc<Vec<u8>>>,
    /// Why the run asked for a recording and has none (a module whose WASI calls the sandbox
    /// cannot follow, a component).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording_note: Option<String>,
    /// A replay's `--last-write`: the last write to the watched range (`last_write`, or
    /// `null` with `last_write_note`).
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub last_write: Option<LastWriteReport>,
}

/// The answer to "who last wrote these bytes?" (the report's `last_write` and
/// `last_write_note`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWriteReport {
    /// The last write, or `None` when nothing wrote the range since the start.
    pub last_write: Option<LastWrite>,
    /// Why there is no write: "written by the module's data segment ..." or "never written".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_write_note: Option<String>,
    /// When the answer may not be the recorded run's: a run that ended by exhausting its
    /// stack, which the instrumented copy (with larger frames) does at another depth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_write_caveat: Option<String>,
    /// The watched range, e.g. `0x10..0x14 (4 bytes)`.
    pub last_write_range: String,
    /// How many writes touched the range.
    pub last_write_count: u64,
    /// Memory 0's size at the end, when the search could read it. Not in the JSON.
    #[serde(skip)]
    pub memory_bytes: Option<u64>,
    /// The number (from 1) of a last write whose moment was not kept (past the first few):
    /// a second replay that stops there fills in `before` and `frames`. Not in the JSON.
    #[serde(skip)]
    pub moment_missing: Option<u64>,
}

/// One write to guest memory, where it happened and what it changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWrite {
    /// What wrote: an instruction (`i32.store`, `memory.fill`) or a WASI call
    /// (`fd_read, WASI call #3`).
    pub written_by: String,
    /// For a WASI call: its number in the run (from 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasi_call: Option<u64>,
    /// The writing function's name (for a WASI call, the guest function that called it).
    pub func_name: Option<String>,
    /// Its index in the module's function index space.
    pub func_index: u32,
    /// The instruction's byte offset in the module file (for a WASI call, the `call`'s).
    pub module_offset: usize,
    /// The source file, when the module's DWARF names one.
    pub file: Option<String>,
    /// The source line, when the module's DWARF has one.
    pub line: Option<u32>,
    /// The guest's backtrace at that moment, innermost first.
    pub frames: Vec<FrameInfo>,
    /// The range's bytes just before the write, in hex.
    pub before: String,
    /// The range's bytes just after it (the same as at the end: nothing wrote it later).
    pub after: String,
}

/// What a replay replayed: the report's `replay` object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// The recording's file (or name).
    pub recording: String,
    /// WASI calls answered from the recording.
    pub calls_replayed: u64,
    /// WASI calls the recording holds.
    pub calls_recorded: u64,
    /// Whether the guest asked for something the recording does not hold.
    pub diverged: bool,
    /// A time-travel replay: the instructions it ran, counted (to the trapping one, for a
    /// trap).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<u64>,
    /// A reverse continue's search: the moment of the last breakpoint hit it found. Not in
    /// the JSON.
    #[serde(skip)]
    pub last_break_before: Option<u64>,
    /// Going back from a live pause: the moment the pause was found at. Not in the JSON.
    #[serde(skip)]
    pub located: Option<u64>,
    /// A search for who wrote a range before a moment: the last writing instruction's moment.
    /// Not in the JSON.
    #[serde(skip)]
    pub last_write_at: Option<u64>,
    /// A clocked replay that must be run again. Not in the JSON.
    #[serde(skip)]
    pub clock_retry: Option<crate::engine::record::recording::ClockRetry>,
}

/// How much of the guest's memory a report keeps for the hex view.
pub const MEMORY_SNAPSHOT_BYTES: usize = 64 * 1024 * 1024;

/// How many denials of each kind (denied growths, refused WASI calls) a report keeps; the
/// counts keep counting.
pub const MAX_RECORDED_DENIALS: usize = 200;

impl RunReport {
    /// An empty report for `module` with `outcome`; a run fills in the rest as it goes.
    pub fn new(module: impl Into<String>, outcome: RunOutcome) -> Self {
        Self {
            module: module.into(),
            outcome,
            exit_code: None,
            results: Vec::new(),
            denied_growths: Vec::new(),
            denied_growths_count: 0,
            stats: RunStats::default(),
            calls: Vec::new(),
            calls_total: 0,
            denials: Vec::new(),
            denials_total: 0,
            stopped_at: None,
            profile: None,
            coredump: None,
            memory: None,
            file_changes: Vec::new(),
            scratch: Vec::new(),
            disk: None,
            breaks: Vec::new(),
            last_words: None,
            replay: None,
            recording: None,
            recording_note: None,
            last_write: None,
        }
    }

    /// How many refused calls the report counts but does not list (past the first
    /// [`MAX_RECORDED_DENIALS`] kept): worth a hint to turn the call log on. `None` when every
    /// refused call is listed.
    pub fn unlisted_denials(&self) -> Option<u64> {
        let unlisted = self.denials_total.saturating_sub(self.denials.len() as u64);
        (unlisted > 0).then_some(unlisted)
    }

    /// Serializes the report as pretty JSON.
    pub fn to_json(&self) -> String {
        // A report holds only strings, numbers and lists: serializing it cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }
}

#[cfg(test)]
#[path = "outcome_tests.rs"]
mod tests;
