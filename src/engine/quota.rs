//! The disk quota: what a guest may add to its read-write folders in one run, in bytes and in
//! files and directories created. Past it, the call that would grow the folders fails the
//! way a full disk fails (WASI `nospc`), the guest goes on, and the report says why.
//!
//! wasmtime-wasi has no hook between a guest's file descriptor and the host file, so, like
//! the call log, the quota wraps the WASI preview 1 (and `wasi_unstable`) functions that can
//! grow a folder. A wrapper measures the file through the real WASI functions before and
//! after the call (`fd_filestat_get`, `fd_tell`, `path_filestat_get`, borrowing 64 bytes of
//! guest memory for their answers and putting them back), refuses growth past the quota,
//! and counts what the call really changed.
//!
//! The count is net, like a real disk quota: truncating or deleting frees quota, so a guest
//! that rewrites one file, or makes and removes temporary files, is never refused. A removed
//! file whose inode is still open in the guest frees nothing (its blocks stay on the disk).
//!
//! Components (WASI preview 2) are not covered yet: their writes go through
//! `wasi:filesystem` streams, which this layer does not see; their report has no `disk`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use wasmtime::{Caller, Extern, Func, Linker, Store, Val};

use crate::engine::policy::SandboxPolicy;
use crate::engine::sandbox::{EngineKey, Host, SharedEngine};

pub use crate::engine::disk::{DiskRefusal, DiskUsage, QuotaKind};

pub use crate::engine::policy::{DEFAULT_MAX_DISK_BYTES, DEFAULT_MAX_FILES};

/// What the quota does not cover yet, for the CLI, the window and the README.
pub const NOT_COVERED: &str = "the disk quota does not watch components (WASI preview 2) yet: \
     a component's writes to a read-write folder are limited only by the timeout";

/// WASI preview 1 errno `nospc`: what a full disk answers.
pub const ERRNO_NOSPC: i32 = 51;
const ERRNO_NOENT: i32 = 44;
const FILETYPE_REGULAR_FILE: u8 = 4;
const FDFLAGS_APPEND: u16 = 1;
const OFLAGS_CREAT: i32 = 1;
const OFLAGS_TRUNC: i32 = 8;
/// Guest bytes borrowed (and restored) for a measuring call's answer: one `filestat`.
const PROBE_BYTES: usize = 64;

/// A guest descriptor the quota knows: which granted folder it is in, its guest path, and
/// its inode (a removed file still open frees nothing).
#[derive(Clone, Debug)]
struct TrackedFd {
    folder: usize,
    path: String,
    inode: Option<(u64, u64)>,
}

/// Per-run state of the quota (lives in the store's [`Host`]).
pub struct DiskQuota {
    max_bytes: u64,
    max_files: u64,
    bytes_net: i64,
    files_net: i64,
    refused: u64,
    first_refused: Option<DiskRefusal>,
    /// Guest paths of the granted folders (preopens get fds 3, 4, ... in order).
    folders: Vec<String>,
    read_write_folders: Vec<usize>,
    fds: HashMap<u32, TrackedFd>,
    /// The real functions, reached through the shim instance (made on first use).
    real: Vec<Func>,
    /// Whether the guard wraps this run's WASI functions (core modules).
    watching: bool,
}

impl DiskQuota {
    /// The quota of a run under `policy`.
    pub fn new(policy: &SandboxPolicy) -> Self {
        let mut fds = HashMap::new();
        for (i, dir) in policy.dirs.iter().enumerate() {
            fds.insert(
                3 + i as u32,
                TrackedFd {
                    folder: i,
                    path: dir.guest_path.clone(),
                    inode: None,
                },
            );
        }
        Self {
            max_bytes: policy.max_disk_bytes,
            max_files: policy.max_files,
            bytes_net: 0,
            files_net: 0,
            refused: 0,
            first_refused: None,
            folders: policy.dirs.iter().map(|d| d.guest_path.clone()).collect(),
            read_write_folders: (0..policy.dirs.len())
                .filter(|&i| !policy.dirs[i].read_only)
                .collect(),
            fds,
            real: Vec::new(),
            watching: false,
        }
    }

    /// What the run added, for the report; `None` when the quota did not watch this run
    /// (a component), so the report does not claim zero growth it never measured.
    pub fn usage(&self) -> Option<DiskUsage> {
        self.watching.then(|| DiskUsage {
            bytes_added: self.bytes_net.max(0) as u64,
            files_created: self.files_net.max(0) as u64,
            refused: self.refused,
            max_bytes: self.max_bytes,
            max_files: self.max_files,
            first_refused: self.first_refused.clone(),
        })
    }

