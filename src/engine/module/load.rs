//! Reading a module from a file or bytes, with messages that say what to do.

use std::path::Path;

use crate::engine::inputs::{self, InputError, InputKind};
use crate::engine::module::precompiled::{self, Origin};
use crate::engine::record;
use crate::engine::record::recording::Recording;

/// The largest file wasmscope opens.
pub const MAX_FILE_BYTES: u64 = InputKind::Module.limit();

/// A module read into memory: binary wasm, or precompiled code (decided here, once).
#[derive(Clone, Debug)]
pub struct LoadedModule {
    /// File name (without directories), used as argv0 and in reports.
    pub name: String,
    /// Binary wasm (text modules are converted on load), or for precompiled code wasmtime's
    /// image (wasmscope's tag checked and removed).
    pub wasm: Vec<u8>,
    /// Whether the file was WebAssembly text.
    pub from_text: bool,
    /// `Some` when the file is precompiled machine code, not wasm: who made it. Such code
    /// runs only with the user's say-so (see [`crate::engine::module::precompiled`]).
    pub precompiled: Option<Origin>,
    /// `Some` when the file is a recording of a run (`.wstrace`): `wasm` is the module it
    /// holds, which runs only as a replay of it.
    pub recording: Option<std::sync::Arc<Recording>>,
}

/// Why a file could not be loaded. The message says what was wrong and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LoadError {
    /// What went wrong.
    pub message: String,
}

fn load_error(message: impl ToString) -> LoadError {
    LoadError {
        message: message.to_string(),
    }
}

/// Reads `path` (a `.wasm` binary or `.wat` text) into a [`LoadedModule`].
pub fn load_file(path: &Path) -> Result<LoadedModule, LoadError> {
    let shown = path.display();
    let bytes = inputs::read(path, InputKind::Module).map_err(|e| match e {
        InputError::NotAFile { what, .. } => load_error(format!(
            "{shown} is {what}, not a file: choose a .wasm or .wat file"
        )),
        InputError::Io { source, .. } if source.kind() == std::io::ErrorKind::PermissionDenied => {
            load_error(format!("permission denied: cannot read {shown}"))
        }
        e => load_error(e.to_string()),
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| shown.to_string());
    load_bytes(&name, bytes)
}

/// Turns file contents into a [`LoadedModule`]; `name` labels messages (e.g. a dropped file).
pub fn load_bytes(name: &str, bytes: Vec<u8>) -> Result<LoadedModule, LoadError> {
    if bytes.is_empty() {
        return Err(load_error(format!(
            "{name} is empty: a WebAssembly module starts with the bytes \\0asm"
        )));
    }
    // Told by the contents, never the name; a damaged wasmscope `.cwasm` stops here.
    if let Some(origin) = precompiled::classify_for_user(name, &bytes).map_err(load_error)? {
        let mut wasm = bytes;
        wasm.truncate(precompiled::image(&wasm, origin).len());
        return Ok(LoadedModule {
            name: name.to_owned(),
            wasm,
            from_text: false,
            precompiled: Some(origin),
            recording: None,
        });
    }
    if bytes.starts_with(b"\0asm") {
        return Ok(LoadedModule {
            name: name.to_owned(),
            wasm: bytes,
            from_text: false,
            precompiled: None,
            recording: None,
        });
    }
    if record::is_recording(&bytes) {
        let recording = Recording::parse(&bytes).map_err(|e| load_error(format!("{name}: {e}")))?;
        return Ok(LoadedModule {
            name: recording.header.module_name.clone(),
            wasm: recording.module.to_vec(),
            from_text: false,
            precompiled: None,
            recording: Some(std::sync::Arc::new(recording)),
        });
    }
    if let Some(kind) = known_non_wasm(&bytes) {
        return Err(load_error(format!(
            "{name} is not a WebAssembly module: it looks like {kind}. \
             Expected a binary module (starting with \\0asm) or WebAssembly text (.wat)"
        )));
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return Err(load_error(format!(
            "{name} is not a WebAssembly module: it starts with bytes {} instead of \\0asm, \
             and it is not text either",
            hex_prefix(&bytes)
        )));
    };
    let wasm = wat_to_wasm(name, text)?;
    Ok(LoadedModule {
        name: name.to_owned(),
        wasm,
        from_text: true,
        precompiled: None,
        recording: None,
    })
}

/// Converts WebAssembly text to binary; errors carry the line and column.
pub fn wat_to_wasm(name: &str, text: &str) -> Result<Vec<u8>, LoadError> {
    let trimmed = text.trim_start();
    let looks_like_wat = trimmed.starts_with('(') || trimmed.starts_with(";;");
    wat::parse_str(text).map_err(|mut e| {
        e.set_path(name);
        if looks_like_wat {
            load_error(format!("{name} is not valid WebAssembly text:\n{e}"))
        } else {
            load_error(format!(
                "{name} is neither a binary module (\\0asm) nor WebAssembly text \
                 (which starts with `(module`):\n{e}"
            ))
        }
    })
}

fn known_non_wasm(bytes: &[u8]) -> Option<&'static str> {
    const KNOWN: &[(&[u8], &str)] = &[
        (
            b"\x7fELF",
            "an ELF file: a native executable, or a precompiled .cwasm that this wasmtime does not recognise",
        ),
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"PK\x03\x04", "a zip archive"),
        (b"%PDF", "a PDF document"),
        (b"MZ", "a Windows executable"),
        (b"\x1f\x8b", "a gzip archive"),
    ];
    KNOWN
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|(_, kind)| *kind)
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wat_syntax_errors_show_line_and_column() {
        let err = load_bytes(
            "bad.wat",
            b"(module\n  (func (export \"f\") i32.const)\n)".to_vec(),
        )
        .unwrap_err();
        assert!(err.message.contains("bad.wat:2:"), "{}", err.message);
    }

    #[test]
    fn png_bytes_are_named() {
        let err = load_bytes("pic.wasm", b"\x89PNG\r\n\x1a\n....".to_vec()).unwrap_err();
        assert!(err.message.contains("PNG image"), "{}", err.message);
    }

    #[test]
    fn empty_file_says_what_a_module_looks_like() {
        let err = load_bytes("e.wasm", Vec::new()).unwrap_err();
        assert!(err.message.contains("is empty"), "{}", err.message);
    }

    #[test]
    fn text_that_is_not_wat_says_so() {
        let err = load_bytes("notes.wasm", b"hello world, not a module".to_vec()).unwrap_err();
        assert!(
            err.message.contains("neither a binary module"),
            "{}",
            err.message
        );
    }
}
