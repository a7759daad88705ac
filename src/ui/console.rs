//! The output console: a bounded model of what the guest wrote, and its view.
//!
//! The model keeps whole lines in order, splits chunks at newlines (a line may arrive in many
//! chunks), and holds at most [`Console::budget_bytes`]: beyond that the oldest lines are
//! dropped and counted, so a guest writing 200 MB keeps the UI fast and memory flat. The view
//! draws only the rows on screen ([`egui::ScrollArea::show_rows`]).

use eframe::egui;
use std::collections::VecDeque;

use egui::{Color32, RichText, TextWrapMode};

use crate::engine::StdStream;
use crate::ui::theme::bytes_text;

mod wrap;
use wrap::{WrapIndex, wrapped_rows_ui};

/// Default scrollback budget: 8 MiB.
pub const DEFAULT_BUDGET_BYTES: usize = 8 * 1024 * 1024;

/// A line longer than this is broken into several rows, so a guest that never writes a newline
/// cannot make one unbounded line.
pub const MAX_LINE_BYTES: usize = 4 * 1024;

/// What a line costs the budget beyond its text: the `Line` itself and the deque slot. Counting
/// it keeps a flood of empty lines bounded too.
const LINE_OVERHEAD_BYTES: usize = 48;

/// Where a line came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The guest's stdout.
    Stdout,
    /// The guest's stderr.
    Stderr,
    /// wasmscope itself: "run started", "run ended", ...
    Note,
}

impl From<StdStream> for Source {
    fn from(stream: StdStream) -> Self {
        match stream {
            StdStream::Stdout => Source::Stdout,
            StdStream::Stderr => Source::Stderr,
        }
    }
}

/// One row of the console.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Where it came from.
    pub source: Source,
    /// The text, without its newline (invalid UTF-8 replaced).
    pub text: String,
}

/// A bounded, ordered store of output lines.
#[derive(Debug)]
pub struct Console {
    lines: VecDeque<Line>,
    /// Sequence number of `lines[0]`; grows as lines are dropped, so views can keep positions.
    first_seq: u64,
    /// A line each stream has started but not ended yet.
    partial: [Vec<u8>; 2],
    used_bytes: usize,
    budget_bytes: usize,
    dropped_bytes: u64,
    dropped_lines: u64,
}

impl Default for Console {
    fn default() -> Self {
        Self::with_budget(DEFAULT_BUDGET_BYTES)
    }
}

fn slot(stream: StdStream) -> usize {
    match stream {
        StdStream::Stdout => 0,
        StdStream::Stderr => 1,
    }
}

fn line_cost(line: &Line) -> usize {
    line.text.len() + LINE_OVERHEAD_BYTES
}

impl Console {
    /// A console that keeps about `budget_bytes` of output.
    pub fn with_budget(budget_bytes: usize) -> Self {
        Self {
            lines: VecDeque::new(),
            first_seq: 0,
            partial: [Vec::new(), Vec::new()],
            used_bytes: 0,
            budget_bytes,
            dropped_bytes: 0,
            dropped_lines: 0,
        }
    }

    /// The scrollback budget.
    pub fn budget_bytes(&self) -> usize {
        self.budget_bytes
    }

    /// Adds output from `stream`, splitting it into lines.
    pub fn push(&mut self, stream: StdStream, mut bytes: &[u8]) {
        let index = slot(stream);
        while !bytes.is_empty() {
            let room = MAX_LINE_BYTES.saturating_sub(self.partial[index].len());
            let window = &bytes[..bytes.len().min(room.max(1))];
            match window.iter().position(|&b| b == b'\n') {
                Some(newline) => {
                    self.partial[index].extend_from_slice(&window[..newline]);
                    self.end_line(stream);
                    bytes = &bytes[newline + 1..];
                }
                None => {
                    self.partial[index].extend_from_slice(window);
                    bytes = &bytes[window.len()..];
                    if self.partial[index].len() >= MAX_LINE_BYTES {
                        self.break_long_line(stream);
                    }
                }
            }
        }
    }

    /// Adds a line from wasmscope itself. Partial guest lines stay partial (they are shown
    /// last until they end); call [`Self::flush`] first to end them.
    pub fn note(&mut self, text: impl Into<String>) {
        self.push_line(Line {
            source: Source::Note,
            text: text.into(),
        });
    }

