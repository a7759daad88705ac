//! The module panel: what the loaded module is, what it asks of the host, and what it offers.

use eframe::egui;
use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::engine::ModuleInfo;
use crate::engine::module::inspect::{ExportInfo, ImportInfo, ModuleKind, ModuleStyle};
use crate::ui::loader::Module;
use crate::ui::theme::RED;
use crate::ui::theme::bytes_text;
use crate::ui::theme::callout_ui;

/// Which part of the module is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tab {
    /// Kind, capabilities, unresolved imports, producers.
    #[default]
    Overview,
    /// The imports table.
    Imports,
    /// The exports table.
    Exports,
    /// Memories, tables and custom sections.
    Sections,
}

/// A sortable, filterable table's state.
#[derive(Debug, Default)]
pub struct TableState {
    /// Rows containing this text (in any column) are shown.
    pub filter: String,
    /// The column sorted by, if any, and whether descending.
    pub sort: Option<(usize, bool)>,
    /// Row order, rebuilt only when the module, filter or sort changes.
    cache: Option<RowOrder>,
}

/// A table's cached row order and what it was computed for.
#[derive(Debug)]
struct RowOrder {
    generation: u64,
    filter: String,
    sort: Option<(usize, bool)>,
    rows: Vec<usize>,
}

/// The module panel's state.
#[derive(Debug, Default)]
pub struct ModuleView {
    /// The tab shown.
    pub tab: Tab,
    /// The imports table.
    pub imports: TableState,
    /// The exports table.
    pub exports: TableState,
}

fn badge(ui: &mut egui::Ui, text: &str, tip: &str) {
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .stroke(ui.visuals().widgets.noninteractive.bg_stroke)
        .corner_radius(4.0)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| {
            ui.label(RichText::new(text).small().strong());
        })
        .response
        .on_hover_text(tip);
}

/// The module panel, or how to open one.
pub fn module_ui(
    ui: &mut egui::Ui,
    module: Option<&Module>,
    generation: u64,
    view: &mut ModuleView,
) {
    let Some(module) = module else {
        empty_ui(ui);
        return;
    };
    let info = &module.info;
    header_ui(ui, module);
    ui.separator();
    ui.horizontal(|ui| {
        ui.selectable_value(&mut view.tab, Tab::Overview, "Overview");
        ui.selectable_value(
            &mut view.tab,
            Tab::Imports,
            format!("Imports ({})", info.imports.len()),
        );
        ui.selectable_value(
            &mut view.tab,
            Tab::Exports,
            format!("Exports ({})", info.exports.len()),
        );
        ui.selectable_value(&mut view.tab, Tab::Sections, "Memory and sections");
    });
    ui.add_space(2.0);
    match view.tab {
        Tab::Overview => {
            egui::ScrollArea::vertical()
                .id_salt("overview scroll")
                .auto_shrink([false, false])
                .show(ui, |ui| overview_ui(ui, info));
        }
        Tab::Imports => imports_ui(ui, &info.imports, info, generation, &mut view.imports),
        Tab::Exports => exports_ui(ui, &info.exports, generation, &mut view.exports),
        Tab::Sections => {
            egui::ScrollArea::vertical()
                .id_salt("sections scroll")
                .auto_shrink([false, false])
                .show(ui, |ui| sections_ui(ui, info));
        }
    }
}

fn empty_ui(ui: &mut egui::Ui) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        ui.heading("No module loaded");
        ui.label("Open a .wasm or .wat file (Ctrl+O), drop one on this window, or pick a sample from the Samples menu.");
    });
}

