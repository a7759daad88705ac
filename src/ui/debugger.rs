//! Debug mode in the window: the Debug switch, the toolbar of a paused run (Continue, Step,
//! Step out, Stop; Pause while running), the paused state (frames, globals, source), a
//! frame's locals and operand stack beside the code, and breakpoints kept per module.
//!
//! The window never touches the guest: it sends [`DebugCommand`]s to the run thread, whose
//! debug handler waits for them, and shows the [`PausedState`] the run sent.

use std::collections::BTreeSet;

use eframe::egui;
use egui::RichText;

use crate::engine::debug::{
    DebugCommand, DebugValue, FrameState, PausedState, SourceContext, SourceVariable,
};
use crate::engine::{FrameInfo, ModuleInfo, ModuleKind, RunReport, SandboxPolicy};
use crate::ui::command::Command;
use crate::ui::session::Session;
use crate::ui::theme::BREAKPOINT as BREAKPOINT_COLOR;

/// The Debug switch's tooltip.
pub const DEBUG_TIP: &str = "Debug mode: when the guest traps, see every frame's locals and \
    operand stack and the globals. Click beside an instruction in the Code window to set a \
    breakpoint; Run stops there (F8 continues, F10 steps, Shift+F11 steps out, F6 pauses a \
    running guest). Compiled code runs slower (about 4x on a compute loop) and needs \
    Cranelift. Components: the state at a trap is shown; breakpoints are for core modules \
    only.";

/// The Debug switch, a row of the sandbox panel's limits. It is off limits while the guest
/// is profiled (`profiling`: the engine refuses both) or compiled by Winch.
pub fn debug_switch_ui(ui: &mut egui::Ui, policy: &mut SandboxPolicy, profiling: bool) {
    let winch = policy.compiler == crate::engine::Compiler::Winch;
    let why_not = if profiling && !policy.debug {
        format!(
            "Off while profiling: {}.",
            crate::engine::run::PROFILE_WITH_DEBUG
        )
    } else {
        "Debug mode needs the Cranelift compiler: Winch cannot debug guests.".to_owned()
    };
    ui.vertical(|ui| {
        ui.add_enabled(
            policy.debug || !(winch || profiling),
            egui::Checkbox::new(&mut policy.debug, "Debug (locals at a trap, breakpoints)"),
        )
        .on_hover_text(DEBUG_TIP)
        .on_disabled_hover_text(why_not);
        if winch && policy.debug {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                "Debug mode needs Cranelift: choose it as the compiler.",
            );
        }
    });
}

/// Under the limits, for a component in debug mode: what is not available.
pub fn component_note_ui(ui: &mut egui::Ui, policy: &SandboxPolicy, module: Option<&ModuleInfo>) {
    if policy.debug && module.is_some_and(|m| m.kind == ModuleKind::Component) {
        ui.weak(
            "Debug: breakpoints and stepping are not available for components; a trap still \
             shows the state of its frames.",
        );
    }
}

/// Breakpoints and what the debugger panel shows; runtime state, never persisted.
#[derive(Default)]
pub struct DebuggerState {
    /// Breakpoints (instruction module offsets) of the loaded module, for this session.
    pub breakpoints: BTreeSet<usize>,
    /// Which frame of the paused state is selected.
    pub selected_frame: usize,
    /// The pause last shown (its serial), so each new pause opens its code once.
    seen_pause: u64,
    /// The paused state's memory as a report, for the hex view.
    paused_report: Option<RunReport>,
}

impl DebuggerState {
    /// After the session's events: a new pause opens the code at the current instruction.
    pub fn poll(&mut self, session: Option<&Session>, commands: &mut Vec<Command>) {
        let Some(session) = session else {
            self.paused_report = None;
            return;
        };
        let Some(paused) = &session.debug.paused else {
            self.paused_report = None;
            return;
        };
        if session.debug.pauses != self.seen_pause {
            self.seen_pause = session.debug.pauses;
            self.selected_frame = 0;
            if let Some(frame) = paused.current() {
                commands.push(Command::FollowPause(frame.clone()));
            }
            let mut report =
                RunReport::new(session.module.clone(), crate::engine::RunOutcome::Cancelled);
            report.memory = paused.memory.clone();
            report.stats.peak_memory_bytes = paused.memory_bytes;
            self.paused_report = Some(report);
        }
    }

    /// A new run started: its first pause is new too (each run counts its pauses from 1).
    pub fn session_started(&mut self) {
        self.seen_pause = 0;
    }

    /// What the memory view shows while paused (the paused memory), else `None`.
    pub fn paused_report(&self) -> Option<&RunReport> {
        self.paused_report.as_ref()
    }

