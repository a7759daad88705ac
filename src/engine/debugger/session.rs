//! The debug handler of one debug-mode run: it captures the state at a trap, counts and
//! prints logpoint hits, and pauses at breakpoints, after a step or on request by waiting for
//! the face's next [`DebugCommand`] (the run thread's executor keeps polling the timeout and
//! Stop meanwhile, and the face is never blocked).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};
use wasmtime::{
    AsContextMut, DebugEvent, DebugHandler, Module, ModulePC, Store, StoreContextMut, Val,
};

use crate::engine::debug::breaks::{BreakAction, BreakReport, Breakpoint, LogHit, resolve_in};
use crate::engine::debug::control::{DebugCommand, DebugControl, PauseReason, PausedState};
use crate::engine::debug::module_map::{call_site, has_dwarf_sections};
use crate::engine::debug::values::{DebugValue, wasm_type_text, wasm_value_text};
use crate::engine::debug::{MAX_LOG_LINES, MAX_VALUES};
use crate::engine::debugger::capture::{
    Maps, TrapCapture, attach, capture_trap, depth, frame_place, frame_state, logpoint_values,
    paused_state,
};
use crate::engine::debugger::counting::{
    Counting, FunctionStarts, TravelClock, add_breakpoints, settle,
};
use crate::engine::events::RunEvent;
use crate::engine::outcome::{RunOutcome, RunReport};
use crate::engine::policy::{Anchor, SandboxPolicy, Travel};
use crate::engine::sandbox::{Host, RunControl};

/// What a component in debug mode cannot have.
pub const COMPONENT_BREAKPOINTS: &str =
    "breakpoints are not available for components yet (the state at a trap is)";

/// How a step in progress ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stepping {
    None,
    /// Pause at the next instruction executed.
    Instruction,
    /// Pause when `target` is reached with fewer than `depth` frames.
    Out {
        depth: usize,
        target: usize,
        /// Whether `target` is a breakpoint set only for this step.
        temporary: bool,
    },
}

pub(super) struct BreakRecord {
    pub(super) breakpoint: Breakpoint,
    hits: u64,
    printed: u64,
    first: Vec<DebugValue>,
    last: Vec<Val>,
    last_func: u32,
    /// Set before the guest started, so `hits` counts every execution of its instruction.
    from_start: bool,
}

impl BreakRecord {
    /// A breakpoint not hit yet; `from_start` when set before the guest started.
    fn new(breakpoint: Breakpoint, from_start: bool) -> Self {
        Self {
            breakpoint,
            hits: 0,
            printed: 0,
            first: Vec::new(),
            last: Vec::new(),
            last_func: 0,
            from_start,
        }
    }
}

pub(super) struct HandlerState {
    pub(super) breaks: Vec<BreakRecord>,
    /// Module offset -> index into `breaks`.
    pub(super) by_offset: HashMap<usize, usize>,
    printed: u64,
    stepping: Stepping,
    trap: Option<TrapCapture>,
    /// The module (only one core module can have breakpoints).
    pub(super) module: Option<Module>,
    /// A time-travel replay's count of instructions (every one is a step event).
    pub(super) travel: Option<Counting>,
    /// A live run's pause as a replay of its recording can find it again.
    anchor: Option<Anchor>,
}

pub(super) struct Shared {
    pub(super) control: Arc<RunControl>,
    events: Sender<RunEvent>,
    pub(super) maps: Maps,
    state: Mutex<HandlerState>,
    /// Whether the module has DWARF (source lines can be missing for a reason).
    has_dwarf: bool,
    /// A time-travel replay: instructions begun so far (the moment of the current one), and
    /// the moment its quiet stretch ends (0 for none). Read at every instruction, so kept
    /// outside the state's lock.
    pub(super) counting: bool,
    pub(super) count: Arc<AtomicU64>,
    pub(super) quiet_until: AtomicU64,
    /// Where functions start, for the count (a time-travel replay of a core module).
    pub(super) starts: Option<FunctionStarts>,
    /// A clocked replay's clock.
    pub(super) clock: Option<TravelClock>,
}

#[derive(Clone)]
pub(super) struct Handler(pub(super) Arc<Shared>);

/// A debug-mode run's debugger: installed on the store before the guest starts, asked for
/// what it saw when the run ends.
pub struct Debugger {
    shared: Arc<Shared>,
}

impl Shared {
    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, HandlerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn debug(&self) -> &DebugControl {
        self.control.debug()
    }
}

