//! A search for the last write to a range of memory (`--last-write`, "who wrote it?"): the run
//! executes an instrumented copy of the module whose stores call the host, and the report
//! names the last instruction (or WASI call) that wrote the range.

use std::sync::Arc;

use crate::engine::errors::{RunError, cause};
use crate::engine::outcome::{RunOutcome, RunReport};
use crate::engine::policy::LastWriteRequest;
use crate::engine::record::last_write::WriteWatch;
use crate::engine::record::last_write::instrument::{self, Instrumented};
use crate::engine::run::request::RunRequest;
use crate::engine::run::target::RunTarget;
use crate::engine::sandbox::Sandbox;

/// The instrumented copy of the module the search runs, or why there cannot be one.
pub(crate) fn instrumented(
    request: &RunRequest,
    watched: LastWriteRequest,
) -> Result<Arc<Instrumented>, String> {
    instrument::instrument(&request.wasm, watched.range)
        .map(Arc::new)
        .map_err(|refusal| format!("cannot search for writes: {refusal}"))
}

/// The target with its stores hooked, and the watch in the store.
pub(crate) fn hook(
    request: &RunRequest,
    watched: LastWriteRequest,
    plan: &Arc<Instrumented>,
    target: RunTarget,
    sandbox: &mut Sandbox,
) -> Result<RunTarget, RunError> {
    let RunTarget::Core { module, linker } = target else {
        return Ok(target);
    };
    let hooked = crate::engine::sandbox::last_write::linker_with_hooks(&linker)
        .map_err(|e| RunError::Shim(cause(e)))?;
    sandbox.store.data_mut().last_write = Some(WriteWatch::new(
        watched,
        Arc::clone(plan),
        Arc::clone(&request.wasm),
    ));
    Ok(RunTarget::Core {
        module,
        linker: Arc::new(hooked),
    })
}

/// What the search found, in the report; the outcome of a search that stopped at the write
/// it was looking for is the guest's, not the stop's.
pub(crate) fn finish(
    watch: WriteWatch,
    memory: Option<&[u8]>,
    outcome: &mut RunOutcome,
    report: &mut RunReport,
) {
    watch.map_outcome(outcome);
    report.last_write = Some(watch.finish(memory, outcome));
}
