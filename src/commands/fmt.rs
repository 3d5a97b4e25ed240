//! `slipway fmt`: rewrites `.tf` and `.tfvars` files to the canonical layout that `terraform
//! fmt` produces. Exit codes as Terraform's: 0 done, 2 syntax errors, 3 with `-check` when a file
//! is not formatted.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use slipway_lang::format::format_source;

use crate::cli::FmtArgs;

const FORMATTED_EXTENSIONS: &[&str] = &[".tf", ".tfvars", ".tftest.hcl"];

pub fn run(args: &FmtArgs) -> ExitCode {
    let targets = if args.targets.is_empty() { vec![PathBuf::from(".")] } else { args.targets.clone() };
    let write = args.write && !args.check;
    let mut any_unformatted = false;
    let mut any_error = false;
    for target in &targets {
        if target.as_os_str() == "-" {
            match format_stdin(args) {
                Ok(changed) => any_unformatted |= changed,
                Err(message) => {
                    eprintln!("error: {message}");
                    any_error = true;
                }
            }
            continue;
        }
        let files = if target.is_dir() {
            let mut files = Vec::new();
            collect_files(target, args.recursive, &mut files);
            files
        } else if target.is_file() {
            vec![target.clone()]
        } else {
            eprintln!("error: no file or directory at {}", target.display());
            any_error = true;
            continue;
        };
        for file in files {
            match format_file(&file, args, write) {
                Ok(changed) => any_unformatted |= changed,
                Err(message) => {
                    eprintln!("{message}");
                    any_error = true;
                }
            }
        }
    }
    if any_error {
        ExitCode::from(2)
    } else if args.check && any_unformatted {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    }
}

/// Files to format in `dir`, sorted; subdirectories too with `-recursive` (hidden ones skipped).
fn collect_files(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if path.is_dir() {
            if recursive && !name.starts_with('.') {
                collect_files(&path, recursive, out);
            }
        } else if FORMATTED_EXTENSIONS.iter().any(|ext| name.ends_with(ext)) {
            out.push(path);
        }
    }
}

fn display(path: &Path) -> String {
    path.to_string_lossy().trim_start_matches("./").to_string()
}

/// Formats one file; `Ok(true)` when its formatting differed.
fn format_file(path: &Path, args: &FmtArgs, write: bool) -> Result<bool, String> {
    let name = display(path);
    let original = std::fs::read_to_string(path).map_err(|e| format!("error: could not read {name}: {e}"))?;
    let formatted = format_source(&original)
        .map_err(|e| format!("error: {name}:{}:{}: Invalid syntax: {}", e.line, e.column, e.message))?;
    if formatted == original {
        return Ok(false);
    }
    let mut stdout = std::io::stdout().lock();
    if args.list {
        let _ = writeln!(stdout, "{name}");
    }
    if write {
        std::fs::write(path, &formatted).map_err(|e| format!("error: could not write {name}: {e}"))?;
    }
    if args.diff {
        let _ = write!(stdout, "{}", unified_diff(&name, &original, &formatted));
    }
    Ok(true)
}

fn format_stdin(args: &FmtArgs) -> Result<bool, String> {
    let mut original = String::new();
    std::io::stdin().read_to_string(&mut original).map_err(|e| format!("could not read standard input: {e}"))?;
    let formatted = format_source(&original)
        .map_err(|e| format!("<stdin>:{}:{}: Invalid syntax: {}", e.line, e.column, e.message))?;
    let changed = formatted != original;
    let mut stdout = std::io::stdout().lock();
    if args.diff {
        let _ = write!(stdout, "{}", unified_diff("<stdin>", &original, &formatted));
    } else if !args.check {
        let _ = write!(stdout, "{formatted}");
    }
    Ok(changed)
}

fn unified_diff(name: &str, old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("old/{name}"), &format!("new/{name}"))
        .to_string()
}
