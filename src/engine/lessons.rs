//! Guided lessons on the samples. Each lesson is one TOML file (`samples/lessons/*.toml`):
//! what to do, what to expect, and when it is done, as declarative conditions on a run
//! (`[done_when]`) that [`Lesson::check`] reads against the run's own report, sandbox and
//! arguments. A teacher adds a lesson without Rust; the format is in
//! `samples/lessons/README.md`. A file that does not parse is named with its line and skipped;
//! the others still load.

use std::path::Path;

use serde::{Deserialize, Deserializer};

use crate::engine::calls::errno_number;
use crate::engine::outcome::{RunReport, TrapKind};
use crate::engine::policy::{Invocation, SandboxPolicy, format_bytes, parse_bytes};

macro_rules! shipped {
    ($file:literal) => {
        (
            $file,
            include_str!(concat!("../../samples/lessons/", $file)),
        )
    };
}

/// The lessons that ship inside the binary, in order: (file name, text).
pub const SHIPPED: [(&str, &str); 10] = [
    shipped!("01-nothing-granted.toml"),
    shipped!("02-read-only-folder.toml"),
    shipped!("03-read-only-refuses-writes.toml"),
    shipped!("04-read-write-scratch.toml"),
    shipped!("05-escape-attempts.toml"),
    shipped!("06-env-and-args.toml"),
    shipped!("07-memory-cap.toml"),
    shipped!("08-runaway-timeout.toml"),
    shipped!("09-runaway-fuel.toml"),
    shipped!("10-trap-state.toml"),
];

/// One guided lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// Its file's name without `.toml`, e.g. `02-read-only-folder`: what progress remembers.
    pub id: String,
    /// A short title.
    pub title: String,
    /// The sample it works on, a file in `samples/`, e.g. `read_file.wat`.
    pub sample: String,
    /// What the learner does, in steps.
    pub what_to_do: String,
    /// What the learner should see, and why.
    pub what_to_expect: String,
    /// When it is done.
    pub done_when: DoneWhen,
}

/// A lesson file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    title: String,
    sample: String,
    what_to_do: String,
    what_to_expect: String,
    #[serde(default)]
    done_when: DoneWhen,
}

/// The conditions a run must meet for the lesson to be done; every one that is set must hold.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoneWhen {
    /// The module run (its file name); the lesson's sample when not set.
    pub module: Option<String>,
    /// How the run ended: `exited`, `trapped`, `timed_out`, `fuel_exhausted`, ...
    pub outcome: Option<OutcomeName>,
    /// The exit code.
    pub exit_code: Option<i32>,
    /// The folders the run was granted.
    pub granted_dir: Option<GrantedDir>,
    /// A call the sandbox refused, by WASI name (needs the call log on).
    pub refused_call: Option<String>,
    /// The errno it was refused with, by name (`perm`); with `refused_call`.
    pub refused_errno: Option<String>,
    /// At least this many refused calls (counted with the call log on or off).
    pub refusals_at_least: Option<u64>,
    /// The call log marked an allowed step that prepares an escape.
    pub escape_marked: Option<bool>,
    /// A memory or table growth was denied.
    pub denied_growth: Option<bool>,
    /// The memory cap was at most this (`64MiB`).
    #[serde(default, deserialize_with = "bytes")]
    pub max_memory_at_most: Option<u64>,
    /// The guest was given at least this many arguments.
    pub args_at_least: Option<usize>,
    /// The guest was given at least this many environment variables.
    pub env_at_least: Option<usize>,
    /// The kind of trap (`integer_division_by_zero`, as the JSON report names it).
    pub trap: Option<TrapKind>,
    /// The trap came with the guest's state (frames' locals: Debug on).
    pub trap_state: Option<bool>,
}

/// How a run ended, as a lesson names it (the JSON report's `outcome`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeName {
    /// The guest exited.
    Exited,
    /// The guest trapped.
    Trapped,
    /// The timeout ended it.
    TimedOut,
    /// Its fuel ran out.
    FuelExhausted,
    /// Stop ended it.
    Cancelled,
    /// It never ran.
    Failed,
}

