//! What `wasmscope run` writes on this terminal besides the outcome: the guest's output and
//! the run's events as they come, and `--print-as`.

use std::io::Write;

use super::{PrintAs, RunArgs, report};
use crate::engine::{self, Invocation, RunEvent, SandboxPolicy, StdStream};

/// Shows one event of a run on this terminal: the guest's output, logpoints, the call log.
pub(super) fn show_event(event: &RunEvent) {
    if let RunEvent::Call(record) = event {
        eprintln!("{}", report::format_call(record));
    }
    if let RunEvent::Logpoint(hit) = event {
        eprintln!("wasmscope: {}", hit.line);
    }
    if let RunEvent::Output { stream, bytes } = event {
        // The terminal may be gone (a closed pipe); the run still finishes and reports.
        let _ = match stream {
            StdStream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            StdStream::Stderr => {
                let mut err = std::io::stderr().lock();
                err.write_all(bytes).and_then(|()| err.flush())
            }
        };
    }
}

/// `--print-as`: the command on stdout and what it cannot express on stderr, or the program.
pub(super) fn print_as(
    target: PrintAs,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    args: &RunArgs,
) {
    use engine::export::copy_as::Runtime;
    let module_path = args.file.to_string_lossy();
    let runtime = match target {
        PrintAs::Wasmscope => Runtime::Wasmscope,
        PrintAs::Wasmtime => Runtime::Wasmtime,
        PrintAs::Wasmer => Runtime::Wasmer,
        PrintAs::Wasmedge => Runtime::WasmEdge,
        PrintAs::Wazero => Runtime::Wazero,
        PrintAs::Rust => {
            let stdin_path = args.stdin.as_ref().map(|p| p.to_string_lossy());
            print!(
                "{}",
                engine::export::embed::rust_program(
                    policy,
                    invocation,
                    &module_path,
                    stdin_path.as_deref()
                )
            );
            return;
        }
    };
    let copied = engine::export::copy_as::command_line(runtime, policy, invocation, &module_path);
    println!("{}", copied.command);
    for note in &copied.notes {
        eprintln!("note: {note}");
    }
}
