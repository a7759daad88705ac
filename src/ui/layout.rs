//! Panel sizes that leave the console readable from 1024×640 up: the side panels start at a
//! share of the window, can be dragged narrower, and can never squeeze the console below
//! [`MIN_CONSOLE_WIDTH`]. Floating windows stay inside [`window_area`].

use eframe::egui;

/// The smallest window: below it the panels would have to overlap.
pub const MIN_WINDOW_SIZE: [f32; 2] = [960.0, 600.0];

/// The console's narrowest width: about 50 monospace columns.
pub const MIN_CONSOLE_WIDTH: f32 = 400.0;

/// The sandbox panel's narrowest width (its controls wrap below this).
pub const MIN_SANDBOX_WIDTH: f32 = 240.0;

/// The outcome panel's narrowest width.
pub const MIN_OUTCOME_WIDTH: f32 = 220.0;

/// The module panel's height when first shown in a window `window_height` tall: room for the
/// header, the tabs and the overview's facts without scrolling, and no more than the output
/// and outcome below can spare.
pub fn module_panel_height(window_height: f32) -> f32 {
    (window_height * 0.4).clamp(250.0, 320.0)
}

/// Widest a side panel may be in a window `window_width` wide: half of what the console does
/// not need, so both side panels at their widest still leave it [`MIN_CONSOLE_WIDTH`].
fn side_panel_max(window_width: f32, min: f32) -> f32 {
    ((window_width - MIN_CONSOLE_WIDTH - 24.0) / 2.0).max(min)
}

/// The sandbox panel: `(default width, width range)` in a window `window_width` wide.
pub fn sandbox_panel(window_width: f32) -> (f32, std::ops::RangeInclusive<f32>) {
    let max = side_panel_max(window_width, MIN_SANDBOX_WIDTH);
    let default = (window_width * 0.26)
        .clamp(MIN_SANDBOX_WIDTH, 340.0)
        .min(max);
    (default, MIN_SANDBOX_WIDTH..=max)
}

/// The outcome panel: `(default width, width range)` in a window `window_width` wide.
pub fn outcome_panel(window_width: f32) -> (f32, std::ops::RangeInclusive<f32>) {
    let max = side_panel_max(window_width, MIN_OUTCOME_WIDTH);
    let default = (window_width * 0.28)
        .clamp(MIN_OUTCOME_WIDTH, 400.0)
        .min(max);
    (default, MIN_OUTCOME_WIDTH..=max)
}

/// The outcome panel beside a console that has `central_width` to share with it (less than
/// the window when the Lessons panel is open): as [`outcome_panel`], but never so wide that
/// the console gets less than [`MIN_CONSOLE_WIDTH`] while the outcome could be narrower.
pub fn outcome_panel_beside(
    window_width: f32,
    central_width: f32,
) -> (f32, std::ops::RangeInclusive<f32>) {
    let (default, range) = outcome_panel(window_width);
    let cap = (central_width - MIN_CONSOLE_WIDTH - 24.0).max(MIN_OUTCOME_WIDTH);
    (
        default.min(cap),
        *range.start()..=range.end().min(cap).max(*range.start()),
    )
}

/// The Lessons panel: `(default width, width range)` in a window `window_width` wide. It
/// shares the row with the sandbox, the console and the outcome, so it starts at its narrowest
/// in a window under 1400 points.
pub fn lessons_panel(window_width: f32) -> (f32, std::ops::RangeInclusive<f32>) {
    let default = if window_width < 1400.0 { 220.0 } else { 300.0 };
    (default, 220.0..=520.0)
}

/// A side panel's remembered width before this frame: see [`keep_panel_width`].
pub struct PanelWidth {
    id: egui::Id,
    before: Option<egui::PanelState>,
}

/// Reads the width egui remembers for the side panel `salt` of `parent`, before it is shown.
pub fn panel_width(parent: &egui::Ui, salt: &str) -> PanelWidth {
    let id = parent.scope_id().with(salt);
    PanelWidth {
        id,
        before: egui::PanelState::load(parent.ctx(), id),
    }
}

/// After the panel is shown: keeps the width the user chose. egui remembers a panel's width
/// from what its contents took, so one module's wide table would widen the panel for every
/// module after it, and a width clamped to a small window would stay small when the window
/// grows again. Only a drag of the panel's edge (the pointer down, or just released) changes
/// the width; the window still shows it within the panel's range for its size.
pub fn keep_panel_width(ctx: &egui::Context, width: PanelWidth) {
    let Some(before) = width.before else {
        return;
    };
    if ctx.input(|i| i.pointer.any_down() || i.pointer.any_released()) {
        return;
    }
    let Some(now) = egui::PanelState::load(ctx, width.id) else {
        return;
    };
    if (now.outer_rect.width() - before.outer_rect.width()).abs() > 0.5 {
        let mut rect = now.outer_rect;
        rect.set_width(before.outer_rect.width());
        ctx.data_mut(|d| d.insert_persisted(width.id, egui::PanelState { outer_rect: rect }));
    }
}

/// Where [`set_window_area`] keeps the area below the toolbar for this frame.
const WINDOW_AREA: &str = "wasmscope window area";

/// Records the area the floating windows (Code, Memory, Tenants, …) may use this frame: below
/// the menu bar and toolbar, above the status bar.
pub fn set_window_area(ctx: &egui::Context, area: egui::Rect) {
    ctx.data_mut(|d| d.insert_temp(egui::Id::NULL.with(WINDOW_AREA), area));
}

/// The area a floating window opens in and stays in, so it never covers the menu bar or
/// the toolbar (whose Stop and Continue must stay reachable); the whole window before the
/// first frame has recorded it.
pub fn window_area(ctx: &egui::Context) -> egui::Rect {
    ctx.data(|d| d.get_temp(egui::Id::NULL.with(WINDOW_AREA)))
        .unwrap_or_else(|| ctx.content_rect())
}

/// A floating window kept inside [`window_area`]: it opens there, and dragging it cannot take
/// its title bar under the menu bar.
pub fn in_window_area<'a>(window: egui::Window<'a>, ctx: &egui::Context) -> egui::Window<'a> {
    window.constrain_to(window_area(ctx))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_side_panels_at_their_widest_leave_the_console_readable() {
        for width in [MIN_WINDOW_SIZE[0], 1024.0, 1280.0, 1920.0] {
            let (sandbox_default, sandbox) = sandbox_panel(width);
            let (outcome_default, outcome) = outcome_panel(width);
            assert!(
                width - sandbox.end() - outcome.end() >= MIN_CONSOLE_WIDTH,
                "{width}"
            );
            assert!(sandbox.contains(&sandbox_default) && outcome.contains(&outcome_default));
        }
        // The familiar sizes at 1280 wide.
        assert_eq!(sandbox_panel(1280.0).0, 332.8);
        assert_eq!(outcome_panel(1280.0).0, 358.4);
    }
}
