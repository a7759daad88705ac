//! The guest profile window and "where it stopped", driven headless through egui_kittest by
//! accessible labels, as a user sees them.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use common::ui::{harness, open, run, shows, shows_text, wait_for};
use egui_kittest::kittest::{NodeT, Queryable};

/// A window whose Profile switch was clicked on (and samples every 1 ms, the default).
fn profiling_harness() -> egui_kittest::Harness<'static, wasmscope::ui::App> {
    let mut harness = harness();
    harness.step();
    harness.get_by_label("Profile the guest").click();
    harness.step();
    assert_eq!(
        harness.state_mut().sandbox_mut().profiler_interval_ms,
        Some(1)
    );
    harness
}

#[test]
fn a_profiled_run_shows_its_flame_graph_and_hovering_shows_a_share() {
    let mut harness = profiling_harness();
    open(&mut harness, "hot_and_cold.wat");
    run(&mut harness);

    wait_for(&mut harness, "Flame graph");
    assert!(shows_text(&harness, "samples, one every 1 ms"));
    // The table lists the heavy function (a link into the code view).
    assert!(shows(&harness, "heavy"));
    assert!(harness.query_by_label("Save profile…").is_some());

    harness.get_by_label("Flame graph").hover();
    wait_for(&mut harness, "% share");
}

#[test]
fn a_timed_out_run_shows_where_it_stopped() {
    let mut harness = harness();
    harness.step();
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(300);
    open(&mut harness, "infinite_loop.wat");
    run(&mut harness);
    wait_for(&mut harness, "Where it stopped");
    // The frames are links into the code view, like a trap's backtrace.
    harness.get_by_label("spin").click();
    wait_for(&mut harness, "Code: spin (func 1)");
}

#[test]
fn debug_mode_turns_the_profile_switch_off_and_disables_it() {
    let mut harness = profiling_harness();
    // The engine refuses a profiled run in debug mode; the window does not offer one.
    harness.state_mut().sandbox_mut().policy.debug = true;
    harness.step();
    assert_eq!(harness.state_mut().sandbox_mut().profiler_interval_ms, None);
    let switch = harness.get_by_label("Profile the guest");
    assert!(switch.accesskit_node().is_disabled());
}

/// A press and a release of the primary button at `pos`, in one frame (a frame of the test
/// harness is a quarter second: two clicks a frame apart make a double-click).
fn click_at(harness: &mut egui_kittest::Harness<'_, wasmscope::ui::App>, pos: eframe::egui::Pos2) {
    use eframe::egui::{Event, Modifiers, PointerButton};
    let events = &mut harness.input_mut().events;
    events.push(Event::PointerMoved(pos));
    for pressed in [true, false] {
        events.push(Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    harness.step();
}

/// Issue 24: the first click of a double-click zooms and moves the bars; the second must still
/// open the function the user double-clicked, not whatever slid under the pointer.
#[test]
fn double_clicking_a_narrow_bar_opens_that_function() {
    let mut harness = profiling_harness();
    open(&mut harness, "hot_and_cold.wat");
    run(&mut harness);
    wait_for(&mut harness, "Flame graph");
    let graph = common::window::rect_of(&harness, "Flame graph");
    // Find `light` (about a tenth of the width, right of `heavy`) by hovering, as a user
    // would, and reading the tooltip (which waits for the pointer to rest).
    let mut light = None;
    'rows: for row in 1..4 {
        let y = graph.min.y + 10.0 + 20.0 * row as f32;
        for step in 0..10 {
            let x = graph.min.x + graph.width() * (0.80 + 0.02 * step as f32);
            let pos = eframe::egui::pos2(x, y);
            harness.hover_at(pos);
            harness.run_steps(40);
            if shows_text(&harness, "light (func") {
                light = Some(pos);
                break 'rows;
            }
        }
    }
    let light = light.expect("no bar of the flame graph is `light`");
    click_at(&mut harness, light);
    click_at(&mut harness, light);
    wait_for(&mut harness, "Code: light");
    assert!(
        !shows_text(&harness, "Code: heavy"),
        "the double-click opened another function"
    );
}
