//! Saved plans (`plan -out`): a versioned JSON document with every change (values with their
//! types, unknown and sensitive paths), the output changes, the prior state's lineage and serial,
//! the configuration's fingerprint and the variable values. Apply refuses a saved plan whose
//! state or configuration has changed since.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use slipway_core::address::{AbsResourceAddr, ResourceInstanceAddr};
use slipway_core::json::{from_json_typed, to_json, type_from_json, type_to_json};
use slipway_core::path::{AttrPath, PathStep};
use slipway_core::{Data, Type, Value};

use super::{Action, ActionReason, OutputChange, Plan, PlanMode, ResourceChange};
use crate::marks::{mark_path, parse_path, sensitive_paths};

/// The version of the saved plan format.
pub const PLAN_FORMAT_VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("the file is not a slipway plan: {0}")]
    Parse(String),
    #[error("the plan was saved in format version {found}; this slipway reads version {PLAN_FORMAT_VERSION}")]
    Version { found: u32 },
}

/// A saved plan and the variable values it was made with.
pub struct SavedPlan {
    pub plan: Plan,
    pub variables: BTreeMap<String, Value>,
}

#[derive(Serialize, Deserialize)]
struct PlanDoc {
    format_version: u32,
    slipway_version: String,
    mode: String,
    prior_lineage: String,
    prior_serial: u64,
    config_fingerprint: String,
    variables: BTreeMap<String, EncodedValue>,
    changes: Vec<ChangeDoc>,
    outputs: BTreeMap<String, OutputDoc>,
    /// Provider configuration address -> what it waits for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    deferred: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct ChangeDoc {
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous_address: Option<String>,
    provider: String,
    action: String,
    reason: String,
    before: Option<EncodedValue>,
    after: Option<EncodedValue>,
    config: Option<EncodedValue>,
    replace_paths: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "base64_bytes")]
    private: Vec<u8>,
    dependencies: Vec<String>,
    create_before_destroy: bool,
    schema_version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    importing: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct OutputDoc {
    before: Option<EncodedValue>,
    after: Option<EncodedValue>,
    sensitive: bool,
}