    /// Calls refused so far.
    pub fn refused(&self) -> u64 {
        self.refused
    }

    fn bytes_fit(&self, growth: u64) -> bool {
        self.bytes_net
            .saturating_add(growth.min(i64::MAX as u64) as i64)
            <= self.max_bytes as i64
    }

    fn file_fits(&self) -> bool {
        self.files_net < self.max_files.min(i64::MAX as u64) as i64
    }

    fn add_bytes(&mut self, delta: i64) {
        self.bytes_net = self.bytes_net.saturating_add(delta);
    }

    /// The folder a descriptor is in: the tracked one, or the only read-write folder.
    fn folder_of(&self, fd: u32) -> Option<String> {
        let index = match self.fds.get(&fd) {
            Some(tracked) => tracked.folder,
            None => match self.read_write_folders.as_slice() {
                [only] => *only,
                _ => return None,
            },
        };
        self.folders.get(index).cloned()
    }

    fn refuse(&mut self, kind: QuotaKind, call: String, fd: u32) {
        self.refused += 1;
        if self.first_refused.is_none() {
            self.first_refused = Some(DiskRefusal {
                kind,
                call,
                folder: self.folder_of(fd),
            });
        }
    }

    fn is_open(&self, inode: (u64, u64)) -> bool {
        self.fds.values().any(|t| t.inode == Some(inode))
    }
}

/// A WASI function the quota wraps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Write,
    PWrite,
    Allocate,
    SetSize,
    Open,
    CreateDirectory,
    Symlink,
    Link,
    Unlink,
    RemoveDirectory,
    Rename,
    Renumber,
    Close,
}

const WRAPPED: &[(&str, Op)] = &[
    ("fd_write", Op::Write),
    ("fd_pwrite", Op::PWrite),
    ("fd_allocate", Op::Allocate),
    ("fd_filestat_set_size", Op::SetSize),
    ("path_open", Op::Open),
    ("path_create_directory", Op::CreateDirectory),
    ("path_symlink", Op::Symlink),
    ("path_link", Op::Link),
    ("path_unlink_file", Op::Unlink),
    ("path_remove_directory", Op::RemoveDirectory),
    ("path_rename", Op::Rename),
    ("fd_renumber", Op::Renumber),
    ("fd_close", Op::Close),
];

/// Both WASI preview 1 module names wasmtime links; they share one descriptor table.
const WASI_MODULES: [&str; 2] = ["wasi_snapshot_preview1", "wasi_unstable"];

/// The preview 1 functions the quota measures with (answers in preview 1 layouts).
const PROBES: [&str; 4] = [
    "fd_filestat_get",
    "fd_fdstat_get",
    "fd_tell",
    "path_filestat_get",
];
const PROBE_FILESTAT: usize = 0;
const PROBE_FDSTAT: usize = 1;
const PROBE_TELL: usize = 2;
const PROBE_PATH_FILESTAT: usize = 3;

/// The shim's text: imports the guest memory and the real functions, re-exports each real
/// function as `f0`, `f1`, ... (a WASI function finds `memory` through its caller's instance,
/// so it must be called from wasm that exports the guest's memory).
fn shim_wat(types: &[wasmtime::FuncType]) -> String {
    let mut wat = String::from("(module\n  (import \"guest\" \"memory\" (memory 0))\n");
    let mut body = String::from("  (export \"memory\" (memory 0))\n");
    for (i, ty) in types.iter().enumerate() {
        let params: Vec<String> = ty.params().map(|p| p.to_string()).collect();
        let results: Vec<String> = ty.results().map(|r| r.to_string()).collect();
        let sig = format!(
            "(param {}) (result {})",
            params.join(" "),
            results.join(" ")
        );
        wat.push_str(&format!("  (import \"real\" \"{i}\" (func $r{i} {sig}))\n"));
        let gets: String = (0..params.len())
            .map(|p| format!("local.get {p} "))
            .collect();
        body.push_str(&format!(
            "  (func (export \"f{i}\") {sig} {gets}call $r{i})\n"
        ));
    }
    wat.push_str(&body);
    wat.push(')');
    wat
}

