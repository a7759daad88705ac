//! The sandbox map: the guest's world on one side, the host's on the other, the sandbox's wall
//! between. Each grant is a door in the wall (a folder, the arguments, the environment, stdin,
//! the output; clocks and random as what WASI always gives); what the module could ask for
//! but was not granted is greyed behind the wall; the network is none. The run's WASI calls
//! are counted through their door, or stopped at the wall, aggregated by reason (the errno by
//! name and number, the reason in the call log's words, the host path the call would have
//! reached).
//!
//! One model ([`SandboxMap`]) for every face: the window draws it with its painter, the SVG
//! ([`SandboxMap::svg`]) is what File ▸ Save map as SVG… writes and what the HTML report
//! shows inline. Building it is one pass over the call log's records and never lays out a
//! call: the map's size depends on the grants and the kinds of refusal, not on the calls.

use std::fmt::Write as _;

use crate::engine::calls::CallRecord;
use crate::engine::info::ModuleInfo;
use crate::engine::policy::{Invocation, SandboxPolicy, StdinSource};
use crate::engine::wasi::Capability;

/// Kinds of refusal drawn one by one at the wall, at most; the rest are summed in one row.
pub const MAX_REFUSAL_ROWS: usize = 12;
/// Folder doors drawn one by one, at most; the rest are summed in one row.
pub const MAX_FOLDER_DOORS: usize = 16;

/// `text` safe inside HTML or SVG text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How many environment variables this process has: the host's side of "2 of 57".
pub fn host_env_total() -> usize {
    std::env::vars_os().count()
}

/// What a map is drawn from.
pub struct MapInput<'a> {
    /// The sandbox the run had.
    pub policy: &'a SandboxPolicy,
    /// What the run passed the guest.
    pub invocation: &'a Invocation,
    /// The module, as inspected (what it could ask for), when known.
    pub info: Option<&'a ModuleInfo>,
    /// The call log's records, in order (a record may stand for several calls).
    pub calls: &'a [CallRecord],
    /// WASI calls in all, more than the records hold when the log was cut short.
    pub calls_total: u64,
    /// The calls the sandbox refused (the first ones), kept even with the call log off: drawn
    /// at the wall when `calls` is empty.
    pub denials: &'a [CallRecord],
    /// Calls the sandbox refused in all: counted even with the call log off.
    pub denials_total: u64,
    /// How many environment variables the host had, when known.
    pub host_env_total: Option<usize>,
    /// Why the guest died, in its own words (a panic, a traceback), when it said.
    pub last_words: Option<&'a crate::engine::last_words::LastWords>,
}

/// What a door lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoorKind {
    /// A granted folder (or, not granted, the file system).
    Folder,
    /// The command-line arguments.
    Arguments,
    /// The environment variables.
    Environment,
    /// What the guest reads on stdin.
    Stdin,
    /// stdout and stderr, shown by the face.
    Output,
    /// Clocks and waiting: what WASI always gives.
    Clocks,
    /// Random bytes: what WASI always gives.
    Random,
    /// The exit code.
    Exit,
    /// The network: never a door for a core module.
    Network,
}

/// One door in the wall, or one the module could ask for but was not given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Door {
    /// What it lets through.
    pub kind: DoorKind,
    /// The guest's side: `/box`, `3 arguments`.
    pub guest: String,
    /// The host's side: `/tmp/box`, `2 of 57 variables`.
    pub host: String,
    /// How: `read-write, scratch copy`, `always given by WASI`, `not granted`.
    pub mode: String,
    /// Whether the sandbox opened it; a door not granted is drawn greyed behind the wall.
    pub granted: bool,
    /// Calls that went through it.
    pub crossings: u64,
    /// Calls stopped at the wall on their way to it.
    pub refused: u64,
    /// Whether the step-through's current call went through it (drawn highlighted).
    pub current: bool,
}

