//! The guest profiler: the guest's stack sampled at a steady interval from the epoch-deadline
//! callback, and time in host calls measured by the WASI wrappers every core run already goes
//! through (the call log's), aggregated into a call tree as the samples come, so an hour-long
//! run costs no more memory than a short one.
//!
//! Why not wasmtime's `GuestProfiler`: it keeps every sample and one marker per host call
//! until the run ends (memory grows with the run), shows host calls as markers rather than
//! frames, and cannot be read while the run goes on. Here each sample is a `WasmBacktrace`
//! folded into the tree at once; the raw samples (time and stack) are kept only up to
//! [`MAX_RAW_SAMPLES`] for the timeline of the saved Firefox Profiler file
//! ([`GuestProfile::firefox_json`]), and the tree still counts every sample after that.

mod firefox;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use wasmtime::{AsContext, WasmBacktrace};

/// The default sampling interval.
pub const DEFAULT_INTERVAL_MS: u64 = 1;
/// The longest sampling interval accepted.
pub const MAX_INTERVAL_MS: u64 = 1000;
/// How many frames a profiling engine captures per sample (innermost first); deeper stacks
/// lose their outermost frames, shown as one `[outer frames not captured]` frame.
pub const MAX_CAPTURE_FRAMES: usize = 1024;
/// The most call-tree nodes kept; a sample whose stack needs more is counted at the deepest
/// node that exists (and in [`GuestProfile::merged_samples`]).
pub const MAX_NODES: usize = 100_000;
/// The most raw samples (time and stack) kept for the saved profile's timeline: 100 s at
/// 1 ms. Every sample is still counted in the call tree and the function table.
pub const MAX_RAW_SAMPLES: usize = 100_000;
/// The deepest a stack is drawn after folding direct recursion: deeper stacks keep their
/// outermost [`KEEP_OUTER_FRAMES`] and innermost frames, with one `[frames folded]` between.
pub const MAX_TREE_DEPTH: usize = 256;
const KEEP_OUTER_FRAMES: usize = 64;
/// How often a live profile is sent while the run goes on.
pub const LIVE_INTERVAL: Duration = Duration::from_secs(1);

const NONE: u32 = u32::MAX;

/// What a frame of the profile is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// A wasm function.
    #[default]
    Wasm,
    /// Time in a host function the guest called (e.g. WASI's `fd_write`).
    Host,
    /// Not a function: a stand-in for frames left out (folded or not captured).
    Elided,
}

/// One function's share of the samples.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionStats {
    /// Its name from the name section (demangled), the host function's name, or `func N`.
    pub name: String,
    /// Its index in the module's function index space (wasm functions only).
    pub func_index: Option<u32>,
    /// Wasm, host or elided.
    #[serde(default)]
    pub kind: FrameKind,
    /// Samples where it was the innermost frame.
    pub self_samples: u64,
    /// Samples where it was anywhere on the stack (counted once per sample, however deep
    /// its recursion).
    pub total_samples: u64,
}

/// One node of the call tree: a function reached by one path of calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallNode {
    /// Index into [`GuestProfile::functions`]; `u32::MAX` for the root.
    pub function: u32,
    /// The caller's node (the root's is itself).
    pub parent: u32,
    first_child: u32,
    next_sibling: u32,
    /// Samples that ended here.
    pub self_samples: u64,
    /// Samples that passed through here.
    pub total_samples: u64,
    /// The deepest direct recursion folded into this node (1 when none); for a
    /// `[frames folded]` node, how many frames it stands for.
    pub folded_frames: u32,
}

/// A raw sample for the timeline: when, which stack, how many intervals it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawSample {
    /// Nanoseconds since the run started.
    pub at_ns: u64,
    /// The call-tree node where the stack ended.
    pub node: u32,
    /// Intervals this sample stands for (more than 1 after a long host call).
    pub weight: u32,
}

