//! What the window does with the [`Command`]s its panels pushed during a frame: start and stop
//! runs, open dialogs, save and load profiles, copy commands. Applied at the end of the frame.

use eframe::egui;
use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::RunRequest;
use crate::ui::app::App;
use crate::ui::command::Command;
use crate::ui::loader::{self, DialogPurpose};
use crate::ui::profile;
use crate::ui::prompt::PathField;
use crate::ui::session::Session;

impl App {
    pub(crate) fn apply_commands(&mut self, ctx: &egui::Context) {
        for command in std::mem::take(&mut self.commands) {
            match command {
                Command::Open(source) => match loader::start_load(source, ctx) {
                    Ok(job) => self.jobs.loading = Some(job),
                    Err(err) => {
                        self.error = Some(format!("cannot start the loader thread: {err:#}"));
                    }
                },
                Command::OpenDialog => {
                    loader::start_dialog(&mut self.jobs.chooser, DialogPurpose::OpenModule, ctx)
                }
                Command::AddFolderDialog => {
                    loader::start_dialog(&mut self.jobs.chooser, DialogPurpose::AddFolder, ctx)
                }
                Command::PromptPath(purpose, note) => {
                    let field = note.map(PathField::with_note).unwrap_or_default();
                    self.jobs.chooser.show_field(purpose, field);
                }
                Command::Run => self.start_run(ctx),
                Command::Stop => {
                    if let Some(report) = self.run_view.session.as_mut().and_then(Session::stop) {
                        // Stopped while compiling: idle at once, the compile goes on.
                        self.run_view
                            .console
                            .note(crate::ui::session::STOPPED_WHILE_COMPILING);
                        self.finished(report);
                    }
                    // Esc stops tenants too: they are runs the user started.
                    self.jobs.tenants.stop();
                }
                Command::ClearRecent => self.state.recent.clear(),
                Command::ForgetGrants => {
                    if let Some(key) = self.loaded.module.as_ref().and_then(|m| m.key.as_ref()) {
                        self.state.grant_memory.forget(key);
                    }
                }
                Command::ShowMemory(address) => self.run_view.hex.show(address),
                Command::SandboxProfileDialog(action) => self.jobs.profile.start(action, ctx),
                Command::CopyCommand(runtime) => self.copy_command(runtime, ctx),
                Command::CopyAsRust => match self.state.sandbox.policy_for_run(&self.loaded.grants)
                {
                    Ok((policy, invocation)) => {
                        self.jobs
                            .embed
                            .open(&policy, &invocation, self.loaded.module.as_ref())
                    }
                    Err(message) => self.error = Some(message),
                },
                Command::RunTenants => self.run_tenants(ctx),
                Command::StopTenants => self.jobs.tenants.stop(),
                Command::SandboxProfileFile(action, path) => self.profile_file(action, path),
                Command::CompareWithoutFolders => self.compare_without_folders(ctx),
                Command::LoadNative => {
                    if let Some(prompt) = self.jobs.native_prompt.take() {
                        let key = crate::engine::sandbox::EngineKey::for_policy(
                            &self.state.sandbox.policy,
                        );
                        match loader::start_native_load(prompt.module, key, ctx) {
                            Ok(job) => self.jobs.loading = Some(job),
                            Err(err) => {
                                self.error =
                                    Some(format!("cannot start the loader thread: {err:#}"));
                            }
                        }
                    }
                }
                Command::CancelNative => {
                    if let Some(prompt) = self.jobs.native_prompt.take() {
                        self.notice = Some(format!(
                            "{} was not loaded: precompiled code loads only when you choose \
                             Load as native code",
                            prompt.module.name
                        ));
                    }
                }
                Command::Precompile(path) => {
                    if let Some(module) = &self.loaded.module {
                        let key = crate::engine::sandbox::EngineKey::for_policy(
                            &self.state.sandbox.policy,
                        );
                        self.jobs.precompile.start(
                            &module.name,
                            (module.wasm.clone(), module.native.is_some()),
                            key,
                            path,
                            ctx,
                        );
                    }
                }
                Command::SaveCoredump(path) => {
                    if let Some(dump) = self
                        .run_view
                        .report
                        .as_ref()
                        .and_then(|r| r.coredump.clone())
                    {
                        self.run_view.after.save_coredump(dump, path, ctx);
                    }
                }
                Command::ApplyScratch(guest_path) => {
                    let scratch = self.run_view.report.as_ref().and_then(|r| {
                        r.scratch
                            .iter()
                            .find(|s| s.guest_path == guest_path)
                            .cloned()
                    });
                    if let Some(scratch) = scratch {
                        self.run_view.after.apply(scratch, ctx);
                    }
                }
                Command::DiscardScratch(guest_path) => {
                    if let Some(report) = &mut self.run_view.report {
                        // Dropping the copy deletes it.
                        report.scratch.retain(|s| s.guest_path != guest_path);
                        self.run_view.after.discarded(guest_path);
                    }
                }
                Command::Debug(command) => {
                    if let Some(session) = &self.run_view.session {
                        session.send_debug(command);
                    }
                }
                Command::ToggleBreakpoint(offset) => {
                    if let Some(module) = &self.loaded.module {
                        match crate::engine::debug::breakpoint_at(&module.wasm, offset) {
                            Ok(at) => self
                                .loaded
                                .debugger
                                .toggle(at.module_offset, self.run_view.session.as_ref()),
                            Err(err) => self.error = Some(err.to_string()),
                        }
                    }
                }
                Command::SaveGuestProfile(path) => {
                    if let Some(report) = &self.run_view.report
                        && let Some(profile) = &report.profile
                    {
                        let (profile, module) = (profile.clone(), report.module.clone());
                        self.run_view.profiler.save(profile, module, path, ctx);
                    }
                }
                Command::SaveRecording(path) => {
                    if let Some(report) = &self.run_view.report
                        && let Some(recording) = &report.recording
                    {
                        let (recording, module) = (recording.clone(), report.module.clone());
                        self.run_view
                            .after
                            .save_recording(recording, path, &module, ctx);
                    }
                }
                Command::ReplayWithState => self.replay_with_state(ctx),
                Command::Travel(travel) => self.travel(travel, ctx),
                Command::WhoWrote(address, length) => self.who_wrote(address, length, ctx),
                Command::PauseAtLastWrite(range) => self.pause_at_last_write(range, ctx),
                Command::TravelFromLive(travel) => {
                    if let Some(session) = self.run_view.session.as_mut() {
                        self.run_view.pending_travel = Some(travel);
                        self.run_view
                            .console
                            .note("── going back: stopping the run to replay its recording ──");
                        if let Some(report) = session.stop() {
                            self.finished(report);
                        }
                    }
                }
                Command::SaveReportPage(path) => {
                    if let Some(page) = self.report_page() {
                        let module = self
                            .run_view
                            .report
                            .as_ref()
                            .map_or(String::new(), |r| r.module.clone());
                        self.run_view.after.save_page(
                            Arc::new(page.into_bytes()),
                            path,
                            &module,
                            ctx,
                        );
                    }
                }
                Command::SaveMap(path) => {
                    let host_env_total = self.run_view.map.host_env_total();
                    let input = crate::ui::app::map_input(
                        self.run_view.session.as_ref(),
                        self.run_view.report.as_ref(),
                        self.run_view.setup.as_deref(),
                        self.loaded.module.as_ref().map(|m| &*m.info),
                        host_env_total,
                    );
                    let module = self.module_name().unwrap_or("module").to_owned();
                    match input {
                        Some(input) => self.run_view.map.save_svg(&input, path, &module, ctx),
                        None => {
                            self.error = Some("Nothing to draw yet: run the module first.".into())
                        }
                    }
                }
                Command::ShowInCallLog(filter) => {
                    self.state.layout.show_outcome = true;
                    crate::ui::calls::show_in_call_log(ctx, filter);
                }
                Command::ShowCode(frame) => {
                    if let Some(module) = &self.loaded.module {
                        self.loaded
                            .code
                            .open(frame, &module.wasm, self.loaded.generation, ctx);
                    }
                }
                Command::FollowPause(frame) => {
                    if let Some(module) = &self.loaded.module
                        && !self.loaded.code.dismissed()
                    {
                        self.loaded
                            .code
                            .open(frame, &module.wasm, self.loaded.generation, ctx);
                    }
                }
            }
        }
    }

