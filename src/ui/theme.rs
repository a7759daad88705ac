//! The window's colours and small shared looks, in one place: what a colour means here
//! (refused, succeeded, a warning, the marked instruction) rather than which shade it is.

use eframe::egui;
use egui::Color32;

/// Success, and the Run button.
pub const GREEN: Color32 = Color32::from_rgb(40, 140, 70);
/// What the sandbox refused, traps, differences.
pub const RED: Color32 = Color32::from_rgb(200, 60, 50);
/// Timeouts, fuel and other stops that are not errors.
pub const AMBER: Color32 = Color32::from_rgb(190, 120, 20);
/// Cancelled and other neutral ends.
pub const GREY: Color32 = Color32::from_rgb(110, 110, 120);
/// The marked instruction or byte (the trapping instruction, the faulting address).
pub const MARK: Color32 = Color32::from_rgb(230, 170, 40);
/// Memory in charts.
pub const MEMORY: Color32 = Color32::from_rgb(70, 140, 230);
/// Tables in charts.
pub const TABLE: Color32 = Color32::from_rgb(150, 100, 210);
/// Breakpoints, and the paused run's place in the toolbar.
pub const BREAKPOINT: Color32 = Color32::from_rgb(220, 60, 60);
/// The drop overlay's outline.
pub const DROP: Color32 = Color32::from_rgb(120, 170, 255);

/// Guest stderr in the console: orange, readable on either background.
pub fn stderr_color(visuals: &egui::Visuals) -> Color32 {
    if visuals.dark_mode {
        Color32::from_rgb(255, 140, 90)
    } else {
        Color32::from_rgb(200, 60, 20)
    }
}

/// Bytes for people, without a pointless `.0`: `64 KiB`, `16 MiB`, `15.1 MiB`.
pub fn bytes_text(bytes: u64) -> String {
    crate::engine::format_bytes(bytes).replace(".0 ", " ")
}

/// A framed note in `color`: a refusal, a trap's likely cause, a warning.
pub fn callout_ui(ui: &mut egui::Ui, color: Color32, add_contents: impl FnOnce(&mut egui::Ui)) {
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.5, color))
        .fill(color.gamma_multiply(0.08))
        .corner_radius(4.0)
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add_contents(ui);
        });
}
