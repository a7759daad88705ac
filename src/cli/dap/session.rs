//! One debugging session: the client's requests, the replay in progress and its events.
//!
//! Every stop comes from a time-travel replay (see [`Travel`]), so each knows its moment:
//! Step back and Reverse continue start a new replay that pauses at an earlier one. A replay
//! repeats the guest's output up to its moment; the client is sent each byte once.

use std::collections::BTreeSet;
use std::sync::Arc;

use crossbeam_channel::{Receiver, select};
use serde_json::{Value, json};

use super::capabilities::{ALL_TRAPS, TRAP_FILTERS, capabilities, trap_filter};
use super::evaluate;
use super::launch::{LaunchArgs, Launched};
use super::protocol::{Incoming, Request, Writer};
use super::views;
use crate::engine::debug::{Breakpoint, DebugCommand, PauseReason, PausedState};
use crate::engine::policy::Travel;
use crate::engine::record::recording::Recording;
use crate::engine::{RunEvent, RunOutcome, RunReport, StdStream, TrapInfo, TrapKind};
use crate::runner::{self, RunHandle};

/// Breakpoints by where the client set them; the run gets their union.
#[derive(Default)]
struct Breaks {
    /// By source file (the client's path), from `setBreakpoints`.
    sources: std::collections::BTreeMap<String, Vec<Breakpoint>>,
    functions: Vec<Breakpoint>,
    instructions: Vec<Breakpoint>,
}

impl Breaks {
    fn all(&self) -> Vec<Breakpoint> {
        let mut seen = BTreeSet::new();
        self.sources
            .values()
            .flatten()
            .chain(&self.functions)
            .chain(&self.instructions)
            .filter(|b| seen.insert(b.module_offset))
            .cloned()
            .collect()
    }

    fn offsets(&self) -> BTreeSet<usize> {
        self.all().iter().map(|b| b.module_offset).collect()
    }

    /// The stopped event's reason for a breakpoint at `offset`.
    fn reason(&self, offset: Option<usize>) -> &'static str {
        let is = |list: &[Breakpoint]| list.iter().any(|b| Some(b.module_offset) == offset);
        if is(&self.functions) {
            "function breakpoint"
        } else if is(&self.instructions) {
            "instruction breakpoint"
        } else {
            "breakpoint"
        }
    }
}

/// A step by source line in progress: instruction steps repeat, unseen by the client, until
/// the guest reaches another line (or a breakpoint, or the end).
struct LineStep {
    /// The instruction step repeated: over calls (`next`) or into them (`stepIn`).
    command: DebugCommand,
    /// The line it started on.
    from: (String, u32),
    /// Instruction steps taken so far.
    steps: u32,
}

/// The most instruction steps one line step takes before it stops anyway (a line that loops
/// on itself, such as `while (busy);`).
const MAX_LINE_STEPS: u32 = 100_000;

/// The progress the client is shown while the first run is recorded.
const RECORDING_PROGRESS: &str = "wasmscope-recording";

/// How a request was handled: go on, or end the adapter.
#[derive(PartialEq, Eq)]
enum Flow {
    Go,
    End,
}

/// The session's state.
pub struct Session {
    out: Writer,
    target: Option<views::Target>,
    stop_on_entry: bool,
    /// The first run of a module, being recorded.
    recording_run: Option<RunHandle>,
    recording: Option<Arc<Recording>>,
    configured: bool,
    /// The replay in progress.
    run: Option<RunHandle>,
    paused: Option<Box<PausedState>>,
    /// Why the next pause is reported, when the adapter chose where it stops.
    next_reason: Option<&'static str>,
    /// The trap stopped at, and its moment.
    exception: Option<(u64, TrapInfo)>,
    /// What the guest said before it trapped (a panic, an assert), when it said it.
    last_words: Option<crate::engine::last_words::LastWords>,
    /// Output bytes the client was sent, and this replay's so far, by stream.
    shown: [u64; 2],
    replayed: [u64; 2],
    breaks: Breaks,
    /// The guest's run is over (`exited` and `terminated` sent).
    over: bool,
    /// The exception filters the client chose (`setExceptionBreakpoints`): the traps that
    /// stop the session. Every trap until the client says.
    trap_filters: Vec<String>,
    /// The step by line in progress, when there is one.
    line_step: Option<LineStep>,
    /// The launch's arguments, for `restart`, and its program.
    launched: Option<Value>,
    /// The client shows progress (`supportsProgressReporting`).
    progress: bool,
    program: String,
}

