//! What the user granted to the loaded module: folders, environment, arguments, stdin and the
//! export to call. Grants belong to one module, never to the app: a newly opened module starts
//! with none, so an untrusted module never inherits the folder given to a trusted one.
//! Reopening the same module (same path, same contents) may restore its own grants from its
//! last run, and the panel says so with a banner and a Clear button.

use eframe::egui;
use std::path::PathBuf;

pub use crate::ui::loader::ModuleKey;

use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::engine::host_dirs::HostExposure;
use crate::engine::module::inspect::{ExternKind, ModuleStyle};
use crate::engine::{DirGrant, ModuleInfo, PolicyError};
use crate::ui::command::Command;

/// How many modules' grants are remembered (the most recently run first).
pub const REMEMBERED_MODULES: usize = 20;

/// What the user granted to one module.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Grants {
    /// Preopened directories.
    pub dirs: Vec<DirGrant>,
    /// Environment variables the guest sees.
    pub env: Vec<(String, String)>,
    /// The arguments after argv0, as typed (shell-like quoting).
    pub args_text: String,
    /// What the guest reads on stdin.
    pub stdin_text: String,
    /// argv0 from a loaded profile; `None` uses the module's file name.
    pub argv0: Option<String>,
    /// The export to call, and its arguments.
    pub invoke: InvokeState,
    /// A folder path typed by hand (when no folder dialog is available).
    #[serde(skip)]
    pub folder_text: String,
    /// Folders (where they lead, symlinks resolved) that hand the guest part of the host and
    /// that the user allowed anyway, after the red warning. Never saved: a restored or newly
    /// opened module asks again.
    #[serde(skip)]
    pub host_allowed: Vec<PathBuf>,
}

/// What to call in the loaded module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InvokeState {
    /// The export to call; `None` runs the default entry (`_start`, or only `_initialize`).
    pub name: Option<String>,
    /// One text per parameter.
    pub args: Vec<String>,
}

impl Grants {
    /// Whether nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.dirs.is_empty()
            && self.env.is_empty()
            && self.args_text.trim().is_empty()
            && self.stdin_text.is_empty()
            && self.invoke.name.is_none()
    }

    /// Adds a preopened directory (read-only, as safe defaults go), seen by the guest under
    /// `/` plus the folder's name.
    pub fn add_folder(&mut self, host_path: PathBuf) {
        let name = host_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dir".to_owned());
        self.dirs.push(DirGrant {
            host_path,
            guest_path: format!("/{name}"),
            read_only: true,
            scratch: false,
        });
    }

    /// Whether the folder grants may run: every grant that hands the guest part of the host
    /// was allowed by the user. `Ok(true)` when at least one such grant is allowed (the
    /// policy's `allow_host_dirs`); the engine's refusal, in its words, otherwise.
    pub fn host_dirs_allowed(&self) -> Result<bool, PolicyError> {
        let mut any = false;
        for exposure in self.dirs.iter().filter_map(DirGrant::refused_exposure) {
            if exposure.refused_whatever_allowed()
                || !self.host_allowed.contains(&exposure.resolved)
            {
                return Err(PolicyError::HostDir(Box::new(exposure)));
            }
            any = true;
        }
        Ok(any)
    }

    /// What is granted, in a few words: `1 folder (read-write), 2 variables, arguments`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.dirs.is_empty() {
            let writable = self.dirs.iter().filter(|d| !d.read_only).count();
            let folders = plural(self.dirs.len(), "folder", "folders");
            parts.push(match writable {
                0 => format!("{folders} (read-only)"),
                n if n == self.dirs.len() => format!("{folders} (read-write)"),
                n => format!("{folders} ({n} read-write)"),
            });
        }
        if !self.env.is_empty() {
            parts.push(plural(self.env.len(), "variable", "variables"));
        }
        if !self.args_text.trim().is_empty() {
            parts.push("arguments".to_owned());
        }
        if !self.stdin_text.is_empty() {
            parts.push("stdin".to_owned());
        }
        if let Some(name) = &self.invoke.name {
            parts.push(format!("invoke {name}"));
        }
        parts.join(", ")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The grants of the modules run most recently, newest first (persisted).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GrantMemory {
    entries: Vec<(ModuleKey, Grants)>,
}

