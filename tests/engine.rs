//! Each sample's outcome through the engine API (runner thread + events).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

use std::time::{Duration, Instant};

use common::{PROMPT, run_sample, run_wasm, sample, short_timeout};
use wasmscope::engine::{self, DirGrant, Entry, Resource, RunOutcome, SandboxPolicy, StdinSource};
use wasmscope::runner;

fn trap_code(outcome: &RunOutcome) -> &str {
    match outcome {
        RunOutcome::Trapped { trap } => &trap.code,
        other => panic!("expected a trap, got {other:?}"),
    }
}

#[test]
fn hello_prints_and_exits_zero() {
    let ran = run_sample("hello", SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert_eq!(ran.stdout, "Hello from the sandbox!\n");
    assert_eq!(ran.report.stats.stdout_bytes, ran.stdout.len() as u64);
    assert!(ran.report.stats.peak_memory_bytes >= 65536);
}

#[test]
fn second_run_of_same_module_comes_from_the_cache() {
    let policy = SandboxPolicy {
        max_wasm_stack_bytes: 384 * 1024,
        ..SandboxPolicy::default()
    };
    let first = run_sample("exit_code", policy.clone());
    let second = run_sample("exit_code", policy);
    assert!(!first.report.stats.compile_cached);
    assert!(second.report.stats.compile_cached);
}

#[test]
fn args_and_env_reach_the_guest_only_when_granted() {
    let policy = SandboxPolicy {
        args: vec!["one".into(), "two words".into()],
        env: vec![("GREETING".into(), "hi".into())],
        ..SandboxPolicy::default()
    };
    let ran = run_sample("args_env", policy);
    assert!(ran.stdout.contains("arg[0]=args_env.wat"), "{}", ran.stdout);
    assert!(ran.stdout.contains("arg[2]=two words"), "{}", ran.stdout);
    assert!(ran.stdout.contains("env: GREETING=hi"), "{}", ran.stdout);

    let bare = run_sample("args_env", SandboxPolicy::default());
    assert!(
        bare.stdout.contains("no environment variables granted"),
        "{}",
        bare.stdout
    );
}

#[test]
fn read_file_reads_through_a_read_only_preopen() {
    let policy = SandboxPolicy {
        dirs: vec![DirGrant {
            host_path: sample("hello").parent().unwrap().join("data"),
            guest_path: "/data".into(),
            read_only: true,
            scratch: false,
        }],
        ..SandboxPolicy::default()
    };
    let ran = run_sample("read_file", policy);
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert!(
        ran.stdout.contains("This file lives on the host"),
        "{}",
        ran.stdout
    );
}

#[test]
fn read_file_without_a_directory_fails_inside_the_guest() {
    let ran = run_sample("read_file", SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 1 });
    assert!(
        ran.stderr.contains("cannot open hello.txt"),
        "{}",
        ran.stderr
    );
}

fn dir_policy(dir: &std::path::Path, read_only: bool) -> SandboxPolicy {
    SandboxPolicy {
        dirs: vec![DirGrant {
            host_path: dir.to_owned(),
            guest_path: "/data".into(),
            read_only,
            scratch: false,
        }],
        ..SandboxPolicy::default()
    }
}

#[test]
fn read_only_preopen_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_sample("write_file", dir_policy(dir.path(), true));
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 1 });
    assert!(
        ran.stderr.contains("cannot write out.txt"),
        "{}",
        ran.stderr
    );
    assert!(!dir.path().join("out.txt").exists());
}

#[test]
fn read_write_preopen_accepts_writes() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_sample("write_file", dir_policy(dir.path(), false));
    assert_eq!(
        ran.report.outcome,
        RunOutcome::Exited { code: 0 },
        "{}",
        ran.stderr
    );
    let written = std::fs::read_to_string(dir.path().join("out.txt")).unwrap();
    assert_eq!(written, "written by the guest\n");
}

