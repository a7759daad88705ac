//! Debug mode: the guest's own state (locals, operand stack, globals) at a trap, logpoints,
//! breakpoints, stepping and pausing, on wasmtime's guest-debugging API.
//!
//! Debug mode compiles with `Config::guest_debug(true)`: wasmtime keeps every wasm local and
//! operand-stack value where it can read them back, and calls a debug handler on traps,
//! breakpoints and epoch yields while the guest's frames are still on the stack. That costs
//! speed (and turns signals-based traps into explicit checks), so it is a mode with its own
//! cached engine ([`crate::engine::sandbox::EngineKey::debug`], from
//! [`crate::engine::SandboxPolicy::debug`]), never the default.
//!
//! | File | Job |
//! |---|---|
//! | `values.rs` | A value as shown: index, name, type, value in wasm notation. |
//! | `module_map.rs` | Names and code layout read from the module's bytes. |
//! | `breaks.rs` | `--break` specs resolved to an instruction; what a logpoint recorded. |
//! | `control.rs` | The face's side: commands, the paused state, the paused-time clock. |
//! | `source.rs` | The source lines around a DWARF `file:line`. |
//! | `variables.rs` | A module's DWARF, indexed: the program's own variables at a frame. |
//! | `source_values.rs` | Reading those variables: locations, types, values in words. |
//! | `rust_values.rs` | Rust's strings, vectors and enums read as Rust means them. |
//!
//! This is the data debug mode carries; the machinery that reads a stopped guest and handles
//! a debug run is [`crate::engine::debugger`], above the sandbox.
//!
//! Everything captured is bounded: [`MAX_FRAMES`] frames, [`MAX_VALUES`] values per frame,
//! [`MAX_LOG_LINES`] printed logpoint hits.

pub mod breaks;
pub mod control;
pub mod module_map;
mod rust_values;
pub mod source;
pub mod source_values;
pub mod values;
pub mod variables;

pub use breaks::{
    BreakAction, BreakError, BreakReport, Breakpoint, LogHit, breakpoint_at, operands_watch,
    resolve_breakpoint,
};
pub use control::{DebugCommand, DebugControl, PauseReason, PausedState};
pub use module_map::ModuleMap;
pub use source::{SourceContext, source_context};
pub use values::{
    DebugState, DebugValue, FrameState, FrameView, SourceVariable, find as find_variable,
    wasm_type_text, wasm_value_text,
};
pub use variables::SourceInfo;

/// The innermost frames whose state is captured; deeper frames are counted, not read.
pub const MAX_FRAMES: usize = 64;
/// Values read per frame (locals, and separately the operand stack), and globals per instance.
pub const MAX_VALUES: usize = 256;
/// Logpoint hits printed in all; later hits are counted (and their last locals kept).
pub const MAX_LOG_LINES: u64 = 1_000;
/// Memory kept with a paused state for the hex view.
pub const PAUSE_MEMORY_BYTES: usize = 16 * 1024 * 1024;
/// Source lines shown either side of the current line when the source file exists.
pub const SOURCE_CONTEXT_LINES: usize = 6;

/// Turns guest debugging on in an engine's configuration. Winch cannot debug guests.
pub(crate) fn configure(
    config: &mut wasmtime::Config,
    compiler: crate::engine::policy::Compiler,
) -> wasmtime::Result<()> {
    if compiler == crate::engine::policy::Compiler::Winch {
        wasmtime::bail!(
            "debug mode needs the Cranelift compiler (Winch cannot debug guests): choose \
             cranelift, or switch debug mode off"
        );
    }
    config.guest_debug(true);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::Val;

    #[test]
    fn values_are_written_in_wasm_notation() {
        assert_eq!(wasm_value_text(&Val::I32(7)), "7");
        assert_eq!(wasm_value_text(&Val::I32(-1)), "-1");
        assert_eq!(wasm_value_text(&Val::I64(-1)), "-1");
        assert_eq!(wasm_value_text(&Val::F32(2.5f32.to_bits())), "2.5");
        assert_eq!(wasm_value_text(&Val::F64(2.5f64.to_bits())), "2.5");
        assert_eq!(wasm_value_text(&Val::F64(f64::INFINITY.to_bits())), "inf");
        assert_eq!(
            wasm_value_text(&Val::F32(f32::NEG_INFINITY.to_bits())),
            "-inf"
        );
        assert_eq!(wasm_value_text(&Val::F64(f64::NAN.to_bits())), "nan");
        assert_eq!(wasm_value_text(&Val::FuncRef(None)), "null");
    }

    const MODULE: &str = r#"(module
        (import "env" "f" (func $imported))
        (func $first (result i32) i32.const 1)
        (func $divide (export "divide") (param $a i32) (result i32)
          (local $tmp i32)
          i32.const 10
          local.get $a
          i32.div_s))"#;

    #[test]
    fn breakpoints_resolve_by_name_index_and_offset() {
        let wasm = wat::parse_str(MODULE).unwrap();
        let map = ModuleMap::parse(&wasm).unwrap();
        assert_eq!(map.imported_functions, 1);
        assert_eq!(map.local_name(2, 0), Some("a"));
        assert_eq!(map.local_name(2, 1), Some("tmp"));
        let by_name = resolve_breakpoint(&wasm, "divide", BreakAction::Log).unwrap();
        let by_index = resolve_breakpoint(&wasm, "2", BreakAction::Log).unwrap();
        assert_eq!(by_name.module_offset, by_index.module_offset);
        assert_eq!(by_name.func_index, 2);
        // The body starts with its local declarations; the breakpoint lands on `i32.const`.
        let body = map.body(2).unwrap();
        assert!(by_name.module_offset > body.start, "{by_name:?}");
        let at = resolve_breakpoint(
            &wasm,
            &format!("@{:#x}", by_name.module_offset),
            BreakAction::Log,
        )
        .unwrap();
        assert_eq!(at.module_offset, by_name.module_offset);
        assert!(by_name.at.starts_with("divide+0x"), "{}", by_name.at);
    }

    #[test]
    fn bad_breakpoints_are_explained() {
        let wasm = wat::parse_str(MODULE).unwrap();
        let err = resolve_breakpoint(&wasm, "nope", BreakAction::Log).unwrap_err();
        assert!(
            err.to_string().contains("no function is named `nope`"),
            "{err}"
        );
        assert!(err.to_string().contains("divide"), "{err}");
        let err = resolve_breakpoint(&wasm, "divide+0x400", BreakAction::Log).unwrap_err();
        assert!(err.to_string().contains("not inside divide"), "{err}");
        let err = resolve_breakpoint(&wasm, "0", BreakAction::Log).unwrap_err();
        assert!(err.to_string().contains("imported"), "{err}");
        let err = resolve_breakpoint(&wasm, "@0x3", BreakAction::Log).unwrap_err();
        assert!(err.to_string().contains("not inside any function"), "{err}");
    }

    #[test]
    fn source_context_reads_lines_around_and_explains_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("main.c");
        let text: String = (1..=30).map(|n| format!("line {n}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let context = source_context(&format!("{}:15:3", path.display())).unwrap();
        assert_eq!(context.line, 15);
        assert!(context.lines.contains(&(15, "line 15".to_owned())));
        assert_eq!(context.lines.len(), 2 * SOURCE_CONTEXT_LINES + 1);
        let missing = source_context("/no/such/file.c:3").unwrap();
        assert!(missing.lines.is_empty());
        assert!(missing.note.unwrap().contains("not on this machine"));
    }
}
