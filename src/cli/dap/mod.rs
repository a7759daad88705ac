//! `wasmscope dap`: the Debug Adapter Protocol on stdin and stdout, so an editor (VS Code,
//! Neovim's nvim-dap, Zed, Helix) debugs a WebAssembly module on wasmtime, in the wasmscope
//! sandbox, forwards and backwards.
//!
//! A session runs the module once, recorded, at full speed and under the sandbox the launch
//! grants; then it debugs that recording: a replay that counts every instruction, so each stop
//! knows its moment, and Step back or Reverse continue replay to an earlier one. What the
//! guest did to granted folders, it did in that first run. A `.wstrace` is debugged as it is.

mod capabilities;
mod evaluate;
mod launch;
mod protocol;
mod session;
mod views;

use std::process::ExitCode;

/// Serves one session until the client disconnects or closes stdin.
pub fn serve() -> ExitCode {
    let (to_session, requests) = crossbeam_channel::bounded(protocol::QUEUED_MESSAGES);
    let reader = std::thread::Builder::new()
        .name("wasmscope-dap-reader".to_owned())
        .spawn(move || protocol::read_messages(std::io::stdin().lock(), &to_session));
    if let Err(e) = reader {
        eprintln!("error: cannot start the protocol reader: {e}");
        return ExitCode::from(crate::engine::exit_status::FAILED);
    }
    let out = protocol::Writer::new(Box::new(std::io::stdout()));
    session::Session::new(out).serve(&requests);
    ExitCode::SUCCESS
}
