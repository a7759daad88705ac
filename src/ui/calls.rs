//! The capability log view: each WASI call the guest made, its decoded arguments, what came
//! back, and, when the sandbox said no, why.

use eframe::egui;
use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::engine::sandbox::shim::calllog::CallRecord;
use crate::engine::wasi::Capability;
use crate::ui::theme::RED;
use crate::ui::theme::callout_ui;

/// How many calls the live view keeps during a run (the report keeps its own first ones).
pub const MAX_LIVE_CALLS: usize = 5000;

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
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "{}({}) = {}",
                        call.function,
                        call.args,
                        call.result_text()
                    ))
                    .monospace()
                    .color(RED),
                )
                .wrap(),
            );
            if let Some(why) = call.refusal_text() {
                ui.indent(("denial", call.at_us, &call.function), |ui| {
                    ui.add(egui::Label::new(why).wrap());
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

/// Refused calls counted past the ones listed, and how to see which.
pub fn unlisted_denials_ui(ui: &mut egui::Ui, refused: u64) {
    callout_ui(ui, RED, |ui| {
        ui.strong(format!(
            "{refused} more call{} refused by the sandbox than listed — turn on the call log \
             to see every call",
            if refused == 1 { " was" } else { "s were" }
        ))
        .on_hover_text(
            "Sandbox ▸ Limits ▸ Call log records every WASI call with what the sandbox \
             refused and why. Run again with it on.",
        );
    });
}

/// A group of calls the log can be narrowed to; several capabilities can share one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CallCategory {
    /// Every call.
    #[default]
    All,
    /// Files and directories in the preopens.
    Files,
    /// Command-line arguments and environment variables.
    EnvArgs,
    /// Clocks.
    Clocks,
    /// Random bytes.
    Random,
    /// stdin, stdout, stderr and I/O on open descriptors.
    Stdio,
    /// Waiting (`poll_oneoff`, `sched_yield`).
    Poll,
    /// Ending the process.
    Proc,
    /// Sockets.
    Sockets,
}

impl CallCategory {
    /// Every chip, in the order shown.
    pub const ALL: [CallCategory; 9] = [
        CallCategory::All,
        CallCategory::Files,
        CallCategory::EnvArgs,
        CallCategory::Clocks,
        CallCategory::Random,
        CallCategory::Stdio,
        CallCategory::Poll,
        CallCategory::Proc,
        CallCategory::Sockets,
    ];

    /// The chip's text.
    pub fn label(self) -> &'static str {
        match self {
            CallCategory::All => "All",
            CallCategory::Files => "files",
            CallCategory::EnvArgs => "env/args",
            CallCategory::Clocks => "clocks",
            CallCategory::Random => "random",
            CallCategory::Stdio => "stdio",
            CallCategory::Poll => "poll",
            CallCategory::Proc => "proc",
            CallCategory::Sockets => "sockets",
        }
    }

    /// The category a capability belongs to.
    pub fn of(capability: Capability) -> Self {
        match capability {
            Capability::Filesystem => CallCategory::Files,
            Capability::Args | Capability::Env => CallCategory::EnvArgs,
            Capability::Clocks => CallCategory::Clocks,
            Capability::Random => CallCategory::Random,
            Capability::Stdio => CallCategory::Stdio,
            Capability::Poll => CallCategory::Poll,
            Capability::Process => CallCategory::Proc,
            Capability::Sockets => CallCategory::Sockets,
        }
    }

    /// Whether `call` is in this category.
    pub fn matches(self, call: &CallRecord) -> bool {
        self == CallCategory::All || CallCategory::of(call.capability) == self
    }
}

/// What the call log shows: one category, and optionally only what the sandbox refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallFilter {
    /// The chosen chip.
    pub category: CallCategory,
    /// Show refused calls only (and allowed steps that prepare an escape).
    pub denials_only: bool,
}

