//! Helpers shared by the integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

pub mod dap;
pub mod guests;
pub mod words;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmscope::engine::{self, Invocation, RunEvent, RunReport, SandboxPolicy, StdStream};
use wasmscope::runner;

#[cfg(feature = "gui")]
pub mod ui;
#[cfg(feature = "gui")]
pub mod window;

/// `samples/STEM.wat` (`sample("hello")`); [`ui::sample_path`] takes a whole file name.
pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(format!("{name}.wat"))
}

/// What a run produced, as a user would see it.
pub struct Ran {
    pub report: RunReport,
    pub stdout: String,
    pub stderr: String,
    pub growths: Vec<(engine::GrowthEvent, bool)>,
}

/// Runs wasm bytes under `policy` through the runner (worker thread, events).
pub fn run_wasm(name: &str, wasm: Vec<u8>, policy: SandboxPolicy) -> Ran {
    run_wasm_with(name, wasm, policy, Invocation::default())
}

/// Runs wasm bytes under `policy`, passing `invocation`, through the runner.
pub fn run_wasm_with(
    name: &str,
    wasm: Vec<u8>,
    policy: SandboxPolicy,
    invocation: Invocation,
) -> Ran {
    let handle = runner::spawn(
        engine::RunRequest {
            name: name.to_owned(),
            wasm: Arc::from(wasm),
            precompiled: None,
            policy,
            invocation,
            info: None,
        },
        None,
    )
    .expect("worker starts");
    collect(handle)
}

/// Drains a run's events into a [`Ran`].
pub fn collect(handle: runner::RunHandle) -> Ran {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut growths = Vec::new();
    let report = handle.wait_with(|event| match event {
        RunEvent::Output {
            stream: StdStream::Stdout,
            bytes,
        } => stdout.extend_from_slice(bytes),
        RunEvent::Output {
            stream: StdStream::Stderr,
            bytes,
        } => stderr.extend_from_slice(bytes),
        RunEvent::Growth { event, allowed } => growths.push((event.clone(), *allowed)),
        _ => {}
    });
    Ran {
        report,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        growths,
    }
}

/// Runs a sample under `policy`.
pub fn run_sample(name: &str, policy: SandboxPolicy) -> Ran {
    run_sample_with(name, policy, Invocation::default())
}

/// Runs a sample under `policy`, passing `invocation`.
pub fn run_sample_with(name: &str, policy: SandboxPolicy, invocation: Invocation) -> Ran {
    let module = engine::load_file(&sample(name)).expect("sample loads");
    run_wasm_with(&module.name, module.wasm, policy, invocation)
}

/// An invocation of `_start` with these arguments.
pub fn with_args(args: &[&str]) -> Invocation {
    Invocation {
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        ..Invocation::default()
    }
}

/// A policy granting `dir` at `/data`.
pub fn dir_policy(dir: &Path, read_only: bool) -> SandboxPolicy {
    SandboxPolicy {
        dirs: vec![engine::DirGrant {
            host_path: dir.to_owned(),
            guest_path: "/data".into(),
            read_only,
            scratch: false,
        }],
        ..SandboxPolicy::default()
    }
}

/// A policy with a short timeout, for samples that never end.
pub fn short_timeout(ms: u64) -> SandboxPolicy {
    SandboxPolicy {
        timeout_ms: Some(ms),
        ..SandboxPolicy::default()
    }
}

/// A generous bound for "it stopped promptly" checks: catches hangs, not slowness.
pub const PROMPT: Duration = Duration::from_secs(20);

/// A module with `functions` small functions (for compile times and cache sizes), whose
/// `_start` calls the last of them and then either returns or, with `spin`, loops until
/// stopped. `seed` makes modules of the same size differ (a cold compile for each).
pub fn many_functions(functions: u32, seed: u32, spin: bool) -> Vec<u8> {
    use std::fmt::Write;
    let mut wat = String::from("(module (memory (export \"memory\") 1)\n");
    for i in 0..functions {
        let _ = writeln!(
            wat,
            "(func $f{i} (param i32) (result i32) (local i32) \
             local.get 0 i32.const {k} i32.add local.tee 1 i32.const 3 i32.mul \
             local.get 1 i32.xor i32.const {seed} i32.rotl)",
            k = i.wrapping_mul(31)
        );
    }
    let last = functions.saturating_sub(1);
    let body = if spin {
        format!("i32.const 1 call $f{last} drop (loop $l br $l)")
    } else {
        format!("i32.const 1 call $f{last} drop")
    };
    let _ = write!(wat, "(func (export \"_start\") {body}))");
    wat::parse_str(&wat).unwrap()
}

/// A module of `functions` huge functions, `instructions` additions each: what leaves a
/// compiler's buffers big (they grow to the largest function compiled).
pub fn huge_functions(functions: u32, instructions: u32, seed: u32) -> Vec<u8> {
    use std::fmt::Write;
    let mut wat = String::from("(module\n");
    for f in 0..functions {
        let _ = write!(
            wat,
            "(func $f{f} (export \"f{f}\") (param i32) (result i32) (local i32)"
        );
        for i in 0..instructions {
            let _ = write!(
                wat,
                " local.get 1 local.get 0 i32.const {} i32.mul i32.add local.set 1",
                i ^ seed
            );
        }
        wat.push_str(" local.get 1)\n");
    }
    wat.push(')');
    wat::parse_str(&wat).unwrap()
}

