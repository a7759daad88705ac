//! AssemblyScript's `env.abort(message, file, line, column)`: what an AssemblyScript guest
//! calls when it decides to die (a failed `assert`, a thrown error). The sandbox provides it
//! to modules that import it, reads the two strings from guest memory (bounded), keeps them as
//! the guest's last words and ends the run with a [`GuestAbort`] trap.

use wasmtime::{Caller, Extern, Linker};

use crate::engine::last_words::{LastWords, WordsKind};

/// The longest string read from guest memory, in UTF-16 code units.
const MAX_UNITS: usize = 1024;

/// The error a call to `env.abort` ends the guest with.
#[derive(Debug, thiserror::Error)]
#[error("the guest called abort: {0}")]
pub struct GuestAbort(pub String);

/// Reads an AssemblyScript string: UTF-16LE at `ptr`, its length in bytes in the 4 bytes
/// before it. `None` for a null pointer or one outside memory.
fn read_string(memory: &[u8], ptr: u32) -> Option<String> {
    let ptr = ptr as usize;
    if ptr < 4 {
        return None;
    }
    let len = memory.get(ptr - 4..ptr)?;
    let bytes = u32::from_le_bytes(len.try_into().ok()?) as usize;
    let units = (bytes / 2).min(MAX_UNITS);
    let data = memory.get(ptr..ptr + units * 2)?;
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    Some(String::from_utf16_lossy(&units))
}

/// Adds `env.abort` to `linker`; the words go where `keep` says in the store's data.
pub(crate) fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    keep: fn(&mut T) -> &mut Option<LastWords>,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        "env",
        "abort",
        move |mut caller: Caller<'_, T>,
              message: u32,
              file: u32,
              line: u32,
              column: u32|
              -> wasmtime::Result<()> {
            let (message, file) = match caller.get_export("memory") {
                Some(Extern::Memory(memory)) => {
                    let data = memory.data(&caller);
                    (read_string(data, message), read_string(data, file))
                }
                _ => (None, None),
            };
            let location = file.map(|file| format!("{file}:{line}:{column}"));
            let words = LastWords {
                kind: WordsKind::AssemblyScriptAbort,
                exception: None,
                message: message.unwrap_or_default(),
                location,
                source: "env.abort".to_owned(),
            };
            let headline = words.headline();
            *keep(caller.data_mut()) = Some(words);
            Err(wasmtime::Error::new(GuestAbort(headline)))
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_string_is_read_by_its_length_and_bounded() {
        let mut memory = vec![0u8; 64];
        memory[16..20].copy_from_slice(&6u32.to_le_bytes());
        for (i, c) in "abc".encode_utf16().enumerate() {
            memory[20 + 2 * i..22 + 2 * i].copy_from_slice(&c.to_le_bytes());
        }
        assert_eq!(read_string(&memory, 20).as_deref(), Some("abc"));
        assert_eq!(read_string(&memory, 0), None);
        memory[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(read_string(&memory, 20), None, "past the end of memory");
    }
}
