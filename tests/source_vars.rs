//! Source-level variables from DWARF: a C program built `-O0 -g` prints its own variables and
//! traps; the state at the trap names the same variables, by their names in the source, with
//! the values the program printed.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use crate::common::dap as editor;
use crate::common::words;

use editor::Client;
use serde_json::{Value, json};
use wasmscope::engine::debug::SourceVariable;
use wasmscope::engine::{RunOutcome, SandboxPolicy, TrapInfo};
use words::c_guest;

/// The program's own words: `key=value` pairs it printed.
fn printed(stdout: &str, key: &str) -> String {
    stdout
        .split(|c: char| c.is_whitespace())
        .find_map(|word| word.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} not printed in {stdout}"))
        .to_owned()
}

fn variable<'a>(frame: &'a [SourceVariable], name: &str) -> &'a SourceVariable {
    frame
        .iter()
        .find(|v| v.name == name)
        .unwrap_or_else(|| panic!("no variable {name} in {frame:#?}"))
}

fn trapped() -> Option<(TrapInfo, String)> {
    let dir = tempfile::tempdir().unwrap();
    let wasm = c_guest(dir.path(), "shapes", words::C_SHAPES)?;
    Some(debug_trap(&wasm))
}

/// Runs `wasm` in debug mode; the trap it must end with, and what it printed.
fn debug_trap(wasm: &std::path::Path) -> (TrapInfo, String) {
    let name = wasm.file_name().unwrap().to_string_lossy();
    let ran = common::run_wasm(
        &name,
        std::fs::read(wasm).unwrap(),
        SandboxPolicy {
            debug: true,
            ..SandboxPolicy::default()
        },
    );
    let RunOutcome::Trapped { trap } = ran.report.outcome.clone() else {
        panic!("{:?}", ran.report.outcome);
    };
    (trap, ran.stdout)
}

#[test]
fn a_c_trap_shows_the_programs_variables_with_the_values_it_printed() {
    let Some((trap, stdout)) = trapped() else {
        return;
    };
    let frame = &trap.frames[0];
    assert_eq!(frame.func_name.as_deref(), Some("area"));
    let vars = &frame.state.as_ref().unwrap().variables;
    assert_eq!(variable(vars, "area").value, printed(&stdout, "area"));
    assert_eq!(variable(vars, "area").ty, "int");
    assert_eq!(variable(vars, "div").value, printed(&stdout, "div"));
    // The struct through its pointer, member by member.
    let s = variable(vars, "s");
    assert_eq!(s.ty, "struct shape *");
    assert!(s.value.starts_with("0x"), "{}", s.value);
    let shape = s.member("*s").unwrap();
    assert_eq!(
        shape.member("width").unwrap().value,
        printed(&stdout, "width")
    );
    assert_eq!(
        shape.member("height").unwrap().value,
        printed(&stdout, "height")
    );
    assert_eq!(
        shape.member("name").unwrap().value,
        format!("{:?}", printed(&stdout, "name"))
    );
    assert_eq!(shape.member("name").unwrap().ty, "char[8]");
    let color = printed(&stdout, "color");
    assert_eq!(
        shape.member("color").unwrap().value,
        format!("GREEN ({color})")
    );
    let label = &shape.member("label").unwrap().value;
    assert!(label.ends_with(" \"a box\""), "{label}");
    // Bitfields, each its own bits of one word.
    assert_eq!(
        shape.member("level").unwrap().value,
        printed(&stdout, "level")
    );
    assert_eq!(shape.member("on").unwrap().value, printed(&stdout, "on"));
    let flags = shape.member("flags").unwrap();
    // A character as gdb shows it: its number, then the character.
    assert_eq!(
        flags.member("[1]").unwrap().value,
        format!("{} '*'", printed(&stdout, "flags1"))
    );
    // The caller's own frame: its struct in place, and its `div`.
    // (wasi-libc calls a `main(void)` `__original_main` in the name section.)
    let caller = trap
        .frames
        .iter()
        .find(|f| f.func_name.as_deref().is_some_and(|n| n.ends_with("main")));
    let caller = &caller.unwrap().state.as_ref().unwrap().variables;
    let boxed = variable(caller, "box");
    assert_eq!(boxed.ty, "struct shape");
    assert_eq!(boxed.member("width").unwrap().value, "3");
    assert_eq!(
        boxed.address, shape.address,
        "the pointer points at main's box"
    );
    assert_eq!(variable(caller, "div").value, "0");
}

