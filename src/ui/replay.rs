//! A recording (`.wstrace`) opened in the window: the banner that says the open module is a
//! replay, and the recorded sandbox in the Sandbox panel's place, read-only (a replay cannot be
//! granted more, and reads nothing of this machine).

use eframe::egui;
use egui::RichText;

use crate::engine::SandboxPolicy;
use crate::engine::record::recording::Recording;
use crate::ui::theme::{AMBER, bytes_text, callout_ui};

/// One line for the banner and the window's title: what is replayed.
pub fn replay_line(recording: &Recording) -> String {
    format!(
        "Replay of a run of {}: {} WASI calls recorded by wasmscope {}; the recorded run {}.",
        recording.header.module_name,
        recording.calls.calls.len(),
        recording.header.wasmscope_version,
        recording.calls.end.outcome.replace('_', " "),
    )
}

/// Above the module panel while a recording is open: this is a replay, and what that means.
pub fn replay_banner_ui(ui: &mut egui::Ui, recording: &Recording) {
    callout_ui(ui, AMBER, |ui| {
        ui.strong(replay_line(recording));
        ui.label(
            "Run replays it exactly: every WASI call gets its recorded answer, so no folder, \
             variable, clock or random source of this machine is read, and the output and the \
             outcome are the recorded ones. Debug mode and breakpoints work as in any run.",
        );
    });
}

/// The Sandbox panel for a replay: the recorded sandbox, read-only, and the Debug switch
/// (`settings` is the window's own policy, whose debug mode a replay follows).
pub fn replay_sandbox_ui(ui: &mut egui::Ui, recording: &Recording, settings: &mut SandboxPolicy) {
    ui.heading("Sandbox (recorded)");
    ui.weak(
        "The sandbox this run was recorded with. A replay cannot be granted more: it reads \
         nothing of this machine.",
    );
    ui.add_space(4.0);
    let policy = &recording.header.policy;
    let invocation = &recording.header.invocation;
    egui::ScrollArea::vertical()
        .id_salt("replay sandbox scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("recorded sandbox")
                .num_columns(2)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    ui.label("Folders");
                    ui.vertical(|ui| {
                        if policy.dirs.is_empty() {
                            ui.weak("none");
                        }
                        for dir in &policy.dirs {
                            ui.monospace(dir.describe()).on_hover_text(
                                "Granted when the run was recorded; never opened in a replay: \
                                 what the guest read comes from the recording.",
                            );
                        }
                    });
                    ui.end_row();
                    ui.label("Environment");
                    ui.vertical(|ui| {
                        if policy.env.is_empty() {
                            ui.weak("none");
                        }
                        for (name, _) in &policy.env {
                            ui.monospace(name);
                        }
                    });
                    ui.end_row();
                    ui.label("Arguments");
                    if invocation.args.is_empty() {
                        ui.weak("none");
                    } else {
                        ui.monospace(invocation.args.join(" "));
                    }
                    ui.end_row();
                    ui.label("Stdin");
                    ui.weak("what the guest read is in the recording");
                    ui.end_row();
                    ui.label("Memory");
                    ui.label(bytes_text(policy.max_memory_bytes));
                    ui.end_row();
                    ui.label("Timeout");
                    ui.label(match policy.timeout_ms {
                        Some(ms) => crate::ui::compile::millis_text(ms),
                        None => "off".to_owned(),
                    });
                    ui.end_row();
                    ui.label("Fuel");
                    ui.label(match policy.fuel {
                        Some(fuel) => fuel.to_string(),
                        None => "not metered".to_owned(),
                    });
                    ui.end_row();
                    ui.label("Compiler");
                    ui.label(policy.compiler.name());
                    ui.end_row();
                });
            ui.add_space(8.0);
            ui.label(RichText::new("This window's").strong());
            crate::ui::debugger::debug_switch_ui(ui, settings, false);
        });
}