/// A guest profile: totals and the function table (in the JSON report), the call tree and
/// the first raw samples (not in the JSON; see [`GuestProfile::firefox_json`]).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GuestProfile {
    /// Samples in all; each stands for one interval of wall time.
    pub samples: u64,
    /// The sampling interval.
    pub interval_ms: u64,
    /// Every function seen, most self samples first.
    #[serde(serialize_with = "by_self_samples")]
    pub functions: Vec<FunctionStats>,
    /// Raw samples kept for the timeline (at most [`MAX_RAW_SAMPLES`]).
    pub raw_samples_kept: u64,
    /// The samples those raw samples stand for (one after a long host call stands for
    /// several); fewer than `samples` once the cap was reached.
    pub timeline_samples: u64,
    /// Samples counted at a shallower node because the call tree was full.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub merged_samples: u64,
    /// Samples whose stack was deeper than the tree draws (folded in the middle).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub deep_samples: u64,
    /// The call tree; node 0 is the root.
    #[serde(skip)]
    pub nodes: Arc<Vec<CallNode>>,
    /// The first samples in time order.
    #[serde(skip)]
    pub raw: Arc<Vec<RawSample>>,
    /// How long the profiled run lasted, in nanoseconds.
    #[serde(skip)]
    pub duration_ns: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn by_self_samples<S: serde::Serializer>(
    functions: &[FunctionStats],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(GuestProfile::ranked(functions))
}

impl GuestProfile {
    /// Functions by self samples (then total samples), most first.
    pub fn ranked(functions: &[FunctionStats]) -> Vec<&FunctionStats> {
        let mut ranked: Vec<_> = functions.iter().collect();
        ranked.sort_by(|a, b| {
            (b.self_samples, b.total_samples)
                .cmp(&(a.self_samples, a.total_samples))
                .then_with(|| a.name.cmp(&b.name))
        });
        ranked
    }

    /// A share of all samples, in percent.
    pub fn percent(&self, samples: u64) -> f64 {
        if self.samples == 0 {
            0.0
        } else {
            samples as f64 * 100.0 / self.samples as f64
        }
    }

    /// The children of `node`, most samples first.
    pub fn children(&self, node: u32) -> Vec<u32> {
        let mut children = Vec::new();
        let mut child = self
            .nodes
            .get(node as usize)
            .map_or(NONE, |n| n.first_child);
        while let Some(c) = self.nodes.get(child as usize) {
            children.push(child);
            child = c.next_sibling;
        }
        children.sort_by_key(|&c| {
            std::cmp::Reverse(self.nodes.get(c as usize).map_or(0, |n| n.total_samples))
        });
        children
    }

    /// The function of a node, `None` for the root.
    pub fn function_of(&self, node: u32) -> Option<&FunctionStats> {
        let function = self.nodes.get(node as usize)?.function;
        self.functions.get(function as usize)
    }

    /// A node's label: its function's name, with the recursion or the frames it folds.
    pub fn node_label(&self, node: u32) -> String {
        let Some(n) = self.nodes.get(node as usize) else {
            return String::new();
        };
        let Some(function) = self.functions.get(n.function as usize) else {
            return "all samples".to_owned();
        };
        match function.kind {
            FrameKind::Elided if n.folded_frames > 1 => {
                format!("{} ({} frames)", function.name, n.folded_frames)
            }
            _ if n.folded_frames > 1 => {
                format!("{} (recursion ×{})", function.name, n.folded_frames)
            }
            _ => function.name.clone(),
        }
    }

    /// The top `n` functions by self time, one line each: `  62.5%  1250  heavy`.
    pub fn top_lines(&self, n: usize) -> Vec<String> {
        Self::ranked(&self.functions)
            .into_iter()
            .filter(|f| f.self_samples > 0)
            .take(n)
            .map(|f| {
                format!(
                    "{:>6.1}%  {:>8}  {}",
                    self.percent(f.self_samples),
                    f.self_samples,
                    f.name
                )
            })
            .collect()
    }
}

