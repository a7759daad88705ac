//! Reading one frame's source variables through its DWARF (see
//! [`crate::engine::debug::variables`]): locations evaluated (the WebAssembly operators here,
//! the rest by gimli), types followed (base types, pointers, structs, unions, arrays, enums,
//! typedefs and qualifiers), values formatted as the source would show them. Every step is
//! bounded: members, elements, string bytes, nesting, values read per frame, evaluation steps.

use std::cell::Cell;

use gimli::{AttributeValue, EndianSlice, LittleEndian, Operation, UnitOffset};

use crate::engine::debug::values::{FrameView, SourceVariable};

/// How gimli reads the sections here.
pub(super) type R<'a> = EndianSlice<'a, LittleEndian>;

/// The most members (or elements) of one value shown.
pub(super) const MAX_MEMBERS: usize = 64;

/// The most bytes of a C string shown.
pub(super) const MAX_STRING: usize = 64;

/// How deep values nest: pointers followed, structs within structs.
const MAX_DEPTH: usize = 4;

/// The most values (variables, members, elements) read for one frame.
const MAX_VALUES_READ: usize = 4_096;

/// The most steps one location expression may take.
const MAX_STEPS: u32 = 1_000;

/// The variables in scope at `address` (a DWARF address) in the subprogram at `function`.
pub(super) fn read_frame<'a>(
    dwarf: &'a gimli::Dwarf<R<'a>>,
    unit: &'a gimli::Unit<R<'a>>,
    frame: &'a FrameView<'a>,
    address: u64,
    function: UnitOffset,
) -> Vec<SourceVariable> {
    let reader = Reader {
        dwarf,
        unit,
        frame,
        address,
        budget: Cell::new(MAX_VALUES_READ),
    };
    let Ok(mut tree) = unit.entries_tree(Some(function)) else {
        return Vec::new();
    };
    let Ok(root) = tree.root() else {
        return Vec::new();
    };
    let frame_base = root
        .entry()
        .attr_value(gimli::DW_AT_frame_base)
        .and_then(|value| reader.frame_base(value));
    let mut out = Vec::new();
    reader.scope(root, frame_base, &mut out, 0);
    out
}

/// The variables defined at the top of `unit` (a C file's globals and file statics) that have
/// a place, as they are in `frame`'s memory; declarations of other files' variables are not.
pub(super) fn read_unit_globals<'a>(
    dwarf: &'a gimli::Dwarf<R<'a>>,
    unit: &'a gimli::Unit<R<'a>>,
    frame: &'a FrameView<'a>,
) -> Vec<SourceVariable> {
    let reader = Reader {
        dwarf,
        unit,
        frame,
        address: 0,
        budget: Cell::new(MAX_VALUES_READ),
    };
    let Ok(mut tree) = unit.entries_tree(None) else {
        return Vec::new();
    };
    let Ok(root) = tree.root() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut children = root.children();
    while let Ok(Some(child)) = children.next() {
        if out.len() >= MAX_MEMBERS {
            break;
        }
        let entry = child.entry();
        let declaration = entry.attr_value(gimli::DW_AT_declaration).is_some();
        if entry.tag() != gimli::DW_TAG_variable
            || declaration
            || entry.attr_value(gimli::DW_AT_location).is_none()
        {
            continue;
        }
        // A variable the linker dropped (never used) keeps its tombstone address, -1.
        if let Some(variable) = reader.variable(entry, None)
            && !matches!(variable.address, Some(a) if a == u64::from(u32::MAX) || a == u64::MAX)
        {
            out.push(variable);
        }
    }
    out
}

/// Reading one frame's variables.
pub(super) struct Reader<'a> {
    dwarf: &'a gimli::Dwarf<R<'a>>,
    pub(super) unit: &'a gimli::Unit<R<'a>>,
    pub(super) frame: &'a FrameView<'a>,
    /// The frame's pc as a DWARF address.
    address: u64,
    /// Values still to be read for this frame (hostile DWARF nests without end).
    budget: Cell<usize>,
}

