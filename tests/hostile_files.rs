//! Hostile files, as a tester who wants out of the sandbox would make them: precompiled code
//! passed off as wasm, grants that would hand the guest the host, scratch copies that widen
//! permissions or outlive their run, stdin that never ends. Each test does what such a tester
//! did and asserts what a user sees (an exit status, a message, memory).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

#[path = "hostile_files/grants.rs"]
mod grants;
#[path = "hostile_files/others.rs"]
mod others;
#[path = "hostile_files/precompiled.rs"]
mod precompiled;
#[path = "hostile_files/streams.rs"]
mod streams;
