//! The guest profile window and "where it stopped", driven headless through egui_kittest by
//! accessible labels, as a user sees them.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

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
