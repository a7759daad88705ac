//! The status bar: what wasmscope is doing, how long it has taken, memory and fuel.

use eframe::egui;
use std::time::Duration;

use egui::RichText;

use crate::engine::RunReport;
use crate::ui::console::Console;
use crate::ui::loader::LoadJob;
use crate::ui::session::{Phase, Session};
use crate::ui::theme::bytes_text;

fn format_elapsed(elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.1} s")
    } else if secs < 120.0 {
        format!("{secs:.0} s")
    } else {
        format!("{}m {:02}s", elapsed.as_secs() / 60, elapsed.as_secs() % 60)
    }
}

/// "ran 28 ms", and the time paused apart when the run sat at a pause ("ran 28 ms, paused
/// 11 s"): the guest's time is not the time a user looked at its state.
pub fn ran_text(stats: &crate::engine::RunStats) -> String {
    let ran = crate::ui::compile::millis_text(stats.wall_ms);
    match stats.paused_ms {
        0 => format!("ran {ran}"),
        paused => format!(
            "ran {ran}, paused {}",
            crate::ui::compile::millis_text(paused)
        ),
    }
}

/// Everything the status bar reports on.
pub struct StatusView<'a> {
    /// A load in progress.
    pub loading: Option<&'a LoadJob>,
    /// A run in progress.
    pub session: Option<&'a Session>,
    /// The last finished run.
    pub report: Option<&'a RunReport>,
    /// The fuel budget of the last finished run, when it metered fuel.
    pub fuel_budget: Option<u64>,
    /// The memory cap in force, for "used / cap".
    pub memory_cap_bytes: u64,
    /// The console, for its size and drops.
    pub console: &'a Console,
}

/// The status bar.
pub fn status_ui(ui: &mut egui::Ui, view: &StatusView<'_>) {
    ui.horizontal(|ui| {
        if let Some(job) = view.loading {
            ui.spinner();
            ui.label(format!(
                "Loading {}… {}",
                job.label(),
                format_elapsed(job.started().elapsed())
            ));
            ui.separator();
        }
        match (view.session, view.report) {
            (Some(session), _) => session_status_ui(ui, session, view.memory_cap_bytes),
            (None, Some(report)) => {
                ui.label(RichText::new("Finished").strong());
                ui.label(report.outcome.summary());
                ui.separator();
                ui.label(ran_text(&report.stats));
                ui.separator();
                ui.label(format!(
                    "peak memory {}",
                    bytes_text(report.stats.peak_memory_bytes)
                ));
                ui.separator();
                match (report.stats.fuel_consumed, view.fuel_budget) {
                    (Some(fuel), Some(budget)) => fuel_gauge_ui(ui, fuel, budget),
                    (Some(fuel), None) => {
                        ui.label(format!("fuel used {fuel}"));
                    }
                    (None, _) => {
                        ui.label("fuel not metered");
                    }
                }
            }
            (None, None) => {
                ui.label(RichText::new("Idle").strong());
                ui.weak("F5 runs the module · Esc stops it · Ctrl+O opens a file");
            }
        }
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let console = view.console;
            let mut text = format!("console {}", bytes_text(console.used_bytes() as u64));
            if console.dropped_bytes() > 0 {
                text.push_str(&format!(
                    " ({} dropped)",
                    bytes_text(console.dropped_bytes())
                ));
            }
            ui.weak(text);
            if let Some(report) = view.report.filter(|_| view.session.is_none()) {
                recording_badge_ui(ui, report);
            }
        });
    });
}

/// Whether the last run's recording is held (and how big it is), or why there is none.
fn recording_badge_ui(ui: &mut egui::Ui, report: &RunReport) {
    if let Some(recording) = &report.recording {
        ui.separator();
        ui.label(format!("recorded {}", bytes_text(recording.len() as u64)))
            .on_hover_text(
                "This run's recording is held in memory: File ▸ Save recording… writes it as a \
                 .wstrace to replay exactly, here or with `wasmscope replay`. The next run \
                 replaces it.",
            );
    } else if let Some(replay) = &report.replay {
        ui.separator();
        ui.label(format!(
            "replayed {} of {} calls{}",
            replay.calls_replayed,
            replay.calls_recorded,
            if replay.diverged { " (diverged)" } else { "" }
        ))
        .on_hover_text("This run was a replay: every WASI call was answered from the recording.");
    } else if let Some(note) = &report.recording_note {
        ui.separator();
        ui.weak("not recorded").on_hover_text(note.as_str());
    }
}

