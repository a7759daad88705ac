//! The desktop explorer (eframe/egui), a second face over the engine and runner.
//!
//! ```text
//! file ──loader thread──> Module (bytes + ModuleInfo) ──> module panel
//! sandbox panel + grants ──> SandboxPolicy ──Run──> runner thread ──RunEvent──> console,
//!                                                                     status, outcome
//! ```
//!
//! Nothing here runs wasm or touches a `Store`: loading, inspecting, dialogs and runs happen on
//! named threads ([`job`]) that wake the UI with `request_repaint`. Panels are free functions
//! that draw and push [`command::Command`]s, applied at the end of the frame (`actions.rs`).
//! Where things live: the persisted settings in [`state`], the runtime parts in [`app`], the
//! frame around the panels in `chrome.rs`, colours in [`theme`], one file per panel.

use eframe::egui;
use std::path::PathBuf;
use std::process::ExitCode;

mod actions;
pub mod app;
pub mod backtrace;
pub mod calls;
mod chrome;
pub mod code;
pub mod command;
pub mod compile;
pub mod console;
pub mod debugger;
pub mod embed;
pub mod files;
pub mod grants;
pub mod icon;
pub mod job;
pub mod layout;
pub mod lessons;
pub mod loader;
pub mod map;
pub mod memory;
pub mod module;
pub mod native;
pub mod outcome;
pub mod precompile;
pub mod profile;
pub mod profiler;
pub mod prompt;
pub mod replay;
pub mod sandbox;
pub mod save;
pub mod session;
pub mod state;
pub mod status;
pub mod tenants;
pub mod theme;
pub mod travel;
pub mod who_wrote;

pub use app::App;
pub use command::Command;
pub use state::{Layout, State};
pub use theme::bytes_text;

/// Hidden, for screenshots and demos: when set, the module given on the command line runs
/// once as soon as it is loaded.
pub const AUTORUN_ENV: &str = "WASMSCOPE_AUTORUN";
/// Hidden, with [`AUTORUN_ENV`]: the arguments for that run (replaces the Arguments field).
pub const AUTORUN_ARGS_ENV: &str = "WASMSCOPE_AUTORUN_ARGS";

/// The window's application id: names its settings folder.
const APP_ID: &str = "wasmscope";

/// Opens the window, with `file` loaded if given.
pub fn run_app(file: Option<PathBuf>) -> ExitCode {
    let settings = state::settings_file(APP_ID);
    // Settings that cannot be read are kept aside, never silently replaced on quit.
    let settings_notice = settings.as_deref().and_then(state::set_aside_unreadable);
    let options = eframe::NativeOptions {
        persistence_path: settings,
        viewport: egui::ViewportBuilder::default()
            .with_title("wasmscope")
            .with_app_id(APP_ID)
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size(layout::MIN_WINDOW_SIZE)
            .with_icon(std::sync::Arc::new(icon::icon()))
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let result = eframe::run_native(
        "wasmscope",
        options,
        Box::new(move |cc| {
            let mut app = App::new(cc.storage);
            app.error = settings_notice;
            if std::env::var_os(AUTORUN_ENV).is_some() {
                app.autorun = true;
                app.autorun_args = std::env::var(AUTORUN_ARGS_ENV).ok();
            }
            if let Some(file) = file {
                app.open_path(file);
            }
            Ok(Box::new(app))
        }),
    );
    // Whatever ended the window, no scratch copy outlives it.
    crate::engine::files::remove_live_copies();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "error: cannot open the window: {err:#}\n\
                 (no display? `wasmscope run FILE` and `wasmscope inspect FILE` work without one)"
            );
            ExitCode::FAILURE
        }
    }
}
