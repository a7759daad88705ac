//! Sandbox profiles (TOML) and "copy as command", as a user meets them: files, messages,
//! `wasmscope run --profile`, and the commands for each runtime.

#![allow(clippy::unwrap_used)] // Tests fail loudly on purpose.

use crate::common;
use common::wasmscope;

use std::path::{Path, PathBuf};

use clap::Parser as _;
use wasmscope::cli::{Cli, CliCommand, policy_from_args};
use wasmscope::engine::export::copy_as::{self, Runtime};
use wasmscope::engine::export::profile::{self, Profile, ProfileError};
use wasmscope::engine::{Compiler, DirGrant, Entry, Invocation, SandboxPolicy, StdinSource};

fn dir(host: &str, guest: &str, read_only: bool) -> DirGrant {
    DirGrant {
        host_path: PathBuf::from(host),
        guest_path: guest.to_owned(),
        read_only,
        scratch: false,
    }
}

/// Every field a profile holds, none at its default.
fn every_field() -> Profile {
    let mut scratch = dir("/srv/work", "/work", false);
    scratch.scratch = true;
    let policy = SandboxPolicy {
        max_memory_bytes: 64 << 20,
        max_table_elements: 5_000,
        trap_on_grow_failure: true,
        timeout_ms: Some(1_500),
        fuel: Some(1_000_000),
        max_wasm_stack_bytes: 1 << 20,
        dirs: vec![
            dir("./data", "/data", true),
            dir("/tmp/out dir", "/out", false),
            scratch,
        ],
        env: vec![
            ("GREETING".to_owned(), "hello \"world\"".to_owned()),
            ("my.var".to_owned(), "it's = 1".to_owned()),
            ("EMPTY".to_owned(), String::new()),
        ],
        compiler: Compiler::Winch,
        log_calls: true,
        allow_network: true,
        max_disk_bytes: 100 << 20,
        max_files: 500,
        // Debug mode is a way to run (`--debug`, the Debug switch), not a profile key.
        debug: false,
        // Allowing a host folder is said on the command line each time, never kept.
        allow_host_dirs: false,
    };
    let invocation = Invocation {
        args: vec!["one".to_owned(), "two words".to_owned(), "-v".to_owned()],
        argv0: Some("app.wasm".to_owned()),
        ..Invocation::default()
    };
    Profile { policy, invocation }
}

/// A profile of `policy` with no arguments.
fn of(policy: SandboxPolicy) -> Profile {
    Profile {
        policy,
        invocation: Invocation::default(),
    }
}

fn invalid(text: &str) -> String {
    let err = profile::from_toml(text).unwrap_err();
    assert!(matches!(err, ProfileError::Invalid { .. }), "{err:?}");
    err.to_string()
}

#[test]
fn a_profile_round_trips_every_field_it_holds() {
    let policy = every_field();
    let text = profile::to_toml(&policy);
    assert!(text.contains("max_memory = \"64 MiB\""), "{text}");
    assert!(text.contains("timeout = \"1s 500ms\""), "{text}");
    assert_eq!(profile::from_toml(&text).unwrap(), policy, "{text}");

    // Values with no exact human spelling, beyond TOML's integers, or switched off.
    let odd = of(SandboxPolicy {
        max_memory_bytes: 1_000_001,
        max_table_elements: u64::MAX,
        timeout_ms: None,
        fuel: Some(u64::MAX),
        compiler: Compiler::Pulley,
        ..SandboxPolicy::default()
    });
    let text = profile::to_toml(&odd);
    assert!(text.contains("timeout = \"none\""), "{text}");
    assert_eq!(profile::from_toml(&text).unwrap(), odd, "{text}");

    let default = Profile::default();
    assert_eq!(
        profile::from_toml(&profile::to_toml(&default)).unwrap(),
        default
    );
}

#[test]
fn stdin_and_entry_are_not_part_of_a_profile() {
    let policy = Profile {
        policy: SandboxPolicy::default(),
        invocation: Invocation {
            stdin: StdinSource::Bytes(b"input".to_vec()),
            entry: Entry::Invoke {
                name: "add".to_owned(),
                args: vec!["1".to_owned()],
            },
            ..Invocation::default()
        },
    };
    let loaded = profile::from_toml(&profile::to_toml(&policy)).unwrap();
    assert_eq!(loaded, Profile::default());
}