/// One kind of refusal at the wall: the same errno for the same reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The calls it stopped (their functions, the first ones).
    pub functions: Vec<String>,
    /// The errno by name and number: `perm (63)`.
    pub errno: String,
    /// Why, in the call log's words.
    pub reason: String,
    /// The host paths the calls would have reached (the first few), when that can be told.
    pub hosts: Vec<String>,
    /// The guest paths the calls named (the first few).
    pub guests: Vec<String>,
    /// Calls refused this way.
    pub count: u64,
    /// The record index of the first such call, for the call log.
    pub first_record: usize,
    /// The record index of the last such call.
    pub last_record: usize,
    /// Whether the step-through's current call is one of these.
    pub current: bool,
    /// The capability of the first call refused this way.
    pub capability: Capability,
}

/// The map: doors, the refusals at the wall, and the counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxMap {
    /// Every door, granted first, in a fixed order.
    pub doors: Vec<Door>,
    /// The kinds of refusal, in order of first appearance.
    pub refusals: Vec<Refusal>,
    /// Calls drawn (up to the step-through's position).
    pub calls_shown: u64,
    /// WASI calls in all.
    pub calls_total: u64,
    /// Calls the records stand for, all of them (the step-through's end).
    pub calls_recorded: u64,
    /// Whether the step-through drew part of the records.
    pub stepping: bool,
    /// Records the map is drawn from (the step-through's range).
    pub records: usize,
    /// Refusals counted but not in the records (past the first ones kept).
    pub unlisted_refusals: u64,
    /// Whether the call log was off: the records are the refused calls only, and the calls
    /// through the doors were not counted.
    pub refusals_only: bool,
    /// The step-through's current call in words, when there is one.
    pub current: Option<String>,
    /// Why the guest died, in its own words: "Rust panic: attempt to divide by zero —
    /// names.rs:7:5 (read from the guest's stderr)".
    pub last_words: Option<String>,
    /// The calls the step-through's current record stands for, counted from 1 among the
    /// calls the records hold: `(12, 14)` for a record of 3 calls in a row.
    pub current_calls: Option<(u64, u64)>,
}

const FOLDER_FUNCTIONS_CAP: usize = 4;
const PATHS_CAP: usize = 3;

impl SandboxMap {
    /// The map of `input` with its first `upto` records drawn (all of them when `None`); the
    /// last one drawn is the current call.
    pub fn build(input: &MapInput<'_>, upto: Option<usize>) -> Self {
        let mut doors = grant_doors(input);
        // With the call log off, the refused calls the run kept are all there is to draw.
        let refusals_only = input.calls.is_empty() && !input.denials.is_empty();
        let records = if refusals_only {
            input.denials
        } else {
            input.calls
        };
        let shown = upto.map_or(records.len(), |n| n.min(records.len()));
        let mut refusals: Vec<Refusal> = Vec::new();
        let mut calls_shown = 0u64;
        for (index, call) in records.iter().take(shown).enumerate() {
            calls_shown = calls_shown.saturating_add(call.count);
            let current = upto.is_some() && index + 1 == shown;
            let door = door_of(&doors, input.policy, call);
            if let Some(why) = &call.denial {
                if let Some(door) = door.and_then(|d| doors.get_mut(d)) {
                    door.refused = door.refused.saturating_add(call.count);
                }
                let errno = call.result_text();
                let at = refusals
                    .iter()
                    .position(|r| r.reason == *why && r.errno == errno);
                let refusal = match at {
                    Some(at) => &mut refusals[at],
                    None => {
                        refusals.push(Refusal {
                            functions: Vec::new(),
                            errno,
                            reason: why.clone(),
                            hosts: Vec::new(),
                            guests: Vec::new(),
                            count: 0,
                            first_record: index,
                            last_record: index,
                            current: false,
                            capability: call.capability,
                        });
                        let last = refusals.len() - 1;
                        &mut refusals[last]
                    }
                };
                refusal.count = refusal.count.saturating_add(call.count);
                refusal.last_record = index;
                refusal.current |= current;
                push_capped(&mut refusal.functions, &call.function, FOLDER_FUNCTIONS_CAP);
                if let Some(paths) = &call.paths {
                    push_capped(&mut refusal.guests, &paths.guest, PATHS_CAP);
                    push_capped(&mut refusal.hosts, &paths.host, PATHS_CAP);
                }
            } else if let Some(door) = door.and_then(|d| doors.get_mut(d)) {
                door.crossings = door.crossings.saturating_add(call.count);
                door.current |= current;
            }
        }
        let current_calls = upto
            .and_then(|_| shown.checked_sub(1))
            .and_then(|i| records.get(i))
            .map(|call| {
                let first = calls_shown.saturating_sub(call.count).saturating_add(1);
                (first, calls_shown)
            });
        let current = upto
            .and_then(|_| shown.checked_sub(1))
            .and_then(|i| records.get(i))
            .map(|call| {
                let repeated = if call.count > 1 {
                    format!(" (×{}, in a row)", call.count)
                } else {
                    String::new()
                };
                format!(
                    "{}({}) = {}{repeated}",
                    call.function,
                    call.args,
                    call.result_words()
                )
            });
        // A door the module could not ask for and was not given says nothing: left out.
        let asked = asked_for(input.info);
        doors.retain(|d| d.granted || d.crossings > 0 || d.refused > 0 || asked.contains(&d.kind));
        let calls_recorded = records
            .iter()
            .fold(0u64, |sum, c| sum.saturating_add(c.count));
        let calls_total = input.calls_total.max(calls_recorded);
        let listed: u64 = refusals.iter().map(|r| r.count).sum();
        let unlisted_refusals = match upto {
            None => input.denials_total.saturating_sub(listed),
            Some(_) => 0,
        };
        Self {
            doors,
            refusals,
            calls_shown,
            calls_total,
            calls_recorded,
            stepping: upto.is_some(),
            records: records.len(),
            unlisted_refusals,
            refusals_only,
            current,
            current_calls,
            last_words: input.last_words.map(|w| w.sourced_headline()),
        }
    }

