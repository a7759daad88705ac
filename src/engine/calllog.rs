//! The capability log: every WASI call of a run with decoded arguments, its result by name,
//! and, when the sandbox said no, why in plain words.
//!
//! wasmtime-wasi's own tracing shows paths only as guest pointers, so instead each WASI
//! function the module imports is wrapped for the run: the wrapper reads paths from guest
//! memory, calls the real function, and records what came back. Only runs that ask for the
//! log (`SandboxPolicy::log_calls`) pay for it.

use std::collections::HashMap;
use std::time::Instant;

use crossbeam_channel::Sender;
use wasmtime::{Caller, Extern, Func, Linker, Store, Val};

use crate::engine::events::RunEvent;
pub use crate::engine::outcome::CallRecord;
use crate::engine::outcome::MAX_RECORDED_DENIALS;
use crate::engine::policy::{Invocation, SandboxPolicy};
use crate::engine::sandbox::Host;
use crate::engine::wasi::{Capability, capability_of, is_wasi_module};

/// How many calls a report keeps (the count keeps counting).
pub const MAX_RECORDED_CALLS: usize = 1000;

/// What a file descriptor refers to, as far as the log can tell.
#[derive(Clone, Debug)]
struct FdInfo {
    what: String,
    read_only: bool,
}

/// Per-run state of the log (lives in the store's [`Host`]).
pub struct CallLog {
    events: Sender<RunEvent>,
    /// Whether calls are recorded and sent (the policy's `log_calls`); when off the log only
    /// counts calls and refusals.
    recording: bool,
    started: Instant,
    fds: HashMap<u32, FdInfo>,
    dirs_granted: bool,
    pending: Option<CallRecord>,
    shim: Option<Shim>,
    /// The first calls, for the report.
    pub calls: Vec<CallRecord>,
    /// Calls in all (coalesced repeats counted one by one).
    pub total: u64,
    /// The first denials, for the report.
    pub denials: Vec<CallRecord>,
    /// Denials in all.
    pub denials_total: u64,
}

impl CallLog {
    /// A log for a run of `invocation` under `policy`; preopens get fds 3, 4, ... in order.
    pub fn new(
        policy: &SandboxPolicy,
        _invocation: &Invocation,
        started: Instant,
        events: Sender<RunEvent>,
    ) -> Self {
        let mut fds = HashMap::new();
        for (fd, what) in [(0, "stdin"), (1, "stdout"), (2, "stderr")] {
            fds.insert(
                fd,
                FdInfo {
                    what: what.to_owned(),
                    read_only: false,
                },
            );
        }
        for (i, dir) in policy.dirs.iter().enumerate() {
            fds.insert(
                3 + i as u32,
                FdInfo {
                    what: dir.guest_path.clone(),
                    read_only: dir.read_only,
                },
            );
        }
        Self {
            events,
            recording: policy.log_calls,
            started,
            fds,
            dirs_granted: !policy.dirs.is_empty(),
            pending: None,
            shim: None,
            calls: Vec::new(),
            total: 0,
            denials: Vec::new(),
            denials_total: 0,
        }
    }

    fn record(&mut self, record: CallRecord) {
        if record.denial.is_some() {
            self.denials_total += 1;
        }
        if !self.recording {
            return;
        }
        self.total += 1;
        if record.denial.is_some() && self.denials.len() < MAX_RECORDED_DENIALS {
            self.denials.push(record.clone());
        }
        if let Some(pending) = &mut self.pending
            && pending.function == record.function
            && pending.args == record.args
            && pending.result == record.result
        {
            pending.count += 1;
            return;
        }
        self.flush();
        self.pending = Some(record);
    }

    /// Sends the record that may still be collecting repeats. Call at the end of a run too.
    pub fn flush(&mut self) {
        if let Some(record) = self.pending.take() {
            if self.calls.len() < MAX_RECORDED_CALLS {
                self.calls.push(record.clone());
            }
            // Never block the guest for the log: a full channel drops the live copy (the
            // report still has it, and the UI reads the report at the end).
            let _ = self.events.try_send(RunEvent::Call(record));
        }
    }
}