#[test]
fn escape_attempts_escape_nothing() {
    let outer = tempfile::tempdir().unwrap();
    let inner = outer.path().join("granted");
    std::fs::create_dir(&inner).unwrap();
    std::fs::write(outer.path().join("victim"), "outside").unwrap();
    let ran = run_sample("escape_attempts", dir_policy(&inner, false));
    assert!(ran.stdout.contains("escaped: 0"), "{}", ran.stdout);
    assert!(!ran.stdout.contains("ESCAPED"), "{}", ran.stdout);
    assert!(ran.stdout.matches("DENIED").count() >= 5, "{}", ran.stdout);
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    // Nothing changed outside the preopen.
    assert!(outer.path().join("victim").exists());
    assert!(!outer.path().join("escaped_dir").exists());
}

#[test]
fn timeout_stops_a_cpu_bound_loop() {
    let started = Instant::now();
    let ran = run_sample("infinite_loop", short_timeout(200));
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 200 });
    assert!(started.elapsed() < PROMPT);
    assert!(ran.report.stats.wall_ms >= 200);
}

#[test]
fn timeout_stops_a_guest_blocked_in_a_host_call() {
    let ran = run_sample("sleep_forever", short_timeout(200));
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 200 });
}

fn cancel_after(name: &str, delay: Duration) -> RunOutcome {
    let module = engine::load_file(&sample(name)).unwrap();
    let handle = runner::spawn(
        engine::RunRequest {
            name: module.name,
            wasm: module.wasm.into(),
            policy: SandboxPolicy {
                timeout_ms: None,
                ..SandboxPolicy::default()
            },
        },
        None,
    )
    .unwrap();
    std::thread::sleep(delay);
    handle.cancel();
    common::collect(handle).report.outcome
}

#[test]
fn cancel_stops_a_loop_and_a_sleeper() {
    assert_eq!(
        cancel_after("infinite_loop", Duration::from_millis(150)),
        RunOutcome::Cancelled
    );
    assert_eq!(
        cancel_after("sleep_forever", Duration::from_millis(150)),
        RunOutcome::Cancelled
    );
}

#[test]
fn fuel_runs_out_and_is_counted() {
    let policy = SandboxPolicy {
        fuel: Some(50_000),
        ..SandboxPolicy::default()
    };
    let ran = run_sample("infinite_loop", policy);
    assert_eq!(
        ran.report.outcome,
        RunOutcome::FuelExhausted { fuel: 50_000 }
    );
    assert_eq!(ran.report.stats.fuel_consumed, Some(50_000));
}

#[test]
fn memory_hog_is_denied_and_the_denial_is_reported_before_the_trap() {
    let policy = SandboxPolicy {
        max_memory_bytes: 8 << 20,
        ..SandboxPolicy::default()
    };
    let ran = run_sample("memory_hog", policy);
    assert_eq!(trap_code(&ran.report.outcome), "MemoryOutOfBounds");
    assert!(
        ran.stdout.contains("memory.grow refused after"),
        "{}",
        ran.stdout
    );
    let denied = &ran.report.memory_denied;
    assert!(!denied.is_empty());
    assert_eq!(denied[0].resource, Resource::Memory);
    assert!(denied[0].desired > 8 << 20 && denied[0].limit == 8 << 20);
    assert!(ran.report.stats.peak_memory_bytes <= 8 << 20);
    assert!(ran.growths.iter().any(|(_, allowed)| !allowed));
    assert!(ran.growths.iter().any(|(_, allowed)| *allowed));
}

#[test]
fn trap_on_grow_failure_traps_at_the_denied_growth() {
    let policy = SandboxPolicy {
        max_memory_bytes: 4 << 20,
        trap_on_grow_failure: true,
        ..SandboxPolicy::default()
    };
    let ran = run_sample("memory_hog", policy);
    assert_eq!(trap_code(&ran.report.outcome), "GrowthDenied");
    assert!(
        !ran.stdout.contains("refused"),
        "the guest never saw -1: {}",
        ran.stdout
    );
}

