//! What a run did to its read-write directories: a file-change report per preopen, and
//! scratch copies that keep the real folder untouched until the user applies the changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

/// Past this many entries a snapshot stops walking (and says so).
pub const MAX_SNAPSHOT_ENTRIES: usize = 100_000;
/// The largest folder a scratch copy will make.
pub const MAX_SCRATCH_BYTES: u64 = 1024 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
struct EntryState {
    is_dir: bool,
    size_bytes: u64,
    modified: Option<SystemTime>,
}

/// The state of a folder tree at one moment (symlinks are not followed).
#[derive(Clone, Debug, Default)]
pub struct DirSnapshot {
    entries: BTreeMap<PathBuf, EntryState>,
    /// The walk stopped at [`MAX_SNAPSHOT_ENTRIES`].
    pub truncated: bool,
}

impl DirSnapshot {
    /// Walks `root`. Unreadable entries are skipped; the walk is bounded.
    pub fn take(root: &Path) -> Self {
        let mut snapshot = Self::default();
        let mut stack = vec![PathBuf::new()];
        while let Some(relative) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(root.join(&relative)) else {
                continue;
            };
            for entry in entries.flatten() {
                if snapshot.entries.len() >= MAX_SNAPSHOT_ENTRIES {
                    snapshot.truncated = true;
                    return snapshot;
                }
                let Ok(metadata) = entry.path().symlink_metadata() else {
                    continue;
                };
                let path = relative.join(entry.file_name());
                if metadata.is_dir() {
                    stack.push(path.clone());
                }
                snapshot.entries.insert(
                    path,
                    EntryState {
                        is_dir: metadata.is_dir(),
                        size_bytes: if metadata.is_dir() { 0 } else { metadata.len() },
                        modified: metadata.modified().ok(),
                    },
                );
            }
        }
        snapshot
    }

    /// Total bytes of the files in the snapshot.
    pub fn total_bytes(&self) -> u64 {
        self.entries.values().map(|e| e.size_bytes).sum()
    }
}

/// What happened to one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// It did not exist before.
    Created,
    /// Its size or modification time changed.
    Modified,
    /// It existed before and is gone.
    Deleted,
}

/// One changed file or folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChange {
    /// Path relative to the preopened folder, with `/` separators.
    pub path: String,
    /// Created, modified or deleted.
    pub kind: ChangeKind,
    /// Whether it is a folder.
    pub is_dir: bool,
    /// Size after the run (0 when deleted).
    pub size_bytes: u64,
    /// Size before the run (0 when created).
    pub size_before_bytes: u64,
}

/// The changes in one preopened folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirChanges {
    /// Where the guest saw it.
    pub guest_path: String,
    /// The real folder on the host.
    pub host_path: PathBuf,
    /// Whether the run used a scratch copy (the real folder is untouched).
    pub scratch: bool,
    /// Every change, sorted by path.
    pub changes: Vec<FileChange>,
    /// Bytes written: sizes of created files plus growth of modified ones.
    pub bytes_written: u64,
    /// The folder has more entries than a snapshot walks; changes may be missing.
    pub truncated: bool,
}

impl DirChanges {
    /// One line for people: "wrote 100 MiB to /data: 1 created, 2 modified, 0 deleted".
    pub fn summary(&self) -> String {
        let count = |kind| self.changes.iter().filter(|c| c.kind == kind).count();
        format!(
            "wrote {} to {}{}: {} created, {} modified, {} deleted",
            crate::engine::format_bytes(self.bytes_written),
            self.guest_path,
            if self.scratch { " (scratch copy)" } else { "" },
            count(ChangeKind::Created),
            count(ChangeKind::Modified),
            count(ChangeKind::Deleted),
        )
    }
}

