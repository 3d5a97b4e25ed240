//! `slipway validate`: the whole configuration, modules included, checked without variable
//! values or remote access.

use std::process::ExitCode;

use slipway_lang::evaluate::evaluate_config;
use slipway_lang::fs::OsFileSystem;

use super::Workspace;
use crate::cli::ValidateArgs;
use crate::diagnostics::{ValidateJson, print_diagnostics};

pub fn run(args: &ValidateArgs) -> ExitCode {
    let mut workspace = Workspace::load();
    let fs = OsFileSystem;
    let settings = workspace.settings(&fs, true);
    let inputs = workspace.unknown_inputs();
    let (_, eval_diags) = evaluate_config(&workspace.config, &inputs, &workspace.sources, &settings);
    workspace.diagnostics.extend(eval_diags);
    let diagnostics = std::mem::take(&mut workspace.diagnostics).sorted();
    let valid = !diagnostics.has_errors();
    if args.json {
        let doc = ValidateJson::new(&diagnostics);
        match serde_json::to_string_pretty(&doc) {
            Ok(text) => outln!("{text}"),
            Err(e) => eprintln!("error: could not encode the result as JSON: {e}"),
        }
    } else {
        print_diagnostics(&diagnostics, &workspace.sources, args.no_color);
        if valid {
            outln!("Success! The configuration is valid.");
        }
    }
    if valid { ExitCode::SUCCESS } else { ExitCode::from(1) }
}
