//! Saving bytes the window holds (a trap's coredump, a run's recording) to a file the user
//! picks: the native save dialog, or the path field when there is none; the write on a named
//! thread; one line saying what happened.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use crate::ui::job::{Job, take_result};
use crate::ui::prompt::{PathChooser, PathFieldText};
use crate::ui::theme::bytes_text;

/// The words and file type of one kind of save.
pub struct SaveText {
    /// What is saved, for messages: "the coredump".
    pub what: &'static str,
    /// The dialog's filter: its name and extensions.
    pub filter: (&'static str, &'static [&'static str]),
    /// The path field shown when no dialog can be.
    pub field: PathFieldText,
}

/// One kind of save: its dialog or path field, its write, and what it said last.
pub struct SaveFile {
    text: &'static SaveText,
    chooser: PathChooser<()>,
    /// The bytes waiting for the dialog's answer.
    waiting: Option<Arc<Vec<u8>>>,
    job: Option<Job<(bool, String)>>,
    /// The last write's line, and whether it failed.
    message: Option<(bool, String)>,
}

impl SaveFile {
    /// A save of this kind, nothing started.
    pub fn new(text: &'static SaveText) -> Self {
        Self {
            text,
            chooser: PathChooser::default(),
            waiting: None,
            job: None,
            message: None,
        }
    }

    /// Whether a dialog is open or a write is going on.
    pub fn is_busy(&self) -> bool {
        self.chooser.is_waiting() || self.job.is_some()
    }

    /// Saves `bytes` to `path`, or where the save dialog says (suggesting `file_name`) when
    /// `path` is `None`. Does nothing while a save of this kind is going on.
    pub fn start(
        &mut self,
        bytes: Arc<Vec<u8>>,
        path: Option<PathBuf>,
        file_name: &str,
        ctx: &egui::Context,
    ) {
        if self.is_busy() {
            return;
        }
        match path {
            Some(path) => self.write(bytes, path, ctx),
            None => {
                // The dialog is built here: some platforms want that on the main thread.
                let (filter, extensions) = self.text.filter;
                let pick = rfd::AsyncFileDialog::new()
                    .set_title(self.text.field.title)
                    .set_file_name(file_name)
                    .add_filter(filter, extensions)
                    .save_file();
                self.waiting = Some(bytes);
                self.chooser.start((), pick, ctx);
            }
        }
    }

    fn write(&mut self, bytes: Arc<Vec<u8>>, path: PathBuf, ctx: &egui::Context) {
        let what = self.text.what;
        let label = format!("saving {what} to {}", path.display());
        match Job::spawn("files", label, ctx, move || {
            match std::fs::write(&path, bytes.as_slice()) {
                Ok(()) => (
                    false,
                    format!(
                        "Saved {what} ({}) to {}",
                        bytes_text(bytes.len() as u64),
                        path.display()
                    ),
                ),
                Err(err) => (
                    true,
                    format!("cannot save {what}: {err:#}: {}", path.display()),
                ),
            }
        }) {
            Ok(job) => self.job = Some(job),
            Err(err) => {
                self.message = Some((true, format!("cannot start the file thread: {err:#}")));
            }
        }
    }

    /// Takes the dialog's answer and the write's result when they come.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(((), path)) = self.chooser.poll()
            && let Some(bytes) = self.waiting.take()
        {
            self.write(bytes, path, ctx);
        }
        match take_result(&mut self.job) {
            None => {}
            Some(Ok((failed, line))) => {
                if !failed {
                    self.chooser.close_field();
                }
                self.message = Some((failed, line));
            }
            Some(Err(lost)) => self.message = Some((true, lost.to_string())),
        }
    }

    /// The row a panel shows: the `button` (with its `hover` text; disabled while a save goes
    /// on), the last line and the path field. `Some(None)`: the button was clicked (show the
    /// dialog); `Some(Some(path))`: a path was confirmed in the field.
    pub fn row_ui(
        &mut self,
        ui: &mut egui::Ui,
        button: &str,
        hover: String,
    ) -> Option<Option<PathBuf>> {
        let saving = self.is_busy();
        let mut asked = None;
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(!saving, egui::Button::new(button))
                .on_hover_text(hover)
                .clicked()
            {
                asked = Some(None);
            }
            if saving {
                ui.spinner();
            }
        });
        self.ui(ui).map(Some).or(asked)
    }

    /// The last line (in red when the write failed) and the path field when it is on show;
    /// returns a path the user confirmed there.
    pub fn ui(&mut self, ui: &mut egui::Ui) -> Option<PathBuf> {
        if let Some((failed, message)) = &self.message {
            if *failed {
                ui.colored_label(ui.visuals().error_fg_color, message);
            } else {
                ui.label(message);
            }
        }
        let enabled = !self.is_busy();
        self.chooser
            .field_ui(ui, &self.text.field, enabled)
            .map(|((), path)| path)
    }
}
