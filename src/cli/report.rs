//! What `wasmscope run` prints to stderr: each call of the capability log, and after the run
//! its outcome with the engine's explanation, the backtrace, denied growths and file changes.

use std::io::Write;

use crate::cli::debug;
use crate::engine::{self, Limit, RunOutcome, RunReport, format_bytes};

/// One line of the capability log, arguments in full: `[files] path_open(fd=3 (/box)
/// path="../x") -> perm (63)  DENIED: why; guest "../x" in /box leads to host /h/x, outside ...`.
pub(crate) fn format_call(record: &engine::sandbox::shim::calllog::CallRecord) -> String {
    let mut line = format!(
        "wasmscope: [{}] {}({}) -> {}",
        record.capability.label(),
        record.function,
        record.args,
        record.result_text()
    );
    if record.count > 1 {
        line.push_str(&format!(" (x{})", record.count));
    }
    if let Some(refusal) = record.refusal_text() {
        line.push_str(&format!("  DENIED: {refusal}"));
    }
    if let Some(note) = &record.prepares_escape {
        line.push_str(&format!("  NOTE: {note}"));
    }
    line
}

/// Refused calls listed after a run without the call log.
const REFUSALS_PRINTED: usize = 10;

/// Tells the user on stderr how the run ended, unless it simply exited.
pub(crate) fn print_outcome(report: &RunReport) {
    let mut err = std::io::stderr().lock();
    // With the call log off the refused calls are not printed as they happen: list them here
    // (the first few), with the count of all of them.
    if report.calls.is_empty() && report.denials_total > 0 {
        let refused = report.denials_total;
        let _ = writeln!(
            err,
            "wasmscope: {refused} WASI call{} refused by the sandbox; run with --log-calls to see every call",
            if refused == 1 { " was" } else { "s were" },
        );
        for call in report.denials.iter().take(REFUSALS_PRINTED) {
            let _ = writeln!(err, "{}", format_call(call));
        }
        let listed = report.denials.len().min(REFUSALS_PRINTED) as u64;
        if refused > listed {
            let _ = writeln!(err, "wasmscope: … and {} more refused", refused - listed);
        }
    }
    if report.denied_growths_count > 0
        && let Some(first) = report.denied_growths.first()
    {
        let _ = writeln!(
            err,
            "wasmscope: {} growth{} denied by the sandbox cap; the first asked {:?} to grow from {} to {} (cap {})",
            report.denied_growths_count,
            if report.denied_growths_count == 1 {
                " was"
            } else {
                "s were"
            },
            first.resource,
            growth_amount(first.resource, first.current),
            growth_amount(first.resource, first.desired),
            growth_amount(first.resource, first.limit),
        );
    }
    if let Some(explanation) = report
        .disk
        .as_ref()
        .and_then(engine::sandbox::shim::quota::DiskUsage::explanation)
    {
        let _ = writeln!(err, "wasmscope: {explanation}");
    }
    if report.disk.is_none() && !report.file_changes.is_empty() {
        let _ = writeln!(
            err,
            "wasmscope: note: {}",
            engine::sandbox::shim::quota::NOT_COVERED
        );
    }
    debug::print_breaks(&mut err, report);
    for dir in &report.file_changes {
        if dir.changes.is_empty() && dir.by_others.is_empty() {
            continue;
        }
        let _ = writeln!(err, "wasmscope: {}", dir.summary());
        let list = |err: &mut dyn Write, changes: &[engine::files::FileChange]| {
            for change in changes.iter().take(20) {
                let _ = writeln!(
                    err,
                    "  {:<8} {} ({})",
                    format!("{:?}", change.kind).to_lowercase(),
                    change.path,
                    format_bytes(change.size_bytes)
                );
            }
            if changes.len() > 20 {
                let _ = writeln!(err, "  ... and {} more", changes.len() - 20);
            }
        };
        list(&mut err, &dir.changes);
        if !dir.by_others.is_empty() {
            let _ = writeln!(
                err,
                "  changed meanwhile by another program (no call of the guest touched them):"
            );
            list(&mut err, &dir.by_others);
        }
        if dir.scratch {
            let _ = writeln!(
                err,
                "  (a scratch copy: {} is unchanged)",
                dir.host_path.display()
            );
        }
    }
    match (&report.outcome, &report.last_words) {
        (RunOutcome::Exited { code }, Some(words)) => {
            let _ = writeln!(
                err,
                "wasmscope: exited with code {code} after its last words: {}",
                words.sourced_headline()
            );
        }
        (RunOutcome::Exited { .. }, None) => {}
        (RunOutcome::Trapped { trap }, words) => {
            // The guest's own words lead; the trap they led to follows.
            if let Some(words) = words {
                let _ = writeln!(err, "wasmscope: trapped: {}", words.sourced_headline());
                let _ = writeln!(
                    err,
                    "  which ended in the trap: {} [{}]",
                    trap.message, trap.code
                );
            } else {
                let _ = writeln!(err, "wasmscope: trapped: {} [{}]", trap.message, trap.code);
            }
            // The same words the window shows under the trap.
            let _ = writeln!(err, "{}", trap.kind.explain());
            if let Some(address) = trap.fault_address {
                let _ = writeln!(err, "faulting address: {address:#x}");
            }
            if !trap.frames.is_empty() {
                let _ = writeln!(err, "wasm backtrace:");
            }
            print_frames(&mut err, &trap.frames);
            debug::print_trap_state(&mut err, trap);
        }
        (RunOutcome::Failed { error, unresolved }, _) => {
            let _ = writeln!(err, "error: {error}");
            for import in unresolved {
                let _ = writeln!(err, "  - {import}");
            }
            if !unresolved.is_empty() {
                let _ = writeln!(err, "{}", report.outcome.explain());
            }
        }
        (other, _) => {
            let _ = writeln!(err, "wasmscope: {}", other.summary());
            // The same words the window shows under the outcome.
            let _ = writeln!(err, "{}", other.explain());
            if let Some(stopped) = &report.stopped_at
                && !stopped.frames.is_empty()
            {
                let _ = writeln!(err, "stopped at (wasm backtrace):");
                print_frames(&mut err, &stopped.frames);
            }
        }
    }
    if let Some(limit) = report.outcome.limit() {
        let _ = writeln!(
            err,
            "If it needs more, raise the {} ({}).",
            limit.label(),
            flag(limit)
        );
    }
}

