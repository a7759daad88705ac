//! The application: a persisted [`State`] (settings only) beside the runtime parts that never
//! persist: the loaded module and its grants, the run view, and the background jobs. Each
//! frame polls the jobs, draws the panels (which push [`Command`]s) and then applies the
//! commands (see `actions.rs`).

use eframe::egui;
use std::path::PathBuf;
use std::sync::Arc;

use crate::engine::RunReport;
use crate::ui::code::CodeView;
use crate::ui::command::Command;
use crate::ui::console::{Console, ConsoleView};
use crate::ui::files::AfterRun;
use crate::ui::grants::Grants;
use crate::ui::loader::{self, DialogPurpose, LoadJob, LoadResult, Module, Sample, Source};
use crate::ui::memory::HexView;
use crate::ui::module::ModuleView;
use crate::ui::precompile::PrecompileState;
use crate::ui::profile::ProfileState;
use crate::ui::prompt::PathChooser;
use crate::ui::sandbox::{self, SandboxSettings};
use crate::ui::session::{History, Session};
use crate::ui::state::State;
use crate::ui::tenants::{self, TenantsState};
use crate::ui::{code, files, job, layout, memory, precompile, profile, status};

/// The loaded module and what belongs to it: its grants, its panel's view, its code view.
#[derive(Default)]
pub(crate) struct Loaded {
    pub(crate) module: Option<Module>,
    /// Bumped on each load, so caches keyed on the module notice.
    pub(crate) generation: u64,
    /// What the module is granted; starts empty for every newly opened module.
    pub(crate) grants: Grants,
    /// Whether `grants` came back from the module's last run (the panel shows a banner).
    pub(crate) grants_restored: bool,
    pub(crate) module_view: ModuleView,
    pub(crate) code: CodeView,
    /// Its breakpoints (kept for the session) and the paused run's view.
    pub(crate) debugger: crate::ui::debugger::DebuggerState,
}

/// The run in progress, or the last one, and its output.
#[derive(Default)]
pub(crate) struct RunView {
    pub(crate) session: Option<Session>,
    pub(crate) report: Option<RunReport>,
    /// The last run's memory over time, and its cap.
    pub(crate) memory_history: (History, u64),
    /// The last run's table size over time, and its cap in elements.
    pub(crate) table_history: (History, u64),
    /// The last run's fuel budget, when it metered fuel.
    pub(crate) fuel_budget: Option<u64>,
    pub(crate) console: Console,
    pub(crate) console_view: ConsoleView,
    pub(crate) hex: HexView,
    pub(crate) after: AfterRun,
    /// The guest profile window (live while a profiled run goes on).
    pub(crate) profiler: crate::ui::profiler::ProfilerView,
    /// The sandbox map window (live during a run, kept after it).
    pub(crate) map: crate::ui::map::MapView,
    /// The last run's sandbox and invocation, for its report page.
    pub(crate) setup: Option<Arc<(crate::engine::SandboxPolicy, crate::engine::Invocation)>>,
    /// The recording the debug-mode replays go back in, while they are what the window runs.
    pub(crate) travel: Option<crate::ui::travel::TravelSource>,
    /// Where to go once the live run being stopped has handed over its recording.
    pub(crate) pending_travel: Option<crate::engine::policy::Travel>,
    /// A search for who wrote a range before the paused moment.
    pub(crate) who_before: Option<crate::ui::travel::WhoBefore>,
}

/// Work on other threads, and the prompts that stand in for dialogs.
#[derive(Default)]
pub(crate) struct Background {
    pub(crate) loading: Option<LoadJob>,
    /// The dialog that picks a module or a folder, or the path typed by hand when there is no
    /// native dialog (or the user prefers typing).
    pub(crate) chooser: PathChooser<DialogPurpose>,
    pub(crate) profile: ProfileState,
    pub(crate) precompile: PrecompileState,
    pub(crate) tenants: TenantsState,
    pub(crate) embed: crate::ui::embed::EmbedView,
    /// The open module's compile, started when it loads.
    pub(crate) compile: crate::ui::compile::CompileState,
    /// A precompiled file read but not loaded, until the user answers the confirmation.
    pub(crate) native_prompt: Option<crate::ui::native::NativePrompt>,
}

