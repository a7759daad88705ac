//! The window after a run, driven headless through egui_kittest: the code and memory views,
//! file changes and scratch copies, coredumps, profiles, copy-as-command, the call log's
//! filters, gauges and charts, precompiling, tenants and comparisons.

#![cfg(feature = "gui")]

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use wasmscope::ui::App;

use crate::common;
use common::ui::*;

#[test]
fn clicking_a_backtrace_frame_marks_the_trapping_instruction() {
    let mut harness = harness();
    run_traps(&mut harness, "div0");
    assert!(
        !shows_text(&harness, "i32.div_s"),
        "code shown before a click"
    );
    harness.get_by_label("divide_by_zero").click();
    harness.step();
    wait_for(&mut harness, "=> 0x");
    let marked = labels_containing(&harness, "=> 0x");
    assert_eq!(marked.len(), 1, "one marked line: {marked:?}");
    assert!(marked[0].contains("i32.div_s"), "marked: {marked:?}");
    assert!(shows_text(&harness, "Code: divide_by_zero"));
}

#[test]
fn a_function_its_name_section_leaves_out_is_unnamed_not_without_a_name_section() {
    // Issue #34: a module with a name section showed "(no name section)" for the one function
    // the section did not name.
    let (_dir, path) = common::window::wat_file(
        "half_named.wat",
        r#"(module
             (func $_start (export "_start") call 1)
             (func unreachable))"#,
    );
    let mut harness = harness();
    common::window::open_path(&mut harness, path);
    run(&mut harness);
    assert!(shows(&harness, "TRAPPED"));
    assert!(shows(&harness, "_start"), "{:#?}", harness.root());
    assert!(shows(&harness, "(unnamed)"), "{:#?}", harness.root());
    assert!(!shows_text(&harness, "(no name section)"));
}

#[test]
fn memory_view_finds_the_greeting_in_the_ascii_column() {
    let mut harness = harness();
    open(&mut harness, "hello.wat");
    run(&mut harness);
    harness.get_by_label("Show memory").click();
    wait_for(&mut harness, "Find text");
    harness.get_by_label("Find text").focus();
    harness.step();
    harness
        .get_by_label("Find text")
        .type_text("Hello from the sandbox!");
    harness.step();
    harness.get_by_label("Find").click();
    harness.run_steps(3);
    // samples/hello.wat puts the message at 16: rows 0x10 and 0x20 hold it, 16 bytes a row.
    assert!(shows(&harness, "Found at 0x10."), "{:#?}", harness.root());
    assert!(shows(&harness, "Hello from the s"));
    assert!(shows(&harness, "andbox!........."));
    // Going to an address past the snapshot says so instead of jumping.
    go_to_address(&mut harness, "0x1000000");
    assert!(shows_text(&harness, "is past the end of memory (64 KiB)"));
}

#[test]
fn scratch_folder_changes_are_listed_and_applied_on_request() {
    let mut harness = harness();
    open(&mut harness, "write_file.wat");
    let dir = tempfile::tempdir().expect("temp dir");
    harness
        .state_mut()
        .grants_mut()
        .add_folder(dir.path().to_path_buf());
    harness.state_mut().grants_mut().dirs[0].guest_path = "/out".to_owned();
    harness.step();
    // Read-write, then a scratch copy, as a user would tick them.
    harness.get_by_label("read-only").click();
    harness.step();
    harness.get_by_label("Scratch copy").click();
    harness.step();
    assert!(harness.state_mut().grants_mut().dirs[0].scratch);
    run(&mut harness);
    assert!(shows(&harness, "wrote out.txt"), "{:#?}", harness.root());
    assert!(shows_text(&harness, "to /out (scratch copy): 1 created"));
    assert!(shows_text(&harness, "out.txt ("));
    let real = dir.path().join("out.txt");
    assert!(!real.exists(), "the guest wrote to the real folder");

    harness
        .get_by_label("Apply changes to the real folder")
        .click();
    harness.step();
    wait_idle(&mut harness);
    assert!(
        shows_text(&harness, "Applied 1 change to"),
        "{:#?}",
        harness.root()
    );
    assert_eq!(
        std::fs::read(&real).expect("applied"),
        b"written by the guest\n"
    );
    assert!(
        harness
            .query_by_label("Apply changes to the real folder")
            .is_none(),
        "the applied copy still offers Apply"
    );
}

#[test]
fn a_trap_coredump_is_saved_to_a_typed_path() {
    let mut harness = harness();
    run_traps(&mut harness, "div0");
    harness.get_by_label("Save coredump…").click();
    harness.step();
    // No desktop portal under test: the dialog cannot show, so a path field does.
    wait_for(&mut harness, "Coredump path");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("core.wasm");
    type_path(&mut harness, "Coredump path", &path, "Save");
    assert!(
        shows_text(&harness, "Saved the coredump"),
        "{:#?}",
        harness.root()
    );
    let bytes = std::fs::read(&path).expect("the coredump was written");
    assert!(bytes.starts_with(b"\0asm"), "not a wasm coredump");
}

