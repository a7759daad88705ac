//! The sandbox map window (View ▸ Sandbox map): the guest on the left, the host on the right,
//! the sandbox's wall between, each grant a door with its calls counted, each kind of refusal
//! stopped at the wall. Live during a run, kept after it. The model is the engine's
//! ([`crate::engine::export::map`], also the SVG file and the HTML report's map); this file
//! only draws it, with the painter, one row per door or kind of refusal whatever the calls.

use std::path::PathBuf;

use eframe::egui;
use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, Vec2};

use crate::engine::export::map::{Door, MAX_REFUSAL_ROWS, MapInput, Refusal, SandboxMap};
use crate::engine::wasi::Capability;
use crate::ui::calls::{CallCategory, CallFilter};
use crate::ui::command::Command;
use crate::ui::prompt::PathFieldText;
use crate::ui::save::{SaveFile, SaveText};
use crate::ui::theme::{GREEN, GREY, MARK, RED};

/// Saving the map as an SVG picture.
const MAP_SVG: SaveText = SaveText {
    what: "the sandbox map",
    filter: ("SVG picture", &["svg"]),
    field: PathFieldText {
        title: "Save the sandbox map as SVG",
        label: "Map picture path",
        hint: "/path/to/map.svg",
        action: "Save",
    },
};

const ROW: f32 = 40.0;
const WALL_WIDTH: f32 = 22.0;

/// The map window's state: open or not, the step-through's position, the SVG save.
pub struct MapView {
    /// Whether the window is shown.
    pub open: bool,
    /// The step-through: draw the first this many records (the last one highlighted);
    /// `None` draws them all, following a live run.
    pub step: Option<usize>,
    /// How many environment variables the host has (counted once).
    host_env_total: Option<usize>,
    save: SaveFile,
}

impl Default for MapView {
    fn default() -> Self {
        Self {
            open: false,
            step: None,
            host_env_total: None,
            save: SaveFile::new(&MAP_SVG),
        }
    }
}

impl MapView {
    /// Whether a save is going on (for tests that wait).
    pub fn is_busy(&self) -> bool {
        self.save.is_busy()
    }

    /// Takes the save dialog's answer and the write's result.
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.save.poll(ctx);
    }

    /// A new run starts: the step-through follows it from the start.
    pub fn run_started(&mut self) {
        self.step = None;
    }

    /// The host's variable count, counted the first time it is asked.
    pub fn host_env_total(&mut self) -> usize {
        *self
            .host_env_total
            .get_or_insert_with(crate::engine::export::map::host_env_total)
    }

    /// Saves the map as built from `input` (at the step-through's position) to `path`, or
    /// where the save dialog says.
    pub fn save_svg(
        &mut self,
        input: &MapInput<'_>,
        path: Option<PathBuf>,
        module: &str,
        ctx: &egui::Context,
    ) {
        self.open = true;
        let svg = SandboxMap::build(input, self.step).svg();
        let stem = module.rsplit_once('.').map_or(module, |(stem, _)| stem);
        self.save.start(
            std::sync::Arc::new(svg.into_bytes()),
            path,
            &format!("{stem}-map.svg"),
            ctx,
        );
    }
}

/// The map window. `input` is the run in progress (`live`) or the last one; `None` before a
/// run.
pub fn map_window_ui(
    ctx: &egui::Context,
    view: &mut MapView,
    input: Option<&MapInput<'_>>,
    live: bool,
    commands: &mut Vec<Command>,
) {
    if !view.open {
        return;
    }
    let mut open = true;
    let screen = crate::ui::layout::window_area(ctx);
    let width = (screen.width() - 200.0).clamp(560.0, 960.0);
    crate::ui::layout::in_window_area(egui::Window::new("Sandbox map"), ctx)
        .open(&mut open)
        .default_size([width, 560.0])
        .default_pos([screen.right() - width - 12.0, screen.top() + 8.0])
        .resizable(true)
        .show(ctx, |ui| {
            let Some(input) = input else {
                ui.label("Run the module to draw its sandbox map: its doors, and every call");
                ui.label("that went through one or was stopped at the wall.");
                return;
            };
            map_ui(ui, view, input, live, commands);
        });
    view.open &= open;
}