/// Sends an event without blocking the run thread's executor: while the face is behind,
/// wait in small async sleeps (the timeout and Stop still work).
async fn send_event(events: &Sender<RunEvent>, mut event: RunEvent) {
    loop {
        match events.try_send(event) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => return,
            Err(TrySendError::Full(back)) => {
                event = back;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

impl Handler {
    fn on_trap(&self, store: &mut StoreContextMut<'_, Host>) {
        let capture = capture_trap(store, &self.0.maps);
        self.0.state().trap = Some(capture);
    }

    /// A breakpoint event: a logpoint, a pausing breakpoint, or a step ending. Returns why to
    /// pause, if it should; a logpoint line to print goes to `line`.
    fn on_breakpoint(
        &self,
        store: &mut StoreContextMut<'_, Host>,
        line: &mut Option<String>,
    ) -> Option<PauseReason> {
        let shared = &self.0;
        let mut state = shared.state();
        let count = shared.count.load(Ordering::Relaxed);
        let counting = match state.travel.as_mut().map(|t| t.step(count)) {
            Some(Err(pause)) => return pause,
            Some(Ok(())) => true,
            None => false,
        };
        match state.travel.as_ref().map(|t| t.mode) {
            Some(Travel::Scan(end)) => return self.scan(store, state, count, end),
            Some(Travel::Locate(anchor)) => return self.locate(store, state, count, anchor),
            Some(Travel::ScanWrites { range, end }) => {
                return self.scan_writes(store, state, count, range, end);
            }
            _ => {}
        }
        drop(state);
        let frame = store.debug_exit_frames().next()?;
        let (module, map, func_index, offset) = frame_place(store, &frame, &shared.maps)?;
        let mut state = shared.state();
        let mut pause = None;
        match state.stepping {
            Stepping::Instruction => {
                state.stepping = Stepping::None;
                if !counting && let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
                    let _ = edit.single_step(false);
                }
                pause = Some(PauseReason::Step);
            }
            Stepping::Out {
                depth: from,
                target,
                temporary,
            } if offset == target => {
                drop(state);
                let now = depth(store);
                state = shared.state();
                if now < from {
                    state.stepping = Stepping::None;
                    if temporary
                        && !counting
                        && let Some(mut edit) = store.as_context_mut().edit_breakpoints()
                    {
                        let _ = edit.remove_breakpoint(&module, ModulePC::new(target as u32));
                    }
                    pause = Some(PauseReason::StepOut);
                }
            }
            _ => {}
        }
        let Some(&index) = state.by_offset.get(&offset) else {
            return pause;
        };
        let detached = shared.debug().detached.load(Ordering::SeqCst);
        let record = &mut state.breaks[index];
        record.hits += 1;
        match record.breakpoint.action {
            BreakAction::Pause if !detached => {
                // A step that ends elsewhere is overtaken by the breakpoint.
                state.stepping = Stepping::None;
                pause.or(Some(PauseReason::Breakpoint))
            }
            BreakAction::Pause => pause,
            BreakAction::Operands => {
                let count = frame
                    .num_stacks(&mut *store)
                    .unwrap_or(0)
                    .min(MAX_VALUES as u32);
                record.last = (0..count)
                    .filter_map(|i| frame.stack(&mut *store, i).ok())
                    .collect();
                record.last_func = func_index;
                pause
            }
            BreakAction::Log => {
                let hits = record.hits;
                // The last hit's values are kept raw: formatting every one of a million hits
                // would cost more than the hit.
                let count = frame
                    .num_locals(&mut *store)
                    .unwrap_or(0)
                    .min(MAX_VALUES as u32);
                record.last = (0..count)
                    .filter_map(|i| frame.local(&mut *store, i).ok())
                    .collect();
                record.last_func = func_index;
                let at = record.breakpoint.at.clone();
                let first = hits == 1;
                let print = state.printed < MAX_LOG_LINES;
                if !first && !print {
                    return pause;
                }
                let values = frame_state(store, &frame, &map, func_index).locals;
                let record = &mut state.breaks[index];
                if first {
                    record.first = values.clone();
                }
                if print {
                    record.printed += 1;
                    state.printed += 1;
                    let line_out = &mut *line;
                    let mut line = format!("break {at} hit {hits}:");
                    let shown =
                        logpoint_values(store, &frame, &module, offset, &shared.maps, &values);
                    for value in &shown {
                        if line.len() > 2_000 {
                            line.push_str(" …");
                            break;
                        }
                        line.push(' ');
                        line.push_str(value);
                    }
                    if state.printed == MAX_LOG_LINES {
                        line.push_str(&format!(
                            "\n(further hits are counted, not printed: {MAX_LOG_LINES} lines \
                             shown)"
                        ));
                    }
                    *line_out = Some(line);
                }
                pause
            }
        }
    }

    /// Pauses: tells the face, then waits for a command that resumes.
    async fn pause(&self, mut store: StoreContextMut<'_, Host>, reason: PauseReason) {
        let shared = &self.0;
        let debug = shared.debug();
        if debug.detached.load(Ordering::SeqCst) {
            return;
        }
        let paused_total = debug.begin_pause();
        let mut state = paused_state(
            &mut store,
            &shared.maps,
            shared.has_dwarf,
            reason,
            paused_total,
        );
        state.moment = shared
            .counting
            .then(|| shared.count.load(Ordering::Relaxed));
        state.anchor = self.anchor_at(&state, reason);
        // Stopped while paused, the run ends here: say so as a stop elsewhere would.
        store.data_mut().watch.paused_at(Some(state.frames.clone()));
        // What the guest printed before this moment reaches the face before the pause does.
        shared.control.tick();
        send_event(&shared.events, RunEvent::Paused(Box::new(state))).await;
        loop {
            let command = {
                let mut receiver = debug.receiver.lock().await;
                receiver.recv().await
            };
            match command {
                None | Some(DebugCommand::Continue) => {
                    self.resume_free(&mut store);
                    break;
                }
                Some(DebugCommand::Pause) => {}
                Some(DebugCommand::StepInstruction) => {
                    shared.state().stepping = Stepping::Instruction;
                    if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
                        let _ = edit.single_step(true);
                    }
                    break;
                }
                Some(DebugCommand::StepOut) => {
                    self.start_step_out(&mut store);
                    break;
                }
                Some(DebugCommand::StepOver) => {
                    self.start_step_over(&mut store);
                    break;
                }
                Some(DebugCommand::SetBreakpoint {
                    module_offset,
                    enabled,
                }) => self.edit_breakpoint(&mut store, module_offset, enabled),
            }
            if debug.detached.load(Ordering::SeqCst) {
                break;
            }
        }
        store.data_mut().watch.paused_at(None);
        debug.pause_requested.store(false, Ordering::SeqCst);
        debug.end_pause();
        send_event(&shared.events, RunEvent::Resumed).await;
    }

    /// How a replay of this live run's recording can find this pause: a pause at a breakpoint
    /// set since the start, or a step after one. `None` in a time-travel replay (it knows
    /// its moment) and for pauses that cannot be found again (Pause, Step out).
    fn anchor_at(&self, paused: &PausedState, reason: PauseReason) -> Option<Anchor> {
        let shared = &self.0;
        let mut state = shared.state();
        let anchor = if shared.counting {
            None
        } else {
            match reason {
                PauseReason::Breakpoint => {
                    let offset = paused.current()?.module_offset?;
                    let record = &state.breaks[*state.by_offset.get(&offset)?];
                    record.from_start.then_some(Anchor {
                        offset,
                        nth: record.hits,
                        steps: 0,
                    })
                }
                PauseReason::Step => state.anchor.map(|a| Anchor {
                    steps: a.steps + 1,
                    ..a
                }),
                PauseReason::StepOut | PauseReason::Requested => None,
            }
        };
        state.anchor = anchor;
        anchor
    }

    /// Step out: a breakpoint where the caller resumes, taken only with fewer frames.
    fn start_step_out(&self, store: &mut StoreContextMut<'_, Host>) {
        let shared = &self.0;
        let from = depth(store);
        let current = store.debug_exit_frames().next();
        let caller = current.and_then(|frame| frame.parent(&mut *store).ok().flatten());
        let Some(caller) = caller else {
            // The outermost frame: stepping out is running on.
            return;
        };
        let Some((module, map, _, call_offset)) = frame_place(store, &caller, &shared.maps) else {
            return;
        };
        let Some(wasm) = module.debug_bytecode() else {
            return;
        };
        let Some((_, target)) = call_site(&map, wasm, call_offset) else {
            return;
        };
        self.run_to(store, &module, from, target);
    }

    /// Step over: at a call, run until it returns to the next instruction of this frame;
    /// anywhere else, one instruction.
    fn start_step_over(&self, store: &mut StoreContextMut<'_, Host>) {
        let shared = &self.0;
        let current = store.debug_exit_frames().next();
        let at_call = current.and_then(|frame| {
            let (module, map, _, offset) = frame_place(store, &frame, &shared.maps)?;
            let (call, next) = call_site(&map, module.debug_bytecode()?, offset)?;
            (call == offset).then_some((module, next))
        });
        match at_call {
            Some((module, next)) => {
                let from = depth(store) + 1;
                self.run_to(store, &module, from, next);
            }
            None => {
                shared.state().stepping = Stepping::Instruction;
                if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
                    let _ = edit.single_step(true);
                }
            }
        }
    }

    /// Runs until `target` with fewer than `from` frames (a breakpoint there for the while).
    fn run_to(
        &self,
        store: &mut StoreContextMut<'_, Host>,
        module: &Module,
        from: usize,
        target: usize,
    ) {
        let mut state = self.0.state();
        let temporary = !state.by_offset.contains_key(&target);
        state.stepping = Stepping::Out {
            depth: from,
            target,
            temporary,
        };
        // A time-travel replay steps through every instruction: no breakpoint to set.
        let counting = state.travel.is_some();
        drop(state);
        if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
            if counting {
                // A clocked replay running free steps again to find it.
                let _ = edit.single_step(true);
            } else if temporary {
                let _ = edit.add_breakpoint(module, ModulePC::new(target as u32));
            }
        }
    }

    fn edit_breakpoint(
        &self,
        store: &mut StoreContextMut<'_, Host>,
        module_offset: usize,
        enabled: bool,
    ) {
        let shared = &self.0;
        let mut state = shared.state();
        let Some(module) = state.module.clone() else {
            return;
        };
        let Some(wasm) = module.debug_bytecode() else {
            return;
        };
        let map = shared.maps.of(&module);
        let Ok(breakpoint) = resolve_in(
            &map,
            wasm,
            &format!("@{module_offset:#x}"),
            BreakAction::Pause,
        ) else {
            return;
        };
        let offset = breakpoint.module_offset;
        let existing = state.by_offset.get(&offset).copied();
        let pc = ModulePC::new(offset as u32);
        // A time-travel replay steps through every instruction and looks each one up: setting
        // wasmtime's breakpoints too could change what is counted.
        let counting = state.travel.is_some();
        match (enabled, existing) {
            (true, None) => {
                let index = state.breaks.len();
                state.breaks.push(BreakRecord::new(breakpoint, false));
                state.by_offset.insert(offset, index);
                drop(state);
                if let Some(mut edit) = store.as_context_mut().edit_breakpoints() {
                    // A clocked replay running free steps again to look for it.
                    let _ = if counting {
                        edit.single_step(true)
                    } else {
                        edit.add_breakpoint(&module, pc)
                    };
                }
            }
            (false, Some(_)) => {
                state.by_offset.remove(&offset);
                let step_target =
                    matches!(state.stepping, Stepping::Out { target, .. } if target == offset);
                drop(state);
                if !step_target
                    && !counting
                    && let Some(mut edit) = store.as_context_mut().edit_breakpoints()
                {
                    let _ = edit.remove_breakpoint(&module, pc);
                }
            }
            _ => {}
        }
    }

    /// Commands that arrived while the guest ran (breakpoint edits), applied at an epoch yield.
    fn apply_running_commands(&self, store: &mut StoreContextMut<'_, Host>) {
        let debug = self.0.debug();
        let Ok(mut receiver) = debug.receiver.try_lock() else {
            return;
        };
        let mut edits = Vec::new();
        while let Ok(command) = receiver.try_recv() {
            if let DebugCommand::SetBreakpoint {
                module_offset,
                enabled,
            } = command
            {
                edits.push((module_offset, enabled));
            }
        }
        drop(receiver);
        for (module_offset, enabled) in edits {
            self.edit_breakpoint(store, module_offset, enabled);
        }
    }
}

