//! What the window keeps between sessions: settings only. A loaded module, its grants, a run
//! and its output never persist (grants come back only through [`GrantMemory`], for the same
//! module, with a banner).

use eframe::egui;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::ui::grants::GrantMemory;
use crate::ui::sandbox::SandboxSettings;

/// The state that we persist (serialize).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    /// The sandbox panel's limits (grants are per module).
    pub sandbox: SandboxSettings,
    /// The grants of the modules run most recently, offered back (with a banner) when the
    /// same file is opened again.
    pub grant_memory: GrantMemory,
    /// Recently opened files, newest first.
    pub recent: Vec<PathBuf>,
    /// Light, dark or follow the system.
    pub theme: egui::ThemePreference,
    /// Which panels are shown.
    pub layout: Layout,
    /// How fast this machine compiles, for the estimate shown while a module compiles.
    pub compile_speeds: crate::ui::compile::CompileSpeeds,
    /// Help ▸ Lessons: which are done, which one is followed.
    pub lessons: crate::ui::lessons::LessonProgress,
}

impl State {
    /// The same settings without any grant (older versions saved folders, environment and
    /// arguments with the settings).
    pub fn without_grants(mut self) -> Self {
        self.sandbox = self.sandbox.without_grants();
        self
    }

    /// The settings as a new session starts from them: no grants, every limit inside its
    /// range, the recent files bounded.
    pub fn restored(mut self) -> Self {
        self.sandbox = self.sandbox.without_grants().clamped();
        self.recent.truncate(crate::ui::loader::MAX_RECENT);
        self
    }
}

/// The file eframe keeps the settings in (`app.ron` in its storage folder for `app_id`).
pub fn settings_file(app_id: &str) -> Option<PathBuf> {
    eframe::storage_dir(app_id).map(|dir| dir.join("app.ron"))
}

/// Moves the settings file aside when it cannot be read back (damaged, or settings of a shape
/// this version cannot read), as `app.ron.bad-DATE` next to it: otherwise the window would
/// start from the defaults without a word and overwrite it on quit. Returns what to tell the
/// user, once (the next start finds no bad file); `None` when the file reads or is absent.
pub fn set_aside_unreadable(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path);
    let why = match &text {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => e.to_string(),
        Ok(text) => match ron::from_str::<HashMap<String, String>>(text) {
            Err(e) => e.to_string(),
            Ok(values) => match values.get(eframe::APP_KEY) {
                None => return None,
                Some(app) => match ron::from_str::<State>(app) {
                    Ok(_) => return None,
                    Err(e) => e.to_string(),
                },
            },
        },
    };
    let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .replace(':', "-");
    let mut backup = path.as_os_str().to_owned();
    backup.push(format!(".bad-{stamp}"));
    let backup = PathBuf::from(backup);
    Some(match std::fs::rename(path, &backup) {
        Ok(()) => format!(
            "The saved settings could not be read ({why}), so the window starts from the              defaults. The old file is kept as {}",
            backup.display()
        ),
        Err(e) => format!(
            "The saved settings could not be read ({why}) nor kept aside ({e}), so the window              starts from the defaults and will replace them on quit: {}",
            path.display()
        ),
    })
}

/// Which panels are shown; persisted (egui remembers their sizes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    /// The sandbox panel on the left.
    pub show_sandbox: bool,
    /// The module panel at the top.
    pub show_module: bool,
    /// The outcome panel on the right.
    pub show_outcome: bool,
}

impl Default for Layout {
    fn default() -> Self {
        Self {
            show_sandbox: true,
            show_module: true,
            show_outcome: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file eframe would write for `state`.
    fn settings_text(state: &str) -> String {
        let mut values = HashMap::new();
        values.insert(eframe::APP_KEY.to_owned(), state.to_owned());
        ron::to_string(&values).expect("serializes")
    }

    /// Regression (#20, item 6): a settings file of garbage was reset silently and
    /// overwritten on quit. Now it is kept aside, once, and the user is told where.
    #[test]
    fn unreadable_settings_are_kept_aside_and_named_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("app.ron");
        assert_eq!(set_aside_unreadable(&path), None, "no file: a first start");

        let good = ron::to_string(&State::default()).expect("serializes");
        std::fs::write(&path, settings_text(&good)).expect("writes");
        assert_eq!(set_aside_unreadable(&path), None);
        assert!(path.exists(), "readable settings stay");

        for bad in [
            "\u{0}garbage{{{".to_owned(),
            settings_text("(sandbox: (policy: (max_memory_bytes: \"lots\")))"),
        ] {
            std::fs::write(&path, &bad).expect("writes");
            let notice = set_aside_unreadable(&path).expect("a notice");
            assert!(!path.exists(), "the bad file is moved aside");
            let kept: Vec<_> = std::fs::read_dir(dir.path())
                .expect("lists")
                .map(|e| e.expect("entry").path())
                .collect();
            assert_eq!(kept.len(), 1, "{kept:?}");
            let name = kept[0]
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            assert!(name.starts_with("app.ron.bad-"), "{name}");
            assert!(notice.contains(&name), "{notice}");
            assert_eq!(std::fs::read_to_string(&kept[0]).expect("reads"), bad);
            std::fs::remove_file(&kept[0]).expect("removes");
            assert_eq!(set_aside_unreadable(&path), None, "said once");
        }
    }

    /// Regression (#20, item 6): out-of-range settings (a 16 EiB stack) loaded unclamped.
    #[test]
    fn loaded_settings_are_clamped_into_range() {
        let mut state = State::default();
        state.sandbox.policy.max_wasm_stack_bytes = usize::MAX;
        state.sandbox.policy.timeout_ms = Some(0);
        state.sandbox.profiler_interval_ms = Some(0);
        state.recent = vec![PathBuf::from("/a.wasm"); 50];
        let text = ron::to_string(&state).expect("serializes");
        let restored = ron::from_str::<State>(&text).expect("reads").restored();
        assert_eq!(restored.sandbox.policy.validate(), Ok(()));
        assert_eq!(
            restored.sandbox.policy.max_wasm_stack_bytes as u64,
            crate::engine::policy::MAX_WASM_STACK_BYTES
        );
        assert_eq!(restored.sandbox.profiler_interval_ms, Some(1));
        assert_eq!(restored.recent.len(), crate::ui::loader::MAX_RECENT);
    }
}