#[test]
fn table_cap_holds_against_a_table_grow_bomb() {
    let policy = SandboxPolicy {
        max_table_elements: 50_000,
        ..SandboxPolicy::default()
    };
    let ran = run_sample("table_hog", policy);
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    let line = ran
        .stdout
        .lines()
        .find(|l| l.contains("table.grow refused after"))
        .expect("message");
    let elements: u64 = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .next()
        .unwrap();
    assert!(elements <= 50_000, "{line}");
    assert!(
        ran.report
            .memory_denied
            .iter()
            .any(|d| d.resource == Resource::Table)
    );
}

#[test]
fn stack_overflow_is_classified() {
    let ran = run_sample("stack_overflow", SandboxPolicy::default());
    assert_eq!(trap_code(&ran.report.outcome), "StackOverflow");
}

#[test]
fn each_trap_kind_is_named_with_a_backtrace() {
    let cases = [
        ("div0", "IntegerDivisionByZero"),
        ("unreachable", "UnreachableCodeReached"),
        ("oob", "MemoryOutOfBounds"),
        ("indirect", "BadSignature"),
        ("overflow", "IntegerOverflow"),
        ("null", "IndirectCallToNull"),
    ];
    for (arg, code) in cases {
        let policy = SandboxPolicy {
            args: vec![arg.into()],
            ..SandboxPolicy::default()
        };
        let ran = run_sample("traps", policy);
        let RunOutcome::Trapped { trap } = &ran.report.outcome else {
            panic!("{arg}: expected a trap, got {:?}", ran.report.outcome);
        };
        assert_eq!(trap.code, code, "{arg}");
        assert!(trap.frames.len() >= 2, "{arg}: {:?}", trap.frames);
        assert!(
            trap.frames.iter().all(|f| f.module_offset.is_some()),
            "{arg}"
        );
        assert!(
            trap.frames.iter().any(|f| f.func_name.is_some()),
            "{arg}: frames carry names from the name section: {:?}",
            trap.frames
        );
    }
    let usage = run_sample("traps", SandboxPolicy::default());
    assert_eq!(usage.report.outcome, RunOutcome::Exited { code: 2 });
    assert!(usage.stderr.contains("usage: traps"));
}

#[test]
fn exit_code_flows_through() {
    let ran = run_sample("exit_code", SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 42 });
    assert_eq!(ran.report.exit_code, Some(42));
}

#[test]
fn stdout_flood_arrives_whole_and_in_order() {
    let policy = SandboxPolicy {
        args: vec!["40".into()],
        ..SandboxPolicy::default()
    };
    let ran = run_sample("stdout_flood", policy);
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert!(ran.stdout.len() >= 40 * 64 * 1024, "{}", ran.stdout.len());
    assert_eq!(ran.report.stats.stdout_bytes, ran.stdout.len() as u64);
}

#[test]
fn missing_imports_are_all_listed_before_running() {
    let ran = run_sample("missing_import", SandboxPolicy::default());
    let RunOutcome::Failed { error, unresolved } = &ran.report.outcome else {
        panic!("expected failed, got {:?}", ran.report.outcome);
    };
    assert!(error.contains("3 imports cannot be satisfied"), "{error}");
    let names: Vec<_> = unresolved.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, vec!["host_magic", "shared_mem", "fd_write"]);
}

