//! "Who wrote this?": a replay through an instrumented copy of the module
//! ([`instrument`]) that counts the writes touching a watched range of memory 0 and keeps
//! the moment of the last one: which instruction (or WASI call), the guest's backtrace, and
//! the range's bytes before it. The [`WriteWatch`] lives in the store's data and knows
//! nothing of the store: the copy's hooks and the WASI shim hand it what they see.
//!
//! Memory it holds beyond the run's own: the copy and its offset map (about the module's
//! size plus 8 bytes per instruction), the range's bytes before the last kept write (at most
//! 1 MiB), and the backtrace of that write. Moments are kept for the first
//! [`KEPT_MOMENTS`] writes only; when the last write comes later, a second replay that
//! stops at it fills its moment in (so the search costs at most two instrumented replays).

pub mod instrument;

use std::sync::Arc;

use crate::engine::outcome::{FrameInfo, LastWrite, LastWriteReport, RunOutcome, TrapKind};
use crate::engine::policy::{LastWriteRequest, WatchedRange};

use instrument::{Instrumented, Site};

/// Writes whose moment (bytes before, backtrace) the first replay keeps.
pub const KEPT_MOMENTS: u64 = 64;

/// What made a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Writer {
    /// An instrumented instruction: its site number.
    Site(usize),
    /// A WASI call: its name and number (from 1).
    Wasi(&'static str, u64),
}

/// The error that ends a second replay once it holds the moment it was looking for.
#[derive(Debug, thiserror::Error)]
#[error("the replay stopped at the write it was looking for")]
pub struct Found;

/// The moment of one write.
#[derive(Clone, Debug)]
struct Moment {
    before: Vec<u8>,
    /// The copy's frames, innermost first (mapped to the original module at the end).
    frames: Vec<FrameInfo>,
}

/// The search's state in the store (`Host::last_write`).
#[derive(Debug)]
pub struct WriteWatch {
    /// The watched bytes.
    pub range: WatchedRange,
    /// The copy the run executes.
    pub plan: Arc<Instrumented>,
    original: Arc<[u8]>,
    stop_at: Option<u64>,
    writes: u64,
    last: Option<(u64, Writer, Option<Moment>)>,
    /// Memory 0, once a hook has seen it.
    pub memory: Option<wasmtime::Memory>,
    /// Data segments dropped so far (a later `memory.init` from one traps).
    pub dropped: Vec<u32>,
}

impl WriteWatch {
    /// A search for `request` through `plan`, the copy of `original`.
    pub fn new(request: LastWriteRequest, plan: Arc<Instrumented>, original: Arc<[u8]>) -> Self {
        Self {
            range: request.range,
            plan,
            original,
            stop_at: request.stop_at_write,
            writes: 0,
            last: None,
            memory: None,
            dropped: Vec::new(),
        }
    }

    /// Whether the next write's moment is to be kept (the hook then reads the bytes and the
    /// backtrace before calling [`WriteWatch::wrote`]).
    pub fn keeps_next(&self) -> bool {
        let next = self.writes + 1;
        match self.stop_at {
            Some(at) => next == at,
            None => next <= KEPT_MOMENTS,
        }
    }

    /// A write touching the range is about to happen; `moment` is the bytes before it and the
    /// guest's frames, when [`WriteWatch::keeps_next`] asked. `Err(Found)` ends a second
    /// replay at its target.
    pub fn wrote(
        &mut self,
        by: Writer,
        moment: Option<(Vec<u8>, Vec<FrameInfo>)>,
    ) -> Result<(), Found> {
        self.writes += 1;
        let moment = moment.map(|(before, frames)| Moment { before, frames });
        self.last = Some((self.writes, by, moment));
        if self.stop_at == Some(self.writes) {
            return Err(Found);
        }
        Ok(())
    }

    /// The site table entry of `site`.
    pub fn site(&self, site: usize) -> Option<&Site> {
        self.plan.sites.get(site)
    }

    /// The range's bytes in `memory` (the part inside it).
    pub fn bytes_in(&self, memory: &[u8]) -> Vec<u8> {
        let start = (self.range.addr as usize).min(memory.len());
        let end = (self.range.end() as usize).min(memory.len());
        memory[start..end].to_vec()
    }

    /// Maps the copy's frames in the run's outcome back to the original module.
    pub fn map_outcome(&self, outcome: &mut RunOutcome) {
        if let RunOutcome::Trapped { trap } = outcome {
            let frames = std::mem::take(&mut trap.frames);
            trap.frames = self.original_frames(frames);
        }
    }

