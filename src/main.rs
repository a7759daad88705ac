//! The `wasmscope` binary: the CLI's subcommands, or the window.

use std::process::ExitCode;

use clap::Parser;
use wasmscope::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Scratch copies left by a wasmscope that was killed or crashed go at the next start.
    wasmscope::engine::files::sweep_stale_copies();
    #[cfg(feature = "gui")]
    let file = cli.file.clone();
    if let Some(status) = cli::main(cli) {
        return status;
    }
    #[cfg(feature = "gui")]
    {
        wasmscope::ui::run_app(file)
    }
    #[cfg(not(feature = "gui"))]
    {
        eprintln!(
            "error: this build has no window (built without the `gui` feature); \
             use `wasmscope run FILE` or `wasmscope inspect FILE`"
        );
        ExitCode::from(wasmscope::engine::exit_status::USAGE)
    }
}
