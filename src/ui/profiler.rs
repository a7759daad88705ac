//! Where the time goes: the guest profile as an icicle flame graph (hover for total, self and
//! share; click to zoom into a subtree; double-click to open the function's code) and a
//! sortable table of functions, in a window of its own. It shows the live profile while a
//! profiled run goes on (refreshed about once a second) and the final one after, also for a
//! run that timed out or was stopped.

use std::path::PathBuf;

use eframe::egui;
use egui::{Color32, RichText, Sense};
use egui_extras::{Column, TableBuilder};

use crate::engine::FrameInfo;
use crate::engine::profiler::{DEFAULT_INTERVAL_MS, FrameKind, GuestProfile, MAX_INTERVAL_MS};
use crate::ui::command::Command;
use crate::ui::job::{Job, take_result};
use crate::ui::prompt::{PathChooser, PathFieldText};
use crate::ui::theme::bytes_text;

const PROFILE_TIP: &str = "Sample the guest's stack at a steady interval while it runs and show \
    where its time goes: a flame graph and a table of functions, live and after the run (also \
    when it times out or is stopped). Time in host calls (fd_write, poll_oneoff…) shows as its \
    own frames. File > Save profile… writes it for the Firefox Profiler.";

/// The Profile switch's tooltip when Debug is on: the engine's own reason (the CLI says the
/// same).
fn exclusive_with_debug_tip() -> String {
    format!(
        "Off in debug mode: {}.",
        crate::engine::run::PROFILE_WITH_DEBUG
    )
}

/// The save path field, when no save dialog can be shown.
const SAVE_FIELD: PathFieldText = PathFieldText {
    title: "Save the guest profile",
    label: "Profile path",
    hint: "/path/to/profile.json",
    action: "Save",
};

/// Which column orders the functions table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    /// Self samples, most first.
    #[default]
    SelfSamples,
    /// Total samples, most first.
    TotalSamples,
    /// Name, A to Z.
    Name,
}

/// The profile window's state: the view is reset for each run, the window stays open.
/// A click on the flame graph that a second one may turn into a double-click.
#[derive(Clone, Copy)]
struct LastClick {
    /// The bar it landed on.
    node: u32,
    /// The zoom before it.
    zoom: u32,
    /// How many rows the graph had: it keeps them until the double-click could come, so a
    /// zoom that leaves fewer rows does not move the graph out from under the pointer.
    rows: usize,
    /// When (egui's input time, seconds).
    at: f64,
}

#[derive(Default)]
pub struct ProfilerView {
    /// Whether the window is shown.
    pub open: bool,
    /// The call-tree node the flame graph is zoomed into (0: all samples).
    zoom: u32,
    /// The last click, while a second one would make it a double-click: a double-click's
    /// first click zooms and moves the bars, so the second must open what the first one hit.
    last_click: Option<LastClick>,
    sort: SortBy,
    /// The save dialog, or its path field when there is no dialog.
    chooser: PathChooser<()>,
    /// The profile waiting for its save dialog, and the module's name.
    waiting: Option<(GuestProfile, String)>,
    /// Writing the file: the line to show, and whether it failed.
    job: Option<Job<(bool, String)>>,
    message: Option<(bool, String)>,
}

impl ProfilerView {
    /// A new run starts: forget the zoom, and show the window if the run is profiled.
    pub fn run_started(&mut self, profiled: bool) {
        self.zoom = 0;
        self.last_click = None;
        self.message = None;
        if profiled {
            self.open = true;
        }
    }

    /// Whether a save is in progress (for tests that wait).
    pub fn is_busy(&self) -> bool {
        self.job.is_some() || self.chooser.is_waiting()
    }

