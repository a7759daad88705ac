//! Hostile files, as a tester who wants out of the sandbox would make them: each test does
//! what such a tester did and asserts what a user sees (an exit status, a message).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

#[path = "hostile_files/precompiled.rs"]
mod precompiled;