/// A data member of a struct, as its DWARF entry says.
pub(super) struct Member {
    pub(super) name: Option<String>,
    /// Bytes from the struct's start.
    pub(super) offset: u64,
    pub(super) ty: Option<UnitOffset>,
    /// A bitfield's width, and its first bit past `offset`.
    bit_size: Option<u64>,
    bit_offset: u64,
}

/// Where a variable's value is.
pub(super) enum Place {
    /// In linear memory at this address.
    Memory(u64),
    /// The value itself (a wasm local, global or operand, or a computed value).
    Value(u64),
    /// Nowhere at this pc.
    OptimizedOut,
    /// Somewhere this reader cannot follow.
    Unreadable(&'static str),
}

impl<'a> Reader<'a> {
    /// The variables of a scope (a subprogram or a lexical block around the pc), nested blocks
    /// after their parent's own.
    fn scope(
        &self,
        node: gimli::EntriesTreeNode<'_, '_, R<'a>>,
        frame_base: Option<u64>,
        out: &mut Vec<SourceVariable>,
        depth: usize,
    ) {
        let mut children = node.children();
        while let Ok(Some(child)) = children.next() {
            if out.len() >= MAX_MEMBERS {
                return;
            }
            let entry = child.entry();
            match entry.tag() {
                gimli::DW_TAG_formal_parameter | gimli::DW_TAG_variable => {
                    if let Some(variable) = self.variable(entry, frame_base) {
                        out.push(variable);
                    }
                }
                gimli::DW_TAG_lexical_block if depth < 16 && self.covers(entry) => {
                    self.scope(child, frame_base, out, depth + 1);
                }
                _ => {}
            }
        }
    }

    /// Whether a block's ranges hold the pc.
    fn covers(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>) -> bool {
        let Ok(mut ranges) = self.dwarf.die_ranges(self.unit, entry) else {
            return false;
        };
        while let Ok(Some(range)) = ranges.next() {
            if (range.begin..range.end).contains(&self.address) {
                return true;
            }
        }
        false
    }

    pub(super) fn name(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>) -> Option<String> {
        let value = entry.attr_value(gimli::DW_AT_name)?;
        let name = self.dwarf.attr_string(self.unit, value).ok()?;
        Some(String::from_utf8_lossy(name.slice()).into_owned())
    }

    fn variable(
        &self,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
        frame_base: Option<u64>,
    ) -> Option<SourceVariable> {
        let name = self.name(entry)?;
        let ty = type_ref(entry);
        let place = match entry.attr_value(gimli::DW_AT_location) {
            None => Place::OptimizedOut,
            Some(value) => self.place(value, frame_base),
        };
        Some(self.value(name, ty, place, 0))
    }

    /// Where the location attribute `value` puts the variable at this pc.
    fn place(&self, value: AttributeValue<R<'a>>, frame_base: Option<u64>) -> Place {
        match value {
            AttributeValue::Exprloc(expression) => self.evaluate(expression, frame_base),
            other => {
                let Ok(Some(mut list)) = self.dwarf.attr_locations(self.unit, other) else {
                    return Place::Unreadable("a location list that cannot be read");
                };
                while let Ok(Some(entry)) = list.next() {
                    if (entry.range.begin..entry.range.end).contains(&self.address) {
                        return self.evaluate(entry.data, frame_base);
                    }
                }
                Place::OptimizedOut
            }
        }
    }

    /// The frame base a subprogram's `DW_AT_frame_base` names.
    fn frame_base(&self, value: AttributeValue<R<'a>>) -> Option<u64> {
        match self.place(value, None) {
            Place::Value(base) | Place::Memory(base) => Some(base),
            Place::OptimizedOut | Place::Unreadable(_) => None,
        }
    }