    /// Handles an answered dialog and a finished save.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(((), path)) = self.chooser.poll()
            && let Some((profile, module)) = self.waiting.take()
        {
            self.write(profile, module, path, ctx);
        }
        match take_result(&mut self.job) {
            Some(Ok((false, line))) => {
                self.chooser.close_field();
                self.message = Some((false, line));
            }
            Some(Ok((true, line))) => self.message = Some((true, line)),
            Some(Err(lost)) => self.message = Some((true, lost.to_string())),
            None => {}
        }
    }

    /// Writes `profile` in the Firefox Profiler's format to `path`, or where a save dialog
    /// says when `path` is `None`.
    pub fn save(
        &mut self,
        profile: GuestProfile,
        module: String,
        path: Option<PathBuf>,
        ctx: &egui::Context,
    ) {
        if self.is_busy() {
            return;
        }
        self.open = true;
        match path {
            Some(path) => self.write(profile, module, path, ctx),
            None => {
                // The dialog is built here: some platforms want that on the main thread.
                let pick = rfd::AsyncFileDialog::new()
                    .set_title("Save the guest profile")
                    .set_file_name(format!("{module}.profile.json"))
                    .add_filter("Firefox Profiler JSON", &["json"])
                    .save_file();
                self.waiting = Some((profile, module));
                self.chooser.start((), pick, ctx);
            }
        }
    }

    fn write(&mut self, profile: GuestProfile, module: String, path: PathBuf, ctx: &egui::Context) {
        let label = format!("saving the profile to {}", path.display());
        match Job::spawn("files", label, ctx, move || {
            match write_profile(&profile, &module, &path) {
                Ok(line) => (false, line),
                Err(line) => (true, line),
            }
        }) {
            Ok(job) => self.job = Some(job),
            Err(err) => {
                self.message = Some((true, format!("cannot start the file thread: {err:#}")));
            }
        }
    }
}

fn write_profile(
    profile: &GuestProfile,
    module: &str,
    path: &std::path::Path,
) -> Result<String, String> {
    let json = profile
        .firefox_json(module)
        .map_err(|err| format!("cannot write the profile: {err:#}"))?;
    std::fs::write(path, &json)
        .map_err(|err| format!("cannot save the profile: {err:#}: {}", path.display()))?;
    Ok(format!(
        "Saved the profile ({}) to {}; open it at profiler.firefox.com",
        bytes_text(json.len() as u64),
        path.display()
    ))
}

/// The Profile switch and its interval, as a row of the sandbox panel's limits grid.
/// `debug_mode`: debug mode is on, so Profile is off limits (the engine refuses both).
pub fn profile_row_ui(ui: &mut egui::Ui, interval_ms: &mut Option<u64>, debug_mode: bool) {
    if debug_mode {
        *interval_ms = None;
    }
    ui.label("Profile").on_hover_text(PROFILE_TIP);
    ui.horizontal(|ui| {
        let mut on = interval_ms.is_some();
        let switch = ui
            .add_enabled(
                !debug_mode,
                egui::Checkbox::new(&mut on, "Profile the guest"),
            )
            .on_hover_text(PROFILE_TIP)
            .on_disabled_hover_text(exclusive_with_debug_tip());
        if switch.changed() {
            *interval_ms = on.then_some(DEFAULT_INTERVAL_MS);
        }
        if let Some(every) = interval_ms {
            ui.label("every");
            ui.add(
                egui::DragValue::new(every)
                    .range(1..=MAX_INTERVAL_MS)
                    .suffix(" ms"),
            )
            .on_hover_text("How often the stack is sampled (1 ms at the finest).");
        }
    });
}

/// The profile window: the live profile of the run in progress, else the last run's.
pub fn profiler_window_ui(
    ctx: &egui::Context,
    view: &mut ProfilerView,
    profile: Option<&GuestProfile>,
    live: bool,
    commands: &mut Vec<Command>,
) {
    if !view.open {
        return;
    }
    let mut open = true;
    let screen = crate::ui::layout::window_area(ctx);
    let width = (screen.width() - 300.0).clamp(420.0, 880.0);
    crate::ui::layout::in_window_area(egui::Window::new("Guest profile"), ctx)
        .open(&mut open)
        .default_size([width, 480.0])
        // Over the module panel, clear of the toolbar and the sandbox panel.
        .default_pos([screen.right() - width - 12.0, screen.top() + 8.0])
        .resizable(true)
        .show(ctx, |ui| match profile {
            Some(profile) => profile_ui(ui, view, profile, live, commands),
            None => {
                if live {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Collecting samples; the first profile shows within a second.");
                    });
                } else {
                    ui.weak(
                        "No profile yet. Turn on Profile in the Sandbox panel and run the module.",
                    );
                }
            }
        });
    if !open {
        view.open = false;
    }
}

fn duration_text(profile: &GuestProfile, samples: u64) -> String {
    let ms = samples * profile.interval_ms;
    if ms >= 1000 {
        format!("{:.2} s", ms as f64 / 1000.0)
    } else {
        format!("{ms} ms")
    }
}

