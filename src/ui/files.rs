//! After a run: what the guest changed in its folders (with Apply / Discard for scratch
//! copies), and saving the coredump of a trap. Writing files happens on named threads that
//! report back one line of text.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;
use egui::RichText;

use crate::engine::RunReport;
use crate::engine::files::{ChangeKind, DirChanges, FileChange, ScratchCopy};
use crate::ui::command::Command;
use crate::ui::job::Job;
use crate::ui::prompt::PathFieldText;
use crate::ui::save::{SaveFile, SaveText};
use crate::ui::theme::bytes_text;

/// Saving a trap's coredump.
const COREDUMP: SaveText = SaveText {
    what: "the coredump",
    filter: ("Wasm coredump", &["wasm"]),
    field: PathFieldText {
        title: "Save the coredump",
        label: "Coredump path",
        hint: "/path/to/core.wasm",
        action: "Save",
    },
};

/// Saving a run's recording.
const RECORDING: SaveText = SaveText {
    what: "the recording",
    filter: ("wasmscope recording", &["wstrace"]),
    field: PathFieldText {
        title: "Save the recording",
        label: "Recording path",
        hint: "/path/to/run.wstrace",
        action: "Save",
    },
};

/// Saving a run's report as an HTML page.
const REPORT_PAGE: SaveText = SaveText {
    what: "the report page",
    filter: ("HTML page", &["html"]),
    field: PathFieldText {
        title: "Save the report as HTML",
        label: "Report page path",
        hint: "/path/to/report.html",
        action: "Save",
    },
};

/// What a background file job said.
enum JobAnswer {
    /// Done; the line to show.
    Done(String),
    /// Failed; the line to show.
    Failed(String),
}

/// What a job was for.
#[derive(Clone, Debug, PartialEq, Eq)]
enum JobKind {
    /// Applying the scratch copy of this guest path.
    Apply(String),
}

/// The after-run state of the outcome panel; reset for each run.
pub struct AfterRun {
    jobs: Vec<(JobKind, Job<JobAnswer>)>,
    /// Saving the coredump.
    coredump: SaveFile,
    /// Saving the run's recording.
    recording: SaveFile,
    /// Saving the run's report page.
    page: SaveFile,
    /// Per guest path: what Apply or Discard did, and whether it went wrong.
    folder_messages: Vec<(String, bool, String)>,
}

impl Default for AfterRun {
    fn default() -> Self {
        Self {
            jobs: Vec::new(),
            coredump: SaveFile::new(&COREDUMP),
            recording: SaveFile::new(&RECORDING),
            page: SaveFile::new(&REPORT_PAGE),
            folder_messages: Vec::new(),
        }
    }
}

impl AfterRun {
    /// Whether a file job is in progress (for tests that wait).
    pub fn is_busy(&self) -> bool {
        !self.jobs.is_empty()
            || self.coredump.is_busy()
            || self.recording.is_busy()
            || self.page.is_busy()
    }

    /// Handles finished jobs; returns the guest paths whose scratch copy was applied.
    pub fn poll(&mut self, ctx: &egui::Context) -> Vec<String> {
        self.coredump.poll(ctx);
        self.recording.poll(ctx);
        self.page.poll(ctx);
        let mut applied = Vec::new();
        let mut finished = Vec::new();
        for (index, (kind, job)) in self.jobs.iter().enumerate() {
            let answer = match job.poll() {
                None => continue,
                Some(Ok(answer)) => answer,
                Some(Err(lost)) => JobAnswer::Failed(lost.to_string()),
            };
            finished.push(index);
            match (kind, answer) {
                (JobKind::Apply(guest), JobAnswer::Done(line)) => {
                    applied.push(guest.clone());
                    self.folder_messages.push((guest.clone(), false, line));
                }
                (JobKind::Apply(guest), JobAnswer::Failed(line)) => {
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
        self.coredump.start(coredump, path, "core.wasm", ctx);
    }

    /// Saves the report page of a run of `module` to `path`, or to where a save dialog says.
    pub fn save_page(
        &mut self,
        page: Arc<Vec<u8>>,
        path: Option<PathBuf>,
        module: &str,
        ctx: &egui::Context,
    ) {
        let stem = module.rsplit_once('.').map_or(module, |(stem, _)| stem);
        self.page
            .start(page, path, &format!("{stem}-report.html"), ctx);
    }

    /// Saves the recording of a run of `module` to `path`, or to where a save dialog says.
    pub fn save_recording(
        &mut self,
        recording: Arc<Vec<u8>>,
        path: Option<PathBuf>,
        module: &str,
        ctx: &egui::Context,
    ) {
        let stem = module.rsplit_once('.').map_or(module, |(stem, _)| stem);
        self.recording
            .start(recording, path, &format!("{stem}.wstrace"), ctx);
    }

    /// Carries `scratch`'s changes to its real folder, in the background.
    pub fn apply(&mut self, scratch: Arc<ScratchCopy>, ctx: &egui::Context) {
        let kind = JobKind::Apply(scratch.guest_path.clone());
        if self.jobs.iter().any(|(k, _)| *k == kind) {
            return;
        }
        let label = format!("applying the changes to {}", scratch.original.display());
        self.spawn(kind, &label, ctx, move || match scratch.apply() {
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
        label: &str,
        ctx: &egui::Context,
        work: impl FnOnce() -> JobAnswer + Send + 'static,
    ) {
        match Job::spawn("files", label, ctx, work) {
            Ok(job) => self.jobs.push((kind, job)),
            Err(err) => {
                let line = format!("cannot start the file thread: {err:#}");
                let JobKind::Apply(guest) = kind;
                self.folder_messages.push((guest, true, line));
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
    if let Some(recording) = &report.recording {
        ui.add_space(6.0);
        let hover = format!(
            "Save this run's recording ({}): the module, its sandbox and everything it was \
             handed through WASI, to replay exactly here or with `wasmscope replay`.",
            bytes_text(recording.len() as u64)
        );
        if let Some(path) = state.recording.row_ui(ui, "Save recording…", hover) {
            commands.push(Command::SaveRecording(path));
        }
    }
    if report.coredump.is_some() {
        ui.add_space(6.0);
        coredump_ui(ui, report, state, commands);
    }
    ui.add_space(6.0);
    let hover = "Save this run's report as one HTML page to hand out or keep: the module, the \
                 sandbox, how it ended, the WASI calls and refusals, memory over time."
        .to_owned();
    if let Some(path) = state.page.row_ui(ui, "Save report as HTML…", hover) {
        commands.push(Command::SaveReportPage(path));
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
    let size = report.coredump.as_ref().map_or(0, |c| c.len() as u64);
    let hover = format!(
        "Save the guest's state at the trap ({}) as a standard wasm coredump, for wasmgdb or \
         other coredump tools.",
        bytes_text(size)
    );
    if let Some(path) = state.coredump.row_ui(ui, "Save coredump…", hover) {
        commands.push(Command::SaveCoredump(path));
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
    changes_ui(ui, &dir.changes);
    if !dir.by_others.is_empty() {
        ui.label(RichText::new("Changed meanwhile by another program").weak())
            .on_hover_text(
                "No WASI call of the guest touched these paths: another program on this \
                 machine changed them while the run lasted. They are not counted as the \
                 guest's writes.",
            );
        changes_ui(ui, &dir.by_others);
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

/// One line per change: what happened, the path, the size.
fn changes_ui(ui: &mut egui::Ui, changes: &[FileChange]) {
    for change in changes {
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
}