fn map_ui(
    ui: &mut egui::Ui,
    view: &mut MapView,
    input: &MapInput<'_>,
    live: bool,
    commands: &mut Vec<Command>,
) {
    // What the map draws: the call log's records, or with it off the refused calls.
    let records = if input.calls.is_empty() {
        input.denials.len()
    } else {
        input.calls.len()
    };
    if let Some(step) = &mut view.step {
        *step = (*step).clamp(1, records.max(1));
    }
    let map = SandboxMap::build(input, view.step);
    ui.label(map.summary());
    // The guest's own last words are why it died: beside the wall it may have hit.
    if let Some(words) = &map.last_words {
        ui.add(
            egui::Label::new(egui::RichText::new(format!("It died: {words}")).color(RED)).wrap(),
        );
    }
    if !input.policy.log_calls {
        ui.weak(
            "The call log was off: the doors are drawn, not the calls. Turn on Call log in \
             the Sandbox panel and run again.",
        );
    }
    ui.horizontal_wrapped(|ui| {
        let mut stepping = view.step.is_some();
        if ui
            .add_enabled(
                records > 0,
                egui::Checkbox::new(&mut stepping, "Step through the calls"),
            )
            .on_hover_text(
                "Walk through the run's calls in order, from the call log: the map draws the \
                 calls up to the slider, the current one highlighted.",
            )
            .changed()
        {
            view.step = stepping.then_some(1);
        }
        if let Some(step) = &mut view.step {
            if ui
                .add_enabled(*step > 1, egui::Button::new("Previous"))
                .clicked()
            {
                *step -= 1;
            }
            ui.add(egui::Slider::new(step, 1..=records.max(1)).text("step"));
            if ui
                .add_enabled(*step < records, egui::Button::new("Next"))
                .clicked()
            {
                *step += 1;
            }
        }
        if let Some(path) = view.save.row_ui(
            ui,
            "Save as SVG…",
            "Save the map as an SVG picture (for slides), as drawn now.".to_owned(),
        ) {
            commands.push(Command::SaveMap(path));
        }
    });
    // Counted in calls, as the call log counts them (a record may be several calls in a row).
    if let (Some(step), Some(current)) = (map.step_words(), &map.current) {
        ui.add(
            egui::Label::new(egui::RichText::new(format!("{step}: {current}")).monospace()).wrap(),
        );
    } else if live {
        ui.weak("Live: the map follows the run.");
    }
    ui.add_space(4.0);
    egui::ScrollArea::vertical()
        .id_salt("sandbox map scroll")
        .show(ui, |ui| draw_map(ui, &map, commands));
}

