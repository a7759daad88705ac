//! Where wasmscope keeps files of its own that no guest may reach: the key that vouches for
//! precompiled code ([`key_dir`]) and the compiled-code cache ([`cache_dir`]). Both hold what
//! wasmscope runs outside the sandbox as native code, or what proves that code is its own, so
//! a folder grant that is one of them, lies inside one or holds one is refused from every face
//! (see [`crate::engine::host_dirs`]), even with `--allow-host-dir`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::{Mutex, OnceLock};

/// The key's file name in [`key_dir`].
pub const KEY_FILE: &str = "precompiled.key";
pub(crate) const KEY_BYTES: usize = 32;

/// The key could not be read or made.
#[derive(Debug, thiserror::Error)]
#[error("cannot use the key that authenticates precompiled code: {message}: {}", .path.display())]
pub struct KeyError {
    /// What went wrong.
    pub message: String,
    /// The key file.
    pub path: PathBuf,
}

/// One of wasmscope's own folders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnFolder {
    /// The data folder with the key that tags precompiled code.
    Key,
    /// The folder of compiled code cached on disk.
    Cache,
}

impl OwnFolder {
    /// What the folder is, for messages.
    pub fn name(self) -> &'static str {
        match self {
            OwnFolder::Key => "wasmscope's key folder",
            OwnFolder::Cache => "wasmscope's compiled-code cache",
        }
    }

    /// What a guest that reaches it could do, in plain words.
    pub fn danger(self) -> &'static str {
        match self {
            OwnFolder::Key => {
                "read or replace the key that vouches for precompiled code, and so make a file \
                 that wasmscope would run as native code outside the sandbox"
            }
            OwnFolder::Cache => "read or plant native code that wasmscope runs outside the sandbox",
        }
    }
}

static KEY_DIR: OnceLock<Mutex<Option<PathBuf>>> = OnceLock::new();
static CACHE_DIR: OnceLock<Mutex<Option<PathBuf>>> = OnceLock::new();

fn set(slot: &OnceLock<Mutex<Option<PathBuf>>>, dir: PathBuf) {
    let slot = slot.get_or_init(Default::default);
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir);
}

fn get(slot: &OnceLock<Mutex<Option<PathBuf>>>) -> Option<PathBuf> {
    slot.get()?
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
}

/// An absolute folder named by the environment variable `name`, if it is set to one.
fn absolute_var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

/// Keeps the key in `dir` instead of the user's data directory, for this process (tests and
/// embedders; the CLI follows `XDG_DATA_HOME` like the window's settings do).
pub fn set_key_dir(dir: PathBuf) {
    set(&KEY_DIR, dir);
}

/// The directory that holds the key: the one where the window keeps its settings (eframe's
/// storage directory for the app id `wasmscope`), so one user has one key.
pub fn key_dir() -> Option<PathBuf> {
    if let Some(dir) = get(&KEY_DIR) {
        return Some(dir);
    }
    let home = std::env::home_dir();
    if cfg!(target_os = "macos") {
        home.map(|h| h.join("Library/Application Support/wasmscope"))
    } else if cfg!(windows) {
        absolute_var("APPDATA").map(|a| a.join("wasmscope").join("data"))
    } else {
        absolute_var("XDG_DATA_HOME")
            .or_else(|| home.map(|h| h.join(".local").join("share")))
            .map(|d| d.join("wasmscope"))
    }
}

/// Keeps compiled code cached in `dir` instead of the user's cache directory, for this
/// process (tests and embedders).
pub fn set_cache_dir(dir: PathBuf) {
    set(&CACHE_DIR, dir);
}

/// The directory of the compiled-code cache: `$XDG_CACHE_HOME/wasmscope/code` (or
/// `~/.cache/wasmscope/code`; `~/Library/Caches/wasmscope/code` on macOS).
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = get(&CACHE_DIR) {
        return Some(dir);
    }
    let home = std::env::home_dir();
    let base = if cfg!(target_os = "macos") {
        home.map(|h| h.join("Library/Caches/wasmscope"))
    } else if cfg!(windows) {
        absolute_var("LOCALAPPDATA").map(|a| a.join("wasmscope").join("cache"))
    } else {
        absolute_var("XDG_CACHE_HOME")
            .or_else(|| home.map(|h| h.join(".cache")))
            .map(|d| d.join("wasmscope"))
    };
    base.map(|b| b.join("code"))
}

