//! What a run did to its read-write directories: a file-change report per preopen, and
//! scratch copies that keep the real folder untouched until the user applies the changes.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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
    /// Changes no WASI call of the guest made: another program changed the folder while the
    /// run lasted. Not counted in `changes` or `bytes_written`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub by_others: Vec<FileChange>,
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
        ) + &match self.by_others.len() {
            0 => String::new(),
            1 => "; 1 change by another program meanwhile (not counted)".to_owned(),
            n => format!("; {n} changes by other programs meanwhile (not counted)"),
        }
    }
}

/// The paths the guest changed through WASI calls that succeeded, as guest paths
/// (`/box/out/a.txt`): what tells the guest's changes in a granted folder from those another
/// program made there while the run lasted. Bounded: past [`MAX_SNAPSHOT_ENTRIES`] paths it
/// stops telling ([`WrittenPaths::attribute`] then gives every change to the guest).
#[derive(Clone, Debug, Default)]
pub struct WrittenPaths {
    /// Paths created, opened for writing, truncated, removed, linked or given new times.
    exact: BTreeSet<String>,
    /// Paths renamed (either side): everything under them moved with them.
    moved: BTreeSet<String>,
    overflowed: bool,
}

impl WrittenPaths {
    /// The guest changed `path` (`dir` is the guest path of the folder it is relative to);
    /// `moved` when the whole tree under it moved (a rename).
    pub fn add(&mut self, dir: &str, path: &str, moved: bool) {
        if self.exact.len() + self.moved.len() >= MAX_SNAPSHOT_ENTRIES {
            self.overflowed = true;
            return;
        }
        let path = normalize_guest_path(dir, path);
        if moved {
            self.moved.insert(path);
        } else {
            self.exact.insert(path);
        }
    }

    fn covers(&self, path: &str) -> bool {
        self.exact.contains(path)
            || self.moved.contains(path)
            || ancestors(path).any(|dir| self.moved.contains(dir))
    }

    /// Splits `changes` of the folder the guest sees as `guest_path` (on the host at `root`)
    /// into the guest's and the ones no call of the guest touched: another program's, made
    /// while the run lasted. A path the guest wrote through a symlink inside the folder counts
    /// for the file the link leads to.
    pub fn attribute(
        &self,
        guest_path: &str,
        root: &Path,
        changes: Vec<FileChange>,
    ) -> (Vec<FileChange>, Vec<FileChange>) {
        if self.overflowed {
            return (changes, Vec::new());
        }
        let guest_root = guest_path.trim_end_matches('/');
        let full = |relative: &str| format!("{guest_root}/{relative}");
        // Where the guest's own paths that are symlinks lead, inside the folder.
        let canonical_root = root.canonicalize().ok();
        let through_links: BTreeSet<String> = self
            .exact
            .iter()
            .filter_map(|path| path.strip_prefix(&format!("{guest_root}/")))
            .filter_map(|relative| {
                let host = root.join(relative);
                let is_link = host.symlink_metadata().ok()?.file_type().is_symlink();
                let target = is_link.then(|| host.canonicalize().ok()).flatten()?;
                let inside = target.strip_prefix(canonical_root.as_ref()?).ok()?;
                Some(full(&inside.to_string_lossy()))
            })
            .collect();
        changes.into_iter().partition(|change| {
            let path = full(&change.path);
            self.covers(&path) || through_links.contains(&path)
        })
    }
}

/// `dir/path` with `.` and `..` worked out (never above `dir`'s root) and no doubled `/`.
fn normalize_guest_path(dir: &str, path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in dir.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// `/a/b/c` → `/a/b`, `/a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut rest = path;
    std::iter::from_fn(move || {
        let cut = rest.rfind('/')?;
        rest = &rest[..cut];
        (!rest.is_empty()).then_some(rest)
    })
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
    /// The folder holds the scratch area itself: a copy would copy itself without end.
    #[error(
        "{} holds wasmscope's scratch area ({}): a scratch copy of it would copy itself. Grant \
         a folder inside it, or grant it directly",
        .folder.display(),
        .scratch.display()
    )]
    HoldsScratch {
        /// The folder asked for.
        folder: PathBuf,
        /// Where scratch copies go.
        scratch: PathBuf,
    },
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
    /// Copies `original` (symlinks are copied as links, not followed) into a private folder
    /// under [`scratch_root`]: every directory of the copy is `0700` (files keep their
    /// mode), so a folder protected only by its own permissions stays protected.
    pub fn make(original: &Path, guest_path: &str) -> Result<Self, ScratchError> {
        let root = scratch_root().map_err(ScratchError::TempDir)?;
        let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
        if real(&root).starts_with(real(original)) {
            return Err(ScratchError::HoldsScratch {
                folder: original.to_owned(),
                scratch: root,
            });
        }
        let snapshot = DirSnapshot::take(original);
        if snapshot.truncated || snapshot.total_bytes() > MAX_SCRATCH_BYTES {
            return Err(ScratchError::TooLarge(original.to_owned()));
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("{SCRATCH_PREFIX}{}-", std::process::id()))
            .permissions(private_dir_mode())
            .tempdir_in(&root)
            .map_err(ScratchError::TempDir)?;
        live_copies().push(dir.path().to_owned());
        // From here the copy is registered: dropping `copy` on an error removes it again.
        let mut copy = Self {
            initial: DirSnapshot::default(),
            dir,
            original: original.to_owned(),
            guest_path: guest_path.to_owned(),
        };
        copy_tree(original, copy.path()).map_err(|source| ScratchError::Copy {
            path: original.to_owned(),
            source,
        })?;
        copy.initial = DirSnapshot::take(copy.path());
        Ok(copy)
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
            std::fs::DirBuilder::new()
                .mode(PRIVATE_DIR_MODE)
                .create(&target)?;
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

impl Drop for ScratchCopy {
    fn drop(&mut self) {
        // The folder itself goes with `dir`, right after this.
        let path = self.dir.path();
        live_copies().retain(|live| live != path);
    }
}

/// The start of every scratch copy's name; the owning process's id follows, then `-` and
/// random letters, so a later start can tell a copy left by a process that is gone.
pub const SCRATCH_PREFIX: &str = "wasmscope-scratch-";

/// Directories of scratch copies (and the folder holding them) are the owner's alone.
const PRIVATE_DIR_MODE: u32 = 0o700;

fn private_dir_mode() -> std::fs::Permissions {
    std::fs::Permissions::from_mode(PRIVATE_DIR_MODE)
}

/// The scratch copies of this process that exist now, for [`remove_live_copies`].
fn live_copies() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    // A panic while the list was held leaves it usable: it is only a list of paths.
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every scratch copy this process still has, for a face that must end now (a
/// signal, the window closing) while a run that owns copies may not have ended. Returns
/// how many were removed.
pub fn remove_live_copies() -> usize {
    let paths = std::mem::take(&mut *live_copies());
    paths
        .iter()
        .filter(|path| std::fs::remove_dir_all(path).is_ok())
        .count()
}

/// The folders scratch copies may be in: under the user's cache directory
/// (`$XDG_CACHE_HOME/wasmscope/scratch`, else `~/.cache/wasmscope/scratch`), and
/// `$TMPDIR/wasmscope-scratch-UID` when there is no home.
fn scratch_roots() -> Vec<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|home| home.is_absolute())
                .map(|home| home.join(".cache"))
        });
    let mut roots: Vec<PathBuf> = cache
        .map(|cache| cache.join("wasmscope").join("scratch"))
        .into_iter()
        .collect();
    let uid = rustix::process::getuid().as_raw();
    roots.push(std::env::temp_dir().join(format!("{SCRATCH_PREFIX}{uid}")));
    roots
}

