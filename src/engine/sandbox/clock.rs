//! The travel clock: fuel at one unit per instruction, so a time-travel replay runs at full
//! speed and still knows its moment at the places where wasmtime settles the count.
//!
//! With every operator costing one unit (and no per-byte costs), the fuel a replay has
//! burnt is the number of instructions begun plus one for every wasm function entered
//! (wasmtime charges a function one unit on entry). A moment is that count less the first
//! entry, so the first instruction is moment 1. Single-stepping counts the same way
//! (`Handler::quiet` adds the entry), so a moment means the same thing on both paths.
//!
//! wasmtime keeps the count in a register and writes it back at calls, returns and when fuel
//! runs out, so it is exact only there: in a WASI call, at an `unreachable` trap, at the
//! run's end, and at the clock's ticks. A tick is the store's fuel-yield interval running out
//! (the guest's future yields); the executor ([`Clocked`]) then advances the engine's epoch,
//! so the epoch check right after it hands the debug handler an `EpochYield` with the guest
//! on the stack and the count settled: there a replay can switch to single-stepping for the
//! last stretch before the moment it heads for, or pause with an exact moment.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll};

use wasmtime::{AsContext, Engine, OperatorCost};

/// The fuel a clocked store starts with: far more than any run burns.
pub const CLOCK_FUEL: u64 = 1 << 62;

/// Instructions between two ticks. A replay single-steps at most about twice this before the
/// moment it heads for; a tick costs a yield and a debug event.
pub const TICK: u64 = 1 << 16;

/// The cost table of the clock: every operator one unit, no per-byte or per-element costs.
pub fn one_per_instruction() -> OperatorCost {
    // The table is a struct with a field per operator; its serde form is a map, so every
    // operator (present and future) is set without naming each.
    let mut table = serde_json::to_value(OperatorCost::new()).unwrap_or_default();
    if let Some(fields) = table.as_object_mut() {
        for (name, value) in fields.iter_mut() {
            if name == "variable" {
                if let Some(variable) = value.as_object_mut() {
                    variable.values_mut().for_each(|v| *v = 0.into());
                }
            } else {
                *value = 1.into();
            }
        }
    }
    serde_json::from_value(table).unwrap_or_default()
}

/// The moment a clocked store has counted to, as of wasmtime's last settling: fuel burnt,
/// less the first function's entry (so the run's first instruction is moment 1).
pub fn moment(store: impl AsContext) -> Option<u64> {
    let left = store.as_context().get_fuel().ok()?;
    Some(CLOCK_FUEL.saturating_sub(left).saturating_sub(1))
}

/// Whether a replay of `wasm` can keep the clock: a core module without a start function
/// (the clock is set going once the instance exists, and nothing of the guest has run).
pub fn can_clock(wasm: &[u8]) -> bool {
    if wasmparser::Parser::is_component(wasm) {
        return false;
    }
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::StartSection { .. }) | Err(_) => return false,
            Ok(wasmparser::Payload::CodeSectionStart { .. }) => return true,
            Ok(_) => {}
        }
    }
    true
}

/// Sets a clocked store's count going: after instantiation, so that what wasmtime ran to
/// initialise the instance is not counted.
pub fn start(store: &mut impl wasmtime::AsContextMut) {
    let _ = store.as_context_mut().set_fuel(CLOCK_FUEL);
}

/// What the executor and the debug handler of a clocked replay tell each other.
pub struct Clock {
    engine: Engine,
    /// The guest yielded for fuel: the next `EpochYield` is a tick.
    ticked: AtomicBool,
    /// The debug handler saw an `EpochYield`: the yield that follows is the epoch's.
    epoch_yield: AtomicBool,
    /// Host calls and debug-handler waits in progress: a yield there is not the clock's.
    busy: AtomicU32,
    /// The replay went past the moment it headed for without a tick before it: it must be
    /// run again without the clock.
    overshot: AtomicBool,
}

impl Clock {
    /// A clock for a store of `engine`.
    pub fn new(engine: &Engine) -> Self {
        Self {
            engine: engine.clone(),
            ticked: AtomicBool::new(false),
            epoch_yield: AtomicBool::new(false),
            busy: AtomicU32::new(0),
            overshot: AtomicBool::new(false),
        }
    }

    /// Whether this `EpochYield` is a tick (the count is settled), taking the news.
    pub fn take_tick(&self) -> bool {
        self.ticked.swap(false, Ordering::SeqCst)
    }

    /// The debug handler is done with an `EpochYield`: the yield that follows is the epoch's.
    pub fn epoch_yield_done(&self) {
        self.epoch_yield.store(true, Ordering::SeqCst);
    }

    /// Host work in progress until the guard drops: a yield meanwhile is not a tick.
    pub fn busy(&self) -> Busy<'_> {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Busy(self)
    }

    /// The replay passed its moment between two ticks.
    pub fn overshoot(&self) {
        self.overshot.store(true, Ordering::SeqCst);
    }

    /// Whether [`Clock::overshoot`] was called.
    pub fn overshot(&self) -> bool {
        self.overshot.load(Ordering::SeqCst)
    }

    /// The guest's future yielded: a tick when nothing else explains it.
    fn yielded(&self) {
        if self.epoch_yield.swap(false, Ordering::SeqCst) || self.busy.load(Ordering::SeqCst) > 0 {
            return;
        }
        self.ticked.store(true, Ordering::SeqCst);
        // The epoch check after the fuel check sees the deadline passed.
        self.engine.increment_epoch();
    }
}

/// Host work in progress (see [`Clock::busy`]).
pub struct Busy<'a>(&'a Clock);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The guest's call, polled so that its fuel yields become ticks of `clock`.
pub struct Clocked<'a, F> {
    /// The call.
    pub call: Pin<Box<F>>,
    /// The clock, when the replay has one.
    pub clock: Option<&'a Clock>,
}

impl<F: Future> Future for Clocked<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let polled = self.call.as_mut().poll(cx);
        if polled.is_pending()
            && let Some(clock) = self.clock
        {
            clock.yielded();
        }
        polled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_costs_one_and_nothing_is_charged_per_byte() {
        let table = one_per_instruction();
        let op = wasmparser::Operator::I32Add;
        assert_eq!(table.cost(&op), 1);
        assert_eq!(table.cost(&wasmparser::Operator::Nop), 1);
        assert_eq!(table.cost(&wasmparser::Operator::End), 1);
        assert_eq!(table.variable.memory_copy_per_byte, 0);
        assert_eq!(table.variable.memory_fill_per_byte, 0);
    }
}
