//! Several runs side by side: the same module as several tenants (one shared engine, one
//! store and WASI context each, each with its own directory and `TENANT_ID`), and the
//! differences between two runs, e.g. of one module under two policies.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::outcome::{RunOutcome, RunReport};
use crate::engine::policy::{DirGrant, SandboxPolicy};

/// Where each tenant's directory appears in its guest.
pub const TENANT_GUEST_PATH: &str = "/data";

/// A tenant's folder could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot create the tenant folder {}: {source}", .path.display())]
pub struct TenantError {
    /// The folder.
    pub path: std::path::PathBuf,
    /// What the operating system said.
    #[source]
    pub source: std::io::Error,
}

/// Policies for `count` tenants of `base`: tenant `i` gets `TENANT_ID=i` and its own
/// read-write folder `root/tenant-i` (created if missing) at [`TENANT_GUEST_PATH`], on top
/// of what `base` grants.
pub fn tenant_policies(
    base: &SandboxPolicy,
    count: usize,
    root: &Path,
) -> Result<Vec<SandboxPolicy>, TenantError> {
    (0..count)
        .map(|i| {
            let dir = root.join(format!("tenant-{i}"));
            std::fs::create_dir_all(&dir).map_err(|source| TenantError {
                path: dir.clone(),
                source,
            })?;
            let mut policy = base.clone();
            policy.env.retain(|(name, _)| name != "TENANT_ID");
            policy.env.push(("TENANT_ID".to_owned(), i.to_string()));
            policy.dirs.retain(|d| d.guest_path != TENANT_GUEST_PATH);
            policy.dirs.push(DirGrant {
                host_path: dir,
                guest_path: TENANT_GUEST_PATH.to_owned(),
                read_only: false,
                scratch: false,
            });
            Ok(policy)
        })
        .collect()
}

/// One aspect in which two runs differ.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    /// What differs: `outcome`, `stdout`, `denials`, `peak memory`, ...
    pub aspect: String,
    /// The first run's value.
    pub left: String,
    /// The second run's value.
    pub right: String,
}

/// What differs between two runs, as a user would compare them. Timings are left out (they
/// always differ); output is compared whole.
pub fn compare(
    left: &RunReport,
    right: &RunReport,
    left_stdout: &str,
    right_stdout: &str,
) -> Vec<Difference> {
    let mut differences = Vec::new();
    let mut check = |aspect: &str, l: String, r: String| {
        if l != r {
            differences.push(Difference {
                aspect: aspect.to_owned(),
                left: l,
                right: r,
            });
        }
    };
    check("outcome", left.outcome.summary(), right.outcome.summary());
    if let (RunOutcome::Trapped { trap: l }, RunOutcome::Trapped { trap: r }) =
        (&left.outcome, &right.outcome)
    {
        check("trap", l.code.clone(), r.code.clone());
    }
    check("stdout", left_stdout.to_owned(), right_stdout.to_owned());
    check(
        "stderr bytes",
        left.stats.stderr_bytes.to_string(),
        right.stats.stderr_bytes.to_string(),
    );
    check(
        "peak memory",
        crate::engine::format_bytes(left.stats.peak_memory_bytes),
        crate::engine::format_bytes(right.stats.peak_memory_bytes),
    );
    check(
        "denied growths",
        left.denied_growths_count.to_string(),
        right.denied_growths_count.to_string(),
    );
    let denials = |report: &RunReport| {
        report
            .denials
            .iter()
            .map(|d| {
                format!(
                    "{}({}): {}",
                    d.function,
                    d.args,
                    d.denial.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    check("denials", denials(left), denials(right));
    let files = |report: &RunReport| {
        report
            .file_changes
            .iter()
            .filter(|d| !d.changes.is_empty())
            .map(|d| d.summary())
            .collect::<Vec<_>>()
            .join("\n")
    };
    check("files", files(left), files(right));
    differences
}
