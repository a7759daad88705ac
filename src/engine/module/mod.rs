//! The module as loaded: its bytes read and its kind decided once ([`load`]), what it asks
//! for ([`inspect`], which adds to [`crate::engine::info`] what only wasmtime knows), its text
//! ([`disasm`]), and precompiled machine code ([`precompiled`]). It compiles and deserializes
//! with the sandbox's engines, so it sits above [`crate::engine::sandbox`].

pub mod disasm;
pub mod inspect;
pub mod load;
pub mod precompiled;