impl Session {
    /// A session writing to `out`.
    pub fn new(out: Writer) -> Self {
        Self {
            out,
            target: None,
            stop_on_entry: false,
            recording_run: None,
            recording: None,
            configured: false,
            run: None,
            paused: None,
            next_reason: None,
            exception: None,
            last_words: None,
            shown: [0; 2],
            replayed: [0; 2],
            breaks: Breaks::default(),
            over: false,
            trap_filters: vec![ALL_TRAPS.to_owned()],
            line_step: None,
            launched: None,
            progress: false,
            program: String::new(),
        }
    }

    /// Serves until the client disconnects or its input ends; ends any run.
    pub fn serve(&mut self, requests: &Receiver<Incoming>) {
        loop {
            let never = crossbeam_channel::never();
            let run_events = self
                .run
                .as_ref()
                .map_or(never.clone(), |r| r.events.clone());
            let recording_events = self
                .recording_run
                .as_ref()
                .map_or(never, |r| r.events.clone());
            let flow = select! {
                recv(requests) -> incoming => match incoming {
                    Ok(incoming) => self.incoming(incoming),
                    // The client closed its end: nobody is listening.
                    Err(_) => Flow::End,
                },
                recv(run_events) -> event => {
                    match event {
                        Ok(event) => self.run_event(event),
                        Err(_) => self.run = None,
                    }
                    Flow::Go
                },
                recv(recording_events) -> event => {
                    match event {
                        Ok(RunEvent::Finished(report)) => self.recorded(*report),
                        Ok(_) => {}
                        Err(_) => self.recording_run = None,
                    }
                    Flow::Go
                },
            };
            if flow == Flow::End {
                break;
            }
        }
        for run in [self.run.take(), self.recording_run.take()]
            .into_iter()
            .flatten()
        {
            run.cancel();
        }
    }

    fn incoming(&mut self, incoming: Incoming) -> Flow {
        let message = match incoming {
            Incoming::Message(message) => message,
            Incoming::Malformed(why) => {
                // Not a request, so nothing to respond to (a response names a request's
                // sequence number): the client's user is told.
                let text = format!("wasmscope: ignored a malformed message: {why}\n");
                self.out
                    .event("output", json!({ "category": "important", "output": text }));
                return Flow::Go;
            }
        };
        match Request::from_message(&message) {
            Ok(request) => self.request(&request),
            Err(why) => {
                match message
                    .get("seq")
                    .and_then(Value::as_i64)
                    .filter(|s| *s >= 1)
                {
                    Some(seq) => self.out.fail(seq, "", &format!("malformed message: {why}")),
                    None => {
                        let text = format!("wasmscope: ignored a malformed message: {why}\n");
                        self.out
                            .event("output", json!({ "category": "important", "output": text }));
                    }
                }
                Flow::Go
            }
        }
    }

