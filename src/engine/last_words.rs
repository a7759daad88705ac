//! Why a guest died, in its own words: most programs do not trap on a bad instruction, they
//! decide to die (a Rust panic, a C `assert`, a Python exception, a Go `panic:`), say why on
//! stderr, and then execute `unreachable` or exit with a failure code. The last of stderr is
//! read for those words.
//!
//! Reading is best-effort and honest: the words are labelled as read from stderr, they never
//! change how the run is classified (the trap is still the trap), and they are kept as plain
//! text, never markup.

use serde::{Deserialize, Serialize};

/// How much of the end of stderr is kept to look for last words.
pub const TAIL_BYTES: usize = 8 * 1024;

/// The longest message kept (a guest can print anything).
const MAX_MESSAGE_CHARS: usize = 400;

/// Who said it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordsKind {
    /// A Rust panic (`thread 'main' panicked at …`).
    RustPanic,
    /// A Python exception that escaped (`Traceback (most recent call last):`).
    PythonException,
    /// A C assertion (wasi-libc's `Assertion failed: …`).
    CAssert,
    /// A Go or TinyGo `panic:`.
    GoPanic,
    /// AssemblyScript's `abort(message, file, line, column)`.
    AssemblyScriptAbort,
}

impl WordsKind {
    /// The kind in a few words, for a headline: "Rust panic".
    pub fn label(self) -> &'static str {
        match self {
            WordsKind::RustPanic => "Rust panic",
            WordsKind::PythonException => "Python",
            WordsKind::CAssert => "C assertion failed",
            WordsKind::GoPanic => "Go panic",
            WordsKind::AssemblyScriptAbort => "AssemblyScript abort",
        }
    }
}

/// The guest's last words: what it said before it died.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWords {
    /// Who said it.
    pub kind: WordsKind,
    /// The exception's type, for Python (`ZeroDivisionError`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// The message (`attempt to divide by zero`).
    pub message: String,
    /// Where, as the guest named it (`names.rs:7:5`, `app.py:6`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Where the words came from: `stderr`, or `env.abort` for AssemblyScript.
    pub source: String,
}

impl LastWords {
    /// One line: "Rust panic: attempt to divide by zero — names.rs:7:5".
    pub fn headline(&self) -> String {
        let what = match (&self.kind, &self.exception) {
            (WordsKind::PythonException, Some(exception)) => format!("Python {exception}"),
            (kind, _) => kind.label().to_owned(),
        };
        let message = if self.message.is_empty() {
            String::new()
        } else {
            format!(": {}", self.message)
        };
        match &self.location {
            Some(location) => format!("{what}{message} — {location}"),
            None => format!("{what}{message}"),
        }
    }

    /// The headline with where it was read: "… (read from the guest's stderr)".
    pub fn sourced_headline(&self) -> String {
        let from = if self.source == "stderr" {
            "read from the guest's stderr".to_owned()
        } else {
            format!("passed to {}", self.source)
        };
        format!("{} ({from})", self.headline())
    }

    /// An id for the words' type, for a debugger's exception info: the Python exception's
    /// name, or the kind.
    pub fn id(&self) -> String {
        match &self.exception {
            Some(exception) => exception.clone(),
            None => format!("{:?}", self.kind),
        }
    }
}

fn clip(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    clipped.push('…');
    clipped
}

fn words(kind: WordsKind, message: &str, location: Option<String>) -> LastWords {
    LastWords {
        kind,
        exception: None,
        message: clip(message),
        location: location.map(|l| clip(&l)),
        source: "stderr".to_owned(),
    }
}

/// The last words in the end of a guest's stderr, if it said any (the latest, when it said
/// several).
pub fn recognise(stderr: &[u8]) -> Option<LastWords> {
    let start = stderr.len().saturating_sub(TAIL_BYTES);
    let text = String::from_utf8_lossy(&stderr[start..]);
    let lines: Vec<&str> = text.lines().collect();
    // The latest words win: look from the end for the line that starts each kind.
    for (index, line) in lines.iter().enumerate().rev() {
        let found = rust_panic(line, lines.get(index + 1).copied())
            .or_else(|| python(&lines, index))
            .or_else(|| c_assert(line))
            .or_else(|| go_panic(&lines, index));
        if found.is_some() {
            return found;
        }
    }
    None
}

/// `thread 'main' panicked at 'MESSAGE', FILE:LINE:COL` (Rust before 1.73) or
/// `thread 'main' panicked at FILE:LINE:COL:` followed by the message (1.73 and later).
fn rust_panic(line: &str, next: Option<&str>) -> Option<LastWords> {
    let rest = line.trim_start().strip_prefix("thread '")?;
    let (_, rest) = rest.split_once("' panicked at ")?;
    if let Some(quoted) = rest.strip_prefix('\'') {
        // The message may itself hold `', `; the location follows the last one.
        let (message, location) = quoted.rsplit_once("', ")?;
        return Some(words(
            WordsKind::RustPanic,
            message,
            Some(location.to_owned()),
        ));
    }
    let location = rest.strip_suffix(':').unwrap_or(rest);
    Some(words(
        WordsKind::RustPanic,
        next.unwrap_or(""),
        Some(location.to_owned()),
    ))
}

