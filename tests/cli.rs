//! The `wasmscope` binary as a user runs it: output, messages, exit statuses, reports.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use common::{text, wasmscope};

use std::process::Command;

use common::sample;

fn path(name: &str) -> String {
    sample(name).display().to_string()
}

#[test]
fn run_hello_streams_stdout_and_exits_zero() {
    let out = wasmscope(&["run", &path("hello")]);
    assert_eq!(text(&out.stdout), "Hello from the sandbox!\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn guest_exit_code_is_the_exit_status() {
    let out = wasmscope(&["run", &path("exit_code")]);
    assert_eq!(out.status.code(), Some(42));
}

#[test]
fn trap_exits_134_and_shows_the_backtrace() {
    let out = wasmscope(&["run", &path("traps"), "div0"]);
    assert_eq!(out.status.code(), Some(134));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("trapped: integer divide by zero"),
        "{stderr}"
    );
    assert!(stderr.contains("wasm backtrace:"), "{stderr}");
    assert!(stderr.contains("divide_by_zero"), "{stderr}");
    // No host stack traces, even with RUST_BACKTRACE set.
    assert!(!stderr.contains("stack backtrace"), "{stderr}");
}

#[test]
fn a_trap_is_explained_in_the_words_the_window_shows() {
    let out = wasmscope(&["run", &path("traps"), "div0"]);
    let stderr = text(&out.stderr);
    // The window shows `TrapKind::explain` under the trap; the CLI prints it under the line.
    let explanation = wasmscope::engine::TrapKind::IntegerDivisionByZero.explain();
    assert!(explanation.contains("divisor of zero"), "{explanation}");
    let trap_line = stderr
        .lines()
        .position(|line| line.contains("trapped: integer divide by zero"))
        .unwrap_or_else(|| panic!("no trap line in {stderr}"));
    assert_eq!(
        stderr.lines().nth(trap_line + 1),
        Some(explanation),
        "{stderr}"
    );
}

#[test]
fn timeout_exits_124_with_both_spellings() {
    let out = wasmscope(&["run", "--timeout", "200ms", &path("infinite_loop")]);
    assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("timed out after 200ms"));
    let out = wasmscope(&["run", "-W", "timeout=200ms", &path("sleep_forever")]);
    assert_eq!(out.status.code(), Some(124), "{}", text(&out.stderr));
}

