//! The window, driven headless through egui_kittest by what a user sees: accessible labels.
//! Each test loads a sample from `samples/`, acts like a user, and waits (with a deadline) for
//! the text the user would read.

#![cfg(feature = "gui")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use wasmscope::ui::App;

use crate::common;
use common::ui::*;

#[test]
fn dropped_sample_shows_imports_and_exports() {
    let mut harness = harness();
    harness.step();
    assert!(shows(&harness, "No module loaded"));

    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(sample_path("hello.wat"))));
    wait_for(&mut harness, "hello.wat");
    wait_idle(&mut harness);

    // The overview names the capability the single WASI import grants.
    assert!(shows_text(&harness, "This module can ask for: stdio"));

    harness.get_by_label("Imports (1)").click();
    harness.run_steps(2);
    assert!(shows(&harness, "wasi_snapshot_preview1"));
    assert!(shows(&harness, "fd_write"));
    assert!(
        harness
            .query_by_label("(i32, i32, i32, i32) -> i32")
            .is_some()
    );

    harness.get_by_label_contains("Exports (").click();
    harness.run_steps(2);
    assert!(shows(&harness, "_start"));
    assert!(shows(&harness, "memory"));
    assert!(!shows(&harness, "fd_write"), "still on the imports tab");

    // The filter keeps only matching rows.
    harness.get_by_label("Filter").focus();
    harness.step();
    harness.get_by_label("Filter").type_text("mem");
    harness.run_steps(2);
    assert!(shows(&harness, "memory"));
    assert!(!shows(&harness, "_start"), "the filter did not hide _start");
    assert!(shows(&harness, "1 of 2"));
}

#[test]
fn samples_menu_lists_lessons_and_opens_a_sample() {
    let mut harness = harness();
    harness.step();
    harness.get_by_label("Samples").click();
    harness.run_steps(2);
    // A sample in the menu's first screenful (on a short screen the menu scrolls).
    assert!(
        shows_text(&harness, "A denied memory.grow returns -1 quietly"),
        "the memory_hog sample's lesson is not listed"
    );
    harness.get_by_label("memory_hog").click();
    harness.step();
    wait_idle(&mut harness);
    assert_eq!(harness.state().module_name(), Some("memory_hog.wat"));
}

#[test]
fn run_shows_hello_output() {
    let mut harness = harness();
    open(&mut harness, "hello.wat");
    assert!(!shows_text(&harness, "Hello from the sandbox!"));
    run(&mut harness);
    assert!(shows(&harness, "Hello from the sandbox!"));
    assert!(shows(&harness, "EXITED 0"));
    assert!(shows_text(&harness, "exited with code 0"));
}

#[test]
fn infinite_loop_times_out() {
    let mut harness = harness();
    open(&mut harness, "infinite_loop.wat");
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(200);
    run(&mut harness);
    assert!(shows(&harness, "TIMED OUT"));
    assert!(shows_text(&harness, "200 ms timeout passed"));
}

#[test]
fn running_out_of_fuel_names_the_panel_row_that_gives_more() {
    let mut harness = harness();
    open(&mut harness, "infinite_loop.wat");
    harness.state_mut().sandbox_mut().policy.fuel = Some(10_000);
    run(&mut harness);
    assert!(shows(&harness, "OUT OF FUEL"));
    assert!(shows_text(&harness, "its whole fuel budget"));
    assert!(
        shows_text(
            &harness,
            "If it needs more, raise Fuel in the Sandbox panel."
        ),
        "{:#?}",
        harness.root()
    );
}

#[test]
fn memory_hog_shows_denied_growth_as_root_cause() {
    let mut harness = harness();
    open(&mut harness, "memory_hog.wat");
    harness.state_mut().sandbox_mut().policy.max_memory_bytes = 16 * 1024 * 1024;
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    assert!(shows(&harness, "MemoryOutOfBounds"));
    assert!(shows(
        &harness,
        "Likely root cause: the sandbox refused to grow memory"
    ));
    assert!(
        shows_text(&harness, "(cap 16 MiB)"),
        "{:#?}",
        harness.root()
    );
    assert!(shows(&harness, "memory.grow refused after 15 MiB"));
}

#[test]
fn traps_div0_shows_kind_and_backtrace() {
    let mut harness = harness();
    open(&mut harness, "traps.wat");
    let args = harness.get_by_label("Arguments");
    args.focus();
    harness.step();
    harness.get_by_label("Arguments").type_text("div0");
    harness.step();
    assert_eq!(
        harness.get_by_label("Arguments").value().as_deref(),
        Some("div0")
    );
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    assert!(shows(&harness, "IntegerDivisionByZero"));
    assert!(shows_text(&harness, "divisor of zero"));
    assert!(shows(&harness, "Backtrace"));
    assert!(shows(&harness, "divide_by_zero"));
    assert!(shows(&harness, "_start"));
}

