//! What the end-to-end tests share: running the binary, and the local AWS.

// Each test file uses the parts it needs.
#![allow(dead_code)]

pub mod cable;
pub mod cluster;
pub mod kubelets;
pub mod kubernetes_made;
pub mod moto;

use std::path::Path;

/// Runs `slipway ARGS` in `dir` as a user would, without colour and with no AWS profile or
/// instance metadata to fall back on; the exit code and everything it printed.
pub fn slipway(dir: &Path, args: &[&str]) -> (i32, String) {
    slipway_env(dir, args, &[])
}

/// [`slipway`] with more environment variables.
pub fn slipway_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let out = command(dir, env).args(args).output().expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

/// A runtime for the SDK calls a test makes to read back or change what slipway did.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// The `slipway` process as [`slipway`] runs it, for a test that needs to hold it (to kill it,
/// or to feed its standard input).
pub fn command(dir: &Path, env: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("slipway"));
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("TF_WORKSPACE")
        .env_remove("AWS_PROFILE")
        // Tests answer prompts themselves, also when the suite runs in a CI job.
        .env_remove("CI");
    for (k, v) in env {
        command.env(k, v);
    }
    command
}
