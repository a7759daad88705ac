//! Hostile files, as a tester who wants out of the sandbox would make them: precompiled code
//! passed off as wasm, grants that would hand the guest the host, scratch copies that widen
//! permissions or outlive their run, stdin that never ends. Each test does what such a tester
//! did and asserts what a user sees (an exit status, a message, memory).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod grants;
mod inputs;
mod others;
mod own_files;
mod precompiled;
mod streams;
