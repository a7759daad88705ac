//! A bounded, deterministic slice of the fuzz targets in `fuzz/` (see fuzz/README.md), so plain
//! `cargo test` on stable guards the hostile-module properties: no bytes make `inspect` or
//! `load_bytes` panic, and every wasm-smith module that may call WASI runs in the full sandbox
//! to a classified outcome. Every case comes from a seed; a failure names it, and
//! `FUZZ_SLICE_SEED=N cargo test --test fuzz_slice` replays that one case.

#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use arbitrary::Unstructured;
use harness::{SeedResult, SplitMix, hex, smith_input};
use wasmscope::engine;

/// wasm-smith modules run in the sandbox. Sized so this file takes well under a minute on two
/// cores in the dev profile (compiling each module dominates).
const SMITH_SEEDS: u64 = 2000;
/// Random and mutated byte strings inspected and loaded.
const BYTE_CASES: u64 = 8000;

/// The seeds to run: all of `range`, or only `FUZZ_SLICE_SEED` when it is set.
fn seeds(range: std::ops::Range<u64>) -> Vec<u64> {
    match std::env::var("FUZZ_SLICE_SEED") {
        Ok(seed) => vec![seed.trim().parse().expect("FUZZ_SLICE_SEED is a number")],
        Err(_) => range.collect(),
    }
}

#[test]
fn smith_modules_run_to_classified_outcomes() {
    let imports = harness::Imports::new();
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut entries: BTreeMap<&str, u64> = BTreeMap::new();
    let mut examples: BTreeMap<String, String> = BTreeMap::new();
    let mut broken_seeds: Vec<u64> = Vec::new();
    for seed in seeds(0..SMITH_SEEDS) {
        // A broken case is recorded and the slice goes on, so one run shows every finding.
        let (kind, example) = match harness::run_smith_seed(seed, &imports) {
            // wasm-smith declines some inputs (e.g. constraints it cannot meet): not our finding.
            SeedResult::Declined { reason } => {
                ("no module (wasm-smith declined)".to_owned(), reason)
            }
            SeedResult::Ran {
                entry,
                kind,
                summary,
            } => {
                *entries.entry(entry).or_default() += 1;
                (kind, summary)
            }
            SeedResult::Broken { finding, wasm } => {
                eprintln!("seed {seed}: {finding}\nmodule: {}", hex(&wasm));
                broken_seeds.push(seed);
                continue;
            }
        };
        examples
            .entry(kind.clone())
            .or_insert_with(|| format!("seed {seed}: {example}"));
        *outcomes.entry(kind).or_default() += 1;
    }
    println!("entries: {entries:?}");
    println!(
        "outcomes of {} wasm-smith runs:",
        outcomes.values().sum::<u64>()
    );
    for (kind, count) in &outcomes {
        println!("  {count:5}  {kind:40} e.g. {}", examples[kind]);
    }
    assert!(
        broken_seeds.is_empty(),
        "{} runs broke a property (details above; replay one with FUZZ_SLICE_SEED=N): seeds {broken_seeds:?}",
        broken_seeds.len()
    );
    if std::env::var("FUZZ_SLICE_SEED").is_err() {
        let count = |prefix: &str| -> u64 {
            outcomes
                .iter()
                .filter(|(kind, _)| kind.starts_with(prefix))
                .map(|(_, n)| n)
                .sum()
        };
        // The slice must reach past validation into guests that exit, trap and get stopped.
        for prefix in ["exited", "trapped", "failed", "fuel_exhausted"] {
            assert!(count(prefix) > 0, "no run {prefix}: {outcomes:?}");
        }
        assert!(
            count("exited") + count("trapped") >= SMITH_SEEDS / 4,
            "too few runs got as far as running: {outcomes:?}"
        );
    }
}

/// Valid modules to mutate: the samples, and a few wasm-smith modules.
fn valid_modules() -> Vec<Vec<u8>> {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut modules: Vec<Vec<u8>> = std::fs::read_dir(&samples)
        .expect("samples/ is readable")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "wat").then(|| engine::load_file(&path).ok())?
        })
        .map(|loaded| loaded.wasm)
        .collect();
    modules.sort();
    assert!(
        modules.len() >= 5,
        "expected the samples, found {}",
        modules.len()
    );
    let imports = harness::Imports::new();
    for seed in 0..16 {
        let input = smith_input(1_000_000 + seed);
        if let Ok(case) = harness::smith_case(&mut Unstructured::new(&input), &imports) {
            modules.push(case.wasm);
        }
    }
    modules
}

