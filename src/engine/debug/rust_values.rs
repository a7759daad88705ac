//! Rust's own types read as a Rust programmer reads them: `&str` and `String` as their text,
//! `Vec<T>` as its length and elements, and enums with a variant part (`Option`, `Result`,
//! the program's own) as the variant they hold, `Some("ada")`. rustc describes them as
//! ordinary structs nested several levels deep (`String` is a `Vec<u8>` is a `RawVec` holding
//! a `Unique` holding a `NonNull` holding the pointer), so they are recognised by name and
//! shape, and read straight from memory. Bounded as the rest of the reading is.

use gimli::{AttributeValue, UnitOffset};

use crate::engine::debug::source_values::{
    MAX_STRING, Place, R, Reader, le, quoted, read, type_ref,
};
use crate::engine::debug::values::SourceVariable;

/// The most elements of a vector shown in its one-line value.
const SHOWN_ELEMENTS: usize = 8;

type Entry<'a> = gimli::DebuggingInformationEntry<R<'a>>;

impl<'a> Reader<'a> {
    /// Whether the frame's unit is Rust.
    pub(super) fn is_rust(&self) -> bool {
        let root = self.unit.entries_tree(None).ok().and_then(|mut tree| {
            tree.root()
                .ok()
                .map(|root| root.entry().attr_value(gimli::DW_AT_language))
        });
        matches!(
            root.flatten(),
            Some(AttributeValue::Language(gimli::DW_LANG_Rust))
        )
    }

    /// A Rust string, vector or enum at `base`: its value in words and its members; `None`
    /// for any other struct.
    pub(super) fn rust_value(
        &self,
        entry: &Entry<'a>,
        base: u64,
        depth: usize,
    ) -> Option<(String, Vec<SourceVariable>)> {
        if !self.is_rust() {
            return None;
        }
        let name = self.name(entry).unwrap_or_default();
        if name == "&str" {
            let pointer = self.field(entry, base, "data_ptr")?;
            let length = self.field(entry, base, "length")?;
            return Some((self.text(pointer, length), Vec::new()));
        }
        if name == "String" {
            let (vec, at) = self.member_struct(entry, base, "vec")?;
            let (pointer, length, _) = self.vec_parts(&vec, at)?;
            return Some((self.text(pointer, length), Vec::new()));
        }
        if name.starts_with("Vec<") {
            let (pointer, length, element) = self.vec_parts(entry, base)?;
            return Some(self.elements(pointer, length, element, depth));
        }
        self.variant(entry, base, depth)
    }

    /// `len N: [a, b, …]`, with the first elements as members.
    fn elements(
        &self,
        pointer: u64,
        length: u64,
        element: Option<UnitOffset>,
        depth: usize,
    ) -> (String, Vec<SourceVariable>) {
        let (entry, _) = self.resolve(element);
        let each = entry.as_ref().and_then(|e| self.size(e)).unwrap_or(0);
        let mut members = Vec::new();
        if each > 0 {
            for i in 0..length.min(crate::engine::debug::source_values::MAX_MEMBERS as u64) {
                let at = pointer.saturating_add(i.saturating_mul(each));
                members.push(self.value(format!("[{i}]"), element, Place::Memory(at), depth + 1));
            }
        }
        let shown: Vec<&str> = members
            .iter()
            .take(SHOWN_ELEMENTS)
            .map(|m| m.value.as_str())
            .collect();
        let more = if length as usize > shown.len() {
            ", …"
        } else {
            ""
        };
        (
            format!("len {length}: [{}{more}]", shown.join(", ")),
            members,
        )
    }

    /// A string's text: `length` bytes at `pointer`, quoted, at most [`MAX_STRING`].
    fn text(&self, pointer: u64, length: u64) -> String {
        let shown = length.min(MAX_STRING as u64);
        match read(self.frame.memory, pointer, shown) {
            Some(bytes) => {
                let cut = if length > shown { "…" } else { "" };
                format!("{}{cut}", quoted(bytes))
            }
            None => format!("unreadable (memory at {pointer:#x} is out of range)"),
        }
    }

    /// A vector's data pointer, length and element type (from its `buf`'s innermost pointer).
    fn vec_parts(&self, entry: &Entry<'a>, base: u64) -> Option<(u64, u64, Option<UnitOffset>)> {
        let length = self.field(entry, base, "len")?;
        let (buf, at) = self.member_struct(entry, base, "buf")?;
        let (pointer, element) = self.innermost_pointer(&buf, at, 0)?;
        Some((pointer, length, element))
    }

