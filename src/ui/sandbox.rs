//! The sandbox panel: what the guest may do. Every control says what it grants and what the
//! guest sees without it. The defaults are [`SandboxPolicy::default`]: safe.

use eframe::egui;
use std::time::Duration;

use egui::RichText;
use serde::{Deserialize, Serialize};

use crate::engine::policy::{Compiler, Limit};
use crate::engine::record::DEFAULT_RECORD_MAX_BYTES;
use crate::engine::{Entry, Invocation, ModuleInfo, SandboxPolicy, StdinSource};
use crate::ui::command::Command;
use crate::ui::grants::{Grants, grants_ui, restored_banner_ui, split_args};
use crate::ui::theme::bytes_text;

/// A limit's slider: it spans the engine's usual stretch of the limit; a value typed into it
/// is read and checked by the engine ([`Limit::parse`]), so the window accepts exactly what
/// the command line and profiles accept.
fn limit_slider<'a>(value: &'a mut u64, limit: Limit) -> egui::Slider<'a> {
    egui::Slider::new(value, limit.usual_range())
        .logarithmic(true)
        .clamping(egui::SliderClamping::Never)
        .custom_parser(move |text| limit.parse(text).ok().map(|v| v as f64))
}
/// Default fuel when fuel metering is switched on.
const DEFAULT_FUEL: u64 = 100_000_000;

/// What the sandbox panel edits and keeps between sessions: the limits (caps, timeout, fuel,
/// stack, call log, network, compiler). What is granted to a module (folders, environment,
/// arguments, stdin, the export to call) is not a setting: see [`crate::ui::grants`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxSettings {
    /// The limits: what the guest may do. Its directories and environment stay empty here
    /// and are taken from the module's [`Grants`] when a run starts.
    pub policy: SandboxPolicy,
    /// The Profile switch: sample the guest every this many milliseconds; `None` is off.
    pub profiler_interval_ms: Option<u64>,
    /// The Record switch: every core run keeps what crosses the WASI boundary in memory, up to
    /// this many bytes of calls (File ▸ Save recording… writes it); `None` is off.
    pub record_max_bytes: Option<u64>,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        Self {
            policy: SandboxPolicy::default(),
            profiler_interval_ms: None,
            record_max_bytes: Some(DEFAULT_RECORD_MAX_BYTES),
        }
    }
}

/// The smallest and largest bound the Record setting takes.
const RECORD_RANGE: std::ops::RangeInclusive<u64> = (1 << 20)..=(4 << 30);

impl SandboxSettings {
    /// The policy for a run (these limits with the folders and environment `grants` gives the
    /// loaded module) and the invocation (its arguments, stdin and entry point).
    pub fn policy_for_run(&self, grants: &Grants) -> Result<(SandboxPolicy, Invocation), String> {
        let mut policy = self.policy.clone();
        policy.allow_host_dirs = grants.host_dirs_allowed().map_err(|e| e.to_string())?;
        policy.dirs = grants.dirs.clone();
        policy.env = grants.env.clone();
        let invocation = Invocation {
            args: split_args(&grants.args_text)?,
            argv0: grants.argv0.clone(),
            stdin: if grants.stdin_text.is_empty() {
                StdinSource::Empty
            } else {
                StdinSource::Bytes(grants.stdin_text.as_bytes().to_vec())
            },
            entry: match &grants.invoke.name {
                Some(name) => Entry::Invoke {
                    name: name.clone(),
                    args: grants.invoke.args.clone(),
                },
                None => Entry::Default,
            },
            profiler_interval_ms: self.profiler_interval_ms,
            record_max_bytes: self.record_max_bytes,
            replay: None,
            last_write: None,
            travel: None,
            // The window always offers Stop, which must end a guest even in a busy loop.
            stoppable: true,
        };
        Ok((policy, invocation))
    }

    /// Keeps the limits and drops any grant (settings saved by older versions held folders,
    /// environment and arguments; they must not follow the user to the next module).
    pub fn without_grants(mut self) -> Self {
        self.policy.dirs.clear();
        self.policy.env.clear();
        self
    }

