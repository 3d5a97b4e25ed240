//! The plan as a JSON document in the shape of `terraform show -json PLANFILE` (format 1.2), so
//! that tools written for Terraform plans (policy checks, cost estimates) read ours.
//!
//! One difference is deliberate: Terraform keeps sensitive values in `before` and `after`; we
//! put `null` in their place and mark them in `before_sensitive` / `after_sensitive`
//! (invariant 9). Unknown values are left out of objects and `null` in arrays, and marked
//! `true` in `after_unknown`, as Terraform does.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};
use slipway_core::address::{ModuleInstance, ResourceMode};
use slipway_core::path::{AttrPath, PathStep};
use slipway_core::{Data, InstanceKey, Value};
use slipway_engine::plan::{Action, ActionReason, OutputChange, Plan, PlanMode, ResourceChange};

const FORMAT_VERSION: &str = "1.2";

/// The plan as `terraform show -json` would print it, with sensitive values redacted.
pub fn plan_to_json(plan: &Plan) -> Json {
    let mut doc = Map::new();
    doc.insert("format_version".into(), json!(FORMAT_VERSION));
    doc.insert("slipway_version".into(), json!(env!("CARGO_PKG_VERSION")));
    doc.insert("planned_values".into(), planned_values(plan));
    // Outside refresh-only mode a move without other change is listed with the changes.
    let drift: Vec<Json> = plan
        .drift
        .iter()
        .filter(|d| plan.mode == PlanMode::RefreshOnly || d.action != Action::NoOp)
        .map(resource_change)
        .collect();
    if !drift.is_empty() {
        doc.insert("resource_drift".into(), Json::Array(drift));
    }
    let changes = plan
        .changes
        .iter()
        // Deleting a data source only clears it from state; Terraform leaves these out.
        .filter(|c| !(c.action == Action::Delete && c.addr.resource.mode == ResourceMode::Data))
        .map(resource_change)
        .collect();
    doc.insert("resource_changes".into(), Json::Array(changes));
    // Terraform's deferred-change reason for a provider configured from values known only
    // after apply; slipway applies them in the same run, once the provider answers.
    let deferred: Vec<Json> = plan
        .deferred
        .keys()
        .flat_map(|provider| plan.deferred_changes(provider))
        .map(|c| json!({"reason": "provider_config_unknown", "resource_change": resource_change(c)}))
        .collect();
    if !deferred.is_empty() {
        doc.insert("deferred_changes".into(), Json::Array(deferred));
    }
    let outputs = plan.outputs.iter().map(|(name, o)| (name.clone(), output_change(o))).collect();
    doc.insert("output_changes".into(), Json::Object(outputs));
    let errored = plan.diagnostics.has_errors();
    doc.insert("applyable".into(), json!(!errored && plan.has_changes()));
    doc.insert("complete".into(), json!(true));
    doc.insert("errored".into(), json!(errored));
    Json::Object(doc)
}

fn actions(action: Action) -> Json {
    let list: &[&str] = match action {
        Action::NoOp => &["no-op"],
        Action::Read => &["read"],
        Action::Create => &["create"],
        Action::Update => &["update"],
        Action::DeleteThenCreate => &["delete", "create"],
        Action::CreateThenDelete => &["create", "delete"],
        Action::Delete => &["delete"],
        Action::Forget => &["forget"],
    };
    json!(list)
}

fn action_reason(change: &ResourceChange) -> Option<&'static str> {
    Some(match change.reason {
        ActionReason::ReplaceByRequest => "replace_by_request",
        ActionReason::ReplaceBecauseTainted => "replace_because_tainted",
        ActionReason::ReplaceByTriggers => "replace_by_triggers",
        ActionReason::DeleteBecauseNoResourceConfig => "delete_because_no_resource_config",
        ActionReason::DeleteBecauseCountIndex => "delete_because_count_index",
        ActionReason::DeleteBecauseEachKey => "delete_because_each_key",
        ActionReason::DeleteBecauseNoModule => "delete_because_no_module",
        ActionReason::ReadBecauseConfigUnknown => "read_because_config_unknown",
        ActionReason::ReadBecauseDependencyPending => "read_because_dependency_pending",
        ActionReason::ForgetBecauseHostDestroyed => "forget_because_host_destroyed",
        // Terraform names the reason of a replacement an attribute forced.
        ActionReason::None if change.action.is_replace() && !change.requires_replace.is_empty() => {
            "replace_because_cannot_update"
        }
        // `-destroy` has no reason of its own in Terraform's format.
        ActionReason::None | ActionReason::DeleteBecauseDestroy => return None,
    })
}