/// The map itself: a row per door, then a row per kind of refusal, the wall down the middle.
fn draw_map(ui: &mut egui::Ui, map: &SandboxMap, commands: &mut Vec<Command>) {
    let refusal_rows = map.refusals.len().min(MAX_REFUSAL_ROWS);
    let rows = map.doors.len() + refusal_rows + 2;
    let width = ui.available_width().max(560.0);
    let (rect, _) =
        ui.allocate_exact_size(Vec2::new(width, 30.0 + rows as f32 * ROW), Sense::hover());
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals().clone();
    let text = visuals.text_color();
    let weak = visuals.weak_text_color();
    let wall_x = rect.left() + width * 0.5 - WALL_WIDTH / 2.0;
    let heading = FontId::proportional(15.0);
    painter.text(
        rect.left_top() + Vec2::new(4.0, 4.0),
        Align2::LEFT_TOP,
        "The guest",
        heading.clone(),
        text,
    );
    painter.text(
        Pos2::new(wall_x + WALL_WIDTH / 2.0, rect.top() + 4.0),
        Align2::CENTER_TOP,
        "the sandbox's wall",
        heading.clone(),
        text,
    );
    painter.text(
        Pos2::new(rect.right() - 4.0, rect.top() + 4.0),
        Align2::RIGHT_TOP,
        "The host",
        heading,
        text,
    );
    painter.rect_filled(
        Rect::from_min_max(
            Pos2::new(wall_x, rect.top() + 26.0),
            Pos2::new(wall_x + WALL_WIDTH, rect.bottom()),
        ),
        0.0,
        Color32::from_rgb(141, 110, 99),
    );
    let mut top = rect.top() + 30.0;
    for (index, door) in map.doors.iter().enumerate() {
        let row = Rect::from_min_size(Pos2::new(rect.left(), top), Vec2::new(width, ROW));
        let response = ui
            .interact(row, ui.scope_id().with(("map door", index)), Sense::click())
            .on_hover_text(door.tip());
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, door.tip()));
        if response.clicked() {
            commands.push(Command::ShowInCallLog(CallFilter {
                category: category_of_door(door),
                denials_only: false,
            }));
        }
        door_row(
            &painter,
            door,
            row,
            wall_x,
            (text, weak, visuals.window_fill),
            response.hovered(),
        );
        top += ROW;
    }
    painter.text(
        Pos2::new(rect.left() + 4.0, top + 14.0),
        Align2::LEFT_CENTER,
        format!("Stopped at the wall ({})", map.refused()),
        FontId::proportional(14.0),
        RED,
    );
    top += ROW * 0.7;
    if map.refused() == 0 {
        painter.text(
            Pos2::new(rect.left() + 4.0, top + 14.0),
            Align2::LEFT_CENTER,
            "nothing: no call was refused",
            FontId::proportional(13.0),
            weak,
        );
    }
    for (index, refusal) in map.refusals.iter().take(MAX_REFUSAL_ROWS).enumerate() {
        let row = Rect::from_min_size(Pos2::new(rect.left(), top), Vec2::new(width, ROW));
        let words = refusal.headline();
        let response = ui
            .interact(
                row,
                ui.scope_id().with(("map refusal", index)),
                Sense::click(),
            )
            .on_hover_text(format!(
                "{}\nClick to see these calls in the call log.",
                refusal.tip()
            ));
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &words));
        if response.clicked() {
            commands.push(Command::ShowInCallLog(CallFilter {
                category: CallCategory::of(refusal.capability),
                denials_only: true,
            }));
        }
        refusal_row(
            &painter,
            refusal,
            &words,
            row,
            wall_x,
            weak,
            response.hovered(),
        );
        top += ROW;
    }
    if map.refusals.len() > MAX_REFUSAL_ROWS {
        let rest: u64 = map.refusals[MAX_REFUSAL_ROWS..]
            .iter()
            .map(|r| r.count)
            .sum();
        painter.text(
            Pos2::new(rect.left() + 4.0, top + 14.0),
            Align2::LEFT_CENTER,
            format!(
                "and {rest} more calls refused in {} other ways (see the call log)",
                map.refusals.len() - MAX_REFUSAL_ROWS
            ),
            FontId::proportional(13.0),
            RED,
        );
    }
}

fn door_row(
    painter: &egui::Painter,
    door: &Door,
    row: Rect,
    wall_x: f32,
    (text, weak, fill): (Color32, Color32, Color32),
    hovered: bool,
) {
    if door.current || hovered {
        let fill = if door.current {
            MARK.gamma_multiply(0.35)
        } else {
            weak.gamma_multiply(0.12)
        };
        painter.rect_filled(row.shrink(1.0), 3.0, fill);
    }
    let mid = row.center().y;
    let (colour, label) = if door.granted {
        (text, GREEN)
    } else {
        (weak, GREY)
    };
    let (guest_side, host_side) = sides(painter, row, wall_x);
    guest_side.text(
        Pos2::new(row.left() + 4.0, mid - 1.0),
        Align2::LEFT_BOTTOM,
        &door.guest,
        FontId::proportional(13.0),
        colour,
    );
    guest_side.text(
        Pos2::new(row.left() + 4.0, mid + 1.0),
        Align2::LEFT_TOP,
        &door.mode,
        FontId::proportional(11.0),
        weak,
    );
    host_side.text(
        Pos2::new(row.right() - 4.0, mid),
        Align2::RIGHT_CENTER,
        &door.host,
        FontId::proportional(13.0),
        colour,
    );
    let from = Pos2::new(row.left() + row.width() * 0.22, mid);
    let to = Pos2::new(row.right() - row.width() * 0.24, mid);
    if door.granted {
        let width = if door.crossings > 0 { 3.0 } else { 1.0 };
        let line = if door.crossings > 0 {
            label
        } else {
            label.gamma_multiply(0.4)
        };
        painter.line_segment([from, to], Stroke::new(width, line));
        // The door: a gap in the wall.
        let gap = Rect::from_center_size(
            Pos2::new(wall_x + WALL_WIDTH / 2.0, mid),
            Vec2::new(WALL_WIDTH, 14.0),
        );
        painter.rect_filled(gap, 0.0, fill);
        painter.rect_stroke(gap, 0.0, Stroke::new(1.0, line), egui::StrokeKind::Inside);
        painter.line_segment([from, to], Stroke::new(width, line));
    } else {
        painter.extend(egui::Shape::dashed_line(
            &[from, Pos2::new(wall_x, mid)],
            Stroke::new(1.0, GREY),
            5.0,
            4.0,
        ));
    }
    let mut counts = Vec::new();
    if door.crossings > 0 {
        counts.push(format!("{} through", door.crossings));
    }
    if door.refused > 0 {
        counts.push(format!("{} refused", door.refused));
    }
    if !counts.is_empty() {
        painter.text(
            Pos2::new(wall_x + WALL_WIDTH + 60.0, mid - 3.0),
            Align2::CENTER_BOTTOM,
            counts.join(", "),
            FontId::proportional(12.0),
            if door.crossings > 0 { GREEN } else { RED },
        );
    }
}