/// A value with unknowns and marks: its type, its JSON with nulls where unknown, and the
/// paths that are unknown or sensitive.
#[derive(Serialize, Deserialize)]
struct EncodedValue {
    #[serde(rename = "type")]
    ty: serde_json::Value,
    value: serde_json::Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unknown: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sensitive: Vec<String>,
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

fn encode(value: &Value) -> EncodedValue {
    let sensitive = sensitive_paths(value).iter().map(ToString::to_string).collect();
    let (plain, _) = value.clone().unmark_deep();
    let mut unknown = Vec::new();
    let json = known_json(&plain, &AttrPath::root(), &mut unknown);
    EncodedValue { ty: type_to_json(&plain.ty()), value: json, unknown, sensitive }
}

/// JSON of a value with null where it is unknown; the unknown paths are collected.
fn known_json(value: &Value, path: &AttrPath, unknown: &mut Vec<String>) -> serde_json::Value {
    if !value.is_known() {
        unknown.push(path.to_string());
        return serde_json::Value::Null;
    }
    match value.data() {
        Data::Object(entries) => serde_json::Value::Object(
            entries.iter().map(|(k, v)| (k.clone(), known_json(v, &path.then_attr(k.clone()), unknown))).collect(),
        ),
        Data::Map(_, entries) => serde_json::Value::Object(
            entries.iter().map(|(k, v)| (k.clone(), known_json(v, &path.then_key(k.clone()), unknown))).collect(),
        ),
        Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => serde_json::Value::Array(
            items.iter().enumerate().map(|(i, v)| known_json(v, &path.then_index(i), unknown)).collect(),
        ),
        _ => to_json(value).unwrap_or(serde_json::Value::Null),
    }
}

fn decode(encoded: &EncodedValue) -> Result<Value, PlanFileError> {
    let ty = type_from_json(&encoded.ty).ok_or_else(|| PlanFileError::Parse("a value has an invalid type".into()))?;
    let mut value = from_json_typed(&encoded.value, &ty).map_err(|e| PlanFileError::Parse(e.to_string()))?;
    for text in &encoded.unknown {
        let path = parse_path(text).ok_or_else(|| PlanFileError::Parse(format!("invalid path {text:?}")))?;
        value = set_unknown(value, &path.0, &ty);
    }
    for text in &encoded.sensitive {
        let path = parse_path(text).ok_or_else(|| PlanFileError::Parse(format!("invalid path {text:?}")))?;
        value = mark_path(value, &path.0);
    }
    Ok(value)
}

/// `value` with the part at `path` unknown, of the type `ty` has there.
fn set_unknown(value: Value, path: &[PathStep], ty: &Type) -> Value {
    let Some((step, rest)) = path.split_first() else { return Value::unknown(ty.clone()) };
    match (step, value.into_data()) {
        (PathStep::Attr(name), Data::Object(mut entries)) => {
            let inner_ty = match ty {
                Type::Object(o) => o.attributes.get(name).cloned().unwrap_or(Type::Any),
                _ => Type::Any,
            };
            if let Some(v) = Arc::make_mut(&mut entries).remove(name) {
                Arc::make_mut(&mut entries).insert(name.clone(), set_unknown(v, rest, &inner_ty));
            }
            Value::from_data(Data::Object(entries))
        }
        (PathStep::Key(key), Data::Map(elem, mut entries)) => {
            if let Some(v) = Arc::make_mut(&mut entries).remove(key) {
                Arc::make_mut(&mut entries).insert(key.clone(), set_unknown(v, rest, &elem));
            }
            Value::from_data(Data::Map(elem, entries))
        }
        (PathStep::Index(i), Data::List(elem, mut items)) => {
            if let Some(v) = items.get_mut(*i) {
                *v = set_unknown(std::mem::replace(v, Value::null(elem.clone())), rest, &elem);
            }
            Value::list(elem, items)
        }
        (PathStep::Index(i), Data::Set(elem, mut items)) => {
            if let Some(v) = items.get_mut(*i) {
                *v = set_unknown(std::mem::replace(v, Value::null(elem.clone())), rest, &elem);
            }
            Value::from_data(Data::Set(elem, items))
        }
        (PathStep::Index(i), Data::Tuple(mut items)) => {
            let inner_ty = match ty {
                Type::Tuple(types) => types.get(*i).cloned().unwrap_or(Type::Any),
                _ => Type::Any,
            };
            if let Some(v) = items.get_mut(*i) {
                *v = set_unknown(std::mem::replace(v, Value::null(Type::Any)), rest, &inner_ty);
            }
            Value::tuple(items)
        }
        (_, data) => Value::from_data(data),
    }
}

fn action_name(action: Action) -> &'static str {
    match action {
        Action::NoOp => "no-op",
        Action::Read => "read",
        Action::Create => "create",
        Action::Update => "update",
        Action::DeleteThenCreate => "delete-then-create",
        Action::CreateThenDelete => "create-then-delete",
        Action::Delete => "delete",
        Action::Forget => "forget",
    }
}

fn action_from(name: &str) -> Option<Action> {
    [
        Action::NoOp,
        Action::Read,
        Action::Create,
        Action::Update,
        Action::DeleteThenCreate,
        Action::CreateThenDelete,
        Action::Delete,
        Action::Forget,
    ]
    .into_iter()
    .find(|a| action_name(*a) == name)
}