#[test]
fn bad_file_shows_error_and_keeps_previous_module() {
    let mut harness = harness();
    open(&mut harness, "hello.wat");
    run(&mut harness);
    assert!(shows(&harness, "Hello from the sandbox!"));

    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("picture.wasm");
    std::fs::write(&bad, b"\x89PNG\r\n\x1a\n not a module").expect("write");
    harness.state_mut().open_path(&bad);
    wait_idle(&mut harness);

    assert!(shows_text(&harness, "it looks like a PNG image"));
    assert_eq!(harness.state().module_name(), Some("hello.wat"));
    assert!(shows(&harness, "hello.wat"));
    assert!(harness.query_by_label("Imports (1)").is_some());
    assert!(
        shows(&harness, "Hello from the sandbox!"),
        "the previous output was lost"
    );
}

#[test]
fn stop_ends_a_guest_blocked_in_sleep() {
    let mut harness = harness();
    open(&mut harness, "sleep_forever.wat");
    harness.state_mut().sandbox_mut().policy.timeout_ms = None;
    harness.get_by_label("Run").click();
    wait_for(&mut harness, "Running sleep_forever.wat");
    // Let it reach the sleep.
    let until = Instant::now() + Duration::from_millis(300);
    while Instant::now() < until {
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(harness.state().is_busy(), "sleep_forever ended on its own");
    harness.get_by_label("Stop").click();
    harness.step();
    wait_idle(&mut harness);
    assert!(shows(&harness, "STOPPED"));
    assert!(shows_text(&harness, "You pressed Stop"));
}

#[test]
fn stdout_flood_is_bounded_with_a_dropped_marker() {
    let mut harness = harness();
    open(&mut harness, "stdout_flood.wat");
    // 200 MiB through the console in a debug build: on a loaded machine that can pass the
    // default 10 s timeout, which is not what this test is about.
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(120_000);
    let started = Instant::now();
    run(&mut harness);
    eprintln!("flood took {:?}", started.elapsed());
    assert!(
        shows_text(&harness, "of earlier output dropped"),
        "{:#?}",
        harness.root()
    );
    assert!(shows_text(&harness, "exited with code 0"));
}

#[test]
fn reactor_invokes_a_picked_export_with_arguments() {
    let mut harness = harness();
    open(&mut harness, "reactor.wat");
    harness.get_by_label("Invoke").click();
    harness.run_steps(2);
    harness.get_by_label("add (i32, i32) -> i32").click();
    harness.run_steps(2);
    for (label, value) in [("arg 0: i32", "2"), ("arg 1: i32", "3")] {
        harness.get_by_label(label).focus();
        harness.step();
        harness.get_by_label(label).type_text(value);
        harness.step();
    }
    run(&mut harness);
    assert!(shows(&harness, "RETURNED"), "{:#?}", harness.root());
    assert!(shows(&harness, "Results: 5"));
}

#[test]
fn call_log_explains_a_refused_file_open() {
    let mut harness = harness();
    open(&mut harness, "read_file.wat");
    harness.state_mut().sandbox_mut().policy.log_calls = true;
    run(&mut harness);
    assert!(
        shows_text(&harness, "The sandbox refused"),
        "{:#?}",
        harness.root()
    );
    assert!(shows(
        &harness,
        "path_open(fd=3 path=\"hello.txt\" [read]) = badf (8)"
    ));
    assert!(shows_text(&harness, "no directory granted"));
    assert!(shows_text(&harness, "WASI calls ("));
}

#[test]
fn missing_imports_are_listed_before_and_after_a_run() {
    let mut harness = harness();
    open(&mut harness, "missing_import.wat");
    // Before any run, the overview calls out every import the sandbox cannot satisfy.
    assert!(shows(
        &harness,
        "3 imports cannot be satisfied: the run will fail to link"
    ));
    run(&mut harness);
    assert!(shows(&harness, "DID NOT START"));
    for import in [
        "env::host_magic (func)",
        "env::shared_mem (memory)",
        "wasi_snapshot_preview1::fd_write (func)",
    ] {
        let count = harness.query_all_by_label(import).count();
        assert_eq!(
            count, 2,
            "{import} should be listed in the overview and the outcome"
        );
    }
}

#[test]
fn open_path_field_loads_a_typed_path() {
    let mut harness = harness();
    harness.step();
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label("Open path…").click();
    wait_for(&mut harness, "Open a module by path");
    harness.step();
    // The field has focus at once: typing goes straight into it.
    let path = sample_path("exit_code.wat");
    harness
        .get_by_label("Path")
        .type_text(&path.display().to_string());
    harness.step();
    harness.get_by_label("Open").click();
    harness.step();
    wait_idle(&mut harness);
    assert_eq!(harness.state().module_name(), Some("exit_code.wat"));
    assert!(shows(&harness, "exit_code.wat"));
    assert!(
        !shows(&harness, "Open a module by path"),
        "the prompt stayed open"
    );
}

/// Loads and runs hello.wat and checks its greeting: the window still works.
fn still_runs_hello(harness: &mut Harness<'_, App>, after: &str) {
    harness.state_mut().grants_mut().args_text.clear();
    harness.state_mut().open_path(sample_path("hello.wat"));
    wait_idle(harness);
    assert_eq!(
        harness.state().module_name(),
        Some("hello.wat"),
        "after {after}"
    );
    run(harness);
    assert!(
        shows(harness, "Hello from the sandbox!"),
        "after {after}, hello no longer runs:\n{:#?}",
        harness.root()
    );
}

#[test]
fn the_window_survives_hostile_modules_and_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let truncated = {
        let wasm =
            wat::parse_str(std::fs::read_to_string(sample_path("traps.wat")).unwrap()).unwrap();
        write("truncated.wasm", &wasm[..wasm.len() / 2])
    };
    let huge = dir.path().join("huge.wasm");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let files = [
        write("empty.wasm", b""),
        write("picture.wasm", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        write("notes.wat", b"not a module at all"),
        write("broken.wat", b"(module (func i32.const))"),
        write("component.wasm", &wat::parse_str("(component)").unwrap()),
        write(
            "start_trap.wat",
            br#"(module (func $boom unreachable) (start $boom) (func (export "_start")))"#,
        ),
        write(
            "bad_exit.wat",
            br#"(module (import "wasi_snapshot_preview1" "proc_exit" (func $e (param i32)))
                (memory (export "memory") 1) (func (export "_start") (call $e (i32.const 300))))"#,
        ),
        truncated,
        huge,
        dir.path().to_owned(),
        sample_path("infinite_loop.wat"),
        sample_path("sleep_forever.wat"),
        sample_path("memory_hog.wat"),
        sample_path("table_hog.wat"),
        sample_path("stack_overflow.wat"),
        sample_path("stdout_flood.wat"),
        sample_path("missing_import.wat"),
        sample_path("reactor.wat"),
        sample_path("escape_attempts.wat"),
    ];
    let mut harness = harness();
    harness.step();
    for path in files {
        let shown = path.display().to_string();
        {
            let policy = &mut harness.state_mut().sandbox_mut().policy;
            policy.timeout_ms = Some(300);
            policy.max_memory_bytes = 16 << 20;
        }
        harness.state_mut().open_path(path);
        wait_idle(&mut harness);
        if shown.ends_with("stdout_flood.wat") {
            harness.state_mut().grants_mut().args_text = "20".into();
        }
        if harness
            .state()
            .module_name()
            .is_some_and(|name| shown.ends_with(name))
        {
            run(&mut harness);
        }
        still_runs_hello(&mut harness, &shown);
    }
}

