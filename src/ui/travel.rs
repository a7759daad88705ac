//! Going back in a replay: Step back (Shift+F10) and Reverse continue (Shift+F8) beside the
//! Paused toolbar's buttons, the timeline of the recorded run under the paused place, and
//! Step back from the end of a replay that trapped or ended. Each replays the recording to an
//! earlier moment (see [`Travel`]).

use std::sync::Arc;

use eframe::egui;
use egui::RichText;

use crate::engine::RunReport;
use crate::engine::debug::PausedState;
use crate::engine::policy::{Travel, WatchedRange};
use crate::engine::record::recording::Recording;
use crate::ui::command::Command;
use crate::ui::job::Job;
use crate::ui::session::Session;

/// The recording behind the debug-mode replays the window runs, and how many instructions a
/// replay of it counted to its end, once one got there.
pub struct TravelSource {
    /// What every going-back replays.
    pub recording: Arc<Recording>,
    /// The instructions to the end (to the trapping one, for a trap), once known.
    pub total: Option<u64>,
    /// The WASI calls with their moments, from the furthest replay that logged them: the
    /// timeline's ticks.
    pub ticks: Vec<Tick>,
    /// What the next replay's console says it is for, when not just going to a moment.
    pub note: Option<String>,
}

/// A WASI call on the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    /// The moment of its `call` instruction.
    pub moment: u64,
    /// `fd_write(fd=1 …) -> success`.
    pub label: String,
    /// Whether the sandbox refused it.
    pub refused: bool,
}

impl TravelSource {
    /// Debugging `recording`, nothing counted yet.
    pub fn new(recording: Arc<Recording>) -> Self {
        Self {
            recording,
            total: None,
            ticks: Vec::new(),
            note: None,
        }
    }

    /// What a replay that ended tells: how far the run goes, and its calls' moments.
    pub fn learn(&mut self, report: &RunReport) {
        if matches!(report.outcome, crate::engine::RunOutcome::Cancelled) {
            return;
        }
        if let Some(end) = report.replay.as_ref().and_then(|r| r.instructions) {
            self.total = Some(end);
        }
        let ticks: Vec<Tick> = report
            .calls
            .iter()
            .filter_map(|call| {
                Some(Tick {
                    moment: call.moment?,
                    label: format!("{}({}) -> {}", call.function, call.args, call.result_text()),
                    refused: call.denial.is_some(),
                })
            })
            .collect();
        if ticks.len() >= self.ticks.len() {
            self.ticks = ticks;
        }
    }
}

const STEP_BACK_TIP: &str = "Go back to the moment before the last instruction: the recording is \
     replayed to there, exactly (Shift+F10).";
const REVERSE_TIP: &str = "Run backwards to the previous breakpoint hit, or to the start of the \
     run when there is none (Shift+F8).";
const LIVE_TIP: &str = "This pause cannot be found again in the run's recording: it came from \
     Pause or Step out, or its breakpoint was set during the run. Pause at a breakpoint set \
     before Run (or a step after one) to go back from there.";

/// The command to go back from a pause: in a replay, to a moment it counted; in a live run,
/// the run stops and its recording is replayed to the moment before this pause.
fn back_from(paused: &PausedState, reverse: bool) -> Option<Command> {
    if let Some(moment) = paused.moment {
        return Some(Command::Travel(if reverse {
            Travel::LastBreakBefore(moment)
        } else {
            Travel::To(moment.saturating_sub(1).max(1))
        }));
    }
    let anchor = paused.anchor?;
    Some(Command::TravelFromLive(Travel::BackFrom {
        anchor,
        reverse,
    }))
}

/// Shift+F10 and Shift+F8: while paused in a replay, or after a replay that counted to its end.
pub fn shortcuts(
    ctx: &egui::Context,
    session: Option<&Session>,
    report: Option<&RunReport>,
    commands: &mut Vec<Command>,
) {
    use egui::{Key, Modifiers};
    let (back, reverse) = match session {
        Some(session) => match &session.debug.paused {
            Some(paused) => (back_from(paused, false), back_from(paused, true)),
            None => return,
        },
        None => match report.and_then(end_moment) {
            Some(end) => (
                Some(Command::Travel(Travel::To(end))),
                Some(Command::Travel(Travel::LastBreakBefore(end + 1))),
            ),
            None => return,
        },
    };
    for (key, command) in [(Key::F10, back), (Key::F8, reverse)] {
        // Consumed even when there is nowhere to go back to (a live run): Shift+F10 must
        // never reach F10's Step.
        let pressed = ctx.input_mut(|i| i.consume_key(Modifiers::SHIFT, key));
        if pressed && let Some(command) = command {
            commands.push(command);
        }
    }
}

