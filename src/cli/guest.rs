//! The guest profiler on the command line: `--profile-guest FILE` (with `--profile-interval`)
//! or wasmtime's spelling `--profile=guest[,FILE[,INTERVAL]]`; after the run, the Firefox
//! Profiler file and the top functions on stderr.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{CliError, RunArgs};
use crate::engine::profiler::{DEFAULT_INTERVAL_MS, MAX_INTERVAL_MS};
use crate::engine::{self, RunReport};

/// Where wasmtime writes a guest profile when `--profile=guest` names no file.
const WASMTIME_DEFAULT_FILE: &str = "wasmtime-guest-profile.json";

/// `--profile`: a sandbox profile (TOML) to start from, or wasmtime's spelling of the guest
/// profiler, told apart when the command line is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileFlag {
    /// `--profile FILE`: start from this sandbox profile.
    Sandbox(PathBuf),
    /// `--profile=guest[,FILE[,INTERVAL]]`: profile the guest, as wasmtime spells it.
    Guest(GuestProfileRequest),
}

/// What `--profile=guest,...` or `--profile-guest` asks for: where the guest profile goes and
/// how often the guest is sampled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestProfileRequest {
    /// The Firefox Profiler file to write.
    pub path: PathBuf,
    /// The sampling interval.
    pub interval_ms: u64,
}

impl ProfileFlag {
    /// Reads `--profile`'s value.
    pub fn parse(text: &str) -> Result<Self, CliError> {
        if text != "guest" && !text.starts_with("guest,") {
            return Ok(Self::Sandbox(PathBuf::from(text)));
        }
        let parts: Vec<&str> = text.split(',').collect();
        let (path, interval_ms) = match parts[..] {
            ["guest"] => (WASMTIME_DEFAULT_FILE, DEFAULT_INTERVAL_MS),
            ["guest", path] => (path, DEFAULT_INTERVAL_MS),
            ["guest", path, every] => (path, interval_ms(every)?),
            _ => return Err(CliError::GuestProfile(text.to_owned())),
        };
        Ok(Self::Guest(GuestProfileRequest {
            path: PathBuf::from(path),
            interval_ms,
        }))
    }
}

/// Reads a sampling interval: `1ms`, `2ms`, or a bare number of milliseconds.
pub fn interval_ms(text: &str) -> Result<u64, CliError> {
    let ms = match text.trim().parse::<u64>() {
        Ok(ms) => ms,
        Err(_) => {
            let duration = engine::parse_duration(text).map_err(|source| CliError::Value {
                flag: "--profile-interval",
                source,
            })?;
            u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
        }
    };
    if !(1..=MAX_INTERVAL_MS).contains(&ms) {
        return Err(CliError::ProfileInterval(text.to_owned()));
    }
    Ok(ms)
}

/// The guest profile the run flags ask for, if any. `--profile-guest` wins over wasmtime's
/// spelling.
pub fn guest_profile(args: &RunArgs) -> Result<Option<GuestProfileRequest>, CliError> {
    match (&args.profile_guest, args.profile_interval, &args.profile) {
        (Some(path), interval_ms, _) => Ok(Some(GuestProfileRequest {
            path: path.clone(),
            interval_ms: interval_ms.unwrap_or(DEFAULT_INTERVAL_MS),
        })),
        (None, Some(_), _) => Err(CliError::IntervalWithoutFile),
        (None, None, Some(ProfileFlag::Guest(guest))) => Ok(Some(guest.clone())),
        (None, None, _) => Ok(None),
    }
}

/// Writes the run's guest profile to `path` (Firefox Profiler format) and prints the top
/// functions by self time to stderr.
pub fn write_guest_profile(report: &RunReport, path: &Path) {
    let Some(profile) = &report.profile else {
        return;
    };
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "wasmscope: profile: {} samples every {} ms{}; top functions by self time:",
        profile.samples,
        profile.interval_ms,
        if profile.timeline_samples < profile.samples {
            format!(
                " (the saved timeline keeps the first {}; the call tree counts all)",
                profile.timeline_samples
            )
        } else {
            String::new()
        }
    );
    let _ = writeln!(err, "{:>7}  {:>8}  function", "self", "samples");
    for line in profile.top_lines(10) {
        let _ = writeln!(err, "{line}");
    }
    let written = profile
        .firefox_json(&report.module)
        .map_err(|e| e.to_string())
        .and_then(|json| super::outputs::write(path, &json).map_err(|e| e.to_string()));
    let _ = match written {
        Ok(()) => writeln!(
            err,
            "wasmscope: wrote the profile to {} (open it at https://profiler.firefox.com)",
            path.display()
        ),
        Err(e) => writeln!(
            err,
            "error: cannot write the profile: {e}: {}",
            path.display()
        ),
    };
}
