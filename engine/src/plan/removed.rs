//! `removed` blocks: a resource or module taken out of the configuration on purpose. With
//! `lifecycle { destroy = false }` its objects are forgotten (removed from state, left to exist);
//! otherwise they are destroyed, as any object without configuration is.

use std::collections::BTreeMap;

use slipway_core::address::{ResourceInstanceAddr, Target};
use slipway_core::{Diagnostic, Diagnostics};
use slipway_lang::config::Config;
use slipway_lang::source::Sources;

use super::import::resource_config;
use super::static_address::static_address;
use super::{Action, ResourceChange};

/// Turns the deletes of what `removed { lifecycle { destroy = false } }` names into forgets, and
/// reports `removed` blocks whose resource is still configured.
pub fn apply_removed(
    config: &Config,
    sources: &Sources,
    changes: &mut BTreeMap<ResourceInstanceAddr, ResourceChange>,
    diags: &mut Diagnostics,
) {
    for removed in &config.module.removed {
        let at = sources.range(removed.range.file, Some(removed.range.span()));
        let from = match static_address(&removed.from) {
            Some(from @ (Target::Resource(_) | Target::Module(_))) => from,
            _ => {
                diags.push(
                    Diagnostic::error(
                        "Invalid \"removed\" address",
                        "The \"from\" argument of a removed block must be a resource or module address without instance keys, such as aws_instance.web or module.app.",
                    )
                    .with_subject(at),
                );
                continue;
            }
        };
        if still_configured(config, &from) {
            diags.push(
                Diagnostic::error(
                    "Removed resource block still exists",
                    format!("The configuration still declares {from}, which this removed block says is gone. Remove the block for {from}, or remove this removed block."),
                )
                .with_subject(at),
            );
            continue;
        }
        if removed.destroy {
            continue;
        }
        for change in changes.values_mut() {
            if from.contains(&change.addr) && change.action == Action::Delete {
                change.action = Action::Forget;
            }
        }
    }
}

fn still_configured(config: &Config, from: &Target) -> bool {
    match from {
        Target::Resource(r) => resource_config(
            config,
            &ResourceInstanceAddr::new(r.module.clone(), r.resource.clone(), Default::default()),
        )
        .is_some(),
        Target::Module(m) => m.0.iter().try_fold(config, |c, (name, _)| c.children.get(name)).is_some(),
        Target::Instance(_) => false,
    }
}