/// wasmscope's own folders as this process sees them now, as spelled (not resolved).
pub fn folders() -> Vec<(OwnFolder, PathBuf)> {
    let mut folders = Vec::with_capacity(2);
    if let Some(dir) = key_dir() {
        folders.push((OwnFolder::Key, dir));
    }
    if let Some(dir) = cache_dir() {
        folders.push((OwnFolder::Cache, dir));
    }
    folders
}

/// The per-user secret that tags wasmscope's precompiled output.
pub struct TagKey(pub(crate) [u8; KEY_BYTES]);

impl std::fmt::Debug for TagKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TagKey(..)")
    }
}

fn key_error(path: &Path, message: impl Into<String>) -> KeyError {
    KeyError {
        message: message.into(),
        path: path.to_path_buf(),
    }
}

impl TagKey {
    /// The key in `dir`, if one was made; an error when it exists but cannot be trusted.
    pub fn load(dir: &Path) -> Result<Option<Self>, KeyError> {
        let path = dir.join(KEY_FILE);
        // Only a small regular file is read: something else there (a FIFO, a device, a huge
        // file) is not a key, and reading it could block or never end.
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Ok(meta) if !meta.is_file() || meta.len() > 4096 => {
                return Err(key_error(
                    &path,
                    "it is not a regular file of 32 bytes: delete it and compile again",
                ));
            }
            _ => {}
        }
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(key_error(&path, e.to_string())),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path)
                .map_err(|e| key_error(&path, e.to_string()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(key_error(
                    &path,
                    format!(
                        "other users may read it (mode {:o}): make it private with `chmod 600`",
                        mode & 0o777
                    ),
                ));
            }
        }
        let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
            key_error(
                &path,
                "it is not 32 bytes long: delete it and compile again (a new key cannot \
                 vouch for files the old one tagged)",
            )
        })?;
        Ok(Some(Self(key)))
    }

    /// The key in `dir`, made (32 random bytes, mode 0600) if there is none yet.
    pub fn load_or_create(dir: &Path) -> Result<Self, KeyError> {
        if let Some(key) = Self::load(dir)? {
            return Ok(key);
        }
        let path = dir.join(KEY_FILE);
        create_private_dir(dir).map_err(|e| key_error(dir, e.to_string()))?;
        let mut key = [0; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|e| key_error(&path, e.to_string()))?;
        // Written aside, then linked into place: another wasmscope (or another thread of this
        // one) making the key at the same moment either wins (and its key is used) or loses;
        // nobody reads half a key. The aside name is random, so two makers never share it.
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| key_error(&path, e.to_string()))?;
        let aside = dir.join(format!(
            "{KEY_FILE}.{}.{:016x}.new",
            std::process::id(),
            u64::from_le_bytes(nonce)
        ));
        if let Err(e) = write_private(&aside, &key) {
            let _ = std::fs::remove_file(&aside);
            return Err(key_error(&aside, e.to_string()));
        }
        let linked = std::fs::hard_link(&aside, &path);
        let _ = std::fs::remove_file(&aside);
        match linked {
            Ok(()) => Ok(Self(key)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::load(dir)?.ok_or_else(|| key_error(&path, "it vanished while being made"))
            }
            Err(e) => Err(key_error(&path, e.to_string())),
        }
    }

    /// The user's key ([`key_dir`]), if one was made.
    pub fn for_user() -> Result<Option<Self>, KeyError> {
        match key_dir() {
            Some(dir) => Self::load(&dir),
            None => Ok(None),
        }
    }

    /// The user's key, made if there is none yet.
    pub fn for_user_or_create() -> Result<Self, KeyError> {
        let dir = key_dir().ok_or_else(|| {
            key_error(
                Path::new(KEY_FILE),
                "there is no home directory to keep it in (set HOME)",
            )
        })?;
        Self::load_or_create(&dir)
    }

    pub(crate) fn mac(&self, signed: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(signed);
        mac
    }
}

/// Makes `dir` (and its parents) if missing, and makes it private to the user (0700).
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
