//! Input variable values from where Terraform takes them, in its order of precedence (later
//! wins): `TF_VAR_name` environment variables, `terraform.tfvars`, `*.auto.tfvars` in lexical
//! order, then `-var` and `-var-file` in the order given on the command line.

use std::collections::BTreeMap;
use std::path::Path;

use hcl_edit::Span;
use hcl_edit::structure::Structure;
use slipway_core::{Diagnostic, Diagnostics, Type, Value};

use crate::config::Module;
use crate::evaluate::InputValue;
use crate::fs::FileSystem;
use crate::source::{SourceFile, Sources};

/// One `-var` or `-var-file` argument, in command-line order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CliVar {
    /// `-var 'name=value'`
    Assignment(String),
    /// `-var-file=path`
    File(String),
}

/// Collects the root module's input values from the environment, the working directory's
/// `.tfvars` files and the command line.
pub fn collect_inputs(
    module: &Module,
    dir: &Path,
    cli: &[CliVar],
    env: &[(String, String)],
    fs: &dyn FileSystem,
    sources: &mut Sources,
) -> (BTreeMap<String, InputValue>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut values = BTreeMap::new();
    for (key, raw) in env {
        let Some(name) = key.strip_prefix("TF_VAR_") else { continue };
        // Terraform ignores TF_VAR_ values for variables the configuration does not declare.
        if module.variables.contains_key(name) {
            let origin = format!("environment variable {key}");
            let value = raw_value(module, name, raw, sources, &mut diags, &origin);
            values.insert(name.to_string(), InputValue { value, range: None, origin });
        }
    }
    let mut files = Vec::new();
    for default_name in ["terraform.tfvars", "terraform.tfvars.json"] {
        let default_file = dir.join(default_name);
        if fs.is_file(&default_file).unwrap_or(false) {
            files.push(default_file);
        }
    }
    let mut auto: Vec<_> = fs
        .read_dir(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json")
        })
        .collect();
    auto.sort();
    files.extend(auto);
    for file in files {
        load_tfvars(&file, fs, sources, &mut values, &mut diags);
    }
    for var in cli {
        match var {
            CliVar::Assignment(text) => match text.split_once('=') {
                Some((name, raw)) => {
                    let name = name.trim();
                    let value = raw_value(module, name, raw, sources, &mut diags, "-var");
                    values.insert(name.to_string(), InputValue { value, range: None, origin: "-var".into() });
                }
                None => diags.push(Diagnostic::error("Invalid -var option", format!("The given -var option {text:?} is not correctly specified. It must be a variable name and value separated by an equals sign, like\n    -var \"region=us-east-1\""))),
            },
            CliVar::File(path) => {
                let path = dir.join(path);
                if fs.is_file(&path).unwrap_or(false) {
                    load_tfvars(&path, fs, sources, &mut values, &mut diags);
                } else {
                    diags.push(Diagnostic::error("Failed to read variables file", format!("Given variables file {} does not exist.", path.display())));
                }
            }
        }
    }
    (values, diags)
}

/// A value given as a raw string: kept as a string for string-typed (and untyped) variables,
/// parsed as an HCL expression otherwise, as Terraform does.
fn raw_value(
    module: &Module,
    name: &str,
    raw: &str,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    origin: &str,
) -> Value {
    let wants_string = module.variables.get(name).is_none_or(|v| matches!(v.constraint.ty, Type::String | Type::Any));
    if wants_string {
        return Value::string(raw);
    }
    let file = sources.add(SourceFile::new(format!("<value for var.{name}>"), raw.to_string()));
    match hcl_edit::parser::parse_expr(raw) {
        Ok(expr) => constant(&expr, file, sources, diags),
        Err(e) => {
            diags.push(Diagnostic::error(
                "Invalid value for variable",
                format!("The value given for var.{name} by {origin} is not a valid expression: {}.", e.message()),
            ));
            Value::unknown(Type::Any)
        }
    }
}

