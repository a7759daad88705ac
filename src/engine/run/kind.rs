//! The kind of a run, decided once from its request: a live run (recorded or not), or a replay
//! of a recording, plain, travelling in time, or searching for the last write to a range.
//! Each kind's code is in its own file under [`crate::engine::run::modes`]; the run skeleton
//! asks the kind, never the invocation's fields one by one.

use crate::engine::outcome::RunOutcome;
use crate::engine::policy::{LastWriteRequest, ReplaySource, Travel};
use crate::engine::run::request::RunRequest;

/// What a run does with the guest's WASI calls and with time.
#[derive(Clone, Debug)]
pub enum RunKind {
    /// The guest meets the real world; its WASI calls are recorded when `record_max_bytes`
    /// is set (at most that many bytes of them).
    Live {
        /// The recording's bound, when the run is recorded.
        record_max_bytes: Option<u64>,
    },
    /// Every WASI call is answered from a recording: the same run again.
    Replay {
        /// The recorded calls.
        source: ReplaySource,
    },
    /// A replay in debug mode that counts every instruction and heads for a moment.
    Travel {
        /// The recorded calls.
        source: ReplaySource,
        /// Where it heads.
        travel: Travel,
    },
    /// An instrumented copy of the module, replayed (or run) to find the last write to a
    /// range of memory.
    LastWrite {
        /// The recorded calls, for a replay.
        source: Option<ReplaySource>,
        /// The bytes watched.
        watched: LastWriteRequest,
    },
}

impl RunKind {
    /// The kind `request` asks for, or why it cannot be run as asked.
    pub fn decide(request: &RunRequest) -> Result<Self, &'static str> {
        let invocation = &request.invocation;
        let source = invocation.replay.clone();
        match (invocation.travel, invocation.last_write) {
            (Some(_), Some(_)) => Err("a search for the last write cannot also go back in time"),
            (Some(travel), None) => {
                let Some(source) = source else {
                    return Err(
                        "going back in time needs a recording: replay the run (every \
                                window run is recorded)",
                    );
                };
                if !request.policy.debug {
                    Err("going back in time needs debug mode")
                } else if wasmparser::Parser::is_component(&request.wasm) {
                    Err("going back in time is not available for components")
                } else {
                    Ok(RunKind::Travel { source, travel })
                }
            }
            (None, Some(watched)) => {
                if request.precompiled.is_some() {
                    Err("cannot search for writes in precompiled code")
                } else {
                    Ok(RunKind::LastWrite { source, watched })
                }
            }
            (None, None) => Ok(match source {
                Some(source) => RunKind::Replay { source },
                None => RunKind::Live {
                    record_max_bytes: invocation.record_max_bytes,
                },
            }),
        }
    }

    /// The recording a replay answers from; `None` for a live run.
    pub fn replay_source(&self) -> Option<&ReplaySource> {
        match self {
            RunKind::Live { .. } => None,
            RunKind::Replay { source } | RunKind::Travel { source, .. } => Some(source),
            RunKind::LastWrite { source, .. } => source.as_ref(),
        }
    }

    /// Where a travelling replay heads.
    pub fn travel(&self) -> Option<Travel> {
        match self {
            RunKind::Travel { travel, .. } => Some(*travel),
            _ => None,
        }
    }

    /// Whether this run travels by the clock ([`crate::engine::sandbox::clock`]): a replay
    /// heading for a moment, searching for the last breakpoint hit before one or for a live
    /// pause's moment (or counting
    /// with no breakpoint to look for) of a module that can
    /// keep it, under no fuel budget of the user's, and not sent back to single-stepping.
    pub fn travels_by_clock(
        &self,
        request: &RunRequest,
        control: &crate::engine::sandbox::RunControl,
    ) -> bool {
        let heading = match self.travel() {
            Some(Travel::To(_) | Travel::AtBreak(_) | Travel::Scan(_) | Travel::Locate(_)) => true,
            Some(Travel::Count) => !control.debug().has_breakpoints(),
            _ => false,
        };
        heading
            && request.policy.fuel.is_none()
            && request.precompiled.is_none()
            && !control.is_unclocked()
            && crate::engine::sandbox::clock::can_clock(&request.wasm)
    }

    /// The bound of a live run's recording, when it is recorded.
    pub fn record_max_bytes(&self) -> Option<u64> {
        match self {
            RunKind::Live { record_max_bytes } => *record_max_bytes,
            _ => None,
        }
    }
}

/// The outcome of a run that could not start: `error` in words a user can act on.
pub(crate) fn failed(error: impl Into<String>) -> RunOutcome {
    RunOutcome::Failed {
        error: error.into(),
        unresolved: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::policy::{Invocation, SandboxPolicy, WatchedRange};
    use crate::engine::record::{Calls, RecordingEnd};

    fn request(invocation: Invocation, debug: bool) -> RunRequest {
        RunRequest {
            name: "m.wasm".into(),
            wasm: Arc::from(&b"\0asm\x01\0\0\0"[..]),
            precompiled: None,
            policy: SandboxPolicy {
                debug,
                ..Default::default()
            },
            invocation,
            info: None,
        }
    }

    fn source() -> ReplaySource {
        ReplaySource(Arc::new(Calls {
            names: Vec::new(),
            calls: Vec::new(),
            end: RecordingEnd {
                outcome: "exited".into(),
                cut: None,
                timeout_ms: None,
            },
        }))
    }

    #[test]
    fn each_kind_is_decided_once_with_its_refusals() {
        let live = RunKind::decide(&request(
            Invocation {
                record_max_bytes: Some(10),
                ..Default::default()
            },
            false,
        ));
        assert_eq!(live.unwrap().record_max_bytes(), Some(10));
        let travel = Invocation {
            travel: Some(Travel::To(5)),
            ..Default::default()
        };
        assert_eq!(
            RunKind::decide(&request(travel.clone(), true)).err(),
            Some(
                "going back in time needs a recording: replay the run (every window run is \
                 recorded)"
            )
        );
        let replayed = Invocation {
            replay: Some(source()),
            ..travel
        };
        assert_eq!(
            RunKind::decide(&request(replayed.clone(), false)).err(),
            Some("going back in time needs debug mode")
        );
        let kind = RunKind::decide(&request(replayed.clone(), true)).unwrap();
        assert_eq!(kind.travel(), Some(Travel::To(5)));
        assert!(kind.replay_source().is_some());
        let both = Invocation {
            last_write: Some(LastWriteRequest {
                range: WatchedRange { addr: 0, len: 1 },
                stop_at_write: None,
            }),
            ..replayed
        };
        assert!(RunKind::decide(&request(both, true)).is_err());
    }
}
