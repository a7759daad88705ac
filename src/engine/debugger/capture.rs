//! Reading a guest that is stopped in the debug handler: its frames (function, offset,
//! locals, operand stack), its instance's globals and memory, bounded by [`MAX_FRAMES`] and
//! [`MAX_VALUES`]; what a trap left, merged into the trap's backtrace; the faulting address
//! of an out-of-bounds access, recovered from the instruction's operands.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::{FrameHandle, Module, StoreContextMut, Val, ValType};

use crate::engine::debug::control::{PauseReason, PausedState};
use crate::engine::debug::module_map::{ModuleMap, call_site, has_dwarf_sections, operators_of};
use crate::engine::debug::source::{SourceContext, source_context};
use crate::engine::debug::values::FrameView;
use crate::engine::debug::values::{
    DebugState, DebugValue, FrameState, wasm_type_text, wasm_value_text,
};
use crate::engine::debug::variables::SourceInfo;
use crate::engine::debug::{MAX_FRAMES, MAX_VALUES, PAUSE_MEMORY_BYTES};
use crate::engine::outcome::{FrameInfo, TrapInfo};
use crate::engine::sandbox::Host;

/// Each module's names and code layout, and its DWARF, read once per run, keyed by the
/// module's index in the engine.
#[derive(Default)]
pub(crate) struct Maps {
    maps: Mutex<HashMap<u64, Arc<ModuleMap>>>,
    sources: Mutex<HashMap<u64, Option<Arc<SourceInfo>>>>,
}

impl Maps {
    /// The DWARF of `module`, read on first need; `None` without any.
    pub(crate) fn sources(&self, module: &Module) -> Option<Arc<SourceInfo>> {
        let key = module.debug_index_in_engine();
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        sources
            .entry(key)
            .or_insert_with(|| {
                let wasm = module.debug_bytecode().filter(|w| has_dwarf_sections(w))?;
                SourceInfo::parse(wasm).map(Arc::new)
            })
            .clone()
    }

    /// The map of `module` (empty when its bytes cannot be read: names are optional).
    pub(crate) fn of(&self, module: &Module) -> Arc<ModuleMap> {
        let key = module.debug_index_in_engine();
        let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        maps.entry(key)
            .or_insert_with(|| {
                Arc::new(
                    module
                        .debug_bytecode()
                        .and_then(|wasm| ModuleMap::parse(wasm).ok())
                        .unwrap_or_default(),
                )
            })
            .clone()
    }
}

/// What a trap left, captured while its frames were still on the stack.
#[derive(Clone, Debug, Default)]
pub(crate) struct TrapCapture {
    frames: Vec<FrameInfo>,
    state: DebugState,
    fault_address: Option<u64>,
}

/// Reads the trapping guest: its frames with their state, the globals, and the faulting
/// address of an out-of-bounds access.
pub(crate) fn capture_trap(store: &mut StoreContextMut<'_, Host>, maps: &Maps) -> TrapCapture {
    let (frames, state, _) = capture_frames(store, maps);
    let module = innermost_module(store);
    let fault_address = frames.first().and_then(|frame| {
        let module = module.as_ref()?;
        let map = maps.of(module);
        computed_fault_address(module.debug_bytecode()?, &map, frame)
    });
    TrapCapture {
        frames,
        state,
        fault_address,
    }
}

/// Where a frame is: (module, function index in the module's index space, module offset).
pub(crate) fn frame_place(
    store: &mut StoreContextMut<'_, Host>,
    frame: &FrameHandle,
    maps: &Maps,
) -> Option<(Module, Arc<ModuleMap>, u32, usize)> {
    let (defined, pc) = frame.wasm_function_index_and_pc(&mut *store).ok()??;
    let module = frame.module(&mut *store).ok()??.clone();
    let map = maps.of(&module);
    let func_index = map.imported_functions + defined.as_u32();
    Some((module, map, func_index, pc.raw() as usize))
}

fn read_values(
    count: u32,
    mut read: impl FnMut(u32) -> Option<Val>,
    mut name: impl FnMut(u32) -> Option<String>,
) -> (Vec<DebugValue>, u32) {
    let shown = count.min(MAX_VALUES as u32);
    let values = (0..shown)
        .filter_map(|index| {
            let value = read(index)?;
            Some(DebugValue {
                index,
                name: name(index),
                ty: wasm_type_text(&value).to_owned(),
                value: wasm_value_text(&value),
            })
        })
        .collect();
    (values, count - shown)
}