#[test]
fn an_editor_reads_the_same_variables_nested_and_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = c_guest(dir.path(), "shapes", words::C_SHAPES) else {
        return;
    };
    let mut dap = Client::running(&wasm);
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "exception", "{stopped}");
    let scopes = dap.ok("scopes", json!({ "frameId": 1 }));
    assert_eq!(scopes["scopes"][0]["name"], "Variables", "{scopes}");
    let named = |list: &Value, name: &str| -> Value {
        list["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {list}"))
            .clone()
    };
    let top = dap.ok(
        "variables",
        json!({ "variablesReference": scopes["scopes"][0]["variablesReference"] }),
    );
    assert_eq!(named(&top, "area")["value"], "12");
    let s = named(&top, "s");
    assert_eq!(s["type"], "struct shape *");
    let pointee = dap.ok(
        "variables",
        json!({ "variablesReference": s["variablesReference"] }),
    );
    let shape = named(&pointee, "*s");
    let members = dap.ok(
        "variables",
        json!({ "variablesReference": shape["variablesReference"] }),
    );
    assert_eq!(named(&members, "height")["value"], "4");
    assert_eq!(named(&members, "name")["value"], "\"box\"");
    // Paths as a watch or the debug console writes them.
    let evaluate = |dap: &mut Client, expression: &str, frame: i64| -> String {
        let answer = dap.ok(
            "evaluate",
            json!({ "expression": expression, "frameId": frame, "context": "watch" }),
        );
        answer["result"].as_str().unwrap().to_owned()
    };
    assert_eq!(evaluate(&mut dap, "s->width", 1), "3");
    assert_eq!(evaluate(&mut dap, "s->flags[1]", 1), "42 '*'");
    assert_eq!(evaluate(&mut dap, "s->color", 1), "GREEN (5)");
    assert_eq!(evaluate(&mut dap, "box.height", 2), "4");
    dap.ok("disconnect", json!({}));
}

#[test]
fn the_cli_prints_the_variables_under_the_trap() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = c_guest(dir.path(), "shapes", words::C_SHAPES) else {
        return;
    };
    let page = dir.path().join("report.html");
    let out = common::wasmscope(&[
        "run",
        "--debug",
        "--html",
        page.to_str().unwrap(),
        wasm.to_str().unwrap(),
    ]);
    let stderr = common::text(&out.stderr);
    assert!(
        stderr.contains("variables of frame 0 (from the DWARF):"),
        "{stderr}"
    );
    let line = |name: &str| {
        stderr
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} line in {stderr}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("area"), "area int 12");
    assert_eq!(line("height"), "height int 4");
    assert_eq!(line("name"), "name char[8] \"box\"");
    // The HTML report: the same tree, folding out, the guest's text escaped.
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("Variables of frame 0 (from the DWARF)"),
        "{html}"
    );
    assert!(html.contains("<b>height</b>: int = 4"), "{html}");
    assert!(
        html.contains("<b>name</b>: char[8] = &quot;box&quot;"),
        "{html}"
    );
}

