//! The prior state as values: each instance's stored JSON decoded with its provider's schema
//! (upgraded first when it was written with an older schema version), marked sensitive where it
//! was, and refreshed through `read_batch`: one call per provider and resource type.

use std::collections::BTreeMap;

use futures::future::join_all;
use slipway_core::address::{ProviderConfigAddr, ResourceInstanceAddr, ResourceMode};
use slipway_core::json::{from_json_typed, to_json};
use slipway_core::provider::{ReadBatchRequest, ReadInstance, UpgradeRequest};
use slipway_core::{Diagnostic, Diagnostics, Value};

use crate::marks::{mark_path, mark_schema, parse_path, sensitive_paths};
use crate::providers::ProviderSet;
use crate::state::{InstanceObject, State};

/// One instance of the prior state, decoded.
#[derive(Clone, Debug)]
pub struct PriorInstance {
    pub object: InstanceObject,
    /// The value as last saved.
    pub saved: Value,
    /// The value refresh read; `None` when the object no longer exists.
    pub current: Option<Value>,
}

/// Decodes every managed instance of `state`; data sources are read again on every plan.
pub fn decode_state(
    state: &State,
    providers: &ProviderSet,
    diags: &mut Diagnostics,
) -> BTreeMap<ResourceInstanceAddr, PriorInstance> {
    let mut out = BTreeMap::new();
    for (addr, object) in &state.instances {
        if addr.resource.mode != ResourceMode::Managed {
            continue;
        }
        match decode_object(addr, object, providers) {
            Ok(saved) => {
                // The decoded value replaces the JSON: the planner never reads the JSON again,
                // and keeping both doubles the memory of a large state.
                let object = InstanceObject { attributes: serde_json::Value::Null, ..object.clone() };
                out.insert(addr.clone(), PriorInstance { object, current: Some(saved.clone()), saved });
            }
            Err(d) => diags.push(d),
        }
    }
    out
}

/// An instance's saved attributes as a value of its schema's type. (A `Diagnostic` as the error:
/// errors are the cold path, and it goes straight into `Diagnostics`.)
#[allow(clippy::result_large_err)]
pub fn decode_object(
    addr: &ResourceInstanceAddr,
    object: &InstanceObject,
    providers: &ProviderSet,
) -> Result<Value, Diagnostic> {
    let provider_name = object.provider.name.as_str();
    let Some(provider) = providers.template(provider_name) else {
        return Err(Diagnostic::error(
            "Provider not available",
            format!(
                "The state has {addr}, managed by the provider {:?}, which this build of slipway does not include.",
                object.provider
            ),
        ));
    };
    let Some(schema) = providers.schema(provider_name, &addr.resource) else {
        return Err(Diagnostic::error(
            "Resource type not supported",
            format!("The state has {addr}, but the provider {provider_name:?} no longer has that resource type."),
        ));
    };
    let mut json = object.attributes.clone();
    if object.schema_version != schema.version {
        let upgraded = provider.upgrade_state(UpgradeRequest {
            type_name: addr.resource.type_name.clone(),
            version: object.schema_version,
            state: json,
        });
        match upgraded.state {
            Some(state) if !upgraded.diagnostics.has_errors() => json = state,
            _ => {
                let why = upgraded.diagnostics.iter().map(|d| d.detail.clone()).collect::<Vec<_>>().join(" ");
                return Err(Diagnostic::error(
                    "Failed to upgrade state",
                    format!(
                        "The state of {addr} was written with schema version {}, and the provider could not upgrade it to version {}. {why}",
                        object.schema_version, schema.version
                    ),
                ));
            }
        }
    }
    let value = from_json_typed(&json, &schema.block.value_type()).map_err(|e| {
        Diagnostic::error(
            "Invalid state",
            format!("The saved attributes of {addr} do not match its provider's schema: {e}."),
        )
    })?;
    let value = mark_schema(value, &schema.block);
    Ok(object.sensitive_paths.iter().filter_map(|p| parse_path(p)).fold(value, |v, p| mark_path(v, &p.0)))
}

/// The JSON state keeps for a value, and its sensitive paths.
pub fn encode_object(value: &Value) -> (serde_json::Value, Vec<String>) {
    let paths = sensitive_paths(value).iter().map(ToString::to_string).collect();
    let (plain, _) = value.clone().unmark_deep();
    (to_json(&plain).unwrap_or(serde_json::Value::Null), paths)
}

/// Reads the current value of every instance, batched per provider and resource type; the
/// batches run concurrently.
pub async fn refresh(
    prior: &mut BTreeMap<ResourceInstanceAddr, PriorInstance>,
    providers: &ProviderSet,
    hook: &dyn crate::hooks::PlanHook,
    diags: &mut Diagnostics,
) {
    let mut batches: BTreeMap<(ProviderConfigAddr, String), Vec<ResourceInstanceAddr>> = BTreeMap::new();
    for (addr, instance) in prior.iter() {
        let provider = instance.object.provider.clone();
        batches.entry((provider, addr.resource.type_name.clone())).or_default().push(addr.clone());
    }
    let calls = batches.into_iter().filter_map(|((provider_addr, type_name), addrs)| {
        let Some(provider) = providers.instance(&provider_addr) else {
            // configure_providers reported it; the prior values stand.
            return None;
        };
        if providers.is_deferred(&provider_addr) {
            // Nothing to read from yet (the cluster is made again in this run): as saved.
            return None;
        }
        let provider_name = provider_addr.name.clone();
        let instances = addrs
            .iter()
            .filter_map(|a| {
                let p = prior.get(a)?;
                Some(ReadInstance { address: a.clone(), prior: p.saved.clone(), private: p.object.private.clone() })
            })
            .collect();
        let reported: Vec<(ResourceInstanceAddr, Option<String>)> = addrs
            .iter()
            .map(|a| {
                let id = prior.get(a).and_then(|p| p.saved.get_attr("id")).and_then(|v| v.as_str()).map(str::to_string);
                (a.clone(), id)
            })
            .collect();
        Some(async move {
            hook.refresh_started(&reported);
            let started = std::time::Instant::now();
            let response = provider.read_batch(ReadBatchRequest { type_name, instances }).await;
            hook.refresh_completed(&reported, started.elapsed());
            (provider_name, addrs, response)
        })
    });
    for (provider_name, addrs, response) in join_all(calls).await {
        diags.extend(response.diagnostics);
        if response.current.len() != addrs.len() {
            diags.push(Diagnostic::error(
                "Provider produced an invalid refresh",
                format!(
                    "The provider {provider_name:?} answered a read of {} instances with {} results. This is a bug in the provider.",
                    addrs.len(),
                    response.current.len()
                ),
            ));
            continue;
        }
        for (addr, current) in addrs.into_iter().zip(response.current) {
            if let Some(instance) = prior.get_mut(&addr) {
                let schema = providers.schema(&provider_name, &addr.resource);
                instance.current = match (current, schema) {
                    (Some(v), Some(s)) => Some(mark_schema(
                        // Marks the state had stay on the refreshed value.
                        sensitive_paths(&instance.saved).iter().fold(v, |v, p| mark_path(v, &p.0)),
                        &s.block,
                    )),
                    (v, _) => v,
                };
            }
        }
    }
}