    /// Ends the partial lines of both streams (at the end of a run).
    pub fn flush(&mut self) {
        for stream in [StdStream::Stdout, StdStream::Stderr] {
            if !self.partial[slot(stream)].is_empty() {
                self.end_line(stream);
            }
        }
    }

    /// Forgets everything, including the dropped count.
    pub fn clear(&mut self) {
        self.first_seq += self.lines.len() as u64;
        self.lines.clear();
        self.partial = [Vec::new(), Vec::new()];
        self.used_bytes = 0;
        self.dropped_bytes = 0;
        self.dropped_lines = 0;
    }

    fn end_line(&mut self, stream: StdStream) {
        let bytes = std::mem::take(&mut self.partial[slot(stream)]);
        self.push_line(Line {
            source: stream.into(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        });
    }

    /// Moves the longest valid-UTF-8 prefix of an overlong partial line into its own row.
    fn break_long_line(&mut self, stream: StdStream) {
        let partial = &mut self.partial[slot(stream)];
        let cut = match std::str::from_utf8(partial) {
            Ok(_) => partial.len(),
            // Don't split a multi-byte character, unless the bytes are not UTF-8 anyway.
            Err(e) if e.error_len().is_none() && e.valid_up_to() > 0 => e.valid_up_to(),
            Err(_) => partial.len(),
        };
        let rest = partial.split_off(cut);
        let head = std::mem::replace(partial, rest);
        self.push_line(Line {
            source: stream.into(),
            text: String::from_utf8_lossy(&head).into_owned(),
        });
    }

    fn push_line(&mut self, line: Line) {
        self.used_bytes += line_cost(&line);
        self.lines.push_back(line);
        while self.used_bytes > self.budget_bytes && self.lines.len() > 1 {
            let Some(old) = self.lines.pop_front() else {
                break;
            };
            self.used_bytes -= line_cost(&old);
            self.first_seq += 1;
            if old.source != Source::Note {
                // The newline counts: these are the bytes the guest wrote.
                self.dropped_bytes += old.text.len() as u64 + 1;
                self.dropped_lines += 1;
            }
        }
    }

    /// The kept lines in order, then the partial lines not ended yet (stdout first).
    pub fn len(&self) -> usize {
        self.lines.len() + self.partial.iter().filter(|p| !p.is_empty()).count()
    }

    /// Whether nothing is shown.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `index` of [`Self::len`] rows.
    pub fn line(&self, index: usize) -> Option<Line> {
        if let Some(line) = self.lines.get(index) {
            return Some(line.clone());
        }
        let mut rest = index - self.lines.len();
        for (stream, partial) in [StdStream::Stdout, StdStream::Stderr]
            .into_iter()
            .zip(&self.partial)
        {
            if partial.is_empty() {
                continue;
            }
            if rest == 0 {
                return Some(Line {
                    source: stream.into(),
                    text: String::from_utf8_lossy(partial).into_owned(),
                });
            }
            rest -= 1;
        }
        None
    }

    /// Guest output bytes dropped to stay within budget.
    pub fn dropped_bytes(&self) -> u64 {
        self.dropped_bytes
    }

    /// Guest output lines dropped to stay within budget.
    pub fn dropped_lines(&self) -> u64 {
        self.dropped_lines
    }

    /// Bytes the kept lines cost, with per-line overhead; at most about the budget.
    pub fn used_bytes(&self) -> usize {
        self.used_bytes + self.partial.iter().map(Vec::len).sum::<usize>()
    }

    /// Sequence number of the first kept line; a line's sequence number never changes.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// Sequence number one past the last complete line.
    pub fn end_seq(&self) -> u64 {
        self.first_seq + self.lines.len() as u64
    }

    /// The complete line with sequence number `seq`, if still kept.
    pub fn by_seq(&self, seq: u64) -> Option<&Line> {
        let index = seq.checked_sub(self.first_seq)?;
        self.lines.get(usize::try_from(index).ok()?)
    }

    /// All rows as text, one per line (for Copy).
    pub fn text(&self) -> String {
        let mut text = String::new();
        for index in 0..self.len() {
            if let Some(line) = self.line(index) {
                text.push_str(&line.text);
                text.push('\n');
            }
        }
        text
    }
}

/// The console view's own state: the search box and its cached matches, line wrapping, and
/// whether to jump back to the newest line.
#[derive(Debug, Default)]
pub struct ConsoleView {
    /// The search text; rows that contain it are shown (case-insensitive).
    pub query: String,
    /// Long lines wrap at the console's width instead of scrolling sideways.
    pub wrap: bool,
    matches: Vec<u64>,
    matched_query: String,
    scanned_to_seq: u64,
    wrapped: WrapIndex,
    /// Scroll to the newest line and follow it again, once the rows are shown.
    follow_pending: bool,
}

impl ConsoleView {
    /// Scrolls to the newest line and follows new output again (a new run started).
    pub fn follow(&mut self) {
        self.follow_pending = true;
    }

