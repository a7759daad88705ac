//! Pausing a debug-mode run: the commands a face sends (Continue, Step, Step out, Pause, a
//! breakpoint edit), the paused state it is shown, and the clock of time spent paused, which
//! the timeout does not count.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::engine::debug::breaks::Breakpoint;
use crate::engine::debug::source::SourceContext;
use crate::engine::debug::values::DebugState;
use crate::engine::outcome::FrameInfo;

/// What the face asks of a debug-mode run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DebugCommand {
    /// Go on from a pause (F8).
    Continue,
    /// Run one instruction and pause again (F10); steps into calls.
    StepInstruction,
    /// Run until the current function returns to its caller, and pause there (Shift+F11).
    StepOut,
    /// Run one instruction, or a whole call when the instruction is a call (an editor's
    /// `next`).
    StepOver,
    /// Pause a running guest at its next epoch yield (F6).
    Pause,
    /// Set (or clear) a pausing breakpoint at an instruction.
    SetBreakpoint {
        /// The instruction's module offset.
        module_offset: usize,
        /// Set or clear.
        enabled: bool,
    },
}

/// Why a run paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// It reached a breakpoint.
    Breakpoint,
    /// A single step ended.
    Step,
    /// The function stepped out of returned.
    StepOut,
    /// Pause was pressed; it stopped at its next epoch yield.
    Requested,
}

impl PauseReason {
    /// Words for the toolbar.
    pub fn describe(self) -> &'static str {
        match self {
            PauseReason::Breakpoint => "breakpoint",
            PauseReason::Step => "step",
            PauseReason::StepOut => "step out",
            PauseReason::Requested => "paused by request",
        }
    }
}

/// A paused guest, as the face shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct PausedState {
    /// Why it paused.
    pub reason: PauseReason,
    /// `name+0xREL (@0xOFFSET)` of the current instruction.
    pub at: String,
    /// Frames, innermost first (at most [`MAX_FRAMES`](super::MAX_FRAMES)), each with its state.
    pub frames: Vec<FrameInfo>,
    /// Globals and what was left out.
    pub state: DebugState,
    /// The source around the current line, when DWARF names a line.
    pub source: Option<SourceContext>,
    /// The first [`PAUSE_MEMORY_BYTES`](super::PAUSE_MEMORY_BYTES) of memory 0, for the hex view.
    pub memory: Option<Arc<Vec<u8>>>,
    /// The size of memory 0.
    pub memory_bytes: u64,
    /// Time spent paused so far in this run (it does not count toward the timeout).
    pub paused_total: Duration,
    /// In a time-travel replay, the moment: the number (from 1) of the instruction about to
    /// run. Step back goes to the one before.
    pub moment: Option<u64>,
    /// In a live debug run, how a replay of its recording finds this pause again (for Step
    /// back from it); `None` when it cannot (Pause, Step out, a breakpoint set mid-run).
    pub anchor: Option<crate::engine::policy::Anchor>,
}

impl PausedState {
    /// The innermost frame (where the guest is).
    pub fn current(&self) -> Option<&FrameInfo> {
        self.frames.first()
    }
}

#[derive(Debug, Default)]
struct PauseClock {
    since: Option<Instant>,
    total: Duration,
}

/// The debug side of a run's [`RunControl`]: breakpoints to set, commands from the face, and
/// the clock of time spent paused (which the timeout does not count).
#[derive(Debug)]
pub struct DebugControl {
    pub(crate) breakpoints: Mutex<Vec<Breakpoint>>,
    pub(crate) sender: tokio::sync::mpsc::Sender<DebugCommand>,
    pub(crate) receiver: tokio::sync::Mutex<tokio::sync::mpsc::Receiver<DebugCommand>>,
    pub(crate) pause_requested: AtomicBool,
    pub(crate) detached: AtomicBool,
    clock: Mutex<PauseClock>,
}

/// Commands that may wait for a paused or running guest; more are dropped (a face sends at
/// human speed).
const COMMAND_CAPACITY: usize = 64;

impl Default for DebugControl {
    fn default() -> Self {
        let (sender, receiver) = tokio::sync::mpsc::channel(COMMAND_CAPACITY);
        Self {
            breakpoints: Mutex::new(Vec::new()),
            sender,
            receiver: tokio::sync::Mutex::new(receiver),
            pause_requested: AtomicBool::new(false),
            detached: AtomicBool::new(false),
            clock: Mutex::new(PauseClock::default()),
        }
    }
}

impl DebugControl {
    /// Breakpoints the run sets before the guest starts (debug mode only).
    pub fn set_breakpoints(&self, breakpoints: Vec<Breakpoint>) {
        *self.breakpoints.lock().unwrap_or_else(|p| p.into_inner()) = breakpoints;
    }

    /// Whether any breakpoint was set.
    pub fn has_breakpoints(&self) -> bool {
        !self
            .breakpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    }

    pub(crate) fn breakpoints(&self) -> Vec<Breakpoint> {
        self.breakpoints
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Hands a command to the run; never blocks (a full queue drops it).
    pub fn send(&self, command: DebugCommand) {
        if command == DebugCommand::Pause {
            self.pause_requested.store(true, Ordering::SeqCst);
        }
        let _ = self.sender.try_send(command);
    }

    /// Nobody can answer a pause any more (the face went away): go on, and never pause again.
    pub fn detach(&self) {
        self.detached.store(true, Ordering::SeqCst);
        let _ = self.sender.try_send(DebugCommand::Continue);
    }

    fn clock(&self) -> std::sync::MutexGuard<'_, PauseClock> {
        self.clock.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Time spent paused so far, including a pause in progress.
    pub fn paused_for(&self) -> Duration {
        let clock = self.clock();
        clock.total + clock.since.map_or(Duration::ZERO, |s| s.elapsed())
    }

    /// Whether the guest is paused now.
    pub fn is_paused(&self) -> bool {
        self.clock().since.is_some()
    }

    pub(crate) fn begin_pause(&self) -> Duration {
        let mut clock = self.clock();
        clock.since.get_or_insert_with(Instant::now);
        clock.total
    }

    pub(crate) fn end_pause(&self) {
        let mut clock = self.clock();
        if let Some(since) = clock.since.take() {
            clock.total += since.elapsed();
        }
    }
}

/// Waits until `deadline` has passed, not counting time spent paused.
pub(crate) async fn timeout(deadline: Option<Instant>, control: &DebugControl) {
    let Some(deadline) = deadline else {
        return std::future::pending().await;
    };
    loop {
        let due = deadline + control.paused_for();
        let now = Instant::now();
        let paused = control.is_paused();
        if !paused && now >= due {
            return;
        }
        // While paused the due time moves; look again a little later.
        let wake = if paused {
            now + Duration::from_millis(50)
        } else {
            due
        };
        tokio::time::sleep_until(wake.into()).await;
    }
}