/// Issue #23: the call log's rows read on a projector: the errno by name and number, the
/// guest's path beside the host path it would reach, arguments whole (wrapped, not cut), and
/// the link the sandbox let the guest make called out.
#[test]
fn call_log_rows_name_both_paths_and_the_link_that_prepares_an_escape() {
    let class = tempfile::tempdir().unwrap();
    let granted = class.path().join("box");
    std::fs::create_dir(&granted).unwrap();
    // A tall window (a projector's), so the table sits in view below the refusals.
    let mut harness = Harness::builder()
        .with_size([1400.0, 2200.0])
        .build_eframe(|_cc| App::new(None));
    open(&mut harness, "escape_attempts.wat");
    harness.state_mut().sandbox_mut().policy.log_calls = true;
    let grants = harness.state_mut().grants_mut();
    grants.add_folder(granted.clone());
    grants.dirs[0].read_only = false;
    harness.step();
    run(&mut harness);
    // The refusals alone: the first row is the first attempt, whole.
    harness.get_by_label("denials only").click();
    harness.run_steps(2);
    let row = format!(
        "perm (63) — path outside every preopened directory; guest \"../etc/passwd\" in /box leads to \
         host {}/etc/passwd, outside the granted {}",
        class.path().display(),
        granted.display()
    );
    assert!(
        shows(&harness, &row),
        "{:#?}",
        labels_containing(&harness, "perm (63)")
    );
    assert!(shows(&harness, "fd=3 (/box) path=\"../etc/passwd\" [read]"));
    // The one step the sandbox allowed on the way out stays beside the refusals, marked
    // (a few rows down: scroll the table by one of its rows).
    let note = "success — allowed here, refused when followed: the link \"rel_out\" in /box";
    for _ in 0..20 {
        if shows_text(&harness, note) {
            break;
        }
        if let Some(row) = harness.query_all_by_label_contains("perm (63) — ").last() {
            row.scroll_down();
        }
        harness.run_steps(2);
    }
    assert!(
        shows_text(&harness, note),
        "{:#?}",
        labels_containing(&harness, "perm (63) — ")
    );
}