/// Fuel used against the budget, as a bar: "fuel used 1200 of 5000 (24%)".
pub fn fuel_gauge_ui(ui: &mut egui::Ui, used: u64, budget: u64) {
    let fraction = if budget == 0 {
        1.0
    } else {
        (used as f64 / budget as f64).clamp(0.0, 1.0)
    };
    ui.add(
        egui::ProgressBar::new(fraction as f32)
            .desired_width(260.0)
            .text(format!(
                "fuel used {used} of {budget} ({:.0}%)",
                (fraction * 100.0).floor()
            )),
    )
    .on_hover_text(
        "Fuel is the sandbox's budget of work (about one unit per wasm instruction); \
         the guest stops when it runs out",
    );
}

fn session_status_ui(ui: &mut egui::Ui, session: &Session, memory_cap_bytes: u64) {
    ui.spinner();
    let elapsed = format_elapsed(session.started.elapsed());
    match (session.stop_requested, session.phase()) {
        (true, _) => {
            ui.label(RichText::new("Stopping…").strong());
            ui.label(elapsed);
        }
        (false, Phase::Compiling) => {
            ui.label(RichText::new(format!("Compiling {}…", session.module)).strong());
            ui.label(elapsed);
        }
        (false, Phase::Running) => {
            let doing = if session.debug.paused.is_some() {
                "Paused"
            } else {
                "Running"
            };
            ui.label(RichText::new(format!("{doing} {}", session.module)).strong());
            let running = session
                .running_since
                .map(|since| format_elapsed(since.elapsed()))
                .unwrap_or_default();
            ui.label(running);
            if let Some(compile_ms) = session.compile_ms {
                ui.weak(if session.compile_cached {
                    "(compiled: cached)".to_owned()
                } else {
                    format!(
                        "(compiled in {})",
                        crate::ui::compile::millis_text(compile_ms)
                    )
                });
            }
        }
    }
    ui.separator();
    ui.label(match session.memory_bytes {
        Some(bytes) => format!(
            "memory {} of {}",
            bytes_text(bytes),
            bytes_text(memory_cap_bytes)
        ),
        None => format!("memory cap {}", bytes_text(memory_cap_bytes)),
    });
    match (session.fuel_budget, session.fuel_consumed) {
        (Some(budget), fuel) => {
            ui.separator();
            fuel_gauge_ui(ui, fuel.unwrap_or(0), budget);
        }
        (None, Some(fuel)) => {
            ui.separator();
            ui.label(format!("fuel used {fuel}"));
        }
        (None, None) => {}
    }
    if let Some(left) = session.time_left() {
        ui.separator();
        let paused = if session.debug.paused.is_some() {
            " (paused: the clock is stopped)"
        } else {
            ""
        };
        // A time-travel replay may take many times the recorded run's timeout: say so, or
        // "16m 39s left" contradicts the sandbox's 10 s.
        let travel = session.setup.1.travel.is_some();
        let factor = crate::engine::record::recording::TRAVEL_TIMEOUT_FACTOR;
        let replay = match session.timeout {
            Some(timeout) if travel => format!(
                " (a time-travel replay: {factor}× the run's {})",
                format_elapsed(timeout / factor as u32)
            ),
            _ => String::new(),
        };
        ui.label(format!(
            "time left {}{replay}{paused}",
            format_elapsed(left)
        ))
        .on_hover_text(if travel {
            "Until the replay's time limit interrupts it: going to a moment single-steps \
                 the last stretch before it, slower than the recorded run, so a replay may \
                 take longer than the run's own timeout (compile time does not count)"
        } else {
            "Until the sandbox's timeout interrupts the guest (compile time does not count)"
        });
        // The countdown moves even when the guest is silent.
        ui.ctx().request_repaint_after(Duration::from_millis(100));
    }
    if session.denied_growths > 0 {
        ui.separator();
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("{} growths denied", session.denied_growths),
        );
    }
}