/// Opens the File menu and clicks `item`.
fn file_menu(harness: &mut Harness<'_, App>, item: &str) {
    harness.get_by_label("File").click();
    harness.run_steps(2);
    harness.get_by_label(item).click();
    harness.step();
}

/// Steps a few frames and returns what the window put on the clipboard.
fn copied_text(harness: &mut Harness<'_, App>) -> String {
    let mut copied = None;
    for _ in 0..4 {
        harness.step();
        for command in &harness.output().platform_output.commands {
            if let egui::OutputCommand::CopyText(text) = command {
                copied = Some(text.clone());
            }
        }
    }
    copied.expect("nothing was copied")
}

#[test]
fn a_saved_sandbox_profile_loads_back() {
    let mut harness = harness();
    harness.step();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sandbox.toml");
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(1234);
    harness.state_mut().grants_mut().args_text = "div0 'two words'".to_owned();

    file_menu(&mut harness, "Save sandbox profile…");
    type_path(&mut harness, "Profile path", &path, "Save profile");
    assert!(shows_text(&harness, "Saved the sandbox profile to"));
    assert!(path.is_file(), "no profile was written");

    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(99);
    harness.state_mut().grants_mut().args_text.clear();
    file_menu(&mut harness, "Load sandbox profile…");
    type_path(&mut harness, "Profile path", &path, "Load profile");
    assert!(shows_text(&harness, "Loaded the sandbox profile from"));
    let settings = harness.state_mut().sandbox_mut().clone();
    assert_eq!(settings.policy.timeout_ms, Some(1234));
    assert_eq!(
        harness.state_mut().grants_mut().args_text,
        "div0 'two words'"
    );
}

#[test]
fn copy_as_command_puts_a_wasmtime_command_on_the_clipboard() {
    let mut harness = harness();
    open(&mut harness, "hello.wat");
    harness.get_by_label("Copy as command").click();
    harness.run_steps(2);
    harness.get_by_label("wasmtime").click();
    let copied = copied_text(&mut harness);
    assert!(copied.starts_with("wasmtime run"), "{copied}");
    assert!(copied.contains("hello.wat"), "{copied}");
    assert!(shows_text(
        &harness,
        "This wasmtime command is on the clipboard"
    ));
    assert!(shows(&harness, &copied));
}

#[test]
fn an_out_of_bounds_fault_past_the_end_of_memory_says_so() {
    let mut harness = harness();
    run_traps(&mut harness, "oob");
    assert!(shows(&harness, "MemoryOutOfBounds"));
    assert!(
        shows_text(&harness, "past the end of memory (64 KiB)"),
        "{:#?}",
        harness.root()
    );
}

#[test]
fn discarding_a_scratch_copy_leaves_the_real_folder_alone() {
    let mut harness = harness();
    open(&mut harness, "write_file.wat");
    let dir = tempfile::tempdir().expect("temp dir");
    harness
        .state_mut()
        .grants_mut()
        .add_folder(dir.path().to_path_buf());
    let grant = &mut harness.state_mut().grants_mut().dirs[0];
    grant.guest_path = "/out".to_owned();
    grant.read_only = false;
    grant.scratch = true;
    run(&mut harness);
    assert!(shows_text(&harness, "(scratch copy): 1 created"));
    harness.get_by_label("Discard").click();
    harness.run_steps(2);
    assert!(shows_text(
        &harness,
        "Discarded: the real folder is unchanged."
    ));
    assert!(harness.query_by_label("Discard").is_none());
    assert!(!dir.path().join("out.txt").exists());
}

/// Clicks the call log's filter chip `label` (the same word labels other things too).
fn click_chip(harness: &mut Harness<'_, App>, label: &str) {
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, label)
        .click();
    harness.run_steps(2);
}

