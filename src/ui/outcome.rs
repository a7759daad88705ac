//! The outcome panel: how the last run ended, in plain words, with the backtrace and the
//! likely root cause.

use eframe::egui;
use egui::{Color32, RichText};

use crate::engine::{GrowthEvent, Resource, RunOutcome, RunReport};
use crate::ui::backtrace::frames_ui;
use crate::ui::command::Command;
use crate::ui::session::History;
use crate::ui::theme::bytes_text;
use crate::ui::theme::{AMBER, GREEN, GREY, RED, callout_ui};

fn badge_ui(ui: &mut egui::Ui, text: &str, fill: Color32) {
    egui::Frame::new()
        .fill(fill)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(8, 3))
        .show(ui, |ui| {
            ui.label(RichText::new(text).strong().color(Color32::WHITE));
        });
}

fn growth_text(event: &GrowthEvent) -> String {
    match event.resource {
        Resource::Memory => format!(
            "memory growth from {} to {} refused (cap {}) at {} ms",
            bytes_text(event.current),
            bytes_text(event.desired),
            bytes_text(event.limit),
            event.at_ms
        ),
        Resource::Table => format!(
            "table growth from {} to {} elements refused (cap {}) at {} ms",
            event.current, event.desired, event.limit, event.at_ms
        ),
    }
}

/// Where [`scroll_to_headline`] leaves its request, for [`outcome_ui`] to take.
const TO_HEADLINE: &str = "wasmscope outcome to headline";

/// Asks the outcome panel to show the next outcome from its headline: a new run must not open
/// where the last one was scrolled to.
pub fn scroll_to_headline(ctx: &egui::Context) {
    ctx.data_mut(|d| d.insert_temp(egui::Id::NULL.with(TO_HEADLINE), true));
}

/// The outcome of the last run, or a hint when there is none.
pub fn outcome_ui(
    ui: &mut egui::Ui,
    report: Option<&RunReport>,
    memory: &(History, u64),
    tables: &(History, u64),
    after: &mut crate::ui::files::AfterRun,
    commands: &mut Vec<Command>,
) {
    ui.heading("Outcome");
    let Some(report) = report else {
        ui.weak("No run yet. Press Run (F5) to start the module in the sandbox.");
        return;
    };
    let mut scroll = egui::ScrollArea::vertical()
        .id_salt("outcome scroll")
        .auto_shrink([false, true]);
    if ui
        .ctx()
        .data_mut(|d| d.remove_temp::<bool>(egui::Id::NULL.with(TO_HEADLINE)))
        .is_some()
    {
        scroll = scroll.vertical_scroll_offset(0.0);
    }
    scroll.show(ui, |ui| {
        if let Some(replay) = &report.replay {
            ui.weak(format!(
                "A replay: {} of the recording's {} WASI calls answered from it; nothing of this \
                 machine was read.",
                replay.calls_replayed, replay.calls_recorded
            ));
        }
        report_ui(ui, report, commands);
        crate::ui::files::after_run_ui(ui, report, after, commands);
        if let Some(refused) = report.unlisted_denials() {
            ui.add_space(6.0);
            crate::ui::calls::unlisted_denials_ui(ui, refused);
        }
        if !report.calls.is_empty() || !report.denials.is_empty() {
            ui.add_space(6.0);
            crate::ui::calls::denials_ui(ui, &report.denials, report.denials_total);
        }
        // The refused calls are kept with the call log off; the rest are not.
        if !report.calls.is_empty() {
            egui::CollapsingHeader::new(format!("WASI calls ({})", report.calls_total))
                .default_open(true)
                .show(ui, |ui| {
                    crate::ui::calls::calls_table_ui(ui, &report.calls, report.calls_total);
                });
        } else if !report.denials.is_empty() {
            ui.weak("The call log was off: only the refused calls are listed.");
        }
        if has_shape(&memory.0) || grew(&tables.0) {
            egui::CollapsingHeader::new("Memory over time")
                .default_open(true)
                .show(ui, |ui| {
                    resource_plots_ui(ui, (&memory.0, memory.1), (&tables.0, tables.1));
                });
        }
    });
}

