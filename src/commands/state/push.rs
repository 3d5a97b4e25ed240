//! `slipway state push [-force] PATH`: replaces the state with a state file (`-` reads standard
//! input), such as `errored.tfstate` after a failed write. A state of another lineage or an older
//! serial is refused unless `-force`.

use std::io::Read;

use slipway_engine::state::State;

use super::{persist, with_lock};
use crate::cli::StatePushArgs;
use crate::commands::session::StateStore;

pub fn run(args: &StatePushArgs) -> Result<(), String> {
    let shown = args.path.display().to_string();
    let from_stdin = args.path.as_os_str() == "-";
    let bytes = if from_stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("Error: Failed to read the state to push\n\nCould not read standard input: {e}"))?;
        bytes
    } else {
        std::fs::read(&args.path)
            .map_err(|e| format!("Error: Failed to read the state to push\n\nCould not read {shown}: {e}"))?
    };
    let source = if from_stdin { "standard input" } else { shown.as_str() };
    let store = StateStore::open()?;
    // An emergency file written by an encrypting backend is sealed as the backend would seal it.
    let bytes = store.runtime.block_on(store.backend.open_from_file(&bytes)).map_err(|e| {
        format!("Error: Failed to read the state to push\n\nThe state in {source} cannot be decrypted: {e}.")
    })?;
    let pushed = State::from_json(&bytes).map_err(|e| {
        format!("Error: Failed to read the state to push\n\nThe state in {source} cannot be used: {e}.")
    })?;
    with_lock(&store, &args.lock, "state push", || {
        let mut manager = store.load_state()?;
        manager.replace(pushed, args.force).map_err(|e| format!("Error: Failed to push the state\n\n{e}"))?;
        persist(&store, &mut manager)
    })
}