/// The real WASI functions, reached through a small wasm instance that re-exports the
/// guest's memory: a WASI function finds `memory` through its caller's instance, and a host
/// function calling it directly would leave it with none.
struct Shim {
    module: wasmtime::Module,
    /// The real functions, in the shim's import order (after the memory).
    real: Vec<Func>,
    instance: Option<wasmtime::Instance>,
}

/// The shim's text: imports the guest memory and the real functions, re-exports both.
fn shim_wat(functions: &[(String, String, wasmtime::FuncType)]) -> String {
    let mut wat = String::from(
        "(module\n  (import \"guest\" \"memory\" (memory 0))\n  (export \"memory\" (memory 0))\n",
    );
    let mut exports = String::new();
    for (i, (_, _, ty)) in functions.iter().enumerate() {
        let params: Vec<String> = ty.params().map(|p| p.to_string()).collect();
        let results: Vec<String> = ty.results().map(|r| r.to_string()).collect();
        let sig = format!(
            "(param {}) (result {})",
            params.join(" "),
            results.join(" ")
        );
        wat.push_str(&format!(
            "  (import \"real\" \"{i}\" (func $real{i} {sig}))\n"
        ));
        let gets: String = (0..params.len())
            .map(|p| format!("local.get {p} "))
            .collect();
        // Exported by index: a module may import one name from two WASI versions
        // (wasi_unstable and wasi_snapshot_preview1), and export names must be unique.
        exports.push_str(&format!(
            "  (func (export \"{i}\") {sig} {gets}call $real{i})\n"
        ));
    }
    wat.push_str(&exports);
    wat.push(')');
    wat
}

/// Returns a copy of `base` (the shared linker, or the disk quota's) in which every WASI
/// function that `module` imports is wrapped to log its calls into the store's [`CallLog`].
/// `None` when the module cannot be logged (no WASI imports, or no plain 32-bit `memory`
/// export); it then runs unlogged.
pub fn logging_linker(
    shared: &crate::engine::sandbox::SharedEngine,
    key: crate::engine::sandbox::EngineKey,
    base: &Linker<Host>,
    store: &mut Store<Host>,
    module: &wasmtime::Module,
) -> wasmtime::Result<Option<Linker<Host>>> {
    let plain_memory = module.exports().any(|e| {
        e.name() == "memory"
            && matches!(e.ty(), wasmtime::ExternType::Memory(m) if !m.is_64() && !m.is_shared())
    });
    let mut functions = Vec::new();
    let mut real = Vec::new();
    for import in module.imports() {
        let known = |(m, n, _): &(String, String, _)| m == import.module() && n == import.name();
        if !is_wasi_module(import.module()) || functions.iter().any(known) {
            continue;
        }
        if let Ok(Extern::Func(func)) = base.get(&mut *store, import.module(), import.name()) {
            functions.push((
                import.module().to_owned(),
                import.name().to_owned(),
                func.ty(&*store),
            ));
            real.push(func);
        }
    }
    if functions.is_empty() || !plain_memory {
        return Ok(None);
    }
    let shim_wasm = wat::parse_str(shim_wat(&functions))?;
    let shim_module = crate::engine::sandbox::compile(shared, key, &shim_wasm)?.module;
    if let Some(log) = store.data_mut().calls.as_mut() {
        log.shim = Some(Shim {
            module: shim_module,
            real,
            instance: None,
        });
    }
    let mut logging = base.clone();
    logging.allow_shadowing(true);
    for (index, (wasi_module, name, ty)) in functions.into_iter().enumerate() {
        // One small leak per distinct WASI function name, ever: the closure needs 'static.
        let function: &'static str = intern(&name);
        logging.func_new_async(
            &wasi_module,
            function,
            ty,
            move |caller, params, results| {
                Box::new(logged_call(caller, function, index, params, results))
            },
        )?;
    }
    Ok(Some(logging))
}

