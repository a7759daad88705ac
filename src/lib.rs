//! wasmscope: a desktop explorer for WebAssembly sandboxes.
//!
//! Data flows one way: file -> [`engine::ModuleInfo`] (inspect) -> [`engine::SandboxPolicy`]
//! (what the user allows) -> [`runner`] (a worker thread) -> [`runner::RunEvent`] stream ->
//! a face (the CLI in [`cli`], or the GUI in `ui`). The engine never touches a terminal or
//! egui; the faces never touch a `Store`.

pub mod cli;
pub mod engine;
pub mod runner;
#[cfg(feature = "gui")]
pub mod ui;
