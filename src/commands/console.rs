//! `slipway console`: evaluates each line of input as an expression against the configuration
//! and prints the result as `terraform console` does. Sensitive values print as
//! `(sensitive value)`; values known only after apply as `(known after apply)`.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use slipway_core::render::{Redaction, render_value};
use slipway_lang::evaluate::{eval_in_module, evaluate_config};
use slipway_lang::fs::OsFileSystem;
use slipway_lang::source::SourceFile;
use slipway_lang::vars::{CliVar, collect_inputs};

use super::Workspace;
use crate::cli::ConsoleArgs;
use crate::diagnostics::print_diagnostics;

pub fn run(args: &ConsoleArgs) -> ExitCode {
    let mut workspace = Workspace::load();
    let fs = OsFileSystem;
    let cli_vars: Vec<CliVar> = args
        .vars
        .vars
        .iter()
        .cloned()
        .map(CliVar::Assignment)
        .chain(args.vars.var_files.iter().cloned().map(CliVar::File))
        .collect();
    let env: Vec<(String, String)> = std::env::vars().collect();
    let dir = workspace.dir.clone();
    let (inputs, input_diags) =
        collect_inputs(&workspace.config.module, &dir, &cli_vars, &env, &fs, &mut workspace.sources);
    workspace.diagnostics.extend(input_diags);
    let settings = workspace.settings(&fs, false);
    let (module, eval_diags) = evaluate_config(&workspace.config, &inputs, &workspace.sources, &settings);
    workspace.diagnostics.extend(eval_diags);
    if workspace.diagnostics.has_errors() {
        print_diagnostics(&workspace.diagnostics, &workspace.sources, args.no_color);
        return ExitCode::from(1);
    }

    let interactive = std::io::stdin().is_terminal();
    let stdin = std::io::stdin();
    let mut failed = false;
    let mut line_number = 0;
    loop {
        if interactive {
            out!("> ");
            let _ = std::io::stdout().flush();
        }
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("error: could not read input: {e}");
                return ExitCode::from(1);
            }
        }
        let input = line.trim();
        if input.is_empty() {
            continue;
        }
        if input == "exit" {
            break;
        }
        line_number += 1;
        let file = workspace.sources.add(SourceFile::new(format!("<console-input-{line_number}>"), input.to_string()));
        let expr = match hcl_edit_expr(input) {
            Ok(expr) => expr,
            Err((offset, message)) => {
                let range = workspace.sources.range(file, Some(offset..offset));
                let d = slipway_core::Diagnostic::error(
                    "Invalid expression",
                    format!("The input could not be parsed: {message}."),
                )
                .with_subject(range);
                print_diagnostics(&d.into(), &workspace.sources, args.no_color);
                failed = true;
                continue;
            }
        };
        let (value, diags) = eval_in_module(&expr, file, &module, &workspace.sources, &settings);
        if diags.has_errors() {
            print_diagnostics(&diags.sorted(), &workspace.sources, args.no_color);
            failed = true;
            continue;
        }
        outln!("{}", render_value(&value, Redaction::Redact));
    }
    if failed && !interactive { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn hcl_edit_expr(input: &str) -> Result<slipway_lang::HclExpression, (usize, String)> {
    slipway_lang::parse_expression(input)
}