pub(crate) fn frame_state(
    store: &mut StoreContextMut<'_, Host>,
    frame: &FrameHandle,
    map: &ModuleMap,
    func_index: u32,
) -> FrameState {
    let num_locals = frame.num_locals(&mut *store).unwrap_or(0);
    let (locals, locals_omitted) = read_values(
        num_locals,
        |i| frame.local(&mut *store, i).ok(),
        |i| map.local_name(func_index, i).map(str::to_owned),
    );
    let num_stack = frame.num_stacks(&mut *store).unwrap_or(0);
    let (stack, stack_omitted) =
        read_values(num_stack, |i| frame.stack(&mut *store, i).ok(), |_| None);
    FrameState {
        locals,
        stack,
        locals_omitted,
        stack_omitted,
        operands: Vec::new(),
        variables: Vec::new(),
        unit_globals: Vec::new(),
    }
}

/// The most wasm values of one kind read for the DWARF's locations.
const MAX_RAW_VALUES: u32 = 4_096;

/// A frame's wasm values as raw bits, for its source variables.
struct RawFrame {
    /// Its index in the captured frames.
    at: usize,
    module: Module,
    pc: u64,
    locals: Vec<Option<u64>>,
    stack: Vec<Option<u64>>,
}

impl RawFrame {
    fn read(
        store: &mut StoreContextMut<'_, Host>,
        frame: &FrameHandle,
        at: usize,
        module: Module,
        pc: usize,
    ) -> Self {
        let locals = frame
            .num_locals(&mut *store)
            .unwrap_or(0)
            .min(MAX_RAW_VALUES);
        let stack = frame
            .num_stacks(&mut *store)
            .unwrap_or(0)
            .min(MAX_RAW_VALUES);
        Self {
            at,
            module,
            pc: pc as u64,
            locals: (0..locals)
                .map(|i| frame.local(&mut *store, i).ok().and_then(|v| bits(&v)))
                .collect(),
            stack: (0..stack)
                .map(|i| frame.stack(&mut *store, i).ok().and_then(|v| bits(&v)))
                .collect(),
        }
    }
}

/// A number's bits (a reference has none the DWARF can use).
fn bits(value: &Val) -> Option<u64> {
    match value {
        Val::I32(v) => Some(u64::from(*v as u32)),
        Val::I64(v) => Some(*v as u64),
        Val::F32(v) => Some(u64::from(*v)),
        Val::F64(v) => Some(*v),
        _ => None,
    }
}

/// What a logpoint's line shows of the frame at `pc` in `module`: the program's own variables
/// when the DWARF names them (`area=12`), else the wasm locals (`$count=0`).
pub(crate) fn logpoint_values(
    store: &mut StoreContextMut<'_, Host>,
    frame: &FrameHandle,
    module: &Module,
    pc: usize,
    maps: &Maps,
    locals: &[DebugValue],
) -> Vec<String> {
    let source = frame_variables(store, frame, module, pc, maps);
    if source.is_empty() {
        locals.iter().map(DebugValue::short).collect()
    } else {
        source
            .iter()
            .map(|v| format!("{}={}", v.name, v.value))
            .collect()
    }
}

/// The source variables of the frame at `pc` in `module` (empty without DWARF).
fn frame_variables(
    store: &mut StoreContextMut<'_, Host>,
    frame: &FrameHandle,
    module: &Module,
    pc: usize,
    maps: &Maps,
) -> Vec<crate::engine::debug::SourceVariable> {
    if maps.sources(module).is_none() {
        return Vec::new();
    }
    let Ok(instance) = frame.instance(&mut *store) else {
        return Vec::new();
    };
    let raw = RawFrame::read(store, frame, 0, module.clone(), pc);
    let mut frames = vec![FrameInfo {
        func_index: 0,
        func_name: None,
        module_offset: None,
        source: None,
        state: Some(FrameState {
            locals: Vec::new(),
            stack: Vec::new(),
            locals_omitted: 0,
            stack_omitted: 0,
            operands: Vec::new(),
            variables: Vec::new(),
            unit_globals: Vec::new(),
        }),
    }];
    // A logpoint prints its function's variables, not its file's globals (it may be hit a
    // million times).
    add_variables(store, maps, instance, vec![raw], &mut frames, false);
    frames
        .pop()
        .and_then(|f| f.state)
        .map(|s| s.variables)
        .unwrap_or_default()
}

