//! The compiled-code cache is bounded in bytes, and the memory of a big module's code comes
//! back when another module replaces it (issue 13: the idle process stayed at 1.5 GB). Its own
//! test binary, so no other test's compiles blur the numbers.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

use wasmscope::engine::SandboxPolicy;
use wasmscope::engine::sandbox::cache;
use wasmscope::engine::sandbox::{self, EngineKey};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn closed_modules_stay_within_the_bound_and_a_replaced_big_module_gives_its_memory_back() {
    // The on-disk cache compresses what it writes again in the background, which would blur
    // the numbers below.
    assert!(sandbox::disable_disk_cache());
    let key = EngineKey::for_policy(&SandboxPolicy::default());
    let shared = sandbox::shared_engine(key).unwrap();

    // The bound: a small one, so a few small modules exceed it.
    cache::set_bound_bytes(256 * 1024);
    let open = common::many_functions(1500, 21, false);
    let (_, pin) = sandbox::compile_pinned(&shared, key, &open).unwrap();
    for seed in 22..30 {
        let wasm = common::many_functions(1500, seed, false);
        let compiled = sandbox::compile(&shared, key, &wasm).unwrap();
        assert!(!compiled.cached);
        let (_, closed) = cache::cached_bytes();
        assert!(
            closed <= cache::bound_bytes(),
            "{closed} bytes of closed modules kept"
        );
    }
    // The open (pinned) module is kept, whatever the bound; closed, it goes.
    assert!(cache::is_cached(&shared.engine, &open));
    drop(pin);
    cache::set_bound_bytes(0);
    assert!(!cache::is_cached(&shared.engine, &open));

    // Memory: open a big module (its code pinned), then replace it with a small one. The
    // bound stays small, as if the big module's code were larger than the real bound: the
    // question is whether its memory really comes back.
    cache::set_bound_bytes(1 << 20);
    let big = common::many_functions(120_000, 31, false);
    let small = common::many_functions(10, 32, false);
    let (_, small_pin) = sandbox::compile_pinned(&shared, key, &small).unwrap();
    let baseline = rss_bytes();
    let (compiled, big_pin) = sandbox::compile_pinned(&shared, key, &big).unwrap();
    drop(compiled);
    let (code_bytes, _) = cache::cached_bytes();
    let held = rss_bytes();
    drop(big_pin);
    let after = rss_bytes();
    println!(
        "rss baseline {} MiB, with the big module {} MiB (code {} MiB), after {} MiB",
        baseline >> 20,
        held >> 20,
        code_bytes >> 20,
        after >> 20
    );
    assert!(
        code_bytes > 8 << 20,
        "the big module's code ({code_bytes} bytes) is too small to measure"
    );
    assert!(!cache::is_cached(&shared.engine, &big));
    let grew = held.saturating_sub(baseline);
    let kept = after.saturating_sub(baseline);
    assert!(
        kept <= grew / 4 + (16 << 20),
        "after replacing the big module the process keeps {} of the {} MiB it grew by",
        kept >> 20,
        grew >> 20
    );
    drop(small_pin);

    // A module of a few huge functions leaves the compiler holding buffers as big as its
    // largest function: those go too once the module is replaced (its engine is retired, and
    // the next compile gets a fresh one).
    // A seed of this run's own, so the on-disk code cache cannot spare the compile.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        | 1;
    let huge = common::huge_functions(8, 40_000, seed);
    // The big module above retired the engine it was compiled with.
    let shared = sandbox::shared_engine(key).unwrap();
    // A compile gives the allocator's free memory back (the huge module's text was parsed
    // just now): the baseline is what is really in use.
    let tiny = common::many_functions(3, 35, false);
    drop(sandbox::compile(&shared, key, &tiny).unwrap());
    let baseline = rss_bytes();
    // On a thread of its own, as the window's background compile is.
    let (compiled, huge_pin) = std::thread::scope(|s| {
        s.spawn(|| sandbox::compile_pinned(&shared, key, &huge).unwrap())
            .join()
            .unwrap()
    });
    drop(compiled);
    let (code_bytes, _) = cache::cached_bytes();
    let held = rss_bytes();
    // As the window does: nothing but the pin holds the engine when the module is closed.
    let compiled_with = shared.engine.weak();
    drop(shared);
    drop(huge_pin);
    assert!(
        compiled_with.upgrade().is_none(),
        "the retired engine is still alive"
    );
    let after = rss_bytes();
    println!(
        "huge functions: rss baseline {} MiB, with the module {} MiB (code {} MiB), after {} MiB",
        baseline >> 20,
        held >> 20,
        code_bytes >> 20,
        after >> 20
    );
    let grew = held.saturating_sub(baseline);
    let kept = after.saturating_sub(baseline);
    assert!(
        kept <= grew / 4 + (16 << 20),
        "after replacing the module of huge functions the process keeps {} of the {} MiB it \
         grew by",
        kept >> 20,
        grew >> 20
    );
    // The engine it retired is not handed out again; the next compile works as ever.
    let fresh = sandbox::shared_engine(key).unwrap();
    let small = common::many_functions(10, 34, false);
    assert!(!sandbox::compile(&fresh, key, &small).unwrap().cached);
    drop(fresh);
    assert!(
        huge.len() >= cache::BIG_MODULE_BYTES,
        "the module of huge functions must count as big"
    );

    // A run after its engine was retired: the settings get a fresh engine, and nothing made
    // for the old one (the WASI shim's linker) is used with it.
    let hello = std::fs::read(common::sample("hello")).unwrap();
    let hello = wat::parse_bytes(&hello).unwrap().into_owned();
    let policy = SandboxPolicy::default();
    let invocation = wasmscope::engine::Invocation::default();
    let run_key = EngineKey::for_run(&policy, &invocation, false);
    let before = common::run_wasm("hello.wasm", hello.clone(), policy.clone());
    assert_eq!(before.stdout, "Hello from the sandbox!\n");
    let old = sandbox::shared_engine(run_key).unwrap();
    let (compiled, pin) = sandbox::compile_pinned(&old, run_key, &huge).unwrap();
    let retired = old.engine.weak();
    drop((compiled, old));
    drop(pin);
    assert!(
        retired.upgrade().is_none(),
        "the run's engine was not retired"
    );
    let after = common::run_wasm("hello.wasm", hello, policy);
    assert_eq!(
        after.stdout, "Hello from the sandbox!\n",
        "{:?}",
        after.report.outcome
    );
}