#[test]
fn reactor_functions_are_invoked_with_typed_arguments() {
    let invoke = |name: &str, args: &[&str]| {
        run_sample(
            "reactor",
            SandboxPolicy {
                entry: Entry::Invoke {
                    name: name.into(),
                    args: args.iter().map(|a| a.to_string()).collect(),
                },
                ..SandboxPolicy::default()
            },
        )
        .report
    };
    assert_eq!(invoke("add", &["2", "3"]).results, vec!["5"]);
    assert_eq!(
        invoke("mul64", &["4294967296", "3"]).results,
        vec!["12884901888"]
    );
    assert_eq!(invoke("scale", &["1.5", "2"]).results, vec!["3"]);
    // `_initialize` ran first: the counter starts at 100.
    assert_eq!(invoke("counter", &[]).results, vec!["100"]);

    let RunOutcome::Failed { error, .. } = invoke("add", &["2"]).outcome else {
        panic!("wrong arity must fail");
    };
    assert!(error.contains("takes 2 arguments"), "{error}");
    let RunOutcome::Failed { error, .. } = invoke("add", &["two", "3"]).outcome else {
        panic!("a bad number must fail");
    };
    assert!(error.contains("`two` is not an integer"), "{error}");
    let RunOutcome::Failed { error, .. } = invoke("nope", &[]).outcome else {
        panic!("an unknown export must fail");
    };
    assert!(
        error.contains("no function named `nope`") && error.contains("add"),
        "{error}"
    );
}

#[test]
fn reactor_without_invoke_says_how_to_call_it() {
    let ran = run_sample("reactor", SandboxPolicy::default());
    let RunOutcome::Failed { error, .. } = &ran.report.outcome else {
        panic!("expected failed, got {:?}", ran.report.outcome);
    };
    assert!(
        error.contains("reactor") && error.contains("--invoke"),
        "{error}"
    );
}