/// Gives each frame that has DWARF its source variables (and, `with_unit_globals`, its source
/// file's globals), read with the instance's globals and memory.
fn add_variables(
    store: &mut StoreContextMut<'_, Host>,
    maps: &Maps,
    instance: wasmtime::Instance,
    raws: Vec<RawFrame>,
    frames: &mut [FrameInfo],
    with_unit_globals: bool,
) {
    let mut globals = Vec::new();
    while let Some(global) = instance.debug_global(&mut *store, globals.len() as u32) {
        globals.push(bits(&global.get(&mut *store)));
        if globals.len() as u32 >= MAX_RAW_VALUES {
            break;
        }
    }
    let memory = instance.debug_memory(&mut *store, 0);
    let data: &[u8] = memory.as_ref().map_or(&[], |m| m.data(&*store));
    for raw in raws {
        let Some(sources) = maps.sources(&raw.module) else {
            continue;
        };
        let view = FrameView {
            pc: raw.pc,
            locals: &raw.locals,
            globals: &globals,
            stack: &raw.stack,
            memory: data,
        };
        if let Some(state) = frames.get_mut(raw.at).and_then(|f| f.state.as_mut()) {
            state.variables = sources.variables(&view);
            if with_unit_globals {
                state.unit_globals = sources.unit_globals(&view);
            }
        }
    }
}

/// Reads the innermost frames (at most [`MAX_FRAMES`]) with their state, and the globals of
/// the innermost frame's instance.
pub(crate) fn capture_frames(
    store: &mut StoreContextMut<'_, Host>,
    maps: &Maps,
) -> (Vec<FrameInfo>, DebugState, Option<wasmtime::Instance>) {
    let mut frames = Vec::new();
    let mut state = DebugState::default();
    let mut instance = None;
    let mut instance_map = None;
    let mut cursor = store.debug_exit_frames().next();
    let mut deeper = 0u32;
    let mut raws = Vec::new();
    while let Some(frame) = cursor {
        if frames.len() < MAX_FRAMES {
            if let Some((module, map, func_index, mut offset)) = frame_place(store, &frame, maps) {
                if instance.is_none() {
                    instance = frame.instance(&mut *store).ok();
                    instance_map = Some(Arc::clone(&map));
                }
                // A caller is in its call (wasmtime gives where the call returns to).
                if !frames.is_empty()
                    && let Some((call, _)) = module
                        .debug_bytecode()
                        .and_then(|wasm| call_site(&map, wasm, offset))
                {
                    offset = call;
                }
                // Without a name section, the DWARF may still name the function.
                let sources = maps.sources(&module);
                let func_name = map.function_name(func_index).or_else(|| {
                    sources
                        .as_ref()
                        .and_then(|s| s.function_name(offset as u64))
                });
                if sources.is_some() {
                    raws.push(RawFrame::read(store, &frame, frames.len(), module, offset));
                }
                frames.push(FrameInfo {
                    func_index,
                    func_name,
                    module_offset: Some(offset),
                    source: None,
                    state: Some(frame_state(store, &frame, &map, func_index)),
                });
            }
        } else {
            deeper = deeper.saturating_add(1);
        }
        cursor = frame.parent(&mut *store).ok().flatten();
    }
    state.frames_omitted = deeper;
    if let (Some(instance), Some(map)) = (instance, instance_map) {
        let mut globals = Vec::new();
        let mut index = 0u32;
        while let Some(global) = instance.debug_global(&mut *store, index) {
            if globals.len() < MAX_VALUES {
                let value = global.get(&mut *store);
                globals.push(DebugValue {
                    index,
                    name: map.global_name(index).map(str::to_owned),
                    ty: global_type_text(global.ty(&*store).content()),
                    value: wasm_value_text(&value),
                });
            } else {
                state.globals_omitted += 1;
            }
            index += 1;
            if index as usize > MAX_VALUES * 64 {
                break;
            }
        }
        state.globals = globals;
    }
    if let Some(instance) = instance
        && !raws.is_empty()
    {
        add_variables(store, maps, instance, raws, &mut frames, true);
    }
    (frames, state, instance)
}

fn global_type_text(ty: &ValType) -> String {
    match ty {
        ValType::I32 => "i32".to_owned(),
        ValType::I64 => "i64".to_owned(),
        ValType::F32 => "f32".to_owned(),
        ValType::F64 => "f64".to_owned(),
        ValType::V128 => "v128".to_owned(),
        ValType::Ref(r) => r.to_string(),
    }
}

/// The module of the innermost frame.
pub(crate) fn innermost_module(store: &mut StoreContextMut<'_, Host>) -> Option<Module> {
    let frame = store.debug_exit_frames().next()?;
    frame.module(&mut *store).ok().flatten().cloned()
}

