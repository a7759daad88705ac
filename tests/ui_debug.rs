//! The debugger in the window, driven headless through egui_kittest by what a user sees: set a
//! breakpoint by clicking a line, Run, see "Paused", read a local, F10 moves the marker, F8
//! runs to the end.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use wasmscope::ui::App;

use crate::common;
use common::ui::*;

/// The code lines marked `=>` (the paused instruction).
fn marked_lines(harness: &Harness<'_, App>) -> Vec<String> {
    let mut lines = labels_containing(harness, "=>");
    lines.retain(|line| line.starts_with("=>"));
    lines
}

/// Steps until the marked line (`=>`) is one line and not `old`.
fn wait_for_marker_move(harness: &mut Harness<'_, App>, old: &str) -> String {
    let deadline = Instant::now() + DEADLINE;
    loop {
        harness.step();
        if let [line] = marked_lines(harness).as_slice()
            && line != old
        {
            return line.clone();
        }
        assert!(Instant::now() < deadline, "the marker stayed on {old:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_breakpoint_set_by_clicking_a_line_pauses_the_run_f10_steps_and_f8_finishes() {
    let mut harness = harness();
    break_on_averages_division(&mut harness);
    let set = labels_containing(&harness, " ● 0x");
    assert_eq!(set.len(), 1, "one breakpoint: {set:?}");
    assert!(set[0].contains("i32.div_u"), "{set:?}");

    // F5 runs (the Code window may cover the toolbar's Run button).
    harness.key_press(egui::Key::F5);
    wait_for(&mut harness, "Paused at average+0x");
    // The paused frame's locals beside the code: the first list sums to 60 over 3 scores.
    wait_for(&mut harness, "$total");
    assert!(shows(&harness, "$count"));
    assert!(shows(&harness, "60"), "total = 60");
    let marked = marked_lines(&harness);
    assert_eq!(marked.len(), 1, "{marked:?}");
    assert!(marked[0].contains("i32.div_u"), "{marked:?}");

    // Clear the breakpoint (click its line); F10 runs one instruction: the marker moves on.
    harness.get_by_label_contains("i32.div_u").click();
    harness.step();
    harness.step();
    assert!(labels_containing(&harness, "●").is_empty(), "cleared");
    harness.key_press(egui::Key::F10);
    let moved = wait_for_marker_move(&mut harness, &marked[0].replace('●', " "));
    assert!(!moved.contains("i32.div_u"), "{moved}");

    // F8: no breakpoint left, so the run goes on to the empty list's division by zero.
    harness.key_press(egui::Key::F8);
    wait_idle(&mut harness);
    wait_for(&mut harness, "TRAPPED");
    // Issue 24: the run is over, so the Code window no longer marks where it was paused...
    harness.run_steps(2);
    assert!(
        marked_lines(&harness).is_empty(),
        "{:?}",
        marked_lines(&harness)
    );
    // ...and the trap shows the trapping frame's locals, and how to see another frame's.
    assert!(shows_text(&harness, "Frame 0: locals and operand stack"));
    assert!(shows_text(&harness, "Click a frame to see its code"));
    assert!(shows(&harness, "$count"));
}

#[test]
fn a_code_window_closed_at_a_pause_stays_closed_while_stepping() {
    // Issue #34: the Code window reopened on every pause, covering the timeline.
    let mut harness = harness();
    break_on_averages_division(&mut harness);
    harness.key_press(egui::Key::F5);
    wait_for(&mut harness, "Paused at average+0x");
    assert_eq!(marked_lines(&harness).len(), 1);
    harness.get_by_label("Close window").click();
    harness.run_steps(2);
    assert!(marked_lines(&harness).is_empty(), "the window closed");
    // F10 pauses again, one instruction on: the window stays closed, the pause is shown.
    let before = labels_containing(&harness, "Paused at average+0x");
    harness.key_press(egui::Key::F10);
    let deadline = Instant::now() + DEADLINE;
    while labels_containing(&harness, "Paused at average+0x") == before {
        assert!(Instant::now() < deadline, "no second pause");
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run_steps(2);
    assert!(
        marked_lines(&harness).is_empty(),
        "the Code window reopened"
    );
    // Clicking the paused frame opens it on purpose.
    let frame = labels_containing(&harness, "0: average").pop().unwrap();
    harness.get_by_label(&frame).click();
    harness.run_steps(2);
    wait_for(&mut harness, "Code: average (func 2)");
}
