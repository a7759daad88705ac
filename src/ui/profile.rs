//! Sandbox profiles (the policy as a TOML file) and "Copy as command" (the policy as another
//! runtime's command line). Profiles are small, so they are read and written on the UI thread;
//! only the file dialogs wait on a named thread.

use std::path::PathBuf;

use eframe::egui;

use crate::ui::command::Command;
use egui::RichText;

use crate::engine::export::copy_as::{CopiedCommand, Runtime};
use crate::ui::prompt::{PathChooser, PathFieldText};

pub use crate::ui::command::ProfileAction;

/// The profile dialogs' and the copied command's state.
#[derive(Default)]
pub struct ProfileState {
    /// The open or save dialog, or the path field when there is none.
    chooser: PathChooser<ProfileAction>,
    /// The last copied command, shown with its notes until closed.
    copied: Option<(Runtime, CopiedCommand)>,
}

impl ProfileState {
    /// Shows a save or open dialog for a profile; falls back to a path field.
    pub fn start(&mut self, action: ProfileAction, ctx: &egui::Context) {
        let dialog = rfd::AsyncFileDialog::new()
            .add_filter("Sandbox profile", &["toml"])
            .add_filter("All files", &["*"]);
        let pick: std::pin::Pin<Box<dyn Future<Output = Option<rfd::FileHandle>> + Send>> =
            match action {
                ProfileAction::Save => Box::pin(
                    dialog
                        .set_title("Save the sandbox profile")
                        .set_file_name("sandbox.toml")
                        .save_file(),
                ),
                ProfileAction::Load => {
                    Box::pin(dialog.set_title("Load a sandbox profile").pick_file())
                }
            };
        self.chooser.start(action, pick, ctx);
    }

    /// Whether a dialog is waiting.
    pub fn is_busy(&self) -> bool {
        self.chooser.is_waiting()
    }

    /// A picked path, once the dialog answers.
    pub fn poll(&mut self) -> Option<(ProfileAction, PathBuf)> {
        self.chooser.poll()
    }

    /// Remembers a copied command, to show with its notes.
    pub fn copied(&mut self, runtime: Runtime, command: CopiedCommand) {
        self.copied = Some((runtime, command));
    }
}

/// The path field (when there is no dialog) and the copied command window; a confirmed path
/// becomes a [`Command::SandboxProfileFile`].
pub fn profile_windows_ui(
    ctx: &egui::Context,
    state: &mut ProfileState,
    commands: &mut Vec<Command>,
) {
    let done = state.chooser.window_ui(ctx, |action| match action {
        ProfileAction::Save => PathFieldText {
            title: "Save the sandbox profile",
            label: "Profile path",
            hint: "/path/to/sandbox.toml",
            action: "Save profile",
        },
        ProfileAction::Load => PathFieldText {
            title: "Load a sandbox profile",
            label: "Profile path",
            hint: "/path/to/sandbox.toml",
            action: "Load profile",
        },
    });
    if let Some((runtime, copied)) = &state.copied {
        let mut open = true;
        crate::ui::layout::in_window_area(egui::Window::new("Copied command"), ctx)
            .open(&mut open)
            .default_width(520.0)
            .show(ctx, |ui| {
                ui.label(format!(
                    "This {} command is on the clipboard:",
                    runtime.name()
                ));
                ui.add(
                    egui::Label::new(RichText::new(&copied.command).monospace())
                        .wrap()
                        .selectable(true),
                );
                if copied.notes.is_empty() {
                    ui.weak("It expresses the whole sandbox policy.");
                } else {
                    ui.strong("What it cannot express:");
                    for note in &copied.notes {
                        ui.label(format!("- {note}"));
                    }
                }
            });
        if !open {
            state.copied = None;
        }
    }
    if let Some((action, path)) = done {
        commands.push(Command::SandboxProfileFile(action, path));
    }
}
