//! The desktop explorer (eframe/egui), a second face over the engine and runner.
//!
//! ```text
//! file ──loader thread──> Module (bytes + ModuleInfo) ──> module panel
//! sandbox panel ──> SandboxPolicy ──Run──> runner thread ──RunEvent──> console, status, outcome
//! ```
//!
//! Nothing here runs wasm or touches a `Store`: loading, inspecting, dialogs and runs happen on
//! named threads that wake the UI with `request_repaint`. Widgets push [`Command`]s, applied at
//! the end of the frame.

use eframe::egui;
pub mod calls;
pub mod code;
pub mod console;
pub mod embed;
pub mod files;
pub mod loader;
pub mod memory;
pub mod module;
pub mod outcome;
pub mod precompile;
pub mod profile;
pub mod sandbox;
pub mod session;
pub mod status;
pub mod tenants;

use std::path::PathBuf;
use std::process::ExitCode;

use egui::{Color32, RichText};
use serde::{Deserialize, Serialize};

use crate::engine::{RunReport, RunRequest};
use console::{Console, ConsoleView};
use loader::{DialogAnswer, DialogJob, DialogPurpose, LoadJob, Module, Sample, Source};
use module::ModuleView;
use sandbox::{InvokeState, SandboxSettings};
use session::Session;

/// Hidden, for screenshots and demos: when set, the module given on the command line runs
/// once as soon as it is loaded.
pub const AUTORUN_ENV: &str = "WASMSCOPE_AUTORUN";
/// Hidden, with [`AUTORUN_ENV`]: the arguments for that run (replaces the Arguments field).
pub const AUTORUN_ARGS_ENV: &str = "WASMSCOPE_AUTORUN_ARGS";

/// Opens the window, with `file` loaded if given.
pub fn run_app(file: Option<PathBuf>) -> ExitCode {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("wasmscope")
            .with_app_id("wasmscope")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let result = eframe::run_native(
        "wasmscope",
        options,
        Box::new(move |cc| {
            let mut app = App::new(cc.storage);
            if std::env::var_os(AUTORUN_ENV).is_some() {
                app.autorun = true;
                if let Ok(args) = std::env::var(AUTORUN_ARGS_ENV) {
                    app.sandbox.args_text = args;
                }
            }
            if let Some(file) = file {
                app.open_path(file);
            }
            Ok(Box::new(app))
        }),
    );
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "error: cannot open the window: {err:#}\n\
                 (no display? `wasmscope run FILE` and `wasmscope inspect FILE` work without one)"
            );
            ExitCode::FAILURE
        }
    }
}

/// Bytes for people, without a pointless `.0`: `64 KiB`, `16 MiB`, `15.1 MiB`.
pub fn bytes_text(bytes: u64) -> String {
    crate::engine::format_bytes(bytes).replace(".0 ", " ")
}

/// Something the UI asked for during a frame, applied at the end of it.
pub enum Command {
    /// Load and inspect a module in the background.
    Open(Source),
    /// Show the native open dialog.
    OpenDialog,
    /// Show the native folder dialog, to preopen a folder.
    AddFolderDialog,
    /// Ask for a path in a text field (no native dialog, or by choice).
    PromptPath(DialogPurpose, Option<String>),
    /// Start a run of the loaded module.
    Run,
    /// Stop the run in progress.
    Stop,
    /// Forget the recent files.
    ClearRecent,
    /// Show a backtrace frame's function, with its instruction marked.
    ShowCode(crate::engine::FrameInfo),
    /// Show the memory view, at an address if given.
    ShowMemory(Option<u64>),
    /// Save the last run's coredump: to this path, or where a save dialog says.
    SaveCoredump(Option<PathBuf>),
    /// Carry a scratch copy's changes (by guest path) to the real folder.
    ApplyScratch(String),
    /// Throw a scratch copy (by guest path) away.
    DiscardScratch(String),
    /// Show a dialog to save or load a sandbox profile.
    ProfileDialog(profile::ProfileAction),
    /// Copy the sandbox policy as this runtime's command line.
    CopyCommand(crate::engine::copy_as::Runtime),
    /// Show the sandbox policy as a Rust program embedding wasmtime.
    CopyAsRust,
    /// Precompile the loaded module to a `.cwasm`: at this path, or where a dialog says.
    Precompile(Option<PathBuf>),
    /// Run the loaded module under the sandbox and without its folders, side by side.
    CompareWithoutFolders,
    /// Run the loaded module as several tenants at once.
    RunTenants,
}

