//! Hostile modules and bad input: every outcome is classified, nothing gets out, nothing breaks.
//! Each test asserts what a user would see (outcome, message, files on disk).

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::path::Path;

use common::{run_wasm, run_wasm_with, short_timeout};
use wasmscope::engine::{self, DirGrant, Entry, Invocation, ModuleKind, RunOutcome, SandboxPolicy};

fn wasm(text: &str) -> Vec<u8> {
    wat::parse_str(text).unwrap_or_else(|e| panic!("test module: {e}"))
}

fn trap_code(outcome: &RunOutcome) -> String {
    match outcome {
        RunOutcome::Trapped { trap } => trap.code.clone(),
        other => panic!("expected a trap, got {other:?}"),
    }
}

fn failed_error(outcome: &RunOutcome) -> String {
    match outcome {
        RunOutcome::Failed { error, .. } => error.clone(),
        other => panic!("expected failed, got {other:?}"),
    }
}

/// A command whose `_start` runs `body` (with a 1-page memory and WASI fd_write/proc_exit).
fn command(body: &str) -> Vec<u8> {
    wasm(&format!(
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 1)
            (table 2 funcref)
            (type $ii (func (param i32) (result i32)))
            (func $nullary)
            (elem (i32.const 0) $nullary)
            (func (export "_start") {body}))"#
    ))
}

#[test]
fn every_reachable_trap_kind_is_classified() {
    let cases = [
        ("unreachable", "UnreachableCodeReached"),
        (
            "(drop (i32.div_u (i32.const 1) (i32.const 0)))",
            "IntegerDivisionByZero",
        ),
        (
            "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))",
            "IntegerOverflow",
        ),
        (
            "(drop (i32.trunc_f32_s (f32.const nan)))",
            "BadConversionToInteger",
        ),
        ("(drop (i32.load (i32.const 65535)))", "MemoryOutOfBounds"),
        (
            "(drop (call_indirect (type $ii) (i32.const 0) (i32.const 0)))",
            "BadSignature",
        ),
        (
            "(drop (call_indirect (type $ii) (i32.const 0) (i32.const 1)))",
            "IndirectCallToNull",
        ),
        (
            "(drop (call_indirect (type $ii) (i32.const 0) (i32.const 7)))",
            "TableOutOfBounds",
        ),
        ("(drop (i32.atomic.load (i32.const 1)))", "HeapMisaligned"),
        (
            "(drop (memory.atomic.wait32 (i32.const 0) (i32.const 0) (i64.const 0)))",
            "AtomicWaitNonSharedMemory",
        ),
    ];
    for (body, code) in cases {
        let ran = run_wasm("trap", command(body), SandboxPolicy::default());
        assert_eq!(trap_code(&ran.report.outcome), code, "{body}");
        let RunOutcome::Trapped { trap } = &ran.report.outcome else {
            unreachable!()
        };
        assert!(
            !trap.message.is_empty() && !trap.frames.is_empty(),
            "{body}: {trap:?}"
        );
    }
}

#[test]
fn the_runtime_kinds_of_stop_are_classified() {
    let spin = command("(loop br 0)");
    let ran = run_wasm("spin", spin.clone(), short_timeout(100));
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 100 });
    let ran = run_wasm(
        "spin",
        spin,
        SandboxPolicy {
            fuel: Some(1000),
            ..SandboxPolicy::default()
        },
    );
    assert_eq!(ran.report.outcome, RunOutcome::FuelExhausted { fuel: 1000 });
    let deep = wasm(r#"(module (func $f (call $f)) (func (export "_start") (call $f)))"#);
    assert_eq!(
        trap_code(
            &run_wasm("deep", deep, SandboxPolicy::default())
                .report
                .outcome
        ),
        "StackOverflow"
    );
}

#[test]
fn c_style_stack_overflow_in_linear_memory_traps_out_of_bounds() {
    // A shadow stack pointer that keeps going down wraps below 0 and faults.
    let module = wasm(
        r#"(module
            (memory 1)
            (global $sp (mut i32) (i32.const 65536))
            (func $frame
              (global.set $sp (i32.sub (global.get $sp) (i32.const 1024)))
              (i64.store (global.get $sp) (i64.const 7))
              (call $frame))
            (func (export "_start") (call $frame)))"#,
    );
    let ran = run_wasm("shadow", module, SandboxPolicy::default());
    assert_eq!(trap_code(&ran.report.outcome), "MemoryOutOfBounds");
}

