//! The integration tests, in one test binary (each binary links the whole crate and wasmtime:
//! one binary instead of forty keeps a clean build's disk and link time small). Each module is a
//! feature's tests; `cargo test --test all travel::` runs one of them. Tests that measure the
//! process itself (threads, file descriptors, memory) keep their own binaries: `leaks`,
//! `compile_memory`; so does `fuzz_slice`, which keeps both cores compiling for most of a
//! minute and would starve the timed runs here.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

mod calllog;
mod cli;
mod compile_cache;
mod component;
mod conformance;
mod dap;
mod dap_client;
mod dap_lines;
mod debug;
mod embed_build;
mod engine;
mod engine_reports;
mod hostile;
mod hostile_files;
mod html_report;
mod last_words;
mod last_write;
mod lessons;
mod print_as;
mod profile;
mod profiler;
mod quota;
mod replay;
mod source_vars;
mod stopped;
mod tenants;
mod travel;
mod travel_clock;
mod ui;
mod ui_after_run;
mod ui_debug;
mod ui_grants;
mod ui_last_words;
mod ui_lessons;
mod ui_map;
mod ui_newcomer;
mod ui_profiler;
mod ui_replay;
mod ui_source_vars;
mod ui_travel;
