//! Many tenants at once, the way one server runs many customers' modules: 32 runs from one
//! shared engine, each with its own folder and `TENANT_ID`, well-behaved guests among a busy
//! loop, a memory bomb, a write bomb and a traversal attempt. Every tenant ends with its own
//! classified outcome, sees only its own folder and environment, the well-behaved tenants'
//! output arrives complete, and the host's memory stays within the caps plus a fixed overhead.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;

use std::sync::Arc;

use common::guests::{WRITE_BOMB, guest};
use wasmscope::engine::run::tenants;
use wasmscope::engine::sandbox::EngineKey;
use wasmscope::engine::{self, RunOutcome, SandboxPolicy};
use wasmscope::runner;

const TENANTS: usize = 32;
const BUSY_LOOP_TIMEOUT_MS: u64 = 2_000;
const MEMORY_CAP_BYTES: u64 = 16 * 1024 * 1024;
const DISK_CAP_BYTES: u64 = 1024 * 1024;
/// What one well-behaved tenant prints on stdout: 16 writes of 64 KiB of `#`.
const OUTPUT_BYTES: usize = 1024 * 1024;
/// The host's own share beyond the guests' caps: engine, compiled code, 64 threads and
/// their stacks, the collected output. Generous; a cap that did not hold would blow past it.
const FIXED_OVERHEAD_BYTES: u64 = 768 * 1024 * 1024;

/// Prints its environment and its folder's entries (raw dirents) on stderr, then 1 MiB of
/// `#` on stdout, writing until every byte is taken.
const WELL_BEHAVED: &str = r#"(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $env_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 2)
  (func $out (param $fd i32) (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (if (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))
          (then (call $exit (i32.const 9))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))
  (func (export "_start") (local $i i32)
    (if (call $env_sizes (i32.const 16) (i32.const 20)) (then (call $exit (i32.const 7))))
    (if (call $env_get (i32.const 1024) (i32.const 2048)) (then (call $exit (i32.const 7))))
    (call $out (i32.const 2) (i32.const 2048) (i32.load (i32.const 20)))
    (if (call $readdir (i32.const 3) (i32.const 4096) (i32.const 8192) (i64.const 0) (i32.const 24))
      (then (call $exit (i32.const 8))))
    (call $out (i32.const 2) (i32.const 4096) (i32.load (i32.const 24)))
    (memory.fill (i32.const 65536) (i32.const 35) (i32.const 65536))
    (loop $more
      (call $out (i32.const 1) (i32.const 65536) (i32.const 65536))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $more (i32.lt_u (local.get $i) (i32.const 16))))))"#;

/// Never ends; only the timeout stops it.
const BUSY_LOOP: &str = r#"(module (func (export "_start") (loop $spin (br $spin))))"#;

/// Grows its memory a page at a time, filling each new page, until refused; then traps.
const MEMORY_BOMB: &str = r#"(module
  (memory (export "memory") 1)
  (func (export "_start") (local $page i32)
    (loop $grow
      (local.set $page (memory.grow (i32.const 1)))
      (if (i32.ne (local.get $page) (i32.const -1))
        (then
          (memory.fill (i32.mul (local.get $page) (i32.const 65536)) (i32.const 1) (i32.const 65536))
          (br $grow))))
    unreachable))"#;

/// Reaches for tenant 0's secret through `..`; exits with the errno it got.
const TRAVERSAL: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "../tenant-0/secret-0.txt")
  (func (export "_start")
    (call $exit (call $open (i32.const 3) (i32.const 0) (i32.const 64) (i32.const 24)
      (i32.const 0) (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 32)))))"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    WellBehaved,
    BusyLoop,
    MemoryBomb,
    WriteBomb,
    Traversal,
}

fn kind_of(tenant: usize) -> Kind {
    match tenant % 5 {
        0 => Kind::WellBehaved,
        1 => Kind::BusyLoop,
        2 => Kind::MemoryBomb,
        3 => Kind::WriteBomb,
        _ => Kind::Traversal,
    }
}

fn module(kind: Kind) -> Vec<u8> {
    match kind {
        Kind::WellBehaved => wat::parse_str(WELL_BEHAVED).unwrap(),
        Kind::BusyLoop => wat::parse_str(BUSY_LOOP).unwrap(),
        Kind::MemoryBomb => wat::parse_str(MEMORY_BOMB).unwrap(),
        Kind::WriteBomb => guest("wasi_snapshot_preview1", WRITE_BOMB),
        Kind::Traversal => wat::parse_str(TRAVERSAL).unwrap(),
    }
}

