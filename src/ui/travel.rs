//! Going back in a replay: Step back (Shift+F10) and Reverse continue (Shift+F8) beside the
//! Paused toolbar's buttons, the timeline of the recorded run under the paused place, and
//! Step back from the end of a replay that trapped or ended. Each replays the recording to an
//! earlier moment (see [`Travel`]).

use std::sync::Arc;

use eframe::egui;
use egui::RichText;

use crate::engine::RunReport;
use crate::engine::debug::PausedState;
use crate::engine::policy::Travel;
use crate::engine::record::recording::Recording;
use crate::ui::command::Command;
use crate::ui::session::Session;

/// The recording behind the debug-mode replays the window runs, and how many instructions a
/// replay of it counted to its end, once one got there.
pub struct TravelSource {
    /// What every going-back replays.
    pub recording: Arc<Recording>,
    /// The instructions to the end (to the trapping one, for a trap), once known.
    pub total: Option<u64>,
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
        }
        _ => {
            ui.label(format!(
                "Instruction {} of the recorded run.",
                thousands(moment)
            ));
        }
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