/// The last moment of a counted replay (its trapping instruction, or its last one).
fn end_moment(report: &RunReport) -> Option<u64> {
    report
        .replay
        .as_ref()
        .and_then(|r| r.instructions)
        .filter(|&n| n > 0)
}

/// Step back and Reverse continue in the Paused toolbar.
pub fn toolbar_ui(ui: &mut egui::Ui, paused: &PausedState, commands: &mut Vec<Command>) {
    let live = paused.moment.is_none() && paused.anchor.is_none();
    for (label, reverse, tip) in [
        ("Step back", false, STEP_BACK_TIP),
        ("Reverse continue", true, REVERSE_TIP),
    ] {
        let command = back_from(paused, reverse);
        let at_start = paused.moment == Some(1) && !reverse;
        let tip = if paused.moment.is_none() {
            format!("{tip} This live run stops, and its recording is replayed to there.")
        } else {
            tip.to_owned()
        };
        let button = ui
            .add_enabled(command.is_some() && !at_start, egui::Button::new(label))
            .on_hover_text(tip)
            .on_disabled_hover_text(if live {
                LIVE_TIP
            } else {
                "This is the run's first instruction."
            });
        if button.clicked()
            && let Some(command) = command
        {
            commands.push(command);
        }
    }
}

/// The timeline under the paused place: where this moment lies in the recorded run; drag to
/// go to another moment (forwards or backwards), released.
pub fn timeline_ui(
    ui: &mut egui::Ui,
    paused: &PausedState,
    source: Option<&TravelSource>,
    commands: &mut Vec<Command>,
) {
    let (Some(moment), Some(source)) = (paused.moment, source) else {
        return;
    };
    match source.total {
        Some(total) if total >= moment => {
            ui.label(format!(
                "Instruction {} of {} in the recorded run.",
                thousands(moment),
                thousands(total)
            ));
            let mut at = moment;
            let slider = ui.add(
                egui::Slider::new(&mut at, 1..=total.max(1))
                    .show_value(false)
                    .text("timeline"),
            );
            let slider = slider.on_hover_text(
                "Drag to another moment of the run and let go: the recording is replayed to it.",
            );
            if slider.drag_stopped() && at != moment {
                commands.push(Command::Travel(Travel::To(at)));
            }
            ticks_ui(ui, source, total, moment, slider.rect.width(), commands);
        }
        _ => {
            ui.label(format!(
                "Instruction {} of the recorded run.",
                thousands(moment)
            ));
        }
    }
}

/// The run's WASI calls as ticks along the timeline (red where the sandbox refused), one
/// per pixel column at most however many calls there are; hover for the call, click to go to
/// the moment just before it.
fn ticks_ui(
    ui: &mut egui::Ui,
    source: &TravelSource,
    total: u64,
    moment: u64,
    width: f32,
    commands: &mut Vec<Command>,
) {
    if source.ticks.is_empty() || total < 2 {
        return;
    }
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(width.max(40.0), 14.0), egui::Sense::click());
    let calls = source.ticks.len();
    response.widget_info(|| {
        egui::WidgetInfo::labeled(
            egui::Role::Canvas,
            true,
            format!(
                "{calls} WASI call{} on the timeline",
                if calls == 1 { "" } else { "s" }
            ),
        )
    });
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, ui.visuals().faint_bg_color);
    let x_of =
        |m: u64| rect.left() + rect.width() * (m.saturating_sub(1)) as f32 / (total - 1) as f32;
    let mut last_column = f32::NEG_INFINITY;
    for tick in &source.ticks {
        let x = x_of(tick.moment).round();
        // Refusals are drawn even where an allowed call took the column.
        if x <= last_column && !tick.refused {
            continue;
        }
        last_column = x;
        let color = if tick.refused {
            egui::Color32::from_rgb(220, 60, 60)
        } else {
            egui::Color32::from_rgb(60, 160, 90)
        };
        painter.line_segment(
            [
                egui::pos2(x, rect.top() + 2.0),
                egui::pos2(x, rect.bottom() - 2.0),
            ],
            egui::Stroke::new(1.5, color),
        );
    }
    let here = x_of(moment);
    painter.line_segment(
        [
            egui::pos2(here, rect.top()),
            egui::pos2(here, rect.bottom()),
        ],
        egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
    // The call nearest the pointer, within a few pixels.
    let nearest = response.hover_pos().and_then(|pointer| {
        source
            .ticks
            .iter()
            .map(|tick| ((x_of(tick.moment) - pointer.x).abs(), tick))
            .filter(|(distance, _)| *distance <= 4.0)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, tick)| tick)
    });
    let response = response.on_hover_text(match nearest {
        Some(tick) => format!(
            "{} at instruction {}: click to go to the moment before it.",
            tick.label,
            thousands(tick.moment)
        ),
        None => format!(
            "The run's {} WASI calls (red: refused). Click one to go to the moment before it.",
            source.ticks.len()
        ),
    });
    if response.clicked()
        && let Some(tick) = nearest
    {
        commands.push(Command::Travel(Travel::To(tick.moment)));
    }
}