/// The application.
#[derive(Default)]
pub struct App {
    /// The state that we persist (serialize): settings only.
    pub(crate) state: State,
    pub(crate) loaded: Loaded,
    pub(crate) run_view: RunView,
    pub(crate) jobs: Background,
    /// The last load or run error, shown until dismissed or replaced.
    pub(crate) error: Option<String>,
    /// The last thing done that is worth a word (a profile saved or loaded).
    pub(crate) notice: Option<String>,
    pub(crate) samples: Vec<Sample>,
    /// Help ▸ Lessons (the lessons themselves; progress is in `state`).
    pub(crate) lessons: crate::ui::lessons::LessonsView,
    pub(crate) commands: Vec<Command>,
    /// Run once when the next module loads (see [`crate::ui::AUTORUN_ENV`]).
    pub(crate) autorun: bool,
    /// The arguments for that run (see [`crate::ui::AUTORUN_ARGS_ENV`]).
    pub(crate) autorun_args: Option<String>,
    pub(crate) applied_theme: Option<egui::ThemePreference>,
    /// The window title to set (the module's name), when it changed.
    pub(crate) title: String,
    pub(crate) applied_title: String,
}

impl App {
    /// The app with settings restored from `storage` (if any), and the samples found.
    pub fn new(storage: Option<&dyn eframe::Storage>) -> Self {
        let state: State = storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        let mut app = Self::with_state(state);
        let samples_dir = loader::samples_dir();
        app.samples = samples_dir
            .as_deref()
            .map(loader::list_samples)
            .unwrap_or_default();
        app.lessons = crate::ui::lessons::LessonsView::load(samples_dir);
        app
    }

    /// The app with these settings (as restored from storage), nothing loaded.
    pub fn with_state(state: State) -> Self {
        Self {
            state: state.restored(),
            ..Self::default()
        }
    }

    /// The settings that persist.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Loads `path` (in the background, starting next frame).
    pub fn open_path(&mut self, path: impl Into<PathBuf>) {
        self.commands.push(Command::Open(Source::Path(path.into())));
    }

    /// Loads a module from bytes, e.g. a drop without a path.
    pub fn open_bytes(&mut self, name: impl Into<String>, bytes: Vec<u8>) {
        self.commands.push(Command::Open(Source::Bytes {
            name: name.into(),
            bytes,
        }));
    }

    /// Starts a run next frame, as the Run button does.
    pub fn run(&mut self) {
        self.commands.push(Command::Run);
    }

    /// The sandbox settings (limits), as the sandbox panel edits them.
    pub fn sandbox_mut(&mut self) -> &mut SandboxSettings {
        &mut self.state.sandbox
    }

    /// What the loaded module is granted, as the sandbox panel edits it.
    pub fn grants_mut(&mut self) -> &mut Grants {
        &mut self.loaded.grants
    }

    /// Whether the loaded module's grants were restored from its last run.
    pub fn grants_restored(&self) -> bool {
        self.loaded.grants_restored
    }

    /// Whether a load or run is in progress (for tests and scripts that wait).
    pub fn is_busy(&self) -> bool {
        self.jobs.loading.is_some()
            || self.run_view.session.is_some()
            || !self.commands.is_empty()
            || self.run_view.after.is_busy()
            || self.jobs.profile.is_busy()
            || self.jobs.precompile.is_busy()
            || self.jobs.tenants.is_busy()
            || self.run_view.profiler.is_busy()
            || self.run_view.map.is_busy()
            || self.run_view.hex.who.is_busy()
    }

    /// Whether Run can start now: a module is open and no run is going. The one answer the
    /// Run button, the menu, F5 and the tenants window ask.
    pub fn can_run(&self) -> bool {
        self.loaded.module.is_some() && self.run_view.session.is_none()
    }

    /// Whether the open module is being compiled in the background.
    pub fn is_compiling(&self) -> bool {
        self.jobs.compile.is_compiling()
    }