impl DebugHandler for Handler {
    type Data = Host;

    fn handle(
        &self,
        mut store: StoreContextMut<'_, Host>,
        event: DebugEvent<'_>,
    ) -> impl Future<Output = ()> + Send {
        // Everything that reads frames happens here, before any await: frame handles must not
        // live across a suspension.
        let mut line = None;
        let mut epoch_yield = false;
        let pause = match event {
            DebugEvent::Trap(trap) => {
                self.on_trap(&mut store);
                self.on_trap_count(&store, trap == wasmtime::Trap::UnreachableCodeReached);
                None
            }
            DebugEvent::HostcallError(_) => {
                self.on_trap(&mut store);
                self.on_trap_count(&store, true);
                None
            }
            // A time-travel replay's quiet stretch: only counted, at the least cost.
            DebugEvent::Breakpoint if self.quiet(&mut store) => None,
            DebugEvent::Breakpoint => self.on_breakpoint(&mut store, &mut line),
            DebugEvent::EpochYield => {
                epoch_yield = true;
                let tick = self.on_tick(&mut store);
                let debug = self.0.debug();
                if debug.sender.capacity() < debug.sender.max_capacity() {
                    self.apply_running_commands(&mut store);
                }
                (self.may_pause(&store, tick)
                    && debug.pause_requested.swap(false, Ordering::SeqCst))
                .then_some(PauseReason::Requested)
            }
            DebugEvent::Exception(_) => None,
        };
        // A clocked replay's executor tells the clock's yields from the epoch's and the
        // handler's waits by these.
        let clock = self.0.clock.as_ref().map(|c| Arc::clone(&c.clock));
        let epoch_done = epoch_yield.then(|| clock.clone()).flatten();
        let handler = (line.is_some() || pause.is_some()).then(|| self.clone());
        // wasmtime boxes and moves this future at every event (every instruction, when a
        // replay counts them): the waiting is boxed apart, so what moves stays small.
        async move {
            let Some(handler) = handler else {
                if let Some(clock) = epoch_done {
                    clock.epoch_yield_done();
                }
                return;
            };
            Box::pin(async move {
                let busy = clock
                    .as_deref()
                    .map(crate::engine::sandbox::clock::Clock::busy);
                // At most MAX_LOG_LINES lines ever wait here; later hits are only counted.
                if let Some(line) = line {
                    send_event(&handler.0.events, RunEvent::Logpoint(LogHit { line })).await;
                }
                if let Some(reason) = pause {
                    handler.pause(store, reason).await;
                }
                drop(busy);
                if let Some(clock) = epoch_done {
                    clock.epoch_yield_done();
                }
            })
            .await;
        }
    }
}

