//! Wrapped console rows: long lines cut at the console's width, found by screen row fast
//! enough for a million lines (running totals, updated with only the new lines).

use eframe::egui;
use std::collections::VecDeque;

use super::{Console, ConsoleView, Line, line_ui};

/// How many screen rows each kept line takes when lines wrap at `cols` characters, as running
/// totals, so the view finds the line of any screen row by binary search and stays fast with a
/// million lines. Updated with only the lines added since the last frame.
#[derive(Debug, Default)]
pub(super) struct WrapIndex {
    cols: usize,
    /// Sequence number of the line `ends[0]` is for.
    first_seq: u64,
    /// For each line from `first_seq` on: the screen rows up to and including it, plus `base`.
    ends: VecDeque<u64>,
    /// The rows of the lines dropped from the front (subtract from `ends`).
    base: u64,
}

/// Screen rows a text of `chars` characters takes at `cols` per row (an empty line takes one).
fn rows_for(chars: usize, cols: usize) -> u64 {
    chars.div_ceil(cols.max(1)).max(1) as u64
}

impl WrapIndex {
    pub(super) fn update(&mut self, console: &Console, cols: usize) {
        if cols != self.cols || self.first_seq > console.first_seq() {
            *self = Self {
                cols,
                first_seq: console.first_seq(),
                ..Self::default()
            };
        }
        while self.first_seq < console.first_seq() {
            match self.ends.pop_front() {
                Some(end) => self.base = end,
                None => {
                    // Everything counted is gone (a clear): start at the console's first line.
                    self.base = 0;
                    self.first_seq = console.first_seq();
                    break;
                }
            }
            self.first_seq += 1;
        }
        let mut total = self.ends.back().copied().unwrap_or(self.base);
        for seq in self.first_seq + self.ends.len() as u64..console.end_seq() {
            let chars = console.by_seq(seq).map_or(0, |l| l.text.chars().count());
            total += rows_for(chars, cols);
            self.ends.push_back(total);
        }
    }

    /// Screen rows of the complete lines.
    pub(super) fn rows(&self) -> u64 {
        self.ends.back().map_or(0, |end| end - self.base)
    }

    /// The line (by sequence number) shown on screen row `row`, and which piece of it.
    pub(super) fn locate(&self, row: u64) -> Option<(u64, u64)> {
        let target = row + self.base;
        let index = self.ends.partition_point(|&end| end <= target);
        let start = if index == 0 {
            self.base
        } else {
            *self.ends.get(index - 1)?
        };
        self.ends.get(index)?;
        Some((self.first_seq + index as u64, target - start))
    }
}

/// Piece `piece` of `text` cut into `cols`-character rows.
fn piece(text: &str, cols: usize, piece: u64) -> String {
    let skip = usize::try_from(piece)
        .unwrap_or(usize::MAX)
        .saturating_mul(cols);
    text.chars().skip(skip).take(cols).collect()
}

/// The rows with long lines cut at `cols` characters (the font is monospace, so a character
/// count is a width).
pub(super) fn wrapped_rows_ui(
    ui: &mut egui::Ui,
    area: egui::ScrollArea,
    row_height: f32,
    console: &Console,
    view: &mut ConsoleView,
    cols: usize,
    follow: bool,
) -> egui::scroll_area::ScrollAreaOutput<()> {
    view.wrapped.update(console, cols);
    let complete_rows = view.wrapped.rows();
    // Lines not ended yet (at most one per stream) come last.
    let partial: Vec<(Line, u64)> = (console.end_seq() - console.first_seq()..console.len() as u64)
        .filter_map(|index| console.line(usize::try_from(index).ok()?))
        .map(|line| {
            let rows = rows_for(line.text.chars().count(), cols);
            (line, rows)
        })
        .collect();
    let total_rows = complete_rows + partial.iter().map(|(_, rows)| rows).sum::<u64>();
    let total_rows = usize::try_from(total_rows).unwrap_or(usize::MAX);
    let area = if follow {
        area.vertical_scroll_offset(total_rows as f32 * (row_height + ui.spacing().item_spacing.y))
    } else {
        area
    };
    let wrapped = &view.wrapped;
    area.show_rows(ui, row_height, total_rows, |ui, range| {
        for row in range {
            let row = row as u64;
            let found = if row < complete_rows {
                wrapped
                    .locate(row)
                    .and_then(|(seq, k)| Some((console.by_seq(seq)?.clone(), k)))
            } else {
                let mut rest = row - complete_rows;
                partial.iter().find_map(|(line, rows)| {
                    if rest < *rows {
                        Some((line.clone(), rest))
                    } else {
                        rest -= rows;
                        None
                    }
                })
            };
            if let Some((line, k)) = found {
                line_ui(
                    ui,
                    &Line {
                        source: line.source,
                        text: piece(&line.text, cols, k),
                    },
                );
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StdStream;
    use crate::ui::console::LINE_OVERHEAD_BYTES;

    #[test]
    fn wrapped_rows_find_every_piece_of_every_line() {
        let mut console = Console::with_budget(40 * (LINE_OVERHEAD_BYTES + 20));
        let mut index = WrapIndex::default();
        console.push(StdStream::Stdout, b"0123456789abcdefghij\n\nxyz\n");
        index.update(&console, 8);
        // 20 characters take 3 rows of 8, the empty line 1, "xyz" 1.
        assert_eq!(index.rows(), 5);
        let first = console.first_seq();
        assert_eq!(index.locate(0), Some((first, 0)));
        assert_eq!(index.locate(2), Some((first, 2)));
        assert_eq!(piece("0123456789abcdefghij", 8, 2), "ghij");
        assert_eq!(index.locate(3), Some((first + 1, 0)));
        assert_eq!(index.locate(4), Some((first + 2, 0)));
        assert_eq!(index.locate(5), None);

        // Dropped lines leave the index as new ones arrive; a clear starts it afresh.
        for i in 0..100 {
            console.push(StdStream::Stdout, format!("line {i}\n").as_bytes());
        }
        index.update(&console, 8);
        assert_eq!(index.rows(), console.len() as u64);
        let last = index.locate(index.rows() - 1).expect("last row");
        assert_eq!(
            console.by_seq(last.0).map(|l| l.text.as_str()),
            Some("line 99")
        );
        console.clear();
        console.push(StdStream::Stdout, b"after\n");
        index.update(&console, 8);
        assert_eq!(index.rows(), 1);
        let only = index.locate(0).expect("row");
        assert_eq!(
            console.by_seq(only.0).map(|l| l.text.as_str()),
            Some("after")
        );
        // A new width recounts.
        index.update(&console, 2);
        assert_eq!(index.rows(), 3);
    }
}