    /// Evaluates a location expression: the WebAssembly operators here, the rest by gimli.
    fn evaluate(&self, expression: gimli::Expression<R<'a>>, frame_base: Option<u64>) -> Place {
        let encoding = self.unit.encoding();
        let mut operations = expression.operations(encoding);
        let first = operations.next();
        let second = operations.next();
        if let Ok(Some(op)) = &first {
            let wasm = match op {
                Operation::WasmLocal { index } => Some(self.frame.locals.get(*index as usize)),
                Operation::WasmGlobal { index } => Some(self.frame.globals.get(*index as usize)),
                Operation::WasmStack { index } => {
                    let from_top = self.frame.stack.len().checked_sub(1 + *index as usize);
                    Some(from_top.and_then(|i| self.frame.stack.get(i)))
                }
                _ => None,
            };
            if let Some(slot) = wasm {
                let Some(Some(bits)) = slot.copied() else {
                    return Place::Unreadable("a wasm value that cannot be read");
                };
                return match second {
                    Ok(None) | Ok(Some(Operation::StackValue)) => Place::Value(bits),
                    _ => Place::Unreadable("a location this reader does not follow"),
                };
            }
        }
        let mut evaluation = expression.evaluation(encoding);
        evaluation.set_max_iterations(MAX_STEPS);
        let mut result = evaluation.evaluate();
        loop {
            result = match result {
                Ok(gimli::EvaluationResult::Complete) => break,
                Ok(gimli::EvaluationResult::RequiresFrameBase) => match frame_base {
                    Some(base) => evaluation.resume_with_frame_base(base),
                    None => return Place::Unreadable("no frame base"),
                },
                Ok(gimli::EvaluationResult::RequiresMemory { address, size, .. }) => {
                    let Some(bytes) = read(self.frame.memory, address, u64::from(size)) else {
                        return Place::Unreadable("memory out of range");
                    };
                    let value = gimli::Value::Generic(le(bytes));
                    evaluation.resume_with_memory(value)
                }
                Ok(gimli::EvaluationResult::RequiresRelocatedAddress(address)) => {
                    evaluation.resume_with_relocated_address(address)
                }
                Ok(_) | Err(_) => {
                    return Place::Unreadable("a location this reader does not follow");
                }
            };
        }
        let pieces = evaluation.result();
        match pieces.as_slice() {
            [piece] => match &piece.location {
                gimli::Location::Address { address } => Place::Memory(*address),
                gimli::Location::Value { value } => match value.to_u64(!0) {
                    Ok(bits) => Place::Value(bits),
                    Err(_) => Place::Unreadable("a value this reader does not follow"),
                },
                gimli::Location::Empty => Place::OptimizedOut,
                _ => Place::Unreadable("a location this reader does not follow"),
            },
            [] => Place::OptimizedOut,
            _ => Place::Unreadable("a value in pieces"),
        }
    }

    /// The type entry `at` names, past typedefs and qualifiers; with the name the source
    /// gives the type.
    pub(super) fn resolve(
        &self,
        at: Option<UnitOffset>,
    ) -> (Option<gimli::DebuggingInformationEntry<R<'a>>>, String) {
        self.resolve_at(at, 0)
    }

    /// [`Self::resolve`], `depth` types into a type's name (a cycle in hostile DWARF ends).
    fn resolve_at(
        &self,
        at: Option<UnitOffset>,
        depth: usize,
    ) -> (Option<gimli::DebuggingInformationEntry<R<'a>>>, String) {
        if depth > 8 {
            return (None, "…".to_owned());
        }
        let mut name = None;
        let mut qualifiers = String::new();
        let mut at = at;
        for _ in 0..16 {
            let Some(offset) = at else {
                return (None, name.unwrap_or_else(|| format!("{qualifiers}void")));
            };
            let Ok(entry) = self.unit.entry(offset) else {
                return (None, "?".to_owned());
            };
            match entry.tag() {
                gimli::DW_TAG_typedef => {
                    name.get_or_insert_with(|| self.name(&entry).unwrap_or_default());
                }
                gimli::DW_TAG_const_type => qualifiers.push_str("const "),
                gimli::DW_TAG_volatile_type => qualifiers.push_str("volatile "),
                gimli::DW_TAG_restrict_type | gimli::DW_TAG_atomic_type => {}
                _ => {
                    let shown = match name {
                        Some(name) => format!("{qualifiers}{name}"),
                        None => format!("{qualifiers}{}", self.type_name(&entry, depth)),
                    };
                    return (Some(entry), shown);
                }
            }
            at = type_ref(&entry);
        }
        (None, "?".to_owned())
    }