    /// Brings the matches up to date with `console`, scanning only lines added since last time.
    fn update_matches(&mut self, console: &Console) {
        let needle = self.query.to_lowercase();
        if needle != self.matched_query || self.scanned_to_seq > console.end_seq() {
            self.matches.clear();
            self.matched_query = needle.clone();
            self.scanned_to_seq = console.first_seq();
        }
        let first = console.first_seq();
        self.matches.retain(|&seq| seq >= first);
        let start = self.scanned_to_seq.max(first);
        for seq in start..console.end_seq() {
            if let Some(line) = console.by_seq(seq)
                && line.text.to_lowercase().contains(&needle)
            {
                self.matches.push(seq);
            }
        }
        self.scanned_to_seq = console.end_seq();
    }
}

/// The color for a line's source.
fn color(ui: &egui::Ui, source: Source) -> Color32 {
    match source {
        Source::Stdout => ui.visuals().text_color(),
        Source::Stderr => crate::ui::theme::stderr_color(ui.visuals()),
        Source::Note => ui.visuals().weak_text_color(),
    }
}

fn line_ui(ui: &mut egui::Ui, line: &Line) {
    let mut text = RichText::new(if line.text.is_empty() {
        " "
    } else {
        &line.text
    })
    .monospace()
    .color(color(ui, line.source));
    if line.source == Source::Note {
        text = text.italics();
    }
    ui.add(egui::Label::new(text).wrap_mode(TextWrapMode::Extend));
}

/// The console's header: its title and legend, then search, copy, clear and wrap. On one row
/// when the console is wide enough, the controls on a row of their own when it is not, so they
/// never overlap the title.
fn header_ui(ui: &mut egui::Ui, console: &mut Console, view: &mut ConsoleView) {
    let width_id = ui.scope_id().with("console header widths");
    // Widths measured on the last frame: (title and legend, controls).
    let (title_width, controls_width) = ui
        .ctx()
        .data(|d| d.get_temp::<(f32, f32)>(width_id))
        .unwrap_or((180.0, 420.0));
    let one_row = ui.available_width() >= title_width + controls_width + 16.0;
    let mut measured = (title_width, controls_width);
    let title_ui = |ui: &mut egui::Ui| {
        ui.strong("Output");
        ui.label(RichText::new("stdout").monospace())
            .on_hover_text("What the guest wrote to stdout (fd 1).");
        ui.label(
            RichText::new("stderr")
                .monospace()
                .color(color(ui, Source::Stderr)),
        )
        .on_hover_text("What the guest wrote to stderr (fd 2), in a warmer color.");
    };
    let controls_ui = |ui: &mut egui::Ui, console: &mut Console, view: &mut ConsoleView| {
        let room = ui.available_width();
        ui.checkbox(&mut view.wrap, "Wrap")
            .on_hover_text("Wrap long lines at the console's width instead of scrolling sideways.");
        if ui
            .button("Clear")
            .on_hover_text("Empty the console (the run, if any, keeps writing).")
            .clicked()
        {
            console.clear();
        }
        if ui
            .button("Copy")
            .on_hover_text("Copy the shown output to the clipboard.")
            .clicked()
        {
            ui.ctx().copy_text(shown_text(console, view));
        }
        let label = ui.label("Search");
        // Narrower in a narrow console, so the row keeps every control in view.
        let field = (room - 250.0).clamp(70.0, 140.0);
        ui.add(
            egui::TextEdit::singleline(&mut view.query)
                .hint_text("filter lines")
                .desired_width(field),
        )
        .labelled_by(label.id)
        .on_hover_text("Show only lines that contain this text (case-insensitive).");
    };
    if one_row {
        ui.horizontal(|ui| {
            measured.0 = ui.horizontal(title_ui).response.rect.width();
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                measured.1 = ui
                    .horizontal(|ui| controls_ui(ui, console, view))
                    .response
                    .rect
                    .width();
            });
        });
    } else {
        measured.0 = ui.horizontal(title_ui).response.rect.width();
        // A row of its own, right-aligned (inside `horizontal`, so it takes one row's height).
        ui.horizontal(|ui| {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                measured.1 = ui
                    .horizontal(|ui| controls_ui(ui, console, view))
                    .response
                    .rect
                    .width();
            });
        });
    }
    if measured != (title_width, controls_width) {
        ui.ctx().data_mut(|d| d.insert_temp(width_id, measured));
        ui.ctx().request_repaint();
    }
}

