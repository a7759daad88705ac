//! "Who wrote this?" for any face: the replay of a recording through `--last-write`'s
//! instrumented copy, and the second replay that keeps the moment of a last write the first
//! one did not keep (past its first few). The CLI shows the first replay's events as it goes;
//! the window runs it all quietly on a thread of its own.

use crate::engine::outcome::LastWriteReport;
use crate::engine::policy::{LastWriteRequest, WatchedRange};
use crate::engine::record::last_write::instrument;
use crate::engine::record::recording::Recording;
use crate::engine::{RunReport, RunRequest};

/// Why `range` cannot be searched in `recording`, before anything runs: a module the copy
/// cannot be made of (no memory, atomics, ...), a range that can never be in its memory, or a
/// recorded run that ran out of fuel (the copy runs without a fuel limit).
pub fn refusal(recording: &Recording, range: WatchedRange) -> Option<String> {
    if recording.calls.end.outcome == "fuel_exhausted" {
        return Some(
            "the recorded run ran out of fuel, and --last-write replays without a fuel limit \
             (its checks burn fuel the recorded run did not), so it could not end at the same \
             instruction"
                .to_owned(),
        );
    }
    instrument::check(&recording.module, range)
        .err()
        .map(|e| format!("--last-write: {e}"))
}

/// The replay that searches `range`: the recording's own, through the instrumented copy,
/// with no fuel limit and ten times the timeout (the copy's checks burn fuel and time the
/// recorded run did not; the recorded run did not run out, see [`refusal`]).
pub fn request(recording: &Recording, range: WatchedRange) -> RunRequest {
    let mut request = recording.replay_request();
    request.policy.fuel = None;
    request.policy.timeout_ms = request.policy.timeout_ms.map(|ms| ms.saturating_mul(10));
    request.invocation.last_write = Some(LastWriteRequest {
        range,
        stop_at_write: None,
    });
    request
}

/// When the first replay (of `request`) found a last write whose moment it did not keep,
/// replays again to that write and puts its moment (backtrace, bytes before) in `found`.
/// Returns whether a second replay ran.
pub fn complete(mut request: RunRequest, found: &mut LastWriteReport) -> bool {
    let Some(number) = found.moment_missing else {
        return false;
    };
    if let Some(watched) = request.invocation.last_write.as_mut() {
        watched.stop_at_write = Some(number);
    }
    let Ok(handle) = super::spawn(request, None) else {
        return false;
    };
    if let Some(second) = handle.wait().last_write {
        found.complete_with(second);
    }
    true
}

/// The whole search, quietly: the answer, or why there is none.
pub fn find(recording: &Recording, range: WatchedRange) -> Result<LastWriteReport, String> {
    if let Some(refusal) = refusal(recording, range) {
        return Err(refusal);
    }
    let request = request(recording, range);
    let handle = super::spawn(request.clone(), None)
        .map_err(|e| format!("cannot start a worker thread: {e}"))?;
    let report: RunReport = handle.wait();
    let mut found = report.last_write.ok_or_else(|| {
        format!(
            "the search did not answer: the replay ended as {}",
            report.outcome.summary()
        )
    })?;
    complete(request, &mut found);
    if let Some(size) = found.memory_bytes
        && range.end() > size
    {
        return Err(format!(
            "{range} is outside memory 0, which ended at {size} bytes: pick an address below \
             {size:#x}"
        ));
    }
    Ok(found)
}

/// Hex bytes in groups of two digits, for reading.
pub fn spaced(hex: &str) -> String {
    let pairs: Vec<&str> = (0..hex.len())
        .step_by(2)
        .filter_map(|i| hex.get(i..i + 2))
        .collect();
    const SHOWN: usize = 64;
    if pairs.len() > SHOWN {
        format!(
            "{} … ({} bytes in all; every one in a JSON report)",
            pairs[..SHOWN].join(" "),
            pairs.len()
        )
    } else {
        pairs.join(" ")
    }
}
