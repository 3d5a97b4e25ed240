//! Formats arbitrary bytes (as lossy UTF-8) the way `slipway fmt` does: no input may panic, and
//! formatted text must format again without error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    slipway_fuzz::format(&String::from_utf8_lossy(data));
});
