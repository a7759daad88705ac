//! Hostile files, as a tester who wants out of the sandbox would make them: precompiled code
//! passed off as wasm, grants that would hand the guest the host, scratch copies that widen
//! permissions or outlive their run, stdin that never ends. Each test does what such a tester
//! did and asserts what a user sees (an exit status, a message, memory).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

#[path = "hostile_files/grants.rs"]
mod grants;
#[path = "hostile_files/inputs.rs"]
mod inputs;
#[path = "hostile_files/others.rs"]
mod others;
#[path = "hostile_files/own_files.rs"]
mod own_files;
#[path = "hostile_files/precompiled.rs"]
mod precompiled;
#[path = "hostile_files/streams.rs"]
mod streams;

/// One key folder for the whole test process (the key folder is process-wide).
fn process_key_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        wasmscope::engine::own_files::set_key_dir(dir.path().to_path_buf());
        dir
    })
    .path()
}