/// Builds a [`GuestProfile`] while the guest runs. Owned by the run's store observer.
pub struct Profiler {
    interval: Duration,
    started: Instant,
    next_due: Instant,
    host_since: Option<Instant>,
    last_live: Instant,
    functions: Vec<FunctionStats>,
    /// Wasm functions by (module code address, function index).
    wasm_ids: HashMap<(usize, u32), u32>,
    /// Host functions and stand-ins by name.
    named_ids: HashMap<(FrameKind, String), u32>,
    /// Names from the module's exports, for functions the name section leaves out (a
    /// hand-written `_start` with no `$name`), so the profile names what a backtrace names.
    export_names: HashMap<u32, String>,
    /// Per function, the last sample that counted it in its total.
    stamps: Vec<u64>,
    nodes: Vec<CallNode>,
    children: HashMap<(u32, u32), u32>,
    raw: Vec<RawSample>,
    samples: u64,
    timeline_samples: u64,
    sequence: u64,
    merged_samples: u64,
    deep_samples: u64,
    ids: Vec<u32>,
    path: Vec<(u32, u32)>,
    max_nodes: usize,
    max_raw: usize,
}

impl std::fmt::Debug for Profiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiler")
            .field("interval", &self.interval)
            .field("samples", &self.samples)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

/// A core module's exported functions by index (the alphabetically first name when one
/// function has several); empty for a component or a module that cannot be read. Reads up
/// to the export section only.
pub fn export_names(wasm: &[u8]) -> HashMap<u32, String> {
    let mut names: HashMap<u32, String> = HashMap::new();
    if !wasmparser::Parser::is_core_wasm(wasm) {
        return names;
    }
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload {
            Ok(wasmparser::Payload::ExportSection(reader)) => {
                for export in reader.into_iter().flatten() {
                    if export.kind == wasmparser::ExternalKind::Func {
                        let name = names
                            .entry(export.index)
                            .or_insert_with(|| export.name.into());
                        if export.name < name.as_str() {
                            *name = export.name.to_owned();
                        }
                    }
                }
                break;
            }
            // Exports come before the code: past them there is nothing to name.
            Ok(wasmparser::Payload::CodeSectionStart { .. }) | Err(_) => break,
            Ok(_) => {}
        }
    }
    names
}

impl Profiler {
    /// Names functions the name section leaves out from the module's exports
    /// ([`export_names`]).
    pub fn name_from_exports(&mut self, names: HashMap<u32, String>) {
        self.export_names = names;
    }

    /// A profiler sampling every `interval_ms` (at least 1), starting now.
    pub fn new(interval_ms: u64) -> Self {
        let interval = Duration::from_millis(interval_ms.max(1));
        let started = Instant::now();
        Self {
            interval,
            started,
            next_due: started + interval,
            host_since: None,
            last_live: started,
            functions: Vec::new(),
            wasm_ids: HashMap::new(),
            named_ids: HashMap::new(),
            export_names: HashMap::new(),
            stamps: Vec::new(),
            nodes: vec![CallNode {
                function: NONE,
                parent: 0,
                first_child: NONE,
                next_sibling: NONE,
                self_samples: 0,
                total_samples: 0,
                folded_frames: 1,
            }],
            children: HashMap::new(),
            raw: Vec::new(),
            samples: 0,
            timeline_samples: 0,
            sequence: 0,
            merged_samples: 0,
            deep_samples: 0,
            ids: Vec::new(),
            path: Vec::new(),
            max_nodes: MAX_NODES,
            max_raw: MAX_RAW_SAMPLES,
        }
    }

    /// How many intervals have passed since the last sample (0: no sample is due).
    fn due(&mut self, now: Instant) -> u64 {
        if now < self.next_due {
            return 0;
        }
        let late = now.duration_since(self.next_due).as_nanos() / self.interval.as_nanos();
        let count = late as u64 + 1;
        self.next_due += self.interval * count.min(u64::from(u32::MAX)) as u32;
        count
    }

    /// From the epoch-deadline callback: samples the guest's stack if a sample is due.
    pub fn tick(&mut self, store: impl AsContext, now: Instant) {
        let weight = self.due(now);
        if weight > 0 {
            let backtrace = WasmBacktrace::force_capture(store);
            self.record(&backtrace, None, weight, now);
        }
    }

    /// From the WASI wrapper: the guest is calling the host.
    pub fn calling_host(&mut self, now: Instant) {
        self.host_since = Some(now);
    }

