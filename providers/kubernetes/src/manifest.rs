//! `kubernetes_manifest`: any Kubernetes object as an HCL value. Its schema, the pure plan
//! (the manifest as written; `object`, the object as the API server makes it, known from the
//! prior state while the manifest is unchanged and otherwise filled in by a dry-run or apply),
//! what forces a new object, and the settings (`field_manager`, `wait`, `timeouts`).

use std::time::Duration;

use slipway_core::json::{from_json, to_json};
use slipway_core::path::AttrPath;
use slipway_core::provider::{PlanRequest, PlanResponse};
use slipway_core::provider_kit::{attr, bool_attr, same, string_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Diagnostics, Type, Value};

use crate::cluster::ObjectRef;
use crate::wait::{WaitFor, rolls_out};

pub const TYPE_NAME: &str = "kubernetes_manifest";

/// The field manager slipway applies as, unless `field_manager { name = ... }` says otherwise.
pub const MANAGER: &str = "slipway";

pub fn schema() -> BlockSchema {
    BlockSchema::new()
        .attribute(
            "manifest",
            AttributeSchema::required(Type::Any)
                .yaml_document()
                .describe("The object, as yamldecode(file(\"deployment.yaml\")) gives it or written in HCL."),
        )
        .attribute(
            "object",
            AttributeSchema::computed(Type::Any).yaml_document().describe(
                "The object as the API server made it (defaults and admission included), without its status and without the fields other managers own.",
            ),
        )
        .attribute(
            "id",
            AttributeSchema::computed(Type::String).describe("apiVersion/kind/[namespace/]name, as import takes it."),
        )
        .block(
            "field_manager",
            Nesting::Single,
            BlockSchema::new()
                .attribute("name", AttributeSchema::optional(Type::String).describe("The field manager; slipway by default."))
                .attribute(
                    "force_conflicts",
                    AttributeSchema::optional(Type::Bool).describe("Take over fields another manager owns."),
                ),
        )
        .block(
            "wait",
            Nesting::Single,
            BlockSchema::new()
                .attribute(
                    "rollout",
                    AttributeSchema::optional(Type::Bool).describe(
                        "Wait for the rollout of a Deployment, StatefulSet or DaemonSet (the default) or a Job to finish.",
                    ),
                )
                .attribute(
                    "fields",
                    AttributeSchema::optional(Type::map(Type::String))
                        .describe("Paths such as status.phase and the regular expression their value must match."),
                )
                .block(
                    "condition",
                    Nesting::List,
                    BlockSchema::new()
                        .attribute("type", AttributeSchema::required(Type::String))
                        .attribute("status", AttributeSchema::optional(Type::String)),
                ),
        )
        .block(
            "timeouts",
            Nesting::Single,
            BlockSchema::new()
                .attribute("create", AttributeSchema::optional(Type::String))
                .attribute("update", AttributeSchema::optional(Type::String))
                .attribute("delete", AttributeSchema::optional(Type::String)),
        )
}

/// Problems with a manifest's shape, at `manifest.<path>`.
pub fn validate(manifest: &Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if !manifest.is_known() {
        return diags;
    }
    if manifest.as_entries().is_none() {
        diags.push(Diagnostic::error(
            "Invalid manifest",
            "manifest: must be an object with apiVersion, kind and metadata.name, such as yamldecode(file(\"deployment.yaml\")).",
        ));
        return diags;
    }
    for path in [&["apiVersion"][..], &["kind"], &["metadata", "name"]] {
        let value = path.iter().try_fold(manifest.clone(), |v, step| v.get_attr(step).cloned());
        let shown = format!("manifest.{}", path.join("."));
        match value {
            Some(v) if !v.is_known() => {}
            Some(v) if v.as_str().is_some_and(|s| !s.is_empty()) => {}
            _ => diags.push(Diagnostic::error(
                "Invalid manifest",
                format!("{shown}: every Kubernetes object needs a non-empty string here."),
            )),
        }
    }
    diags
}

