//! What the disk quota reports: the bytes and files a run added to its read-write folders, and the
//! first call it refused.

use serde::{Deserialize, Serialize};

use crate::engine::policy::format_bytes;

/// What the guest added to its read-write folders in one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskUsage {
    /// Net bytes the folders grew by (deletions and truncations give bytes back).
    pub bytes_added: u64,
    /// Net files, directories and links created.
    pub files_created: u64,
    /// Calls refused with `nospc` because they would have gone past the quota.
    pub refused: u64,
    /// The quota on bytes in force.
    pub max_bytes: u64,
    /// The quota on files and directories in force.
    pub max_files: u64,
    /// The first refused call, when there was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_refused: Option<DiskRefusal>,
}

/// Which part of the quota a refused call ran into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaKind {
    /// The bytes quota.
    Bytes,
    /// The quota on files and directories created.
    Files,
}

/// A call the quota refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskRefusal {
    /// Which quota it ran into.
    pub kind: QuotaKind,
    /// The WASI function and what it named, e.g. `fd_write on /data/log.txt`.
    pub call: String,
    /// The granted folder it was in, as the guest sees it (e.g. `/data`), when known.
    pub folder: Option<String>,
}

impl DiskUsage {
    /// The plain-words explanation when the quota refused something: "disk quota reached:
    /// the guest tried to write past 1 GiB in /data (first refused call: ...)".
    pub fn explanation(&self) -> Option<String> {
        let first = self.first_refused.as_ref()?;
        let folder = first.folder.as_deref().unwrap_or("its read-write folders");
        let what = match first.kind {
            QuotaKind::Bytes => {
                // "1 GiB", not "1.0 GiB".
                let limit = format_bytes(self.max_bytes).replace(".0 ", " ");
                format!("tried to write past {limit} in {folder}")
            }
            QuotaKind::Files => format!(
                "tried to create more than {} files and directories in {folder}",
                self.max_files
            ),
        };
        let others = match self.refused {
            0 | 1 => String::new(),
            n => format!("; {n} calls refused in all"),
        };
        Some(format!(
            "disk quota reached: the guest {what} (first refused call: {}, answered `nospc ({})` \
             as by a full disk{others})",
            first.call,
            crate::engine::calls::errno_number("nospc").unwrap_or_default()
        ))
    }
}