impl Debugger {
    /// Why the run's breakpoints cannot be honoured, checked before anything is compiled:
    /// breakpoints without debug mode, or breakpoints in a component.
    pub(crate) fn refusal(
        policy: &SandboxPolicy,
        wasm: &[u8],
        control: &RunControl,
    ) -> Option<&'static str> {
        if !control.debug().has_breakpoints() {
            None
        } else if !policy.debug {
            Some("breakpoints need debug mode: switch Debug on (or run with --debug)")
        } else if wasmparser::Parser::is_component(wasm) {
            Some(COMPONENT_BREAKPOINTS)
        } else {
            None
        }
    }

    /// Installs the debug handler on a debug-mode store. Breakpoints (from the run's control)
    /// are set in `module`; `None` for a component, which gets the state at a trap only.
    pub(crate) fn install(
        store: &mut Store<Host>,
        module: Option<&Module>,
        control: &Arc<RunControl>,
        events: &Sender<RunEvent>,
        travel: Option<Travel>,
    ) -> wasmtime::Result<Self> {
        let breakpoints = control.debug().breakpoints();
        if module.is_none() && !breakpoints.is_empty() {
            wasmtime::bail!(COMPONENT_BREAKPOINTS);
        }
        let mut by_offset = HashMap::new();
        let mut breaks = Vec::new();
        for breakpoint in breakpoints {
            if by_offset.contains_key(&breakpoint.module_offset) {
                continue;
            }
            by_offset.insert(breakpoint.module_offset, breaks.len());
            breaks.push(BreakRecord::new(breakpoint, true));
        }
        let wasm = module.and_then(Module::debug_bytecode);
        let has_dwarf = wasm.is_some_and(has_dwarf_sections);
        let shared = Arc::new(Shared {
            control: Arc::clone(control),
            events: events.clone(),
            maps: Maps::default(),
            state: Mutex::new(HandlerState {
                breaks,
                by_offset,
                printed: 0,
                stepping: Stepping::None,
                trap: None,
                module: module.cloned(),
                travel: travel.map(|mode| Counting::new(mode, wasm, control.hits_to_stop_after())),
                anchor: None,
            }),
            has_dwarf,
            counting: travel.is_some(),
            // -1: nothing begun (see `Handler::quiet`).
            count: Arc::new(AtomicU64::new(u64::MAX)),
            quiet_until: AtomicU64::new(match travel {
                Some(Travel::To(n) | Travel::AtBreak(n)) => n,
                _ => 0,
            }),
            starts: wasm.filter(|_| travel.is_some()).map(FunctionStarts::of),
            clock: travel
                .zip(store.data().clock.clone())
                .map(|(travel, clock)| TravelClock::new(clock, travel, control.trap_place_hint())),
        });
        if travel.is_some() {
            // Each WASI call keeps the moment it was made at (the timeline's ticks).
            if let Some(calls) = store.data_mut().calls.as_mut() {
                calls.moments = Some(Arc::clone(&shared.count));
            }
            // Every instruction is a step event, counted; breakpoints are looked up at each. A
            // clocked replay steps only near its moment.
            let steps = shared
                .clock
                .as_ref()
                .is_none_or(TravelClock::steps_from_start);
            if steps && let Some(mut edit) = store.edit_breakpoints() {
                edit.single_step(true)
                    .map_err(|e| e.context("cannot step through the replay"))?;
            } else if let (Some(Travel::Scan(_) | Travel::Locate(_)), Some(module)) =
                (travel, module)
            {
                // A search running free: its hits are wasmtime's.
                add_breakpoints(store, module, shared.state().searched())?;
            }
        } else if let Some(module) = module {
            let offsets: Vec<usize> = shared.state().by_offset.keys().copied().collect();
            add_breakpoints(store, module, offsets)?;
        }
        store.set_debug_handler(Handler(Arc::clone(&shared)));
        Ok(Self { shared })
    }

    /// Puts what debug mode saw into the outcome (the state at a trap) and the report
    /// (logpoint hits).
    pub(crate) fn finish(
        self,
        store: &Store<Host>,
        outcome: &mut RunOutcome,
        report: &mut RunReport,
    ) {
        if let Some(travel) = &self.shared.clock {
            settle(travel, &self.shared.count, store);
        }
        let mut state = self.shared.state();
        if let (Some(travel), Some(replay)) = (&state.travel, report.replay.as_mut()) {
            // Still -1 when nothing ran.
            let count = self.shared.count.load(Ordering::Relaxed);
            replay.instructions = Some(if count == u64::MAX { 0 } else { count });
            replay.clock_retry = (self.shared.clock.as_ref()).and_then(|c| match travel.mode {
                Travel::Scan(_) => c.retry_search(travel.last_break, None),
                Travel::Locate(a) if !c.placing() => c.retry_search(travel.located, Some(a.nth)),
                mode => c.retry(mode, count),
            });
            replay.last_break_before = travel.last_break;
            replay.located = travel.located;
            replay.last_write_at = travel.last_write;
        }
        report.breaks = state
            .breaks
            .iter()
            .filter(|record| record.breakpoint.action != BreakAction::Operands)
            .map(|record| {
                let map = state
                    .module
                    .as_ref()
                    .map(|m| self.shared.maps.of(m))
                    .unwrap_or_default();
                BreakReport {
                    at: record.breakpoint.at.clone(),
                    module_offset: record.breakpoint.module_offset,
                    hits: record.hits,
                    printed: record.printed,
                    first: record.first.clone(),
                    last: record
                        .last
                        .iter()
                        .enumerate()
                        .map(|(i, value)| DebugValue {
                            index: i as u32,
                            name: map
                                .local_name(record.last_func, i as u32)
                                .map(str::to_owned),
                            ty: wasm_type_text(value).to_owned(),
                            value: wasm_value_text(value),
                        })
                        .collect(),
                }
            })
            .collect();
        let RunOutcome::Trapped { trap } = outcome else {
            return;
        };
        let Some(capture) = state.trap.take() else {
            return;
        };
        attach(trap, capture);
        // The operand stack as the trapping instruction started, if it was watched: what the
        // instruction took is what is gone from the stack at the trap.
        let watched = state.breaks.iter().find(|record| {
            record.breakpoint.action == BreakAction::Operands
                && record.hits > 0
                && trap.frames.first().and_then(|f| f.module_offset)
                    == Some(record.breakpoint.module_offset)
        });
        if let Some(record) = watched
            && let Some(frame_state) = trap.frames.first_mut().and_then(|f| f.state.as_mut())
        {
            let left = frame_state.stack.len();
            frame_state.operands = record
                .last
                .iter()
                .enumerate()
                .skip(if left <= record.last.len() { left } else { 0 })
                .map(|(i, value)| DebugValue {
                    index: i as u32,
                    name: None,
                    ty: wasm_type_text(value).to_owned(),
                    value: wasm_value_text(value),
                })
                .collect();
        }
    }
}
