//! What a hostile tester tried against files and folders given to wasmscope: grants that
//! would hand the guest the host, scratch copies that widen permissions or outlive their run.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;
#[path = "hostile_files/grants.rs"]
mod grants;