    fn start_run(&mut self, ctx: &egui::Context) {
        if self.run_view.session.is_some() {
            return;
        }
        let Some(module) = &self.loaded.module else {
            self.error = Some("Nothing to run yet: open a module first (Ctrl+O).".to_owned());
            return;
        };
        self.run_view.travel = None;
        // A new run: its first pause opens the Code window again, even if it was closed.
        self.loaded.code.run_started();
        if let Some(recording) = &module.replay {
            // A recording runs as recorded: its sandbox, its answers. Debug mode and the
            // breakpoints are the window's, as for any run; in debug mode it counts its
            // instructions, so it can go back.
            let mut request = if self.state.sandbox.policy.debug {
                self.run_view.travel =
                    Some(crate::ui::travel::TravelSource::new(Arc::clone(recording)));
                recording.travel_request(crate::engine::policy::Travel::Count)
            } else {
                recording.replay_request()
            };
            // The module the window opened is the recording's, inspected already.
            request.info = Some(Arc::clone(&module.info));
            let breakpoints = crate::ui::debugger::breakpoints_for_run(
                &self.loaded.debugger,
                &module.wasm,
                &request.policy,
            );
            self.start_session(request, breakpoints, ctx);
            return;
        }
        let (policy, invocation) = match self.state.sandbox.policy_for_run(&self.loaded.grants) {
            Ok(setup) => setup,
            Err(message) => {
                self.error = Some(message);
                return;
            }
        };
        if let Some(key) = &module.key {
            // What this run was given comes back (with a banner) when this file is reopened.
            self.state
                .grant_memory
                .remember(key.clone(), &self.loaded.grants);
        }
        let breakpoints =
            crate::ui::debugger::breakpoints_for_run(&self.loaded.debugger, &module.wasm, &policy);
        self.run_view
            .profiler
            .run_started(invocation.profiler_interval_ms.is_some());
        let request = RunRequest {
            name: module.name.clone(),
            wasm: module.wasm.clone(),
            // Only modules the user loaded as native code are ever open (see `App::loaded`).
            precompiled: module.native.as_ref().map(|n| n.origin),
            policy,
            invocation,
            info: Some(Arc::clone(&module.info)),
        };
        self.start_session(request, breakpoints, ctx);
    }

