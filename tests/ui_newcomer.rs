//! What a newcomer tripped over in the window (issue 13), each as a test that would have
//! caught it: a small window, frames without names, a new run's scroll positions, charts,
//! compiling before Run, and the polish. Driven through egui_kittest by accessible labels.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use common::ui::{open, run, shows, shows_text, wait_for, wait_idle};
use common::window::{
    harness_at, harness_restored, open_path, rect_of, save_session, wait_until, wat_file,
};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use wasmscope::ui::App;

/// The smallest window the issue asks to work well in.
const SMALL: [f32; 2] = [1024.0, 640.0];

/// Roughly 50 monospace columns: narrower and a console is no use.
const READABLE_CONSOLE_WIDTH: f32 = 360.0;

fn overlap(a: egui::Rect, b: egui::Rect) -> bool {
    a.intersects(b) && a.intersect(b).area() > 1.0
}

/// A module whose `_start` writes `lines` lines, each `text` then its number.
fn printer(lines: u32, text: &str) -> String {
    let len = text.len() + 1;
    format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 64) "{text}0\n")
          (func (export "_start") (local $i i32)
            (i32.store (i32.const 0) (i32.const 64))
            (i32.store (i32.const 4) (i32.const {len}))
            (loop $l
              (i32.store8 (i32.const {digit}) (i32.add (i32.const 48) (i32.rem_u (local.get $i) (i32.const 10))))
              (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l (i32.lt_u (local.get $i) (i32.const {lines}))))))"#,
        len = len + 1,
        digit = 64 + len - 1,
    )
}

#[test]
fn at_1024x640_the_output_header_does_not_overlap_and_the_console_is_readable() {
    let mut harness = harness_at(SMALL);
    open(&mut harness, "hello.wat");
    run(&mut harness);
    let controls = [
        "Output", "stdout", "stderr", "Search", "Copy", "Clear", "Wrap",
    ];
    let rects: Vec<_> = controls.iter().map(|c| rect_of(&harness, c)).collect();
    for (i, a) in rects.iter().enumerate() {
        for (j, b) in rects.iter().enumerate().skip(i + 1) {
            assert!(
                !overlap(*a, *b),
                "{} {a:?} overlaps {} {b:?}",
                controls[i],
                controls[j]
            );
        }
    }
    // The console spans from its title to its right-most control.
    let width = rect_of(&harness, "Wrap").right() - rect_of(&harness, "Output").left();
    assert!(
        width >= READABLE_CONSOLE_WIDTH,
        "the console is only {width} points wide"
    );
    // Everything is inside the window.
    for (control, rect) in controls.iter().zip(&rects) {
        assert!(
            rect.right() <= SMALL[0] && rect.bottom() <= SMALL[1],
            "{control} is outside the window: {rect:?}"
        );
    }
}

#[test]
fn adding_a_folder_does_not_widen_the_sandbox_panel() {
    let mut harness = harness_at(SMALL);
    open(&mut harness, "hello.wat");
    harness.run_steps(3);
    let before = rect_of(&harness, "Reset").right();
    let dir = tempfile::tempdir().unwrap();
    let deep = dir
        .path()
        .join("a folder with a rather long name for a narrow panel");
    std::fs::create_dir(&deep).unwrap();
    harness.state_mut().grants_mut().add_folder(deep);
    harness
        .state_mut()
        .grants_mut()
        .env
        .push(("A_LONG_VARIABLE_NAME".into(), "a long value too".into()));
    harness.run_steps(5);
    assert!(shows(&harness, "Scratch copy"));
    let after = rect_of(&harness, "Reset").right();
    assert!(
        (after - before).abs() < 1.0,
        "the sandbox panel went from {before} to {after}"
    );
}

#[test]
fn long_console_lines_wrap_on_request() {
    let mut harness = harness_at(SMALL);
    let text = "a-long-line-".repeat(30);
    let (_dir, path) = wat_file("long_lines.wat", &printer(3, &text));
    open_path(&mut harness, path);
    run(&mut harness);
    let whole = format!("{text}2");
    assert!(shows(&harness, &whole), "{:#?}", harness.root());
    harness.get_by_label("Wrap").click();
    harness.run_steps(3);
    // Wrapped, no row holds the whole line; the rows are its pieces, in order, and the last
    // ends the line.
    assert!(!shows(&harness, &whole));
    let rows: Vec<String> = harness
        .query_all(egui_kittest::kittest::by().predicate(|n| {
            let text = n.value().or(n.label()).unwrap_or_default();
            text.len() > 3 && whole.contains(text.as_str())
        }))
        .filter_map(|n| n.accesskit_node().value().or(n.accesskit_node().label()))
        .collect();
    assert!(
        rows.len() >= 6,
        "three lines, two or more rows each: {rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r.ends_with("-2") && r.len() < whole.len()),
        "the last piece ends the line: {rows:?}"
    );
}