    /// Flips a breakpoint; a run in progress learns of it at once.
    pub fn toggle(&mut self, module_offset: usize, session: Option<&Session>) {
        let enabled = !self.breakpoints.remove(&module_offset);
        if enabled {
            self.breakpoints.insert(module_offset);
        }
        if let Some(session) = session {
            session.send_debug(DebugCommand::SetBreakpoint {
                module_offset,
                enabled,
            });
        }
    }
}

/// F8, F10, Shift+F11 and F6, while a run is in progress.
pub fn shortcuts(ctx: &egui::Context, session: Option<&Session>, commands: &mut Vec<Command>) {
    use egui::{Key, Modifiers};
    let Some(session) = session else {
        return;
    };
    if !session.debug.enabled {
        return;
    }
    let mut press = |modifiers, key, command| {
        if ctx.input_mut(|i| i.consume_key(modifiers, key)) {
            commands.push(Command::Debug(command));
        }
    };
    if session.debug.paused.is_some() {
        press(Modifiers::NONE, Key::F8, DebugCommand::Continue);
        press(Modifiers::NONE, Key::F10, DebugCommand::StepInstruction);
        press(Modifiers::SHIFT, Key::F11, DebugCommand::StepOut);
    } else {
        press(Modifiers::NONE, Key::F6, DebugCommand::Pause);
    }
}

/// The debugger's entries in the Module menu, with their keys: enabled in a debug run,
/// Pause while it runs, the others while it is paused.
pub fn menu_ui(ui: &mut egui::Ui, session: Option<&Session>, commands: &mut Vec<Command>) {
    let debugging = session.filter(|s| s.debug.enabled);
    let running = debugging.is_some_and(|s| s.debug.paused.is_none());
    let paused = debugging.is_some_and(|s| s.debug.paused.is_some());
    let entries = [
        ("Pause", "F6", running, DebugCommand::Pause),
        ("Continue", "F8", paused, DebugCommand::Continue),
        ("Step", "F10", paused, DebugCommand::StepInstruction),
        ("Step out", "Shift+F11", paused, DebugCommand::StepOut),
    ];
    ui.separator();
    for (label, key, enabled, command) in entries {
        if ui
            .add_enabled(enabled, egui::Button::new(label).shortcut_text(key))
            .on_disabled_hover_text("For a run in debug mode (Debug in the Sandbox panel).")
            .clicked()
        {
            commands.push(Command::Debug(command));
        }
    }
}

/// The debugger's part of the toolbar: Pause while a debug run goes, Paused at … with
/// Continue / Step / Step out while paused.
pub fn toolbar_ui(ui: &mut egui::Ui, session: Option<&Session>, commands: &mut Vec<Command>) {
    let Some(session) = session.filter(|s| s.debug.enabled) else {
        return;
    };
    ui.separator();
    match &session.debug.paused {
        None => {
            if ui
                .button("Pause")
                .on_hover_text("Pause the guest where it is now, at its next epoch check (F6).")
                .clicked()
            {
                commands.push(Command::Debug(DebugCommand::Pause));
            }
        }
        Some(paused) => {
            // Whole, never clipped: in a full row the wrapped toolbar moves it to the next.
            ui.add(
                egui::Label::new(
                    RichText::new(format!("Paused at {}", short_place(paused)))
                        .strong()
                        .color(BREAKPOINT_COLOR),
                )
                .extend(),
            )
            .on_hover_text(format!(
                "Paused at {}. Why: {}.",
                paused_place(paused),
                paused.reason.describe()
            ));
            let buttons = [
                (
                    "Continue",
                    "F8",
                    "Run on until the next breakpoint or the end.",
                    DebugCommand::Continue,
                ),
                (
                    "Step",
                    "F10",
                    "Run one instruction (into calls) and pause again.",
                    DebugCommand::StepInstruction,
                ),
                (
                    "Step out",
                    "Shift+F11",
                    "Run until this function returns, and pause in its caller.",
                    DebugCommand::StepOut,
                ),
            ];
            for (label, key, tip, command) in buttons {
                if ui
                    .button(label)
                    .on_hover_text(format!("{tip} ({key})"))
                    .clicked()
                {
                    commands.push(Command::Debug(command));
                }
            }
            crate::ui::travel::toolbar_ui(ui, paused, commands);
        }
    }
}

/// `func+0x12 (@0x40) main.c:7` with the source file's name only, for the toolbar.
fn short_place(paused: &PausedState) -> String {
    match paused.current().and_then(|f| f.source.as_deref()) {
        Some(source) => {
            let name = source.rsplit(['/', '\\']).next().unwrap_or(source);
            format!("{} {name}", paused.at)
        }
        None => paused.at.clone(),
    }
}

/// `func+0x12 (@0x40) main.c:7`.
fn paused_place(paused: &PausedState) -> String {
    match paused.current().and_then(|f| f.source.as_deref()) {
        Some(source) => format!("{} {source}", paused.at),
        None => paused.at.clone(),
    }
}

