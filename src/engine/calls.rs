//! One WASI call as the capability log records it, and the words every face shows for it:
//! the errno by name and number (`perm (63)`, as the guest's own output prints the number),
//! and the guest's path beside the host path it leads to, so a room sees the boundary.

use serde::{Deserialize, Serialize};

use crate::engine::wasi::Capability;

/// One WASI call (or a run of identical consecutive calls, see `count`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// The WASI function, e.g. `path_open`.
    pub function: String,
    /// Its capability group.
    pub capability: Capability,
    /// Decoded arguments, e.g. `fd=3 (/data) path="../secret"`.
    pub args: String,
    /// The errno the call returned (0 = success); `None` for calls that return nothing.
    pub errno: Option<u16>,
    /// The result by name: `success`, `notcapable`, `badf`, ... or `exit(3)`.
    pub result: String,
    /// Why the sandbox refused, when it did, in plain words.
    pub denial: Option<String>,
    /// Microseconds since the run started (of the first call, when coalesced).
    pub at_us: u64,
    /// How many identical consecutive calls this record stands for.
    pub count: u64,
    /// For a call that names a path in a granted folder: the path as the guest wrote it, and
    /// the host path it leads to (or would have reached).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Box<CallPaths>>,
    /// An allowed call that prepares an escape (a link made inside a granted folder that
    /// points outside it), in words that start "allowed here, refused when followed".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prepares_escape: Option<String>,
    /// In a time-travel replay, the moment of the `call` instruction that made it: going to
    /// that moment pauses just before the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moment: Option<u64>,
}

/// A path a call named: the guest's words and the host's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallPaths {
    /// The path as the guest wrote it, e.g. `../etc/passwd`.
    pub guest: String,
    /// The granted folder it is relative to, as the guest sees it, e.g. `/box`.
    pub guest_dir: String,
    /// That folder on the host, as the user gave it, e.g. `~/class/box`.
    pub host_dir: String,
    /// Where the path leads on the host: `..` resolved by name, links the run made followed.
    pub host: String,
    /// Whether it stays inside the granted folder.
    pub inside: bool,
}

impl CallPaths {
    /// `guest "../etc/passwd" in /box leads to host ~/class/etc/passwd, outside the granted
    /// ~/class/box`.
    pub fn describe(&self) -> String {
        let mut text = format!(
            "guest {:?} in {} leads to host {}",
            self.guest, self.guest_dir, self.host
        );
        if !self.inside {
            text.push_str(&format!(", outside the granted {}", self.host_dir));
        }
        text
    }
}

impl CallRecord {
    /// What came back, an errno by name and number: `perm (63)`; `success`, `exit(3)`.
    pub fn result_text(&self) -> String {
        match self.errno {
            Some(errno) if errno != 0 => format!("{} ({errno})", self.result),
            _ => self.result.clone(),
        }
    }

    /// The result in a table's one cell: the errno by name and number, then a refusal's
    /// reason with both paths, or the note on an allowed step that prepares an escape.
    pub fn result_words(&self) -> String {
        let mut words = self.result_text();
        if let Some(refusal) = self.refusal_text() {
            words.push_str(&format!(" — {refusal}"));
        }
        if let Some(note) = &self.prepares_escape {
            words.push_str(&format!(" — {note}"));
        }
        words
    }

    /// A refusal in full: why, then both paths when the call named one.
    pub fn refusal_text(&self) -> Option<String> {
        let why = self.denial.as_ref()?;
        Some(match &self.paths {
            Some(paths) => format!("{why}; {}", paths.describe()),
            None => why.clone(),
        })
    }
}

/// Joins `path` onto the folder `base` by name, as the sandbox reads it: `.` and empty parts
/// dropped, `..` takes one part off, an absolute `path` names the host's own root. Returns the
/// joined path and whether it stayed inside `base` all along (a `..` past `base` leaves it
/// for good: the sandbox refuses such a path even when it comes back in).
pub fn join_by_name(base: &str, path: &str) -> (String, bool) {
    let (absolute, mut parts, mut inside) = if path.starts_with('/') {
        (true, Vec::new(), false)
    } else {
        let mut parts = Vec::new();
        push_parts(&mut parts, base, base.starts_with('/'));
        (base.starts_with('/'), parts, true)
    };
    let mut depth = 0usize;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if depth == 0 {
                    inside = false;
                }
                depth = depth.saturating_sub(1);
                pop_part(&mut parts, absolute);
            }
            name => {
                depth += 1;
                parts.push(name.to_owned());
            }
        }
    }
    let joined = parts.join("/");
    let text = match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        // `./box` + `../x` reads `./x`, as the user wrote the folder.
        (false, false) if base.starts_with("./") && !joined.starts_with("..") => {
            format!("./{joined}")
        }
        (false, false) => joined,
    };
    (text, inside)
}

fn push_parts(parts: &mut Vec<String>, path: &str, absolute: bool) {
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => pop_part(parts, absolute),
            name => parts.push(name.to_owned()),
        }
    }
}

