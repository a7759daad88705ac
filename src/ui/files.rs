//! After a run: what the guest changed in its folders (with Apply / Discard for scratch
//! copies), and saving the coredump of a trap. Writing files happens on named threads that
//! report back one line of text.

use crate::ui::loader::{Destination, destination};
use std::path::PathBuf;
use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError, bounded};
use eframe::egui;
use egui::RichText;

use crate::engine::RunReport;
use crate::engine::files::{ChangeKind, DirChanges, ScratchCopy};
use crate::ui::command::Command;
use crate::ui::theme::bytes_text;

/// What a background file job said.
enum JobAnswer {
    /// Done; the line to show.
    Done(String),
    /// Failed; the line to show.
    Failed(String),
    /// The save dialog was closed without a pick.
    Cancelled,
    /// No save dialog could be shown: ask for a path in a field instead.
    NoDialog,
}

/// What a job was for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum JobKind {
    Coredump,
    /// Applying the scratch copy of this guest path.
    Apply(String),
}

/// The after-run state of the outcome panel; reset for each run.
#[derive(Default)]
pub struct AfterRun {
    jobs: Vec<(JobKind, Receiver<JobAnswer>)>,
    /// The path field for the coredump, when there is no save dialog (or it was asked for).
    coredump_path: Option<String>,
    coredump_message: Option<(bool, String)>,
    /// Per guest path: what Apply or Discard did, and whether it went wrong.
    folder_messages: Vec<(String, bool, String)>,
}

impl AfterRun {
    /// Whether a file job is in progress (for tests that wait).
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// Handles finished jobs; returns the guest paths whose scratch copy was applied.
    pub fn poll(&mut self) -> Vec<String> {
        let mut applied = Vec::new();
        let mut finished = Vec::new();
        for (index, (kind, receiver)) in self.jobs.iter().enumerate() {
            let answer = match receiver.try_recv() {
                Ok(answer) => answer,
                Err(TryRecvError::Empty) => continue,
                Err(TryRecvError::Disconnected) => {
                    JobAnswer::Failed("the file thread ended early".to_owned())
                }
            };
            finished.push(index);
            match (kind, answer) {
                (JobKind::Coredump, JobAnswer::Done(line)) => {
                    self.coredump_path = None;
                    self.coredump_message = Some((false, line));
                }
                (JobKind::Coredump, JobAnswer::Failed(line)) => {
                    self.coredump_message = Some((true, line));
                }
                (JobKind::Coredump, JobAnswer::Cancelled) => {}
                (JobKind::Coredump, JobAnswer::NoDialog) => {
                    self.coredump_path = Some(String::new());
                    self.coredump_message = Some((
                        false,
                        "No file dialog could be shown (is a desktop portal running?). Type \
                         the path instead."
                            .to_owned(),
                    ));
                }
                (JobKind::Apply(guest), JobAnswer::Done(line)) => {
                    applied.push(guest.clone());
                    self.folder_messages.push((guest.clone(), false, line));
                }
                (JobKind::Apply(guest), answer) => {
                    let line = match answer {
                        JobAnswer::Failed(line) => line,
                        _ => "not applied".to_owned(),
                    };
                    self.folder_messages.push((guest.clone(), true, line));
                }
            }
        }
        for index in finished.into_iter().rev() {
            self.jobs.remove(index);
        }
        applied
    }

    /// Saves `coredump` to `path`, or to where a save dialog says when `path` is `None`.
    pub fn save_coredump(
        &mut self,
        coredump: Arc<Vec<u8>>,
        path: Option<PathBuf>,
        ctx: &egui::Context,
    ) {
        if self.jobs.iter().any(|(kind, _)| *kind == JobKind::Coredump) {
            return;
        }
        // The dialog is built here: some platforms want that on the main thread.
        let pick = path.is_none().then(|| {
            rfd::AsyncFileDialog::new()
                .set_title("Save the coredump")
                .set_file_name("core.wasm")
                .add_filter("Wasm coredump", &["wasm"])
                .save_file()
        });
        let job = move || {
            let path = match destination(path, pick) {
                Destination::Path(path) => path,
                Destination::NoDialog => return JobAnswer::NoDialog,
                Destination::Cancelled => return JobAnswer::Cancelled,
            };
            match std::fs::write(&path, coredump.as_slice()) {
                Ok(()) => JobAnswer::Done(format!(
                    "Saved the coredump ({}) to {}",
                    bytes_text(coredump.len() as u64),
                    path.display()
                )),
                Err(err) => JobAnswer::Failed(format!(
                    "cannot save the coredump: {err:#}: {}",
                    path.display()
                )),
            }
        };
        self.spawn(JobKind::Coredump, ctx, job);
    }

    /// Carries `scratch`'s changes to its real folder, in the background.
    pub fn apply(&mut self, scratch: Arc<ScratchCopy>, ctx: &egui::Context) {
        let kind = JobKind::Apply(scratch.guest_path.clone());
        if self.jobs.iter().any(|(k, _)| *k == kind) {
            return;
        }
        self.spawn(kind, ctx, move || match scratch.apply() {
            Ok(count) => JobAnswer::Done(format!(
                "Applied {count} change{} to {}",
                if count == 1 { "" } else { "s" },
                scratch.original.display()
            )),
            Err(err) => JobAnswer::Failed(format!(
                "cannot apply the changes: {err:#}: {}",
                scratch.original.display()
            )),
        });
    }

    /// Notes that the scratch copy of `guest_path` was thrown away.
    pub fn discarded(&mut self, guest_path: String) {
        self.folder_messages.push((
            guest_path,
            false,
            "Discarded: the real folder is unchanged.".to_owned(),
        ));
    }

