//! `moved` blocks: an object in state under the old address is planned under the new one, so
//! renaming a resource or wrapping it in a module is not a delete and a create.

use std::collections::BTreeMap;

use slipway_core::address::{ResourceInstanceAddr, Target};
use slipway_core::{Diagnostic, Diagnostics};
use slipway_lang::config::Config;
use slipway_lang::source::Sources;

use super::prior::PriorInstance;
use super::static_address::static_address;

/// Moves prior instances as the root module's `moved` blocks say; the pairs (from, to) moved.
pub fn apply_moved(
    config: &Config,
    sources: &Sources,
    prior: &mut BTreeMap<ResourceInstanceAddr, PriorInstance>,
    diags: &mut Diagnostics,
) -> Vec<(ResourceInstanceAddr, ResourceInstanceAddr)> {
    let mut moves = Vec::new();
    for moved in &config.module.moved {
        let at = sources.range(moved.range.file, Some(moved.range.span()));
        let (Some(from), Some(to)) = (static_address(&moved.from), static_address(&moved.to)) else {
            diags.push(
                Diagnostic::error(
                    "Invalid \"moved\" address",
                    "The \"from\" and \"to\" arguments of a moved block must be resource or module addresses, such as aws_instance.web or module.app.",
                )
                .with_subject(at),
            );
            continue;
        };
        let matching: Vec<ResourceInstanceAddr> = prior.keys().filter(|a| from.contains(a)).cloned().collect();
        for old in matching {
            let Some(new) = retarget(&old, &from, &to) else { continue };
            if prior.contains_key(&new) {
                diags.push(
                    Diagnostic::warning(
                        "Moved object still exists",
                        format!("{old} could not move to {new}: an object already exists there. Remove the stale one with slipway state rm."),
                    )
                    .with_subject(at.clone()),
                );
                continue;
            }
            if let Some(instance) = prior.remove(&old) {
                prior.insert(new.clone(), instance);
                moves.push((old, new));
            }
        }
    }
    moves
}

/// Where `old` goes when `from` moves to `to`.
fn retarget(old: &ResourceInstanceAddr, from: &Target, to: &Target) -> Option<ResourceInstanceAddr> {
    match (from, to) {
        (Target::Instance(_) | Target::Resource(_), Target::Instance(to)) => Some(to.clone()),
        (Target::Instance(_), Target::Resource(to)) => {
            Some(ResourceInstanceAddr::new(to.module.clone(), to.resource.clone(), Default::default()))
        }
        (Target::Resource(_), Target::Resource(to)) => {
            Some(ResourceInstanceAddr::new(to.module.clone(), to.resource.clone(), old.key.clone()))
        }
        (Target::Module(from), Target::Module(to)) => {
            let mut module = to.clone();
            module.0.extend(old.module.0[from.0.len()..].iter().cloned());
            Some(ResourceInstanceAddr::new(module, old.resource.clone(), old.key.clone()))
        }
        _ => None,
    }
}
