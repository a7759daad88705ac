//! Each sample's outcome through the engine API (runner thread + events).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::time::{Duration, Instant};

use common::{
    PROMPT, dir_policy, run_sample, run_sample_with, run_wasm, run_wasm_with, sample,
    short_timeout, with_args,
};
use wasmscope::engine::{
    self, DirGrant, Entry, Invocation, Resource, RunOutcome, SandboxPolicy, StdinSource,
};
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
        env: vec![("GREETING".into(), "hi".into())],
        ..SandboxPolicy::default()
    };
    let invocation = common::with_args(&["one", "two words"]);
    let ran = run_sample_with("args_env", policy, invocation);
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
    common::cancel_after(name, delay).report.outcome
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
    let denied = &ran.report.denied_growths;
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
            .denied_growths
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
        let ran = run_sample_with("traps", SandboxPolicy::default(), with_args(&[arg]));
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
    let ran = run_sample_with("stdout_flood", SandboxPolicy::default(), with_args(&["40"]));
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
        run_sample_with(
            "reactor",
            SandboxPolicy::default(),
            Invocation {
                entry: Entry::Invoke {
                    name: name.into(),
                    args: args.iter().map(|a| a.to_string()).collect(),
                },
                ..Invocation::default()
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
    let invocation = Invocation {
        stdin: StdinSource::Bytes(b"piped in".to_vec()),
        ..Invocation::default()
    };
    let ran = run_wasm_with("cat", wasm.clone(), SandboxPolicy::default(), invocation);
    assert_eq!(ran.stdout, "piped in");
    // A file is read as the guest reads it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.txt");
    std::fs::write(&file, "from a file").unwrap();
    let from_file = |path: &std::path::Path| Invocation {
        stdin: StdinSource::File(path.to_owned()),
        ..Invocation::default()
    };
    let ran = run_wasm_with(
        "cat",
        wasm.clone(),
        SandboxPolicy::default(),
        from_file(&file),
    );
    assert_eq!(ran.stdout, "from a file");
    let missing = dir.path().join("missing.txt");
    let ran = run_wasm_with(
        "cat",
        wasm.clone(),
        SandboxPolicy::default(),
        from_file(&missing),
    );
    match &ran.report.outcome {
        RunOutcome::Failed { error, .. } => {
            assert!(error.contains("cannot open the stdin file"), "{error}");
            assert!(error.contains("missing.txt"), "{error}");
        }
        other => panic!("expected failed, got {other:?}"),
    }
    let empty = run_wasm("cat", wasm, SandboxPolicy::default());
    assert_eq!(empty.stdout, "");
}

/// A run that asks for no timeout and need not be stoppable anywhere (the command line with
/// `--timeout 0`) runs on an engine without epoch checks, with the same result; a
/// precompiled module, made with epoch checks, still loads and runs that way.
#[test]
fn runs_without_epoch_checks_behave_the_same() {
    use wasmscope::engine::sandbox::{self, EngineKey};
    let policy = SandboxPolicy {
        timeout_ms: None,
        ..SandboxPolicy::default()
    };
    let unstoppable = Invocation {
        stoppable: false,
        ..Invocation::default()
    };
    let key = EngineKey::for_run(&policy, &unstoppable, false);
    assert!(!key.epoch_checks);
    assert!(EngineKey::for_run(&policy, &Invocation::default(), false).epoch_checks);
    assert!(EngineKey::for_run(&short_timeout(1000), &unstoppable, false).epoch_checks);
    assert!(EngineKey::for_run(&policy, &unstoppable, true).epoch_checks);

    let ran = run_sample_with("hello", policy.clone(), unstoppable.clone());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert_eq!(ran.stdout, "Hello from the sandbox!\n");

    let wasm = engine::load_file(&sample("hello")).unwrap().wasm;
    let shared = sandbox::shared_engine(EngineKey::for_policy(&policy)).unwrap();
    let cwasm = shared.engine.precompile_module(&wasm).unwrap();
    let handle = wasmscope::runner::spawn(
        engine::RunRequest {
            name: "hello.cwasm".into(),
            wasm: std::sync::Arc::from(cwasm),
            precompiled: Some(engine::module::precompiled::Origin::Foreign),
            policy,
            invocation: unstoppable,
            info: None,
        },
        None,
    )
    .unwrap();
    let ran = common::collect(handle);
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert_eq!(ran.stdout, "Hello from the sandbox!\n");
}

#[test]
fn huge_initial_memory_fails_to_instantiate_with_the_cap_named() {
    let wasm = wat::parse_str(r#"(module (memory 20000) (func (export "_start")))"#).unwrap();
    let ran = run_wasm("huge", wasm, SandboxPolicy::default());
    let RunOutcome::Failed { error, .. } = &ran.report.outcome else {
        panic!("expected failed, got {:?}", ran.report.outcome);
    };
    assert!(error.contains("cannot instantiate"), "{error}");
    assert_eq!(ran.report.denied_growths.len(), 1);
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
            precompiled: None,
            policy: short_timeout(300),
            invocation: with_args(&["100000"]),
            info: None,
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

#[test]
fn profiling_a_debug_mode_run_is_refused_with_the_reason() {
    let module = engine::load_file(&sample("hello")).unwrap();
    let handle = runner::spawn(
        engine::RunRequest {
            name: module.name,
            wasm: module.wasm.into(),
            precompiled: None,
            policy: SandboxPolicy {
                debug: true,
                ..SandboxPolicy::default()
            },
            invocation: Invocation {
                profiler_interval_ms: Some(1),
                ..Invocation::default()
            },
            info: None,
        },
        None,
    )
    .unwrap();
    match common::collect(handle).report.outcome {
        RunOutcome::Failed { error, .. } => {
            assert!(error.contains("cannot be on together"), "{error}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
