//! A whole recording (`.wstrace`): the header (the module's name and SHA-256, the sandbox
//! policy, the invocation), the module itself, and the calls ([`crate::engine::record`], where
//! the format is described). One file is the whole story of a run, to replay anywhere.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::policy::{Invocation, SandboxPolicy};
use crate::engine::record::{
    Calls, FORMAT_VERSION, MAGIC, Reader, RecordingError, assemble, read_calls,
};

/// What a recording says about the run besides its calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordingHeader {
    /// The wasmscope that recorded it.
    pub wasmscope_version: String,
    /// The module's name (its file name).
    pub module_name: String,
    /// The module's SHA-256, in hex.
    pub module_sha256: String,
    /// The sandbox the run had.
    pub policy: SandboxPolicy,
    /// What the run passed the guest (stdin is in the calls, not here).
    pub invocation: Invocation,
}

/// A recording read back from its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Recording {
    /// What the run was.
    pub header: RecordingHeader,
    /// The module itself.
    pub module: Arc<[u8]>,
    /// The calls, for a replay.
    pub calls: Arc<Calls>,
}

impl Recording {
    /// The run that replays this recording: its module under its sandbox, each WASI call
    /// answered from the recording. The recorded folders are never opened in a replay, so they
    /// are not checked again (they may be gone, or on another machine).
    pub fn replay_request(&self) -> crate::engine::RunRequest {
        let mut policy = self.header.policy.clone();
        policy.allow_host_dirs = true;
        let mut invocation = self.header.invocation.clone();
        invocation.replay = Some(crate::engine::policy::ReplaySource(Arc::clone(&self.calls)));
        crate::engine::RunRequest {
            name: self.header.module_name.clone(),
            wasm: Arc::clone(&self.module),
            // Recordings hold wasm only: precompiled runs are not recorded.
            precompiled: None,
            policy,
            invocation,
            info: None,
        }
    }
}

/// How many times the recorded run's timeout a time-travel replay may take: the last stretch
/// before a moment is single-stepped, and a replay that cannot be clocked is single-stepped
/// throughout, far slower than the recorded run.
pub const TRAVEL_TIMEOUT_FACTOR: u64 = 100;

impl Recording {
    /// A time-travel replay of this recording: debug mode, every instruction counted, heading
    /// for `travel`. Its timeout is [`TRAVEL_TIMEOUT_FACTOR`] times the recorded one (paused
    /// time never counts).
    pub fn travel_request(
        &self,
        travel: crate::engine::policy::Travel,
    ) -> crate::engine::RunRequest {
        let mut request = self.replay_request();
        request.policy.debug = true;
        // The calls, with their moments, are the timeline's ticks (logging them changes
        // nothing the guest sees).
        request.policy.log_calls = true;
        request.policy.timeout_ms = request
            .policy
            .timeout_ms
            .map(|ms| ms.saturating_mul(TRAVEL_TIMEOUT_FACTOR));
        request.invocation.travel = Some(travel);
        request
    }
}

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl RecordingHeader {
    /// The header of a run of `module` (named `module_name`) under `policy` with
    /// `invocation` (its stdin is not kept: what the guest read is in the calls).
    pub fn new(
        module_name: &str,
        module: &[u8],
        policy: &SandboxPolicy,
        invocation: &Invocation,
    ) -> Self {
        let mut invocation = invocation.clone();
        invocation.stdin = Default::default();
        invocation.replay = None;
        invocation.record_max_bytes = None;
        invocation.profiler_interval_ms = None;
        RecordingHeader {
            wasmscope_version: env!("CARGO_PKG_VERSION").to_owned(),
            module_name: module_name.to_owned(),
            module_sha256: sha256_hex(module),
            policy: policy.clone(),
            invocation,
        }
    }
}