fn header_ui(ui: &mut egui::Ui, module: &Module) {
    let info = &module.info;
    ui.horizontal_wrapped(|ui| {
        ui.heading(RichText::new(&module.name).strong());
        let (kind, kind_tip) = match info.kind {
            ModuleKind::CoreModule => ("core module", "A core WebAssembly module."),
            ModuleKind::Component => (
                "component",
                "A component-model component: runs as a wasi:cli command, or call one export with WAVE arguments.",
            ),
            ModuleKind::Invalid => ("invalid", "Not a valid module: see the error below."),
            ModuleKind::Precompiled => (
                "native code",
                "Precompiled machine code (a .cwasm), not WebAssembly: wasmtime loads it without \
                 validating it.",
            ),
        };
        badge(ui, kind, kind_tip);
        if info.kind == ModuleKind::CoreModule {
            let (style, tip) = match info.style {
                ModuleStyle::Command => (
                    "command",
                    "Exports _start: runs like a program, from start to exit.",
                ),
                ModuleStyle::Reactor => (
                    "reactor",
                    "No _start: exports functions for the host to call (pick one under Entry point).",
                ),
                ModuleStyle::Library => ("library", "Exports no functions: nothing to run."),
            };
            badge(ui, style, tip);
        }
        badge(
            ui,
            &bytes_text(info.size_bytes),
            "Size of the binary module (text is converted to binary on load).",
        );
        if module.from_text {
            badge(ui, "from text", "The file is WebAssembly text (.wat), converted on load.");
        }
    });
    if let Some(path) = &module.path {
        ui.add(
            egui::Label::new(RichText::new(path.display().to_string()).weak().small()).truncate(),
        );
    }
    if let Some(native) = &module.native {
        // wasmtime cannot verify machine code the way it validates wasm: say who vouches.
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "Precompiled machine code: loaded as native code because you chose to",
        )
        .on_hover_text(format!(
            "A .cwasm is native code that wasmtime loads without validating it as wasm. This \
             one was {}.",
            native.origin.describe()
        ));
    }
}

fn overview_ui(ui: &mut egui::Ui, info: &ModuleInfo) {
    if let Some(error) = &info.error {
        callout_ui(ui, RED, |ui| {
            ui.strong("This is not a valid WebAssembly module");
            ui.label(error.to_string());
            ui.weak("What is shown below was read before the error. The module cannot run.");
        });
        ui.add_space(6.0);
    }

    if !info.unresolved.is_empty() {
        callout_ui(ui, RED, |ui| {
            ui.strong(format!(
                "{} import{} cannot be satisfied: the run will fail to link",
                info.unresolved.len(),
                if info.unresolved.len() == 1 { "" } else { "s" }
            ));
            for import in &info.unresolved {
                ui.label(
                    RichText::new(format!(
                        "{}::{} ({})",
                        import.module, import.name, import.kind
                    ))
                    .monospace()
                    .color(RED),
                );
                ui.indent(("unresolved", &import.module, &import.name), |ui| {
                    ui.label(&import.reason);
                });
            }
        });
        ui.add_space(6.0);
    }

    // The one-line summary and the facts come first: they fit the panel's default height;
    // the capability explanations below may need scrolling.
    ui.strong("Capabilities");
    if info.wasi.capabilities.is_empty() {
        ui.label("This module imports nothing from WASI: it cannot print, read files, see the time or the environment. It can only compute.");
        ui.add_space(4.0);
        facts_ui(ui, info);
    } else {
        let labels: Vec<&str> = info
            .wasi
            .capabilities
            .iter()
            .map(|c| c.capability.label())
            .collect();
        ui.label(format!("This module can ask for: {}", labels.join(", ")));
        ui.add_space(4.0);
        facts_ui(ui, info);
        ui.add_space(8.0);
        ui.strong("What each capability means");
        egui::Grid::new("capabilities")
            .num_columns(2)
            .striped(true)
            .spacing([12.0, 4.0])
            .show(ui, |ui| {
                for group in &info.wasi.capabilities {
                    ui.label(RichText::new(group.capability.label()).strong())
                        .on_hover_text(group.functions.join("\n"));
                    ui.vertical(|ui| {
                        ui.label(group.capability.explain());
                        ui.label(
                            RichText::new(group.functions.join(", "))
                                .monospace()
                                .weak()
                                .small(),
                        );
                    });
                    ui.end_row();
                }
            });
        ui.weak(format!(
            "WASI interfaces: {}",
            info.wasi.interfaces.join(", ")
        ));
    }
    ui.add_space(8.0);

    if !info.producers.is_empty() {
        ui.add_space(8.0);
        ui.strong("Producers");
        egui::Grid::new("producers")
            .num_columns(2)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                for field in &info.producers {
                    ui.label(&field.field);
                    let values: Vec<String> = field
                        .values
                        .iter()
                        .map(|(name, version)| format!("{name} {version}").trim().to_owned())
                        .collect();
                    ui.label(values.join(", "));
                    ui.end_row();
                }
            });
    }
}

