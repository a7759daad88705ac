//! Helpers for the window's tests (egui_kittest): open a sample, run it, wait for what a user
//! would read.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use wasmscope::ui::App;

/// Generous: a cold debug build compiles modules slowly, and CI machines are shared.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// `samples/NAME`, NAME as given (`hello.wat`, `data`); [`super::sample`] takes a stem.
pub fn sample_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name)
}

/// A file dropped on the window, read from its path.
#[derive(Debug)]
pub struct DroppedPath(pub PathBuf);

impl eframe::egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Answers the precompiled-code confirmation with "Load as native code", then runs the module
/// (wasmscope's hello sample, precompiled) and checks what a user reads.
pub fn load_as_native_code_and_run_hello(harness: &mut Harness<'static, App>) {
    harness.get_by_label("Load as native code").click();
    harness.step();
    wait_idle(harness);
    assert_eq!(harness.state().module_name(), Some("hello.cwasm"));
    assert!(shows(
        harness,
        "Precompiled machine code: loaded as native code because you chose to"
    ));
    run(harness);
    assert!(
        shows(harness, "Hello from the sandbox!"),
        "{:#?}",
        harness.root()
    );
}

pub fn harness() -> Harness<'static, App> {
    Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(|_cc| App::new(None))
}

/// Steps frames until `label` (a substring) is on screen; panics with what is shown otherwise.
pub fn wait_for(harness: &mut Harness<'_, App>, label: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        harness.step();
        if harness.query_all_by_label_contains(label).next().is_some() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {label:?} on screen; the window shows:\n{:#?}",
            harness.root()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Steps until nothing loads or runs (the run's Finished event has been handled).
pub fn wait_idle(harness: &mut Harness<'_, App>) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        harness.step();
        if !harness.state().is_busy() {
            harness.step();
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the app to finish"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether some node's label is exactly `label`.
pub fn shows(harness: &Harness<'_, App>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

/// Whether some node's label contains `text`.
pub fn shows_text(harness: &Harness<'_, App>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}

pub fn open(harness: &mut Harness<'_, App>, name: &str) {
    harness.state_mut().open_path(sample_path(name));
    wait_idle(harness);
    assert_eq!(harness.state().module_name(), Some(name));
    assert!(
        harness.query_all_by_label(name).next().is_some(),
        "{name} is not shown"
    );
}

pub fn run(harness: &mut Harness<'_, App>) {
    harness.get_by_label("Run").click();
    harness.step();
    wait_idle(harness);
}

/// The labels on screen that contain `text`.
pub fn labels_containing(harness: &Harness<'_, App>, text: &str) -> Vec<String> {
    harness
        .query_all_by_label_contains(text)
        .filter_map(|node| {
            // A plain label keeps its text in `value`, a widget in `label`.
            let node = node.accesskit_node();
            node.label().or_else(|| node.value())
        })
        .collect()
}

pub fn run_traps(harness: &mut Harness<'_, App>, arg: &str) {
    open(harness, "traps.wat");
    harness.get_by_label("Arguments").focus();
    harness.step();
    harness.get_by_label("Arguments").type_text(arg);
    harness.step();
    run(harness);
    assert!(shows(harness, "TRAPPED"));
}

/// Types `path` into the path field `field` (shown when no file dialog can be) and presses
/// `button`, then waits for the window to be idle.
pub fn type_path(harness: &mut Harness<'_, App>, field: &str, path: &Path, button: &str) {
    wait_for(harness, field);
    harness.get_by_label(field).focus();
    harness.step();
    harness
        .get_by_label(field)
        .type_text(&path.display().to_string());
    harness.step();
    // The field may have appeared below the fold of a scrolled panel.
    harness.get_by_label(button).scroll_to_me();
    // Scrolling is animated: let it settle before clicking.
    harness.run_steps(20);
    harness.get_by_label(button).click();
    harness.step();
    wait_idle(harness);
}

/// Opens `samples/debug_me.wat` with Debug on and sets a breakpoint on `average`'s division by
/// clicking its line in the Code window, as a user would.
pub fn break_on_averages_division(harness: &mut Harness<'_, App>) {
    open(harness, "debug_me.wat");
    harness
        .get_by_label("Debug (locals at a trap, breakpoints)")
        .click();
    harness.step();
    // The code of the entry function; pick `average` and click its division.
    harness.get_by_label("Code…").click();
    wait_for(harness, "Code: _start");
    harness
        .get_by_label("Show another function's code.")
        .click();
    harness.step();
    harness.step();
    harness.get_by_label("average (func 2)").click();
    wait_for(harness, "i32.div_u");
    harness.get_by_label_contains("i32.div_u").click();
    // The click is handled in one frame and drawn in the next.
    harness.step();
    harness.step();
}

/// Types `ADDR[:LEN]` into the memory view's Go to address field and presses Enter.
pub fn go_to_address(harness: &mut Harness<'_, App>, address: &str) {
    harness.get_by_label("Go to address").focus();
    harness.step();
    harness.get_by_label("Go to address").type_text(address);
    harness.step();
    harness.key_press(eframe::egui::Key::Enter);
    harness.run_steps(2);
}
