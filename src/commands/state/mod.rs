//! `slipway state ...`: the commands that read the state or change it without touching what it
//! describes. They need only the backend, not the configuration, so that they can repair a state
//! whose configuration does not load.

mod list;
mod mv;
mod pull;
mod push;
mod rm;
mod show;
mod versions;

use std::process::ExitCode;

use slipway_core::address::Target;
use slipway_engine::state::{State, StateManager};

use super::plan::fail;
use super::session::StateStore;
use crate::cli::{LockArgs, StateCommand};

pub fn run(command: &StateCommand) -> ExitCode {
    let result = match command {
        StateCommand::List(args) => list::run(args),
        StateCommand::Show(args) => show::run(args),
        StateCommand::Mv(args) => mv::run(args),
        StateCommand::Rm(args) => rm::run(args),
        StateCommand::Pull(args) => pull::run(args),
        StateCommand::Push(args) => push::run(args),
        StateCommand::Versions(_) => versions::run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// The addresses a user typed, each a module, a resource or an instance.
fn parse_targets(texts: &[String]) -> Result<Vec<Target>, String> {
    texts.iter().map(|text| parse_target(text)).collect()
}

fn parse_target(text: &str) -> Result<Target, String> {
    text.parse::<Target>().map_err(|e| {
        format!(
            "Error: Invalid address\n\n{e}. An address names a resource instance (aws_instance.web[0]), a resource (aws_instance.web) or a module (module.net)."
        )
    })
}

/// The state as stored, after replaying any journal; an error when there has never been one.
fn load_existing(store: &StateStore) -> Result<StateManager, String> {
    let manager = store.load_state()?;
    if never_stored(manager.state()) {
        return Err("Error: No state file was found!\n\nThe state commands work on the state that slipway apply writes, and there is none in this directory for this workspace. Run them where slipway apply has been run, or check TF_WORKSPACE.".into());
    }
    Ok(manager)
}

/// A state that nothing has written yet: no serial, nothing in it.
fn never_stored(state: &State) -> bool {
    state.serial == 0 && state.is_empty()
}

/// Takes the lock, runs `change`, and releases the lock whatever `change` returned.
fn with_lock(
    store: &StateStore,
    lock: &LockArgs,
    operation: &str,
    change: impl FnOnce() -> Result<(), String>,
) -> Result<(), String> {
    let held = store.lock(lock, operation)?;
    let result = change();
    store.release(held);
    result
}

/// Writes the changed state through the backend, with the next serial.
fn persist(store: &StateStore, manager: &mut StateManager) -> Result<(), String> {
    store.runtime.block_on(manager.persist(&store.dir)).map_err(|e| format!("Error: Failed to save state\n\n{e}"))
}
