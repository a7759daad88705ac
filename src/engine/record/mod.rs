//! Recordings (`.wstrace`): what crossed the WASI boundary into a core module's guest, so the
//! run can be replayed exactly without touching the host.
//!
//! A run's inputs are what its WASI calls hand the guest: file contents, the clock, random
//! bytes, stdin, the environment. The [`Recorder`] (an observer of the WASI shim) keeps, for
//! every call, its function, its arguments, its results and the bytes the host wrote into
//! guest memory; the [`Replayer`] answers the same calls from the recording. Everything else a
//! core module does is deterministic given its code and those answers.
//!
//! The file, version [`FORMAT_VERSION`] (all integers little-endian; `leb` is unsigned
//! LEB128, `sleb` signed):
//!
//! | part | bytes |
//! |---|---|
//! | magic | `WSTRACE` then a newline (8 bytes) |
//! | version | `u32` |
//! | header | `u32` length, then JSON: wasmscope's version, the module's name and SHA-256, the sandbox policy and the invocation |
//! | module | `u64` length, then the module's bytes |
//! | calls | records, each starting with a tag byte: `2` names a WASI function (`leb` length, name; it gets the next number from 0), `1` is a call (below) |
//! | end | tag `0xFF`, `leb` calls, `leb` length and the recorded outcome's name, `u8` 1 if the size bound cut the recording (then `leb` the call it ends before, `leb` the bound) else 0 |
//!
//! A call: `leb` function number; `u8` count and `sleb` each argument; `u8` count and `sleb`
//! each result; how it ended (`u8` 0 returned, 1 exit with `sleb` code, 2 trap with `leb`
//! length and message); `leb` count of memory writes, each `leb` address, `leb` length and the
//! bytes.

pub mod last_write;
pub mod recording;

use std::collections::HashMap;
use std::sync::Arc;

use wasmtime::Val;

use crate::engine::wasi::memory::{iovecs, u32_at};

/// The file extension of a recording.
pub const EXTENSION: &str = "wstrace";
/// The format version this wasmscope writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The default bound on a recording's calls, in bytes: 256 MiB.
pub const DEFAULT_RECORD_MAX_BYTES: u64 = 256 << 20;
pub(crate) const MAGIC: &[u8; 8] = b"WSTRACE\n";
const TAG_CALL: u8 = 1;
const TAG_NAME: u8 = 2;
const TAG_END: u8 = 0xFF;

/// How a recorded call ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallEnd {
    /// It returned its results.
    Returned,
    /// The guest exited in it (`proc_exit`).
    Exit(i32),
    /// It failed with this message (the guest trapped in the host).
    Trap(String),
}

/// One WASI call as the guest saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCall {
    /// The function's number in [`Recording::names`].
    pub function: u32,
    /// Its arguments (i32 arguments sign-extended).
    pub params: Vec<i64>,
    /// Its results.
    pub results: Vec<i64>,
    /// How it ended.
    pub end: CallEnd,
    /// What the host wrote into guest memory: address and bytes.
    pub writes: Vec<(u32, Vec<u8>)>,
}

/// Where a recording ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingEnd {
    /// How the recorded run ended (`exited`, `trapped`, `timed_out`, ...).
    pub outcome: String,
    /// When the size bound cut the recording: the call it ends before, and the bound.
    pub cut: Option<(u64, u64)>,
    /// The recorded run's timeout (from its policy; not stored in the calls themselves): a
    /// replay of a run that timed out stops at most this long after its last recorded call,
    /// however much slower the replay runs.
    pub timeout_ms: Option<u64>,
}

/// The calls of a recording, read back: what a replay answers the guest with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calls {
    /// The WASI functions the calls name.
    pub names: Vec<String>,
    /// The calls, in order.
    pub calls: Vec<RecordedCall>,
    /// Where the recording ends.
    pub end: RecordingEnd,
}

