//! Something a panel asked for during a frame, applied at the end of it (see `actions.rs`).

use std::path::PathBuf;

use crate::ui::loader::{DialogPurpose, Source};

/// Saving or loading a sandbox profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileAction {
    /// Write the sandbox panel's policy to a file.
    Save,
    /// Replace the sandbox panel's policy with a file's.
    Load,
}

/// Something the UI asked for during a frame, applied at the end of it.
pub enum Command {
    /// Load and inspect a module in the background.
    Open(Source),
    /// Show the native open dialog.
    OpenDialog,
    /// Show the native folder dialog, to preopen a folder.
    AddFolderDialog,
    /// Ask for a path in a text field (no native dialog, or by choice).
    PromptPath(DialogPurpose, Option<String>),
    /// Start a run of the loaded module.
    Run,
    /// Stop the run in progress.
    Stop,
    /// Forget the recent files.
    ClearRecent,
    /// Forget the grants remembered for the loaded module (the user cleared them).
    ForgetGrants,
    /// Show a backtrace frame's function, with its instruction marked.
    ShowCode(crate::engine::FrameInfo),
    /// A new pause: the Code window follows it to the paused instruction, unless the user
    /// closed the window during this run (it does not reopen on every step).
    FollowPause(crate::engine::FrameInfo),
    /// Show the memory view, at an address if given.
    ShowMemory(Option<u64>),
    /// Save the last run's coredump: to this path, or where a save dialog says.
    SaveCoredump(Option<PathBuf>),
    /// Carry a scratch copy's changes (by guest path) to the real folder.
    ApplyScratch(String),
    /// Throw a scratch copy (by guest path) away.
    DiscardScratch(String),
    /// Show a dialog to save or load a sandbox profile.
    SandboxProfileDialog(ProfileAction),
    /// Copy the sandbox policy as this runtime's command line.
    CopyCommand(crate::engine::export::copy_as::Runtime),
    /// Show the sandbox policy as a Rust program embedding wasmtime.
    CopyAsRust,
    /// Load the precompiled module waiting for confirmation as native code.
    LoadNative,
    /// Do not load it: the open module stays.
    CancelNative,
    /// Precompile the loaded module to a `.cwasm`: at this path, or where a dialog says.
    Precompile(Option<PathBuf>),
    /// Run the loaded module under the sandbox and without its folders, side by side.
    CompareWithoutFolders,
    /// Run the loaded module as several tenants at once.
    RunTenants,
    /// Stop the tenants still running.
    StopTenants,
    /// Save the sandbox panel's settings as a profile at this path, or load them from it.
    SandboxProfileFile(ProfileAction, PathBuf),
    /// Debug mode: Continue, Step, Step out or Pause the run in progress.
    Debug(crate::engine::debug::DebugCommand),
    /// Set or clear a breakpoint at an instruction (module offset) of the loaded module.
    ToggleBreakpoint(usize),
    /// Save the last run's recording (a `.wstrace`): to this path, or where a dialog says.
    SaveRecording(Option<PathBuf>),
    /// Save the last run's report as one HTML page: to this path, or where a dialog says.
    SaveReportPage(Option<PathBuf>),
    /// Replay the last run's recording in debug mode, to show the state at its trap.
    ReplayWithState,
    /// Go to another moment of the replay's recording (Step back, Reverse continue, the
    /// timeline): the recording is replayed to it.
    Travel(crate::engine::policy::Travel),
    /// Go back from a live debug run's pause: the run stops, and its recording is replayed to
    /// the moment before the pause (or to the breakpoint hit before it).
    TravelFromLive(crate::engine::policy::Travel),
    /// Who wrote these bytes (address, length): paused in a replay, the last write before
    /// this moment (and go there); otherwise the last write in the run's recording.
    WhoWrote(u64, u64),
    /// Replay the run's recording in debug mode and pause at the last instruction that wrote
    /// these bytes (the memory view's answer, made a moment to step from).
    PauseAtLastWrite(crate::engine::policy::WatchedRange),
    /// Save the last run's guest profile (Firefox Profiler JSON): to this path, or where a
    /// save dialog says.
    SaveGuestProfile(Option<PathBuf>),
    /// Save the sandbox map as an SVG picture: to this path, or where a save dialog says.
    SaveMap(Option<PathBuf>),
    /// Show the call log (the outcome panel) narrowed to these calls: a door or a refusal
    /// clicked on the sandbox map.
    ShowInCallLog(crate::ui::calls::CallFilter),
}
