//! A wasm-smith module that may call real WASI functions, run in the full sandbox with small
//! caps: the host must not panic or hang, and the run must end in a classified outcome.
#![no_main]

use std::sync::LazyLock;

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;
use wasmscope_fuzz::{Imports, check_report, run_case, smith_case};

static IMPORTS: LazyLock<Imports> = LazyLock::new(Imports::new);

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    // Too few bytes for a module: nothing to run.
    let Ok(case) = smith_case(&mut u, &IMPORTS) else {
        return;
    };
    let report = match run_case("smith.wasm", &case.wasm, &case.policy, &case.invocation) {
        Ok(report) => report,
        Err(broken) => panic!("{broken}\npolicy: {:?}", case.policy),
    };
    if let Err(broken) = check_report(&report, &case.policy) {
        panic!("{broken}\npolicy: {:?}", case.policy);
    }
});