    /// From the WASI wrapper: the host call `function` returned (or was abandoned at a stop),
    /// with the guest's frames still on the stack. Samples that fell due during it are counted
    /// in a frame for the host function.
    pub fn returning_from_host(&mut self, store: impl AsContext, function: &str, now: Instant) {
        let since = self.host_since.take();
        let due_at = self.next_due;
        let weight = self.due(now);
        if weight == 0 {
            return;
        }
        let backtrace = WasmBacktrace::force_capture(store);
        // Only when the sample fell due inside the host call is the time the host's.
        let host = match since {
            Some(since) if due_at >= since => Some(self.named(FrameKind::Host, function)),
            _ => None,
        };
        self.record(&backtrace, host, weight, now);
    }

    fn named(&mut self, kind: FrameKind, name: &str) -> u32 {
        if let Some(&id) = self.named_ids.get(&(kind, name.to_owned())) {
            return id;
        }
        let id = self.add_function(FunctionStats {
            name: name.to_owned(),
            func_index: None,
            kind,
            self_samples: 0,
            total_samples: 0,
        });
        self.named_ids.insert((kind, name.to_owned()), id);
        id
    }

    fn add_function(&mut self, stats: FunctionStats) -> u32 {
        self.functions.push(stats);
        self.stamps.push(0);
        (self.functions.len() - 1) as u32
    }

    fn wasm_function(&mut self, frame: &wasmtime::FrameInfo) -> u32 {
        let key = (frame.module().text().as_ptr() as usize, frame.func_index());
        if let Some(&id) = self.wasm_ids.get(&key) {
            return id;
        }
        let name = match frame.func_name() {
            Some(name) => rustc_demangle::demangle(name).to_string(),
            None => self
                .export_names
                .get(&frame.func_index())
                .cloned()
                .unwrap_or_else(|| format!("func {}", frame.func_index())),
        };
        let id = self.add_function(FunctionStats {
            name,
            func_index: Some(frame.func_index()),
            kind: FrameKind::Wasm,
            self_samples: 0,
            total_samples: 0,
        });
        self.wasm_ids.insert(key, id);
        id
    }

    /// Adds one sample of `weight` intervals from a backtrace (and the host function it is
    /// in, if any).
    fn record(&mut self, backtrace: &WasmBacktrace, host: Option<u32>, weight: u64, now: Instant) {
        let frames = backtrace.frames();
        let mut ids = std::mem::take(&mut self.ids);
        ids.clear();
        for frame in guest_frames(frames).rev() {
            ids.push(self.wasm_function(frame));
        }
        let truncated = frames.len() >= MAX_CAPTURE_FRAMES;
        self.record_ids(&ids, truncated, host, weight, now);
        self.ids = ids;
    }

    /// Adds one sample of `weight` intervals: the functions on the stack, outermost first
    /// (`truncated` when the outermost were not captured), direct recursion folded, then the
    /// host frame if any.
    fn record_ids(
        &mut self,
        ids: &[u32],
        truncated: bool,
        host: Option<u32>,
        weight: u64,
        now: Instant,
    ) {
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        if truncated {
            let outer = self.named(FrameKind::Elided, "[outer frames not captured]");
            path.push((outer, 1));
        }
        for &id in ids {
            match path.last_mut() {
                Some((last, count)) if *last == id => *count += 1,
                _ => path.push((id, 1)),
            }
        }
        if let Some(host) = host {
            path.push((host, 1));
        }
        if path.is_empty() {
            path.push((self.named(FrameKind::Elided, "[no wasm frames]"), 1));
        }
        if path.len() > MAX_TREE_DEPTH {
            let cut = path.len() - MAX_TREE_DEPTH + 1;
            let folded: u32 = path[KEEP_OUTER_FRAMES..KEEP_OUTER_FRAMES + cut]
                .iter()
                .map(|&(_, count)| count)
                .sum();
            let marker = self.named(FrameKind::Elided, "[frames folded]");
            path.splice(
                KEEP_OUTER_FRAMES..KEEP_OUTER_FRAMES + cut,
                [(marker, folded)],
            );
            self.deep_samples += weight;
        }

        self.sequence += 1;
        self.samples += weight;
        let mut node = 0u32;
        self.nodes[0].total_samples += weight;
        let mut merged = false;
        for &(function, count) in &path {
            if let Some(stamp) = self.stamps.get_mut(function as usize)
                && *stamp != self.sequence
            {
                *stamp = self.sequence;
                self.functions[function as usize].total_samples += weight;
            }
            if merged {
                continue;
            }
            let child = match self.children.get(&(node, function)) {
                Some(&child) => child,
                None if self.nodes.len() < self.max_nodes => self.add_node(node, function),
                None => {
                    merged = true;
                    self.merged_samples += weight;
                    continue;
                }
            };
            node = child;
            let n = &mut self.nodes[node as usize];
            n.total_samples += weight;
            n.folded_frames = n.folded_frames.max(count);
        }
        self.nodes[node as usize].self_samples += weight;
        if let Some(&(innermost, _)) = path.last() {
            self.functions[innermost as usize].self_samples += weight;
        }
        if self.raw.len() < self.max_raw {
            self.timeline_samples += weight;
            self.raw.push(RawSample {
                at_ns: now.saturating_duration_since(self.started).as_nanos() as u64,
                node,
                weight: weight.min(u64::from(u32::MAX)) as u32,
            });
        }
        self.path = path;
    }

