//! "Where did it trap?": a backtrace frame opens its function's code, with the instruction at
//! the frame's module offset highlighted and scrolled to.
//!
//! The module is disassembled once per loaded module, on a named thread, the first time a
//! frame is opened (printing a large module takes a while); the window shows a spinner until
//! then.

use std::sync::Arc;

use eframe::egui;
use egui::RichText;

use crate::engine::FrameInfo;
use crate::engine::debug::ModuleMap;
use crate::engine::module::disasm::{Disassembly, Line};
use crate::ui::command::Command;
use crate::ui::debugger;
use crate::ui::job::{self, Job};

/// The code window's state: the module's disassembly (built lazily) and the frame shown.
#[derive(Default)]
pub struct CodeView {
    /// The module generation the disassembly below belongs to.
    generation: u64,
    disassembly: Option<Result<Arc<Disassembly>, String>>,
    pending: Option<Job<(Result<Disassembly, String>, ModuleMap)>>,
    /// Function names, for the function picker.
    names: Arc<ModuleMap>,
    /// The frame being shown, with its function's lines once known.
    frame: Option<FrameInfo>,
    lines: Vec<Line>,
    highlight: Option<usize>,
    /// Scroll to the highlighted line on the next frame.
    scroll_pending: bool,
    /// The user closed the window during this run: pauses do not open it again (a click on
    /// a frame, or Code…, does).
    dismissed: bool,
}

impl CodeView {
    /// Opens the window on `frame`, disassembling `wasm` first if this module has not been.
    pub fn open(
        &mut self,
        frame: FrameInfo,
        wasm: &Arc<[u8]>,
        generation: u64,
        ctx: &egui::Context,
    ) {
        if self.generation != generation || (self.disassembly.is_none() && self.pending.is_none()) {
            self.generation = generation;
            self.disassembly = None;
            self.pending = None;
            let wasm = wasm.clone();
            let spawned = Job::spawn("disasm", "printing the module's code", ctx, move || {
                let names = ModuleMap::parse(&wasm).unwrap_or_default();
                (Disassembly::new(wasm).map_err(|e| e.to_string()), names)
            });
            match spawned {
                Ok(job) => self.pending = Some(job),
                Err(err) => {
                    self.disassembly = Some(Err(format!(
                        "cannot start the disassembler thread: {err:#}"
                    )));
                }
            }
        }
        self.frame = Some(frame);
        self.dismissed = false;
        self.lines.clear();
        self.highlight = None;
        self.select();
    }

    /// Whether the user closed the window during this run (see [`Self::run_started`]).
    pub fn dismissed(&self) -> bool {
        self.dismissed
    }

    /// A new run: its first pause may open the window again.
    pub fn run_started(&mut self) {
        self.dismissed = false;
    }

    /// Forgets everything (a new module was loaded): the old module's bytes and text go too,
    /// or a replaced big module would stay in memory through its disassembly.
    pub fn close(&mut self) {
        *self = Self {
            generation: self.generation,
            ..Self::default()
        };
    }

    /// The run ended: a paused instruction and its locals are no longer where the guest is,
    /// so the window keeps the function but drops the mark and the values.
    pub fn run_ended(&mut self) {
        if let Some(frame) = &mut self.frame {
            frame.module_offset = None;
            frame.state = None;
            self.highlight = None;
        }
    }

    fn poll(&mut self) {
        if let Some(result) = job::take_result(&mut self.pending) {
            self.disassembly = Some(match result {
                Ok((printed, names)) => {
                    self.names = Arc::new(names);
                    printed.map(Arc::new)
                }
                Err(lost) => Err(lost.to_string()),
            });
            self.select();
        }
    }

    /// Fills `lines` and `highlight` for the current frame, once the disassembly is ready.
    fn select(&mut self) {
        let (Some(frame), Some(Ok(disassembly))) = (&self.frame, &self.disassembly) else {
            return;
        };
        self.lines = disassembly.function(frame.func_index);
        self.highlight = frame
            .module_offset
            .and_then(|offset| Disassembly::line_for_offset(&self.lines, offset));
        self.scroll_pending = true;
    }
}

/// What the code window needs from debug mode: breakpoints to mark, the memory size (so a
/// local that points into memory becomes a link), and where clicks go.
pub struct CodeDebug<'a> {
    /// Instruction offsets with a breakpoint.
    pub breakpoints: &'a std::collections::BTreeSet<usize>,
    /// The size of the memory a value may point into.
    pub memory_bytes: u64,
    /// Clicks become commands.
    pub commands: &'a mut Vec<Command>,
}