#[test]
fn call_log_filters_by_category_and_denials() {
    // Tall, so the call table's rows are on screen below the outcome.
    let mut harness = Harness::builder()
        .with_size([1400.0, 2000.0])
        .build_eframe(|_cc| App::new(None));
    open(&mut harness, "escape_attempts.wat");
    let dir = tempfile::tempdir().expect("temp dir");
    harness
        .state_mut()
        .grants_mut()
        .add_folder(dir.path().to_path_buf());
    harness.state_mut().grants_mut().dirs[0].read_only = false;
    harness.state_mut().sandbox_mut().policy.log_calls = true;
    run(&mut harness);
    assert!(
        shows_text(&harness, "WASI calls ("),
        "{:#?}",
        harness.root()
    );
    // Only the table's visible rows are laid out; stdio brings the writes to the top.
    click_chip(&mut harness, "stdio");
    // Identical consecutive writes share a row: "fd_write ×5".
    assert!(shows_text(&harness, "fd_write ×"), "{:#?}", harness.root());
    assert!(
        !shows(&harness, "path_open"),
        "the stdio filter kept path_open"
    );

    click_chip(&mut harness, "files");
    assert!(shows(&harness, "path_open"), "{:#?}", harness.root());
    assert!(
        !shows_text(&harness, "fd_write ×"),
        "the files filter kept fd_write: {:?}",
        labels_containing(&harness, "fd_write")
    );

    harness.get_by_label("denials only").click();
    harness.run_steps(2);
    // The reason is in the row itself, after the errno's name and number, with both paths.
    assert!(
        shows_text(
            &harness,
            "perm (63) — path outside every preopened directory; guest \"../etc/passwd\" in /"
        ),
        "{:#?}",
        harness.root()
    );
    assert!(shows_text(&harness, " of "), "no 'n of m rows' note");
}

#[test]
fn fuel_gauge_shows_the_spent_budget_at_the_end() {
    let mut harness = harness();
    open(&mut harness, "infinite_loop.wat");
    harness.state_mut().sandbox_mut().policy.fuel = Some(1_000_000);
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(30_000);
    run(&mut harness);
    assert!(
        shows_text(&harness, "fuel used 1000000 of 1000000 (100%)"),
        "{:#?}",
        labels_containing(&harness, "fuel")
    );
}

#[test]
fn a_running_guest_shows_the_time_left_before_the_timeout() {
    let mut harness = harness();
    open(&mut harness, "sleep_forever.wat");
    harness.state_mut().sandbox_mut().policy.timeout_ms = Some(60_000);
    harness.get_by_label("Run").click();
    wait_for(&mut harness, "Running sleep_forever.wat");
    wait_for(&mut harness, "time left ");
    // The countdown starts at the timeout (seconds shown whole past 10 s).
    assert!(
        labels_containing(&harness, "time left ")
            .iter()
            .any(|l| l == "time left 60 s" || l == "time left 59 s"),
        "{:?}",
        labels_containing(&harness, "time left ")
    );
    harness.get_by_label("Stop").click();
    harness.step();
    wait_idle(&mut harness);
    assert!(
        !shows_text(&harness, "time left "),
        "the countdown outlived the run"
    );
}

#[test]
fn a_growing_table_is_charted_beside_memory() {
    let mut harness = harness();
    open(&mut harness, "table_hog.wat");
    harness.state_mut().sandbox_mut().policy.max_table_elements = 25_000;
    run(&mut harness);
    assert!(
        shows_text(&harness, "Table size over time: peak "),
        "{:#?}",
        labels_containing(&harness, "over time")
    );
    assert!(shows_text(&harness, "of a 25000 element cap"));
    assert!(shows_text(&harness, "Linear memory over time"));
}

#[test]
fn a_precompiled_module_is_written_then_opened_and_run_with_a_trust_notice() {
    // The key that tags File ▸ Precompile…'s output: kept out of the user's data directory.
    crate::common::process_key_dir();
    let mut harness = harness();
    open(&mut harness, "hello.wat");
    file_menu(&mut harness, "Precompile…");
    // No desktop portal under test: the dialog cannot show, so a path field does.
    wait_for(&mut harness, "Precompiled module path");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("hello.cwasm");
    type_path(&mut harness, "Precompiled module path", &path, "Precompile");
    assert!(
        shows_text(&harness, "Precompiled for cranelift"),
        "{:#?}",
        harness.root()
    );
    assert!(path.is_file(), "no .cwasm was written");
    assert!(!shows_text(&harness, "loaded as native code"));

    harness.state_mut().open_path(&path);
    wait_for(&mut harness, "Load as native code");
    assert!(shows_text(&harness, "made by your wasmscope for cranelift"));
    load_as_native_code_and_run_hello(&mut harness);
}

#[test]
fn tenants_run_side_by_side_each_with_its_own_id() {
    let mut harness = harness();
    open(&mut harness, "args_env.wat");
    harness.get_by_label("Run as tenants…").click();
    harness.run_steps(2);
    // 3 is the starting count; the field says so.
    assert!(shows(&harness, "Tenant count"), "{:#?}", harness.root());
    harness.get_by_label("Run tenants").click();
    harness.step();
    wait_idle(&mut harness);
    for i in 0..3 {
        assert!(
            shows(&harness, &format!("Tenant {i}")),
            "{:#?}",
            harness.root()
        );
        assert!(
            shows(&harness, &format!("env: TENANT_ID={i}")),
            "{:#?}",
            labels_containing(&harness, "env")
        );
    }
    assert!(!shows(&harness, "Tenant 3"));
    // Each tenant prints its own id, so the others differ from tenant 0 in stdout.
    assert_eq!(
        labels_containing(&harness, "differs from tenant 0: stdout").len(),
        2,
        "{:?}",
        labels_containing(&harness, "tenant 0")
    );
}