/// A Python traceback: the exception line after the last `File "…", line N` of a
/// `Traceback (most recent call last):`.
fn python(lines: &[&str], index: usize) -> Option<LastWords> {
    if lines[index].trim() != "Traceback (most recent call last):" {
        return None;
    }
    let mut location = None;
    let mut exception = None;
    for line in &lines[index + 1..] {
        if let Some(rest) = line.trim_start().strip_prefix("File \"") {
            let (file, rest) = rest.split_once('"')?;
            let number = rest
                .trim_start_matches(", line ")
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("");
            location = Some(if number.is_empty() {
                file.to_owned()
            } else {
                format!("{file}:{number}")
            });
        } else if !line.starts_with(' ') && !line.is_empty() {
            exception = Some(*line);
            break;
        }
    }
    let exception = exception?;
    let (name, message) = exception.split_once(": ").unwrap_or((exception, ""));
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.');
    if !is_name {
        return None;
    }
    Some(LastWords {
        exception: Some(clip(name)),
        ..words(WordsKind::PythonException, message, location)
    })
}

/// wasi-libc's `Assertion failed: EXPR (FILE: FUNC: LINE)`.
fn c_assert(line: &str) -> Option<LastWords> {
    let rest = line.trim().strip_prefix("Assertion failed: ")?;
    let Some((expression, place)) = rest.rsplit_once(" (") else {
        return Some(words(WordsKind::CAssert, rest, None));
    };
    let place = place.strip_suffix(')').unwrap_or(place);
    let parts: Vec<&str> = place.split(": ").collect();
    let location = match parts.as_slice() {
        [file, _function, line] => format!("{file}:{line}"),
        _ => place.to_owned(),
    };
    Some(words(WordsKind::CAssert, expression, Some(location)))
}

/// Go's and TinyGo's `panic: MESSAGE`, with the first `FILE.go:LINE` after it.
fn go_panic(lines: &[&str], index: usize) -> Option<LastWords> {
    let message = lines[index].strip_prefix("panic: ")?;
    let location = lines[index + 1..].iter().find_map(|line| {
        let line = line.trim();
        let at = line.find(".go:")?;
        let end = line[at + 4..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(line.len(), |n| at + 4 + n);
        Some(line[..end].to_owned())
    });
    Some(words(WordsKind::GoPanic, message, location))
}

/// The runtimes whose frames a reader skips to find their own code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Runtime {
    Rust,
    Libc,
}

fn family(func_name: &str) -> Option<Runtime> {
    let name = func_name.trim_start_matches('<');
    const RUST: [&str; 9] = [
        "std::",
        "core::",
        "alloc::",
        "panic_abort::",
        "panic_unwind::",
        "__rust_",
        "__rustc::",
        "rust_panic",
        "rust_begin_unwind",
    ];
    if RUST.iter().any(|prefix| name.starts_with(prefix)) {
        return Some(Runtime::Rust);
    }
    // Not `__original_main` nor `__main_argc_argv`: clang gives the program's own `main` those
    // names, and its code is the program's.
    const LIBC_EXACT: [&str; 4] = ["abort", "__assert_fail", "__main_void", "_Exit"];
    const LIBC_PREFIX: [&str; 3] = ["__wasilibc_", "__wasi_", "_start"];
    if LIBC_EXACT.contains(&name) || LIBC_PREFIX.iter().any(|p| name.starts_with(p)) {
        return Some(Runtime::Libc);
    }
    None
}

/// Which runtime a backtrace frame belongs to, by its (demangled) name, in words: the part of
/// a backtrace a reader skips to find their own code. `None` for the program's own frame.
pub fn runtime_of(func_name: &str) -> Option<&'static str> {
    family(func_name).map(|family| match family {
        Runtime::Rust if func_name.contains("panic") => "the Rust panic machinery",
        Runtime::Rust => "the Rust standard library",
        Runtime::Libc => "wasi-libc",
    })
}

/// The frame whose source variables a reader wants first, of frames given as (name, whether
/// it has source variables): the innermost of the program's own frames that has any (past the
/// panic machinery and the libc frames), else the innermost when it has any.
pub fn variables_frame<'a>(
    frames: impl IntoIterator<Item = (Option<&'a str>, bool)>,
) -> Option<usize> {
    let mut innermost = None;
    for (index, (name, has)) in frames.into_iter().enumerate() {
        if index == 0 && has {
            innermost = Some(0);
        }
        if has && name.and_then(runtime_of).is_none() {
            return Some(index);
        }
    }
    innermost
}

