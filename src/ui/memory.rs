//! The memory hex view: the guest's linear memory as it was when the run ended, in hex and
//! ASCII, drawing only the rows on screen (the snapshot can be 64 MiB).

use std::ops::Range;
use std::sync::Arc;

use eframe::egui;
use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, RichText};

use crate::engine::{RunOutcome, RunReport};
use crate::ui::theme::bytes_text;

/// Bytes per row.
const ROW_BYTES: usize = 16;

/// The hex window's state.
#[derive(Default)]
pub struct HexView {
    /// Whether the window is shown.
    pub open: bool,
    goto_text: String,
    find_text: String,
    /// The bytes marked (a found text, an address gone to, the fault address).
    selected: Option<Range<usize>>,
    /// Scroll so this row is at the top, next frame.
    scroll_to_row: Option<usize>,
    /// What the last go-to or search said.
    message: Option<String>,
    /// "Who wrote this?" for the selected bytes.
    pub who: crate::ui::who_wrote::WhoWrote,
    /// Asked from a row's context menu: look up the selection once the rows are drawn.
    ask_who: bool,
}

/// Where a trap's fault address lies relative to the memory snapshot.
pub enum Fault {
    /// Inside the snapshot: the hex view can show it.
    Inside(u64),
    /// Past the end of the guest's memory (the usual out-of-bounds case): the address and the
    /// memory's size.
    PastEnd(u64, u64),
    /// Inside the guest's memory but past the part kept for the hex view.
    BeyondSnapshot(u64),
}

/// The trap's fault address, when there is one, against the snapshot's size.
pub fn fault(report: &RunReport) -> Option<Fault> {
    let RunOutcome::Trapped { trap } = &report.outcome else {
        return None;
    };
    let address = trap.fault_address?;
    let kept = report.memory.as_ref().map_or(0, |m| m.len() as u64);
    // Linear memory never shrinks, so its largest size is its size at the end.
    let size = report.stats.peak_memory_bytes.max(kept);
    Some(if address < kept {
        Fault::Inside(address)
    } else if address < size {
        Fault::BeyondSnapshot(address)
    } else {
        Fault::PastEnd(address, size)
    })
}

impl HexView {
    /// Forgets the previous run's selection; marks the fault address when the snapshot holds it.
    pub fn reset(&mut self, report: &RunReport) {
        *self = Self {
            open: self.open,
            ..Self::default()
        };
        if let Some(Fault::Inside(address)) = fault(report) {
            self.select(address as usize, 1);
        }
    }

    /// Opens the window, at `address` if given.
    pub fn show(&mut self, address: Option<u64>) {
        self.open = true;
        if let Some(address) = address {
            self.select(address as usize, 1);
        }
    }

    fn select(&mut self, start: usize, len: usize) {
        self.selected = Some(start..start + len.max(1));
        self.scroll_to_row = Some((start / ROW_BYTES).saturating_sub(2));
    }

    fn go_to(&mut self, memory: &[u8]) {
        // ADDR:LEN selects a range, as `replay --last-write` takes it.
        if self.goto_text.contains(':') {
            match crate::engine::policy::WatchedRange::parse(self.goto_text.trim()) {
                Ok(range) if (range.end() as usize) <= memory.len() => {
                    self.select(range.addr as usize, range.len as usize);
                    self.message = Some(format!("Selected {range}."));
                }
                Ok(range) => {
                    self.message = Some(format!(
                        "{range} goes past the end of memory ({}).",
                        bytes_text(memory.len() as u64)
                    ));
                }
                Err(e) => self.message = Some(e.to_string()),
            }
            return;
        }
        let text = self.goto_text.trim().replace('_', "");
        let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex) => usize::from_str_radix(hex, 16),
            None => text.parse::<usize>(),
        };
        match parsed {
            Ok(address) if address < memory.len() => {
                self.select(address, 1);
                self.message = Some(format!("At {address:#x}."));
            }
            Ok(address) => {
                self.message = Some(format!(
                    "{address:#x} is past the end of memory ({}).",
                    bytes_text(memory.len() as u64)
                ));
            }
            Err(_) => {
                self.message = Some(format!(
                    "{:?} is not an address: write it in hex (0x10) or decimal (16).",
                    self.goto_text.trim()
                ));
            }
        }
    }

    fn find(&mut self, memory: &[u8]) {
        let needle = self.find_text.as_bytes();
        if needle.is_empty() {
            return;
        }
        // Search after the current selection, wrapping around once, so Find again moves on.
        let from = self.selected.as_ref().map_or(0, |s| s.start + 1);
        let found = find_bytes(memory, needle, from).or_else(|| find_bytes(memory, needle, 0));
        match found {
            Some(at) => {
                self.select(at, needle.len());
                self.message = Some(format!("Found at {at:#x}."));
            }
            None => {
                self.message = Some(format!("{:?} is not in memory.", self.find_text));
            }
        }
    }
}

