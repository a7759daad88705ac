//! Issue 37 in the window: the Outcome panel leads with the guest's own words, says where they
//! were read, and folds the runtime's frames so the program's own frame comes first.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use egui_kittest::kittest::Queryable;

use crate::common;
use crate::common::words;
use common::ui::*;

#[test]
fn the_outcome_leads_with_the_panic_and_folds_the_panic_machinery() {
    let dir = tempfile::tempdir().unwrap();
    let guest = dir.path().join("names.wat");
    std::fs::write(
        &guest,
        words::dying_guest(
            "thread 'main' panicked at 'attempt to divide by zero', names.rs:7:5\n",
            "unreachable",
            words::PANIC_CHAIN,
        ),
    )
    .unwrap();
    let mut harness = harness();
    harness.state_mut().open_path(guest);
    wait_idle(&mut harness);
    run(&mut harness);
    assert!(shows_text(
        &harness,
        "Rust panic: attempt to divide by zero — names.rs:7:5"
    ));
    assert!(shows_text(&harness, "Read from the guest's stderr"));
    assert!(shows_text(&harness, "It then trapped: wasm `unreachable`"));
    assert!(shows(&harness, "3 frames"), "one row for the three");
    assert!(shows(&harness, "Rust panic machinery"));
    assert!(!shows_text(&harness, "__rust_start_panic"), "folded");
    assert!(
        shows_text(&harness, "names::score"),
        "the user's frame is shown"
    );
    harness.get_by_label("Show every frame").click();
    harness.run();
    assert!(
        shows_text(&harness, "__rust_start_panic"),
        "unfolded on request"
    );
    // Issue #37: the sandbox map says why the guest died, in its words.
    common::window::open_map(&mut harness);
    assert!(
        shows_text(
            &harness,
            "It died: Rust panic: attempt to divide by zero — names.rs:7:5"
        ),
        "{:?}",
        labels_containing(&harness, "It died")
    );
}

#[test]
fn a_fake_panic_then_a_normal_exit_shows_no_cause() {
    let dir = tempfile::tempdir().unwrap();
    let guest = dir.path().join("fake.wat");
    std::fs::write(
        &guest,
        words::dying_guest(
            "thread 'main' panicked at 'not really', fake.rs:1:1\n",
            "i32.const 0 call $exit",
            &["main"],
        ),
    )
    .unwrap();
    let mut harness = harness();
    harness.state_mut().open_path(guest);
    wait_idle(&mut harness);
    run(&mut harness);
    assert!(shows_text(&harness, "EXITED 0"));
    assert!(!shows_text(&harness, "Read from the guest's stderr"));
}