/// Why a file cannot be read as a recording.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RecordingError {
    /// The magic is missing.
    #[error("not a wasmscope recording (a .wstrace file starts with `WSTRACE`)")]
    NotARecording,
    /// Another format version.
    #[error(
        "a recording of format version {found}, which this wasmscope cannot read (it reads \
         version {FORMAT_VERSION}): replay it with the wasmscope that made it"
    )]
    Version {
        /// The file's version.
        found: u32,
    },
    /// The bytes end too early.
    #[error("the recording is truncated: it ends inside {what} (byte {at})")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where the bytes ended.
        at: usize,
    },
    /// Something does not parse.
    #[error("the recording is damaged: {what} (byte {at})")]
    Corrupt {
        /// What is wrong.
        what: String,
        /// Where.
        at: usize,
    },
    /// The module in the recording is not the one its header names.
    #[error(
        "the recording is damaged: its module's SHA-256 is {found}, but the header says \
         {expected}"
    )]
    ModuleHash {
        /// The header's hash.
        expected: String,
        /// The module's.
        found: String,
    },
}

/// Whether `bytes` start like a recording.
pub fn is_recording(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

use crate::engine::leb::write_u64 as put_leb;

fn put_sleb(out: &mut Vec<u8>, value: i64) {
    // Zigzag: small negative numbers stay small.
    put_leb(out, ((value << 1) ^ (value >> 63)) as u64);
}

fn val_bits(val: &Val) -> i64 {
    match val {
        Val::I32(v) => i64::from(*v),
        Val::I64(v) => *v,
        Val::F32(v) => i64::from(*v),
        Val::F64(v) => *v as i64,
        _ => 0,
    }
}

/// The sizes `args_sizes_get` and `environ_sizes_get` answer for these strings: how many, and
/// the bytes they take with their NULs.
pub fn sizes_of<'a>(strings: impl Iterator<Item = &'a str>) -> (u32, u32) {
    strings.fold((0, 0), |(count, bytes), s| {
        (count + 1, bytes + s.len() as u32 + 1)
    })
}

/// The iovec array a reading call fills, as it was when the call went in (a read may
/// overwrite the array itself, so it is read before).
fn read_buffers(name: &str, p: &[i64], memory: &[u8]) -> Vec<(u32, u32)> {
    let at = |i: usize| p.get(i).copied().unwrap_or(0) as i32;
    match name {
        "fd_read" | "fd_pread" | "sock_recv" => iovecs(memory, at(1), at(2)),
        _ => Vec::new(),
    }
}

/// The memory a WASI preview 1 function `name` wrote when it succeeded, as (address, length)
/// ranges, from its arguments, the buffers it read into (see [`read_buffers`]) and the memory
/// after it. `args` and `env` are the sizes the guest's `args_get`/`environ_get` write.
fn written(
    name: &str,
    p: &[i64],
    memory: &[u8],
    buffers: &[(u32, u32)],
    args: (u32, u32),
    env: (u32, u32),
) -> Vec<(u32, u32)> {
    let at = |i: usize| p.get(i).copied().unwrap_or(0) as u32;
    let word = |addr: u32| u32_at(memory, addr).unwrap_or(0);
    let filled = |total: u32| {
        let mut left = total;
        let mut ranges = Vec::new();
        for &(ptr, len) in buffers {
            if left == 0 {
                break;
            }
            let used = len.min(left);
            ranges.push((ptr, used));
            left -= used;
        }
        ranges
    };
    match name {
        "fd_read" | "fd_pread" => {
            let out = if name == "fd_read" { at(3) } else { at(4) };
            let mut ranges = filled(word(out));
            ranges.push((out, 4));
            ranges
        }
        "sock_recv" => {
            let mut ranges = filled(word(at(4)));
            ranges.push((at(4), 4));
            ranges.push((at(5), 2));
            ranges
        }
        "fd_readdir" => vec![(at(1), word(at(4)).min(at(2))), (at(4), 4)],
        "path_readlink" => vec![(at(3), word(at(5)).min(at(4))), (at(5), 4)],
        "random_get" => vec![(at(0), at(1))],
        "clock_time_get" => vec![(at(2), 8)],
        "clock_res_get" | "fd_tell" => vec![(at(1), 8)],
        "fd_seek" => vec![(at(3), 8)],
        "fd_filestat_get" => vec![(at(1), 64)],
        "path_filestat_get" => vec![(at(4), 64)],
        "fd_fdstat_get" => vec![(at(1), 24)],
        "fd_prestat_get" => vec![(at(1), 8)],
        "fd_prestat_dir_name" => vec![(at(1), at(2))],
        "args_sizes_get" | "environ_sizes_get" => vec![(at(0), 4), (at(1), 4)],
        "args_get" => vec![(at(0), args.0 * 4), (at(1), args.1)],
        "environ_get" => vec![(at(0), env.0 * 4), (at(1), env.1)],
        "fd_write" => vec![(at(3), 4)],
        "fd_pwrite" | "sock_send" => vec![(at(4), 4)],
        "path_open" => vec![(at(8), 4)],
        "sock_accept" => vec![(at(2), 4)],
        "poll_oneoff" => vec![(at(1), word(at(3)).saturating_mul(32)), (at(3), 4)],
        _ => Vec::new(),
    }
}