/// A `'static` copy of a WASI function name, made once per name.
fn intern(name: &str) -> &'static str {
    static NAMES: std::sync::OnceLock<std::sync::Mutex<Vec<&'static str>>> =
        std::sync::OnceLock::new();
    let mut names = NAMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(existing) = names.iter().find(|n| **n == name) {
        return existing;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

/// The shim's export for `function`, instantiating the shim on first use.
async fn real_function(
    caller: &mut Caller<'_, Host>,
    function: &str,
    index: usize,
) -> wasmtime::Result<Func> {
    let missing = || wasmtime::format_err!("missing required memory export");
    fn shim<'a>(caller: &'a Caller<'_, Host>) -> Option<&'a Shim> {
        caller
            .data()
            .calls
            .as_ref()
            .and_then(|log| log.shim.as_ref())
    }
    if shim(caller).is_some_and(|shim| shim.instance.is_none()) {
        let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
            return Err(missing());
        };
        let (module, mut imports) = {
            let shim = shim(caller).ok_or_else(missing)?;
            let imports: Vec<Extern> = shim.real.iter().map(|f| Extern::Func(*f)).collect();
            (shim.module.clone(), imports)
        };
        imports.insert(0, Extern::Memory(memory));
        let instance = wasmtime::Instance::new_async(&mut *caller, &module, &imports).await?;
        if let Some(shim) = caller
            .data_mut()
            .calls
            .as_mut()
            .and_then(|log| log.shim.as_mut())
        {
            shim.instance = Some(instance);
        }
    }
    let instance = shim(caller)
        .and_then(|shim| shim.instance)
        .ok_or_else(missing)?;
    instance
        .get_func(&mut *caller, &index.to_string())
        .ok_or_else(|| wasmtime::format_err!("the call log lost track of `{function}`"))
}

async fn logged_call(
    mut caller: Caller<'_, Host>,
    function: &'static str,
    index: usize,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let at_us = caller
        .data()
        .calls
        .as_ref()
        .map_or(0, |log| log.started.elapsed().as_micros() as u64);
    let decoded = decode(&mut caller, function, params);
    let inner = real_function(&mut caller, function, index).await?;
    let refused_before = quota_refusals(&caller);
    // The guard sees the call come back, or wasmtime abandon it at a stop (see `watch`).
    let call = crate::engine::watch::HostCall::start(&mut caller, function);
    let outcome = inner.call_async(&mut *call.caller, params, results).await;
    call.returned();
    let refused_by_quota = quota_refusals(&caller) > refused_before;
    let errno = results.first().and_then(Val::i32).map(|e| e as u16);
    if let (Some(0), Some(opened)) = (errno, &decoded.opens) {
        // path_open wrote the new fd at its last parameter's address.
        if let Some(fd) = read_u32(&mut caller, opened.fd_out)
            && let Some(log) = caller.data_mut().calls.as_mut()
        {
            log.fds.insert(
                fd,
                FdInfo {
                    what: opened.path.clone(),
                    read_only: opened.read_only,
                },
            );
        }
    }
    let Some(log) = caller.data_mut().calls.as_mut() else {
        return outcome;
    };
    let capability = match decoded.fd {
        // I/O on a file or directory the guest opened (or was given) is file access, not
        // stdio; descriptors 0-2 stay stdio.
        Some(fd) if fd > 2 && log.fds.contains_key(&fd) && function.starts_with("fd_") => {
            Capability::Filesystem
        }
        _ => capability_of(function),
    };
    if function == "fd_close"
        && errno == Some(0)
        && let Some(fd) = params.first().and_then(Val::i32)
    {
        log.fds.remove(&(fd as u32));
    }
    let result = match (&outcome, errno) {
        (Err(e), _) => match e.downcast_ref::<wasmtime_wasi::I32Exit>() {
            Some(exit) => format!("exit({})", exit.0),
            None => "trap".to_owned(),
        },
        (Ok(()), Some(errno)) => errno_name(errno).to_owned(),
        (Ok(()), None) => "done".to_owned(),
    };
    let denial = if refused_by_quota {
        Some("disk quota reached: the sandbox answered as a full disk would".to_owned())
    } else {
        explain(log, function, errno, &decoded)
    };
    log.record(CallRecord {
        function: function.to_owned(),
        capability,
        args: decoded.text,
        errno,
        result,
        denial,
        at_us,
        count: 1,
    });
    outcome
}

