//! Whether a module's DWARF still describes its code. A toolchain that optimizes after the
//! DWARF was written (`wasm-opt -O2` after linking with `-g`) leaves line tables whose
//! addresses point between the new instructions: the sections are there, yet no backtrace
//! gets a file:line. The check: do the line table's addresses land on instructions?

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use wasmparser::{Parser, Payload};

/// At most this many line-table addresses are checked (spread evenly over the table), so a
/// module with hundreds of megabytes of DWARF is checked in moments.
const SAMPLED_ROWS: usize = 4_096;

/// Below this share of addresses on instructions, the DWARF is taken not to cover the code.
/// Fresh DWARF puts nearly every row on an instruction; stale DWARF, about as many as chance.
const COVERED_SHARE: f64 = 0.5;

/// What the line tables say about the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DwarfCoverage {
    /// Line-table addresses checked.
    pub checked: u32,
    /// Of those, the ones that are the start of an instruction (or of a function body).
    pub on_instructions: u32,
}

impl DwarfCoverage {
    /// Whether the line tables describe this code, so backtraces can show file:line.
    pub fn covers_code(&self) -> bool {
        self.checked > 0
            && f64::from(self.on_instructions) >= f64::from(self.checked) * COVERED_SHARE
    }
}

/// Checks the line tables of a core module against its code; `None` when it has no line
/// table to check (no DWARF, or DWARF that cannot be read).
pub fn coverage(wasm: &[u8]) -> Option<DwarfCoverage> {
    let mut sections: HashMap<String, &[u8]> = HashMap::new();
    let mut code_start = None;
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::CustomSection(reader) if reader.name().starts_with(".debug_") => {
                sections.insert(reader.name().to_owned(), reader.data());
            }
            Payload::CodeSectionStart { range, .. } => code_start = Some(range.start),
            Payload::CodeSectionEntry(body) => bodies.push(body),
            _ => {}
        }
    }
    sections.get(".debug_line")?;
    let code_start = code_start?;
    let addresses = line_addresses(&sections)?;
    if addresses.is_empty() {
        return None;
    }
    let mut sampled: Vec<usize> = addresses
        .iter()
        .filter_map(|a| usize::try_from(*a).ok())
        .filter_map(|a| a.checked_add(code_start))
        .collect();
    sampled.sort_unstable();
    let mut on_instructions = 0u32;
    for body in &bodies {
        let range = body.range();
        let from = sampled.partition_point(|a| *a < range.start);
        let to = sampled.partition_point(|a| *a < range.end);
        if from == to {
            continue;
        }
        let wanted = &sampled[from..to];
        let mut starts = vec![range.start];
        if let Ok(mut operators) = body.get_operators_reader() {
            while !operators.eof() {
                match operators.read_with_offset() {
                    Ok((_, offset)) => starts.push(offset),
                    Err(_) => break,
                }
            }
        }
        on_instructions += wanted
            .iter()
            .filter(|a| starts.binary_search(*a).is_ok())
            .count() as u32;
    }
    Some(DwarfCoverage {
        checked: sampled.len() as u32,
        on_instructions,
    })
}

/// Addresses of line-table rows (code-section offsets), end-of-sequence rows left out: all of
/// them up to [`SAMPLED_ROWS`], else an even spread of about that many (every other one is
/// dropped each time the sample fills, and the stride doubles). `None` when the DWARF cannot
/// be read.
fn line_addresses(sections: &HashMap<String, &[u8]>) -> Option<Vec<u64>> {
    let dwarf = gimli::Dwarf::load(|id| {
        let data = sections.get(id.name()).copied().unwrap_or(&[]);
        Ok::<_, gimli::Error>(gimli::EndianSlice::new(data, gimli::LittleEndian))
    })
    .ok()?;
    let mut addresses = Vec::new();
    let (mut stride, mut seen) = (1u64, 0u64);
    let mut units = dwarf.units();
    while let Ok(Some(header)) = units.next() {
        let Ok(unit) = dwarf.unit(header) else {
            continue;
        };
        let Some(program) = unit.line_program.clone() else {
            continue;
        };
        let mut rows = program.rows();
        while let Ok(Some((_, row))) = rows.next_row() {
            if row.end_sequence() {
                continue;
            }
            if seen.is_multiple_of(stride) {
                addresses.push(row.address());
                if addresses.len() >= 2 * SAMPLED_ROWS {
                    let mut keep = false;
                    addresses.retain(|_| {
                        keep = !keep;
                        keep
                    });
                    stride *= 2;
                }
            }
            seen += 1;
        }
    }
    Some(addresses)
}

/// A module's line table, for finding an instruction's file:line by its module offset.
#[derive(Debug)]
pub struct LineTable {
    code_start: usize,
    /// (code-section address, its place; `None` past a sequence's end), by address.
    rows: Vec<(u64, Option<Place>)>,
}

/// A line-table row's place in the source.
#[derive(Debug)]
struct Place {
    file: String,
    line: u32,
    /// 0 when the row has none.
    column: u32,
}

