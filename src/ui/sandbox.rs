//! The sandbox panel: what the guest may do. Every control says what it grants and what the
//! guest sees without it. The defaults are [`SandboxPolicy::default`]: safe.

use eframe::egui;
use std::path::PathBuf;
use std::time::Duration;

use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::engine::inspect::{ExternKind, ModuleStyle};
use crate::engine::policy::Compiler;
use crate::engine::{
    DirGrant, Entry, ModuleInfo, SandboxPolicy, StdinSource, parse_bytes, parse_duration,
};
use crate::ui::{Command, bytes_text};

/// Memory cap range: one wasm page to 4 GiB (the 32-bit address space).
const MEMORY_RANGE_BYTES: std::ops::RangeInclusive<u64> = 64 * 1024..=4 * 1024 * 1024 * 1024;
/// Table cap range, in elements.
const TABLE_RANGE_ELEMENTS: std::ops::RangeInclusive<u64> = 10..=10_000_000;
const DISK_RANGE_BYTES: std::ops::RangeInclusive<u64> = 1024 * 1024..=1024 * 1024 * 1024 * 1024;
const FILES_RANGE: std::ops::RangeInclusive<u64> = 10..=10_000_000;
/// Timeout range: 10 ms to 5 min.
const TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u64> = 10..=5 * 60 * 1000;
/// Fuel range.
const FUEL_RANGE: std::ops::RangeInclusive<u64> = 1_000..=1_000_000_000_000;
/// Wasm stack range: 16 KiB to 64 MiB.
const STACK_RANGE_BYTES: std::ops::RangeInclusive<usize> = 16 * 1024..=64 * 1024 * 1024;
/// Default fuel when fuel metering is switched on.
const DEFAULT_FUEL: u64 = 100_000_000;

/// What the sandbox panel edits; persisted between sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxSettings {
    /// Limits, directories and environment. Its `args`, `stdin` and `entry` are taken from the
    /// fields below (and the module) when a run starts.
    pub policy: SandboxPolicy,
    /// The arguments after argv0, as typed (shell-like quoting).
    pub args_text: String,
    /// What the guest reads on stdin.
    pub stdin_text: String,
    /// A folder path typed by hand (when no folder dialog is available).
    #[serde(skip)]
    pub folder_text: String,
}

/// What to call in the loaded module; reset when a module loads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InvokeState {
    /// The export to call; `None` runs the default entry (`_start`, or only `_initialize`).
    pub name: Option<String>,
    /// One text per parameter.
    pub args: Vec<String>,
}

impl SandboxSettings {
    /// The policy for a run of `info`, with arguments, stdin and the entry point filled in.
    pub fn policy_for_run(&self, invoke: &InvokeState) -> Result<SandboxPolicy, String> {
        let mut policy = self.policy.clone();
        policy.args = split_args(&self.args_text)?;
        policy.stdin = if self.stdin_text.is_empty() {
            StdinSource::Empty
        } else {
            StdinSource::Bytes(self.stdin_text.as_bytes().to_vec())
        };
        policy.entry = match &invoke.name {
            Some(name) => Entry::Invoke {
                name: name.clone(),
                args: invoke.args.clone(),
            },
            None => Entry::Default,
        };
        Ok(policy)
    }

    /// Adds a preopened directory (read-only, as safe defaults go), seen by the guest under
    /// `/` plus the folder's name.
    pub fn add_folder(&mut self, host_path: PathBuf) {
        let name = host_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "dir".to_owned());
        self.policy.dirs.push(DirGrant {
            host_path,
            guest_path: format!("/{name}"),
            read_only: true,
            scratch: false,
        });
    }
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

fn format_count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.3} k", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.3} M", n as f64 / 1e6),
        _ => format!("{:.3} G", n as f64 / 1e9),
    }
    .replace(".000 ", " ")
}

fn parse_count(text: &str) -> Option<f64> {
    let text = text.trim().replace(['_', ','], "");
    let (number, scale) = match text.trim_end().chars().last() {
        Some('k' | 'K') => (&text[..text.len() - 1], 1e3),
        Some('M') => (&text[..text.len() - 1], 1e6),
        Some('G') => (&text[..text.len() - 1], 1e9),
        _ => (text.as_str(), 1.0),
    };
    number.trim().parse::<f64>().ok().map(|n| n * scale)
}

fn format_ms(ms: u64) -> String {
    humantime::format_duration(Duration::from_millis(ms)).to_string()
}

/// A label for a row of the grid, with the teaching tooltip on both label and control.
fn row_label(ui: &mut egui::Ui, text: &str, tip: &str) -> egui::Response {
    ui.label(text).on_hover_text(tip)
}

