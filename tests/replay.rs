//! Recording a run and replaying it, through the command line as a user would.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use common::{text, wasmscope_reading};

use std::path::Path;
use std::process::Output;

use wasmscope::engine::record::recording::Recording;

/// Records `samples/replay_me.wat` with a folder, a variable and stdin; returns the run's
/// output and the recording's path (in `dir`). The folder is deleted afterwards.
fn record(dir: &Path, extra: &[&str]) -> (Output, std::path::PathBuf) {
    let data = dir.join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("hello.txt"), "file contents\n").unwrap();
    let stdin = dir.join("stdin.txt");
    std::fs::write(&stdin, "typed at the terminal").unwrap();
    let trace = dir.join("run.wstrace");
    let grant = format!("{}::/data", data.display());
    let sample = common::sample("replay_me");
    let mut args = vec![
        "run",
        "--record",
        trace.to_str().unwrap(),
        "--ro-dir",
        &grant,
        "--env",
        "NAME=you",
        "--stdin",
        "-",
    ];
    args.extend_from_slice(extra);
    args.push(sample.to_str().unwrap());
    let ran = wasmscope_reading(&args, Some(&stdin));
    std::fs::remove_dir_all(&data).unwrap();
    std::fs::remove_file(&stdin).unwrap();
    (ran, trace)
}

#[test]
fn a_replay_prints_the_same_bytes_with_the_folder_gone_and_nothing_granted() {
    let dir = tempfile::tempdir().unwrap();
    let (recorded, trace) = record(dir.path(), &[]);
    assert_eq!(
        recorded.status.code(),
        Some(0),
        "{}",
        text(&recorded.stderr)
    );
    let out = text(&recorded.stdout);
    assert!(out.contains("env: NAME=you"), "{out}");
    assert!(out.contains("file: file contents"), "{out}");
    assert!(out.contains("stdin: typed at the terminal"), "{out}");
    assert!(
        text(&recorded.stderr).contains("recorded the run to"),
        "{}",
        text(&recorded.stderr)
    );

    let report = dir.path().join("replay.json");
    let replayed = wasmscope_reading(
        &[
            "replay",
            trace.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}",
        text(&replayed.stderr)
    );
    assert_eq!(replayed.stdout, recorded.stdout, "byte for byte");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["outcome"], "exited");
    assert_eq!(json["replay"]["diverged"], false);
    let recorded_calls = json["replay"]["calls_recorded"].as_u64().unwrap();
    assert!(recorded_calls >= 8, "{json}");
    assert_eq!(json["replay"]["calls_replayed"], recorded_calls);

    // A second live run sees another random draw: the replay's equality is the recording's.
    let again = wasmscope_reading(
        &["run", common::sample("replay_me").to_str().unwrap()],
        None,
    );
    let random = |out: &[u8]| text(out).lines().next().unwrap().to_owned();
    assert_ne!(random(&again.stdout), random(&recorded.stdout));
}

#[test]
fn a_recording_edited_to_hold_another_result_diverges_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let (_, trace) = record(dir.path(), &[]);
    let mut recording = Recording::parse(&std::fs::read(&trace).unwrap()).unwrap();
    let calls = std::sync::Arc::make_mut(&mut recording.calls);
    let open = calls
        .calls
        .iter()
        .position(|c| calls.names[c.function as usize] == "path_open")
        .unwrap();
    // As if the file had not been there: the guest then reads stdin instead of the file.
    calls.calls[open].results[0] = 44;
    calls.calls[open].writes.clear();
    std::fs::write(&trace, recording.to_bytes()).unwrap();

    let replayed = wasmscope_reading(&["replay", trace.to_str().unwrap()], None);
    assert_eq!(replayed.status.code(), Some(126));
    let err = text(&replayed.stderr);
    assert!(
        err.contains(&format!("the replay diverged at call {}", open + 2)),
        "{err}"
    );
    assert!(err.contains("recorded fd_read("), "{err}");
}

