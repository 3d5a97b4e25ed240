//! Whether the objects a saved plan was made from are still as the plan read them. A saved plan
//! is checked against the state's lineage and serial and the configuration's fingerprint; this
//! adds what exists: each managed object is read again (batched, as refresh reads) and compared
//! with the value the plan recorded before its change, so that a plan reviewed on Monday is not
//! applied on Friday over objects someone changed since.

use std::collections::{BTreeMap, BTreeSet};

use slipway_core::address::{ResourceInstanceAddr, ResourceMode};
use slipway_core::{Diagnostics, Value};

use super::Plan;
use super::prior::{decode_state, refresh};
use crate::hooks::Quiet;
use crate::providers::ProviderSet;
use crate::state::State;

/// One object that is no longer what the plan read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    pub address: ResourceInstanceAddr,
    /// The top-level attributes that differ; empty when the object is gone.
    pub attributes: Vec<String>,
    pub gone: bool,
}

/// Reads every managed object of `state` again and names those that differ from the values
/// `plan` was made with.
pub async fn changed_since(plan: &Plan, state: &State, providers: &ProviderSet) -> (Vec<Changed>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut prior = decode_state(state, providers, &mut diags);
    refresh(&mut prior, providers, &Quiet, &mut diags).await;
    let mut changed = Vec::new();
    for change in &plan.changes {
        if change.addr.resource.mode != ResourceMode::Managed || change.importing.is_some() {
            continue;
        }
        let (Some(read), Some(instance)) = (&change.before, prior.get(&change.addr)) else { continue };
        match &instance.current {
            None => changed.push(Changed { address: change.addr.clone(), attributes: Vec::new(), gone: true }),
            Some(now) if !now.same_known_value(read) => changed.push(Changed {
                address: change.addr.clone(),
                attributes: differing_attributes(read, now),
                gone: false,
            }),
            Some(_) => {}
        }
    }
    (changed, diags)
}

fn differing_attributes(before: &Value, now: &Value) -> Vec<String> {
    let empty = BTreeMap::new();
    let a = before.as_entries().unwrap_or(&empty);
    let b = now.as_entries().unwrap_or(&empty);
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    names
        .into_iter()
        .filter(|name| match (a.get(*name), b.get(*name)) {
            (Some(x), Some(y)) => !x.same_known_value(y),
            _ => true,
        })
        .cloned()
        .collect()
}
