//! What WASI offers, in groups a person can judge: the capability summary of inspection and
//! the capability log. (Which imports the sandbox can satisfy is checked by
//! [`crate::engine::inspect`].)

use serde::{Deserialize, Serialize};

/// A group of WASI functions that together grant one kind of access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Reading stdin, writing stdout/stderr, and I/O on descriptors already open.
    Stdio,
    /// Command-line arguments.
    Args,
    /// Environment variables.
    Env,
    /// Wall-clock and monotonic clocks.
    Clocks,
    /// Random bytes.
    Random,
    /// Opening, reading, writing and listing files in preopened directories.
    Filesystem,
    /// Network sockets already handed to the guest.
    Sockets,
    /// Waiting on clocks and descriptors (`poll_oneoff`, `sched_yield`).
    Poll,
    /// Ending the process (`proc_exit`, `proc_raise`).
    Process,
}

impl Capability {
    /// A short label: "stdio", "files", ...
    pub fn label(self) -> &'static str {
        match self {
            Capability::Stdio => "stdio",
            Capability::Args => "args",
            Capability::Env => "env",
            Capability::Clocks => "clocks",
            Capability::Random => "random",
            Capability::Filesystem => "files",
            Capability::Sockets => "sockets",
            Capability::Poll => "poll",
            Capability::Process => "exit",
        }
    }

    /// What the capability means for the guest, in plain words.
    pub fn explain(self) -> &'static str {
        match self {
            Capability::Stdio => {
                "read stdin and write stdout/stderr; the sandbox gives it only the stdin you set"
            }
            Capability::Args => "read its command-line arguments (only those you pass)",
            Capability::Env => {
                "read environment variables; it sees none unless you add them to the policy"
            }
            Capability::Clocks => "read the time (a timing side channel, not an escape)",
            Capability::Random => "get random bytes from the host",
            Capability::Filesystem => {
                "open, create and delete files, but only inside directories you preopen"
            }
            Capability::Sockets => {
                "use network sockets; refused unless the sandbox allows the network (components \
                 only), and a core module is handed none"
            }
            Capability::Poll => "sleep and wait for clocks or descriptors",
            Capability::Process => "exit with a code of its choice",
        }
    }
}

/// Whether `module` names a WASI preview 1 (or 0) interface.
pub fn is_wasi_module(module: &str) -> bool {
    matches!(module, "wasi_snapshot_preview1" | "wasi_unstable")
}

/// The capability a WASI function belongs to.
pub fn capability_of(function: &str) -> Capability {
    match function {
        "args_get" | "args_sizes_get" => Capability::Args,
        "environ_get" | "environ_sizes_get" => Capability::Env,
        "clock_time_get" | "clock_res_get" => Capability::Clocks,
        "random_get" => Capability::Random,
        "poll_oneoff" | "sched_yield" => Capability::Poll,
        "proc_exit" | "proc_raise" => Capability::Process,
        "fd_prestat_get"
        | "fd_prestat_dir_name"
        | "fd_readdir"
        | "fd_filestat_get"
        | "fd_filestat_set_size"
        | "fd_filestat_set_times"
        | "fd_allocate"
        | "fd_advise" => Capability::Filesystem,
        name if name.starts_with("path_") => Capability::Filesystem,
        name if name.starts_with("sock_") => Capability::Sockets,
        _ => Capability::Stdio,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_group_functions() {
        assert_eq!(capability_of("path_open"), Capability::Filesystem);
        assert_eq!(capability_of("fd_write"), Capability::Stdio);
        assert_eq!(capability_of("sock_accept"), Capability::Sockets);
        assert_eq!(capability_of("environ_get"), Capability::Env);
    }
}

pub mod memory;

/// The name of the WASI shim's module (its name section), so backtraces can leave its frames
/// out: they are the sandbox's, not the guest's.
pub const SHIM_MODULE_NAME: &str = "wasmscope_wasi_shim";

/// One run's instance of the WASI shim ([`crate::engine::sandbox::shim`]): its module (it imports the guest's memory
/// and the real WASI functions `names`, in order, and exports them again), and once the guest
/// made its first WASI call, the real functions as the shim exports them and the guest's
/// memory.
pub(crate) struct ShimInstance {
    pub(crate) module: wasmtime::Module,
    pub(crate) names: Vec<(&'static str, &'static str)>,
    pub(crate) ready: Option<(Vec<wasmtime::Func>, wasmtime::Memory)>,
}

impl ShimInstance {
    /// The real function `module::name`, once the shim is instantiated.
    pub(crate) fn real(&self, module: &str, name: &str) -> Option<wasmtime::Func> {
        let (real, _) = self.ready.as_ref()?;
        let at = self
            .names
            .iter()
            .position(|(m, n)| *m == module && *n == name)?;
        real.get(at).copied()
    }
}
