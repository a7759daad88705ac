//! The run's preopened folders as it uses them: each grant checked where it leads (the
//! host-folder rule, again, on the resolved path that is then opened), the real folder or a
//! scratch copy of it, and what the guest changed there when the run ends.

use std::sync::Arc;

use crate::engine::errors::RunError;
use crate::engine::files::{self, DirChanges, DirSnapshot, ScratchCopy, WrittenPaths};
use crate::engine::host_dirs::{self, HostExposure};
use crate::engine::policy::{DirGrant, PolicyError};

/// A preopen as the run uses it: the real folder, or a scratch copy of it, and a snapshot to
/// tell afterwards what the guest changed.
pub(crate) struct PreparedDir {
    pub(crate) grant: DirGrant,
    /// Where the grant leads (symlinks resolved): what was checked is what gets opened.
    pub(crate) resolved: std::path::PathBuf,
    pub(crate) scratch: Option<Arc<ScratchCopy>>,
    before: Option<DirSnapshot>,
}

impl PreparedDir {
    pub(crate) fn host_path(&self) -> &std::path::Path {
        match &self.scratch {
            Some(copy) => copy.path(),
            None => &self.resolved,
        }
    }

    /// What the run changed (read-write folders only). `written`: the paths the guest's calls
    /// changed, when the WASI shim saw them (core runs): changes in the real folder that no
    /// call of the guest made are another program's, kept apart. (A scratch copy is private:
    /// what changed there is the guest's.)
    pub(crate) fn changes(&self, written: Option<&WrittenPaths>) -> Option<DirChanges> {
        let (changes, by_others, truncated) = match (&self.scratch, &self.before) {
            (Some(copy), _) => (copy.changes(), Vec::new(), false),
            (None, Some(before)) => {
                let after = DirSnapshot::take(&self.resolved);
                let changes = files::diff(before, &after);
                let (changes, by_others) = match written {
                    Some(written) => {
                        written.attribute(&self.grant.guest_path, &self.resolved, changes)
                    }
                    None => (changes, Vec::new()),
                };
                (changes, by_others, before.truncated || after.truncated)
            }
            (None, None) => return None,
        };
        Some(DirChanges {
            guest_path: self.grant.guest_path.clone(),
            host_path: self.grant.host_path.clone(),
            scratch: self.scratch.is_some(),
            bytes_written: files::bytes_written(&changes),
            changes,
            truncated,
            by_others,
        })
    }
}

pub(crate) fn prepare_dirs(
    grants: &[DirGrant],
    allow_host_dirs: bool,
) -> Result<Vec<PreparedDir>, RunError> {
    grants
        .iter()
        .map(|grant| {
            if !grant.host_path.is_dir() {
                return Err(RunError::MissingDir(grant.host_path.clone()));
            }
            // Checked again here, on the path that is then opened, so a symlink swapped
            // after the policy was validated cannot lead somewhere else.
            let resolved = host_dirs::resolve(&grant.host_path);
            if let Some(exposure) = host_dirs::exposure(&resolved, grant.read_only)
                .filter(|e| e.refused() && (!allow_host_dirs || e.refused_whatever_allowed()))
            {
                let exposure = HostExposure {
                    host_path: grant.host_path.clone(),
                    ..exposure
                };
                return Err(PolicyError::HostDir(Box::new(exposure)).into());
            }
            let writable = !grant.read_only;
            let scratch = if writable && grant.scratch {
                Some(Arc::new(ScratchCopy::make(&resolved, &grant.guest_path)?))
            } else {
                None
            };
            Ok(PreparedDir {
                grant: grant.clone(),
                before: (writable && scratch.is_none()).then(|| DirSnapshot::take(&resolved)),
                resolved,
                scratch,
            })
        })
        .collect()
}
