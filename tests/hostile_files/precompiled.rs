//! Precompiled machine code handed to wasmscope as if it were a module: renamed, damaged, or
//! made by another tool. It runs only with `--allow-precompiled` (in the window, only after
//! "Load as native code"), and a changed byte is "damaged", never a crash.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;
use wasmscope::engine::module::precompiled::{self, CompiledFor, Origin, PrecompiledError, TagKey};
use wasmscope::engine::sandbox::{EngineKey, shared_engine};
use wasmscope::engine::{self, SandboxPolicy};

use crate::common::sample;

const HELLO: &str = "Hello from the sandbox!\n";

/// What `wasmscope run` says of precompiled code without the flag, for `file` as typed.
fn refusal(file: &Path) -> String {
    format!(
        "{} is precompiled machine code, not WebAssembly: it would run outside the sandbox. \
         Pass --allow-precompiled if you made it or trust it",
        file.display()
    )
}

/// `wasmscope ARGS` for a user whose data directory (and so whose key) is `data`: the CLI
/// follows `XDG_DATA_HOME` as the window's settings do.
fn wasmscope_with_data(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .env("XDG_DATA_HOME", data)
        .env("WASMSCOPE_NO_DISK_CACHE", "1")
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A user's folder with `hello.cwasm` that `wasmscope compile` wrote there; the user's data
/// directory is `data` in it.
fn compiled_hello() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cwasm = dir.path().join("hello.cwasm");
    let hello = sample("hello");
    let out = wasmscope_with_data(
        &dir.path().join("data"),
        &["compile", arg(&hello), "-o", arg(&cwasm)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (dir, cwasm)
}

fn data(dir: &TempDir) -> PathBuf {
    dir.path().join("data")
}

/// The bytes of the ELF section `.text` (the machine code) in a 64-bit little-endian ELF.
fn text_section(elf: &[u8]) -> Range<usize> {
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
    let (headers, size, count) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c));
    let header = |i: usize| headers + i * size;
    let names = u64_at(header(u16_at(0x3e)) + 24);
    (0..count)
        .map(header)
        .find(|&h| {
            let name = &elf[names + u32_at(h)..];
            name.starts_with(b".text\0")
        })
        .map(|h| u64_at(h + 24)..u64_at(h + 24) + u64_at(h + 32))
        .expect("a .text section")
}

#[test]
fn a_renamed_cwasm_is_refused_without_the_flag_and_runs_with_it() {
    let (dir, cwasm) = compiled_hello();
    // Named like wasm, tagged by this user's wasmscope: still native code.
    let evil = dir.path().join("evil.wasm");
    std::fs::copy(&cwasm, &evil).unwrap();
    // The same code without wasmscope's tag, as another tool with the same settings writes it.
    let bytes = std::fs::read(&cwasm).unwrap();
    let untagged = dir.path().join("plain.wasm");
    std::fs::write(
        &untagged,
        &bytes[..bytes.len() - precompiled::TRAILER_BYTES],
    )
    .unwrap();

    for file in [&evil, &untagged] {
        let out = wasmscope_with_data(&data(&dir), &["run", arg(file)]);
        assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(&refusal(file)),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "", "nothing ran");

        let out = wasmscope_with_data(&data(&dir), &["run", "--allow-precompiled", arg(file)]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), HELLO);
    }
}

#[test]
fn every_byte_flip_in_the_machine_code_is_refused_before_loading() {
    let dir = tempfile::tempdir().unwrap();
    let key = TagKey::load_or_create(dir.path()).unwrap();
    let engine_key = EngineKey::for_policy(&SandboxPolicy::default());
    let shared = shared_engine(engine_key).unwrap();
    let wasm = engine::load_file(&sample("hello")).unwrap().wasm;
    let image = shared.engine.precompile_module(&wasm).unwrap();
    let mut sealed = precompiled::seal(&key, image, CompiledFor::of(engine_key));
    assert_eq!(
        precompiled::classify("hello.cwasm", &sealed, Some(&key)).unwrap(),
        Some(Origin::Wasmscope(CompiledFor::of(engine_key)))
    );

    let code = text_section(&sealed);
    assert!(code.len() > 16, "{code:?}");
    for at in code {
        sealed[at] ^= 0xff;
        let classified = precompiled::classify("hello.cwasm", &sealed, Some(&key));
        assert!(
            matches!(classified, Err(PrecompiledError::Damaged { .. })),
            "a flip at {at:#x} was not refused: {classified:?}"
        );
        sealed[at] ^= 0xff;
    }
    // Restored, it loads and runs again: the refusals were the flips'.
    let origin = precompiled::classify("hello.cwasm", &sealed, Some(&key)).unwrap();
    assert!(origin.is_some());
}

#[test]
fn flipped_bytes_through_the_cli_are_damaged_never_a_crash() {
    let (dir, cwasm) = compiled_hello();
    let bytes = std::fs::read(&cwasm).unwrap();
    let code = text_section(&bytes);
    // Three bytes of the machine code, and the ELF header's class (the file then no longer
    // looks like wasmtime's at all).
    for at in [code.start, (code.start + code.end) / 2, code.end - 1, 4] {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0xff;
        let file = dir.path().join(format!("flip-{at:x}.cwasm"));
        std::fs::write(&file, damaged).unwrap();
        for command in ["run", "inspect"] {
            let out =
                wasmscope_with_data(&data(&dir), &[command, "--allow-precompiled", arg(&file)]);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(126), "{command} {at:#x}: {stderr}");
            assert!(
                stderr.contains("is damaged or not made by this wasmscope")
                    && !stderr.contains("ELF"),
                "{command} {at:#x}: {stderr}"
            );
        }
    }
}