#[test]
fn an_empty_profile_is_the_safe_default() {
    assert_eq!(profile::from_toml("").unwrap(), Profile::default());
    assert_eq!(
        profile::from_toml("# nothing but a comment\n\n").unwrap(),
        Profile::default()
    );
    // The human spellings from the documentation, and safe defaults inside a [[dir]].
    let policy = profile::from_toml(
        r#"
max_memory = "64 MiB"
timeout = "2s"
fuel = 1000000
max_stack = "512 KiB"
compiler = "cranelift"
env = { GREETING = "hi" }
args = ["one", "two"]
[[dir]]
host = "./data"
"#,
    )
    .unwrap();
    let Profile { policy, invocation } = policy;
    assert_eq!(policy.max_memory_bytes, 64 << 20);
    assert_eq!(policy.timeout_ms, Some(2_000));
    assert_eq!(policy.fuel, Some(1_000_000));
    assert_eq!(policy.env, [("GREETING".to_owned(), "hi".to_owned())]);
    assert_eq!(invocation.args, ["one", "two"]);
    // No mode given: read-only; no guest path given: the host's, as with `--dir HOST`.
    assert_eq!(policy.dirs, [dir("./data", "./data", true)]);
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let message = invalid("max_memory = \"64 MiB\"\n\ncolour = \"blue\"\n");
    assert!(message.starts_with("line 3: "), "{message}");
    assert!(message.contains("unknown key `colour`"), "{message}");
    assert!(
        message.contains("max_memory, max_table_elements"),
        "{message}"
    );

    let message = invalid("[[dir]]\nhost = \"./data\"\nmode = \"ro\"\n");
    assert!(message.starts_with("line 3: "), "{message}");
    assert!(message.contains("unknown key `dir.mode`"), "{message}");
    assert!(
        message.contains("host, guest, read_only, scratch"),
        "{message}"
    );
}

#[test]
fn a_bad_value_says_what_is_accepted() {
    let message = invalid("fuel = 10\ntimeout = \"soon\"\n");
    assert_eq!(
        message,
        "line 2: `timeout = \"soon\"` is not accepted: `timeout` takes a duration such as \
         \"2s\" or \"500ms\" (a bare number is seconds), or \"none\" for no limit"
    );

    let message = invalid("max_memory = true");
    assert!(
        message.contains("`max_memory = true` is not accepted"),
        "{message}"
    );
    assert!(message.contains("a size such as \"64 MiB\""), "{message}");

    let message = invalid("fuel = -5");
    assert!(message.contains("`fuel` takes a whole number"), "{message}");

    let message = invalid("compiler = \"llvm\"");
    assert!(
        message.contains("`compiler` takes \"cranelift\", \"winch\" or \"pulley\""),
        "{message}"
    );

    let message = invalid("max_stack = \"1 KiB\"");
    assert!(message.contains("between 16 KiB and 1 GiB"), "{message}");

    let message = invalid("[env]\nCOUNT = 3\n");
    assert!(message.starts_with("line 2: `env.COUNT = 3`"), "{message}");
    assert!(message.contains("a string in quotes"), "{message}");

    let message = invalid("args = \"one two\"");
    assert!(message.contains("a list of strings"), "{message}");

    let message = invalid("[[dir]]\nguest = \"/data\"\n");
    assert!(message.contains("needs `host`"), "{message}");

    let message = invalid("timeout = ");
    assert!(
        message.starts_with("line 1: this is not valid TOML"),
        "{message}"
    );
}

#[test]
fn relative_host_paths_resolve_against_the_profile_folder() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("sandbox.toml");
    std::fs::write(
        &path,
        "[[dir]]\nhost = \"./data\"\nguest = \"/data\"\n\n\
         [[dir]]\nhost = \"/abs/elsewhere\"\nguest = \"/x\"\nread_only = false\n",
    )
    .unwrap();
    let policy = profile::load(&path).unwrap().policy;
    assert_eq!(policy.dirs[0].host_path, folder.path().join("data"));
    assert_eq!(policy.dirs[1].host_path, PathBuf::from("/abs/elsewhere"));

    // `from_toml` keeps them as written: there is no folder to resolve against.
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        profile::from_toml(&text).unwrap().policy.dirs[0].host_path,
        PathBuf::from("./data")
    );
}

