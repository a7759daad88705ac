//! The window's frame around the panels: menu bar, toolbar, error line, drop overlay, the
//! path prompt, and the layout of the panels themselves.

use eframe::egui;
use egui::{Color32, RichText};

use crate::ui::app::App;
use crate::ui::command::Command;
use crate::ui::loader::{DialogPurpose, Source};
use crate::ui::{
    calls, console, debugger, layout, module, outcome, profile, prompt, session, theme, travel,
};

impl App {
    /// The outcome panel's contents: the paused state, the run in progress, or the outcome.
    fn outcome_panel_ui(&mut self, ui: &mut egui::Ui) {
        let session = self.run_view.session.as_ref();

        if let Some(paused) = session.and_then(|s| s.debug.paused.as_ref()) {
            egui::ScrollArea::vertical()
                .id_salt("paused scroll")
                .show(ui, |ui| {
                    let travel = self.run_view.travel.as_ref();
                    travel::timeline_ui(ui, paused, travel, &mut self.commands);
                    let state = &mut self.loaded.debugger;
                    debugger::paused_panel_ui(ui, paused, state, &mut self.commands);
                });
        } else if let Some(session) = &self.run_view.session {
            ui.heading("Outcome");
            let phase = session.phase();
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(match phase {
                    session::Phase::Compiling => "Compiling…",
                    session::Phase::Running => "Running…",
                });
            });
            if phase == session::Phase::Compiling {
                self.jobs.compile.compiling_ui(
                    ui,
                    Some(session.started),
                    &self.state.compile_speeds,
                );
            }
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
        } else if self.run_view.report.is_none() && self.jobs.compile.is_compiling() {
            // Before the first run: the module's background compile, not "No run
            // yet" for minutes.
            ui.heading("Outcome");
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Compiling the module…");
            });
            self.jobs
                .compile
                .compiling_ui(ui, None, &self.state.compile_speeds);
        } else {
            outcome::outcome_ui(
                ui,
                self.run_view.report.as_ref(),
                &self.run_view.memory_history,
                &self.run_view.table_history,
                &mut self.run_view.after,
                &mut self.commands,
            );
        }
    }

    pub(crate) fn drop_ui(&mut self, ctx: &egui::Context) {
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
                egui::Stroke::new(3.0, theme::DROP),
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

    pub(crate) fn menu_bar_ui(&mut self, ui: &mut egui::Ui) {
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
                        .push(Command::SandboxProfileDialog(profile::ProfileAction::Save));
                }
                if ui
                    .button("Load sandbox profile…")
                    .on_hover_text("Replace the Sandbox panel's settings with a saved profile's.")
                    .clicked()
                {
                    self.commands
                        .push(Command::SandboxProfileDialog(profile::ProfileAction::Load));
                }
                ui.separator();
                if ui
                    .add_enabled(
                        self.loaded.module.is_some(),
                        egui::Button::new("Precompile…"),
                    )
                    .on_hover_text(
                        "Compile the loaded module ahead of time into a .cwasm for the Sandbox \
                         panel's compiler and fuel setting, so later runs skip compiling.",
                    )
                    .clicked()
                {
                    self.commands.push(Command::Precompile(None));
                }
                let profile = self
                    .run_view
                    .report
                    .as_ref()
                    .and_then(|r| r.profile.as_ref());
                if ui
                    .add_enabled(
                        crate::ui::profiler::can_save(profile),
                        egui::Button::new("Save profile…"),
                    )
                    .on_hover_text(
                        "Save the last run's guest profile in the Firefox Profiler's format \
                         (profiler.firefox.com).",
                    )
                    .on_disabled_hover_text(
                        "Turn on Profile in the Sandbox panel and run the module first.",
                    )
                    .clicked()
                {
                    self.commands.push(Command::SaveGuestProfile(None));
                }
                let recording = self
                    .run_view
                    .report
                    .as_ref()
                    .and_then(|r| r.recording.as_ref());
                if ui
                    .add_enabled(recording.is_some(), egui::Button::new("Save recording…"))
                    .on_hover_text(
                        "Save the last run's recording (.wstrace): the module, its sandbox and \
                         everything it was handed through WASI, to replay exactly here (open \
                         the file) or with `wasmscope replay`.",
                    )
                    .on_disabled_hover_text(
                        "Run a core module with Record on (Sandbox panel) first; a replay is not \
                         recorded again.",
                    )
                    .clicked()
                {
                    self.commands.push(Command::SaveRecording(None));
                }
                if ui
                    .add_enabled(
                        self.run_view.report.is_some() && self.run_view.setup.is_some(),
                        egui::Button::new("Save report as HTML…"),
                    )
                    .on_hover_text(
                        "Save the last run's report as one self-contained HTML page, as \
                         `wasmscope run --html` writes it: to hand out or keep.",
                    )
                    .on_disabled_hover_text("Run the module first.")
                    .clicked()
                {
                    self.commands.push(Command::SaveReportPage(None));
                }
                if ui
                    .add_enabled(
                        self.run_view.report.is_some() || self.run_view.session.is_some(),
                        egui::Button::new("Save map as SVG…"),
                    )
                    .on_hover_text(
                        "Save the sandbox map (View ▸ Sandbox map) as an SVG picture, for \
                         slides. SVG only: PNG would need a rasterizer.",
                    )
                    .on_disabled_hover_text("Run the module first.")
                    .clicked()
                {
                    self.commands.push(Command::SaveMap(None));
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("Samples", |ui| self.samples_menu_ui(ui));
            ui.menu_button("Module", |ui| {
                let can_run = self.can_run();
                if ui
                    .add_enabled(can_run, egui::Button::new("Run module").shortcut_text("F5"))
                    .clicked()
                {
                    self.commands.push(Command::Run);
                }
                if ui
                    .add_enabled(
                        self.run_view.session.is_some(),
                        egui::Button::new("Stop run").shortcut_text("Esc"),
                    )
                    .clicked()
                {
                    self.commands.push(Command::Stop);
                }
                debugger::menu_ui(ui, self.run_view.session.as_ref(), &mut self.commands);
                ui.separator();
                let path = self.loaded.module.as_ref().and_then(|m| m.path.clone());
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
                for runtime in crate::engine::export::copy_as::Runtime::ALL {
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
                    .on_hover_text(crate::ui::embed::MENU_TIP)
                    .clicked()
                {
                    self.commands.push(Command::CopyAsRust);
                }
            });
            ui.menu_button("View", |ui| {
                ui.checkbox(&mut self.state.layout.show_sandbox, "Sandbox panel");
                ui.checkbox(&mut self.state.layout.show_module, "Module panel");
                ui.checkbox(&mut self.state.layout.show_outcome, "Outcome panel");
                ui.checkbox(&mut self.run_view.profiler.open, "Guest profile");
                ui.checkbox(&mut self.run_view.map.open, "Sandbox map")
                    .on_hover_text(
                        "The guest's world, the host's, and the sandbox's wall between: each \
                         grant a door, each call through one or stopped at the wall.",
                    );
                ui.separator();
                ui.label("Theme");
                ui.radio_value(
                    &mut self.state.theme,
                    egui::ThemePreference::System,
                    "Follow system",
                );
                ui.radio_value(&mut self.state.theme, egui::ThemePreference::Light, "Light");
                ui.radio_value(&mut self.state.theme, egui::ThemePreference::Dark, "Dark");
            });
            ui.menu_button("Help", |ui| {
                if ui
                    .button("Lessons")
                    .on_hover_text(
                        "Short guided lessons on the samples: what to do, what to expect, and a \
                         mark when a run shows you have done it.",
                    )
                    .clicked()
                {
                    self.lessons.open(&mut self.state.lessons);
                }
            });
        });
    }

    fn recent_menu_ui(&mut self, ui: &mut egui::Ui) {
        if self.state.recent.is_empty() {
            ui.weak("No recent files");
            return;
        }
        let mut open = None;
        for path in &self.state.recent {
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
        // On a short screen the list scrolls rather than running off the window's bottom.
        let room = ui.ctx().content_rect().bottom() - ui.next_widget_position().y - 16.0;
        let mut open = None;
        egui::ScrollArea::vertical()
            .id_salt("samples menu")
            .max_height(room.max(120.0))
            .show(ui, |ui| {
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
            });
        if let Some(path) = open {
            self.open_path(path);
        }
    }

    pub(crate) fn toolbar_ui(&mut self, ui: &mut egui::Ui) {
        // Wrapped: in a narrow window (or paused, with the debugger's buttons) the toolbar
        // takes a second row rather than clipping its last items.
        ui.horizontal_wrapped(|ui| {
            let running = self.run_view.session.is_some();
            let can_run = self.can_run();
            let run = egui::Button::new(RichText::new("Run").strong().color(Color32::WHITE))
                .fill(theme::GREEN)
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
            let session = self.run_view.session.as_ref();
            debugger::toolbar_ui(ui, session, &mut self.commands);
            let info = self.loaded.module.as_ref().map(|m| &*m.info);
            let invoke = self.loaded.grants.invoke.name.as_deref();
            debugger::code_button_ui(ui, info, invoke, &mut self.commands);
            if ui
                .add_enabled(
                    self.loaded.module.is_some(),
                    egui::Button::new("Run as tenants…"),
                )
                .on_hover_text(
                    "Run the module several times at once (2 to 8 tenants), each with its own \
                     TENANT_ID and folder, and compare the results side by side.",
                )
                .clicked()
            {
                self.jobs.tenants.open = true;
            }
            ui.separator();
            if ui
                .button("Open…")
                .on_hover_text("Open a .wasm or .wat file (Ctrl+O)")
                .clicked()
            {
                self.commands.push(Command::OpenDialog);
            }
            if let Some(job) = &self.jobs.loading {
                ui.spinner();
                ui.label(format!("Loading {}…", job.label()));
            }
            self.jobs.compile.status_ui(ui, &self.state.compile_speeds);
            if let Some(notice) = &self.notice {
                ui.weak(notice);
            }
            if self.jobs.chooser.is_waiting() {
                ui.spinner();
                ui.weak("waiting for the file dialog…");
            }
        });
    }

    pub(crate) fn error_ui(&mut self, ui: &mut egui::Ui) {
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
                    });
                });
                // Left-aligned and monospace on rows of its own. A message with several lines
                // (a WAT error quoting the source) keeps its lines whole, so the `^` stays under
                // the column it points at; it scrolls sideways if too wide.
                let text = RichText::new(error).monospace();
                if error.contains('\n') {
                    egui::ScrollArea::horizontal()
                        .id_salt("error text")
                        .show(ui, |ui| {
                            ui.add(egui::Label::new(text).wrap_mode(egui::TextWrapMode::Extend));
                        });
                } else {
                    ui.add(egui::Label::new(text).wrap());
                }
            });
        if dismiss {
            self.error = None;
        }
    }

    pub(crate) fn path_prompt_ui(&mut self, ctx: &egui::Context) {
        let picked = self.jobs.chooser.window_ui(ctx, |purpose| match purpose {
            DialogPurpose::OpenModule => prompt::PathFieldText {
                title: "Open a module by path",
                label: "Path",
                hint: "/path/to/module.wasm",
                action: "Open",
            },
            DialogPurpose::AddFolder => prompt::PathFieldText {
                title: "Share a folder by path",
                label: "Path",
                hint: "/path/to/folder",
                action: "Add folder",
            },
        });
        match picked {
            Some((DialogPurpose::OpenModule, path)) => self.open_path(path),
            Some((DialogPurpose::AddFolder, path)) => self.loaded.grants.add_folder(path),
            None => {}
        }
    }

    pub(crate) fn central_ui(&mut self, ui: &mut egui::Ui) {
        self.error_ui(ui);
        if let Some(recording) = self.loaded.module.as_ref().and_then(|m| m.replay.as_ref()) {
            crate::ui::replay::replay_banner_ui(ui, recording);
        }
        if self.state.layout.show_module {
            let module_height = layout::module_panel_height(ui.ctx().content_rect().height());
            egui::Panel::top("module panel")
                .frame(egui::Frame::new().inner_margin(egui::Margin {
                    left: 8,
                    right: 8,
                    top: 0,
                    bottom: 8,
                }))
                .resizable(true)
                .default_size(module_height)
                // Not below the default when the first frame is small (the window may still be
                // opening): egui would clamp, and remember, a cramped panel.
                .size_range(120.0..=(ui.available_height() - 120.0).max(module_height))
                .show(ui, |ui| {
                    // Fill the panel: egui remembers a panel's size from what its contents
                    // used, and the first frame (no module yet) uses little.
                    ui.set_min_size(ui.available_size());
                    module::module_ui(
                        ui,
                        self.loaded.module.as_ref(),
                        self.loaded.generation,
                        &mut self.loaded.module_view,
                    );
                });
        }
        if self.state.layout.show_outcome {
            let (default_width, widths) =
                layout::outcome_panel_beside(ui.ctx().content_rect().width(), ui.available_width());
            let width = layout::panel_width(ui, "outcome panel");
            egui::Panel::right("outcome panel")
                .frame(egui::Frame::new().inner_margin(egui::Margin {
                    left: 10,
                    right: 8,
                    top: 6,
                    bottom: 0,
                }))
                .resizable(true)
                .default_size(default_width)
                .size_range(widths)
                .show(ui, |ui| {
                    ui.set_min_size(ui.available_size());
                    // What is wider than the panel scrolls inside it: content that pushed the
                    // panel past its width would be drawn under the console.
                    let width = ui.available_width();
                    egui::ScrollArea::horizontal()
                        .id_salt("outcome across")
                        .max_width(width)
                        .show(ui, |ui| self.outcome_panel_ui(ui));
                });
            layout::keep_panel_width(ui.ctx(), width);
        }
        egui::CentralPanel::default()
            .frame(egui::Frame::new().inner_margin(egui::Margin {
                left: 8,
                right: 8,
                top: 6,
                bottom: 0,
            }))
            .show(ui, |ui| {
                console::console_ui(
                    ui,
                    &mut self.run_view.console,
                    &mut self.run_view.console_view,
                );
            });
    }
}