    fn request(&mut self, request: &Request) -> Flow {
        let answer = match request.command.as_str() {
            "initialize" => {
                self.progress = request.arguments["supportsProgressReporting"] == true;
                Ok(capabilities())
            }
            "launch" => {
                match self.launch(&request.arguments) {
                    Ok(()) => {
                        // Respond first, then say the adapter takes configuration
                        // (breakpoints, resolved against the module it has now loaded).
                        self.out.respond(request, json!({}));
                        self.out.event("initialized", json!({}));
                    }
                    Err(message) => self.out.fail(request.seq, &request.command, &message),
                }
                return Flow::Go;
            }
            "setBreakpoints" => self.set_source_breakpoints(&request.arguments),
            "setFunctionBreakpoints" => self.set_function_breakpoints(&request.arguments),
            "setInstructionBreakpoints" => self.set_instruction_breakpoints(&request.arguments),
            "setExceptionBreakpoints" => self.set_exception_breakpoints(&request.arguments),
            "evaluate" => self
                .paused()
                .map_err(|_| {
                    "the guest is not stopped: evaluate reads a stop (pause, or set a \
                     breakpoint)"
                        .to_owned()
                })
                .and_then(|p| evaluate::evaluate(p, &request.arguments)),
            "configurationDone" => {
                self.configured = true;
                self.out.respond(request, json!({}));
                self.begin();
                return Flow::Go;
            }
            "threads" => Ok(json!({ "threads": [{ "id": 1, "name": "guest" }] })),
            "stackTrace" => self
                .paused()
                .map(|p| views::stack_trace(p, self.target.as_ref())),
            "scopes" => self
                .paused()
                .and_then(|p| views::scopes(p, &request.arguments)),
            "variables" => self
                .paused()
                .and_then(|p| views::variables(p, &request.arguments)),
            "readMemory" => self
                .paused()
                .and_then(|p| views::read_memory(p, &request.arguments)),
            "disassemble" => match &self.target {
                Some(target) => target.disassemble(&request.arguments),
                None => Err("nothing is launched yet".to_owned()),
            },
            "exceptionInfo" => match &self.exception {
                Some((_, trap)) if self.paused.is_some() => {
                    Ok(views::exception_info(trap, self.last_words.as_ref()))
                }
                _ => Err("not stopped at a trap".to_owned()),
            },
            "continue" => self
                .command(DebugCommand::Continue)
                .map(|()| json!({ "allThreadsContinued": true })),
            "next" => self
                .step(DebugCommand::StepOver, &request.arguments)
                .map(|()| json!({})),
            "stepIn" => self
                .step(DebugCommand::StepInstruction, &request.arguments)
                .map(|()| json!({})),
            "stepOut" => self.command(DebugCommand::StepOut).map(|()| json!({})),
            "pause" => self.pause(),
            "stepBack" => self.step_back(false),
            "reverseContinue" => self.step_back(true),
            "modules" => match &self.target {
                Some(target) => Ok(target.modules(&self.program)),
                None => Err("nothing is launched yet".to_owned()),
            },
            "loadedSources" => match &self.target {
                Some(target) => Ok(target.loaded_sources()),
                None => Err("nothing is launched yet".to_owned()),
            },
            "restart" => self.restart(),
            "disconnect" | "terminate" => {
                for run in [self.run.take(), self.recording_run.take()]
                    .into_iter()
                    .flatten()
                {
                    run.cancel();
                }
                self.out.respond(request, json!({}));
                if request.command == "terminate" && !self.over {
                    self.over = true;
                    self.out.event("terminated", json!({}));
                    return Flow::Go;
                }
                return Flow::End;
            }
            other => Err(format!("unknown request `{other}`")),
        };
        match answer {
            Ok(body) => self.out.respond(request, body),
            Err(message) => self.out.fail(request.seq, &request.command, &message),
        }
        Flow::Go
    }

    fn paused(&self) -> Result<&PausedState, String> {
        self.paused
            .as_deref()
            .ok_or_else(|| "the guest is not stopped".to_owned())
    }

    /// `restart`: the same launch again from the start (recorded again, for a module), with
    /// the breakpoints and filters the client set.
    fn restart(&mut self) -> Result<Value, String> {
        let arguments = self.launched.clone().ok_or("nothing is launched yet")?;
        for run in [self.run.take(), self.recording_run.take()]
            .into_iter()
            .flatten()
        {
            run.cancel();
        }
        self.target = None;
        self.recording = None;
        self.paused = None;
        self.exception = None;
        self.last_words = None;
        self.line_step = None;
        self.next_reason = None;
        self.shown = [0; 2];
        self.replayed = [0; 2];
        self.over = false;
        self.launch(&arguments)?;
        self.console("wasmscope: restarted\n");
        self.begin();
        Ok(json!({}))
    }

    fn launch(&mut self, arguments: &Value) -> Result<(), String> {
        if self.target.is_some() {
            return Err("this session has launched already".to_owned());
        }
        let args = LaunchArgs::parse(arguments)?;
        self.launched = Some(arguments.clone());
        self.program = args
            .program
            .as_deref()
            .map(std::path::Path::new)
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let launched = args.prepare()?;
        self.stop_on_entry = args.stop_on_entry;
        match launched {
            Launched::Recording(recording) => {
                if !args.args.is_empty() || !args.dirs.is_empty() || !args.env.is_empty() {
                    self.console(
                        "A recording runs as it was recorded: the launch's args, env and dirs \
                         are not used.\n",
                    );
                }
                self.target = Some(views::Target::new(&recording.module));
                self.recording = Some(recording);
            }
            Launched::Module(run) => {
                self.target = Some(views::Target::new(&run.wasm));
                // Nothing crosses from the host into a module without WASI imports: every run
                // of it is the same, so it is debugged at once, with nothing to record first
                // (a pure compute loop can be paused from its start).
                if let Some(recording) = Recording::of_a_module_without_wasi(
                    &run.name,
                    &run.wasm,
                    &run.policy,
                    &run.invocation,
                ) {
                    self.recording = Some(Arc::new(recording));
                    return Ok(());
                }
                self.recording_run =
                    Some(runner::spawn(*run, None).map_err(|e| format!("cannot start: {e}"))?);
                if self.progress {
                    self.out.event(
                        "progressStart",
                        json!({
                            "progressId": RECORDING_PROGRESS,
                            "title": "Recording the run",
                            "message": "the module runs once, at full speed, in the sandbox; \
                                        then it is debugged from its recording",
                        }),
                    );
                }
            }
        }
        Ok(())
    }

