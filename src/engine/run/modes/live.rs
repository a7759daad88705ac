//! A live run, recorded: a recorder in the store that keeps each WASI call as the guest saw
//! it, bounded in bytes; the recording's bytes go in the report when the run ends.

use std::sync::Arc;

use crate::engine::outcome::RunReport;
use crate::engine::record::Recorder;
use crate::engine::record::recording::RecordingHeader;
use crate::engine::run::modes::{calls_followed, why_not_followed};
use crate::engine::run::request::RunRequest;
use crate::engine::run::target::RunTarget;
use crate::engine::sandbox::Sandbox;

/// Puts a recorder of at most `max_bytes` in the store; a run that cannot be recorded says
/// why in the report and runs anyway.
pub(crate) fn start_recording(
    request: &RunRequest,
    max_bytes: u64,
    target: &RunTarget,
    sandbox: &mut Sandbox,
    report: &mut RunReport,
) {
    if request.precompiled.is_some() {
        report.recording_note = Some(
            "precompiled code is not recorded: a recording carries the module to replay \
             anywhere, and machine code loads only where it was compiled; record the .wasm"
                .to_owned(),
        );
        return;
    }
    if !calls_followed(target, sandbox) {
        report.recording_note = Some(why_not_followed(target));
        return;
    }
    let invocation = &request.invocation;
    let header = RecordingHeader::new(&request.name, &request.wasm, &request.policy, invocation);
    let mut args = vec![
        invocation
            .argv0
            .clone()
            .unwrap_or_else(|| request.name.clone()),
    ];
    args.extend(invocation.args.iter().cloned());
    let recorder = Recorder::new(
        serde_json::to_vec(&header).unwrap_or_default(),
        Arc::clone(&request.wasm),
        max_bytes,
        &args,
        &request.policy.env,
    );
    sandbox.store.data_mut().recorder = Some(recorder);
}

/// The recording's bytes in the report, ending with the run's outcome.
pub(crate) fn finish(recorder: Option<Recorder>, outcome_name: &str, report: &mut RunReport) {
    if let Some(recorder) = recorder {
        report.recording = Some(Arc::new(recorder.finish(outcome_name)));
    }
}