impl OutcomeName {
    fn name(self) -> &'static str {
        match self {
            OutcomeName::Exited => "exited",
            OutcomeName::Trapped => "trapped",
            OutcomeName::TimedOut => "timed_out",
            OutcomeName::FuelExhausted => "fuel_exhausted",
            OutcomeName::Cancelled => "cancelled",
            OutcomeName::Failed => "failed",
        }
    }

    fn words(self) -> &'static str {
        match self {
            OutcomeName::Exited => "the guest exits",
            OutcomeName::Trapped => "the guest traps",
            OutcomeName::TimedOut => "the timeout ends the run",
            OutcomeName::FuelExhausted => "the run runs out of fuel",
            OutcomeName::Cancelled => "Stop ends the run",
            OutcomeName::Failed => "the run fails to start",
        }
    }
}

/// Which folders a run was granted, as a lesson asks for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantedDir {
    /// No folder at all.
    None,
    /// At least one folder, read-only.
    ReadOnly,
    /// At least one folder read-write.
    ReadWrite,
    /// At least one read-write folder on a scratch copy.
    Scratch,
}

fn bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_bytes(&text)
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("{e:#}")))
}

/// What a lesson reads of a finished run.
pub struct LessonRun<'a> {
    /// The module's file name.
    pub module: &'a str,
    /// The run's report.
    pub report: &'a RunReport,
    /// The sandbox it ran in.
    pub policy: &'a SandboxPolicy,
    /// What it was handed.
    pub invocation: &'a Invocation,
}

/// One condition of a lesson, in words, and whether the run met it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The condition, e.g. "a folder granted read-only".
    pub words: String,
    /// Whether the run met it.
    pub met: bool,
}

impl Lesson {
    /// The module the lesson's run must be of.
    pub fn module(&self) -> &str {
        self.done_when.module.as_deref().unwrap_or(&self.sample)
    }

    /// The conditions in words, unchecked (before a run).
    pub fn conditions(&self) -> Vec<String> {
        self.checks(None).into_iter().map(|c| c.words).collect()
    }

    /// Each condition against `run`; the lesson is done when every one is met.
    pub fn check(&self, run: &LessonRun<'_>) -> Vec<Check> {
        self.checks(Some(run))
    }

    fn checks(&self, run: Option<&LessonRun<'_>>) -> Vec<Check> {
        let when = &self.done_when;
        let mut checks = Vec::new();
        let mut add = |words: String, met: &dyn Fn(&LessonRun<'_>) -> bool| {
            let met = run.is_some_and(met);
            checks.push(Check { words, met });
        };
        let module = self.module().to_owned();
        add(format!("run {module}"), &|run| run.module == module);
        if let Some(granted) = when.granted_dir {
            let words = match granted {
                GrantedDir::None => "no folder granted",
                GrantedDir::ReadOnly => "a folder granted read-only",
                GrantedDir::ReadWrite => "a folder granted read-write",
                GrantedDir::Scratch => "a folder granted read-write on a scratch copy",
            };
            add(words.to_owned(), &|run| {
                let dirs = &run.policy.dirs;
                match granted {
                    GrantedDir::None => dirs.is_empty(),
                    GrantedDir::ReadOnly => dirs.iter().any(|d| d.read_only),
                    GrantedDir::ReadWrite => dirs.iter().any(|d| !d.read_only),
                    GrantedDir::Scratch => dirs.iter().any(|d| !d.read_only && d.scratch),
                }
            });
        }
        if let Some(at_most) = when.max_memory_at_most {
            add(
                format!("a memory cap of {} or less", format_bytes(at_most)),
                &|run| run.policy.max_memory_bytes <= at_most,
            );
        }
        if let Some(count) = when.args_at_least {
            add(
                format!("at least {count} argument{}", plural(count as u64)),
                &|run| run.invocation.args.len() >= count,
            );
        }
        if let Some(count) = when.env_at_least {
            add(
                format!(
                    "at least {count} environment variable{}",
                    plural(count as u64)
                ),
                &|run| run.policy.env.len() >= count,
            );
        }
        if let Some(outcome) = when.outcome {
            add(outcome.words().to_owned(), &|run| {
                run.report.outcome.name() == outcome.name()
            });
        }
        if let Some(code) = when.exit_code {
            add(format!("with exit code {code}"), &|run| {
                run.report.exit_code == Some(code)
            });
        }
        if let Some(kind) = when.trap {
            add(format!("the trap: {}", kind.explain()), &|run| {
                trap_of(run.report).is_some_and(|t| t.kind == kind)
            });
        }
        if when.trap_state == Some(true) {
            add(
                "the trap shows the guest's state (Debug on)".to_owned(),
                &|run| trap_of(run.report).is_some_and(|t| t.debug.is_some()),
            );
        }
        if let Some(count) = when.refusals_at_least {
            add(
                format!("the sandbox refuses at least {count} call{}", plural(count)),
                &|run| run.report.denials_total >= count,
            );
        }
        if let Some(function) = &when.refused_call {
            let errno = when.refused_errno.as_deref();
            let with = match errno.map(|name| (name, errno_number(name))) {
                Some((name, Some(number))) => format!(" with {name} ({number})"),
                Some((name, None)) => format!(" with {name}"),
                None => String::new(),
            };
            add(
                format!("the call log shows {function} refused{with} (Log every WASI call on)"),
                // In the call log itself: the refused calls are kept without it too, but the
                // lesson is about reading the log.
                &|run| {
                    run.report.calls.iter().any(|call| {
                        call.denial.is_some()
                            && call.function == *function
                            && errno.is_none_or(|e| call.result == e)
                    })
                },
            );
        }
        if when.escape_marked == Some(true) {
            add(
                "the call log marks a step \"allowed here, refused when followed\"".to_owned(),
                &|run| run.report.calls.iter().any(|c| c.prepares_escape.is_some()),
            );
        }
        if when.denied_growth == Some(true) {
            add("the sandbox denies a memory growth".to_owned(), &|run| {
                run.report.denied_growths_count > 0
            });
        }
        checks
    }
}