    fn spawn(
        &mut self,
        kind: JobKind,
        ctx: &egui::Context,
        job: impl FnOnce() -> JobAnswer + Send + 'static,
    ) {
        let (sender, receiver) = bounded(1);
        let waker = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("wasmscope-files".to_owned())
            .spawn(move || {
                let _ = sender.send(job());
                waker.request_repaint();
            });
        match spawned {
            Ok(_) => self.jobs.push((kind, receiver)),
            Err(err) => {
                let line = format!("cannot start the file thread: {err:#}");
                match kind {
                    JobKind::Coredump => self.coredump_message = Some((true, line)),
                    JobKind::Apply(guest) => self.folder_messages.push((guest, true, line)),
                }
            }
        }
    }
}

/// File changes and the coredump, below the outcome.
pub fn after_run_ui(
    ui: &mut egui::Ui,
    report: &RunReport,
    state: &mut AfterRun,
    commands: &mut Vec<Command>,
) {
    if report.coredump.is_some() {
        ui.add_space(6.0);
        coredump_ui(ui, report, state, commands);
    }
    if !report.file_changes.is_empty() {
        ui.add_space(6.0);
        egui::CollapsingHeader::new("File changes")
            .default_open(true)
            .show(ui, |ui| {
                for dir in &report.file_changes {
                    dir_ui(ui, report, dir, state, commands);
                }
            });
    }
}

fn coredump_ui(
    ui: &mut egui::Ui,
    report: &RunReport,
    state: &mut AfterRun,
    commands: &mut Vec<Command>,
) {
    let saving = state
        .jobs
        .iter()
        .any(|(kind, _)| *kind == JobKind::Coredump);
    ui.horizontal_wrapped(|ui| {
        let size = report.coredump.as_ref().map_or(0, |c| c.len() as u64);
        if ui
            .add_enabled(!saving, egui::Button::new("Save coredump…"))
            .on_hover_text(format!(
                "Save the guest's state at the trap ({}) as a standard wasm coredump, for \
                 wasmgdb or other coredump tools.",
                bytes_text(size)
            ))
            .clicked()
        {
            commands.push(Command::SaveCoredump(None));
        }
        if saving {
            ui.spinner();
        }
    });
    if let Some((error, message)) = &state.coredump_message {
        if *error {
            ui.colored_label(ui.visuals().error_fg_color, message);
        } else {
            ui.label(message);
        }
    }
    if let Some(text) = &mut state.coredump_path {
        ui.horizontal(|ui| {
            let label = ui.label("Coredump path");
            let response = ui
                .add(
                    egui::TextEdit::singleline(text)
                        .hint_text("/path/to/core.wasm")
                        .desired_width(220.0),
                )
                .labelled_by(label.id)
                .on_hover_text("Where to write the coredump; Enter or Save to write it.");
            let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui
                .button("Save")
                .on_hover_text("Write the coredump to this path.")
                .clicked()
                || entered)
                && !text.trim().is_empty()
            {
                commands.push(Command::SaveCoredump(Some(PathBuf::from(text.trim()))));
            }
        });
    }
}

fn dir_ui(
    ui: &mut egui::Ui,
    report: &RunReport,
    dir: &DirChanges,
    state: &AfterRun,
    commands: &mut Vec<Command>,
) {
    ui.label(RichText::new(dir.summary()).strong());
    if dir.truncated {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "The folder has too many entries to compare them all: some changes may be missing.",
        );
    }
    for change in &dir.changes {
        let kind = match change.kind {
            ChangeKind::Created => "created",
            ChangeKind::Modified => "modified",
            ChangeKind::Deleted => "deleted",
        };
        let size = match change.kind {
            _ if change.is_dir => "folder".to_owned(),
            ChangeKind::Created => bytes_text(change.size_bytes),
            ChangeKind::Modified => format!(
                "{} -> {}",
                bytes_text(change.size_before_bytes),
                bytes_text(change.size_bytes)
            ),
            ChangeKind::Deleted => format!("was {}", bytes_text(change.size_before_bytes)),
        };
        ui.monospace(format!("{kind:<8} {} ({size})", change.path));
    }
    let scratch = report
        .scratch
        .iter()
        .any(|s| s.guest_path == dir.guest_path);
    let applying = state
        .jobs
        .iter()
        .any(|(kind, _)| *kind == JobKind::Apply(dir.guest_path.clone()));
    if scratch && dir.scratch {
        ui.weak(format!(
            "The guest wrote to a temporary copy; {} is untouched until you apply.",
            dir.host_path.display()
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !applying && !dir.changes.is_empty(),
                    egui::Button::new("Apply changes to the real folder"),
                )
                .on_hover_text(format!(
                    "Copy created and modified files to {} and delete the files the guest \
                     deleted.",
                    dir.host_path.display()
                ))
                .clicked()
            {
                commands.push(Command::ApplyScratch(dir.guest_path.clone()));
            }
            if ui
                .add_enabled(!applying, egui::Button::new("Discard"))
                .on_hover_text("Throw the temporary copy away; the real folder stays as it was.")
                .clicked()
            {
                commands.push(Command::DiscardScratch(dir.guest_path.clone()));
            }
            if applying {
                ui.spinner();
            }
        });
    }
    for (guest, error, message) in &state.folder_messages {
        if *guest == dir.guest_path {
            if *error {
                ui.colored_label(ui.visuals().error_fg_color, message);
            } else {
                ui.label(message);
            }
        }
    }
}