const MEMORY_TIP: &str = "The most linear memory the guest may have (each memory). \
    memory.grow beyond it is refused: the guest sees -1, as if the host were out of memory, \
    and decides what to do (well-written programs report it; many just crash later).";
const TABLE_TIP: &str = "The most elements each table may hold (tables hold function \
    references for indirect calls). table.grow beyond it returns -1 to the guest.";
const DISK_TIP: &str = "The most bytes the guest may add to its read-write folders in one \
    run (net: deleting frees quota; overwriting in place costs nothing). A write past it fails \
    the way a full disk fails (nospc), the guest goes on, and the outcome says which call was \
    refused. Covers core modules; components (WASI preview 2) are not watched yet.";
const FILES_TIP: &str = "The most files, directories and links the guest may create in its \
    read-write folders in one run. Creating one more fails with nospc, as on a full disk. \
    Covers core modules; components (WASI preview 2) are not watched yet.";
const TRAP_ON_GROW_TIP: &str = "When on, a refused growth traps at once (trap code \
    GrowthDenied) instead of returning -1, so the backtrace points at the allocation.";
const TIMEOUT_TIP: &str = "Wall-clock limit for the run, compile time excluded. When it passes \
    the sandbox interrupts the guest, even inside a busy loop or a sleeping host call. Off: the \
    guest runs until it ends or you press Stop.";
const FUEL_TIP: &str = "A budget of work: about one unit per wasm instruction. When it runs \
    out the guest stops (deterministically, the same point every time). Off: no metering, \
    slightly faster.";
const STACK_TIP: &str = "The most native stack the guest's wasm code may use. Deep recursion \
    beyond it traps with StackOverflow instead of crashing the host.";
const CALL_LOG_TIP: &str = "Record each WASI call the guest makes, with its arguments decoded \
    (paths, descriptors), what came back, and why the sandbox refused when it did. Shown with \
    the outcome. Costs a little time per call; it changes nothing the guest can do.";
const NETWORK_TIP: &str = "Let a component (WASI preview 2) open TCP and UDP sockets and look \
    up host names, with this computer's network access. Off: every address is refused, so the \
    guest can reach nothing outside itself. Core WASI preview 1 modules have no way to open \
    sockets either way.";
const COMPILER_TIP: &str = "How the module becomes machine code. It changes speed, not what \
    the guest may do: every compiler enforces the same sandbox.";
fn compiler_tip(compiler: Compiler) -> &'static str {
    match compiler {
        Compiler::Cranelift => "Optimizing: slower to compile, fastest code (wasmtime's default).",
        Compiler::Winch => "Baseline: compiles several times faster, runs slower.",
        Compiler::Pulley => "Interpreter: almost no compile time, runs much slower.",
    }
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

/// The sandbox panel.
pub fn sandbox_ui(
    ui: &mut egui::Ui,
    settings: &mut SandboxSettings,
    invoke: &mut InvokeState,
    module: Option<&ModuleInfo>,
    commands: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.heading("Sandbox");
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .small_button("Reset")
                .on_hover_text(
                    "Back to the safe defaults: no folders, no environment, 256 MiB, 10 s.",
                )
                .clicked()
            {
                *settings = SandboxSettings::default();
            }
        });
    });
    ui.weak("What the guest may use. Hover any control to learn what it grants.");
    ui.add_space(4.0);

    egui::ScrollArea::vertical()
        .id_salt("sandbox scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if let Some(info) = module {
                entry_ui(ui, invoke, info);
            }
            limits_ui(ui, &mut settings.policy);
            io_ui(ui, settings);
            dirs_ui(ui, settings, commands);
            env_ui(ui, &mut settings.policy);
        });
}