    /// The first run of a module ended: its recording is what the session debugs.
    fn recorded(&mut self, report: RunReport) {
        self.recording_run = None;
        if self.progress {
            let message = format!("recorded: it {}", report.outcome.summary());
            self.out.event(
                "progressEnd",
                json!({ "progressId": RECORDING_PROGRESS, "message": message }),
            );
        }
        match report
            .recording
            .as_ref()
            .map(|bytes| Recording::parse(bytes))
        {
            Some(Ok(recording)) => {
                self.recording = Some(Arc::new(recording));
                self.begin();
            }
            Some(Err(e)) => self.end_with(&format!("the run's recording cannot be read: {e}"), 1),
            None => {
                let why = report
                    .recording_note
                    .clone()
                    .unwrap_or_else(|| report.outcome.summary());
                self.end_with(&format!("nothing to debug: {why}"), 1);
            }
        }
    }

    /// Starts debugging once the client is configured and the recording is there.
    fn begin(&mut self) {
        if !self.configured || self.recording.is_none() || self.run.is_some() || self.over {
            return;
        }
        if self.stop_on_entry {
            self.next_reason = Some("entry");
            self.travel(Travel::To(1));
        } else {
            self.travel(Travel::Count);
        }
    }

    /// Ends any replay and starts one heading for `travel`.
    fn travel(&mut self, travel: Travel) {
        let Some(recording) = &self.recording else {
            return;
        };
        if let Some(run) = self.run.take() {
            run.cancel();
        }
        self.paused = None;
        self.replayed = [0; 2];
        let request = recording.travel_request(travel);
        match runner::spawn_with_breakpoints(request, self.breaks.all(), None) {
            Ok(run) => self.run = Some(run),
            Err(e) => self.end_with(&format!("cannot start the replay: {e}"), 1),
        }
    }

    fn command(&mut self, command: DebugCommand) -> Result<(), String> {
        let run = self.run.as_ref().ok_or("the guest is not running")?;
        if self.paused.is_none() {
            return Err("the guest is not stopped".to_owned());
        }
        self.paused = None;
        run.debug(command);
        Ok(())
    }

    /// `next` or `stepIn`: by source line (the editor's default) when the module has a line
    /// table and the stop is on a line; by instruction with `granularity: "instruction"`.
    fn step(&mut self, command: DebugCommand, arguments: &Value) -> Result<(), String> {
        let by_instruction = arguments["granularity"].as_str() == Some("instruction");
        let line = self
            .paused
            .as_ref()
            .and_then(|p| p.current()?.module_offset)
            .and_then(|offset| self.target.as_ref()?.line_of(offset));
        self.line_step = match line {
            Some(from) if !by_instruction => Some(LineStep {
                command,
                from,
                steps: 0,
            }),
            _ => None,
        };
        self.command(command)
    }

    /// At a pause during a line step: whether to take another instruction step, unseen.
    fn steps_on(&mut self, state: &PausedState) -> bool {
        let Some(step) = &mut self.line_step else {
            return false;
        };
        let line = state
            .current()
            .and_then(|f| f.module_offset)
            .and_then(|offset| self.target.as_ref()?.line_of(offset));
        let same_line = line.as_ref().is_none_or(|line| *line == step.from);
        if state.reason == PauseReason::Step && same_line && step.steps < MAX_LINE_STEPS {
            step.steps += 1;
            return true;
        }
        self.line_step = None;
        false
    }

    fn pause(&mut self) -> Result<Value, String> {
        let run = self.run.as_ref().ok_or("the guest is not running")?;
        if self.paused.is_none() {
            run.debug(DebugCommand::Pause);
        }
        Ok(json!({}))
    }

    fn step_back(&mut self, reverse: bool) -> Result<Value, String> {
        let paused = self.paused()?;
        let moment = paused.moment.ok_or("this stop does not know its moment")?;
        // Back before the trap, the story is the same: going forward again stops at it again.
        self.exception = None;
        if reverse {
            self.travel(Travel::LastBreakBefore(moment));
        } else if moment <= 1 {
            return Err("this is the run's first instruction: nothing is before it".to_owned());
        } else {
            self.travel(Travel::To(moment - 1));
        }
        Ok(json!({}))
    }