/// The console: header (search, copy, clear, wrap) and the rows.
pub fn console_ui(ui: &mut egui::Ui, console: &mut Console, view: &mut ConsoleView) {
    header_ui(ui, console, view);

    if console.dropped_bytes() > 0 {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            format!(
                "{} of earlier output dropped ({} lines): the console keeps the last {}",
                bytes_text(console.dropped_bytes()),
                console.dropped_lines(),
                bytes_text(console.budget_bytes() as u64),
            ),
        );
    }

    let row_height =
        ui.text_style_height(&egui::TextStyle::Monospace) + ui.spacing().item_spacing.y;
    let frame = egui::Frame::canvas(ui.style()).inner_margin(4.0);
    frame.show(ui, |ui| {
        ui.set_min_size(ui.available_size());
        if view.query.is_empty() {
            if console.is_empty() {
                ui.weak("No output yet. Run the module (F5) to see what it writes.");
                return;
            }
            let mut area = if view.wrap {
                egui::ScrollArea::vertical()
            } else {
                egui::ScrollArea::both()
            }
            .id_salt("console rows")
            .auto_shrink(false)
            .stick_to_bottom(true);
            // At the end of the rows: egui clamps it to the last row, which makes the view
            // stick to the bottom again.
            let follow = std::mem::take(&mut view.follow_pending);
            let to_end = |rows: usize| rows as f32 * (row_height + ui.spacing().item_spacing.y);
            let scroll = if view.wrap {
                let font = egui::TextStyle::Monospace.resolve(ui.style());
                let glyph = ui.ctx().fonts_mut(|f| f.glyph_width(&font, 'M')).max(1.0);
                // Leave room for the scroll bar.
                let cols = ((ui.available_width() - 16.0) / glyph).floor().max(8.0) as usize;
                wrapped_rows_ui(ui, area, row_height, console, view, cols, follow)
            } else {
                if follow {
                    area = area.vertical_scroll_offset(to_end(console.len()));
                }
                area.show_rows(ui, row_height, console.len(), |ui, range| {
                    for index in range {
                        if let Some(line) = console.line(index) {
                            line_ui(ui, &line);
                        }
                    }
                })
            };
            let at_bottom =
                scroll.state.clamped_offset().y + scroll.inner_rect.height() + row_height
                    >= scroll.content_size.y;
            if !at_bottom {
                let corner = scroll.inner_rect.right_bottom() - egui::vec2(8.0, 8.0);
                egui::Area::new(ui.scope_id().with("follow"))
                    .fixed_pos(corner)
                    .pivot(egui::Align2::RIGHT_BOTTOM)
                    .show(ui.ctx(), |ui| {
                        ui.label(
                            RichText::new("auto-scroll paused: scroll to the bottom to follow")
                                .small()
                                .weak(),
                        );
                    });
            }
        } else {
            view.update_matches(console);
            if view.matches.is_empty() {
                ui.weak(format!("No line contains “{}”.", view.query));
                return;
            }
            egui::ScrollArea::both()
                .id_salt("console matches")
                .auto_shrink(false)
                .show_rows(ui, row_height, view.matches.len(), |ui, range| {
                    for index in range {
                        if let Some(line) = view.matches.get(index).and_then(|&s| console.by_seq(s))
                        {
                            line_ui(ui, line);
                        }
                    }
                });
        }
    });
}

