//! `slipway state mv SOURCE DESTINATION`: moves an instance, a resource (every instance, keys
//! kept) or a module (everything in it) to a new address, for when the configuration renamed it.

use slipway_core::render::quote;
use slipway_engine::state::moves::{MoveError, move_entries, plan_move};

use super::{load_existing, parse_target, persist, with_lock};
use crate::cli::StateMvArgs;
use crate::commands::session::StateStore;
use crate::commands::write_stdout;

pub fn run(args: &StateMvArgs) -> Result<(), String> {
    let from = parse_target(&args.source)?;
    let to = parse_target(&args.destination)?;
    let store = StateStore::open()?;
    with_lock(&store, &args.lock, "state mv", || {
        let mut manager = load_existing(&store)?;
        let moves = plan_move(manager.state(), &from, &to).map_err(|e| match e {
            MoveError::SourceNotFound { .. } => format!("Error: Invalid source address\n\n{e}"),
            _ => format!("Error: Invalid target address\n\n{e}"),
        })?;
        let line = format!("{} to {}\n", quote(&from.to_string()), quote(&to.to_string()));
        if args.dry_run {
            write_stdout(&format!("Would move {line}"));
            return Ok(());
        }
        let entries = move_entries(manager.state(), &moves);
        store
            .runtime
            .block_on(manager.record_all(entries))
            .map_err(|e| format!("Error: Failed to save state\n\n{e}"))?;
        persist(&store, &mut manager)?;
        // One object per address given, as Terraform counts them.
        write_stdout(&format!("Move {line}Successfully moved 1 object(s).\n"));
        Ok(())
    })
}
