//! A run report for the browser: one self-contained HTML file (inline CSS and SVG, nothing
//! fetched, no script) with the module's facts and capabilities, the sandbox as granted, the
//! outcome with its explanation and backtrace, the WASI calls with every refusal explained,
//! memory over time and, for a profiled run, the flame graph. What a teacher hands out and
//! what a CI job keeps as an artifact (`wasmscope run --html FILE`).
//!
//! Bounded whatever the run: the report keeps at most its first calls and refusals (the rest
//! are counted), the memory chart at most [`MAX_CHART_POINTS`] points, the flame graph at
//! most [`MAX_FLAME_BARS`] bars.

use std::fmt::Write as _;

use crate::engine::debug::SourceVariable;
use crate::engine::info::ModuleInfo;
use crate::engine::outcome::{FrameInfo, ResourceSample, RunOutcome, RunReport};
use crate::engine::policy::{Invocation, SandboxPolicy};
use crate::engine::profiler::GuestProfile;

/// Points drawn in the memory chart, at most (the samples are thinned evenly).
pub const MAX_CHART_POINTS: usize = 2_000;
/// Bars drawn in the flame graph, at most (the narrowest are left out).
pub const MAX_FLAME_BARS: usize = 2_000;

/// What a report is made of.
pub struct HtmlReport<'a> {
    /// How the run went.
    pub report: &'a RunReport,
    /// The module, as inspected.
    pub info: &'a ModuleInfo,
    /// The sandbox it ran in.
    pub policy: &'a SandboxPolicy,
    /// What the run passed it.
    pub invocation: &'a Invocation,
    /// Memory over time, as the run's samples came.
    pub samples: &'a [ResourceSample],
}