    /// The first pointer inside a struct, however deep (`Unique { pointer: NonNull {
    /// pointer: *const T } }`), and the type it points at.
    fn innermost_pointer(
        &self,
        entry: &Entry<'a>,
        base: u64,
        depth: usize,
    ) -> Option<(u64, Option<UnitOffset>)> {
        if depth > 8 {
            return None;
        }
        for (offset, ty) in self.fields(entry) {
            let (field, _) = self.resolve(ty);
            let field = field?;
            let at = base.saturating_add(offset);
            match field.tag() {
                gimli::DW_TAG_pointer_type => {
                    let size = self.size(&field)?;
                    return Some((le(read(self.frame.memory, at, size)?), type_ref(&field)));
                }
                gimli::DW_TAG_structure_type => {
                    if let Some(found) = self.innermost_pointer(&field, at, depth + 1) {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The enum variant a struct with a variant part holds: `Some("ada")`, `None`, `Ok(3)`.
    fn variant(
        &self,
        entry: &Entry<'a>,
        base: u64,
        depth: usize,
    ) -> Option<(String, Vec<SourceVariable>)> {
        let mut tree = self.unit.entries_tree(Some(entry.offset())).ok()?;
        let root = tree.root().ok()?;
        let mut children = root.children();
        while let Ok(Some(child)) = children.next() {
            if child.entry().tag() != gimli::DW_TAG_variant_part {
                continue;
            }
            let discr = match child.entry().attr_value(gimli::DW_AT_discr) {
                Some(AttributeValue::UnitRef(offset)) => Some(offset),
                _ => None,
            };
            // The discriminant's value, read from the member the variant part names.
            let value = discr.and_then(|offset| {
                let member = self.unit.entry(offset).ok()?;
                let at = member
                    .attr_value(gimli::DW_AT_data_member_location)
                    .and_then(|v| v.udata_value())
                    .unwrap_or(0);
                let (ty, _) = self.resolve(type_ref(&member));
                let size = self.size(&ty?)?;
                read(self.frame.memory, base.saturating_add(at), size).map(le)
            });
            let mut chosen = None;
            let mut fallback = None;
            let mut variants = child.children();
            while let Ok(Some(variant)) = variants.next() {
                if variant.entry().tag() != gimli::DW_TAG_variant {
                    continue;
                }
                let wanted = variant
                    .entry()
                    .attr_value(gimli::DW_AT_discr_value)
                    .and_then(|v| v.udata_value());
                let mut inner = variant.children();
                let Ok(Some(member)) = inner.next() else {
                    continue;
                };
                let found = (self.name(member.entry()), type_ref(member.entry()));
                match wanted {
                    Some(wanted) if Some(wanted) == value => chosen = Some(found),
                    None => fallback = Some(found),
                    Some(_) => {}
                }
            }
            let (name, ty) = chosen.or(fallback)?;
            let name = name.unwrap_or_else(|| "?".to_owned());
            let (variant, _) = self.resolve(ty);
            let variant = variant?;
            // A variant's fields (`__0`, `__1`, or named), read as any member is.
            let fields: Vec<SourceVariable> = self
                .named_fields(&variant)
                .into_iter()
                .map(|(field, offset, ty)| {
                    self.value(
                        field,
                        ty,
                        Place::Memory(base.saturating_add(offset)),
                        depth + 1,
                    )
                })
                .collect();
            let shown = if fields.is_empty() {
                name
            } else {
                let values: Vec<&str> = fields.iter().map(|f| f.value.as_str()).collect();
                format!("{name}({})", values.join(", "))
            };
            return Some((shown, fields));
        }
        None
    }

    /// A member struct of `entry` named `name`, and where it is.
    fn member_struct(&self, entry: &Entry<'a>, base: u64, name: &str) -> Option<(Entry<'a>, u64)> {
        let (offset, ty) = self
            .named_fields(entry)
            .into_iter()
            .find(|(field, _, _)| field == name)
            .map(|(_, offset, ty)| (offset, ty))?;
        let (ty, _) = self.resolve(ty);
        Some((ty?, base.saturating_add(offset)))
    }

    /// A scalar member of `entry` named `name`, read.
    fn field(&self, entry: &Entry<'a>, base: u64, name: &str) -> Option<u64> {
        let (ty, at) = self.member_struct(entry, base, name)?;
        let size = self.size(&ty)?;
        read(self.frame.memory, at, size).map(le)
    }

    /// The data members of a struct: offset and type, in order.
    fn fields(&self, entry: &Entry<'a>) -> Vec<(u64, Option<UnitOffset>)> {
        self.named_fields(entry)
            .into_iter()
            .map(|(_, offset, ty)| (offset, ty))
            .collect()
    }

    /// The data members of a struct: name, offset and type, in order.
    fn named_fields(&self, entry: &Entry<'a>) -> Vec<(String, u64, Option<UnitOffset>)> {
        self.member_entries(entry)
            .into_iter()
            .map(|m| (m.name.unwrap_or_default(), m.offset, m.ty))
            .collect()
    }
}
