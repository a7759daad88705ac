//! The guest profile window and "where it stopped", driven headless through egui_kittest by
//! accessible labels, as a user sees them.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

use common::ui::{harness, open, run, shows, shows_text, wait_for};
use eframe::egui;
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

/// Presses and releases the primary button at `pos`, one frame each.
fn click_at(harness: &mut egui_kittest::Harness<'_, wasmscope::ui::App>, pos: egui::Pos2) {
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
}

/// Issue 24: the first click of a double-click zoomed the graph, so the second landed on
/// another bar (double-clicking `cold` opened `spin`).
#[test]
fn double_clicking_a_bar_opens_that_function_though_the_first_click_zooms() {
    let mut harness = profiling_harness();
    open(&mut harness, "hot_and_cold.wat");
    run(&mut harness);
    wait_for(&mut harness, "Flame graph");
    let graph = harness.get_by_label("Flame graph").rect();
    // Find `light`'s bar by hovering along the rows, as a user reading the tooltips would.
    let mut light = None;
    'rows: for row in 0..8 {
        let y = graph.top() + 10.0 + 20.0 * row as f32;
        if y > graph.bottom() {
            break;
        }
        for step in 0..100 {
            let pos = egui::pos2(
                graph.left() + graph.width() * (step as f32 + 0.5) / 100.0,
                y,
            );
            harness.hover_at(pos);
            harness.run_steps(2);
            if shows_text(&harness, "light (func") {
                light = Some(pos);
                break 'rows;
            }
        }
    }
    let light = light.expect("no bar of the flame graph is `light`");
    harness.remove_cursor();
    harness.step();
    click_at(&mut harness, light);
    click_at(&mut harness, light);
    wait_for(&mut harness, "Code: light (func 2)");
    // The double-click did not leave the graph zoomed into `light`.
    assert_eq!(
        harness
            .get_by_label("all samples")
            .accesskit_node()
            .is_selected(),
        Some(true),
        "the first click's zoom stayed"
    );
}
