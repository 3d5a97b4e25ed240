//! Field sets as server-side apply keeps them: the leaf paths of an object, with elements of
//! associative lists (containers by name, ports by number) addressed by their key, encoded as
//! `FieldsV1` (`f:spec`, `k:{"name":"web"}`, `.`) for `metadata.managedFields`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// `f:name`: a field of an object.
    Field(String),
    /// `k:{...}`: the element of an associative list with this key (canonical JSON).
    Key(String),
}

pub type Path = Vec<Step>;
pub type FieldSet = BTreeSet<Path>;

/// The key fields of the associative lists the fixture knows, by the list's field name, as the
/// real API server reads them from `x-kubernetes-list-map-keys` in its schemas.
fn list_keys(field: &str, items: &[Value]) -> Option<Vec<&'static str>> {
    let keys: &[&'static str] = match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "versions" => &["name"],
        "volumeMounts" => &["mountPath"],
        "conditions" => &["type"],
        "ports" if items.iter().all(|i| i.get("containerPort").is_some()) => &["containerPort"],
        "ports" => &["port"],
        _ => return None,
    };
    items.iter().all(|i| keys.iter().all(|k| i.get(*k).is_some())).then(|| keys.to_vec())
}

fn key_of(item: &Value, keys: &[&str]) -> String {
    let mut m = Map::new();
    for k in keys {
        m.insert((*k).to_string(), item.get(*k).cloned().unwrap_or(Value::Null));
    }
    Value::Object(m).to_string()
}

/// The leaf paths of `value`, and a path for each element of an associative list.
pub fn leaf_paths(value: &Value) -> FieldSet {
    let mut out = FieldSet::new();
    collect(value, &mut Vec::new(), &mut out);
    out
}

fn collect(value: &Value, prefix: &mut Path, out: &mut FieldSet) {
    let Value::Object(fields) = value else {
        out.insert(prefix.clone());
        return;
    };
    if fields.is_empty() && !prefix.is_empty() {
        out.insert(prefix.clone());
    }
    for (name, v) in fields {
        prefix.push(Step::Field(name.clone()));
        match v {
            Value::Object(inner) if !inner.is_empty() => collect(v, prefix, out),
            Value::Array(items) => match list_keys(name, items) {
                Some(keys) if !items.is_empty() => {
                    for item in items {
                        prefix.push(Step::Key(key_of(item, &keys)));
                        out.insert(prefix.clone());
                        collect(item, prefix, out);
                        prefix.pop();
                    }
                }
                _ => {
                    out.insert(prefix.clone());
                }
            },
            _ => {
                out.insert(prefix.clone());
            }
        }
        prefix.pop();
    }
}

/// The part of `value` at `path`.
pub fn value_at<'v>(value: &'v Value, path: &[Step]) -> Option<&'v Value> {
    let mut current = value;
    for step in path {
        current = match step {
            Step::Field(name) => current.get(name)?,
            Step::Key(key) => find_keyed(current.as_array()?, key)?,
        };
    }
    Some(current)
}

fn find_keyed<'v>(items: &'v [Value], key: &str) -> Option<&'v Value> {
    let wanted: Value = serde_json::from_str(key).ok()?;
    let fields = wanted.as_object()?;
    items.iter().find(|i| fields.iter().all(|(k, v)| i.get(k) == Some(v)))
}

fn keyed_index(items: &[Value], key: &str) -> Option<usize> {
    let wanted: Value = serde_json::from_str(key).ok()?;
    let fields = wanted.as_object()?;
    items.iter().position(|i| fields.iter().all(|(k, v)| i.get(k) == Some(v)))
}

