//! `slipway state rm ADDRESS...`: forgets instances (every instance a resource or module address
//! contains) without destroying them. All addresses must match, or nothing is removed.

use std::collections::BTreeSet;

use slipway_core::address::ResourceInstanceAddr;
use slipway_engine::state::JournalEntry;

use super::{load_existing, parse_targets, persist, with_lock};
use crate::cli::StateRmArgs;
use crate::commands::session::StateStore;
use crate::commands::write_stdout;

pub fn run(args: &StateRmArgs) -> Result<(), String> {
    let targets = parse_targets(&args.addresses)?;
    let store = StateStore::open()?;
    with_lock(&store, &args.lock, "state rm", || {
        let mut manager = load_existing(&store)?;
        let state = manager.state();
        let unmatched: Vec<String> = targets
            .iter()
            .filter(|t| !state.instances.keys().any(|a| t.contains(a)))
            .map(ToString::to_string)
            .collect();
        if !unmatched.is_empty() {
            return Err(format!(
                "Error: Invalid target address\n\nNothing in the state matches {}, so nothing was removed. Run slipway state list to see the addresses the state holds.",
                unmatched.join(", ")
            ));
        }
        let removed: BTreeSet<ResourceInstanceAddr> =
            state.instances.keys().filter(|a| targets.iter().any(|t| t.contains(a))).cloned().collect();
        if args.dry_run {
            write_stdout(&removed.iter().map(|a| format!("Would remove {a}\n")).collect::<String>());
            return Ok(());
        }
        let entries = removed.iter().map(|a| JournalEntry::Remove { address: a.clone() }).collect();
        store
            .runtime
            .block_on(manager.record_all(entries))
            .map_err(|e| format!("Error: Failed to save state\n\n{e}"))?;
        persist(&store, &mut manager)?;
        let mut text: String = removed.iter().map(|a| format!("Removed {a}\n")).collect();
        text.push_str(&format!("Successfully removed {} resource instance(s).\n", removed.len()));
        write_stdout(&text);
        Ok(())
    })
}