    /// The same settings with every value inside the range the engine accepts (settings
    /// saved by another version, or edited by hand, load as the nearest valid value).
    pub fn clamped(mut self) -> Self {
        self.policy = self.policy.clamped();
        self.profiler_interval_ms = self
            .profiler_interval_ms
            .map(|ms| ms.clamp(1, crate::engine::profiler::MAX_INTERVAL_MS));
        self.record_max_bytes = self
            .record_max_bytes
            .map(|bytes| bytes.clamp(*RECORD_RANGE.start(), *RECORD_RANGE.end()));
        self
    }

    /// The engine the open module is compiled for ahead of Run: the one its runs use.
    pub fn engine_key(&self) -> crate::engine::sandbox::EngineKey {
        let key = crate::engine::sandbox::EngineKey::for_policy(&self.policy);
        if self.record_max_bytes.is_some() {
            key.recorded()
        } else {
            key
        }
    }
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
/// The name of the panel's row that sets `limit` ("Timeout", "Max stack").
pub fn limit_name(limit: Limit) -> &'static str {
    match limit {
        Limit::MaxMemory => "Memory cap",
        Limit::MaxTableElements => "Table cap",
        Limit::Timeout => "Timeout",
        Limit::Fuel => "Fuel",
        Limit::MaxWasmStack => "Max stack",
        Limit::MaxDisk => "Disk quota",
        Limit::MaxFiles => "Files quota",
    }
}

fn row_label(ui: &mut egui::Ui, text: &str, tip: &str) -> egui::Response {
    ui.label(text).on_hover_text(tip)
}

/// A checkbox in a grid's cell whose words wrap at the panel's edge: a cell does not wrap by
/// itself, and one long line widens the whole panel past its width.
fn wrapping_checkbox(
    ui: &mut egui::Ui,
    checked: &mut bool,
    text: impl Into<egui::WidgetText>,
) -> egui::Response {
    ui.scope(|ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
        ui.checkbox(checked, text)
    })
    .inner
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
        Compiler::Pulley => {
            "Interpreter: compiles about as slowly as Cranelift (it uses it), runs much slower."
        }
    }
}
/// The sandbox panel: the module's grants (with the banner when they were restored), then
/// the limits.
pub fn sandbox_ui(
    ui: &mut egui::Ui,
    settings: &mut SandboxSettings,
    grants: &mut Grants,
    restored: &mut bool,
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
                *grants = Grants::default();
                commands.push(Command::ForgetGrants);
            }
        });
    });
    ui.weak("What the guest may use. Hover any control to learn what it grants.");
    ui.add_space(4.0);

    egui::ScrollArea::vertical()
        .id_salt("sandbox scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            if *restored && restored_banner_ui(ui, grants) {
                *grants = Grants::default();
                *restored = false;
                commands.push(Command::ForgetGrants);
            }
            grants_ui(ui, grants, module, commands);
            limits_ui(ui, settings);
            crate::ui::debugger::component_note_ui(ui, &settings.policy, module);
        });
}

