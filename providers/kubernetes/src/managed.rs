//! What a field manager owns, read from `metadata.managedFields` (`FieldsV1`: `f:<field>`,
//! `k:<key of a list element>`, `v:<set element>`, `i:<index>`, `.` for the node itself), and
//! the parts of a live object that follow from it: the fields slipway manages (refresh diffs only
//! those), and the object without what other managers own (an HPA's replicas, an injected
//! sidecar) and without what the server keeps for itself. Pure: no IO.

use serde_json::{Map, Value};

/// The union of the `FieldsV1` sets of `manager`'s entries (apply and update, every
/// subresource but `status`).
pub fn fields_of(live: &Value, manager: &str) -> Value {
    entries(live)
        .filter(|e| e["manager"].as_str() == Some(manager))
        .fold(Value::Object(Map::new()), |acc, e| union(&acc, &e["fieldsV1"]))
}

/// The union of the sets of every manager but `manager`.
pub fn fields_of_others(live: &Value, manager: &str) -> Value {
    entries(live)
        .filter(|e| e["manager"].as_str() != Some(manager))
        .fold(Value::Object(Map::new()), |acc, e| union(&acc, &e["fieldsV1"]))
}

/// The union of every manager's set.
pub fn fields_of_all(live: &Value) -> Value {
    entries(live).fold(Value::Object(Map::new()), |acc, e| union(&acc, &e["fieldsV1"]))
}

fn entries(live: &Value) -> impl Iterator<Item = &Value> {
    live["metadata"]["managedFields"]
        .as_array()
        .map(|a| a.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|e| e["subresource"].as_str().is_none_or(|s| s != "status"))
}

/// Every node of a field set in the API server's notation for conflicts: `.spec.replicas`,
/// `.spec.template.spec.containers[name="web"].image`, `.metadata.finalizers[="x"]`.
pub fn dotted_paths(fields: &Value) -> Vec<String> {
    let mut out = Vec::new();
    collect_dotted(fields, &mut String::new(), &mut out);
    out
}

fn collect_dotted(node: &Value, prefix: &mut String, out: &mut Vec<String>) {
    let Some(steps) = node.as_object() else { return };
    for (step, child) in steps {
        let part = if let Some(name) = step.strip_prefix("f:") {
            format!(".{name}")
        } else if let Some(key) = step.strip_prefix("k:") {
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(key) else { continue };
            let pairs: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("[{}]", pairs.join(","))
        } else if let Some(v) = step.strip_prefix("v:") {
            format!("[={v}]")
        } else if let Some(i) = step.strip_prefix("i:") {
            format!("[{i}]")
        } else {
            continue;
        };
        let len = prefix.len();
        prefix.push_str(&part);
        out.push(prefix.clone());
        collect_dotted(child, prefix, out);
        prefix.truncate(len);
    }
}