/// The process's peak resident memory, from Linux's /proc (None elsewhere).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[test]
fn thirty_two_tenants_at_once_each_end_on_their_own_and_see_only_their_own() {
    let root = tempfile::tempdir().unwrap();
    let base = SandboxPolicy {
        max_memory_bytes: MEMORY_CAP_BYTES,
        max_disk_bytes: DISK_CAP_BYTES,
        timeout_ms: Some(60_000),
        ..SandboxPolicy::default()
    };
    let mut policies = tenants::tenant_policies(&base, TENANTS, root.path()).unwrap();
    // Only the busy loop needs the timeout to end; the others finish on their own, and a
    // long timeout keeps a loaded machine from turning them into timeouts.
    for (i, policy) in policies.iter_mut().enumerate() {
        if kind_of(i) == Kind::BusyLoop {
            policy.timeout_ms = Some(BUSY_LOOP_TIMEOUT_MS);
        }
    }
    // One engine serves them all: the engine is shared by every policy with the same key.
    assert!(
        policies
            .iter()
            .all(|p| EngineKey::for_policy(p) == EngineKey::for_policy(&base))
    );
    for i in 0..TENANTS {
        let secret = root.path().join(format!("tenant-{i}/secret-{i}.txt"));
        std::fs::write(secret, format!("secret of tenant {i}")).unwrap();
    }
    let modules: Vec<Arc<[u8]>> = [
        Kind::WellBehaved,
        Kind::BusyLoop,
        Kind::MemoryBomb,
        Kind::WriteBomb,
        Kind::Traversal,
    ]
    .into_iter()
    .map(|kind| Arc::from(module(kind)))
    .collect();

    // All at once, each drained by its own thread as a server would.
    let runs: Vec<common::Ran> = std::thread::scope(|scope| {
        let collectors: Vec<_> = policies
            .into_iter()
            .enumerate()
            .map(|(i, policy)| {
                let handle = runner::spawn(
                    engine::RunRequest {
                        name: format!("tenant-{i}.wasm"),
                        wasm: Arc::clone(&modules[i % 5]),
                        precompiled: None,
                        policy,
                        invocation: engine::Invocation::default(),
                        info: None,
                    },
                    None,
                )
                .unwrap();
                scope.spawn(move || common::collect(handle))
            })
            .collect();
        collectors.into_iter().map(|c| c.join().unwrap()).collect()
    });

    for (i, ran) in runs.iter().enumerate() {
        let kind = kind_of(i);
        let outcome = &ran.report.outcome;
        let folder = root.path().join(format!("tenant-{i}"));
        match kind {
            Kind::WellBehaved => {
                assert_eq!(outcome, &RunOutcome::Exited { code: 0 }, "tenant {i}");
                assert_eq!(
                    ran.stdout.len(),
                    OUTPUT_BYTES,
                    "tenant {i}: output complete"
                );
                assert!(ran.stdout.bytes().all(|b| b == b'#'), "tenant {i}");
                assert!(
                    ran.stderr.contains(&format!("TENANT_ID={i}\0")),
                    "tenant {i}"
                );
                assert!(
                    ran.stderr.contains(&format!("secret-{i}.txt")),
                    "tenant {i}"
                );
                for other in (0..TENANTS).filter(|&j| j != i) {
                    assert!(
                        !ran.stderr.contains(&format!("TENANT_ID={other}\0"))
                            && !ran.stderr.contains(&format!("secret-{other}.txt")),
                        "tenant {i} sees tenant {other}: {:?}",
                        ran.stderr
                    );
                }
            }
            Kind::BusyLoop => {
                assert_eq!(
                    outcome,
                    &RunOutcome::TimedOut {
                        timeout_ms: BUSY_LOOP_TIMEOUT_MS
                    },
                    "tenant {i}"
                );
            }
            Kind::MemoryBomb => {
                assert!(
                    matches!(outcome, RunOutcome::Trapped { trap } if trap.code == "UnreachableCodeReached"),
                    "tenant {i}: {outcome:?}"
                );
                assert!(ran.report.denied_growths_count > 0, "tenant {i}");
                assert!(ran.report.stats.peak_memory_bytes <= MEMORY_CAP_BYTES);
            }
            Kind::WriteBomb => {
                assert_eq!(
                    outcome,
                    &RunOutcome::Exited { code: 51 },
                    "tenant {i}: nospc"
                );
                let written = std::fs::metadata(folder.join("bomb.bin")).unwrap().len();
                assert!(
                    written <= DISK_CAP_BYTES + 64 * 1024,
                    "tenant {i}: {written}"
                );
                assert_eq!(ran.report.disk.as_ref().unwrap().refused, 1, "tenant {i}");
            }
            Kind::Traversal => {
                // notcapable or perm: the sandbox refused, and nothing leaked.
                assert!(
                    matches!(outcome, RunOutcome::Exited { code } if *code != 0),
                    "tenant {i}: {outcome:?}"
                );
                assert!(!ran.stdout.contains("secret of") && !ran.stderr.contains("secret of"));
            }
        }
        // Every folder still holds only what its own tenant put there.
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut expected = vec![format!("secret-{i}.txt")];
        if kind == Kind::WriteBomb {
            expected.insert(0, "bomb.bin".to_owned());
        }
        assert_eq!(names, expected, "tenant {i}");
        assert_eq!(
            std::fs::read_to_string(folder.join(format!("secret-{i}.txt"))).unwrap(),
            format!("secret of tenant {i}")
        );
    }
    if let Some(peak) = peak_rss_bytes() {
        let caps = TENANTS as u64 * MEMORY_CAP_BYTES;
        assert!(
            peak <= caps + FIXED_OVERHEAD_BYTES,
            "peak host memory {} MiB is above the caps ({} MiB) plus the overhead ({} MiB)",
            peak >> 20,
            caps >> 20,
            FIXED_OVERHEAD_BYTES >> 20
        );
    }
}
