//! Who wrote these bytes before this moment: the instructions of a module that write memory 0
//! (stores and bulk writes), and whether one about to run writes a watched range, read from
//! its operands as a time-travel replay steps through it.

use std::collections::HashMap;

use wasmparser::{Parser, Payload};
use wasmtime::{AsContextMut, FrameHandle, Val};

use crate::engine::policy::WatchedRange;
use crate::engine::record::last_write::instrument::{SiteKind, bulk_of, store_of};

/// The writing instructions of a module, by module offset.
#[derive(Debug, Default)]
pub(crate) struct WriteSites {
    sites: HashMap<usize, SiteKind>,
}

impl WriteSites {
    /// Reads `wasm`'s code for instructions that write memory 0.
    pub(crate) fn of(wasm: &[u8]) -> Self {
        let mut sites = HashMap::new();
        for payload in Parser::new(0).parse_all(wasm) {
            let Ok(Payload::CodeSectionEntry(body)) = payload else {
                continue;
            };
            let Ok(mut ops) = body.get_operators_reader() else {
                continue;
            };
            while !ops.eof() {
                let Ok((op, offset)) = ops.read_with_offset() else {
                    break;
                };
                let kind = match store_of(&op) {
                    Some((_, memarg, width, _)) if memarg.memory == 0 => SiteKind::Store {
                        offset: memarg.offset,
                        width,
                    },
                    Some(_) => continue,
                    None => match bulk_of(&op) {
                        Some((_, kind)) => kind,
                        None => continue,
                    },
                };
                sites.insert(offset, kind);
            }
        }
        Self { sites }
    }

    /// Whether the instruction at `offset` (about to run in `frame`) writes any byte of
    /// `range`, read from the operands on the frame's stack.
    pub(crate) fn writes(
        &self,
        mut store: impl AsContextMut,
        frame: &FrameHandle,
        offset: usize,
        range: WatchedRange,
    ) -> bool {
        let Some(kind) = self.sites.get(&offset) else {
            return false;
        };
        let depth = frame.num_stacks(&mut store).unwrap_or(0);
        // The operand `back` slots below the top (0: the top).
        let mut operand = |back: u32| -> Option<u64> {
            let index = depth.checked_sub(back + 1)?;
            match frame.stack(&mut store, index).ok()? {
                Val::I32(v) => Some(u64::from(v as u32)),
                Val::I64(v) => Some(v as u64),
                _ => None,
            }
        };
        let (start, len) = match *kind {
            // [address, value]
            SiteKind::Store { offset, width } => match operand(1) {
                Some(address) => (address.saturating_add(offset), u64::from(width)),
                None => return false,
            },
            // [destination, value or source, length]
            SiteKind::Fill | SiteKind::Copy | SiteKind::Init(_) => match (operand(2), operand(0)) {
                (Some(destination), Some(len)) => (destination, len),
                _ => return false,
            },
            SiteKind::Drop(_) => return false,
        };
        range.overlaps(start, len)
    }
}