/// Two field sets as one.
pub fn union(a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut out = x.clone();
            for (k, v) in y {
                let merged = match out.get(k) {
                    Some(existing) => union(existing, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Object(_), _) => a.clone(),
        _ => b.clone(),
    }
}

/// Whether a node of a field set owns its value whole: no children but the `.` marker.
fn is_leaf(node: &Value) -> bool {
    node.as_object().is_none_or(|m| m.keys().all(|k| k == "."))
}

/// Whether a list element is the one a `k:`, `v:` or `i:` step names.
fn element_matches(step: &str, index: usize, element: &Value) -> bool {
    if let Some(key) = step.strip_prefix("k:") {
        let Ok(Value::Object(wanted)) = serde_json::from_str::<Value>(key) else { return false };
        return wanted.iter().all(|(k, v)| element.get(k).is_some_and(|e| same_json(e, v)));
    }
    if let Some(v) = step.strip_prefix("v:") {
        return serde_json::from_str::<Value>(v).is_ok_and(|v| same_json(&v, element));
    }
    if let Some(i) = step.strip_prefix("i:") {
        return i.parse::<usize>().is_ok_and(|i| i == index);
    }
    false
}

/// JSON equality with numbers compared by value (`80` and `80.0` are the same port).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The part of `value` that the field set `fields` covers.
pub fn project(value: &Value, fields: &Value) -> Option<Value> {
    if is_leaf(fields) {
        return Some(value.clone());
    }
    let steps = fields.as_object()?;
    match value {
        Value::Object(object) => {
            let mut out = Map::new();
            for (step, child) in steps {
                if let Some(name) = step.strip_prefix("f:")
                    && let Some(v) = object.get(name)
                    && let Some(p) = project(v, child)
                {
                    out.insert(name.to_string(), p);
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                if let Some((_, child)) = steps.iter().find(|(step, _)| element_matches(step, i, item))
                    && let Some(p) = project(item, child)
                {
                    out.push(p);
                }
            }
            Some(Value::Array(out))
        }
        other => Some(other.clone()),
    }
}

/// `value` without the fields `remove` covers, except those `keep` also covers.
pub fn without(value: &Value, remove: &Value, keep: &Value) -> Option<Value> {
    let kept_by_slipway = keep.as_object().is_some_and(|k| !k.is_empty());
    if is_leaf(remove) {
        // Owned whole by another manager: gone, unless slipway co-owns it.
        return kept_by_slipway.then(|| value.clone());
    }
    if remove.get(".").is_some() && !kept_by_slipway {
        // A node another manager added (a sidecar's list element): gone, with the defaults
        // the server filled in inside it.
        return None;
    }
    let steps = remove.as_object()?;
    let empty = Value::Object(Map::new());
    match value {
        Value::Object(object) => {
            let mut out = Map::new();
            for (name, v) in object {
                let step = format!("f:{name}");
                match steps.get(&step) {
                    Some(child) => {
                        if let Some(kept) = without(v, child, keep.get(&step).unwrap_or(&empty)) {
                            out.insert(name.clone(), kept);
                        }
                    }
                    None => {
                        out.insert(name.clone(), v.clone());
                    }
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let removing = steps.iter().find(|(step, _)| element_matches(step, i, item));
                let keeping = keep.as_object().and_then(|k| k.iter().find(|(step, _)| element_matches(step, i, item)));
                match removing {
                    Some((_, child)) => {
                        if let Some(kept) = without(item, child, keeping.map(|(_, v)| v).unwrap_or(&empty)) {
                            out.push(kept);
                        }
                    }
                    None => out.push(item.clone()),
                }
            }
            Some(Value::Array(out))
        }
        other => Some(other.clone()),
    }
}

/// The object as slipway shows it in `object`: without its status, without the metadata the
/// server keeps for itself, and without the fields only other managers own.
pub fn clean(live: &Value, manager: &str) -> Value {
    clean_with(live, &fields_of(live, manager), &fields_of_others(live, manager))
}

/// [`clean`] with the field sets given: `mine` kept, `others` removed where `mine` has none.
pub fn clean_with(live: &Value, mine: &Value, others: &Value) -> Value {
    let mut out = without(live, others, mine).unwrap_or_else(|| live.clone());
    if let Some(o) = out.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = out.get_mut("metadata").and_then(Value::as_object_mut) {
        for volatile in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
            "selfLink",
            "deletionTimestamp",
        ] {
            meta.remove(volatile);
        }
    }
    out
}

/// The fields of `live` in `fields`, with the object's identity (apiVersion, kind, name, and the
/// namespace when the configuration names it), as the manifest slipway applied would show them.
pub fn managed_manifest(live: &Value, fields: &Value, with_namespace: bool) -> Value {
    // An empty set at the top owns nothing (a Namespace applied with only its name): inside a
    // set, `{}` marks a leaf owned whole, which `project` would read it as.
    let owns_nothing = fields.as_object().is_none_or(Map::is_empty);
    let mut out = if owns_nothing {
        Value::Object(Map::new())
    } else {
        project(live, fields).unwrap_or_else(|| Value::Object(Map::new()))
    };
    let Some(o) = out.as_object_mut() else { return out };
    for identity in ["apiVersion", "kind"] {
        if let Some(v) = live.get(identity) {
            o.insert(identity.to_string(), v.clone());
        }
    }
    let meta = o.entry("metadata").or_insert_with(|| Value::Object(Map::new()));
    if let Some(meta) = meta.as_object_mut() {
        if let Some(name) = live["metadata"].get("name") {
            meta.insert("name".into(), name.clone());
        }
        if with_namespace && let Some(ns) = live["metadata"].get("namespace") {
            meta.insert("namespace".into(), ns.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_field_set_owns_nothing_but_the_identity() {
        let namespace = json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "shop", "uid": "u", "labels": {"kubernetes.io/metadata.name": "shop"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        let manifest = managed_manifest(&namespace, &json!({}), false);
        assert_eq!(manifest, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
    }

    fn live() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "default", "uid": "u", "resourceVersion": "7",
                "managedFields": [
                    {"manager": "slipway", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}}},
                    {"manager": "hpa", "operation": "Update", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                    {"manager": "istio", "operation": "Update", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"proxy\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}}},
                    {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status", "fieldsV1": {"f:status": {"f:replicas": {}}}}
                ]},
            "spec": {"replicas": 5, "revisionHistoryLimit": 10, "template": {"spec": {"containers": [
                {"name": "proxy", "image": "istio/proxy", "imagePullPolicy": "IfNotPresent"},
                {"name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"}]}}},
            "status": {"replicas": 5}
        })
    }

    #[test]
    fn the_managed_manifest_has_only_slipways_fields() {
        let live = live();
        let manifest = managed_manifest(&live, &fields_of(&live, "slipway"), true);
        assert_eq!(
            manifest,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
                   "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
        );
    }

    #[test]
    fn the_object_drops_other_managers_fields_but_keeps_defaults() {
        let object = clean(&live(), "slipway");
        assert_eq!(object["spec"].get("replicas"), None, "the HPA's replicas");
        assert_eq!(object["spec"]["revisionHistoryLimit"], json!(10), "a default no one owns");
        let containers = object["spec"]["template"]["spec"]["containers"].as_array().cloned().unwrap_or_default();
        assert_eq!(containers.len(), 1, "the injected sidecar is gone: {containers:?}");
        assert_eq!(containers[0]["imagePullPolicy"], json!("IfNotPresent"));
        assert!(object.get("status").is_none());
        assert!(object["metadata"].get("managedFields").is_none() && object["metadata"].get("uid").is_none());
    }

    #[test]
    fn dotted_paths_are_the_servers_notation() {
        let fields =
            json!({"f:spec": {"f:replicas": {}, "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}});
        let mut paths = dotted_paths(&fields);
        paths.sort();
        assert_eq!(
            paths,
            [
                ".spec",
                ".spec.containers",
                ".spec.containers[name=\"web\"]",
                ".spec.containers[name=\"web\"].image",
                ".spec.replicas"
            ]
        );
    }

    #[test]
    fn unions_keep_both_sets() {
        let a = json!({"f:spec": {"f:replicas": {}}});
        let b = json!({"f:spec": {"f:paused": {}}, "f:metadata": {"f:labels": {".": {}, "f:app": {}}}});
        let u = union(&a, &b);
        assert_eq!(
            u,
            json!({"f:spec": {"f:replicas": {}, "f:paused": {}}, "f:metadata": {"f:labels": {".": {}, "f:app": {}}}})
        );
        let obj =
            json!({"spec": {"replicas": 3, "paused": false, "x": 1}, "metadata": {"labels": {"app": "a", "b": "c"}}});
        assert_eq!(
            project(&obj, &u),
            Some(json!({"spec": {"replicas": 3, "paused": false}, "metadata": {"labels": {"app": "a"}}}))
        );
    }

    #[test]
    fn set_and_index_elements() {
        let obj = json!({"metadata": {"finalizers": ["a", "b"]}, "args": ["x", "y"]});
        let fields = json!({"f:metadata": {"f:finalizers": {"v:\"b\"": {}}}, "f:args": {"i:1": {}}});
        assert_eq!(project(&obj, &fields), Some(json!({"metadata": {"finalizers": ["b"]}, "args": ["y"]})));
    }
}