    fn add_node(&mut self, parent: u32, function: u32) -> u32 {
        let id = self.nodes.len() as u32;
        let sibling = self.nodes[parent as usize].first_child;
        self.nodes.push(CallNode {
            function,
            parent,
            first_child: NONE,
            next_sibling: sibling,
            self_samples: 0,
            total_samples: 0,
            folded_frames: 1,
        });
        self.nodes[parent as usize].first_child = id;
        self.children.insert((parent, function), id);
        id
    }

    /// The profile so far; `raw` also copies the raw samples (for the final report).
    pub fn snapshot(&self, raw: bool) -> GuestProfile {
        GuestProfile {
            samples: self.samples,
            interval_ms: self.interval.as_millis() as u64,
            functions: self.functions.clone(),
            raw_samples_kept: self.raw.len() as u64,
            timeline_samples: self.timeline_samples,
            merged_samples: self.merged_samples,
            deep_samples: self.deep_samples,
            nodes: Arc::new(self.nodes.clone()),
            raw: Arc::new(if raw { self.raw.clone() } else { Vec::new() }),
            duration_ns: self.started.elapsed().as_nanos() as u64,
        }
    }

    /// A live profile, at most once per [`LIVE_INTERVAL`].
    pub fn live(&mut self, now: Instant) -> Option<GuestProfile> {
        if now.duration_since(self.last_live) < LIVE_INTERVAL || self.samples == 0 {
            return None;
        }
        self.last_live = now;
        Some(self.snapshot(false))
    }

    /// Samples so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }
}

