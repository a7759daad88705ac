//! How a time-travel replay counts its moments. A moment is the number of instructions begun
//! plus the wasm functions entered after the first, the count that fuel keeps at one unit per instruction
//! ([`crate::engine::sandbox::clock`]). A clocked replay runs at full speed, reads the count
//! from fuel at the clock's ticks, and single-steps only the last stretch before the moment it
//! heads for; an unclocked one single-steps everything and counts the same way, one per step
//! and one more at a function's first instruction. The first function's entry is not
//! counted: the run's first instruction is moment 1.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::{AsContext, StoreContextMut};

use crate::engine::debug::control::PauseReason;
use crate::engine::debugger::writes::WriteSites;
use crate::engine::policy::Travel;
use crate::engine::record::recording::ClockRetry;
use crate::engine::sandbox::Host;
use crate::engine::sandbox::clock::{self, Clock};

/// What a time-travel replay is counting towards (the count itself is the handler's).
pub(super) struct Counting {
    pub(super) mode: Travel,
    /// A reverse continue's search: the last pausing breakpoint's hit seen.
    pub(super) last_break: Option<u64>,
    /// A search for a live pause: executions of its breakpoint's instruction seen, and the
    /// moment found.
    pub(super) seen: u64,
    pub(super) located: Option<u64>,
    /// A search for who wrote a range: the module's writing instructions, and the moment of
    /// the last one that wrote it.
    pub(super) writes: Option<WriteSites>,
    pub(super) last_write: Option<u64>,
    /// A reverse continue's second pass: pausing breakpoint hits seen, and the one it ends at.
    pub(super) hits: u64,
    pub(super) stop_after: Option<u64>,
}

impl Counting {
    pub(super) fn new(mode: Travel, wasm: Option<&[u8]>, stop_after: Option<u64>) -> Self {
        Self {
            mode,
            last_break: None,
            seen: 0,
            located: None,
            writes: match mode {
                Travel::ScanWrites { .. } => wasm.map(WriteSites::of),
                _ => None,
            },
            last_write: None,
            hits: 0,
            stop_after,
        }
    }

    /// At the instruction numbered `count`, past any quiet stretch. `Err(pause)` answers the
    /// event without looking at the guest (the target reached: pause there); `Ok(())`
    /// handles it as any debug run would.
    pub(super) fn step(&mut self, count: u64) -> Result<(), Option<PauseReason>> {
        match self.mode {
            Travel::To(n) | Travel::AtBreak(n) if count < n => Err(None),
            Travel::To(_) => {
                self.mode = Travel::Count;
                Err(Some(PauseReason::Step))
            }
            Travel::AtBreak(_) => {
                self.mode = Travel::Count;
                Err(Some(PauseReason::Breakpoint))
            }
            Travel::Count
            | Travel::LastBreakBefore(_)
            | Travel::Scan(_)
            | Travel::BackFrom { .. }
            | Travel::Locate(_)
            | Travel::ScanWrites { .. } => Ok(()),
        }
    }
}

/// The module offset of each defined function's first instruction: a step there is also a
/// function entered.
pub(super) struct FunctionStarts(Vec<u32>);

