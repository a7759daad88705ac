//! `wasmscope dap` driven as an editor drives it: framed JSON over the process's stdin and
//! stdout, a whole session from `initialize` to `disconnect`, with time travel.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use crate::common::dap as editor;
use crate::common::words;

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use editor::Client;

#[test]
fn a_whole_session_stops_steps_back_and_ends() {
    let mut dap = Client::start();
    let capabilities = dap.ok("initialize", json!({ "adapterID": "wasmscope" }));
    for capability in [
        "supportsStepBack",
        "supportsFunctionBreakpoints",
        "supportsInstructionBreakpoints",
        "supportsReadMemoryRequest",
        "supportsDisassembleRequest",
        "supportsConfigurationDoneRequest",
        "supportsExceptionInfoRequest",
    ] {
        assert_eq!(capabilities[capability], true, "{capability}");
    }
    let program = common::sample("who_wrote_me");
    dap.ok(
        "launch",
        json!({ "program": program, "type": "wasmscope", "request": "launch" }),
    );
    dap.event("initialized");
    let set = dap.ok(
        "setFunctionBreakpoints",
        json!({ "breakpoints": [{ "name": "set_name" }, { "name": "nope" }] }),
    );
    assert_eq!(set["breakpoints"][0]["verified"], true);
    assert_eq!(set["breakpoints"][1]["verified"], false);
    let why = set["breakpoints"][1]["message"].as_str().unwrap();
    assert!(why.contains("no function is named `nope`"), "{why}");
    dap.ok("setExceptionBreakpoints", json!({ "filters": ["traps"] }));
    dap.ok("configurationDone", json!({}));

    // The first call of set_name, from _start, with the good pointer.
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "function breakpoint", "{stopped}");
    let top = dap.top_frame();
    assert_eq!(top["name"], "set_name");
    assert!(
        top["instructionPointerReference"]
            .as_str()
            .unwrap()
            .starts_with("0x")
    );
    assert_eq!(dap.local("ptr"), "512");
    // Watch expressions and hovers read the stop: a local, memory through it, a global.
    let frame = top["id"].clone();
    let evaluated = dap.ok("evaluate", json!({ "expression": "ptr", "frameId": frame }));
    assert_eq!(evaluated["result"], "512");
    assert_eq!(evaluated["memoryReference"], "0x200");
    let message = dap.refused(
        "evaluate",
        json!({ "expression": "nope", "frameId": frame }),
    );
    assert!(
        message.contains("no local or global is called `nope`"),
        "{message}"
    );
    let word = dap.ok(
        "evaluate",
        json!({ "expression": "*(u8*)ptr", "frameId": frame }),
    );
    assert!(
        word["result"].as_str().unwrap().parse::<u8>().is_ok(),
        "{word}"
    );

    // Continue: the name is printed, then greet's call with the bad pointer.
    dap.ok("continue", json!({ "threadId": 1 }));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "function breakpoint");
    assert_eq!(dap.local("ptr"), (0x200 + 0x10000).to_string());
    assert_eq!(dap.stdout(), "guest\n");

    // Continue: the trap stops the session, explained.
    dap.ok("continue", json!({ "threadId": 1 }));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "exception", "{stopped}");
    let info = dap.ok("exceptionInfo", json!({ "threadId": 1 }));
    assert_eq!(info["exceptionId"], "MemoryOutOfBounds");
    assert!(
        info["description"]
            .as_str()
            .unwrap()
            .contains("outside its linear memory"),
        "{info}"
    );
    let at_trap = dap.top_frame();
    assert_eq!(at_trap["name"], "print_name");

    // Step back: the instruction before the trapping one, in the same function.
    dap.ok("stepBack", json!({ "threadId": 1 }));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "step");
    let before = dap.top_frame();
    assert_eq!(before["name"], "print_name");
    assert_ne!(
        before["instructionPointerReference"],
        at_trap["instructionPointerReference"]
    );

    // Reverse continue: back to greet's call of set_name.
    dap.ok("reverseContinue", json!({ "threadId": 1 }));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "function breakpoint");
    assert_eq!(dap.top_frame()["name"], "set_name");
    assert_eq!(dap.local("ptr"), (0x200 + 0x10000).to_string());

    // Memory as it is there: the name the data segment holds, in base64.
    let memory = dap.ok(
        "readMemory",
        json!({ "memoryReference": "0x200", "count": 6 }),
    );
    assert_eq!(memory["data"], "Z3Vlc3QK", "\"guest\\n\"");
    assert_eq!(memory["unreadableBytes"], 0);

    // The code view's text around the current instruction.
    let ip = dap.top_frame()["instructionPointerReference"].clone();
    let code = dap.ok(
        "disassemble",
        json!({ "memoryReference": ip, "instructionCount": 3 }),
    );
    let listed = code["instructions"].as_array().unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0]["address"], ip);
    assert!(listed[0]["instruction"].as_str().unwrap().contains("i32."));

    // Bad input is answered, and the session goes on.
    let message = dap.refused("frobnicate", json!({}));
    assert!(
        message.contains("unknown request `frobnicate`"),
        "{message}"
    );
    // A message that is not a request has no sequence number to answer: it is reported.
    dap.write_raw(b"Content-Length: 5\r\n\r\n{oops");
    let told = dap.next();
    assert_eq!(told["event"], "output", "{told}");
    assert_eq!(told["body"]["category"], "important");
    assert!(
        told["body"]["output"]
            .as_str()
            .unwrap()
            .contains("ignored a malformed message")
    );
    let seq = dap.send("scopes", json!({ "frameId": 99 }));
    let refused = dap.response(seq);
    assert!(refused["message"].as_str().unwrap().contains("no frame 99"));

    // Continue: travelling back does not change the story, the trap stops the session again;
    // then the run is over, and the output came once.
    dap.ok("continue", json!({ "threadId": 1 }));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "exception", "{stopped}");
    assert_eq!(dap.top_frame()["name"], "print_name");
    dap.ok("continue", json!({ "threadId": 1 }));
    let exited = dap.event("exited");
    assert_eq!(exited["exitCode"], 134);
    dap.event("terminated");
    assert_eq!(dap.stdout(), "guest\n");
    dap.ok("disconnect", json!({}));
    assert_eq!(dap.wait_exit(), Some(0));
}