/// Records one run's WASI calls as they happen (lives in the store's data). Bounded: past
/// `max_bytes` of calls it stops recording and notes where; the run goes on.
#[derive(Debug)]
pub struct Recorder {
    header: Vec<u8>,
    module: Arc<[u8]>,
    body: Vec<u8>,
    max_bytes: u64,
    names: HashMap<&'static str, u64>,
    calls: u64,
    cut_at: Option<u64>,
    args: (u32, u32),
    env: (u32, u32),
    /// The buffers of the reading call in progress.
    buffers: Vec<(u32, u32)>,
}

impl Recorder {
    /// A recorder for a run described by `header` (JSON) of `module`, keeping at most
    /// `max_bytes` of calls. `args` and `env` are what the guest is given (for the sizes
    /// `args_get` writes).
    pub fn new(
        header: Vec<u8>,
        module: Arc<[u8]>,
        max_bytes: u64,
        args: &[String],
        env: &[(String, String)],
    ) -> Self {
        let env_strings: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        Self {
            header,
            module,
            body: Vec::new(),
            max_bytes,
            names: HashMap::new(),
            calls: 0,
            cut_at: None,
            args: sizes_of(args.iter().map(String::as_str)),
            env: sizes_of(env_strings.iter().map(String::as_str)),
            buffers: Vec::new(),
        }
    }

    /// The guest calls `name(params)`; `memory` is its memory as the call goes in.
    pub(crate) fn entering(&mut self, memory: &[u8], name: &str, params: &[Val]) {
        let params: Vec<i64> = params.iter().map(val_bits).collect();
        self.buffers = read_buffers(name, &params, memory);
    }

    /// Bytes of calls held so far.
    pub fn len(&self) -> usize {
        self.body.len()
    }

    /// Whether no call is held.
    pub fn is_empty(&self) -> bool {
        self.body.is_empty()
    }