/// The linker a core module's run uses: the shared one when `policy` grants no read-write
/// folder, else (once per engine) a copy whose growing WASI functions keep the quota of the
/// store's [`DiskQuota`]. Marks the quota as watching this run.
pub fn guarded_linker(
    shared: &SharedEngine,
    key: EngineKey,
    store: &mut Store<Host>,
    policy: &SandboxPolicy,
) -> wasmtime::Result<Arc<Linker<Host>>> {
    if let Some(quota) = store.data_mut().quota.as_mut() {
        quota.watching = true;
    }
    if policy.dirs.iter().all(|d| d.read_only) {
        return Ok(Arc::clone(&shared.linker));
    }
    type Guards = Mutex<HashMap<EngineKey, Arc<Linker<Host>>>>;
    static GUARDS: OnceLock<Guards> = OnceLock::new();
    let guards = GUARDS.get_or_init(Default::default);
    if let Some(linker) = guards.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(Arc::clone(linker));
    }
    let linker = Arc::new(make_guard(shared, store)?);
    guards
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, Arc::clone(&linker));
    Ok(linker)
}

/// Builds the guarded linker of one engine (its host functions belong to the engine, not to
/// `store`, which only serves to read the real functions' types).
fn make_guard(shared: &SharedEngine, store: &mut Store<Host>) -> wasmtime::Result<Linker<Host>> {
    let mut real: Vec<(&'static str, &'static str)> = Vec::new();
    let mut types = Vec::new();
    let mut wrapped = Vec::new();
    let mut add = |store: &mut Store<Host>, module: &'static str, name: &'static str| match shared
        .linker
        .get(&mut *store, module, name)
    {
        Ok(Extern::Func(func)) => {
            real.push((module, name));
            types.push(func.ty(&*store));
            Some(real.len() - 1)
        }
        _ => None,
    };
    let mut probes = [0; 4];
    for (slot, name) in probes.iter_mut().zip(PROBES) {
        *slot = add(store, WASI_MODULES[0], name).ok_or_else(|| {
            wasmtime::format_err!("the disk quota needs `{name}` from the WASI linker")
        })?;
    }
    for module in WASI_MODULES {
        for &(name, op) in WRAPPED {
            if let Some(index) = add(store, module, name) {
                wrapped.push((module, name, op, index));
            }
        }
    }
    let shim_wasm = wat::parse_str(shim_wat(&types))?;
    let guard = Arc::new(GuardShared {
        // Not through the module cache: this lives as long as the engine anyway.
        shim: wasmtime::Module::new(&shared.engine, &shim_wasm)?,
        real,
        base: Arc::clone(&shared.linker),
        probes,
    });
    let mut linker = (*shared.linker).clone();
    linker.allow_shadowing(true);
    for (module, name, op, index) in wrapped {
        let guard = Arc::clone(&guard);
        linker.func_new_async(
            module,
            name,
            types[index].clone(),
            move |caller, params, results| {
                let guard = Arc::clone(&guard);
                Box::new(async move {
                    guarded_call(caller, &guard, name, op, index, params, results).await
                })
            },
        )?;
    }
    Ok(linker)
}

/// What every wrapper needs: the shim module and where its functions come from.
struct GuardShared {
    shim: wasmtime::Module,
    real: Vec<(&'static str, &'static str)>,
    base: Arc<Linker<Host>>,
    probes: [usize; 4],
}

fn guest_memory(caller: &mut Caller<'_, Host>) -> Option<wasmtime::Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => Some(memory),
        _ => None,
    }
}

/// The real function `index`, instantiating the shim on first use in this run.
async fn real_function(
    caller: &mut Caller<'_, Host>,
    shared: &GuardShared,
    index: usize,
) -> wasmtime::Result<Func> {
    let ready = caller
        .data()
        .quota
        .as_ref()
        .is_some_and(|q| !q.real.is_empty());
    if !ready {
        let memory = guest_memory(caller)
            .ok_or_else(|| wasmtime::format_err!("missing required memory export"))?;
        let mut imports = vec![Extern::Memory(memory)];
        for (module, name) in &shared.real {
            imports.push(shared.base.get(&mut *caller, module, name)?);
        }
        let instance = wasmtime::Instance::new_async(&mut *caller, &shared.shim, &imports)
            .await
            .map_err(|e| {
                e.context(
                    "the disk quota cannot watch this guest's memory (it must be a plain \
                     32-bit memory exported as `memory`)",
                )
            })?;
        let funcs = (0..shared.real.len())
            .map(|i| instance.get_func(&mut *caller, &format!("f{i}")))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| wasmtime::format_err!("the disk quota's shim lost a function"))?;
        if let Some(quota) = caller.data_mut().quota.as_mut() {
            quota.real = funcs;
        }
    }
    caller
        .data()
        .quota
        .as_ref()
        .and_then(|q| q.real.get(index).copied())
        .ok_or_else(|| wasmtime::format_err!("the disk quota lost track of a WASI function"))
}