/// The outcome panel while paused: where, the source, the frames (click one to see its
/// code and state), and the globals.
pub fn paused_panel_ui(
    ui: &mut egui::Ui,
    paused: &PausedState,
    state: &mut DebuggerState,
    commands: &mut Vec<Command>,
) {
    ui.heading("Paused");
    ui.label(RichText::new(format!("at {}", paused_place(paused))).monospace());
    ui.weak(format!(
        "Why: {}. The timeout clock is stopped while paused. F8 continues, F10 steps, \
         Shift+F11 steps out, Esc stops.",
        paused.reason.describe()
    ));
    if let Some(source) = &paused.source {
        ui.add_space(4.0);
        source_ui(ui, source);
    }
    ui.add_space(6.0);
    ui.strong(format!("Frames ({})", paused.frames.len()));
    for (depth, frame) in paused.frames.iter().enumerate() {
        let name = frame
            .func_name
            .clone()
            .unwrap_or_else(|| format!("func {}", frame.func_index));
        let offset = frame
            .module_offset
            .map(|o| format!(" @ {o:#x}"))
            .unwrap_or_default();
        let selected = state.selected_frame == depth;
        if ui
            .selectable_label(
                selected,
                RichText::new(format!("{depth}: {name}{offset}")).monospace(),
            )
            .on_hover_text("Show this frame's code, locals and operand stack.")
            .clicked()
        {
            state.selected_frame = depth;
            commands.push(Command::ShowCode(frame.clone()));
        }
    }
    for note in paused.state.omissions(&paused.frames) {
        ui.weak(format!("({note})"));
    }
    if !paused.state.globals.is_empty() {
        ui.add_space(6.0);
        ui.strong("Globals");
        values_ui(
            ui,
            "paused globals",
            &paused.state.globals,
            paused.memory_bytes,
            commands,
        );
    }
}

/// The lines around a frame's source line, the line itself marked.
pub(crate) fn source_ui(ui: &mut egui::Ui, source: &SourceContext) {
    if !source.file.is_empty() {
        ui.weak(format!("{}:{}", source.file, source.line));
    }
    if let Some(note) = &source.note {
        ui.weak(note);
    }
    if source.lines.is_empty() {
        return;
    }
    egui::Frame::new()
        .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
        .inner_margin(4.0)
        .show(ui, |ui| {
            for (number, text) in &source.lines {
                let line = RichText::new(format!("{number:>5}  {text}")).monospace();
                if *number == source.line {
                    ui.label(
                        line.strong()
                            .background_color(BREAKPOINT_COLOR.gamma_multiply(0.25)),
                    );
                } else {
                    ui.label(line);
                }
            }
        });
}

/// A frame's locals and operand stack (debug mode), beside its code.
pub fn frame_state_ui(
    ui: &mut egui::Ui,
    state: &FrameState,
    memory_bytes: u64,
    commands: &mut Vec<Command>,
) {
    if !state.variables.is_empty() {
        ui.strong("Variables").on_hover_text(
            "The program's own variables, by their names in its source (from the module's \
             DWARF). The wasm locals below are what the compiled code works with.",
        );
        variables_ui(ui, &state.variables, "vars", commands);
        ui.add_space(6.0);
    }
    if !state.unit_globals.is_empty() {
        ui.strong("Globals of its source file").on_hover_text(
            "The global and static variables of the file this function is in (from the \
             module's DWARF), as they are in memory now.",
        );
        variables_ui(ui, &state.unit_globals, "unit globals", commands);
        ui.add_space(6.0);
    }
    ui.strong(if state.variables.is_empty() {
        "Locals"
    } else {
        "Wasm locals"
    });
    if state.locals.is_empty() {
        ui.weak("(none)");
    }
    values_ui(ui, "locals", &state.locals, memory_bytes, commands);
    if state.locals_omitted > 0 {
        ui.weak(format!("({} more locals not read)", state.locals_omitted));
    }
    ui.add_space(6.0);
    ui.strong("Operand stack");
    ui.weak("bottom first; the top is last");
    if state.stack.is_empty() {
        ui.weak("(empty)");
    }
    values_ui(ui, "stack", &state.stack, memory_bytes, commands);
    if state.stack_omitted > 0 {
        ui.weak(format!("({} more values not read)", state.stack_omitted));
    }
    if !state.operands.is_empty() {
        ui.add_space(6.0);
        ui.strong("Operands of the trapping instruction")
            .on_hover_text(
                "What the instruction took off the operand stack before it trapped (wasmtime \
                 reports the trap after taking them; the replay kept them).",
            );
        ui.weak("bottom first; the top is last");
        values_ui(ui, "operands", &state.operands, memory_bytes, commands);
    }
}