impl FunctionStarts {
    pub(super) fn of(wasm: &[u8]) -> Self {
        let mut starts = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload {
                Ok(wasmparser::Payload::CodeSectionEntry(body)) => {
                    let at = body
                        .get_operators_reader()
                        .map_or(u32::MAX, |r| r.original_position() as u32);
                    starts.push(at);
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Self(starts)
    }

    /// 1 when the guest is at a function's first instruction, else 0.
    pub(super) fn entered(&self, store: &mut StoreContextMut<'_, Host>) -> u64 {
        let Some(frame) = store.debug_exit_frames().next() else {
            return 0;
        };
        let Ok(Some((defined, pc))) = frame.wasm_function_index_and_pc(&mut *store) else {
            return 0;
        };
        let first = self.0.get(defined.as_u32() as usize).copied();
        u64::from(first == Some(pc.raw()))
    }
}

/// A clocked replay's side of the count.
pub(super) struct TravelClock {
    pub(super) clock: Arc<Clock>,
    /// Single-step from the first tick at or past this moment (`u64::MAX`: never).
    pub(super) step_from: AtomicU64,
    /// The moment the replay heads for, when it must not be passed between two ticks.
    pub(super) target: Option<u64>,
    /// The count at the last tick (0 before the first).
    pub(super) last_tick: AtomicU64,
    /// The replay ended at a trap the count cannot place: the last tick before it.
    pub(super) unplaced: AtomicU64,
    /// A reverse continue's search running free: the tick before its last breakpoint hit
    /// (`u64::MAX`: none yet), and which hit after that tick it was.
    hit_tick: AtomicU64,
    hit_nth: AtomicU64,
    /// Hits seen running free.
    hits: AtomicU64,
    /// A second pass (it steps from a tick a first pass saw).
    placing: bool,
}

/// How far before its moment a clocked replay starts single-stepping.
const STEP_WINDOW: u64 = 2 * clock::TICK;

impl TravelClock {
    /// The clock of a replay heading for `travel`, stepping from `step_from` when it is a
    /// second pass to place a trap.
    pub(super) fn new(clock: Arc<Clock>, travel: Travel, step_from: Option<u64>) -> Self {
        let (from, target) = match (travel, step_from) {
            (_, Some(from)) => (from, None),
            (Travel::To(n) | Travel::AtBreak(n) | Travel::Scan(n), None) => {
                (n.saturating_sub(STEP_WINDOW), Some(n))
            }
            _ => (u64::MAX, None),
        };
        Self {
            clock,
            step_from: AtomicU64::new(from),
            target,
            last_tick: AtomicU64::new(0),
            unplaced: AtomicU64::new(u64::MAX),
            hit_tick: AtomicU64::new(u64::MAX),
            hit_nth: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            placing: step_from.is_some(),
        }
    }

    /// Whether the replay single-steps from its first instruction.
    pub(super) fn steps_from_start(&self) -> bool {
        self.step_from.load(Ordering::Relaxed) == 0
    }

    /// The trap the count could not place, as the last tick before it.
    pub(super) fn unplaced(&self) -> Option<u64> {
        let at = self.unplaced.load(Ordering::Relaxed);
        (at != u64::MAX).then_some(at)
    }

    /// Whether the replay, at its end with `count` (in `mode`, what it still heads for), must
    /// be run again: it passed its moment between ticks (or trapped after a tick with it
    /// still ahead), or it trapped where the count is not exact.
    /// A pausing breakpoint hit while running free (a reverse continue's search): kept as
    /// the tick before it and which hit after that tick it is.
    /// Returns the hits seen so far.
    pub(super) fn note_hit(&self) -> u64 {
        let tick = self.last_tick.load(Ordering::Relaxed);
        if self.hit_tick.swap(tick, Ordering::Relaxed) == tick {
            self.hit_nth.fetch_add(1, Ordering::Relaxed);
        } else {
            self.hit_nth.store(1, Ordering::Relaxed);
        }
        self.hits.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The hits seen running free.
    pub(super) fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Whether this is a second pass, placing what a first one saw.
    pub(super) fn placing(&self) -> bool {
        self.placing
    }

    /// Whether the replay, at its end, must be run again (see [`Self::retry`]), for a
    /// reverse continue's search that found `last_break` single-stepping.
    /// `wanted`: the hits running free a first pass must have seen for its last one to be
    /// what it looks for (a live pause's anchor), when that matters.
    pub(super) fn retry_search(
        &self,
        last_break: Option<u64>,
        wanted: Option<u64>,
    ) -> Option<ClockRetry> {
        if self.clock.overshot() {
            return Some(ClockRetry::Unclocked);
        }
        let tick = self.hit_tick.load(Ordering::Relaxed);
        let complete = wanted.is_none_or(|n| self.hits() == n);
        (last_break.is_none() && tick != u64::MAX && complete).then(|| ClockRetry::PlaceHit {
            tick,
            nth: self.hit_nth.load(Ordering::Relaxed),
        })
    }

    pub(super) fn retry(&self, mode: Travel, count: u64) -> Option<ClockRetry> {
        let ahead = match mode {
            Travel::To(n) | Travel::AtBreak(n) => Some(n),
            _ => None,
        };
        let passed = ahead.is_some_and(|n| count >= n || self.unplaced().is_some());
        if self.clock.overshot() || passed {
            Some(ClockRetry::Unclocked)
        } else {
            self.unplaced().map(ClockRetry::PlaceTrapFrom)
        }
    }

    /// No more single-stepping in this replay.
    pub(super) fn run_free(&self) {
        self.step_from.store(u64::MAX, Ordering::Relaxed);
    }
}

/// The count at the end of a clocked replay: fuel's, unless single-stepping kept it or a trap
/// left it to be placed.
pub(super) fn settle(travel: &TravelClock, count: &AtomicU64, store: impl AsContext) {
    let store = store.as_context();
    if store.is_single_step() || travel.unplaced().is_some() {
        return;
    }
    if let Some(now) = clock::moment(&store) {
        count.store(now, Ordering::Relaxed);
    }
}

/// Sets wasmtime's breakpoints at these module offsets of `module`.
pub(super) fn add_breakpoints(
    store: &mut wasmtime::Store<Host>,
    module: &wasmtime::Module,
    offsets: impl IntoIterator<Item = usize>,
) -> wasmtime::Result<()> {
    if let Some(mut edit) = store.edit_breakpoints() {
        for offset in offsets {
            edit.add_breakpoint(module, wasmtime::ModulePC::new(offset as u32))
                .map_err(|e| e.context(format!("cannot set a breakpoint at {offset:#x}")))?;
        }
    }
    Ok(())
}