/// The "Code" window, when a frame is open.
pub fn code_window_ui(ctx: &egui::Context, view: &mut CodeView, debug: CodeDebug<'_>) {
    view.poll();
    let Some(frame) = view.frame.clone() else {
        return;
    };
    let mut open = true;
    // The function's own name (the name section's), not the export it was opened by: `_start`
    // of a C program is `_start.command_export`.
    let name = view
        .names
        .function_name(frame.func_index)
        .or_else(|| frame.func_name.clone());
    let title = match name {
        Some(name) => format!("Code: {name} (func {})", frame.func_index),
        None => format!("Code: func {}", frame.func_index),
    };
    let CodeDebug {
        breakpoints,
        memory_bytes,
        commands,
    } = debug;
    crate::ui::layout::in_window_area(egui::Window::new("Code"), ctx)
        .open(&mut open)
        // Below the toolbar and right of the sandbox panel, so Run, Stop and the debugger's
        // buttons stay in view.
        .default_pos([350.0, 90.0])
        .default_size([560.0, 440.0])
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.strong(title);
                function_picker_ui(ui, view);
            });
            if let Some(source) = &frame.source {
                ui.label(format!("Source: {source}"))
                    .on_hover_text("From the module's DWARF debug info.");
            }
            match (&view.disassembly, &frame.module_offset) {
                (None, _) => {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Disassembling the module…");
                    });
                    return;
                }
                (Some(Err(message)), _) => {
                    ui.colored_label(ui.visuals().error_fg_color, message);
                    return;
                }
                // Opened with Code… or the function list: no instruction to mark.
                (Some(Ok(_)), None) => {}
                (Some(Ok(_)), Some(offset)) => {
                    ui.weak(format!(
                        "The marked line (=>) is the instruction at module offset {offset:#x}."
                    ));
                }
            }
            if view.lines.is_empty() {
                ui.weak("No code for this function (it is imported, or not in this module).");
                return;
            }
            ui.weak("Click a line to set or clear a breakpoint there (debug mode).");
            match &frame.state {
                Some(state) => {
                    ui.columns(2, |columns| {
                        lines_ui(&mut columns[0], view, breakpoints, commands);
                        egui::ScrollArea::vertical()
                            .id_salt("frame state")
                            .auto_shrink([false, false])
                            .show(&mut columns[1], |ui| {
                                debugger::frame_state_ui(ui, state, memory_bytes, commands);
                            });
                    });
                }
                None => lines_ui(ui, view, breakpoints, commands),
            }
        });
    if !open {
        view.frame = None;
        view.dismissed = true;
    }
}

/// Shows another function of the module (e.g. to set a breakpoint in it).
fn function_picker_ui(ui: &mut egui::Ui, view: &mut CodeView) {
    let Some(Ok(disassembly)) = &view.disassembly else {
        return;
    };
    let disassembly = Arc::clone(disassembly);
    let names = Arc::clone(&view.names);
    let current = view.frame.as_ref().map(|f| f.func_index);
    let mut picked = None;
    egui::ComboBox::from_id_salt("code function")
        .selected_text("Function…")
        .height(400.0)
        .show_ui(ui, |ui| {
            for index in disassembly.functions().take(10_000) {
                let header = match names.function_name(index) {
                    Some(name) => format!("{name} (func {index})"),
                    None => format!("func {index}"),
                };
                if ui
                    .selectable_label(current == Some(index), header)
                    .clicked()
                {
                    picked = Some(index);
                }
            }
        })
        .response
        .on_hover_text("Show another function's code.");
    if let Some(func_index) = picked {
        view.frame = Some(FrameInfo {
            func_index,
            func_name: view.names.function_name(func_index),
            ..FrameInfo::default()
        });
        view.select();
    }
}

fn lines_ui(
    ui: &mut egui::Ui,
    view: &mut CodeView,
    breakpoints: &std::collections::BTreeSet<usize>,
    commands: &mut Vec<Command>,
) {
    let scroll = std::mem::take(&mut view.scroll_pending);
    let mark = crate::ui::theme::MARK;
    let red = crate::ui::theme::BREAKPOINT;
    egui::ScrollArea::both()
        .id_salt("code lines")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (index, line) in view.lines.iter().enumerate() {
                let offset = line
                    .offset
                    .map_or_else(|| "        ".to_owned(), |o| format!("{o:#08x}"));
                let breakpoint = line.offset.is_some_and(|o| breakpoints.contains(&o));
                // The gutter: `=>` marks the instruction, `●` a breakpoint.
                let clicked = if view.highlight == Some(index) {
                    let response = egui::Frame::new()
                        .fill(mark.gamma_multiply(0.3))
                        .stroke(egui::Stroke::new(1.0, mark))
                        .show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            let gutter = if breakpoint { "=>●" } else { "=> " };
                            let text = RichText::new(format!("{gutter}{offset} {}", line.text))
                                .monospace()
                                .strong();
                            let text = if breakpoint { text.color(red) } else { text };
                            ui.add(
                                egui::Label::new(text)
                                    .truncate()
                                    .sense(egui::Sense::click()),
                            )
                        });
                    if scroll {
                        response.response.scroll_to_me(Some(egui::Align::Center));
                    }
                    response.inner.clicked()
                } else {
                    let (gutter, tip) = if breakpoint {
                        (" ● ", "Breakpoint: click to clear it.")
                    } else {
                        ("   ", "Click to set a breakpoint here (debug mode).")
                    };
                    let text = RichText::new(format!("{gutter}{offset} {}", line.text)).monospace();
                    let text = if breakpoint { text.color(red) } else { text };
                    let response = ui.add(
                        egui::Label::new(text)
                            .truncate()
                            .sense(egui::Sense::click()),
                    );
                    line.offset.is_some() && response.on_hover_text(tip).clicked()
                };
                if clicked && let Some(offset) = line.offset {
                    commands.push(Command::ToggleBreakpoint(offset));
                }
            }
        });
}
