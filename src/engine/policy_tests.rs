//! Tests of `policy.rs`.

use super::*;

#[test]
fn sizes_parse_in_human_and_plain_units() {
    assert_eq!(parse_bytes("65536"), Ok(65536));
    assert_eq!(parse_bytes("64KiB"), Ok(64 * 1024));
    assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
    assert_eq!(parse_bytes("4GiB"), Ok(4 << 30));
    let err = parse_bytes("lots").unwrap_err().to_string();
    assert!(err.contains("invalid size `lots`"), "{err}");
}

#[test]
fn durations_default_to_seconds() {
    assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert!(
        parse_duration("soon")
            .unwrap_err()
            .to_string()
            .contains("invalid duration")
    );
}

#[test]
fn dir_specs_follow_wasmtime() {
    let grant = DirGrant::parse("./data::/data", true).unwrap();
    assert_eq!(grant.host_path, PathBuf::from("./data"));
    assert_eq!(grant.guest_path, "/data");
    assert!(grant.read_only);
    assert_eq!(DirGrant::parse("tmp", false).unwrap().guest_path, "tmp");
    assert!(DirGrant::parse("::/x", false).is_err());
    // A host folder named with `::` (split at the last one); never a guest path ending
    // in `::`.
    let grant = DirGrant::parse("/srv/a::b::/data", false).unwrap();
    assert_eq!(grant.host_path, PathBuf::from("/srv/a::b"));
    assert_eq!(grant.guest_path, "/data");
    assert!(DirGrant::parse("/srv/data::/d::", false).is_err());
}

#[test]
fn default_policy_is_safe() {
    let policy = SandboxPolicy::default();
    assert!(policy.dirs.is_empty() && policy.env.is_empty());
    assert_eq!(Invocation::default().stdin, StdinSource::Empty);
    assert_eq!(policy.max_memory_bytes, 256 << 20);
    assert_eq!(policy.timeout_ms, Some(10_000));
}

#[test]
fn each_limit_has_one_range_and_one_message() {
    let err = Limit::MaxWasmStack.parse("1KiB").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the wasm stack must be between 16 KiB and 1 GiB, not 1 KiB"
    );
    assert_eq!(Limit::MaxWasmStack.parse("512KiB"), Ok(512 * 1024));
    assert_eq!(Limit::Timeout.parse("2s"), Ok(2_000));
    assert_eq!(Limit::MaxTableElements.parse("100_000"), Ok(100_000));
    for limit in Limit::ALL {
        let (usual, range) = (limit.usual_range(), limit.range());
        assert!(
            range.contains(usual.start()) && range.contains(usual.end()),
            "{limit:?}: the slider stays inside the accepted range"
        );
    }
    let policy = SandboxPolicy {
        max_wasm_stack_bytes: 2 << 30,
        ..SandboxPolicy::default()
    };
    assert!(policy.validate().is_err());
    assert_eq!(policy.clamped().max_wasm_stack_bytes, 1 << 30);
    assert_eq!(SandboxPolicy::default().validate(), Ok(()));
    let wild = SandboxPolicy {
        max_wasm_stack_bytes: usize::MAX,
        timeout_ms: Some(0),
        ..SandboxPolicy::default()
    }
    .clamped();
    assert_eq!(wild.validate(), Ok(()));
    assert_eq!(wild.timeout_ms, Some(1));
}
