//! One module per command. Each loads what it needs through the library crates, renders the
//! result and returns the process exit code.

mod apply;
mod backend;
mod cluster;
mod console;
mod encryption;
mod fmt;
mod force_unlock;
mod graph;
mod import;
mod init;
mod output;
mod plan;
mod planfile;
mod policy;
mod session;
mod show;
mod state;
mod validate;
mod version;
mod workspace;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use slipway_core::{Diagnostics, Value};
use slipway_lang::config::Config;
use slipway_lang::evaluate::{EvalSettings, InputValue};
use slipway_lang::fs::OsFileSystem;
use slipway_lang::source::Sources;

use crate::cli::Command;

pub fn run(command: Command) -> ExitCode {
    match command {
        Command::Validate(args) => validate::run(&args),
        Command::Fmt(args) => fmt::run(&args),
        Command::Console(args) => console::run(&args),
        Command::Version(args) => version::run(&args),
        Command::Init(args) => init::run(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Apply(args) => apply::run(&args, apply::Kind::Apply),
        Command::Destroy(args) => apply::run(&args, apply::Kind::Destroy),
        Command::Refresh(mut args) => {
            args.auto_approve = true;
            apply::run(&args, apply::Kind::Refresh)
        }
        Command::Show(args) => show::run(&args),
        Command::Output(args) => output::run(&args),
        Command::Import(args) => import::run(&args),
        Command::State(command) => state::run(&command),
        Command::ForceUnlock(args) => force_unlock::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Workspace(command) => workspace::run(&command),
        Command::Cluster(command) => cluster::run(&command),
    }
}

/// Writes to standard output. A closed pipe (`slipway state list | head`) ends the output
/// quietly instead of panicking as `print!` does.
pub fn write_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// The configuration of the working directory, as every command sees it.
pub struct Workspace {
    pub dir: PathBuf,
    pub sources: Sources,
    pub config: Config,
    pub diagnostics: Diagnostics,
}

impl Workspace {
    pub fn load() -> Workspace {
        let dir = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let mut sources = Sources::new();
        let (config, diagnostics) = slipway_lang::load::load_config(Path::new("."), &OsFileSystem, &mut sources);
        Workspace { dir, sources, config, diagnostics }
    }

    pub fn settings<'a>(&self, fs: &'a OsFileSystem, validating: bool) -> EvalSettings<'a> {
        EvalSettings {
            fs,
            working_dir: self.dir.clone(),
            root_dir: self.dir.clone(),
            workspace: backend::current_workspace(&self.dir),
            impure_unknown: validating,
            validating,
            observer: None,
        }
    }

    /// Inputs that are all known only later, for validating without variable values.
    pub fn unknown_inputs(&self) -> BTreeMap<String, InputValue> {
        self.config
            .module
            .variables
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    InputValue {
                        value: Value::unknown(v.constraint.ty.clone()),
                        range: None,
                        origin: "validate".into(),
                    },
                )
            })
            .collect()
    }
}