/// The changes from `before` to `after`.
pub fn diff(before: &DirSnapshot, after: &DirSnapshot) -> Vec<FileChange> {
    let mut changes = Vec::new();
    let text = |path: &Path| path.to_string_lossy().replace('\\', "/");
    for (path, new) in &after.entries {
        match before.entries.get(path) {
            None => changes.push(FileChange {
                path: text(path),
                kind: ChangeKind::Created,
                is_dir: new.is_dir,
                size_bytes: new.size_bytes,
                size_before_bytes: 0,
            }),
            Some(old)
                if !new.is_dir
                    && (old.size_bytes != new.size_bytes || old.modified != new.modified) =>
            {
                changes.push(FileChange {
                    path: text(path),
                    kind: ChangeKind::Modified,
                    is_dir: false,
                    size_bytes: new.size_bytes,
                    size_before_bytes: old.size_bytes,
                })
            }
            Some(_) => {}
        }
    }
    for (path, old) in &before.entries {
        if !after.entries.contains_key(path) {
            changes.push(FileChange {
                path: text(path),
                kind: ChangeKind::Deleted,
                is_dir: old.is_dir,
                size_bytes: 0,
                size_before_bytes: old.size_bytes,
            });
        }
    }
    changes.sort_by(|a, b| a.path.cmp(&b.path));
    changes
}

/// Bytes written according to a list of changes.
pub fn bytes_written(changes: &[FileChange]) -> u64 {
    changes
        .iter()
        .map(|c| match c.kind {
            ChangeKind::Created => c.size_bytes,
            // A rewrite of the same size still wrote its bytes; otherwise count the growth.
            ChangeKind::Modified if c.size_bytes == c.size_before_bytes => c.size_bytes,
            ChangeKind::Modified => c.size_bytes.saturating_sub(c.size_before_bytes),
            ChangeKind::Deleted => 0,
        })
        .sum()
}

/// A temporary copy of a folder that a run works on instead of the real one. Dropping it
/// deletes the copy; [`ScratchCopy::apply`] carries the run's changes to the real folder.
#[derive(Debug)]
pub struct ScratchCopy {
    dir: tempfile::TempDir,
    /// The copy as made, before the run (copies get new modification times, so changes are
    /// measured against this, not against the real folder).
    initial: DirSnapshot,
    /// The real folder.
    pub original: PathBuf,
    /// Where the guest saw it.
    pub guest_path: String,
}

impl PartialEq for ScratchCopy {
    fn eq(&self, other: &Self) -> bool {
        self.dir.path() == other.dir.path()
    }
}