#[test]
fn save_writes_a_profile_that_loads_to_the_same_folders() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("saved.toml");
    let policy = every_field();
    profile::save(&path, &policy).unwrap();
    let loaded = profile::load(&path).unwrap();
    // A relative host path meant "from the current directory"; the file makes that absolute.
    let mut expected = policy.clone();
    expected.policy.dirs[0].host_path = std::env::current_dir().unwrap().join("data");
    assert_eq!(loaded, expected);
}

#[test]
fn file_errors_name_the_path() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("missing.toml");
    let message = profile::load(&missing).unwrap_err().to_string();
    assert!(message.starts_with("cannot read the profile "), "{message}");
    assert!(
        message.contains(&missing.display().to_string()),
        "{message}"
    );

    let bad = folder.path().join("bad.toml");
    std::fs::write(&bad, "timeout = \"2s\"\nspeed = 11\n").unwrap();
    let message = profile::load(&bad).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}, line 2: unknown key `speed`: remove it or fix its spelling; a profile \
             understands max_memory, max_table_elements, trap_on_grow_failure, timeout, fuel, \
             max_stack, compiler, log_calls, allow_network, argv0, args, env, [[dir]]",
            bad.display()
        )
    );

    let unwritable = folder.path().join("no-such-folder").join("p.toml");
    let message = profile::save(&unwritable, &Profile::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.starts_with("cannot write the profile "),
        "{message}"
    );
    assert!(
        message.contains(&unwritable.display().to_string()),
        "{message}"
    );
}

/// `wasmscope run ...` as the CLI parses it, to a policy and an invocation.
fn parse_run(words: &[String]) -> Result<Profile, String> {
    let cli = Cli::try_parse_from(words).map_err(|e| e.to_string())?;
    match cli.command {
        Some(CliCommand::Run(args)) => policy_from_args(&args)
            .map(|(policy, invocation)| Profile { policy, invocation })
            .map_err(|e| e.to_string()),
        other => panic!("not a run command: {other:?}"),
    }
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| (*w).to_owned()).collect()
}

#[test]
fn flags_override_the_profile() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("p.toml");
    std::fs::write(
        &path,
        "timeout = \"2s\"\nargs = [\"from-profile\"]\nargv0 = \"tool\"\n\
         env = { GREETING = \"hi\", KEEP = \"me\" }\n",
    )
    .unwrap();
    let profile_arg = path.display().to_string();

    let Profile { policy, invocation } = parse_run(&words(&[
        "wasmscope",
        "run",
        "--profile",
        &profile_arg,
        "m.wat",
    ]))
    .unwrap();
    assert_eq!(policy.timeout_ms, Some(2_000));
    assert_eq!(invocation.args, ["from-profile"]);
    assert_eq!(invocation.argv0.as_deref(), Some("tool"));

    let Profile { policy, invocation } = parse_run(&words(&[
        "wasmscope",
        "run",
        "--profile",
        &profile_arg,
        "--timeout",
        "5s",
        "--env",
        "GREETING=yo",
        "m.wat",
        "from-flags",
    ]))
    .unwrap();
    assert_eq!(policy.timeout_ms, Some(5_000));
    assert_eq!(invocation.args, ["from-flags"]);
    assert_eq!(
        policy.env,
        [
            ("KEEP".to_owned(), "me".to_owned()),
            ("GREETING".to_owned(), "yo".to_owned())
        ]
    );

    let err = parse_run(&words(&[
        "wasmscope",
        "run",
        "--profile",
        "/no/such.toml",
        "m.wat",
    ]))
    .unwrap_err();
    assert!(
        err.starts_with("--profile: cannot read the profile /no/such.toml"),
        "{err}"
    );
}

