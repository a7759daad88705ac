//! Sandbox profiles (the policy as a TOML file) and "Copy as command" (the policy as another
//! runtime's command line). Profiles are small, so they are read and written on the UI thread;
//! only the file dialogs wait on a named thread.

use crate::ui::loader::{Destination, destination};
use std::path::PathBuf;

use crossbeam_channel::{Receiver, TryRecvError, bounded};
use eframe::egui;
use egui::RichText;

use crate::engine::copy_as::{CopiedCommand, Runtime};

/// Saving or loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileAction {
    /// Write the sandbox panel's policy to a file.
    Save,
    /// Replace the sandbox panel's policy with a file's.
    Load,
}

/// What the dialog thread said: a path, nothing (cancelled), or that no dialog showed.
enum Answer {
    Picked(PathBuf),
    Cancelled,
    NoDialog,
}

/// The profile dialogs' and the copied command's state.
#[derive(Default)]
pub struct ProfileState {
    dialog: Option<(ProfileAction, Receiver<Answer>)>,
    /// The path field, when there is no dialog: what for, the text, a note.
    prompt: Option<(ProfileAction, String, Option<String>)>,
    /// The last copied command, shown with its notes until closed.
    copied: Option<(Runtime, CopiedCommand)>,
}

impl ProfileState {
    /// Shows a save or open dialog for a profile; falls back to a path field.
    pub fn start(&mut self, action: ProfileAction, ctx: &egui::Context) {
        if self.dialog.is_some() {
            return;
        }
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
        let (sender, receiver) = bounded(1);
        let waker = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("wasmscope-dialog".to_owned())
            .spawn(move || {
                let answer = match destination(None, Some(pick)) {
                    Destination::Path(path) => Answer::Picked(path),
                    Destination::NoDialog => Answer::NoDialog,
                    Destination::Cancelled => Answer::Cancelled,
                };
                let _ = sender.send(answer);
                waker.request_repaint();
            });
        match spawned {
            Ok(_) => self.dialog = Some((action, receiver)),
            Err(err) => {
                self.prompt = Some((
                    action,
                    String::new(),
                    Some(format!("No file dialog ({err:#}).")),
                ));
            }
        }
    }

    /// Whether a dialog is waiting.
    pub fn is_busy(&self) -> bool {
        self.dialog.is_some()
    }

    /// A picked path, once the dialog answers.
    pub fn poll(&mut self) -> Option<(ProfileAction, PathBuf)> {
        let (action, receiver) = self.dialog.as_ref()?;
        let action = *action;
        let answer = match receiver.try_recv() {
            Ok(answer) => answer,
            Err(TryRecvError::Empty) => return None,
            Err(TryRecvError::Disconnected) => Answer::NoDialog,
        };
        self.dialog = None;
        match answer {
            Answer::Picked(path) => return Some((action, path)),
            Answer::Cancelled => {}
            Answer::NoDialog => {
                self.prompt = Some((
                    action,
                    String::new(),
                    Some(
                        "No file dialog could be shown (is a desktop portal running?). Type \
                         the path instead."
                            .to_owned(),
                    ),
                ));
            }
        }
        None
    }

    /// Remembers a copied command, to show with its notes.
    pub fn copied(&mut self, runtime: Runtime, command: CopiedCommand) {
        self.copied = Some((runtime, command));
    }
}

/// The path field (when there is no dialog) and the copied command window; returns a typed
/// path when the user confirms it.
pub fn profile_windows_ui(
    ctx: &egui::Context,
    state: &mut ProfileState,
) -> Option<(ProfileAction, PathBuf)> {
    let mut done = None;
    if let Some((action, text, note)) = &mut state.prompt {
        let (title, button) = match action {
            ProfileAction::Save => ("Save the sandbox profile", "Save profile"),
            ProfileAction::Load => ("Load a sandbox profile", "Load profile"),
        };
        let mut open = true;
        let mut close = false;
        egui::Window::new(title)
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
            .show(ctx, |ui| {
                if let Some(note) = note {
                    ui.colored_label(ui.visuals().warn_fg_color, note.as_str());
                }
                let label = ui.label("Profile path");
                let response = ui
                    .add(
                        egui::TextEdit::singleline(text)
                            .hint_text("/path/to/sandbox.toml")
                            .desired_width(420.0),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("The profile file (TOML); Enter to confirm.");
                let entered =
                    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                ui.horizontal(|ui| {
                    if (ui.button(button).clicked() || entered) && !text.trim().is_empty() {
                        done = Some((*action, PathBuf::from(text.trim())));
                    }
                    if ui.button("Cancel").clicked() {
                        close = true;
                    }
                });
            });
        if done.is_some() || close || !open {
            state.prompt = None;
        }
    }
    if let Some((runtime, copied)) = &state.copied {
        let mut open = true;
        egui::Window::new("Copied command")
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
    done
}