fn limits_ui(ui: &mut egui::Ui, policy: &mut SandboxPolicy) {
    egui::CollapsingHeader::new(RichText::new("Limits").strong())
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("limits")
                .num_columns(2)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    row_label(ui, "Memory cap", MEMORY_TIP);
                    let mut bytes = policy.max_memory_bytes;
                    let response = ui
                        .add(
                            egui::Slider::new(&mut bytes, MEMORY_RANGE_BYTES)
                                .logarithmic(true)
                                .custom_formatter(|v, _| bytes_text(v as u64))
                                .custom_parser(|s| parse_bytes(s).ok().map(|b| b as f64)),
                        )
                        .on_hover_text(MEMORY_TIP);
                    if response.changed() {
                        // Whole wasm pages read better and are what the guest can get anyway.
                        let page = 64 * 1024;
                        policy.max_memory_bytes = (bytes + page / 2) / page * page;
                    }
                    ui.end_row();

                    row_label(ui, "Table cap", TABLE_TIP);
                    ui.add(
                        egui::Slider::new(&mut policy.max_table_elements, TABLE_RANGE_ELEMENTS)
                            .logarithmic(true)
                            .custom_formatter(|v, _| format!("{} elements", format_count(v as u64)))
                            .custom_parser(parse_count),
                    )
                    .on_hover_text(TABLE_TIP);
                    ui.end_row();

                    row_label(ui, "Disk quota", DISK_TIP);
                    ui.add(
                        egui::Slider::new(&mut policy.max_disk_bytes, DISK_RANGE_BYTES)
                            .logarithmic(true)
                            .custom_formatter(|v, _| bytes_text(v as u64))
                            .custom_parser(|s| parse_bytes(s).ok().map(|b| b as f64)),
                    )
                    .on_hover_text(DISK_TIP);
                    ui.end_row();

                    row_label(ui, "Files quota", FILES_TIP);
                    ui.add(
                        egui::Slider::new(&mut policy.max_files, FILES_RANGE)
                            .logarithmic(true)
                            .custom_formatter(|v, _| format!("{} files", format_count(v as u64)))
                            .custom_parser(parse_count),
                    )
                    .on_hover_text(FILES_TIP);
                    ui.end_row();

                    ui.label("");
                    ui.label(
                        RichText::new("Disk quotas: core modules only, not components yet")
                            .small()
                            .weak(),
                    )
                    .on_hover_text(crate::engine::quota::NOT_COVERED);
                    ui.end_row();

                    ui.label("");
                    ui.checkbox(
                        &mut policy.trap_on_grow_failure,
                        "Trap when growth is denied",
                    )
                    .on_hover_text(TRAP_ON_GROW_TIP);
                    ui.end_row();

                    row_label(ui, "Timeout", TIMEOUT_TIP);
                    ui.horizontal(|ui| {
                        let mut on = policy.timeout_ms.is_some();
                        if ui
                            .checkbox(&mut on, "")
                            .on_hover_text(TIMEOUT_TIP)
                            .changed()
                        {
                            policy.timeout_ms =
                                on.then_some(crate::engine::policy::DEFAULT_TIMEOUT_MS);
                        }
                        match &mut policy.timeout_ms {
                            Some(ms) => {
                                ui.add(
                                    egui::Slider::new(ms, TIMEOUT_RANGE_MS)
                                        .logarithmic(true)
                                        .custom_formatter(|v, _| format_ms(v as u64))
                                        .custom_parser(|s| {
                                            parse_duration(s).ok().map(|d| d.as_millis() as f64)
                                        }),
                                )
                                .on_hover_text(TIMEOUT_TIP);
                            }
                            None => {
                                ui.weak("off: runs until done or Stop");
                            }
                        }
                    });
                    ui.end_row();

                    row_label(ui, "Fuel", FUEL_TIP);
                    ui.horizontal(|ui| {
                        let mut on = policy.fuel.is_some();
                        if ui.checkbox(&mut on, "").on_hover_text(FUEL_TIP).changed() {
                            policy.fuel = on.then_some(DEFAULT_FUEL);
                        }
                        match &mut policy.fuel {
                            Some(fuel) => {
                                ui.add(
                                    egui::Slider::new(fuel, FUEL_RANGE)
                                        .logarithmic(true)
                                        .custom_formatter(|v, _| format_count(v as u64))
                                        .custom_parser(parse_count),
                                )
                                .on_hover_text(FUEL_TIP);
                            }
                            None => {
                                ui.weak("off: not metered");
                            }
                        }
                    });
                    ui.end_row();

                    row_label(ui, "Max stack", STACK_TIP);
                    ui.add(
                        egui::Slider::new(&mut policy.max_wasm_stack_bytes, STACK_RANGE_BYTES)
                            .logarithmic(true)
                            .custom_formatter(|v, _| bytes_text(v as u64))
                            .custom_parser(|s| parse_bytes(s).ok().map(|b| b as f64)),
                    )
                    .on_hover_text(STACK_TIP);
                    ui.end_row();

                    row_label(ui, "Call log", CALL_LOG_TIP);
                    ui.checkbox(&mut policy.log_calls, "Log every WASI call")
                        .on_hover_text(CALL_LOG_TIP);
                    ui.end_row();

                    row_label(ui, "Network", NETWORK_TIP);
                    ui.checkbox(&mut policy.allow_network, "Allow sockets (components)")
                        .on_hover_text(NETWORK_TIP);
                    ui.end_row();

                    row_label(ui, "Compiler", COMPILER_TIP);
                    egui::ComboBox::from_id_salt("compiler")
                        .selected_text(policy.compiler.name())
                        .show_ui(ui, |ui| {
                            for compiler in Compiler::ALL {
                                ui.selectable_value(
                                    &mut policy.compiler,
                                    compiler,
                                    compiler.name(),
                                )
                                .on_hover_text(compiler_tip(compiler));
                            }
                        })
                        .response
                        .on_hover_text(COMPILER_TIP);
                    ui.end_row();
                });
        });
}

