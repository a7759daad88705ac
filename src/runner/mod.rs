//! The worker: two named threads per run (the run itself, and a watcher that takes the face's
//! commands), commands in and events out over bounded channels, and one epoch ticker per process.
//!
//! ```text
//!                           [epoch ticker: one per process] --epoch ticks--+
//!                                                                          v
//! face --RunCommand::Cancel--> [watcher thread] ----------cancel-------> [run thread: Store]
//! face <------------------- RunEvent (bounded) --------------------- [run thread]
//! ```

pub mod last_write;

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, bounded, select};

use crate::engine::{RunControl, sandbox};
pub use crate::engine::{RunEvent, RunReport, RunRequest};

/// How often the epoch ticks: the timeout's and Stop's granularity for CPU-bound guests.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);

/// How many events may wait for the face before the guest waits (output coalesces first).
pub const EVENT_CAPACITY: usize = 256;

/// How often the face is woken while events wait for it.
const WAKE_INTERVAL: Duration = Duration::from_millis(15);

/// Commands to a run in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunCommand {
    /// Stop the run; it ends with the `cancelled` outcome.
    Cancel,
    /// Debug mode: continue, step, pause, or edit a breakpoint.
    Debug(crate::engine::debug::DebugCommand),
}

/// Called from the worker side when events are waiting (the GUI requests a repaint).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// A run in progress.
pub struct RunHandle {
    /// Events in order; the last is [`RunEvent::Finished`].
    pub events: Receiver<RunEvent>,
    commands: Sender<RunCommand>,
    threads: Vec<JoinHandle<()>>,
}

impl RunHandle {
    /// Asks the run to stop.
    pub fn cancel(&self) {
        let _ = self.commands.try_send(RunCommand::Cancel);
    }

    /// Sends a debug command (Continue, Step, Pause, a breakpoint edit); never blocks.
    pub fn debug(&self, command: crate::engine::debug::DebugCommand) {
        let _ = self.commands.try_send(RunCommand::Debug(command));
    }

    /// A sender for commands, for another thread (e.g. a Ctrl-C handler).
    pub fn commands(&self) -> Sender<RunCommand> {
        self.commands.clone()
    }

    /// Drains events, calling `on_event` for each, and returns the final report.
    pub fn wait_with(self, mut on_event: impl FnMut(&RunEvent)) -> RunReport {
        let mut report = None;
        for event in self.events.iter() {
            on_event(&event);
            if let RunEvent::Finished(r) = event {
                report = Some(*r);
            }
        }
        for thread in self.threads {
            let _ = thread.join();
        }
        report.unwrap_or_else(|| RunReport::lost("the worker thread ended without a report"))
    }

    /// Waits for the final report, ignoring the other events.
    pub fn wait(self) -> RunReport {
        self.wait_with(|_| {})
    }

    /// Like [`Self::wait_with`], but a message on `stop` (a signal, say) cancels the run.
    /// A guest that does not end within `grace` after it (one spinning in code without
    /// epoch checks, or in a host call that cannot be abandoned), or a second message, is
    /// given up on: this returns [`Waited::Abandoned`] without joining the worker, whose
    /// thread then ends with the process.
    pub fn wait_or_stop<T>(
        self,
        stop: &Receiver<T>,
        grace: Duration,
        mut on_event: impl FnMut(&RunEvent),
    ) -> Waited {
        let mut stop = stop.clone();
        let mut give_up = crossbeam_channel::never();
        let mut stopping = false;
        let mut report = None;
        loop {
            select! {
                recv(self.events) -> event => match event {
                    Ok(event) => {
                        on_event(&event);
                        if let RunEvent::Finished(r) = event {
                            report = Some(*r);
                        }
                    }
                    Err(_) => break,
                },
                recv(stop) -> message => {
                    if message.is_err() {
                        // Nobody can send a stop any more: wait as usual.
                        stop = crossbeam_channel::never();
                    } else if stopping {
                        return Waited::Abandoned;
                    } else {
                        stopping = true;
                        self.cancel();
                        give_up = crossbeam_channel::after(grace);
                    }
                },
                recv(give_up) -> _ => return Waited::Abandoned,
            }
        }
        for thread in self.threads {
            let _ = thread.join();
        }
        Waited::Finished {
            report: Box::new(
                report
                    .unwrap_or_else(|| RunReport::lost("the worker thread ended without a report")),
            ),
            stopped: stopping,
        }
    }
}

/// How [`RunHandle::wait_or_stop`] ended.
#[derive(Debug)]
pub enum Waited {
    /// The run ended and sent its report.
    Finished {
        /// The final report.
        report: Box<RunReport>,
        /// A stop was asked for before it ended.
        stopped: bool,
    },
    /// The run was asked to stop and did not end in time; the worker may still be going.
    Abandoned,
}