    fn original_frames(&self, frames: Vec<FrameInfo>) -> Vec<FrameInfo> {
        let lines = crate::engine::info::dwarf::LineTable::of(&self.original);
        frames
            .into_iter()
            .map(|mut frame| {
                let copy_index = frame.func_index;
                frame.func_index = self.plan.original_func(copy_index);
                frame.module_offset = frame
                    .module_offset
                    .and_then(|offset| self.plan.original_offset(copy_index, offset));
                frame.source = lines.as_ref().and_then(|lines| {
                    let (file, line) = lines.line_at(frame.module_offset?)?;
                    Some(format!("{file}:{line}"))
                });
                frame
            })
            .collect()
    }

    /// The answer, at the run's end; `memory` is memory 0 as it ended, `outcome` how the run
    /// ended.
    pub fn finish(self, memory: Option<&[u8]>, outcome: &RunOutcome) -> LastWriteReport {
        let overflowed = matches!(
            outcome,
            RunOutcome::Trapped { trap } if trap.kind == TrapKind::StackOverflow
        );
        let mut report = LastWriteReport {
            last_write_caveat: overflowed.then(|| {
                "the run ended by exhausting its stack, and the instrumented copy's frames are \
                 larger, so it ran out at another depth than the recorded run: the answer (and \
                 the trap's frames) are the copy's"
                    .to_owned()
            }),
            last_write_range: self.range.to_string(),
            last_write_count: self.writes,
            memory_bytes: memory.map(|m| m.len() as u64),
            ..LastWriteReport::default()
        };
        let after = memory.map(|m| hex(&self.bytes_in(m))).unwrap_or_default();
        let Some((number, by, moment)) = self.last.clone() else {
            let segments = instrument::segments_covering(&self.plan.data, self.range);
            report.last_write_note = Some(match segments.as_slice() {
                [] => format!(
                    "never written: nothing wrote {} since the start (it holds {})",
                    self.range,
                    if after.is_empty() {
                        "nothing".to_owned()
                    } else {
                        after
                    }
                ),
                [one] => format!(
                    "written by the module's data segment {one} when it was instantiated, and \
                     never since (it holds {after})"
                ),
                many => format!(
                    "written by the module's data segments {} when it was instantiated, and \
                     never since (it holds {after})",
                    many.iter()
                        .map(usize::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            return report;
        };
        let (before, frames) = match moment {
            Some(moment) => (hex(&moment.before), self.original_frames(moment.frames)),
            None => {
                report.moment_missing = Some(number);
                (String::new(), Vec::new())
            }
        };
        let (written_by, wasi_call) = match by {
            Writer::Site(site) => (
                self.site(site).map_or("?", |s| s.instruction).to_owned(),
                None,
            ),
            Writer::Wasi(name, call) => (format!("{name}, WASI call #{call}"), Some(call)),
        };
        // The writing instruction is the site's, even when the backtrace was not kept.
        let site = match by {
            Writer::Site(site) => self.site(site).cloned(),
            Writer::Wasi(..) => None,
        };
        let top = frames.first();
        let func_index = site
            .as_ref()
            .map(|s| s.func_index)
            .or(top.map(|f| f.func_index))
            .unwrap_or(0);
        let module_offset = site
            .as_ref()
            .map(|s| s.module_offset)
            .or(top.and_then(|f| f.module_offset))
            .unwrap_or(0);
        let source = top.and_then(|f| f.source.clone());
        let (file, line) = match source.as_deref().and_then(|s| s.rsplit_once(':')) {
            Some((file, line)) => (Some(file.to_owned()), line.parse().ok()),
            None => (None, None),
        };
        report.last_write = Some(LastWrite {
            written_by,
            wasi_call,
            func_name: top.and_then(|f| f.func_name.clone()),
            func_index,
            module_offset,
            file,
            line,
            frames,
            before,
            after,
        });
        report
    }
}

impl LastWriteReport {
    /// Fills a missing moment from a second replay that stopped at that write.
    pub fn complete_with(&mut self, second: LastWriteReport) {
        if let (Some(first), Some(mut second)) = (self.last_write.as_mut(), second.last_write) {
            // The second replay stopped before the write: its `after` is the first's.
            second.after = std::mem::take(&mut first.after);
            *first = second;
        }
        self.moment_missing = None;
    }
}

/// Bytes as lowercase hex, no separators.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