fn find_bytes(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The "Memory" window, when open and the report has a snapshot.
pub fn memory_window_ui(
    ctx: &egui::Context,
    view: &mut HexView,
    report: Option<&RunReport>,
    recording: Option<crate::ui::who_wrote::RecordingRef>,
    commands: &mut Vec<crate::ui::command::Command>,
) {
    view.who.poll();
    if !view.open {
        return;
    }
    let mut open = true;
    crate::ui::layout::in_window_area(egui::Window::new("Memory"), ctx)
        .open(&mut open)
        .default_size([720.0, 460.0])
        .show(ctx, |ui| {
            let Some(memory) = report.and_then(|r| r.memory.clone()) else {
                ui.weak("No memory snapshot: run a module that has a linear memory.");
                return;
            };
            hex_ui(ui, view, report, &memory, recording, commands);
        });
    if !open {
        view.open = false;
    }
}

fn hex_ui(
    ui: &mut egui::Ui,
    view: &mut HexView,
    report: Option<&RunReport>,
    memory: &Arc<Vec<u8>>,
    recording: Option<crate::ui::who_wrote::RecordingRef>,
    commands: &mut Vec<crate::ui::command::Command>,
) {
    ui.weak(format!(
        "Linear memory when the run ended: {} (at most the first {}).",
        bytes_text(memory.len() as u64),
        bytes_text(crate::engine::outcome::MEMORY_SNAPSHOT_BYTES as u64)
    ));
    if let Some(Fault::PastEnd(address, len)) = report.and_then(fault) {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "The fault address {address:#x} is past the end of memory ({}), so there is \
                 nothing there to show.",
                bytes_text(len)
            ),
        );
    }
    ui.horizontal(|ui| {
        let label = ui.label("Go to address");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut view.goto_text)
                    .hint_text("0x10 or 0x10:4")
                    .desired_width(110.0)
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(label.id)
            .on_hover_text(
                "An address in linear memory, in hex (0x10) or decimal (16), or a range \
                 ADDR:LEN (0x10:4); Enter to go.",
            );
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            view.go_to(memory);
        }
        ui.separator();
        let label = ui.label("Find text");
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut view.find_text)
                    .hint_text("Hello")
                    .desired_width(160.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Find this text (its UTF-8 bytes) in memory; Enter finds the next one.");
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui
            .button("Find")
            .on_hover_text("Find the next place the text appears in memory.")
            .clicked()
            || entered
        {
            view.find(memory);
        }
    });
    if let Some(message) = &view.message {
        ui.label(message);
    }
    crate::ui::who_wrote::who_wrote_ui(
        ui,
        &mut view.who,
        view.selected.as_ref(),
        recording.clone(),
        commands,
    );
    ui.separator();
    rows_ui(ui, view, memory);
    if std::mem::take(&mut view.ask_who)
        && let (Some(range), Some(recording)) = (view.selected.clone(), recording)
    {
        view.who.ask(recording, range, ui.ctx());
    }
}

/// The byte of a hex row under `x`: each byte is `xx ` with one more space after the eighth.
fn byte_at(x: f32, rect: egui::Rect, row_len: usize) -> Option<usize> {
    let chars = row_len * 3 + usize::from(row_len > 8);
    let per_char = rect.width() / chars.max(1) as f32;
    let column = ((x - rect.left()) / per_char).floor().max(0.0) as usize;
    let column = if column > 8 * 3 { column - 1 } else { column };
    Some(column / 3).filter(|&i| i < row_len)
}