/// Calls the disk quota has refused so far in this run.
fn quota_refusals(caller: &Caller<'_, Host>) -> u64 {
    caller
        .data()
        .quota
        .as_ref()
        .map_or(0, crate::engine::quota::DiskQuota::refused)
}

struct Opened {
    path: String,
    read_only: bool,
    fd_out: u32,
}

struct Decoded {
    text: String,
    /// The descriptor the call works on and the path it names, if any.
    fd: Option<u32>,
    path: Option<String>,
    /// Whether the call would change the filesystem.
    writes: bool,
    opens: Option<Opened>,
    /// For `path_symlink`: where the new link would point.
    symlink_target: Option<String>,
}

fn read_u32(caller: &mut Caller<'_, Host>, addr: u32) -> Option<u32> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return None;
    };
    let data = memory.data(&*caller);
    let bytes = data.get(addr as usize..addr as usize + 4)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

pub(crate) fn read_str(caller: &mut Caller<'_, Host>, ptr: i32, len: i32) -> String {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return "<no memory>".to_owned();
    };
    let data = memory.data(&*caller);
    let start = ptr as u32 as usize;
    let len = (len as u32 as usize).min(4096);
    match data.get(start..start.saturating_add(len)) {
        Some(bytes) => {
            let mut text = String::from_utf8_lossy(bytes).into_owned();
            if text.len() > 256 {
                text.truncate(text.floor_char_boundary(256));
                text.push('…');
            }
            text
        }
        None => "<out of bounds>".to_owned(),
    }
}

const OFLAGS_CREAT: i32 = 1;
const OFLAGS_TRUNC: i32 = 8;
/// Rights that read: fd_read, fd_readdir.
const READ_RIGHTS: i64 = (1 << 1) | (1 << 14);
/// Rights that change a file: fd_datasync, fd_write, fd_allocate, fd_filestat_set_size. These
/// are the ones wasmtime-wasi opens a file for writing on. (wasi-libc asks for every other
/// right, fd_sync included, on any open, so those say nothing about writing.)
const WRITE_RIGHTS: i64 = (1 << 0) | (1 << 6) | (1 << 8) | (1 << 22);

/// The words for a `path_open`'s real arguments: `read`, `write`, `create`, `truncate`,
/// `directory`, `exclusive`, in that order.
fn open_flags(oflags: i32, rights: i64) -> Vec<&'static str> {
    let mut flags = Vec::new();
    if rights & READ_RIGHTS != 0 {
        flags.push("read");
    }
    if rights & WRITE_RIGHTS != 0 {
        flags.push("write");
    }
    for (bit, name) in [
        (1, "create"),
        (8, "truncate"),
        (2, "directory"),
        (4, "exclusive"),
    ] {
        if oflags & bit != 0 {
            flags.push(name);
        }
    }
    flags
}

