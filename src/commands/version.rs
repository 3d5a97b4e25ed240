//! `slipway version`.

use std::process::ExitCode;

use crate::cli::VersionArgs;

pub fn run(args: &VersionArgs) -> ExitCode {
    let version = env!("CARGO_PKG_VERSION");
    if args.json {
        outln!(
            "{}",
            serde_json::json!({ "slipway_version": version, "platform": format!("{}_{}", std::env::consts::OS, std::env::consts::ARCH) })
        );
    } else {
        outln!("slipway v{version}\non {}_{}", std::env::consts::OS, std::env::consts::ARCH);
    }
    ExitCode::SUCCESS
}
