//! What a run reports beyond its outcome, through the engine API: the capability log,
//! resource samples, coredumps, file changes, trap frames, tenants side by side.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use common::{
    dir_policy, run_sample, run_sample_with, run_wasm_with, sample, short_timeout, with_args,
};
use wasmscope::engine::{self, DirGrant, Invocation, RunOutcome, SandboxPolicy};
use wasmscope::runner;

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
            precompiled: None,
            policy: SandboxPolicy {
                log_calls: true,
                ..SandboxPolicy::default()
            },
            invocation: Invocation::default(),
            info: None,
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
            precompiled: None,
            policy: SandboxPolicy {
                fuel: Some(1_000_000_000_000),
                ..short_timeout(500)
            },
            invocation: Invocation::default(),
            info: None,
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
    let ran = run_sample_with("traps", SandboxPolicy::default(), with_args(&["oob"]));
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
    let disassembly = engine::module::disasm::Disassembly::new(module.wasm.clone().into()).unwrap();
    for (arg, instruction) in cases {
        let ran = run_wasm_with(
            "traps",
            module.wasm.clone(),
            SandboxPolicy::default(),
            with_args(&[arg]),
        );
        let RunOutcome::Trapped { trap } = &ran.report.outcome else {
            panic!("{arg}: {:?}", ran.report.outcome);
        };
        let frame = &trap.frames[0];
        let offset = frame.module_offset.unwrap();
        assert_eq!(disassembly.function_at(offset), Some(frame.func_index));
        let lines = disassembly.function(frame.func_index);
        let at = engine::module::disasm::Disassembly::line_for_offset(&lines, offset).unwrap();
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
    use wasmscope::engine::run::tenants;
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
                    precompiled: None,
                    policy,
                    invocation: Invocation::default(),
                    info: None,
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
    use wasmscope::engine::run::tenants;
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