/// Which panels are shown; persisted (egui remembers their sizes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    /// The sandbox panel on the left.
    pub show_sandbox: bool,
    /// The module panel at the top.
    pub show_module: bool,
    /// The outcome panel on the right.
    pub show_outcome: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            show_sandbox: true,
            show_module: true,
            show_outcome: true,
        }
    }
}

/// A text field for a path, when there is no native dialog (or the user prefers typing).
struct PathPrompt {
    purpose: DialogPurpose,
    note: Option<String>,
    text: String,
    /// Whether the field has been focused once (so typing can start at once).
    focused: bool,
}

/// The application: settings that persist, and the runtime state that never does (a loaded
/// module, a run, its output).
#[derive(Default, Serialize, Deserialize)]
#[serde(default)]
pub struct App {
    /// The policy editor's contents.
    sandbox: SandboxSettings,
    /// Recently opened files, newest first.
    recent: Vec<PathBuf>,
    /// Light, dark or follow the system.
    theme: egui::ThemePreference,
    /// Which panels are shown.
    layout: Layout,

    #[serde(skip)]
    module: Option<Module>,
    /// Bumped on each load, so caches keyed on the module notice.
    #[serde(skip)]
    generation: u64,
    #[serde(skip)]
    loading: Option<LoadJob>,
    #[serde(skip)]
    dialog: Option<DialogJob>,
    #[serde(skip)]
    path_prompt: Option<PathPrompt>,
    /// The last load or run error, shown until dismissed or replaced.
    #[serde(skip)]
    error: Option<String>,
    #[serde(skip)]
    session: Option<Session>,
    #[serde(skip)]
    report: Option<RunReport>,
    /// The last run's memory over time, and its cap.
    #[serde(skip)]
    memory_history: (session::History, u64),
    /// The last run's table size over time, and its cap in elements.
    #[serde(skip)]
    table_history: (session::History, u64),
    /// The last run's fuel budget, when it metered fuel.
    #[serde(skip)]
    fuel_budget: Option<u64>,
    #[serde(skip)]
    console: Console,
    #[serde(skip)]
    console_view: ConsoleView,
    #[serde(skip)]
    module_view: ModuleView,
    #[serde(skip)]
    invoke: InvokeState,
    #[serde(skip)]
    code: code::CodeView,
    #[serde(skip)]
    hex: memory::HexView,
    #[serde(skip)]
    after: files::AfterRun,
    #[serde(skip)]
    profile: profile::ProfileState,
    #[serde(skip)]
    precompile: precompile::PrecompileState,
    #[serde(skip)]
    embed: embed::EmbedView,
    #[serde(skip)]
    tenants: tenants::TenantsState,
    /// The last thing done that is worth a word (a profile saved or loaded).
    #[serde(skip)]
    notice: Option<String>,
    #[serde(skip)]
    samples: Vec<Sample>,
    #[serde(skip)]
    commands: Vec<Command>,
    /// Run once when the next module loads (see [`AUTORUN_ENV`]).
    #[serde(skip)]
    autorun: bool,
    #[serde(skip)]
    applied_theme: Option<egui::ThemePreference>,
    /// The window title to set (the module's name), when it changed.
    #[serde(skip)]
    title: String,
    #[serde(skip)]
    applied_title: String,
}