fn rows_ui(ui: &mut egui::Ui, view: &mut HexView, memory: &[u8]) {
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
    let rows = memory.len().div_ceil(ROW_BYTES);
    let mut area = egui::ScrollArea::vertical()
        .id_salt("hex rows")
        .auto_shrink([false, false]);
    if let Some(row) = view.scroll_to_row.take() {
        area = area.vertical_scroll_offset(row as f32 * (row_height + ui.spacing().item_spacing.y));
    }
    let font = egui::FontId::monospace(egui::TextStyle::Monospace.resolve(ui.style()).size);
    let text_color = ui.visuals().text_color();
    let weak_color = ui.visuals().weak_text_color();
    let mark = crate::ui::theme::MARK.gamma_multiply(0.45);
    area.show_rows(ui, row_height, rows, |ui, visible| {
        for row in visible {
            let start = row * ROW_BYTES;
            let bytes = &memory[start..(start + ROW_BYTES).min(memory.len())];
            let mut hex = LayoutJob::default();
            let mut ascii = LayoutJob::default();
            for (i, &byte) in bytes.iter().enumerate() {
                let marked = view
                    .selected
                    .as_ref()
                    .is_some_and(|s| s.contains(&(start + i)));
                let format = TextFormat {
                    font_id: font.clone(),
                    color: if byte == 0 { weak_color } else { text_color },
                    background: if marked { mark } else { Color32::TRANSPARENT },
                    ..Default::default()
                };
                hex.append(&format!("{byte:02x}"), 0.0, format.clone());
                hex.append(
                    if i == 7 { "  " } else { " " },
                    0.0,
                    TextFormat {
                        font_id: font.clone(),
                        ..Default::default()
                    },
                );
                let shown = if (0x20..0x7f).contains(&byte) {
                    byte as char
                } else {
                    '.'
                };
                ascii.append(&shown.to_string(), 0.0, format);
            }
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!("{start:08x}")).monospace().weak());
                let row = ui.add(egui::Label::new(hex).sense(egui::Sense::click()));
                // A click selects the byte under it; a right-click offers Who wrote this? for
                // the selection (or that byte).
                let under = row
                    .interact_pointer_pos()
                    .or(row.hover_pos())
                    .and_then(|pos| byte_at(pos.x, row.rect, bytes.len()))
                    .map(|i| start + i);
                if (row.clicked() || row.secondary_clicked())
                    && let Some(byte) = under
                    && !view.selected.as_ref().is_some_and(|s| s.contains(&byte))
                {
                    view.select(byte, 1);
                }
                row.context_menu(|ui| {
                    let what = view
                        .selected
                        .as_ref()
                        .map(|s| format!("{:#x}..{:#x}", s.start, s.end))
                        .unwrap_or_default();
                    if ui
                        .button("Who wrote this?")
                        .on_hover_text(format!("The last write to {what} in the run's recording."))
                        .clicked()
                    {
                        view.ask_who = true;
                        ui.close();
                    }
                });
                ui.label(ascii);
            });
        }
    });
}

#[cfg(test)]
mod tests {

    #[test]
    fn fault_addresses_are_placed_against_memory_not_the_snapshot() {
        use crate::engine::outcome::TrapInfo;
        let mut report = RunReport::lost("");
        report.outcome = RunOutcome::Trapped {
            trap: TrapInfo {
                kind: crate::engine::TrapKind::MemoryOutOfBounds,
                code: "MemoryOutOfBounds".into(),
                message: String::new(),
                frames: Vec::new(),
                fault_address: Some(0x0ff1_0000),
                debug: None,
            },
        };
        report.memory = Some(std::sync::Arc::new(vec![0; 64 << 20]));
        report.stats.peak_memory_bytes = 255 << 20;
        assert!(matches!(fault(&report), Some(Fault::PastEnd(_, size)) if size == 255 << 20));
        report.stats.peak_memory_bytes = 512 << 20;
        assert!(matches!(
            fault(&report),
            Some(Fault::BeyondSnapshot(0x0ff1_0000))
        ));
    }
    use super::*;

    #[test]
    fn find_moves_on_and_wraps_around() {
        let memory = b"ab..ab..ab";
        assert_eq!(find_bytes(memory, b"ab", 0), Some(0));
        assert_eq!(find_bytes(memory, b"ab", 1), Some(4));
        assert_eq!(find_bytes(memory, b"ab", 9), None);
        assert_eq!(find_bytes(memory, b"ab", 99), None);
        let mut view = HexView {
            find_text: "ab".to_owned(),
            ..HexView::default()
        };
        let starts: Vec<_> = (0..4)
            .map(|_| {
                view.find(memory);
                view.selected.clone().map(|s| s.start)
            })
            .collect();
        assert_eq!(starts, [Some(0), Some(4), Some(8), Some(0)]);
    }

    #[test]
    fn go_to_reads_hex_and_decimal_and_refuses_past_the_end() {
        let memory = vec![0u8; 64];
        let mut view = HexView::default();
        for (text, start) in [("0x10", Some(16)), ("33", Some(33)), ("0x40", None)] {
            view.selected = None;
            view.goto_text = text.to_owned();
            view.go_to(&memory);
            assert_eq!(view.selected.clone().map(|s| s.start), start, "{text}");
        }
        assert!(
            view.message
                .as_deref()
                .is_some_and(|m| m.contains("past the end"))
        );
    }
}
