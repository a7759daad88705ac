//! What to run: the module, the sandbox it runs in, and what this run passes it.

use std::sync::Arc;

use crate::engine::module::inspect::ModuleInfo;
use crate::engine::module::precompiled::Origin;
use crate::engine::policy::{Invocation, SandboxPolicy};

/// What to run.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// The module's name (file name), used as argv0 and in the report.
    pub name: String,
    /// Binary wasm, or precompiled code's image when `precompiled` says so.
    pub wasm: Arc<[u8]>,
    /// `Some` runs `wasm` as precompiled machine code made by this origin (from
    /// [`crate::engine::LoadedModule::precompiled`]). Setting it is the face's statement that
    /// the user allowed native code (`--allow-precompiled`, or the window's confirmation).
    pub precompiled: Option<Origin>,
    /// What the guest may do.
    pub policy: SandboxPolicy,
    /// What this run passes the guest: arguments, stdin, the export to call.
    pub invocation: Invocation,
    /// What [`crate::engine::inspect`] found in `wasm`, when the face has it already (the window inspects a
    /// module once, when it opens it), so a run does not parse a large module again. `None`:
    /// the run inspects `wasm` itself. Precompiled code is checked against the types wasmtime
    /// loads instead, as before.
    pub info: Option<Arc<ModuleInfo>>,
}