    /// A type as the source writes it.
    fn type_name(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>, depth: usize) -> String {
        let own = self.name(entry);
        match entry.tag() {
            // Rust names its references (`&team::Team`); C's pointers have no name.
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type if own.is_some() => {
                own.unwrap_or_default()
            }
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type if depth < 8 => {
                let (_, inner) = self.resolve_at(type_ref(entry), depth + 1);
                format!("{inner} *")
            }
            gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type if self.is_rust() => {
                own.unwrap_or_default()
            }
            gimli::DW_TAG_structure_type => format!("struct {}", own.unwrap_or_default()),
            gimli::DW_TAG_union_type => format!("union {}", own.unwrap_or_default()),
            gimli::DW_TAG_enumeration_type => format!("enum {}", own.unwrap_or_default()),
            gimli::DW_TAG_array_type if depth < 8 => {
                let (_, inner) = self.resolve_at(type_ref(entry), depth + 1);
                let count = self.array_count(entry);
                format!(
                    "{inner}[{}]",
                    count.map(|c| c.to_string()).unwrap_or_default()
                )
            }
            gimli::DW_TAG_subroutine_type => "function".to_owned(),
            _ => own.unwrap_or_else(|| "?".to_owned()),
        }
    }

    /// An array's element count, from its first subrange.
    fn array_count(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>) -> Option<u64> {
        let mut tree = self.unit.entries_tree(Some(entry.offset())).ok()?;
        let root = tree.root().ok()?;
        let mut children = root.children();
        while let Ok(Some(child)) = children.next() {
            let sub = child.entry();
            if sub.tag() != gimli::DW_TAG_subrange_type {
                continue;
            }
            if let Some(count) = sub
                .attr_value(gimli::DW_AT_count)
                .and_then(|v| v.udata_value())
            {
                return Some(count);
            }
            return sub
                .attr_value(gimli::DW_AT_upper_bound)
                .and_then(|v| v.udata_value())
                .map(|upper| upper.saturating_add(1));
        }
        None
    }

    /// The byte size of a type entry.
    pub(super) fn size(&self, entry: &gimli::DebuggingInformationEntry<R<'a>>) -> Option<u64> {
        self.size_at(entry, 0)
    }

    fn size_at(
        &self,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
        depth: usize,
    ) -> Option<u64> {
        if depth > 8 {
            return None;
        }
        match entry.tag() {
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type => Some(
                entry
                    .attr_value(gimli::DW_AT_byte_size)
                    .and_then(|v| v.udata_value())
                    .unwrap_or(u64::from(self.unit.encoding().address_size)),
            ),
            gimli::DW_TAG_array_type => {
                let (element, _) = self.resolve(type_ref(entry));
                let each = self.size_at(&element?, depth + 1)?;
                each.checked_mul(self.array_count(entry)?)
            }
            _ => entry
                .attr_value(gimli::DW_AT_byte_size)
                .and_then(|v| v.udata_value()),
        }
    }