fn facts_ui(ui: &mut egui::Ui, info: &ModuleInfo) {
    ui.strong("Facts");
    egui::Grid::new("facts")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            ui.label("Defined functions");
            ui.label(info.defined_functions.to_string());
            ui.end_row();
            ui.label("Imports / exports");
            ui.label(format!("{} / {}", info.imports.len(), info.exports.len()));
            ui.end_row();
            ui.label("Memories / tables / globals");
            ui.label(format!(
                "{} / {} / {}",
                info.memories.len(),
                info.tables.len(),
                info.globals
            ));
            ui.end_row();
            if let Some(start) = info.start_function {
                ui.label("Start function");
                ui.label(format!("func {start} (runs at instantiation)"));
                ui.end_row();
            }
            ui.label("Names");
            ui.label(if info.has_name_section {
                "name section present: backtraces show function names"
            } else {
                "no name section: backtraces show only indices"
            });
            ui.end_row();
            ui.label("Debug info");
            ui.add(egui::Label::new(info.dwarf_text()).wrap());
            ui.end_row();
            for nested in &info.nested {
                ui.label(format!("Nested {}", nested.kind));
                ui.label(bytes_text(nested.size_bytes));
                ui.end_row();
            }
        });
}

fn filter_ui(ui: &mut egui::Ui, state: &mut TableState, shown: usize, total: usize) {
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        ui.add(
            egui::TextEdit::singleline(&mut state.filter)
                .hint_text("name, module or type")
                .desired_width(200.0),
        )
        .labelled_by(label.id);
        if shown != total {
            ui.weak(format!("{shown} of {total}"));
        }
    });
}

/// Row order for `rows`, filtered and sorted, cached until the inputs change.
fn row_order<T>(
    state: &mut TableState,
    generation: u64,
    rows: &[T],
    cells: impl Fn(&T) -> Vec<String>,
) -> Vec<usize> {
    if let Some(cached) = &state.cache
        && cached.generation == generation
        && cached.filter == state.filter
        && cached.sort == state.sort
    {
        return cached.rows.clone();
    }
    let needle = state.filter.to_lowercase();
    let keyed: Vec<(usize, Vec<String>)> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| (i, cells(row)))
        .filter(|(_, cells)| {
            needle.is_empty() || cells.iter().any(|c| c.to_lowercase().contains(&needle))
        })
        .collect();
    let mut keyed = keyed;
    if let Some((column, descending)) = state.sort {
        keyed.sort_by(|a, b| {
            let ord = a.1.get(column).cmp(&b.1.get(column));
            if descending { ord.reverse() } else { ord }
        });
    }
    let order: Vec<usize> = keyed.into_iter().map(|(i, _)| i).collect();
    state.cache = Some(RowOrder {
        generation,
        filter: state.filter.clone(),
        sort: state.sort,
        rows: order.clone(),
    });
    order
}

fn sort_header(ui: &mut egui::Ui, state: &mut TableState, column: usize, title: &str) {
    // The arrows are in the monospace font (Hack); the proportional one has none.
    let arrow = match state.sort {
        Some((c, false)) if c == column => "▲",
        Some((c, true)) if c == column => "▼",
        _ => "",
    };
    if ui
        .add(
            egui::Button::new((
                RichText::new(title).strong(),
                RichText::new(arrow).monospace().small(),
            ))
            .frame(false),
        )
        .on_hover_text("Sort by this column (click again to reverse)")
        .clicked()
    {
        state.sort = match state.sort {
            Some((c, false)) if c == column => Some((column, true)),
            Some((c, true)) if c == column => None,
            _ => Some((column, false)),
        };
    }
}

fn import_cells(import: &ImportInfo) -> Vec<String> {
    vec![
        import.module.clone(),
        import.name.clone(),
        import.kind.to_string(),
        import.ty.clone(),
    ]
}

