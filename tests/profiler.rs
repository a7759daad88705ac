//! The guest profiler (issue #12): where the time goes, in the report, the saved Firefox
//! Profiler file and on the command line.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use common::wasmscope;

use common::{Ran, run_sample, run_sample_with, run_wasm_with, sample, short_timeout};
use wasmscope::engine::profiler::{FrameKind, FunctionStats, GuestProfile};
use wasmscope::engine::{Invocation, RunOutcome, SandboxPolicy};

/// Profiling every millisecond.
fn profiling() -> Invocation {
    Invocation {
        profiler_interval_ms: Some(1),
        ..Invocation::default()
    }
}

/// A sample run profiled, with this timeout.
fn profiled(name: &str, timeout_ms: u64) -> Ran {
    run_sample_with(name, short_timeout(timeout_ms), profiling())
}

/// One profiled run of `hot_and_cold`, shared by the tests that read it (it takes a second).
fn hot_and_cold() -> &'static Ran {
    static RAN: std::sync::OnceLock<Ran> = std::sync::OnceLock::new();
    RAN.get_or_init(|| profiled("hot_and_cold", 60_000))
}

fn function<'a>(profile: &'a GuestProfile, name: &str) -> &'a FunctionStats {
    profile
        .functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no `{name}` in {:?}", profile.functions))
}

fn assert_counts_add_up(profile: &GuestProfile) {
    let self_sum: u64 = profile.functions.iter().map(|f| f.self_samples).sum();
    assert_eq!(self_sum, profile.samples, "{:?}", profile.functions);
    for f in &profile.functions {
        assert!(f.self_samples <= f.total_samples, "{f:?}");
        assert!(f.total_samples <= profile.samples, "{f:?}");
    }
}

#[test]
fn the_function_doing_nine_times_the_work_gets_most_self_samples() {
    let ran = hot_and_cold();
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    let profile = ran
        .report
        .profile
        .as_ref()
        .expect("a profiled run has a profile");
    assert!(
        profile.samples >= 50,
        "too few samples: {}",
        profile.samples
    );
    let heavy = function(profile, "heavy");
    let light = function(profile, "light");
    let share = heavy.self_samples as f64 / profile.samples as f64;
    assert!(
        share > 0.6,
        "heavy has {:.0}% of the samples",
        share * 100.0
    );
    assert!(
        heavy.self_samples > 3 * light.self_samples,
        "{heavy:?} {light:?}"
    );
    assert_eq!(heavy.func_index, Some(1));
    // `_start` is on every stack that runs guest code.
    assert!(function(profile, "_start").total_samples >= heavy.total_samples);
    assert_counts_add_up(profile);
}

#[test]
fn the_report_json_has_the_profile_and_its_counts_add_up() {
    let ran = hot_and_cold();
    let json: serde_json::Value = serde_json::from_str(&ran.report.to_json()).unwrap();
    let profile = &json["profile"];
    assert_eq!(profile["interval_ms"], 1);
    let samples = profile["samples"].as_u64().unwrap();
    let functions = profile["functions"].as_array().unwrap();
    // Most self time first.
    assert_eq!(functions[0]["name"], "heavy");
    let mut self_sum = 0;
    for f in functions {
        assert!(
            f["name"].is_string() && f.get("func_index").is_some(),
            "{f}"
        );
        let (self_samples, total) = (
            f["self_samples"].as_u64().unwrap(),
            f["total_samples"].as_u64().unwrap(),
        );
        assert!(self_samples <= total && total <= samples, "{f}");
        self_sum += self_samples;
    }
    assert_eq!(self_sum, samples);
    // An unprofiled run has no profile key.
    let plain = run_sample("hello", SandboxPolicy::default());
    assert!(!plain.report.to_json().contains("\"profile\""));
}

#[test]
fn the_saved_profile_parses_and_names_the_functions() {
    let profile = hot_and_cold().report.profile.as_ref().unwrap();
    let bytes = profile.firefox_json("hot_and_cold.wat").unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(json["meta"]["interval"], 1.0);
    let text = String::from_utf8_lossy(&bytes);
    for name in ["\"heavy\"", "\"light\"", "\"_start\""] {
        assert!(text.contains(name), "{name} not in the saved profile");
    }
}

#[test]
fn time_blocked_in_a_host_call_shows_as_that_call() {
    let ran = profiled("sleep_forever", 400);
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 400 });
    let profile = ran
        .report
        .profile
        .expect("a timed-out run keeps its profile");
    let poll = function(&profile, "poll_oneoff");
    assert_eq!(poll.kind, FrameKind::Host);
    assert!(
        poll.self_samples * 10 >= profile.samples * 8,
        "poll_oneoff has {} of {} samples",
        poll.self_samples,
        profile.samples
    );
    assert_counts_add_up(&profile);
}

#[test]
fn a_runaway_that_timed_out_still_has_its_profile() {
    let ran = profiled("infinite_loop", 300);
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 300 });
    let profile = ran.report.profile.unwrap();
    let spin = function(&profile, "spin");
    assert!(spin.self_samples * 10 >= profile.samples * 8, "{profile:?}");
}