impl GrantMemory {
    /// The grants last run with this module, if any.
    pub fn recall(&self, key: &ModuleKey) -> Option<&Grants> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, g)| g)
    }

    /// Remembers `grants` for `key` (forgets it when nothing is granted).
    pub fn remember(&mut self, key: ModuleKey, grants: &Grants) {
        self.entries.retain(|(k, _)| *k != key);
        if !grants.is_empty() {
            self.entries.insert(0, (key, grants.clone()));
            self.entries.truncate(REMEMBERED_MODULES);
        }
    }

    /// Forgets the grants of `key`.
    pub fn forget(&mut self, key: &ModuleKey) {
        self.entries.retain(|(k, _)| k != key);
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

/// The banner over restored grants: what came back, and a button to drop it. Returns whether
/// Clear was clicked.
pub fn restored_banner_ui(ui: &mut egui::Ui, grants: &Grants) -> bool {
    let writable = grants.dirs.iter().any(|d| !d.read_only);
    let mut clear = false;
    egui::Frame::group(ui.style())
        .fill(ui.visuals().faint_bg_color)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            let headline = RichText::new("Restored from your last run of this module").strong();
            if writable {
                ui.colored_label(ui.visuals().warn_fg_color, headline);
            } else {
                ui.label(headline);
            }
            ui.label(grants.summary()).on_hover_text(
                "You gave these to this same file (same path, same contents) when you last ran \
                 it. A different module never gets them.",
            );
            if writable {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "It may change files in a read-write folder.",
                );
            }
            if ui
                .button("Clear grants")
                .on_hover_text("Take back every grant: no folders, no environment, no arguments.")
                .clicked()
            {
                clear = true;
            }
        });
    clear
}

/// The grant sections of the sandbox panel.
pub fn grants_ui(
    ui: &mut egui::Ui,
    grants: &mut Grants,
    module: Option<&ModuleInfo>,
    commands: &mut Vec<Command>,
) {
    if let Some(info) = module {
        entry_ui(ui, &mut grants.invoke, info);
    }
    io_ui(ui, grants);
    dirs_ui(ui, grants, commands);
    env_ui(ui, grants);
}

const DIRS_TIP: &str = "Preopened directories are the guest's only way into the file system. \
    It sees each under its guest path and cannot leave it (no .., no absolute paths, no \
    symlinks out). Without any, every open fails with \"bad file descriptor\" (errno 8).";
const ENV_TIP: &str = "Environment variables the guest sees. It never sees the host's own \
    environment: without entries here, environ is empty.";
const ARGS_TIP: &str = "Command-line arguments after argv[0] (the module's file name). Quote \
    with \" or ' to keep spaces. The guest sees only these, never wasmscope's own arguments.";
const STDIN_TIP: &str = "What the guest reads on stdin, then end-of-file. Empty: it reads \
    end-of-file at once. It can never read your terminal or keyboard.";