fn limits_ui(ui: &mut egui::Ui, settings: &mut SandboxSettings) {
    let SandboxSettings {
        policy,
        profiler_interval_ms,
        record_max_bytes,
    } = settings;
    egui::CollapsingHeader::new(RichText::new("Limits").strong())
        .default_open(true)
        .show(ui, |ui| {
            // Sliders take what the row leaves (its label, the widest value "100 k elements"
            // and the Timeout and Fuel rows' checkbox), so a narrow panel stays narrow.
            ui.spacing_mut().slider_width = (ui.available_width() - 230.0).clamp(40.0, 140.0);
            egui::Grid::new("limits")
                .num_columns(2)
                .spacing([8.0, 6.0])
                .show(ui, |ui| {
                    row_label(ui, limit_name(Limit::MaxMemory), MEMORY_TIP);
                    let mut bytes = policy.max_memory_bytes;
                    let response = ui
                        .add(
                            limit_slider(&mut bytes, Limit::MaxMemory)
                                .custom_formatter(|v, _| bytes_text(v as u64)),
                        )
                        .on_hover_text(MEMORY_TIP);
                    if response.changed() {
                        // Whole wasm pages read better and are what the guest can get anyway.
                        let page = 64 * 1024;
                        policy.max_memory_bytes = (bytes + page / 2) / page * page;
                    }
                    ui.end_row();

                    row_label(ui, limit_name(Limit::MaxTableElements), TABLE_TIP);
                    ui.add(
                        limit_slider(&mut policy.max_table_elements, Limit::MaxTableElements)
                            .custom_formatter(|v, _| format!("{} elements", format_count(v as u64)))
                            .custom_parser(|text| {
                                parse_count(text)
                                    .filter(|n| Limit::MaxTableElements.check(*n as u64).is_ok())
                            }),
                    )
                    .on_hover_text(TABLE_TIP);
                    ui.end_row();

                    row_label(ui, limit_name(Limit::MaxDisk), DISK_TIP);
                    ui.add(
                        limit_slider(&mut policy.max_disk_bytes, Limit::MaxDisk)
                            .custom_formatter(|v, _| bytes_text(v as u64)),
                    )
                    .on_hover_text(DISK_TIP);
                    ui.end_row();

                    row_label(ui, limit_name(Limit::MaxFiles), FILES_TIP);
                    ui.add(
                        limit_slider(&mut policy.max_files, Limit::MaxFiles)
                            .custom_formatter(|v, _| format!("{} files", format_count(v as u64)))
                            .custom_parser(|text| {
                                parse_count(text)
                                    .filter(|n| Limit::MaxFiles.check(*n as u64).is_ok())
                            }),
                    )
                    .on_hover_text(FILES_TIP);
                    ui.end_row();

                    ui.label("");
                    ui.add(
                        egui::Label::new(
                            RichText::new("Disk quotas: core modules only, not components yet")
                                .small()
                                .weak(),
                        )
                        .wrap(),
                    )
                    .on_hover_text(crate::engine::sandbox::shim::quota::NOT_COVERED);
                    ui.end_row();

                    ui.label("");
                    wrapping_checkbox(
                        ui,
                        &mut policy.trap_on_grow_failure,
                        "Trap when growth is denied",
                    )
                    .on_hover_text(TRAP_ON_GROW_TIP);
                    ui.end_row();

                    row_label(ui, limit_name(Limit::Timeout), TIMEOUT_TIP);
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
                                    limit_slider(ms, Limit::Timeout)
                                        .custom_formatter(|v, _| format_ms(v as u64)),
                                )
                                .on_hover_text(TIMEOUT_TIP);
                            }
                            None => {
                                ui.weak("off: runs until done or Stop");
                            }
                        }
                    });
                    ui.end_row();

                    row_label(ui, limit_name(Limit::Fuel), FUEL_TIP);
                    ui.horizontal(|ui| {
                        let mut on = policy.fuel.is_some();
                        if ui.checkbox(&mut on, "").on_hover_text(FUEL_TIP).changed() {
                            policy.fuel = on.then_some(DEFAULT_FUEL);
                        }
                        match &mut policy.fuel {
                            Some(fuel) => {
                                ui.add(
                                    limit_slider(fuel, Limit::Fuel)
                                        .custom_formatter(|v, _| format_count(v as u64))
                                        .custom_parser(|text| {
                                            parse_count(text)
                                                .filter(|n| Limit::Fuel.check(*n as u64).is_ok())
                                        }),
                                )
                                .on_hover_text(FUEL_TIP);
                            }
                            None => {
                                ui.weak("off: not metered");
                            }
                        }
                    });
                    ui.end_row();

                    row_label(ui, limit_name(Limit::MaxWasmStack), STACK_TIP);
                    let mut stack = policy.max_wasm_stack_bytes as u64;
                    let response = ui
                        .add(
                            limit_slider(&mut stack, Limit::MaxWasmStack)
                                .custom_formatter(|v, _| bytes_text(v as u64)),
                        )
                        .on_hover_text(STACK_TIP);
                    if response.changed() {
                        // The engine's range ends at 1 GiB, which fits any usize.
                        policy.max_wasm_stack_bytes =
                            usize::try_from(stack).unwrap_or(policy.max_wasm_stack_bytes);
                    }
                    ui.end_row();

                    row_label(ui, "Record", RECORD_TIP);
                    record_row_ui(ui, record_max_bytes);
                    ui.end_row();

                    row_label(ui, "Call log", CALL_LOG_TIP);
                    wrapping_checkbox(ui, &mut policy.log_calls, "Log every WASI call")
                        .on_hover_text(CALL_LOG_TIP);
                    ui.end_row();

                    // Profiling and debug mode exclude each other (the engine refuses both:
                    // `engine::run::PROFILE_WITH_DEBUG`); side by side, each says why.
                    crate::ui::profiler::profile_row_ui(ui, profiler_interval_ms, policy.debug);
                    ui.end_row();

                    row_label(ui, "Debug", crate::ui::debugger::DEBUG_TIP);
                    let profiling = profiler_interval_ms.is_some();
                    crate::ui::debugger::debug_switch_ui(ui, policy, profiling);
                    ui.end_row();

                    row_label(ui, "Network", NETWORK_TIP);
                    wrapping_checkbox(ui, &mut policy.allow_network, "Allow sockets (components)")
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

