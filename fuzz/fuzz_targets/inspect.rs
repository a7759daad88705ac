//! Any bytes, as a dropped file: `inspect` and `load_bytes` must not panic, and whatever they
//! reject must say why.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(broken) = wasmscope_fuzz::check_bytes(data) {
        panic!("{broken}");
    }
});