#[test]
fn a_size_bound_cuts_the_recording_and_the_replay_says_the_rest_is_not_exact() {
    let dir = tempfile::tempdir().unwrap();
    let (recorded, trace) = record(dir.path(), &["--record-max", "100"]);
    assert_eq!(recorded.status.code(), Some(0), "the run goes on");
    let recording = Recording::parse(&std::fs::read(&trace).unwrap()).unwrap();
    let (at, max) = recording.calls.end.cut.expect("cut by the bound");
    assert_eq!(max, 100);
    assert_eq!(at, recording.calls.calls.len() as u64);

    let replayed = wasmscope_reading(&["replay", trace.to_str().unwrap()], None);
    assert_eq!(replayed.status.code(), Some(126));
    let err = text(&replayed.stderr);
    assert!(err.contains("size bound"), "{err}");
    // What was recorded replays exactly: the output starts the same.
    let first = text(&recorded.stdout).lines().next().unwrap().to_owned();
    assert!(text(&replayed.stdout).starts_with(&first));
}

#[test]
fn files_that_are_not_whole_recordings_are_named_and_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_, trace) = record(dir.path(), &[]);
    let bytes = std::fs::read(&trace).unwrap();

    let not_one = dir.path().join("hello.wstrace");
    std::fs::write(&not_one, b"(module)").unwrap();
    let out = wasmscope_reading(&["replay", not_one.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a wasmscope recording"));

    let truncated = dir.path().join("truncated.wstrace");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let out = wasmscope_reading(&["replay", truncated.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stderr).contains("truncated"),
        "{}",
        text(&out.stderr)
    );

    // Every truncation is an error, never a crash (in-process: one parse per length).
    for len in 0..bytes.len() {
        assert!(Recording::parse(&bytes[..len]).is_err(), "{len}");
    }

    let damaged = dir.path().join("damaged.wstrace");
    let mut flipped = bytes.clone();
    let module_at = flipped.windows(4).position(|w| w == b"\0asm").unwrap();
    flipped[module_at + 20] ^= 0xff;
    std::fs::write(&damaged, &flipped).unwrap();
    let out = wasmscope_reading(&["replay", damaged.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(126));
    assert!(
        text(&out.stderr).contains("SHA-256"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_recording_that_cannot_be_written_is_refused_before_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("no-such-dir").join("run.wstrace");
    let out = wasmscope_reading(
        &[
            "run",
            "--record",
            target.to_str().unwrap(),
            common::sample("hello").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).is_empty(), "the guest never ran");
    assert!(text(&out.stderr).contains("cannot write the recording"));
}

#[test]
fn a_trap_and_an_exit_replay_as_they_ended() {
    let dir = tempfile::tempdir().unwrap();
    for (sample, args, status) in [("traps", vec!["div0"], 134), ("exit_code", vec![], 42)] {
        let trace = dir.path().join(format!("{sample}.wstrace"));
        let path = common::sample(sample);
        let mut run = vec![
            "run",
            "--record",
            trace.to_str().unwrap(),
            path.to_str().unwrap(),
        ];
        run.extend(args.iter().copied());
        let recorded = wasmscope_reading(&run, None);
        let replayed = wasmscope_reading(&["replay", trace.to_str().unwrap()], None);
        assert_eq!(replayed.status.code(), recorded.status.code(), "{sample}");
        assert_eq!(replayed.stdout, recorded.stdout, "{sample}");
        if status == 134 {
            assert_eq!(recorded.status.code(), Some(134));
            let trap = |out: &Output| {
                text(&out.stderr)
                    .lines()
                    .find(|l| l.starts_with("wasmscope: trapped"))
                    .unwrap_or_default()
                    .to_owned()
            };
            assert_eq!(trap(&replayed), trap(&recorded));
        }
    }
}

/// Every sample that finishes on its own, recorded and replayed in the engine: the replay's
/// outcome (exit code, or trap kind with the same frames) and output are the recorded run's.
#[test]
fn every_sample_replays_to_the_same_outcome_and_output() {
    use wasmscope::engine::policy::ReplaySource;
    use wasmscope::engine::{Invocation, RunOutcome, SandboxPolicy};

    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/data");
    let box_dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<&str>, SandboxPolicy)> = vec![
        ("hello", vec![], SandboxPolicy::default()),
        (
            "args_env",
            vec!["one", "two words"],
            SandboxPolicy {
                env: vec![("GREETING".into(), "hi".into())],
                ..SandboxPolicy::default()
            },
        ),
        ("read_file", vec![], common::dir_policy(&data, true)),
        (
            "write_file",
            vec![],
            common::dir_policy(box_dir.path(), false),
        ),
        (
            "escape_attempts",
            vec![],
            common::dir_policy(box_dir.path(), false),
        ),
        ("memory_hog", vec![], SandboxPolicy::default()),
        ("table_hog", vec![], SandboxPolicy::default()),
        ("stack_overflow", vec![], SandboxPolicy::default()),
        ("traps", vec!["div0"], SandboxPolicy::default()),
        ("traps", vec!["oob"], SandboxPolicy::default()),
        ("exit_code", vec![], SandboxPolicy::default()),
        ("stdout_flood", vec![], SandboxPolicy::default()),
        ("debug_me", vec![], SandboxPolicy::default()),
        ("who_wrote_me", vec![], SandboxPolicy::default()),
        ("replay_me", vec![], common::dir_policy(&data, true)),
        ("infinite_loop", vec![], common::short_timeout(300)),
    ];
    for (sample, args, policy) in cases {
        let recording = Invocation {
            record_max_bytes: Some(64 << 20),
            ..common::with_args(&args)
        };
        let recorded = common::run_sample_with(sample, policy.clone(), recording);
        let bytes = recorded
            .report
            .recording
            .clone()
            .unwrap_or_else(|| panic!("{sample}: {:?}", recorded.report.recording_note));
        let parsed = Recording::parse(&bytes).unwrap();
        let replay = Invocation {
            replay: Some(ReplaySource(parsed.calls)),
            ..parsed.header.invocation.clone()
        };
        // Nothing granted: the replay must not need the folders, variables or arguments.
        let replayed = common::run_wasm_with(
            &parsed.header.module_name,
            parsed.module.to_vec(),
            SandboxPolicy {
                dirs: parsed.header.policy.dirs.clone(),
                ..parsed.header.policy.clone()
            },
            replay,
        );
        let frames = |outcome: &RunOutcome| match outcome {
            RunOutcome::Trapped { trap } => trap
                .frames
                .iter()
                .map(|f| (f.func_index, f.module_offset))
                .collect(),
            _ => Vec::new(),
        };
        assert_eq!(
            replayed.report.outcome.name(),
            recorded.report.outcome.name(),
            "{sample} {args:?}: {}",
            replayed.report.outcome.summary()
        );
        assert_eq!(
            replayed.report.exit_code, recorded.report.exit_code,
            "{sample}"
        );
        assert_eq!(
            frames(&replayed.report.outcome),
            frames(&recorded.report.outcome),
            "{sample}"
        );
        assert_eq!(replayed.stdout, recorded.stdout, "{sample} {args:?}");
        assert_eq!(replayed.stderr, recorded.stderr, "{sample} {args:?}");
        let replay = replayed.report.replay.expect("a replay report");
        assert_eq!(replay.calls_replayed, replay.calls_recorded, "{sample}");
        assert!(!replay.diverged, "{sample}");
    }
}

/// Exits 0 when adding 1 to a NaN with a payload gives the canonical NaN (`0x7fc00000`), 1
/// when the payload comes through (what x86 and Arm hardware do), 2 otherwise.
const NAN_PAYLOAD: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $bits i32)
    (local.set $bits (i32.reinterpret_f32
      (f32.add (f32.const nan:0x200000) (f32.const 1))))
    (if (i32.eq (local.get $bits) (i32.const 0x7fc00000)) (then (call $exit (i32.const 0))))
    (if (i32.eq (local.get $bits) (i32.const 0x7fe00000)) (then (call $exit (i32.const 1))))
    (call $exit (i32.const 2))))"#;