/// The manifest as JSON, when wholly known.
pub fn manifest_json(value: &Value) -> Option<serde_json::Value> {
    let manifest = attr(value, "manifest");
    if !manifest.is_wholly_known() {
        return None;
    }
    let (plain, _) = manifest.unmark_deep();
    to_json(&plain).ok()
}

/// The identity of a planned or prior value's manifest.
pub fn object_ref(value: &Value) -> Option<ObjectRef> {
    ObjectRef::of(&manifest_json(value)?)
}

fn identity_part(manifest: &Value, path: &[&str]) -> Value {
    path.iter()
        .try_fold(manifest.clone(), |v, step| v.get_attr(step).cloned())
        .unwrap_or_else(|| Value::null(Type::String))
}

fn api_group(api_version: &Value) -> Option<String> {
    let v = api_version.as_str()?;
    Some(v.split_once('/').map(|(g, _)| g.to_string()).unwrap_or_default())
}

/// The plan, before any dry-run.
pub fn plan(request: &PlanRequest) -> PlanResponse {
    let config = &request.config;
    let manifest = attr(config, "manifest");
    let diagnostics = validate(&manifest);
    if diagnostics.has_errors() {
        return PlanResponse { diagnostics, ..Default::default() };
    }
    let id = match manifest_json(config).as_ref().and_then(ObjectRef::of) {
        Some(r) => Value::string(r.id()),
        None => Value::unknown(Type::String),
    };
    let prior = request.prior.as_ref();
    let unchanged = prior.is_some_and(|p| same(&attr(p, "manifest"), &manifest));
    let object = match prior {
        Some(p) if unchanged => attr(p, "object"),
        _ => Value::unknown(Type::Any),
    };
    let mut requires_replace = Vec::new();
    if let Some(prior) = prior {
        let before = attr(prior, "manifest");
        for path in [&["kind"][..], &["metadata", "name"], &["metadata", "namespace"]] {
            let (a, b) = (identity_part(&before, path), identity_part(&manifest, path));
            if !same(&a, &b) {
                requires_replace.push(path.iter().fold(AttrPath::attr("manifest"), |p, s| p.then_attr(*s)));
            }
        }
        let (a, b) = (identity_part(&before, &["apiVersion"]), identity_part(&manifest, &["apiVersion"]));
        if a.is_known() && b.is_known() && api_group(&a) != api_group(&b) {
            requires_replace.push(AttrPath::attr("manifest").then_attr("apiVersion"));
        }
    }
    let planned = Value::object_from([
        ("manifest", manifest),
        ("object", object),
        ("id", id),
        ("field_manager", attr(config, "field_manager")),
        ("wait", attr(config, "wait")),
        ("timeouts", attr(config, "timeouts")),
    ]);
    PlanResponse {
        planned: Some(planned),
        requires_replace,
        planned_private: request.prior_private.clone(),
        diagnostics,
        ..PlanResponse::default()
    }
}

/// The field manager and whether it forces conflicts.
pub fn field_manager(value: &Value) -> Result<(String, bool), Diagnostic> {
    let block = attr(value, "field_manager");
    let name = string_attr(&block, "name")?.unwrap_or_else(|| MANAGER.to_string());
    let force = bool_attr(&block, "force_conflicts")?.unwrap_or(false);
    Ok((name, force))
}

/// What to wait for after applying this value's object.
pub fn wait_for(value: &Value, kind: &str) -> Result<WaitFor, Diagnostic> {
    let block = attr(value, "wait");
    let rollout = bool_attr(&block, "rollout")?.unwrap_or(rolls_out(kind));
    let mut wait = WaitFor { rollout, ..Default::default() };
    if let Some(fields) = attr(&block, "fields").as_entries() {
        for (path, pattern) in fields {
            let text = pattern.as_str().unwrap_or_default();
            let regex = regex::Regex::new(text).map_err(|e| {
                Diagnostic::error(
                    "Invalid wait field pattern",
                    format!("wait.fields[{path:?}]: {text:?} is not a regular expression: {e}"),
                )
            })?;
            wait.fields.insert(path.clone(), regex);
        }
    }
    for c in attr(&block, "condition").as_elements().unwrap_or_default() {
        let kind = string_attr(c, "type")?.unwrap_or_default();
        let status = string_attr(c, "status")?.unwrap_or_else(|| "True".to_string());
        wait.conditions.push((kind, status));
    }
    Ok(wait)
}