fn refusal_row(
    painter: &egui::Painter,
    refusal: &Refusal,
    words: &str,
    row: Rect,
    wall_x: f32,
    weak: Color32,
    hovered: bool,
) {
    if refusal.current || hovered {
        let fill = if refusal.current {
            MARK.gamma_multiply(0.35)
        } else {
            weak.gamma_multiply(0.12)
        };
        painter.rect_filled(row.shrink(1.0), 3.0, fill);
    }
    let mid = row.center().y;
    // The words and the reason end before the wall, cut with an ellipsis (the hover has them
    // whole), never mid-letter under it.
    let room = (wall_x - 48.0 - row.left()).max(40.0);
    let galley = elided(painter, words, FontId::proportional(13.0), RED, room);
    let line_from = (row.left() + 8.0 + galley.size().x).min(wall_x - 40.0);
    let (guest_side, host_side) = sides(painter, row, wall_x);
    guest_side.galley(
        Pos2::new(row.left() + 4.0, mid - galley.size().y),
        galley,
        RED,
    );
    let reason = elided(
        painter,
        &refusal.reason,
        FontId::proportional(11.0),
        weak,
        wall_x - 12.0 - row.left(),
    );
    guest_side.galley(Pos2::new(row.left() + 4.0, mid + 1.0), reason, weak);
    let end = Pos2::new(wall_x - 4.0, mid - 6.0);
    painter.line_segment(
        [Pos2::new(line_from + 6.0, mid - 6.0), end],
        Stroke::new(3.0, RED),
    );
    // A cross at the wall.
    let x = Rect::from_center_size(end, Vec2::splat(10.0));
    painter.line_segment([x.left_top(), x.right_bottom()], Stroke::new(3.0, RED));
    painter.line_segment([x.right_top(), x.left_bottom()], Stroke::new(3.0, RED));
    // The grouped calls may name several host paths: the first, and how many more.
    if let Some(reach) = refusal.reach() {
        host_side.text(
            Pos2::new(row.right() - 4.0, mid),
            Align2::RIGHT_CENTER,
            reach,
            FontId::proportional(13.0),
            weak,
        );
    }
}

/// Painters clipped to the guest's side of the wall and to the host's, so long words never
/// cross it.
/// `text` on one line at most `width` wide, an ellipsis where it is cut.
fn elided(
    painter: &egui::Painter,
    text: &str,
    font: FontId,
    color: Color32,
    width: f32,
) -> std::sync::Arc<egui::Galley> {
    let mut job = egui::text::LayoutJob::simple(text.to_owned(), font, color, width.max(1.0));
    job.wrap = egui::text::TextWrapping::truncate_at_width(width.max(1.0));
    painter.layout_job(job)
}

fn sides(painter: &egui::Painter, row: Rect, wall_x: f32) -> (egui::Painter, egui::Painter) {
    let guest = Rect::from_min_max(row.min, Pos2::new(wall_x - 2.0, row.max.y));
    let host = Rect::from_min_max(Pos2::new(wall_x + WALL_WIDTH + 2.0, row.min.y), row.max);
    (
        painter.with_clip_rect(guest.intersect(painter.clip_rect())),
        painter.with_clip_rect(host.intersect(painter.clip_rect())),
    )
}

fn category_of_door(door: &Door) -> CallCategory {
    use crate::engine::export::map::DoorKind;
    match door.kind {
        DoorKind::Folder => CallCategory::of(Capability::Filesystem),
        DoorKind::Arguments | DoorKind::Environment => CallCategory::EnvArgs,
        DoorKind::Stdin | DoorKind::Output => CallCategory::Stdio,
        DoorKind::Clocks => CallCategory::Clocks,
        DoorKind::Random => CallCategory::Random,
        DoorKind::Exit => CallCategory::Proc,
        DoorKind::Network => CallCategory::Sockets,
    }
}
