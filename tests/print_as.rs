//! `wasmscope run --print-as RUNTIME`: each runtime's command form, pinned as the user sees it
//! on stdout (and what it cannot express on stderr), and the Rust program's shape per policy.
//! That the Rust program compiles and enforces its sandbox is `tests/embed_build.rs`.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::process::Output;

use crate::common;
use common::wasmscope;

/// `wasmscope run --print-as RUNTIME` with the flags every command test shares: a read-only
/// and a read-write folder, environment, a memory cap, a timeout, fuel and guest arguments.
fn print_as(runtime: &str) -> Output {
    wasmscope(&[
        "run",
        "--print-as",
        runtime,
        "--ro-dir",
        "./data::/data",
        "--dir",
        "/tmp/out dir::/out",
        "--env",
        "GREETING=hello world",
        "--max-memory",
        "64MiB",
        "--timeout",
        "2s",
        "--fuel",
        "1000000",
        "app.wasm",
        "one",
        "two words",
    ])
}

/// Stdout and stderr of a successful print, as text.
fn printed(out: Output) -> (String, String) {
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    (stdout, stderr)
}

#[test]
fn print_as_wasmtime() {
    let (stdout, stderr) = printed(print_as("wasmtime"));
    assert_eq!(
        stdout,
        "wasmtime run --dir '/tmp/out dir::/out' --dir ./data::/data \
         --env 'GREETING=hello world' -W max-memory-size=67108864 -W max-table-elements=100000 \
         -W timeout=2s -W fuel=1000000 app.wasm one 'two words' < /dev/null\n"
    );
    assert_eq!(
        stderr,
        "note: wasmtime's CLI has no read-only directories: the guest may change ./data there.\n"
    );
}

#[test]
fn print_as_wasmer() {
    let (stdout, stderr) = printed(print_as("wasmer"));
    assert_eq!(
        stdout,
        "wasmer run --volume '/tmp/out dir:/out' --volume ./data:/data \
         --env 'GREETING=hello world' app.wasm one 'two words' < /dev/null\n"
    );
    assert_eq!(
        stderr,
        "note: Wasmer's CLI has no read-only volumes: the guest may change ./data there.\n\
         note: Wasmer's CLI has no memory cap: the guest may grow each memory to the module's \
         own maximum, not 64.0 MiB.\n\
         note: Wasmer's CLI has no table cap: tables may grow past 100000 elements.\n\
         note: Wasmer's CLI has no timeout: the 2s limit is not enforced.\n\
         note: Wasmer's CLI has no fuel: the budget of 1000000 is not enforced.\n"
    );
}

#[test]
fn print_as_wasmedge() {
    let (stdout, stderr) = printed(print_as("wasmedge"));
    assert_eq!(
        stdout,
        "wasmedge --dir '/out:/tmp/out dir' --dir /data:./data:readonly \
         --env 'GREETING=hello world' --memory-page-limit 1024 --time-limit 2000 \
         --gas-limit 1000000 app.wasm one 'two words' < /dev/null\n"
    );
    assert_eq!(
        stderr,
        "note: WasmEdge's gas also costs about one unit per instruction, but not exactly as \
         wasmtime's fuel does: treat the gas limit as approximate.\n\
         note: WasmEdge's CLI has no table cap: tables may grow past 100000 elements.\n"
    );
}

#[test]
fn print_as_wazero() {
    let (stdout, stderr) = printed(print_as("wazero"));
    assert_eq!(
        stdout,
        "wazero run -mount '/tmp/out dir:/out' -mount ./data:/data:ro \
         -env 'GREETING=hello world' -timeout 2s app.wasm one 'two words' < /dev/null\n"
    );
    assert_eq!(
        stderr,
        "note: wazero's CLI has no memory cap: the guest may grow each memory to the module's \
         own maximum, not 64.0 MiB.\n\
         note: wazero's CLI has no table cap: tables may grow past 100000 elements.\n\
         note: wazero's CLI has no fuel: the budget of 1000000 is not enforced.\n"
    );
}

#[test]
fn print_as_wasmscope_reproduces_the_flags() {
    let (stdout, stderr) = printed(print_as("wasmscope"));
    assert_eq!(
        stdout,
        "wasmscope run --dir '/tmp/out dir::/out' --ro-dir ./data::/data \
         --env 'GREETING=hello world' --max-memory 64MiB --timeout 2s --fuel 1000000 \
         app.wasm one 'two words'\n"
    );
    // `wasmscope run` opens --dir before --ro-dir, as these flags were given: nothing to note.
    assert_eq!(stderr, "");
}