    fn run_event(&mut self, event: RunEvent) {
        match event {
            RunEvent::Output { stream, bytes } => self.output(stream, &bytes),
            RunEvent::Logpoint(hit) => self.console(&format!("{}\n", hit.line)),
            RunEvent::Paused(state) => {
                if self.steps_on(&state)
                    && let (Some(run), Some(step)) = (&self.run, &self.line_step)
                {
                    run.debug(step.command);
                    return;
                }
                let at = state.current().and_then(|f| f.module_offset);
                let reason = self.next_reason.take().unwrap_or(match state.reason {
                    PauseReason::Breakpoint => self.breaks.reason(at),
                    PauseReason::Step | PauseReason::StepOut => "step",
                    PauseReason::Requested => "pause",
                });
                let mut body = json!({
                    "reason": reason,
                    "threadId": 1,
                    "allThreadsStopped": true,
                    "description": format!("Paused at {}", state.at),
                });
                if reason == "exception"
                    && let Some((_, trap)) = &self.exception
                {
                    match &self.last_words {
                        // The guest's own words lead: they say why it died.
                        Some(words) => {
                            body["description"] = json!(words.headline());
                            body["text"] = json!(format!(
                                "{}; then it trapped: {}",
                                words.sourced_headline(),
                                trap.message
                            ));
                        }
                        None => {
                            body["description"] = json!(format!("Trapped: {}", trap.message));
                            body["text"] = json!(trap.kind.explain());
                        }
                    }
                }
                if reason.ends_with("breakpoint")
                    && let Some(at) = at
                {
                    body["hitBreakpointIds"] = json!([at]);
                }
                self.paused = Some(state);
                self.out.event("stopped", body);
            }
            RunEvent::Resumed => self.paused = None,
            RunEvent::Finished(report) => self.finished(*report),
            _ => {}
        }
    }

    /// Guest output, each byte sent once however many replays repeat it.
    fn output(&mut self, stream: StdStream, bytes: &[u8]) {
        let i = usize::from(stream == StdStream::Stderr);
        self.replayed[i] += bytes.len() as u64;
        let new = self.replayed[i].saturating_sub(self.shown[i]);
        if new == 0 {
            return;
        }
        let skip = bytes.len() - (new as usize).min(bytes.len());
        self.shown[i] = self.replayed[i];
        let text = String::from_utf8_lossy(&bytes[skip..]);
        let category = if i == 0 { "stdout" } else { "stderr" };
        self.out
            .event("output", json!({ "category": category, "output": text }));
    }

    fn console(&mut self, text: &str) {
        self.out
            .event("output", json!({ "category": "console", "output": text }));
    }

    fn set_exception_breakpoints(&mut self, arguments: &Value) -> Result<Value, String> {
        let filters: Vec<String> = arguments["filters"]
            .as_array()
            .ok_or("setExceptionBreakpoints needs `filters`")?
            .iter()
            .filter_map(|f| f.as_str().map(str::to_owned))
            .collect();
        if let Some(unknown) = filters.iter().find(|f| trap_filter(f).is_none()) {
            let known: Vec<&str> = TRAP_FILTERS.iter().map(|(id, ..)| *id).collect();
            return Err(format!(
                "unknown exception filter `{unknown}`: wasmscope has {}",
                known.join(", ")
            ));
        }
        let breakpoints: Vec<Value> = filters
            .iter()
            .map(|_| json!({ "verified": true }))
            .collect();
        self.trap_filters = filters;
        Ok(json!({ "breakpoints": breakpoints }))
    }

    /// Whether a trap of `kind` stops the session, by the client's filters.
    fn stops_at(&self, kind: TrapKind) -> bool {
        self.trap_filters
            .iter()
            .filter_map(|f| trap_filter(f))
            .any(|kinds| kinds.is_empty() || kinds.contains(&kind))
    }

    fn finished(&mut self, report: RunReport) {
        self.run = None;
        self.paused = None;
        let moment = report.replay.as_ref().and_then(|r| r.instructions);
        if let (RunOutcome::Trapped { trap }, Some(moment)) = (&report.outcome, moment)
            && moment > 0
            && self.stops_at(trap.kind)
            && self.exception.as_ref().map(|(m, _)| *m) != Some(moment)
        {
            // Stop at the trapping instruction, before it runs: its frames, locals and
            // operands, and Step back from there.
            self.exception = Some((moment, trap.clone()));
            self.last_words = report.last_words.clone();
            self.next_reason = Some("exception");
            self.travel(Travel::To(moment));
            return;
        }
        if report.outcome == RunOutcome::Cancelled {
            return;
        }
        let summary = report.outcome.summary();
        self.end_with(&summary, i64::from(report.outcome.exit_status()));
    }