/// A backtrace's frames in runs: `(first index, count, runtime)`, a run of one runtime's
/// frames together (named "the Rust panic machinery" when any of them panics), each of the
/// program's own frames alone (`runtime` `None`).
pub fn fold_frames<'a>(
    names: impl IntoIterator<Item = Option<&'a str>>,
) -> Vec<(usize, usize, Option<&'static str>)> {
    let mut runs: Vec<(usize, usize, Option<Runtime>, bool)> = Vec::new();
    for (index, name) in names.into_iter().enumerate() {
        let runtime = name.and_then(family);
        let panics = name.is_some_and(|n| n.contains("panic"));
        match runs.last_mut() {
            Some((_, count, Some(last), any_panic)) if runtime == Some(*last) => {
                *count += 1;
                *any_panic |= panics;
            }
            _ => runs.push((index, 1, runtime, panics)),
        }
    }
    runs.into_iter()
        .map(|(first, count, runtime, panics)| {
            let words = runtime.map(|runtime| match runtime {
                Runtime::Rust if panics => "the Rust panic machinery",
                Runtime::Rust => "the Rust standard library",
                Runtime::Libc => "wasi-libc",
            });
            (first, count, words)
        })
        .collect()
}

/// The index of the first frame of the program's own code, when a runtime's frames come
/// before it.
pub fn first_own_frame<'a>(names: impl IntoIterator<Item = Option<&'a str>>) -> Option<usize> {
    names
        .into_iter()
        .position(|name| name.is_none_or(|name| runtime_of(name).is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headline(stderr: &str) -> Option<String> {
        recognise(stderr.as_bytes()).map(|w| w.headline())
    }

    #[test]
    fn each_kind_of_last_words_is_read_with_its_place() {
        assert_eq!(
            headline(
                "thread 'main' panicked at 'attempt to divide by zero', names.rs:7:5\n\
                 note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
            )
            .as_deref(),
            Some("Rust panic: attempt to divide by zero — names.rs:7:5")
        );
        assert_eq!(
            headline("thread 'main' panicked at src/main.rs:4:13:\nindex out of bounds\n")
                .as_deref(),
            Some("Rust panic: index out of bounds — src/main.rs:4:13")
        );
        assert_eq!(
            headline(
                "Traceback (most recent call last):\n  File \"/app/run.py\", line 2, in <module>\n    \
                 main()\n  File \"app.py\", line 6, in main\n    1 / 0\n\
                 ZeroDivisionError: division by zero\n"
            )
            .as_deref(),
            Some("Python ZeroDivisionError: division by zero — app.py:6")
        );
        assert_eq!(
            headline("Assertion failed: count > 0 (main.c: main: 12)\n").as_deref(),
            Some("C assertion failed: count > 0 — main.c:12")
        );
        assert_eq!(
            headline(
                "panic: runtime error: index out of range [5] with length 3\n\ngoroutine 1 \
                 [running]:\nmain.main()\n\t/src/main.go:9 +0x1d\n"
            )
            .as_deref(),
            Some("Go panic: runtime error: index out of range [5] with length 3 — /src/main.go:9")
        );
        assert_eq!(headline("all is well\n"), None);
    }

    #[test]
    fn runtime_frames_fold_and_the_programs_own_frame_is_found() {
        let names = [
            Some("__rust_start_panic"),
            Some("rust_panic"),
            Some("std::panicking::rust_panic_with_hook"),
            Some("core::panicking::panic"),
            Some("names::score"),
            Some("names::main"),
            Some("std::rt::lang_start"),
            Some("__main_void"),
            Some("_start"),
        ];
        assert_eq!(
            fold_frames(names),
            [
                (0, 4, Some("the Rust panic machinery")),
                (4, 1, None),
                (5, 1, None),
                (6, 1, Some("the Rust standard library")),
                (7, 2, Some("wasi-libc")),
            ]
        );
        let mixed = [
            Some("std::sys_common::backtrace::__rust_end_short_backtrace"),
            Some("std::panicking::begin_panic_handler"),
            Some("_start.command_export"),
        ];
        assert_eq!(
            fold_frames(mixed),
            [
                (0, 2, Some("the Rust panic machinery")),
                (2, 1, Some("wasi-libc"))
            ]
        );
        assert_eq!(first_own_frame(names), Some(4));
        assert_eq!(runtime_of("abortion"), None);
    }

    #[test]
    fn the_latest_words_win_and_a_long_message_is_clipped() {
        let stderr = format!(
            "Assertion failed: old (a.c: f: 1)\nthread 'main' panicked at 'x{}', b.rs:1:1\n",
            "y".repeat(1000)
        );
        let words = recognise(stderr.as_bytes()).unwrap();
        assert_eq!(words.kind, WordsKind::RustPanic);
        assert_eq!(words.message.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(words.message.ends_with('…'));
    }
}