    /// Calls that went through a door.
    pub fn crossings(&self) -> u64 {
        self.doors.iter().map(|d| d.crossings).sum()
    }

    /// Calls stopped at the wall: those drawn, and those counted past the ones kept.
    pub fn refused(&self) -> u64 {
        let drawn: u64 = self.refusals.iter().map(|r| r.count).sum();
        drawn.saturating_add(self.unlisted_refusals)
    }

    /// Where the step-through is, in calls as the call log counts them: `Call 12 of 51` or,
    /// for a record of calls in a row, `Calls 12–14 of 51`.
    pub fn step_words(&self) -> Option<String> {
        let (first, last) = self.current_calls?;
        let of = self.calls_recorded;
        Some(if first == last {
            format!("Call {first} of {of}")
        } else {
            format!("Calls {first}–{last} of {of}")
        })
    }

    /// The map's one-line summary: `12 calls: 9 through the doors, 3 stopped at the wall`.
    pub fn summary(&self) -> String {
        let mut text = if self.refusals_only {
            format!(
                "the call log was off: {} call{} stopped at the wall, drawn; the calls \
                 through the doors were not counted (turn the call log on to see them)",
                self.refused(),
                if self.refused() == 1 { "" } else { "s" }
            )
        } else {
            format!(
                "{} call{}: {} through the doors, {} stopped at the wall",
                self.calls_shown,
                if self.calls_shown == 1 { "" } else { "s" },
                self.crossings(),
                self.refused()
            )
        };
        if self.stepping {
            let _ = write!(text, " up to this step, of {}", self.calls_recorded);
        }
        if !self.refusals_only && self.calls_total > self.calls_recorded {
            let _ = write!(
                text,
                " ({} in all; the map draws the {} the call log kept)",
                self.calls_total, self.calls_recorded
            );
        }
        if self.unlisted_refusals > 0 {
            let _ = write!(
                text,
                "; {} more refused, counted but not drawn (past the calls kept)",
                self.unlisted_refusals
            );
        }
        text
    }
}

fn times(count: u64) -> String {
    if count == 1 {
        "once".to_owned()
    } else {
        format!("{count} times")
    }
}

/// At most `max` characters of `text`, an ellipsis marking a cut.
pub(super) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max.saturating_sub(3)).collect();
    short.push_str("...");
    short
}