fn load_tfvars(
    path: &Path,
    fs: &dyn FileSystem,
    sources: &mut Sources,
    values: &mut BTreeMap<String, InputValue>,
    diags: &mut Diagnostics,
) {
    let display = crate::load::display_path(path);
    let text = match fs.read(path).map(String::from_utf8) {
        Ok(Ok(t)) => t,
        _ => {
            diags.push(Diagnostic::error(
                "Failed to read variables file",
                format!("Could not read {display} as UTF-8 text."),
            ));
            return;
        }
    };
    let file = sources.add(SourceFile::new(display.clone(), text.clone()));
    if display.ends_with(".json") {
        load_tfvars_json(&text, file, &display, sources, values, diags);
        return;
    }
    let body = match hcl_edit::parser::parse_body(&text) {
        Ok(b) => b,
        Err(e) => {
            let offset = e.location().offset().min(text.len());
            diags.push(
                Diagnostic::error(
                    "Invalid syntax",
                    format!("The variables file could not be parsed: {}.", e.message()),
                )
                .with_subject(sources.range(file, Some(offset..offset))),
            );
            return;
        }
    };
    for structure in body {
        match structure {
            Structure::Attribute(attr) => {
                let value = constant(&attr.value, file, sources, diags);
                let range = sources.range(file, attr.value.span());
                values.insert(attr.key.as_str().to_string(), InputValue { value, range, origin: display.clone() });
            }
            Structure::Block(block) => diags.push(
                Diagnostic::error(
                    "Unexpected block",
                    "A variables file contains only assignments of the form name = value; blocks are not allowed.",
                )
                .with_subject(sources.range(file, block.ident.span())),
            ),
        }
    }
}

/// A `.tfvars.json` file: a JSON object whose values are taken literally (strings are not
/// templates there), read with serde_json; each value's position is found in the text so that
/// a bad value is reported where it is written.
fn load_tfvars_json(
    text: &str,
    file: crate::source::FileId,
    display: &str,
    sources: &Sources,
    values: &mut BTreeMap<String, InputValue>,
    diags: &mut Diagnostics,
) {
    let document: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(text) {
        Ok(serde_json::Value::Object(map)) => map,
        Ok(_) => {
            diags.push(
                Diagnostic::error(
                    "Invalid variables file",
                    format!("{display} must contain one JSON object of variable values."),
                )
                .with_subject(sources.range(file, Some(0..0))),
            );
            return;
        }
        Err(e) => {
            let offset = line_column_offset(text, e.line(), e.column());
            diags.push(
                Diagnostic::error("Invalid variables file", format!("{display} is not valid JSON: {e}."))
                    .with_subject(sources.range(file, Some(offset..offset))),
            );
            return;
        }
    };
    for (name, json) in document {
        let range = value_offset(text, &name).and_then(|start| sources.range(file, Some(start..start + 1)));
        values.insert(
            name,
            InputValue { value: slipway_core::json::from_json(&json), range, origin: display.to_string() },
        );
    }
}

/// The byte offset of 1-based `line` and `column`, as serde_json reports errors.
fn line_column_offset(text: &str, line: usize, column: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (line_start + column.saturating_sub(1)).min(text.len())
}

/// Where the value of top-level key `name` starts: after `"name"`, white space and a colon.
fn value_offset(text: &str, name: &str) -> Option<usize> {
    let key = serde_json::to_string(name).ok()?;
    let mut from = 0;
    while let Some(found) = text.get(from..)?.find(&key) {
        let after = from + found + key.len();
        let rest = text.get(after..)?;
        let trimmed = rest.trim_start();
        if let Some(value) = trimmed.strip_prefix(':') {
            let value_start = text.len() - value.trim_start().len();
            return Some(value_start);
        }
        from = after;
    }
    None
}

fn constant(
    expr: &hcl_edit::expr::Expression,
    file: crate::source::FileId,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Value {
    let (value, found) = crate::eval::eval_constant(sources, file, expr, false);
    diags.extend(found);
    value
}
