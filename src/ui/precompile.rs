//! File ▸ Precompile…: the loaded module compiled ahead of time into a `.cwasm` for the
//! current sandbox's compiler and fuel setting. The save dialog and the compile both run on a
//! named thread, so a big module never freezes the window; without a dialog a path field asks.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use crate::ui::command::Command;

use crate::engine::module::precompiled;
use crate::engine::sandbox::{self, EngineKey};
use crate::ui::job::Job;
use crate::ui::prompt::{PathChooser, PathFieldText};
use crate::ui::theme::bytes_text;

/// The path field's words, when no save dialog can be shown.
const PATH_FIELD: PathFieldText = PathFieldText {
    title: "Precompile the module",
    label: "Precompiled module path",
    hint: "/path/to/module.cwasm",
    action: "Precompile",
};

/// What the precompile thread said.
enum Answer {
    /// Written; the line to show.
    Done(String),
    /// Failed; the line to show.
    Failed(String),
}

/// The precompile job and its path field.
#[derive(Default)]
pub struct PrecompileState {
    job: Option<Job<Answer>>,
    /// The save dialog, or the path field when there is no dialog.
    chooser: PathChooser<()>,
    /// What waits for the save dialog: the module and the engine to compile it with.
    waiting: Option<(String, Arc<[u8]>, EngineKey)>,
    /// The last result: whether it went wrong, and the line.
    message: Option<(bool, String)>,
}

impl PrecompileState {
    /// Whether a dialog or compile is in progress.
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.chooser.is_waiting()
    }

    /// Compiles `wasm` for `key` and writes it to `path`, or where a save dialog says;
    /// `precompiled` (the open module is native code already) says why not instead.
    pub fn start(
        &mut self,
        name: &str,
        (wasm, precompiled): (Arc<[u8]>, bool),
        key: EngineKey,
        path: Option<PathBuf>,
        ctx: &egui::Context,
    ) {
        if self.job.is_some() {
            return;
        }
        if precompiled {
            self.message = Some((
                true,
                format!("{name} is already precompiled machine code: open its .wasm instead."),
            ));
            return;
        }
        let Some(path) = path else {
            let file_name = format!(
                "{}.cwasm",
                name.rsplit_once('.').map_or(name, |(stem, _)| stem)
            );
            // The dialog is built here: some platforms want that on the main thread.
            let pick = rfd::AsyncFileDialog::new()
                .set_title("Save the precompiled module")
                .set_file_name(file_name)
                .add_filter("Precompiled module", &["cwasm"])
                .save_file();
            self.waiting = Some((name.to_owned(), wasm, key));
            self.chooser.start((), pick, ctx);
            return;
        };
        let work = move || {
            // Tagged with the user's key, like `wasmscope compile`'s output.
            let compiled = sandbox::shared_engine(key)
                .map_err(|err| format!("cannot precompile: {err:#}"))
                .and_then(|shared| {
                    precompiled::precompile(&shared, key, &wasm)
                        .map_err(|err| format!("cannot precompile: {err}"))
                });
            let bytes = match compiled {
                Ok(bytes) => bytes,
                Err(line) => return Answer::Failed(line),
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
        match Job::spawn("precompile", format!("precompiling {name}"), ctx, work) {
            Ok(job) => {
                self.message = None;
                self.job = Some(job);
            }
            Err(err) => {
                self.message = Some((true, format!("cannot start the compile thread: {err:#}")));
            }
        }
    }

    /// Handles the dialog's and the job's answers, once there are some.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(((), path)) = self.chooser.poll()
            && let Some((name, wasm, key)) = self.waiting.take()
        {
            self.start(&name, (wasm, false), key, Some(path), ctx);
        }
        let Some(result) = self.job.as_ref().and_then(Job::poll) else {
            return;
        };
        self.job = None;
        match result {
            Ok(Answer::Done(line)) => {
                self.chooser.close_field();
                self.message = Some((false, line));
            }
            Ok(Answer::Failed(line)) => self.message = Some((true, line)),
            Err(lost) => self.message = Some((true, lost.to_string())),
        }
    }
}

/// The precompile window while there is something to show; a typed path to write becomes a
/// [`Command::Precompile`].
pub fn precompile_window_ui(
    ctx: &egui::Context,
    state: &mut PrecompileState,
    commands: &mut Vec<Command>,
) {
    if state.job.is_none() && !state.chooser.is_asking() && state.message.is_none() {
        return;
    }
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
            let idle = state.job.is_none();
            if let Some(((), path)) = state.chooser.field_ui(ui, &PATH_FIELD, idle) {
                commands.push(Command::Precompile(Some(path)));
            }
        });
    if !open {
        state.chooser.close_field();
        state.message = None;
    }
}
