//! Every shipped lesson (Help ▸ Lessons, issue #23) can be done: its sample, run the way the
//! lesson says, meets every condition of its `[done_when]`; and the way a learner is most
//! likely to get it wrong does not.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use common::{run_sample_with, with_args};
use wasmscope::engine::lessons::{self, Lesson, LessonRun};
use wasmscope::engine::{DirGrant, Invocation, SandboxPolicy};

fn lesson(id: &str) -> Lesson {
    lessons::load_with_folder(None)
        .lessons
        .into_iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("no lesson {id}"))
}

/// The conditions `lesson` leaves unmet after its sample runs under `policy` with `invocation`.
fn unmet(lesson: &Lesson, policy: SandboxPolicy, invocation: Invocation) -> Vec<String> {
    let stem = lesson.sample.trim_end_matches(".wat");
    let ran = run_sample_with(stem, policy.clone(), invocation.clone());
    lesson
        .check(&LessonRun {
            module: &ran.report.module,
            report: &ran.report,
            policy: &policy,
            invocation: &invocation,
        })
        .into_iter()
        .filter(|c| !c.met)
        .map(|c| format!("{} (stdout: {})", c.words, ran.stdout.trim()))
        .collect()
}

fn folder(dir: &std::path::Path, read_only: bool, scratch: bool) -> SandboxPolicy {
    SandboxPolicy {
        dirs: vec![DirGrant {
            host_path: dir.to_owned(),
            guest_path: "/box".into(),
            read_only,
            scratch,
        }],
        ..SandboxPolicy::default()
    }
}

fn logged(mut policy: SandboxPolicy) -> SandboxPolicy {
    policy.log_calls = true;
    policy
}

#[test]
fn the_folder_lessons_can_be_done_and_need_their_folder() {
    let data = common::sample("hello").parent().unwrap().join("data");
    let none = lesson("01-nothing-granted");
    assert_eq!(
        unmet(&none, SandboxPolicy::default(), Invocation::default()),
        Vec::<String>::new()
    );
    assert!(!unmet(&none, folder(&data, true, false), Invocation::default()).is_empty());

    let read_only = lesson("02-read-only-folder");
    assert_eq!(
        unmet(
            &read_only,
            folder(&data, true, false),
            Invocation::default()
        ),
        Vec::<String>::new()
    );
    assert!(!unmet(&read_only, SandboxPolicy::default(), Invocation::default()).is_empty());

    let box_dir = tempfile::tempdir().unwrap();
    let refuses = lesson("03-read-only-refuses-writes");
    assert_eq!(
        unmet(
            &refuses,
            logged(folder(box_dir.path(), true, false)),
            Invocation::default()
        ),
        Vec::<String>::new()
    );
    // Without the call log the refusal is counted but not named: not done yet.
    let without_log = unmet(
        &refuses,
        folder(box_dir.path(), true, false),
        Invocation::default(),
    );
    assert!(
        without_log
            .iter()
            .any(|w| w.contains("Log every WASI call")),
        "{without_log:?}"
    );

    let scratch = lesson("04-read-write-scratch");
    assert_eq!(
        unmet(
            &scratch,
            folder(box_dir.path(), false, true),
            Invocation::default()
        ),
        Vec::<String>::new()
    );
    assert!(
        !box_dir.path().join("out.txt").exists(),
        "the scratch copy kept the folder as it was"
    );
    // Read-write on the real folder writes it, but is not this lesson.
    let real = tempfile::tempdir().unwrap();
    assert!(
        !unmet(
            &scratch,
            folder(real.path(), false, false),
            Invocation::default()
        )
        .is_empty()
    );

    let escape = lesson("05-escape-attempts");
    assert_eq!(
        unmet(
            &escape,
            logged(folder(box_dir.path(), false, true)),
            Invocation::default()
        ),
        Vec::<String>::new()
    );
    // Read-only, the link is refused too: nothing is "allowed here".
    let read_only_escape = unmet(
        &escape,
        logged(folder(box_dir.path(), true, false)),
        Invocation::default(),
    );
    assert!(
        read_only_escape.iter().any(|w| w.contains("allowed here")),
        "{read_only_escape:?}"
    );
}

#[test]
fn the_limit_and_trap_lessons_can_be_done() {
    let env_args = lesson("06-env-and-args");
    let mut policy = SandboxPolicy::default();
    policy.env.push(("GREETING".into(), "hi".into()));
    assert_eq!(
        unmet(&env_args, policy, with_args(&["one"])),
        Vec::<String>::new()
    );
    assert!(!unmet(&env_args, SandboxPolicy::default(), with_args(&["one"])).is_empty());

    let memory = lesson("07-memory-cap");
    let capped = SandboxPolicy {
        max_memory_bytes: 64 << 20,
        ..SandboxPolicy::default()
    };
    assert_eq!(
        unmet(&memory, capped, Invocation::default()),
        Vec::<String>::new()
    );

    let timeout = lesson("08-runaway-timeout");
    assert_eq!(
        unmet(&timeout, common::short_timeout(200), Invocation::default()),
        Vec::<String>::new()
    );

    let fuel = lesson("09-runaway-fuel");
    let metered = SandboxPolicy {
        fuel: Some(1_000_000),
        ..SandboxPolicy::default()
    };
    assert_eq!(
        unmet(&fuel, metered, Invocation::default()),
        Vec::<String>::new()
    );
    assert!(!unmet(&fuel, common::short_timeout(200), Invocation::default()).is_empty());

    let trap = lesson("10-trap-state");
    let debug = SandboxPolicy {
        debug: true,
        ..SandboxPolicy::default()
    };
    assert_eq!(
        unmet(&trap, debug, Invocation::default()),
        Vec::<String>::new()
    );
    let without_debug = unmet(&trap, SandboxPolicy::default(), Invocation::default());
    assert!(
        without_debug.iter().any(|w| w.contains("Debug on")),
        "{without_debug:?}"
    );
}