fn report_ui(ui: &mut egui::Ui, report: &RunReport, commands: &mut Vec<Command>) {
    match &report.outcome {
        RunOutcome::Exited { code: 0 } if !report.results.is_empty() => {
            ui.horizontal(|ui| {
                badge_ui(ui, "RETURNED", GREEN);
                ui.label(format!("Results: {}", report.results.join(", ")));
            });
            ui.label("The invoked function returned normally with these values.");
        }
        RunOutcome::Exited { code } => {
            ui.horizontal(|ui| {
                let fill = if *code == 0 { GREEN } else { AMBER };
                badge_ui(ui, &format!("EXITED {code}"), fill);
                ui.label(format!("Exit code {code}"));
            });
            last_words_ui(ui, report);
            // The engine's words, the same the CLI prints under the outcome line.
            ui.label(report.outcome.explain());
            if !report.results.is_empty() {
                ui.label(format!("Results: {}", report.results.join(", ")));
            }
        }
        RunOutcome::Trapped { trap } => {
            ui.horizontal_wrapped(|ui| {
                badge_ui(ui, "TRAPPED", RED);
                badge_ui(ui, &trap.code, GREY);
            });
            if last_words_ui(ui, report) {
                ui.label(format!("It then trapped: {}.", trap.message));
            } else {
                ui.label(RichText::new(&trap.message).strong());
            }
            ui.label(report.outcome.explain());
        }
        RunOutcome::TimedOut { .. } => {
            ui.horizontal(|ui| {
                badge_ui(ui, "TIMED OUT", AMBER);
                ui.label(report.outcome.summary());
            });
            ui.label(report.outcome.explain());
        }
        RunOutcome::FuelExhausted { .. } => {
            ui.horizontal(|ui| {
                badge_ui(ui, "OUT OF FUEL", AMBER);
                ui.label(report.outcome.summary());
            });
            ui.label(report.outcome.explain());
        }
        RunOutcome::Cancelled => {
            ui.horizontal(|ui| {
                badge_ui(ui, "STOPPED", GREY);
                ui.label("Cancelled");
            });
            ui.label(report.outcome.explain());
        }
        RunOutcome::Diverged { .. } => {
            ui.horizontal(|ui| {
                badge_ui(ui, "REPLAY DIVERGED", RED);
            });
            ui.label(RichText::new(report.outcome.summary()).strong());
            ui.label(report.outcome.explain());
        }
        RunOutcome::Failed { error, unresolved } => {
            ui.horizontal(|ui| {
                badge_ui(ui, "DID NOT START", RED);
            });
            ui.label(RichText::new(error).strong());
            if !unresolved.is_empty() {
                ui.label(report.outcome.explain());
                for import in unresolved {
                    ui.label(
                        RichText::new(format!(
                            "{}::{} ({})",
                            import.module, import.name, import.kind
                        ))
                        .monospace()
                        .color(RED),
                    );
                    ui.indent(("unresolved", &import.module, &import.name), |ui| {
                        ui.label(&import.reason);
                    });
                }
            }
        }
    }
    if let Some(limit) = report.outcome.limit() {
        ui.label(format!(
            "If it needs more, raise {} in the Sandbox panel.",
            crate::ui::sandbox::limit_name(limit)
        ));
    }

    if let Some(first) = report.denied_growths.first() {
        ui.add_space(6.0);
        let trapped = matches!(report.outcome, RunOutcome::Trapped { .. });
        callout_ui(ui, AMBER, |ui| {
            if trapped {
                ui.strong("Likely root cause: the sandbox refused to grow memory");
            } else {
                ui.strong("The sandbox refused to grow memory");
            }
            ui.label(format!(
                "{} growth{} denied; the first: {}.",
                report.denied_growths_count,
                if report.denied_growths_count == 1 {
                    " was"
                } else {
                    "s were"
                },
                growth_text(first)
            ));
            if trapped {
                ui.label(
                    "memory.grow returned -1 and the guest carried on as if it had the memory \
                     (like an unchecked malloc), so the trap above is a symptom. Raise the \
                     memory cap, or make the guest handle allocation failure.",
                );
            }
        });
    }

    if let Some(explanation) = report
        .disk
        .as_ref()
        .and_then(crate::engine::sandbox::shim::quota::DiskUsage::explanation)
    {
        ui.add_space(6.0);
        callout_ui(ui, AMBER, |ui| {
            ui.strong("The sandbox refused to let the folders grow");
            ui.label(explanation);
        });
    } else if report.disk.is_none() && !report.file_changes.is_empty() {
        ui.add_space(6.0);
        ui.weak(format!(
            "Note: {}.",
            crate::engine::sandbox::shim::quota::NOT_COVERED
        ));
    }

    if let RunOutcome::Trapped { trap } = &report.outcome {
        ui.add_space(6.0);
        ui.strong("Backtrace");
        if trap.frames.is_empty() {
            ui.weak("No wasm frames were recorded for this trap.");
        } else {
            frames_ui(ui, &trap.frames, commands);
            innermost_state_ui(ui, report, &trap.frames, commands);
            own_source_ui(ui, &trap.frames);
            replay_with_state_ui(ui, report, trap, commands);
        }
    }
    crate::ui::travel::outcome_ui(ui, report, commands);

    if let Some(stopped) = &report.stopped_at
        && !stopped.frames.is_empty()
    {
        ui.add_space(6.0);
        ui.strong("Where it stopped");
        frames_ui(ui, &stopped.frames, commands);
        innermost_state_ui(ui, report, &stopped.frames, commands);
    }

    memory_link_ui(ui, report, commands);
    ui.add_space(6.0);
    stats_ui(ui, report);
}

