//! The capability log: every WASI call of a run with decoded arguments, its result by name,
//! and, when the sandbox said no, why in plain words.
//!
//! wasmtime-wasi's own tracing shows paths only as guest pointers, so instead the log is an
//! observer of the WASI shim ([`crate::engine::sandbox::shim`]): it decodes a call's arguments
//! from guest memory as the call goes in and records what came back. Every core run counts
//! refusals; only runs that ask for the log (`SandboxPolicy::log_calls`) keep the calls.

use std::collections::HashMap;
use std::time::Instant;

use crossbeam_channel::Sender;
use wasmtime::Val;

pub use crate::engine::calls::errno_name;
use crate::engine::calls::{CallPaths, join_by_name, parent_by_name};
use crate::engine::events::RunEvent;
use crate::engine::files::WrittenPaths;
pub use crate::engine::outcome::CallRecord;
use crate::engine::outcome::MAX_RECORDED_DENIALS;
use crate::engine::policy::{Invocation, SandboxPolicy};
use crate::engine::wasi::memory::{str_at, u32_at};
use crate::engine::wasi::{Capability, capability_of};

/// How many calls a report keeps (the count keeps counting).
pub const MAX_RECORDED_CALLS: usize = 1000;

/// What a file descriptor refers to, as far as the log can tell.
#[derive(Clone, Debug)]
struct FdInfo {
    what: String,
    read_only: bool,
    /// Where it is on the host, as the user gave the granted folder (`None` for stdio).
    host: Option<String>,
}

/// Per-run state of the log (lives in the store's data, `sandbox::Host`).
pub struct CallLog {
    events: Sender<RunEvent>,
    /// Whether calls are recorded and sent (the policy's `log_calls`); when off the log only
    /// counts calls and refusals.
    recording: bool,
    started: Instant,
    fds: HashMap<u32, FdInfo>,
    dirs_granted: bool,
    /// Links the guest made in this run: (folder as the guest sees it, path in it) to what
    /// the link says, so a later path through one names the host path it would reach.
    links: HashMap<(String, String), String>,
    pending: Option<CallRecord>,
    /// The first calls, for the report.
    pub calls: Vec<CallRecord>,
    /// Calls in all (coalesced repeats counted one by one).
    pub total: u64,
    /// The first denials, for the report.
    pub denials: Vec<CallRecord>,
    /// Denials in all.
    pub denials_total: u64,
    /// What the guest's successful calls changed in its folders (kept whether or not the calls
    /// are recorded): tells its file changes from another program's.
    pub written: WrittenPaths,
    /// A time-travel replay's instruction count: each call keeps the moment it was made at.
    pub(crate) moments: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
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
                    host: None,
                },
            );
        }
        for (i, dir) in policy.dirs.iter().enumerate() {
            fds.insert(
                3 + i as u32,
                FdInfo {
                    what: dir.guest_path.clone(),
                    read_only: dir.read_only,
                    host: Some(dir.host_path.display().to_string()),
                },
            );
        }
        Self {
            events,
            recording: policy.log_calls,
            started,
            fds,
            dirs_granted: !policy.dirs.is_empty(),
            links: HashMap::new(),
            pending: None,
            calls: Vec::new(),
            total: 0,
            denials: Vec::new(),
            denials_total: 0,
            written: WrittenPaths::default(),
            moments: None,
        }
    }

    fn record(&mut self, record: CallRecord) {
        // Refusals are kept whether or not every call is logged: what the sandbox stopped is
        // shown in every face.
        if record.denial.is_some() {
            self.denials_total += 1;
            if self.denials.len() < MAX_RECORDED_DENIALS {
                self.denials.push(record.clone());
            }
        }
        if !self.recording {
            return;
        }
        self.total += 1;
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

/// A call the log has seen go in: its arguments, decoded before the real function ran
/// (a call may change what its pointers point at).
pub(crate) struct Entering {
    at_us: u64,
    decoded: Decoded,
}

impl CallLog {
    /// The guest calls `function` with `params`; `memory` is its memory at that moment.
    pub(crate) fn entering(&self, memory: &[u8], function: &str, params: &[Val]) -> Entering {
        Entering {
            at_us: self.started.elapsed().as_micros() as u64,
            decoded: decode(self, memory, function, params),
        }
    }

    /// The call came back with `outcome` and `results`; `memory` is the guest's memory after
    /// it. `refused_by_quota` when the disk quota answered it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn returned(
        &mut self,
        memory: &[u8],
        function: &str,
        params: &[Val],
        entering: Entering,
        outcome: &wasmtime::Result<()>,
        results: &[Val],
        refused_by_quota: bool,
    ) {
        let Entering { at_us, decoded } = entering;
        let errno = results.first().and_then(Val::i32).map(|e| e as u16);
        if let (Some(0), Some(opened)) = (errno, &decoded.opens)
            // path_open wrote the new fd at its last parameter's address.
            && let Some(fd) = u32_at(memory, opened.fd_out)
        {
            self.fds.insert(
                fd,
                FdInfo {
                    what: opened.path.clone(),
                    read_only: opened.read_only,
                    host: opened.host.clone(),
                },
            );
        }
        if errno == Some(0) && decoded.writes {
            self.note_written(function, &decoded);
        }
        let capability = match decoded.fd {
            // I/O on a file or directory the guest opened (or was given) is file access, not
            // stdio; descriptors 0-2 stay stdio.
            Some(fd) if fd > 2 && self.fds.contains_key(&fd) && function.starts_with("fd_") => {
                Capability::Filesystem
            }
            _ => capability_of(function),
        };
        if function == "fd_close"
            && errno == Some(0)
            && let Some(fd) = params.first().and_then(Val::i32)
        {
            self.fds.remove(&(fd as u32));
        }
        let result = match (outcome, errno) {
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
            explain(self, function, errno, &decoded)
        };
        let paths = self.paths_of(function, &decoded);
        // A path that stays inside by its words but leaves through a link: say which.
        let denial = match (&denial, &paths, &decoded.path) {
            (Some(_), Some(paths), Some(path))
                if !refused_by_quota
                    && decoded.symlink_target.is_none()
                    && !paths.inside
                    && join_by_name(".", path).1 =>
            {
                Some(
                    "the path goes through a link this run made that points outside the \
                     granted folder: making the link was allowed, following it is refused"
                        .to_owned(),
                )
            }
            _ => denial,
        };
        let prepares_escape = if errno == Some(0) {
            self.note_link(function, &decoded)
        } else {
            None
        };
        self.record(CallRecord {
            function: function.to_owned(),
            capability,
            args: decoded.text,
            errno,
            result,
            denial,
            at_us,
            count: 1,
            paths: paths.map(Box::new),
            prepares_escape,
            moment: self
                .moments
                .as_ref()
                .map(|m| m.load(std::sync::atomic::Ordering::Relaxed)),
        });
    }
}

