//! The window at a C program's trap with DWARF: the program's own variables by name under the
//! backtrace, folding out into the struct its pointer points at, each with "who wrote it?".

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use crate::common::words;

use common::ui::*;
use egui_kittest::kittest::{NodeT, Queryable};

#[test]
fn a_c_trap_shows_the_programs_variables_and_their_members() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = words::c_guest(dir.path(), "shapes", words::C_SHAPES) else {
        return;
    };
    let mut harness = harness();
    run_to_the_trap(&mut harness, &wasm);
    assert!(shows_text(
        &harness,
        "Frame 0: variables, locals and operand stack"
    ));
    assert!(
        shows(&harness, "area: int = 12"),
        "{:?}",
        labels_containing(&harness, "area")
    );
    assert!(shows(&harness, "div: int = 0"));
    // Issue #37: the program's own frame's source line, read from the file, under the
    // backtrace.
    assert!(shows(&harness, "Source: area"), "{:#?}", harness.root());
    assert!(
        labels_containing(&harness, "return area / div;")
            .iter()
            .any(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit())),
        "{:?}",
        labels_containing(&harness, "area / div")
    );
    // The pointer folds out into the struct, and the struct into its members.
    let pointer = labels_containing(&harness, "s: struct shape * = 0x");
    assert_eq!(pointer.len(), 1, "{pointer:?}");
    harness.get_by_label(&pointer[0]).click();
    harness.run_steps(2);
    let shape = labels_containing(&harness, "*s: struct shape = { width = 3, height = 4");
    assert_eq!(shape.len(), 1, "{:?}", labels_containing(&harness, "*s"));
    harness.get_by_label(&shape[0]).click();
    harness.run_steps(2);
    assert!(shows(&harness, "name: char[8] = \"box\""));
    assert!(shows(&harness, "color: enum color = GREEN (5)"));
    // Every variable in memory can be asked who wrote it.
    assert!(harness.query_all_by_label("who wrote it?").count() >= 5);
}

/// At 1024×640, a debug-mode trap's wide outcome (the badge, the backtrace table, the
/// variables) stays inside its panel: the console beside it is not drawn over.
#[test]
fn a_wide_outcome_at_1024_by_640_stays_beside_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = words::c_guest(dir.path(), "shapes", words::C_SHAPES) else {
        return;
    };
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1024.0, 640.0])
        .build_eframe(|_cc| wasmscope::ui::app::App::new(None));
    run_to_the_trap(&mut harness, &wasm);
    harness.run_steps(3);
    let console = harness.get_by_label("Wrap").rect();
    let outcome = harness.get_by_label("TRAPPED").rect();
    assert!(
        console.right() < outcome.left(),
        "the console ({console:?}) runs under the outcome ({outcome:?})"
    );
    // Issue #34: the backtrace's Source column was 40 px wide, `file.c:25` one character a
    // line. Each frame's source reads on one line.
    let sources: Vec<_> = harness
        .query_all_by_label_contains("shapes.c:")
        .filter_map(|n| {
            let text = n
                .accesskit_node()
                .label()
                .or_else(|| n.accesskit_node().value())?;
            text.starts_with("shapes.c:").then(|| (text, n.rect()))
        })
        .collect();
    assert!(!sources.is_empty(), "{:#?}", harness.root());
    for (label, rect) in sources {
        assert!(rect.height() < 24.0, "{label} wraps: {rect:?}");
    }
}

/// Opens `wasm`, switches Debug on, runs it, and waits for its trap.
fn run_to_the_trap(
    harness: &mut egui_kittest::Harness<'_, wasmscope::ui::app::App>,
    wasm: &std::path::Path,
) {
    harness.state_mut().open_path(wasm);
    wait_idle(harness);
    harness
        .get_by_label("Debug (locals at a trap, breakpoints)")
        .click();
    harness.step();
    run(harness);
    wait_for(harness, "TRAPPED");
}

#[test]
fn code_names_the_entry_function_as_the_module_does_not_by_its_export() {
    // The window said "Code: _start (func 48)" over the code of `_start.command_export`.
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = words::c_guest(dir.path(), "shapes", words::C_SHAPES) else {
        return;
    };
    let mut harness = harness();
    harness.state_mut().open_path(&wasm);
    wait_idle(&mut harness);
    harness.get_by_label("Code…").click();
    wait_for(&mut harness, "call $_start");
    assert!(
        shows_text(&harness, "Code: _start.command_export (func "),
        "{:?}",
        labels_containing(&harness, "Code: ")
    );
}

#[test]
fn a_trap_shows_the_globals_of_its_source_file_under_the_variables() {
    // Issue #32: the globals of the compilation unit, in the window's variables.
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = words::c_guest(dir.path(), "globals", words::C_GLOBALS) else {
        return;
    };
    let mut harness = harness();
    run_to_the_trap(&mut harness, &wasm);
    assert!(
        shows(&harness, "Globals of its source file"),
        "{:#?}",
        harness.root()
    );
    assert!(
        shows(&harness, "counter: int = 9"),
        "{:?}",
        labels_containing(&harness, "counter")
    );
}