#[test]
fn stdin_bytes_reach_the_guest() {
    // cat: copy stdin to stdout.
    let wasm = wat::parse_str(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (func (export "_start")
              (i32.store (i32.const 0) (i32.const 100))
              (i32.store (i32.const 4) (i32.const 1000))
              (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
              (i32.store (i32.const 4) (i32.load (i32.const 8)))
              (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    )
    .unwrap();
    let policy = SandboxPolicy {
        stdin: StdinSource::Bytes(b"piped in".to_vec()),
        ..SandboxPolicy::default()
    };
    let ran = run_wasm("cat", wasm.clone(), policy);
    assert_eq!(ran.stdout, "piped in");
    let empty = run_wasm("cat", wasm, SandboxPolicy::default());
    assert_eq!(empty.stdout, "");
}

#[test]
fn huge_initial_memory_fails_to_instantiate_with_the_cap_named() {
    let wasm = wat::parse_str(r#"(module (memory 20000) (func (export "_start")))"#).unwrap();
    let ran = run_wasm("huge", wasm, SandboxPolicy::default());
    let RunOutcome::Failed { error, .. } = &ran.report.outcome else {
        panic!("expected failed, got {:?}", ran.report.outcome);
    };
    assert!(error.contains("cannot instantiate"), "{error}");
    assert_eq!(ran.report.memory_denied.len(), 1);
}

#[test]
fn missing_preopen_directory_is_a_clear_error() {
    let policy = dir_policy(std::path::Path::new("/definitely/not/here"), true);
    let ran = run_sample("hello", policy);
    let RunOutcome::Failed { error, .. } = &ran.report.outcome else {
        panic!("expected failed, got {:?}", ran.report.outcome);
    };
    assert!(
        error.contains("/definitely/not/here") && error.contains("does not exist"),
        "{error}"
    );
}

fn failed_error(wasm: Vec<u8>) -> String {
    match run_wasm("bad", wasm, SandboxPolicy::default())
        .report
        .outcome
    {
        RunOutcome::Failed { error, .. } => error,
        other => panic!("expected failed, got {other:?}"),
    }
}

#[test]
fn bad_modules_fail_with_clear_messages() {
    let good = wat::parse_str(r#"(module (func (export "_start") (drop (i32.const 1))))"#).unwrap();
    assert!(failed_error(good[..good.len() - 4].to_vec()).contains("invalid module"));
    // A code section whose body is not valid code: the parser passes it, the compiler not.
    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last - 1] = 0xff;
    let error = failed_error(corrupt);
    assert!(error.contains("invalid module"), "{error}");
    let component = wat::parse_str("(component)").unwrap();
    assert!(failed_error(component).contains("component"));
}

#[test]
fn bad_files_are_refused_on_load() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.wasm", b"", "is empty"),
        ("elf.wasm", b"\x7fELF\x02\x01\x01\0", "ELF"),
        ("notes.wat", b"just some words", "neither a binary module"),
        (
            "broken.wat",
            b"(module (func $f (result i32) i32.const))",
            "broken.wat:1:",
        ),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let error = engine::load_file(&path).unwrap_err().to_string();
        assert!(error.contains(expected), "{name}: {error}");
    }
    let error = engine::load_file(dir.path()).unwrap_err().to_string();
    assert!(error.contains("is a directory"), "{error}");
    let error = engine::load_file(&dir.path().join("missing.wasm"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("no such file"), "{error}");
}

#[test]
fn inspect_reads_every_sample() {
    for entry in std::fs::read_dir(sample("hello").parent().unwrap()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wat") {
            let module = engine::load_file(&path).unwrap();
            let info = engine::inspect(&module.wasm);
            assert_eq!(
                info.kind,
                engine::ModuleKind::CoreModule,
                "{}",
                path.display()
            );
            assert!(
                info.wasi
                    .interfaces
                    .contains(&"wasi_snapshot_preview1".to_owned())
                    || info.imports.is_empty(),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn a_guest_waiting_on_a_full_output_channel_still_times_out() {
    // Nobody reads the events for a second: the channel fills, the guest waits on it, and
    // the timeout must still end the run (host memory stays bounded meanwhile).
    let module = engine::load_file(&sample("stdout_flood")).unwrap();
    let handle = runner::spawn(
        engine::RunRequest {
            name: module.name,
            wasm: module.wasm.into(),
            policy: SandboxPolicy {
                args: vec!["100000".into()],
                ..short_timeout(300)
            },
        },
        None,
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    let queued = handle.events.len();
    assert!(queued <= runner::EVENT_CAPACITY, "{queued}");
    let ran = common::collect(handle);
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 300 });
    // What the guest wrote is what arrived: nothing silently lost.
    assert_eq!(ran.report.stats.stdout_bytes, ran.stdout.len() as u64);
    assert!(ran.stdout.len() < 100_000 * 65536);
}

#[test]
fn a_smaller_wasm_stack_overflows_sooner() {
    // Recurses forever, printing a dot every 100 levels: the dots measure the depth reached.
    let wasm = wat::parse_str(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 1)
            (data (i32.const 16) ".")
            (func $deep (param $n i32) (result i32)
              (if (i32.eqz (i32.rem_u (local.get $n) (i32.const 100)))
                (then
                  (i32.store (i32.const 0) (i32.const 16))
                  (i32.store (i32.const 4) (i32.const 1))
                  (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
              (i32.add (i32.const 1) (call $deep (i32.add (local.get $n) (i32.const 1)))))
            (func (export "_start") (drop (call $deep (i32.const 1)))))"#,
    )
    .unwrap();
    let depth = |stack_bytes| {
        let ran = run_wasm(
            "deep",
            wasm.clone(),
            SandboxPolicy {
                max_wasm_stack_bytes: stack_bytes,
                ..SandboxPolicy::default()
            },
        );
        assert_eq!(trap_code(&ran.report.outcome), "StackOverflow");
        ran.stdout.len()
    };
    let small = depth(64 * 1024);
    let large = depth(1024 * 1024);
    assert!(
        small > 0 && large > 4 * small,
        "small {small}, large {large}"
    );
}

fn logged(name: &str, policy: SandboxPolicy) -> common::Ran {
    run_sample(
        name,
        SandboxPolicy {
            log_calls: true,
            ..policy
        },
    )
}

fn denial_of<'a>(ran: &'a common::Ran, function: &str) -> Vec<&'a str> {
    ran.report
        .denials
        .iter()
        .filter(|c| c.function == function)
        .filter_map(|c| c.denial.as_deref())
        .collect()
}

#[test]
fn capability_log_explains_each_escape_attempt() {
    let outer = tempfile::tempdir().unwrap();
    let inner = outer.path().join("granted");
    std::fs::create_dir(&inner).unwrap();
    let ran = logged("escape_attempts", dir_policy(&inner, false));
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    let open = ran
        .report
        .calls
        .iter()
        .find(|c| c.function == "path_open" && c.args.contains("../etc/passwd"))
        .expect("the log decodes the path");
    assert!(open.args.starts_with("fd=3 (/data)"), "{}", open.args);
    assert_eq!(open.result, "perm");
    assert_eq!(
        open.denial.as_deref(),
        Some("path outside every preopened directory")
    );
    let opens = denial_of(&ran, "path_open");
    assert!(
        opens.iter().any(|d| d.starts_with("absolute path")),
        "{opens:?}"
    );
    assert!(
        denial_of(&ran, "path_symlink")
            .contains(&"a symlink pointing outside the preopened directory")
    );
    assert!(
        denial_of(&ran, "path_create_directory")
            .contains(&"path outside every preopened directory")
    );
    // Identical consecutive writes are one record with a count.
    assert!(
        ran.report
            .calls
            .iter()
            .any(|c| c.function == "fd_write" && c.count > 1)
    );
    assert!(ran.report.calls_total > ran.report.calls.len() as u64);
    assert_eq!(
        ran.report.calls.last().map(|c| c.result.as_str()),
        Some("exit(0)")
    );
}

#[test]
fn capability_log_explains_read_only_and_missing_grants() {
    let dir = tempfile::tempdir().unwrap();
    let ran = logged("write_file", dir_policy(dir.path(), true));
    assert_eq!(
        denial_of(&ran, "path_open"),
        vec!["write on a read-only directory"]
    );

    let ran = logged("read_file", SandboxPolicy::default());
    assert_eq!(
        denial_of(&ran, "path_open"),
        vec!["no directory granted at all: the guest has no filesystem"]
    );

    // An empty environment is an answer, not a refusal (#13, item 3).
    let ran = logged("args_env", SandboxPolicy::default());
    assert_eq!(denial_of(&ran, "environ_sizes_get"), Vec::<&str>::new());
    let ran = logged(
        "args_env",
        SandboxPolicy {
            env: vec![("A".into(), "1".into())],
            ..SandboxPolicy::default()
        },
    );
    assert!(ran.report.denials.is_empty(), "{:?}", ran.report.denials);
}

#[test]
fn capability_log_is_off_unless_asked_and_streams_when_on() {
    let ran = run_sample("hello", SandboxPolicy::default());
    assert!(ran.report.calls.is_empty() && ran.report.calls_total == 0);
    let module = engine::load_file(&sample("hello")).unwrap();
    let handle = runner::spawn(
        engine::RunRequest {
            name: module.name,
            wasm: module.wasm.into(),
            policy: SandboxPolicy {
                log_calls: true,
                ..SandboxPolicy::default()
            },
        },
        None,
    )
    .unwrap();
    let mut live = Vec::new();
    let report = handle.wait_with(|event| {
        if let engine::RunEvent::Call(record) = event {
            live.push(record.function.clone());
        }
    });
    assert_eq!(live, vec!["fd_write"]);
    assert_eq!(report.calls.len(), 1);
    assert_eq!(report.outcome, RunOutcome::Exited { code: 0 });
}

#[test]
fn resource_samples_arrive_at_a_bounded_rate() {
    // A loop that calls a function: wasmtime brings its fuel count up to date at calls.
    let wasm = wat::parse_str(
        r#"(module
            (memory (export "memory") 1)
            (global $n (mut i32) (i32.const 0))
            (func $step (global.set $n (i32.add (global.get $n) (i32.const 1))))
            (func (export "_start") (loop $l (call $step) (br $l))))"#,
    )
    .unwrap();
    let handle = runner::spawn(
        engine::RunRequest {
            name: "busy".into(),
            wasm: wasm.into(),
            policy: SandboxPolicy {
                fuel: Some(1_000_000_000_000),
                ..short_timeout(500)
            },
        },
        None,
    )
    .unwrap();
    let mut samples = Vec::new();
    let report = handle.wait_with(|event| {
        if let engine::RunEvent::Sample(sample) = event {
            samples.push(sample.clone());
        }
    });
    let interval = engine::events::SAMPLE_INTERVAL_MS;
    assert!(samples.len() >= 3, "{} samples", samples.len());
    assert!(
        samples.len() as u64 <= report.stats.wall_ms / interval + 2,
        "{} samples",
        samples.len()
    );
    assert!(
        samples
            .windows(2)
            .all(|w| w[1].at_ms >= w[0].at_ms + interval)
    );
    assert!(samples.iter().all(|s| s.memory_bytes == 65536));
    let fuel: Vec<u64> = samples.iter().map(|s| s.fuel_consumed.unwrap()).collect();
    assert!(
        fuel.windows(2).all(|w| w[1] > w[0]),
        "fuel used keeps growing: {fuel:?}"
    );
}

#[test]
fn a_trap_carries_a_coredump_the_fault_address_and_memory() {
    let ran = run_sample(
        "traps",
        SandboxPolicy {
            args: vec!["oob".into()],
            ..SandboxPolicy::default()
        },
    );
    let RunOutcome::Trapped { trap } = &ran.report.outcome else {
        panic!("{:?}", ran.report.outcome);
    };
    assert_eq!(trap.fault_address, Some(0xffff_fff0));
    let dump = ran.report.coredump.as_ref().expect("a coredump");
    let info = engine::inspect(dump);
    assert!(
        info.custom_sections.iter().any(|s| s.name == "core"),
        "{:?}",
        info.custom_sections
    );
    assert_eq!(ran.report.memory.as_ref().map(|m| m.len()), Some(65536));

    let hello = run_sample("hello", SandboxPolicy::default());
    assert!(hello.report.coredump.is_none());
    let memory = hello.report.memory.expect("memory at exit");
    assert!(memory.windows(23).any(|w| w == b"Hello from the sandbox!"));
}

#[test]
fn file_changes_are_reported_and_scratch_copies_keep_the_real_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("keep.txt"), "untouched").unwrap();
    let ran = run_sample("write_file", dir_policy(dir.path(), false));
    let changes = &ran.report.file_changes;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].guest_path, "/data");
    assert_eq!(
        changes[0].summary(),
        "wrote 21 B to /data: 1 created, 0 modified, 0 deleted"
    );
    std::fs::remove_file(dir.path().join("out.txt")).unwrap();

    let mut policy = dir_policy(dir.path(), false);
    policy.dirs[0].scratch = true;
    let ran = run_sample("write_file", policy);
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert!(
        !dir.path().join("out.txt").exists(),
        "the real folder is untouched"
    );
    let dir_changes = &ran.report.file_changes[0];
    assert!(dir_changes.scratch);
    let paths: Vec<_> = dir_changes
        .changes
        .iter()
        .map(|c| c.path.as_str())
        .collect();
    assert_eq!(paths, vec!["out.txt"], "copying alone changes nothing");
    let copy = ran.report.scratch[0].path().to_owned();
    assert!(copy.join("out.txt").exists());
    ran.report.scratch[0].apply().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.txt")).unwrap(),
        "written by the guest\n"
    );
    drop(ran);
    assert!(
        !copy.exists(),
        "dropping the report discards the scratch copy"
    );
}

