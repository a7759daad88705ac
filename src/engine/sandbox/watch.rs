//! The run's observer inside the store: it notes where the guest was when the timeout or
//! Stop ended it, and feeds the guest profiler when that is on.
//!
//! A guest stopped while busy is seen in the epoch-deadline callback that interrupts it. A
//! guest stopped while blocked in a host call (a sleep, a read) is seen when wasmtime abandons
//! that call: it resumes the guest's fiber with an error and drops the host call's future,
//! and the [`HostCall`] guard inside the WASI shim (`wasi::shim`, around every core run's
//! WASI functions) runs its `drop` with the guest's frames still on the stack. So
//! wasmtime's `call-hook` feature is not needed; a component, which has no such wrapper,
//! says where it stopped only when it was stopped in wasm code.

use std::time::Instant;

use crossbeam_channel::Sender;
use wasmtime::{Caller, StoreContextMut, WasmBacktrace};

use crate::engine::events::RunEvent;
use crate::engine::info::dwarf::LineTable;
use crate::engine::outcome::{FrameInfo, RunReport, StoppedAt};
use crate::engine::profiler::{Profiler, guest_frames};

/// What the observer knows; part of the store's data.
#[derive(Debug, Default)]
pub struct Watch {
    stopped_at: Option<StoppedAt>,
    profiler: Option<Profiler>,
    events: Option<Sender<RunEvent>>,
}

/// Store data that carries a [`Watch`].
pub(crate) trait Watched {
    /// The store's observer.
    fn watch(&mut self) -> &mut Watch;
}

impl Watch {
    /// An observer for one run; it profiles the guest every `profiler_interval_ms` if given,
    /// and sends the live profile on `events`.
    pub(crate) fn new(profiler_interval_ms: Option<u64>, events: &Sender<RunEvent>) -> Self {
        Self {
            stopped_at: None,
            profiler: profiler_interval_ms.map(Profiler::new),
            events: Some(events.clone()),
        }
    }

    /// Lets the profiler (if any) name functions by the exports of `wasm`.
    pub(crate) fn name_from_exports(&mut self, wasm: &[u8]) {
        if let Some(profiler) = &mut self.profiler {
            profiler.name_from_exports(crate::engine::profiler::export_names(wasm));
        }
    }

    /// Puts where the guest stopped and the profile into `report`.
    pub(crate) fn finish(&mut self, report: &mut RunReport) {
        report.stopped_at = self.stopped_at.take();
        report.profile = self.profiler.take().map(|p| p.snapshot(true));
    }

    /// Debug mode, while paused at `frames`: a Stop now ends the run here (the paused run's
    /// future is dropped, no epoch callback sees it). `None` when the guest resumes.
    pub(crate) fn paused_at(&mut self, frames: Option<Vec<FrameInfo>>) {
        self.stopped_at = frames.map(|frames| StoppedAt { frames });
    }

    fn note_stop(&mut self, backtrace: &WasmBacktrace) {
        if self.stopped_at.is_none() {
            self.stopped_at = Some(StoppedAt {
                frames: guest_frames(backtrace.frames()).map(frame_info).collect(),
            });
        }
    }
}

/// From the epoch callback when the timeout passed or Stop was pressed.
pub(crate) fn stopping<T: Watched>(store: &mut StoreContextMut<'_, T>) {
    if store.data_mut().watch().stopped_at.is_none() {
        let backtrace = WasmBacktrace::force_capture(&*store);
        store.data_mut().watch().note_stop(&backtrace);
    }
}

/// From the epoch callback while the guest runs on: a profile sample when one is due, and
/// the live profile about once a second.
pub(crate) fn tick<T: Watched>(store: &mut StoreContextMut<'_, T>, now: Instant) {
    // Taken out and put back, so the profiler can read the store it lives in.
    let Some(mut profiler) = store.data_mut().watch().profiler.take() else {
        return;
    };
    profiler.tick(&*store, now);
    let live = profiler.live(now);
    let watch = store.data_mut().watch();
    watch.profiler = Some(profiler);
    if let (Some(live), Some(events)) = (live, &watch.events) {
        // A full channel skips this refresh; the next one comes a second later.
        let _ = events.try_send(RunEvent::Profile(Box::new(live)));
    }
}

/// A host call in progress, made by the WASI wrapper around the real function. Finish it
/// with [`HostCall::returned`]; dropped without that, the call was abandoned by a stop.
pub(crate) struct HostCall<'a, 'c, T: Watched + 'static> {
    /// The guest's caller, for the real call.
    pub(crate) caller: &'a mut Caller<'c, T>,
    function: &'static str,
    returned: bool,
}

impl<'a, 'c, T: Watched + 'static> HostCall<'a, 'c, T> {
    /// The guest calls `function`.
    pub(crate) fn start(caller: &'a mut Caller<'c, T>, function: &'static str) -> Self {
        if let Some(profiler) = caller.data_mut().watch().profiler.as_mut() {
            profiler.calling_host(Instant::now());
        }
        Self {
            caller,
            function,
            returned: false,
        }
    }

    /// The call came back (with a result or an error).
    pub(crate) fn returned(mut self) {
        self.returned = true;
        self.ended();
    }

    fn ended(&mut self) {
        let now = Instant::now();
        if let Some(mut profiler) = self.caller.data_mut().watch().profiler.take() {
            profiler.returning_from_host(&*self.caller, self.function, now);
            self.caller.data_mut().watch().profiler = Some(profiler);
        }
    }
}

impl<T: Watched + 'static> Drop for HostCall<'_, '_, T> {
    fn drop(&mut self) {
        if !self.returned {
            // Abandoned: the timeout or Stop ended the run while the guest waited here.
            self.ended();
            let backtrace = WasmBacktrace::force_capture(&*self.caller);
            self.caller.data_mut().watch().note_stop(&backtrace);
        }
    }
}

/// Fills in the source lines of frames that wasmtime left without (an engine without
/// [`crate::engine::sandbox::EngineKey::frame_lines`]) from the line table of `wasm`, the
/// core module they ran in: read once, and only when a frame needs it.
pub(crate) fn add_source_lines<'a>(
    wasm: &[u8],
    frames: impl IntoIterator<Item = &'a mut FrameInfo>,
) {
    let mut lines = None;
    for frame in frames {
        let Some(offset) = frame.module_offset.filter(|_| frame.source.is_none()) else {
            continue;
        };
        let table = lines.get_or_insert_with(|| LineTable::of(wasm));
        frame.source = table.as_ref().and_then(|table| table.source_at(offset));
    }
}

/// A wasm frame as a report shows it (a trap's backtrace, where a run stopped).
pub(crate) fn frame_info(frame: &wasmtime::FrameInfo) -> FrameInfo {
    FrameInfo {
        func_index: frame.func_index(),
        func_name: frame
            .func_name()
            .map(|name| rustc_demangle::demangle(name).to_string()),
        module_offset: frame.module_offset(),
        source: frame.symbols().first().and_then(|symbol| {
            let file = symbol.file()?;
            Some(match (symbol.line(), symbol.column()) {
                (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
                (Some(line), None) => format!("{file}:{line}"),
                _ => file.to_owned(),
            })
        }),
        state: None,
    }
}
