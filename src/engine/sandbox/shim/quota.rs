//! The disk quota: what a guest may add to its read-write folders in one run, in bytes and in
//! files and directories created. Past it, the call that would grow the folders fails the
//! way a full disk fails (WASI `nospc`), the guest goes on, and the report says why.
//!
//! wasmtime-wasi has no hook between a guest's file descriptor and the host file, so, like
//! the call log, the quota is an observer of the WASI shim ([`crate::engine::sandbox::shim`]):
//! it takes part in the preview 1 (and `wasi_unstable`) functions that can grow a folder,
//! measuring the file through the real WASI functions before and after the call (`fd_filestat_get`, `fd_tell`, `path_filestat_get`, borrowing 64 bytes of
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

use wasmtime::Val;

use crate::engine::policy::SandboxPolicy;
use crate::engine::wasi::memory::{first_buffer_len, str_at, u32_at, u64_at};

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

/// Per-run state of the quota (lives in the store's data, `sandbox::Host`).
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

    /// Marks the quota as watching this run (a core module, whose WASI calls it sees).
    pub(crate) fn watch(&mut self) {
        self.watching = true;
    }

    /// Whether any granted folder is read-write (else nothing can grow and the quota stays
    /// out of the calls' way).
    pub(crate) fn guards_writes(&self) -> bool {
        !self.read_write_folders.is_empty()
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
pub(crate) enum Op {
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

/// The preview 1 functions the quota measures with (answers in preview 1 layouts).
const PROBE_FILESTAT: &str = "fd_filestat_get";
const PROBE_FDSTAT: &str = "fd_fdstat_get";
const PROBE_TELL: &str = "fd_tell";
const PROBE_PATH_FILESTAT: &str = "path_filestat_get";

/// What the quota needs of a call in progress: the guest's memory, the quota's own state, and
/// the real WASI functions. The WASI shim provides it ([`crate::engine::sandbox::shim`]), so the
/// quota's state knows nothing of the store.
pub(crate) trait QuotaGuest: Send {
    /// The guest's memory.
    fn memory(&mut self) -> &mut [u8];
    /// This run's quota.
    fn quota(&mut self) -> Option<&mut DiskQuota>;
    /// Calls the real WASI preview 1 function `name` (one of the `PROBE_*` measuring calls).
    fn call_wasi(
        &mut self,
        name: &'static str,
        params: &[Val],
        results: &mut [Val],
    ) -> impl Future<Output = wasmtime::Result<()>> + Send;
    /// Calls the real function the guest called.
    fn call_through(
        &mut self,
        params: &[Val],
        results: &mut [Val],
    ) -> impl Future<Output = wasmtime::Result<()>> + Send;
}

/// The quota's part in the WASI function `name`, if it can grow a folder.
pub(crate) fn op_of(name: &str) -> Option<Op> {
    WRAPPED.iter().find(|(n, _)| *n == name).map(|&(_, op)| op)
}

/// Calls the real probe `probe` with `args` plus a pointer to borrowed guest memory, and
/// returns its answer (`Err(errno)` when it failed). The borrowed bytes are put back.
async fn probe<G: QuotaGuest>(
    g: &mut G,
    probe: &'static str,
    mut args: Vec<Val>,
) -> wasmtime::Result<Result<[u8; PROBE_BYTES], i32>> {
    let Some(saved) = g
        .memory()
        .get(..PROBE_BYTES)
        .and_then(|b| <[u8; PROBE_BYTES]>::try_from(b).ok())
    else {
        // A memory smaller than one answer: the guest cannot have named a file either.
        return Ok(Err(ERRNO_NOENT));
    };
    args.push(Val::I32(0));
    let mut results = [Val::I32(0)];
    let called = g.call_wasi(probe, &args, &mut results).await;
    let mut answer = [0u8; PROBE_BYTES];
    // Memories never shrink, so the borrowed bytes are still there.
    if let Some(borrowed) = g.memory().get_mut(..PROBE_BYTES) {
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

fn stat_of(bytes: &[u8; PROBE_BYTES]) -> Stat {
    Stat {
        inode: (u64_at(bytes, 0), u64_at(bytes, 8)),
        filetype: bytes[16],
        nlink: u64_at(bytes, 24),
        size: u64_at(bytes, 32),
    }
}

async fn fd_stat<G: QuotaGuest>(g: &mut G, fd: i32) -> wasmtime::Result<Option<Stat>> {
    Ok(probe(g, PROBE_FILESTAT, vec![Val::I32(fd)])
        .await?
        .ok()
        .map(|b| stat_of(&b)))
}

async fn path_stat<G: QuotaGuest>(
    g: &mut G,
    fd: i32,
    flags: i32,
    path: i32,
    len: i32,
) -> wasmtime::Result<Option<Stat>> {
    let args = vec![Val::I32(fd), Val::I32(flags), Val::I32(path), Val::I32(len)];
    Ok(probe(g, PROBE_PATH_FILESTAT, args)
        .await?
        .ok()
        .map(|b| stat_of(&b)))
}

/// The guest path a call names: `/data/file` for `fd` of `/data` and path `file`.
fn target<G: QuotaGuest>(g: &mut G, fd: i32, path: Option<(i32, i32)>) -> String {
    let base = g
        .quota()
        .and_then(|q| q.fds.get(&(fd as u32)))
        .map(|t| t.path.clone());
    let path = path.map(|(ptr, len)| str_at(g.memory(), ptr, len));
    match (base, path) {
        (Some(base), Some(path)) => format!("{}/{path}", base.trim_end_matches('/')),
        (Some(base), None) => base,
        (None, Some(path)) => path,
        (None, None) => format!("fd {fd}"),
    }
}

/// `fd_write on /data/file`, for the report.
fn describe<G: QuotaGuest>(g: &mut G, name: &str, fd: i32, path: Option<(i32, i32)>) -> String {
    format!("{name} on {}", target(g, fd, path))
}

/// Gives back what removing `removed` frees, unless the guest still has it open.
fn credit_removal<G: QuotaGuest>(g: &mut G, removed: Stat) {
    let Some(quota) = g.quota() else {
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
fn refuse<G: QuotaGuest>(g: &mut G, kind: QuotaKind, call: String, fd: i32, results: &mut [Val]) {
    if let Some(quota) = g.quota() {
        quota.refuse(kind, call, fd as u32);
    }
    if let Some(errno) = results.first_mut() {
        *errno = Val::I32(ERRNO_NOSPC);
    }
}

/// The WASI function `name` (the quota's `op`) called with `params`: refused with `nospc` when
/// it would go past the quota, else called through and counted.
pub(crate) async fn guarded_call<G: QuotaGuest>(
    g: &mut G,
    name: &str,
    op: Op,
    params: &[Val],
    results: &mut [Val],
) -> wasmtime::Result<()> {
    let int = |i: usize| params.get(i).and_then(Val::i32).unwrap_or(0);
    let long = |i: usize| params.get(i).and_then(Val::i64).unwrap_or(0) as u64;
    let succeeded = |results: &[Val]| results.first().and_then(Val::i32) == Some(0);
    match op {
        Op::Write | Op::PWrite | Op::Allocate | Op::SetSize => {
            let fd = int(0);
            let tracked = g.quota().is_some_and(|q| {
                q.fds
                    .get(&(fd as u32))
                    .is_some_and(|t| q.read_write_folders.contains(&t.folder))
            });
            // Only files opened in a read-write folder can grow one; stdout stays fast.
            let before = if tracked {
                fd_stat(g, fd)
                    .await?
                    .filter(|s| s.filetype == FILETYPE_REGULAR_FILE)
            } else {
                None
            };
            let Some(before) = before else {
                return g.call_through(params, results).await;
            };
            let end = match op {
                Op::Write | Op::PWrite => {
                    let len = first_buffer_len(g.memory(), int(1), int(2));
                    let append = probe(g, PROBE_FDSTAT, vec![Val::I32(fd)])
                        .await?
                        .is_ok_and(|b| u16::from_le_bytes([b[2], b[3]]) & FDFLAGS_APPEND != 0);
                    let start = if append {
                        before.size
                    } else if op == Op::PWrite {
                        long(3)
                    } else {
                        match probe(g, PROBE_TELL, vec![Val::I32(fd)]).await? {
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
            if growth > 0 && !g.quota().is_none_or(|q| q.bytes_fit(growth)) {
                let call = describe(g, name, fd, None);
                refuse(g, QuotaKind::Bytes, call, fd, results);
                return Ok(());
            }
            let outcome = g.call_through(params, results).await;
            if let Some(after) = fd_stat(g, fd).await?
                && let Some(quota) = g.quota()
            {
                quota.add_bytes(after.size as i64 - before.size as i64);
            }
            outcome
        }
        Op::Open => {
            let (dir, dirflags, path, len, oflags) = (int(0), int(1), int(2), int(3), int(4));
            let grows = oflags & (OFLAGS_CREAT | OFLAGS_TRUNC) != 0;
            let before = if grows {
                path_stat(g, dir, dirflags, path, len).await?
            } else {
                None
            };
            if oflags & OFLAGS_CREAT != 0
                && before.is_none()
                && !g.quota().is_none_or(|q| q.file_fits())
            {
                let call = describe(g, name, dir, Some((path, len)));
                refuse(g, QuotaKind::Files, call, dir, results);
                return Ok(());
            }
            let outcome = g.call_through(params, results).await;
            if outcome.is_err() || !succeeded(results) {
                return outcome;
            }
            let Some(new_fd) = u32_at(g.memory(), int(8) as u32) else {
                return outcome;
            };
            let opened = fd_stat(g, new_fd as i32).await?;
            let target = target(g, dir, Some((path, len)));
            if let Some(quota) = g.quota() {
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
            if !g.quota().is_none_or(|q| q.file_fits()) {
                let call = describe(g, name, dir, Some(path));
                refuse(g, QuotaKind::Files, call, dir, results);
                return Ok(());
            }
            let outcome = g.call_through(params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let Some(quota) = g.quota()
            {
                quota.files_net += 1;
            }
            outcome
        }
        Op::Unlink | Op::RemoveDirectory => {
            // Without following a final symlink: the link itself is what goes.
            let removed = path_stat(g, int(0), 0, int(1), int(2)).await?;
            let outcome = g.call_through(params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let Some(removed) = removed
            {
                credit_removal(g, removed);
            }
            outcome
        }
        Op::Rename => {
            let source = path_stat(g, int(0), 0, int(1), int(2)).await?;
            let replaced = path_stat(g, int(3), 0, int(4), int(5)).await?;
            let outcome = g.call_through(params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let (Some(source), Some(replaced)) = (source, replaced)
                && source.inode != replaced.inode
            {
                credit_removal(g, replaced);
            }
            outcome
        }
        Op::Renumber | Op::Close => {
            let outcome = g.call_through(params, results).await;
            if outcome.is_ok()
                && succeeded(results)
                && let Some(quota) = g.quota()
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