#[test]
fn a_module_without_names_shows_its_export_names_else_func_n() {
    // No `$names`, so no name section.
    let wasm = wat::parse_str(
        r#"(module
             (func (loop (br 0)))
             (func (export "_start") (call 0)))"#,
    )
    .unwrap();
    let ran = run_wasm_with("anonymous", wasm, short_timeout(200), profiling());
    let profile = ran.report.profile.unwrap();
    let spinner = function(&profile, "func 0");
    assert_eq!(spinner.func_index, Some(0));
    assert!(spinner.self_samples > 0);
    // Issue 24: the exported entry went by "func 1" where the backtrace says `_start`.
    let entry = function(&profile, "_start");
    assert_eq!(entry.func_index, Some(1));
    assert!(entry.total_samples > 0);
}

#[test]
fn deep_recursion_is_folded_not_drawn_frame_by_frame() {
    // Recurse 10,000 deep, then spin at the bottom until the timeout.
    let wasm = wat::parse_str(
        r#"(module
             (func $spin (loop (br 0)))
             (func $recurse (param i32)
               (if (local.get 0)
                 (then (call $recurse (i32.sub (local.get 0) (i32.const 1))))
                 (else (call $spin))))
             (func (export "_start") (call $recurse (i32.const 10000))))"#,
    )
    .unwrap();
    let policy = SandboxPolicy {
        max_wasm_stack_bytes: 8 << 20,
        ..short_timeout(300)
    };
    let ran = run_wasm_with("deep", wasm, policy, profiling());
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 300 });
    let profile = ran.report.profile.unwrap();
    assert!(profile.nodes.len() < 10, "{} nodes", profile.nodes.len());
    let labels: Vec<String> = (1..profile.nodes.len() as u32)
        .map(|n| profile.node_label(n))
        .collect();
    assert!(
        labels.iter().any(|l| l.starts_with("recurse (recursion ×")),
        "{labels:?}"
    );
    assert!(function(&profile, "spin").self_samples > 0);
}

#[test]
fn the_cli_writes_the_profile_and_prints_the_top_functions() {
    let dir = tempfile::tempdir().unwrap();
    let hot = sample("hot_and_cold").display().to_string();
    for (flag, file) in [
        ("--profile-guest", dir.path().join("a.json")),
        ("--profile", dir.path().join("b.json")),
    ] {
        let out = if flag == "--profile" {
            let spec = format!("--profile=guest,{},1ms", file.display());
            wasmscope(&["run", &spec, &hot])
        } else {
            wasmscope(&["run", flag, file.to_str().unwrap(), &hot])
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("top functions by self time"), "{stderr}");
        // The first function listed is the heavy one, with its share.
        let first = stderr
            .lines()
            .skip_while(|l| !l.ends_with("  function"))
            .nth(1)
            .unwrap_or_default();
        assert!(first.ends_with("heavy") && first.contains('%'), "{stderr}");
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert!(json["threads"].is_array(), "{flag}");
    }
}

#[test]
fn a_profile_interval_without_a_file_is_a_usage_error() {
    let out = wasmscope(&[
        "run",
        "--profile-interval",
        "2ms",
        &sample("hello").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--profile-guest"));
}

/// A trap three calls deep, after a loop long enough for the profiler to sample it.
const TRAPS_DEEP: &str = r#"(module
  (func $spin (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 20000000))))
    unreachable)
  (func $middle (call $spin))
  (func (export "_start") (call $middle)))"#;

/// Issue 25: a profiled run's engine leaves the frames' source lines to wasmscope (wasmtime
/// would read the module's DWARF again at every sample); its trap still shows the same
/// file:line:column as an unprofiled run's, and the profile the same functions.
#[test]
fn a_trap_in_a_profiled_run_shows_the_same_source_lines() {
    let wasm = common::with_line_table(&wat::parse_str(TRAPS_DEEP).unwrap());
    let frames = |ran: &Ran| match &ran.report.outcome {
        RunOutcome::Trapped { trap } => trap.frames.clone(),
        other => panic!("expected a trap, got {other:?}"),
    };
    let plain = common::run_wasm("deep", wasm.clone(), SandboxPolicy::default());
    let profiled = run_wasm_with("deep", wasm, SandboxPolicy::default(), profiling());
    let (plain_frames, profiled_frames) = (frames(&plain), frames(&profiled));
    assert_eq!(plain_frames.len(), 3, "{plain_frames:?}");
    for frame in &plain_frames {
        let source = frame.source.as_deref().unwrap_or_default();
        assert!(
            source.contains("main.c:") && source.ends_with(":3"),
            "{frame:?}"
        );
    }
    assert_eq!(profiled_frames, plain_frames);
    let profile = profiled.report.profile.as_ref().unwrap();
    assert!(profile.samples > 0);
    assert_eq!(function(profile, "spin").total_samples, profile.samples);
}

/// Issue 25: where a profiled run stopped at its timeout has source lines too.
#[test]
fn where_a_profiled_run_stopped_has_source_lines() {
    let wasm = common::with_line_table(
        &wat::parse_str(r#"(module (func (export "_start") (loop $l (br $l))))"#).unwrap(),
    );
    let ran = run_wasm_with("spin", wasm, short_timeout(100), profiling());
    assert!(
        matches!(ran.report.outcome, RunOutcome::TimedOut { .. }),
        "{:?}",
        ran.report.outcome
    );
    let stopped = ran.report.stopped_at.as_ref().expect("where it stopped");
    assert!(!stopped.frames.is_empty());
    for frame in &stopped.frames {
        let source = frame.source.as_deref().unwrap_or_default();
        assert!(source.contains("main.c:"), "{frame:?}");
    }
}
