//! Folders whose grant would hand the guest the host itself: `/`, `/proc`, `/sys`, `/dev`,
//! `/etc` and the user's home directory. One rule, with its reason in words, for the command
//! line, profiles, the window and the run alike.
//!
//! wasmscope's own folders (its key and its compiled-code cache: [`crate::engine::own_files`])
//! are refused too, a grant that is one, lies inside one or holds one, read-only or not, and
//! `--allow-host-dir` does not lift that: nothing a guest may do needs them.
//!
//! A grant is checked where it leads, not how it is spelled: symlinks and `..` are resolved
//! first, so a symlink to `/` is `/`.

use std::path::{Component, Path, PathBuf};

use crate::engine::own_files::{self, OwnFolder};

/// A part of the host a folder grant would expose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostDir {
    /// `/`: the whole file system.
    Root,
    /// `/proc` or a folder inside it.
    Proc,
    /// `/sys` or a folder inside it.
    Sys,
    /// `/dev` or a folder inside it.
    Dev,
    /// `/etc` or a folder inside it.
    Etc,
    /// The user's home directory, or a folder that holds it (such as `/home`).
    Home,
    /// One of wasmscope's own folders, a folder inside it, or one that holds it.
    Own(OwnFolder),
}

impl HostDir {
    /// What the folder is, for messages: "the whole file system", "your home directory".
    pub fn name(self) -> &'static str {
        match self {
            HostDir::Root => "the root of the file system",
            HostDir::Proc => "the kernel's process folder /proc",
            HostDir::Sys => "the kernel's settings folder /sys",
            HostDir::Dev => "the device folder /dev",
            HostDir::Etc => "the system configuration folder /etc",
            HostDir::Home => "your home directory",
            HostDir::Own(OwnFolder::Key) => "wasmscope's key folder, or a folder holding it",
            HostDir::Own(OwnFolder::Cache) => {
                "wasmscope's compiled-code cache, or a folder holding it"
            }
        }
    }

    /// What a guest given the folder could reach, in plain words.
    pub fn exposes(self) -> &'static str {
        match self {
            HostDir::Root => {
                "every file you can read, including /proc/self/environ (wasmscope's own \
                 environment, which the sandbox otherwise never shows the guest), your home \
                 directory and /etc/passwd"
            }
            HostDir::Proc => {
                "every process you own: their command lines, memory maps and environments, \
                 including wasmscope's own (/proc/self/environ) and, through /proc/*/root, the \
                 whole file system"
            }
            HostDir::Sys => "the kernel's and the hardware's settings and identifiers",
            HostDir::Dev => "the machine's devices: terminals, disks, random sources",
            HostDir::Etc => "the system's configuration: accounts (/etc/passwd), hosts, services",
            HostDir::Home => {
                "all your files: SSH and cloud keys, shell history, browser profiles, every \
                 project"
            }
            HostDir::Own(own) => own.danger(),
        }
    }

    /// Whether a read-only grant is refused too: `/` and `/proc` show wasmscope's own
    /// environment and `/sys` the machine's identity even to a reader; the others expose
    /// what a reader sees, so read-only is accepted for them.
    pub fn refused_read_only(self) -> bool {
        matches!(
            self,
            HostDir::Root | HostDir::Proc | HostDir::Sys | HostDir::Own(_)
        )
    }
}

/// A folder grant that reaches part of the host: where it leads and what that is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostExposure {
    /// The folder as granted.
    pub host_path: PathBuf,
    /// Where it leads once symlinks and `..` are resolved.
    pub resolved: PathBuf,
    /// What that folder is.
    pub dir: HostDir,
    /// Whether the grant was read-only.
    pub read_only: bool,
    /// The folder of wasmscope's own it reaches, if any (then nothing lifts the refusal).
    pub own: Option<(OwnFolder, PathBuf)>,
}

impl HostExposure {
    /// Whether the rule refuses this grant unless the user allows host folders: every
    /// read-write grant, and read-only grants of `/`, `/proc` and `/sys`.
    pub fn refused(&self) -> bool {
        !self.read_only || self.dir.refused_read_only() || self.own.is_some()
    }

    /// Whether the refusal holds even when the user allows host folders.
    pub fn refused_whatever_allowed(&self) -> bool {
        self.own.is_some()
    }

    /// One sentence for people: which folder, what it is, what the guest could reach.
    pub fn describe(&self) -> String {
        let leads = if self.resolved == self.host_path {
            String::new()
        } else {
            format!(" (it leads to {})", self.resolved.display())
        };
        let own = self.own.as_ref().map(|(own, folder)| {
            format!(
                "{} ({}): a guest given it could {}",
                own.name(),
                folder.display(),
                own.danger()
            )
        });
        if let (HostDir::Own(_), Some(own)) = (self.dir, &own) {
            return format!(
                "{}{leads} is, holds or lies inside {own}",
                self.host_path.display()
            );
        }
        let also = own.map_or(String::new(), |own| format!("; and it holds {own}"));
        format!(
            "{}{leads} is {}: a guest given it {}could reach {}",
            self.host_path.display(),
            self.dir.name(),
            if self.read_only { "read-only " } else { "" },
            self.dir.exposes()
        ) + &also
    }