impl CallLog {
    /// A call that changes the filesystem succeeded: keep the paths it changed.
    fn note_written(&mut self, function: &str, call: &Decoded) {
        let moved = function == "path_rename";
        let dir_of = |fd: u32| self.fds.get(&fd).map(|info| info.what.clone());
        if let (Some(dir), Some(path)) = (call.fd.and_then(dir_of), &call.path) {
            self.written.add(&dir, path, moved);
        }
        if let Some((fd, path)) = &call.to
            && let Some(dir) = dir_of(*fd)
        {
            self.written.add(&dir, path, moved);
        }
    }
}

impl CallLog {
    /// The path `function` names, in the guest's words and the host's: for `path_symlink`,
    /// what the new link points at from where it sits; for a rename or a link whose first
    /// path stays inside, the second one when it does not.
    fn paths_of(&self, function: &str, call: &Decoded) -> Option<CallPaths> {
        let path = call.path.as_deref()?;
        let first = match &call.symlink_target {
            Some(target) => {
                let parent = parent_by_name(path);
                let from_parent = if target.starts_with('/') || parent.is_empty() {
                    target.clone()
                } else {
                    format!("{parent}/{target}")
                };
                self.path_in(call.fd?, target, &from_parent, true)
            }
            None => self.path_in(call.fd?, path, path, function == "path_open"),
        };
        match (&first, &call.to) {
            (Some(paths), Some((fd, to))) if paths.inside => self
                .path_in(*fd, to, to, false)
                .filter(|to| !to.inside)
                .or(first),
            _ => first,
        }
    }

    /// `guest` as named in the folder `fd`; `path` is what to resolve there, following the
    /// links the run made (the last part too when `follow_last`).
    fn path_in(&self, fd: u32, guest: &str, path: &str, follow_last: bool) -> Option<CallPaths> {
        let dir = self.fds.get(&fd)?;
        let host_dir = dir.host.clone()?;
        let followed = self.follow_links(&dir.what, path, follow_last);
        let (host, inside) = join_by_name(&host_dir, &followed);
        Some(CallPaths {
            guest: guest.to_owned(),
            guest_dir: dir.what.clone(),
            host_dir,
            host,
            inside,
        })
    }

