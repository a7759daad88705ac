//! Compiled code kept on disk between runs, so the second run of a big module starts at once.
//!
//! A cache entry is native code that wasmscope runs outside the sandbox, so an entry is loaded
//! only when wasmscope can prove it wrote it itself, for exactly these wasm bytes and this
//! engine configuration: each file carries an HMAC-SHA256, with the user's secret key (the one
//! that tags precompiled files, [`crate::engine::module::precompiled`]), over the module's
//! SHA-256, the engine's compatibility hash and the code. A file that fails the check is
//! deleted, never deserialized. The folder ([`own_files::cache_dir`]) is private to the user
//! (0700, files 0600), entries are written aside and renamed into place, and no folder grant
//! may reach it or the key ([`crate::engine::host_dirs`]).
//!
//! ```text
//! [magic "wasmscope-code-1"][HMAC-SHA256: 32 bytes][wasmtime's serialized module]
//! ```
//!
//! The cache holds at most [`MAX_CACHE_BYTES`]; the oldest entries go first.

use std::hash::{Hash as _, Hasher as _};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use hmac::Mac as _;
use sha2::{Digest as _, Sha256};
use wasmtime::{Engine, Module};

use crate::engine::own_files;
use crate::engine::own_files::TagKey;

const MAGIC: &[u8; 16] = b"wasmscope-code-1";
const TAG_BYTES: usize = 32;
const HEADER_BYTES: usize = MAGIC.len() + TAG_BYTES;
/// What the HMAC's message starts with, so a tag made for another purpose never fits.
const DOMAIN: &[u8] = b"wasmscope compiled-code cache v1\0";
/// The most the cache folder holds.
pub const MAX_CACHE_BYTES: u64 = 1 << 30;
/// Code larger than this is not cached (serializing it would double a big module's memory).
const MAX_ENTRY_BYTES: u64 = 512 << 20;

static DISABLED: AtomicBool = AtomicBool::new(false);
static HITS: AtomicUsize = AtomicUsize::new(0);

/// The cache's folder and key, once set up; `None` when it is off.
struct Store {
    dir: PathBuf,
    key: TagKey,
}

fn store() -> Option<&'static Store> {
    static STORE: OnceLock<Option<Store>> = OnceLock::new();
    if DISABLED.load(Ordering::Relaxed) {
        return None;
    }
    STORE
        .get_or_init(|| {
            if std::env::var_os("WASMSCOPE_NO_DISK_CACHE").is_some() {
                return None;
            }
            let dir = own_files::cache_dir()?;
            let key = match TagKey::for_user_or_create() {
                Ok(key) => key,
                Err(e) => {
                    tracing::warn!("compiled-code cache off: {e}");
                    return None;
                }
            };
            if let Err(e) = own_files::create_private_dir(&dir) {
                tracing::warn!(
                    "compiled-code cache off: cannot make {}: {e}",
                    dir.display()
                );
                return None;
            }
            Some(Store { dir, key })
        })
        .as_ref()
}

/// Turns the cache off for this process, as `WASMSCOPE_NO_DISK_CACHE` does.
pub fn disable() {
    DISABLED.store(true, Ordering::Relaxed);
}

/// How many compiles the disk cache has answered in this process.
pub fn hits() -> usize {
    HITS.load(Ordering::Relaxed)
}

/// What an entry is for: this module under this engine's configuration.
struct Identity {
    module_sha: [u8; 32],
    engine_hash: u64,
}

impl Identity {
    fn of(engine: &Engine, wasm: &[u8]) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            module_sha: Sha256::digest(wasm).into(),
            engine_hash: hasher.finish(),
        }
    }

    fn file_name(&self) -> String {
        let mut name = Sha256::new();
        name.update(self.module_sha);
        name.update(self.engine_hash.to_le_bytes());
        let digest = name.finalize();
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}.code")
    }

    fn tag(&self, key: &TagKey, code: &[u8]) -> hmac::Hmac<Sha256> {
        let mut mac = key.mac(DOMAIN);
        mac.update(&self.module_sha);
        mac.update(&self.engine_hash.to_le_bytes());
        mac.update(&(code.len() as u64).to_le_bytes());
        mac.update(code);
        mac
    }
}

