//! A `launch` request's arguments, read into what `wasmscope run` would run, with the same
//! checks and refusals (nothing is granted unless the launch grants it). The request is built
//! from the arguments directly, never through a command line: `program` is a path and nothing
//! else, and an argument the adapter does not know is an error the client sees.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use crate::cli::TimeoutMs;
use crate::engine::record::recording::Recording;
use crate::engine::{self, DirGrant, Invocation, RunRequest, StdinSource};

/// The arguments `launch` takes, as a launch configuration spells them.
const KNOWN: &[&str] = &[
    "program",
    "args",
    "env",
    "dirs",
    "stdin",
    "stopOnEntry",
    "timeout",
    "maxMemory",
    "fuel",
];

/// What clients add to every launch request of their own (VS Code, nvim-dap): not ours to
/// read, not an error.
const CLIENTS_OWN: &[&str] = &[
    "type",
    "name",
    "request",
    "noDebug",
    "cwd",
    "console",
    "preLaunchTask",
    "postDebugTask",
    "internalConsoleOptions",
    "presentation",
    "debugServer",
    "__sessionId",
    "__configurationTarget",
    "__restart",
];

/// What a launch configuration may say (VS Code's `launch.json`, nvim-dap's table). Fields a
/// client adds of its own (`type`, `name`, `request`, ...) are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchArgs {
    /// A `.wasm`, `.wat` or `.wstrace` file.
    pub program: Option<String>,
    /// The guest's arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Environment variables for the guest (none by default).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Folders to grant.
    #[serde(default)]
    pub dirs: Vec<DirArg>,
    /// A file the guest reads as stdin (empty by default).
    pub stdin: Option<String>,
    /// Stop at the first instruction.
    #[serde(default)]
    pub stop_on_entry: bool,
    /// `--timeout`: `"2s"`, `"500ms"`, or a number of milliseconds.
    pub timeout: Option<Limit>,
    /// `--max-memory`: `"64MiB"`, or a number of bytes.
    pub max_memory: Option<Limit>,
    /// `--fuel`: a number of instructions' worth.
    pub fuel: Option<u64>,
}

/// A limit written as the CLI writes it, or as a bare number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Limit {
    /// A number: milliseconds for a timeout, bytes for a size.
    Number(u64),
    /// The CLI's text: `2s`, `64MiB`.
    Text(String),
}

/// One folder grant.
#[derive(Debug, Deserialize)]
pub struct DirArg {
    /// The folder on this machine.
    pub host: String,
    /// Where the guest sees it [default: the same path].
    pub guest: Option<String>,
    /// Read-only (the default is read-write, as `--dir`).
    #[serde(default)]
    pub readonly: bool,
}

/// What a launch prepares: a recording to debug, or a run to record first.
pub enum Launched {
    /// A `.wstrace`: debugged as it is.
    Recording(Arc<Recording>),
    /// A module: recorded first (this request, with recording on), then debugged.
    Module(Box<RunRequest>),
}

impl LaunchArgs {
    /// Reads the launch request's arguments.
    pub fn parse(arguments: &Value) -> Result<Self, String> {
        if let Some(fields) = arguments.as_object()
            && let Some(unknown) = fields
                .keys()
                .find(|k| !KNOWN.contains(&k.as_str()) && !CLIENTS_OWN.contains(&k.as_str()))
        {
            return Err(format!(
                "unknown launch argument `{unknown}`: wasmscope's launch takes {}",
                KNOWN.join(", ")
            ));
        }
        Self::deserialize(arguments).map_err(|e| {
            // Name the field: the first that is wrong on its own.
            let field = arguments.as_object().and_then(|fields| {
                fields.iter().find_map(|(name, value)| {
                    let alone = serde_json::json!({ name.as_str(): value });
                    Self::deserialize(&alone).err().map(|_| name.clone())
                })
            });
            match field {
                Some(field) => format!("bad launch argument `{field}`: {e}"),
                None => format!("bad launch arguments: {e}"),
            }
        })
    }

    /// The sandbox and the invocation these arguments ask for, checked as `wasmscope run`
    /// checks its flags.
    fn sandbox(&self) -> Result<(engine::SandboxPolicy, Invocation), String> {
        let engine::export::profile::Profile {
            mut policy,
            mut invocation,
        } = engine::export::profile::Profile::default();
        for dir in &self.dirs {
            let host = PathBuf::from(&dir.host);
            let grant = DirGrant {
                guest_path: dir.guest.clone().unwrap_or_else(|| dir.host.clone()),
                host_path: host,
                read_only: dir.readonly,
                scratch: false,
            };
            // The adapter has no --allow-host-dir: a grant of the host itself is refused.
            if let Some(exposure) = grant.refusal(false) {
                return Err(format!("dirs: {}", exposure.refusal()));
            }
            if !grant.host_path.is_dir() {
                return Err(format!(
                    "the folder {} does not exist (or is not a folder): nothing was granted",
                    grant.host_path.display()
                ));
            }
            policy.dirs.push(grant);
        }
        policy.env = self
            .env
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        if let Some(limit) = &self.timeout {
            let text = match limit {
                Limit::Number(ms) => format!("{ms}ms"),
                Limit::Text(text) => text.clone(),
            };
            policy.timeout_ms = TimeoutMs::parse(&text)
                .map_err(|e| format!("bad launch argument `timeout`: {e}"))?
                .0;
        }
        if let Some(limit) = &self.max_memory {
            let text = match limit {
                Limit::Number(bytes) => bytes.to_string(),
                Limit::Text(text) => text.clone(),
            };
            policy.max_memory_bytes = engine::Limit::MaxMemory
                .parse(&text)
                .map_err(|e| format!("bad launch argument `maxMemory`: {e}"))?;
        }
        if let Some(fuel) = self.fuel {
            policy.fuel = Some(fuel);
        }
        if let Some(stdin) = &self.stdin {
            let path = PathBuf::from(stdin);
            match std::fs::metadata(&path) {
                Ok(meta) if meta.is_file() => {}
                Ok(_) => {
                    return Err(format!(
                        "stdin: {stdin} is not a regular file: give a file for the guest to read"
                    ));
                }
                Err(e) => return Err(format!("stdin: cannot read {stdin}: {e}")),
            }
            invocation.stdin = StdinSource::File(path);
        }
        invocation.args = self.args.clone();
        policy.validate().map_err(|e| e.to_string())?;
        Ok((policy, invocation))
    }