    /// A variable (or member, element, pointee) of type `ty` at `place`, read.
    pub(super) fn value(
        &self,
        name: String,
        ty: Option<UnitOffset>,
        place: Place,
        depth: usize,
    ) -> SourceVariable {
        let (entry, ty_name) = self.resolve(ty);
        let mut variable = SourceVariable {
            name,
            ty: ty_name,
            ..SourceVariable::default()
        };
        let left = self.budget.get();
        if left == 0 {
            variable.value = "(not read: this frame has too many values)".to_owned();
            return variable;
        }
        self.budget.set(left - 1);
        let address = match place {
            Place::OptimizedOut => {
                variable.value = "optimized out".to_owned();
                return variable;
            }
            Place::Unreadable(why) => {
                variable.value = format!("unavailable ({why})");
                return variable;
            }
            Place::Memory(address) => Some(address),
            Place::Value(_) => None,
        };
        variable.address = address;
        let Some(entry) = entry else {
            variable.value = "(no type)".to_owned();
            return variable;
        };
        let size = self.size(&entry).unwrap_or(0);
        variable.size = address.and(Some(size)).filter(|s| *s > 0);
        // The bytes of a scalar; aggregates read their parts from memory.
        let scalar = |size: u64| -> Option<u64> {
            match place {
                Place::Value(bits) => Some(bits & mask(size)),
                Place::Memory(address) => read(self.frame.memory, address, size).map(le),
                _ => None,
            }
        };
        match entry.tag() {
            gimli::DW_TAG_base_type => {
                let encoding = entry.attr_value(gimli::DW_AT_encoding);
                variable.value = match scalar(size) {
                    Some(bits) => base_value(encoding, size, bits),
                    None => unreadable(address),
                };
            }
            gimli::DW_TAG_enumeration_type => {
                variable.value = match scalar(size) {
                    Some(bits) => self.enumerator(&entry, bits, size),
                    None => unreadable(address),
                };
            }
            gimli::DW_TAG_pointer_type | gimli::DW_TAG_reference_type => {
                let Some(target) = scalar(size) else {
                    variable.value = unreadable(address);
                    return variable;
                };
                variable.value = format!("{target:#x}");
                let (pointee, pointee_name) = self.resolve(type_ref(&entry));
                if target == 0 {
                    variable.value = "NULL".to_owned();
                } else if let Some(pointee) = &pointee {
                    if is_char(pointee) {
                        let text = c_string(self.frame.memory, target);
                        variable.value = format!("{target:#x} {text}");
                    } else if depth < MAX_DEPTH && pointee.tag() != gimli::DW_TAG_subroutine_type {
                        let name = format!("*{}", variable.name);
                        let _ = pointee_name;
                        variable.members.push(self.value(
                            name,
                            type_ref(&entry),
                            Place::Memory(target),
                            depth + 1,
                        ));
                    }
                }
            }
            gimli::DW_TAG_structure_type | gimli::DW_TAG_union_type | gimli::DW_TAG_class_type => {
                let Some(base) = address else {
                    variable.value = "{…}".to_owned();
                    return variable;
                };
                // Rust's strings, vectors and enums read as the program means them.
                if let Some((value, members)) = self.rust_value(&entry, base, depth) {
                    variable.value = value;
                    variable.members = members;
                    return variable;
                }
                if depth < MAX_DEPTH {
                    variable.members = self.members(&entry, base, depth);
                }
                variable.value = summary(&variable.members);
            }
            gimli::DW_TAG_array_type => {
                let Some(base) = address else {
                    variable.value = "[…]".to_owned();
                    return variable;
                };
                let (element, _) = self.resolve(type_ref(&entry));
                let count = self.array_count(&entry).unwrap_or(0);
                let each = element.as_ref().and_then(|e| self.size(e)).unwrap_or(0);
                if depth < MAX_DEPTH && each > 0 {
                    for i in 0..count.min(MAX_MEMBERS as u64) {
                        if self.budget.get() == 0 {
                            break;
                        }
                        let at = base.saturating_add(i.saturating_mul(each));
                        variable.members.push(self.value(
                            format!("[{i}]"),
                            type_ref(&entry),
                            Place::Memory(at),
                            depth + 1,
                        ));
                    }
                }
                // Characters read as the text they hold; their elements stay below it.
                variable.value = if element.as_ref().is_some_and(is_char) {
                    let length = count.min(MAX_STRING as u64);
                    match read(self.frame.memory, base, length) {
                        Some(bytes) => quoted(bytes.split(|b| *b == 0).next().unwrap_or(&[])),
                        None => unreadable(address),
                    }
                } else {
                    summary(&variable.members)
                };
            }
            _ => variable.value = format!("({} bytes)", size),
        }
        variable
    }