fn io_ui(ui: &mut egui::Ui, grants: &mut Grants) {
    egui::CollapsingHeader::new(RichText::new("Arguments and stdin").strong())
        .default_open(true)
        .show(ui, |ui| {
            let label = ui.label("Arguments").on_hover_text(ARGS_TIP);
            ui.add(
                egui::TextEdit::singleline(&mut grants.args_text)
                    .hint_text("e.g. one \"two words\"")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text(ARGS_TIP);
            match split_args(&grants.args_text) {
                Ok(args) if !args.is_empty() => {
                    let shown: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
                    ui.weak(format!("argv[1..] = [{}]", shown.join(", ")));
                }
                Ok(_) => {}
                Err(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
            }
            ui.add_space(4.0);
            let label = ui.label("Stdin").on_hover_text(STDIN_TIP);
            ui.add(
                egui::TextEdit::multiline(&mut grants.stdin_text)
                    .hint_text("empty: the guest reads end-of-file")
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text(STDIN_TIP);
        });
}

fn dirs_ui(ui: &mut egui::Ui, grants: &mut Grants, commands: &mut Vec<Command>) {
    let count = grants.dirs.len();
    let title = if count == 0 {
        "Folders (none)".to_owned()
    } else {
        format!("Folders ({count})")
    };
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("folders")
        .default_open(true)
        .show(ui, |ui| {
            ui.label(RichText::new("The guest sees no files except in these folders.").weak())
                .on_hover_text(DIRS_TIP);
            let mut remove = None;
            let Grants {
                dirs, host_allowed, ..
            } = grants;
            for (index, grant) in dirs.iter_mut().enumerate() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        let host = grant.host_path.display().to_string();
                        // One tooltip: ours names the folder, egui's own would repeat it.
                        ui.add(
                            egui::Label::new(RichText::new(&host).monospace())
                                .truncate()
                                .show_tooltip_when_elided(false),
                        )
                        .on_hover_text(format!("Host folder: {host}"));
                    });
                    if !grant.host_path.is_dir() {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            "This folder does not exist: the run will refuse to start.",
                        );
                    } else if let Some(exposure) = grant.exposure() {
                        host_warning_ui(ui, &exposure, host_allowed);
                    }
                    // Wraps in a narrow panel rather than widening it.
                    ui.horizontal_wrapped(|ui| {
                        ui.label("as").on_hover_text(
                            "Where the guest sees the folder, e.g. /data or . (its path inside \
                             the sandbox; the host path stays hidden).",
                        );
                        ui.add(
                            egui::TextEdit::singleline(&mut grant.guest_path)
                                .desired_width(110.0)
                                .font(egui::TextStyle::Monospace),
                        );
                        ui.checkbox(&mut grant.read_only, "read-only")
                            .on_hover_text(
                                "Read-only: the guest may list and read files but not create, \
                             change, rename or delete anything (those calls fail with \
                             \"not permitted\"). Off: read-write.",
                            );
                        ui.add_enabled(
                            !grant.read_only,
                            egui::Checkbox::new(&mut grant.scratch, "Scratch copy"),
                        )
                        .on_hover_text(
                            "The guest writes to a temporary copy; you choose afterwards \
                             whether to keep the changes.",
                        )
                        .on_disabled_hover_text(
                            "A read-only folder cannot change, so it needs no scratch copy.",
                        );
                        if ui
                            .small_button("Remove")
                            .on_hover_text("Stop sharing this folder with the guest.")
                            .clicked()
                        {
                            remove = Some(index);
                        }
                    });
                });
            }
            if let Some(index) = remove {
                grants.dirs.remove(index);
            }
            ui.horizontal(|ui| {
                if ui.button("Add folder…").on_hover_text(DIRS_TIP).clicked() {
                    commands.push(Command::AddFolderDialog);
                }
            });
            ui.horizontal(|ui| {
                let response = ui.add(
                    egui::TextEdit::singleline(&mut grants.folder_text)
                        .hint_text("or type a folder path")
                        .desired_width(ui.available_width() - 50.0),
                );
                let entered =
                    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Add").clicked() || entered) && !grants.folder_text.trim().is_empty()
                {
                    let path = PathBuf::from(grants.folder_text.trim());
                    grants.folder_text.clear();
                    grants.add_folder(path);
                }
            });
        });
}

/// The warning on a folder that hands the guest part of the host: red, with the question,
/// when the rule refuses it; a note when read-only makes it acceptable.
fn host_warning_ui(ui: &mut egui::Ui, exposure: &HostExposure, allowed: &mut Vec<PathBuf>) {
    let text = format!("Warning: {}.", exposure.describe());
    if !exposure.refused() {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!("{text} Read-only, so it is allowed."),
        );
        return;
    }
    let red = ui.visuals().error_fg_color;
    ui.colored_label(red, RichText::new(text).strong());
    if exposure.refused_whatever_allowed() {
        ui.colored_label(
            red,
            "The run refuses it, whatever you allow: grant a folder that neither holds nor \
             lies inside wasmscope's own.",
        );
        return;
    }
    let index = allowed.iter().position(|p| *p == exposure.resolved);
    ui.horizontal_wrapped(|ui| match index {
        None => {
            ui.colored_label(red, "The run refuses it unless you allow it.");
            if ui
                .button("Allow this folder")
                .on_hover_text(
                    "Give the guest this folder anyway, for this module while it is open.                      Only if you trust the module with everything listed above.",
                )
                .clicked()
            {
                allowed.push(exposure.resolved.clone());
            }
        }
        Some(index) => {
            ui.colored_label(red, "You allowed it.");
            if ui
                .small_button("Take back")
                .on_hover_text("Refuse the run again while this folder is granted.")
                .clicked()
            {
                allowed.remove(index);
            }
        }
    });
}

