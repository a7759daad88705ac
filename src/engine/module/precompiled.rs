//! Precompiled machine code (a `.cwasm`): what it is is decided here, once, from the file's
//! contents (never its name); wasmscope's own output carries a tag that proves it was made by
//! this user's wasmscope and not changed since; and the code is loaded only when a face has
//! the user's say-so, once per engine, into the same cache as compiled wasm.
//!
//! # The tag
//!
//! `wasmscope compile` (and the window's File ▸ Precompile…) write wasmtime's image followed
//! by a 64-byte trailer:
//!
//! ```text
//! [wasmtime's .cwasm image][settings: 16 bytes][HMAC-SHA256: 32 bytes]["wasmscope-tag-v1"]
//! ```
//!
//! The settings say what the image was compiled for: byte 0 the compiler (0 Cranelift,
//! 1 Winch, 2 Pulley), byte 1 flags (bit 0 fuel metering, bit 1 debug mode), bytes 2..8 zero,
//! bytes 8..16 the maximum wasm stack in bytes (little-endian). The HMAC covers the image and
//! the settings; its key is 32 random bytes in [`KEY_FILE`] in the user's wasmscope data
//! directory ([`key_dir`]), readable by the user only. A file whose trailer is there but
//! whose HMAC does not match is damaged (or was made elsewhere) and is never loaded: wasmtime
//! trusts a `.cwasm` to be its own output, and damaged machine code crashes the process.

use std::time::Instant;

use hmac::Mac as _;
use wasmtime::{Engine, Module};

use crate::engine::policy::Compiler;
use crate::engine::sandbox::cache::{self, Compiled};
use crate::engine::sandbox::{EngineKey, SharedEngine};

/// The last bytes of a file `wasmscope compile` wrote.
pub const MAGIC: &[u8; 16] = b"wasmscope-tag-v1";
/// The trailer's size: settings, HMAC, magic.
pub const TRAILER_BYTES: usize = SETTINGS_BYTES + TAG_BYTES + MAGIC.len();
const SETTINGS_BYTES: usize = 16;
const TAG_BYTES: usize = 32;

/// What the user is told when precompiled code would run without their say-so.
pub fn refusal(name: &str) -> String {
    format!(
        "{name} is precompiled machine code, not WebAssembly: it would run outside the \
         sandbox. Pass --allow-precompiled if you made it or trust it"
    )
}

/// The settings a `.cwasm` was compiled with: its code loads only into an engine with them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompiledFor {
    /// The compiler.
    pub compiler: Compiler,
    /// Fuel metering compiled in.
    pub fuel: bool,
    /// Debug mode's instrumented code.
    pub debug: bool,
    /// The maximum wasm stack.
    pub max_wasm_stack_bytes: usize,
}

impl CompiledFor {
    /// The settings of an engine.
    pub fn of(key: EngineKey) -> Self {
        Self {
            compiler: key.compiler,
            fuel: key.fuel,
            debug: key.debug,
            max_wasm_stack_bytes: key.max_wasm_stack_bytes,
        }
    }

    /// The engine these settings make.
    pub fn engine_key(self) -> EngineKey {
        EngineKey {
            fuel: self.fuel,
            max_wasm_stack_bytes: self.max_wasm_stack_bytes,
            compiler: self.compiler,
            profiling: false,
            debug: self.debug,
            // `compile` writes code with epoch checks, like every engine that may be stopped.
            epoch_checks: true,
            // Precompiled runs are never recorded.
            deterministic: false,
            // `compile` keeps wasmtime's frame lines, as every engine but a profiled one.
            frame_lines: true,
            clock: false,
        }
    }

    /// In words: "cranelift with fuel metering".
    pub fn describe(self) -> String {
        let mut text = self.compiler.name().to_owned();
        match (self.fuel, self.debug) {
            (true, true) => text.push_str(" with fuel metering, in debug mode"),
            (true, false) => text.push_str(" with fuel metering"),
            (false, true) => text.push_str(" in debug mode"),
            (false, false) => {}
        }
        text
    }

    fn encode(self) -> [u8; SETTINGS_BYTES] {
        let mut bytes = [0; SETTINGS_BYTES];
        bytes[0] = match self.compiler {
            Compiler::Cranelift => 0,
            Compiler::Winch => 1,
            Compiler::Pulley => 2,
        };
        bytes[1] = u8::from(self.fuel) | (u8::from(self.debug) << 1);
        bytes[8..].copy_from_slice(&(self.max_wasm_stack_bytes as u64).to_le_bytes());
        bytes
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let compiler = match bytes.first()? {
            0 => Compiler::Cranelift,
            1 => Compiler::Winch,
            2 => Compiler::Pulley,
            _ => return None,
        };
        let flags = *bytes.get(1)?;
        if flags & !0b11 != 0 || bytes.get(2..8)?.iter().any(|b| *b != 0) {
            return None;
        }
        let stack = u64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        Some(Self {
            compiler,
            fuel: flags & 1 != 0,
            debug: flags & 2 != 0,
            max_wasm_stack_bytes: usize::try_from(stack).ok()?,
        })
    }
}

