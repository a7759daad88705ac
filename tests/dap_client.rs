//! `wasmscope dap` driven by VS Code's own test client (`@vscode/debugadapter-testsupport`,
//! installed by `.ci/run` with `npm ci --prefix tests/dap-client`): a whole session of
//! who_wrote_me.wat as VS Code runs one. SKIPPED when Node.js or the package is missing.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::path::Path;
use std::process::Command;

#[test]
fn a_whole_session_through_vs_codes_test_client() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dap-client");
    if !folder
        .join("node_modules/@vscode/debugadapter-testsupport")
        .is_dir()
    {
        eprintln!(
            "SKIPPED: run `npm ci --prefix tests/dap-client` to drive the adapter with VS Code's client"
        );
        return;
    }
    let out = match Command::new("node")
        .arg(folder.join("session.js"))
        .env("WASMSCOPE", env!("CARGO_BIN_EXE_wasmscope"))
        .env("PROGRAM", common::sample("who_wrote_me"))
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("SKIPPED: no node on this machine ({e})");
            return;
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ok: a whole session through VS Code's test client"),
        "{stdout}"
    );
}