fn imports_ui(
    ui: &mut egui::Ui,
    imports: &[ImportInfo],
    info: &ModuleInfo,
    generation: u64,
    state: &mut TableState,
) {
    if imports.is_empty() {
        ui.weak("This module imports nothing: the host gives it no functions at all.");
        return;
    }
    let order = row_order(state, generation, imports, import_cells);
    filter_ui(ui, state, order.len(), imports.len());
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 6.0;
    TableBuilder::new(ui)
        .id_salt("imports table")
        .striped(true)
        .resizable(true)
        .auto_shrink([false, false])
        .column(Column::initial(170.0).at_least(60.0).clip(true))
        .column(Column::initial(150.0).at_least(60.0).clip(true))
        .column(Column::initial(60.0).at_least(40.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(row_height + 2.0, |mut header| {
            for (column, title) in ["Module", "Name", "Kind", "Type"].into_iter().enumerate() {
                header.col(|ui| sort_header(ui, state, column, title));
            }
        })
        .body(|body| {
            body.rows(row_height, order.len(), |mut row| {
                let Some(import) = order.get(row.index()).and_then(|&i| imports.get(i)) else {
                    return;
                };
                let unresolved = info
                    .unresolved
                    .iter()
                    .find(|u| u.module == import.module && u.name == import.name);
                let color = unresolved.map(|_| RED);
                let text = |s: &str| {
                    let text = RichText::new(s).monospace();
                    match color {
                        Some(c) => text.color(c),
                        None => text,
                    }
                };
                row.col(|ui| {
                    ui.label(text(&import.module));
                });
                row.col(|ui| {
                    let response = ui.label(text(&import.name));
                    if let Some(u) = unresolved {
                        response.on_hover_text(format!("Cannot be satisfied: {}", u.reason));
                    }
                });
                row.col(|ui| {
                    ui.label(import.kind.to_string());
                });
                row.col(|ui| {
                    ui.label(text(&import.ty)).on_hover_text(&import.ty);
                });
            });
        });
}

fn export_cells(export: &ExportInfo) -> Vec<String> {
    vec![
        export.name.clone(),
        export.kind.to_string(),
        format!("{:010}", export.index),
        export.ty.clone(),
    ]
}

fn exports_ui(ui: &mut egui::Ui, exports: &[ExportInfo], generation: u64, state: &mut TableState) {
    if exports.is_empty() {
        ui.weak("This module exports nothing: there is nothing to call.");
        return;
    }
    let order = row_order(state, generation, exports, export_cells);
    filter_ui(ui, state, order.len(), exports.len());
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace) + 6.0;
    TableBuilder::new(ui)
        .id_salt("exports table")
        .striped(true)
        .resizable(true)
        .auto_shrink([false, false])
        .column(Column::initial(200.0).at_least(60.0).clip(true))
        .column(Column::initial(60.0).at_least(40.0))
        .column(Column::initial(60.0).at_least(40.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(row_height + 2.0, |mut header| {
            for (column, title) in ["Name", "Kind", "Index", "Type"].into_iter().enumerate() {
                header.col(|ui| sort_header(ui, state, column, title));
            }
        })
        .body(|body| {
            body.rows(row_height, order.len(), |mut row| {
                let Some(export) = order.get(row.index()).and_then(|&i| exports.get(i)) else {
                    return;
                };
                row.col(|ui| {
                    ui.label(RichText::new(&export.name).monospace());
                });
                row.col(|ui| {
                    ui.label(export.kind.to_string());
                });
                row.col(|ui| {
                    ui.label(export.index.to_string());
                });
                row.col(|ui| {
                    ui.label(RichText::new(&export.ty).monospace())
                        .on_hover_text(&export.ty);
                });
            });
        });
}

fn sections_ui(ui: &mut egui::Ui, info: &ModuleInfo) {
    ui.strong("Memories");
    if info.memories.is_empty() {
        ui.weak("none: the module has no linear memory");
    }
    egui::Grid::new("memories")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for (index, memory) in info.memories.iter().enumerate() {
                ui.label(format!(
                    "memory {index}{}",
                    if memory.imported { " (imported)" } else { "" }
                ));
                let maximum = memory.maximum_pages.map_or_else(
                    || "no maximum (only the sandbox's cap limits it)".to_owned(),
                    |max| format!("max {}", bytes_text(max.saturating_mul(memory.page_size))),
                );
                let mut flags = Vec::new();
                if memory.memory64 {
                    flags.push("64-bit");
                }
                if memory.shared {
                    flags.push("shared");
                }
                ui.label(format!(
                    "starts at {} ({} pages), {maximum}{}{}",
                    bytes_text(memory.initial_bytes()),
                    memory.initial_pages,
                    if flags.is_empty() { "" } else { ", " },
                    flags.join(", ")
                ));
                ui.end_row();
            }
        });
    ui.add_space(8.0);
    ui.strong("Tables");
    if info.tables.is_empty() {
        ui.weak("none");
    }
    egui::Grid::new("tables")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for (index, table) in info.tables.iter().enumerate() {
                ui.label(format!(
                    "table {index}{}",
                    if table.imported { " (imported)" } else { "" }
                ));
                ui.label(format!(
                    "{} × {}{}",
                    table.initial,
                    table.element_type,
                    table
                        .maximum
                        .map_or_else(|| ", no maximum".to_owned(), |m| format!(", max {m}"))
                ));
                ui.end_row();
            }
        });
    ui.add_space(8.0);
    ui.strong("Custom sections");
    if info.custom_sections.is_empty() {
        ui.weak("none");
    }
    egui::Grid::new("custom sections")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for section in &info.custom_sections {
                ui.label(RichText::new(&section.name).monospace());
                ui.label(bytes_text(section.size_bytes));
                ui.end_row();
            }
        });
}