const REASONS: [(ActionReason, &str); 12] = [
    (ActionReason::None, ""),
    (ActionReason::ReplaceByRequest, "replace_by_request"),
    (ActionReason::ReplaceBecauseTainted, "replace_because_tainted"),
    (ActionReason::ReplaceByTriggers, "replace_by_triggers"),
    (ActionReason::DeleteBecauseNoResourceConfig, "delete_because_no_resource_config"),
    (ActionReason::DeleteBecauseCountIndex, "delete_because_count_index"),
    (ActionReason::DeleteBecauseEachKey, "delete_because_each_key"),
    (ActionReason::DeleteBecauseNoModule, "delete_because_no_module"),
    (ActionReason::DeleteBecauseDestroy, "delete_because_destroy"),
    (ActionReason::ReadBecauseConfigUnknown, "read_because_config_unknown"),
    (ActionReason::ReadBecauseDependencyPending, "read_because_dependency_pending"),
    (ActionReason::ForgetBecauseHostDestroyed, "forget_because_host_destroyed"),
];

fn mode_name(mode: PlanMode) -> &'static str {
    match mode {
        PlanMode::Normal => "normal",
        PlanMode::Destroy => "destroy",
        PlanMode::RefreshOnly => "refresh-only",
    }
}

/// The saved form of a plan.
pub fn write_plan(plan: &Plan, variables: &BTreeMap<String, Value>) -> Vec<u8> {
    let doc = PlanDoc {
        format_version: PLAN_FORMAT_VERSION,
        slipway_version: env!("CARGO_PKG_VERSION").to_string(),
        mode: mode_name(plan.mode).to_string(),
        prior_lineage: plan.prior_lineage.clone(),
        prior_serial: plan.prior_serial,
        config_fingerprint: plan.config_fingerprint.clone(),
        variables: variables.iter().map(|(k, v)| (k.clone(), encode(v))).collect(),
        changes: plan
            .changes
            .iter()
            .map(|c| ChangeDoc {
                address: c.addr.to_string(),
                previous_address: c.prev_addr.as_ref().map(ToString::to_string),
                provider: c.provider.to_string(),
                action: action_name(c.action).to_string(),
                reason: REASONS.iter().find(|(r, _)| *r == c.reason).map(|(_, n)| n.to_string()).unwrap_or_default(),
                before: c.before.as_ref().map(encode),
                after: c.after.as_ref().map(encode),
                config: c.config.as_ref().map(encode),
                replace_paths: c.requires_replace.iter().map(ToString::to_string).collect(),
                private: c.private.clone(),
                dependencies: c.dependencies.iter().map(ToString::to_string).collect(),
                create_before_destroy: c.create_before_destroy,
                schema_version: c.schema_version,
                importing: c.importing.clone(),
                notes: c.notes.clone(),
            })
            .collect(),
        outputs: plan
            .outputs
            .iter()
            .map(|(k, o)| {
                (
                    k.clone(),
                    OutputDoc {
                        before: o.before.as_ref().map(encode),
                        after: o.after.as_ref().map(encode),
                        sensitive: o.sensitive,
                    },
                )
            })
            .collect(),
        deferred: plan.deferred.iter().map(|(p, why)| (p.to_string(), why.clone())).collect(),
    };
    let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Reads a saved plan.
pub fn read_plan(bytes: &[u8]) -> Result<SavedPlan, PlanFileError> {
    let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| PlanFileError::Parse(e.to_string()))?;
    let found = json.get("format_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
    if found != u64::from(PLAN_FORMAT_VERSION) {
        return Err(PlanFileError::Version { found: u32::try_from(found).unwrap_or(u32::MAX) });
    }
    let doc: PlanDoc = serde_json::from_value(json).map_err(|e| PlanFileError::Parse(e.to_string()))?;
    let bad = |what: &str, text: &str| PlanFileError::Parse(format!("invalid {what} {text:?}"));
    let opt = |v: &Option<EncodedValue>| v.as_ref().map(decode).transpose();
    let mut changes = Vec::with_capacity(doc.changes.len());
    for c in &doc.changes {
        let addr: ResourceInstanceAddr = c.address.parse().map_err(|_| bad("address", &c.address))?;
        let prev_addr = match &c.previous_address {
            Some(p) => Some(p.parse().map_err(|_| bad("address", p))?),
            None => None,
        };
        let mut dependencies = Vec::new();
        for d in &c.dependencies {
            match d.parse::<slipway_core::address::Target>() {
                Ok(slipway_core::address::Target::Resource(r)) => dependencies.push(r),
                Ok(slipway_core::address::Target::Instance(i)) => {
                    dependencies.push(AbsResourceAddr { module: i.module, resource: i.resource })
                }
                _ => return Err(bad("dependency", d)),
            }
        }
        changes.push(ResourceChange {
            addr,
            prev_addr,
            provider: c.provider.parse().map_err(|_| bad("provider", &c.provider))?,
            action: action_from(&c.action).ok_or_else(|| bad("action", &c.action))?,
            reason: REASONS.iter().find(|(_, n)| *n == c.reason).map(|(r, _)| r.clone()).unwrap_or(ActionReason::None),
            before: opt(&c.before)?,
            after: opt(&c.after)?,
            requires_replace: c.replace_paths.iter().filter_map(|p| parse_path(p)).collect(),
            config: opt(&c.config)?,
            private: c.private.clone(),
            dependencies,
            create_before_destroy: c.create_before_destroy,
            schema_version: c.schema_version,
            importing: c.importing.clone(),
            notes: c.notes.clone(),
        });
    }
    let mut outputs = BTreeMap::new();
    for (name, o) in &doc.outputs {
        outputs.insert(
            name.clone(),
            OutputChange { before: opt(&o.before)?, after: opt(&o.after)?, sensitive: o.sensitive },
        );
    }
    let mut variables = BTreeMap::new();
    for (name, v) in &doc.variables {
        variables.insert(name.clone(), decode(v)?);
    }
    let mut deferred = BTreeMap::new();
    for (provider, why) in &doc.deferred {
        deferred.insert(provider.parse().map_err(|_| bad("provider", provider))?, why.clone());
    }
    let mode = match doc.mode.as_str() {
        "destroy" => PlanMode::Destroy,
        "refresh-only" => PlanMode::RefreshOnly,
        _ => PlanMode::Normal,
    };
    Ok(SavedPlan {
        plan: Plan {
            mode,
            changes,
            drift: Vec::new(),
            outputs,
            prior_lineage: doc.prior_lineage,
            prior_serial: doc.prior_serial,
            config_fingerprint: doc.config_fingerprint,
            deferred,
            diagnostics: Default::default(),
        },
        variables,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_with_unknowns_and_marks_round_trip() {
        let value = Value::object_from([
            ("id", Value::unknown(Type::String)),
            ("name", Value::string("a")),
            ("secret", Value::string("s").mark_sensitive()),
            ("tags", Value::map_of([("k".to_string(), Value::unknown(Type::String))].into()).expect("map")),
        ]);
        let back = decode(&encode(&value)).expect("decodes");
        assert!(back.get_attr("id").is_some_and(|v| !v.is_known()));
        assert_eq!(back.get_attr("name"), Some(&Value::string("a")));
        assert!(back.get_attr("secret").is_some_and(Value::is_sensitive));
        assert!(
            back.get_attr("tags").and_then(|t| t.as_entries()).and_then(|e| e.get("k")).is_some_and(|v| !v.is_known())
        );
    }

    #[test]
    fn a_changes_notes_are_saved_with_it() {
        let change = ResourceChange {
            addr: "aws_autoscaling_group.nodes".parse().expect("address"),
            prev_addr: None,
            provider: "aws".parse().expect("provider"),
            action: Action::Update,
            reason: ActionReason::None,
            before: Some(Value::object_from([("id", Value::string("nodes"))])),
            after: Some(Value::object_from([("id", Value::string("nodes"))])),
            requires_replace: Vec::new(),
            config: None,
            private: Vec::new(),
            dependencies: Vec::new(),
            create_before_destroy: false,
            schema_version: 0,
            importing: None,
            notes: vec!["its 2 instances will be replaced one at a time".into()],
        };
        let plan = Plan { changes: vec![change], ..Plan::default() };
        let saved = read_plan(&write_plan(&plan, &BTreeMap::new())).expect("reads back");
        assert_eq!(saved.plan.changes[0].notes, plan.changes[0].notes);
    }
}