fn trap_of(report: &RunReport) -> Option<&crate::engine::outcome::TrapInfo> {
    match &report.outcome {
        crate::engine::RunOutcome::Trapped { trap } => Some(trap),
        _ => None,
    }
}

fn plural(count: u64) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// A lesson file that could not be read or parsed: which, where, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// The file's name.
    pub file: String,
    /// The line the problem is on, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}, line {line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Parses one lesson file called `file` (its id is the name without `.toml`).
pub fn parse(file: &str, text: &str) -> Result<Lesson, LessonError> {
    let parsed: LessonFile = toml::from_str(text).map_err(|e| LessonError {
        file: file.to_owned(),
        line: e
            .span()
            .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1),
        message: e.message().trim().to_owned(),
    })?;
    Ok(Lesson {
        id: file.trim_end_matches(".toml").to_owned(),
        title: parsed.title,
        sample: parsed.sample,
        what_to_do: parsed.what_to_do.trim().to_owned(),
        what_to_expect: parsed.what_to_expect.trim().to_owned(),
        done_when: parsed.done_when,
    })
}

/// The lessons that loaded, in order of their file names, and the files that did not.
#[derive(Clone, Debug, Default)]
pub struct Lessons {
    /// The lessons, in order.
    pub lessons: Vec<Lesson>,
    /// The files skipped, each named with its line.
    pub errors: Vec<LessonError>,
}

/// Lessons from `(file name, text)` pairs: a later file of the same name replaces an earlier
/// one; the result is sorted by file name.
pub fn load(files: impl IntoIterator<Item = (String, String)>) -> Lessons {
    let mut by_name: Vec<(String, String)> = Vec::new();
    for (name, text) in files {
        match by_name.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = text,
            None => by_name.push((name, text)),
        }
    }
    by_name.sort_by(|a, b| a.0.cmp(&b.0));
    let mut lessons = Lessons::default();
    for (name, text) in by_name {
        match parse(&name, &text) {
            Ok(lesson) => lessons.lessons.push(lesson),
            Err(e) => lessons.errors.push(e),
        }
    }
    lessons
}

