//! Recording and replay in the window, driven headless through egui_kittest: every core run is
//! recorded (a badge says so), a trap offers Replay with state, File ▸ Save recording… writes a
//! `.wstrace`, and a recording opened or dropped on the window replays as recorded.

#![cfg(feature = "gui")]

use egui_kittest::kittest::{NodeT, Queryable};

use crate::common;
use common::ui::*;

#[test]
fn a_trap_replayed_with_state_shows_the_locals_and_the_operands_it_was_given() {
    let mut harness = harness();
    run_traps(&mut harness, "div0");
    // A normal run: no state at the trap, but the run was recorded.
    assert!(shows_text(&harness, "recorded "), "{:#?}", harness.root());
    assert!(!shows(&harness, "Frame 0: locals and operand stack"));
    harness.get_by_label("Replay with state").click();
    harness.step();
    wait_idle(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    assert!(
        shows(&harness, "Frame 0: locals and operand stack"),
        "{:#?}",
        harness.root()
    );
    assert!(shows(&harness, "Operands of the trapping instruction"));
    // `42 / $divisor` with the divisor 0: the instruction's operands, and the local.
    assert!(shows(&harness, "$divisor"));
    assert!(shows(&harness, "42"), "{:#?}", harness.root());
    assert!(shows_text(&harness, "replayed"));
    // A replay is not recorded again, and its trap has its state already.
    assert!(harness.query_by_label("Replay with state").is_none());
}

#[test]
fn a_saved_recording_opens_as_a_replay_with_its_sandbox_read_only() {
    let mut harness = harness();
    run_traps(&mut harness, "div0");
    harness.get_by_label("Save recording…").click();
    harness.step();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("div0.wstrace");
    // No desktop portal under test: the dialog cannot show, so a path field does.
    type_path(&mut harness, "Recording path", &path, "Save");
    assert!(
        shows_text(&harness, "Saved the recording"),
        "{:#?}",
        harness.root()
    );
    let bytes = std::fs::read(&path).expect("the recording was written");
    assert!(bytes.starts_with(b"WSTRACE\n"));

    // Dropped on the window, it opens as a replay of traps.wat.
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(DroppedPath(path.clone())));
    wait_for(&mut harness, "Sandbox (recorded)");
    wait_idle(&mut harness);
    assert_eq!(harness.state().module_name(), Some("traps.wat"));
    assert!(
        shows_text(&harness, "Replay of a run of traps.wat"),
        "{:#?}",
        harness.root()
    );
    assert!(shows(&harness, "Sandbox (recorded)"));
    // The recorded arguments, shown, and nothing to grant or reset: no editable sandbox.
    assert!(shows(&harness, "div0"));
    assert!(harness.query_by_label("Reset").is_none());
    assert!(harness.query_by_label("Add folder…").is_none());
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    assert!(
        shows_text(&harness, "replayed 2 of 2 calls"),
        "{:#?}",
        harness.root()
    );
}

#[test]
fn who_wrote_this_in_the_memory_view_names_the_store_and_shows_it() {
    let mut harness = harness();
    open(&mut harness, "who_wrote_me.wat");
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    harness.get_by_label("Show memory").click();
    wait_for(&mut harness, "Go to address");
    // Nothing selected yet: the button waits for bytes.
    assert!(
        harness
            .get_by_label("Who wrote this?")
            .accesskit_node()
            .is_disabled()
    );
    // The pointer the trap read through: 4 bytes at 0x100.
    go_to_address(&mut harness, "0x100:4");
    assert!(
        shows_text(&harness, "Selected 0x100..0x104"),
        "{:#?}",
        harness.root()
    );
    harness.get_by_label("Who wrote this?").click();
    harness.step();
    wait_idle(&mut harness);
    assert!(
        shows_text(&harness, "was last written by i32.store in `set_name`"),
        "{:#?}",
        harness.root()
    );
    assert!(shows_text(&harness, "before: 00 02 00 00"));
    assert!(shows_text(&harness, "after:  00 02 01 00"));
    harness.get_by_label("Show the instruction").click();
    wait_for(&mut harness, "Code: set_name");

    // Pause there: the recording replayed in debug mode to that store, about to write the
    // bad pointer, called from greet; Step back goes on from it.
    harness.get_by_label("Pause there").click();
    wait_for(&mut harness, "Paused at set_name+");
    assert!(
        shows_text(&harness, "was last written in the run"),
        "{:?}",
        labels_containing(&harness, "──")
    );
    assert!(shows_text(&harness, "1: greet"));
    assert!(harness.query_by_label("Step back").is_some());
}

#[test]
fn who_wrote_this_after_replay_with_state_looks_in_the_recording_the_replay_came_from() {
    // Issue #34: after Replay with state the button was greyed, saying "This run was not
    // recorded", while the replay itself came from the run's recording.
    let mut harness = harness();
    open(&mut harness, "who_wrote_me.wat");
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    harness.get_by_label("Replay with state").click();
    harness.step();
    wait_idle(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    harness.get_by_label("Show memory").click();
    wait_for(&mut harness, "Go to address");
    go_to_address(&mut harness, "0x100:4");
    let button = harness.get_by_label("Who wrote this?");
    assert!(
        !button.accesskit_node().is_disabled(),
        "{:#?}",
        harness.root()
    );
    button.click();
    harness.step();
    wait_idle(&mut harness);
    assert!(
        shows_text(&harness, "was last written by i32.store in `set_name`"),
        "{:#?}",
        harness.root()
    );
}

#[test]
fn save_recording_without_a_file_dialog_shows_its_path_field_in_view_at_1024_by_640() {
    // Issue #34: the path box appeared at the bottom of the Outcome panel, out of sight.
    let mut harness = common::window::harness_at([1024.0, 640.0]);
    run_traps(&mut harness, "div0");
    // File ▸ Save recording…: the menu's item, over the Outcome's own.
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness
        .query_all_by_label("Save recording…")
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .unwrap()
        .click();
    harness.step();
    wait_for(&mut harness, "Recording path");
    harness.run_steps(3);
    let field = harness.get_by_label("Recording path").rect();
    assert!(
        field.top() >= 0.0 && field.bottom() <= 640.0,
        "the path field is out of view: {field:?}"
    );
}