#[test]
fn stop_on_entry_and_a_bad_launch_are_answered() {
    let mut dap = Client::start();
    dap.ok("initialize", json!({}));
    let message = dap.refused("launch", json!({ "program": "/no/such/module.wasm" }));
    assert!(message.contains("no such file"), "{message}");
    // Nothing granted unless given: a folder that is not there is refused before anything runs.
    let seq = dap.send(
        "launch",
        json!({ "program": common::sample("hello"), "dirs": [{ "host": "/no/such/dir" }] }),
    );
    let refused = dap.response(seq);
    assert_eq!(refused["success"], false, "{refused}");

    dap.ok(
        "launch",
        json!({ "program": common::sample("hello"), "stopOnEntry": true }),
    );
    dap.event("initialized");
    dap.ok("configurationDone", json!({}));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "entry");
    // The first instruction: nothing before it.
    let seq = dap.send("stepBack", json!({ "threadId": 1 }));
    let refused = dap.response(seq);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("first instruction")
    );
    dap.ok("continue", json!({ "threadId": 1 }));
    let exited = dap.event("exited");
    assert_eq!(exited["exitCode"], 0);
    assert!(dap.stdout().contains("Hello"), "{}", dap.stdout());
    dap.ok("disconnect", json!({}));
    assert_eq!(dap.wait_exit(), Some(0));
}

