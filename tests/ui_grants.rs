//! Grants belong to a module (issue #13, item 1): folders, environment, arguments, stdin and
//! the invoked export given to one module never follow the user to the next module or to the
//! next start, except as the same module's own grants, restored visibly.

#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use wasmscope::ui::App;

use crate::common;
use common::ui::*;

/// Gives the loaded module a read-write folder, a variable and an argument, then runs it.
fn grant_and_run(harness: &mut Harness<'_, App>, folder: &std::path::Path) {
    let grants = harness.state_mut().grants_mut();
    grants.add_folder(folder.to_path_buf());
    grants.dirs[0].read_only = false;
    grants.env.push(("TOKEN".into(), "trusted".into()));
    grants.args_text = "one".into();
    harness.step();
    run(harness);
}

#[test]
fn a_newly_opened_module_starts_with_no_grants() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness();
    open(&mut harness, "write_file.wat");
    grant_and_run(&mut harness, dir.path());

    // Another module: nothing of the first one's grants, and no banner.
    open(&mut harness, "escape_attempts.wat");
    let grants = harness.state_mut().grants_mut().clone();
    assert!(grants.dirs.is_empty(), "{grants:?}");
    assert!(grants.env.is_empty() && grants.args_text.is_empty());
    assert!(!harness.state().grants_restored());
    assert!(shows_text(&harness, "Folders (none)"));
    assert!(!shows_text(&harness, "Restored from your last run"));
}

#[test]
fn reopening_the_same_module_restores_its_grants_with_a_banner_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness();
    open(&mut harness, "write_file.wat");
    grant_and_run(&mut harness, dir.path());
    open(&mut harness, "hello.wat");
    open(&mut harness, "write_file.wat");

    assert!(harness.state().grants_restored());
    assert!(shows_text(
        &harness,
        "Restored from your last run of this module"
    ));
    assert!(shows_text(
        &harness,
        "1 folder (read-write), 1 variable, arguments"
    ));
    assert!(shows_text(
        &harness,
        "It may change files in a read-write folder."
    ));
    assert_eq!(
        harness.state_mut().grants_mut().dirs[0].host_path,
        dir.path()
    );

    harness.get_by_label("Clear grants").click();
    harness.run_steps(2);
    assert!(!shows_text(&harness, "Restored from your last run"));
    assert!(harness.state_mut().grants_mut().dirs.is_empty());
    // Cleared grants stay forgotten.
    open(&mut harness, "hello.wat");
    open(&mut harness, "write_file.wat");
    assert!(!harness.state().grants_restored());
    assert!(harness.state_mut().grants_mut().dirs.is_empty());
}

#[test]
fn after_a_restart_only_the_same_module_gets_its_grants_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut harness = harness();
    open(&mut harness, "write_file.wat");
    grant_and_run(&mut harness, dir.path());
    let saved = serde_json::to_string(harness.state().state()).unwrap();
    drop(harness);

    // The next start: an untrusted module opened first gets nothing.
    let mut harness = Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(move |_cc| App::with_state(serde_json::from_str(&saved).unwrap()));
    open(&mut harness, "escape_attempts.wat");
    assert!(harness.state_mut().grants_mut().dirs.is_empty());
    assert!(!shows_text(&harness, "Restored from your last run"));
    // The module that had them gets them back, visibly.
    open(&mut harness, "write_file.wat");
    assert!(shows_text(
        &harness,
        "Restored from your last run of this module"
    ));
    assert_eq!(harness.state_mut().grants_mut().dirs.len(), 1);
}

#[test]
fn a_folder_holding_wasmscopes_key_is_refused_with_no_way_to_allow_it() {
    common::process_key_dir();
    let key_dir = wasmscope::engine::own_files::key_dir().unwrap();
    std::fs::create_dir_all(&key_dir).unwrap();
    let mut harness = harness();
    open(&mut harness, "hello.wat");
    harness
        .state_mut()
        .grants_mut()
        .add_folder(key_dir.parent().unwrap().to_path_buf());
    harness.step();
    assert!(shows_text(
        &harness,
        "The run refuses it, whatever you allow"
    ));
    assert!(
        harness.query_by_label("Allow this folder").is_none(),
        "no button lifts it"
    );
    run(&mut harness);
    assert!(
        !labels_containing(&harness, "wasmscope's key folder").is_empty(),
        "the refusal names the folder"
    );
    assert!(!shows_text(&harness, "Hello from the sandbox!"));
}