fn index(key: &InstanceKey) -> Option<Json> {
    match key {
        InstanceKey::None => None,
        InstanceKey::Int(i) => Some(json!(i)),
        InstanceKey::Str(s) => Some(json!(s)),
    }
}

/// The provider's name without the configuration alias (`aws` for `aws.west`).
fn provider_name(change: &ResourceChange) -> &str {
    &change.provider.name
}

/// address, mode, type, name, index and provider_name, shared by changes and planned values;
/// `whereabouts` adds the previous and the module address, which only changes carry.
fn identity(change: &ResourceChange, whereabouts: bool) -> Map<String, Json> {
    let addr = &change.addr;
    let mut out = Map::new();
    out.insert("address".into(), json!(addr.to_string()));
    if let Some(prev) = change.prev_addr.as_ref().filter(|p| whereabouts && **p != change.addr) {
        out.insert("previous_address".into(), json!(prev.to_string()));
    }
    if whereabouts && !addr.module.is_root() {
        out.insert("module_address".into(), json!(addr.module.to_string()));
    }
    let mode = match addr.resource.mode {
        ResourceMode::Managed => "managed",
        ResourceMode::Data => "data",
    };
    out.insert("mode".into(), json!(mode));
    out.insert("type".into(), json!(addr.resource.type_name));
    out.insert("name".into(), json!(addr.resource.name));
    if let Some(index) = index(&addr.key) {
        out.insert("index".into(), index);
    }
    out.insert("provider_name".into(), json!(provider_name(change)));
    out
}

fn resource_change(change: &ResourceChange) -> Json {
    let mut out = identity(change, true);
    let mut body = Map::new();
    body.insert("actions".into(), actions(change.action));
    body.insert("before".into(), change.before.as_ref().map_or(Json::Null, redacted));
    body.insert("after".into(), change.after.as_ref().map_or(Json::Null, redacted));
    let after_unknown = match &change.after {
        Some(after) if !after.is_wholly_known() => unknown_mask(after),
        _ => json!({}),
    };
    body.insert("after_unknown".into(), after_unknown);
    body.insert("before_sensitive".into(), change.before.as_ref().map_or(json!(false), sensitive_mask));
    body.insert("after_sensitive".into(), change.after.as_ref().map_or(json!(false), sensitive_mask));
    if !change.requires_replace.is_empty() {
        body.insert("replace_paths".into(), change.requires_replace.iter().map(path).collect());
    }
    if let Some(id) = &change.importing {
        body.insert("importing".into(), json!({ "id": id }));
    }
    out.insert("change".into(), Json::Object(body));
    if let Some(reason) = action_reason(change) {
        out.insert("action_reason".into(), json!(reason));
    }
    Json::Object(out)
}

fn output_action(output: &OutputChange) -> Action {
    match (&output.before, &output.after) {
        (None, Some(_)) => Action::Create,
        (Some(_), None) => Action::Delete,
        _ if output.is_change() => Action::Update,
        _ => Action::NoOp,
    }
}

/// An output's change: a sensitive output's values are all `null`, and its sensitivity is one
/// boolean, as Terraform records it.
fn output_change(output: &OutputChange) -> Json {
    let value = |v: &Option<Value>| match v {
        Some(v) if !output.sensitive => redacted(v),
        _ => Json::Null,
    };
    let after_unknown = match &output.after {
        Some(after) if !after.is_wholly_known() => unknown_mask(after),
        _ => json!(false),
    };
    json!({
        "actions": actions(output_action(output)),
        "before": value(&output.before),
        "after": value(&output.after),
        "after_unknown": after_unknown,
        "before_sensitive": output.sensitive,
        "after_sensitive": output.sensitive,
    })
}