    /// The guest's run is over: say how, then `exited` and `terminated`.
    fn end_with(&mut self, summary: &str, exit_code: i64) {
        if self.over {
            return;
        }
        self.over = true;
        self.console(&format!("wasmscope: {summary}\n"));
        self.out.event("exited", json!({ "exitCode": exit_code }));
        self.out.event("terminated", json!({}));
    }

    fn set_source_breakpoints(&mut self, arguments: &Value) -> Result<Value, String> {
        let target = self.target.as_ref().ok_or("launch first")?;
        let path = arguments["source"]["path"]
            .as_str()
            .ok_or("setBreakpoints needs `source.path`")?
            .to_owned();
        let lines: Vec<u32> = match arguments["breakpoints"].as_array() {
            Some(list) => list
                .iter()
                .map(|b| b["line"].as_u64().map(|l| l as u32))
                .collect::<Option<_>>()
                .ok_or("each breakpoint needs a `line`")?,
            None => arguments["lines"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|v| v.as_u64())
                        .map(|v| v as u32)
                        .collect()
                })
                .unwrap_or_default(),
        };
        let mut set = Vec::new();
        let mut answers = Vec::new();
        for line in lines {
            match target.line_breakpoint(&path, line) {
                Ok(breakpoint) => {
                    answers.push(json!({
                        "id": breakpoint.module_offset,
                        "verified": true,
                        "line": line,
                        "instructionReference": format!("{:#x}", breakpoint.module_offset),
                    }));
                    set.push(breakpoint);
                }
                Err(why) => {
                    answers.push(json!({ "verified": false, "line": line, "message": why }))
                }
            }
        }
        let before = self.breaks.offsets();
        self.breaks.sources.insert(path, set);
        self.sync(&before);
        Ok(json!({ "breakpoints": answers }))
    }

    fn set_function_breakpoints(&mut self, arguments: &Value) -> Result<Value, String> {
        let target = self.target.as_ref().ok_or("launch first")?;
        let names: Vec<&str> = arguments["breakpoints"]
            .as_array()
            .ok_or("setFunctionBreakpoints needs `breakpoints`")?
            .iter()
            .map(|b| b["name"].as_str())
            .collect::<Option<_>>()
            .ok_or("each function breakpoint needs a `name`")?;
        let (set, answers) = target.resolve_all(names.iter().copied());
        let before = self.breaks.offsets();
        self.breaks.functions = set;
        self.sync(&before);
        Ok(json!({ "breakpoints": answers }))
    }

    fn set_instruction_breakpoints(&mut self, arguments: &Value) -> Result<Value, String> {
        let target = self.target.as_ref().ok_or("launch first")?;
        let specs: Vec<String> = arguments["breakpoints"]
            .as_array()
            .ok_or("setInstructionBreakpoints needs `breakpoints`")?
            .iter()
            .map(|b| {
                let reference = b["instructionReference"].as_str()?;
                let base = views::parse_address(reference)?;
                let offset = b["offset"].as_i64().unwrap_or(0);
                let at = i64::try_from(base).ok()?.checked_add(offset)?;
                Some(format!("@{at:#x}"))
            })
            .collect::<Option<_>>()
            .ok_or("each instruction breakpoint needs an `instructionReference` like \"0x1a2b\"")?;
        let (set, answers) = target.resolve_all(specs.iter().map(String::as_str));
        let before = self.breaks.offsets();
        self.breaks.instructions = set;
        self.sync(&before);
        Ok(json!({ "breakpoints": answers }))
    }

    /// Tells the replay in progress what changed since `before`.
    fn sync(&self, before: &BTreeSet<usize>) {
        let Some(run) = &self.run else {
            return;
        };
        let now = self.breaks.offsets();
        for &offset in now.difference(before) {
            run.debug(DebugCommand::SetBreakpoint {
                module_offset: offset,
                enabled: true,
            });
        }
        for &offset in before.difference(&now) {
            run.debug(DebugCommand::SetBreakpoint {
                module_offset: offset,
                enabled: false,
            });
        }
    }
}
