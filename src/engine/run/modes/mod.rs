//! Each kind of run ([`crate::engine::run::kind::RunKind`]) has its code here, a file each:
//! what it puts in the store before the guest starts and what it adds to the report after. The
//! run skeleton calls them by kind; a new kind is a new file, not new branches in the skeleton.

pub mod last_write;
pub mod live;
pub mod replay;
pub mod travel;

use crate::engine::run::target::RunTarget;
use crate::engine::sandbox::Sandbox;

/// Whether the run's WASI calls cross the shim, where they are recorded and replayed: core
/// modules with a plain 32-bit memory exported as `memory`.
pub(crate) fn calls_followed(target: &RunTarget, sandbox: &Sandbox) -> bool {
    target.module().is_some() && sandbox.store.data().shim.is_some()
}

/// Why the run's WASI calls cannot be recorded or replayed.
pub(crate) fn why_not_followed(target: &RunTarget) -> String {
    match target.module() {
        None => "components are not recorded yet: only core modules' WASI calls are".to_owned(),
        Some(_) => "this module makes no WASI call the sandbox can follow (it imports none, or \
                    has no plain 32-bit memory exported as `memory`), so nothing crosses the \
                    boundary to record"
            .to_owned(),
    }
}