/// A path as an array of steps: names and keys as strings, indexes as numbers.
fn path(path: &AttrPath) -> Json {
    path.0
        .iter()
        .map(|step| match step {
            PathStep::Attr(name) | PathStep::Key(name) => json!(name),
            PathStep::Index(i) => json!(i),
        })
        .collect()
}

/// The JSON of a value with sensitive parts replaced by `null` and unknown parts left out of
/// objects (`null` in arrays, where position matters).
fn redacted(value: &Value) -> Json {
    if value.is_sensitive() || !value.is_known() {
        return Json::Null;
    }
    if value.is_wholly_known() && !value.contains_sensitive() {
        return slipway_core::json::to_json(value).unwrap_or(Json::Null);
    }
    match value.data() {
        Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => items.iter().map(redacted).collect(),
        Data::Map(_, entries) | Data::Object(entries) => {
            Json::Object(entries.iter().filter(|(_, v)| v.is_known()).map(|(k, v)| (k.clone(), redacted(v))).collect())
        }
        _ => slipway_core::json::to_json(value).unwrap_or(Json::Null),
    }
}

/// `true` where the value is sensitive; objects list only their sensitive parts.
fn sensitive_mask(value: &Value) -> Json {
    mask(value, Value::is_sensitive)
}

/// `true` where the value is unknown; objects list only their unknown parts.
fn unknown_mask(value: &Value) -> Json {
    mask(value, |v| !v.is_known())
}

fn mask(value: &Value, marked: fn(&Value) -> bool) -> Json {
    if marked(value) {
        return json!(true);
    }
    match value.data() {
        Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => {
            items.iter().map(|v| mask(v, marked)).collect()
        }
        Data::Map(_, entries) | Data::Object(entries) => Json::Object(
            entries.iter().map(|(k, v)| (k.clone(), mask(v, marked))).filter(|(_, m)| *m != json!(false)).collect(),
        ),
        _ => json!(false),
    }
}

/// `planned_values`: every resource instance as it will be after apply, by module, and the
/// root module's outputs.
fn planned_values(plan: &Plan) -> Json {
    let mut by_module: BTreeMap<ModuleInstance, Vec<Json>> = BTreeMap::new();
    for change in &plan.changes {
        let Some(after) = change.after.as_ref().filter(|_| change.action != Action::Forget) else { continue };
        let mut resource = identity(change, false);
        resource.insert("schema_version".into(), json!(change.schema_version));
        resource.insert("values".into(), redacted(after));
        resource.insert("sensitive_values".into(), sensitive_mask(after));
        by_module.entry(change.addr.module.clone()).or_default().push(Json::Object(resource));
    }
    let outputs: Map<String, Json> = plan
        .outputs
        .iter()
        .filter_map(|(name, o)| {
            let after = o.after.as_ref()?;
            let mut out = Map::new();
            out.insert("sensitive".into(), json!(o.sensitive));
            if after.is_wholly_known() {
                out.insert("value".into(), if o.sensitive { Json::Null } else { redacted(after) });
            }
            Some((name.clone(), Json::Object(out)))
        })
        .collect();
    json!({ "outputs": outputs, "root_module": module_values(&ModuleInstance::root(), &by_module) })
}

/// One module's planned resources and, nested, those of the modules it calls.
fn module_values(module: &ModuleInstance, by_module: &BTreeMap<ModuleInstance, Vec<Json>>) -> Json {
    let mut out = Map::new();
    if !module.is_root() {
        out.insert("address".into(), json!(module.to_string()));
    }
    if let Some(resources) = by_module.get(module) {
        out.insert("resources".into(), Json::Array(resources.clone()));
    }
    // Children are the next step of any module below this one, so a module with no resources
    // of its own still leads to its children's. Keys are sorted, so repeats are adjacent.
    let mut children: Vec<ModuleInstance> = by_module
        .keys()
        .filter(|m| m.0.len() > module.0.len() && m.0.starts_with(&module.0))
        .map(|m| ModuleInstance(m.0[..=module.0.len()].to_vec()))
        .collect();
    children.dedup();
    if !children.is_empty() {
        let nested = children.iter().map(|child| module_values(child, by_module)).collect();
        out.insert("child_modules".into(), Json::Array(nested));
    }
    Json::Object(out)
}