    /// The call `name(params)` came back with `results` and ended as `end`; `memory` is the
    /// guest's memory after it.
    pub(crate) fn record(
        &mut self,
        memory: &[u8],
        name: &'static str,
        params: &[Val],
        results: &[Val],
        end: CallEnd,
    ) {
        if self.cut_at.is_some() {
            return;
        }
        let params: Vec<i64> = params.iter().map(val_bits).collect();
        let results: Vec<i64> = results.iter().map(val_bits).collect();
        let mut call = Vec::with_capacity(32);
        let next = self.names.len() as u64;
        let function = *self.names.entry(name).or_insert_with(|| {
            call.push(TAG_NAME);
            put_leb(&mut call, name.len() as u64);
            call.extend_from_slice(name.as_bytes());
            next
        });
        let succeeded = end == CallEnd::Returned && results.first().is_none_or(|errno| *errno == 0);
        let ranges = if succeeded {
            written(name, &params, memory, &self.buffers, self.args, self.env)
        } else {
            Vec::new()
        };
        let ranges: Vec<(u32, &[u8])> = ranges
            .into_iter()
            .filter(|&(_, len)| len > 0)
            .filter_map(|(addr, len)| {
                let start = addr as usize;
                memory
                    .get(start..start.checked_add(len as usize)?)
                    .map(|bytes| (addr, bytes))
            })
            .collect();
        encode_call(&mut call, function, &params, &results, &end, &ranges);
        if (self.body.len() + call.len()) as u64 > self.max_bytes {
            self.cut_at = Some(self.calls);
            if call.first() == Some(&TAG_NAME) {
                self.names.remove(name);
            }
            return;
        }
        self.body.extend_from_slice(&call);
        self.calls += 1;
    }

    /// The recording's bytes, ending with the run's `outcome` name.
    pub fn finish(self, outcome: &str) -> Vec<u8> {
        let end = RecordingEnd {
            outcome: outcome.to_owned(),
            cut: self.cut_at.map(|at| (at, self.max_bytes)),
            timeout_ms: None,
        };
        assemble(&self.header, &self.module, &self.body, self.calls, &end)
    }
}

/// Appends one call to `out` (see the module's docs for the layout).
fn encode_call(
    out: &mut Vec<u8>,
    function: u64,
    params: &[i64],
    results: &[i64],
    end: &CallEnd,
    writes: &[(u32, &[u8])],
) {
    out.push(TAG_CALL);
    put_leb(out, function);
    out.push(params.len() as u8);
    for p in params {
        put_sleb(out, *p);
    }
    out.push(results.len() as u8);
    for r in results {
        put_sleb(out, *r);
    }
    match end {
        CallEnd::Returned => out.push(0),
        CallEnd::Exit(code) => {
            out.push(1);
            put_sleb(out, i64::from(*code));
        }
        CallEnd::Trap(text) => {
            out.push(2);
            put_leb(out, text.len() as u64);
            out.extend_from_slice(text.as_bytes());
        }
    }
    put_leb(out, writes.len() as u64);
    for (addr, bytes) in writes {
        put_leb(out, u64::from(*addr));
        put_leb(out, bytes.len() as u64);
        out.extend_from_slice(bytes);
    }
}

/// A whole recording's bytes from its parts: `header` is its JSON, `body` the encoded calls.
pub(crate) fn assemble(
    header: &[u8],
    module: &[u8],
    body: &[u8],
    calls: u64,
    end: &RecordingEnd,
) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(MAGIC.len() + 16 + header.len() + module.len() + body.len() + 32);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header);
    out.extend_from_slice(&(module.len() as u64).to_le_bytes());
    out.extend_from_slice(module);
    out.extend_from_slice(body);
    out.push(TAG_END);
    put_leb(&mut out, calls);
    put_leb(&mut out, end.outcome.len() as u64);
    out.extend_from_slice(end.outcome.as_bytes());
    match end.cut {
        Some((at, max)) => {
            out.push(1);
            put_leb(&mut out, at);
            put_leb(&mut out, max);
        }
        None => out.push(0),
    }
    out
}

impl Calls {
    /// The calls encoded again, as a recording's body (names first, then the calls).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for name in &self.names {
            out.push(TAG_NAME);
            put_leb(&mut out, name.len() as u64);
            out.extend_from_slice(name.as_bytes());
        }
        for call in &self.calls {
            let writes: Vec<(u32, &[u8])> = call
                .writes
                .iter()
                .map(|(addr, bytes)| (*addr, bytes.as_slice()))
                .collect();
            encode_call(
                &mut out,
                u64::from(call.function),
                &call.params,
                &call.results,
                &call.end,
                &writes,
            );
        }
        out
    }
}