/// The fault address, if any, and the way to the memory view.
fn memory_link_ui(ui: &mut egui::Ui, report: &RunReport, commands: &mut Vec<Command>) {
    use crate::ui::memory::{Fault, fault};
    match fault(report) {
        Some(Fault::Inside(address)) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(format!("Fault address {address:#x}."));
                if ui
                    .link("Show it in memory")
                    .on_hover_text("Open the memory view at the address the guest touched.")
                    .clicked()
                {
                    commands.push(Command::ShowMemory(Some(address)));
                }
            });
        }
        Some(Fault::PastEnd(address, len)) => {
            ui.label(format!(
                "Fault address {address:#x}: past the end of memory ({}).",
                bytes_text(len)
            ));
        }
        Some(Fault::BeyondSnapshot(address)) => {
            ui.label(format!(
                "Fault address {address:#x}: inside memory, past the first {} kept for the \
                 memory view.",
                bytes_text(crate::engine::outcome::MEMORY_SNAPSHOT_BYTES as u64)
            ));
        }
        None => {}
    }
    if let Some(memory) = &report.memory {
        ui.add_space(4.0);
        if ui
            .button("Show memory")
            .on_hover_text(format!(
                "The guest's linear memory when the run ended ({}), in hex and ASCII.",
                bytes_text(memory.len() as u64)
            ))
            .clicked()
        {
            commands.push(Command::ShowMemory(None));
        }
    }
}

/// A trap of a recorded run without debug mode: the way to its locals, operand stacks and
/// globals, by replaying the recording in debug mode.
fn replay_with_state_ui(
    ui: &mut egui::Ui,
    report: &RunReport,
    trap: &crate::engine::TrapInfo,
    commands: &mut Vec<Command>,
) {
    if report.recording.is_none() || trap.frames.iter().any(|f| f.state.is_some()) {
        return;
    }
    ui.add_space(4.0);
    if ui
        .button("Replay with state")
        .on_hover_text(
            "Run this recording again, exactly, in debug mode, to the trap: the frames' locals, \
             operand stacks and globals, and the operands the trapping instruction was given. \
             Nothing of this machine is read again.",
        )
        .clicked()
    {
        commands.push(Command::ReplayWithState);
    }
}

