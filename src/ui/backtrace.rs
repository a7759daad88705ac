//! A backtrace as a table, innermost frame first: each frame opens its code; runs of a
//! runtime's frames (the Rust panic machinery, wasi-libc) fold into one row until unfolded,
//! and the program's own first frame stands out.

use eframe::egui;
use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::ui::command::Command;

/// The Source column's narrowest: a `file.c:123` in monospace.
const SOURCE_MIN_WIDTH: f32 = 110.0;

/// A backtrace row: one frame, or a run of a runtime's frames folded into one line.
enum FrameRow {
    Frame(usize),
    Folded {
        first: usize,
        count: usize,
        runtime: &'static str,
    },
}

pub fn frames_ui(
    ui: &mut egui::Ui,
    frames: &[crate::engine::FrameInfo],
    commands: &mut Vec<Command>,
) {
    // Runs of a runtime's frames (the Rust panic machinery, wasi-libc) fold into one row until
    // the user unfolds them; the program's own first frame stands out.
    let unfold_id = egui::Id::unique("backtrace-unfold-runtime-frames");
    let unfolded = ui.data(|d| d.get_temp::<bool>(unfold_id).unwrap_or(false));
    let names = || frames.iter().map(|f| f.func_name.as_deref());
    let own = crate::engine::last_words::first_own_frame(names()).filter(|&i| i > 0);
    let mut rows = Vec::new();
    let mut folded_any = false;
    for (first, count, runtime) in crate::engine::last_words::fold_frames(names()) {
        match runtime {
            Some(runtime) if count > 1 && !unfolded => {
                folded_any = true;
                rows.push(FrameRow::Folded {
                    first,
                    count,
                    runtime,
                });
            }
            _ => rows.extend((first..first + count).map(FrameRow::Frame)),
        }
    }
    if folded_any || unfolded {
        let label = if unfolded {
            "Fold the runtime's frames"
        } else {
            "Show every frame"
        };
        if ui.small_button(label).clicked() {
            ui.data_mut(|d| d.insert_temp(unfold_id, !unfolded));
        }
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let has_source = frames.iter().any(|f| f.source.is_some());
    let mut table = TableBuilder::new(ui)
        .id_salt("backtrace")
        .striped(true)
        .vscroll(false)
        .column(Column::auto().at_least(20.0))
        .column(Column::auto().at_least(60.0));
    // Narrow enough for the panel at 1024 points wide; long names are clipped. With a Source
    // column, that one takes the rest (a `file.c:25` must read on one line) and Name keeps a
    // width of its own.
    table = if has_source {
        table
            .column(Column::initial(160.0).at_least(80.0).clip(true))
            .column(Column::auto().at_least(70.0))
            .column(Column::remainder().at_least(SOURCE_MIN_WIDTH).clip(true))
    } else {
        table
            .column(Column::remainder().at_least(80.0).clip(true))
            .column(Column::auto().at_least(70.0))
    };
    table
        .header(row_height, |mut header| {
            header.col(|ui| {
                ui.strong("#");
            });
            header.col(|ui| {
                ui.strong("Function");
            });
            header.col(|ui| {
                ui.strong("Name");
            });
            header.col(|ui| {
                ui.strong("Offset");
            });
            if has_source {
                header.col(|ui| {
                    ui.strong("Source");
                });
            }
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let depth = match rows.get(row.index()) {
                    Some(FrameRow::Frame(depth)) => *depth,
                    Some(FrameRow::Folded {
                        first,
                        count,
                        runtime,
                    }) => {
                        row.col(|ui| {
                            ui.weak(format!("{first}-{}", first + count - 1));
                        });
                        // The count where a frame's function is, the runtime where its name
                        // is, so a narrow panel still reads "8 frames · Rust panic machinery".
                        let whole = format!("{count} frames of {runtime} (Show every frame)");
                        row.col(|ui| {
                            ui.weak(format!("{count} frames")).on_hover_text(&whole);
                        });
                        row.col(|ui| {
                            let name = runtime.strip_prefix("the ").unwrap_or(runtime);
                            ui.add(egui::Label::new(RichText::new(name).weak()).truncate())
                                .on_hover_text(&whole);
                        });
                        return;
                    }
                    None => return,
                };
                let Some(frame) = frames.get(depth) else {
                    return;
                };
                row.col(|ui| {
                    ui.label(depth.to_string());
                });
                // Both the index and the name open the code: a stripped module's frames have
                // only the index (`func 27`), and they deserve the code view as much.
                const SHOW_CODE_TIP: &str =
                    "Show this function's code, with the instruction of this frame marked.";
                row.col(|ui| {
                    let text = RichText::new(format!("func {}", frame.func_index)).monospace();
                    if ui.link(text).on_hover_text(SHOW_CODE_TIP).clicked() {
                        commands.push(Command::ShowCode(frame.clone()));
                    }
                });
                row.col(|ui| {
                    let text = match &frame.func_name {
                        Some(name) if own == Some(depth) => {
                            RichText::new(name).monospace().strong()
                        }
                        Some(name) => RichText::new(name).monospace(),
                        // The module may have a name section that leaves this one out.
                        None => RichText::new("(unnamed)").weak(),
                    };
                    let tip = if frame.func_name.is_some() {
                        SHOW_CODE_TIP.to_owned()
                    } else {
                        format!(
                            "The module names no function {}: it has no name section, or \
                             its name section leaves this one out. {SHOW_CODE_TIP}",
                            frame.func_index
                        )
                    };
                    if ui.link(text).on_hover_text(tip).clicked() {
                        commands.push(Command::ShowCode(frame.clone()));
                    }
                });
                row.col(|ui| match frame.module_offset {
                    Some(offset) => {
                        ui.monospace(format!("{offset:#x}"));
                    }
                    None => {
                        ui.weak("?");
                    }
                });
                if has_source {
                    row.col(|ui| {
                        // One line: the file's name and line (`shapes.c:25`), the whole path
                        // on hover.
                        let source = frame.source.as_deref().unwrap_or("");
                        let short = source.rsplit(['/', '\\']).next().unwrap_or(source);
                        ui.add(egui::Label::new(RichText::new(short).monospace()).truncate())
                            .on_hover_text(source);
                    });
                }
            });
        });
}
