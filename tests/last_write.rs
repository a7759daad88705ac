//! `wasmscope replay FILE --last-write ADDR[:LEN]`: who last wrote these bytes, through the
//! command line as a user would ask.
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common;
use common::{text, wasmscope_reading};
use std::sync::Arc;

use wasmscope::engine::record::recording::{Recording, sha256_hex};

/// A guest that stores a bad pointer in `store_ptr` and traps later in `use_ptr`, reading it.
/// Before that: a good pointer stored by `_start`, 4 random bytes at 0x300 (WASI call 1),
/// stdin read into 0x400 (WASI call 2), a fill of 0x500..0x508, a passive segment put at
/// 0x700 and copied to 0x710, and an active data segment at 0x200.
const GUEST: &str = r#"
(module
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 2)
  (data (i32.const 0x200) "hello")
  (data $later "XYZ")
  (func $store_ptr (param $p i32)
    (i32.store (i32.const 0x100) (local.get $p)))
  (func $use_ptr (result i32)
    (i32.load (i32.load (i32.const 0x100))))
  (func $_start (export "_start")
    (i32.store (i32.const 0x100) (i32.const 8))
    (call $store_ptr (i32.const 0x7fff0000))
    (drop (call $random_get (i32.const 0x300) (i32.const 4)))
    (i32.store (i32.const 0x380) (i32.const 0x400))
    (i32.store (i32.const 0x384) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 0x380) (i32.const 1) (i32.const 0x390)))
    (memory.fill (i32.const 0x500) (i32.const 0xab) (i32.const 8))
    (memory.init $later (i32.const 0x700) (i32.const 0) (i32.const 3))
    (memory.copy (i32.const 0x710) (i32.const 0x700) (i32.const 3))
    (data.drop $later)
    (drop (call $use_ptr))))
"#;

/// Records `GUEST` reading `abcdefgh` on stdin; returns the recording's path.
fn record(dir: &Path) -> PathBuf {
    let module = dir.join("guest.wat");
    std::fs::write(&module, GUEST).unwrap();
    let stdin = dir.join("stdin.txt");
    std::fs::write(&stdin, "abcdefgh").unwrap();
    let trace = dir.join("guest.wstrace");
    let ran = wasmscope_reading(
        &[
            "run",
            "--record",
            trace.to_str().unwrap(),
            "--stdin",
            "-",
            module.to_str().unwrap(),
        ],
        Some(&stdin),
    );
    assert!(trace.exists(), "{}", text(&ran.stderr));
    trace
}

fn last_write(trace: &Path, range: &str, extra: &[&str]) -> Output {
    let mut args = vec!["replay", trace.to_str().unwrap(), "--last-write", range];
    args.extend_from_slice(extra);
    wasmscope_reading(&args, None)
}

/// The module offset of the first `i32.store` in the first defined function (`store_ptr`),
/// read with wasmparser.
fn store_ptr_store_offset() -> usize {
    let wasm = wat::parse_str(GUEST).unwrap();
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut reader = body.get_operators_reader().unwrap();
            while !reader.eof() {
                let (op, offset) = reader.read_with_offset().unwrap();
                if matches!(op, wasmparser::Operator::I32Store { .. }) {
                    return offset;
                }
            }
        }
    }
    panic!("no store in store_ptr");
}

/// The backtrace lines of a trap (`func[..]` lines on stderr).
fn frames(err: &str) -> Vec<&str> {
    err.lines().filter(|l| l.contains("func[")).collect()
}

#[test]
fn the_bad_pointer_is_traced_to_the_function_that_stored_it() {
    let dir = tempfile::tempdir().unwrap();
    let trace = record(dir.path());
    let plain = wasmscope_reading(&["replay", trace.to_str().unwrap()], None);
    let out = last_write(&trace, "0x100:4", &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "i32.store in `store_ptr` (func[2]) at module offset {:#x}",
            store_ptr_store_offset()
        )),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("before: 08 00 00 00"), "{stdout}");
    assert!(stdout.contains("after:  00 00 ff 7f"), "{stdout}");
    assert!(stdout.contains("2 writes touched the range"), "{stdout}");
    // The backtrace at that moment: store_ptr called from _start.
    let store_ptr = stdout.find("func[2] store_ptr").unwrap();
    assert!(stdout[store_ptr..].contains("func[4] _start"), "{stdout}");
    // The replay itself is unchanged: the same trap, with the original module's frames.
    assert_eq!(out.status.code(), plain.status.code());
    assert_eq!(frames(&stderr), frames(&text(&plain.stderr)), "{stderr}");
    assert!(stderr.contains("use_ptr"), "{stderr}");
}

