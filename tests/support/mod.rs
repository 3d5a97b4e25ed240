//! What the end-to-end tests share: running the binary, and the local AWS.

// Each test file uses the parts it needs.
#![allow(dead_code)]

pub mod moto;

use std::path::Path;

/// Runs `slipway ARGS` in `dir` as a user would, without colour and with no AWS profile or
/// instance metadata to fall back on; the exit code and everything it printed.
pub fn slipway(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = assert_cmd::Command::cargo_bin("slipway")
        .expect("slipway binary")
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("TF_WORKSPACE")
        .env_remove("AWS_PROFILE")
        .args(args)
        .output()
        .expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}
