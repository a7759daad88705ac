#![allow(dead_code)] // Each test module uses some of these guests.

//! Guests that die with last words: WAT that prints to stderr then traps or exits, and real
//! Rust and C programs compiled at test time when the compilers are on this machine.

use std::path::{Path, PathBuf};

/// A panicking Rust program's frames, outermost first: the program's own two, then three of
/// the panic machinery.
pub const PANIC_CHAIN: &[&str] = &[
    "names::main",
    "names::score",
    "core::panicking::panic",
    "std::panicking::begin_panic_handler",
    "__rust_start_panic",
];

/// WAT text for `bytes` as a data string.
fn data(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// A guest that writes `stderr` to fd 2, then runs `ending` (`unreachable`, or
/// `i32.const N call $exit`), inside a chain of functions named `names` (outermost first).
pub fn dying_guest(stderr: &str, ending: &str, names: &[&str]) -> String {
    let len = stderr.len();
    let mut funcs = String::new();
    for (i, name) in names.iter().enumerate() {
        let body = match names.get(i + 1) {
            Some(next) => format!("call ${next}"),
            None => format!(
                "(drop (call $write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8))) {ending}"
            ),
        };
        funcs.push_str(&format!("  (func ${name} {body})\n"));
    }
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "\10\00\00\00{len_bytes}")
  (data (i32.const 16) "{text}")
{funcs}  (func (export "_start") call ${first}))"#,
        len_bytes = data(&(len as u32).to_le_bytes()),
        text = data(stderr.as_bytes()),
        first = names[0],
    )
}

/// An AssemblyScript-style guest: calls `env.abort` with a message and a file, as UTF-16
/// strings with their byte length before them.
pub fn aborting_guest(message: &str, file: &str, line: u32, column: u32) -> String {
    let string = |text: &str| {
        let units: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut bytes = (units.len() as u32).to_le_bytes().to_vec();
        bytes.extend(units);
        bytes
    };
    let message = string(message);
    let file_at = 16 + message.len() as u32 + 4;
    format!(
        r#"(module
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 12) "{message}")
  (data (i32.const {file_len_at}) "{file}")
  (func (export "_start") (call $abort (i32.const 16) (i32.const {file_at}) (i32.const {line}) (i32.const {column}))))"#,
        message = data(&message),
        file_len_at = file_at - 4,
        file = data(&string(file)),
    )
}

/// Compiles `source` (Rust, with Debian's rustc for wasm32-wasi) into `dir`, if that
/// compiler is here; `None` (and a note on stderr) otherwise.
pub fn rust_guest(dir: &Path, name: &str, source: &str) -> Option<PathBuf> {
    compile(
        dir,
        name,
        "rs",
        source,
        "/usr/bin/rustc",
        &["--target", "wasm32-wasi", "-g", "-C", "opt-level=0"],
    )
}

/// Compiles `source` (C, with clang and wasi-libc) into `dir`, if they are here.
pub fn c_guest(dir: &Path, name: &str, source: &str) -> Option<PathBuf> {
    compile(
        dir,
        name,
        "c",
        source,
        "clang",
        &["--target=wasm32-wasi", "-O0", "-g"],
    )
}

fn compile(
    dir: &Path,
    name: &str,
    extension: &str,
    source: &str,
    compiler: &str,
    flags: &[&str],
) -> Option<PathBuf> {
    let file = dir.join(format!("{name}.{extension}"));
    std::fs::write(&file, source).unwrap();
    let wasm = dir.join(format!("{name}.wasm"));
    let out = std::process::Command::new(compiler)
        .current_dir(dir)
        .args(flags)
        .arg(file.file_name().unwrap())
        .arg("-o")
        .arg(&wasm)
        .output();
    match out {
        Ok(out) if out.status.success() => Some(wasm),
        Ok(out) => {
            eprintln!(
                "SKIPPED: {compiler} cannot build for wasm32-wasi here: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            None
        }
        Err(e) => {
            eprintln!("SKIPPED: no {compiler} on this machine ({e})");
            None
        }
    }
}

/// Divides by zero in `area`, called with a pointer to `main`'s struct; prints what it has.
pub const C_SHAPES: &str = r#"#include <stdio.h>

enum color { RED, GREEN = 5, BLUE };

struct shape {
    int width;
    int height;
    char name[8];
    enum color color;
    const char *label;
    unsigned char flags[3];
    unsigned int level : 3;
    unsigned int on : 1;
};

static int area(struct shape *s, int div) {
    int area = s->width * s->height;
    printf("area=%d div=%d name=%s label=%s color=%d flags1=%d level=%d on=%d\n", area, div,
           s->name, s->label, (int)s->color, s->flags[1], s->level, s->on);
    fflush(stdout);
    return area / div;
}

int main(void) {
    struct shape box = { 3, 4, "box", GREEN, "a box", { 1, 42, 3 }, 5, 1 };
    int div = 0;
    printf("width=%d height=%d\n", box.width, box.height);
    return area(&box, div);
}
"#;

/// A C file's globals and statics, with a function that traps once `counter` reaches 9.
pub const C_GLOBALS: &str = r#"#include <stdio.h>
static int counter = 7;
const char *motto = "keep going";
struct point { int x, y; } origin = { 2, 3 }, unused = { 4, 5 };
int bump(int by) { counter += by; return origin.x * 5 / (counter - 9); }
int main(void) { printf("counter=%d motto=%s\n", counter, motto); return bump(2); }
"#;
