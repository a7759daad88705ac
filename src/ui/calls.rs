//! The capability log view: each WASI call the guest made, its decoded arguments, what came
//! back, and, when the sandbox said no, why.

use eframe::egui;
use egui::{Color32, RichText};
use egui_extras::{Column, TableBuilder};

use crate::engine::calllog::CallRecord;
use crate::ui::outcome::callout_ui;

/// How many calls the live view keeps during a run (the report keeps its own first ones).
pub const MAX_LIVE_CALLS: usize = 5000;

const RED: Color32 = Color32::from_rgb(200, 60, 50);

/// The calls the sandbox refused, each with the reason.
pub fn denials_ui(ui: &mut egui::Ui, denials: &[CallRecord], total: u64) {
    if denials.is_empty() {
        return;
    }
    callout_ui(ui, RED, |ui| {
        ui.strong(format!(
            "The sandbox refused {total} call{}",
            if total == 1 { "" } else { "s" }
        ));
        for call in denials.iter().take(8) {
            ui.label(
                RichText::new(format!(
                    "{}({}) = {}",
                    call.function, call.args, call.result
                ))
                .monospace()
                .color(RED),
            );
            if let Some(why) = &call.denial {
                ui.indent(("denial", call.at_us, &call.function), |ui| {
                    ui.label(why);
                });
            }
        }
        if denials.len() > 8 {
            ui.weak(format!(
                "… and {} more in the table below",
                denials.len() - 8
            ));
        }
    });
}

/// The calls as a table, newest last; only visible rows are laid out.
pub fn calls_table_ui(ui: &mut egui::Ui, calls: &[CallRecord], total: u64) {
    if calls.is_empty() {
        ui.weak("No WASI calls were recorded.");
        return;
    }
    let recorded: u64 = calls.iter().map(|c| c.count).sum();
    if total > recorded {
        ui.weak(format!("the first {recorded} of {total} calls"));
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 6.0;
    TableBuilder::new(ui)
        .id_salt("calls table")
        .striped(true)
        .resizable(true)
        .max_scroll_height(260.0)
        .column(Column::auto().at_least(50.0))
        .column(Column::initial(120.0).at_least(60.0).clip(true))
        .column(Column::initial(150.0).at_least(60.0).clip(true))
        .column(Column::remainder().at_least(60.0).clip(true))
        .header(row_height, |mut header| {
            for title in ["ms", "call", "arguments", "result"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_height, calls.len(), |mut row| {
                let Some(call) = calls.get(row.index()) else {
                    return;
                };
                let color = call.denial.as_ref().map(|_| RED);
                let text = |s: String| {
                    let text = RichText::new(s).monospace();
                    match color {
                        Some(c) => text.color(c),
                        None => text,
                    }
                };
                row.col(|ui| {
                    ui.label(format!("{:.1}", call.at_us as f64 / 1000.0));
                });
                row.col(|ui| {
                    let name = if call.count > 1 {
                        format!("{} ×{}", call.function, call.count)
                    } else {
                        call.function.clone()
                    };
                    ui.label(text(name))
                        .on_hover_text(format!("capability: {}", call.capability.label()));
                });
                row.col(|ui| {
                    ui.label(text(call.args.clone())).on_hover_text(&call.args);
                });
                row.col(|ui| {
                    let response = ui.label(text(call.result.clone()));
                    if let Some(why) = &call.denial {
                        response.on_hover_text(why);
                    }
                });
            });
        });
}