/// The number of wasm frames in the innermost activation.
pub(crate) fn depth(store: &mut StoreContextMut<'_, Host>) -> usize {
    let mut count = 0;
    let mut cursor = store.debug_exit_frames().next();
    while let Some(frame) = cursor {
        count += 1;
        cursor = frame.parent(&mut *store).ok().flatten();
    }
    count
}

/// The effective address of the memory access at the trapping instruction: its memarg offset
/// plus the address operand. Explicit bounds checks leave no faulting address for wasmtime to
/// report, and the trapping instruction's operands are already off the recorded stack, so the
/// address is recovered when a single instruction produced it (`local.get`, `i32.const`,
/// `i64.const`), which is how most loads and stores get their address.
fn computed_fault_address(wasm: &[u8], map: &ModuleMap, frame: &FrameInfo) -> Option<u64> {
    use wasmparser::Operator as O;
    let offset = frame.module_offset?;
    let body = map.body(frame.func_index)?;
    let ops = operators_of(wasm, body);
    let at = ops.iter().position(|(o, _)| *o == offset)?;
    let op = ops[at].1.clone();
    // How many operands sit above the address on the stack.
    let (memarg, above) = match op {
        O::I32Load { memarg }
        | O::I64Load { memarg }
        | O::F32Load { memarg }
        | O::F64Load { memarg }
        | O::I32Load8S { memarg }
        | O::I32Load8U { memarg }
        | O::I32Load16S { memarg }
        | O::I32Load16U { memarg }
        | O::I64Load8S { memarg }
        | O::I64Load8U { memarg }
        | O::I64Load16S { memarg }
        | O::I64Load16U { memarg }
        | O::I64Load32S { memarg }
        | O::I64Load32U { memarg }
        | O::V128Load { memarg }
        | O::V128Load8Splat { memarg }
        | O::V128Load16Splat { memarg }
        | O::V128Load32Splat { memarg }
        | O::V128Load64Splat { memarg }
        | O::V128Load32Zero { memarg }
        | O::V128Load64Zero { memarg }
        | O::I32AtomicLoad { memarg }
        | O::I64AtomicLoad { memarg } => (memarg, 0),
        O::I32Store { memarg }
        | O::I64Store { memarg }
        | O::F32Store { memarg }
        | O::F64Store { memarg }
        | O::I32Store8 { memarg }
        | O::I32Store16 { memarg }
        | O::I64Store8 { memarg }
        | O::I64Store16 { memarg }
        | O::I64Store32 { memarg }
        | O::V128Store { memarg }
        | O::I32AtomicStore { memarg }
        | O::I64AtomicStore { memarg }
        | O::V128Load8Lane { memarg, .. }
        | O::V128Load16Lane { memarg, .. }
        | O::V128Load32Lane { memarg, .. }
        | O::V128Load64Lane { memarg, .. }
        | O::V128Store8Lane { memarg, .. }
        | O::V128Store16Lane { memarg, .. }
        | O::V128Store32Lane { memarg, .. }
        | O::V128Store64Lane { memarg, .. } => (memarg, 1),
        _ => return None,
    };
    let single = |op: &O<'_>| {
        matches!(
            op,
            O::LocalGet { .. }
                | O::I32Const { .. }
                | O::I64Const { .. }
                | O::F32Const { .. }
                | O::F64Const { .. }
                | O::GlobalGet { .. }
        )
    };
    // The operands above the address must each come from one instruction too.
    let producer = at.checked_sub(1 + above)?;
    if !ops[producer + 1..at].iter().all(|(_, op)| single(op)) {
        return None;
    }
    let base = match ops[producer].1 {
        O::LocalGet { local_index } => frame
            .state
            .as_ref()?
            .locals
            .iter()
            .find(|v| v.index == local_index)?
            .as_address()?,
        O::I32Const { value } => u64::from(value as u32),
        O::I64Const { value } => value as u64,
        _ => return None,
    };
    Some(base.wrapping_add(memarg.offset))
}

