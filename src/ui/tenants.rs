//! "Run as tenants…": the loaded module run N times at once, each tenant with its own
//! `TENANT_ID` and folder, and the results side by side with what differs from tenant 0.
//! Each tenant runs on its own worker thread; the UI polls them with `try_recv`.

use std::sync::Arc;

use crossbeam_channel::TryRecvError;
use eframe::egui;
use egui::RichText;

use crate::engine::run::tenants::{Difference, compare, tenant_policies};
use crate::engine::{RunEvent, RunReport, RunRequest, StdStream};
use crate::runner::{self, RunHandle};
use crate::ui::command::Command;
use crate::ui::loader::Module;
use crate::ui::theme::RED;
use crate::ui::theme::bytes_text;

/// The fewest and most tenants offered.
pub const TENANT_COUNTS: std::ops::RangeInclusive<usize> = 2..=8;
/// Stdout kept per tenant (the tail is what is shown and compared).
const MAX_STDOUT_BYTES: usize = 256 * 1024;
/// Lines of stdout shown per tenant.
const TAIL_LINES: usize = 8;

/// One tenant's run (or one side of a comparison).
struct Tenant {
    /// The column's heading: "Tenant 2", or "this sandbox" / "without folders".
    label: String,
    handle: Option<RunHandle>,
    stdout: Vec<u8>,
    report: Option<RunReport>,
}

/// The tenants window: how many, and the last set of runs.
pub struct TenantsState {
    /// Whether the window is shown.
    pub open: bool,
    /// How many tenants the next run starts.
    pub count: usize,
    tenants: Vec<Tenant>,
    /// Holds the tenants' folders until the next run (or the window) replaces them.
    folder: Option<tempfile::TempDir>,
    error: Option<String>,
}

impl Default for TenantsState {
    fn default() -> Self {
        Self {
            open: false,
            count: 3,
            tenants: Vec::new(),
            folder: None,
            error: None,
        }
    }
}

impl TenantsState {
    /// Whether some tenant is still running.
    pub fn is_busy(&self) -> bool {
        self.tenants.iter().any(|t| t.handle.is_some())
    }

    /// Starts `count` tenants of `module` under `policy`, each on its own worker thread.
    pub fn start(
        &mut self,
        module: &Module,
        policy: &crate::engine::SandboxPolicy,
        invocation: &crate::engine::Invocation,
        ctx: &egui::Context,
    ) {
        if !self.begin() {
            return;
        }
        let folder = match tempfile::Builder::new()
            .prefix("wasmscope-tenants")
            .tempdir()
        {
            Ok(folder) => folder,
            Err(err) => {
                self.error = Some(format!("cannot create the tenants' folder: {err:#}"));
                return;
            }
        };
        let count = self
            .count
            .clamp(*TENANT_COUNTS.start(), *TENANT_COUNTS.end());
        let policies = match tenant_policies(policy, count, folder.path()) {
            Ok(policies) => policies,
            Err(err) => {
                self.error = Some(err.to_string());
                return;
            }
        };
        let labelled = policies
            .into_iter()
            .enumerate()
            .map(|(i, policy)| (format!("Tenant {i}"), policy))
            .collect();
        self.spawn_all(module, labelled, invocation, ctx);
        self.folder = Some(folder);
    }

    /// Runs `module` under `policy` and under the same policy without its folders, side by
    /// side: what the directory grant changes.
    pub fn compare_without_folders(
        &mut self,
        module: &Module,
        policy: &crate::engine::SandboxPolicy,
        invocation: &crate::engine::Invocation,
        ctx: &egui::Context,
    ) {
        if !self.begin() {
            return;
        }
        let mut without = policy.clone();
        without.dirs.clear();
        let sides = vec![
            ("this sandbox".to_owned(), policy.clone()),
            ("without folders".to_owned(), without),
        ];
        self.spawn_all(module, sides, invocation, ctx);
    }

