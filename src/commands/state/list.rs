//! `slipway state list [-id=ID] [ADDRESS...]`: the address of every resource instance in the
//! state, in state order, or of those the given addresses contain.

use slipway_engine::state::InstanceObject;

use super::{load_existing, parse_targets};
use crate::cli::StateListArgs;
use crate::commands::session::StateStore;
use crate::commands::write_stdout;

pub fn run(args: &StateListArgs) -> Result<(), String> {
    let targets = parse_targets(&args.addresses)?;
    let store = StateStore::open()?;
    let manager = load_existing(&store)?;
    let mut text = String::new();
    for (addr, object) in &manager.state().instances {
        let wanted = targets.is_empty() || targets.iter().any(|t| t.contains(addr));
        if wanted && args.id.as_deref().is_none_or(|id| has_id(object, id)) {
            text.push_str(&format!("{addr}\n"));
        }
    }
    write_stdout(&text);
    Ok(())
}

fn has_id(object: &InstanceObject, id: &str) -> bool {
    object.attributes.get("id").and_then(serde_json::Value::as_str) == Some(id)
}