#[test]
fn comparing_with_and_without_folders_highlights_the_difference() {
    let mut harness = harness();
    open(&mut harness, "read_file.wat");
    harness
        .state_mut()
        .grants_mut()
        .dirs
        .push(wasmscope::engine::DirGrant {
            host_path: sample_path("data"),
            guest_path: "/data".into(),
            read_only: true,
            scratch: false,
        });
    harness.get_by_label("Run as tenants…").click();
    harness.run_steps(2);
    harness.get_by_label("Compare without folders").click();
    harness.step();
    wait_idle(&mut harness);
    assert!(shows(&harness, "this sandbox"), "{:#?}", harness.root());
    assert!(shows(&harness, "without folders"));
    // With the folder the guest prints the file; without it, it fails to open it.
    assert!(shows(&harness, "exited with code 0"));
    assert!(shows(&harness, "exited with code 1"));
    let differs = labels_containing(&harness, "differs from this sandbox:");
    assert_eq!(differs.len(), 1, "{differs:?}");
    assert!(
        differs[0].contains("outcome") && differs[0].contains("stdout"),
        "{differs:?}"
    );
}

/// hello.wat open, with Copy as command ▸ Rust's program window on show.
fn rust_program_window() -> Harness<'static, App> {
    let mut harness = harness();
    open(&mut harness, "hello.wat");
    harness.get_by_label("Copy as command").click();
    harness.run_steps(2);
    harness.get_by_label("Rust (wasmtime embedding)").click();
    harness.run_steps(3);
    harness
}

#[test]
fn copy_as_rust_shows_the_program_and_copies_it() {
    let mut harness = rust_program_window();
    assert!(shows(&harness, "Save as…"), "{:#?}", harness.root());
    harness.get_by_label("Copy program").click();
    let copied = copied_text(&mut harness);
    assert!(copied.contains("hello.wat"), "{copied}");
    assert!(
        copied.contains("wasmtime_wasi::p1::add_to_linker_async"),
        "{copied}"
    );
    assert!(shows_text(&harness, "Copied to the clipboard."));
}

#[test]
fn copy_as_rust_saves_the_program_to_a_typed_path() {
    let mut harness = rust_program_window();
    harness.get_by_label("Save as…").click();
    harness.step();
    // No desktop portal under test: the dialog cannot show, so a path field does, saying why.
    wait_for(&mut harness, "Save to");
    assert!(shows_text(&harness, "No file dialog could be shown"));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("main.rs");
    type_path(&mut harness, "Save to", &path, "Save");
    assert!(shows_text(&harness, "Saved to"), "{:#?}", harness.root());
    let program = std::fs::read_to_string(&path).expect("the program was written");
    assert!(program.contains("fn main"), "{program}");
    assert!(
        harness.query_by_label("Save to").is_none(),
        "the path field stays after a successful save"
    );
}

#[test]
fn the_report_is_saved_as_an_html_page_to_a_typed_path() {
    let mut harness = harness();
    run_traps(&mut harness, "div0");
    harness.get_by_label("Save report as HTML…").click();
    harness.step();
    // No desktop portal under test: the dialog cannot show, so a path field does.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("report.html");
    type_path(&mut harness, "Report page path", &path, "Save");
    assert!(
        shows_text(&harness, "Saved the report page"),
        "{:#?}",
        harness.root()
    );
    let page = std::fs::read_to_string(&path).expect("the page was written");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("traps.wat"));
    assert!(page.contains("TRAPPED"));
    assert!(page.contains("divide_by_zero"), "the backtrace");
    assert!(page.contains("div0"), "the arguments the run was given");
}

/// The call log in a 1280-wide window's Outcome panel fits the panel: the console beside it
/// keeps its own width (its Wrap box ends left of the outcome's badge), before and after a
/// replay that logs every call.
#[test]
fn the_call_log_stays_inside_the_outcome_panel() {
    let mut harness = egui_kittest::Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(|_cc| wasmscope::ui::app::App::new(None));
    open(&mut harness, "who_wrote_me.wat");
    harness.get_by_label("Log every WASI call").click();
    harness.step();
    run(&mut harness);
    let fits = |harness: &egui_kittest::Harness<'_, wasmscope::ui::app::App>| {
        let console = harness.get_by_label("Wrap").rect();
        let outcome = harness.get_by_label("TRAPPED").rect();
        assert!(
            console.right() < outcome.left(),
            "the console ({console:?}) runs over the outcome ({outcome:?})"
        );
    };
    fits(&harness);
    harness.get_by_label("Replay with state").click();
    harness.step();
    wait_idle(&mut harness);
    harness.run_steps(3);
    fits(&harness);
}
