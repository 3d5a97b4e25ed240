//! Data-driven tests of the language front end: each directory under `tests/fixtures/` is a
//! configuration (with an optional `terraform.tfvars`); the snapshot holds the diagnostics, as
//! rendered with file, line, column and source line, and the evaluated variables, locals,
//! resource instances and outputs.

use std::fmt::Write;
use std::path::Path;

use slipway_core::render::{Redaction, render_value};
use slipway_core::{Diagnostics, Severity};
use slipway_lang::evaluate::{EvalSettings, EvaluatedModule, evaluate_config};
use slipway_lang::fs::OsFileSystem;
use slipway_lang::load::load_config;
use slipway_lang::source::Sources;
use slipway_lang::vars::collect_inputs;

#[test]
fn fixtures() {
    insta::glob!("fixtures/*/main.tf*", |main| {
        let dir = main.parent().expect("fixture directory");
        insta::assert_snapshot!(evaluate_fixture(dir));
    });
}

fn evaluate_fixture(dir: &Path) -> String {
    let fs = OsFileSystem;
    let mut sources = Sources::new();
    let (config, mut diags) = load_config(dir, &fs, &mut sources);
    let (inputs, input_diags) = collect_inputs(&config.module, dir, &[], &[], &fs, &mut sources);
    diags.extend(input_diags);
    let settings = EvalSettings {
        fs: &fs,
        working_dir: dir.to_path_buf(),
        root_dir: dir.to_path_buf(),
        workspace: "default".into(),
        impure_unknown: true,
        validating: false,
        observer: None,
    };
    let (module, eval_diags) = evaluate_config(&config, &inputs, &sources, &settings);
    diags.extend(eval_diags);
    let mut out = String::new();
    write_diagnostics(&mut out, &diags.sorted(), &sources, dir);
    write_module(&mut out, &module, "");
    out
}

fn write_diagnostics(out: &mut String, diags: &Diagnostics, sources: &Sources, dir: &Path) {
    let prefix = format!("{}/", dir.display());
    for d in diags {
        let severity = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let _ = writeln!(out, "{severity}: {}", d.summary);
        if let Some(range) = &d.subject {
            let file = range.filename.trim_start_matches(prefix.as_str());
            let _ = writeln!(out, "  --> {file}:{}:{}", range.start.line, range.start.column);
            if let Some(line) = sources.by_name(&range.filename).and_then(|f| f.text.lines().nth(range.start.line - 1))
            {
                let _ = writeln!(out, "   | {line}");
                let width = if range.end.line == range.start.line {
                    range.end.column.saturating_sub(range.start.column).max(1)
                } else {
                    1
                };
                let _ = writeln!(out, "   | {}{}", " ".repeat(range.start.column - 1), "^".repeat(width));
            }
        }
        for line in d.detail.lines() {
            let _ = writeln!(out, "  {line}");
        }
        for related in &d.related {
            let file = related.range.filename.trim_start_matches(prefix.as_str());
            let _ = writeln!(
                out,
                "  note: {} at {file}:{}:{}",
                related.message, related.range.start.line, related.range.start.column
            );
        }
    }
}

fn write_module(out: &mut String, module: &EvaluatedModule, indent: &str) {
    let show = |v| render_value(v, Redaction::Redact).replace('\n', &format!("\n{indent}"));
    for (name, value) in &module.variables {
        let _ = writeln!(out, "{indent}var.{name} = {}", show(value));
    }
    for (name, value) in &module.locals {
        let _ = writeln!(out, "{indent}local.{name} = {}", show(value));
    }
    for (key, instances) in &module.resources {
        match instances {
            None => {
                let _ = writeln!(out, "{indent}{key}: instances known after apply");
            }
            Some(instances) => {
                for instance in instances {
                    let _ = writeln!(out, "{indent}{key}{} = {}", instance.key, show(&instance.config));
                }
            }
        }
    }
    for (name, instances) in &module.children {
        for (key, child) in instances {
            let _ = writeln!(out, "{indent}module.{name}{key}:");
            write_module(out, child, &format!("{indent}  "));
        }
    }
    for (name, value) in &module.outputs {
        let _ = writeln!(out, "{indent}output.{name} = {}", show(value));
    }
}