impl RunReport {
    /// A report for a run whose worker vanished (a bug): says so rather than hanging.
    pub fn lost(why: &str) -> Self {
        Self::new(
            String::new(),
            crate::engine::RunOutcome::Failed {
                error: why.to_owned(),
                unresolved: Vec::new(),
            },
        )
    }
}

/// Starts `request` on a new worker thread. `wake` is called when events are waiting.
pub fn spawn(request: RunRequest, wake: Option<Wake>) -> std::io::Result<RunHandle> {
    spawn_with_breakpoints(request, Vec::new(), wake)
}

/// Starts `request` (in debug mode) with `breakpoints` set before the guest starts.
pub fn spawn_with_breakpoints(
    request: RunRequest,
    breakpoints: Vec<crate::engine::debug::Breakpoint>,
    wake: Option<Wake>,
) -> std::io::Result<RunHandle> {
    let (event_tx, event_rx) = bounded(EVENT_CAPACITY);
    let (command_tx, command_rx) = bounded::<RunCommand>(16);
    let (done_tx, done_rx) = bounded::<()>(1);
    let control = Arc::new(RunControl::default());
    control.debug().set_breakpoints(breakpoints);

    // The run counts as going from here until its watcher ends (after the worker is done).
    let ticking = EpochTicker::start()?;
    let run_control = Arc::clone(&control);
    let run_wake = wake.clone();
    let run_events = event_tx.clone();
    let worker = std::thread::Builder::new()
        .name(format!("wasmscope-run {}", request.name))
        .spawn(move || {
            let report = crate::engine::run(&request, &run_control, &run_events);
            drop(done_tx);
            let _ = run_events.send(RunEvent::Finished(Box::new(report)));
            if let Some(wake) = run_wake {
                wake();
            }
        })?;

    let ticker = std::thread::Builder::new()
        .name("wasmscope-watcher".to_owned())
        .spawn(move || {
            watch(&control, &command_rx, &done_rx, &event_tx, wake.as_ref());
            drop(ticking);
        })?;

    Ok(RunHandle {
        events: event_rx,
        commands: command_tx,
        threads: vec![worker, ticker],
    })
}

/// The one thread of the process that advances every engine's epoch (the clock timeouts and
/// Stop read), while at least one run is going; it sleeps while none is. One ticker for all
/// runs, so N tenants advance the epoch as fast as one run does.
struct EpochTicker {
    /// How many runs are going.
    runs: Mutex<usize>,
    /// Wakes the ticker when the first run starts.
    started: Condvar,
    /// Whether the ticker thread was started.
    spawned: Mutex<bool>,
}

static TICKER: EpochTicker = EpochTicker {
    runs: Mutex::new(0),
    started: Condvar::new(),
    spawned: Mutex::new(false),
};

/// A run that is going: while one exists, the epoch ticks.
struct Ticking;

impl Drop for Ticking {
    fn drop(&mut self) {
        let mut runs = TICKER.runs.lock().unwrap_or_else(|p| p.into_inner());
        *runs = runs.saturating_sub(1);
    }
}

impl EpochTicker {
    /// Counts one more run going, starting the ticker thread on first use.
    fn start() -> std::io::Result<Ticking> {
        {
            let mut spawned = TICKER.spawned.lock().unwrap_or_else(|p| p.into_inner());
            if !*spawned {
                std::thread::Builder::new()
                    .name("wasmscope-epoch".to_owned())
                    .spawn(|| TICKER.run())?;
                *spawned = true;
            }
        }
        *TICKER.runs.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        TICKER.started.notify_all();
        Ok(Ticking)
    }

    fn run(&self) {
        loop {
            {
                let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
                while *runs == 0 {
                    runs = self.started.wait(runs).unwrap_or_else(|p| p.into_inner());
                }
            }
            std::thread::sleep(EPOCH_TICK);
            sandbox::increment_epochs();
        }
    }
}

/// Forwards Cancel, sends coalesced output and wakes the face, until the run is done.
fn watch(
    control: &RunControl,
    commands: &Receiver<RunCommand>,
    done: &Receiver<()>,
    events: &Sender<RunEvent>,
    wake: Option<&Wake>,
) {
    let mut last_wake = Instant::now();
    let mut commands = commands.clone();
    loop {
        select! {
            recv(commands) -> command => match command {
                Ok(RunCommand::Cancel) => control.cancel(),
                Ok(RunCommand::Debug(command)) => control.debug().send(command),
                Err(_) => {
                    // The face is gone: nobody can answer a pause, so the guest runs on (to
                    // its end or its timeout), and this loop stops waking for commands.
                    control.debug().detach();
                    commands = crossbeam_channel::never();
                }
            },
            recv(done) -> _ => break,
            default(EPOCH_TICK) => {}
        }
        control.tick();
        if let Some(wake) = wake
            && !events.is_empty()
            && last_wake.elapsed() >= WAKE_INTERVAL
        {
            wake();
            last_wake = Instant::now();
        }
    }
}
