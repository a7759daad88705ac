#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use super::*;
use crate::engine::calls::CallPaths;
use crate::engine::policy::DirGrant;

fn call(function: &str, capability: Capability, args: &str, errno: u16) -> CallRecord {
    CallRecord {
        function: function.to_owned(),
        capability,
        args: args.to_owned(),
        errno: Some(errno),
        result: crate::engine::calls::errno_name(errno).to_owned(),
        denial: None,
        at_us: 0,
        count: 1,
        paths: None,
        prepares_escape: None,
        moment: None,
    }
}

fn escape_attempt(guest: &str, host: &str) -> CallRecord {
    let mut record = call(
        "path_open",
        Capability::Filesystem,
        &format!("fd=3 (/box) path={guest:?}"),
        63,
    );
    record.denial = Some("path outside every preopened directory".to_owned());
    record.paths = Some(Box::new(CallPaths {
        guest: guest.to_owned(),
        guest_dir: "/box".to_owned(),
        host_dir: "/tmp/class/box".to_owned(),
        host: host.to_owned(),
        inside: false,
    }));
    record
}

fn class_policy() -> (SandboxPolicy, Invocation) {
    let policy = SandboxPolicy {
        dirs: vec![DirGrant {
            host_path: "/tmp/class/box".into(),
            guest_path: "/box".to_owned(),
            read_only: false,
            scratch: true,
        }],
        env: vec![
            ("A".to_owned(), "1".to_owned()),
            ("B".to_owned(), "2".to_owned()),
        ],
        ..SandboxPolicy::default()
    };
    (policy, Invocation::default())
}

fn escape_calls() -> Vec<CallRecord> {
    vec![
        call("fd_prestat_get", Capability::Filesystem, "fd=3 (/box)", 0),
        call(
            "path_open",
            Capability::Filesystem,
            "fd=3 (/box) path=\"hello.txt\"",
            0,
        ),
        escape_attempt("../etc/passwd", "/tmp/class/etc/passwd"),
        escape_attempt("/etc/passwd", "/etc/passwd"),
        call("fd_write", Capability::Stdio, "fd=1 (stdout) 12 bytes", 0),
        call("environ_sizes_get", Capability::Env, "", 0),
    ]
}

#[test]
fn doors_count_their_calls_and_refusals_stop_at_the_wall_with_both_paths() {
    let (policy, invocation) = class_policy();
    let calls = escape_calls();
    let input = MapInput {
        policy: &policy,
        invocation: &invocation,
        info: None,
        calls: &calls,
        calls_total: 6,
        denials: &[],
        denials_total: 2,
        host_env_total: Some(57),
        last_words: None,
    };
    let map = SandboxMap::build(&input, None);
    let folder = &map.doors[0];
    assert_eq!(
        (folder.guest.as_str(), folder.host.as_str()),
        ("/box", "/tmp/class/box")
    );
    assert_eq!(folder.mode, "folder, read-write, scratch copy");
    assert_eq!((folder.crossings, folder.refused), (2, 2));
    let env = map
        .doors
        .iter()
        .find(|d| d.kind == DoorKind::Environment)
        .unwrap();
    assert_eq!((env.host.as_str(), env.crossings), ("2 of 57 variables", 1));
    // The two escapes are one kind of refusal, counted twice, with the host paths.
    assert_eq!(map.refusals.len(), 1);
    let refusal = &map.refusals[0];
    assert_eq!(refusal.count, 2);
    assert_eq!(refusal.errno, "perm (63)");
    assert_eq!(refusal.hosts, ["/tmp/class/etc/passwd", "/etc/passwd"]);
    assert_eq!(
        map.summary(),
        "6 calls: 4 through the doors, 2 stopped at the wall"
    );
    let svg = map.svg();
    assert!(svg.starts_with("<svg"), "{svg}");
    for seen in [
        "The guest",
        "The host",
        "/tmp/class/box",
        "2 of 57 variables",
        "path_open refused 2 times: perm (63)",
        "would reach /tmp/class/etc/passwd",
        "path outside every preopened directory",
        "always given by WASI",
        "network",
    ] {
        assert!(svg.contains(seen), "{seen} missing in {svg}");
    }
    assert!(
        !svg.contains("current call"),
        "no step-through, no current call"
    );
}

#[test]
fn what_the_module_could_ask_for_but_was_not_granted_is_greyed_and_the_rest_left_out() {
    let (mut policy, invocation) = class_policy();
    policy.env.clear();
    let wasm = wat::parse_str(
        r#"(module (import "wasi_snapshot_preview1" "environ_get"
                 (func (param i32 i32) (result i32))))"#,
    )
    .unwrap();
    let info = crate::engine::info::parse(&wasm);
    let input = MapInput {
        policy: &policy,
        invocation: &invocation,
        info: Some(&info),
        calls: &[],
        calls_total: 0,
        denials: &[],
        denials_total: 0,
        host_env_total: Some(57),
        last_words: None,
    };
    let map = SandboxMap::build(&input, None);
    let env = map
        .doors
        .iter()
        .find(|d| d.kind == DoorKind::Environment)
        .unwrap();
    assert!(!env.granted);
    assert_eq!(env.host, "0 of 57 variables");
    // Arguments: not asked for, not granted, not drawn. The network is always drawn: none.
    assert!(map.doors.iter().all(|d| d.kind != DoorKind::Arguments));
    let network = map.doors.last().unwrap();
    assert_eq!((network.host.as_str(), network.granted), ("none", false));
    let svg = map.svg();
    assert!(svg.contains("class=\"door not-granted\""), "{svg}");
    assert!(svg.contains("nothing: no call was refused"), "{svg}");
}

