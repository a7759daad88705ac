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
use crate::engine::disasm::{Disassembly, Line};
use crate::ui::job::{self, Job};

/// The code window's state: the module's disassembly (built lazily) and the frame shown.
#[derive(Default)]
pub struct CodeView {
    /// The module generation the disassembly below belongs to.
    generation: u64,
    disassembly: Option<Result<Arc<Disassembly>, String>>,
    pending: Option<Job<Result<Disassembly, String>>>,
    /// The frame being shown, with its function's lines once known.
    frame: Option<FrameInfo>,
    lines: Vec<Line>,
    highlight: Option<usize>,
    /// Scroll to the highlighted line on the next frame.
    scroll_pending: bool,
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
                Disassembly::new(wasm).map_err(|e| e.to_string())
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
        self.lines.clear();
        self.highlight = None;
        self.select();
    }

    /// Forgets everything (a new module was loaded).
    pub fn close(&mut self) {
        self.frame = None;
    }

    fn poll(&mut self) {
        if let Some(result) = job::take_result(&mut self.pending) {
            self.disassembly = Some(match result {
                Ok(printed) => printed.map(Arc::new),
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

/// The "Code" window, when a frame is open.
pub fn code_window_ui(ctx: &egui::Context, view: &mut CodeView) {
    view.poll();
    let Some(frame) = view.frame.clone() else {
        return;
    };
    let mut open = true;
    let title = match &frame.func_name {
        Some(name) => format!("Code: {name} (func {})", frame.func_index),
        None => format!("Code: func {}", frame.func_index),
    };
    egui::Window::new("Code")
        .open(&mut open)
        .default_size([620.0, 420.0])
        .show(ctx, |ui| {
            ui.strong(title);
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
                (Some(Ok(_)), None) => {
                    ui.weak("This frame has no module offset, so no instruction is marked.");
                }
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
            lines_ui(ui, view);
        });
    if !open {
        view.frame = None;
    }
}

fn lines_ui(ui: &mut egui::Ui, view: &mut CodeView) {
    let scroll = std::mem::take(&mut view.scroll_pending);
    let mark = crate::ui::theme::MARK;
    egui::ScrollArea::both()
        .id_salt("code lines")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for (index, line) in view.lines.iter().enumerate() {
                let offset = line
                    .offset
                    .map_or_else(|| "        ".to_owned(), |o| format!("{o:#08x}"));
                if view.highlight == Some(index) {
                    let response = egui::Frame::new()
                        .fill(mark.gamma_multiply(0.3))
                        .stroke(egui::Stroke::new(1.0, mark))
                        .show(ui, |ui| {
                            ui.set_width(ui.available_width());
                            ui.label(
                                RichText::new(format!("=> {offset} {}", line.text))
                                    .monospace()
                                    .strong(),
                            )
                        })
                        .response;
                    if scroll {
                        response.scroll_to_me(Some(egui::Align::Center));
                    }
                } else {
                    ui.label(RichText::new(format!("   {offset} {}", line.text)).monospace());
                }
            }
        });
}