/// `timeouts.<operation>`, 10 minutes when unset.
pub fn timeout(value: &Value, operation: &str) -> Result<Duration, Diagnostic> {
    let text = string_attr(&attr(value, "timeouts"), operation)?;
    let Some(text) = text else { return Ok(Duration::from_secs(600)) };
    parse_duration(&text).ok_or_else(|| {
        Diagnostic::error(
            "Invalid timeout",
            format!("timeouts.{operation}: {text:?} is not a duration; use a number and a unit, as in 30s, 5m or 1h."),
        )
    })
}

pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return None,
    })
}

/// A value with `object` (and `id`) replaced.
pub fn with_object(value: &Value, object: &serde_json::Value, id: &str) -> Value {
    let mut entries = value.as_entries().cloned().unwrap_or_default();
    entries.insert("object".into(), from_json(object));
    entries.insert("id".into(), Value::string(id));
    Value::object(entries)
}

#[cfg(test)]
mod tests {
    use slipway_core::address::{InstanceKey, ModuleInstance, ResourceAddr, ResourceInstanceAddr};

    use super::*;

    fn request(prior: Option<Value>, manifest: Value) -> PlanRequest {
        let config = Value::object_from([("manifest", manifest)]);
        PlanRequest {
            address: ResourceInstanceAddr::new(
                ModuleInstance::root(),
                ResourceAddr::managed(TYPE_NAME, "web"),
                InstanceKey::None,
            ),
            type_name: TYPE_NAME.into(),
            prior,
            proposed: config.clone(),
            config,
            prior_private: Vec::new(),
        }
    }

    fn deployment(name: &str, replicas: i64) -> Value {
        Value::object_from([
            ("apiVersion", Value::string("apps/v1")),
            ("kind", Value::string("Deployment")),
            ("metadata", Value::object_from([("name", Value::string(name)), ("namespace", Value::string("default"))])),
            ("spec", Value::object_from([("replicas", Value::int(replicas))])),
        ])
    }

    #[test]
    fn a_new_object_is_known_after_apply_and_named_by_its_id() {
        let response = plan(&request(None, deployment("web", 1)));
        let planned = response.planned.expect("planned");
        assert!(!attr(&planned, "object").is_known());
        assert_eq!(attr(&planned, "id").as_str(), Some("apps/v1/Deployment/default/web"));
    }

    #[test]
    fn an_unchanged_manifest_keeps_the_object_and_a_new_name_replaces() {
        let prior = Value::object_from([
            ("manifest", deployment("web", 1)),
            ("object", Value::object_from([("kind", Value::string("Deployment"))])),
            ("id", Value::string("apps/v1/Deployment/default/web")),
        ]);
        let same_plan = plan(&request(Some(prior.clone()), deployment("web", 1)));
        assert!(attr(&same_plan.planned.expect("planned"), "object").is_known());
        assert!(same_plan.requires_replace.is_empty());
        let scaled = plan(&request(Some(prior.clone()), deployment("web", 3)));
        assert!(scaled.requires_replace.is_empty());
        let renamed = plan(&request(Some(prior), deployment("api", 1)));
        assert_eq!(renamed.requires_replace, vec![AttrPath::attr("manifest").then_attr("metadata").then_attr("name")]);
    }

    #[test]
    fn a_manifest_without_a_name_is_an_error_at_its_path() {
        let manifest = Value::object_from([("apiVersion", Value::string("v1")), ("kind", Value::string("ConfigMap"))]);
        let response = plan(&request(None, manifest));
        let detail = response.diagnostics.iter().map(|d| d.detail.clone()).collect::<Vec<_>>().join("\n");
        assert!(detail.contains("manifest.metadata.name"), "{detail}");
    }
}
