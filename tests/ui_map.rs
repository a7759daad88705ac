//! Issue #23's sandbox map in the window (View ▸ Sandbox map), driven headless through
//! egui_kittest: the doors and refusals a class sees, the step-through, a click that leads to
//! the call log, the SVG save, and a run with many calls.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use wasmscope::ui::App;

use crate::common;
use common::ui::*;
use common::window::{open_path, wat_file};

fn tall_harness() -> Harness<'static, App> {
    Harness::builder()
        .with_size([1400.0, 1400.0])
        .build_eframe(|_cc| App::new(None))
}

/// escape_attempts with a read-write folder granted and the call log on, then the map.
fn escape_run_with_map(harness: &mut Harness<'_, App>) -> tempfile::TempDir {
    open(harness, "escape_attempts.wat");
    let dir = tempfile::tempdir().unwrap();
    harness
        .state_mut()
        .grants_mut()
        .add_folder(dir.path().to_path_buf());
    harness.state_mut().grants_mut().dirs[0].read_only = false;
    harness.state_mut().sandbox_mut().policy.log_calls = true;
    run(harness);
    common::window::open_map(harness);
    dir
}

#[test]
fn the_map_shows_the_folder_as_a_door_and_the_escapes_stopped_at_the_wall() {
    let mut harness = tall_harness();
    let dir = escape_run_with_map(&mut harness);
    assert!(
        shows_text(&harness, " through the doors, "),
        "{:#?}",
        harness.root()
    );
    let door = labels_containing(
        &harness,
        &format!("= {} (folder, read-write", dir.path().display()),
    );
    assert_eq!(door.len(), 1, "{:#?}", harness.root());
    assert!(door[0].contains("calls through"), "{door:?}");
    assert!(door[0].contains("refused at the wall"), "{door:?}");
    let refusals = labels_containing(&harness, "refused");
    assert!(
        refusals
            .iter()
            .any(|r| r.starts_with("path_open") && r.ends_with(": perm (63)")),
        "{refusals:?}"
    );

    // A refusal clicked: the call log shows the refused calls, with the reason and both paths.
    let refusal = refusals
        .iter()
        .find(|r| r.starts_with("path_open") && r.ends_with(": perm (63)"))
        .unwrap()
        .clone();
    harness.get_by_label(&refusal).click();
    harness.run_steps(3);
    assert!(
        shows_text(
            &harness,
            "perm (63) — path outside every preopened directory; guest"
        ),
        "{:#?}",
        harness.root()
    );
    assert!(
        !shows_text(&harness, "fd_write ×"),
        "the call log kept the allowed writes"
    );
}

#[test]
fn the_step_through_walks_the_calls_one_by_one() {
    let mut harness = tall_harness();
    let _dir = escape_run_with_map(&mut harness);
    harness.get_by_label("Step through the calls").click();
    harness.run_steps(2);
    let current = labels_containing(&harness, "Call 1 of ");
    assert_eq!(current.len(), 1, "{:#?}", harness.root());
    assert!(current[0].contains("fd_prestat_get"), "{current:?}");
    // Issue #34: counted in calls, as the call log counts them ("Step 8 of 21" beside "of 51
    // calls" counted records, some of which are several calls in a row).
    let total: String = current[0]["Call 1 of ".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert!(
        shows(&harness, &format!("WASI calls ({total})")),
        "{current:?} {:?}",
        labels_containing(&harness, "WASI calls")
    );
    assert!(shows_text(
        &harness,
        "1 call: 1 through the doors, 0 stopped at the wall up to this step, of "
    ));
    harness.get_by_label("Next").click();
    harness.run_steps(2);
    assert!(shows_text(&harness, "Call 2 of "), "{:#?}", harness.root());
    assert!(!shows_text(&harness, "Call 1 of "));
}

#[test]
fn the_map_is_saved_as_svg_to_a_typed_path() {
    let mut harness = tall_harness();
    let _dir = escape_run_with_map(&mut harness);
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Save map as SVG…").click();
    harness.run_steps(2);
    // No desktop portal under test: the dialog cannot show, so a path field does.
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("map.svg");
    type_path(&mut harness, "Map picture path", &path, "Save");
    assert!(
        shows_text(&harness, "Saved the sandbox map"),
        "{:#?}",
        harness.root()
    );
    let svg = std::fs::read_to_string(&path).unwrap();
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(
        svg.contains("perm (63)") && svg.contains("The host"),
        "{svg}"
    );
}

/// Many calls: the map counts them by door (one row each), whatever their number.
#[test]
fn a_run_with_many_calls_is_drawn_by_door() {
    let (_dir, path) = wat_file(
        "busy.wat",
        r#"(module
          (import "wasi_snapshot_preview1" "clock_time_get"
            (func $clock (param i32 i64 i32) (result i32)))
          (import "wasi_snapshot_preview1" "random_get"
            (func $random (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "_start") (local $i i32)
            (loop $again
              (drop (call $clock (i32.const 0) (i64.const 1) (i32.const 8)))
              (drop (call $random (i32.const 16) (i32.const 4)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const 10000))))))"#,
    );
    let mut harness = tall_harness();
    open_path(&mut harness, path);
    harness.state_mut().sandbox_mut().policy.log_calls = true;
    // 20,000 calls take a second alone, longer beside the other tests on a small machine:
    // this test is about the map, not the timeout.
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(120_000);
    run(&mut harness);
    common::window::open_map(&mut harness);
    assert!(
        shows_text(
            &harness,
            "(20000 in all; the map draws the 1000 the call log kept)"
        ),
        "{:?}",
        labels_containing(&harness, "calls")
    );
    let clocks = labels_containing(&harness, "clocks = the host's time");
    assert_eq!(clocks.len(), 1, "{:#?}", harness.root());
    assert!(clocks[0].contains("calls through"), "{clocks:?}");
    // One row per door: no row per call.
    assert!(labels_containing(&harness, "clock_time_get").len() < 50);
}
