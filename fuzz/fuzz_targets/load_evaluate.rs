//! Loads arbitrary bytes (as lossy UTF-8) as `main.tf` and evaluates the module, as `plan` and as
//! `validate`: no input may panic; every problem must become a diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    slipway_fuzz::load_evaluate(&String::from_utf8_lossy(data));
});