/// After a counted replay ended: Step back from its end (to its trapping or last instruction).
pub fn outcome_ui(ui: &mut egui::Ui, report: &RunReport, commands: &mut Vec<Command>) {
    let Some(end) = end_moment(report) else {
        return;
    };
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Step back")
            .on_hover_text(format!(
                "Pause at the run's last instruction ({}), before it ran; then step back on \
                 (Shift+F10).",
                thousands(end)
            ))
            .clicked()
        {
            commands.push(Command::Travel(Travel::To(end)));
        }
        if ui
            .button("Reverse continue")
            .on_hover_text(REVERSE_TIP)
            .clicked()
        {
            commands.push(Command::Travel(Travel::LastBreakBefore(end + 1)));
        }
        ui.weak(RichText::new(format!(
            "{} instructions counted in this replay.",
            thousands(end)
        )));
    });
}

/// A search for who wrote a range before the paused moment: a quiet replay on a thread of its
/// own that reads each writing instruction's operands.
pub struct WhoBefore {
    /// The bytes asked about.
    pub range: WatchedRange,
    /// The moment searched before.
    pub before: u64,
    job: Job<Result<Option<u64>, String>>,
}

impl WhoBefore {
    /// Starts looking for the last write to `range` before `moment` (`u64::MAX`: in the
    /// whole run).
    pub fn start(
        source: &TravelSource,
        range: WatchedRange,
        moment: u64,
        ctx: &egui::Context,
    ) -> Result<Self, String> {
        let request = source
            .recording
            .travel_request(Travel::ScanWrites { range, end: moment });
        let work = move || {
            let report = crate::runner::spawn(request, None)
                .map_err(|e| format!("cannot start the search: {e}"))?
                .wait();
            Ok(report.replay.and_then(|r| r.last_write_at))
        };
        let job = Job::spawn(
            "who-wrote",
            format!("looking up who wrote {range}"),
            ctx,
            work,
        )
        .map_err(|e| format!("cannot start the search: {e}"))?;
        Ok(Self {
            range,
            before: moment,
            job,
        })
    }

    /// The answer once it came: go to the write, or say nothing wrote the bytes.
    pub fn poll(
        slot: &mut Option<Self>,
        console: &mut crate::ui::console::Console,
        source: Option<&mut TravelSource>,
    ) -> Option<Command> {
        let search = slot.as_ref()?;
        let result = search.job.poll()?;
        let (range, before) = (search.range, search.before);
        *slot = None;
        match result {
            Ok(Ok(Some(moment))) => {
                source?.note = Some(format!(
                    "── {range} was last written {} by the instruction at {}: paused there, \
                     about to write ──",
                    when(before),
                    thousands(moment)
                ));
                Some(Command::Travel(Travel::To(moment)))
            }
            Ok(Ok(None)) => {
                console.note(format!(
                    "── no instruction wrote {range} {}: the module's data segment put it \
                     there, a WASI call wrote it, or it was never written ──",
                    when(before)
                ));
                None
            }
            Ok(Err(message)) => {
                console.note(format!("── who wrote {range}: {message} ──"));
                None
            }
            Err(lost) => {
                console.note(format!("── {lost} ──"));
                None
            }
        }
    }
}

/// `before instruction 1,234`, or `in the run` for a search of the whole run.
fn when(before: u64) -> String {
    if before == u64::MAX {
        "in the run".to_owned()
    } else {
        format!("before instruction {}", thousands(before))
    }
}

/// How long a replay to `moment` takes, when it is long enough to wait for: on the travel
/// clock a replay runs debug-mode code at full speed, some 300 million instructions a second
/// on a C program (more on a tight loop), and single-steps only the last stretch.
pub fn how_long(moment: u64) -> String {
    const PER_SECOND: u64 = 300_000_000;
    if moment < 2 * PER_SECOND {
        String::new()
    } else {
        format!(" (about {} s; Esc stops)", moment / PER_SECOND)
    }
}

/// `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_234), "1,234");
        assert_eq!(thousands(10_000_000), "10,000,000");
    }
}
