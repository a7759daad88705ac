//! A run in progress, seen from the UI: the worker's handle, and what its events said so far.
//! The UI polls it once per frame with `try_recv` and never blocks.

use eframe::egui;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::TryRecvError;

use crate::engine::{GrowthEvent, Resource, RunEvent, RunReport, RunRequest};
use crate::runner::{self, RunHandle};
use crate::ui::console::Console;

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Compiling the module (or fetching it from the cache).
    Compiling,
    /// The guest is running.
    Running,
}

/// A run in progress.
pub struct Session {
    handle: RunHandle,
    /// The module's name.
    pub module: String,
    /// When Run was pressed.
    pub started: Instant,
    /// When compilation ended and the guest started.
    pub running_since: Option<Instant>,
    /// How long compilation took, once known.
    pub compile_ms: Option<u64>,
    /// Whether compiled code came from the cache.
    pub compile_cached: bool,
    /// The largest linear memory size the guest was granted so far.
    pub memory_bytes: Option<u64>,
    /// Denied growths seen so far.
    pub denied_growths: u64,
    /// Fuel used so far, when fuel is metered.
    pub fuel_consumed: Option<u64>,
    /// Linear memory size over time.
    pub memory_history: History,
    /// Whether Stop was pressed.
    pub stop_requested: bool,
    /// The memory cap of this run.
    pub memory_cap_bytes: u64,
    /// The fuel budget of this run, when fuel is metered.
    pub fuel_budget: Option<u64>,
    /// The timeout of this run, when there is one.
    pub timeout: Option<Duration>,
    /// Table size (elements, all tables summed) over time.
    pub table_history: History,
    /// The table cap of this run, in elements.
    pub table_cap_elements: u64,
    /// The first WASI calls, when the policy logs them.
    pub calls: Vec<crate::engine::sandbox::shim::calllog::CallRecord>,
    /// WASI calls so far.
    pub calls_total: u64,
    /// The guest profile so far, when the run is profiled (refreshed about once a second).
    pub profile: Option<crate::engine::profiler::GuestProfile>,
    /// Debug mode: whether the run is in it, and where it is paused.
    /// The sandbox and invocation the run was started with (for its report page).
    pub setup: Arc<(crate::engine::SandboxPolicy, crate::engine::Invocation)>,
    pub debug: DebugView,
}

/// What the console says when Stop ends a run that was still compiling.
pub const STOPPED_WHILE_COMPILING: &str = "wasmscope: stopped while compiling. The compile \
    finishes in the background and its code is kept, so the next Run starts sooner.";

/// Guest output handled per frame before the UI draws; the rest waits for the next frame, so
/// a flood cannot starve the UI.
const OUTPUT_BYTES_PER_FRAME: usize = 4 * 1024 * 1024;
/// Time spent draining events per frame, at most.
const POLL_BUDGET: Duration = Duration::from_millis(8);

impl Session {
    /// Starts a run; `ctx` is woken when events wait.
    pub fn start(request: RunRequest, ctx: &egui::Context) -> std::io::Result<Self> {
        Self::start_with_breakpoints(request, Vec::new(), ctx)
    }

    /// Starts a run with breakpoints set (debug mode); `ctx` is woken when events wait.
    pub fn start_with_breakpoints(
        request: RunRequest,
        breakpoints: Vec<crate::engine::debug::Breakpoint>,
        ctx: &egui::Context,
    ) -> std::io::Result<Self> {
        let debug = DebugView {
            enabled: request.policy.debug,
            ..DebugView::default()
        };
        let module = request.name.clone();
        let memory_cap_bytes = request.policy.max_memory_bytes;
        let fuel_budget = request.policy.fuel;
        let timeout = request.policy.timeout();
        let table_cap_elements = request.policy.max_table_elements;
        let setup = Arc::new((request.policy.clone(), request.invocation.clone()));
        let ctx = ctx.clone();
        let wake: runner::Wake = Arc::new(move || ctx.request_repaint());
        let handle = runner::spawn_with_breakpoints(request, breakpoints, Some(wake))?;
        Ok(Self {
            handle,
            module,
            started: Instant::now(),
            running_since: None,
            compile_ms: None,
            compile_cached: false,
            memory_bytes: None,
            denied_growths: 0,
            fuel_consumed: None,
            memory_history: History::default(),
            stop_requested: false,
            memory_cap_bytes,
            fuel_budget,
            timeout,
            table_history: History::default(),
            table_cap_elements,
            calls: Vec::new(),
            calls_total: 0,
            profile: None,
            setup,
            debug,
        })
    }

    /// Compiling or running.
    pub fn phase(&self) -> Phase {
        if self.running_since.is_some() {
            Phase::Running
        } else {
            Phase::Compiling
        }
    }

    /// Time left before the timeout stops the guest; `None` without a timeout or before the
    /// guest starts (compile time does not count).
    pub fn time_left(&self) -> Option<Duration> {
        let running = self.running_since?.elapsed();
        Some(
            self.timeout?
                .saturating_sub(running.saturating_sub(self.debug.paused_for())),
        )
    }