/// The folder new scratch copies go in (the first of [`scratch_roots`] that can be made
/// private), created `0700` if missing. A folder there that another user owns, or that is
/// a symlink, is not used.
pub fn scratch_root() -> std::io::Result<PathBuf> {
    let mut last_error = None;
    for root in scratch_roots() {
        match private_root(&root) {
            Ok(()) => return Ok(root),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| std::io::Error::other("no folder for scratch copies")))
}

/// Makes `root` (and its missing parents) and checks it is a real directory of this user
/// with no access for others.
fn private_root(root: &Path) -> std::io::Result<()> {
    if let Some(parent) = root.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new()
        .mode(PRIVATE_DIR_MODE)
        .create(root)
    {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let metadata = root.symlink_metadata()?;
    if !metadata.is_dir() || metadata.uid() != rustix::process::getuid().as_raw() {
        return Err(std::io::Error::other(format!(
            "{} is not a directory of this user",
            root.display()
        )));
    }
    if metadata.mode() & 0o077 != 0 {
        std::fs::set_permissions(root, private_dir_mode())?;
    }
    Ok(())
}

/// Removes scratch copies left by wasmscope processes that are gone (killed, crashed):
/// those whose name carries the id of no running process. A live process's copies are kept,
/// and so is anything not owned by this user. Returns how many were removed.
pub fn sweep_stale_copies() -> usize {
    let me = rustix::process::getuid().as_raw();
    let mut removed = 0;
    for root in scratch_roots() {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(owner_pid) else {
                continue;
            };
            let Ok(metadata) = entry.path().symlink_metadata() else {
                continue;
            };
            if metadata.is_dir()
                && metadata.uid() == me
                && pid != std::process::id()
                && !process_alive(pid)
                && std::fs::remove_dir_all(entry.path()).is_ok()
            {
                removed += 1;
            }
        }
    }
    removed
}

/// The owning process's id in a scratch copy's name: `wasmscope-scratch-1234-Ab3xYz`.
fn owner_pid(name: &str) -> Option<u32> {
    let (pid, rest) = name.strip_prefix(SCRATCH_PREFIX)?.split_once('-')?;
    (!rest.is_empty()).then_some(())?;
    pid.parse().ok()
}

/// Whether a process with this id exists (one of another user counts: it exists).
fn process_alive(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    !matches!(
        rustix::process::test_kill_process(pid),
        Err(rustix::io::Errno::SRCH)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn guest_paths_are_normalized_and_renames_carry_their_tree() {
        let mut written = WrittenPaths::default();
        written.add("/box/", "./a/../b.txt", false);
        written.add("/box", "../../etc/x", false);
        written.add("/box", "old", true);
        assert!(written.covers("/box/b.txt"));
        assert!(written.covers("/etc/x"));
        assert!(written.covers("/box/old/deep/file"));
        assert!(!written.covers("/box/older"));
        assert!(!written.covers("/box/a"));
        assert_eq!(ancestors("/a/b/c").collect::<Vec<_>>(), ["/a/b", "/a"]);
    }

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
    fn a_copy_names_its_owner() {
        assert_eq!(owner_pid("wasmscope-scratch-1234-Ab3xYz"), Some(1234));
        assert_eq!(owner_pid("wasmscope-scratch-1234-"), None);
        assert_eq!(
            owner_pid("wasmscope-scratch-Ab3xYz"),
            None,
            "older, unnamed copies"
        );
        assert_eq!(owner_pid("other-1234-Ab3xYz"), None);
        assert!(process_alive(std::process::id()));
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