#[test]
fn a_range_partly_over_a_write_names_it_with_the_ranges_own_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let trace = record(dir.path());
    let out = last_write(&trace, "254:4", &[]);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("i32.store in `store_ptr`"), "{stdout}");
    assert!(stdout.contains("0xfe..0x102 (4 bytes)"), "{stdout}");
    assert!(stdout.contains("before: 00 00 08 00"), "{stdout}");
    assert!(stdout.contains("after:  00 00 00 00"), "{stdout}");
}

#[test]
fn bytes_a_wasi_call_wrote_name_the_call_and_its_caller() {
    let dir = tempfile::tempdir().unwrap();
    let trace = record(dir.path());
    let out = last_write(&trace, "0x302", &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("written by random_get, WASI call #1, called from `_start` (func[4])"),
        "{stdout}"
    );
    let out = last_write(&trace, "0x401:2", &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("written by fd_read, WASI call #2"),
        "{stdout}"
    );
    assert!(stdout.contains("before: 00 00"), "{stdout}");
    assert!(stdout.contains("after:  62 63"), "bc of abcdefgh: {stdout}");
}

#[test]
fn bulk_writes_a_data_segment_and_untouched_bytes_are_told_apart() {
    let dir = tempfile::tempdir().unwrap();
    let trace = record(dir.path());
    let stdout = text(&last_write(&trace, "0x504", &[]).stdout);
    assert!(stdout.contains("memory.fill in `_start`"), "{stdout}");
    assert!(stdout.contains("before: 00\n"), "{stdout}");
    assert!(stdout.contains("after:  ab\n"), "{stdout}");

    let stdout = text(&last_write(&trace, "0x701", &[]).stdout);
    assert!(stdout.contains("memory.init in `_start`"), "{stdout}");
    assert!(stdout.contains("after:  59\n"), "Y: {stdout}");
    let stdout = text(&last_write(&trace, "0x70f:2", &[]).stdout);
    assert!(stdout.contains("memory.copy in `_start`"), "{stdout}");
    assert!(stdout.contains("before: 00 00\n"), "{stdout}");
    assert!(stdout.contains("after:  00 58\n"), "X: {stdout}");

    let stdout = text(&last_write(&trace, "0x201:2", &[]).stdout);
    assert!(
        stdout.contains("written by the module's data segment 0"),
        "{stdout}"
    );
    assert!(stdout.contains("it holds 656c"), "el of hello: {stdout}");

    let stdout = text(&last_write(&trace, "0x600:8", &[]).stdout);
    assert!(stdout.contains("never written"), "{stdout}");
}