/// Calls the real probe `probe` with `args` plus a pointer to borrowed guest memory, and
/// returns its answer (`Err(errno)` when it failed). The borrowed bytes are put back.
async fn probe(
    caller: &mut Caller<'_, Host>,
    shared: &GuardShared,
    probe: usize,
    mut args: Vec<Val>,
) -> wasmtime::Result<Result<[u8; PROBE_BYTES], i32>> {
    let func = real_function(caller, shared, shared.probes[probe]).await?;
    let Some(memory) = guest_memory(caller) else {
        return Ok(Err(ERRNO_NOENT));
    };
    let Some(saved) = memory
        .data(&*caller)
        .get(..PROBE_BYTES)
        .and_then(|b| <[u8; PROBE_BYTES]>::try_from(b).ok())
    else {
        // A memory smaller than one answer: the guest cannot have named a file either.
        return Ok(Err(ERRNO_NOENT));
    };
    args.push(Val::I32(0));
    let mut results = [Val::I32(0)];
    let called = func.call_async(&mut *caller, &args, &mut results).await;
    let mut answer = [0u8; PROBE_BYTES];
    // Memories never shrink, so the borrowed bytes are still there.
    if let Some(borrowed) = memory.data_mut(&mut *caller).get_mut(..PROBE_BYTES) {
        answer.copy_from_slice(borrowed);
        borrowed.copy_from_slice(&saved);
    }
    called?;
    Ok(match results[0].i32() {
        Some(0) => Ok(answer),
        Some(errno) => Err(errno),
        None => Err(ERRNO_NOENT),
    })
}

