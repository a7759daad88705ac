//! `wasmscope run --record FILE` and `wasmscope replay FILE`: a run's recording written out,
//! and read back to run the same module again exactly, without touching the host.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::engine::outcome::exit_status;
use crate::engine::record::RecordingError;
use crate::engine::recording::Recording;
use crate::engine::{self, RunReport};
use crate::runner;

/// `wasmscope replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A recording made by `wasmscope run --record FILE` (a `.wstrace`).
    pub file: PathBuf,
    /// Write a JSON report of the replay to FILE (with `replay: {recording, calls_replayed,
    /// calls_recorded, diverged}`).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Replay in debug mode: at a trap, print the trapping frame's locals.
    #[arg(long)]
    pub debug: bool,
    /// Logpoints, as for `run`: FUNC, FUNC+OFFSET or @0xOFFSET (debug mode).
    #[arg(long = "break", value_name = "PLACE")]
    pub breaks: Vec<String>,
    /// Print every WASI call as it is replayed, as for `run --log-calls`.
    #[arg(long)]
    pub log_calls: bool,
}

/// Checks that `path` can be written, before the run, so a long run does not end with its
/// recording lost: creates (or truncates) the file.
pub(super) fn check_writable(path: &Path, what: &str) -> Result<(), String> {
    std::fs::File::create(path)
        .map(drop)
        .map_err(|e| format!("cannot write the {what} to {}: {e}", path.display()))
}

/// Writes the run's recording to `path`, saying where and how big; `false` when it could
/// not be written.
pub(super) fn write_recording(path: &Path, report: &RunReport) -> bool {
    match (&report.recording, &report.recording_note) {
        (Some(bytes), _) => match std::fs::write(path, bytes.as_slice()) {
            Ok(()) => {
                eprintln!(
                    "wasmscope: recorded the run to {} ({}); replay it with `wasmscope replay {}`",
                    path.display(),
                    engine::format_bytes(bytes.len() as u64),
                    path.display()
                );
                true
            }
            Err(e) => {
                eprintln!(
                    "error: cannot write the recording to {}: {e}",
                    path.display()
                );
                false
            }
        },
        (None, Some(note)) => {
            eprintln!("wasmscope: nothing recorded: {note}");
            let _ = std::fs::remove_file(path);
            true
        }
        (None, None) => {
            // The run never started (a bad module): nothing to replay.
            let _ = std::fs::remove_file(path);
            true
        }
    }
}

/// The exit status for a file that cannot be replayed.
fn unreadable(path: &Path, error: &RecordingError) -> ExitCode {
    eprintln!("error: {}: {error}", path.display());
    ExitCode::from(match error {
        RecordingError::NotARecording | RecordingError::Version { .. } => exit_status::USAGE,
        _ => exit_status::FAILED,
    })
}

/// Where a recorded run trapped, found by a quiet replay at full speed, as a watch that makes
/// the debug replay show the trapping instruction's operands.
fn trap_operands_watch(recording: &Recording) -> Option<engine::debug::Breakpoint> {
    let report = runner::spawn(recording.replay_request(), None).ok()?.wait();
    let engine::RunOutcome::Trapped { trap } = &report.outcome else {
        return None;
    };
    let offset = trap.frames.first()?.module_offset?;
    engine::debug::operands_watch(&recording.module, offset)
}

/// `wasmscope replay`.
pub fn replay(args: &ReplayArgs) -> ExitCode {
    let bytes = match std::fs::read(&args.file) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return ExitCode::from(exit_status::FAILED);
        }
    };
    let recording = match Recording::parse(&bytes) {
        Ok(recording) => recording,
        Err(e) => return unreadable(&args.file, &e),
    };
    drop(bytes);
    if let Some(path) = &args.report
        && let Err(e) = check_writable(path, "report")
    {
        eprintln!("error: {e}");
        return ExitCode::from(exit_status::USAGE);
    }
    let breakpoints = match super::debug::resolve_breaks(&args.breaks, &recording.module) {
        Ok(breakpoints) => breakpoints,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit_status::USAGE);
        }
    };
    let header = &recording.header;
    let calls = &recording.calls;
    eprintln!(
        "wasmscope: replaying {} ({} WASI calls recorded by wasmscope {}; the recorded run {}): \
         nothing of this machine is read",
        header.module_name,
        calls.calls.len(),
        header.wasmscope_version,
        calls.end.outcome.replace('_', " "),
    );
    let mut request = recording.replay_request();
    request.policy.debug |= args.debug || !args.breaks.is_empty();
    request.policy.log_calls |= args.log_calls;
    let mut breakpoints = breakpoints;
    if request.policy.debug
        && calls.end.outcome == "trapped"
        && let Some(watch) = trap_operands_watch(&recording)
    {
        breakpoints.push(watch);
    }
    let handle = match runner::spawn_with_breakpoints(request, breakpoints, None) {
        Ok(handle) => handle,
        Err(e) => {
            eprintln!("error: cannot start a worker thread: {e}");
            return ExitCode::from(exit_status::FAILED);
        }
    };
    let mut report = handle.wait_with(super::terminal::show_event);
    if let Some(replay) = report.replay.as_mut() {
        replay.recording = args.file.display().to_string();
    }
    for result in &report.results {
        println!("{result}");
    }
    super::report::print_outcome(&report);
    if let Some(replay) = &report.replay {
        eprintln!(
            "wasmscope: replayed {} of {} recorded WASI calls{}",
            replay.calls_replayed,
            replay.calls_recorded,
            if replay.diverged { " (diverged)" } else { "" }
        );
    }
    if let Some(path) = &args.report
        && let Err(e) = std::fs::write(path, report.to_json())
    {
        eprintln!("error: cannot write the report to {}: {e}", path.display());
        return ExitCode::from(exit_status::FAILED);
    }
    ExitCode::from(report.outcome.exit_status())
}
