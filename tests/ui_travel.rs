//! Going back in the window: after a trap replayed with state, Step back pauses at the trapping
//! instruction, Shift+F10 goes one instruction further back, and Reverse continue with no
//! breakpoint goes to the start of the run; the timeline says where each moment lies.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use eframe::egui;
use egui_kittest::kittest::Queryable;

use crate::common;
use common::ui::*;

/// The instructions a counted replay reported, from "N instructions counted in this replay."
fn counted(harness: &egui_kittest::Harness<'_, wasmscope::ui::app::App>) -> u64 {
    let line = labels_containing(harness, "instructions counted in this replay")
        .pop()
        .unwrap_or_else(|| panic!("no count shown: {:#?}", harness.root()));
    line.split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap()
}

fn thousands(n: u64) -> String {
    wasmscope::ui::travel::thousands(n)
}

#[test]
fn step_back_from_a_trap_then_further_back_then_to_the_start() {
    let mut harness = harness();
    open(&mut harness, "who_wrote_me.wat");
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    harness.get_by_label("Replay with state").click();
    harness.step();
    wait_idle(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    let end = counted(&harness);
    assert!(end > 10, "{end}");

    // Step back from the end: paused at the trapping load, before it ran.
    harness.get_by_label("Step back").click();
    let here = format!(
        "Instruction {} of {} in the recorded run.",
        thousands(end),
        thousands(end)
    );
    wait_for(&mut harness, &here);
    assert!(
        shows_text(&harness, "Paused at print_name+"),
        "{:#?}",
        harness.root()
    );
    // The run's one fd_write call (the second print_name traps before its own) is a tick on
    // the timeline.
    assert!(
        shows(&harness, "1 WASI call on the timeline"),
        "{:?}",
        labels_containing(&harness, "WASI calls")
    );

    // Shift+F10: one more instruction back.
    harness.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::F10);
    let before = format!(
        "Instruction {} of {} in the recorded run.",
        thousands(end - 1),
        thousands(end)
    );
    wait_for(&mut harness, &before);
    assert!(shows_text(&harness, "Paused at print_name+"));
    // Issue #34: the replay's time left is 100 times the run's 10 s timeout, and says so
    // instead of contradicting it ("time left 16m 39s").
    assert!(
        shows_text(&harness, "(a time-travel replay: 100× the run's 10 s)"),
        "{:?}",
        labels_containing(&harness, "time left")
    );

    // The load about to run reads the pointer at 0x100 (256, on the operand stack): who
    // wrote it? The store in set_name, called from greet: the replay pauses there.
    wait_for(&mut harness, "who wrote it?");
    harness.get_by_label("who wrote it?").click();
    wait_for(&mut harness, "Paused at set_name+");
    assert!(
        shows_text(&harness, "was last written before instruction"),
        "{:?}",
        labels_containing(&harness, "──")
    );
    assert!(shows_text(&harness, "1: greet"), "{:#?}", harness.root());
    // And back to where it was read: Step back's moment, by the timeline's slider position.
    harness.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::F10);
    wait_for(&mut harness, "Paused at set_name+");

    // No breakpoint set: Reverse continue goes to the run's first instruction.
    harness.get_by_label("Reverse continue").click();
    wait_for(
        &mut harness,
        &format!("Instruction 1 of {} in the recorded run.", thousands(end)),
    );
    assert!(
        shows_text(&harness, "Paused at _start+"),
        "{:#?}",
        harness.root()
    );

    // Continue runs on to the same trap, counted the same.
    harness.key_press(egui::Key::F8);
    harness.step();
    wait_idle(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    assert_eq!(counted(&harness), end);
}

#[test]
fn step_back_in_a_live_debug_run_replays_its_recording_to_the_moment_before() {
    let mut harness = harness();
    break_on_averages_division(&mut harness);
    harness.key_press(egui::Key::F5);
    wait_for(&mut harness, "Paused at average+0x");
    // A live run: no moment yet.
    assert!(!shows_text(&harness, "in the recorded run"));
    let place = labels_containing(&harness, "Paused at average+0x")
        .pop()
        .unwrap();

    // Shift+F10: the live run stops, and its recording is replayed to the moment before.
    harness.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::F10);
    wait_for(&mut harness, "of the recorded run.");
    assert!(shows_text(&harness, "Paused at average+0x"));
    assert!(!shows(&harness, &place), "one instruction earlier: {place}");
    // F10 steps forward again: the place the live run was paused at, with its locals.
    harness.key_press(egui::Key::F10);
    wait_for(&mut harness, &place);
    wait_for(&mut harness, "$total");
    assert!(shows(&harness, "60"), "total = 60");
}

#[test]
fn right_click_in_the_memory_view_asks_who_wrote_the_bytes() {
    let mut harness = harness();
    open(&mut harness, "who_wrote_me.wat");
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    harness.get_by_label("Show memory").click();
    wait_for(&mut harness, "Go to address");
    go_to_address(&mut harness, "0x100:4");
    // The row at 0x100 holds the bad pointer 0x10200: right-click its first byte.
    let row = harness.get_by_label_contains("00 02 01 00").rect();
    let at = egui::pos2(row.left() + 3.0, row.center().y);
    for pressed in [true, false] {
        harness
            .input_mut()
            .events
            .push(egui::Event::PointerMoved(at));
        harness.input_mut().events.push(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Secondary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    wait_for(&mut harness, "Who wrote this?");
    let items: Vec<_> = harness.query_all_by_label("Who wrote this?").collect();
    assert_eq!(items.len(), 2, "the button and the menu item");
    items[1].click();
    harness.step();
    wait_for(&mut harness, "was last written by i32.store in `set_name`");
    assert!(shows_text(&harness, "0x100..0x104"));
}