impl App {
    /// The app with settings restored from `storage` (if any), and the samples found.
    pub fn new(storage: Option<&dyn eframe::Storage>) -> Self {
        let mut app: Self = storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        app.samples = loader::samples_dir()
            .map(|dir| loader::list_samples(&dir))
            .unwrap_or_default();
        app
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

    /// The sandbox settings, as the sandbox panel edits them.
    pub fn sandbox_mut(&mut self) -> &mut SandboxSettings {
        &mut self.sandbox
    }

    /// Whether a load or run is in progress (for tests and scripts that wait).
    pub fn is_busy(&self) -> bool {
        self.loading.is_some()
            || self.session.is_some()
            || !self.commands.is_empty()
            || self.after.is_busy()
            || self.profile.is_busy()
            || self.precompile.is_busy()
            || self.tenants.is_busy()
    }

    /// The loaded module's name, if any.
    pub fn module_name(&self) -> Option<&str> {
        self.module.as_ref().map(|m| m.name.as_str())
    }

    fn poll(&mut self, ctx: &egui::Context) {
        if let Some(result) = self.loading.as_ref().and_then(LoadJob::poll) {
            self.loading = None;
            self.loaded(result);
        }
        if let Some(answer) = self.dialog.as_ref().and_then(DialogJob::poll) {
            let purpose = self
                .dialog
                .take()
                .map_or(DialogPurpose::OpenModule, |d| d.purpose);
            match answer {
                DialogAnswer::Picked(path) => match purpose {
                    DialogPurpose::OpenModule => self.open_path(path),
                    DialogPurpose::AddFolder => self.sandbox.add_folder(path),
                },
                DialogAnswer::Cancelled => {}
                DialogAnswer::Unavailable => self.commands.push(Command::PromptPath(
                    purpose,
                    Some(
                        "No file dialog could be shown (is a desktop portal running?). \
                         Type the path instead."
                            .to_owned(),
                    ),
                )),
            }
        }
        if let Some(session) = &mut self.session {
            let (report, more) = session.poll(&mut self.console);
            if let Some(report) = report {
                self.finished(report);
            } else if more {
                ctx.request_repaint();
            } else {
                // Elapsed time and the spinner move even when the guest is quiet.
                ctx.request_repaint_after(std::time::Duration::from_millis(100));
            }
        }
        self.precompile.poll();
        self.tenants.poll();
        if let Some((action, path)) = self.profile.poll() {
            self.profile_file(action, path);
        }
        let applied = self.after.poll();
        if let Some(report) = &mut self.report {
            // Applied copies are done with: dropping them deletes the temporary folder.
            report.scratch.retain(|s| !applied.contains(&s.guest_path));
        }
        if self.loading.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
        }
    }

    fn loaded(&mut self, result: loader::LoadResult) {
        match result.result {
            Ok(module) => {
                if let Some(path) = &result.path {
                    loader::remember_recent(&mut self.recent, path);
                }
                if let Some(session) = &mut self.session {
                    // Output from the old module's run would be confusing under the new one.
                    session.stop();
                }
                self.error = None;
                self.title = format!("{} - wasmscope", module.name);
                self.module = Some(module);
                self.generation += 1;
                self.invoke = InvokeState::default();
                self.code.close();
                self.hex.open = false;
                self.after = files::AfterRun::default();
                self.report = None;
                self.console.clear();
                if std::mem::take(&mut self.autorun) {
                    self.commands.push(Command::Run);
                }
            }
            // The previous module, its output and outcome stay as they were.
            Err(message) => self.error = Some(message),
        }
    }

    fn finished(&mut self, report: RunReport) {
        if let Some(session) = self.session.take() {
            self.memory_history = (session.memory_history, session.memory_cap_bytes);
            self.table_history = (session.table_history, session.table_cap_elements);
            self.fuel_budget = session.fuel_budget;
        }
        self.console.flush();
        self.console
            .note(format!("── {} ──", report.outcome.summary()));
        self.hex.reset(&report);
        self.after = files::AfterRun::default();
        self.report = Some(report);
    }