    /// Why the grant is refused and what to do instead: the message of the command line, the
    /// window and the run alike.
    pub fn refusal(&self) -> String {
        if let Some((_, folder)) = &self.own {
            return format!(
                "{}. Grant a folder that neither holds nor lies inside {}; wasmscope refuses \
                 this grant even with --allow-host-dir",
                self.describe(),
                folder.display()
            );
        }
        let read_only = if self.read_only || self.dir.refused_read_only() {
            ""
        } else {
            " or make it read-only"
        };
        format!(
            "{}. Grant a folder inside it instead{read_only}, or pass --allow-host-dir (in the \
             window: allow it on the folder) if you mean it",
            self.describe()
        )
    }
}

/// Where `path` leads: symlinks and `..` resolved. A folder that does not exist (the run
/// refuses it anyway) is made absolute and cleaned of `.` and `..` by its spelling.
pub fn resolve(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut clean = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::ParentDir => {
                clean.pop();
            }
            Component::CurDir => {}
            other => clean.push(other),
        }
    }
    clean
}

/// The user's home directory, resolved; `None` when `$HOME` is unset or empty.
fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .map(|home| resolve(Path::new(&home)))
}

/// Which of wasmscope's own folders (resolved) a grant of `resolved` reaches: the folder, a
/// folder inside it, or one that holds it.
fn own_folder_reached(resolved: &Path) -> Option<(OwnFolder, PathBuf)> {
    own_files::folders()
        .into_iter()
        .map(|(own, dir)| (own, resolve(&dir)))
        .find(|(_, dir)| dir.starts_with(resolved) || resolved.starts_with(dir))
}

/// What part of the host `resolved` (an absolute path without symlinks) is, if any.
pub fn classify(resolved: &Path, home: Option<&Path>) -> Option<HostDir> {
    let root = Path::new("/");
    if resolved == root {
        return Some(HostDir::Root);
    }
    let under = |top: &str| resolved.starts_with(top);
    if under("/proc") {
        Some(HostDir::Proc)
    } else if under("/sys") {
        Some(HostDir::Sys)
    } else if under("/dev") {
        Some(HostDir::Dev)
    } else if under("/etc") {
        Some(HostDir::Etc)
    } else if home.is_some_and(|home| home != root && home.starts_with(resolved)) {
        // The home directory itself or a folder above it; its subfolders are what people
        // usually grant, and stay allowed.
        Some(HostDir::Home)
    } else {
        None
    }
}

/// What granting `host_path` would expose of the host, if anything (whether or not the rule
/// then refuses it: see [`HostExposure::refused`]).
pub fn exposure(host_path: &Path, read_only: bool) -> Option<HostExposure> {
    let resolved = resolve(host_path);
    // wasmscope's own folders are checked on every grant: their refusal is the one nothing
    // lifts, whatever else the folder is.
    let own = own_folder_reached(&resolved);
    let dir = classify(&resolved, home_dir().as_deref())
        .or_else(|| own.as_ref().map(|(own, _)| HostDir::Own(*own)))?;
    Some(HostExposure {
        host_path: host_path.to_owned(),
        resolved,
        dir,
        read_only,
        own,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_folders_are_named() {
        let home = Path::new("/home/ada");
        let of = |p: &str| classify(Path::new(p), Some(home));
        assert_eq!(of("/"), Some(HostDir::Root));
        assert_eq!(of("/proc"), Some(HostDir::Proc));
        assert_eq!(of("/proc/self"), Some(HostDir::Proc));
        assert_eq!(of("/sys"), Some(HostDir::Sys));
        assert_eq!(of("/dev"), Some(HostDir::Dev));
        assert_eq!(of("/etc"), Some(HostDir::Etc));
        assert_eq!(of("/home/ada"), Some(HostDir::Home));
        assert_eq!(of("/home"), Some(HostDir::Home));
        assert_eq!(of("/home/ada/project"), None);
        assert_eq!(
            of("/procedures"),
            None,
            "a prefix of the name is not the folder"
        );
        assert_eq!(of("/tmp"), None);
        assert_eq!(classify(Path::new("/home"), None), None);
    }

    #[test]
    fn read_only_is_enough_except_for_root_proc_and_sys() {
        let grant = |dir, read_only| HostExposure {
            host_path: PathBuf::from("/x"),
            resolved: PathBuf::from("/x"),
            dir,
            read_only,
            own: None,
        };
        assert!(grant(HostDir::Root, true).refused());
        assert!(grant(HostDir::Proc, true).refused());
        assert!(grant(HostDir::Sys, true).refused());
        assert!(!grant(HostDir::Etc, true).refused());
        assert!(!grant(HostDir::Home, true).refused());
        assert!(!grant(HostDir::Dev, true).refused());
        assert!(grant(HostDir::Etc, false).refused());
        let own = |dir| HostExposure {
            own: Some((OwnFolder::Key, PathBuf::from("/k"))),
            ..grant(dir, true)
        };
        assert!(own(HostDir::Own(OwnFolder::Key)).refused());
        assert!(
            own(HostDir::Home).refused(),
            "a read-only home holding the key"
        );
        assert!(own(HostDir::Own(OwnFolder::Key)).refused_whatever_allowed());
        assert!(!grant(HostDir::Root, false).refused_whatever_allowed());
    }

    #[test]
    fn dot_dot_is_resolved_before_checking() {
        assert_eq!(
            resolve(Path::new("/tmp/../no-such-folder/..")),
            Path::new("/")
        );
        let found = exposure(Path::new("/tmp/.."), true).map(|e| e.dir);
        assert_eq!(found, Some(HostDir::Root));
    }
}
