//! The host's own failures as types, and how an error reads as one line. What the guest does
//! (a trap, an exit) is an outcome, not an error: see [`crate::engine::outcome`].

use std::path::PathBuf;

/// An error from a library (wasmtime, the operating system), kept as the cause.
pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A wasmtime error as a [`Cause`], its context chain kept.
pub fn cause(error: wasmtime::Error) -> Cause {
    error.into_boxed_dyn_error()
}

/// Why the host could not set up a run. The run then ends as `Failed` with this error's
/// chain ([`chain_text`]) as its message.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The engine could not be configured for the policy.
    #[error("cannot configure the engine")]
    Engine(#[source] Cause),
    /// The WASI shim (through which the call log and the disk quota see every WASI call)
    /// could not be set up.
    #[error("cannot set up the WASI shim (the call log and the disk quota)")]
    Shim(#[source] Cause),
    /// WASI preview 2 could not be linked.
    #[error("cannot set up WASI preview 2")]
    Preview2(#[source] Cause),
    /// The fuel budget could not be set.
    #[error("cannot set fuel")]
    Fuel(#[source] Cause),
    /// The async runtime the guest's calls run on could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// A preopened directory is missing.
    #[error(
        "cannot preopen {}: it does not exist or is not a directory (create it, or remove it \
         from the sandbox)",
        .0.display()
    )]
    MissingDir(PathBuf),
    /// A directory could not be preopened.
    #[error("cannot preopen {}", path.display())]
    Preopen {
        /// The host folder.
        path: PathBuf,
        /// What WASI said.
        #[source]
        source: Cause,
    },
    /// The stdin file could not be opened.
    #[error("cannot open the stdin file {}", path.display())]
    Stdin {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Debug mode could not set its breakpoints.
    #[error("cannot set up debug mode")]
    Debug(#[source] Cause),
    /// A scratch copy could not be made.
    #[error(transparent)]
    Scratch(#[from] crate::engine::files::ScratchError),
    /// A folder grant the policy refuses (one that hands the guest the host).
    #[error(transparent)]
    Policy(#[from] crate::engine::policy::PolicyError),
}

/// An error and its causes on one line, outermost first: `cannot preopen /x: not found`.
/// This is what `{err:#}` shows for an `anyhow` error, for any error type.
pub fn chain_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        // A transparent wrapper repeats its cause's text; say it once.
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// An error's message chain without the wasm backtrace (shown separately as frames) and
/// without host stack traces.
pub fn error_text(e: &wasmtime::Error) -> String {
    let parts: Vec<String> = e
        .chain()
        .map(|cause| cause.to_string())
        // The backtrace is attached as context whose text is the whole backtrace.
        .filter(|text| !text.contains("wasm backtrace:"))
        .collect();
    let mut text = String::new();
    for part in parts {
        // wasmtime repeats a cause's text in its context sometimes; keep the first.
        if !text.contains(&part) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&part);
        }
    }
    text
}
