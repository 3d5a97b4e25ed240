//! `slipway state pull [-version=ID]`: the current state document, any journal a stopped run
//! left replayed onto it, as JSON on standard output (nothing when there is no state yet, as
//! Terraform does); or an earlier version kept by the backend, as it was stored.

use slipway_engine::state::State;

use super::never_stored;
use crate::cli::StatePullArgs;
use crate::commands::session::StateStore;
use crate::commands::write_stdout;

pub fn run(args: &StatePullArgs) -> Result<(), String> {
    let store = StateStore::open()?;
    if let Some(version) = &args.version {
        let bytes = store
            .runtime
            .block_on(store.backend.read_version(&store.workspace_name, version))
            .map_err(|e| format!("Error: Failed to read state version {version:?}\n\n{e}"))?;
        // Through the state model, so that what is printed is a state this slipway can push.
        let state =
            State::from_json(&bytes).map_err(|e| format!("Error: State version {version:?} cannot be read\n\n{e}"))?;
        write_stdout(&String::from_utf8_lossy(&state.to_json()));
        return Ok(());
    }
    let manager = store.load_state()?;
    if !never_stored(manager.state()) {
        write_stdout(&String::from_utf8_lossy(&manager.state().to_json()));
    }
    Ok(())
}
