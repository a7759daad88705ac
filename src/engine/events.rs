//! What a run reports while it goes: the event stream a face (CLI or GUI) renders.

use crate::engine::outcome::{GrowthEvent, RunReport};

/// The most often a run sends a [`RunEvent::Sample`].
pub const SAMPLE_INTERVAL_MS: u64 = 50;

/// Which output stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// One thing that happened during a run, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum RunEvent {
    /// The module was compiled (or taken from the cache) and the run is starting.
    Compiled {
        /// Compile time in milliseconds (0 when cached).
        compile_ms: u64,
        /// Whether the compiled code came from the in-memory cache.
        cached: bool,
    },
    /// Guest output, in order per stream; consecutive writes may arrive coalesced.
    Output {
        /// stdout or stderr.
        stream: StdStream,
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// A memory or table growth the limiter allowed or denied.
    Growth {
        /// What grew, from what to what.
        event: GrowthEvent,
        /// Whether the cap allowed it.
        allowed: bool,
    },
    /// Resource use now; sent every [`SAMPLE_INTERVAL_MS`] at most while the guest runs.
    Sample(crate::engine::outcome::ResourceSample),
    /// A WASI call (or several identical ones in a row), when the policy logs calls.
    Call(crate::engine::outcome::CallRecord),
    /// The guest profile so far, about once a second while a profiled run goes on.
    Profile(Box<crate::engine::profiler::GuestProfile>),
    /// A logpoint was hit (debug mode, `--break`): one line to show. Bounded: after
    /// [`crate::engine::debug::MAX_LOG_LINES`] lines, hits are only counted.
    Logpoint(crate::engine::debug::breaks::LogHit),
    /// The guest is paused (debug mode): where, and its state. It waits for a command.
    Paused(Box<crate::engine::debug::control::PausedState>),
    /// The guest runs again after a pause.
    Resumed,
    /// The run is over. Always the last event.
    Finished(Box<RunReport>),
}