#[test]
fn a_malloc_style_memory_bomb_is_capped() {
    // A bump allocator that grows memory whenever it runs out, forever.
    let module = wasm(
        r#"(module
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 1)
            (global $heap (mut i32) (i32.const 1024))
            (func $malloc (param $n i32) (result i32)
              (local $p i32)
              (local.set $p (global.get $heap))
              (if (i32.gt_u (i32.add (local.get $p) (local.get $n)) (i32.mul (memory.size) (i32.const 65536)))
                (then (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then (return (i32.const 0))))))
              (global.set $heap (i32.add (local.get $p) (local.get $n)))
              (local.get $p))
            (func (export "_start")
              (loop $more
                (if (i32.eqz (call $malloc (i32.const 65536))) (then (call $exit (i32.const 3))))
                (br $more))))"#,
    );
    let ran = run_wasm(
        "malloc",
        module,
        SandboxPolicy {
            max_memory_bytes: 32 << 20,
            ..SandboxPolicy::default()
        },
    );
    assert_eq!(
        ran.report.outcome,
        RunOutcome::Exited { code: 3 },
        "malloc returned NULL once capped"
    );
    assert!(ran.report.stats.peak_memory_bytes <= 32 << 20);
    assert!(ran.report.denied_growths_count >= 1);
}

#[test]
fn a_huge_declared_memory_or_table_is_refused_without_taking_host_memory() {
    let memory = wasm(r#"(module (memory 65536) (func (export "_start")))"#);
    let error = failed_error(
        &run_wasm("mem", memory, SandboxPolicy::default())
            .report
            .outcome,
    );
    assert!(error.contains("cannot instantiate"), "{error}");
    let table = wasm(r#"(module (table 10000000 funcref) (func (export "_start")))"#);
    let error = failed_error(
        &run_wasm("table", table, SandboxPolicy::default())
            .report
            .outcome,
    );
    assert!(error.contains("cannot instantiate"), "{error}");
}

#[test]
fn a_table_grow_bomb_stops_at_the_cap() {
    let module = wasm(
        r#"(module
            (table $t 0 funcref)
            (func (export "_start")
              (loop $more
                (br_if $more (i32.ne (table.grow $t (ref.null func) (i32.const 100000)) (i32.const -1))))))"#,
    );
    let ran = run_wasm("tables", module, SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert!(ran.report.denied_growths_count >= 1);
    assert_eq!(ran.report.denied_growths[0].limit, 100_000);
}

#[test]
fn proc_exit_outside_the_valid_range_is_classified() {
    for code in ["126", "300", "-1"] {
        let ran = run_wasm(
            "exit",
            command(&format!("(call $exit (i32.const {code}))")),
            SandboxPolicy::default(),
        );
        let RunOutcome::Trapped { trap } = &ran.report.outcome else {
            panic!("{code}: {:?}", ran.report.outcome);
        };
        assert_eq!(trap.code, "HostError", "{code}");
        assert!(
            trap.message.contains("exit status"),
            "{code}: {}",
            trap.message
        );
    }
    let ran = run_wasm(
        "exit",
        command("(call $exit (i32.const 125))"),
        SandboxPolicy::default(),
    );
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 125 });
}

