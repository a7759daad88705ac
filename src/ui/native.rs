//! The confirmation a precompiled file needs before it is loaded as native code: opening or
//! dropping one only reads it; this window says what it is and where it came from, and only
//! "Load as native code" loads it. Cancel keeps the module that was open.

use std::time::SystemTime;

use eframe::egui;

use crate::engine::module::precompiled::{self, Origin};
use crate::ui::command::Command;
use crate::ui::loader::Module;
use crate::ui::theme::bytes_text;

/// A precompiled module read but not loaded, waiting for the user's answer.
pub struct NativePrompt {
    /// The module, not yet loaded as code.
    pub module: Module,
    /// Its origin, as its contents say.
    origin: Origin,
    /// The file's size on disk (the bytes read, for a drop without a path).
    size_bytes: u64,
    /// When the file was last changed, when known.
    modified: Option<SystemTime>,
}

impl NativePrompt {
    /// The prompt for `module`, if it is precompiled code.
    pub fn for_module(module: Module) -> Option<Self> {
        let origin = module.native.as_ref()?.origin;
        let metadata = module
            .path
            .as_deref()
            .and_then(|p| std::fs::metadata(p).ok());
        Some(Self {
            size_bytes: metadata
                .as_ref()
                .map_or(module.wasm.len() as u64, |m| m.len()),
            modified: metadata.and_then(|m| m.modified().ok()),
            origin,
            module,
        })
    }
}

/// The confirmation window, while a prompt waits; the answer goes out as a command.
pub fn native_prompt_ui(
    ctx: &egui::Context,
    prompt: Option<&NativePrompt>,
    commands: &mut Vec<Command>,
) {
    let Some(prompt) = prompt else {
        return;
    };
    let module = &prompt.module;
    let shown = module
        .path
        .as_ref()
        .map_or_else(|| module.name.clone(), |p| p.display().to_string());
    egui::Window::new("Load precompiled machine code?")
        .collapsible(false)
        .resizable(false)
        .anchor(egui::Align2::CENTER_CENTER, egui::Vec2::ZERO)
        .show(ctx, |ui| {
            ui.set_max_width(460.0);
            let words = precompiled::refusal(&module.name);
            // The CLI's words, minus the flag: here the button below is the say-so.
            let words = words
                .split_once(" Pass --allow-precompiled")
                .map_or(words.as_str(), |(said, _)| said);
            ui.colored_label(ui.visuals().warn_fg_color, words);
            ui.label("Load it only if you made it or trust it as much as a program you would run.");
            ui.add_space(6.0);
            egui::Grid::new("native origin")
                .num_columns(2)
                .show(ui, |ui| {
                    ui.strong("Path");
                    match &module.path {
                        Some(_) => ui.label(shown.as_str()),
                        None => ui.label(format!("{shown} (dropped without a path)")),
                    };
                    ui.end_row();
                    ui.strong("Size");
                    ui.label(bytes_text(prompt.size_bytes));
                    ui.end_row();
                    ui.strong("Modified");
                    ui.label(prompt.modified.map_or_else(
                        || "unknown".to_owned(),
                        |t| humantime::format_rfc3339_seconds(t).to_string(),
                    ));
                    ui.end_row();
                    ui.strong("Made by");
                    ui.label(prompt.origin.describe());
                    ui.end_row();
                });
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui.button("Load as native code").clicked() {
                    commands.push(Command::LoadNative);
                }
                if ui.button("Cancel").clicked() {
                    commands.push(Command::CancelNative);
                }
            });
        });
}
