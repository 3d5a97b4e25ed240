//! Sensitive marks between values, schemas and state: state keeps the paths of sensitive
//! values as text (`password`, `tags["Secret"]`) so that a value read back from state is marked
//! exactly as it was when written (invariant 9).

use slipway_core::path::{AttrPath, PathStep};
use slipway_core::schema::{BlockSchema, Nesting};
use slipway_core::{Data, Value};
use std::sync::Arc;

/// The paths of every sensitive part of `value`, outermost first (nothing inside a sensitive
/// part is listed again).
pub fn sensitive_paths(value: &Value) -> Vec<AttrPath> {
    let mut out = Vec::new();
    collect(value, &AttrPath::root(), &mut out);
    out
}

fn collect(value: &Value, path: &AttrPath, out: &mut Vec<AttrPath>) {
    if value.is_sensitive() {
        out.push(path.clone());
        return;
    }
    match value.data() {
        Data::Object(entries) => {
            for (k, v) in entries.iter() {
                collect(v, &path.then_attr(k.clone()), out);
            }
        }
        Data::Map(_, entries) => {
            for (k, v) in entries.iter() {
                collect(v, &path.then_key(k.clone()), out);
            }
        }
        Data::List(_, items) | Data::Tuple(items) | Data::Set(_, items) => {
            for (i, v) in items.iter().enumerate() {
                collect(v, &path.then_index(i), out);
            }
        }
        _ => {}
    }
}

/// Marks the part of `value` at `path` sensitive.
pub fn mark_path(value: Value, path: &[PathStep]) -> Value {
    let Some((step, rest)) = path.split_first() else { return value.mark_sensitive() };
    let sensitive = value.is_sensitive();
    let marked = match (step, value.into_data()) {
        (PathStep::Attr(name), Data::Object(mut entries)) => {
            if let Some(v) = Arc::make_mut(&mut entries).remove(name) {
                Arc::make_mut(&mut entries).insert(name.clone(), mark_path(v, rest));
            }
            Value::from_data(Data::Object(entries))
        }
        (PathStep::Key(key), Data::Map(ty, mut entries)) => {
            if let Some(v) = Arc::make_mut(&mut entries).remove(key) {
                Arc::make_mut(&mut entries).insert(key.clone(), mark_path(v, rest));
            }
            Value::from_data(Data::Map(ty, entries))
        }
        (PathStep::Index(i), Data::List(ty, mut items)) => {
            if let Some(v) = items.get_mut(*i) {
                *v = mark_path(std::mem::replace(v, Value::null(ty.clone())), rest);
            }
            Value::list(ty, items)
        }
        (PathStep::Index(i), Data::Set(ty, mut items)) => {
            if let Some(v) = items.get_mut(*i) {
                *v = mark_path(std::mem::replace(v, Value::null(ty.clone())), rest);
            }
            Value::set(ty, items)
        }
        (PathStep::Index(i), Data::Tuple(mut items)) => {
            if let Some(v) = items.get_mut(*i) {
                *v = mark_path(std::mem::replace(v, Value::null(slipway_core::Type::Any)), rest);
            }
            Value::tuple(items)
        }
        (_, data) => Value::from_data(data),
    };
    marked.with_sensitive(sensitive)
}

/// Marks every attribute the schema declares sensitive, in nested blocks too.
pub fn mark_schema(value: Value, block: &BlockSchema) -> Value {
    let sensitive = value.is_sensitive();
    let Data::Object(mut entries) = value.into_data() else {
        return Value::null(block.value_type());
    };
    for (name, attr) in &block.attributes {
        // A null holds no secret: leaving it unmarked keeps "unset" visible as such in plans.
        if attr.sensitive
            && let Some(v) = Arc::make_mut(&mut entries).remove(name)
        {
            Arc::make_mut(&mut entries).insert(name.clone(), if v.is_null() { v } else { v.mark_sensitive() });
        }
    }
    for (name, nested) in &block.blocks {
        let Some(v) = Arc::make_mut(&mut entries).remove(name) else { continue };
        let marked = match (nested.nesting, v.data()) {
            (Nesting::Single, _) if v.is_null() || !v.is_known() => v,
            (Nesting::Single, _) => mark_schema(v, &nested.block),
            (_, Data::List(ty, items)) => {
                Value::list(ty.clone(), items.iter().map(|i| mark_schema(i.clone(), &nested.block)).collect())
            }
            (_, Data::Set(ty, items)) => {
                Value::set(ty.clone(), items.iter().map(|i| mark_schema(i.clone(), &nested.block)).collect())
            }
            _ => v,
        };
        Arc::make_mut(&mut entries).insert(name.clone(), marked);
    }
    Value::from_data(Data::Object(entries)).with_sensitive(sensitive)
}

/// Reads a path as `AttrPath` prints it: `a.b["k"][0]`.
pub fn parse_path(text: &str) -> Option<AttrPath> {
    let mut steps = Vec::new();
    let mut rest = text;
    let mut first = true;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('[') {
            if after.starts_with('"') {
                // A JSON string literal is the same as our quoting for keys.
                let mut stream = serde_json::Deserializer::from_str(after).into_iter::<String>();
                let key = stream.next()?.ok()?;
                let used = stream.byte_offset();
                steps.push(PathStep::Key(key));
                rest = after[used..].strip_prefix(']')?;
            } else {
                let end = after.find(']')?;
                steps.push(PathStep::Index(after[..end].parse().ok()?));
                rest = &after[end + 1..];
            }
        } else {
            let body = if first { rest } else { rest.strip_prefix('.')? };
            let end = body.find(['.', '[']).unwrap_or(body.len());
            if end == 0 {
                return None;
            }
            steps.push(PathStep::Attr(body[..end].to_string()));
            rest = &body[end..];
        }
        first = false;
    }
    Some(AttrPath(steps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_text() {
        for text in ["password", "tags[\"Secret \\\"x\\\"\"]", "ingress[0].cidr_blocks[1]", "a.b.c"] {
            let path = parse_path(text).expect(text);
            assert_eq!(path.to_string(), text);
        }
        assert!(parse_path("a..b").is_none());
    }

    #[test]
    fn marks_survive_collecting_and_reapplying() {
        let value = Value::object_from([
            ("name", Value::string("n")),
            ("tags", Value::map_of([("Secret".to_string(), Value::string("s").mark_sensitive())].into()).expect("map")),
        ]);
        let paths = sensitive_paths(&value);
        assert_eq!(paths.iter().map(ToString::to_string).collect::<Vec<_>>(), ["tags[\"Secret\"]"]);
        let (plain, _) = value.clone().unmark_deep();
        let remarked = paths.iter().fold(plain, |v, p| mark_path(v, &p.0));
        assert_eq!(sensitive_paths(&remarked), paths);
    }
}