    /// The last run's report as one HTML page, when there is a run and its module is open.
    pub(crate) fn report_page(&self) -> Option<String> {
        let report = self.run_view.report.as_ref()?;
        let module = self.loaded.module.as_ref()?;
        let setup = self.run_view.setup.as_ref()?;
        let samples: Vec<crate::engine::outcome::ResourceSample> = self
            .run_view
            .memory_history
            .0
            .points
            .iter()
            .map(
                |&(at_ms, memory_bytes)| crate::engine::outcome::ResourceSample {
                    at_ms,
                    memory_bytes,
                    table_elements: 0,
                    fuel_consumed: None,
                },
            )
            .collect();
        let page = crate::engine::export::html::HtmlReport {
            report,
            info: &module.info,
            policy: &setup.0,
            invocation: &setup.1,
            samples: &samples,
        };
        Some(page.render())
    }

    /// The last run trapped without debug mode and was recorded: replay its recording in debug
    /// mode, watching the trapping instruction, so the trap shows the guest's state and the
    /// operands it was given.
    fn replay_with_state(&mut self, ctx: &egui::Context) {
        if self.run_view.session.is_some() {
            return;
        }
        let Some(report) = &self.run_view.report else {
            return;
        };
        let Some(bytes) = &report.recording else {
            return;
        };
        let recording = match crate::engine::record::recording::Recording::parse(bytes) {
            Ok(recording) => recording,
            Err(e) => {
                self.error = Some(format!("cannot replay the recording: {e}"));
                return;
            }
        };
        let watch = match &report.outcome {
            crate::engine::RunOutcome::Trapped { trap } => trap
                .frames
                .first()
                .and_then(|frame| frame.module_offset)
                .and_then(|offset| crate::engine::debug::operands_watch(&recording.module, offset)),
            _ => None,
        };
        let request = recording.travel_request(crate::engine::policy::Travel::Count);
        self.run_view.profiler.run_started(false);
        self.run_view.travel = Some(crate::ui::travel::TravelSource::new(Arc::new(recording)));
        self.start_session(request, watch.into_iter().collect(), ctx);
        self.run_view
            .console
            .note("── replaying the run in debug mode, to show its state at the trap ──");
    }