fn push_capped(list: &mut Vec<String>, item: &str, cap: usize) {
    if list.len() < cap && !list.iter().any(|i| i == item) {
        list.push(item.to_owned());
    }
}

impl Door {
    /// The door in words, for a hover or an SVG title.
    pub fn tip(&self) -> String {
        let mut tip = format!("{} = {} ({})", self.guest, self.host, self.mode);
        if self.crossings > 0 {
            let _ = write!(tip, "; {} calls through", self.crossings);
        }
        if self.refused > 0 {
            let _ = write!(tip, "; {} refused at the wall", self.refused);
        }
        tip
    }
}

impl Refusal {
    /// One line for the map: `path_open refused 2 times: perm (63)` (a long list of calls
    /// cut short).
    pub fn headline(&self) -> String {
        format!(
            "{} refused {}: {}",
            shorten(&self.functions.join(", "), 40),
            times(self.count),
            self.errno
        )
    }

    /// Where the refused calls would have reached on the host, for the row: the first path,
    /// and how many others the grouped calls named (`would reach /etc/passwd (and 1 other
    /// path)`); `None` when no call said.
    pub fn reach(&self) -> Option<String> {
        let first = self.hosts.first()?;
        let others = self.hosts.len() - 1;
        Some(match others {
            0 => format!("would reach {}", shorten(first, 50)),
            1 => format!("would reach {} (and 1 other path)", shorten(first, 40)),
            n => format!("would reach {} (and {n} other paths)", shorten(first, 40)),
        })
    }

    /// The refusal in words, for a hover or an SVG title.
    pub fn tip(&self) -> String {
        let mut tip = format!(
            "{} refused {}: {}. {}",
            self.functions.join(", "),
            times(self.count),
            self.errno,
            self.reason
        );
        for (guest, host) in self.guests.iter().zip(&self.hosts) {
            let _ = write!(tip, "\nguest {guest:?} would reach host {host}");
        }
        tip
    }
}

/// The doors the policy opens, and the ones it could open but did not (greyed).
fn grant_doors(input: &MapInput<'_>) -> Vec<Door> {
    let door = |kind, guest: String, host: String, mode: &str, granted| Door {
        kind,
        guest,
        host,
        mode: mode.to_owned(),
        granted,
        crossings: 0,
        refused: 0,
        current: false,
    };
    let policy = input.policy;
    let mut doors = Vec::new();
    for dir in &policy.dirs {
        let mode = match (dir.read_only, dir.scratch) {
            (true, _) => "folder, read-only",
            (false, true) => "folder, read-write, scratch copy",
            (false, false) => "folder, read-write",
        };
        doors.push(door(
            DoorKind::Folder,
            dir.guest_path.clone(),
            dir.host_path.display().to_string(),
            mode,
            true,
        ));
    }
    if policy.dirs.is_empty() {
        doors.push(door(
            DoorKind::Folder,
            "files".to_owned(),
            "no folder granted".to_owned(),
            "not granted",
            false,
        ));
    }
    let args = input.invocation.args.len();
    doors.push(door(
        DoorKind::Arguments,
        match args {
            0 => "arguments".to_owned(),
            1 => "1 argument".to_owned(),
            n => format!("{n} arguments"),
        },
        if args == 0 {
            "none passed".to_owned()
        } else {
            shorten(&input.invocation.args.join(" "), 40)
        },
        if args == 0 {
            "not granted"
        } else {
            "arguments"
        },
        args > 0,
    ));
    let env = policy.env.len();
    let of_host = match input.host_env_total {
        Some(total) => format!("{env} of {total} variables"),
        None => format!("{env} variables"),
    };
    doors.push(door(
        DoorKind::Environment,
        "environment".to_owned(),
        of_host,
        if env == 0 {
            "not granted"
        } else {
            "environment variables"
        },
        env > 0,
    ));
    let stdin = match &input.invocation.stdin {
        StdinSource::Empty => None,
        StdinSource::Bytes(bytes) => Some(format!("{} bytes of text", bytes.len())),
        StdinSource::File(path) => Some(format!("file {}", path.display())),
        StdinSource::Inherit => Some("the terminal's stdin".to_owned()),
    };
    doors.push(door(
        DoorKind::Stdin,
        "stdin".to_owned(),
        stdin.clone().unwrap_or_else(|| "empty".to_owned()),
        if stdin.is_some() {
            "stdin"
        } else {
            "not granted"
        },
        stdin.is_some(),
    ));
    let always = "always given by WASI";
    doors.push(door(
        DoorKind::Output,
        "stdout, stderr".to_owned(),
        "the console".to_owned(),
        always,
        true,
    ));
    for (kind, guest, host) in [
        (DoorKind::Clocks, "clocks", "the host's time"),
        (DoorKind::Random, "random", "the host's random bytes"),
        (DoorKind::Exit, "exit", "the exit code"),
    ] {
        doors.push(door(kind, guest.to_owned(), host.to_owned(), always, true));
    }
    let network = if policy.allow_network {
        ("sockets (components only)", true)
    } else {
        ("none", false)
    };
    doors.push(door(
        DoorKind::Network,
        "network".to_owned(),
        network.0.to_owned(),
        if network.1 { "network" } else { "not granted" },
        network.1,
    ));
    doors
}