#[test]
fn the_step_through_draws_the_calls_up_to_its_position_and_highlights_the_current_one() {
    let (policy, invocation) = class_policy();
    let calls = escape_calls();
    let input = MapInput {
        policy: &policy,
        invocation: &invocation,
        info: None,
        calls: &calls,
        calls_total: 6,
        denials: &[],
        denials_total: 2,
        host_env_total: None,
        last_words: None,
    };
    let map = SandboxMap::build(&input, Some(3));
    assert_eq!(map.calls_shown, 3);
    assert_eq!(map.doors[0].crossings, 2);
    assert!(map.refusals[0].current);
    assert!(!map.doors[0].current);
    assert_eq!(map.refusals[0].count, 1);
    let svg = map.svg();
    assert!(
        svg.contains("current call: path_open(fd=3 (/box) path=&quot;../etc/passwd&quot;)"),
        "{svg}"
    );
    assert!(
        svg.contains("3 calls: 2 through the doors, 1 stopped at the wall up to this step, of 6"),
        "{svg}"
    );
    let map = SandboxMap::build(&input, Some(2));
    assert!(map.doors[0].current);
    assert!(map.refusals.is_empty());
}

#[test]
fn a_million_calls_are_aggregated_into_a_bounded_map() {
    let (policy, invocation) = class_policy();
    let mut calls = Vec::with_capacity(1_000_000);
    for i in 0..1_000_000u32 {
        calls.push(match i % 4 {
            0 => call(
                "path_open",
                Capability::Filesystem,
                &format!("fd=3 (/box) path=\"f{i}\""),
                0,
            ),
            1 => call("fd_write", Capability::Stdio, "fd=1 (stdout) 1 bytes", 0),
            2 => call("clock_time_get", Capability::Clocks, "", 0),
            _ => {
                let mut refused = escape_attempt(&format!("../x{i}"), &format!("/tmp/class/x{i}"));
                // Every third refusal its own reason: still at most MAX_REFUSAL_ROWS drawn.
                if i % 3 == 0 {
                    refused.denial = Some(format!("reason {}", i % 97));
                }
                refused
            }
        });
    }
    let input = MapInput {
        policy: &policy,
        invocation: &invocation,
        info: None,
        calls: &calls,
        calls_total: 1_000_000,
        denials: &[],
        denials_total: 250_000,
        host_env_total: Some(3),
        last_words: None,
    };
    let map = SandboxMap::build(&input, None);
    assert_eq!(map.crossings() + map.refused(), 1_000_000);
    assert_eq!(map.doors[0].crossings, 250_000);
    assert_eq!(map.refused(), 250_000);
    assert!(map.refusals.len() <= 98, "{}", map.refusals.len());
    for refusal in &map.refusals {
        assert!(refusal.hosts.len() <= 3 && refusal.functions.len() <= 4);
    }
    let svg = map.svg();
    assert!(
        svg.len() < 40_000,
        "the SVG grew with the calls: {}",
        svg.len()
    );
    assert!(svg.contains("1000000 calls: 750000 through the doors, 250000 stopped"));
    assert!(
        svg.contains("other ways"),
        "the kinds past the bound are summed"
    );
}

#[test]
fn text_is_escaped_in_the_svg() {
    let (mut policy, invocation) = class_policy();
    policy.dirs[0].guest_path = "/<b>".to_owned();
    let input = MapInput {
        policy: &policy,
        invocation: &invocation,
        info: None,
        calls: &[],
        calls_total: 0,
        denials: &[],
        denials_total: 0,
        host_env_total: None,
        last_words: None,
    };
    let svg = SandboxMap::build(&input, None).svg();
    assert!(svg.contains("/&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
    assert_eq!(escape("a&'\""), "a&amp;&#39;&quot;");
}

#[test]
fn refusals_counted_with_the_call_log_off_are_said_in_words() {
    let (policy, invocation) = class_policy();
    let input = MapInput {
        policy: &policy,
        invocation: &invocation,
        info: None,
        calls: &[],
        calls_total: 0,
        denials: &[],
        denials_total: 7,
        host_env_total: None,
        last_words: None,
    };
    let map = SandboxMap::build(&input, None);
    assert_eq!(
        map.summary(),
        "0 calls: 0 through the doors, 7 stopped at the wall; 7 more refused, counted but not \
         drawn (past the calls kept)"
    );
}

#[test]
fn a_grouped_refusal_says_its_calls_reached_more_than_its_first_host_path() {
    // Issue #34: the row showed `/tmp/class/etc/passwd` alone while another call of the same
    // kind reached `/etc/passwd`.
    let (policy, invocation) = class_policy();
    let calls = escape_calls();
    let input = MapInput {
        policy: &policy,
        invocation: &invocation,
        info: None,
        calls: &calls,
        calls_total: calls.len() as u64,
        denials: &[],
        denials_total: 2,
        host_env_total: None,
        last_words: None,
    };
    let map = SandboxMap::build(&input, None);
    assert_eq!(map.refusals.len(), 1, "{:?}", map.refusals);
    assert_eq!(
        map.refusals[0].reach().as_deref(),
        Some("would reach /tmp/class/etc/passwd (and 1 other path)")
    );
    assert!(map.svg().contains("(and 1 other path)"));
    assert!(
        map.refusals[0]
            .tip()
            .contains("would reach host /etc/passwd")
    );
}