/// The code for `wasm` under `engine`, if the cache holds an entry that proves itself.
pub fn load(engine: &Engine, wasm: &[u8]) -> Option<Module> {
    let store = store()?;
    let identity = Identity::of(engine, wasm);
    let path = store.dir.join(identity.file_name());
    let metadata = std::fs::symlink_metadata(&path).ok()?;
    if !metadata.is_file() || metadata.len() > MAX_ENTRY_BYTES + HEADER_BYTES as u64 {
        let _ = std::fs::remove_file(&path);
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    let proven = bytes.len() > HEADER_BYTES
        && bytes.starts_with(MAGIC)
        && identity
            .tag(&store.key, &bytes[HEADER_BYTES..])
            .verify_slice(&bytes[MAGIC.len()..HEADER_BYTES])
            .is_ok();
    if !proven {
        tracing::warn!(
            "compiled-code cache: {} was not written by this wasmscope for this module; deleted",
            path.display()
        );
        let _ = std::fs::remove_file(&path);
        return None;
    }
    // SAFETY: `Module::deserialize` trusts its bytes to be code wasmtime wrote. These carry an
    // HMAC, with this user's secret key, over exactly these bytes, this module's hash and this
    // engine's configuration: wasmscope serialized them itself from a module it compiled.
    // wasmtime checks the header, version and configuration again.
    #[allow(unsafe_code)]
    let module = unsafe { Module::deserialize(engine, &bytes[HEADER_BYTES..]) };
    match module {
        Ok(module) => {
            HITS.fetch_add(1, Ordering::Relaxed);
            Some(module)
        }
        Err(_) => {
            let _ = std::fs::remove_file(&path);
            None
        }
    }
}

/// Keeps `module`, compiled from `wasm` under `engine`, for later runs; failures only cost
/// the next run a compile.
pub fn save(engine: &Engine, wasm: &[u8], module: &Module) {
    let Some(store) = store() else {
        return;
    };
    let Ok(code) = module.serialize() else {
        return;
    };
    if code.len() as u64 > MAX_ENTRY_BYTES {
        return;
    }
    let identity = Identity::of(engine, wasm);
    let tag = identity.tag(&store.key, &code).finalize().into_bytes();
    let write = || -> std::io::Result<()> {
        let mut aside = tempfile::Builder::new()
            .prefix(".entry-")
            .suffix(".new")
            .tempfile_in(&store.dir)?;
        aside.write_all(MAGIC)?;
        aside.write_all(&tag)?;
        aside.write_all(&code)?;
        aside
            .persist(store.dir.join(identity.file_name()))
            .map_err(|e| e.error)?;
        Ok(())
    };
    if let Err(e) = write() {
        tracing::warn!("compiled-code cache: cannot keep code: {e}");
        return;
    }
    trim(&store.dir, MAX_CACHE_BYTES);
}

/// Deletes the oldest entries until the folder holds at most `max` bytes (to three quarters
/// of it, so the next saves do not each trim again).
fn trim(dir: &Path, max: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let metadata = entry.metadata().ok()?;
            let when = metadata.modified().ok()?;
            metadata
                .is_file()
                .then(|| (when, metadata.len(), entry.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
    if total <= max {
        return;
    }
    files.sort();
    for (_, len, path) in files {
        if total <= max / 4 * 3 {
            break;
        }
        if std::fs::remove_file(&path).is_ok() {
            total -= len;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_deletes_the_oldest_entries_first() {
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in ["a", "b", "c", "d"].iter().enumerate() {
            let path = dir.path().join(name);
            std::fs::write(&path, vec![0u8; 100]).unwrap();
            let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(i as u64);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        }
        trim(dir.path(), 300);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["c", "d"]);
    }
}