    /// Goes to another moment of the recording the debug-mode replays run: the replay in
    /// progress (paused) ends, and a new one runs quietly to that moment and pauses there.
    fn travel(&mut self, travel: crate::engine::policy::Travel, ctx: &egui::Context) {
        let Some(source) = &self.run_view.travel else {
            return;
        };
        let recording = Arc::clone(&source.recording);
        if let Some(mut session) = self.run_view.session.take() {
            session.stop();
        }
        let request = recording.travel_request(travel);
        let breakpoints = crate::ui::debugger::breakpoints_for_run(
            &self.loaded.debugger,
            &recording.module,
            &request.policy,
        );
        self.start_session(request, breakpoints, ctx);
        let what = match travel {
            crate::engine::policy::Travel::To(moment) => format!(
                "── going to instruction {}: replaying the recording{} ──",
                crate::ui::travel::thousands(moment),
                crate::ui::travel::how_long(moment)
            ),
            _ => "── going back to the previous breakpoint hit: replaying the recording ──"
                .to_owned(),
        };
        let note = self.run_view.travel.as_mut().and_then(|s| s.note.take());
        self.run_view.console.note(note.unwrap_or(what));
    }

    /// Who wrote the `length` bytes at `address`: paused in a replay, a search before this
    /// moment (then the replay goes there); otherwise the memory view's search of the whole
    /// run.
    fn who_wrote(&mut self, address: u64, length: u64, ctx: &egui::Context) {
        let moment = self
            .run_view
            .session
            .as_ref()
            .and_then(|s| s.debug.paused.as_ref())
            .and_then(|p| p.moment);
        if let (Some(moment), Some(source)) = (moment, &self.run_view.travel) {
            let range =
                crate::engine::policy::WatchedRange::parse(&format!("{address:#x}:{length}"));
            let range = match range {
                Ok(range) => range,
                Err(e) => {
                    self.error = Some(e.to_string());
                    return;
                }
            };
            match crate::ui::travel::WhoBefore::start(source, range, moment, ctx) {
                Ok(search) => {
                    self.run_view.console.note(format!(
                        "── who wrote {}? replaying the recording to instruction {} ──",
                        search.range,
                        crate::ui::travel::thousands(moment)
                    ));
                    self.run_view.who_before = Some(search);
                }
                Err(message) => self.error = Some(message),
            }
            return;
        }
        self.run_view.hex.show(Some(address));
        match self.recording_ref() {
            Some(recording) => {
                let start = address as usize;
                let end = start.saturating_add(length as usize);
                self.run_view.hex.who.ask(recording, start..end, ctx);
            }
            None => {
                self.error = Some(
                    "Who wrote this? needs the run's recording: turn Record on in the Sandbox \
                     panel and run again."
                        .to_owned(),
                );
            }
        }
    }

    /// The memory view's answer made a moment: the run's recording is searched again, counting
    /// instructions, and replayed to the write.
    fn pause_at_last_write(
        &mut self,
        range: crate::engine::policy::WatchedRange,
        ctx: &egui::Context,
    ) {
        if self.run_view.session.is_some() || self.run_view.who_before.is_some() {
            return;
        }
        let recording = match self.recording_ref() {
            Some(crate::ui::who_wrote::RecordingRef::Parsed(recording)) => recording,
            Some(crate::ui::who_wrote::RecordingRef::Bytes(bytes)) => {
                match crate::engine::record::recording::Recording::parse(&bytes) {
                    Ok(recording) => Arc::new(recording),
                    Err(e) => {
                        self.error = Some(format!("cannot read the run's recording: {e}"));
                        return;
                    }
                }
            }
            None => return,
        };
        let source = crate::ui::travel::TravelSource::new(recording);
        match crate::ui::travel::WhoBefore::start(&source, range, u64::MAX, ctx) {
            Ok(search) => {
                self.run_view.console.note(format!(
                    "── finding the last write to {range} in the recording ──"
                ));
                self.run_view.travel = Some(source);
                self.run_view.who_before = Some(search);
            }
            Err(message) => self.error = Some(message),
        }
    }

    fn start_session(
        &mut self,
        request: RunRequest,
        breakpoints: Vec<crate::engine::debug::Breakpoint>,
        ctx: &egui::Context,
    ) {
        match Session::start_with_breakpoints(request, breakpoints, ctx) {
            Ok(session) => {
                self.loaded.debugger.session_started();
                self.error = None;
                self.run_view.report = None;
                self.run_view.map.run_started();
                self.run_view.console.clear();
                self.run_view.console_view.follow();
                crate::ui::outcome::scroll_to_headline(ctx);
                self.run_view.session = Some(session);
            }
            Err(err) => self.error = Some(format!("cannot start the run thread: {err:#}")),
        }
    }

