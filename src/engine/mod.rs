//! The engine: inspect a module, build a sandbox from a policy, run it, describe the outcome.
//! No egui and no threads of its own; the [`crate::runner`] puts a run on a worker thread.

// The rooms, bottom to top; a room's files import only their own room and the rooms below
// (ARCHITECTURE.md, checked by scripts/check-structure.py).

// The values that travel, and the data they carry.
pub mod calls;
pub mod debug;
pub mod disk;
pub mod errors;
pub mod events;
pub mod files;
pub mod host_dirs;
pub mod info;
pub mod inputs;
pub mod last_words;
pub mod leb;
pub mod lessons;
pub mod outcome;
pub mod own_files;
pub mod policy;
pub mod profiler;
pub mod record;
pub mod wasi;

// The machinery, each room above the ones it uses.
pub mod debugger;
pub mod export;
pub mod module;
pub mod run;
pub mod sandbox;

pub use events::{RunEvent, StdStream};
pub use info::UnresolvedImport;
pub use module::inspect::{ExternKind, FuncSig, ModuleInfo, ModuleKind, ModuleStyle, inspect};
pub use module::load::{LoadError, LoadedModule, load_bytes, load_file, wat_to_wasm};
pub use outcome::{
    FrameInfo, GrowthEvent, Resource, RunOutcome, RunReport, RunStats, StoppedAt, TrapInfo,
    TrapKind, exit_status,
};
pub use policy::{
    Compiler, DirGrant, Entry, Invocation, Limit, PolicyError, SandboxPolicy, StdinSource,
    format_bytes, parse_bytes, parse_count, parse_duration,
};
pub use run::{RunRequest, run};
pub use sandbox::RunControl;
pub use wasi::Capability;