fn shown_text(console: &Console, view: &mut ConsoleView) -> String {
    if view.query.is_empty() {
        return console.text();
    }
    view.update_matches(console);
    let mut text = String::new();
    for line in view.matches.iter().filter_map(|&seq| console.by_seq(seq)) {
        text.push_str(&line.text);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(console: &Console) -> Vec<String> {
        (0..console.len())
            .map(|i| console.line(i).expect("row in range").text)
            .collect()
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let mut console = Console::default();
        console.push(StdStream::Stdout, b"Hel");
        console.push(StdStream::Stdout, b"lo\nwor");
        assert_eq!(texts(&console), vec!["Hello", "wor"]);
        console.push(StdStream::Stdout, b"ld\n\n");
        assert_eq!(texts(&console), vec!["Hello", "world", ""]);
    }

    #[test]
    fn streams_keep_their_own_partial_lines_and_order() {
        let mut console = Console::default();
        console.push(StdStream::Stdout, b"out ");
        console.push(StdStream::Stderr, b"err 1\n");
        console.push(StdStream::Stdout, b"line\n");
        console.push(StdStream::Stderr, b"err 2\n");
        let lines: Vec<_> = (0..console.len())
            .map(|i| console.line(i).expect("row"))
            .map(|l| (l.source, l.text))
            .collect();
        assert_eq!(
            lines,
            vec![
                (Source::Stderr, "err 1".to_owned()),
                (Source::Stdout, "out line".to_owned()),
                (Source::Stderr, "err 2".to_owned()),
            ]
        );
    }

    #[test]
    fn budget_drops_oldest_lines_and_counts_their_bytes() {
        let mut console = Console::with_budget(10 * (LINE_OVERHEAD_BYTES + 9));
        for i in 0..1000 {
            console.push(StdStream::Stdout, format!("line {i:04}\n").as_bytes());
        }
        assert_eq!(console.len(), 10);
        assert!(console.used_bytes() <= console.budget_bytes());
        let kept = texts(&console);
        assert_eq!(kept.first().map(String::as_str), Some("line 0990"));
        assert_eq!(kept.last().map(String::as_str), Some("line 0999"));
        assert_eq!(console.dropped_lines(), 990);
        assert_eq!(console.dropped_bytes(), 990 * 10);
    }

    #[test]
    fn a_flood_without_newlines_stays_bounded() {
        let mut console = Console::with_budget(64 * 1024);
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..100 {
            console.push(StdStream::Stdout, &chunk);
        }
        assert!(console.used_bytes() <= console.budget_bytes() + MAX_LINE_BYTES);
        assert!(
            console.dropped_bytes() > 6_000_000,
            "{}",
            console.dropped_bytes()
        );
        assert!(texts(&console).iter().all(|t| t.len() <= MAX_LINE_BYTES));
    }

    #[test]
    fn a_flood_of_empty_lines_stays_bounded() {
        let mut console = Console::with_budget(4096);
        console.push(StdStream::Stdout, &vec![b'\n'; 1_000_000]);
        assert!(console.used_bytes() <= 4096);
        assert_eq!(console.dropped_bytes() + console.len() as u64, 1_000_000);
    }

    #[test]
    fn long_lines_break_on_character_boundaries() {
        let mut console = Console::default();
        // One ASCII byte first, so the 2-byte characters straddle the break.
        let text = format!("a{}", "é".repeat(MAX_LINE_BYTES));
        console.push(StdStream::Stdout, text.as_bytes());
        console.flush();
        let rows = texts(&console);
        assert!(rows.len() >= 2);
        assert!(
            rows.iter().all(|r| !r.contains('\u{fffd}')),
            "a character was split"
        );
        assert_eq!(rows.concat(), text);
    }

    #[test]
    fn search_matches_follow_new_and_dropped_lines() {
        let mut console = Console::with_budget(4 * (LINE_OVERHEAD_BYTES + 6));
        let mut view = ConsoleView {
            query: "B".to_owned(),
            ..Default::default()
        };
        console.push(StdStream::Stdout, b"a 1\nb 1\n");
        view.update_matches(&console);
        assert_eq!(view.matches.len(), 1);
        console.push(StdStream::Stdout, b"a 2\nb 2\na 3\nb 3\n");
        view.update_matches(&console);
        let found: Vec<_> = view
            .matches
            .iter()
            .filter_map(|&s| console.by_seq(s))
            .map(|l| l.text.clone())
            .collect();
        assert_eq!(found, vec!["b 2", "b 3"]);
    }

    #[test]
    fn clear_forgets_lines_and_drops() {
        let mut console = Console::with_budget(100);
        console.push(StdStream::Stderr, &[b'y'; 1000]);
        console.push(StdStream::Stderr, b"\n");
        console.clear();
        assert!(console.is_empty());
        assert_eq!(console.dropped_bytes(), 0);
    }
}
