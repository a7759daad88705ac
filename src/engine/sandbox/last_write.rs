//! The host side of the instrumented copy: the two hooks it calls before its writes, and
//! what the WASI shim tells the search when a replayed call writes guest memory.

use wasmtime::{Caller, Extern, Linker, Memory, WasmBacktrace};

use crate::engine::outcome::FrameInfo;
use crate::engine::record::last_write::Writer;
use crate::engine::record::last_write::instrument::{
    BULK_HOOK, HOOK_MODULE, MEMORY_EXPORT, STORE_HOOK, SiteKind,
};
use crate::engine::sandbox::Host;

/// `linker` with the copy's hooks added (a copy of it: the shared linkers stay as they are).
pub(crate) fn linker_with_hooks(linker: &Linker<Host>) -> wasmtime::Result<Linker<Host>> {
    let mut linker = linker.clone();
    linker.func_wrap(
        HOOK_MODULE,
        STORE_HOOK,
        |caller: Caller<'_, Host>, addr: i32, site: i32| store(caller, addr, site),
    )?;
    linker.func_wrap(
        HOOK_MODULE,
        BULK_HOOK,
        |caller: Caller<'_, Host>, dst: i32, src: i32, len: i32, site: i32| {
            bulk(caller, dst, src, len, site)
        },
    )?;
    Ok(linker)
}

/// Memory 0 of the copy (kept in the watch after the first look).
fn memory_of(caller: &mut Caller<'_, Host>) -> Option<Memory> {
    if let Some(memory) = caller.data().last_write.as_ref()?.memory {
        return Some(memory);
    }
    let Some(Extern::Memory(memory)) = caller.get_export(MEMORY_EXPORT) else {
        return None;
    };
    caller.data_mut().last_write.as_mut()?.memory = Some(memory);
    Some(memory)
}

/// The guest's frames now, innermost first.
pub(crate) fn guest_frames(caller: &Caller<'_, Host>) -> Vec<FrameInfo> {
    let backtrace = WasmBacktrace::force_capture(caller);
    crate::engine::profiler::guest_frames(backtrace.frames())
        .map(crate::engine::sandbox::watch::frame_info)
        .collect()
}

/// Tells the watch about a write of `len` bytes at `start` that will happen (in bounds), if
/// it touches the range; keeps the moment when asked.
fn wrote(
    caller: &mut Caller<'_, Host>,
    memory: Memory,
    by: Writer,
    start: u64,
    len: u64,
) -> wasmtime::Result<()> {
    let Some(watch) = caller.data().last_write.as_ref() else {
        return Ok(());
    };
    if !watch.range.overlaps(start, len) {
        return Ok(());
    }
    let moment = watch.keeps_next().then(|| {
        (
            watch.bytes_in(memory.data(&*caller)),
            guest_frames(&*caller),
        )
    });
    match caller.data_mut().last_write.as_mut() {
        Some(watch) => watch.wrote(by, moment).map_err(wasmtime::Error::new),
        None => Ok(()),
    }
}

fn store(mut caller: Caller<'_, Host>, addr: i32, site: i32) -> wasmtime::Result<()> {
    let Some(memory) = memory_of(&mut caller) else {
        return Ok(());
    };
    let kind = caller
        .data()
        .last_write
        .as_ref()
        .and_then(|w| w.site(site as usize))
        .map(|s| s.kind);
    let Some(SiteKind::Store { offset, width }) = kind else {
        return Ok(());
    };
    let start = u64::from(addr as u32) + offset;
    // A store past the end traps and writes nothing.
    if start + u64::from(width) > memory.data_size(&caller) as u64 {
        return Ok(());
    }
    wrote(
        &mut caller,
        memory,
        Writer::Site(site as usize),
        start,
        width.into(),
    )
}

fn bulk(
    mut caller: Caller<'_, Host>,
    dst: i32,
    src: i32,
    len: i32,
    site: i32,
) -> wasmtime::Result<()> {
    let Some(memory) = memory_of(&mut caller) else {
        return Ok(());
    };
    let Some(watch) = caller.data().last_write.as_ref() else {
        return Ok(());
    };
    let Some(kind) = watch.site(site as usize).map(|s| s.kind) else {
        return Ok(());
    };
    let size = memory.data_size(&caller) as u64;
    let (dst, src, len) = (
        u64::from(dst as u32),
        u64::from(src as u32),
        u64::from(len as u32),
    );
    // Each of these traps before writing anything when a bound is crossed.
    let source_ok = match kind {
        SiteKind::Copy => src + len <= size,
        SiteKind::Init(segment) => {
            let segment_len = if watch.dropped.contains(&segment) {
                0
            } else {
                watch.plan.data.get(segment as usize).map_or(0, |d| d.len)
            };
            src + len <= segment_len
        }
        SiteKind::Drop(segment) => {
            if let Some(watch) = caller.data_mut().last_write.as_mut()
                && !watch.dropped.contains(&segment)
            {
                watch.dropped.push(segment);
            }
            return Ok(());
        }
        SiteKind::Fill | SiteKind::Store { .. } => true,
    };
    if !source_ok || dst + len > size {
        return Ok(());
    }
    wrote(&mut caller, memory, Writer::Site(site as usize), dst, len)
}

/// A replayed WASI call is about to write `writes` into guest memory: tells the watch, with
/// the guest's frames at the call when it keeps the moment.
pub(crate) fn wasi_writes(
    caller: &mut Caller<'_, Host>,
    memory: Memory,
    name: &'static str,
    call: u64,
    writes: &[(u32, Vec<u8>)],
) -> wasmtime::Result<()> {
    let Some(watch) = caller.data().last_write.as_ref() else {
        return Ok(());
    };
    let touches = writes
        .iter()
        .any(|(addr, bytes)| watch.range.overlaps(u64::from(*addr), bytes.len() as u64));
    if !touches {
        return Ok(());
    }
    let moment = watch.keeps_next().then(|| {
        (
            watch.bytes_in(memory.data(&*caller)),
            guest_frames(&*caller),
        )
    });
    match caller.data_mut().last_write.as_mut() {
        Some(watch) => {
            watch.memory.get_or_insert(memory);
            watch
                .wrote(Writer::Wasi(name, call), moment)
                .map_err(wasmtime::Error::new)
        }
        None => Ok(()),
    }
}