impl CallFilter {
    /// Whether `call` passes the filter.
    pub fn matches(&self, call: &CallRecord) -> bool {
        // A link that prepares an escape stays beside the refusal of following it.
        self.category.matches(call)
            && (!self.denials_only || call.denial.is_some() || call.prepares_escape.is_some())
    }
}

/// The chips and the "denials only" toggle; returns whether the filter changed.
pub fn call_filter_ui(ui: &mut egui::Ui, filter: &mut CallFilter, calls: &[CallRecord]) -> bool {
    let before = *filter;
    ui.horizontal_wrapped(|ui| {
        for category in CallCategory::ALL {
            let count: u64 = calls
                .iter()
                .filter(|c| category.matches(c))
                .map(|c| c.count)
                .sum();
            let tip = if category == CallCategory::All {
                format!("Show every recorded call ({count})")
            } else {
                format!("Show only {} calls ({count} recorded)", category.label())
            };
            if ui
                .selectable_label(filter.category == category, category.label())
                .on_hover_text(tip)
                .clicked()
            {
                filter.category = category;
            }
        }
        ui.separator();
        ui.checkbox(&mut filter.denials_only, "denials only")
            .on_hover_text(
                "Show only the calls the sandbox refused, with the reason, and the allowed \
                 steps that prepare an escape (a link pointing outside a granted folder)",
            );
    });
    *filter != before
}

/// The call table's filter, kept in egui's memory (one table shows at a time).
fn filter_id() -> egui::Id {
    egui::Id::unique("calls filter")
}

/// Narrows the call table to `filter`, as if its chips had been clicked (the sandbox map's
/// doors and refusals lead here).
pub fn show_in_call_log(ctx: &egui::Context, filter: CallFilter) {
    ctx.data_mut(|d| d.insert_temp(filter_id(), filter));
}