impl Recording {
    /// The recording of a run of a core module that imports nothing from WASI: it has no
    /// calls to hold, because nothing crosses into it from the host, so every run of it is
    /// the same run and a replay of this empty recording is exact. `None` for a module that
    /// imports WASI (its calls must be recorded) or a component.
    pub fn of_a_module_without_wasi(
        module_name: &str,
        module: &Arc<[u8]>,
        policy: &SandboxPolicy,
        invocation: &Invocation,
    ) -> Option<Self> {
        if wasmparser::Parser::is_component(module) {
            return None;
        }
        for payload in wasmparser::Parser::new(0).parse_all(module) {
            if let Ok(wasmparser::Payload::ImportSection(imports)) = payload {
                for import in imports.into_imports() {
                    let import = import.ok()?;
                    if crate::engine::wasi::is_wasi_module(import.module) {
                        return None;
                    }
                }
            }
        }
        Some(Recording {
            header: RecordingHeader::new(module_name, module, policy, invocation),
            module: Arc::clone(module),
            calls: Arc::new(Calls {
                names: Vec::new(),
                calls: Vec::new(),
                end: crate::engine::record::RecordingEnd {
                    outcome: "not_recorded".to_owned(),
                    cut: None,
                    timeout_ms: policy.timeout_ms,
                },
            }),
        })
    }

    /// Reads a recording from its bytes: a clear error for anything that is not a whole,
    /// undamaged recording of this format version.
    pub fn parse(bytes: &[u8]) -> Result<Recording, RecordingError> {
        if !bytes.starts_with(&MAGIC[..bytes.len().min(MAGIC.len())]) || bytes.is_empty() {
            return Err(RecordingError::NotARecording);
        }
        let mut r = Reader { bytes, at: 0 };
        r.take(MAGIC.len(), "the magic")?;
        let version = r.take(4, "the version")?;
        let version = u32::from_le_bytes([version[0], version[1], version[2], version[3]]);
        if version != FORMAT_VERSION {
            return Err(RecordingError::Version { found: version });
        }
        let len = r.take(4, "the header's length")?;
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let header = r.take(len, "the header")?;
        let header: RecordingHeader = serde_json::from_slice(header)
            .map_err(|e| r.corrupt(format!("the header does not parse ({e})")))?;
        let len = r.take(8, "the module's length")?;
        let len = u64::from_le_bytes(len.try_into().unwrap_or_default());
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let module: Arc<[u8]> = Arc::from(r.take(len, "the module")?);
        let found = sha256_hex(&module);
        if found != header.module_sha256 {
            return Err(RecordingError::ModuleHash {
                expected: header.module_sha256,
                found,
            });
        }
        let mut calls = read_calls(&mut r)?;
        calls.end.timeout_ms = header.policy.timeout_ms;
        Ok(Recording {
            header,
            module,
            calls: Arc::new(calls),
        })
    }