pub use crate::engine::export::map::escape;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;\
padding:0 1em;color:#1d1d1f}h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em;\
border-bottom:1px solid #ddd}table{border-collapse:collapse;width:100%;font-size:.9em}\
td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top;\
word-break:break-word}code,.mono{font-family:ui-monospace,monospace}.badge{display:inline-block;\
padding:2px 8px;border-radius:4px;color:#fff;font-weight:600}.ok{background:#2e7d32}\
.warn{background:#b26a00}.bad{background:#c62828}.grey{background:#666}.refused{color:#c62828}\
.note{color:#666}svg{max-width:100%}";

impl HtmlReport<'_> {
    /// The whole page.
    pub fn render(&self) -> String {
        let report = self.report;
        let mut page = String::new();
        let _ = write!(
            page,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>wasmscope: {}</title><style>{STYLE}</style></head><body>\n",
            escape(&report.module)
        );
        let (class, badge) = badge(&report.outcome);
        let _ = write!(
            page,
            "<h1>{} <span class=\"badge {class}\">{}</span></h1>\n<p>{}</p>\n",
            escape(&report.module),
            escape(&badge),
            escape(&report.outcome.summary())
        );
        self.module_section(&mut page);
        self.sandbox_section(&mut page);
        self.outcome_section(&mut page);
        self.map_section(&mut page);
        self.calls_section(&mut page);
        self.memory_section(&mut page);
        if let Some(profile) = &report.profile {
            flame_section(&mut page, profile);
        }
        let _ = write!(
            page,
            "<p class=\"note\">Written by wasmscope {}.</p>\n</body></html>\n",
            env!("CARGO_PKG_VERSION")
        );
        page
    }

    fn module_section(&self, page: &mut String) {
        let info = self.info;
        page.push_str("<h2>The module</h2>\n<table>\n");
        let rows = [
            ("Size", crate::engine::format_bytes(info.size_bytes)),
            ("Defined functions", info.defined_functions.to_string()),
            (
                "Imports / exports",
                format!("{} / {}", info.imports.len(), info.exports.len()),
            ),
            (
                "Names",
                if info.has_name_section {
                    "name section present".to_owned()
                } else {
                    "none".to_owned()
                },
            ),
        ];
        for (name, value) in rows {
            let _ = writeln!(page, "<tr><th>{name}</th><td>{}</td></tr>", escape(&value));
        }
        page.push_str("</table>\n<h3>What it can ask for</h3>\n<table>\n");
        if info.wasi.capabilities.is_empty() {
            page.push_str("<tr><td>Nothing of the host: it imports no WASI function.</td></tr>\n");
        }
        for used in &info.wasi.capabilities {
            let _ = writeln!(
                page,
                "<tr><th>{}</th><td>{}<br><code>{}</code></td></tr>",
                escape(used.capability.label()),
                escape(used.capability.explain()),
                escape(&used.functions.join(", "))
            );
        }
        page.push_str("</table>\n");
    }

    fn sandbox_section(&self, page: &mut String) {
        let policy = self.policy;
        page.push_str("<h2>The sandbox, as granted</h2>\n<table>\n");
        let folders = if policy.dirs.is_empty() {
            "none: the guest sees no file".to_owned()
        } else {
            policy
                .dirs
                .iter()
                .map(crate::engine::policy::DirGrant::describe)
                .collect::<Vec<_>>()
                .join("\n")
        };
        let env = if policy.env.is_empty() {
            "none: the guest sees no variable of the host".to_owned()
        } else {
            policy
                .env
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let args = if self.invocation.args.is_empty() {
            "none".to_owned()
        } else {
            self.invocation.args.join(" ")
        };
        let rows = [
            ("Folders (guest = host)", folders),
            ("Environment variables", env),
            ("Arguments", args),
            (
                "Memory cap",
                crate::engine::format_bytes(policy.max_memory_bytes),
            ),
            (
                "Timeout",
                policy
                    .timeout_ms
                    .map_or("none".to_owned(), |ms| format!("{ms} ms")),
            ),
            (
                "Fuel",
                policy
                    .fuel
                    .map_or("not metered".to_owned(), |f| f.to_string()),
            ),
            (
                "Network",
                if policy.allow_network {
                    "sockets allowed (components)".to_owned()
                } else {
                    "none".to_owned()
                },
            ),
        ];
        for (name, value) in rows {
            let _ = writeln!(
                page,
                "<tr><th>{name}</th><td class=\"mono\">{}</td></tr>",
                escape(&value).replace('\n', "<br>")
            );
        }
        page.push_str("</table>\n");
    }

    fn outcome_section(&self, page: &mut String) {
        let report = self.report;
        page.push_str("<h2>How it ended</h2>\n");
        let _ = writeln!(page, "<p>{}</p>", escape(&report.outcome.explain()));
        if let Some(words) = &report.last_words {
            // Escaped like everything the guest wrote: its words are never markup.
            let _ = writeln!(
                page,
                "<p class=\"words\"><b>{}</b><br><small>{}</small></p>",
                escape(&words.headline()),
                escape(words.sourced_headline()[words.headline().len()..].trim())
            );
        }
        if let RunOutcome::Trapped { trap } = &report.outcome {
            let _ = writeln!(
                page,
                "<p><b>{}</b> <code>{}</code></p>",
                escape(&trap.message),
                escape(&trap.code)
            );
            frames_table(page, &trap.frames);
            variables_tree(page, &trap.frames);
        }
        if let Some(stopped) = &report.stopped_at {
            page.push_str("<p>Where it stopped:</p>\n");
            frames_table(page, &stopped.frames);
        }
        if report.denied_growths_count > 0 {
            let _ = writeln!(
                page,
                "<p class=\"refused\">The sandbox refused {} growth{} of memory or tables.</p>",
                report.denied_growths_count,
                if report.denied_growths_count == 1 {
                    ""
                } else {
                    "s"
                }
            );
        }
        let stats = &report.stats;
        let _ = writeln!(
            page,
            "<p class=\"note\">Ran {} ms{}; peak memory {}; stdout {}, stderr {}.</p>",
            stats.wall_ms,
            match stats.paused_ms {
                0 => String::new(),
                ms => format!(" (and sat paused {ms} ms)"),
            },
            crate::engine::format_bytes(stats.peak_memory_bytes),
            crate::engine::format_bytes(stats.stdout_bytes),
            crate::engine::format_bytes(stats.stderr_bytes)
        );
    }

    /// The sandbox map, drawn from the same model as the window's (inline SVG).
    fn map_section(&self, page: &mut String) {
        let report = self.report;
        let input = crate::engine::export::map::MapInput {
            policy: self.policy,
            invocation: self.invocation,
            info: Some(self.info),
            calls: &report.calls,
            calls_total: report.calls_total,
            denials: &report.denials,
            denials_total: report.denials_total,
            host_env_total: Some(crate::engine::export::map::host_env_total()),
            last_words: report.last_words.as_ref(),
        };
        let map = crate::engine::export::map::SandboxMap::build(&input, None);
        page.push_str("<h2>The sandbox map</h2>\n");
        if !self.policy.log_calls {
            page.push_str(
                "<p class=\"note\">The call log was off, so the map shows the doors and the \
                 calls stopped at the wall, but no call through the doors: run with \
                 <code>--log-calls</code> to draw them.</p>\n",
            );
        }
        page.push_str(&map.svg());
    }

    fn calls_section(&self, page: &mut String) {
        let report = self.report;
        page.push_str("<h2>WASI calls</h2>\n");
        if !report.denials.is_empty() {
            let _ = writeln!(
                page,
                "<h3 class=\"refused\">Refused by the sandbox ({})</h3>\n<table>\n\
                 <tr><th>call</th><th>arguments</th><th>result</th><th>why</th></tr>",
                report.denials_total
            );
            for call in &report.denials {
                let _ = writeln!(
                    page,
                    "<tr class=\"refused\"><td><code>{}</code></td><td class=\"mono\">{}</td>\
                     <td>{}</td><td>{}</td></tr>",
                    escape(&call.function),
                    escape(&call.args),
                    escape(&call.result_text()),
                    escape(&call.refusal_text().unwrap_or_default())
                );
            }
            page.push_str("</table>\n");
        }
        if !self.policy.log_calls {
            page.push_str(
                "<p class=\"note\">The call log was off: run with <code>--log-calls</code> to \
                 list every call (refusals are listed above whatever the setting).</p>\n",
            );
            return;
        }
        if report.calls.is_empty() {
            page.push_str("<p class=\"note\">The guest made no WASI call.</p>\n");
            return;
        }
        let _ = writeln!(
            page,
            "<p class=\"note\">{} calls in all, in {} rows (a call repeated at once is one \
             row, ×N; at most the first {} rows are kept).</p>\n<table>\n\
             <tr><th>ms</th><th>call</th><th>arguments</th><th>result</th></tr>",
            report.calls_total,
            report.calls.len(),
            crate::engine::sandbox::shim::calllog::MAX_RECORDED_CALLS
        );
        for call in &report.calls {
            let class = if call.denial.is_some() {
                " class=\"refused\""
            } else {
                ""
            };
            let repeated = if call.count > 1 {
                format!(" ×{}", call.count)
            } else {
                String::new()
            };
            let _ = writeln!(
                page,
                "<tr{class}><td>{:.1}</td><td><code>{}</code>{repeated}</td>\
                 <td class=\"mono\">{}</td><td>{}</td></tr>",
                call.at_us as f64 / 1000.0,
                escape(&call.function),
                escape(&call.args),
                escape(&call.result_words())
            );
        }
        page.push_str("</table>\n");
    }

    fn memory_section(&self, page: &mut String) {
        let stats = &self.report.stats;
        if stats.peak_memory_bytes == 0 {
            return;
        }
        // From the module's initial memory at the start, through the run's samples, to its
        // peak at the end: a run shorter than the sampling interval still has its line.
        let initial = self
            .info
            .memories
            .first()
            .map_or(0, |m| m.initial_pages.saturating_mul(m.page_size));
        let point = |at_ms, memory_bytes| ResourceSample {
            at_ms,
            memory_bytes,
            table_elements: 0,
            fuel_consumed: None,
        };
        let mut points = Vec::with_capacity(self.samples.len() + 2);
        points.push(point(0, initial));
        points.extend(self.samples.iter().cloned());
        points.push(point(stats.wall_ms.max(1), stats.peak_memory_bytes));
        page.push_str("<h2>Memory over time</h2>\n");
        page.push_str(&memory_chart(&points, self.policy.max_memory_bytes));
    }
}

/// The badge's class and words for an outcome.
fn badge(outcome: &RunOutcome) -> (&'static str, String) {
    match outcome {
        RunOutcome::Exited { code: 0 } => ("ok", "EXITED 0".to_owned()),
        RunOutcome::Exited { code } => ("warn", format!("EXITED {code}")),
        RunOutcome::Trapped { .. } => ("bad", "TRAPPED".to_owned()),
        RunOutcome::TimedOut { .. } => ("warn", "TIMED OUT".to_owned()),
        RunOutcome::FuelExhausted { .. } => ("warn", "OUT OF FUEL".to_owned()),
        RunOutcome::Cancelled => ("grey", "STOPPED".to_owned()),
        RunOutcome::Diverged { .. } => ("bad", "REPLAY DIVERGED".to_owned()),
        RunOutcome::Failed { .. } => ("bad", "DID NOT START".to_owned()),
    }
}

fn frames_table(page: &mut String, frames: &[FrameInfo]) {
    page.push_str("<table>\n<tr><th>#</th><th>function</th><th>offset</th><th>source</th></tr>\n");
    for (i, frame) in frames.iter().enumerate() {
        let _ = writeln!(
            page,
            "<tr><td>{i}</td><td><code>func[{}] {}</code></td><td class=\"mono\">{}</td>\
             <td>{}</td></tr>",
            frame.func_index,
            escape(frame.func_name.as_deref().unwrap_or("")),
            frame
                .module_offset
                .map_or(String::new(), |o| format!("{o:#x}")),
            escape(frame.source.as_deref().unwrap_or(""))
        );
    }
    page.push_str("</table>\n");
}

/// The source variables (from DWARF) of the trap's innermost frame of the program's own, as
/// nested lists that fold out.
fn variables_tree(page: &mut String, frames: &[FrameInfo]) {
    let Some(at) = crate::engine::last_words::variables_frame(frames.iter().map(|f| {
        let has = f.state.as_ref().is_some_and(|s| !s.variables.is_empty());
        (f.func_name.as_deref(), has)
    })) else {
        return;
    };
    let Some(variables) = frames.get(at).and_then(|f| f.state.as_ref()) else {
        return;
    };
    let variables = &variables.variables;
    let _ = writeln!(page, "<p>Variables of frame {at} (from the DWARF):</p>");
    variables_list(page, variables, 0);
}

fn variables_list(page: &mut String, variables: &[SourceVariable], depth: usize) {
    page.push_str("<ul class=\"mono\">\n");
    for variable in variables {
        let line = format!(
            "<b>{}</b>: {} = {}",
            escape(&variable.name),
            escape(&variable.ty),
            escape(&variable.value)
        );
        if variable.members.is_empty() || depth >= 4 {
            let _ = writeln!(page, "<li>{line}</li>");
        } else {
            let _ = write!(page, "<li><details><summary>{line}</summary>");
            variables_list(page, &variable.members, depth + 1);
            page.push_str("</details></li>\n");
        }
    }
    page.push_str("</ul>\n");
}

/// Memory over time as an SVG line, with the cap as a dashed line when it is in view.
fn memory_chart(samples: &[ResourceSample], cap_bytes: u64) -> String {
    const WIDTH: f64 = 800.0;
    const HEIGHT: f64 = 200.0;
    let step = samples.len().div_ceil(MAX_CHART_POINTS).max(1);
    let points: Vec<&ResourceSample> = samples.iter().step_by(step).collect();
    let last_ms = points.last().map_or(1, |s| s.at_ms).max(1) as f64;
    let peak = points
        .iter()
        .map(|s| s.memory_bytes)
        .max()
        .unwrap_or(1)
        .max(1);
    let top = if cap_bytes <= peak.saturating_mul(2) {
        cap_bytes.max(peak)
    } else {
        peak
    } as f64;
    let mut line = String::new();
    for sample in &points {
        let x = sample.at_ms as f64 / last_ms * WIDTH;
        let y = HEIGHT - sample.memory_bytes as f64 / top * (HEIGHT - 10.0);
        let _ = write!(line, "{x:.1},{y:.1} ");
    }
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{}\" \
         viewBox=\"0 0 {WIDTH} {}\" role=\"img\" aria-label=\"memory over time\">\
         <rect width=\"100%\" height=\"100%\" fill=\"#fafafa\"/>\
         <polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"{}\"/>",
        HEIGHT + 20.0,
        HEIGHT + 20.0,
        line.trim_end()
    );
    if top == cap_bytes as f64 {
        let _ = write!(
            svg,
            "<line x1=\"0\" x2=\"{WIDTH}\" y1=\"10\" y2=\"10\" stroke=\"#c62828\" \
             stroke-dasharray=\"6 4\"/><text x=\"4\" y=\"24\" font-size=\"12\" fill=\"#c62828\">\
             cap {}</text>",
            escape(&crate::engine::format_bytes(cap_bytes))
        );
    }
    let _ = writeln!(
        svg,
        "<text x=\"4\" y=\"{}\" font-size=\"12\">0 ms</text><text x=\"{}\" y=\"{}\" \
         font-size=\"12\" text-anchor=\"end\">{} ms, peak {}</text></svg>",
        HEIGHT + 16.0,
        WIDTH - 4.0,
        HEIGHT + 16.0,
        last_ms,
        escape(&crate::engine::format_bytes(peak))
    );
    svg
}

/// The profile's call tree as an SVG flame graph: the root at the top, a row per depth, each
/// bar as wide as its share of the samples.
fn flame_section(page: &mut String, profile: &GuestProfile) {
    const WIDTH: f64 = 1000.0;
    const ROW: f64 = 18.0;
    let total = profile.nodes.first().map_or(0, |n| n.total_samples).max(1) as f64;
    // (node, depth, x) from the root down, widest first, until the bound.
    let mut bars = Vec::new();
    let mut stack = vec![(0u32, 0usize, 0.0f64)];
    while let Some((node, depth, x)) = stack.pop() {
        if bars.len() >= MAX_FLAME_BARS {
            break;
        }
        let Some(n) = profile.nodes.get(node as usize) else {
            continue;
        };
        let width = n.total_samples as f64 / total * WIDTH;
        if width < 0.5 {
            continue;
        }
        bars.push((node, depth, x, width));
        let mut child_x = x;
        for child in profile.children(node) {
            let child_width = profile
                .nodes
                .get(child as usize)
                .map_or(0.0, |c| c.total_samples as f64 / total * WIDTH);
            stack.push((child, depth + 1, child_x));
            child_x += child_width;
        }
    }
    let depth = bars.iter().map(|b| b.1 + 1).max().unwrap_or(1);
    let _ = write!(
        page,
        "<h2>Where the time went</h2>\n<p class=\"note\">{} samples; each bar is as wide as its \
         share.</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{}\" \
         viewBox=\"0 0 {WIDTH} {}\" role=\"img\" aria-label=\"flame graph\">",
        profile.samples,
        depth as f64 * ROW,
        depth as f64 * ROW
    );
    for (node, depth, x, width) in bars {
        let label = escape(&profile.node_label(node));
        let share = profile.nodes[node as usize].total_samples as f64 / total * 100.0;
        let _ = write!(
            page,
            "<g><title>{label}: {share:.1}%</title><rect x=\"{x:.1}\" y=\"{:.1}\" \
             width=\"{width:.1}\" height=\"{}\" fill=\"hsl({}, 70%, 65%)\" stroke=\"#fff\"/>",
            depth as f64 * ROW,
            ROW - 1.0,
            (node * 37) % 60
        );
        if width > 40.0 {
            let _ = write!(
                page,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{label}</text>",
                x + 3.0,
                depth as f64 * ROW + 13.0
            );
        }
        page.push_str("</g>");
    }
    page.push_str("</svg>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_for_html() {
        assert_eq!(
            escape("<script>alert(\"x\") & 'y'</script>"),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn the_memory_chart_is_bounded_and_shows_the_cap_when_near() {
        let samples: Vec<ResourceSample> = (0..100_000u64)
            .map(|i| ResourceSample {
                at_ms: i,
                memory_bytes: i * 1000,
                table_elements: 0,
                fuel_consumed: None,
            })
            .collect();
        let svg = memory_chart(&samples, 150_000_000);
        let points = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .split(' ')
            .count();
        assert!(points <= MAX_CHART_POINTS, "{points}");
        assert!(svg.contains("cap 143.1 MiB"), "{svg}");
    }
}