impl LineTable {
    /// The line table of `wasm`; `None` without readable DWARF.
    pub fn of(wasm: &[u8]) -> Option<Self> {
        let mut sections: HashMap<String, &[u8]> = HashMap::new();
        let mut code_start = None;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.ok()? {
                Payload::CustomSection(reader) if reader.name().starts_with(".debug_") => {
                    sections.insert(reader.name().to_owned(), reader.data());
                }
                Payload::CodeSectionStart { range, .. } => code_start = Some(range.start),
                _ => {}
            }
        }
        sections.get(".debug_line")?;
        let dwarf = gimli::Dwarf::load(|id| {
            let data = sections.get(id.name()).copied().unwrap_or(&[]);
            Ok::<_, gimli::Error>(gimli::EndianSlice::new(data, gimli::LittleEndian))
        })
        .ok()?;
        let mut rows = Vec::new();
        let mut units = dwarf.units();
        while let Ok(Some(header)) = units.next() {
            let Ok(unit) = dwarf.unit(header) else {
                continue;
            };
            let Some(program) = unit.line_program.clone() else {
                continue;
            };
            let mut program_rows = program.rows();
            while let Ok(Some((header, row))) = program_rows.next_row() {
                if row.end_sequence() {
                    rows.push((row.address(), None));
                    continue;
                }
                let file = row.file(header).and_then(|file| {
                    let name = dwarf.attr_string(&unit, file.path_name()).ok()?;
                    let name = name.to_string_lossy().into_owned();
                    let text = |s: gimli::EndianSlice<'_, gimli::LittleEndian>| {
                        s.to_string_lossy().into_owned()
                    };
                    let dir = file
                        .directory(header)
                        .and_then(|dir| dwarf.attr_string(&unit, dir).ok())
                        .map(text);
                    let comp_dir = unit.comp_dir.map(text);
                    // A relative name is relative to its include directory, and a relative
                    // directory to the unit's compile directory: an editor needs the whole
                    // path to open the file (`clang src/a.c` names `src/a.c`).
                    let join = |dir: Option<&String>, name: String| match dir {
                        Some(dir) if !name.starts_with('/') && !dir.is_empty() => {
                            format!("{}/{name}", dir.trim_end_matches('/'))
                        }
                        _ => name,
                    };
                    let name = join(dir.as_ref(), name);
                    Some(join(comp_dir.as_ref(), name))
                });
                let line = row.line().map_or(0, |line| line.get() as u32);
                let column = match row.column() {
                    gimli::ColumnType::LeftEdge => 0,
                    gimli::ColumnType::Column(column) => column.get() as u32,
                };
                let place = file.map(|file| Place { file, line, column });
                rows.push((row.address(), place));
            }
        }
        rows.sort_by_key(|(address, _)| *address);
        Some(Self {
            code_start: code_start?,
            rows,
        })
    }

    /// The module offset where the code of `file`'s `line` starts (its lowest address), for
    /// a breakpoint on a source line. `file` matches a row's file whole, or as its last path
    /// components (an editor's absolute path against DWARF's, or the reverse).
    pub fn offset_of(&self, file: &str, line: u32) -> Option<usize> {
        let same = |a: &str, b: &str| {
            a == b || a.ends_with(&format!("/{b}")) || b.ends_with(&format!("/{a}"))
        };
        let address = self
            .rows
            .iter()
            .filter_map(|(address, row)| {
                let place = row.as_ref()?;
                (place.line == line && same(&place.file, file)).then_some(*address)
            })
            .min()?;
        usize::try_from(address).ok()?.checked_add(self.code_start)
    }

    /// The file and line of the instruction at `module_offset`.
    /// The source files the table names, each once, in order of their paths.
    pub fn files(&self) -> Vec<&str> {
        let files: std::collections::BTreeSet<&str> = self
            .rows
            .iter()
            .filter_map(|(_, place)| place.as_ref().map(|p| p.file.as_str()))
            .collect();
        files.into_iter().collect()
    }

    pub fn line_at(&self, module_offset: usize) -> Option<(&str, u32)> {
        self.place_at(module_offset)
            .map(|place| (place.file.as_str(), place.line))
    }

    /// Where the instruction at `module_offset` comes from, as wasmtime writes a frame's
    /// source: `file:line:column`, or `file:line` when the row has no column.
    pub fn source_at(&self, module_offset: usize) -> Option<String> {
        let Place { file, line, column } = self.place_at(module_offset)?;
        Some(match column {
            0 => format!("{file}:{line}"),
            column => format!("{file}:{line}:{column}"),
        })
    }

    fn place_at(&self, module_offset: usize) -> Option<&Place> {
        let address = module_offset.checked_sub(self.code_start)? as u64;
        let at = self.rows.partition_point(|(a, _)| *a <= address);
        let (_, place) = self.rows.get(at.checked_sub(1)?)?;
        place.as_ref().filter(|place| place.line > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gimli::write::{Address, DwarfUnit, EndianVec, LineProgram, LineString, Sections};

    /// Two functions of `i32.const 1000000` (4 bytes) and `drop` (1 byte), so most offsets
    /// inside them are not instruction starts.
    const MODULE: &str = r#"(module
        (func (export "a") i32.const 1000000 drop i32.const 1000000 drop i32.const 1000000 drop)
        (func (export "b") i32.const 1000000 drop i32.const 1000000 drop))"#;

    /// The module's instruction starts, as code-section offsets (DWARF's addresses).
    fn instruction_addresses(wasm: &[u8]) -> Vec<u64> {
        let mut code_start = 0;
        let mut addresses = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.unwrap() {
                Payload::CodeSectionStart { range, .. } => code_start = range.start,
                Payload::CodeSectionEntry(body) => {
                    let mut operators = body.get_operators_reader().unwrap();
                    while !operators.eof() {
                        let (_, offset) = operators.read_with_offset().unwrap();
                        addresses.push((offset - code_start) as u64);
                    }
                }
                _ => {}
            }
        }
        addresses
    }

    /// `wasm` with DWARF whose line table has a row at each of `addresses`.
    fn with_line_table(wasm: &[u8], addresses: &[u64]) -> Vec<u8> {
        let encoding = gimli::Encoding {
            format: gimli::Format::Dwarf32,
            version: 4,
            address_size: 4,
        };
        let mut dwarf = DwarfUnit::new(encoding);
        let mut program = LineProgram::new(
            encoding,
            gimli::LineEncoding::default(),
            LineString::String(b"/src".to_vec()),
            None,
            LineString::String(b"main.c".to_vec()),
            None,
        );
        let directory = program.default_directory();
        let file = program.add_file(LineString::String(b"main.c".to_vec()), directory, None);
        program.begin_sequence(Some(Address::Constant(0)));
        for (line, address) in addresses.iter().enumerate() {
            program.row().address_offset = *address;
            program.row().file = file;
            program.row().line = line as u64 + 1;
            program.generate_row();
        }
        program.end_sequence(addresses.last().unwrap() + 1);
        dwarf.unit.line_program = program;
        let mut sections = Sections::new(EndianVec::new(gimli::LittleEndian));
        dwarf.write(&mut sections).unwrap();
        let mut out = wasm.to_vec();
        sections
            .for_each(|id, data| {
                let data = data.slice();
                if !data.is_empty() {
                    let mut payload = Vec::new();
                    leb(&mut payload, id.name().len() as u64);
                    payload.extend_from_slice(id.name().as_bytes());
                    payload.extend_from_slice(data);
                    out.push(0);
                    leb(&mut out, payload.len() as u64);
                    out.extend_from_slice(&payload);
                }
                Ok::<_, ()>(())
            })
            .unwrap();
        out
    }

    use crate::engine::leb::write_u64 as leb;

    #[test]
    fn a_line_table_on_the_instructions_covers_the_code() {
        let wasm = wat::parse_str(MODULE).unwrap();
        let fresh = with_line_table(&wasm, &instruction_addresses(&wasm));
        let coverage = coverage(&fresh).unwrap();
        assert!(coverage.checked >= 10, "{coverage:?}");
        assert!(coverage.covers_code(), "{coverage:?}");
        let info = crate::engine::info::parse(&fresh);
        assert_eq!(
            info.dwarf_text(),
            "DWARF present: backtraces can show file:line"
        );
    }

    /// `replay --last-write` reads file:line from the original module by module offset.
    #[test]
    fn an_instruction_is_found_in_the_line_table_by_its_module_offset() {
        let wasm = wat::parse_str(MODULE).unwrap();
        let addresses = instruction_addresses(&wasm);
        let with_dwarf = with_line_table(&wasm, &addresses);
        let table = LineTable::of(&with_dwarf).unwrap();
        let code_start = Parser::new(0)
            .parse_all(&with_dwarf)
            .find_map(|p| match p.unwrap() {
                Payload::CodeSectionStart { range, .. } => Some(range.start),
                _ => None,
            })
            .unwrap();
        let third = code_start + addresses[2] as usize;
        let (file, line) = table.line_at(third).unwrap();
        assert!(file.ends_with("main.c") && line == 3, "{file}:{line}");
        // Inside an instruction: the row it belongs to.
        assert_eq!(table.line_at(third + 1).map(|(_, line)| line), Some(3));
        assert_eq!(table.line_at(code_start - 1), None);
        assert!(LineTable::of(&wasm).is_none(), "no DWARF, no table");
    }

    /// Issue 24: DWARF written before the optimizer rewrote the code was announced as giving
    /// file:line, and backtraces then showed none.
    #[test]
    fn a_line_table_between_the_instructions_is_called_stale() {
        let wasm = wat::parse_str(MODULE).unwrap();
        let stale: Vec<u64> = instruction_addresses(&wasm).iter().map(|a| a + 2).collect();
        let info = crate::engine::info::parse(&with_line_table(&wasm, &stale));
        let coverage = info.dwarf_coverage.unwrap();
        assert!(!coverage.covers_code(), "{coverage:?}");
        assert!(
            info.dwarf_text()
                .starts_with("DWARF present, but it does not cover the code"),
            "{}",
            info.dwarf_text()
        );
        // No DWARF at all says so.
        assert_eq!(crate::engine::info::parse(&wasm).dwarf_text(), "none");
    }
}