const RECORD_TIP: &str = "Keep what crosses the WASI boundary (what the guest read, the clock, \
    random bytes, ...) in memory during each run of a core module, up to the size set here: File ▸ Save \
    recording… writes it as a .wstrace that `wasmscope replay` and this window replay exactly, and \
    a trap offers Replay with state. Recorded runs compute NaNs the same on every machine.";

fn record_row_ui(ui: &mut egui::Ui, record_max_bytes: &mut Option<u64>) {
    ui.horizontal(|ui| {
        let mut on = record_max_bytes.is_some();
        if ui.checkbox(&mut on, "").on_hover_text(RECORD_TIP).changed() {
            *record_max_bytes = on.then_some(DEFAULT_RECORD_MAX_BYTES);
        }
        match record_max_bytes {
            Some(bytes) => {
                ui.add(
                    egui::Slider::new(bytes, RECORD_RANGE)
                        .logarithmic(true)
                        // "256 MiB", not "up to 256 MiB": the row fits a 1024-wide window
                        // (the hover says it is the most kept).
                        .custom_formatter(|v, _| bytes_text(v as u64))
                        .custom_parser(|text| {
                            crate::engine::parse_bytes(text.trim_start_matches("up to "))
                                .ok()
                                .filter(|b| RECORD_RANGE.contains(b))
                                .map(|b| b as f64)
                        }),
                )
                .on_hover_text(RECORD_TIP);
            }
            None => {
                ui.weak("off: runs are not kept");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::DirGrant;
    use crate::ui::grants::InvokeState;
    use std::path::PathBuf;

    #[test]
    fn run_policy_takes_args_stdin_and_entry_from_the_grants() {
        let settings = SandboxSettings::default();
        let grants = Grants {
            args_text: "div0".to_owned(),
            stdin_text: "hi".to_owned(),
            invoke: InvokeState {
                name: Some("add".to_owned()),
                args: vec!["2".to_owned(), "3".to_owned()],
            },
            ..Default::default()
        };
        let (policy, invocation) = settings.policy_for_run(&grants).unwrap();
        assert_eq!(invocation.args, vec!["div0"]);
        assert_eq!(invocation.stdin, StdinSource::Bytes(b"hi".to_vec()));
        assert!(matches!(invocation.entry, Entry::Invoke { ref name, .. } if name == "add"));
        assert!(policy.dirs.is_empty() && policy.env.is_empty());
    }

    #[test]
    fn settings_from_older_versions_lose_their_grants() {
        let mut settings = SandboxSettings::default();
        settings.policy.max_memory_bytes = 64 << 20;
        settings.policy.env.push(("TOKEN".into(), "secret".into()));
        settings.policy.dirs.push(DirGrant {
            host_path: PathBuf::from("/home/me/project"),
            guest_path: "/p".into(),
            read_only: false,
            scratch: false,
        });
        let settings = settings.without_grants();
        assert_eq!(settings.policy.max_memory_bytes, 64 << 20);
        assert!(settings.policy.dirs.is_empty() && settings.policy.env.is_empty());
    }

    #[test]
    fn counts_read_back() {
        assert_eq!(format_count(100_000), "100 k");
        assert_eq!(parse_count("100 k"), Some(100_000.0));
        assert_eq!(parse_count("1.5M"), Some(1_500_000.0));
    }
}
