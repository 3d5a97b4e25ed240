//! Replays every input saved under `fuzz/regressions/<target>/` (crashes the fuzz targets found
//! and that are now fixed) through load, evaluate and format, on stable Rust, so that `cargo
//! test` keeps them fixed. No input may panic; formatted text must format again.

// The regression inputs are files on disk.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use slipway_core::render::{Redaction, render_value};
use slipway_lang::config::Config;
use slipway_lang::evaluate::{EvalSettings, evaluate_config};
use slipway_lang::format::format_source;
use slipway_lang::fs::FileSystem;
use slipway_lang::load::load_source;
use slipway_lang::source::Sources;

/// A file system with no files, so that no input reads the host's.
struct NoFiles;

impl FileSystem for NoFiles {
    fn read(&self, _: &Path) -> io::Result<Vec<u8>> {
        Err(io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn is_file(&self, _: &Path) -> io::Result<bool> {
        Ok(false)
    }

    fn is_dir(&self, _: &Path) -> bool {
        false
    }

    fn read_dir(&self, _: &Path) -> io::Result<Vec<PathBuf>> {
        Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"))
    }

    fn home_dir(&self) -> Option<PathBuf> {
        None
    }
}

fn regression_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() { dirs.push(path) } else { files.push(path) }
        }
    }
    files.sort();
    files
}

fn load_evaluate(text: &str) {
    let mut sources = Sources::new();
    let (module, _) = load_source("main.tf", text, &mut sources);
    let config = Config { module, children: BTreeMap::new() };
    for validating in [false, true] {
        let settings = EvalSettings {
            fs: &NoFiles,
            working_dir: PathBuf::from("/fuzz"),
            root_dir: PathBuf::from("/fuzz"),
            workspace: "default".into(),
            impure_unknown: true,
            validating,
            observer: None,
        };
        let (evaluated, _) = evaluate_config(&config, &BTreeMap::new(), &sources, &settings);
        for value in evaluated.locals.values().chain(evaluated.outputs.values()) {
            render_value(value, Redaction::Redact);
        }
    }
}

#[test]
fn fuzz_regressions_stay_fixed() {
    let files = regression_files();
    assert!(!files.is_empty(), "no files under fuzz/regressions");
    for path in files {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes);
        load_evaluate(&text);
        if let Ok(formatted) = format_source(&text) {
            assert!(format_source(&formatted).is_ok(), "{}: formatted text does not format again", path.display());
        }
    }
}