/// The calls as a table, newest last, with the filter chips above; only visible rows are
/// laid out. The filter lives in egui's memory so it survives from one run to the next.
pub fn calls_table_ui(ui: &mut egui::Ui, calls: &[CallRecord], total: u64) {
    if calls.is_empty() {
        ui.weak("No WASI calls were recorded.");
        return;
    }
    let recorded: u64 = calls.iter().map(|c| c.count).sum();
    if total > recorded {
        ui.weak(format!("the first {recorded} of {total} calls"));
    }
    let filter_id = filter_id();
    let mut filter: CallFilter = ui.data(|d| d.get_temp(filter_id)).unwrap_or_default();
    if call_filter_ui(ui, &mut filter, calls) {
        ui.data_mut(|d| d.insert_temp(filter_id, filter));
    }
    let shown: Vec<&CallRecord> = calls.iter().filter(|c| filter.matches(c)).collect();
    if shown.is_empty() {
        ui.weak("No recorded call matches this filter.");
        return;
    }
    if shown.len() < calls.len() {
        ui.weak(format!("{} of {} rows", shown.len(), calls.len()));
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 6.0;
    // The columns start within the panel's width (a narrow Outcome panel must not push the
    // table over the console beside it); arguments and results wrap inside them.
    let room = ui.available_width();
    TableBuilder::new(ui)
        .id_salt("calls table")
        .striped(true)
        .resizable(true)
        .max_scroll_height(260.0)
        .column(Column::auto().at_least(36.0))
        .column(
            Column::initial((room * 0.24).clamp(60.0, 120.0))
                .at_least(60.0)
                .clip(true),
        )
        .column(Column::initial((room * 0.4).clamp(80.0, 220.0)).at_least(80.0))
        // Wide enough that a result (a refusal's reason) wraps by words, never a character a
        // line; the Outcome panel scrolls sideways when the table is wider than it.
        .column(Column::remainder().at_least(RESULT_MIN_WIDTH))
        .header(row_height, |mut header| {
            for title in ["ms", "call", "arguments", "result"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|mut body| {
            // Arguments and results wrap (read on a projector, not cut): each row is as tall
            // as its longest cell at the columns' widths now. Kept between frames (a live log
            // only adds rows), laid out again when a width, the filter or the font changes.
            let widths = body.widths().to_vec();
            let spacing = body.ui_mut().spacing().item_spacing.x;
            let width = |i: usize| (widths.get(i).copied().unwrap_or(100.0) - spacing).max(20.0);
            let heights_id = egui::Id::unique("calls table heights");
            let key = (width(2).round(), width(3).round(), row_height, filter);
            let mut cache: RowHeights = body
                .ui_mut()
                .data_mut(|d| d.remove_temp(heights_id))
                .unwrap_or_default();
            let first = shown.first().map(|c| c.at_us);
            if cache.key != Some(key) || cache.first != first || cache.heights.len() > shown.len() {
                cache = RowHeights {
                    key: Some(key),
                    first,
                    heights: Vec::new(),
                };
            }
            for call in shown.iter().skip(cache.heights.len()) {
                let ui = body.ui_mut();
                let args = cell_height(ui, &call.args, width(2));
                let result = cell_height(ui, &call.result_words(), width(3));
                cache
                    .heights
                    .push(args.max(result).max(row_height - 6.0) + 6.0);
            }
            let heights = cache.heights.clone();
            body.ui_mut().data_mut(|d| d.insert_temp(heights_id, cache));
            body.heterogeneous_rows(heights.into_iter(), |mut row| {
                let Some(call) = shown.get(row.index()) else {
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
                    let label = ui.add(egui::Label::new(text(call.args.clone())).wrap());
                    if let Some(paths) = &call.paths {
                        label.on_hover_text(paths.describe());
                    }
                });
                row.col(|ui| {
                    // The reason sits in the row itself, so a refusal reads without hovering.
                    let words = call.result_words();
                    match (&call.prepares_escape, color) {
                        (Some(_), None) => ui.add(
                            egui::Label::new(text(words).color(crate::ui::theme::AMBER)).wrap(),
                        ),
                        _ => ui.add(egui::Label::new(text(words)).wrap()),
                    };
                });
            });
        });
}

/// The result column's narrowest: about 20 characters of monospace.
const RESULT_MIN_WIDTH: f32 = 160.0;

/// The rows' heights as last laid out, and what they were laid out for.
#[derive(Clone, Default)]
struct RowHeights {
    key: Option<(f32, f32, f32, CallFilter)>,
    /// The first shown row's time: a new run's log starts again.
    first: Option<u64>,
    heights: Vec<f32>,
}

/// The height of `text` in the table's monospace font, wrapped at `width`.
fn cell_height(ui: &egui::Ui, text: &str, width: f32) -> f32 {
    egui::WidgetText::from(RichText::new(text).monospace())
        .into_galley(
            ui,
            Some(egui::TextWrapMode::Wrap),
            width,
            egui::TextStyle::Monospace,
        )
        .size()
        .y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(capability: Capability, denied: bool) -> CallRecord {
        CallRecord {
            function: "f".to_owned(),
            capability,
            args: String::new(),
            errno: Some(0),
            result: "success".to_owned(),
            denial: denied.then(|| "no".to_owned()),
            at_us: 0,
            count: 1,
            paths: None,
            prepares_escape: None,
            moment: None,
        }
    }

    #[test]
    fn args_and_env_share_a_chip_and_denials_only_keeps_refusals() {
        let filter = CallFilter {
            category: CallCategory::EnvArgs,
            denials_only: false,
        };
        assert!(filter.matches(&call(Capability::Args, false)));
        assert!(filter.matches(&call(Capability::Env, false)));
        assert!(!filter.matches(&call(Capability::Filesystem, false)));
        let denials = CallFilter {
            category: CallCategory::All,
            denials_only: true,
        };
        assert!(denials.matches(&call(Capability::Stdio, true)));
        assert!(!denials.matches(&call(Capability::Stdio, false)));
        let mut link = call(Capability::Filesystem, false);
        link.prepares_escape = Some("allowed here, refused when followed".to_owned());
        assert!(
            denials.matches(&link),
            "the step that prepares an escape is kept"
        );
        assert_eq!(CallCategory::of(Capability::Process).label(), "proc");
    }
}