/// The guest's own frames: those of the module the outermost frame belongs to, without the
/// WASI shim's (its small module sits between a WASI wrapper and the real function).
pub fn guest_frames(
    frames: &[wasmtime::FrameInfo],
) -> impl DoubleEndedIterator<Item = &wasmtime::FrameInfo> {
    let is_shim =
        |f: &wasmtime::FrameInfo| f.module().name() == Some(crate::engine::wasi::SHIM_MODULE_NAME);
    let outermost = frames
        .iter()
        .rev()
        .find(|f| !is_shim(f))
        .map(wasmtime::FrameInfo::module);
    frames.iter().filter(move |f| {
        !is_shim(f) && outermost.is_some_and(|m| wasmtime::Module::same(m, f.module()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiler(max_nodes: usize, max_raw: usize) -> Profiler {
        let mut profiler = Profiler::new(1);
        profiler.max_nodes = max_nodes;
        profiler.max_raw = max_raw;
        profiler
    }

    fn ids(profiler: &mut Profiler, names: &[&str]) -> Vec<u32> {
        names
            .iter()
            .map(|name| profiler.named(FrameKind::Wasm, name))
            .collect()
    }

    fn depth(profile: &GuestProfile, mut node: u32) -> usize {
        let mut depth = 0;
        while node != 0 {
            node = profile.nodes[node as usize].parent;
            depth += 1;
        }
        depth
    }

    /// What a user reads: every sample is counted once at the root, once as some function's
    /// self time, and a function's total is between its self time and all samples.
    fn assert_counts_add_up(profile: &GuestProfile) {
        let self_sum: u64 = profile.functions.iter().map(|f| f.self_samples).sum();
        assert_eq!(self_sum, profile.samples);
        let node_self: u64 = profile.nodes.iter().map(|n| n.self_samples).sum();
        assert_eq!(node_self, profile.samples);
        assert_eq!(profile.nodes[0].total_samples, profile.samples);
        for f in &profile.functions {
            assert!(f.self_samples <= f.total_samples && f.total_samples <= profile.samples);
        }
    }

    #[test]
    fn direct_recursion_ten_thousand_deep_folds_into_one_node() {
        let mut p = profiler(MAX_NODES, MAX_RAW_SAMPLES);
        let main = ids(&mut p, &["main"])[0];
        let recurse = ids(&mut p, &["recurse"])[0];
        let mut stack = vec![main];
        stack.extend(std::iter::repeat_n(recurse, 10_000));
        let now = Instant::now();
        p.record_ids(&stack, false, None, 3, now);
        let profile = p.snapshot(true);
        assert_counts_add_up(&profile);
        // root, main, recurse: three nodes, the recursion counted once per sample.
        assert_eq!(profile.nodes.len(), 3);
        assert_eq!(profile.node_label(2), "recurse (recursion ×10000)");
        assert_eq!(profile.functions[recurse as usize].total_samples, 3);
        assert_eq!(profile.functions[recurse as usize].self_samples, 3);
    }

    #[test]
    fn deep_mutual_recursion_is_folded_to_a_bounded_depth() {
        let mut p = profiler(MAX_NODES, MAX_RAW_SAMPLES);
        let pair = ids(&mut p, &["even", "odd"]);
        let stack: Vec<u32> = (0..10_000).map(|i| pair[i % 2]).collect();
        p.record_ids(&stack, true, None, 1, Instant::now());
        let profile = p.snapshot(true);
        assert_counts_add_up(&profile);
        let deepest = (0..profile.nodes.len() as u32)
            .map(|n| depth(&profile, n))
            .max()
            .unwrap_or(0);
        assert!(deepest <= MAX_TREE_DEPTH, "{deepest}");
        assert_eq!(profile.deep_samples, 1);
        let labels: Vec<String> = (1..profile.nodes.len() as u32)
            .map(|n| profile.node_label(n))
            .collect();
        assert_eq!(labels[0], "[outer frames not captured]");
        assert!(
            labels.iter().any(|l| l.starts_with("[frames folded] (")),
            "{labels:?}"
        );
    }

    #[test]
    fn the_tree_and_the_raw_samples_stay_within_their_caps() {
        let mut p = profiler(50, 10);
        let functions = ids(
            &mut p,
            &(0..200)
                .map(|i| format!("f{i}"))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
        let now = Instant::now();
        for (i, &f) in functions.iter().enumerate() {
            p.record_ids(&[functions[0], f], false, None, 1 + (i % 3) as u64, now);
        }
        let profile = p.snapshot(true);
        assert!(profile.nodes.len() <= 50);
        assert_eq!(profile.raw.len(), 10);
        assert_eq!(profile.raw_samples_kept, 10);
        assert!(profile.merged_samples > 0);
        assert_counts_add_up(&profile);
        // The saved file still carries every sample: the kept ones and the rest at the end.
        let json: serde_json::Value =
            serde_json::from_slice(&profile.firefox_json("caps").expect("serializes"))
                .expect("parses");
        let samples = &json["threads"][0]["samples"];
        let weights: u64 = match samples["weight"].as_array() {
            Some(weights) => weights.iter().filter_map(|w| w.as_u64()).sum(),
            None => samples["length"].as_u64().unwrap_or(0),
        };
        assert_eq!(weights, profile.samples);
    }
}