    /// Sends a debug command to the run (Continue, Step, Pause, a breakpoint edit).
    pub fn send_debug(&self, command: crate::engine::debug::DebugCommand) {
        self.handle.debug(command);
    }

    /// Asks the worker to stop; it ends with the `cancelled` outcome. While compiling, the
    /// window need not wait: the compile cannot be interrupted, so it finishes in the
    /// background (its code is kept for the next Run) and the report to show now is returned.
    pub fn stop(&mut self) -> Option<RunReport> {
        self.stop_requested = true;
        self.handle.cancel();
        (self.phase() == Phase::Compiling)
            .then(|| RunReport::new(self.module.clone(), crate::engine::RunOutcome::Cancelled))
    }

    /// Stops the run and waits up to `grace` for it to end, so that its report (and the
    /// scratch copies it holds) is dropped here: for a window that is closing.
    pub fn stop_and_wait(self, grace: Duration) {
        self.handle.cancel();
        let deadline = Instant::now() + grace;
        while let Ok(event) = self.handle.events.recv_deadline(deadline) {
            if matches!(event, RunEvent::Finished(_)) {
                break;
            }
        }
    }

    /// Handles the events that wait, within a per-frame budget. Returns the report when the
    /// run is over, and whether more events still wait.
    pub fn poll(&mut self, console: &mut Console) -> (Option<RunReport>, bool) {
        let deadline = Instant::now() + POLL_BUDGET;
        let mut output_bytes = 0;
        loop {
            if output_bytes >= OUTPUT_BYTES_PER_FRAME || Instant::now() >= deadline {
                return (None, true);
            }
            let event = match self.handle.events.try_recv() {
                Ok(event) => event,
                Err(TryRecvError::Empty) => return (None, false),
                Err(TryRecvError::Disconnected) => {
                    return (
                        Some(RunReport::lost("the worker thread ended without a report")),
                        false,
                    );
                }
            };
            match event {
                RunEvent::Compiled { compile_ms, cached } => {
                    self.compile_ms = Some(compile_ms);
                    self.compile_cached = cached;
                    self.running_since = Some(Instant::now());
                }
                RunEvent::Output { stream, bytes } => {
                    output_bytes += bytes.len();
                    console.push(stream, &bytes);
                }
                RunEvent::Growth { event, allowed } => self.growth(&event, allowed, console),
                RunEvent::Sample(sample) => {
                    self.memory_bytes = Some(sample.memory_bytes);
                    self.fuel_consumed = sample.fuel_consumed;
                    self.memory_history.push(sample.at_ms, sample.memory_bytes);
                    // Only worth charting once a table exists.
                    if sample.table_elements > 0 || !self.table_history.points.is_empty() {
                        self.table_history.push(sample.at_ms, sample.table_elements);
                    }
                }
                RunEvent::Call(call) => {
                    self.calls_total += call.count;
                    if self.calls.len() < crate::ui::calls::MAX_LIVE_CALLS {
                        self.calls.push(call);
                    }
                }
                RunEvent::Logpoint(hit) => console.note(format!("wasmscope: {}", hit.line)),
                RunEvent::Paused(state) => {
                    self.debug.paused_before = state.paused_total;
                    self.debug.paused_since = Some(Instant::now());
                    self.debug.paused = Some(state);
                    self.debug.pauses += 1;
                    // Show the pause at once, whatever else waits.
                    return (None, true);
                }
                RunEvent::Resumed => {
                    self.debug.paused_before = self.debug.paused_for();
                    self.debug.paused_since = None;
                    self.debug.paused = None;
                }
                RunEvent::Profile(profile) => self.profile = Some(*profile),
                RunEvent::Finished(report) => {
                    self.take_denials(&report);
                    return (Some(*report), false);
                }
            }
        }
    }

    /// Growth events are dropped while the channel is full (a guest growing page by page
    /// sends thousands in a millisecond); the report keeps every denial, so the charts mark
    /// those the events missed.
    fn take_denials(&mut self, report: &RunReport) {
        for (history, resource) in [
            (&mut self.memory_history, Resource::Memory),
            (&mut self.table_history, Resource::Table),
        ] {
            let denied: Vec<&GrowthEvent> = report
                .denied_growths
                .iter()
                .filter(|e| e.resource == resource)
                .collect();
            if denied.len() as u64 > history.denied_count {
                history.denied.clear();
                history.denied_count = 0;
                for event in denied {
                    history.deny(event.at_ms, event.current);
                }
            }
        }
    }

