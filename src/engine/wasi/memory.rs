//! The guest's memory as WASI preview 1 lays it out: little-endian words, strings given by
//! pointer and length, iovec arrays. Pure functions over the memory's bytes, shared by the
//! shim's observers (the call log, the disk quota).

/// The little-endian `u32` at `addr`, if all four bytes are inside `memory`.
pub fn u32_at(memory: &[u8], addr: u32) -> Option<u32> {
    let at = addr as usize;
    let bytes = memory.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

/// The little-endian `u64` at `at` of a WASI answer (`at + 8` must be inside `bytes`).
pub fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    if let Some(found) = bytes.get(at..at + 8) {
        word.copy_from_slice(found);
    }
    u64::from_le_bytes(word)
}

/// The string the guest passed as `ptr`/`len`, for people to read: at most 4 KiB is read and
/// 256 bytes shown (then `…`); bytes that are not UTF-8 are replaced. Says so when the range
/// is outside memory.
pub fn str_at(memory: &[u8], ptr: i32, len: i32) -> String {
    let start = ptr as u32 as usize;
    let len = (len as u32 as usize).min(4096);
    match memory.get(start..start.saturating_add(len)) {
        Some(bytes) => {
            let mut text = String::from_utf8_lossy(bytes).into_owned();
            if text.len() > 256 {
                text.truncate(text.floor_char_boundary(256));
                text.push('…');
            }
            text
        }
        None => "<out of bounds>".to_owned(),
    }
}

/// The `(pointer, length)` pairs of the iovec array at `iovs` with `count` entries; stops at
/// the first entry outside memory.
pub fn iovecs(memory: &[u8], iovs: i32, count: i32) -> Vec<(u32, u32)> {
    let start = iovs as u32 as usize;
    let mut found = Vec::new();
    for i in 0..count as u32 as usize {
        let Some(entry) = i
            .checked_mul(8)
            .and_then(|offset| start.checked_add(offset))
            .and_then(|at| memory.get(at..at + 8))
        else {
            break;
        };
        let ptr = u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]]);
        let len = u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]]);
        found.push((ptr, len));
    }
    found
}

/// Length of the first non-empty buffer of an iovec array: wasmtime-wasi reads or writes only
/// that one per call (`first_non_empty_ciovec` in its p1.rs).
pub fn first_buffer_len(memory: &[u8], iovs: i32, count: i32) -> u64 {
    iovecs(memory, iovs, count)
        .into_iter()
        .map(|(_, len)| u64::from(len))
        .find(|&len| len != 0)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_strings_and_iovecs_read_from_memory_and_stay_inside_it() {
        let mut memory = vec![0u8; 64];
        memory[4..8].copy_from_slice(&7u32.to_le_bytes());
        memory[16..21].copy_from_slice(b"hello");
        // Two iovecs at 32: (16, 0) then (16, 5).
        memory[32..36].copy_from_slice(&16u32.to_le_bytes());
        memory[40..44].copy_from_slice(&16u32.to_le_bytes());
        memory[44..48].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(u32_at(&memory, 4), Some(7));
        assert_eq!(u32_at(&memory, 62), None);
        assert_eq!(str_at(&memory, 16, 5), "hello");
        assert_eq!(str_at(&memory, 60, 10), "<out of bounds>");
        assert_eq!(iovecs(&memory, 32, 2), vec![(16, 0), (16, 5)]);
        assert_eq!(first_buffer_len(&memory, 32, 2), 5);
        // An array running off the end stops there.
        assert_eq!(iovecs(&memory, 56, 3).len(), 1);
    }
}