#[test]
fn a_read_only_directory_reports_no_changes() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_sample("write_file", dir_policy(dir.path(), true));
    assert!(ran.report.file_changes.is_empty());
}

#[test]
fn a_trap_frame_leads_to_its_instruction() {
    let module = engine::load_file(&sample("traps")).unwrap();
    let cases = [
        ("div0", "i32.div_s"),
        ("oob", "i32.load"),
        ("unreachable", "unreachable"),
    ];
    let disassembly = engine::disasm::Disassembly::new(module.wasm.clone().into()).unwrap();
    for (arg, instruction) in cases {
        let ran = run_wasm(
            "traps",
            module.wasm.clone(),
            SandboxPolicy {
                args: vec![arg.into()],
                ..SandboxPolicy::default()
            },
        );
        let RunOutcome::Trapped { trap } = &ran.report.outcome else {
            panic!("{arg}: {:?}", ran.report.outcome);
        };
        let frame = &trap.frames[0];
        let offset = frame.module_offset.unwrap();
        assert_eq!(disassembly.function_at(offset), Some(frame.func_index));
        let lines = disassembly.function(frame.func_index);
        let at = engine::disasm::Disassembly::line_for_offset(&lines, offset).unwrap();
        assert!(
            lines[at].text.contains(instruction),
            "{arg}: {:?}",
            lines[at]
        );
        assert!(
            lines[0].text.contains(frame.func_name.as_deref().unwrap()),
            "{arg}: {:?}",
            lines[0]
        );
    }
}