fn profile_ui(
    ui: &mut egui::Ui,
    view: &mut ProfilerView,
    profile: &GuestProfile,
    live: bool,
    commands: &mut Vec<Command>,
) {
    ui.horizontal_wrapped(|ui| {
        if live {
            ui.spinner();
        }
        ui.strong(format!(
            "{} samples, one every {} ms ({})",
            profile.samples,
            profile.interval_ms,
            duration_text(profile, profile.samples)
        ));
        if live {
            ui.weak("live: refreshed every second");
        } else if ui
            .button("Save profile…")
            .on_hover_text("Write the profile in the Firefox Profiler's format.")
            .clicked()
        {
            commands.push(Command::SaveGuestProfile(None));
        }
    });
    if profile.timeline_samples < profile.samples && !live {
        ui.weak(format!(
            "The saved profile's timeline keeps the first {} samples; the flame graph, the \
             table and the saved call tree count all {}.",
            profile.timeline_samples, profile.samples
        ));
    }
    if profile.merged_samples > 0 {
        ui.weak(format!(
            "{} samples had stacks past the call tree's limit and are counted at a shallower \
             frame.",
            profile.merged_samples
        ));
    }
    if profile.deep_samples > 0 {
        ui.weak(format!(
            "{} samples had stacks deeper than {} frames after folding recursion: their middle \
             frames are folded into one.",
            profile.deep_samples,
            crate::engine::profiler::MAX_TREE_DEPTH
        ));
    }
    save_ui(ui, view, commands);
    if view.zoom as usize >= profile.nodes.len() {
        view.zoom = 0;
    }
    breadcrumb_ui(ui, view, profile);
    let graph_height = (ui.available_height() * 0.55).max(120.0);
    egui::ScrollArea::vertical()
        .id_salt("flame graph scroll")
        .max_height(graph_height)
        .auto_shrink([false, true])
        .show(ui, |ui| flame_graph_ui(ui, view, profile, commands));
    ui.separator();
    functions_table_ui(ui, view, profile, commands);
}

fn save_ui(ui: &mut egui::Ui, view: &mut ProfilerView, commands: &mut Vec<Command>) {
    if view.is_busy() {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.weak("saving the profile…");
        });
    }
    let busy = view.job.is_some();
    if let Some(((), path)) = view.chooser.field_ui(ui, &SAVE_FIELD, !busy) {
        commands.push(Command::SaveGuestProfile(Some(path)));
    }
    if let Some((failed, message)) = &view.message {
        if *failed {
            ui.colored_label(ui.visuals().error_fg_color, message);
        } else {
            ui.weak(message);
        }
    }
}

fn breadcrumb_ui(ui: &mut egui::Ui, view: &mut ProfilerView, profile: &GuestProfile) {
    let mut path = Vec::new();
    let mut node = view.zoom;
    while node != 0 {
        path.push(node);
        node = profile.nodes.get(node as usize).map_or(0, |n| n.parent);
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .selectable_label(view.zoom == 0, "all samples")
            .on_hover_text("Zoom out to the whole profile.")
            .clicked()
        {
            view.zoom = 0;
        }
        for &node in path.iter().rev() {
            ui.weak(">");
            if ui
                .selectable_label(view.zoom == node, profile.node_label(node))
                .clicked()
            {
                view.zoom = node;
            }
        }
        ui.weak("(click a bar to zoom in, double-click to open its code)");
    });
}

/// A bar of the flame graph.
struct Bar {
    node: u32,
    depth: usize,
    x: f32,
    width: f32,
}

/// Bars narrower than this are not drawn (their time is in their parent's width).
const MIN_BAR_WIDTH: f32 = 0.5;
const ROW_HEIGHT: f32 = 20.0;

fn layout(profile: &GuestProfile, root: u32, width: f32) -> Vec<Bar> {
    let total = profile
        .nodes
        .get(root as usize)
        .map_or(0, |n| n.total_samples)
        .max(1) as f32;
    let mut bars = Vec::new();
    let mut stack = vec![(root, 0usize, 0.0f32)];
    while let Some((node, depth, x)) = stack.pop() {
        let Some(n) = profile.nodes.get(node as usize) else {
            continue;
        };
        let bar_width = n.total_samples as f32 / total * width;
        if bar_width < MIN_BAR_WIDTH {
            continue;
        }
        bars.push(Bar {
            node,
            depth,
            x,
            width: bar_width,
        });
        let mut child_x = x;
        for child in profile.children(node) {
            let child_width = profile
                .nodes
                .get(child as usize)
                .map_or(0.0, |c| c.total_samples as f32 / total * width);
            stack.push((child, depth + 1, child_x));
            child_x += child_width;
        }
    }
    bars
}

