//! Tells the tests whether the WASI conformance suite is at hand.
//!
//! `tests/conformance.rs` needs the wasi-testsuite (data kept outside this repository). When
//! `WASI_TESTSUITE_DIR` is set, or `../shared/wasi-testsuite` sits beside the repository, the
//! `wasi_testsuite` cfg is on and the test runs; otherwise `cargo test` lists it as ignored,
//! with the reason and how to run it, instead of failing on a clean clone or passing silently.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(wasi_testsuite)");
    println!("cargo::rerun-if-env-changed=WASI_TESTSUITE_DIR");
    println!("cargo::rerun-if-changed=build.rs");
    let from_env = std::env::var_os("WASI_TESTSUITE_DIR").is_some_and(|dir| !dir.is_empty());
    let beside = std::env::var_os("CARGO_MANIFEST_DIR")
        .is_some_and(|dir| Path::new(&dir).join("../shared/wasi-testsuite").is_dir());
    if from_env || beside {
        println!("cargo::rustc-cfg=wasi_testsuite");
    }
}
