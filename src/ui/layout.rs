//! Panel sizes that leave the console readable from 1024×640 up: the side panels start at a
//! share of the window, can be dragged narrower, and can never squeeze the console below
//! [`MIN_CONSOLE_WIDTH`].

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