/// One to three byte-level mutations: flips, interesting values, insertions, deletions,
/// duplicated chunks and truncation, the damage a broken file or a hostile one carries.
fn mutate(rng: &mut SplitMix, bytes: &mut Vec<u8>) {
    const INTERESTING: [u8; 6] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x41];
    // Mostly one or two, so many mutants still parse and reach the deeper paths.
    for _ in 0..1 + rng.below(4).saturating_sub(1) {
        if bytes.is_empty() {
            bytes.push(rng.next() as u8);
            continue;
        }
        let at = rng.below(bytes.len());
        match rng.below(6) {
            0 => bytes[at] ^= 1 << rng.below(8),
            1 => bytes[at] = INTERESTING[rng.below(INTERESTING.len())],
            2 => bytes.insert(at, rng.next() as u8),
            3 => {
                bytes.remove(at);
            }
            4 => {
                let len = (1 + rng.below(16)).min(bytes.len() - at);
                let chunk = bytes[at..at + len].to_vec();
                let to = rng.below(bytes.len());
                bytes.splice(to..to, chunk);
            }
            _ => bytes.truncate(at),
        }
    }
}

/// Text that is almost WAT, for the text path of `load_bytes`.
fn wat_soup(rng: &mut SplitMix) -> Vec<u8> {
    const TOKENS: &[&str] = &[
        "(module",
        "(func",
        "(export",
        "\"_start\"",
        "(import",
        "\"wasi_snapshot_preview1\"",
        "(param",
        "(result",
        "i32",
        "i64",
        "f64",
        "v128",
        "(memory",
        "(table",
        "funcref",
        "(data",
        "i32.const",
        "-1",
        "0x80000000",
        "4294967296",
        "nan:0x1",
        "call",
        "$f",
        "br_table",
        "(;",
        ";)",
        ";;\n",
        "\"\\ff\"",
        "\"ä\"",
        "(@custom",
        ")",
        ")",
        ")",
        "(",
        " ",
        "\n",
    ];
    let mut text = String::new();
    for _ in 0..rng.below(64) {
        text.push_str(TOKENS[rng.below(TOKENS.len())]);
        text.push(' ');
    }
    text.into_bytes()
}

#[test]
fn hostile_bytes_inspect_and_load_without_panic() {
    let valid = valid_modules();
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    let mut inspected: BTreeMap<String, u64> = BTreeMap::new();
    let mut mutant_runs: BTreeMap<&str, u64> = BTreeMap::new();
    for seed in seeds(0..BYTE_CASES) {
        let mut rng = SplitMix(seed ^ 0xb17e_5eed_f00d_0001);
        let (kind, bytes) = match seed % 4 {
            0 => {
                let len = rng.below(4096);
                ("random", rng.bytes(len))
            }
            1 => {
                let len = rng.below(1024);
                let mut bytes = b"\0asm\x01\0\0\0".to_vec();
                bytes.extend(rng.bytes(len));
                ("header + random", bytes)
            }
            2 => ("wat soup", wat_soup(&mut rng)),
            _ => {
                let mut bytes = valid[rng.below(valid.len())].clone();
                mutate(&mut rng, &mut bytes);
                ("mutated module", bytes)
            }
        };
        *kinds.entry(kind).or_default() += 1;
        match catch_unwind(AssertUnwindSafe(|| harness::check_bytes(&bytes))) {
            Ok(Ok(())) => {}
            Ok(Err(broken)) => panic!("seed {seed} ({kind}): {broken}\nbytes: {}", hex(&bytes)),
            Err(_) => panic!(
                "seed {seed} ({kind}): the host panicked\nbytes: {}",
                hex(&bytes)
            ),
        }
        let info = engine::inspect(&bytes);
        *inspected.entry(format!("{:?}", info.kind)).or_default() += 1;
        // A mutant that still looks runnable goes into the sandbox too: inspect's verdict
        // and the engine's must agree well enough to end in a classified outcome.
        if info.is_runnable() && kind == "mutated module" {
            let choices = rng.bytes(64);
            let (policy, invocation) = harness::policy_for(&info, &mut Unstructured::new(&choices))
                .expect("a policy draws from bytes that never run out of defaults");
            let report =
                harness::run_case(&format!("mutant-{seed}.wasm"), &bytes, &policy, &invocation)
                    .unwrap_or_else(|broken| {
                        panic!("seed {seed} (mutant run): {broken}\nbytes: {}", hex(&bytes))
                    });
            if let Err(broken) = harness::check_report(&report, &policy) {
                panic!("seed {seed} (mutant run): {broken}\nbytes: {}", hex(&bytes));
            }
            *mutant_runs.entry(report.outcome.name()).or_default() += 1;
        }
    }
    println!("byte cases: {kinds:?}");
    println!("inspected as: {inspected:?}");
    println!("runnable mutants ran to: {mutant_runs:?}");
    if std::env::var("FUZZ_SLICE_SEED").is_err() {
        // Mutations must leave some modules whole, or the deep parser paths go untested.
        assert!(
            inspected.get("CoreModule").copied().unwrap_or(0) > BYTE_CASES / 40,
            "too few cases parsed as modules: {inspected:?}"
        );
        assert!(inspected.get("Invalid").copied().unwrap_or(0) > BYTE_CASES / 4);
    }
}