#[test]
fn recorded_runs_canonicalize_nans_so_a_replay_computes_the_same_bits() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("nan.wasm");
    std::fs::write(&wasm, wat::parse_str(NAN_PAYLOAD).unwrap()).unwrap();
    let wasm = wasm.to_str().unwrap();
    let trace = dir.path().join("nan.wstrace");
    let trace = trace.to_str().unwrap();
    // Unrecorded: the hardware's NaN, payload and all.
    assert_eq!(
        wasmscope_reading(&["run", wasm], None).status.code(),
        Some(1)
    );
    // Recorded, and replayed: the canonical NaN, whatever the machine.
    let recorded = wasmscope_reading(&["run", "--record", trace, wasm], None);
    assert_eq!(
        recorded.status.code(),
        Some(0),
        "{}",
        text(&recorded.stderr)
    );
    let replayed = wasmscope_reading(&["replay", trace], None);
    assert_eq!(
        replayed.status.code(),
        Some(0),
        "{}",
        text(&replayed.stderr)
    );
}

/// Divides 7 by 3, 2, 1 and then 0, after one WASI call.
const DIVIDE_DOWN_TO_ZERO: &str = r#"(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func $divide (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  (func $start (export "_start") (local $i i32)
    (drop (call $random (i32.const 0) (i32.const 4)))
    (local.set $i (i32.const 3))
    (loop $l
      (drop (call $divide (i32.const 7) (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $l))))"#;