    /// A struct's or union's data members at `base`.
    fn members(
        &self,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
        base: u64,
        depth: usize,
    ) -> Vec<SourceVariable> {
        let mut out = Vec::new();
        for member in self.member_entries(entry) {
            if self.budget.get() == 0 {
                break;
            }
            let at = base.saturating_add(member.offset);
            let name = member.name.unwrap_or_else(|| "(anonymous)".to_owned());
            let mut value = self.value(name, member.ty, Place::Memory(at), depth + 1);
            if let Some(bits) = member.bit_size {
                value.value = self.bitfield(at, member.bit_offset, bits);
            }
            out.push(value);
        }
        out
    }

    /// A struct's data members, in order (at most [`MAX_MEMBERS`]).
    pub(super) fn member_entries(
        &self,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
    ) -> Vec<Member> {
        let mut out = Vec::new();
        let Ok(mut tree) = self.unit.entries_tree(Some(entry.offset())) else {
            return out;
        };
        let Ok(root) = tree.root() else {
            return out;
        };
        let mut children = root.children();
        while let Ok(Some(child)) = children.next() {
            if out.len() >= MAX_MEMBERS {
                break;
            }
            let member = child.entry();
            if member.tag() != gimli::DW_TAG_member {
                continue;
            }
            let number = |name| member.attr_value(name).and_then(|v| v.udata_value());
            let bit_size = number(gimli::DW_AT_bit_size);
            // DWARF 4's offset counts from the least significant bit; DWARF 2's (what clang
            // still writes) from the most significant bit of a `byte_size` storage unit.
            let bit_offset = number(gimli::DW_AT_data_bit_offset).unwrap_or_else(|| {
                let from_top = number(gimli::DW_AT_bit_offset).unwrap_or(0);
                let storage = number(gimli::DW_AT_byte_size)
                    .unwrap_or(4)
                    .saturating_mul(8);
                storage
                    .saturating_sub(from_top)
                    .saturating_sub(bit_size.unwrap_or(0))
            });
            out.push(Member {
                name: self.name(member),
                offset: number(gimli::DW_AT_data_member_location).unwrap_or(0),
                ty: type_ref(member),
                bit_size,
                bit_offset,
            });
        }
        out
    }

    /// A bitfield's value: `bits` bits from bit `bit_offset` (from the least significant) past
    /// `at`.
    fn bitfield(&self, at: u64, bit_offset: u64, bits: u64) -> String {
        let start = at.saturating_add(bit_offset / 8);
        let Some(bytes) = read(self.frame.memory, start, 8.min(bits.div_ceil(8) + 1)) else {
            return unreadable(Some(start));
        };
        let raw = le(bytes) >> (bit_offset % 8);
        (raw & mask_bits(bits)).to_string()
    }

    /// An enum's value by name.
    fn enumerator(
        &self,
        entry: &gimli::DebuggingInformationEntry<R<'a>>,
        bits: u64,
        size: u64,
    ) -> String {
        let value = sign_extend(bits, size);
        if let Ok(mut tree) = self.unit.entries_tree(Some(entry.offset()))
            && let Ok(root) = tree.root()
        {
            let mut children = root.children();
            while let Ok(Some(child)) = children.next() {
                let enumerator = child.entry();
                let constant = match enumerator.attr_value(gimli::DW_AT_const_value) {
                    Some(AttributeValue::Sdata(v)) => Some(v),
                    Some(other) => other.udata_value().map(|v| v as i64),
                    None => None,
                };
                if constant == Some(value) || constant.map(|c| c as u64 & mask(size)) == Some(bits)
                {
                    let name = self.name(enumerator).unwrap_or_default();
                    return format!("{name} ({value})");
                }
            }
        }
        value.to_string()
    }
}

pub(super) fn type_ref(entry: &gimli::DebuggingInformationEntry<R<'_>>) -> Option<UnitOffset> {
    match entry.attr_value(gimli::DW_AT_type)? {
        AttributeValue::UnitRef(offset) => Some(offset),
        _ => None,
    }
}

pub(super) fn is_char(entry: &gimli::DebuggingInformationEntry<R<'_>>) -> bool {
    entry.tag() == gimli::DW_TAG_base_type
        && matches!(
            entry.attr_value(gimli::DW_AT_encoding),
            Some(AttributeValue::Encoding(
                gimli::DW_ATE_signed_char | gimli::DW_ATE_unsigned_char
            ))
        )
}

/// `size` bytes of `memory` at `address`, when they are all there.
pub(super) fn read(memory: &[u8], address: u64, size: u64) -> Option<&[u8]> {
    let start = usize::try_from(address).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    memory.get(start..end)
}

/// Little-endian bytes (at most 8) as a number.
pub(super) fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .take(8)
        .enumerate()
        .fold(0, |acc, (i, b)| acc | (u64::from(*b) << (8 * i)))
}

