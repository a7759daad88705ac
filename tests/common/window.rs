//! More helpers for window tests (egui_kittest), beside [`super::ui`]: a window of a given
//! size, waiting for any condition, where a control sits, and modules written at test time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use wasmscope::ui::App;

use super::ui::{DEADLINE, wait_idle};

/// The window at `size` (width, height in points), with no saved settings.
pub fn harness_at(size: [f32; 2]) -> Harness<'static, App> {
    Harness::builder()
        .with_size(size)
        .build_eframe(|_cc| App::new(None))
}

/// Steps until `done` says so; panics with what the window shows after [`DEADLINE`].
pub fn wait_until(
    harness: &mut Harness<'_, App>,
    what: &str,
    mut done: impl FnMut(&Harness<'_, App>) -> bool,
) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        harness.step();
        if done(harness) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; the window shows:\n{:#?}",
            harness.root()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The on-screen rectangle of the node labelled exactly `label`.
pub fn rect_of(harness: &Harness<'_, App>, label: &str) -> egui::Rect {
    harness.get_by_label(label).rect()
}

/// Opens `path` (any file, not only a sample) and waits until it is loaded.
pub fn open_path(harness: &mut Harness<'_, App>, path: PathBuf) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    harness.state_mut().open_path(path);
    wait_idle(harness);
    assert_eq!(harness.state().module_name(), Some(name.as_str()));
}

/// Writes `wat` as `name` in a new temporary folder; keep the folder while the file is used.
pub fn wat_file(name: &str, wat: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, wat).expect("write the module");
    (dir, path)
}

/// Settings as eframe keeps them between sessions, in memory: what [`harness_restored`]
/// starts from.
#[derive(Default)]
pub struct SavedSession(std::collections::HashMap<String, String>);

impl eframe::Storage for SavedSession {
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

/// The key under which eframe keeps egui's memory (panel sizes, window positions).
const EGUI_MEMORY_KEY: &str = "egui";

/// What eframe saves when the window closes: the app's settings and egui's memory.
pub fn save_session(harness: &mut Harness<'_, App>) -> SavedSession {
    let mut saved = SavedSession::default();
    let memory = harness.ctx.memory(|m| m.clone());
    eframe::set_value(&mut saved, EGUI_MEMORY_KEY, &memory);
    eframe::App::save(harness.state_mut(), &mut saved);
    saved
}

/// The window at `size`, restored from `saved` as eframe restores the next session.
pub fn harness_restored(size: [f32; 2], saved: &SavedSession) -> Harness<'static, App> {
    let memory: Option<egui::Memory> = eframe::get_value(saved, EGUI_MEMORY_KEY);
    Harness::builder().with_size(size).build_eframe(|cc| {
        if let Some(memory) = memory {
            cc.egui_ctx.memory_mut(|m| *m = memory);
        }
        App::new(Some(saved as &dyn eframe::Storage))
    })
}

/// View ▸ Sandbox map, then closes the menu.
pub fn open_map(harness: &mut Harness<'_, App>) {
    harness.get_by_label("View").click();
    harness.run_steps(2);
    harness.get_by_label("Sandbox map").click();
    harness.run_steps(3);
    harness.key_press(egui::Key::Escape);
    harness.run_steps(2);
}