/// Reads a recording's bytes, checking every length against what is there.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(
        &mut self,
        n: usize,
        what: &'static str,
    ) -> Result<&'a [u8], RecordingError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(RecordingError::Truncated {
                what,
                at: self.bytes.len(),
            })?;
        let found = &self.bytes[self.at..end];
        self.at = end;
        Ok(found)
    }

    pub(crate) fn byte(&mut self, what: &'static str) -> Result<u8, RecordingError> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn leb(&mut self, what: &'static str) -> Result<u64, RecordingError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte(what)?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.corrupt(format!("a number in {what} is too long")))
    }

    fn sleb(&mut self, what: &'static str) -> Result<i64, RecordingError> {
        let zigzag = self.leb(what)?;
        Ok(((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64))
    }

    /// A length that must fit in what is left of the file.
    fn len(&mut self, what: &'static str) -> Result<usize, RecordingError> {
        let len = self.leb(what)?;
        usize::try_from(len)
            .ok()
            .filter(|&len| len <= self.bytes.len() - self.at)
            .ok_or(RecordingError::Truncated {
                what,
                at: self.bytes.len(),
            })
    }

    pub(crate) fn text(&mut self, what: &'static str) -> Result<String, RecordingError> {
        let len = self.len(what)?;
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| self.corrupt(format!("{what} is not UTF-8")))
    }

    pub(crate) fn corrupt(&self, what: String) -> RecordingError {
        RecordingError::Corrupt { what, at: self.at }
    }
}

/// Reads the calls and the end of a recording, from where `r` stands to the last byte.
pub(crate) fn read_calls(r: &mut Reader<'_>) -> Result<Calls, RecordingError> {
    let mut names = Vec::new();
    let mut calls = Vec::new();
    loop {
        match r.byte("the calls")? {
            TAG_NAME => names.push(r.text("a function's name")?),
            TAG_CALL => calls.push(read_call(r, names.len())?),
            TAG_END => break,
            tag => return Err(r.corrupt(format!("unknown record tag {tag}"))),
        }
    }
    let count = r.leb("the end")?;
    if count != calls.len() as u64 {
        return Err(r.corrupt(format!(
            "the end says {count} calls, the recording holds {}",
            calls.len()
        )));
    }
    let outcome = r.text("the end")?;
    let cut = match r.byte("the end")? {
        0 => None,
        1 => Some((r.leb("the end")?, r.leb("the end")?)),
        other => return Err(r.corrupt(format!("unknown end marker {other}"))),
    };
    if r.at != r.bytes.len() {
        return Err(r.corrupt("bytes after the end".to_owned()));
    }
    Ok(Calls {
        names,
        calls,
        end: RecordingEnd {
            outcome,
            cut,
            timeout_ms: None,
        },
    })
}

impl Calls {
    /// The name of `call`'s function.
    pub fn name_of(&self, call: &RecordedCall) -> &str {
        self.names
            .get(call.function as usize)
            .map_or("?", String::as_str)
    }
}

fn read_call(r: &mut Reader<'_>, names: usize) -> Result<RecordedCall, RecordingError> {
    let function = r.leb("a call")?;
    if function >= names as u64 {
        return Err(r.corrupt(format!("a call names function {function}, never named")));
    }
    let mut params = Vec::new();
    for _ in 0..r.byte("a call's arguments")? {
        params.push(r.sleb("a call's arguments")?);
    }
    let mut results = Vec::new();
    for _ in 0..r.byte("a call's results")? {
        results.push(r.sleb("a call's results")?);
    }
    let end = match r.byte("a call's end")? {
        0 => CallEnd::Returned,
        1 => CallEnd::Exit(r.sleb("a call's exit code")? as i32),
        2 => CallEnd::Trap(r.text("a call's trap")?),
        other => return Err(r.corrupt(format!("unknown call end {other}"))),
    };
    let mut writes = Vec::new();
    for _ in 0..r.leb("a call's writes")? {
        let addr = r.leb("a write")?;
        let addr = u32::try_from(addr).map_err(|_| r.corrupt("a write past 4 GiB".to_owned()))?;
        let len = r.len("a write")?;
        writes.push((addr, r.take(len, "a write")?.to_vec()));
    }
    Ok(RecordedCall {
        function: function as u32,
        params,
        results,
        end,
        writes,
    })
}