#[test]
fn a_frame_without_a_name_opens_the_code_view() {
    // No `$names`: the module has no name section, like a stripped C module.
    let wat = r#"(module
        (func (export "_start") (drop (call 1 (i32.const 0))))
        (func (param i32) (result i32) (i32.div_s (i32.const 1) (local.get 0))))"#;
    let (_dir, path) = wat_file("stripped.wat", wat);
    let mut harness = harness_at(SMALL);
    open_path(&mut harness, path);
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"), "{:#?}", harness.root());
    assert!(shows(&harness, "(unnamed)"));
    harness.get_by_label("func 1").click();
    harness.step();
    wait_for(&mut harness, "Code: func 1");
    wait_for(&mut harness, "=> 0x");
}

#[test]
fn a_new_run_follows_the_console_again() {
    let mut harness = harness_at(SMALL);
    let (_dir, path) = wat_file("many_lines.wat", &printer(400, "line "));
    open_path(&mut harness, path);
    run(&mut harness);
    // Scroll up, as a user reading earlier output would.
    for _ in 0..5 {
        harness
            .query_all_by_label_contains("line ")
            .last()
            .unwrap()
            .scroll_up();
        harness.step();
    }
    harness.run_steps(2);
    assert!(shows_text(&harness, "auto-scroll paused"));
    run(&mut harness);
    harness.run_steps(2);
    assert!(
        !shows_text(&harness, "auto-scroll paused"),
        "the new run's output is not followed"
    );
}

#[test]
fn the_memory_chart_marks_the_denied_growth() {
    let mut harness = harness_at([1280.0, 800.0]);
    open(&mut harness, "memory_hog.wat");
    run(&mut harness);
    assert!(
        shows_text(&harness, "× marks the denied growth") || shows_text(&harness, "denied growths"),
        "{:#?}",
        harness.root()
    );
}

#[test]
fn opening_a_module_compiles_it_so_run_starts_without_compiling() {
    let mut harness = harness_at(SMALL);
    harness.state_mut().open_bytes(
        "compiled_early.wasm",
        common::many_functions(2000, 1, false),
    );
    wait_until(&mut harness, "the background compile", |h| {
        shows_text(h, "Run starts at once")
    });
    run(&mut harness);
    assert!(
        shows_text(&harness, "exited with code 0"),
        "{:#?}",
        harness.root()
    );
    // The run found the code compiled: the Numbers say so.
    assert!(shows(&harness, "cached"), "{:#?}", harness.root());
}

#[test]
fn stop_while_compiling_returns_to_idle_at_once() {
    let mut harness = harness_at(SMALL);
    // Big enough that compiling takes seconds; `_start` spins, so it never ends by itself. A
    // new seed each time: wasmtime's disk cache would otherwise load it at once.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    harness.state_mut().open_bytes(
        "slow_compile.wasm",
        common::many_functions(60_000, seed, true),
    );
    wait_until(&mut harness, "the background compile to start", |h| {
        shows_text(h, "Compiling: ")
    });
    // An estimate is given while it compiles.
    assert!(shows_text(&harness, " of about "), "{:#?}", harness.root());
    harness.get_by_label("Run").click();
    harness.run_steps(2);
    assert!(harness.state().is_busy() && harness.state().is_compiling());
    assert!(shows_text(
        &harness,
        "Stop returns the window to idle at once"
    ));
    // On rows of its own inside the Outcome panel, not pushing it off the window.
    let note = rect_containing(&harness, "Stop returns the window to idle at once");
    assert!(
        note.right() <= SMALL[0],
        "the compile note ends at {}",
        note.right()
    );
    harness.get_by_label("Stop").click();
    harness.step();
    harness.step();
    assert!(
        !harness.state().is_busy(),
        "the window waits for the compile"
    );
    assert!(shows(&harness, "STOPPED"), "{:#?}", harness.root());
    assert!(shows_text(&harness, "stopped while compiling"));
}

