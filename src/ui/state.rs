//! What the window keeps between sessions: settings only. A loaded module, its grants, a run
//! and its output never persist (grants come back only through [`GrantMemory`], for the same
//! module, with a banner).

use eframe::egui;
use std::path::PathBuf;

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
}

impl State {
    /// The same settings without any grant (older versions saved folders, environment and
    /// arguments with the settings).
    pub fn without_grants(mut self) -> Self {
        self.sandbox = self.sandbox.without_grants();
        self
    }
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
