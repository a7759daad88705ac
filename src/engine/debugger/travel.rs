//! The time-travel side of a debug run's handler: what a counting replay heads for, and the
//! quiet searches that end at a moment (the last breakpoint hit before it, a live pause found
//! again, the last write to a range).

use wasmtime::{AsContextMut, StoreContextMut};

use crate::engine::debug::breaks::BreakAction;
use crate::engine::debug::control::PauseReason;
use crate::engine::debugger::capture::frame_place;
use crate::engine::debugger::session::{Handler, HandlerState};
use crate::engine::policy::{Anchor, WatchedRange};
use crate::engine::sandbox::Host;

impl Handler {
    /// A quiet search found what it looked for: stop stepping and end its replay (a stop of
    /// its own control, not the face's run).
    fn end_search(&self, store: &mut StoreContextMut<'_, Host>) {
        if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
            let _ = edit.single_step(false);
        }
        self.0.control.cancel();
    }

    /// One instruction of a reverse continue's quiet search: note pausing breakpoints' hits
    /// until the moment it searches before, then end the search.
    pub(super) fn scan<'a>(
        &'a self,
        store: &mut StoreContextMut<'_, Host>,
        mut state: std::sync::MutexGuard<'a, HandlerState>,
        count: u64,
        end: u64,
    ) -> Option<PauseReason> {
        if count >= end {
            drop(state);
            self.end_search(store);
            return None;
        }
        if state.by_offset.is_empty() {
            return None;
        }
        drop(state);
        let frame = store.debug_exit_frames().next()?;
        let (_, _, _, offset) = frame_place(store, &frame, &self.0.maps)?;
        state = self.0.state();
        let pausing = state
            .by_offset
            .get(&offset)
            .is_some_and(|&i| state.breaks[i].breakpoint.action == BreakAction::Pause);
        if pausing && let Some(travel) = state.travel.as_mut() {
            travel.last_break = Some(count);
        }
        None
    }

    /// One instruction of the search for a live pause: count executions of its breakpoint's
    /// instruction; at the anchor's, its moment is found and the search ends.
    pub(super) fn locate<'a>(
        &'a self,
        store: &mut StoreContextMut<'_, Host>,
        state: std::sync::MutexGuard<'a, HandlerState>,
        count: u64,
        anchor: Anchor,
    ) -> Option<PauseReason> {
        if state.travel.as_ref().is_some_and(|t| t.located.is_some()) {
            return None;
        }
        drop(state);
        let frame = store.debug_exit_frames().next()?;
        let (_, _, _, offset) = frame_place(store, &frame, &self.0.maps)?;
        if offset != anchor.offset {
            return None;
        }
        let mut state = self.0.state();
        let travel = state.travel.as_mut()?;
        travel.seen += 1;
        if travel.seen == anchor.nth {
            // Each step after it is one instruction.
            travel.located = Some(count + anchor.steps);
            drop(state);
            self.end_search(store);
        }
        None
    }

    /// One instruction of a search for who wrote `range` before moment `end`: a writing
    /// instruction whose operands reach the range is noted; at `end` the search ends.
    pub(super) fn scan_writes<'a>(
        &'a self,
        store: &mut StoreContextMut<'_, Host>,
        state: std::sync::MutexGuard<'a, HandlerState>,
        count: u64,
        range: WatchedRange,
        end: u64,
    ) -> Option<PauseReason> {
        if count >= end {
            return self.scan(store, state, count, end);
        }
        drop(state);
        let frame = store.debug_exit_frames().next()?;
        let (_, _, _, offset) = frame_place(store, &frame, &self.0.maps)?;
        let mut state = self.0.state();
        let travel = state.travel.as_mut()?;
        let wrote = travel
            .writes
            .as_ref()
            .is_some_and(|sites| sites.writes(&mut *store, &frame, offset, range));
        if wrote {
            travel.last_write = Some(count);
        }
        None
    }
}
