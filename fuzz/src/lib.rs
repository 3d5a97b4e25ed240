//! Shared pieces of slipway's fuzz targets: an in-memory file system, so that file functions
//! never touch the host (no `/dev/zero`, no home directory), and the load + evaluate + format
//! drivers each target calls.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use slipway_core::render::{Redaction, render_value};
use slipway_lang::config::Config;
use slipway_lang::evaluate::{EvalSettings, evaluate_config};
use slipway_lang::fs::FileSystem;
use slipway_lang::load::load_source;
use slipway_lang::source::Sources;

/// The directory the fuzzed module lives in.
pub const MODULE_DIR: &str = "/fuzz";

/// A few small files under [`MODULE_DIR`], so that `file`, `templatefile` and `fileset` have
/// something to read.
#[derive(Debug, Default)]
pub struct MemFs;

const FILES: &[(&str, &str)] = &[
    ("/fuzz/a.txt", "hello\n"),
    ("/fuzz/t.tftpl", "%{ for k, v in m }${k}=${v}\n%{ endfor }${x}"),
    ("/fuzz/d.json", "{\"a\": [1, 2.5, \"x\"]}"),
];

impl FileSystem for MemFs {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        FILES
            .iter()
            .find(|(p, _)| Path::new(p) == path)
            .map(|(_, text)| text.as_bytes().to_vec())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn is_file(&self, path: &Path) -> io::Result<bool> {
        Ok(FILES.iter().any(|(p, _)| Path::new(p) == path))
    }

    fn is_dir(&self, path: &Path) -> bool {
        path == Path::new(MODULE_DIR) || path == Path::new("/")
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        if path == Path::new(MODULE_DIR) {
            Ok(FILES.iter().map(|(p, _)| PathBuf::from(p)).collect())
        } else if path == Path::new("/") {
            Ok(vec![PathBuf::from(MODULE_DIR)])
        } else {
            Err(io::Error::new(io::ErrorKind::NotFound, "no such directory"))
        }
    }

    fn home_dir(&self) -> Option<PathBuf> {
        Some(PathBuf::from("/home/fuzz"))
    }
}

/// Loads `text` as `main.tf` and evaluates it with no inputs, once as `plan` and once as
/// `validate` would, rendering every value. Must never panic.
pub fn load_evaluate(text: &str) {
    let fs = MemFs;
    let mut sources = Sources::new();
    let (mut module, _diags) = load_source("main.tf", text, &mut sources);
    module.dir = PathBuf::from(MODULE_DIR);
    let config = Config { module, children: BTreeMap::new() };
    for validating in [false, true] {
        let settings = EvalSettings {
            fs: &fs,
            working_dir: PathBuf::from(MODULE_DIR),
            root_dir: PathBuf::from(MODULE_DIR),
            workspace: "default".into(),
            impure_unknown: true,
            validating,
            observer: None,
        };
        let (evaluated, diags) = evaluate_config(&config, &BTreeMap::new(), &sources, &settings);
        for value in evaluated.locals.values().chain(evaluated.outputs.values()) {
            let _ = render_value(value, Redaction::Redact);
        }
        for d in &diags {
            let _ = format!("{}: {}", d.summary, d.detail);
            if let Some(range) = &d.subject {
                let file = sources.by_name(&range.filename);
                let line = file.and_then(|f| f.text.lines().nth(range.start.line.saturating_sub(1)));
                let _ = line.map(|l| l.chars().take(range.start.column).count());
            }
        }
    }
}

/// Formats `text`; when that succeeds, formatting the result must succeed too.
pub fn format(text: &str) {
    if let Ok(formatted) = slipway_lang::format::format_source(text)
        && let Err(e) = slipway_lang::format::format_source(&formatted)
    {
        panic!("formatting the formatted text failed: {e:?}\n--- input\n{text}\n--- formatted\n{formatted}");
    }
}
