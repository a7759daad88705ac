//! A run's control: Stop, the outputs to flush while it goes, and its debug side.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::engine::sandbox::output::ChannelOutput;

/// Stop requests for a run in progress, shared with the thread that may cancel it.
#[derive(Debug, Default)]
pub struct RunControl {
    cancelled: AtomicBool,
    pub(crate) wake: tokio::sync::Notify,
    outputs: std::sync::Mutex<Vec<ChannelOutput>>,
    debug: crate::engine::debug::control::DebugControl,
    parent: Option<Arc<RunControl>>,
    /// Time travel without the travel clock: every instruction single-stepped (after a
    /// clocked replay overshot its moment).
    unclocked: AtomicBool,
    /// A second pass of a clocked replay that trapped where fuel does not settle: the moment
    /// it single-steps from (0: none).
    place_trap_from: std::sync::atomic::AtomicU64,
    /// A second pass of a clocked reverse continue: the search ends at this many breakpoint
    /// hits after the tick it steps from (0: none).
    stop_after_hits: std::sync::atomic::AtomicU64,
}

impl RunControl {
    /// Asks the run to stop. It ends with [`RunOutcome::Cancelled`], even inside a host call.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// Sends guest output that is waiting to be coalesced; call about every millisecond.
    pub fn tick(&self) {
        for output in self
            .outputs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            output.tick();
        }
    }

    pub(crate) fn set_outputs(&self, outputs: Vec<ChannelOutput>) {
        *self.outputs.lock().unwrap_or_else(|p| p.into_inner()) = outputs;
    }

    /// The debug-mode side: breakpoints, Continue/Step/Pause, the paused-time clock.
    pub fn debug(&self) -> &crate::engine::debug::control::DebugControl {
        &self.debug
    }

    /// From now on this run travels by single-stepping every instruction.
    pub(crate) fn travel_unclocked(&self) {
        self.unclocked.store(true, Ordering::SeqCst);
    }

    /// This replay places a trap: it single-steps from `moment` (see
    /// [`crate::engine::sandbox::clock::ClockRetry`]).
    pub(crate) fn place_trap_from(&self, moment: u64) {
        self.place_trap_from
            .store(moment.saturating_add(1), Ordering::SeqCst);
    }

    /// The moment set by [`Self::place_trap_from`].
    pub(crate) fn trap_place_hint(&self) -> Option<u64> {
        let at = self.place_trap_from.load(Ordering::SeqCst);
        at.checked_sub(1)
    }

    /// This search ends at the `nth` breakpoint hit it single-steps through (see
    /// [`crate::engine::record::recording::ClockRetry::PlaceHit`]).
    pub(crate) fn stop_after_hits(&self, nth: u64) {
        self.stop_after_hits.store(nth, Ordering::SeqCst);
    }

    /// The count set by [`Self::stop_after_hits`].
    pub(crate) fn hits_to_stop_after(&self) -> Option<u64> {
        let nth = self.stop_after_hits.load(Ordering::SeqCst);
        (nth > 0).then_some(nth)
    }

    /// A new control beside this one, serving the same run: the next pass of a search that
    /// ended its own pass by cancelling this one.
    pub fn sibling(&self) -> Self {
        match &self.parent {
            Some(parent) => parent.child(),
            None => {
                let control = Self::default();
                control.debug.set_breakpoints(self.debug.breakpoints());
                control
            }
        }
    }

    /// Whether the run this one serves was cancelled (Stop), not just this control.
    pub fn served_cancelled(&self) -> bool {
        self.parent.as_ref().is_some_and(|p| p.is_cancelled())
    }

    /// Whether [`Self::travel_unclocked`] was called.
    pub(crate) fn is_unclocked(&self) -> bool {
        self.unclocked.load(Ordering::SeqCst)
    }

    /// Whether [`Self::cancel`] was called, here or on the run this one serves.
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
            || self.parent.as_ref().is_some_and(|p| p.is_cancelled())
    }

    /// A quiet run's control (a reverse continue's search), stopped when this run is.
    pub fn child(self: &Arc<Self>) -> Self {
        let child = Self::default();
        child.debug.set_breakpoints(self.debug.breakpoints());
        if self.is_unclocked() {
            child.travel_unclocked();
        }
        Self {
            parent: Some(Arc::clone(self)),
            ..child
        }
    }
}