    /// Clears the last runs for new ones; `false` while some are still running.
    fn begin(&mut self) -> bool {
        if self.is_busy() {
            return false;
        }
        self.open = true;
        self.tenants.clear();
        self.error = None;
        true
    }

    fn spawn_all(
        &mut self,
        module: &Module,
        policies: Vec<(String, crate::engine::SandboxPolicy)>,
        invocation: &crate::engine::Invocation,
        ctx: &egui::Context,
    ) {
        for (label, policy) in policies {
            let waker = ctx.clone();
            let wake: runner::Wake = Arc::new(move || waker.request_repaint());
            let request = RunRequest {
                name: module.name.clone(),
                wasm: module.wasm.clone(),
                precompiled: module.native.as_ref().map(|n| n.origin),
                policy,
                invocation: invocation.clone(),
                info: Some(Arc::clone(&module.info)),
            };
            match runner::spawn(request, Some(wake)) {
                Ok(handle) => self.tenants.push(Tenant {
                    label,
                    handle: Some(handle),
                    stdout: Vec::new(),
                    report: None,
                }),
                Err(err) => {
                    self.error = Some(format!("cannot start a tenant's run thread: {err:#}"));
                    break;
                }
            }
        }
    }

    /// Stops every tenant still running.
    pub fn stop(&self) {
        for handle in self.tenants.iter().filter_map(|t| t.handle.as_ref()) {
            handle.cancel();
        }
    }

    /// Handles the events that wait, without blocking.
    pub fn poll(&mut self) {
        for tenant in &mut self.tenants {
            let Some(handle) = &tenant.handle else {
                continue;
            };
            // Bounded per frame, so a chatty tenant cannot starve the window.
            for _ in 0..1000 {
                match handle.events.try_recv() {
                    Ok(RunEvent::Output {
                        stream: StdStream::Stdout,
                        bytes,
                    }) => {
                        tenant.stdout.extend_from_slice(&bytes);
                        if tenant.stdout.len() > MAX_STDOUT_BYTES {
                            let cut = tenant.stdout.len() - MAX_STDOUT_BYTES;
                            tenant.stdout.drain(..cut);
                        }
                    }
                    Ok(RunEvent::Finished(report)) => {
                        tenant.report = Some(*report);
                        tenant.handle = None;
                        break;
                    }
                    Ok(_) => {}
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        tenant.report =
                            Some(RunReport::lost("the worker thread ended without a report"));
                        tenant.handle = None;
                        break;
                    }
                }
            }
        }
    }
}

