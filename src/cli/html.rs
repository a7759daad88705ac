//! `wasmscope run --html FILE`: the run's report as one self-contained HTML page (see
//! [`crate::engine::export::html`]), with memory over time from the run's own samples.

use std::path::Path;

use crate::engine::export::html::HtmlReport;
use crate::engine::outcome::ResourceSample;
use crate::engine::{self, Invocation, RunEvent, RunReport, SandboxPolicy};

/// Samples kept before every other one is dropped (and the interval between kept ones
/// doubles): a run of any length keeps a bounded, even picture of its memory.
const MAX_SAMPLES: usize = 20_000;

/// The run's memory samples, as its events come.
#[derive(Default)]
pub(super) struct Samples {
    kept: Vec<ResourceSample>,
    /// Keep one sample in this many.
    every: usize,
    seen: usize,
}

impl Samples {
    /// Looks at one of the run's events.
    pub(super) fn see(&mut self, event: &RunEvent) {
        let RunEvent::Sample(sample) = event else {
            return;
        };
        self.every = self.every.max(1);
        if self.seen.is_multiple_of(self.every) {
            self.kept.push(sample.clone());
            if self.kept.len() >= MAX_SAMPLES {
                let mut index = 0;
                self.kept.retain(|_| {
                    index += 1;
                    index % 2 == 1
                });
                self.every *= 2;
            }
        }
        self.seen += 1;
    }
}

/// Writes the page to `path`; `false` (with the error on stderr) when it cannot be written.
pub(super) fn write(
    path: &Path,
    wasm: &[u8],
    report: &RunReport,
    policy: &SandboxPolicy,
    invocation: &Invocation,
    samples: &Samples,
) -> bool {
    let info = engine::inspect(wasm);
    let page = HtmlReport {
        report,
        info: &info,
        policy,
        invocation,
        samples: &samples.kept,
    }
    .render();
    match super::outputs::write(path, page.as_bytes()) {
        Ok(()) => {
            eprintln!("wasmscope: wrote the report page to {}", path.display());
            true
        }
        Err(e) => {
            eprintln!(
                "error: cannot write the report page to {}: {e}",
                path.display()
            );
            false
        }
    }
}