    /// The recording's bytes again (after an edit, say): what [`Recording::parse`] reads.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = serde_json::to_vec(&self.header).unwrap_or_default();
        let calls = &self.calls;
        assemble(
            &header,
            &self.module,
            &calls.encode(),
            calls.calls.len() as u64,
            &calls.end,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::record::{CallEnd, Recorder, Replayer};
    use wasmtime::Val;

    fn header(module: &[u8]) -> RecordingHeader {
        RecordingHeader {
            wasmscope_version: "test".to_owned(),
            module_name: "m.wasm".to_owned(),
            module_sha256: sha256_hex(module),
            policy: SandboxPolicy::default(),
            invocation: Invocation::default(),
        }
    }

    fn recorder(max_bytes: u64) -> Recorder {
        let module: Arc<[u8]> = Arc::from(&b"\0asm\x01\0\0\0"[..]);
        let header = serde_json::to_vec(&header(&module)).expect("a header");
        Recorder::new(header, module, max_bytes, &[], &[])
    }

    fn small() -> Vec<u8> {
        let mut recorder = recorder(1 << 20);
        let mut memory = vec![0u8; 64];
        memory[8..16].copy_from_slice(&42u64.to_le_bytes());
        let params = [Val::I32(0), Val::I64(1), Val::I32(8)];
        recorder.record(
            &memory,
            "clock_time_get",
            &params,
            &[Val::I32(0)],
            CallEnd::Returned,
        );
        recorder.record(
            &memory,
            "random_get",
            &[Val::I32(8), Val::I32(4)],
            &[Val::I32(0)],
            CallEnd::Returned,
        );
        recorder.finish("exited")
    }

    #[test]
    fn a_recording_reads_back_what_was_recorded() {
        let recording = Recording::parse(&small()).expect("parses");
        assert_eq!(recording.calls.calls.len(), 2);
        assert_eq!(
            recording.calls.name_of(&recording.calls.calls[0]),
            "clock_time_get"
        );
        assert_eq!(recording.calls.calls[0].params, [0, 1, 8]);
        assert_eq!(
            recording.calls.calls[0].writes,
            [(8, 42u64.to_le_bytes().to_vec())]
        );
        assert_eq!(recording.calls.calls[1].writes, [(8, vec![42, 0, 0, 0])]);
        assert_eq!(recording.calls.end.outcome, "exited");
    }

    #[test]
    fn every_truncation_is_an_error_never_a_panic() {
        let bytes = small();
        for len in 0..bytes.len() {
            let err = Recording::parse(&bytes[..len]).expect_err("a prefix is not a recording");
            assert!(
                matches!(
                    err,
                    RecordingError::Truncated { .. } | RecordingError::NotARecording
                ),
                "{len}: {err}"
            );
        }
    }

    #[test]
    fn a_recording_written_again_reads_the_same() {
        let recording = Recording::parse(&small()).expect("parses");
        assert_eq!(Recording::parse(&recording.to_bytes()), Ok(recording));
    }

    #[test]
    fn damage_is_named() {
        let mut bytes = small();
        bytes[8] = 9;
        assert_eq!(
            Recording::parse(&bytes),
            Err(RecordingError::Version { found: 9 })
        );
        assert_eq!(
            Recording::parse(b"\0asm\x01\0\0\0"),
            Err(RecordingError::NotARecording)
        );
        let mut bytes = small();
        let module_at = bytes
            .windows(4)
            .position(|w| w == b"\0asm")
            .expect("module");
        bytes[module_at + 4] = 2;
        assert!(matches!(
            Recording::parse(&bytes),
            Err(RecordingError::ModuleHash { .. })
        ));
    }

    #[test]
    fn the_size_bound_cuts_the_recording_and_says_where() {
        let mut recorder = recorder(40);
        let memory = vec![0u8; 64];
        for _ in 0..10 {
            recorder.record(
                &memory,
                "sched_yield",
                &[],
                &[Val::I32(0)],
                CallEnd::Returned,
            );
        }
        let recording = Recording::parse(&recorder.finish("exited")).expect("parses");
        let (at, max) = recording.calls.end.cut.expect("cut");
        assert_eq!(max, 40);
        assert_eq!(at, recording.calls.calls.len() as u64);
        assert!(recording.calls.calls.len() < 10);
    }

    #[test]
    fn a_replayer_answers_in_order_and_names_a_divergence() {
        let recording = Recording::parse(&small()).expect("parses");
        let mut replay = Replayer::new(recording.calls);
        let params = [Val::I32(0), Val::I64(1), Val::I32(8)];
        assert!(replay.answer("clock_time_get", &params).is_ok());
        let diverged = replay
            .answer("random_get", &[Val::I32(8), Val::I32(5)])
            .expect_err("other arguments");
        assert_eq!(diverged.at_call, 2);
        assert!(
            diverged.detail.contains("recorded random_get(8, 4)"),
            "{diverged}"
        );
    }
}

/// Why a replay on the travel clock ([`crate::engine::sandbox::clock`]) must be run again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockRetry {
    /// It passed its moment between two ticks: again, single-stepping everything.
    Unclocked,
    /// It trapped where fuel does not settle: place the trap by single-stepping from this
    /// tick's moment.
    PlaceTrapFrom(u64),
    /// A reverse continue's search saw its last breakpoint hit between two ticks: find its
    /// moment by single-stepping from the tick at `tick` to the `nth` hit after it.
    PlaceHit {
        /// The moment of the tick before the hit.
        tick: u64,
        /// Which hit after that tick (from 1).
        nth: u64,
    },
}
