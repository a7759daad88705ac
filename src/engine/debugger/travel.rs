//! The time-travel side of a debug run's handler: the count (single-stepped, or read from the
//! travel clock at its ticks, see [`crate::engine::debugger::counting`]), and the quiet
//! searches that end at a moment (the last breakpoint hit before it, a live pause found again,
//! the last write to a range).

use std::sync::atomic::Ordering;

use wasmtime::{AsContext, AsContextMut, StoreContextMut};

use crate::engine::debug::breaks::BreakAction;
use crate::engine::debug::control::PauseReason;
use crate::engine::debugger::capture::frame_place;
use crate::engine::debugger::session::{Handler, HandlerState};
use crate::engine::policy::{Anchor, Travel, WatchedRange};
use crate::engine::sandbox::Host;
use crate::engine::sandbox::clock;

impl Handler {
    /// A quiet search found what it looked for: stop stepping and end its replay (a stop of
    /// its own control, not the face's run).
    fn end_search(&self, store: &mut StoreContextMut<'_, Host>) {
        if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
            let _ = edit.single_step(false);
        }
        // The clock's ticks until the stop takes effect change nothing now.
        if let Some(travel) = &self.0.clock {
            travel.run_free();
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
            travel.hits += 1;
            // A second pass placing a hit seen running free ends at it.
            if travel.stop_after == Some(travel.hits) {
                drop(state);
                self.end_search(store);
            }
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

    /// In a time-travel replay, counts the instruction about to run (one more at a function's
    /// first); whether it lies in the quiet stretch before the moment the replay heads for.
    pub(super) fn quiet(&self, store: &mut StoreContextMut<'_, Host>) -> bool {
        let shared = &self.0;
        if !shared.counting {
            return false;
        }
        // Running free, a breakpoint event is a hit of a search: a first pass looking for a
        // live pause ends at its anchor's hit (a second pass places it).
        if let Some(travel) = &shared.clock
            && !store.as_context().is_single_step()
        {
            let anchor = match shared.state().travel.as_ref().map(|t| t.mode) {
                Some(Travel::Locate(anchor)) if !travel.placing() => Some(anchor),
                _ => None,
            };
            // Past the anchor's hit the search is ending: later hits are not noted.
            if anchor.is_some_and(|a| travel.hits() >= a.nth) {
                return true;
            }
            let hits = travel.note_hit();
            if anchor.is_some_and(|a| a.nth == hits) {
                self.end_search(store);
            }
            return true;
        }
        let entered = shared.starts.as_ref().map_or(0, |s| s.entered(store));
        let step = 1 + entered;
        // The count starts at -1 (wrapping): the first function's entry is not a moment.
        let count = shared
            .count
            .fetch_add(step, Ordering::Relaxed)
            .wrapping_add(step);
        count < shared.quiet_until.load(Ordering::Relaxed)
    }

    /// An epoch yield in a clocked replay: whether it is a tick (the count read from fuel is
    /// exact here). At a tick near its moment the replay starts single-stepping; one past
    /// its moment already must be run again without the clock.
    pub(super) fn on_tick(&self, store: &mut StoreContextMut<'_, Host>) -> bool {
        let Some(travel) = &self.0.clock else {
            return false;
        };
        if !travel.clock.take_tick() {
            return false;
        }
        let Some(now) = clock::moment(&*store) else {
            return false;
        };
        self.0.count.store(now, Ordering::Relaxed);
        travel.last_tick.store(now, Ordering::Relaxed);
        if store.as_context().is_single_step() || now < travel.step_from.load(Ordering::Relaxed) {
            return true;
        }
        let state = self.0.state();
        let mode = state.travel.as_ref().map(|t| t.mode);
        let heading = matches!(
            mode,
            Some(Travel::To(_) | Travel::AtBreak(_) | Travel::Scan(_))
        );
        // A search's own breakpoints go: every step is looked at from here.
        let searched = matches!(mode, Some(Travel::Scan(_) | Travel::Locate(_)))
            .then(|| state.module.clone().map(|m| (m, state.searched())))
            .flatten();
        drop(state);
        if heading && travel.target.is_some_and(|target| now >= target) {
            travel.clock.overshoot();
        } else if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
            if let Some((module, offsets)) = searched {
                for offset in offsets {
                    let _ = edit.remove_breakpoint(&module, wasmtime::ModulePC::new(offset as u32));
                }
            }
            let _ = edit.single_step(true);
        }
        true
    }

    /// Whether a pause asked for may happen at this epoch yield: a clocked replay running
    /// free knows its moment only at ticks.
    pub(super) fn may_pause(&self, store: &StoreContextMut<'_, Host>, tick: bool) -> bool {
        self.0.clock.is_none() || tick || store.as_context().is_single_step()
    }

    /// A trap in a clocked replay running free: `unreachable` and failed host calls leave
    /// the count exact; for any other the last tick is kept, to place the trap in a second
    /// pass that single-steps from there.
    pub(super) fn on_trap_count(&self, store: &StoreContextMut<'_, Host>, exact: bool) {
        let Some(travel) = &self.0.clock else {
            return;
        };
        if store.as_context().is_single_step() {
            return;
        }
        if exact && let Some(now) = clock::moment(store) {
            self.0.count.store(now, Ordering::Relaxed);
        } else {
            let tick = travel.last_tick.load(Ordering::Relaxed);
            travel.unplaced.store(tick, Ordering::Relaxed);
        }
    }

    /// A resume in a clocked replay: with no breakpoint to look for and no step asked for,
    /// it runs on at full speed.
    pub(super) fn resume_free(&self, store: &mut StoreContextMut<'_, Host>) {
        let Some(travel) = &self.0.clock else {
            return;
        };
        if !self.0.state().by_offset.is_empty() {
            return;
        }
        travel.run_free();
        if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
            let _ = edit.single_step(false);
        }
    }
}

impl HandlerState {
    /// The breakpoints a search running free has wasmtime stop at: a reverse continue's
    /// pausing ones, or a live pause's anchor.
    pub(super) fn searched(&self) -> Vec<usize> {
        match self.travel.as_ref().map(|t| t.mode) {
            Some(Travel::Locate(anchor)) => vec![anchor.offset],
            _ => self.pausing(),
        }
    }

    /// The module offsets of the breakpoints that pause.
    pub(super) fn pausing(&self) -> Vec<usize> {
        let pauses =
            |&(_, &i): &(&usize, &usize)| self.breaks[i].breakpoint.action == BreakAction::Pause;
        self.by_offset
            .iter()
            .filter(pauses)
            .map(|(&o, _)| o)
            .collect()
    }
}