#[test]
fn the_report_holds_the_answer_or_null_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let trace = record(dir.path());
    let report = dir.path().join("r.json");
    let report_arg = report.to_str().unwrap();
    last_write(&trace, "0x100:4", &["--report", report_arg]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let found = &json["last_write"];
    assert_eq!(found["func_name"], "store_ptr", "{json}");
    assert_eq!(found["func_index"], 2);
    assert_eq!(found["module_offset"], store_ptr_store_offset());
    assert_eq!(found["before"], "08000000");
    assert_eq!(found["after"], "0000ff7f");
    assert!(found["file"].is_null() && found["line"].is_null(), "{json}");
    assert_eq!(found["frames"][0]["func_name"], "store_ptr");
    assert_eq!(found["frames"][1]["func_name"], "_start");
    assert_eq!(json["outcome"], "trapped");
    assert_eq!(json["trap"]["frames"][0]["func_name"], "use_ptr");

    last_write(&trace, "0x600", &["--report", report_arg]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(json["last_write"].is_null(), "{json}");
    assert!(
        json["last_write_note"]
            .as_str()
            .unwrap()
            .starts_with("never written"),
        "{json}"
    );
}

#[test]
fn bad_ranges_and_modules_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let trace = record(dir.path());
    for (range, says) in [
        ("0x100:0", "the length must be 1 to"),
        ("0x100:2097152", "the length must be 1 to"),
        ("0x100:zz", "is not a length"),
        ("0xffffffff:2", "past 4 GiB"),
        // The memory's declared maximum is 2 pages.
        ("0x20000", "can grow to at most 131072 bytes"),
    ] {
        let out = last_write(&trace, range, &[]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{range}: {err}");
        assert!(err.contains(says), "{range}: {err}");
        assert!(!err.contains("replaying"), "nothing ran: {err}");
    }
    let out = last_write(&trace, "0x100", &["--debug"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("leave out --debug"));

    // Inside the maximum but past where memory ended (it never grew): said after the run.
    let out = last_write(&trace, "0x10000", &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("outside memory 0, which ended at 65536 bytes"),
        "{err}"
    );

    // A module with no memory at all.
    let mut recording = Recording::parse(&std::fs::read(&trace).unwrap()).unwrap();
    let wasm = wat::parse_str("(module (func (export \"_start\")))").unwrap();
    recording.header.module_sha256 = sha256_hex(&wasm);
    recording.module = Arc::from(wasm);
    let no_memory = dir.path().join("no-memory.wstrace");
    std::fs::write(&no_memory, recording.to_bytes()).unwrap();
    let out = last_write(&no_memory, "0x10", &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("has no memory"), "{err}");
    assert!(!err.contains("replaying"), "{err}");

    // Atomics (the threads proposal) are not followed: said, not guessed at.
    let wasm = wat::parse_str(
        "(module (memory 1) (func (export \"_start\") \
         (i32.atomic.store (i32.const 0) (i32.const 1))))",
    )
    .unwrap();
    recording.header.module_sha256 = sha256_hex(&wasm);
    recording.module = Arc::from(wasm);
    std::fs::write(&no_memory, recording.to_bytes()).unwrap();
    let out = last_write(&no_memory, "0x0", &[]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("atomic memory instructions"), "{err}");
}

/// A counter stored 100 times in a loop: past the writes whose moment the first replay
/// keeps, so a second replay stops at the last one to keep it.
#[test]
fn the_last_of_many_writes_is_found_by_a_second_replay() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("count.wat");
    std::fs::write(
        &module,
        r#"(module
          (import "wasi_snapshot_preview1" "random_get"
            (func $random_get (param i32 i32) (result i32)))
          (memory (export "memory") 1)
          (func $count (local $i i32)
            (loop $again
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (i32.store (i32.const 0x40) (local.get $i))
              (br_if $again (i32.lt_u (local.get $i) (i32.const 100)))))
          (func $_start (export "_start")
            (drop (call $random_get (i32.const 0x80) (i32.const 4)))
            (call $count)))"#,
    )
    .unwrap();
    let trace = dir.path().join("count.wstrace");
    let recorded = wasmscope_reading(
        &[
            "run",
            "--record",
            trace.to_str().unwrap(),
            module.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(
        recorded.status.code(),
        Some(0),
        "{}",
        text(&recorded.stderr)
    );
    let out = last_write(&trace, "0x40:4", &[]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("replaying again"), "{stderr}");
    assert!(stdout.contains("i32.store in `count`"), "{stdout}");
    assert!(
        stdout.contains("before: 63 00 00 00"),
        "99 then 100: {stdout}"
    );
    assert!(stdout.contains("after:  64 00 00 00"), "{stdout}");
    assert!(stdout.contains("100 writes touched the range"), "{stdout}");
    assert!(stdout.contains("func[2] _start"), "{stdout}");
}

/// The README's example: the sample's bad pointer, traced to `set_name` called by `greet`.
#[test]
fn the_samples_bad_pointer_is_traced_to_set_name_called_by_greet() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("who.wstrace");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/who_wrote_me.wat");
    let recorded = wasmscope_reading(
        &[
            "run",
            "--record",
            trace.to_str().unwrap(),
            sample.to_str().unwrap(),
        ],
        None,
    );
    assert!(text(&recorded.stderr).contains("print_name"), "the trap");
    let out = last_write(&trace, "0x100:4", &[]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("i32.store in `set_name` (func[1])"),
        "{stdout}"
    );
    assert!(stdout.contains("before: 00 02 00 00"), "{stdout}");
    assert!(stdout.contains("after:  00 02 01 00"), "{stdout}");
    assert!(stdout.contains("func[3] greet"), "{stdout}");
    assert_eq!(out.status.code(), recorded.status.code());
}