/// Reads everything the face shows about a paused guest.
pub(crate) fn paused_state(
    store: &mut StoreContextMut<'_, Host>,
    maps: &Maps,
    has_dwarf: bool,
    reason: PauseReason,
    paused_total: Duration,
) -> PausedState {
    let (mut frames, state, instance) = capture_frames(store, maps);
    // DWARF file:line for the frames wasmtime's backtrace covers.
    let backtrace = wasmtime::WasmBacktrace::capture(&*store);
    for (frame, traced) in frames.iter_mut().zip(backtrace.frames()) {
        if traced.func_index() == frame.func_index {
            frame.source = frame_source(traced);
        }
    }
    let (memory, memory_bytes) = match instance.and_then(|i| i.debug_memory(&mut *store, 0)) {
        Some(memory) => {
            let data = memory.data(&*store);
            (
                Some(Arc::new(
                    data[..data.len().min(PAUSE_MEMORY_BYTES)].to_vec(),
                )),
                data.len() as u64,
            )
        }
        None => (None, 0),
    };
    let current = frames.first();
    let module = innermost_module(store);
    let at = current
        .and_then(|f| {
            let offset = f.module_offset?;
            Some(format!(
                "{} (@{offset:#x})",
                maps.of(module.as_ref()?).place(offset)
            ))
        })
        .unwrap_or_else(|| "an unknown place".to_owned());
    let source = match current.and_then(|f| f.source.as_deref()) {
        Some(source) => source_context(source),
        None if has_dwarf => {
            // A function the DWARF does not describe is normal (the linker's own, a library
            // built without -g); one it describes without a line for this place is not.
            let described = module.as_ref().zip(current.and_then(|f| f.module_offset));
            let described = described
                .and_then(|(module, offset)| Some(maps.sources(module)?.describes(offset as u64)));
            let note = if described == Some(true) {
                "the DWARF describes this function but gives no line for this instruction \
                 (it may be incomplete or corrupt)"
            } else {
                "no source for this function: the DWARF does not describe it (the linker \
                 made it, or it was built without -g)"
            };
            Some(SourceContext {
                file: String::new(),
                line: 0,
                lines: Vec::new(),
                note: Some(note.to_owned()),
            })
        }
        None => None,
    };
    PausedState {
        reason,
        at,
        frames,
        state,
        source,
        memory,
        memory_bytes,
        paused_total,
        moment: None,
        anchor: None,
    }
}

/// Merges the captured frames into the trap's backtrace: wasmtime's frames give file:line,
/// the capture gives state (and frames past wasmtime's 20-frame backtrace, up to 64).
pub(crate) fn attach(trap: &mut TrapInfo, capture: TrapCapture) {
    let mut frames = capture.frames;
    for (i, frame) in frames.iter_mut().enumerate() {
        if let Some(traced) = trap.frames.get(i)
            && traced.func_index == frame.func_index
        {
            frame.source = traced.source.clone();
            if traced.func_name.is_some() {
                frame.func_name = traced.func_name.clone();
            }
        }
    }
    if !frames.is_empty() {
        trap.frames = frames;
    }
    if trap.fault_address.is_none() && trap.code == "MemoryOutOfBounds" {
        trap.fault_address = capture.fault_address;
    }
    trap.debug = Some(capture.state);
}

/// `file:line:col` of a backtrace frame, from DWARF.
fn frame_source(frame: &wasmtime::FrameInfo) -> Option<String> {
    let symbol = frame.symbols().first()?;
    let file = symbol.file()?;
    Some(match (symbol.line(), symbol.column()) {
        (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
        (Some(line), None) => format!("{file}:{line}"),
        _ => file.to_owned(),
    })
}

// The words for what was left out sit with the capture that leaves it out.
impl DebugState {
    /// What was left out, in words; empty when nothing was.
    pub fn omissions(&self, frames: &[FrameInfo]) -> Vec<String> {
        let mut notes = Vec::new();
        if self.frames_omitted > 0 {
            notes.push(format!(
                "state read for the innermost {} frames; {} deeper frames left out",
                frames.len().min(MAX_FRAMES),
                self.frames_omitted
            ));
        }
        if let Some(frame) = frames
            .iter()
            .find(|f| f.state.as_ref().is_some_and(|s| s.locals_omitted > 0))
            && let Some(state) = &frame.state
        {
            notes.push(format!(
                "func[{}] has {} locals; the first {MAX_VALUES} are shown",
                frame.func_index,
                state.locals.len() as u64 + u64::from(state.locals_omitted)
            ));
        }
        if frames
            .iter()
            .any(|f| f.state.as_ref().is_some_and(|s| s.stack_omitted > 0))
        {
            notes.push(format!(
                "operand stacks deeper than {MAX_VALUES} values are cut to their first \
                 {MAX_VALUES}"
            ));
        }
        if self.globals_omitted > 0 {
            notes.push(format!(
                "{} globals beyond the first {MAX_VALUES} left out",
                self.globals_omitted
            ));
        }
        notes
    }
}
