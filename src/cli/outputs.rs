//! The files a command writes (`--report`, `--html`, `--record`, `--coredump`,
//! `--profile-guest`, `compile -o`): checked before the run, so a long run does not end with
//! its output lost, and written so that nothing is ever half-written or written through.
//!
//! - An output that is one of the command's inputs (the module, the profile, stdin, the
//!   recording), or another of its outputs, is refused: it would overwrite what the run reads.
//!   "The same" means the same file, whatever the spelling: symlinks and hard links included.
//! - An output is written to a temporary file beside it and renamed into place: an
//!   interrupted or failed run leaves the old file (or none), never half of one, and a symlink
//!   at the output's path is replaced by the file, never written through to its target.
//! - An output that is a device or a pipe (`/dev/stdout`, a FIFO), directly or through a
//!   symlink, is written into as it is: there is no file to replace.

use std::io::Write as _;
use std::path::Path;

/// Whether `a` and `b` are the same file on disk (both must exist).
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(a_meta), Ok(b_meta)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        a_meta.dev() == b_meta.dev() && a_meta.ino() == b_meta.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (a_meta, b_meta);
        matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
    }
}

/// Whether `path` leads (through symlinks) to something that is not a regular file nor a
/// folder: a device, a FIFO, a socket, written into as it is.
fn is_stream(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The folder an output is written in: its parent, or `.` for a bare name.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// What the output behind `flag` is, for messages: "the recording".
fn what(flag: &str) -> &'static str {
    match flag {
        "--record" => "the recording",
        "--report" => "the report",
        "--html" => "the report page",
        "--coredump" => "the coredump",
        "--profile-guest" => "the profile",
        "--output" => "the precompiled code",
        _ => "the output",
    }
}

/// Checks, before anything runs, that each output in `outputs` (`(flag, path)`) can be
/// written and is none of `inputs` (`(what, path)`) nor an earlier output. Creates nothing
/// at the outputs' paths. The message names the flag and says what to do.
pub(super) fn check(outputs: &[(&str, &Path)], inputs: &[(&str, &Path)]) -> Result<(), String> {
    for (index, &(flag, path)) in outputs.iter().enumerate() {
        if let Some((what, _)) = inputs.iter().find(|(_, input)| same_file(path, input)) {
            return Err(format!(
                "{flag}: {} is the {what} this command reads: writing it would overwrite it; \
                 choose another file",
                path.display()
            ));
        }
        if let Some((other, _)) = outputs[..index]
            .iter()
            .find(|(_, earlier)| same_file(path, earlier) || path == *earlier)
        {
            return Err(format!(
                "{flag}: {} is also given to {other}: give each output a file of its own",
                path.display()
            ));
        }
        let cannot = |why: String| {
            format!(
                "{flag}: cannot write {} to {}: {why}",
                what(flag),
                path.display()
            )
        };
        if path.is_dir() {
            return Err(cannot("it is a directory: name a file".to_owned()));
        }
        if is_stream(path) {
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map(drop)
                .map_err(|e| cannot(e.to_string()))?;
            continue;
        }
        // Writable where it goes: a file made (and removed) beside it.
        let folder = folder_of(path);
        tempfile::Builder::new()
            .prefix(".wasmscope-check-")
            .tempfile_in(folder)
            .map(drop)
            .map_err(|e| cannot(format!("{e} (in {})", folder.display())))?;
    }
    Ok(())
}

/// [`check`] for `wasmscope run`'s outputs against its inputs.
pub(super) fn check_run(args: &super::RunArgs) -> Result<(), String> {
    let guest = super::guest::guest_profile(args).ok().flatten();
    let outputs: Vec<(&str, &Path)> = [
        ("--report", args.report.as_deref()),
        ("--html", args.html.as_deref()),
        ("--record", args.record.as_deref()),
        ("--coredump", args.coredump.as_deref()),
        ("--profile-guest", guest.as_ref().map(|g| g.path.as_path())),
    ]
    .into_iter()
    .filter_map(|(flag, path)| Some((flag, path?)))
    .collect();
    let profile = match &args.profile {
        Some(super::ProfileFlag::Sandbox(path)) => Some(path.as_path()),
        _ => None,
    };
    let inputs: Vec<(&str, &Path)> = [
        ("module", Some(args.file.as_path())),
        ("profile", profile),
        ("stdin file", args.stdin.as_deref()),
    ]
    .into_iter()
    .filter_map(|(what, path)| Some((what, path?)))
    .collect();
    check(&outputs, &inputs)
}

/// Writes `bytes` to `path`: to a temporary file beside it, then renamed into place.
pub(super) fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if is_stream(path) {
        let mut stream = std::fs::OpenOptions::new().write(true).open(path)?;
        return stream.write_all(bytes).and_then(|()| stream.flush());
    }
    let mut aside = tempfile::Builder::new()
        .prefix(".wasmscope-")
        .suffix(".part")
        .tempfile_in(folder_of(path))?;
    aside.write_all(bytes)?;
    aside.as_file().sync_all()?;
    aside.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_or_a_link_to_it_is_refused_and_a_symlink_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.wasm");
        std::fs::write(&module, b"\0asm\x01\0\0\0").unwrap();
        let err = check(&[("--report", &module)], &[("module", &module)]).unwrap_err();
        assert!(err.starts_with("--report: "), "{err}");
        assert!(err.contains("is the module this command reads"), "{err}");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.json");
            std::os::unix::fs::symlink(&module, &link).unwrap();
            assert!(check(&[("--html", &link)], &[("module", &module)]).is_err());
            let target = dir.path().join("target.txt");
            std::fs::write(&target, b"keep").unwrap();
            let other = dir.path().join("other.json");
            std::os::unix::fs::symlink(&target, &other).unwrap();
            write(&other, b"new").unwrap();
            assert_eq!(std::fs::read(&target).unwrap(), b"keep");
            assert_eq!(std::fs::read(&other).unwrap(), b"new");
            assert!(!std::fs::symlink_metadata(&other).unwrap().is_symlink());
        }
        let a = dir.path().join("a.json");
        let err = check(&[("--report", &a), ("--html", &a)], &[]).unwrap_err();
        assert!(err.contains("is also given to --report"), "{err}");
        assert!(check(&[("--report", &a)], &[("module", &module)]).is_ok());
        assert!(!a.exists(), "checking creates nothing");
    }
}