/// Debug mode: the innermost frame's locals and operand stack under the backtrace, and how
/// to see another frame's.
fn innermost_state_ui(
    ui: &mut egui::Ui,
    report: &RunReport,
    frames: &[crate::engine::FrameInfo],
    commands: &mut Vec<Command>,
) {
    // The program's own innermost frame when its variables are known (past a panic's
    // machinery), else the innermost.
    let at = crate::engine::last_words::variables_frame(frames.iter().map(|f| {
        let has = f.state.as_ref().is_some_and(|s| !s.variables.is_empty());
        (f.func_name.as_deref(), has)
    }))
    .unwrap_or(0);
    let Some(state) = frames.get(at).and_then(|f| f.state.as_ref()) else {
        return;
    };
    ui.weak("Click a frame to see its code, with its locals and operand stack beside it.");
    ui.add_space(4.0);
    let memory_bytes = report
        .stats
        .peak_memory_bytes
        .max(report.memory.as_ref().map_or(0, |m| m.len() as u64));
    let title = if state.variables.is_empty() {
        format!("Frame {at}: locals and operand stack")
    } else {
        format!("Frame {at}: variables, locals and operand stack")
    };
    egui::CollapsingHeader::new(title)
        .id_salt("innermost frame state")
        .default_open(true)
        .show(ui, |ui| {
            crate::ui::debugger::frame_state_ui(ui, state, memory_bytes, commands);
        });
}

/// The source line of the program's own first frame (past a panic's machinery), read from
/// the file DWARF names when it is on this machine; read once per trap, not every frame.
fn own_source_ui(ui: &mut egui::Ui, frames: &[crate::engine::FrameInfo]) {
    let names = frames.iter().map(|f| f.func_name.as_deref());
    let own = crate::engine::last_words::first_own_frame(names).unwrap_or(0);
    let Some((frame, source)) = frames
        .get(own)
        .and_then(|f| Some((f, f.source.as_deref()?)))
    else {
        return;
    };
    let id = egui::Id::unique(("trap source", source));
    let context = ui.data_mut(|d| {
        d.get_temp_mut_or_insert_with(id, || crate::engine::debug::source_context(source))
            .clone()
    });
    let Some(context) = context.filter(|c| !c.lines.is_empty()) else {
        return;
    };
    ui.add_space(4.0);
    let name = frame.func_name.as_deref().unwrap_or("the program's frame");
    egui::CollapsingHeader::new(format!("Source: {name}"))
        .id_salt("trap own source")
        .default_open(true)
        .show(ui, |ui| crate::ui::debugger::source_ui(ui, &context));
}

/// The guest's last words as the cause, when it said any; `true` when shown.
fn last_words_ui(ui: &mut egui::Ui, report: &RunReport) -> bool {
    let Some(words) = &report.last_words else {
        return false;
    };
    // Plain text: a guest can print anything, and nothing of it is markup.
    ui.label(
        RichText::new(words.headline())
            .strong()
            .color(ui.visuals().error_fg_color),
    );
    let from = if words.source == "stderr" {
        "Read from the guest's stderr, where it said why it stopped.".to_owned()
    } else {
        format!("What the guest passed to {}.", words.source)
    };
    ui.weak(from);
    true
}

fn stats_ui(ui: &mut egui::Ui, report: &RunReport) {
    let stats = &report.stats;
    egui::CollapsingHeader::new("Numbers")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("run stats")
                .num_columns(2)
                .spacing([16.0, 2.0])
                .show(ui, |ui| {
                    ui.label("Wall time");
                    ui.label(crate::ui::compile::millis_text(stats.wall_ms))
                        .on_hover_text("The guest's own time: time paused is not in it");
                    ui.end_row();
                    if stats.paused_ms > 0 {
                        ui.label("Paused");
                        ui.label(crate::ui::compile::millis_text(stats.paused_ms))
                            .on_hover_text("Time the run sat paused in debug mode");
                        ui.end_row();
                    }
                    ui.label("Compile");
                    ui.label(if stats.compile_cached {
                        "cached".to_owned()
                    } else {
                        crate::ui::compile::millis_text(stats.compile_ms)
                    });
                    ui.end_row();
                    ui.label("Peak memory");
                    ui.label(bytes_text(stats.peak_memory_bytes));
                    ui.end_row();
                    ui.label("Fuel used");
                    ui.label(
                        stats
                            .fuel_consumed
                            .map_or_else(|| "not metered".to_owned(), |f| f.to_string()),
                    );
                    ui.end_row();
                    ui.label("stdout / stderr");
                    ui.label(format!(
                        "{} / {}",
                        bytes_text(stats.stdout_bytes),
                        bytes_text(stats.stderr_bytes)
                    ));
                    ui.end_row();
                    ui.label("Denied growths");
                    ui.label(report.denied_growths_count.to_string());
                    ui.end_row();
                    if let Some(disk) = &report.disk {
                        ui.label("Disk added");
                        // The longest value: it wraps in a narrow panel instead of widening it.
                        ui.add(
                            egui::Label::new(format!(
                                "{} of {}, {} of {} files{}",
                                bytes_text(disk.bytes_added),
                                bytes_text(disk.max_bytes),
                                disk.files_created,
                                disk.max_files,
                                match disk.refused {
                                    0 => String::new(),
                                    n => format!(", {n} refused"),
                                }
                            ))
                            .wrap(),
                        );
                        ui.end_row();
                    }
                });
        });
}