/// The door kinds the module imports functions for.
fn asked_for(info: Option<&ModuleInfo>) -> Vec<DoorKind> {
    let mut kinds = vec![DoorKind::Network];
    for used in info.map_or(&[][..], |i| &i.wasi.capabilities[..]) {
        kinds.push(match used.capability {
            Capability::Filesystem => DoorKind::Folder,
            Capability::Args => DoorKind::Arguments,
            Capability::Env => DoorKind::Environment,
            Capability::Stdio => DoorKind::Stdin,
            Capability::Clocks | Capability::Poll => DoorKind::Clocks,
            Capability::Random => DoorKind::Random,
            Capability::Process => DoorKind::Exit,
            Capability::Sockets => DoorKind::Network,
        });
    }
    kinds
}

/// The door a call goes through (or is stopped on its way to), by index into `doors`.
fn door_of(doors: &[Door], policy: &SandboxPolicy, call: &CallRecord) -> Option<usize> {
    let find = |kind: DoorKind| doors.iter().position(|d| d.kind == kind);
    match call.capability {
        Capability::Args => find(DoorKind::Arguments),
        Capability::Env => find(DoorKind::Environment),
        Capability::Clocks | Capability::Poll => find(DoorKind::Clocks),
        Capability::Random => find(DoorKind::Random),
        Capability::Process => find(DoorKind::Exit),
        Capability::Sockets => find(DoorKind::Network),
        Capability::Stdio | Capability::Filesystem => {
            match call.args.strip_prefix("fd=").and_then(|rest| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|n| n.parse::<u32>().ok())
            }) {
                Some(0) => return find(DoorKind::Stdin),
                Some(1 | 2) => return find(DoorKind::Output),
                _ => {}
            }
            if let Some(paths) = &call.paths
                && let Some(at) = policy
                    .dirs
                    .iter()
                    .position(|d| d.guest_path == paths.guest_dir)
            {
                return Some(at);
            }
            // `fd=3 (/box)` or `fd=5 (/box/a.txt)`: the longest granted folder it names.
            let named = call
                .args
                .split_once('(')
                .map(|(_, rest)| rest.split(')').next().unwrap_or(""));
            if let Some(named) = named {
                let best = policy
                    .dirs
                    .iter()
                    .enumerate()
                    .filter(|(_, d)| {
                        named == d.guest_path
                            || named
                                .starts_with(&format!("{}/", d.guest_path.trim_end_matches('/')))
                    })
                    .max_by_key(|(_, d)| d.guest_path.len());
                if let Some((at, _)) = best {
                    return Some(at);
                }
            }
            if call.capability == Capability::Filesystem {
                find(DoorKind::Folder)
            } else {
                find(DoorKind::Output)
            }
        }
    }
}

#[path = "map_svg.rs"]
mod svg;

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
