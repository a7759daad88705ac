//! The engine: inspect a module, build a sandbox from a policy, run it, describe the outcome.
//! No egui and no threads of its own; the [`crate::runner`] puts a run on a worker thread.

pub mod calllog;
pub mod component;
pub mod disasm;
pub mod events;
pub mod files;
pub mod inspect;
pub mod load;
pub mod outcome;
pub mod policy;
pub mod profile;
pub mod quota;
pub mod run;
pub mod sandbox;
pub mod tenants;
pub mod wasi;

pub use events::{RunEvent, StdStream};
pub use inspect::{ExternKind, FuncSig, ModuleInfo, ModuleKind, ModuleStyle, inspect};
pub use load::{LoadError, LoadedModule, load_bytes, load_file, wat_to_wasm};
pub use outcome::{
    FrameInfo, GrowthEvent, Resource, RunOutcome, RunReport, RunStats, TrapInfo, exit_status,
};
pub use policy::{
    Compiler, DirGrant, Entry, SandboxPolicy, StdinSource, format_bytes, parse_bytes,
    parse_duration,
};
pub use run::{RunControl, RunRequest, run};
pub use wasi::{Capability, UnresolvedImport};
