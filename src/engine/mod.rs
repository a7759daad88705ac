//! The engine: inspect a module, build a sandbox from a policy, run it, describe the outcome.
//! No egui and no threads of its own; the [`crate::runner`] puts a run on a worker thread.

pub mod cache;
pub mod calllog;
pub mod copy_as;
pub mod debug;
pub mod disasm;
pub mod disk;
pub mod embed;
pub mod errors;
pub mod events;
pub mod files;
pub mod host_dirs;
pub mod info;
pub mod inspect;
pub mod last_write;
pub mod leb;
pub mod load;
pub mod outcome;
pub mod output;
pub mod policy;
pub mod precompiled;
pub(crate) mod preopens;
pub mod profile;
pub mod profiler;
pub mod quota;
pub mod record;
pub mod recording;
pub mod run;
pub mod sandbox;
pub mod target;
pub mod tenants;
pub mod wasi;
pub mod watch;

pub use events::{RunEvent, StdStream};
pub use info::UnresolvedImport;
pub use inspect::{ExternKind, FuncSig, ModuleInfo, ModuleKind, ModuleStyle, inspect};
pub use load::{LoadError, LoadedModule, load_bytes, load_file, wat_to_wasm};
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