    /// Saves the sandbox panel's policy to `path`, or loads it from there.
    pub(crate) fn profile_file(&mut self, action: profile::ProfileAction, path: PathBuf) {
        use crate::engine::export::profile as engine_profile;
        match action {
            profile::ProfileAction::Save => {
                let saved = self
                    .state
                    .sandbox
                    .policy_for_run(&self.loaded.grants)
                    .and_then(|(policy, invocation)| {
                        let profile = engine_profile::Profile { policy, invocation };
                        engine_profile::save(&path, &profile).map_err(|err| format!("{err:#}"))
                    });
                match saved {
                    Ok(()) => {
                        self.notice =
                            Some(format!("Saved the sandbox profile to {}", path.display()));
                    }
                    Err(message) => self.error = Some(message),
                }
            }
            profile::ProfileAction::Load => match engine_profile::load(&path) {
                Ok(engine_profile::Profile { policy, invocation }) => {
                    // The profile's limits become the settings; its folders, environment
                    // and arguments are granted to the loaded module only.
                    self.loaded.grants.args_text = invocation
                        .args
                        .iter()
                        .map(|a| crate::engine::export::copy_as::shell_quote(a).into_owned())
                        .collect::<Vec<_>>()
                        .join(" ");
                    // A profile holds no stdin: loading one empties it.
                    self.loaded.grants.stdin_text = String::new();
                    self.loaded.grants.argv0 = invocation.argv0;
                    self.loaded.grants.dirs = policy.dirs.clone();
                    self.loaded.grants.env = policy.env.clone();
                    self.state.sandbox.policy = policy;
                    self.state.sandbox = std::mem::take(&mut self.state.sandbox).without_grants();
                    self.notice = Some(format!(
                        "Loaded the sandbox profile from {}",
                        path.display()
                    ));
                }
                // The current policy stays as it was.
                Err(err) => self.error = Some(format!("{err:#}")),
            },
        }
    }

    /// The policy and invocation for a run of the loaded module, or `None` (with the error
    /// on screen) when the grants cannot be turned into one.
    fn run_setup(&mut self) -> Option<(crate::engine::SandboxPolicy, crate::engine::Invocation)> {
        match self.state.sandbox.policy_for_run(&self.loaded.grants) {
            Ok(setup) => Some(setup),
            Err(message) => {
                self.error = Some(message);
                None
            }
        }
    }

    fn compare_without_folders(&mut self, ctx: &egui::Context) {
        if self.loaded.module.is_none() {
            return;
        }
        let Some((policy, invocation)) = self.run_setup() else {
            return;
        };
        if let Some(module) = &self.loaded.module {
            self.jobs
                .tenants
                .compare_without_folders(module, &policy, &invocation, ctx);
        }
    }

    fn run_tenants(&mut self, ctx: &egui::Context) {
        if self.loaded.module.is_none() {
            return;
        }
        let Some((policy, invocation)) = self.run_setup() else {
            return;
        };
        if let Some(module) = &self.loaded.module {
            self.jobs.tenants.start(module, &policy, &invocation, ctx);
        }
    }

    fn copy_command(
        &mut self,
        runtime: crate::engine::export::copy_as::Runtime,
        ctx: &egui::Context,
    ) {
        let (policy, invocation) = match self.state.sandbox.policy_for_run(&self.loaded.grants) {
            Ok(setup) => setup,
            Err(message) => {
                self.error = Some(message);
                return;
            }
        };
        let module_path = self.loaded.module.as_ref().map_or_else(
            || "module.wasm".to_owned(),
            |m| {
                m.path
                    .as_ref()
                    .map_or_else(|| m.name.clone(), |p| p.display().to_string())
            },
        );
        let copied = crate::engine::export::copy_as::command_line(
            runtime,
            &policy,
            &invocation,
            &module_path,
        );
        ctx.copy_text(copied.command.clone());
        self.jobs.profile.copied(runtime, copied);
    }

    pub(crate) fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let run = ctx.input_mut(|i| {
            i.consume_key(Modifiers::NONE, Key::F5)
                || i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::R))
        });
        // Like the Run button: nothing to do without a module or during a run.
        if run && self.can_run() {
            self.commands.push(Command::Run);
        }
        if (self.run_view.session.is_some() || self.jobs.tenants.is_busy())
            && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
        {
            self.commands.push(Command::Stop);
        }
        let session = self.run_view.session.as_ref();
        // Shift+F10 and Shift+F8 first: egui matches F10 and F8 with Shift held too.
        let report = self.run_view.report.as_ref();
        crate::ui::travel::shortcuts(ctx, session, report, &mut self.commands);
        crate::ui::debugger::shortcuts(ctx, session, &mut self.commands);
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)))
        {
            self.commands.push(Command::OpenDialog);
        }
    }
}