    /// Saves the sandbox panel's policy to `path`, or loads it from there.
    fn profile_file(&mut self, action: profile::ProfileAction, path: PathBuf) {
        use crate::engine::profile as engine_profile;
        match action {
            profile::ProfileAction::Save => {
                let saved = self
                    .sandbox
                    .policy_for_run(&self.invoke)
                    .and_then(|policy| {
                        engine_profile::save(&path, &policy).map_err(|err| format!("{err:#}"))
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
                Ok(policy) => {
                    self.sandbox.args_text = policy
                        .args
                        .iter()
                        .map(|a| crate::engine::copy_as::shell_quote(a).into_owned())
                        .collect::<Vec<_>>()
                        .join(" ");
                    self.sandbox.stdin_text = match &policy.stdin {
                        crate::engine::StdinSource::Bytes(bytes) => {
                            String::from_utf8_lossy(bytes).into_owned()
                        }
                        _ => String::new(),
                    };
                    self.sandbox.policy = policy;
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

    fn compare_without_folders(&mut self, ctx: &egui::Context) {
        let Some(module) = &self.module else {
            return;
        };
        match self.sandbox.policy_for_run(&self.invoke) {
            Ok(policy) => self.tenants.compare_without_folders(
                &module.name,
                module.wasm.clone(),
                &policy,
                ctx,
            ),
            Err(message) => self.error = Some(message),
        }
    }

    fn run_tenants(&mut self, ctx: &egui::Context) {
        let Some(module) = &self.module else {
            return;
        };
        match self.sandbox.policy_for_run(&self.invoke) {
            Ok(policy) => self
                .tenants
                .start(&module.name, module.wasm.clone(), &policy, ctx),
            Err(message) => self.error = Some(message),
        }
    }

    fn copy_command(&mut self, runtime: crate::engine::copy_as::Runtime, ctx: &egui::Context) {
        let policy = match self.sandbox.policy_for_run(&self.invoke) {
            Ok(policy) => policy,
            Err(message) => {
                self.error = Some(message);
                return;
            }
        };
        let module_path = self.module.as_ref().map_or_else(
            || "module.wasm".to_owned(),
            |m| {
                m.path
                    .as_ref()
                    .map_or_else(|| m.name.clone(), |p| p.display().to_string())
            },
        );
        let copied = crate::engine::copy_as::command_line(runtime, &policy, &module_path);
        ctx.copy_text(copied.command.clone());
        self.profile.copied(runtime, copied);
    }

    fn start_run(&mut self, ctx: &egui::Context) {
        if self.session.is_some() {
            return;
        }
        let Some(module) = &self.module else {
            self.error = Some("Nothing to run yet: open a module first (Ctrl+O).".to_owned());
            return;
        };
        let policy = match self.sandbox.policy_for_run(&self.invoke) {
            Ok(policy) => policy,
            Err(message) => {
                self.error = Some(message);
                return;
            }
        };
        let request = RunRequest {
            name: module.name.clone(),
            wasm: module.wasm.clone(),
            policy,
        };
        match Session::start(request, ctx) {
            Ok(session) => {
                self.error = None;
                self.report = None;
                self.console.clear();
                self.session = Some(session);
            }
            Err(err) => self.error = Some(format!("cannot start the run thread: {err:#}")),
        }
    }

    fn apply_commands(&mut self, ctx: &egui::Context) {
        for command in std::mem::take(&mut self.commands) {
            match command {
                Command::Open(source) => match LoadJob::start(source, ctx) {
                    Ok(job) => self.loading = Some(job),
                    Err(err) => {
                        self.error = Some(format!("cannot start the loader thread: {err:#}"));
                    }
                },
                Command::OpenDialog | Command::AddFolderDialog => {
                    let purpose = match command {
                        Command::AddFolderDialog => DialogPurpose::AddFolder,
                        _ => DialogPurpose::OpenModule,
                    };
                    if self.dialog.is_none() {
                        match DialogJob::start(purpose, ctx) {
                            Ok(job) => self.dialog = Some(job),
                            Err(err) => {
                                self.path_prompt = Some(PathPrompt {
                                    purpose,
                                    note: Some(format!("No file dialog ({err:#}).")),
                                    text: String::new(),
                                    focused: false,
                                });
                            }
                        }
                    }
                }
                Command::PromptPath(purpose, note) => {
                    self.path_prompt = Some(PathPrompt {
                        purpose,
                        note,
                        text: String::new(),
                        focused: false,
                    });
                }
                Command::Run => self.start_run(ctx),
                Command::Stop => {
                    if let Some(session) = &mut self.session {
                        session.stop();
                    }
                    // Esc stops tenants too: they are runs the user started.
                    self.tenants.stop();
                }
                Command::ClearRecent => self.recent.clear(),
                Command::ShowMemory(address) => self.hex.show(address),
                Command::ProfileDialog(action) => self.profile.start(action, ctx),
                Command::CopyCommand(runtime) => self.copy_command(runtime, ctx),
                Command::CopyAsRust => match self.sandbox.policy_for_run(&self.invoke) {
                    Ok(policy) => self.embed.open(&policy, self.module.as_ref()),
                    Err(message) => self.error = Some(message),
                },
                Command::RunTenants => self.run_tenants(ctx),
                Command::CompareWithoutFolders => self.compare_without_folders(ctx),
                Command::Precompile(path) => {
                    if let Some(module) = &self.module {
                        let key =
                            crate::engine::sandbox::EngineKey::for_policy(&self.sandbox.policy);
                        self.precompile
                            .start(&module.name, module.wasm.clone(), key, path, ctx);
                    }
                }
                Command::SaveCoredump(path) => {
                    if let Some(dump) = self.report.as_ref().and_then(|r| r.coredump.clone()) {
                        self.after.save_coredump(dump, path, ctx);
                    }
                }
                Command::ApplyScratch(guest_path) => {
                    let scratch = self.report.as_ref().and_then(|r| {
                        r.scratch
                            .iter()
                            .find(|s| s.guest_path == guest_path)
                            .cloned()
                    });
                    if let Some(scratch) = scratch {
                        self.after.apply(scratch, ctx);
                    }
                }
                Command::DiscardScratch(guest_path) => {
                    if let Some(report) = &mut self.report {
                        // Dropping the copy deletes it.
                        report.scratch.retain(|s| s.guest_path != guest_path);
                        self.after.discarded(guest_path);
                    }
                }
                Command::ShowCode(frame) => {
                    if let Some(module) = &self.module {
                        self.code.open(frame, &module.wasm, self.generation, ctx);
                    }
                }
            }
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let run = ctx.input_mut(|i| {
            i.consume_key(Modifiers::NONE, Key::F5)
                || i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::R))
        });
        if run {
            self.commands.push(Command::Run);
        }
        if (self.session.is_some() || self.tenants.is_busy())
            && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape))
        {
            self.commands.push(Command::Stop);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, Key::O)))
        {
            self.commands.push(Command::OpenDialog);
        }
    }

    fn drop_ui(&mut self, ctx: &egui::Context) {
        let hovered: Vec<String> = ctx.input(|i| {
            i.raw
                .hovered_files
                .iter()
                .map(|f| {
                    f.path.as_ref().and_then(|p| p.file_name()).map_or_else(
                        || "the file".to_owned(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect()
        });
        if let Some(name) = hovered.first() {
            let painter = ctx.layer_painter(egui::LayerId::new(
                egui::Order::Foreground,
                egui::Id::unique("wasmscope drop overlay"),
            ));
            let rect = ctx.content_rect();
            painter.rect_filled(rect, 0.0, Color32::from_black_alpha(170));
            painter.rect_stroke(
                rect.shrink(12.0),
                8.0,
                egui::Stroke::new(3.0, Color32::from_rgb(120, 170, 255)),
                egui::StrokeKind::Inside,
            );
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                format!("Drop to open {name}"),
                egui::FontId::proportional(28.0),
                Color32::WHITE,
            );
        }
        let dropped = ctx.input(|i| i.raw.dropped_files.first().cloned());
        if let Some(file) = dropped {
            self.commands.push(Command::Open(Source::Dropped(file)));
        }
    }

    fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open…").clicked() {
                    self.commands.push(Command::OpenDialog);
                }
                if ui
                    .button("Open path…")
                    .on_hover_text("Type a file path instead of using the system dialog.")
                    .clicked()
                {
                    self.commands
                        .push(Command::PromptPath(DialogPurpose::OpenModule, None));
                }
                ui.menu_button("Recent", |ui| self.recent_menu_ui(ui));
                ui.separator();
                if ui
                    .button("Save sandbox profile…")
                    .on_hover_text(
                        "Save the Sandbox panel's settings (limits, folders, environment, \
                         arguments) as a TOML profile, for `wasmscope run --profile` or later.",
                    )
                    .clicked()
                {
                    self.commands
                        .push(Command::ProfileDialog(profile::ProfileAction::Save));
                }
                if ui
                    .button("Load sandbox profile…")
                    .on_hover_text("Replace the Sandbox panel's settings with a saved profile's.")
                    .clicked()
                {
                    self.commands
                        .push(Command::ProfileDialog(profile::ProfileAction::Load));
                }
                ui.separator();
                if ui
                    .add_enabled(self.module.is_some(), egui::Button::new("Precompile…"))
                    .on_hover_text(
                        "Compile the loaded module ahead of time into a .cwasm for the Sandbox \
                         panel's compiler and fuel setting, so later runs skip compiling.",
                    )
                    .clicked()
                {
                    self.commands.push(Command::Precompile(None));
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Samples", |ui| self.samples_menu_ui(ui));
            ui.menu_button("Module", |ui| {
                let can_run = self.module.is_some() && self.session.is_none();
                if ui
                    .add_enabled(can_run, egui::Button::new("Run module").shortcut_text("F5"))
                    .clicked()
                {
                    self.commands.push(Command::Run);
                }
                if ui
                    .add_enabled(
                        self.session.is_some(),
                        egui::Button::new("Stop run").shortcut_text("Esc"),
                    )
                    .clicked()
                {
                    self.commands.push(Command::Stop);
                }
                ui.separator();
                let path = self.module.as_ref().and_then(|m| m.path.clone());
                if ui
                    .add_enabled(path.is_some(), egui::Button::new("Reload from disk"))
                    .on_hover_text("Load the file again, e.g. after recompiling it.")
                    .clicked()
                    && let Some(path) = path
                {
                    self.open_path(path);
                }
            });
            ui.menu_button("Copy as command", |ui| {
                for runtime in crate::engine::copy_as::Runtime::ALL {
                    if ui
                        .button(runtime.name())
                        .on_hover_text(format!(
                            "Copy a {} command line that runs this module under this sandbox \
                             policy, with notes on what it cannot express.",
                            runtime.name()
                        ))
                        .clicked()
                    {
                        self.commands.push(Command::CopyCommand(runtime));
                    }
                }
                ui.separator();
                if ui
                    .button("Rust (wasmtime embedding)")
                    .on_hover_text(embed::MENU_TIP)
                    .clicked()
                {
                    self.commands.push(Command::CopyAsRust);
                }
            });
            ui.menu_button("View", |ui| {
                ui.checkbox(&mut self.layout.show_sandbox, "Sandbox panel");
                ui.checkbox(&mut self.layout.show_module, "Module panel");
                ui.checkbox(&mut self.layout.show_outcome, "Outcome panel");
                ui.separator();
                ui.label("Theme");
                ui.radio_value(
                    &mut self.theme,
                    egui::ThemePreference::System,
                    "Follow system",
                );
                ui.radio_value(&mut self.theme, egui::ThemePreference::Light, "Light");
                ui.radio_value(&mut self.theme, egui::ThemePreference::Dark, "Dark");
            });
        });
    }

    fn recent_menu_ui(&mut self, ui: &mut egui::Ui) {
        if self.recent.is_empty() {
            ui.weak("No recent files");
            return;
        }
        let mut open = None;
        for path in &self.recent {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            );
            if ui
                .button(name)
                .on_hover_text(path.display().to_string())
                .clicked()
            {
                open = Some(path.clone());
            }
        }
        if let Some(path) = open {
            self.open_path(path);
        }
        ui.separator();
        if ui.button("Clear recent files").clicked() {
            self.commands.push(Command::ClearRecent);
        }
    }