fn io_ui(ui: &mut egui::Ui, settings: &mut SandboxSettings) {
    egui::CollapsingHeader::new(RichText::new("Arguments and stdin").strong())
        .default_open(true)
        .show(ui, |ui| {
            let label = ui.label("Arguments").on_hover_text(ARGS_TIP);
            ui.add(
                egui::TextEdit::singleline(&mut settings.args_text)
                    .hint_text("e.g. one \"two words\"")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text(ARGS_TIP);
            match split_args(&settings.args_text) {
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
                egui::TextEdit::multiline(&mut settings.stdin_text)
                    .hint_text("empty: the guest reads end-of-file")
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id)
            .on_hover_text(STDIN_TIP);
        });
}

fn dirs_ui(ui: &mut egui::Ui, settings: &mut SandboxSettings, commands: &mut Vec<Command>) {
    let count = settings.policy.dirs.len();
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
            for (index, grant) in settings.policy.dirs.iter_mut().enumerate() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal(|ui| {
                        let host = grant.host_path.display().to_string();
                        ui.add(egui::Label::new(RichText::new(&host).monospace()).truncate())
                            .on_hover_text(format!("Host folder: {host}"));
                    });
                    if !grant.host_path.is_dir() {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            "This folder does not exist: the run will refuse to start.",
                        );
                    }
                    ui.horizontal(|ui| {
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
                settings.policy.dirs.remove(index);
            }
            ui.horizontal(|ui| {
                if ui.button("Add folder…").on_hover_text(DIRS_TIP).clicked() {
                    commands.push(Command::AddFolderDialog);
                }
            });
            ui.horizontal(|ui| {
                let response = ui.add(
                    egui::TextEdit::singleline(&mut settings.folder_text)
                        .hint_text("or type a folder path")
                        .desired_width(ui.available_width() - 50.0),
                );
                let entered =
                    response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Add").clicked() || entered)
                    && !settings.folder_text.trim().is_empty()
                {
                    let path = PathBuf::from(settings.folder_text.trim());
                    settings.folder_text.clear();
                    settings.add_folder(path);
                }
            });
        });
}

fn env_ui(ui: &mut egui::Ui, policy: &mut SandboxPolicy) {
    let count = policy.env.len();
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
            egui::Grid::new("env")
                .num_columns(3)
                .spacing([4.0, 4.0])
                .show(ui, |ui| {
                    for (index, (name, value)) in policy.env.iter_mut().enumerate() {
                        ui.add(
                            egui::TextEdit::singleline(name)
                                .hint_text("NAME")
                                .desired_width(100.0)
                                .font(egui::TextStyle::Monospace),
                        );
                        ui.add(
                            egui::TextEdit::singleline(value)
                                .hint_text("value")
                                .desired_width(140.0)
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
                policy.env.remove(index);
            }
            if ui.button("Add variable").on_hover_text(ENV_TIP).clicked() {
                policy.env.push((String::new(), String::new()));
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
            let default_label = match info.style {
                ModuleStyle::Command => "_start (run as a command)",
                _ => "only _initialize (a reactor has no _start)",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_split_like_a_shell() {
        assert_eq!(
            split_args(r#"one "two words" 'three' fo\ ur """#).unwrap(),
            vec!["one", "two words", "three", "fo ur", ""]
        );
        assert_eq!(split_args("   ").unwrap(), Vec::<String>::new());
        assert!(split_args("\"open").unwrap_err().contains("unclosed"));
    }

    #[test]
    fn run_policy_takes_args_stdin_and_entry() {
        let settings = SandboxSettings {
            args_text: "div0".to_owned(),
            stdin_text: "hi".to_owned(),
            ..Default::default()
        };
        let invoke = InvokeState {
            name: Some("add".to_owned()),
            args: vec!["2".to_owned(), "3".to_owned()],
        };
        let policy = settings.policy_for_run(&invoke).unwrap();
        assert_eq!(policy.args, vec!["div0"]);
        assert_eq!(policy.stdin, StdinSource::Bytes(b"hi".to_vec()));
        assert!(matches!(policy.entry, Entry::Invoke { ref name, .. } if name == "add"));
        assert!(policy.dirs.is_empty() && policy.env.is_empty());
    }

    #[test]
    fn counts_read_back() {
        assert_eq!(format_count(100_000), "100 k");
        assert_eq!(parse_count("100 k"), Some(100_000.0));
        assert_eq!(parse_count("1.5M"), Some(1_500_000.0));
    }
}