    /// `path` in the folder `dir` with the links this run made there replaced by what they
    /// say (eight deep at most: a loop of links ends).
    fn follow_links(&self, dir: &str, path: &str, follow_last: bool) -> String {
        let mut path = path.to_owned();
        for _ in 0..8 {
            let parts: Vec<&str> = path
                .split('/')
                .filter(|p| !p.is_empty() && *p != ".")
                .collect();
            let last = if follow_last {
                parts.len()
            } else {
                parts.len().saturating_sub(1)
            };
            let found = (1..=last).find_map(|i| {
                let key = (dir.to_owned(), parts[..i].join("/"));
                self.links.get(&key).map(|target| (i, target.clone()))
            });
            let Some((i, target)) = found else {
                return path;
            };
            let parent = parts[..i - 1].join("/");
            let rest = parts[i..].join("/");
            let base = if target.starts_with('/') || parent.is_empty() {
                target
            } else {
                format!("{parent}/{target}")
            };
            path = if rest.is_empty() {
                base
            } else {
                format!("{base}/{rest}")
            };
        }
        path
    }

    /// After a call that succeeded: keeps the links it made (and forgets removed ones);
    /// a link that points outside its folder is a step that prepares an escape.
    fn note_link(&mut self, function: &str, call: &Decoded) -> Option<String> {
        let key_of = |log: &Self, fd: u32, path: &str| {
            let dir = log.fds.get(&fd)?;
            let (path, inside) = join_by_name(".", path);
            inside.then(|| (dir.what.clone(), path))
        };
        let (fd, path) = (call.fd?, call.path.as_deref()?);
        let (made, target) = match function {
            "path_symlink" => (key_of(self, fd, path)?, call.symlink_target.clone()?),
            "path_link" => {
                let target = self.links.get(&key_of(self, fd, path)?)?.clone();
                let (to_fd, to) = call.to.as_ref()?;
                (key_of(self, *to_fd, to)?, target)
            }
            "path_unlink_file" | "path_rename" => {
                if let Some(key) = key_of(self, fd, path) {
                    self.links.remove(&key);
                }
                return None;
            }
            _ => return None,
        };
        self.links.insert(made.clone(), target.clone());
        let parent = parent_by_name(&made.1);
        let from_parent = if target.starts_with('/') || parent.is_empty() {
            target.clone()
        } else {
            format!("{parent}/{target}")
        };
        let dir = self.fds.values().find(|d| d.what == made.0)?;
        let (host, inside) = join_by_name(dir.host.as_deref()?, &from_parent);
        (!inside).then(|| {
            format!(
                "allowed here, refused when followed: the link {:?} in {} points to {target:?}, \
                 outside the granted folder (host {host})",
                made.1, made.0
            )
        })
    }
}

struct Opened {
    path: String,
    read_only: bool,
    host: Option<String>,
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
    /// For `path_rename` and `path_link`: the folder's descriptor and the new path.
    to: Option<(u32, String)>,
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

fn decode(log: &CallLog, memory: &[u8], function: &str, params: &[Val]) -> Decoded {
    let int = |i: usize| params.get(i).and_then(Val::i32).unwrap_or(0);
    let long = |i: usize| params.get(i).and_then(Val::i64).unwrap_or(0);
    let fd_text = |fd: i32| {
        let what = log
            .fds
            .get(&(fd as u32))
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
        to: None,
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
        let path = str_at(memory, int(path_i), int(path_i + 1));
        decoded.text = format!("{} path={path:?}", fd_text(fd));
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
                let dir = log.fds.get(&(fd as u32)).cloned();
                decoded.opens = Some(Opened {
                    path: match &dir {
                        Some(dir) => format!("{}/{path}", dir.what.trim_end_matches('/')),
                        None => path.clone(),
                    },
                    host: dir
                        .as_ref()
                        .and_then(|d| d.host.as_deref())
                        .map(|host| join_by_name(host, &path).0),
                    read_only: dir.is_some_and(|d| d.read_only),
                    fd_out: int(8) as u32,
                });
            }
            "path_rename" => {
                let to = str_at(memory, int(4), int(5));
                decoded
                    .text
                    .push_str(&format!(" -> {} path={to:?}", fd_text(int(3))));
                decoded.to = Some((int(3) as u32, to));
            }
            "path_link" => {
                let to = str_at(memory, int(5), int(6));
                decoded
                    .text
                    .push_str(&format!(" -> {} path={to:?}", fd_text(int(4))));
                decoded.to = Some((int(4) as u32, to));
            }
            "path_symlink" => {
                let target = str_at(memory, int(0), int(1));
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
            format!("{} iovs={}", fd_text(int(0)), int(2))
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
            fd_text(int(0))
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
