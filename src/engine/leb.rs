//! Unsigned LEB128, the variable-length integers of the wasm binary format (and of
//! recordings): seven bits a byte, low bits first, the high bit set while more follow.

/// Appends `value` to `out` as unsigned LEB128.
pub fn write_u64(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_and_large_numbers_take_as_many_bytes_as_they_need() {
        let mut out = Vec::new();
        super::write_u64(&mut out, 0);
        super::write_u64(&mut out, 127);
        super::write_u64(&mut out, 128);
        super::write_u64(&mut out, 624_485);
        assert_eq!(out, [0x00, 0x7f, 0x80, 0x01, 0xe5, 0x8e, 0x26]);
    }
}