#[test]
fn timeout_and_fuel_say_what_happened_and_which_option_gives_more() {
    let out = wasmscope(&["run", "--timeout", "200ms", &path("infinite_loop")]);
    let stderr = text(&out.stderr);
    let outcome = stderr
        .lines()
        .position(|line| line.contains("timed out after 200ms"))
        .unwrap_or_else(|| panic!("no outcome line in {stderr}"));
    let explanation = stderr.lines().nth(outcome + 1).unwrap_or_default();
    assert!(
        explanation.contains("still running when the 200 ms timeout passed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("If it needs more, raise the timeout (--timeout)."),
        "{stderr}"
    );

    let out = wasmscope(&["run", "--fuel", "10000", &path("infinite_loop")]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("about 10000 wasm instructions, its whole fuel budget"),
        "{stderr}"
    );
    assert!(
        stderr.contains("raise the fuel budget (--fuel)"),
        "{stderr}"
    );
}

#[test]
fn fuel_exhaustion_exits_125() {
    let out = wasmscope(&["run", "--fuel", "10000", &path("infinite_loop")]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    let out = wasmscope(&["run", "-W", "fuel=10000", &path("infinite_loop")]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
}

#[test]
fn unresolved_imports_exit_126_listing_all_of_them() {
    let out = wasmscope(&["run", &path("missing_import")]);
    assert_eq!(out.status.code(), Some(126));
    let stderr = text(&out.stderr);
    for name in [
        "env::host_magic",
        "env::shared_mem",
        "wasi_snapshot_preview1::fd_write",
    ] {
        assert!(stderr.contains(name), "{name} missing from: {stderr}");
    }
}

#[test]
fn invoke_prints_results() {
    let out = wasmscope(&["run", "--invoke", "add", &path("reactor"), "2", "3"]);
    assert_eq!(text(&out.stdout), "5\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn memory_cap_spellings_are_equivalent() {
    for flags in [["--max-memory", "4MiB"], ["-W", "max-memory-size=4194304"]] {
        let out = wasmscope(&["run", flags[0], flags[1], &path("memory_hog")]);
        assert_eq!(out.status.code(), Some(134));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("refused after 3 MiB"),
            "{flags:?}: {stdout}"
        );
        let stderr = text(&out.stderr);
        assert!(stderr.contains("denied by the sandbox cap"), "{stderr}");
    }
}

#[test]
fn report_has_the_documented_keys() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = wasmscope(&[
        "run",
        "--report",
        report.to_str().unwrap(),
        &path("traps"),
        "oob",
    ]);
    assert_eq!(out.status.code(), Some(134));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["outcome"], "trapped");
    assert_eq!(json["trap"]["code"], "MemoryOutOfBounds");
    let frame = &json["trap"]["frames"][0];
    assert!(
        frame["func_index"].is_u64() && frame["module_offset"].is_u64(),
        "{frame}"
    );
    assert!(frame.get("func_name").is_some());
    for key in [
        "wall_ms",
        "compile_ms",
        "peak_memory_bytes",
        "fuel_consumed",
        "stdout_bytes",
        "stderr_bytes",
    ] {
        assert!(
            json["stats"].get(key).is_some(),
            "stats.{key} missing: {json}"
        );
    }
    assert!(json["memory_denied"].is_array());
    assert!(json.get("exit_code").is_some());
}

#[test]
fn dirs_env_and_args_follow_wasmtime_flags() {
    let dir = tempfile::tempdir().unwrap();
    let grant = format!("{}::/data", dir.path().display());
    let out = wasmscope(&["run", "--dir", &grant, &path("write_file")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.path().join("out.txt").exists());

    std::fs::remove_file(dir.path().join("out.txt")).unwrap();
    let out = wasmscope(&["run", "--ro-dir", &grant, &path("write_file")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("out.txt").exists());

    let out = Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args([
            "run",
            "--env",
            "FROM_HOST",
            "--env",
            "X=1",
            &path("args_env"),
            "-v",
            "two",
        ])
        .env("FROM_HOST", "copied")
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("env: FROM_HOST=copied") && stdout.contains("env: X=1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("arg[1]=-v") && stdout.contains("arg[2]=two"),
        "{stdout}"
    );
}

/// Regression (#20, item 6): a host folder whose name holds `::` could not be granted, and
/// `HOST::/d::` gave the guest a folder named `/d::`. The spec splits at the last `::`.
#[test]
fn a_host_folder_named_with_double_colons_can_be_granted() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("data::v2");
    std::fs::create_dir(&odd).unwrap();
    std::fs::write(odd.join("hello.txt"), "from a folder with colons\n").unwrap();
    let grant = format!("{}::/data", odd.display());
    let out = wasmscope(&["run", "--ro-dir", &grant, &path("read_file")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "from a folder with colons\n");

    let trailing = format!("{}::/data::", odd.display());
    let out = wasmscope(&["run", "--ro-dir", &trailing, &path("read_file")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("invalid directory"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_input_gets_a_message_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("picture.wasm");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap();
    let out = wasmscope(&["run", png.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("PNG image"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = wasmscope(&["run", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126));
    assert!(text(&out.stderr).contains("is a directory"));

    let out = wasmscope(&["run", "-W", "bogus=1", &path("hello")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown option `bogus`"));
}

#[test]
fn inspect_shows_capabilities_and_json() {
    let out = wasmscope(&["inspect", &path("read_file")]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("core module") && stdout.contains("command"),
        "{stdout}"
    );
    assert!(
        stdout.contains("this module can ask for:") && stdout.contains("files"),
        "{stdout}"
    );

    let out = wasmscope(&["inspect", "--json", &path("missing_import")]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["kind"], "core_module");
    assert_eq!(json["unresolved"].as_array().unwrap().len(), 3);

    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("t.wasm");
    std::fs::write(&truncated, b"\0asm\x01\0\0\0\x01\x05").unwrap();
    let out = wasmscope(&["inspect", truncated.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stdout).contains("byte offset"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn every_compiler_runs_the_same_module_the_same_way() {
    for compiler in ["cranelift", "winch", "pulley"] {
        let out = wasmscope(&["run", "--compiler", compiler, &path("traps"), "div0"]);
        assert_eq!(out.status.code(), Some(134), "{compiler}");
        assert!(
            text(&out.stderr).contains("divide_by_zero"),
            "{compiler}: {}",
            text(&out.stderr)
        );
        let out = wasmscope(&[
            "run",
            "--compiler",
            compiler,
            "--timeout",
            "200ms",
            &path("infinite_loop"),
        ]);
        assert_eq!(out.status.code(), Some(124), "{compiler}");
    }
    let out = wasmscope(&["run", "--compiler", "llvm", &path("hello")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("choose cranelift, winch or pulley"));
}

#[test]
fn precompiled_modules_run_and_refuse_a_mismatched_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let cwasm = dir.path().join("hello.cwasm");
    // The key that tags the output lives in the user's data directory: a temporary one here.
    let wasmscope = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_wasmscope"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .args(args)
            .output()
            .expect("the binary runs")
    };
    let out = wasmscope(&["compile", &path("hello"), "-o", cwasm.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = wasmscope(&["run", "--allow-precompiled", cwasm.to_str().unwrap()]);
    assert_eq!(
        text(&out.stdout),
        "Hello from the sandbox!\n",
        "{}",
        text(&out.stderr)
    );

    let out = wasmscope(&["inspect", cwasm.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("fd_write") && stdout.contains("made by your wasmscope for cranelift"),
        "{stdout}"
    );

    // Compiled without fuel metering: a run with fuel must say why it cannot use it.
    let out = wasmscope(&[
        "run",
        "--allow-precompiled",
        "--fuel",
        "1000",
        cwasm.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stderr).contains(
            "it was compiled for cranelift, and this run asks for cranelift with fuel metering"
        ),
        "{}",
        text(&out.stderr)
    );

    // A cut file (its tag gone with its second half) is refused with a reason.
    let mut damaged = std::fs::read(&cwasm).unwrap();
    let middle = damaged.len() / 2;
    damaged.truncate(middle);
    std::fs::write(&cwasm, damaged).unwrap();
    let out = wasmscope(&["run", "--allow-precompiled", cwasm.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("panicked"));
}

#[test]
fn log_calls_prints_the_capability_log_and_reports_denials() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.json");
    let out = wasmscope(&[
        "run",
        "--log-calls",
        "--report",
        report.to_str().unwrap(),
        &path("read_file"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            r#"path_open(fd=3 path="hello.txt" [read]) -> badf (8)  DENIED: no directory granted at all"#
        ),
        "{stderr}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(json["calls"].as_array().is_some_and(|c| !c.is_empty()));
    assert_eq!(json["denials"][0]["function"], "path_open");
    assert!(json["calls_total"].as_u64().unwrap() >= 2);
}

#[test]
fn coredump_is_written_on_trap() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("core.wasm");
    let out = wasmscope(&[
        "run",
        "--coredump",
        dump.to_str().unwrap(),
        &path("traps"),
        "oob",
    ]);
    assert_eq!(out.status.code(), Some(134));
    assert!(
        text(&out.stderr).contains("faulting address: 0xfffffff0"),
        "{}",
        text(&out.stderr)
    );
    let bytes = std::fs::read(&dump).unwrap();
    assert!(bytes.starts_with(b"\0asm"));
}

/// Regression (#13, item 9): `--report` was not written when the file could not be loaded,
/// so a script got exit 126 and no report to read.
#[test]
fn report_is_written_for_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.wasm");
    std::fs::write(&empty, b"").unwrap();
    let not_wasm = dir.path().join("notes.wasm");
    std::fs::write(&not_wasm, b"just some text, not a module\n").unwrap();
    let folder = dir.path().join("a_folder.wasm");
    std::fs::create_dir(&folder).unwrap();
    let missing = dir.path().join("missing.wasm");
    for (i, file) in [&empty, &not_wasm, &folder, &missing]
        .into_iter()
        .enumerate()
    {
        let report_path = dir.path().join(format!("report{i}.json"));
        let out = wasmscope(&[
            "run",
            "--report",
            report_path.to_str().unwrap(),
            file.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
        let report: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&report_path)
                .unwrap_or_else(|e| panic!("no report for {}: {e}", file.display())),
        )
        .unwrap();
        assert_eq!(report["outcome"], "failed", "{report}");
        let error = report["error"].as_str().unwrap();
        assert!(!error.is_empty(), "{report}");
        // The report says the same as the terminal.
        assert!(text(&out.stderr).contains(error), "{}", text(&out.stderr));
    }
}

#[test]
fn debug_mode_and_the_guest_profiler_are_exclusive_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("p.json");
    let out = wasmscope(&[
        "run",
        "--debug",
        "--profile-guest",
        &profile.display().to_string(),
        &path("hello"),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );
    assert!(!profile.exists());
}

/// Regression (#20, item 6): 100,000 `--env` flags took 37 s (each flag searched all the
/// ones before it). They now make the same environment as before, in one pass: the last of
/// repeated names counts, in the place it was given, and a flag replaces a profile's
/// variable of the same name.
#[test]
fn many_env_flags_keep_the_last_value_of_each_name_in_order() {
    use clap::Parser;
    use wasmscope::cli::{Cli, CliCommand, policy_from_args};
    const FLAGS: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("sandbox.toml");
    std::fs::write(
        &profile,
        "env = { SAME = \"profile\", KEPT = \"profile\" }\n",
    )
    .unwrap();
    let mut args: Vec<String> = vec![
        "wasmscope".into(),
        "run".into(),
        "--profile".into(),
        profile.display().to_string(),
    ];
    for i in 0..FLAGS {
        args.push("--env".into());
        // Every tenth flag sets `SAME` again; the others are all different.
        args.push(if i % 10 == 0 {
            format!("SAME={i}")
        } else {
            format!("V{i}={i}")
        });
    }
    args.push("m.wasm".into());
    let run = match Cli::try_parse_from(&args).unwrap().command {
        Some(CliCommand::Run(run)) => run,
        other => panic!("expected run, got {other:?}"),
    };
    let (policy, _) = policy_from_args(&run).unwrap();
    let env = &policy.env;
    assert_eq!(env.len(), 1 + FLAGS - FLAGS / 10 + 1);
    assert_eq!(env[0], ("KEPT".to_owned(), "profile".to_owned()));
    assert_eq!(env[1], ("V1".to_owned(), "1".to_owned()));
    // The last `SAME` flag, after every `V` flag given before it.
    let last_same = FLAGS - 10;
    let position = env.iter().position(|(name, _)| name == "SAME").unwrap();
    assert_eq!(position, 1 + last_same - last_same / 10);
    assert_eq!(env[position].1, last_same.to_string());
}

/// Issue #23: a refusal read aloud in a room names the errno by name and number and both
/// paths, the guest's and the host's; the link the sandbox let the guest make is called out.
#[test]
fn log_calls_names_both_paths_the_errno_and_the_link_that_prepares_an_escape() {
    let class = tempfile::tempdir().unwrap();
    let granted = class.path().join("box");
    std::fs::create_dir(&granted).unwrap();
    let host = class.path().display().to_string();
    let out = wasmscope(&[
        "run",
        "--log-calls",
        "--dir",
        &format!("{}::/box", granted.display()),
        &path("escape_attempts"),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    let dot_dot = format!(
        r#"path_open(fd=3 (/box) path="../etc/passwd" [read]) -> perm (63)  DENIED: path outside every preopened directory; guest "../etc/passwd" in /box leads to host {host}/etc/passwd, outside the granted {host}/box"#
    );
    assert!(stderr.contains(&dot_dot), "{stderr}");
    let made = r#"path_symlink(fd=3 (/box) path="rel_out" -> target="../..") -> success  NOTE: allowed here, refused when followed: the link "rel_out" in /box points to "../..", outside the granted folder"#;
    assert!(stderr.contains(made), "{stderr}");
    let followed = format!(
        r#"path_open(fd=3 (/box) path="rel_out/etc/passwd" [read]) -> perm (63)  DENIED: the path goes through a link this run made that points outside the granted folder: making the link was allowed, following it is refused; guest "rel_out/etc/passwd" in /box leads to host {}/etc/passwd"#,
        class.path().parent().unwrap().display()
    );
    assert!(stderr.contains(&followed), "{stderr}");
    // Arguments in full, never cut.
    assert!(
        stderr.contains(r#"path="../../../../etc/passwd" [read]) -> perm (63)"#),
        "{stderr}"
    );
}