fn mask(size: u64) -> u64 {
    mask_bits(size.saturating_mul(8))
}

fn mask_bits(bits: u64) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    }
}

fn sign_extend(bits: u64, size: u64) -> i64 {
    let shift = 64u64.saturating_sub(size.saturating_mul(8)).min(63);
    if size == 0 {
        return 0;
    }
    ((bits << shift) as i64) >> shift
}

fn base_value(encoding: Option<AttributeValue<R<'_>>>, size: u64, bits: u64) -> String {
    let Some(AttributeValue::Encoding(encoding)) = encoding else {
        return bits.to_string();
    };
    match encoding {
        gimli::DW_ATE_signed => sign_extend(bits, size).to_string(),
        gimli::DW_ATE_boolean => (bits != 0).to_string(),
        gimli::DW_ATE_float if size == 4 => f32::from_bits(bits as u32).to_string(),
        gimli::DW_ATE_float if size == 8 => f64::from_bits(bits).to_string(),
        gimli::DW_ATE_signed_char | gimli::DW_ATE_unsigned_char => {
            let value = if encoding == gimli::DW_ATE_signed_char {
                sign_extend(bits, size)
            } else {
                bits as i64
            };
            // As gdb shows a char: the number, then the character when it prints.
            let shown = u8::try_from(bits)
                .ok()
                .filter(|b| b.is_ascii_graphic() || *b == b' ')
                .map(|b| format!(" '{}'", b as char))
                .unwrap_or_default();
            format!("{value}{shown}")
        }
        _ => bits.to_string(),
    }
}

fn unreadable(address: Option<u64>) -> String {
    match address {
        Some(address) => format!("unreadable (memory at {address:#x} is out of range)"),
        None => "unreadable".to_owned(),
    }
}

/// A C string at `address`: quoted, at most [`MAX_STRING`] bytes.
fn c_string(memory: &[u8], address: u64) -> String {
    let Ok(start) = usize::try_from(address) else {
        return "(out of range)".to_owned();
    };
    let Some(rest) = memory.get(start..) else {
        return "(out of range)".to_owned();
    };
    let bytes = &rest[..rest.len().min(MAX_STRING)];
    let text = bytes.split(|b| *b == 0).next().unwrap_or(&[]);
    let cut = text.len() == MAX_STRING && rest.get(MAX_STRING).is_some_and(|b| *b != 0);
    format!("{}{}", quoted(text), if cut { "…" } else { "" })
}

pub(super) fn quoted(bytes: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(bytes))
}

/// `{ width = 3, height = 4, … }`: the first few members.
fn summary(members: &[SourceVariable]) -> String {
    let shown: Vec<String> = members
        .iter()
        .take(3)
        .map(|m| {
            let value = if m.value.len() > 24 { "…" } else { &m.value };
            format!("{} = {value}", m.name)
        })
        .collect();
    let more = if members.len() > 3 { ", …" } else { "" };
    format!("{{ {}{more} }}", shown.join(", "))
}
