//! Front-end benchmark: parse, load and evaluate the 5,000-resource configuration.
//! The README quotes `scripts/bench` (whole process, wall time and peak memory); this bench
//! splits the time into phases to find where it goes.

// Tests set up their fixtures on the real file system.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use slipway_lang::evaluate::{EvalSettings, InputValue, evaluate_config};
use slipway_lang::fs::OsFileSystem;
use slipway_lang::load::load_config;
use slipway_lang::source::Sources;

mod config_gen;

fn front_end(c: &mut Criterion) {
    let text = config_gen::chains_config(5000);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), &text).expect("write config");
    let mut group = c.benchmark_group("front_end_5000");
    group.sample_size(10);
    group.bench_function("parse", |b| b.iter(|| hcl_edit::parser::parse_body(&text).map(|body| body.len())));
    group.bench_function("load", |b| {
        b.iter(|| {
            let mut sources = Sources::new();
            load_config(dir.path(), &OsFileSystem, &mut sources).1.len()
        })
    });
    let mut sources = Sources::new();
    let (config, _) = load_config(dir.path(), &OsFileSystem, &mut sources);
    let settings = settings(dir.path());
    let inputs = std::collections::BTreeMap::<String, InputValue>::new();
    group.bench_function("evaluate", |b| b.iter(|| evaluate_config(&config, &inputs, &sources, &settings).1.len()));
    group.finish();
}

fn settings(dir: &Path) -> EvalSettings<'static> {
    static FS: OsFileSystem = OsFileSystem;
    EvalSettings {
        fs: &FS,
        working_dir: dir.to_path_buf(),
        root_dir: dir.to_path_buf(),
        workspace: "default".into(),
        impure_unknown: true,
        validating: true,
        observer: None,
    }
}

criterion_group!(benches, front_end);
criterion_main!(benches);