/// Where precompiled code came from, as its contents say. Decided once, when the file is
/// read ([`crate::engine::load_bytes`]), and carried with the module and its runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Made by this user's wasmscope and unchanged since: the tag matches.
    Wasmscope(CompiledFor),
    /// No wasmscope tag (wasmtime's `compile`, say): nothing vouches for it.
    Foreign,
}

impl Origin {
    /// In words, for the first line of `inspect` and the window's confirmation.
    pub fn describe(self) -> String {
        match self {
            Origin::Wasmscope(compiled_for) => format!(
                "made by your wasmscope for {} (its tag matches)",
                compiled_for.describe()
            ),
            Origin::Foreign => {
                "not made by wasmscope (no tag): nothing vouches for this code".to_owned()
            }
        }
    }
}

/// Why precompiled code was refused or could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum PrecompiledError {
    /// The trailer is there but does not match: the file changed, or another key made it.
    #[error(
        "{name} is damaged or not made by this wasmscope: it ends with a wasmscope tag, but the \
         tag does not match its contents ({why}). It is never loaded, even with \
         --allow-precompiled: compile the .wasm again with `wasmscope compile`"
    )]
    Damaged {
        /// The file's name.
        name: String,
        /// What did not match.
        why: &'static str,
    },
    /// The key could not be read or made.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// wasmtime could not compile the module.
    #[error("cannot compile: {0}")]
    Compile(String),
}

pub use crate::engine::own_files::{KEY_FILE, KeyError, TagKey, key_dir, set_key_dir};

/// Appends the tag for `image` (wasmtime's `.cwasm` bytes compiled for `compiled_for`).
pub fn seal(key: &TagKey, mut image: Vec<u8>, compiled_for: CompiledFor) -> Vec<u8> {
    image.extend_from_slice(&compiled_for.encode());
    let tag = key.mac(&image).finalize().into_bytes();
    image.extend_from_slice(&tag);
    image.extend_from_slice(MAGIC);
    image
}

/// Whether `bytes` are precompiled code, and whose: `Ok(None)` for anything else (wasm,
/// text, another file). Decided by the contents alone. A file with wasmscope's trailer is
/// checked against `key` (no key: it cannot be this user's); a mismatch is an error.
pub fn classify(
    name: &str,
    bytes: &[u8],
    key: Option<&TagKey>,
) -> Result<Option<Origin>, PrecompiledError> {
    let damaged = |why| PrecompiledError::Damaged {
        name: name.to_owned(),
        why,
    };
    if bytes.len() > TRAILER_BYTES && bytes.ends_with(MAGIC) {
        let signed_end = bytes.len() - TAG_BYTES - MAGIC.len();
        let (signed, rest) = bytes.split_at(signed_end);
        let Some(key) = key else {
            return Err(damaged(
                "this user has no key yet, so no file can be theirs",
            ));
        };
        if key.mac(signed).verify_slice(&rest[..TAG_BYTES]).is_err() {
            return Err(damaged("the HMAC differs"));
        }
        let settings = &signed[signed.len() - SETTINGS_BYTES..];
        let compiled_for = CompiledFor::decode(settings).ok_or(damaged("unknown settings"))?;
        let image = &signed[..signed.len() - SETTINGS_BYTES];
        if !is_module_image(image) {
            return Err(damaged("the tagged bytes are not a precompiled module"));
        }
        return Ok(Some(Origin::Wasmscope(compiled_for)));
    }
    Ok(is_module_image(bytes).then_some(Origin::Foreign))
}

/// [`classify`] with the user's key, read only when the bytes end with wasmscope's tag.
pub fn classify_for_user(name: &str, bytes: &[u8]) -> Result<Option<Origin>, PrecompiledError> {
    let key = if bytes.ends_with(MAGIC) {
        TagKey::for_user()?
    } else {
        None
    };
    classify(name, bytes, key.as_ref())
}

/// The code wasmtime loads: `bytes` without wasmscope's trailer.
pub fn image(bytes: &[u8], origin: Origin) -> &[u8] {
    match origin {
        Origin::Wasmscope(_) => &bytes[..bytes.len().saturating_sub(TRAILER_BYTES)],
        Origin::Foreign => bytes,
    }
}

/// Whether `bytes` are wasmtime's image of a precompiled core module, by their ELF header.
fn is_module_image(bytes: &[u8]) -> bool {
    matches!(
        Engine::detect_precompiled(bytes),
        Some(wasmtime::Precompiled::Module)
    )
}

