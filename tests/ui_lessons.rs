//! Help ▸ Lessons (issue #23): a learner opens the lessons, follows one on its sample, sees it
//! marked done and the next offered; the progress comes back after a restart.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::collections::HashMap;

use eframe::App as _;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use wasmscope::ui::App;

use crate::common;
use common::ui::*;

/// Settings kept in memory the way eframe keeps them on disk: what `App::save` writes and
/// `App::new` reads back at the next start.
#[derive(Clone, Default)]
struct Settings(HashMap<String, String>);

impl eframe::Storage for Settings {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

fn open_lessons(harness: &mut Harness<'_, App>) {
    harness.get_by_label("Help").click();
    harness.run_steps(2);
    harness.get_by_label("Lessons").click();
    harness.run_steps(2);
}

/// Follows the first lesson (nothing granted) as a learner would: its Open button, then Run.
fn follow_the_first_lesson(harness: &mut Harness<'_, App>) {
    open_lessons(harness);
    assert!(shows(harness, "0 of 10 done"));
    assert!(shows_text(
        harness,
        "Leave the Sandbox panel's Folders empty"
    ));
    // Before a run: the conditions, unchecked.
    assert!(
        shows(harness, "· no folder granted"),
        "{:#?}",
        labels_containing(harness, "folder")
    );
    harness.get_by_label("Open read_file.wat").click();
    harness.step();
    wait_idle(harness);
    assert_eq!(harness.state().module_name(), Some("read_file.wat"));
    run(harness);
    wait_for(harness, "Done: Nothing granted");
}

#[test]
fn a_lesson_followed_is_marked_done_and_the_next_is_offered() {
    let mut harness = harness();
    harness.step();
    follow_the_first_lesson(&mut harness);
    assert!(shows(&harness, "met: no folder granted"));
    assert!(shows(&harness, "met: the sandbox refuses at least 1 call"));
    assert!(shows(&harness, "1. Nothing granted (done)"));
    assert!(shows(&harness, "1 of 10 done"));
    // The sandbox's controls stay in view beside the lessons.
    assert!(shows(&harness, "Add folder…"));
    assert!(shows(&harness, "Run"));
    harness.get_by_label("Next: A read-only folder").click();
    harness.run_steps(2);
    assert!(shows_text(&harness, "keep \"read-only\" ticked"));
    assert!(shows(&harness, "· a folder granted read-only"));
    // Running the same module again without the folder does not finish this one.
    run(&mut harness);
    assert!(shows(&harness, "not yet: a folder granted read-only"));
    assert!(shows(&harness, "met: run read_file.wat"));
    assert!(!shows_text(&harness, "Done: A read-only folder"));
    assert!(!shows(&harness, "2. A read-only folder (done)"));
}

#[test]
fn lesson_progress_survives_a_restart() {
    let mut harness = harness();
    harness.step();
    follow_the_first_lesson(&mut harness);
    harness.get_by_label("Next: A read-only folder").click();
    harness.run_steps(2);
    let mut settings = Settings::default();
    harness.state_mut().save(&mut settings);
    drop(harness);

    // The next start, from the same settings: the first lesson is done, the second followed.
    let mut harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |_cc| App::new(Some(&settings)));
    harness.step();
    open_lessons(&mut harness);
    assert!(shows(&harness, "1 of 10 done"));
    assert!(shows(&harness, "1. Nothing granted (done)"));
    assert!(
        shows_text(&harness, "keep \"read-only\" ticked"),
        "the second lesson is followed"
    );

    // A fresh start without those settings begins at the beginning.
    let mut harness = self::harness();
    harness.step();
    open_lessons(&mut harness);
    assert!(shows(&harness, "0 of 10 done"));
    assert!(shows(&harness, "1. Nothing granted"));
}

/// On the smallest window the README promises (1024×640), the lessons panel sits beside the
/// sandbox panel and the toolbar, not over them: Run and Add folder… stay where a learner can
/// click them while reading the lesson (the sandbox panel scrolls to its lower controls as it
/// always does on a short window).
#[test]
fn the_lessons_panel_leaves_the_sandbox_controls_in_view_on_a_small_window() {
    let mut harness = Harness::builder()
        .with_size([1024.0, 640.0])
        .build_eframe(|_cc| App::new(None));
    harness.step();
    open(&mut harness, "read_file.wat");
    open_lessons(&mut harness);
    let lessons = harness.get_by_label("Open read_file.wat").rect();
    let window = eframe::egui::Rect::from_min_size(
        eframe::egui::Pos2::ZERO,
        eframe::egui::vec2(1024.0, 640.0),
    );
    assert!(window.contains_rect(lessons), "{lessons:?}");
    for control in ["Run", "Add folder…"] {
        let rect = harness.get_by_label(control).rect();
        assert!(
            window.contains_rect(rect),
            "{control} is off the window: {rect:?}"
        );
        assert!(
            rect.right() <= lessons.left(),
            "{control} ({rect:?}) is under the lessons panel ({lessons:?})"
        );
    }
}

/// Issue #34: at 1024×640, opening Lessons squeezed Output to about 130 px (its header cut,
/// the filter hidden), and the Lessons panel opened behind the floating sandbox map.
#[test]
fn at_1024_by_640_lessons_leave_the_console_its_controls_and_push_the_map_aside() {
    let mut harness = common::window::harness_at([1024.0, 640.0]);
    open(&mut harness, "hello.wat");
    run(&mut harness);
    common::window::open_map(&mut harness);
    open_lessons(&mut harness);
    harness.run_steps(4);
    let lessons = common::window::rect_of(&harness, "0 of 10 done");
    let outcome = common::window::rect_of(&harness, "Outcome");
    let output = common::window::rect_of(&harness, "Output");
    let wrap = common::window::rect_of(&harness, "Wrap");
    let filter = common::window::rect_of(&harness, "Search");
    assert!(
        wrap.right() <= outcome.left() && filter.left() >= output.left(),
        "the console's controls are cut: output {output:?}, wrap {wrap:?}, search {filter:?}, \
         outcome {outcome:?}"
    );
    assert!(
        outcome.left() - output.left() >= 280.0,
        "the console is squeezed: {output:?} .. {outcome:?}"
    );
    let map = common::window::rect_of(&harness, "Step through the calls");
    assert!(
        map.right() <= lessons.left(),
        "the map ({map:?}) covers the lessons ({lessons:?})"
    );
}
