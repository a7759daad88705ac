//! The fuzz campaign on stable Rust: the wasm-smith-through-the-sandbox target of
//! `tests/fuzz_slice.rs` (the same code, in `fuzz/src/lib.rs`) over a large range of seeds,
//! in parallel, with a progress bar and a summary of outcomes by kind.
//!
//! ```text
//! WASMSCOPE_NO_DISK_CACHE=1 cargo run --release --example fuzz -- --seeds 0..100000 --jobs 8
//! ```
//!
//! Each finding is written to `--failures DIR` (default `target/fuzz-failures`) as
//! `seed-N.txt` (what broke, the module in hex, how to replay) and `seed-N.wasm`; replay one
//! with `FUZZ_SLICE_SEED=N cargo test --test fuzz_slice`. Exit status 1 when anything broke.

#![allow(clippy::unwrap_used)] // A developer tool: a broken setup may stop it loudly.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)] // The byte-level checks serve the fuzz targets and the slice.
mod harness;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use harness::{SeedResult, hex};

/// Runs wasm-smith modules through the full sandbox and checks every outcome.
#[derive(Debug, Parser)]
struct Args {
    /// The seeds to run, `START..END` (END excluded).
    #[arg(long, default_value = "0..100000", value_parser = parse_range)]
    seeds: std::ops::Range<u64>,
    /// Parallel runs [default: the number of CPUs].
    #[arg(long)]
    jobs: Option<usize>,
    /// Where findings are written.
    #[arg(long, default_value = "target/fuzz-failures")]
    failures: PathBuf,
}

fn parse_range(text: &str) -> Result<std::ops::Range<u64>, String> {
    let (start, end) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not a range: use START..END, e.g. 0..100000"))?;
    let number = |n: &str| {
        n.trim()
            .replace('_', "")
            .parse::<u64>()
            .map_err(|_| format!("`{n}` in `{text}` is not a whole number"))
    };
    let (start, end) = (number(start)?, number(end)?);
    if start >= end {
        return Err(format!("`{text}` is empty"));
    }
    Ok(start..end)
}

/// What a worker hands back for one seed.
struct Done {
    seed: u64,
    result: Result<SeedResult, String>,
    took: Duration,
}

/// How a finding is tallied.
fn finding_kind(finding: &str) -> &'static str {
    if finding.contains("worker thread died") {
        "host panic"
    } else if finding.contains("the host hung") {
        "hang"
    } else {
        "property broken"
    }
}

fn write_finding(dir: &std::path::Path, seed: u64, finding: &str, wasm: &[u8]) {
    let text = format!(
        "seed {seed}: {finding}\n\nreplay: FUZZ_SLICE_SEED={seed} cargo test --test fuzz_slice \
         smith_modules_run_to_classified_outcomes\n\nmodule: {}\n",
        hex(wasm)
    );
    let written = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(dir.join(format!("seed-{seed}.txt")), text))
        .and_then(|()| std::fs::write(dir.join(format!("seed-{seed}.wasm")), wasm));
    if let Err(e) = written {
        eprintln!(
            "cannot write the finding of seed {seed} to {}: {e}",
            dir.display()
        );
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    if std::env::var_os("WASMSCOPE_NO_DISK_CACHE").is_none() {
        eprintln!(
            "note: set WASMSCOPE_NO_DISK_CACHE=1 to keep the campaign's modules out of \
             wasmtime's compiled-code cache on disk"
        );
    }
    let total = args.seeds.end - args.seeds.start;
    let next = Arc::new(AtomicU64::new(args.seeds.start));
    let end = args.seeds.end;
    let imports = Arc::new(harness::Imports::new());
    let (tx, rx) = crossbeam_channel::bounded::<Done>(jobs * 4);
    let started = Instant::now();
    let workers: Vec<_> = (0..jobs)
        .map(|i| {
            let (next, imports, tx) = (Arc::clone(&next), Arc::clone(&imports), tx.clone());
            std::thread::Builder::new()
                .name(format!("fuzz-{i}"))
                .spawn(move || {
                    loop {
                        let seed = next.fetch_add(1, Ordering::Relaxed);
                        if seed >= end {
                            break;
                        }
                        let began = Instant::now();
                        // A panic here is in wasm-smith or the harness, not in a run (a
                        // run's panic ends its worker thread and comes back as a finding).
                        let result = catch_unwind(AssertUnwindSafe(|| {
                            harness::run_smith_seed(seed, &imports)
                        }))
                        .map_err(|panic| {
                            panic
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                                .unwrap_or_else(|| "a panic".to_owned())
                        });
                        let done = Done {
                            seed,
                            result,
                            took: began.elapsed(),
                        };
                        if tx.send(done).is_err() {
                            break;
                        }
                    }
                })
                .expect("a fuzz worker thread starts")
        })
        .collect();
    drop(tx);

    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {pos}/{len} seeds, {per_sec}, eta {eta} {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut entries: BTreeMap<&str, u64> = BTreeMap::new();
    let mut examples: BTreeMap<String, u64> = BTreeMap::new();
    let mut findings: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut declined = 0u64;
    let mut slowest = (Duration::ZERO, 0u64);
    for done in rx {
        if done.took > slowest.0 {
            slowest = (done.took, done.seed);
        }
        match done.result {
            Ok(SeedResult::Declined { .. }) => declined += 1,
            Ok(SeedResult::Ran { entry, kind, .. }) => {
                *entries.entry(entry).or_default() += 1;
                examples.entry(kind.clone()).or_insert(done.seed);
                *outcomes.entry(kind).or_default() += 1;
            }
            Ok(SeedResult::Broken { finding, wasm }) => {
                let text = finding.to_string();
                write_finding(&args.failures, done.seed, &text, &wasm);
                findings
                    .entry(finding_kind(&text))
                    .or_default()
                    .push(done.seed);
                bar.println(format!(
                    "seed {}: {}",
                    done.seed,
                    text.lines().next().unwrap_or("")
                ));
            }
            Err(panic) => {
                write_finding(
                    &args.failures,
                    done.seed,
                    &format!("harness panic: {panic}"),
                    &[],
                );
                findings.entry("harness panic").or_default().push(done.seed);
            }
        }
        let broken: usize = findings.values().map(Vec::len).sum();
        bar.set_message(format!("{broken} findings"));
        bar.inc(1);
    }
    bar.finish();
    for worker in workers {
        let _ = worker.join();
    }
    let elapsed = started.elapsed();

    let ran: u64 = outcomes.values().sum();
    let count = |kind: &str| findings.get(kind).map_or(0, Vec::len);
    println!(
        "seeds {}..{} ({total}) with {jobs} jobs in {:.0?} ({:.1} seeds/s)",
        args.seeds.start,
        args.seeds.end,
        elapsed,
        total as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!("modules run: {ran} ({entries:?}); wasm-smith declined {declined} inputs");
    println!("outcomes by kind:");
    for (kind, n) in &outcomes {
        println!("  {n:7}  {kind:45} e.g. seed {}", examples[kind]);
    }
    println!(
        "host panics: {}, hangs: {}, other broken properties: {}, harness panics: {}",
        count("host panic"),
        count("hang"),
        count("property broken"),
        count("harness panic")
    );
    println!("slowest seed: {} ({:.0?})", slowest.1, slowest.0);
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        for (kind, seeds) in &findings {
            let shown: Vec<_> = seeds.iter().take(20).collect();
            println!("{kind}: seeds {shown:?}");
        }
        println!(
            "findings are in {}; replay one with FUZZ_SLICE_SEED=N cargo test --test fuzz_slice",
            args.failures.display()
        );
        ExitCode::FAILURE
    }
}