    fn samples_menu_ui(&mut self, ui: &mut egui::Ui) {
        if self.samples.is_empty() {
            ui.weak("No samples/ folder found next to wasmscope or in the current folder.");
            return;
        }
        ui.set_max_width(460.0);
        let mut open = None;
        for sample in &self.samples {
            let response = ui.add(
                egui::Button::new(RichText::new(&sample.name).strong().monospace())
                    .frame_when_inactive(false)
                    .min_size(egui::vec2(ui.available_width(), 0.0)),
            );
            ui.add(egui::Label::new(RichText::new(&sample.lesson).small().weak()).wrap());
            ui.add_space(2.0);
            if response.clicked() {
                open = Some(sample.path.clone());
            }
        }
        if let Some(path) = open {
            self.open_path(path);
        }
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let running = self.session.is_some();
            let can_run = self.module.is_some() && !running;
            let run = egui::Button::new(RichText::new("Run").strong().color(Color32::WHITE))
                .fill(Color32::from_rgb(40, 130, 70))
                .min_size(egui::vec2(64.0, 26.0));
            if ui
                .add_enabled(can_run, run)
                .on_hover_text("Run the module in the sandbox (F5 or Ctrl+R)")
                .on_disabled_hover_text(if running {
                    "A run is in progress: Stop it first (Esc)."
                } else {
                    "Open a module first (Ctrl+O, drag and drop, or Samples)."
                })
                .clicked()
            {
                self.commands.push(Command::Run);
            }
            let stop =
                egui::Button::new(RichText::new("Stop").strong()).min_size(egui::vec2(64.0, 26.0));
            if ui
                .add_enabled(running, stop)
                .on_hover_text(
                    "Stop the run (Esc). Works even when the guest is blocked in a host call.",
                )
                .clicked()
            {
                self.commands.push(Command::Stop);
            }
            if ui
                .add_enabled(self.module.is_some(), egui::Button::new("Run as tenants…"))
                .on_hover_text(
                    "Run the module several times at once (2 to 8 tenants), each with its own \
                     TENANT_ID and folder, and compare the results side by side.",
                )
                .clicked()
            {
                self.tenants.open = true;
            }
            ui.separator();
            if ui
                .button("Open…")
                .on_hover_text("Open a .wasm or .wat file (Ctrl+O)")
                .clicked()
            {
                self.commands.push(Command::OpenDialog);
            }
            if let Some(job) = &self.loading {
                ui.spinner();
                ui.label(format!("Loading {}…", job.label));
            }
            if let Some(notice) = &self.notice {
                ui.weak(notice);
            }
            if self.dialog.is_some() {
                ui.spinner();
                ui.weak("waiting for the file dialog…");
            }
        });
    }

    fn error_ui(&mut self, ui: &mut egui::Ui) {
        let Some(error) = &self.error else {
            return;
        };
        let mut dismiss = false;
        let color = ui.visuals().error_fg_color;
        egui::Frame::new()
            .fill(color.gamma_multiply(0.12))
            .stroke(egui::Stroke::new(1.0, color))
            .corner_radius(4.0)
            .inner_margin(8.0)
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Error").strong().color(color));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Min), |ui| {
                        if ui.small_button("Dismiss").clicked() {
                            dismiss = true;
                        }
                        ui.add(egui::Label::new(RichText::new(error).monospace()).wrap());
                    });
                });
            });
        if dismiss {
            self.error = None;
        }
    }

    fn path_prompt_ui(&mut self, ctx: &egui::Context) {
        let Some(prompt) = &mut self.path_prompt else {
            return;
        };
        let (title, action) = match prompt.purpose {
            DialogPurpose::OpenModule => ("Open a module by path", "Open"),
            DialogPurpose::AddFolder => ("Share a folder by path", "Add folder"),
        };
        let mut done = None;
        let mut open = true;
        egui::Window::new(title)
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
            .show(ctx, |ui| {
                if let Some(note) = &prompt.note {
                    ui.colored_label(ui.visuals().warn_fg_color, note);
                }
                let label = ui.label("Path");
                let response = ui.add(
                    egui::TextEdit::singleline(&mut prompt.text)
                        .hint_text("/path/to/module.wasm")
                        .desired_width(420.0),
                );
                let response = response.labelled_by(label.id);
                if !std::mem::replace(&mut prompt.focused, true) {
                    response.request_focus();
                }
                let entered =
                    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    if (ui.button(action).clicked() || entered) && !prompt.text.trim().is_empty() {
                        done = Some(PathBuf::from(prompt.text.trim()));
                    }
                    if ui.button("Cancel").clicked() {
                        done = Some(PathBuf::new());
                    }
                });
            });
        if let Some(path) = done {
            let purpose = prompt.purpose;
            self.path_prompt = None;
            if !path.as_os_str().is_empty() {
                match purpose {
                    DialogPurpose::OpenModule => self.open_path(path),
                    DialogPurpose::AddFolder => self.sandbox.add_folder(path),
                }
            }
        } else if !open {
            self.path_prompt = None;
        }
    }

    fn central_ui(&mut self, ui: &mut egui::Ui) {
        self.error_ui(ui);
        if self.layout.show_module {
            egui::Panel::top("module panel")
                .frame(egui::Frame::new().inner_margin(egui::Margin {
                    left: 8,
                    right: 8,
                    top: 0,
                    bottom: 8,
                }))
                .resizable(true)
                .default_size(320.0)
                // Not below the default when the first frame is small (the window may still be
                // opening): egui would clamp, and remember, a cramped panel.
                .size_range(120.0..=(ui.available_height() - 120.0).max(320.0))
                .show(ui, |ui| {
                    // Fill the panel: egui remembers a panel's size from what its contents
                    // used, and the first frame (no module yet) uses little.
                    ui.set_min_size(ui.available_size());
                    module::module_ui(
                        ui,
                        self.module.as_ref(),
                        self.generation,
                        &mut self.module_view,
                    );
                });
        }
        if self.layout.show_outcome {
            egui::Panel::right("outcome panel")
                .frame(egui::Frame::new().inner_margin(egui::Margin {
                    left: 10,
                    right: 8,
                    top: 6,
                    bottom: 0,
                }))
                .resizable(true)
                .default_size(400.0)
                .size_range(240.0..=800.0)
                .show(ui, |ui| {
                    ui.set_min_size(ui.available_size());
                    if let Some(session) = &self.session {
                        ui.heading("Outcome");
                        ui.horizontal(|ui| {
                            ui.spinner();
                            ui.label(match session.phase() {
                                session::Phase::Compiling => "Compiling…",
                                session::Phase::Running => "Running…",
                            });
                        });
                        ui.weak("The outcome appears here when the run ends.");
                        ui.add_space(8.0);
                        outcome::resource_plots_ui(
                            ui,
                            (&session.memory_history, session.memory_cap_bytes),
                            (&session.table_history, session.table_cap_elements),
                        );
                        if !session.calls.is_empty() {
                            ui.add_space(8.0);
                            ui.strong(format!("WASI calls so far: {}", session.calls_total));
                            calls::calls_table_ui(ui, &session.calls, session.calls_total);
                        }
                    } else {
                        outcome::outcome_ui(
                            ui,
                            self.report.as_ref(),
                            &self.memory_history,
                            &self.table_history,
                            &mut self.after,
                            &mut self.commands,
                        );
                    }
                });
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::new().inner_margin(egui::Margin {
                left: 8,
                right: 8,
                top: 6,
                bottom: 0,
            }))
            .show(ui, |ui| {
                console::console_ui(ui, &mut self.console, &mut self.console_view);
            });
    }

    fn apply_title(&mut self, ctx: &egui::Context) {
        if self.title != self.applied_title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(self.title.clone()));
            self.applied_title = self.title.clone();
        }
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        if self.applied_theme != Some(self.theme) {
            ctx.set_theme(self.theme);
            self.applied_theme = Some(self.theme);
        }
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.poll(&ctx);
        self.apply_theme(&ctx);
        self.shortcuts(&ctx);

        egui::Panel::top("menu bar").show(ui, |ui| self.menu_bar_ui(ui));
        egui::Panel::top("toolbar").show(ui, |ui| self.toolbar_ui(ui));
        egui::Panel::bottom("status bar").show(ui, |ui| {
            status::status_ui(
                ui,
                &status::StatusView {
                    loading: self.loading.as_ref(),
                    session: self.session.as_ref(),
                    report: self.report.as_ref(),
                    fuel_budget: self.fuel_budget,
                    memory_cap_bytes: self.sandbox.policy.max_memory_bytes,
                    console: &self.console,
                },
            );
        });
        if self.layout.show_sandbox {
            egui::Panel::left("sandbox panel")
                .resizable(true)
                .default_size(340.0)
                .size_range(260.0..=560.0)
                .show(ui, |ui| {
                    sandbox::sandbox_ui(
                        ui,
                        &mut self.sandbox,
                        &mut self.invoke,
                        self.module.as_ref().map(|m| &m.info),
                        &mut self.commands,
                    );
                });
        }
        egui::CentralPanel::default().show(ui, |ui| self.central_ui(ui));

        code::code_window_ui(&ctx, &mut self.code);
        embed::embed_window_ui(&ctx, &mut self.embed);
        if let Some((action, path)) = profile::profile_windows_ui(&ctx, &mut self.profile) {
            self.profile_file(action, path);
        }
        if let Some(path) = precompile::precompile_window_ui(&ctx, &mut self.precompile) {
            self.commands.push(Command::Precompile(Some(path)));
        }
        match tenants::tenants_window_ui(&ctx, &mut self.tenants, self.module.is_some()) {
            Some(tenants::TenantsAction::Run) => self.commands.push(Command::RunTenants),
            Some(tenants::TenantsAction::Stop) => self.tenants.stop(),
            Some(tenants::TenantsAction::CompareWithoutFolders) => {
                self.commands.push(Command::CompareWithoutFolders)
            }
            None => {}
        }
        memory::memory_window_ui(&ctx, &mut self.hex, self.report.as_ref());
        self.path_prompt_ui(&ctx);
        self.drop_ui(&ctx);
        self.apply_commands(&ctx);
        self.apply_title(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_persist_but_modules_and_output_do_not() {
        let mut app = App::default();
        app.sandbox.policy.max_memory_bytes = 64 * 1024 * 1024;
        app.sandbox.args_text = "div0".to_owned();
        app.recent.push(PathBuf::from("/tmp/x.wasm"));
        app.theme = egui::ThemePreference::Light;
        app.layout.show_outcome = false;
        app.console
            .push(crate::engine::StdStream::Stdout, b"secret output\n");
        app.error = Some("an error".to_owned());

        let saved = serde_json::to_string(&app).expect("serializes");
        assert!(!saved.contains("secret output") && !saved.contains("an error"));
        let restored: App = serde_json::from_str(&saved).expect("deserializes");
        assert_eq!(restored.sandbox, app.sandbox);
        assert_eq!(restored.recent, app.recent);
        assert_eq!(restored.theme, egui::ThemePreference::Light);
        assert!(!restored.layout.show_outcome);
        assert!(restored.console.is_empty() && restored.module.is_none());
    }

    #[test]
    fn old_or_partial_settings_fall_back_to_safe_defaults() {
        let restored: App =
            serde_json::from_str(r#"{"recent": ["/a.wasm"], "unknown": 1}"#).expect("lenient");
        assert_eq!(
            restored.sandbox.policy,
            crate::engine::SandboxPolicy::default()
        );
        assert!(restored.layout.show_sandbox);
    }
}
