//! A `launch` request's arguments, read into what `wasmscope run` would run: the same flags,
//! the same checks, the same refusals (nothing is granted unless the launch grants it).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use clap::Parser;
use serde::Deserialize;
use serde_json::Value;

use crate::cli::{Cli, CliCommand, policy_from_args};
use crate::engine::record::recording::Recording;
use crate::engine::{self, Invocation, RunRequest};

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

    /// The `wasmscope run` command line these arguments stand for.
    fn command_line(&self, program: &str) -> Vec<String> {
        let mut line = vec!["wasmscope".to_owned(), "run".to_owned()];
        let mut flag = |name: &str, value: String| {
            line.push(name.to_owned());
            line.push(value);
        };
        for dir in &self.dirs {
            let spec = match &dir.guest {
                Some(guest) => format!("{}::{guest}", dir.host),
                None => dir.host.clone(),
            };
            flag(if dir.readonly { "--ro-dir" } else { "--dir" }, spec);
        }
        for (name, value) in &self.env {
            flag("--env", format!("{name}={value}"));
        }
        if let Some(stdin) = &self.stdin {
            flag("--stdin", stdin.clone());
        }
        match &self.timeout {
            Some(Limit::Number(ms)) => flag("--timeout", format!("{ms}ms")),
            Some(Limit::Text(text)) => flag("--timeout", text.clone()),
            None => {}
        }
        match &self.max_memory {
            Some(Limit::Number(bytes)) => flag("--max-memory", bytes.to_string()),
            Some(Limit::Text(text)) => flag("--max-memory", text.clone()),
            None => {}
        }
        if let Some(fuel) = self.fuel {
            flag("--fuel", fuel.to_string());
        }
        line.push(program.to_owned());
        line.push("--".to_owned());
        line.extend(self.args.iter().cloned());
        line
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
        let loaded = engine::load_file(Path::new(program)).map_err(|e| e.to_string())?;
        if let Some(recording) = loaded.recording {
            return Ok(Launched::Recording(recording));
        }
        if loaded.precompiled.is_some() {
            return Err(format!(
                "{program} is precompiled machine code: the debugger runs wasm (.wasm or .wat)"
            ));
        }
        let cli = Cli::try_parse_from(self.command_line(program)).map_err(|e| {
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("")
                .trim_start_matches("error: ");
            format!("bad launch arguments: {first}")
        })?;
        let Some(CliCommand::Run(args)) = cli.command else {
            return Err("bad launch arguments".to_owned());
        };
        let (policy, invocation) = policy_from_args(&args).map_err(|e| e.to_string())?;
        policy.validate().map_err(|e| e.to_string())?;
        // Refused here, before anything runs, as the run itself would refuse it.
        if let Some(missing) = policy.dirs.iter().find(|d| !d.host_path.is_dir()) {
            return Err(format!(
                "the folder {} does not exist (or is not a folder): nothing was granted",
                missing.host_path.display()
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
    fn launch_arguments_become_the_run_flags() {
        let args = LaunchArgs::parse(&json!({
            "type": "wasmscope", "request": "launch", "name": "x",
            "program": "m.wasm", "args": ["-v", "a b"], "env": {"A": "1"},
            "dirs": [{"host": "/tmp/d", "guest": "/d", "readonly": true}],
            "timeout": 2500, "maxMemory": "64MiB", "fuel": 100
        }))
        .unwrap();
        let line = args.command_line("m.wasm").join(" ");
        assert_eq!(
            line,
            "wasmscope run --ro-dir /tmp/d::/d --env A=1 --timeout 2500ms --max-memory 64MiB \
             --fuel 100 m.wasm -- -v a b"
        );
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