#[test]
fn a_closed_stdin_ends_the_guest_and_the_adapter() {
    let mut dap = Client::start();
    dap.ok("initialize", json!({}));
    dap.ok(
        "launch",
        json!({ "program": common::sample("infinite_loop"), "timeout": "60s" }),
    );
    dap.event("initialized");
    dap.ok("configurationDone", json!({}));
    let started = Instant::now();
    dap.stdin = None;
    dap.wait_exit();
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn a_source_line_breakpoint_stops_there_and_the_frame_names_its_file_and_line() {
    // who_wrote_me.wat with a line table: the Nth instruction is line N of /src/main.c, so
    // line 1 is set_name's first instruction.
    let wasm = wat::parse_file(common::sample("who_wrote_me")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("lines.wasm");
    std::fs::write(&program, common::with_line_table(&wasm)).unwrap();

    let mut dap = Client::start();
    dap.ok("initialize", json!({}));
    dap.ok("launch", json!({ "program": program }));
    dap.event("initialized");
    let set = dap.ok(
        "setBreakpoints",
        json!({
            "source": { "path": "/home/me/project/src/main.c" },
            "breakpoints": [{ "line": 1 }, { "line": 9999 }],
        }),
    );
    assert_eq!(set["breakpoints"][0]["verified"], true, "{set}");
    assert_eq!(set["breakpoints"][1]["verified"], false);
    assert!(
        set["breakpoints"][1]["message"]
            .as_str()
            .unwrap()
            .contains("no code for line 9999"),
        "{set}"
    );
    dap.ok("configurationDone", json!({}));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "breakpoint", "{stopped}");
    let top = dap.top_frame();
    assert_eq!(top["name"], "set_name");
    assert_eq!(top["line"], 1);
    assert!(
        top["source"]["path"].as_str().unwrap().ends_with("main.c"),
        "{top}"
    );
    assert_eq!(top["source"]["name"], "main.c");
    dap.ok("disconnect", json!({}));
    assert_eq!(dap.wait_exit(), Some(0));
}

/// The adapter's resident memory, from /proc (Linux).
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

#[test]
fn launch_takes_program_as_a_path_and_names_an_argument_it_does_not_know() {
    let mut dap = Client::start();
    dap.ok("initialize", json!({}));
    // A flag spelled as the program is a file name like any other.
    let seq = dap.send("launch", json!({ "program": "--env=ADAPTER_SECRET" }));
    let refused = dap.response(seq);
    assert_eq!(refused["success"], false, "{refused}");
    let message = refused["message"].as_str().unwrap();
    assert!(
        message.contains("no such file: --env=ADAPTER_SECRET"),
        "{message}"
    );
    let message = dap.refused(
        "launch",
        json!({ "program": "--allow-host-dir", "dirs": [{ "host": "/" }] }),
    );
    assert!(message.contains("/ is "), "the root is refused: {message}");
    // An argument the adapter does not take is an error, never ignored.
    let message = dap.refused(
        "launch",
        json!({ "program": common::sample("hello"), "allowHostDir": true }),
    );
    assert!(
        message.starts_with("unknown launch argument `allowHostDir`"),
        "{message}"
    );
    // A grant of the key's folder, as from the command line: the adapter's own (it follows
    // XDG_DATA_HOME; this test process may keep its key elsewhere).
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::home_dir().map(|h| h.join(".local").join("share")))
        .unwrap()
        .join("wasmscope");
    std::fs::create_dir_all(&data).unwrap();
    let message = dap.refused(
        "launch",
        json!({ "program": common::sample("hello"), "dirs": [{ "host": data, "readonly": true }] }),
    );
    assert!(message.contains("wasmscope's key folder"), "{message}");
    dap.ok("disconnect", json!({}));
}

