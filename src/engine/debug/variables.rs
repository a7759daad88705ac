//! Source-level variables from a module's DWARF: a stopped frame's parameters and locals by
//! their names in the program's source, with their types and values, read from the frame's
//! wasm locals and globals and from linear memory (where `-O0` code keeps them, off the frame
//! base). gimli parses the DWARF and evaluates the usual location expressions; the
//! WebAssembly location operators (`DW_OP_WASM_location`: a local, a global, an operand) it
//! parses but does not evaluate, so they are evaluated here.
//!
//! Everything here reads untrusted bytes: every step is bounded (members, elements, string
//! bytes, the depth of pointers followed, the evaluation's steps), and what cannot be read
//! says so in its value instead of showing a wrong number.

use std::sync::Arc;

use gimli::{EndianSlice, LittleEndian, UnitOffset};

use crate::engine::debug::source_values::{R, read_frame, read_unit_globals};
use crate::engine::debug::values::{FrameView, SourceVariable};

/// A subprogram's code range, for finding a pc's function.
struct Function {
    low: u64,
    high: u64,
    /// Its unit's offset in `.debug_info`, and its entry's in the unit.
    unit: gimli::DebugInfoOffset,
    entry: UnitOffset,
}

/// A module's DWARF sections, kept, with its functions indexed by code range.
pub struct SourceInfo {
    sections: Vec<(String, Arc<[u8]>)>,
    functions: Vec<Function>,
    /// Where the code section's contents start: DWARF addresses count from there.
    code_start: u64,
}

impl SourceInfo {
    /// Reads `wasm`'s DWARF; `None` when it has none that can be read.
    pub fn parse(wasm: &[u8]) -> Option<Self> {
        let mut sections: Vec<(String, Arc<[u8]>)> = Vec::new();
        let mut code_start = None;
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            match payload.ok()? {
                wasmparser::Payload::CustomSection(reader)
                    if reader.name().starts_with(".debug_") =>
                {
                    sections.push((reader.name().to_owned(), Arc::from(reader.data())));
                }
                wasmparser::Payload::CodeSectionStart { range, .. } => {
                    code_start = Some(range.start as u64);
                }
                _ => {}
            }
        }
        if !sections.iter().any(|(name, _)| name == ".debug_info") {
            return None;
        }
        let mut info = Self {
            sections,
            functions: Vec::new(),
            code_start: code_start?,
        };
        let mut functions = Vec::new();
        {
            let dwarf = info.dwarf()?;
            let mut headers = dwarf.units();
            while let Ok(Some(header)) = headers.next() {
                let Some(offset) = header.offset().to_debug_info_offset(&header) else {
                    continue;
                };
                let Ok(unit) = dwarf.unit(header) else {
                    continue;
                };
                let mut entries = unit.entries();
                while let Ok(Some(entry)) = entries.next_dfs() {
                    if entry.tag() != gimli::DW_TAG_subprogram {
                        continue;
                    }
                    let Ok(mut ranges) = dwarf.die_ranges(&unit, entry) else {
                        continue;
                    };
                    while let Ok(Some(range)) = ranges.next() {
                        if range.begin < range.end {
                            functions.push(Function {
                                low: range.begin,
                                high: range.end,
                                unit: offset,
                                entry: entry.offset(),
                            });
                        }
                    }
                }
            }
        }
        // Functions the linker dropped keep a range at address 0: never a frame's.
        functions.retain(|f| f.low > 0);
        functions.sort_by_key(|f| f.low);
        info.functions = functions;
        Some(info)
    }

    /// The subprogram around module offset `pc`, and `pc` as a DWARF address.
    fn function_at(&self, pc: u64) -> Option<(&Function, u64)> {
        let address = pc.checked_sub(self.code_start)?;
        let at = self.functions.partition_point(|f| f.low <= address);
        let function = self.functions[..at]
            .iter()
            .rev()
            .take(8)
            .find(|f| address < f.high)?;
        Some((function, address))
    }

    /// Whether the DWARF describes the function around module offset `pc` (a function the
    /// linker made, like `_start.command_export`, or one built without `-g`, has none).
    pub fn describes(&self, pc: u64) -> bool {
        self.function_at(pc).is_some()
    }

    /// The source's name of the function around module offset `pc` (for a module without a
    /// name section).
    pub fn function_name(&self, pc: u64) -> Option<String> {
        let (function, _) = self.function_at(pc)?;
        let dwarf = self.dwarf()?;
        let header = dwarf.debug_info.header_from_offset(function.unit).ok()?;
        let unit = dwarf.unit(header).ok()?;
        let entry = unit.entry(function.entry).ok()?;
        let name = entry.attr_value(gimli::DW_AT_name)?;
        let name = dwarf.attr_string(&unit, name).ok()?;
        Some(String::from_utf8_lossy(name.slice()).into_owned())
    }

    /// The sections as gimli reads them (borrowed: cheap to make again).
    fn dwarf(&self) -> Option<gimli::Dwarf<R<'_>>> {
        let load = |id: gimli::SectionId| -> Result<R<'_>, gimli::Error> {
            let data = self
                .sections
                .iter()
                .find(|(name, _)| name == id.name())
                .map_or(&[][..], |(_, data)| &data[..]);
            Ok(EndianSlice::new(data, LittleEndian))
        };
        gimli::Dwarf::load(load).ok()
    }

    /// The parameters and locals in scope at `frame`'s pc, in source order; empty when the
    /// DWARF does not describe the function.
    pub fn variables(&self, frame: &FrameView<'_>) -> Vec<SourceVariable> {
        let Some((dwarf, unit, function, address)) = self.unit_at(frame.pc) else {
            return Vec::new();
        };
        read_frame(&dwarf, &unit, frame, address, function)
    }

    /// The global and static variables of the source file `frame`'s function is in; empty
    /// when the DWARF does not describe the function.
    pub fn unit_globals(&self, frame: &FrameView<'_>) -> Vec<SourceVariable> {
        let Some((dwarf, unit, _, _)) = self.unit_at(frame.pc) else {
            return Vec::new();
        };
        read_unit_globals(&dwarf, &unit, frame)
    }

    /// The DWARF, the compilation unit and the subprogram entry of the function around module
    /// offset `pc`, and `pc` as a DWARF address.
    fn unit_at(
        &self,
        pc: u64,
    ) -> Option<(gimli::Dwarf<R<'_>>, gimli::Unit<R<'_>>, UnitOffset, u64)> {
        let (function, address) = self.function_at(pc)?;
        let dwarf = self.dwarf()?;
        let header = dwarf.debug_info.header_from_offset(function.unit).ok()?;
        let unit = dwarf.unit(header).ok()?;
        Some((dwarf, unit, function.entry, address))
    }
}