#[test]
fn print_as_an_unknown_runtime_is_a_usage_error() {
    let out = wasmscope(&["run", "--print-as", "node", "app.wasm"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid value 'node'"), "{stderr}");
    assert!(
        stderr.contains("wasmtime") && stderr.contains("rust"),
        "{stderr}"
    );
}

#[test]
fn print_as_does_not_run_the_module() {
    // A module that would loop forever: printing must return at once and print no output of it.
    let module = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/infinite_loop.wat");
    let (stdout, _) = printed(wasmscope(&[
        "run",
        "--print-as",
        "wasmtime",
        "--timeout",
        "0",
        module,
    ]));
    assert_eq!(
        stdout,
        format!(
            "wasmtime run -W max-memory-size=268435456 -W max-table-elements=100000 {module} < /dev/null\n"
        )
    );
}

#[test]
fn print_as_rust_writes_the_whole_sandbox() {
    let (program, stderr) = printed(print_as("rust"));
    assert_eq!(stderr, "");
    for line in [
        "//!     wasmtime = \"48\"",
        "//!     wasmtime-wasi = \"48\"",
        "const DEFAULT_MODULE: &str = \"app.wasm\";",
        "const DEFAULT_ARGS: &[&str] = &[\"one\", \"two words\"];",
        "const TIMEOUT: Duration = Duration::from_millis(2000);",
        "const FUEL: u64 = 1000000;",
        "    config.epoch_interruption(true);",
        "    config.consume_fuel(true);",
        "    let max_wasm_stack = 512 << 10;",
        "        .memory_size(64 << 20)",
        "        .table_elements(100000)",
        "    wasi.env(\"GREETING\", \"hello world\");",
        "    wasi.preopened_dir(\"./data\", \"/data\", FsPerms::ReadOnly)",
        "    wasi.preopened_dir(\"/tmp/out dir\", \"/out\", FsPerms::ReadWrite)",
        "    store.set_fuel(FUEL)?;",
        "    let ended = runtime.block_on(tokio::time::timeout(TIMEOUT, call(&mut store, &linker, &module)));",
        "        Some(Trap::Interrupt) => TIMED_OUT,",
        "        Some(Trap::OutOfFuel) => OUT_OF_FUEL,",
    ] {
        assert!(program.contains(line), "missing `{line}` in:\n{program}");
    }
    // The read-only grant's reason is said once, before the first read-only folder.
    assert_eq!(program.matches("// ReadOnly:").count(), 1, "{program}");
}

#[test]
fn print_as_rust_leaves_out_what_the_sandbox_does_not_use() {
    let (program, _) = printed(wasmscope(&[
        "run",
        "--print-as",
        "rust",
        "--timeout",
        "0",
        "app.wasm",
    ]));
    for absent in [
        "epoch",
        "TIMEOUT",
        "Duration",
        "fuel",
        "FUEL",
        "FsPerms",
        "wasi.env(",
        "stdin",
        "trap_on_grow_failure",
        "EXPORT",
        "Strategy",
    ] {
        assert!(
            !program.contains(absent),
            "`{absent}` should not be in:\n{program}"
        );
    }
    assert!(program.contains("let ended = runtime.block_on(call(&mut store, &linker, &module));"));
    assert!(
        program.contains("//! Exit status: the guest's exit code, 134 trapped, 126 could not run.")
    );
}

#[test]
fn print_as_rust_invokes_an_export_with_typed_arguments() {
    let stdin = tempfile::NamedTempFile::new().unwrap();
    let stdin_path = stdin.path().display().to_string();
    let (program, _) = printed(wasmscope(&[
        "run",
        "--print-as",
        "rust",
        "--invoke",
        "add",
        "--stdin",
        &stdin_path,
        "--argv0",
        "calc",
        "--trap-on-grow-failure",
        "--compiler",
        "winch",
        "--scratch-dir",
        "/srv/box::/box",
        "calc.wasm",
        "2",
        "-3",
    ]));
    for line in [
        "//!     wasmtime = { version = \"48\", features = [\"winch\"] }",
        "//! - No scratch copy of /srv/box: the guest changes the real folder.",
        "const DEFAULT_ARGS: &[&str] = &[\"2\", \"-3\"];",
        "const EXPORT: &str = \"add\";",
        &format!("const STDIN_FILE: &str = {stdin_path:?};"),
        "    config.strategy(wasmtime::Strategy::Winch);",
        "    wasi.arg(\"calc\");",
        "    wasi.stdin(InputFile::new(stdin));",
        "        .trap_on_grow_failure(true)",
        "    if let Some(init) = instance.get_func(&mut *store, \"_initialize\") {",
        "        ValType::I64 => Val::I64(arg.parse().with_context(context)?),",
    ] {
        assert!(program.contains(line), "missing `{line}` in:\n{program}");
    }
    // The words after the module are the function's, not the guest's.
    assert!(!program.contains("wasi.args("), "{program}");
}