#[test]
fn messages_over_a_mebibyte_are_refused_and_a_flood_does_not_grow_the_adapter() {
    let mut dap = Client::start();
    dap.ok("initialize", json!({}));
    let pid = dap.child.id();
    let before = rss_bytes(pid);
    // 64 messages of 8 MiB each, none of which is read into memory.
    let body = vec![b' '; 8 << 20];
    let writer = {
        let mut stdin = dap.stdin.take().unwrap();
        std::thread::spawn(move || {
            for _ in 0..64 {
                let header = format!("Content-Length: {}\r\n\r\n", body.len());
                if stdin.write_all(header.as_bytes()).is_err() || stdin.write_all(&body).is_err() {
                    return None;
                }
            }
            Some(stdin)
        })
    };
    // Not requests, so no responses: the user is told, once each.
    let mut refusals = 0;
    while refusals < 64 {
        let message = dap.next();
        assert_ne!(message["type"], "response", "{message}");
        if message["event"] == "output" && message["body"]["category"] == "important" {
            let text = message["body"]["output"].as_str().unwrap_or_default();
            assert!(text.contains("8388608 bytes"), "{message}");
            refusals += 1;
        }
    }
    let grown = rss_bytes(pid).saturating_sub(before);
    assert!(grown < 64 << 20, "the adapter grew by {grown} bytes");
    dap.stdin = writer.join().unwrap();
    dap.ok("disconnect", json!({}));
}

#[test]
fn a_trap_after_a_python_traceback_stops_with_the_guests_own_words() {
    let dir = tempfile::tempdir().unwrap();
    let guest = dir.path().join("py.wat");
    let traceback = "Traceback (most recent call last):\n  File \"app.py\", line 6, in run\n    \
                     print(1 / 0)\nZeroDivisionError: division by zero\n";
    std::fs::write(
        &guest,
        words::dying_guest(traceback, "unreachable", &["run"]),
    )
    .unwrap();
    let mut dap = Client::running(&guest);
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "exception", "{stopped}");
    assert_eq!(
        stopped["description"],
        "Python ZeroDivisionError: division by zero — app.py:6"
    );
    assert!(
        stopped["text"]
            .as_str()
            .unwrap()
            .ends_with("then it trapped: wasm `unreachable` instruction executed"),
        "{stopped}"
    );
    let info = dap.ok("exceptionInfo", json!({ "threadId": 1 }));
    assert_eq!(info["exceptionId"], "ZeroDivisionError");
    assert_eq!(info["details"]["typeName"], "ZeroDivisionError");
    dap.ok("disconnect", json!({}));
}

/// A session of who_wrote_me (it traps out of bounds) with these exception filters: whether
/// it stopped at the trap, and the exit code when it did not.
fn session_with_filters(filters: Value) -> (bool, Option<i64>) {
    let mut dap = Client::start();
    let capabilities = dap.ok("initialize", json!({}));
    let offered: Vec<&str> = capabilities["exceptionBreakpointFilters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filter"].as_str().unwrap())
        .collect();
    assert_eq!(
        offered,
        ["traps", "unreachable", "memory", "arithmetic", "stack"]
    );
    dap.ok(
        "launch",
        json!({ "program": common::sample("who_wrote_me") }),
    );
    dap.event("initialized");
    dap.ok("setExceptionBreakpoints", json!({ "filters": filters }));
    dap.ok("configurationDone", json!({}));
    loop {
        let message = dap.next();
        if message["event"] == "stopped" {
            assert_eq!(message["body"]["reason"], "exception", "{message}");
            dap.ok("disconnect", json!({}));
            return (true, None);
        }
        if message["event"] == "exited" {
            return (false, message["body"]["exitCode"].as_i64());
        }
    }
}

#[test]
fn exception_filters_choose_which_traps_stop_the_session() {
    assert_eq!(session_with_filters(json!(["memory"])), (true, None));
    assert_eq!(session_with_filters(json!(["traps"])), (true, None));
    // The trap is out of bounds: a filter for divisions lets it end the run.
    assert_eq!(
        session_with_filters(json!(["arithmetic"])),
        (false, Some(134))
    );
    assert_eq!(session_with_filters(json!([])), (false, Some(134)));
    let mut dap = Client::start();
    dap.ok("initialize", json!({}));
    let seq = dap.send(
        "setExceptionBreakpoints",
        json!({ "filters": ["everything"] }),
    );
    let refused = dap.response(seq);
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("unknown exception filter `everything`"),
        "{refused}"
    );
}