/// A unit that keeps the plot's numbers readable: KiB, MiB or GiB.
fn byte_unit(bytes: u64) -> (f64, &'static str) {
    const KIB: f64 = 1024.0;
    match bytes {
        0..0x10_0000 => (KIB, "KiB"),
        0x10_0000..0x4000_0000 => (KIB * KIB, "MiB"),
        _ => (KIB * KIB * KIB, "GiB"),
    }
}

/// Whether `history` has a shape worth plotting (more than one distinct point, or a denied
/// growth to mark).
pub fn has_shape(history: &History) -> bool {
    !history.denied.is_empty()
        || history
            .points
            .windows(2)
            .any(|w| w[0].1 != w[1].1 || w[0].0 != w[1].0)
}

/// Whether the value changed at all, or a change was refused (a table that kept its size and
/// asked for nothing says nothing a chart adds).
pub fn grew(history: &History) -> bool {
    !history.denied.is_empty() || history.points.windows(2).any(|w| w[0].1 != w[1].1)
}

/// The memory chart, and beside it the table chart when a table grew.
/// Each is `(history, cap)`: bytes for memory, elements for tables.
pub fn resource_plots_ui(
    ui: &mut egui::Ui,
    (memory, memory_cap_bytes): (&History, u64),
    (tables, table_cap_elements): (&History, u64),
) {
    if grew(tables) {
        ui.columns(2, |columns| {
            memory_plot_ui(&mut columns[0], memory, memory_cap_bytes);
            table_plot_ui(&mut columns[1], tables, table_cap_elements);
        });
    } else {
        memory_plot_ui(ui, memory, memory_cap_bytes);
    }
}

/// "; × marks 2 denied growths", or nothing.
fn denied_caption(history: &History) -> String {
    match history.denied_count {
        0 => String::new(),
        1 => "; × marks the denied growth".to_owned(),
        n if n as usize > history.denied.len() => {
            format!(
                "; × marks the first {} of {n} denied growths",
                history.denied.len()
            )
        }
        n => format!("; × marks {n} denied growths"),
    }
}

/// Table size (elements) over the run, with the cap as a dashed line when the peak nears it.
pub fn table_plot_ui(ui: &mut egui::Ui, history: &History, cap_elements: u64) {
    let Some((peak, show_cap)) = step_plot_ui(
        ui,
        "table",
        history,
        cap_elements,
        (1.0, ""),
        crate::ui::theme::TABLE,
    ) else {
        return;
    };
    ui.weak(format!(
        "Table size over time: peak {peak} of a {cap_elements} element cap{}{}",
        if show_cap { " (dashed red line)" } else { "" },
        denied_caption(history)
    ));
}

/// Linear memory over the run, with the cap as a dashed line when the peak comes near it.
pub fn memory_plot_ui(ui: &mut egui::Ui, history: &History, cap_bytes: u64) {
    let peak = history.points.iter().map(|&(_, b)| b).max().unwrap_or(0);
    let show_cap = peak as f64 > cap_bytes as f64 * 0.25;
    let unit = byte_unit(if show_cap { cap_bytes } else { peak });
    let color = crate::ui::theme::MEMORY;
    let Some((peak, show_cap)) = step_plot_ui(ui, "memory", history, cap_bytes, unit, color) else {
        ui.weak("No memory samples yet.");
        return;
    };
    ui.weak(format!(
        "Linear memory over time: peak {} of a {} cap{}{}",
        bytes_text(peak),
        bytes_text(cap_bytes),
        if show_cap { " (dashed red line)" } else { "" },
        denied_caption(history)
    ));
}