/// A module with no code worth running and hand-made DWARF: a function over the whole code
/// section whose variable's type is hostile (`kind` picks how).
fn hostile_module(kind: &str) -> Vec<u8> {
    use gimli::write::{AttributeValue, DwarfUnit, EndianVec, Expression, Sections, UnitEntryId};
    let encoding = gimli::Encoding {
        format: gimli::Format::Dwarf32,
        version: 4,
        address_size: 4,
    };
    let mut dwarf = DwarfUnit::new(encoding);
    let root = dwarf.unit.root();
    let add = |dwarf: &mut DwarfUnit, parent: UnitEntryId, tag| dwarf.unit.add(parent, tag);
    let function = add(&mut dwarf, root, gimli::DW_TAG_subprogram);
    let entry = dwarf.unit.get_mut(function);
    entry.set(gimli::DW_AT_name, AttributeValue::String(b"f".to_vec()));
    entry.set(
        gimli::DW_AT_low_pc,
        AttributeValue::Address(gimli::write::Address::Constant(1)),
    );
    entry.set(gimli::DW_AT_high_pc, AttributeValue::Udata(1_000));
    // Frame base: wasm local 0.
    entry.set(
        gimli::DW_AT_frame_base,
        AttributeValue::Exprloc(Expression::raw(vec![0xed, 0x00, 0x00, 0x9f])),
    );
    let ty = add(
        &mut dwarf,
        root,
        match kind {
            "pointer" => gimli::DW_TAG_pointer_type,
            "array" => gimli::DW_TAG_array_type,
            _ => gimli::DW_TAG_structure_type,
        },
    );
    // The type is made of itself.
    dwarf
        .unit
        .get_mut(ty)
        .set(gimli::DW_AT_type, AttributeValue::UnitRef(ty));
    if kind == "array" {
        let range = add(&mut dwarf, ty, gimli::DW_TAG_subrange_type);
        dwarf
            .unit
            .get_mut(range)
            .set(gimli::DW_AT_count, AttributeValue::Udata(u64::MAX));
    }
    if kind == "struct" {
        dwarf
            .unit
            .get_mut(ty)
            .set(gimli::DW_AT_byte_size, AttributeValue::Udata(8));
        for i in 0..64 {
            let member = add(&mut dwarf, ty, gimli::DW_TAG_member);
            let entry = dwarf.unit.get_mut(member);
            entry.set(
                gimli::DW_AT_name,
                AttributeValue::String(format!("m{i}").into_bytes()),
            );
            entry.set(gimli::DW_AT_type, AttributeValue::UnitRef(ty));
            entry.set(gimli::DW_AT_data_member_location, AttributeValue::Udata(i));
        }
    }
    let variable = add(&mut dwarf, function, gimli::DW_TAG_variable);
    let entry = dwarf.unit.get_mut(variable);
    entry.set(gimli::DW_AT_name, AttributeValue::String(b"v".to_vec()));
    entry.set(gimli::DW_AT_type, AttributeValue::UnitRef(ty));
    // At the frame base + 16.
    entry.set(
        gimli::DW_AT_location,
        AttributeValue::Exprloc(Expression::raw(vec![0x91, 0x10])),
    );
    let mut sections = Sections::new(EndianVec::new(gimli::LittleEndian));
    dwarf.write(&mut sections).unwrap();
    // The module: one function of type () -> () with an empty body (its code section's
    // contents start at byte 20), then the DWARF as custom sections.
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend([0x01, 0x04, 0x01, 0x60, 0x00, 0x00]);
    wasm.extend([0x03, 0x02, 0x01, 0x00]);
    wasm.extend([0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b]);
    sections
        .for_each(|id, data| {
            let name = id.name().as_bytes();
            let data = data.slice();
            if !data.is_empty() {
                let mut body = vec![name.len() as u8];
                body.extend(name);
                body.extend(data);
                wasm.push(0);
                let mut size = body.len();
                loop {
                    let byte = (size & 0x7f) as u8;
                    size >>= 7;
                    wasm.push(if size > 0 { byte | 0x80 } else { byte });
                    if size == 0 {
                        break;
                    }
                }
                wasm.extend(body);
            }
            Ok::<(), gimli::write::Error>(())
        })
        .unwrap();
    wasm
}

#[test]
fn hostile_dwarf_types_end_in_a_bounded_answer() {
    use wasmscope::engine::debug::{FrameView, SourceInfo};
    let memory = vec![0x10u8; 1 << 16];
    for kind in ["pointer", "array", "struct"] {
        let wasm = hostile_module(kind);
        let info = SourceInfo::parse(&wasm).unwrap_or_else(|| panic!("{kind}: no DWARF read"));
        let started = std::time::Instant::now();
        let view = FrameView {
            pc: 20 + 10,
            locals: &[Some(0x100)],
            globals: &[],
            stack: &[],
            memory: &memory,
        };
        let vars = info.variables(&view);
        assert_eq!(vars.len(), 1, "{kind}: {vars:?}");
        assert_eq!(vars[0].name, "v");
        assert_eq!(
            vars[0].address,
            Some(0x110),
            "{kind}: the frame base plus 16"
        );
        fn count(v: &SourceVariable) -> usize {
            1 + v.members.iter().map(count).sum::<usize>()
        }
        assert!(
            count(&vars[0]) <= 4_096,
            "{kind}: {} values",
            count(&vars[0])
        );
        assert!(
            started.elapsed().as_secs() < 5,
            "{kind}: took {:?}",
            started.elapsed()
        );
    }
}

/// Panics dividing by zero in `average`, with a struct of a `String`, a `Vec<u32>`, a `&str`
/// and an `Option<&str>`; prints what it has first.
const TEAM: &str = r#"struct Team {
    name: String,
    scores: Vec<u32>,
    motto: &'static str,
    captain: Option<&'static str>,
}

fn average(team: &Team, games: u32) -> u32 {
    let total: u32 = team.scores.iter().sum();
    println!("name={} scores={} motto={} total={} captain={}", team.name, team.scores.len(),
        team.motto, total, team.captain.unwrap_or("-"));
    total / games
}