    /// The loaded module's name, if any.
    pub fn module_name(&self) -> Option<&str> {
        self.loaded.module.as_ref().map(|m| m.name.as_str())
    }

    fn poll(&mut self, ctx: &egui::Context) {
        let who = &mut self.run_view.who_before;
        let source = self.run_view.travel.as_mut();
        if let Some(command) =
            crate::ui::travel::WhoBefore::poll(who, &mut self.run_view.console, source)
        {
            self.commands.push(command);
        }
        if let Some(result) = job::take_result(&mut self.jobs.loading) {
            self.loaded(result.unwrap_or_else(|lost| LoadResult {
                path: None,
                result: Err(lost.to_string()),
            }));
        }
        match self.jobs.chooser.poll() {
            Some((DialogPurpose::OpenModule, path)) => self.open_path(path),
            Some((DialogPurpose::AddFolder, path)) => self.loaded.grants.add_folder(path),
            None => {}
        }
        if let Some(session) = &mut self.run_view.session {
            let (report, more) = session.poll(&mut self.run_view.console);
            self.loaded.debugger.poll(Some(session), &mut self.commands);
            if let Some(report) = report {
                self.finished(report);
            } else if more {
                ctx.request_repaint();
            } else {
                // Elapsed time and the spinner move even when the guest is quiet.
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
            }
        }
        self.jobs.precompile.poll(ctx);
        self.run_view.profiler.poll(ctx);
        self.run_view.map.poll(ctx);
        self.jobs.tenants.poll();
        if let Some((action, path)) = self.jobs.profile.poll() {
            self.commands
                .push(Command::SandboxProfileFile(action, path));
        }
        let applied = self.run_view.after.poll(ctx);
        if let Some(report) = &mut self.run_view.report {
            // Applied copies are done with: dropping them deletes the temporary folder.
            report.scratch.retain(|s| !applied.contains(&s.guest_path));
        }
        if self.jobs.loading.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn loaded(&mut self, result: loader::LoadResult) {
        // Precompiled code is never loaded as code on its own (a drop, a recent file): it
        // waits for "Load as native code", and the open module stays meanwhile.
        if let Ok(module) = &result.result
            && module.native.as_ref().is_some_and(|n| !n.allowed)
        {
            if let Ok(module) = result.result {
                self.jobs.native_prompt = crate::ui::native::NativePrompt::for_module(module);
            }
            return;
        }
        match result.result {
            Ok(module) => {
                if let Some(path) = &result.path {
                    loader::remember_recent(&mut self.state.recent, path);
                }
                // Output from the old module's run would be confusing under the new one; a run
                // still compiling is let go at once (its compile ends in the background).
                if self
                    .run_view
                    .session
                    .as_mut()
                    .and_then(Session::stop)
                    .is_some()
                {
                    self.run_view.session = None;
                }
                self.error = None;
                self.title = match &module.replay {
                    Some(_) => format!("{} (replay) - wasmscope", module.name),
                    None => format!("{} - wasmscope", module.name),
                };
                // Grants belong to a module: a new one starts with none, or with its own from
                // its last run (shown with a banner).
                let remembered = module
                    .key
                    .as_ref()
                    .and_then(|k| self.state.grant_memory.recall(k));
                self.loaded.grants_restored = remembered.is_some();
                self.loaded.grants = remembered.cloned().unwrap_or_default();
                self.loaded.module = Some(module);
                self.loaded.generation += 1;
                if let Some(args) = self.autorun_args.take() {
                    self.loaded.grants.args_text = args;
                }
                self.loaded.code.close();
                self.loaded.debugger = Default::default();
                self.run_view.hex.open = false;
                self.run_view.after = files::AfterRun::default();
                self.run_view.report = None;
                self.run_view.console.clear();
                if std::mem::take(&mut self.autorun) {
                    self.commands.push(Command::Run);
                }
            }
            // The previous module, its output and outcome stay as they were.
            Err(message) => self.error = Some(message),
        }
    }

    /// The recording "Who wrote this?" searches: the replay open, the one a Replay with state
    /// replays (its own report holds no recording: a replay is not recorded again), or the
    /// last run's.
    pub(crate) fn recording_ref(&self) -> Option<crate::ui::who_wrote::RecordingRef> {
        let replayed = self.loaded.module.as_ref().and_then(|m| m.replay.clone());
        let travelled = || {
            self.run_view
                .travel
                .as_ref()
                .map(|t| Arc::clone(&t.recording))
        };
        match replayed.or_else(travelled) {
            Some(recording) => Some(crate::ui::who_wrote::RecordingRef::Parsed(recording)),
            None => self
                .run_view
                .report
                .as_ref()
                .and_then(|r| r.recording.clone())
                .map(crate::ui::who_wrote::RecordingRef::Bytes),
        }
    }

    pub(crate) fn finished(&mut self, report: RunReport) {
        if let Some(session) = self.run_view.session.take() {
            self.run_view.memory_history = (session.memory_history, session.memory_cap_bytes);
            self.run_view.table_history = (session.table_history, session.table_cap_elements);
            self.run_view.fuel_budget = session.fuel_budget;
            self.run_view.setup = Some(session.setup);
        }
        self.run_view.console.flush();
        self.run_view
            .console
            .note(format!("── {} ──", report.outcome.summary()));
        self.run_view.hex.reset(&report);
        if let Some(travel) = self.run_view.pending_travel.take() {
            let recording = report
                .recording
                .as_ref()
                .map(|bytes| crate::engine::record::recording::Recording::parse(bytes));
            match recording {
                Some(Ok(recording)) => {
                    self.run_view.travel =
                        Some(crate::ui::travel::TravelSource::new(Arc::new(recording)));
                    self.commands.push(Command::Travel(travel));
                }
                Some(Err(e)) => self.error = Some(format!("cannot go back: {e}")),
                None => {
                    self.error = Some(
                        "cannot go back: this run was not recorded (switch Record on in the \
                         Sandbox panel)"
                            .to_owned(),
                    );
                }
            }
        }
        if let Some(source) = self.run_view.travel.as_mut() {
            source.learn(&report);
        }
        self.loaded.code.run_ended();
        self.run_view.after = files::AfterRun::default();
        if let Some(setup) = &self.run_view.setup {
            let run = crate::engine::lessons::LessonRun {
                module: &report.module,
                report: &report,
                policy: &setup.0,
                invocation: &setup.1,
            };
            self.lessons.after_run(&run, &mut self.state.lessons);
        }
        self.run_view.report = Some(report);
    }

    fn apply_title(&mut self, ctx: &egui::Context) {
        if self.title != self.applied_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(self.title.clone()));
            self.applied_title = self.title.clone();
        }
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        if self.applied_theme != Some(self.state.theme) {
            ctx.set_theme(self.state.theme);
            self.applied_theme = Some(self.state.theme);
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        self.jobs.compile.follow(
            self.loaded.module.as_ref(),
            self.loaded.generation,
            self.state.sandbox.engine_key(),
            &mut self.state.compile_speeds,
            &ctx,
        );
        self.apply_theme(&ctx);
        self.shortcuts(&ctx);

        egui::Panel::top("menu bar").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        egui::Panel::bottom("status bar").show(ui, |ui| {
            status::status_ui(
                ui,
                &status::StatusView {
                    loading: self.jobs.loading.as_ref(),
                    session: self.run_view.session.as_ref(),
                    report: self.run_view.report.as_ref(),
                    fuel_budget: self.run_view.fuel_budget,
                    memory_cap_bytes: self.state.sandbox.policy.max_memory_bytes,
                    console: &self.run_view.console,
                },
            );
        });
        layout::set_window_area(&ctx, ui.available_rect_before_wrap());
        if self.state.layout.show_sandbox {
            let (default_width, widths) = layout::sandbox_panel(ctx.content_rect().width());
            let width = layout::panel_width(ui, "sandbox panel");
            egui::Panel::left("sandbox panel")
                .resizable(true)
                .default_size(default_width)
                .size_range(widths)
                .show(ui, |ui| {
                    match self.loaded.module.as_ref().and_then(|m| m.replay.as_ref()) {
                        Some(recording) => crate::ui::replay::replay_sandbox_ui(
                            ui,
                            recording,
                            &mut self.state.sandbox.policy,
                        ),
                        None => sandbox::sandbox_ui(
                            ui,
                            &mut self.state.sandbox,
                            &mut self.loaded.grants,
                            &mut self.loaded.grants_restored,
                            self.loaded.module.as_ref().map(|m| &*m.info),
                            &mut self.commands,
                        ),
                    }
                });
            layout::keep_panel_width(&ctx, width);
        }
        if self.lessons.open {
            // At the far right, beside the outcome: the sandbox's controls stay in view.
            let (default_width, widths) = layout::lessons_panel(ctx.content_rect().width());
            let lessons = egui::Panel::right("lessons panel")
                .resizable(true)
                .default_size(default_width)
                .size_range(widths)
                .show(ui, |ui| {
                    crate::ui::lessons::lessons_ui(
                        ui,
                        &mut self.lessons,
                        &mut self.state.lessons,
                        &mut self.commands,
                    );
                });
            // Floating windows (the sandbox map, the code) stay left of it, not over it.
            let mut area = layout::window_area(&ctx);
            area.max.x = area.max.x.min(lessons.response.rect.left());
            layout::set_window_area(&ctx, area);
        }
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui));

        let (profile, live) = match &self.run_view.session {
            Some(session) => (session.profile.as_ref(), true),
            None => (
                self.run_view
                    .report
                    .as_ref()
                    .and_then(|r| r.profile.as_ref()),
                false,
            ),
        };
        crate::ui::profiler::profiler_window_ui(
            &ctx,
            &mut self.run_view.profiler,
            profile,
            live,
            &mut self.commands,
        );
        let host_env_total = self.run_view.map.host_env_total();
        let map_input = map_input(
            self.run_view.session.as_ref(),
            self.run_view.report.as_ref(),
            self.run_view.setup.as_deref(),
            self.loaded.module.as_ref().map(|m| &*m.info),
            host_env_total,
        );
        crate::ui::map::map_window_ui(
            &ctx,
            &mut self.run_view.map,
            map_input.as_ref(),
            self.run_view.session.is_some(),
            &mut self.commands,
        );
        let debugger = &self.loaded.debugger;
        let code_debug = code::CodeDebug {
            breakpoints: &debugger.breakpoints,
            memory_bytes: debugger.paused_report().map_or_else(
                || self.run_view.report.as_ref().map_or(0, memory_bytes),
                memory_bytes,
            ),
            commands: &mut self.commands,
        };
        code::code_window_ui(&ctx, &mut self.loaded.code, code_debug);
        crate::ui::embed::embed_window_ui(&ctx, &mut self.jobs.embed);
        profile::profile_windows_ui(&ctx, &mut self.jobs.profile, &mut self.commands);
        crate::ui::native::native_prompt_ui(
            &ctx,
            self.jobs.native_prompt.as_ref(),
            &mut self.commands,
        );
        precompile::precompile_window_ui(&ctx, &mut self.jobs.precompile, &mut self.commands);
        let can_run = self.can_run();
        tenants::tenants_window_ui(&ctx, &mut self.jobs.tenants, can_run, &mut self.commands);
        let paused = self.loaded.debugger.paused_report();
        let shown = paused.or(self.run_view.report.as_ref());
        let recording = self.recording_ref();
        memory::memory_window_ui(
            &ctx,
            &mut self.run_view.hex,
            shown,
            recording,
            &mut self.commands,
        );
        self.path_prompt_ui(&ctx);
        self.drop_ui(&ctx);
        self.apply_commands(&ctx);
        self.apply_title(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.state);
    }

    /// Closed mid-run: stop the runs and leave no scratch copy behind.
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.jobs.tenants.stop();
        if let Some(session) = self.run_view.session.take() {
            session.stop_and_wait(CLOSE_GRACE);
        }
        // A finished run's copies the user neither applied nor discarded go too, and so do
        // those of a run that did not stop in time.
        self.run_view.report = None;
        crate::engine::files::remove_live_copies();
    }
}

