//! 1000 runs in one process leave no thread, file descriptor or memory behind.
//! Its own test binary, so no other test's threads or files blur the counts.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

mod common;

use wasmscope::engine::{RunOutcome, SandboxPolicy};

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

fn fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn a_thousand_runs_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hi").unwrap();
    let policy = SandboxPolicy {
        dirs: vec![wasmscope::engine::DirGrant {
            host_path: dir.path().to_owned(),
            guest_path: "/data".into(),
            read_only: true,
            scratch: false,
        }],
        ..SandboxPolicy::default()
    };
    let module = wasmscope::engine::load_file(&common::sample("read_file")).unwrap();
    let run = || {
        let ran = common::run_wasm("read_file", module.wasm.clone(), policy.clone());
        assert_eq!(ran.report.outcome, RunOutcome::Exited { code: 0 });
    };
    // Warm up: engines, caches and allocator pools reach their steady size.
    for _ in 0..50 {
        run();
    }
    let (threads_before, fds_before, rss_before) = (threads(), fds(), rss_bytes());
    for _ in 0..1000 {
        run();
    }
    let (threads_after, fds_after, rss_after) = (threads(), fds(), rss_bytes());
    println!(
        "threads {threads_before} -> {threads_after}, fds {fds_before} -> {fds_after}, \
         rss {} -> {} KiB",
        rss_before / 1024,
        rss_after / 1024
    );
    assert!(
        threads_after <= threads_before,
        "threads grew: {threads_before} -> {threads_after}"
    );
    assert!(
        fds_after <= fds_before,
        "file descriptors grew: {fds_before} -> {fds_after}"
    );
    assert!(
        rss_after < rss_before + (32 << 20),
        "resident memory grew by {} KiB over 1000 runs",
        (rss_after - rss_before) / 1024
    );
}