fn bar_color(profile: &GuestProfile, node: u32, dark: bool) -> Color32 {
    let Some(function) = profile.function_of(node) else {
        return if dark {
            Color32::from_gray(90)
        } else {
            Color32::from_gray(200)
        };
    };
    match function.kind {
        FrameKind::Host => Color32::from_rgb(90, 150, 230),
        FrameKind::Elided => Color32::from_gray(150),
        FrameKind::Wasm => {
            // A stable warm colour per name, so a function keeps its colour across runs.
            let hash = function.name.bytes().fold(2166136261u32, |h, b| {
                (h ^ u32::from(b)).wrapping_mul(16777619)
            });
            let t = (hash % 1000) as f32 / 1000.0;
            Color32::from_rgb(
                230,
                (90.0 + 120.0 * t) as u8,
                (40.0 + 40.0 * (1.0 - t)) as u8,
            )
        }
    }
}

fn tooltip_ui(ui: &mut egui::Ui, profile: &GuestProfile, node: u32) {
    let Some(n) = profile.nodes.get(node as usize) else {
        return;
    };
    let label = profile.node_label(node);
    match profile.function_of(node) {
        Some(function) => {
            let kind = match (function.kind, function.func_index) {
                (FrameKind::Host, _) => " (host call)".to_owned(),
                (_, Some(index)) => format!(" (func {index})"),
                _ => String::new(),
            };
            ui.strong(format!("{label}{kind}"));
        }
        None => {
            ui.strong(label);
        }
    }
    ui.label(format!(
        "total: {} samples, {} — {:.1}% share",
        n.total_samples,
        duration_text(profile, n.total_samples),
        profile.percent(n.total_samples)
    ));
    ui.label(format!(
        "self: {} samples, {} — {:.1}% share",
        n.self_samples,
        duration_text(profile, n.self_samples),
        profile.percent(n.self_samples)
    ));
}

/// A function's start, for the code view (no instruction to mark).
fn code_frame(name: &str, func_index: u32) -> FrameInfo {
    FrameInfo {
        func_index,
        func_name: Some(name.to_owned()),
        module_offset: None,
        source: None,
        state: None,
    }
}

fn open_code(profile: &GuestProfile, node: u32, commands: &mut Vec<Command>) {
    if let Some(function) = profile.function_of(node)
        && let Some(func_index) = function.func_index
    {
        commands.push(Command::ShowCode(code_frame(&function.name, func_index)));
    }
}