fn main() {
    let team = Team {
        name: String::from("owls"),
        scores: vec![3, 5, 8],
        motto: "hoot",
        captain: Some("ada"),
    };
    let games = std::env::args().count() as u32 - 1;
    println!("{}", average(&team, games));
}
"#;

#[test]
fn a_rust_panic_shows_strings_vectors_and_options_as_the_program_printed_them() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = words::rust_guest(dir.path(), "team", TEAM) else {
        return;
    };
    let (trap, stdout) = debug_trap(&wasm);
    let frame = trap
        .frames
        .iter()
        .find(|f| {
            f.func_name
                .as_deref()
                .is_some_and(|n| n.starts_with("team::average"))
        })
        .unwrap();
    let vars = &frame.state.as_ref().unwrap().variables;
    let stdout = &stdout;
    assert_eq!(
        variable(vars, "total").value,
        printed(stdout, "total"),
        "{vars:#?}"
    );
    let team = variable(vars, "team");
    assert_eq!(team.ty, "&team::Team", "{team:#?}");
    let team = team.member("*team").unwrap();
    assert_eq!(
        team.member("name").unwrap().value,
        format!("{:?}", printed(stdout, "name"))
    );
    assert_eq!(
        team.member("motto").unwrap().value,
        format!("{:?}", printed(stdout, "motto"))
    );
    let scores = team.member("scores").unwrap();
    assert_eq!(scores.value, "len 3: [3, 5, 8]", "{scores:#?}");
    assert_eq!(scores.member("[2]").unwrap().value, "8");
    let captain = team.member("captain").unwrap();
    assert_eq!(
        captain.value,
        format!("Some({:?})", printed(stdout, "captain")),
        "{captain:#?}"
    );
    // The CLI prints the program's own frame's variables, past the panic machinery.
    let out = common::wasmscope(&["run", "--debug", wasm.to_str().unwrap()]);
    let stderr = common::text(&out.stderr);
    let header = stderr.lines().find(|l| l.starts_with("variables of frame"));
    assert!(
        header.is_some_and(|h| h.contains(", team::average")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.trim_start().starts_with("scores")
                && l.trim_end().ends_with("len 3: [3, 5, 8]")),
        "{stderr}"
    );
}

#[test]
fn a_breakpoint_by_source_line_stops_on_that_line_or_the_next_with_code() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = c_guest(dir.path(), "shapes", words::C_SHAPES) else {
        return;
    };
    let wasm = wasm.to_str().unwrap();
    // Line 21 is `return area / div;`: a logpoint there prints area's locals once.
    let out = common::wasmscope(&["run", "--break", "shapes.c:21", wasm]);
    let stderr = common::text(&out.stderr);
    assert!(stderr.contains("break shapes.c:21 (area+0x"), "{stderr}");
    // The hit's line names the program's own variables, as it printed them.
    let hit = stderr.lines().find(|l| l.contains(" hit 1: ")).unwrap();
    assert!(
        hit.contains(" s=0x") && hit.contains(" div=0 area=12"),
        "{hit}"
    );
    assert!(stderr.contains("): 1 hit"), "{stderr}");
    // The program's `main` (clang names it `__original_main`) is its own frame, not libc's.
    assert!(stderr.contains("__original_main"), "{stderr}");
    // Line 15 is blank: the breakpoint moves to line 16, and says so.
    let out = common::wasmscope(&["run", "--break", "shapes.c:15", wasm]);
    let stderr = common::text(&out.stderr);
    assert!(stderr.contains("shapes.c:16 ("), "{stderr}");
    assert!(stderr.contains("line 15 has no code"), "{stderr}");
    // A file the module has no code from is refused before the run, naming the program's file.
    let out = common::wasmscope(&["run", "--break", "elsewhere.c:3", wasm]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = common::text(&out.stderr);
    assert!(stderr.contains("no code at elsewhere.c:3"), "{stderr}");
    assert!(stderr.contains("shapes.c"), "{stderr}");
}

/// `wasm` without its name section (as a stripped release build ships), the rest as it was.
fn without_names(wasm: &[u8]) -> Vec<u8> {
    let mut out = wasm[..8].to_vec();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        let payload = payload.unwrap();
        if let wasmparser::Payload::CustomSection(reader) = &payload
            && reader.name() == "name"
        {
            continue;
        }
        if let Some((_, range)) = payload.as_section() {
            // The section's id byte and its size (LEB128) come before its contents.
            let mut size = range.len();
            let mut size_bytes = 1;
            while size >= 0x80 {
                size >>= 7;
                size_bytes += 1;
            }
            out.extend(&wasm[range.start - size_bytes - 1..range.end]);
        }
    }
    out
}

