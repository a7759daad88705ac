//! Reading the files people hand wasmscope (modules, recordings, profiles, lessons, source
//! files named by DWARF) as untrusted input: regular files only, opened without blocking (a
//! FIFO or a device is refused, never waited on), and never more than the kind's limit, which
//! the error names.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::engine::policy::format_bytes;

/// What a file is read as, and the most wasmscope reads of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A `.wasm`, `.wat` or `.cwasm` file.
    Module,
    /// A recording of a run.
    Recording,
    /// A sandbox profile.
    Profile,
    /// A lesson file.
    Lesson,
    /// A source file a module's debug information names.
    Source,
}

impl InputKind {
    /// The largest file of this kind wasmscope reads.
    pub const fn limit(self) -> u64 {
        match self {
            InputKind::Module | InputKind::Recording => 1 << 30,
            InputKind::Profile | InputKind::Lesson => 1 << 20,
            InputKind::Source => 8 << 20,
        }
    }

    /// The kind in the plural, for "modules above 1.0 GiB are refused".
    pub fn plural(self) -> &'static str {
        match self {
            InputKind::Module => "modules",
            InputKind::Recording => "recordings",
            InputKind::Profile => "profiles",
            InputKind::Lesson => "lesson files",
            InputKind::Source => "source files",
        }
    }
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// No such file.
    #[error("no such file: {}", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// Not a regular file: a folder, a FIFO, a device, a socket.
    #[error("{} is {what}, not a file: choose a regular file", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead, with its article: "a directory", "a FIFO".
        what: &'static str,
    },
    /// Larger than the kind's limit.
    #[error(
        "{} is {}: {} above {} are refused",
        path.display(),
        format_bytes(*size),
        kind.plural(),
        format_bytes(kind.limit())
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (at least; a file that grows while read is cut at the limit).
        size: u64,
        /// What it was read as.
        kind: InputKind,
    },
    /// Could not be opened or read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
}

fn file_type_name(kind: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

impl InputError {
    /// Why, without the path: for messages that name the file already.
    pub fn reason(&self) -> String {
        match self {
            InputError::Missing { .. } => "there is no such file".to_owned(),
            InputError::NotAFile { what, .. } => format!("it is {what}, not a regular file"),
            InputError::TooLarge { size, kind, .. } => format!(
                "it is {}: {} above {} are refused",
                format_bytes(*size),
                kind.plural(),
                format_bytes(kind.limit())
            ),
            InputError::Io { source, .. } => source.to_string(),
        }
    }

    /// The system's error, for callers that keep one.
    pub fn into_io(self) -> std::io::Error {
        match self {
            InputError::Io { source, .. } => source,
            InputError::Missing { .. } => std::io::ErrorKind::NotFound.into(),
            other => std::io::Error::other(other.reason()),
        }
    }
}

/// Opens `path` for reading without ever blocking on it: a FIFO with no writer would block a
/// plain open.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    options.open(path)
}

/// The contents of `path`, a regular file of at most `kind`'s limit.
pub fn read(path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let io = |source: std::io::Error| match source.kind() {
        std::io::ErrorKind::NotFound => InputError::Missing {
            path: path.to_owned(),
        },
        _ => InputError::Io {
            path: path.to_owned(),
            source,
        },
    };
    // Checked before opening where possible: opening some devices has effects.
    let before = std::fs::metadata(path).map_err(io)?;
    if !before.is_file() {
        return Err(InputError::NotAFile {
            path: path.to_owned(),
            what: file_type_name(before.file_type()),
        });
    }
    let file = open_nonblocking(path).map_err(io)?;
    // And again on what was opened: the path may have been swapped in between.
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Err(InputError::NotAFile {
            path: path.to_owned(),
            what: file_type_name(metadata.file_type()),
        });
    }
    let too_large = |size| InputError::TooLarge {
        path: path.to_owned(),
        size,
        kind,
    };
    if metadata.len() > kind.limit() {
        return Err(too_large(metadata.len()));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(kind.limit() + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > kind.limit() {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// [`read`] as UTF-8 text.
pub fn read_text(path: &Path, kind: InputKind) -> Result<String, InputError> {
    let bytes = read(path, kind)?;
    String::from_utf8(bytes).map_err(|_| InputError::Io {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_a_device_and_a_large_file_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), InputKind::Module).unwrap_err();
        assert!(
            err.to_string().contains("is a directory, not a file"),
            "{err}"
        );
        #[cfg(unix)]
        {
            let err = read(Path::new("/dev/zero"), InputKind::Recording).unwrap_err();
            assert!(err.to_string().contains("/dev/zero is a device"), "{err}");
        }
        let big = dir.path().join("big.toml");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(3 << 20)
            .unwrap();
        let err = read(&big, InputKind::Profile).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("is 3.0 MiB: profiles above 1.0 MiB are refused"),
            "{err}"
        );
        let small = dir.path().join("small.toml");
        std::fs::write(&small, "x = 1\n").unwrap();
        assert_eq!(read_text(&small, InputKind::Profile).unwrap(), "x = 1\n");
        let err = read(&dir.path().join("nope"), InputKind::Lesson).unwrap_err();
        assert!(err.to_string().starts_with("no such file: "), "{err}");
    }
}