#[test]
fn run_and_f5_do_nothing_without_a_module() {
    let mut harness = harness_at(SMALL);
    harness.step();
    assert!(harness.get_by_label("Run").accesskit_node().is_disabled());
    harness.key_press(egui::Key::F5);
    harness.run_steps(3);
    assert!(!shows_text(&harness, "Nothing to run yet"));
    assert!(!harness.state().is_busy());
}

#[test]
fn a_wat_syntax_error_is_left_aligned_with_its_marker_under_the_column() {
    let mut harness = harness_at(SMALL);
    let (_dir, path) = wat_file("broken.wat", "(module (func (i32.bogus)))\n");
    harness.state_mut().open_path(path);
    wait_idle(&mut harness);
    wait_for(&mut harness, "is not valid WebAssembly text");
    let node = harness
        .query_all_by_label_contains("is not valid WebAssembly text")
        .next()
        .unwrap();
    let text = node
        .accesskit_node()
        .value()
        .or(node.accesskit_node().label())
        .unwrap();
    // The marker line points at `i32.bogus`, column for column.
    let source = text.lines().find(|l| l.contains("(i32.bogus)")).unwrap();
    let marker = text.lines().find(|l| l.trim_end().ends_with('^')).unwrap();
    let column = source.find("i32.bogus").unwrap();
    assert_eq!(marker.find('^'), Some(column), "{text}");
    // Left-aligned under the "Error" title, not pushed to the right.
    let title = rect_of(&harness, "Error");
    assert!(
        (node.rect().left() - title.left()).abs() < 2.0,
        "error text at {:?}, title at {title:?}",
        node.rect()
    );
}

#[test]
fn the_tenants_dialog_explains_compare_without_folders() {
    let mut harness = harness_at(SMALL);
    open(&mut harness, "hello.wat");
    harness.get_by_label("Run as tenants…").click();
    harness.run_steps(2);
    assert!(shows_text(
        &harness,
        "Compare without folders: two runs, one under the Sandbox panel's policy"
    ));
}

#[test]
fn the_module_panel_shows_its_facts_without_scrolling() {
    let mut harness = harness_at(SMALL);
    open(&mut harness, "hello.wat");
    harness.run_steps(2);
    let summary = harness
        .query_all_by_label_contains("This module can ask for")
        .next()
        .unwrap()
        .rect();
    assert!(summary.bottom() <= rect_of(&harness, "Output").top());
    let fact = rect_of(&harness, "Debug info");
    let console = rect_of(&harness, "Output");
    assert!(
        fact.bottom() <= console.top(),
        "the overview's facts ({fact:?}) are below the fold (console at {console:?})"
    );
}

/// The Invoke drop-down stays within the sandbox panel.
#[test]
fn the_invoke_drop_down_stays_in_its_panel() {
    let mut harness: Harness<'_, App> = harness_at(SMALL);
    open(&mut harness, "reactor.wat");
    let panel_right = rect_of(&harness, "Reset").right();
    harness.get_by_label("Invoke").click();
    harness.run_steps(2);
    let item = harness.get_by_label("add (i32, i32) -> i32").rect();
    assert!(
        item.right() <= panel_right + 40.0,
        "the list reaches {item:?}, the panel ends at {panel_right}"
    );
}

/// The first node whose label or value contains `text`, and its rectangle.
fn rect_containing(harness: &Harness<'_, App>, text: &str) -> egui::Rect {
    harness
        .query_all(
            egui_kittest::kittest::by()
                .predicate(|n| n.value().or(n.label()).is_some_and(|t| t.contains(text))),
        )
        .next()
        .unwrap_or_else(|| panic!("{text:?} is not shown: {:#?}", harness.root()))
        .rect()
}

#[test]
fn at_1024x640_the_side_panels_contents_fit_their_panels() {
    let mut harness = harness_at(SMALL);
    open(&mut harness, "hello.wat");
    run(&mut harness);
    // The widest limit (its value box) ends inside the sandbox panel, whose right edge the
    // Reset button marks.
    let panel_right = rect_of(&harness, "Reset").right() + 8.0;
    let table_cap = rect_containing(&harness, "100 k elements");
    assert!(
        table_cap.right() <= panel_right,
        "the table cap's value ends at {} beyond the sandbox panel ({panel_right})",
        table_cap.right()
    );
    // The outcome's longest number wraps inside the window rather than running off it.
    let disk = rect_containing(&harness, "0 of 10000 files");
    assert!(
        disk.right() <= SMALL[0] - 8.0,
        "the disk line ends at {} in a window {} wide",
        disk.right(),
        SMALL[0]
    );
}