#[test]
fn a_module_without_wasi_is_debugged_at_once_and_pauses_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let spin = dir.path().join("spin.wat");
    std::fs::write(
        &spin,
        r#"(module (func $spin (export "_start") (local $i i32)
             (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))))"#,
    )
    .unwrap();
    let mut dap = Client::running(&spin);
    std::thread::sleep(Duration::from_millis(300));
    dap.ok("pause", json!({ "threadId": 1 }));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "pause", "{stopped}");
    assert_eq!(dap.top_frame()["name"], "spin");
    let counted = dap.ok("evaluate", json!({ "expression": "$i" }));
    assert!(
        counted["result"].as_str().unwrap().parse::<i64>().unwrap() > 0,
        "the loop ran before the pause: {counted}"
    );
    dap.ok("disconnect", json!({}));

    // And a trap in one stops there.
    let trap = dir.path().join("trap.wat");
    std::fs::write(
        &trap,
        r#"(module (func (export "_start") i32.const 1 i32.const 0 i32.div_s drop))"#,
    )
    .unwrap();
    let mut dap = Client::running(&trap);
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "exception", "{stopped}");
    let info = dap.ok("exceptionInfo", json!({ "threadId": 1 }));
    assert_eq!(info["exceptionId"], "IntegerDivisionByZero");
    dap.ok("disconnect", json!({}));
}

#[test]
fn modules_loaded_sources_and_restart_answer_as_an_editor_expects() {
    let wasm = wat::parse_file(common::sample("who_wrote_me")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("lines.wasm");
    std::fs::write(&program, common::with_line_table(&wasm)).unwrap();
    let mut dap = Client::start();
    let capabilities = dap.ok("initialize", json!({ "supportsProgressReporting": true }));
    for capability in [
        "supportsModulesRequest",
        "supportsLoadedSourcesRequest",
        "supportsRestartRequest",
    ] {
        assert_eq!(capabilities[capability], true, "{capability}");
    }
    dap.ok("launch", json!({ "program": program }));
    dap.event("initialized");
    dap.ok(
        "setFunctionBreakpoints",
        json!({ "breakpoints": [{ "name": "set_name" }] }),
    );
    dap.ok("configurationDone", json!({}));
    // The first run, being recorded, is shown as progress to a client that shows it.
    let started = dap.event("progressStart");
    assert_eq!(started["title"], "Recording the run");
    let ended = dap.event("progressEnd");
    assert_eq!(ended["progressId"], started["progressId"]);
    assert!(
        ended["message"]
            .as_str()
            .unwrap()
            .starts_with("recorded: it trapped"),
        "{ended}"
    );
    dap.event("stopped");
    assert_eq!(dap.local("ptr"), "512");
    let modules = dap.ok("modules", json!({}));
    assert_eq!(modules["modules"][0]["name"], "lines.wasm", "{modules}");
    assert_eq!(modules["modules"][0]["symbolStatus"], "DWARF line table");
    let sources = dap.ok("loadedSources", json!({}));
    assert_eq!(sources["sources"][0]["name"], "main.c", "{sources}");
    assert_eq!(
        sources["sources"][0]["presentationHint"], "deemphasize",
        "not on this machine"
    );
    // Further on, then restart: the first stop again, from the start.
    dap.ok("continue", json!({ "threadId": 1 }));
    dap.event("stopped");
    assert_eq!(dap.local("ptr"), (0x200 + 0x10000).to_string());
    dap.ok("restart", json!({}));
    let stopped = dap.event("stopped");
    assert_eq!(stopped["reason"], "function breakpoint", "{stopped}");
    assert_eq!(dap.local("ptr"), "512", "the run began again");
    dap.ok("disconnect", json!({}));
}
