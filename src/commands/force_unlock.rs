//! `slipway force-unlock [-force] LOCK_ID`: removes the state lock a run that stopped left
//! behind, after checking that it is the lock the user means and asking them to confirm.

use std::io::BufRead;
use std::process::ExitCode;

use super::plan::fail;
use super::session::StateStore;
use super::write_stdout;
use crate::cli::ForceUnlockArgs;

pub fn run(args: &ForceUnlockArgs) -> ExitCode {
    match force_unlock(args) {
        Ok(code) => code,
        Err(message) => fail(&message),
    }
}

fn force_unlock(args: &ForceUnlockArgs) -> Result<ExitCode, String> {
    let store = StateStore::open()?;
    let backend = store.backend.clone();
    let workspace = store.workspace_name.as_str();
    let held = store
        .runtime
        .block_on(backend.lock_info(workspace))
        .map_err(|e| format!("Error: Failed to unlock state\n\nCould not read the lock: {e}"))?;
    let Some(held) = held else {
        return Err(format!(
            "Error: Failed to unlock state\n\nThe {} is not locked, so there is nothing to unlock.",
            backend.describe(workspace)
        ));
    };
    if held.id != args.lock_id {
        return Err(format!(
            "Error: Failed to unlock state\n\nThe state is locked with ID {}, not {} (by {} for {} since {}). If that is the lock to remove, run\n    slipway force-unlock {}",
            held.id, args.lock_id, held.who, held.operation, held.created, held.id
        ));
    }
    if !args.force && !confirm() {
        write_stdout("force-unlock cancelled.\n");
        return Ok(ExitCode::from(1));
    }
    store
        .runtime
        .block_on(backend.unlock(workspace, &held.id))
        .map_err(|e| format!("Error: Failed to unlock state\n\n{e}"))?;
    write_stdout(
        "Slipway state has been successfully unlocked!\n\nThe state has been unlocked, and Slipway commands should now be able to obtain a new lock on the state.\n",
    );
    Ok(ExitCode::SUCCESS)
}

fn confirm() -> bool {
    write_stdout(
        "Do you really want to force-unlock?\n  Slipway will remove the lock on the state.\n  This will allow local Slipway commands to modify this state, even though it\n  may still be in use. Only 'yes' will be accepted to confirm.\n\n  Enter a value: ",
    );
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    write_stdout("\n");
    answer.trim() == "yes"
}
