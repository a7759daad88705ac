//! The source around a frame's line, read from the file its DWARF names when that file is on
//! this machine (else why not).

use serde::{Deserialize, Serialize};

use crate::engine::debug::SOURCE_CONTEXT_LINES;

/// Source lines around a frame's line, from the file DWARF names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceContext {
    /// The file, as DWARF names it.
    pub file: String,
    /// The current line (1-based).
    pub line: u32,
    /// (line number, text) around it; empty when the file could not be read.
    pub lines: Vec<(u32, String)>,
    /// Why there are no lines, when there are none.
    pub note: Option<String>,
}

/// The source around `source` (`file:line[:col]`), read from disk when the file exists.
pub fn source_context(source: &str) -> Option<SourceContext> {
    let mut parts = source.rsplitn(3, ':').collect::<Vec<_>>();
    parts.reverse();
    // file:line:col, file:line, or file (Windows drive letters make this approximate).
    let (file, line) = match parts.as_slice() {
        [file, line, col] if col.parse::<u32>().is_ok() => (file.to_string(), line.parse().ok()?),
        [a, b, line] => (format!("{a}:{b}"), line.parse().ok()?),
        [file, line] => (file.to_string(), line.parse().ok()?),
        _ => return None,
    };
    let mut context = SourceContext {
        file: file.clone(),
        line,
        lines: Vec::new(),
        note: None,
    };
    let path = std::path::Path::new(&file);
    // Named by the module, so untrusted: a regular file only (never a FIFO or a device that
    // would block or never end), and bounded.
    match crate::engine::inputs::read(path, crate::engine::inputs::InputKind::Source) {
        Err(crate::engine::inputs::InputError::Missing { .. }) => {
            context.note = Some(format!(
                "{file} is not on this machine: only the line number is known"
            ));
        }
        Err(e) => context.note = Some(format!("{file} is not read: {}", e.reason())),
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let first = (line as usize).saturating_sub(SOURCE_CONTEXT_LINES).max(1);
            let last = line as usize + SOURCE_CONTEXT_LINES;
            context.lines = text
                .lines()
                .enumerate()
                .map(|(i, text)| (i + 1, text))
                .filter(|(n, _)| (first..=last).contains(n))
                .map(|(n, text)| (n as u32, text.chars().take(400).collect()))
                .collect();
            if context.lines.is_empty() {
                context.note = Some(format!(
                    "{file} has no line {line}: it may not be the file this module was \
                     built from"
                ));
            }
        }
    }
    Some(context)
}