/// Why a replay cannot go on: the guest asked for something the recording does not hold.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the replay diverged at call {at_call}: {detail}")]
pub struct Divergence {
    /// The call's number, from 1.
    pub at_call: u64,
    /// What was recorded and what was asked, in words.
    pub detail: String,
}

/// Answers a replay's WASI calls from a recording (lives in the store's data).
#[derive(Debug)]
pub struct Replayer {
    recording: Arc<Calls>,
    next: usize,
    /// When the last recorded call was answered (at the start, for a recording of none).
    ended_at: Option<std::time::Instant>,
}

impl Replayer {
    /// A replay of `recording` from its first call.
    pub fn new(recording: Arc<Calls>) -> Self {
        let ended_at = recording.calls.is_empty().then(std::time::Instant::now);
        Self {
            recording,
            next: 0,
            ended_at,
        }
    }

    /// When a replay of a run that timed out must stop: the recorded timeout after its last
    /// recorded call (the recorded run stopped no later than that, counted in its own time),
    /// whatever the replay's own, slower, timeout. `None` for other recordings, or before the
    /// last call.
    pub fn tail_deadline(&self) -> Option<std::time::Instant> {
        let end = &self.recording.end;
        if end.outcome != "timed_out" || end.cut.is_some() {
            return None;
        }
        Some(self.ended_at? + std::time::Duration::from_millis(end.timeout_ms?))
    }

    /// Whether the recorded run timed out (and the recording was not cut before).
    pub fn recorded_timeout(&self) -> bool {
        self.recording.end.outcome == "timed_out" && self.recording.end.cut.is_none()
    }

    /// Calls answered so far.
    pub fn replayed(&self) -> u64 {
        self.next as u64
    }

    /// Calls in the recording.
    pub fn recorded(&self) -> u64 {
        self.recording.calls.len() as u64
    }

    /// The recorded answer to the guest's call `name(params)`, or why there is none.
    pub(crate) fn answer(
        &mut self,
        name: &str,
        params: &[Val],
    ) -> Result<&RecordedCall, Divergence> {
        let at_call = self.next as u64 + 1;
        let asked: Vec<i64> = params.iter().map(val_bits).collect();
        let Some(call) = self.recording.calls.get(self.next) else {
            let end = &self.recording.end;
            let detail = match end.cut {
                Some((_, max)) => format!(
                    "the guest called {name}, but the recording ends here: it reached its size \
                     bound ({} bytes) and what follows cannot be replayed exactly",
                    max
                ),
                None if end.outcome == "exited" || end.outcome == "trapped" => {
                    format!("the guest called {name}, but the recorded run made no more calls")
                }
                None => format!(
                    "the guest called {name}, but the recorded run ended here ({}): what \
                     follows cannot be replayed exactly",
                    end.outcome.replace('_', " ")
                ),
            };
            return Err(Divergence { at_call, detail });
        };
        let recorded = self.recording.name_of(call);
        if recorded != name || call.params != asked {
            return Err(Divergence {
                at_call,
                detail: format!(
                    "recorded {recorded}({}), the guest asked {name}({})",
                    join(&call.params),
                    join(&asked)
                ),
            });
        }
        self.next += 1;
        if self.next == self.recording.calls.len() {
            self.ended_at = Some(std::time::Instant::now());
        }
        Ok(call)
    }
}

fn join(values: &[i64]) -> String {
    values
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