#[test]
fn wrong_entry_points_say_what_is_wrong() {
    let with_params = wasm(r#"(module (func (export "_start") (param i32)))"#);
    let error = failed_error(
        &run_wasm("p", with_params, SandboxPolicy::default())
            .report
            .outcome,
    );
    assert!(
        error.contains("`_start` must take no parameters"),
        "{error}"
    );

    let reactor = wasm(r#"(module (func (export "go") (result i32) (i32.const 1)))"#);
    let error = failed_error(
        &run_wasm("r", reactor.clone(), SandboxPolicy::default())
            .report
            .outcome,
    );
    assert!(
        error.contains("--invoke") && error.contains("go"),
        "{error}"
    );

    let nothing = wasm("(module)");
    let error = failed_error(
        &run_wasm("n", nothing, SandboxPolicy::default())
            .report
            .outcome,
    );
    assert!(error.contains("library"), "{error}");
}

#[test]
fn wasi_without_an_exported_memory_is_warned_about_and_classified() {
    let module = wasm(
        r#"(module
            (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
            (memory 1)
            (func (export "_start") (drop (call $r (i32.const 0) (i32.const 4)))))"#,
    );
    let info = engine::inspect(&module);
    assert!(
        info.warnings
            .iter()
            .any(|w| w.contains("exports no memory")),
        "{:?}",
        info.warnings
    );
    let ran = run_wasm("nomem", module, SandboxPolicy::default());
    let RunOutcome::Trapped { trap } = &ran.report.outcome else {
        panic!("{:?}", ran.report.outcome);
    };
    assert!(
        trap.message.contains("missing required memory export"),
        "{}",
        trap.message
    );
}

#[test]
fn a_start_section_that_traps_is_a_trap() {
    let module =
        wasm(r#"(module (func $boom unreachable) (start $boom) (func (export "_start")))"#);
    let ran = run_wasm("start", module, SandboxPolicy::default());
    assert_eq!(trap_code(&ran.report.outcome), "UnreachableCodeReached");
}

#[test]
fn unsatisfiable_imports_are_all_reported() {
    let module = wasm(
        r#"(module
            (import "env" "f" (func))
            (import "env" "memory" (memory 1))
            (import "env" "table" (table 1 funcref))
            (import "env" "g" (global i32))
            (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "memory" (memory 1))
            (func (export "_start")))"#,
    );
    let ran = run_wasm("imports", module, SandboxPolicy::default());
    let RunOutcome::Failed { error, unresolved } = &ran.report.outcome else {
        panic!("{:?}", ran.report.outcome);
    };
    assert!(error.contains("6 imports"), "{error}");
    assert!(
        unresolved[4].reason.contains("wrong signature"),
        "{}",
        unresolved[4]
    );
    assert!(
        unresolved[5]
            .reason
            .contains("not a wasi_snapshot_preview1 function"),
        "{}",
        unresolved[5]
    );
}

#[test]
fn stdout_and_stderr_floods_arrive_whole() {
    let flood = wasm(
        r#"(module
            (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 2)
            (func (export "_start") (local $i i32)
              (i32.store (i32.const 0) (i32.const 64))
              (i32.store (i32.const 4) (i32.const 65000))
              (loop $l
                (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                (drop (call $w (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $l (i32.lt_u (local.get $i) (i32.const 300))))))"#,
    );
    let ran = run_wasm("flood", flood, SandboxPolicy::default());
    assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    assert_eq!(ran.stdout.len(), 300 * 65000);
    assert_eq!(ran.stderr.len(), 300 * 65000);
    assert_eq!(ran.report.stats.stderr_bytes, 300 * 65000);
}

/// Opens bomb.bin in the preopen and appends 64 KiB blocks forever.
const BOMB: &str = r#"(module
            (import "wasi_snapshot_preview1" "path_open"
              (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))
            (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
            (memory (export "memory") 2)
            (data (i32.const 100) "bomb.bin")
            (func (export "_start")
              (if (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 8) (i32.const 1)
                    (i64.const 0x1FFFFFFF) (i64.const 0x1FFFFFFF) (i32.const 0) (i32.const 16))
                (then (call $exit (i32.const 9))))
              (i32.store (i32.const 0) (i32.const 1024))
              (i32.store (i32.const 4) (i32.const 65536))
              (loop $l
                (drop (call $w (i32.load (i32.const 16)) (i32.const 0) (i32.const 1) (i32.const 8)))
                (br $l))))"#;

#[test]
fn a_file_write_bomb_is_stopped_by_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let module = wasm(BOMB);
    let policy = SandboxPolicy {
        dirs: vec![DirGrant {
            host_path: dir.path().to_owned(),
            guest_path: "/data".into(),
            read_only: false,
            scratch: false,
        }],
        ..short_timeout(300)
    };
    let ran = run_wasm("bomb", module, policy);
    assert_eq!(ran.report.outcome, RunOutcome::TimedOut { timeout_ms: 300 });
    let written = std::fs::metadata(dir.path().join("bomb.bin"))
        .unwrap()
        .len();
    assert!(
        written > 0,
        "the guest did write: the sandbox limits time, not disk inside a grant"
    );
}

/// Filesystem escape attempts: each export tries one thing on preopen fd 3 and returns the
/// WASI errno (0 would mean it worked).
const ESCAPES: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink" (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_link" (func $link (param i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename" (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory" (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_unlink_file" (func $unlink (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "../secret.txt")
  (data (i32.const 200) "/etc/passwd")
  (data (i32.const 300) "abs_link")
  (data (i32.const 400) "rel_link")
  (data (i32.const 500) "mylink")
  (data (i32.const 600) "stolen")
  (data (i32.const 700) "inside.txt")
  (data (i32.const 800) "../moved.txt")
  (data (i32.const 900) "grabbed.txt")
  (data (i32.const 1000) "../newdir")
  (data (i32.const 1100) "new.txt")
  (data (i32.const 1200) "../../../../../../etc/passwd")
  (data (i32.const 1300) "sub/../../secret.txt")
  (data (i32.const 1400) "hello")
  (func $try_open (param $path i32) (param $len i32) (param $oflags i32) (param $rights i64) (result i32)
    (call $open (i32.const 3) (i32.const 1) (local.get $path) (local.get $len) (local.get $oflags)
      (local.get $rights) (local.get $rights) (i32.const 0) (i32.const 16)))
  (func (export "open_parent") (result i32) (call $try_open (i32.const 100) (i32.const 13) (i32.const 0) (i64.const 2)))
  (func (export "open_absolute") (result i32) (call $try_open (i32.const 200) (i32.const 11) (i32.const 0) (i64.const 2)))
  (func (export "open_deep_parent") (result i32) (call $try_open (i32.const 1200) (i32.const 28) (i32.const 0) (i64.const 2)))
  (func (export "open_through_subdir") (result i32) (call $try_open (i32.const 1300) (i32.const 20) (i32.const 0) (i64.const 2)))
  (func (export "open_absolute_symlink") (result i32) (call $try_open (i32.const 300) (i32.const 8) (i32.const 0) (i64.const 2)))
  (func (export "open_relative_symlink") (result i32) (call $try_open (i32.const 400) (i32.const 8) (i32.const 0) (i64.const 2)))
  (func (export "make_symlink_then_open") (result i32)
    (drop (call $symlink (i32.const 100) (i32.const 13) (i32.const 3) (i32.const 500) (i32.const 6)))
    (call $try_open (i32.const 500) (i32.const 6) (i32.const 0) (i64.const 2)))
  (func (export "hard_link_outside_file") (result i32)
    (call $link (i32.const 3) (i32.const 1) (i32.const 100) (i32.const 13) (i32.const 3) (i32.const 600) (i32.const 6)))
  (func (export "hard_link_through_symlink") (result i32)
    (call $link (i32.const 3) (i32.const 1) (i32.const 400) (i32.const 8) (i32.const 3) (i32.const 600) (i32.const 6)))
  (func (export "rename_out") (result i32)
    (call $rename (i32.const 3) (i32.const 700) (i32.const 10) (i32.const 3) (i32.const 800) (i32.const 12)))
  (func (export "rename_in") (result i32)
    (call $rename (i32.const 3) (i32.const 100) (i32.const 13) (i32.const 3) (i32.const 900) (i32.const 11)))
  (func (export "mkdir_outside") (result i32) (call $mkdir (i32.const 3) (i32.const 1000) (i32.const 9)))
  (func (export "unlink_outside") (result i32) (call $unlink (i32.const 3) (i32.const 100) (i32.const 13)))
  (func (export "write_existing") (result i32) (local $errno i32)
    (local.set $errno (call $try_open (i32.const 700) (i32.const 10) (i32.const 0) (i64.const 0x1FFFFFFF)))
    (if (local.get $errno) (then (return (local.get $errno))))
    (i32.store (i32.const 0) (i32.const 1400))
    (i32.store (i32.const 4) (i32.const 5))
    (call $write (i32.load (i32.const 16)) (i32.const 0) (i32.const 1) (i32.const 8)))
  (func (export "create_file") (result i32)
    (call $try_open (i32.const 1100) (i32.const 7) (i32.const 1) (i64.const 0x1FFFFFFF)))
  (func (export "unlink_inside") (result i32) (call $unlink (i32.const 3) (i32.const 700) (i32.const 10))))"#;

struct Jail {
    outer: tempfile::TempDir,
}

impl Jail {
    /// outer/secret.txt (the target), outer/granted/ (the preopen) with inside.txt, sub/, and
    /// two host-planted symlinks pointing out: abs_link (absolute) and rel_link (relative).
    fn new() -> Self {
        let outer = tempfile::tempdir().unwrap();
        let granted = outer.path().join("granted");
        std::fs::create_dir_all(granted.join("sub")).unwrap();
        std::fs::write(outer.path().join("secret.txt"), "secret").unwrap();
        std::fs::write(granted.join("inside.txt"), "inside").unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret.txt"), granted.join("abs_link"))
            .unwrap();
        std::os::unix::fs::symlink("../secret.txt", granted.join("rel_link")).unwrap();
        Self { outer }
    }

    fn granted(&self) -> std::path::PathBuf {
        self.outer.path().join("granted")
    }

    fn attempt(&self, name: &str, read_only: bool) -> String {
        let policy = SandboxPolicy {
            dirs: vec![DirGrant {
                host_path: self.granted(),
                guest_path: "/".into(),
                read_only,
                scratch: false,
            }],
            ..SandboxPolicy::default()
        };
        let invocation = Invocation {
            entry: Entry::Invoke {
                name: name.into(),
                args: Vec::new(),
            },
            ..Invocation::default()
        };
        let ran = run_wasm_with("escapes", wasm(ESCAPES), policy, invocation);
        assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 }, "{name}");
        ran.report.results[0].clone()
    }

    fn assert_outside_untouched(&self) {
        let outer = self.outer.path();
        assert_eq!(
            std::fs::read_to_string(outer.join("secret.txt")).unwrap(),
            "secret"
        );
        let mut names: Vec<_> = std::fs::read_dir(outer)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec!["granted", "secret.txt"]);
        assert!(!self.granted().join("grabbed.txt").exists());
        assert!(!self.granted().join("stolen").exists());
    }
}

#[test]
fn no_filesystem_escape_through_a_read_write_preopen() {
    let jail = Jail::new();
    for name in [
        "open_parent",
        "open_absolute",
        "open_deep_parent",
        "open_through_subdir",
        "open_absolute_symlink",
        "open_relative_symlink",
        "make_symlink_then_open",
        "hard_link_outside_file",
        "hard_link_through_symlink",
        "rename_out",
        "rename_in",
        "mkdir_outside",
        "unlink_outside",
    ] {
        let errno = jail.attempt(name, false);
        assert_ne!(errno, "0", "{name} escaped the preopen");
        jail.assert_outside_untouched();
    }
    // The same module does write inside the grant: the refusals above are about the way out.
    assert_eq!(jail.attempt("write_existing", false), "0");
    assert_eq!(
        std::fs::read_to_string(jail.granted().join("inside.txt")).unwrap(),
        "helloe"
    );
}

#[test]
fn a_read_only_preopen_refuses_every_change() {
    let jail = Jail::new();
    for name in [
        "write_existing",
        "create_file",
        "unlink_inside",
        "rename_out",
        "make_symlink_then_open",
    ] {
        let errno = jail.attempt(name, true);
        assert_ne!(errno, "0", "{name} changed a read-only directory");
    }
    assert_eq!(
        std::fs::read_to_string(jail.granted().join("inside.txt")).unwrap(),
        "inside"
    );
    assert!(!jail.granted().join("new.txt").exists());
    assert!(!jail.granted().join("mylink").exists());
    jail.assert_outside_untouched();
}

#[test]
fn without_a_preopen_there_is_no_filesystem_at_all() {
    let invocation = Invocation {
        entry: Entry::Invoke {
            name: "open_parent".into(),
            args: Vec::new(),
        },
        ..Invocation::default()
    };
    let ran = run_wasm_with(
        "escapes",
        wasm(ESCAPES),
        SandboxPolicy::default(),
        invocation,
    );
    // errno 8: EBADF, fd 3 does not exist.
    assert_eq!(ran.report.results, vec!["8"]);
}

#[test]
fn every_truncation_of_a_module_is_a_clear_error() {
    let module = std::fs::read_to_string(common::sample("traps")).unwrap();
    let bytes = wat::parse_str(&module).unwrap();
    let mut whole_modules = 0;
    for len in 0..bytes.len() {
        let prefix = bytes[..len].to_vec();
        match engine::load_bytes("cut.wasm", prefix.clone()) {
            Err(e) => assert!(!e.message.is_empty()),
            Ok(module) => {
                let info = engine::inspect(&module.wasm);
                match info.kind {
                    ModuleKind::Invalid => {
                        assert!(info.error.is_some_and(|e| !e.message.is_empty()))
                    }
                    // A cut exactly between two sections is itself a (smaller) module.
                    _ => whole_modules += 1,
                }
            }
        }
    }
    assert!(
        whole_modules <= 16,
        "{whole_modules} of {} prefixes read as whole modules",
        bytes.len()
    );
    // Running a few of them ends in `failed`, not a panic.
    for len in [9, bytes.len() / 2, bytes.len() - 1] {
        let ran = run_wasm("cut", bytes[..len].to_vec(), SandboxPolicy::default());
        assert!(failed_error(&ran.report.outcome).contains("invalid module"));
    }
}

#[test]
fn corrupt_headers_and_leb128s_are_clear_errors() {
    let cases: [(&[u8], &str); 4] = [
        (b"\0asm\x02\0\0\0", "version"),
        (b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\xff\x0f", "invalid"),
        (
            b"\0asm\x01\0\0\0\x01\x80\x80\x80\x80\x80\x80\x01",
            "invalid",
        ),
        (b"\0asm\x01\0\0\0\x05\x03\x01\x00\xff", "unexpected end"),
    ];
    for (bytes, expected) in cases {
        let info = engine::inspect(bytes);
        assert_eq!(info.kind, ModuleKind::Invalid, "{bytes:?}");
        let error = info.error.unwrap();
        assert!(
            error.message.to_lowercase().contains(expected),
            "{bytes:?}: {}",
            error.message
        );
        let ran = run_wasm("bad", bytes.to_vec(), SandboxPolicy::default());
        assert!(failed_error(&ran.report.outcome).contains("invalid module"));
    }
}

#[test]
fn a_two_gigabyte_file_is_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.wasm");
    // Sparse: takes no disk space.
    std::fs::File::create(&path)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let error = engine::load_file(&path).unwrap_err().to_string();
    assert!(
        error.ends_with("is 2.0 GiB: modules above 1.0 GiB are refused"),
        "{error}"
    );
}

#[test]
fn a_foreign_precompiled_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("module.cwasm");
    std::fs::write(&path, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").unwrap();
    let error = engine::load_file(&path).unwrap_err().to_string();
    assert!(error.contains(".cwasm"), "{error}");
}

#[test]
fn unreadable_paths_are_clear_errors() {
    let error = engine::load_file(Path::new("/proc/self/mem"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("/proc/self/mem") || error.contains("mem"),
        "{error}"
    );
}

#[test]
fn a_file_write_bomb_is_visible_in_the_file_change_report() {
    let dir = tempfile::tempdir().unwrap();
    let ran = run_wasm(
        "bomb",
        wasm(BOMB),
        SandboxPolicy {
            dirs: vec![DirGrant {
                host_path: dir.path().to_owned(),
                guest_path: "/data".into(),
                read_only: false,
                scratch: false,
            }],
            ..short_timeout(300)
        },
    );
    let changes = &ran.report.file_changes[0];
    assert!(changes.bytes_written > 1 << 20, "{}", changes.summary());
    assert!(
        changes.summary().starts_with("wrote "),
        "{}",
        changes.summary()
    );
    assert!(
        changes.summary().contains(" to /data"),
        "{}",
        changes.summary()
    );
}

#[test]
fn a_trap_with_an_exnref_global_is_still_a_trap() {
    // Regression (found by tests/fuzz_slice.rs, seed 787): wasmtime's coredump writer panics
    // on exnref globals, which used to lose the whole report.
    let module =
        wasm(r#"(module (global exnref (ref.null exn)) (func (export "_start") unreachable))"#);
    let ran = run_wasm("exn", module, SandboxPolicy::default());
    assert_eq!(trap_code(&ran.report.outcome), "UnreachableCodeReached");
    assert!(ran.report.coredump.is_none());
}

#[test]
fn a_start_function_failing_in_a_host_call_is_a_trap() {
    let module = wasm(
        r#"(module
            (import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))
            (memory 1)
            (func $init (drop (call $r (i32.const 0) (i32.const 4))))
            (start $init)
            (func (export "_start")))"#,
    );
    let ran = run_wasm("start", module, SandboxPolicy::default());
    assert_eq!(trap_code(&ran.report.outcome), "HostError");
}

#[test]
fn a_watched_range_past_every_address_is_refused_in_words() {
    use wasmscope::engine::policy::WatchedRange;
    let refused = WatchedRange::parse("0xffffffffffffffff:16").unwrap_err();
    assert_eq!(
        refused.to_string(),
        "0xffffffffffffffff:16 ends past 4 GiB, outside any 32-bit memory"
    );
    let refused = WatchedRange::parse("0x10:lots").unwrap_err();
    assert_eq!(
        refused.to_string(),
        "`lots` is not a length: give a decimal number or 0x followed by hex"
    );
    assert!(WatchedRange::parse("0xfffffff0:16").is_ok());
}