/// The shipped lessons, and the `.toml` files in `folder` (a teacher's, e.g.
/// `samples/lessons/`): one of the same name as a shipped lesson replaces it.
pub fn load_with_folder(folder: Option<&Path>) -> Lessons {
    let mut files: Vec<(String, String)> = SHIPPED
        .iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect();
    let mut unreadable = Vec::new();
    if let Some(entries) = folder.and_then(|dir| std::fs::read_dir(dir).ok()) {
        for path in entries.filter_map(Result::ok).map(|e| e.path()) {
            if path.extension().is_none_or(|ext| ext != "toml") {
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match crate::engine::inputs::read_text(&path, crate::engine::inputs::InputKind::Lesson)
            {
                Ok(text) => files.push((name, text)),
                Err(e) => unreadable.push(LessonError {
                    file: name,
                    line: None,
                    message: format!("cannot be read: {}", e.reason()),
                }),
            }
        }
    }
    let mut lessons = load(files);
    lessons.errors.extend(unreadable);
    lessons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples")
    }

    #[test]
    fn every_shipped_lesson_parses_and_its_sample_exists() {
        let lessons = load_with_folder(None);
        assert!(lessons.errors.is_empty(), "{:?}", lessons.errors);
        assert_eq!(lessons.lessons.len(), SHIPPED.len());
        assert!(lessons.lessons.len() >= 8);
        for lesson in &lessons.lessons {
            assert!(
                samples().join(&lesson.sample).is_file(),
                "{}: no sample {}",
                lesson.id,
                lesson.sample
            );
            assert!(
                lesson.conditions().len() >= 2,
                "{}: no condition",
                lesson.id
            );
        }
        // Every file in samples/lessons ships.
        let on_disk = std::fs::read_dir(samples().join("lessons"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
            .count();
        assert_eq!(on_disk, SHIPPED.len(), "a lesson file is not in SHIPPED");
    }

    #[test]
    fn a_lesson_that_does_not_parse_is_named_with_its_line_and_the_others_load() {
        let good = SHIPPED[0];
        let broken = "title = \"Broken\"\nsample = \"hello.wat\"\nwhat_to_do = \"x\"\n\
                      what_to_expect = \"y\"\n[done_when]\noutcome = \"exploded\"\n";
        let typo = "title = \"Typo\"\nsample = \"hello.wat\"\nwhat_to_do = \"x\"\n\
                    what_to_expect = \"y\"\n[done_when]\nexit_cod = 0\n";
        let lessons = load([
            (good.0.to_owned(), good.1.to_owned()),
            ("50-broken.toml".to_owned(), broken.to_owned()),
            ("51-typo.toml".to_owned(), typo.to_owned()),
            (
                "52-not-toml.toml".to_owned(),
                "title = \"unclosed\n".to_owned(),
            ),
        ]);
        assert_eq!(lessons.lessons.len(), 1);
        assert_eq!(lessons.lessons[0].id, "01-nothing-granted");
        let errors: Vec<String> = lessons.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors[0].starts_with("50-broken.toml, line 6: "),
            "{errors:?}"
        );
        assert!(errors[0].contains("exploded"), "{errors:?}");
        assert!(
            errors[1].starts_with("51-typo.toml, line 6: "),
            "{errors:?}"
        );
        assert!(errors[1].contains("exit_cod"), "{errors:?}");
        assert!(
            errors[2].starts_with("52-not-toml.toml, line 1: "),
            "{errors:?}"
        );
    }

    #[test]
    fn a_run_meets_a_lesson_only_when_every_condition_holds() {
        let lesson = load_with_folder(None)
            .lessons
            .into_iter()
            .find(|l| l.id == "03-read-only-refuses-writes")
            .unwrap();
        let mut report = RunReport::new(
            "write_file.wat",
            crate::engine::RunOutcome::Exited { code: 1 },
        );
        report.exit_code = Some(1);
        let mut policy = SandboxPolicy::default();
        let invocation = Invocation::default();
        let run = |report: &RunReport, policy: &SandboxPolicy| {
            lesson
                .check(&LessonRun {
                    module: "write_file.wat",
                    report,
                    policy,
                    invocation: &invocation,
                })
                .iter()
                .filter(|c| !c.met)
                .map(|c| c.words.clone())
                .collect::<Vec<_>>()
        };
        let unmet = run(&report, &policy);
        assert!(
            unmet.contains(&"a folder granted read-only".to_owned()),
            "{unmet:?}"
        );
        assert!(
            unmet
                .iter()
                .any(|w| w.contains("path_open refused with perm (63)")),
            "{unmet:?}"
        );
        policy.dirs.push(crate::engine::DirGrant {
            host_path: "/tmp/box".into(),
            guest_path: "/out".into(),
            read_only: true,
            scratch: false,
        });
        report.calls.push(crate::engine::outcome::CallRecord {
            function: "path_open".to_owned(),
            capability: crate::engine::Capability::Filesystem,
            args: String::new(),
            errno: Some(63),
            result: "perm".to_owned(),
            denial: Some("write on a read-only directory".to_owned()),
            at_us: 0,
            count: 1,
            paths: None,
            prepares_escape: None,
            moment: None,
        });
        report.denials = report.calls.clone();
        report.denials_total = 1;
        assert_eq!(run(&report, &policy), Vec::<String>::new());
    }
}