fn env_ui(ui: &mut egui::Ui, grants: &mut Grants) {
    let count = grants.env.len();
    let title = if count == 0 {
        "Environment (empty)".to_owned()
    } else {
        format!("Environment ({count})")
    };
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("environment")
        .default_open(true)
        .show(ui, |ui| {
            ui.label(RichText::new("The guest never sees the host's environment.").weak())
                .on_hover_text(ENV_TIP);
            let mut remove = None;
            // Fields share the panel's width, so a variable never widens the panel.
            let room = (ui.available_width() - 70.0).max(120.0);
            egui::Grid::new("env")
                .num_columns(3)
                .spacing([4.0, 4.0])
                .show(ui, |ui| {
                    for (index, (name, value)) in grants.env.iter_mut().enumerate() {
                        ui.add(
                            egui::TextEdit::singleline(name)
                                .hint_text("NAME")
                                .desired_width(room * 0.4)
                                .font(egui::TextStyle::Monospace),
                        );
                        ui.add(
                            egui::TextEdit::singleline(value)
                                .hint_text("value")
                                .desired_width(room * 0.6)
                                .font(egui::TextStyle::Monospace),
                        );
                        if ui.small_button("Remove").clicked() {
                            remove = Some(index);
                        }
                        ui.end_row();
                        if name.contains('=') {
                            ui.colored_label(
                                ui.visuals().error_fg_color,
                                "a name cannot contain =",
                            );
                            ui.end_row();
                        }
                    }
                });
            if let Some(index) = remove {
                grants.env.remove(index);
            }
            if ui.button("Add variable").on_hover_text(ENV_TIP).clicked() {
                grants.env.push((String::new(), String::new()));
            }
        });
}