/// The `wasmscope run` option that sets `limit`.
fn flag(limit: Limit) -> &'static str {
    match limit {
        Limit::MaxMemory => "--max-memory",
        Limit::MaxTableElements => "--max-table-elements",
        Limit::Timeout => "--timeout",
        Limit::Fuel => "--fuel",
        Limit::MaxWasmStack => "--max-stack",
        Limit::MaxDisk => "--max-disk",
        Limit::MaxFiles => "--max-files",
    }
}

/// Prints backtrace frames, innermost first, one per line, `indent` deeper than a trap's. A
/// run of a runtime's frames (the Rust panic machinery, wasi-libc) is one line, unless
/// `WASMSCOPE_BACKTRACE=full`.
pub(super) fn print_frames_indented(
    out: &mut impl Write,
    frames: &[engine::FrameInfo],
    indent: usize,
) {
    let full = std::env::var("WASMSCOPE_BACKTRACE").is_ok_and(|v| v == "full");
    let names = frames.iter().map(|f| f.func_name.as_deref());
    for (first, count, runtime) in engine::last_words::fold_frames(names) {
        if let Some(runtime) = runtime.filter(|_| count > 1 && !full) {
            let _ = writeln!(
                out,
                "{:indent$}  {first:>2}-{}: {count} frames of {runtime} (WASMSCOPE_BACKTRACE=full \
                 shows them)",
                "",
                first + count - 1
            );
            continue;
        }
        print_frame_lines(out, &frames[first..first + count], first, indent);
    }
}

fn print_frame_lines(
    out: &mut impl Write,
    frames: &[engine::FrameInfo],
    start: usize,
    indent: usize,
) {
    for (i, frame) in (start..).zip(frames) {
        let name = frame.func_name.as_deref().unwrap_or("<unnamed>");
        let offset = frame
            .module_offset
            .map(|o| format!(" @ {o:#x}"))
            .unwrap_or_default();
        let source = frame
            .source
            .as_deref()
            .map(|s| format!(" at {s}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{:indent$}  {i:>2}: func[{}] {name}{offset}{source}",
            "", frame.func_index
        );
    }
}

/// Prints backtrace frames, innermost first, one per line.
fn print_frames(err: &mut impl Write, frames: &[engine::FrameInfo]) {
    print_frames_indented(err, frames, 0);
}

fn growth_amount(resource: engine::Resource, amount: u64) -> String {
    match resource {
        engine::Resource::Memory => format_bytes(amount),
        engine::Resource::Table => format!("{amount} elements"),
    }
}

/// Writes the `--report` file, when asked for. `false` when it could not be written (the
/// error is on stderr), so the exit status can say so.
pub(super) fn write_report(args: &super::RunArgs, report: &RunReport) -> bool {
    if let Some(path) = &args.report
        && let Err(e) = super::outputs::write(path, report.to_json().as_bytes())
    {
        eprintln!("error: cannot write the report to {}: {e}", path.display());
        return false;
    }
    true
}