    /// Loads the program and checks the sandbox, as `wasmscope run` would. `Err` is the
    /// message for the client.
    pub fn prepare(&self) -> Result<Launched, String> {
        let program = self
            .program
            .as_deref()
            .ok_or("launch needs `program`: a .wasm, .wat or .wstrace file")?;
        if program == "-" {
            return Err("`program` must be a file: stdin carries the protocol".to_owned());
        }
        if self.stdin.as_deref() == Some("-") {
            return Err("`stdin` must be a file: this process's stdin carries the protocol".into());
        }
        // Checked before the program is read: nothing is loaded for a launch that is refused.
        let (policy, invocation) = self.sandbox()?;
        let loaded = engine::load_file(Path::new(program)).map_err(|e| e.to_string())?;
        if let Some(recording) = loaded.recording {
            return Ok(Launched::Recording(recording));
        }
        if loaded.precompiled.is_some() {
            return Err(format!(
                "{program} is precompiled machine code: the debugger runs wasm (.wasm or .wat)"
            ));
        }
        Ok(Launched::Module(Box::new(RunRequest {
            name: loaded.name,
            wasm: Arc::from(loaded.wasm),
            precompiled: None,
            policy,
            invocation: Invocation {
                record_max_bytes: Some(RECORD_MAX_BYTES),
                ..invocation
            },
            info: None,
        })))
    }
}

/// How much of a run's WASI traffic a session records (as `run --record`'s default).
const RECORD_MAX_BYTES: u64 = 256 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn launch_arguments_become_the_sandbox_and_a_flag_is_only_a_path() {
        let dir = tempfile::tempdir().unwrap();
        let host = dir.path().display().to_string();
        let args = LaunchArgs::parse(&json!({
            "type": "wasmscope", "request": "launch", "name": "x",
            "program": "m.wasm", "args": ["-v", "a b"], "env": {"A": "1"},
            "dirs": [{"host": host, "guest": "/d", "readonly": true}],
            "timeout": 2500, "maxMemory": "64MiB", "fuel": 100
        }))
        .unwrap();
        let (policy, invocation) = args.sandbox().unwrap();
        assert_eq!(policy.dirs.len(), 1);
        assert_eq!(policy.dirs[0].guest_path, "/d");
        assert!(policy.dirs[0].read_only);
        assert_eq!(policy.env, [("A".to_owned(), "1".to_owned())]);
        assert_eq!(policy.timeout_ms, Some(2500));
        assert_eq!(policy.max_memory_bytes, 64 << 20);
        assert_eq!(policy.fuel, Some(100));
        assert_eq!(invocation.args, ["-v", "a b"]);
        assert!(!policy.allow_host_dirs);
        let err =
            LaunchArgs::parse(&json!({"program": "--allow-host-dir", "dirs": [{"host": "/"}]}))
                .unwrap()
                .prepare()
                .err()
                .unwrap();
        assert!(err.starts_with("dirs: / is "), "{err}");
        let err = LaunchArgs::parse(&json!({"program": "--env=SECRET"}))
            .unwrap()
            .prepare()
            .err()
            .unwrap();
        assert!(err.contains("no such file: --env=SECRET"), "{err}");
    }

    #[test]
    fn an_unknown_argument_is_an_error_that_names_it() {
        let err =
            LaunchArgs::parse(&json!({"program": "m.wasm", "allowHostDir": true})).unwrap_err();
        assert!(
            err.starts_with("unknown launch argument `allowHostDir`"),
            "{err}"
        );
        assert!(LaunchArgs::parse(&json!({"program": "m.wasm", "__sessionId": "1"})).is_ok());
    }

    #[test]
    fn bad_arguments_are_named() {
        let err = LaunchArgs::parse(&json!({"program": 3})).unwrap_err();
        assert!(err.contains("program"), "{err}");
        let err = LaunchArgs::parse(&json!({}))
            .unwrap()
            .prepare()
            .err()
            .unwrap();
        assert!(err.contains("needs `program`"), "{err}");
    }
}