fn entry_ui(ui: &mut egui::Ui, invoke: &mut InvokeState, info: &ModuleInfo) {
    let functions: Vec<_> = info
        .exports
        .iter()
        .filter(|e| e.kind == ExternKind::Func && e.name != "_start" && e.name != "_initialize")
        .collect();
    if info.style == ModuleStyle::Command && invoke.name.is_none() {
        // Commands run `_start`; offer the picker only when they export more.
        if functions.is_empty() {
            return;
        }
    }
    egui::CollapsingHeader::new(RichText::new("Entry point").strong())
        .default_open(true)
        .show(ui, |ui| {
            let has_initialize = info
                .exports
                .iter()
                .any(|e| e.kind == ExternKind::Func && e.name == "_initialize");
            let default_label = match info.style {
                ModuleStyle::Command => "_start (run as a command)",
                _ if has_initialize => "only _initialize (a reactor has no _start)",
                ModuleStyle::Reactor => "instantiate only (no _start)",
                ModuleStyle::Library => "instantiate only (it exports no function)",
            };
            let selected = invoke
                .name
                .clone()
                .unwrap_or_else(|| default_label.to_owned());
            let label = ui.label("Invoke").on_hover_text(
                "What to call after instantiation. A command runs _start. A reactor exports \
                 functions for the host to call: pick one and give its arguments.",
            );
            egui::ComboBox::from_id_salt("invoke")
                .selected_text(RichText::new(&selected).monospace())
                .width(ui.available_width() - 8.0)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(invoke.name.is_none(), default_label)
                        .clicked()
                    {
                        *invoke = InvokeState::default();
                    }
                    for export in &functions {
                        let chosen = invoke.name.as_deref() == Some(export.name.as_str());
                        let text = format!("{} {}", export.name, export.ty);
                        if ui
                            .selectable_label(chosen, RichText::new(text).monospace())
                            .clicked()
                            && !chosen
                        {
                            let params = export.sig.as_ref().map_or(0, |s| s.params.len());
                            *invoke = InvokeState {
                                name: Some(export.name.clone()),
                                args: vec![String::new(); params],
                            };
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            let Some(name) = invoke.name.clone() else {
                return;
            };
            let Some(sig) = info.export_sig(&name) else {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{name} is not an exported function of this module"),
                );
                return;
            };
            invoke.args.resize(sig.params.len(), String::new());
            egui::Grid::new("invoke args")
                .num_columns(2)
                .show(ui, |ui| {
                    for (index, (arg, ty)) in invoke.args.iter_mut().zip(&sig.params).enumerate() {
                        let label = ui.label(format!("arg {index}: {ty}"));
                        ui.add(
                            egui::TextEdit::singleline(arg)
                                .hint_text(match ty.as_str() {
                                    "i32" | "i64" => "integer, e.g. 42",
                                    "f32" | "f64" => "number, e.g. 1.5",
                                    _ => "value",
                                })
                                .desired_width(120.0),
                        )
                        .labelled_by(label.id);
                        ui.end_row();
                    }
                });
            if !sig.results.is_empty() {
                ui.weak(format!("returns {}", sig.results.join(", ")));
            }
        });
}

/// Splits an argument line like a shell would: spaces separate, quotes group, `\` escapes.
pub fn split_args(text: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut current = String::new();
    let mut in_arg = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => {
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                in_arg = true;
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_arg = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_arg {
                    args.push(std::mem::take(&mut current));
                    in_arg = false;
                }
            }
            (None, c) => {
                current.push(c);
                in_arg = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!(
            "unclosed {q} in the arguments: add the closing {q}"
        ));
    }
    if in_arg {
        args.push(current);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn args_split_like_a_shell() {
        assert_eq!(
            split_args(r#"one "two words" 'three' fo\ ur """#).unwrap(),
            vec!["one", "two words", "three", "fo ur", ""]
        );
        assert_eq!(split_args("   ").unwrap(), Vec::<String>::new());
        assert!(split_args("\"open").unwrap_err().contains("unclosed"));
    }

    fn rw_folder() -> Grants {
        let mut grants = Grants::default();
        grants.add_folder(PathBuf::from("/tmp/project"));
        grants.dirs[0].read_only = false;
        grants
    }

    #[test]
    fn grants_are_recalled_only_for_the_same_file_and_contents() {
        let mut memory = GrantMemory::default();
        let trusted = ModuleKey::new(Path::new("/m/trusted.wasm"), b"trusted bytes");
        memory.remember(trusted.clone(), &rw_folder());
        assert_eq!(memory.recall(&trusted), Some(&rw_folder()));
        // Another file, or the same file with other contents, gets nothing.
        let other = ModuleKey::new(Path::new("/m/untrusted.wasm"), b"trusted bytes");
        assert_eq!(memory.recall(&other), None);
        let changed = ModuleKey::new(Path::new("/m/trusted.wasm"), b"changed bytes");
        assert_eq!(memory.recall(&changed), None);
        memory.forget(&trusted);
        assert_eq!(memory.recall(&trusted), None);
    }

    #[test]
    fn memory_is_bounded_and_forgets_empty_grants() {
        let mut memory = GrantMemory::default();
        for i in 0..REMEMBERED_MODULES + 5 {
            let key = ModuleKey::new(Path::new(&format!("/m/{i}.wasm")), b"x");
            memory.remember(key, &rw_folder());
        }
        assert_eq!(memory.entries.len(), REMEMBERED_MODULES);
        let key = ModuleKey::new(Path::new("/m/0.wasm"), b"x");
        assert_eq!(memory.recall(&key), None, "the oldest was dropped");
        let newest = ModuleKey::new(
            Path::new(&format!("/m/{}.wasm", REMEMBERED_MODULES + 4)),
            b"x",
        );
        memory.remember(newest.clone(), &Grants::default());
        assert_eq!(memory.recall(&newest), None);
    }

    #[test]
    fn summary_names_read_write_folders() {
        let mut grants = rw_folder();
        grants.env.push(("A".into(), "1".into()));
        grants.args_text = "x".into();
        assert_eq!(
            grants.summary(),
            "1 folder (read-write), 1 variable, arguments"
        );
    }
}