/// Removes the field or list element at `path` from `value`.
pub fn remove_at(value: &mut Value, path: &[Step]) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut current = value;
    for step in parents {
        let next = match step {
            Step::Field(name) => current.get_mut(name),
            Step::Key(key) => match current.as_array().and_then(|items| keyed_index(items, key)) {
                Some(i) => current.get_mut(i),
                None => None,
            },
        };
        match next {
            Some(n) => current = n,
            None => return,
        }
    }
    match last {
        Step::Field(name) => {
            if let Some(m) = current.as_object_mut() {
                m.remove(name);
            }
        }
        Step::Key(key) => {
            if let Some(i) = current.as_array().and_then(|items| keyed_index(items, key))
                && let Some(items) = current.as_array_mut()
            {
                items.remove(i);
            }
        }
    }
}

/// Merges `applied` into `live` as server-side apply does: objects field by field, associative
/// lists element by element (by key), everything else replaced.
pub fn merge(live: &mut Value, applied: &Value) {
    merge_named(live, applied, "");
}

fn merge_named(live: &mut Value, applied: &Value, name: &str) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, v) in a {
                match l.get_mut(k) {
                    Some(existing) => merge_named(existing, v, k),
                    None => {
                        l.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Array(l), Value::Array(a)) if list_keys(name, a).is_some() && list_keys(name, l).is_some() => {
            let keys = list_keys(name, a).unwrap_or_default();
            for item in a {
                let key = key_of(item, &keys);
                match keyed_index(l, &key) {
                    Some(i) => merge_named(&mut l[i], item, ""),
                    None => l.push(item.clone()),
                }
            }
        }
        (live, applied) => *live = applied.clone(),
    }
}

/// A field set as `FieldsV1`: nested objects keyed `f:<field>` and `k:<key>`, with `.` for an
/// element or object that is itself in the set and has fields below it.
pub fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = json!({});
    for path in set {
        let mut node = &mut root;
        for step in path {
            let name = match step {
                Step::Field(f) => format!("f:{f}"),
                Step::Key(k) => format!("k:{k}"),
            };
            let Some(map) = node.as_object_mut() else { break };
            node = map.entry(name).or_insert_with(|| json!({}));
        }
    }
    for path in set {
        if set.range(path.clone()..).nth(1).is_some_and(|next| next.starts_with(path))
            && let Some(node) = node_at(&mut root, path)
            && let Some(map) = node.as_object_mut()
        {
            map.insert(".".into(), json!({}));
        }
    }
    root
}

fn node_at<'v>(root: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut node = root;
    for step in path {
        let name = match step {
            Step::Field(f) => format!("f:{f}"),
            Step::Key(k) => format!("k:{k}"),
        };
        node = node.get_mut(&name)?;
    }
    Some(node)
}

/// The dotted form of a path the API server uses in conflict messages: `.spec.replicas`,
/// `.spec.template.spec.containers[name="web"].image`.
pub fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Field(f) => {
                out.push('.');
                out.push_str(f);
            }
            Step::Key(k) => {
                let parsed: Value = serde_json::from_str(k).unwrap_or(Value::Null);
                let parts: Vec<String> =
                    parsed.as_object().map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect()).unwrap_or_default();
                out.push_str(&format!("[{}]", parts.join(",")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_keyed_by_name() {
        let v = json!({"spec": {"replicas": 1, "containers": [{"name": "web", "image": "nginx"}]}});
        let set = leaf_paths(&v);
        let fields = to_fields_v1(&set);
        assert_eq!(
            fields,
            json!({"f:spec": {"f:replicas": {}, "f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:name": {}, "f:image": {}}}}})
        );
    }

    #[test]
    fn merge_keeps_other_elements() {
        let mut live = json!({"c": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}});
        merge(&mut live, &json!({"c": {"containers": [{"name": "b", "image": "3"}]}}));
        assert_eq!(live, json!({"c": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "3"}]}}));
        remove_at(
            &mut live,
            &[Step::Field("c".into()), Step::Field("containers".into()), Step::Key("{\"name\":\"a\"}".into())],
        );
        assert_eq!(live, json!({"c": {"containers": [{"name": "b", "image": "3"}]}}));
    }
}