/// Runs the sample `name` with no timeout, presses Stop after `delay`, and collects the run.
pub fn cancel_after(name: &str, delay: Duration) -> Ran {
    let module = engine::load_file(&sample(name)).unwrap();
    let handle = runner::spawn(
        engine::RunRequest {
            name: module.name,
            wasm: module.wasm.into(),
            precompiled: None,
            policy: SandboxPolicy {
                timeout_ms: None,
                ..SandboxPolicy::default()
            },
            invocation: Invocation::default(),
            info: None,
        },
        None,
    )
    .unwrap();
    std::thread::sleep(delay);
    handle.cancel();
    collect(handle)
}

/// Runs the `wasmscope` binary with `args` (stdin empty) and waits for it.
pub fn wasmscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_wasmscope"))
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs")
}

/// Runs the `wasmscope` binary with `args`, its stdin read from `stdin` (empty when `None`).
pub fn wasmscope_reading(args: &[&str], stdin: Option<&Path>) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_wasmscope"));
    command.args(args);
    command.stdin(match stdin {
        Some(path) => std::process::Stdio::from(std::fs::File::open(path).unwrap()),
        None => std::process::Stdio::null(),
    });
    command.output().expect("the binary runs")
}

/// Bytes a process printed, as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `wasm` with DWARF line tables as a compiler writes them: a row at every instruction, in
/// `/src/main.c`, line N and column 3 for the Nth instruction.
pub fn with_line_table(wasm: &[u8]) -> Vec<u8> {
    use gimli::write::{Address, DwarfUnit, EndianVec, LineProgram, LineString, Sections};
    let mut code_start = 0;
    let mut addresses = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.unwrap() {
            wasmparser::Payload::CodeSectionStart { range, .. } => code_start = range.start,
            wasmparser::Payload::CodeSectionEntry(body) => {
                let mut operators = body.get_operators_reader().unwrap();
                while !operators.eof() {
                    let (_, offset) = operators.read_with_offset().unwrap();
                    addresses.push((offset - code_start) as u64);
                }
            }
            _ => {}
        }
    }
    let encoding = gimli::Encoding {
        format: gimli::Format::Dwarf32,
        version: 4,
        address_size: 4,
    };
    let mut dwarf = DwarfUnit::new(encoding);
    let mut program = LineProgram::new(
        encoding,
        gimli::LineEncoding::default(),
        LineString::String(b"/src".to_vec()),
        None,
        LineString::String(b"main.c".to_vec()),
        None,
    );
    let directory = program.default_directory();
    let file = program.add_file(LineString::String(b"main.c".to_vec()), directory, None);
    program.begin_sequence(Some(Address::Constant(0)));
    for (line, address) in addresses.iter().enumerate() {
        program.row().address_offset = *address;
        program.row().file = file;
        program.row().line = line as u64 + 1;
        program.row().column = 3;
        program.generate_row();
    }
    program.end_sequence(addresses.last().unwrap() + 1);
    dwarf.unit.line_program = program;
    let mut sections = Sections::new(EndianVec::new(gimli::LittleEndian));
    dwarf.write(&mut sections).unwrap();
    let mut out = wasm.to_vec();
    let leb = |out: &mut Vec<u8>, mut n: usize| loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            break;
        }
        out.push(byte | 0x80);
    };
    sections
        .for_each(|id, data| {
            let data = data.slice();
            if !data.is_empty() {
                let mut payload = Vec::new();
                leb(&mut payload, id.name().len());
                payload.extend_from_slice(id.name().as_bytes());
                payload.extend_from_slice(data);
                out.push(0);
                leb(&mut out, payload.len());
                out.extend_from_slice(&payload);
            }
            Ok::<_, ()>(())
        })
        .unwrap();
    out
}

/// The next pause, or the report if the run ended first.
pub fn next_pause(
    handle: &runner::RunHandle,
) -> Result<Box<engine::debug::PausedState>, Box<RunReport>> {
    let deadline = Instant::now() + PROMPT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match handle.events.recv_timeout(left) {
            Ok(RunEvent::Paused(state)) => return Ok(state),
            Ok(RunEvent::Finished(report)) => return Err(report),
            Ok(_) => {}
            Err(e) => panic!("no pause and no end within {:?}: {e}", PROMPT),
        }
    }
}

/// A recorded run of `wasm` (named `name`) under the default sandbox, parsed back.
pub fn record(name: &str, wasm: Vec<u8>) -> wasmscope::engine::record::recording::Recording {
    let ran = run_wasm_with(
        name,
        wasm,
        SandboxPolicy::default(),
        Invocation {
            record_max_bytes: Some(1 << 20),
            ..Invocation::default()
        },
    );
    let bytes = ran.report.recording.as_ref().expect("the run was recorded");
    wasmscope::engine::record::recording::Recording::parse(bytes).expect("its recording reads")
}

/// One key folder for the whole test process (the key folder is process-wide).
pub fn process_key_dir() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        wasmscope::engine::own_files::set_key_dir(dir.path().to_path_buf());
        dir
    })
    .path()
}
