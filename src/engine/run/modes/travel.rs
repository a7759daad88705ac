//! Time travel: a replay in debug mode that counts every instruction, so a moment is a number
//! that means the same on every pass. Going back is replaying to an earlier moment; the two
//! travels that need a search first (reverse continue, going back from a live pause) run a
//! quiet replay to find the moment, then the replay that goes there.

use std::sync::Arc;

use crossbeam_channel::Sender;

use crate::engine::events::RunEvent;
use crate::engine::outcome::{RunOutcome, RunReport};
use crate::engine::policy::Travel;
use crate::engine::run::request::RunRequest;
use crate::engine::sandbox::RunControl;

/// The run entry the travels call again for each replay they make.
pub(crate) type Run = fn(&RunRequest, &Arc<RunControl>, &Sender<RunEvent>) -> RunReport;

/// The quiet replay a travel searches with, heading for `travel`; `None` when Stop ended it.
/// Nobody reads its events: its output was shown by the replay that got here.
fn search(
    run: Run,
    request: &RunRequest,
    control: &Arc<RunControl>,
    travel: Travel,
) -> Option<RunReport> {
    let found = quietly(run, request, control.child(), travel);
    (!control.is_cancelled()).then_some(found)
}

/// `request` replayed heading for `travel` under the control `quiet`, its events to nobody.
fn quietly(run: Run, request: &RunRequest, quiet: RunControl, travel: Travel) -> RunReport {
    let mut search = request.clone();
    search.invocation.travel = Some(travel);
    let (sink, _) = crossbeam_channel::bounded(1);
    run(&search, &Arc::new(quiet), &sink)
}

/// The moment of a trap a clocked replay could not place: a quiet replay that single-steps
/// from the last tick before it (`tick`) counts to it. `None` when Stop ended it.
pub(crate) fn place_trap(
    run: Run,
    request: &RunRequest,
    control: &Arc<RunControl>,
    tick: u64,
) -> Option<u64> {
    let quiet = control.child();
    quiet.place_trap_from(tick);
    let found = quietly(run, request, quiet, Travel::Count);
    if control.is_cancelled() || !matches!(found.outcome, RunOutcome::Trapped { .. }) {
        return None;
    }
    found.replay.and_then(|r| r.instructions)
}

/// A breakpoint hit a clocked search saw between ticks, placed: a quiet replay that
/// single-steps from the tick at `tick` to the `nth` hit after it. Its report has the moment
/// (`last_break_before` for a reverse continue's search, `located` for a live pause's); `None`
/// when Stop ended it.
pub(crate) fn place_hit(
    run: Run,
    request: &RunRequest,
    control: &Arc<RunControl>,
    tick: u64,
    nth: u64,
) -> Option<crate::engine::outcome::ReplayReport> {
    let travel = match request.invocation.travel? {
        Travel::Scan(end) => Travel::Scan(end),
        Travel::Locate(anchor) => Travel::Locate(crate::engine::policy::Anchor { nth, ..anchor }),
        _ => return None,
    };
    // The first pass ended by cancelling its own control: this one serves the same run.
    let quiet = control.sibling();
    quiet.place_trap_from(tick);
    quiet.stop_after_hits(nth);
    let found = quietly(run, request, quiet, travel);
    if control.served_cancelled() {
        return None;
    }
    found.replay
}

/// Reverse continue: a quiet replay finds the last pausing breakpoint's hit before moment
/// `before`, then a second replay pauses there (at moment 1 when none was hit). Stop ends
/// either replay.
pub(crate) fn reverse_continue(
    run: Run,
    request: &RunRequest,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    before: u64,
) -> RunReport {
    let Some(found) = search(run, request, control, Travel::Scan(before)) else {
        return RunReport::new(request.name.clone(), RunOutcome::Cancelled);
    };
    let hit = found.replay.as_ref().and_then(|r| r.last_break_before);
    let mut there = request.clone();
    there.invocation.travel = Some(hit.map_or(Travel::To(1), Travel::AtBreak));
    run(&there, control, events)
}

/// Going back from a live pause: a quiet replay finds the pause's moment, then the replay
/// goes to the moment before it (or to the breakpoint hit before it).
pub(crate) fn back_from(
    run: Run,
    request: &RunRequest,
    control: &Arc<RunControl>,
    events: &Sender<RunEvent>,
    anchor: crate::engine::policy::Anchor,
    reverse: bool,
) -> RunReport {
    let Some(found) = search(run, request, control, Travel::Locate(anchor)) else {
        return RunReport::new(request.name.clone(), RunOutcome::Cancelled);
    };
    let Some(moment) = found.replay.as_ref().and_then(|r| r.located) else {
        return RunReport::new(
            request.name.clone(),
            crate::engine::run::kind::failed(
                "the paused moment was not found in the run's recording (it may have been \
                 cut short by the recording's size limit)",
            ),
        );
    };
    let mut there = request.clone();
    there.invocation.travel = Some(if reverse {
        Travel::LastBreakBefore(moment)
    } else {
        Travel::To(moment.saturating_sub(1).max(1))
    });
    run(&there, control, events)
}