fn values_ui(
    ui: &mut egui::Ui,
    id: &str,
    values: &[DebugValue],
    memory_bytes: u64,
    commands: &mut Vec<Command>,
) {
    egui::Grid::new(id)
        .num_columns(4)
        .striped(true)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            for value in values {
                let name = value
                    .name
                    .as_deref()
                    .map_or_else(|| format!("${}", value.index), |n| format!("${n}"));
                ui.monospace(name);
                ui.weak(&value.ty);
                match value.as_address().filter(|a| *a < memory_bytes && *a > 0) {
                    Some(address) => {
                        if ui
                            .link(RichText::new(&value.value).monospace())
                            .on_hover_text(format!(
                                "{address:#x} is inside linear memory: show it in the memory view."
                            ))
                            .clicked()
                        {
                            commands.push(Command::ShowMemory(Some(address)));
                        }
                        if ui
                            .small_button("who wrote it?")
                            .on_hover_text(format!(
                                "Find the last instruction that wrote the 4 bytes at {address:#x} \
                                 (paused in a replay: before this moment, and go there)."
                            ))
                            .clicked()
                        {
                            commands.push(Command::WhoWrote(address, 4));
                        }
                    }
                    None => {
                        ui.monospace(&value.value);
                    }
                }
                ui.end_row();
            }
        });
}

/// The breakpoints a run starts with: those of this module, in debug mode only.
pub fn breakpoints_for_run(
    state: &DebuggerState,
    wasm: &[u8],
    policy: &SandboxPolicy,
) -> Vec<crate::engine::debug::Breakpoint> {
    if !policy.debug {
        return Vec::new();
    }
    state
        .breakpoints
        .iter()
        .filter_map(|offset| crate::engine::debug::breakpoint_at(wasm, *offset).ok())
        .collect()
}

/// The function a run starts in (named by its export): the invoked export, else `_start`,
/// else the first exported function.
pub fn entry_function(info: &ModuleInfo, invoke: Option<&str>) -> Option<FrameInfo> {
    let functions = || {
        info.exports
            .iter()
            .filter(|e| e.kind == crate::engine::ExternKind::Func)
    };
    invoke
        .and_then(|name| functions().find(|e| e.name == name))
        .or_else(|| functions().find(|e| e.name == "_start"))
        .or_else(|| functions().next())
        .map(|e| FrameInfo {
            func_index: e.index,
            func_name: Some(e.name.clone()),
            ..FrameInfo::default()
        })
}

/// "Code…": the module's code at its entry function, to read it or set breakpoints.
pub fn code_button_ui(
    ui: &mut egui::Ui,
    info: Option<&ModuleInfo>,
    invoke: Option<&str>,
    commands: &mut Vec<Command>,
) {
    let entry = info
        .filter(|i| i.kind == ModuleKind::CoreModule)
        .and_then(|i| entry_function(i, invoke));
    if ui
        .add_enabled(entry.is_some(), egui::Button::new("Code…"))
        .on_hover_text(
            "Show the module's code, function by function; click a line to set a breakpoint \
             (Run in debug mode stops there).",
        )
        .on_disabled_hover_text("Open a core module that exports a function first.")
        .clicked()
        && let Some(frame) = entry
    {
        commands.push(Command::ShowCode(frame));
    }
}

/// Source variables as a tree: a name, its type and value; members, elements and pointees
/// fold out below.
fn variables_ui(
    ui: &mut egui::Ui,
    variables: &[SourceVariable],
    id: &str,
    commands: &mut Vec<Command>,
) {
    for (i, variable) in variables.iter().enumerate() {
        let line = format!("{}: {} = {}", variable.name, variable.ty, variable.value);
        if variable.members.is_empty() {
            ui.horizontal(|ui| {
                ui.monospace(line);
                who_wrote_button(ui, variable, commands);
            });
        } else {
            egui::CollapsingHeader::new(RichText::new(line).monospace())
                .id_salt(format!("{id}/{i}"))
                .default_open(false)
                .show(ui, |ui| {
                    who_wrote_button(ui, variable, commands);
                    variables_ui(ui, &variable.members, &format!("{id}/{i}"), commands)
                });
        }
    }
}

/// "who wrote it?" for a variable in memory: the last write to exactly its bytes (where the
/// DWARF says they are).
fn who_wrote_button(ui: &mut egui::Ui, variable: &SourceVariable, commands: &mut Vec<Command>) {
    let (Some(address), Some(size)) = (variable.address, variable.size) else {
        return;
    };
    let size = size.min(1 << 20);
    let hover = format!(
        "Find the last instruction that wrote `{}` ({size} bytes at {address:#x}); paused in \
         a replay: before this moment, and go there.",
        variable.name
    );
    if ui
        .small_button("who wrote it?")
        .on_hover_text(hover)
        .clicked()
    {
        commands.push(Command::WhoWrote(address, size));
    }
}