/// The corners of a step line through `points`: each value holds until the next sample, so a
/// growth draws as a vertical step, never a slope. It starts at the first sample and holds the
/// last value until `end_ms` (at least 1 ms past the last sample, so one sample still shows).
pub fn step_points(points: &[(u64, u64)], end_ms: u64) -> Vec<(u64, u64)> {
    let mut steps = Vec::with_capacity(points.len() * 2 + 1);
    for &(at_ms, value) in points {
        if let Some(&(_, before)) = steps.last()
            && before != value
        {
            steps.push((at_ms, before));
        }
        steps.push((at_ms, value));
    }
    if let Some(&(last_ms, value)) = steps.last() {
        steps.push((end_ms.max(last_ms + 1), value));
    }
    steps
}

/// A value over the run as a filled step line, values divided by `unit.0` and labelled
/// `unit.1`, with `cap` as a dashed red line when the peak passes a quarter of it, and each
/// denied growth marked × at its time. Returns the peak and whether the cap is drawn; `None`
/// when there are no samples.
fn step_plot_ui(
    ui: &mut egui::Ui,
    name: &str,
    history: &History,
    cap: u64,
    (scale, unit): (f64, &'static str),
    color: Color32,
) -> Option<(u64, bool)> {
    let &(last_ms, _) = history.points.last()?;
    let end_ms = history
        .denied
        .last()
        .map_or(last_ms, |&(at_ms, _)| at_ms.max(last_ms));
    let peak = history.points.iter().map(|&(_, v)| v).max().unwrap_or(0);
    let show_cap = peak as f64 > cap as f64 * 0.25;
    let (time_scale, time_unit) = if end_ms < 2000 {
        (1.0, "ms")
    } else {
        (1000.0, "s")
    };
    let to_plot = |&(at_ms, v): &(u64, u64)| [at_ms as f64 / time_scale, v as f64 / scale];
    let points: Vec<[f64; 2]> = step_points(&history.points, end_ms)
        .iter()
        .map(to_plot)
        .collect();
    let denied: Vec<[f64; 2]> = history.denied.iter().map(to_plot).collect();
    let cap_line = cap as f64 / scale;
    egui_plot::Plot::new(format!("{name} plot"))
        .height(130.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_x(false)
        .include_y(0.0)
        .include_y(if show_cap { cap_line * 1.05 } else { 0.0 })
        .x_axis_formatter(move |mark, _| format!("{:.0} {time_unit}", mark.value))
        .y_axis_formatter(move |mark, _| format!("{:.0} {unit}", mark.value).trim_end().to_owned())
        .show(ui, |plot| {
            plot.line(
                egui_plot::Line::new(name.to_owned(), points)
                    .color(color)
                    .fill(0.0)
                    .width(2.0),
            );
            if show_cap {
                plot.hline(
                    egui_plot::HLine::new("cap", cap_line)
                        .color(RED)
                        .style(egui_plot::LineStyle::dashed_dense()),
                );
            }
            if !denied.is_empty() {
                plot.points(
                    egui_plot::Points::new("denied growth", denied)
                        .shape(egui_plot::MarkerShape::Cross)
                        .radius(6.0)
                        .color(RED),
                );
            }
        });
    Some((peak, show_cap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_step_from_the_first_sample_instead_of_sloping() {
        // Memory grows 1 -> 2 MiB at 10 ms: the line holds 1 MiB until 10 ms, then steps.
        let steps = step_points(&[(3, 1), (10, 2), (20, 2)], 20);
        assert_eq!(steps, vec![(3, 1), (10, 1), (10, 2), (20, 2), (21, 2)]);
        // No segment both rises and moves in time (a slope would draw a parallelogram).
        assert!(
            steps
                .windows(2)
                .all(|w| w[0].0 == w[1].0 || w[0].1 == w[1].1)
        );
    }

    #[test]
    fn a_resource_that_never_changed_is_drawn_flat() {
        let steps = step_points(&[(0, 10), (500, 10), (900, 10)], 900);
        assert!(steps.iter().all(|&(_, v)| v == 10), "{steps:?}");
        assert!(!grew(&History {
            points: vec![(0, 10), (500, 10)],
            ..History::default()
        }));
        // One sample still draws a short flat line.
        assert_eq!(step_points(&[(5, 7)], 5), vec![(5, 7), (6, 7)]);
    }
}
