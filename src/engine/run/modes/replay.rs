//! A replay: a replayer in the store answers each WASI call from the recording, so the guest
//! runs exactly as it did; the report says how many calls were replayed and whether the guest
//! asked for something the recording does not hold.

use std::sync::Arc;

use crate::engine::outcome::{ReplayReport, RunOutcome, RunReport};
use crate::engine::policy::ReplaySource;
use crate::engine::record::Replayer;
use crate::engine::run::modes::{calls_followed, why_not_followed};
use crate::engine::run::request::RunRequest;
use crate::engine::run::target::RunTarget;
use crate::engine::sandbox::Sandbox;

/// Puts the replayer for `source` in the store, or says why this run cannot be replayed.
pub(crate) fn start_replay(
    request: &RunRequest,
    source: &ReplaySource,
    target: &RunTarget,
    sandbox: &mut Sandbox,
    report: &mut RunReport,
) -> Result<(), String> {
    let imports_wasi = target.module().is_some_and(|m| {
        m.imports()
            .any(|i| crate::engine::wasi::is_wasi_module(i.module()))
    });
    if !calls_followed(target, sandbox) && (imports_wasi || target.module().is_none()) {
        return Err(format!("cannot replay: {}", why_not_followed(target)));
    }
    report.replay = Some(ReplayReport {
        recording: request.name.clone(),
        calls_replayed: 0,
        calls_recorded: source.0.calls.len() as u64,
        diverged: false,
        instructions: None,
        last_break_before: None,
        located: None,
        last_write_at: None,
        clock_retry: None,
    });
    sandbox.store.data_mut().replay = Some(Replayer::new(Arc::clone(&source.0)));
    Ok(())
}

/// How far the replay got, in the report.
pub(crate) fn finish(replayer: Option<Replayer>, outcome: &RunOutcome, report: &mut RunReport) {
    if let (Some(replayer), Some(replay)) = (replayer, report.replay.as_mut()) {
        replay.calls_replayed = replayer.replayed();
        replay.diverged = matches!(outcome, RunOutcome::Diverged { .. });
    }
}
