//! File ▸ Precompile…: the loaded module compiled ahead of time into a `.cwasm` for the
//! current sandbox's compiler and fuel setting. The save dialog and the compile both run on a
//! named thread, so a big module never freezes the window; without a dialog a path field asks.

use crate::ui::loader::{Destination, destination};
use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError, bounded};
use eframe::egui;

use crate::engine::sandbox::{self, EngineKey};
use crate::ui::theme::bytes_text;

/// What the precompile thread said.
enum Answer {
    /// Written; the line to show.
    Done(String),
    /// Failed; the line to show.
    Failed(String),
    /// The dialog was closed without a pick.
    Cancelled,
    /// No dialog could be shown: ask for a path in a field instead.
    NoDialog,
}

/// The precompile job and its path field.
#[derive(Default)]
pub struct PrecompileState {
    job: Option<Receiver<Answer>>,
    /// The path field, when there is no dialog.
    path: Option<String>,
    /// The last result: whether it went wrong, and the line.
    message: Option<(bool, String)>,
}

impl PrecompileState {
    /// Whether a dialog or compile is in progress.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Compiles `wasm` for `key` and writes it to `path`, or where a save dialog says.
    pub fn start(
        &mut self,
        name: &str,
        wasm: Arc<[u8]>,
        key: EngineKey,
        path: Option<PathBuf>,
        ctx: &egui::Context,
    ) {
        if self.job.is_some() {
            return;
        }
        if sandbox::is_precompiled(&wasm) {
            self.message = Some((
                true,
                format!("{name} is already precompiled machine code: open its .wasm instead."),
            ));
            return;
        }
        let file_name = format!(
            "{}.cwasm",
            name.rsplit_once('.').map_or(name, |(stem, _)| stem)
        );
        // The dialog is built here: some platforms want that on the main thread.
        let pick = path.is_none().then(|| {
            rfd::AsyncFileDialog::new()
                .set_title("Save the precompiled module")
                .set_file_name(file_name)
                .add_filter("Precompiled module", &["cwasm"])
                .save_file()
        });
        let job = move || {
            let path = match destination(path, pick) {
                Destination::Path(path) => path,
                Destination::NoDialog => return Answer::NoDialog,
                Destination::Cancelled => return Answer::Cancelled,
            };
            let compiled =
                sandbox::shared_engine(key).and_then(|shared| sandbox::precompile(&shared, &wasm));
            let bytes = match compiled {
                Ok(bytes) => bytes,
                Err(err) => return Answer::Failed(format!("cannot precompile: {err:#}")),
            };
            match std::fs::write(&path, &bytes) {
                Ok(()) => Answer::Done(format!(
                    "Precompiled for {}{} ({}) to {}",
                    key.compiler.name(),
                    if key.fuel { " with fuel" } else { "" },
                    bytes_text(bytes.len() as u64),
                    path.display()
                )),
                Err(err) => Answer::Failed(format!(
                    "cannot save the precompiled module: {err:#}: {}",
                    path.display()
                )),
            }
        };
        let (sender, receiver) = bounded(1);
        let waker = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("wasmscope-precompile".to_owned())
            .spawn(move || {
                let _ = sender.send(job());
                waker.request_repaint();
            });
        match spawned {
            Ok(_) => {
                self.message = None;
                self.job = Some(receiver);
            }
            Err(err) => {
                self.message = Some((true, format!("cannot start the compile thread: {err:#}")));
            }
        }
    }

    /// Handles the job's answer, once there is one.
    pub fn poll(&mut self) {
        let Some(receiver) = &self.job else {
            return;
        };
        let answer = match receiver.try_recv() {
            Ok(answer) => answer,
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                Answer::Failed("the compile thread ended early".to_owned())
            }
        };
        self.job = None;
        match answer {
            Answer::Done(line) => {
                self.path = None;
                self.message = Some((false, line));
            }
            Answer::Failed(line) => self.message = Some((true, line)),
            Answer::Cancelled => {}
            Answer::NoDialog => {
                self.path = Some(String::new());
                self.message = Some((
                    false,
                    "No file dialog could be shown (is a desktop portal running?). Type the \
                     path instead."
                        .to_owned(),
                ));
            }
        }
    }
}

/// The precompile window while there is something to show; returns a typed path to write.
pub fn precompile_window_ui(ctx: &egui::Context, state: &mut PrecompileState) -> Option<PathBuf> {
    if state.job.is_none() && state.path.is_none() && state.message.is_none() {
        return None;
    }
    let mut typed = None;
    let mut open = true;
    egui::Window::new("Precompile the module")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 80.0])
        .show(ctx, |ui| {
            if state.job.is_some() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Precompiling…");
                });
            }
            if let Some((error, message)) = &state.message {
                if *error {
                    ui.colored_label(ui.visuals().error_fg_color, message);
                } else {
                    ui.label(message);
                }
            }
            if let Some(text) = &mut state.path {
                let label = ui.label("Precompiled module path");
                let response = ui
                    .add(
                        egui::TextEdit::singleline(text)
                            .hint_text("/path/to/module.cwasm")
                            .desired_width(420.0),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("Where to write the .cwasm; Enter or Precompile to write it.");
                let entered =
                    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui
                    .add_enabled(state.job.is_none(), egui::Button::new("Precompile"))
                    .on_hover_text("Compile the module and write the .cwasm to this path.")
                    .clicked()
                    || entered)
                    && !text.trim().is_empty()
                {
                    typed = Some(PathBuf::from(text.trim()));
                }
            }
        });
    if !open {
        state.path = None;
        state.message = None;
    }
    typed
}
