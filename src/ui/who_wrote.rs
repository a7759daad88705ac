//! "Who wrote this?" in the memory view: the selected bytes looked up in the run's recording
//! (a replay through `--last-write`'s instrumented copy, on a thread of its own, as
//! `wasmscope replay --last-write` does), the answer in words, and the way to the instruction.

use std::ops::Range;
use std::sync::Arc;

use eframe::egui;
use egui::RichText;

use crate::engine::FrameInfo;
use crate::engine::outcome::{LastWrite, LastWriteReport};
use crate::engine::policy::WatchedRange;
use crate::engine::record::recording::Recording;
use crate::ui::command::Command;
use crate::ui::job::{Job, take_result};

/// The recording the bytes are looked up in: the last run's (its file's bytes) or the
/// recording open as a replay.
#[derive(Clone)]
pub enum RecordingRef {
    /// A run's recording, as the bytes of a `.wstrace`.
    Bytes(Arc<Vec<u8>>),
    /// A recording already read (the one open as a replay).
    Parsed(Arc<Recording>),
}

/// The search's state: going on, or its last answer.
#[derive(Default)]
pub struct WhoWrote {
    job: Option<Job<Result<LastWriteReport, String>>>,
    /// The range asked about, and what the search said.
    answer: Option<(Range<usize>, Result<LastWriteReport, String>)>,
    asked: Option<Range<usize>>,
}

impl WhoWrote {
    /// Whether a search is going on.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }

    /// Looks up who last wrote `range` in `recording`, on a thread of its own.
    pub fn ask(&mut self, recording: RecordingRef, range: Range<usize>, ctx: &egui::Context) {
        if self.is_busy() {
            return;
        }
        let watched = match watched(&range) {
            Ok(watched) => watched,
            Err(message) => {
                self.answer = Some((range, Err(message)));
                return;
            }
        };
        let label = format!("looking up who wrote {watched}");
        let work = move || {
            let recording = match recording {
                RecordingRef::Parsed(recording) => recording,
                RecordingRef::Bytes(bytes) => Arc::new(
                    Recording::parse(&bytes)
                        .map_err(|e| format!("cannot read the run's recording: {e}"))?,
                ),
            };
            crate::runner::last_write::find(&recording, watched)
        };
        match Job::spawn("who-wrote", label, ctx, work) {
            Ok(job) => {
                self.job = Some(job);
                self.asked = Some(range);
                self.answer = None;
            }
            Err(e) => self.answer = Some((range, Err(format!("cannot start the search: {e}")))),
        }
    }

    /// Takes the answer when it comes.
    pub fn poll(&mut self) {
        if let Some(result) = take_result(&mut self.job) {
            let range = self.asked.take().unwrap_or_default();
            self.answer = Some((range, result.unwrap_or_else(|lost| Err(lost.to_string()))));
        }
    }
}

/// The selected bytes as the search's range (at most 1 MiB, inside a 32-bit memory).
fn watched(range: &Range<usize>) -> Result<WatchedRange, String> {
    let addr = u32::try_from(range.start).map_err(|_| "past 4 GiB".to_owned())?;
    let len = u32::try_from(range.len()).map_err(|_| "too long".to_owned())?;
    WatchedRange::parse(&format!("{addr:#x}:{len}")).map_err(|e| e.to_string())
}

/// The button, and the answer once there is one.
pub fn who_wrote_ui(
    ui: &mut egui::Ui,
    state: &mut WhoWrote,
    selected: Option<&Range<usize>>,
    recording: Option<RecordingRef>,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        let ready = selected.is_some() && recording.is_some() && !state.is_busy();
        let button = ui
            .add_enabled(ready, egui::Button::new("Who wrote this?"))
            .on_hover_text(
                "Replay the run's recording, watching the selected bytes, and name the last \
                 instruction (or WASI call) that wrote them: function, module offset, the \
                 backtrace, the bytes before and after.",
            )
            .on_disabled_hover_text(match (selected, &recording) {
                (_, None) => {
                    "This run was not recorded: turn Record on in the Sandbox panel and run again."
                }
                (None, _) => "Select bytes first: Go to address (ADDR or ADDR:LEN) or Find.",
                _ => "Looking it up…",
            });
        if button.clicked()
            && let (Some(range), Some(recording)) = (selected, recording)
        {
            state.ask(recording, range.clone(), ui.ctx());
        }
        if state.is_busy() {
            ui.spinner();
            ui.weak("replaying the recording…");
        }
    });
    let Some((range, answer)) = &state.answer else {
        return;
    };
    let span = format!("{:#x}..{:#x}", range.start, range.end);
    match answer {
        Err(message) => {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
        Ok(found) => match &found.last_write {
            None => {
                let note = found.last_write_note.as_deref().unwrap_or("never written");
                ui.label(format!("{span}: {note}."));
            }
            Some(write) => write_ui(ui, range, &span, write, found, commands),
        },
    }
}

fn write_ui(
    ui: &mut egui::Ui,
    range: &Range<usize>,
    span: &str,
    write: &LastWrite,
    found: &LastWriteReport,
    commands: &mut Vec<Command>,
) {
    let function = match &write.func_name {
        Some(name) => format!("`{name}` (func {})", write.func_index),
        None => format!("func {}", write.func_index),
    };
    let source = match (&write.file, write.line) {
        (Some(file), Some(line)) => format!(", {file}:{line}"),
        _ => String::new(),
    };
    ui.label(
        RichText::new(format!(
            "{span} was last written by {} in {function} at {:#x}{source}.",
            write.written_by, write.module_offset
        ))
        .strong(),
    );
    ui.monospace(format!(
        "before: {}",
        crate::runner::last_write::spaced(&write.before)
    ));
    ui.monospace(format!(
        "after:  {}",
        crate::runner::last_write::spaced(&write.after)
    ));
    ui.weak(format!(
        "{} write{} touched these bytes in the whole run.",
        found.last_write_count,
        if found.last_write_count == 1 { "" } else { "s" }
    ));
    if let Some(caveat) = &found.last_write_caveat {
        ui.colored_label(ui.visuals().warn_fg_color, caveat);
    }
    if ui
        .link("Show the instruction")
        .on_hover_text("Open the code view with the writing instruction marked.")
        .clicked()
    {
        let frame = FrameInfo {
            func_index: write.func_index,
            func_name: write.func_name.clone(),
            module_offset: Some(write.module_offset),
            source: None,
            state: None,
        };
        commands.push(Command::ShowCode(frame));
    }
    if write.wasi_call.is_none()
        && ui
            .button("Pause there")
            .on_hover_text(
                "Replay the recording in debug mode and pause at this write, about to run: \
                 the frames, locals and operands there; then step back or on from it.",
            )
            .clicked()
        && let Ok(range) = watched(range)
    {
        commands.push(Command::PauseAtLastWrite(range));
    }
}