    fn growth(&mut self, event: &GrowthEvent, allowed: bool, console: &mut Console) {
        // The first growth of each resource is its creation at instantiation (wasmtime asks
        // the limiter for 0 -> initial size): its size is where the chart starts, not a rise.
        if event.resource != Resource::Memory {
            self.table_history.growth(event, allowed);
            if !allowed {
                self.denied_growths += 1;
            }
            return;
        }
        self.memory_history.growth(event, allowed);
        if allowed {
            self.memory_bytes = Some(self.memory_bytes.unwrap_or(0).max(event.desired));
        } else {
            self.denied_growths += 1;
            if self.denied_growths == 1 {
                console.note(format!(
                    "wasmscope: memory growth to {} denied (cap {})",
                    crate::ui::theme::bytes_text(event.desired),
                    crate::ui::theme::bytes_text(event.limit)
                ));
            }
        }
    }
}

/// Points over time, at most [`History::MAX_POINTS`]: when full, every other point is dropped,
/// so a long run keeps its whole shape at a coarser grain.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// `(milliseconds since the run started, value)`, oldest first.
    pub points: Vec<(u64, u64)>,
    /// Denied growths, `(milliseconds since the run started, value when denied)`: the first
    /// [`History::MAX_DENIED`], marked on the chart at their time.
    pub denied: Vec<(u64, u64)>,
    /// All denied growths, including those past [`History::MAX_DENIED`].
    pub denied_count: u64,
}

impl History {
    /// The most points kept.
    pub const MAX_POINTS: usize = 2048;
    /// The most denied growths kept for marking.
    pub const MAX_DENIED: usize = 64;

    /// Records a growth: an allowed one moves the value (the first is the resource's creation,
    /// 0 to its initial size, so that size is where the line starts: no rise from 0); a denied
    /// one is marked at its time, at the size the guest kept.
    pub fn growth(&mut self, event: &GrowthEvent, allowed: bool) {
        if allowed {
            self.push(event.at_ms, event.desired);
        } else {
            self.deny(event.at_ms, event.current);
        }
    }

    /// Records a denied growth at `at_ms`, when the value was `value`.
    pub fn deny(&mut self, at_ms: u64, value: u64) {
        self.denied_count += 1;
        if self.denied.len() < Self::MAX_DENIED {
            self.denied.push((at_ms, value));
        }
    }

    /// Adds a point (ignoring one that goes back in time).
    pub fn push(&mut self, at_ms: u64, value: u64) {
        if self.points.last().is_some_and(|&(t, _)| t > at_ms) {
            return;
        }
        if self.points.len() >= Self::MAX_POINTS {
            let mut index = 0;
            self.points.retain(|_| {
                index += 1;
                index % 2 == 1
            });
        }
        self.points.push((at_ms, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn growth(resource: Resource, current: u64, desired: u64, at_ms: u64) -> GrowthEvent {
        GrowthEvent {
            resource,
            current,
            desired,
            limit: 1000,
            at_ms,
        }
    }

    #[test]
    fn a_table_that_never_changed_stays_flat_from_its_creation() {
        // Instantiation creates the table: wasmtime asks the limiter for 0 -> 10 elements.
        let mut tables = History::default();
        tables.growth(&growth(Resource::Table, 0, 10, 1), true);
        tables.push(50, 10);
        tables.push(100, 10);
        assert!(tables.points.iter().all(|&(_, v)| v == 10), "{tables:?}");
        assert!(!crate::ui::outcome::grew(&tables));
    }

    #[test]
    fn a_denied_growth_is_kept_at_its_time_and_level() {
        let mut memory = History::default();
        memory.growth(&growth(Resource::Memory, 0, 65536, 0), true);
        memory.growth(&growth(Resource::Memory, 65536, 1 << 30, 42), false);
        assert_eq!(memory.denied, vec![(42, 65536)]);
        assert_eq!(memory.denied_count, 1);
        assert!(crate::ui::outcome::has_shape(&memory));
    }

    #[test]
    fn history_stays_bounded_and_keeps_its_ends() {
        let mut history = History::default();
        for t in 0..100_000 {
            history.push(t, t * 2);
        }
        assert!(history.points.len() <= History::MAX_POINTS);
        assert_eq!(history.points.first(), Some(&(0, 0)));
        assert_eq!(history.points.last(), Some(&(99_999, 199_998)));
        assert!(history.points.windows(2).all(|w| w[0].0 < w[1].0));
    }
}

/// A debug-mode run as the window sees it: where it is paused, and for how long it has been
/// paused (the timeout does not count that time).
#[derive(Default)]
pub struct DebugView {
    /// Whether the run is in debug mode (Pause, breakpoints).
    pub enabled: bool,
    /// The guest is paused here (its state), until Continue, Step or Stop.
    pub paused: Option<Box<crate::engine::debug::PausedState>>,
    /// Time spent paused before the current pause.
    pub paused_before: Duration,
    /// When the current pause began, as seen by the window.
    pub paused_since: Option<Instant>,
    /// How many times the run paused (each pause is shown once).
    pub pauses: u64,
}

impl DebugView {
    /// Time spent paused so far, the current pause included.
    pub fn paused_for(&self) -> Duration {
        self.paused_before + self.paused_since.map_or(Duration::ZERO, |s| s.elapsed())
    }
}
