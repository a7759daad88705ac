//! Ways around the sandbox that start before the guest or after it, tried as a hostile tester
//! would, through the `wasmscope` binary: what a user sees (exit status, message, memory).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;
#[path = "hostile_files/streams.rs"]
mod streams;