#[test]
fn tenants_run_side_by_side_each_in_its_own_folder() {
    use wasmscope::engine::tenants;
    let root = tempfile::tempdir().unwrap();
    let base = SandboxPolicy {
        log_calls: true,
        ..SandboxPolicy::default()
    };
    let policies = tenants::tenant_policies(&base, 3, root.path()).unwrap();
    let module = engine::load_file(&sample("args_env")).unwrap();
    // All at once: one shared engine, one store each.
    let handles: Vec<_> = policies
        .into_iter()
        .map(|policy| {
            runner::spawn(
                engine::RunRequest {
                    name: module.name.clone(),
                    wasm: module.wasm.clone().into(),
                    policy,
                },
                None,
            )
            .unwrap()
        })
        .collect();
    let runs: Vec<_> = handles.into_iter().map(common::collect).collect();
    for (i, ran) in runs.iter().enumerate() {
        assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
        assert!(
            ran.stdout.contains(&format!("env: TENANT_ID={i}")),
            "{}",
            ran.stdout
        );
        assert!(root.path().join(format!("tenant-{i}")).is_dir());
    }
    let differences = tenants::compare(
        &runs[0].report,
        &runs[1].report,
        &runs[0].stdout,
        &runs[1].stdout,
    );
    let aspects: Vec<_> = differences.iter().map(|d| d.aspect.as_str()).collect();
    assert_eq!(
        aspects,
        vec!["stdout"],
        "only the tenant id differs: {differences:?}"
    );
}

#[test]
fn comparing_two_policies_highlights_what_the_directory_changed() {
    use wasmscope::engine::tenants;
    let data = sample("hello").parent().unwrap().join("data");
    let with_dir = logged(
        "read_file",
        SandboxPolicy {
            dirs: vec![DirGrant {
                host_path: data,
                guest_path: "/data".into(),
                read_only: true,
                scratch: false,
            }],
            ..SandboxPolicy::default()
        },
    );
    let without = logged("read_file", SandboxPolicy::default());
    let differences = tenants::compare(
        &with_dir.report,
        &without.report,
        &with_dir.stdout,
        &without.stdout,
    );
    let aspects: Vec<_> = differences.iter().map(|d| d.aspect.as_str()).collect();
    assert_eq!(
        aspects,
        vec!["outcome", "stdout", "stderr bytes", "denials"]
    );
    assert_eq!(differences[0].left, "exited with code 0");
    assert_eq!(differences[0].right, "exited with code 1");
    assert!(
        differences[3].right.contains("no directory granted at all"),
        "{:?}",
        differences[3]
    );
}