#[test]
fn another_users_cwasm_is_refused_even_with_the_flag() {
    let (dir, cwasm) = compiled_hello();
    let someone_else = dir.path().join("other-user");
    let out = wasmscope_with_data(&someone_else, &["run", "--allow-precompiled", arg(&cwasm)]);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stderr).contains("hello.cwasm is damaged or not made by this wasmscope"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_cwasm_from_wasmtime_without_a_tag_needs_the_flag_and_names_the_real_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = engine::load_file(&sample("hello")).unwrap().wasm;
    // What `wasmtime compile` writes: wasmtime's defaults, no tag.
    let image = wasmtime::Engine::default()
        .precompile_module(&wasm)
        .unwrap();
    let file = dir.path().join("hello.cwasm");
    std::fs::write(&file, image).unwrap();

    let out = wasmscope_with_data(&data(&dir), &["run", arg(&file)]);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stderr).contains(&refusal(&file)),
        "{}",
        text(&out.stderr)
    );

    // Allowed, it still does not fit wasmscope's engine, and the reason is not the
    // architecture (it is the same one).
    let out = wasmscope_with_data(&data(&dir), &["run", "--allow-precompiled", arg(&file)]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(126), "{stderr}");
    assert!(
        stderr.contains("does not fit wasmscope's engine") && !stderr.contains("architecture"),
        "{stderr}"
    );

    // Without the flag, inspect says what it is and reads nothing of the code.
    let out = wasmscope_with_data(&data(&dir), &["inspect", arg(&file)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = stdout.lines().next().unwrap_or_default();
    assert!(first.contains("native code"), "{stdout}");
    assert!(
        stdout.contains("not made by wasmscope (no tag)"),
        "{stdout}"
    );
    assert!(stdout.contains("not loaded"), "{stdout}");
}

#[test]
fn inspect_says_native_code_on_its_first_line() {
    let (dir, cwasm) = compiled_hello();
    let out = wasmscope_with_data(&data(&dir), &["inspect", arg(&cwasm)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let first = stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("hello.cwasm: precompiled native code"),
        "{stdout}"
    );
    // wasmscope's own tagged output is read for its types.
    assert!(
        stdout.contains("fd_write") && stdout.contains("for cranelift"),
        "{stdout}"
    );

    let out = wasmscope_with_data(&data(&dir), &["inspect", "--json", arg(&cwasm)]);
    let json = text(&out.stdout);
    let first_field = json.lines().nth(1).unwrap_or_default();
    assert!(
        first_field
            .trim_start()
            .starts_with("\"native_code\": \"native machine code, not WebAssembly"),
        "{json}"
    );
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["kind"], "precompiled");
}

#[cfg(feature = "gui")]
mod window {
    //! The window: a precompiled file opened or dropped waits for "Load as native code".

    use std::path::{Path, PathBuf};
    use std::sync::Arc;

    use egui_kittest::kittest::Queryable;
    use wasmscope::engine::module::precompiled;
    use wasmscope::engine::sandbox::{EngineKey, shared_engine};
    use wasmscope::engine::{self, SandboxPolicy};

    use crate::common::ui::{
        DroppedPath, harness, load_as_native_code_and_run_hello, open, shows, shows_text, wait_for,
        wait_idle,
    };

    fn key_dir() -> &'static Path {
        crate::common::process_key_dir()
    }

    /// hello.wat precompiled and tagged with this process's key, as File ▸ Precompile… does.
    fn hello_cwasm(dir: &Path) -> PathBuf {
        key_dir();
        let key = EngineKey::for_policy(&SandboxPolicy::default());
        let shared = shared_engine(key).unwrap();
        let wasm = engine::load_file(&crate::common::sample("hello"))
            .unwrap()
            .wasm;
        let path = dir.join("hello.cwasm");
        std::fs::write(&path, precompiled::precompile(&shared, key, &wasm).unwrap()).unwrap();
        path
    }

    #[test]
    fn a_dropped_cwasm_is_not_loaded_and_cancel_keeps_the_open_module() {
        let dir = tempfile::tempdir().unwrap();
        let cwasm = hello_cwasm(dir.path());
        let mut harness = harness();
        open(&mut harness, "hello.wat");

        harness
            .input_mut()
            .dropped_files
            .push(Arc::new(DroppedPath(cwasm.clone())));
        wait_for(&mut harness, "Load as native code");
        wait_idle(&mut harness);
        assert_eq!(harness.state().module_name(), Some("hello.wat"));
        assert!(shows_text(
            &harness,
            "hello.cwasm is precompiled machine code, not WebAssembly: it would run outside \
             the sandbox"
        ));
        // Where it came from: path, size, when it changed, who made it.
        assert!(shows(&harness, &cwasm.display().to_string()));
        assert!(shows(&harness, "Modified"));
        assert!(shows_text(&harness, "KiB"));
        assert!(shows_text(&harness, "made by your wasmscope for cranelift"));

        harness.get_by_label("Cancel").click();
        harness.run_steps(2);
        assert!(!shows(&harness, "Load as native code"));
        assert_eq!(harness.state().module_name(), Some("hello.wat"));
        assert!(shows_text(&harness, "hello.cwasm was not loaded"));
    }

    #[test]
    fn load_as_native_code_opens_the_cwasm_and_runs_it() {
        let dir = tempfile::tempdir().unwrap();
        let cwasm = hello_cwasm(dir.path());
        let mut harness = harness();
        harness.state_mut().open_path(&cwasm);
        wait_for(&mut harness, "Load as native code");
        assert_eq!(harness.state().module_name(), None);

        load_as_native_code_and_run_hello(&mut harness);
    }
}