/// Compiles `wasm` ahead of time for `key` and tags it with the user's key (made on first
/// use): the bytes of a `.cwasm` that this user's wasmscope can later verify.
pub fn precompile(
    shared: &SharedEngine,
    key: EngineKey,
    wasm: &[u8],
) -> Result<Vec<u8>, PrecompiledError> {
    let tag_key = TagKey::for_user_or_create()?;
    let image = shared
        .engine
        .precompile_module(wasm)
        .map_err(|e| PrecompiledError::Compile(crate::engine::errors::error_text(&e)))?;
    Ok(seal(&tag_key, image, CompiledFor::of(key)))
}

/// Loads precompiled `image` (already classified, with the user's say-so) into `shared`'s
/// engine, or takes it from the cache: deserialized once per engine, kept like compiled code.
pub fn load(shared: &SharedEngine, image: &[u8]) -> wasmtime::Result<Compiled> {
    load_pinned(shared, image).map(|(compiled, _pin)| compiled)
}

/// Like [`load`], and keeps the code cached while the [`cache::Pin`] lives.
pub fn load_pinned(
    shared: &SharedEngine,
    image: &[u8],
) -> wasmtime::Result<(Compiled, cache::Pin)> {
    cache::load_pinned(&shared.engine, image, || {
        let started = Instant::now();
        // SAFETY: `Module::deserialize` trusts the bytes to be machine code that wasmtime
        // wrote. They reach here only after `classify`: either wasmscope's own output whose
        // HMAC (with this user's secret key) matches, or a file the user explicitly allowed
        // (`--allow-precompiled`, or the window's "Load as native code"). wasmtime still
        // checks the header, version and configuration.
        #[allow(unsafe_code)]
        let module = unsafe { Module::deserialize(&shared.engine, image)? };
        Ok((module, started.elapsed()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::own_files::KEY_BYTES;

    fn key() -> TagKey {
        TagKey([7; KEY_BYTES])
    }

    fn image() -> Vec<u8> {
        let engine = Engine::default();
        engine.precompile_module(b"(module)").unwrap()
    }

    const FOR: CompiledFor = CompiledFor {
        compiler: Compiler::Winch,
        fuel: true,
        debug: false,
        max_wasm_stack_bytes: 512 * 1024,
    };

    #[test]
    fn a_sealed_image_is_recognised_with_its_settings() {
        let sealed = seal(&key(), image(), FOR);
        let origin = classify("m.cwasm", &sealed, Some(&key())).unwrap();
        assert_eq!(origin, Some(Origin::Wasmscope(FOR)));
        assert_eq!(super::image(&sealed, Origin::Wasmscope(FOR)), image());
    }

    #[test]
    fn another_key_or_no_key_is_damaged_and_no_tag_is_foreign() {
        let sealed = seal(&key(), image(), FOR);
        let other = TagKey([8; KEY_BYTES]);
        for key in [Some(&other), None] {
            let err = classify("m.cwasm", &sealed, key).unwrap_err();
            assert!(
                err.to_string()
                    .contains("damaged or not made by this wasmscope")
            );
        }
        assert_eq!(
            classify("m.cwasm", &image(), Some(&key())).unwrap(),
            Some(Origin::Foreign)
        );
        assert_eq!(classify("m.wasm", b"\0asm\x01\0\0\0", None).unwrap(), None);
    }

    #[test]
    fn the_key_is_private_and_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let made = TagKey::load_or_create(&dir.path().join("wasmscope")).unwrap();
        let again = TagKey::load_or_create(&dir.path().join("wasmscope")).unwrap();
        assert_eq!(made.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let path = dir.path().join("wasmscope").join(KEY_FILE);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = TagKey::load(&dir.path().join("wasmscope")).unwrap_err();
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
    }

    #[test]
    fn threads_making_the_key_at_once_all_get_the_same_key() {
        // Two windows' tests (or two wasmscope processes) may ask for the key in the same
        // instant; every one of them must end with the one key on disk, none with an error.
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let where_ = dir.path().join("wasmscope");
            let barrier = std::sync::Barrier::new(8);
            let keys: Vec<[u8; KEY_BYTES]> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            TagKey::load_or_create(&where_).map(|k| k.0)
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap().unwrap())
                    .collect()
            });
            let on_disk = TagKey::load(&where_).unwrap().unwrap().0;
            assert!(keys.iter().all(|k| *k == on_disk));
            let leftovers: Vec<_> = std::fs::read_dir(&where_)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .filter(|n| n != KEY_FILE)
                .collect();
            assert!(leftovers.is_empty(), "{leftovers:?}");
        }
    }
}
