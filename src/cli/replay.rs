//! `wasmscope run --record FILE` and `wasmscope replay FILE`: a run's recording written out,
//! and read back to run the same module again exactly, without touching the host.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::engine::outcome::exit_status;
use crate::engine::outcome::{LastWrite, LastWriteReport};
use crate::engine::policy::WatchedRange;
use crate::engine::record::RecordingError;
use crate::engine::record::recording::Recording;
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
    /// Name the last instruction (or WASI call) that wrote any byte of ADDR[:LEN] in memory 0
    /// before the recording's end: ADDR decimal or 0x hex, LEN in bytes (default 1, at most
    /// 1 MiB).
    #[arg(long, value_name = "ADDR[:LEN]", value_parser = WatchedRange::parse)]
    pub last_write: Option<WatchedRange>,
}

/// Writes the run's recording to `path`, saying where and how big; `false` when it could
/// not be written.
pub(super) fn write_recording(path: &Path, report: &RunReport) -> bool {
    match (&report.recording, &report.recording_note) {
        (Some(bytes), _) => match super::outputs::write(path, bytes.as_slice()) {
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
            true
        }
        (None, None) => {
            // The run never started (a bad module): nothing to replay, nothing written.
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
    let bytes = match engine::inputs::read(&args.file, engine::inputs::InputKind::Recording) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit_status::FAILED);
        }
    };
    let recording = match Recording::parse(&bytes) {
        Ok(recording) => recording,
        Err(e) => return unreadable(&args.file, &e),
    };
    drop(bytes);
    if let Some(path) = &args.report
        && let Err(e) = super::outputs::check(&[("--report", path)], &[("recording", &args.file)])
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
    if let Some(range) = args.last_write
        && let Err(e) = check_last_write(args, &recording, range)
    {
        eprintln!("error: {e}");
        return ExitCode::from(exit_status::USAGE);
    }
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
    if let Some(range) = args.last_write {
        let logs_calls = request.policy.log_calls;
        request = runner::last_write::request(&recording, range);
        request.policy.log_calls = logs_calls;
    }
    let second = request.clone();
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
    if let (engine::RunOutcome::TimedOut { .. }, "timed_out", Some(ms)) = (
        &report.outcome,
        calls.end.outcome.as_str(),
        calls.end.timeout_ms,
    ) {
        eprintln!(
            "wasmscope: the recorded run timed out as well: the replay stops at the recorded \
             limit ({ms} ms), counted from the recorded run's last WASI call at the latest"
        );
    }
    let mut status = ExitCode::from(report.outcome.exit_status());
    if let (Some(range), Some(found)) = (args.last_write, report.last_write.as_mut()) {
        if let Some(number) = found.moment_missing {
            eprintln!(
                "wasmscope: the last write is write {number} to the range; replaying again to \
                 keep its moment"
            );
            runner::last_write::complete(second, found);
        }
        match found.memory_bytes {
            Some(size) if range.end() > size => {
                eprintln!(
                    "error: {range} is outside memory 0, which ended at {size} bytes: pick an \
                     address below {size:#x}"
                );
                status = ExitCode::from(exit_status::USAGE);
            }
            _ => print_last_write(found),
        }
        if let Some(caveat) = &found.last_write_caveat {
            eprintln!("wasmscope: note: {caveat}");
        }
    }
    if let Some(path) = &args.report
        && let Err(e) = super::outputs::write(path, report.to_json().as_bytes())
    {
        eprintln!("error: cannot write the report to {}: {e}", path.display());
        return ExitCode::from(exit_status::FAILED);
    }
    status
}

/// What can be checked before a `--last-write` replay runs: the flags it goes with, the
/// module (one 32-bit memory, no atomics) and the range against the memory's declared
/// maximum.
fn check_last_write(
    args: &ReplayArgs,
    recording: &Recording,
    range: WatchedRange,
) -> Result<(), String> {
    if args.debug || !args.breaks.is_empty() {
        return Err(
            "--last-write replays an instrumented copy of the module, which debug mode and \
             logpoints cannot follow: leave out --debug and --break"
                .to_owned(),
        );
    }
    match runner::last_write::refusal(recording, range) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

/// Prints the answer for people, on stdout.
fn print_last_write(found: &LastWriteReport) {
    let range = &found.last_write_range;
    let Some(write) = &found.last_write else {
        let note = found.last_write_note.as_deref().unwrap_or("never written");
        println!("{range}: {note}");
        return;
    };
    println!("last write to {range}: {}", describe(write));
    println!("  before: {}", runner::last_write::spaced(&write.before));
    println!("  after:  {}", runner::last_write::spaced(&write.after));
    println!(
        "  ({} write{} touched the range in the whole run)",
        found.last_write_count,
        if found.last_write_count == 1 { "" } else { "s" }
    );
    if !write.frames.is_empty() {
        println!("  backtrace:");
        super::report::print_frames_indented(&mut std::io::stdout(), &write.frames, 2);
    }
}

/// "i32.store in `store_ptr` (func[1]) at module offset 0x4c, main.c:12", or "written by
/// fd_read, WASI call #2, called from `main` (func[3]) at module offset 0x70".
fn describe(write: &LastWrite) -> String {
    let name = write.func_name.as_deref().unwrap_or("<unnamed>");
    let place = match (&write.file, write.line) {
        (Some(file), Some(line)) => format!(", {file}:{line}"),
        _ => String::new(),
    };
    let what = match write.wasi_call {
        Some(_) => format!("written by {}, called from", write.written_by),
        None => format!("{} in", write.written_by),
    };
    format!(
        "{what} `{name}` (func[{}]) at module offset {:#x}{place}",
        write.func_index, write.module_offset
    )
}