/// The tenants window, when open.
pub fn tenants_window_ui(
    ctx: &egui::Context,
    state: &mut TenantsState,
    can_run: bool,
    commands: &mut Vec<Command>,
) {
    if !state.open {
        return;
    }
    let mut open = true;
    crate::ui::layout::in_window_area(egui::Window::new("Tenants"), ctx)
        .open(&mut open)
        .default_width(900.0)
        .show(ctx, |ui| {
            ui.add(
                egui::Label::new(
                    "Run tenants: several copies of the module at once, each with its own \
                     TENANT_ID and its own folder at /data, results side by side.",
                )
                .wrap(),
            );
            ui.add(
                egui::Label::new(
                    "Compare without folders: two runs, one under the Sandbox panel's policy and \
                     one under the same policy with no folders granted. What differs is shown \
                     in red: it is what the folders let the guest do (or what fails without \
                     them).",
                )
                .wrap(),
            );
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                let label = ui.label("Tenant count");
                ui.add(egui::DragValue::new(&mut state.count).range(TENANT_COUNTS))
                    .labelled_by(label.id)
                    .on_hover_text(
                        "How many copies of the module run at once (2 to 8), each with its \
                         own TENANT_ID and folder at /data",
                    );
                let busy = state.is_busy();
                if ui
                    .add_enabled(can_run && !busy, egui::Button::new("Run tenants"))
                    .on_hover_text(
                        "Run the loaded module as this many tenants at once, under the \
                         Sandbox panel's policy",
                    )
                    .clicked()
                {
                    commands.push(Command::RunTenants);
                }
                if ui
                    .add_enabled(
                        can_run && !busy,
                        egui::Button::new("Compare without folders"),
                    )
                    .on_hover_text(
                        "Run the module twice: under the Sandbox panel's policy, and under the \
                         same policy with no folders granted. Differences are in red: what \
                         the folders let the guest do.",
                    )
                    .clicked()
                {
                    commands.push(Command::CompareWithoutFolders);
                }
                if busy {
                    if ui
                        .button("Stop tenants")
                        .on_hover_text("Stop every tenant still running")
                        .clicked()
                    {
                        commands.push(Command::StopTenants);
                    }
                    ui.spinner();
                }
            });
            if let Some(error) = &state.error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            if state.tenants.is_empty() {
                return;
            }
            ui.separator();
            let stdouts: Vec<String> = state
                .tenants
                .iter()
                .map(|t| String::from_utf8_lossy(&t.stdout).into_owned())
                .collect();
            let first = state.tenants.first().and_then(|t| t.report.as_ref());
            let first_label = state
                .tenants
                .first()
                .map(|t| t.label.to_lowercase())
                .unwrap_or_default();
            let differences: Vec<Vec<Difference>> = state
                .tenants
                .iter()
                .zip(&stdouts)
                .map(|(tenant, stdout)| match (first, &tenant.report) {
                    (Some(first), Some(report)) => compare(first, report, &stdouts[0], stdout),
                    _ => Vec::new(),
                })
                .collect();
            egui::ScrollArea::vertical()
                .id_salt("tenants scroll")
                .show(ui, |ui| {
                    ui.columns(state.tenants.len(), |columns| {
                        for (i, column) in columns.iter_mut().enumerate() {
                            let (Some(tenant), Some(stdout), Some(diffs)) =
                                (state.tenants.get(i), stdouts.get(i), differences.get(i))
                            else {
                                continue;
                            };
                            tenant_ui(column, i, tenant, &first_label, stdout, diffs);
                        }
                    });
                });
        });
    if !open {
        state.stop();
        state.open = false;
    }
}

fn tenant_ui(
    ui: &mut egui::Ui,
    index: usize,
    tenant: &Tenant,
    first_label: &str,
    stdout: &str,
    diffs: &[Difference],
) {
    ui.strong(&tenant.label);
    let Some(report) = &tenant.report else {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label("running…");
        });
        return;
    };
    let differs = |aspect: &str| diffs.iter().any(|d| d.aspect == aspect);
    let line = |ui: &mut egui::Ui, text: String, aspect: &str| {
        if differs(aspect) {
            ui.label(RichText::new(text).color(RED))
                .on_hover_text(format!("Differs from {first_label}"));
        } else {
            ui.label(text);
        }
    };
    line(ui, report.outcome.summary(), "outcome");
    line(ui, format!("denials: {}", report.denials_total), "denials");
    line(
        ui,
        format!("peak memory {}", bytes_text(report.stats.peak_memory_bytes)),
        "peak memory",
    );
    ui.add_space(4.0);
    let lines: Vec<&str> = stdout.lines().collect();
    let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
    let color = differs("stdout").then_some(RED);
    for text in tail {
        let text = RichText::new(*text).monospace();
        ui.label(match color {
            Some(c) => text.color(c),
            None => text,
        });
    }
    if index > 0 {
        ui.add_space(4.0);
        if diffs.is_empty() {
            ui.weak(format!("same as {first_label}"));
        } else {
            let aspects: Vec<&str> = diffs.iter().map(|d| d.aspect.as_str()).collect();
            let detail: Vec<String> = diffs
                .iter()
                .map(|d| {
                    format!(
                        "{}:\n  {first_label}: {}\n  {}: {}",
                        d.aspect, d.left, tenant.label, d.right
                    )
                })
                .collect();
            ui.colored_label(
                RED,
                format!("differs from {first_label}: {}", aspects.join(", ")),
            )
            .on_hover_text(detail.join("\n"));
        }
    }
}