/// A file's stat, from a preview 1 `filestat`.
#[derive(Clone, Copy, Debug)]
struct Stat {
    inode: (u64, u64),
    filetype: u8,
    nlink: u64,
    size: u64,
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn stat_of(bytes: &[u8; PROBE_BYTES]) -> Stat {
    Stat {
        inode: (u64_at(bytes, 0), u64_at(bytes, 8)),
        filetype: bytes[16],
        nlink: u64_at(bytes, 24),
        size: u64_at(bytes, 32),
    }
}

async fn fd_stat(
    caller: &mut Caller<'_, Host>,
    shared: &GuardShared,
    fd: i32,
) -> wasmtime::Result<Option<Stat>> {
    Ok(probe(caller, shared, PROBE_FILESTAT, vec![Val::I32(fd)])
        .await?
        .ok()
        .map(|b| stat_of(&b)))
}

async fn path_stat(
    caller: &mut Caller<'_, Host>,
    shared: &GuardShared,
    fd: i32,
    flags: i32,
    path: i32,
    len: i32,
) -> wasmtime::Result<Option<Stat>> {
    let args = vec![Val::I32(fd), Val::I32(flags), Val::I32(path), Val::I32(len)];
    Ok(probe(caller, shared, PROBE_PATH_FILESTAT, args)
        .await?
        .ok()
        .map(|b| stat_of(&b)))
}

/// Length of the first non-empty buffer of an iovec array: wasmtime-wasi writes only that
/// one per call (`first_non_empty_ciovec` in its p1.rs). Should that change, the size
/// measured after the call still counts what was really written.
fn first_buffer_len(caller: &mut Caller<'_, Host>, iovs: i32, count: i32) -> u64 {
    let Some(memory) = guest_memory(caller) else {
        return 0;
    };
    let data = memory.data(&*caller);
    let start = iovs as u32 as usize;
    for i in 0..count as u32 as usize {
        let Some(entry) = start.checked_add(i * 8).and_then(|at| data.get(at..at + 8)) else {
            return 0;
        };
        let len = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
        if len != 0 {
            return u64::from(len);
        }
    }
    0
}

fn read_u32(caller: &mut Caller<'_, Host>, addr: i32) -> Option<u32> {
    let memory = guest_memory(caller)?;
    let data = memory.data(&*caller);
    let at = addr as u32 as usize;
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

fn quota<'a>(caller: &'a mut Caller<'_, Host>) -> Option<&'a mut DiskQuota> {
    caller.data_mut().quota.as_mut()
}

/// The guest path a call names: `/data/file` for `fd` of `/data` and path `file`.
fn target(caller: &mut Caller<'_, Host>, fd: i32, path: Option<(i32, i32)>) -> String {
    let base = caller
        .data()
        .quota
        .as_ref()
        .and_then(|q| q.fds.get(&(fd as u32)))
        .map(|t| t.path.clone());
    let path = path.map(|(ptr, len)| crate::engine::calllog::read_str(caller, ptr, len));
    match (base, path) {
        (Some(base), Some(path)) => format!("{}/{path}", base.trim_end_matches('/')),
        (Some(base), None) => base,
        (None, Some(path)) => path,
        (None, None) => format!("fd {fd}"),
    }
}

/// `fd_write on /data/file`, for the report.
fn describe(
    caller: &mut Caller<'_, Host>,
    name: &str,
    fd: i32,
    path: Option<(i32, i32)>,
) -> String {
    format!("{name} on {}", target(caller, fd, path))
}

/// Gives back what removing `removed` frees, unless the guest still has it open.
fn credit_removal(caller: &mut Caller<'_, Host>, removed: Stat) {
    let Some(quota) = quota(caller) else {
        return;
    };
    if quota.is_open(removed.inode) {
        return;
    }
    quota.files_net -= 1;
    if removed.filetype == FILETYPE_REGULAR_FILE && removed.nlink <= 1 {
        quota.add_bytes(-(removed.size.min(i64::MAX as u64) as i64));
    }
}

/// Answers the call `nospc`, as a full disk would, and records the refusal.
fn refuse(
    caller: &mut Caller<'_, Host>,
    kind: QuotaKind,
    call: String,
    fd: i32,
    results: &mut [Val],
) {
    if let Some(quota) = quota(caller) {
        quota.refuse(kind, call, fd as u32);
    }
    if let Some(errno) = results.first_mut() {
        *errno = Val::I32(ERRNO_NOSPC);
    }
}

async fn guarded_call(
    mut caller: Caller<'_, Host>,
    shared: &GuardShared,
    name: &str,
    op: Op,
    index: usize,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let int = |i: usize| params.get(i).and_then(Val::i32).unwrap_or(0);
    let long = |i: usize| params.get(i).and_then(Val::i64).unwrap_or(0) as u64;
    let real = real_function(&mut caller, shared, index).await?;
    let caller = &mut caller;
    let succeeded = |results: &[Val]| results.first().and_then(Val::i32) == Some(0);
    match op {
        Op::Write | Op::PWrite | Op::Allocate | Op::SetSize => {
            let fd = int(0);
            let tracked = caller.data().quota.as_ref().is_some_and(|q| {
                q.fds
                    .get(&(fd as u32))
                    .is_some_and(|t| q.read_write_folders.contains(&t.folder))
            });
            // Only files opened in a read-write folder can grow one; stdout stays fast.
            let before = if tracked {
                fd_stat(caller, shared, fd)
                    .await?
                    .filter(|s| s.filetype == FILETYPE_REGULAR_FILE)
            } else {
                None
            };
            let Some(before) = before else {
                return real.call_async(&mut *caller, params, results).await;
            };
            let end = match op {
                Op::Write | Op::PWrite => {
                    let len = first_buffer_len(caller, int(1), int(2));
                    let append = probe(caller, shared, PROBE_FDSTAT, vec![Val::I32(fd)])
                        .await?
                        .is_ok_and(|b| u16::from_le_bytes([b[2], b[3]]) & FDFLAGS_APPEND != 0);
                    let start = if append {
                        before.size
                    } else if op == Op::PWrite {
                        long(3)
                    } else {
                        match probe(caller, shared, PROBE_TELL, vec![Val::I32(fd)]).await? {
                            Ok(b) => u64_at(&b, 0),
                            Err(_) => before.size,
                        }
                    };
                    start.saturating_add(len)
                }
                Op::Allocate => long(1).saturating_add(long(2)),
                _ => long(1),
            };
            let growth = end.saturating_sub(before.size);
            if growth > 0 && !quota(caller).is_none_or(|q| q.bytes_fit(growth)) {
                let call = describe(caller, name, fd, None);
                refuse(caller, QuotaKind::Bytes, call, fd, results);
                return Ok(());
            }
            let outcome = real.call_async(&mut *caller, params, results).await;
            if let Some(after) = fd_stat(caller, shared, fd).await?
                && let Some(quota) = quota(caller)
            {
                quota.add_bytes(after.size as i64 - before.size as i64);
            }
            outcome
        }
        Op::Open => {
            let (dir, dirflags, path, len, oflags) = (int(0), int(1), int(2), int(3), int(4));
            let grows = oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) != 0;
            let before = if grows {
                path_stat(caller, shared, dir, dirflags, path, len).await?
            } else {
                None
            };
            if oflags & OFLAGS_CREAT != 0
                && before.is_none()
                && !quota(caller).is_none_or(|q| q.file_fits())
            {
                let call = describe(caller, name, dir, Some((path, len)));
                refuse(caller, QuotaKind::Files, call, dir, results);
                return Ok(());
            }
            let outcome = real.call_async(&mut *caller, params, results).await;
            if outcome.is_err() || !succeeded(results) {
                return outcome;
            }
            let Some(new_fd) = read_u32(caller, int(8)) else {
                return outcome;
            };
            let opened = fd_stat(caller, shared, new_fd as i32).await?;
            let target = target(caller, dir, Some((path, len)));
            if let Some(quota) = quota(caller) {
                let folder = quota.fds.get(&(dir as u32)).map_or(0, |t| t.folder);
                if grows {
                    match before {
                        None => quota.files_net += 1,
                        Some(before) => {
                            if let Some(after) = opened {
                                quota.add_bytes(after.size as i64 - before.size as i64);
                            }
                        }
                    }
                }
                quota.fds.insert(
                    new_fd,
                    TrackedFd {
                        folder,
                        path: target,
                        inode: opened.map(|s| s.inode),
                    },
                );
            }
            outcome
        }
        Op::CreateDirectory | Op::Symlink | Op::Link => {
            let (dir, path) = match op {
                Op::CreateDirectory => (int(0), (int(1), int(2))),
                Op::Symlink => (int(2), (int(3), int(4))),
                _ => (int(4), (int(5), int(6))),
            };
            if !quota(caller).is_none_or(|q| q.file_fits()) {
                let call = describe(caller, name, dir, Some(path));
                refuse(caller, QuotaKind::Files, call, dir, results);
                return Ok(());
            }
            let outcome = real.call_async(&mut *caller, params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let Some(quota) = quota(caller)
            {
                quota.files_net += 1;
            }
            outcome
        }
        Op::Unlink | Op::RemoveDirectory => {
            // Without following a final symlink: the link itself is what goes.
            let removed = path_stat(caller, shared, int(0), 0, int(1), int(2)).await?;
            let outcome = real.call_async(&mut *caller, params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let Some(removed) = removed
            {
                credit_removal(caller, removed);
            }
            outcome
        }
        Op::Rename => {
            let source = path_stat(caller, shared, int(0), 0, int(1), int(2)).await?;
            let replaced = path_stat(caller, shared, int(3), 0, int(4), int(5)).await?;
            let outcome = real.call_async(&mut *caller, params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let (Some(source), Some(replaced)) = (source, replaced)
                && source.inode != replaced.inode
            {
                credit_removal(caller, replaced);
            }
            outcome
        }
        Op::Renumber | Op::Close => {
            let outcome = real.call_async(&mut *caller, params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let Some(quota) = quota(caller)
            {
                let moved = quota.fds.remove(&(int(0) as u32));
                if op == Op::Renumber {
                    quota.fds.remove(&(int(1) as u32));
                    if let Some(moved) = moved {
                        quota.fds.insert(int(1) as u32, moved);
                    }
                }
            }
            outcome
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(kind: QuotaKind, refused: u64) -> DiskUsage {
        DiskUsage {
            bytes_added: 1 << 30,
            files_created: 1,
            refused,
            max_bytes: 1 << 30,
            max_files: 10_000,
            first_refused: Some(DiskRefusal {
                kind,
                call: "fd_write on /data/bomb.bin".to_owned(),
                folder: Some("/data".to_owned()),
            }),
        }
    }

    #[test]
    fn the_explanation_names_the_quota_the_folder_and_the_call() {
        let text = usage(QuotaKind::Bytes, 3).explanation().unwrap();
        assert!(
            text.starts_with("disk quota reached: the guest tried to write past 1 GiB in /data"),
            "{text}"
        );
        assert!(text.contains("fd_write on /data/bomb.bin"), "{text}");
        assert!(text.contains("3 calls refused"), "{text}");
        let text = usage(QuotaKind::Files, 1).explanation().unwrap();
        assert!(
            text.contains("create more than 10000 files and directories in /data"),
            "{text}"
        );
        assert_eq!(DiskUsage::default().explanation(), None);
    }
}