#[test]
fn without_a_name_section_the_frames_are_named_from_the_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = c_guest(dir.path(), "shapes", words::C_SHAPES) else {
        return;
    };
    let stripped = without_names(&std::fs::read(&wasm).unwrap());
    assert!(wasmparser::Validator::new().validate_all(&stripped).is_ok());
    let ran = common::run_wasm(
        "stripped.wasm",
        stripped,
        SandboxPolicy {
            debug: true,
            ..SandboxPolicy::default()
        },
    );
    let RunOutcome::Trapped { trap } = &ran.report.outcome else {
        panic!("{:?}", ran.report.outcome);
    };
    let names: Vec<_> = trap.frames.iter().map(|f| f.func_name.as_deref()).collect();
    assert_eq!(names[0], Some("area"), "{names:?}");
    assert!(names.contains(&Some("main")), "{names:?}");
}

/// Pauses the C test guest at a breakpoint on `function`; the source shown there.
fn source_when_paused_in(function: &str) -> Option<wasmscope::engine::debug::SourceContext> {
    use wasmscope::engine::debug::{self, BreakAction};
    let dir = tempfile::tempdir().unwrap();
    let wasm = std::fs::read(c_guest(dir.path(), "shapes", words::C_SHAPES)?).unwrap();
    let at = debug::resolve_breakpoint(&wasm, function, BreakAction::Pause).unwrap();
    let request = wasmscope::engine::RunRequest {
        name: "shapes.wasm".to_owned(),
        wasm: std::sync::Arc::from(wasm),
        precompiled: None,
        policy: SandboxPolicy {
            debug: true,
            ..SandboxPolicy::default()
        },
        invocation: Default::default(),
        info: None,
    };
    let handle = wasmscope::runner::spawn_with_breakpoints(request, vec![at], None).unwrap();
    let paused = common::next_pause(&handle).unwrap();
    handle.cancel();
    Some(
        paused
            .source
            .clone()
            .expect("a module with DWARF says something of the source"),
    )
}

#[test]
fn a_function_the_linker_made_has_no_source_and_no_warning_of_corrupt_dwarf() {
    // Issue #34: "DWARF may be incomplete or corrupt" at `_start.command_export` on an
    // ordinary clang -O0 -g build. The linker made that function: no DWARF describes it.
    let Some(source) = source_when_paused_in("_start.command_export") else {
        return;
    };
    let note = source.note.unwrap_or_default();
    assert!(note.contains("the DWARF does not describe it"), "{note}");
    assert!(!note.contains("corrupt"), "{note}");
    // A function of the program has its line, and no note.
    let source = source_when_paused_in("area").unwrap();
    assert_eq!(source.note, None);
    assert!(source.file.ends_with("shapes.c"), "{}", source.file);
}

#[test]
fn a_trap_shows_the_globals_of_the_functions_source_file_as_they_are_then() {
    // Issue #32: the globals of the compilation unit, beside the frame's own variables.
    let dir = tempfile::tempdir().unwrap();
    let Some(wasm) = c_guest(dir.path(), "globals", words::C_GLOBALS) else {
        return;
    };
    let (trap, _) = debug_trap(&wasm);
    assert_eq!(trap.frames[0].func_name.as_deref(), Some("bump"));
    let globals = &trap.frames[0].state.as_ref().unwrap().unit_globals;
    // 7 + 2: the value at the trap, not the one the program started with.
    assert_eq!(variable(globals, "counter").value, "9");
    assert_eq!(variable(globals, "counter").ty, "int");
    assert!(
        variable(globals, "motto").value.contains("\"keep going\""),
        "{globals:#?}"
    );
    assert_eq!(variable(globals, "origin").value, "{ x = 2, y = 3 }");
    // A global nothing uses is dropped by the linker: not shown with a made-up address.
    assert!(!globals.iter().any(|g| g.name == "unused"), "{globals:#?}");
    // The CLI prints them under the frame's variables.
    let out = common::wasmscope(&["run", "--debug", wasm.to_str().unwrap()]);
    let stderr = common::text(&out.stderr);
    assert!(stderr.contains("globals of its source file:"), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["counter", "int", "9"]),
        "{stderr}"
    );
}