#[test]
fn a_debug_replay_of_a_trap_shows_the_operands_the_instruction_was_given() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("divide.wasm");
    std::fs::write(&wasm, wat::parse_str(DIVIDE_DOWN_TO_ZERO).unwrap()).unwrap();
    let trace = dir.path().join("divide.wstrace");
    let report = dir.path().join("report.json");
    let recorded = wasmscope_reading(
        &[
            "run",
            "--record",
            trace.to_str().unwrap(),
            wasm.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        recorded.status.code(),
        Some(134),
        "{}",
        text(&recorded.stderr)
    );
    let replayed = wasmscope_reading(
        &[
            "replay",
            "--debug",
            "--report",
            report.to_str().unwrap(),
            trace.to_str().unwrap(),
        ],
        None,
    );
    let stderr = text(&replayed.stderr);
    assert_eq!(replayed.status.code(), Some(134), "{stderr}");
    assert!(
        stderr.contains("operands of the trapping instruction"),
        "{stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let frame = &report["trap"]["frames"][0];
    assert_eq!(frame["func_name"], "divide");
    let values = |key: &str| -> Vec<String> {
        frame[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["value"].as_str().unwrap().to_owned())
            .collect()
    };
    // wasmtime reports the trap with the operands already taken; the replay kept them.
    assert_eq!(values("operands"), ["7", "0"]);
    assert_eq!(values("locals"), ["7", "0"]);
    assert!(values("stack").is_empty());
    // The watch that kept them is not one of the user's breakpoints.
    assert!(
        report
            .get("breaks")
            .is_none_or(|b| b.as_array().unwrap().is_empty())
    );
}

#[test]
fn a_recording_given_to_run_or_compile_says_to_replay_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_, trace) = record(dir.path(), &[]);
    let trace = trace.to_str().unwrap();
    for command in ["run", "compile"] {
        let output = wasmscope_reading(&[command, trace], None);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("is a recording of a run (.wstrace), not a module")
                && stderr.contains(&format!("wasmscope replay {trace}")),
            "{command}: {stderr}"
        );
    }
    // inspect shows the module the recording holds.
    let inspected = wasmscope_reading(&["inspect", trace], None);
    assert_eq!(
        inspected.status.code(),
        Some(0),
        "{}",
        text(&inspected.stderr)
    );
    assert!(
        text(&inspected.stdout).contains("replay_me"),
        "{}",
        text(&inspected.stdout)
    );
}

/// Found by the fuzz campaign: a start function whose `proc_exit` is refused by WASI (an exit
/// status outside 0..126) trapped in the recorded run, and its replay said "cannot
/// instantiate" with an empty message.
#[test]
fn a_host_error_in_a_start_function_replays_as_the_same_trap() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("bad_exit.wasm");
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func $start (call $exit (i32.const 200)))
      (start $start)
      (func (export "_start")))"#;
    std::fs::write(&wasm, wat::parse_str(wat).unwrap()).unwrap();
    let trace = dir.path().join("bad_exit.wstrace");
    let (wasm, trace) = (wasm.to_str().unwrap(), trace.to_str().unwrap());
    let recorded = wasmscope_reading(&["run", "--record", trace, wasm], None);
    let replayed = wasmscope_reading(&["replay", trace], None);
    let expected = "trapped: exit with invalid exit status outside of [0..126) [HostError]";
    for (what, output) in [("recorded", &recorded), ("replayed", &replayed)] {
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(134), "{what}: {stderr}");
        assert!(stderr.contains(expected), "{what}: {stderr}");
    }
}