fn decode(caller: &mut Caller<'_, Host>, function: &str, params: &[Val]) -> Decoded {
    let int = |i: usize| params.get(i).and_then(Val::i32).unwrap_or(0);
    let long = |i: usize| params.get(i).and_then(Val::i64).unwrap_or(0);
    let fd_text = |caller: &Caller<'_, Host>, fd: i32| {
        let what = caller
            .data()
            .calls
            .as_ref()
            .and_then(|log| log.fds.get(&(fd as u32)))
            .map(|info| {
                format!(
                    " ({}{})",
                    info.what,
                    if info.read_only { ", read-only" } else { "" }
                )
            })
            .unwrap_or_default();
        format!("fd={fd}{what}")
    };
    let mut decoded = Decoded {
        text: String::new(),
        fd: None,
        path: None,
        writes: false,
        opens: None,
        symlink_target: None,
    };
    // (fd param, path ptr param, writes) for the path functions.
    let path_call = match function {
        "path_open" => Some((0, 2, false)),
        "path_create_directory" | "path_remove_directory" | "path_unlink_file" => {
            Some((0, 1, true))
        }
        "path_filestat_get" | "path_filestat_set_times" => {
            Some((0, 2, function.ends_with("times")))
        }
        "path_readlink" => Some((0, 1, false)),
        "path_rename" => Some((0, 1, true)),
        "path_link" => Some((0, 2, true)),
        "path_symlink" => Some((2, 3, true)),
        _ => None,
    };
    if let Some((fd_i, path_i, writes)) = path_call {
        let fd = int(fd_i);
        let path = read_str(caller, int(path_i), int(path_i + 1));
        decoded.text = format!("{} path={path:?}", fd_text(caller, fd));
        decoded.fd = Some(fd as u32);
        decoded.writes = writes;
        match function {
            "path_open" => {
                let oflags = int(4);
                let rights = long(5);
                let flags = open_flags(oflags, rights);
                if !flags.is_empty() {
                    decoded.text.push_str(&format!(" [{}]", flags.join(" ")));
                }
                decoded.writes =
                    oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) != 0 || rights & WRITE_RIGHTS != 0;
                let dir = caller
                    .data()
                    .calls
                    .as_ref()
                    .and_then(|log| log.fds.get(&(fd as u32)).cloned());
                decoded.opens = Some(Opened {
                    path: match &dir {
                        Some(dir) => format!("{}/{path}", dir.what.trim_end_matches('/')),
                        None => path.clone(),
                    },
                    read_only: dir.is_some_and(|d| d.read_only),
                    fd_out: int(8) as u32,
                });
            }
            "path_rename" => {
                let to = read_str(caller, int(4), int(5));
                decoded
                    .text
                    .push_str(&format!(" -> {} path={to:?}", fd_text(caller, int(3))));
            }
            "path_link" => {
                let to = read_str(caller, int(5), int(6));
                decoded
                    .text
                    .push_str(&format!(" -> {} path={to:?}", fd_text(caller, int(4))));
            }
            "path_symlink" => {
                let target = read_str(caller, int(0), int(1));
                decoded.text.push_str(&format!(" -> target={target:?}"));
                decoded.symlink_target = Some(target);
            }
            _ => {}
        }
        decoded.path = Some(path);
        return decoded;
    }
    decoded.text = match function {
        "fd_write" | "fd_read" | "fd_pwrite" | "fd_pread" => {
            decoded.fd = Some(int(0) as u32);
            decoded.writes = function.contains("write");
            format!("{} iovs={}", fd_text(caller, int(0)), int(2))
        }
        "proc_exit" => format!("code={}", int(0)),
        "random_get" => format!("len={}", int(1)),
        "clock_time_get" | "clock_res_get" => {
            let clock = match int(0) {
                0 => "realtime",
                1 => "monotonic",
                2 => "process_cputime",
                3 => "thread_cputime",
                _ => "unknown",
            };
            format!("clock={clock}")
        }
        "poll_oneoff" => format!("subscriptions={}", int(2)),
        "args_get" | "args_sizes_get" | "environ_get" | "environ_sizes_get" | "sched_yield" => {
            String::new()
        }
        name if name.starts_with("fd_") || name.starts_with("sock_") => {
            decoded.fd = Some(int(0) as u32);
            fd_text(caller, int(0))
        }
        _ => params
            .iter()
            .map(|p| match p {
                Val::I32(v) => v.to_string(),
                Val::I64(v) => v.to_string(),
                _ => "?".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    decoded
}

/// Why the sandbox refused this call, in plain words; `None` when it did not.
fn explain(log: &CallLog, function: &str, errno: Option<u16>, call: &Decoded) -> Option<String> {
    const BADF: u16 = 8;
    const ACCES: u16 = 2;
    const PERM: u16 = 63;
    const ROFS: u16 = 69;
    const NOTCAPABLE: u16 = 76;
    let errno = errno?;
    match function {
        // An empty environment or argument list is an answer, not a refusal; and `badf` from
        // `fd_prestat_get` is how the guest's libc learns that its scan of the preopened
        // directories is over.
        "environ_sizes_get"
        | "environ_get"
        | "args_sizes_get"
        | "args_get"
        | "fd_prestat_get"
        | "fd_prestat_dir_name" => return None,
        name if name.starts_with("sock_") && errno != 0 => {
            return Some("sockets not granted: the sandbox hands the guest none".to_owned());
        }
        _ => {}
    }
    if errno == 0 {
        return None;
    }
    let dir = call.fd.and_then(|fd| log.fds.get(&fd));
    if call.path.is_some() && errno == BADF && dir.is_none() {
        return Some(if log.dirs_granted {
            "not a preopened directory: the guest can only name paths inside the ones granted"
                .to_owned()
        } else {
            "no directory granted at all: the guest has no filesystem".to_owned()
        });
    }
    if !matches!(errno, ACCES | PERM | ROFS | NOTCAPABLE) {
        return None;
    }
    if call.writes && dir.is_some_and(|d| d.read_only) {
        return Some("write on a read-only directory".to_owned());
    }
    if let Some(target) = &call.symlink_target
        && (target.starts_with('/') || target.split('/').any(|part| part == ".."))
    {
        return Some("a symlink pointing outside the preopened directory".to_owned());
    }
    Some(match call.path.as_deref() {
        Some(path) if path.starts_with('/') => {
            "absolute path: the guest sees only the preopened directories, relative to them"
                .to_owned()
        }
        Some(path) if path.split('/').any(|part| part == "..") => {
            "path outside every preopened directory".to_owned()
        }
        Some(_) => "the path leads outside the preopened directory (through a symlink) or the \
                    operation is not allowed there"
            .to_owned(),
        None => "not permitted by the sandbox".to_owned(),
    })
}

/// The WASI preview 1 name of an errno.
pub fn errno_name(errno: u16) -> &'static str {
    const NAMES: [&str; 77] = [
        "success",
        "2big",
        "acces",
        "addrinuse",
        "addrnotavail",
        "afnosupport",
        "again",
        "already",
        "badf",
        "badmsg",
        "busy",
        "canceled",
        "child",
        "connaborted",
        "connrefused",
        "connreset",
        "deadlk",
        "destaddrreq",
        "dom",
        "dquot",
        "exist",
        "fault",
        "fbig",
        "hostunreach",
        "idrm",
        "ilseq",
        "inprogress",
        "intr",
        "inval",
        "io",
        "isconn",
        "isdir",
        "loop",
        "mfile",
        "mlink",
        "msgsize",
        "multihop",
        "nametoolong",
        "netdown",
        "netreset",
        "netunreach",
        "nfile",
        "nobufs",
        "nodev",
        "noent",
        "noexec",
        "nolck",
        "nolink",
        "nomem",
        "nomsg",
        "noprotoopt",
        "nospc",
        "nosys",
        "notconn",
        "notdir",
        "notempty",
        "notrecoverable",
        "notsock",
        "notsup",
        "notty",
        "nxio",
        "overflow",
        "ownerdead",
        "perm",
        "pipe",
        "proto",
        "protonosupport",
        "prototype",
        "range",
        "rofs",
        "spipe",
        "srch",
        "stale",
        "timedout",
        "txtbsy",
        "xdev",
        "notcapable",
    ];
    NAMES.get(errno as usize).copied().unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names_follow_wasi() {
        assert_eq!(errno_name(0), "success");
        assert_eq!(errno_name(8), "badf");
        assert_eq!(errno_name(44), "noent");
        assert_eq!(errno_name(63), "perm");
        assert_eq!(errno_name(76), "notcapable");
        assert_eq!(errno_name(999), "unknown");
    }
}