/// Takes one part off; at a relative path's start, climbs (`..`); at the root, stays.
fn pop_part(parts: &mut Vec<String>, absolute: bool) {
    match parts.last().map(String::as_str) {
        Some("..") | None if !absolute => parts.push("..".to_owned()),
        Some("..") | None => {}
        Some(_) => {
            parts.pop();
        }
    }
}

/// The folder part of a relative path (`a/b` -> `a`, `b` -> ``).
pub fn parent_by_name(path: &str) -> &str {
    path.trim_end_matches('/')
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent)
}

/// The WASI preview 1 name of an errno.
pub fn errno_name(errno: u16) -> &'static str {
    ERRNO_NAMES
        .get(errno as usize)
        .copied()
        .unwrap_or("unknown")
}

/// The number of the WASI preview 1 errno called `name` (`perm` is 63).
pub fn errno_number(name: &str) -> Option<u16> {
    ERRNO_NAMES
        .iter()
        .position(|n| *n == name)
        .and_then(|i| u16::try_from(i).ok())
}

const ERRNO_NAMES: [&str; 77] = [
    "success",
    "2big",
    "acces",
    "addrinuse",
    "addrnotavail",
    "afnosupport",
    "again",
    "already",
    "badf",
    "badmsg",
    "busy",
    "canceled",
    "child",
    "connaborted",
    "connrefused",
    "connreset",
    "deadlk",
    "destaddrreq",
    "dom",
    "dquot",
    "exist",
    "fault",
    "fbig",
    "hostunreach",
    "idrm",
    "ilseq",
    "inprogress",
    "intr",
    "inval",
    "io",
    "isconn",
    "isdir",
    "loop",
    "mfile",
    "mlink",
    "msgsize",
    "multihop",
    "nametoolong",
    "netdown",
    "netreset",
    "netunreach",
    "nfile",
    "nobufs",
    "nodev",
    "noent",
    "noexec",
    "nolck",
    "nolink",
    "nomem",
    "nomsg",
    "noprotoopt",
    "nospc",
    "nosys",
    "notconn",
    "notdir",
    "notempty",
    "notrecoverable",
    "notsock",
    "notsup",
    "notty",
    "nxio",
    "overflow",
    "ownerdead",
    "perm",
    "pipe",
    "proto",
    "protonosupport",
    "prototype",
    "range",
    "rofs",
    "spipe",
    "srch",
    "stale",
    "timedout",
    "txtbsy",
    "xdev",
    "notcapable",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_names_follow_wasi() {
        assert_eq!(errno_name(0), "success");
        assert_eq!(errno_name(8), "badf");
        assert_eq!(errno_name(44), "noent");
        assert_eq!(errno_name(63), "perm");
        assert_eq!(errno_name(76), "notcapable");
        assert_eq!(errno_name(999), "unknown");
        assert_eq!(errno_number("perm"), Some(63));
        assert_eq!(errno_number("nope"), None);
    }

    #[test]
    fn dot_dot_from_a_granted_folder_names_the_host_path_it_would_reach() {
        assert_eq!(
            join_by_name("~/class/box", "../etc/passwd"),
            ("~/class/etc/passwd".to_owned(), false)
        );
        assert_eq!(
            join_by_name("/tmp/box", "./a/../hello.txt"),
            ("/tmp/box/hello.txt".to_owned(), true)
        );
        assert_eq!(
            join_by_name("/tmp/box", "/etc/passwd"),
            ("/etc/passwd".to_owned(), false)
        );
        assert_eq!(join_by_name("./box", "../../x"), ("../x".to_owned(), false));
        assert_eq!(join_by_name("./box", "../x"), ("./x".to_owned(), false));
        assert_eq!(join_by_name("/", "../../x"), ("/x".to_owned(), false));
        // Out and back in is still out: the sandbox refuses any `..` past the folder.
        assert_eq!(
            join_by_name("/tmp/box", "../box/x"),
            ("/tmp/box/x".to_owned(), false)
        );
        assert_eq!(parent_by_name("a/b/link"), "a/b");
        assert_eq!(parent_by_name("link"), "");
    }

    #[test]
    fn a_refusal_names_the_errno_and_both_paths() {
        let record = CallRecord {
            function: "path_open".to_owned(),
            capability: Capability::Filesystem,
            args: "fd=3 (/box) path=\"../etc/passwd\"".to_owned(),
            errno: Some(63),
            result: "perm".to_owned(),
            denial: Some("path outside every preopened directory".to_owned()),
            at_us: 0,
            count: 1,
            paths: Some(Box::new(CallPaths {
                guest: "../etc/passwd".to_owned(),
                guest_dir: "/box".to_owned(),
                host_dir: "~/class/box".to_owned(),
                host: "~/class/etc/passwd".to_owned(),
                inside: false,
            })),
            prepares_escape: None,
            moment: None,
        };
        assert_eq!(record.result_text(), "perm (63)");
        assert_eq!(
            record.refusal_text().as_deref(),
            Some(
                "path outside every preopened directory; guest \"../etc/passwd\" in /box leads to \
                 host ~/class/etc/passwd, outside the granted ~/class/box"
            )
        );
    }
}
