//! The desktop explorer (eframe/egui), a second face over the engine and runner.

use std::path::PathBuf;
use std::process::ExitCode;

/// Opens the window, with `file` loaded if given.
pub fn run_app(_file: Option<PathBuf>) -> ExitCode {
    eprintln!("the window is not built yet: use `wasmscope run` or `wasmscope inspect`");
    ExitCode::from(2)
}