/// Why a folder could not get a scratch copy.
#[derive(Debug, thiserror::Error)]
pub enum ScratchError {
    /// The folder is too large to copy.
    #[error(
        "{} is too large for a scratch copy (over {} or {} entries): grant it directly, \
         read-only, or choose a smaller folder",
        .0.display(),
        crate::engine::format_bytes(MAX_SCRATCH_BYTES),
        MAX_SNAPSHOT_ENTRIES
    )]
    TooLarge(PathBuf),
    /// No temporary folder could be made.
    #[error("cannot make a scratch folder")]
    TempDir(#[source] std::io::Error),
    /// Copying failed.
    #[error("cannot copy {} to a scratch folder", .path.display())]
    Copy {
        /// The folder being copied.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

impl ScratchCopy {
    /// Copies `original` (symlinks are copied as links, not followed).
    pub fn make(original: &Path, guest_path: &str) -> Result<Self, ScratchError> {
        let snapshot = DirSnapshot::take(original);
        if snapshot.truncated || snapshot.total_bytes() > MAX_SCRATCH_BYTES {
            return Err(ScratchError::TooLarge(original.to_owned()));
        }
        let dir = tempfile::Builder::new()
            .prefix("wasmscope-scratch-")
            .tempdir()
            .map_err(ScratchError::TempDir)?;
        copy_tree(original, dir.path()).map_err(|source| ScratchError::Copy {
            path: original.to_owned(),
            source,
        })?;
        Ok(Self {
            initial: DirSnapshot::take(dir.path()),
            dir,
            original: original.to_owned(),
            guest_path: guest_path.to_owned(),
        })
    }

    /// The copy's path (what the guest really gets).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// What the run changed in the copy.
    pub fn changes(&self) -> Vec<FileChange> {
        diff(&self.initial, &DirSnapshot::take(self.path()))
    }

    /// Carries the changes to the real folder: created and modified files are copied,
    /// deleted ones removed. Returns how many paths changed.
    pub fn apply(&self) -> std::io::Result<usize> {
        let changes = self.changes();
        // Deepest paths first for deletions, shallowest first for creations.
        for change in changes
            .iter()
            .rev()
            .filter(|c| c.kind == ChangeKind::Deleted)
        {
            let target = self.original.join(&change.path);
            if change.is_dir {
                std::fs::remove_dir_all(&target)?;
            } else {
                std::fs::remove_file(&target)?;
            }
        }
        for change in changes.iter().filter(|c| c.kind != ChangeKind::Deleted) {
            let source = self.path().join(&change.path);
            let target = self.original.join(&change.path);
            let metadata = source.symlink_metadata()?;
            if metadata.is_dir() {
                std::fs::create_dir_all(&target)?;
            } else if metadata.file_type().is_symlink() {
                let link = std::fs::read_link(&source)?;
                let _ = std::fs::remove_file(&target);
                std::os::unix::fs::symlink(link, &target)?;
            } else {
                std::fs::copy(&source, &target)?;
            }
        }
        Ok(changes.len())
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let file_type = entry.file_type()?;
        if file_type.is_dir() {
            std::fs::create_dir(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else if file_type.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Scratch copies of a run, shared with its report so the face can apply or discard them.
pub type ScratchCopies = Vec<Arc<ScratchCopy>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_finds_created_modified_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("keep"), "same").unwrap();
        std::fs::write(dir.path().join("change"), "1").unwrap();
        std::fs::write(dir.path().join("gone"), "x").unwrap();
        let before = DirSnapshot::take(dir.path());
        std::fs::write(dir.path().join("change"), "123").unwrap();
        std::fs::remove_file(dir.path().join("gone")).unwrap();
        std::fs::create_dir(dir.path().join("new")).unwrap();
        std::fs::write(dir.path().join("new/file"), "hello").unwrap();
        let changes = diff(&before, &DirSnapshot::take(dir.path()));
        let summary: Vec<_> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.kind, c.size_bytes))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("change", ChangeKind::Modified, 3),
                ("gone", ChangeKind::Deleted, 0),
                ("new", ChangeKind::Created, 0),
                ("new/file", ChangeKind::Created, 5),
            ]
        );
        assert_eq!(bytes_written(&changes), 5 + 2);
    }

    #[test]
    fn scratch_copy_applies_or_discards() {
        let real = tempfile::tempdir().unwrap();
        std::fs::write(real.path().join("a.txt"), "original").unwrap();
        std::fs::write(real.path().join("b.txt"), "delete me").unwrap();
        let scratch = ScratchCopy::make(real.path(), "/data").unwrap();
        std::fs::write(scratch.path().join("a.txt"), "changed!").unwrap();
        std::fs::remove_file(scratch.path().join("b.txt")).unwrap();
        std::fs::write(scratch.path().join("c.txt"), "new").unwrap();
        assert_eq!(
            std::fs::read_to_string(real.path().join("a.txt")).unwrap(),
            "original"
        );
        assert_eq!(scratch.apply().unwrap(), 3);
        assert_eq!(
            std::fs::read_to_string(real.path().join("a.txt")).unwrap(),
            "changed!"
        );
        assert!(!real.path().join("b.txt").exists());
        assert_eq!(
            std::fs::read_to_string(real.path().join("c.txt")).unwrap(),
            "new"
        );
        let copy = scratch.path().to_owned();
        drop(scratch);
        assert!(!copy.exists(), "discarding deletes the copy");
    }
}