fn flame_graph_ui(
    ui: &mut egui::Ui,
    view: &mut ProfilerView,
    profile: &GuestProfile,
    commands: &mut Vec<Command>,
) {
    let width = ui.available_width().max(100.0);
    let bars = layout(profile, view.zoom, width);
    let now = ui.input(|i| i.time);
    // Past the double-click delay a click is only a click.
    let double_click_delay = ui.options(|o| o.input_options.max_double_click_delay);
    if view
        .last_click
        .is_some_and(|click| now - click.at > double_click_delay)
    {
        view.last_click = None;
    }
    let depth = bars.iter().map(|b| b.depth + 1).max().unwrap_or(1);
    let rows = depth.max(view.last_click.map_or(0, |click| click.rows));
    let (rect, response) =
        ui.allocate_exact_size(egui::vec2(width, rows as f32 * ROW_HEIGHT), Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Flame graph"));
    let bar_rect = |bar: &Bar| {
        egui::Rect::from_min_size(
            rect.min + egui::vec2(bar.x, bar.depth as f32 * ROW_HEIGHT),
            egui::vec2(bar.width, ROW_HEIGHT - 1.0),
        )
    };
    let painter = ui.painter_at(rect);
    let dark = ui.visuals().dark_mode;
    let font = egui::FontId::proportional(12.0);
    let under = |pos: Option<egui::Pos2>| {
        pos.and_then(|pos| bars.iter().find(|bar| bar_rect(bar).contains(pos)))
    };
    let hovered = under(response.hover_pos()).map(|bar| bar.node);
    for bar in &bars {
        let r = bar_rect(bar);
        let mut fill = bar_color(profile, bar.node, dark);
        if hovered == Some(bar.node) {
            fill = fill.gamma_multiply(0.75);
        }
        painter.rect_filled(r.shrink2(egui::vec2(0.5, 0.0)), 2.0, fill);
        if r.width() > 28.0 {
            painter.with_clip_rect(r.shrink(2.0)).text(
                r.left_center() + egui::vec2(4.0, 0.0),
                egui::Align2::LEFT_CENTER,
                profile.node_label(bar.node),
                font.clone(),
                Color32::BLACK,
            );
        }
    }
    let clicked = under(response.interact_pointer_pos()).map(|bar| bar.node);
    if response.double_clicked() {
        // The bar under the first click, where the graph was before that click zoomed it.
        let first = view.last_click.take();
        if let Some(LastClick { node, zoom, .. }) = first {
            view.zoom = zoom;
            open_code(profile, node, commands);
        } else if let Some(node) = clicked {
            open_code(profile, node, commands);
        }
    } else if response.clicked()
        && let Some(node) = clicked
    {
        view.last_click = Some(LastClick {
            node,
            zoom: view.zoom,
            rows: depth,
            at: now,
        });
        // Clicking the bar zoomed into zooms back out one level.
        view.zoom = if node == view.zoom {
            profile.nodes.get(node as usize).map_or(0, |n| n.parent)
        } else {
            node
        };
    }
    if let Some(node) = hovered {
        response.on_hover_ui_at_pointer(|ui| tooltip_ui(ui, profile, node));
    }
}

fn functions_table_ui(
    ui: &mut egui::Ui,
    view: &mut ProfilerView,
    profile: &GuestProfile,
    commands: &mut Vec<Command>,
) {
    let mut rows: Vec<_> = profile.functions.iter().collect();
    match view.sort {
        SortBy::SelfSamples => rows = GuestProfile::ranked(&profile.functions),
        SortBy::TotalSamples => rows.sort_by(|a, b| {
            (b.total_samples, b.self_samples).cmp(&(a.total_samples, a.self_samples))
        }),
        SortBy::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
    let mut sort_header = |ui: &mut egui::Ui, sort: SortBy, text: &str| {
        let arrow = if view.sort == sort { " (sorted)" } else { "" };
        if ui
            .selectable_label(
                view.sort == sort,
                RichText::new(format!("{text}{arrow}")).strong(),
            )
            .on_hover_text(format!("Sort by {}", text.to_lowercase()))
            .clicked()
        {
            view.sort = sort;
        }
    };
    TableBuilder::new(ui)
        .id_salt("profile functions")
        .striped(true)
        .auto_shrink([false, true])
        .column(Column::remainder().at_least(160.0).clip(true))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(60.0))
        .column(Column::auto().at_least(70.0))
        .column(Column::auto().at_least(60.0))
        .header(row_height, |mut header| {
            header.col(|ui| sort_header(ui, SortBy::Name, "Function"));
            header.col(|ui| sort_header(ui, SortBy::SelfSamples, "Self"));
            header.col(|ui| {
                ui.strong("Self %");
            });
            header.col(|ui| sort_header(ui, SortBy::TotalSamples, "Total"));
            header.col(|ui| {
                ui.strong("Total %");
            });
        })
        .body(|body| {
            body.rows(row_height, rows.len(), |mut row| {
                let Some(function) = rows.get(row.index()) else {
                    return;
                };
                row.col(|ui| {
                    let text = match function.kind {
                        FrameKind::Host => RichText::new(format!("{} (host)", function.name)),
                        FrameKind::Elided => RichText::new(&function.name).weak(),
                        FrameKind::Wasm => RichText::new(&function.name),
                    }
                    .monospace();
                    match function.func_index {
                        Some(func_index) => {
                            if ui
                                .link(text)
                                .on_hover_text("Show this function's code.")
                                .clicked()
                            {
                                commands.push(Command::ShowCode(code_frame(
                                    &function.name,
                                    func_index,
                                )));
                            }
                        }
                        None => {
                            ui.label(text);
                        }
                    }
                });
                row.col(|ui| {
                    ui.monospace(function.self_samples.to_string());
                });
                row.col(|ui| {
                    ui.monospace(format!("{:.1}%", profile.percent(function.self_samples)));
                });
                row.col(|ui| {
                    ui.monospace(function.total_samples.to_string());
                });
                row.col(|ui| {
                    ui.monospace(format!("{:.1}%", profile.percent(function.total_samples)));
                });
            });
        });
}

/// Whether the profile has anything to save (for the menu).
pub fn can_save(profile: Option<&GuestProfile>) -> bool {
    profile.is_some_and(|p| p.samples > 0)
}
