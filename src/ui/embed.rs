//! "Copy as ▸ Rust (wasmtime embedding)": the sandbox as a Rust program, shown read-only with
//! Copy and Save as…. The program is small, so it is written on the UI thread; only the save
//! dialog waits on a named thread.

use std::path::PathBuf;

use eframe::egui;

use crate::engine::export::embed::rust_program;
use crate::engine::{Invocation, SandboxPolicy};
use crate::ui::loader::Module;
use crate::ui::prompt::{PathChooser, PathFieldText};

/// The path field's words, when no save dialog can be shown.
const SAVE_FIELD: PathFieldText = PathFieldText {
    title: "Save the Rust program",
    label: "Save to",
    hint: "/path/to/main.rs",
    action: "Save",
};

/// The menu entry's tooltip.
pub const MENU_TIP: &str = "Show a Rust program (main.rs) that embeds wasmtime and enforces this \
    sandbox: caps, timeout, fuel, folders, environment, arguments.";

/// The program window's state: the program, the save dialog, the last save's result.
#[derive(Default)]
pub struct EmbedView {
    /// The program on show; `None` keeps the window closed.
    program: Option<String>,
    /// The save dialog, or the path field when no dialog could be shown.
    chooser: PathChooser<()>,
    /// What the last copy or save did, or why it failed (`true` for a failure).
    status: Option<(String, bool)>,
}

impl EmbedView {
    /// Writes the program for `policy` and opens the window. Without a module on screen the
    /// program runs `module.wasm` (its command line can name another).
    pub fn open(
        &mut self,
        policy: &SandboxPolicy,
        invocation: &Invocation,
        module: Option<&Module>,
    ) {
        let module_path = module.map_or_else(
            || "module.wasm".to_owned(),
            |m| {
                m.path
                    .as_ref()
                    .map_or_else(|| m.name.clone(), |p| p.display().to_string())
            },
        );
        *self = Self {
            program: Some(rust_program(policy, invocation, &module_path, None)),
            ..Self::default()
        };
    }

    /// The program on show, if the window is open.
    pub fn program(&self) -> Option<&str> {
        self.program.as_deref()
    }

    fn start_save(&mut self, ctx: &egui::Context) {
        let pick = rfd::AsyncFileDialog::new()
            .set_title("Save the Rust program")
            .set_file_name("main.rs")
            .add_filter("Rust", &["rs"])
            .save_file();
        self.chooser.start((), pick, ctx);
    }

    fn poll(&mut self) {
        if let Some(((), path)) = self.chooser.poll() {
            self.save(path);
        }
    }

    fn save(&mut self, path: PathBuf) {
        let Some(program) = &self.program else {
            return;
        };
        self.status = Some(match std::fs::write(&path, program) {
            Ok(()) => {
                self.chooser.close_field();
                (format!("Saved to {}", path.display()), false)
            }
            Err(err) => (format!("Cannot save: {err:#}: {}", path.display()), true),
        });
    }
}

/// The program window, when one is open.
pub fn embed_window_ui(ctx: &egui::Context, view: &mut EmbedView) {
    view.poll();
    let Some(program) = view.program.clone() else {
        return;
    };
    let mut open = true;
    let mut save_to = None;
    crate::ui::layout::in_window_area(egui::Window::new("Rust (wasmtime embedding)"), ctx)
        .open(&mut open)
        .default_size([680.0, 520.0])
        .show(ctx, |ui| {
            ui.label(
                "A main.rs that enforces this sandbox with wasmtime 48; its dependencies are \
                 in the comment at the top.",
            );
            ui.horizontal(|ui| {
                if ui.button("Copy program").clicked() {
                    ui.ctx().copy_text(program.clone());
                    view.status = Some(("Copied to the clipboard.".to_owned(), false));
                }
                let saving = view.chooser.is_waiting();
                if ui
                    .add_enabled(!saving, egui::Button::new("Save as…"))
                    .clicked()
                {
                    view.start_save(ui.ctx());
                }
                if saving {
                    ui.spinner();
                }
                if let Some((message, failed)) = &view.status {
                    let color = if *failed {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().weak_text_color()
                    };
                    ui.colored_label(color, message);
                }
            });
            if let Some(((), path)) = view.chooser.field_ui(ui, &SAVE_FIELD, true) {
                save_to = Some(path);
            }
            ui.separator();
            egui::ScrollArea::both()
                .id_salt("rust program")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    // A `&str` makes the text editor read-only while it stays selectable.
                    ui.add(
                        egui::TextEdit::multiline(&mut program.as_str())
                            .code_editor()
                            .desired_width(f32::INFINITY),
                    );
                });
        });
    if let Some(path) = save_to {
        view.save(path);
    }
    if !open {
        *view = EmbedView::default();
    }
}