/// How long a closing window waits for a run it stopped.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// The size of the memory a report's values may point into.
fn memory_bytes(report: &RunReport) -> u64 {
    let kept = report.memory.as_ref().map_or(0, |m| m.len() as u64);
    report.stats.peak_memory_bytes.max(kept)
}

/// What the sandbox map draws: the run in progress, else the last run (its calls, its
/// sandbox and what it was passed); `None` before the first run.
pub(crate) fn map_input<'a>(
    session: Option<&'a Session>,
    report: Option<&'a RunReport>,
    setup: Option<&'a (crate::engine::SandboxPolicy, crate::engine::Invocation)>,
    info: Option<&'a crate::engine::ModuleInfo>,
    host_env_total: usize,
) -> Option<crate::engine::export::map::MapInput<'a>> {
    let (calls, calls_total, denials, denials_total, (policy, invocation)) = match (session, report)
    {
        // A live run's refusals are in its calls (the count comes with the report).
        (Some(session), _) => (
            &session.calls[..],
            session.calls_total,
            &[][..],
            0,
            &*session.setup,
        ),
        (None, Some(report)) => (
            &report.calls[..],
            report.calls_total,
            &report.denials[..],
            report.denials_total,
            setup?,
        ),
        (None, None) => return None,
    };
    Some(crate::engine::export::map::MapInput {
        policy,
        invocation,
        info,
        calls,
        calls_total,
        denials,
        denials_total,
        host_env_total: Some(host_env_total),
        // A live run has not died yet.
        last_words: session
            .is_none()
            .then(|| report.and_then(|r| r.last_words.as_ref()))
            .flatten(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `save` writes, as the next start reads it.
    fn saved(app: &App) -> String {
        serde_json::to_string(&app.state).expect("serializes")
    }

    #[test]
    fn settings_persist_but_modules_and_output_do_not() {
        let mut app = App::default();
        app.state.sandbox.policy.max_memory_bytes = 64 * 1024 * 1024;
        app.loaded.grants.args_text = "div0".to_owned();
        app.loaded
            .grants
            .add_folder(PathBuf::from("/home/me/project"));
        app.state.recent.push(PathBuf::from("/tmp/x.wasm"));
        app.state.theme = egui::ThemePreference::Light;
        app.state.layout.show_outcome = false;
        app.run_view
            .console
            .push(crate::engine::StdStream::Stdout, b"secret output\n");
        app.error = Some("an error".to_owned());

        let saved = saved(&app);
        assert!(!saved.contains("secret output") && !saved.contains("an error"));
        // Grants are not settings: they never follow the user to the next start.
        assert!(!saved.contains("/home/me/project") && !saved.contains("div0"));
        let restored = App::with_state(serde_json::from_str(&saved).expect("deserializes"));
        assert_eq!(restored.state.sandbox, app.state.sandbox);
        assert_eq!(restored.state.recent, app.state.recent);
        assert_eq!(restored.state.theme, egui::ThemePreference::Light);
        assert!(!restored.state.layout.show_outcome);
        assert!(restored.run_view.console.is_empty() && restored.loaded.module.is_none());
    }

    #[test]
    fn old_or_partial_settings_fall_back_to_safe_defaults() {
        let restored: State =
            serde_json::from_str(r#"{"recent": ["/a.wasm"], "unknown": 1}"#).expect("lenient");
        assert_eq!(
            restored.sandbox.policy,
            crate::engine::SandboxPolicy::default()
        );
        assert!(restored.layout.show_sandbox);
    }

    #[test]
    fn grants_saved_by_older_versions_are_dropped_on_start() {
        // Before grants belonged to modules, the settings held the folders and arguments.
        let old = r#"{"sandbox": {"policy": {"dirs": [{"host_path": "/home/me/project",
            "guest_path": "/p", "read_only": false, "scratch": false}],
            "env": [["TOKEN", "x"]], "args": ["a"]}, "args_text": "a"}}"#;
        let state: State = serde_json::from_str(old).expect("old settings load");
        let app = App::with_state(state);
        assert!(app.state.sandbox.policy.dirs.is_empty());
        assert!(app.state.sandbox.policy.env.is_empty());
        assert!(app.loaded.grants.is_empty());
    }
}