#[test]
fn run_with_a_profile_through_the_binary() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("quick.toml");
    std::fs::write(&path, "# stop spinning guests fast\ntimeout = \"200ms\"\n").unwrap();
    let profile_arg = path.display().to_string();
    let module = common::sample("infinite_loop").display().to_string();

    let out = wasmscope(&["run", "--profile", &profile_arg, &module]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(124), "{stderr}");

    // A flag overrides the profile: no timeout, a fuel budget instead, so fuel runs out (125).
    let out = wasmscope(&[
        "run",
        "--profile",
        &profile_arg,
        "--timeout",
        "0",
        "--fuel",
        "1000000",
        &module,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{stderr}");

    // A broken profile is a usage error that names the file, the line and the key.
    std::fs::write(&path, "timeout = \"200ms\"\ntimout = \"1s\"\n").unwrap();
    let out = wasmscope(&["run", "--profile", &profile_arg, &module]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{profile_arg}, line 2: unknown key `timout`")),
        "{stderr}"
    );
}

/// The policy the copy-as-command tests share: a read-only and a read-write folder,
/// environment, arguments, a memory cap, a timeout and fuel.
fn shared_policy() -> Profile {
    let policy = SandboxPolicy {
        max_memory_bytes: 64 << 20,
        timeout_ms: Some(2_000),
        fuel: Some(1_000_000),
        dirs: vec![
            dir("./data", "/data", true),
            dir("/tmp/out dir", "/out", false),
        ],
        env: vec![
            ("GREETING".to_owned(), "hello world".to_owned()),
            ("MODE".to_owned(), "it's".to_owned()),
        ],
        ..SandboxPolicy::default()
    };
    let invocation = Invocation {
        args: vec!["one".to_owned(), "two words".to_owned()],
        ..Invocation::default()
    };
    Profile { policy, invocation }
}

/// [`copy_as::command_line`] for a whole profile.
fn command_line(runtime: Runtime, run: &Profile, module_path: &str) -> copy_as::CopiedCommand {
    copy_as::command_line(runtime, &run.policy, &run.invocation, module_path)
}

fn copied(runtime: Runtime) -> copy_as::CopiedCommand {
    command_line(runtime, &shared_policy(), "app.wasm")
}

#[test]
fn copy_as_wasmscope() {
    let copied = copied(Runtime::Wasmscope);
    assert_eq!(
        copied.command,
        "wasmscope run --dir '/tmp/out dir::/out' --ro-dir ./data::/data \
         --env 'GREETING=hello world' --env 'MODE=it'\\''s' --max-memory 64MiB --timeout 2s \
         --fuel 1000000 app.wasm one 'two words'"
    );
    assert_eq!(
        copied.notes,
        [
            "wasmscope run opens --dir, then --ro-dir, then --scratch-dir folders, so the guest \
          finds them in a different order (file descriptors) than in this policy."
        ]
    );
}

#[test]
fn copy_as_wasmtime() {
    let copied = copied(Runtime::Wasmtime);
    assert_eq!(
        copied.command,
        "wasmtime run --dir ./data::/data --dir '/tmp/out dir::/out' \
         --env 'GREETING=hello world' --env 'MODE=it'\\''s' -W max-memory-size=67108864 \
         -W max-table-elements=100000 -W timeout=2s -W fuel=1000000 \
         app.wasm one 'two words' < /dev/null"
    );
    assert_eq!(
        copied.notes,
        ["wasmtime's CLI has no read-only directories: the guest may change ./data there."]
    );
}

#[test]
fn copy_as_wasmer() {
    let copied = copied(Runtime::Wasmer);
    assert_eq!(
        copied.command,
        "wasmer run --volume ./data:/data --volume '/tmp/out dir:/out' \
         --env 'GREETING=hello world' --env 'MODE=it'\\''s' app.wasm one 'two words' < /dev/null"
    );
    assert_eq!(
        copied.notes,
        [
            "Wasmer's CLI has no read-only volumes: the guest may change ./data there.",
            "Wasmer's CLI has no memory cap: the guest may grow each memory to the module's own \
             maximum, not 64.0 MiB.",
            "Wasmer's CLI has no table cap: tables may grow past 100000 elements.",
            "Wasmer's CLI has no timeout: the 2s limit is not enforced.",
            "Wasmer's CLI has no fuel: the budget of 1000000 is not enforced.",
        ]
    );
}

#[test]
fn copy_as_wasmedge() {
    let copied = copied(Runtime::WasmEdge);
    assert_eq!(
        copied.command,
        "wasmedge --dir /data:./data:readonly --dir '/out:/tmp/out dir' \
         --env 'GREETING=hello world' --env 'MODE=it'\\''s' --memory-page-limit 1024 \
         --time-limit 2000 --gas-limit 1000000 app.wasm one 'two words' < /dev/null"
    );
    assert_eq!(
        copied.notes,
        [
            "WasmEdge's gas also costs about one unit per instruction, but not exactly as \
             wasmtime's fuel does: treat the gas limit as approximate.",
            "WasmEdge's CLI has no table cap: tables may grow past 100000 elements.",
        ]
    );
}

#[test]
fn copy_as_wazero() {
    let copied = copied(Runtime::Wazero);
    assert_eq!(
        copied.command,
        "wazero run -mount ./data:/data:ro -mount '/tmp/out dir:/out' \
         -env 'GREETING=hello world' -env 'MODE=it'\\''s' -timeout 2s \
         app.wasm one 'two words' < /dev/null"
    );
    assert_eq!(
        copied.notes,
        [
            "wazero's CLI has no memory cap: the guest may grow each memory to the module's own \
             maximum, not 64.0 MiB.",
            "wazero's CLI has no table cap: tables may grow past 100000 elements.",
            "wazero's CLI has no fuel: the budget of 1000000 is not enforced.",
        ]
    );
}

#[test]
fn reactors_map_to_each_runtimes_way_of_calling_an_export() {
    let policy = Profile {
        policy: SandboxPolicy::default(),
        invocation: Invocation {
            entry: Entry::Invoke {
                name: "add".to_owned(),
                args: vec!["2".to_owned(), "-3".to_owned()],
            },
            ..Invocation::default()
        },
    };
    let command = |runtime| command_line(runtime, &policy, "calc.wasm").command;
    assert_eq!(
        command(Runtime::Wasmscope),
        "wasmscope run --invoke add calc.wasm 2 -3"
    );
    assert!(
        command(Runtime::Wasmtime).ends_with(
            "--invoke add -W max-memory-size=268435456 \
             -W max-table-elements=100000 -W timeout=10s calc.wasm 2 -3 < /dev/null"
        ),
        "{}",
        command(Runtime::Wasmtime)
    );
    assert!(
        command(Runtime::Wasmer).ends_with("--invoke add calc.wasm -- 2 -3 < /dev/null"),
        "{}",
        command(Runtime::Wasmer)
    );
    assert!(
        command(Runtime::WasmEdge).ends_with("--reactor -- calc.wasm add 2 -3 < /dev/null"),
        "{}",
        command(Runtime::WasmEdge)
    );
    let wazero = command_line(Runtime::Wazero, &policy, "calc.wasm");
    assert!(
        wazero.notes.iter().any(|n| n.contains("cannot call `add`")),
        "{:?}",
        wazero.notes
    );
}

/// Splits a POSIX shell command the way `sh` would for the quoting `command_line` writes:
/// plain words and single-quoted parts (with `'\''` for a quote). Stops at a redirection.
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    word.push(q);
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            '<' if !in_word => break,
            ' ' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            other => {
                in_word = true;
                word.push(other);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

#[test]
fn the_wasmscope_command_parses_back_to_the_same_policy() {
    let mut policy = every_field();
    // `wasmscope run` opens --dir, --ro-dir, then --scratch-dir folders: keep that order.
    policy.policy.dirs.swap(0, 1);
    policy.invocation.stdin = StdinSource::Inherit;
    let copied = command_line(Runtime::Wasmscope, &policy, "samples/hello.wat");
    assert!(copied.notes.is_empty(), "{:?}", copied.notes);
    assert_eq!(parse_run(&shell_words(&copied.command)).unwrap(), policy);

    let reactor = Profile {
        policy: SandboxPolicy {
            timeout_ms: None,
            ..SandboxPolicy::default()
        },
        invocation: Invocation {
            entry: Entry::Invoke {
                name: "add".to_owned(),
                args: vec!["2".to_owned(), "3".to_owned()],
            },
            ..Invocation::default()
        },
    };
    let copied = command_line(Runtime::Wasmscope, &reactor, "calc.wat");
    assert_eq!(
        copied.command,
        "wasmscope run --invoke add --timeout 0 calc.wat 2 3"
    );
    assert_eq!(parse_run(&shell_words(&copied.command)).unwrap(), reactor);

    let default = Profile::default();
    let copied = command_line(Runtime::Wasmscope, &default, "m.wasm");
    assert_eq!(copied.command, "wasmscope run m.wasm");
    assert_eq!(parse_run(&shell_words(&copied.command)).unwrap(), default);
}

#[test]
fn shell_words_undo_the_quoting() {
    assert_eq!(
        shell_words("a 'b c' 'it'\\''s' d=e < /dev/null"),
        ["a", "b c", "it's", "d=e"]
    );
    assert!(Path::new(env!("CARGO_BIN_EXE_wasmscope")).exists());
}