/// Issue 24: after a session at 1280×800, the next one at 1024×640 restored the panel sizes
/// egui remembered, and the Output panel covered the Outcome panel.
#[test]
fn at_1024x640_after_a_1280x800_session_the_panels_do_not_overlap() {
    let mut first = harness_at([1280.0, 800.0]);
    open(&mut first, "hello.wat");
    run(&mut first);
    let saved = save_session(&mut first);
    drop(first);

    let mut harness = harness_restored(SMALL, &saved);
    open(&mut harness, "hello.wat");
    run(&mut harness);
    harness.run_steps(3);
    let outcome = rect_of(&harness, "Outcome");
    let badge = rect_of(&harness, "EXITED 0");
    for control in ["Clear", "Wrap"] {
        let rect = rect_of(&harness, control);
        assert!(
            rect.right() <= outcome.left() && !overlap(rect, outcome),
            "the console's {control} ({rect:?}) reaches the Outcome heading ({outcome:?})"
        );
    }
    assert!(
        badge.right() <= SMALL[0] && badge.left() >= rect_of(&harness, "Wrap").right(),
        "the badge ({badge:?}) is cut or under the console"
    );
    let width = rect_of(&harness, "Wrap").right() - rect_of(&harness, "Output").left();
    assert!(
        width >= READABLE_CONSOLE_WIDTH,
        "the console is {width} wide"
    );
}

/// Issue 24: at 640 points high the Samples menu cut off its last entries and could not
/// scroll.
#[test]
fn at_640_high_the_samples_menu_scrolls_to_its_last_entry() {
    let mut harness = harness_at(SMALL);
    harness.step();
    harness.get_by_label("Samples").click();
    harness.run_steps(2);
    // The last sample, alphabetically.
    let last = "write_file";
    for _ in 0..40 {
        if rect_of(&harness, last).bottom() <= SMALL[1] {
            break;
        }
        harness.get_by_label("hello").scroll_down();
        harness.run_steps(2);
    }
    let rect = rect_of(&harness, last);
    assert!(
        rect.bottom() <= SMALL[1],
        "the last sample stays below the window's bottom: {rect:?}"
    );
}

/// Issue 24: the Tenants, Memory and Rust windows opened over the menu bar.
#[test]
fn floating_windows_open_below_the_toolbar() {
    let mut harness = harness_at(SMALL);
    open(&mut harness, "hello.wat");
    harness.get_by_label("Run as tenants…").click();
    harness.run_steps(3);
    let toolbar_bottom = rect_of(&harness, "Run as tenants…").bottom();
    let titles: Vec<_> = harness
        .query_all_by_label("Tenants")
        .map(|n| n.rect())
        .collect();
    assert!(!titles.is_empty(), "{:#?}", harness.root());
    for title in titles {
        assert!(
            title.top() >= toolbar_bottom,
            "the Tenants window's title ({title:?}) is over the toolbar (ends at {toolbar_bottom})"
        );
    }
}

/// Issue #34: at 1024×640, fresh start, the Sandbox panel's rows ran past its edge ("Trap
/// when growth is den", "Allow sockets (componen", the Record row's size), and the panel's
/// frame, sized for them but clipped, left an empty band beside it. At 1024 points wide and
/// tall enough for every row to be laid out, each ends inside the panel.
#[test]
fn at_1024_wide_every_sandbox_row_fits_its_panel() {
    let mut harness = harness_at([SMALL[0], 1600.0]);
    open(&mut harness, "hello.wat");
    harness.run_steps(3);
    let reset = harness.get_by_label("Reset").rect();
    let status = harness.get_by_label("Idle").rect();
    // The panel's inner right edge is where its Reset button ends.
    let edge = f64::from(reset.right());
    let past: Vec<String> = harness
        .root()
        .query_all(egui_kittest::kittest::by())
        .filter_map(|n| {
            let node = n.accesskit_node();
            let b = node.bounding_box()?;
            let inside_panel = b.x0 < edge - 20.0
                && b.y0 > f64::from(reset.bottom())
                && b.y1 < f64::from(status.top());
            let text = node.label().or_else(|| node.value())?;
            (inside_panel && b.x1 > edge + 1.0 && !text.is_empty()).then_some(text)
        })
        .collect();
    assert!(past.is_empty(), "past the panel's edge ({edge}): {past:?}");
    assert!(shows(&harness, "Allow sockets (components)"));
}
