//! Values to and from JSON: the encoding of `jsonencode`/`jsondecode`, of `-json` outputs and of
//! state. Numbers keep every digit (serde_json's arbitrary precision).

use std::collections::BTreeMap;

use crate::number::Number;
use crate::types::Type;
use crate::value::{Data, Value};

/// Why a value has no JSON form.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ToJsonError {
    #[error("the value is not known until apply")]
    Unknown,
}

/// The JSON form of a wholly known value; marks are dropped, so callers redact first.
pub fn to_json(value: &Value) -> Result<serde_json::Value, ToJsonError> {
    Ok(match value.data() {
        Data::Unknown(_) => return Err(ToJsonError::Unknown),
        Data::Null(_) => serde_json::Value::Null,
        Data::Bool(b) => serde_json::Value::Bool(*b),
        Data::Number(n) => number_to_json(n),
        Data::String(s) => serde_json::Value::String(s.to_string()),
        Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => {
            serde_json::Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Data::Map(_, entries) | Data::Object(entries) => serde_json::Value::Object(
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), to_json(v)?)))
                .collect::<Result<serde_json::Map<_, _>, ToJsonError>>()?,
        ),
    })
}

fn number_to_json(n: &Number) -> serde_json::Value {
    let text = n.to_string();
    serde_json::from_str::<serde_json::Number>(&text)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::String(text))
}

/// A value from JSON with the types `jsondecode` gives: arrays become tuples, objects become
/// objects.
pub fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::null(Type::Any),
        serde_json::Value::Bool(b) => Value::bool(*b),
        serde_json::Value::Number(n) => match Number::parse(&n.to_string()) {
            Some(n) => Value::number(n),
            None => Value::string(n.to_string()),
        },
        serde_json::Value::String(s) => Value::string(s.as_str()),
        serde_json::Value::Array(items) => Value::tuple(items.iter().map(from_json).collect()),
        serde_json::Value::Object(entries) => {
            Value::object(entries.iter().map(|(k, v)| (k.clone(), from_json(v))).collect::<BTreeMap<_, _>>())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_integers_round_trip() {
        let json: serde_json::Value = serde_json::from_str(r#"{"n": 123456789012345678901234567890}"#).expect("json");
        let v = from_json(&json);
        assert_eq!(to_json(&v).expect("known").to_string(), r#"{"n":123456789012345678901234567890}"#);
    }

    #[test]
    fn unknown_has_no_json() {
        assert_eq!(to_json(&Value::unknown(Type::String)), Err(ToJsonError::Unknown));
    }
}

/// Why JSON does not decode to a value of the wanted type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FromJsonError {
    pub path: String,
    pub message: String,
}

/// A value of exactly type `ty` from JSON, as state stores it: arrays become lists, sets or
/// tuples and objects become maps or objects as the type says; `any` decodes as [`from_json`].
pub fn from_json_typed(json: &serde_json::Value, ty: &Type) -> Result<Value, FromJsonError> {
    decode(json, ty, "value")
}

fn decode(json: &serde_json::Value, ty: &Type, path: &str) -> Result<Value, FromJsonError> {
    use serde_json::Value as J;
    let fail = |message: String| FromJsonError { path: path.to_string(), message };
    if json.is_null() {
        return Ok(Value::null(ty.clone()));
    }
    match (ty, json) {
        (Type::Any, j) => Ok(from_json(j)),
        (Type::Bool, J::Bool(b)) => Ok(Value::bool(*b)),
        (Type::Number, J::Number(n)) => {
            Number::parse(&n.to_string()).map(Value::number).ok_or_else(|| fail(format!("{n} is not a number")))
        }
        (Type::String, J::String(s)) => Ok(Value::string(s.as_str())),
        (Type::List(elem) | Type::Set(elem), J::Array(items)) => {
            let values = items
                .iter()
                .enumerate()
                .map(|(i, item)| decode(item, elem, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(match ty {
                Type::Set(_) => Value::set((**elem).clone(), values),
                _ => Value::list((**elem).clone(), values),
            })
        }
        (Type::Tuple(elems), J::Array(items)) if elems.len() == items.len() => Ok(Value::tuple(
            items
                .iter()
                .zip(elems)
                .enumerate()
                .map(|(i, (item, t))| decode(item, t, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Map(elem), J::Object(entries)) => Ok(Value::map(
            (**elem).clone(),
            entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), decode(v, elem, &format!("{path}[{k:?}]"))?)))
                .collect::<Result<BTreeMap<_, _>, FromJsonError>>()?,
        )),
        (Type::Object(object), J::Object(entries)) => {
            let mut attrs = BTreeMap::new();
            for (name, attr_type) in &object.attributes {
                let value = match entries.get(name) {
                    Some(v) => decode(v, attr_type, &format!("{path}.{name}"))?,
                    None => Value::null(attr_type.clone()),
                };
                attrs.insert(name.clone(), value);
            }
            Ok(Value::object(attrs))
        }
        (ty, j) => Err(fail(format!("{} is required, but the JSON has {}", ty.friendly_name(), json_kind(j)))),
    }
}

fn json_kind(json: &serde_json::Value) -> &'static str {
    match json {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a bool",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

/// A type in Terraform's JSON type notation: `"string"`, `["list","string"]`,
/// `["object",{"a":"number"}]`, `"dynamic"` for `any`.
pub fn type_to_json(ty: &Type) -> serde_json::Value {
    use serde_json::json;
    match ty {
        Type::Any => json!("dynamic"),
        Type::Bool => json!("bool"),
        Type::Number => json!("number"),
        Type::String => json!("string"),
        Type::List(e) => json!(["list", type_to_json(e)]),
        Type::Set(e) => json!(["set", type_to_json(e)]),
        Type::Map(e) => json!(["map", type_to_json(e)]),
        Type::Tuple(elems) => json!(["tuple", elems.iter().map(type_to_json).collect::<Vec<_>>()]),
        Type::Object(o) => {
            let attrs: serde_json::Map<String, serde_json::Value> =
                o.attributes.iter().map(|(k, t)| (k.clone(), type_to_json(t))).collect();
            json!(["object", attrs])
        }
    }
}

/// The inverse of [`type_to_json`]; `None` for anything that is not a type.
pub fn type_from_json(json: &serde_json::Value) -> Option<Type> {
    use serde_json::Value as J;
    match json {
        J::String(s) => match s.as_str() {
            "dynamic" => Some(Type::Any),
            "bool" => Some(Type::Bool),
            "number" => Some(Type::Number),
            "string" => Some(Type::String),
            _ => None,
        },
        J::Array(parts) => match parts.as_slice() {
            [J::String(kind), inner] => match (kind.as_str(), inner) {
                ("list", e) => type_from_json(e).map(Type::list),
                ("set", e) => type_from_json(e).map(Type::set),
                ("map", e) => type_from_json(e).map(Type::map),
                ("tuple", J::Array(elems)) => {
                    elems.iter().map(type_from_json).collect::<Option<Vec<_>>>().map(Type::Tuple)
                }
                ("object", J::Object(attrs)) => {
                    let attributes = attrs
                        .iter()
                        .map(|(k, v)| Some((k.clone(), type_from_json(v)?)))
                        .collect::<Option<BTreeMap<_, _>>>()?;
                    Some(Type::Object(crate::types::ObjectType { attributes, optional: Default::default() }))
                }
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod typed_tests {
    use super::*;

    #[test]
    fn decodes_by_type() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"ports":[443,80,443],"tags":{"a":"b"},"id":null}"#).expect("json");
        let ty =
            Type::object([("ports", Type::set(Type::Number)), ("tags", Type::map(Type::String)), ("id", Type::String)]);
        let value = from_json_typed(&json, &ty).expect("decodes");
        assert_eq!(value.ty(), ty);
        assert_eq!(value.get_attr("ports").and_then(Value::length), Some(2), "sets drop duplicates");
        assert!(value.get_attr("id").is_some_and(Value::is_null));
    }

    #[test]
    fn reports_where_decoding_failed() {
        let json: serde_json::Value = serde_json::from_str(r#"{"port":"http"}"#).expect("json");
        let err = from_json_typed(&json, &Type::object([("port", Type::Number)])).expect_err("fails");
        assert_eq!(err.to_string(), "value.port: a number is required, but the JSON has a string");
    }

    #[test]
    fn types_round_trip_through_json() {
        let ty =
            Type::object([("a", Type::list(Type::map(Type::Number))), ("b", Type::Tuple(vec![Type::Bool, Type::Any]))]);
        assert_eq!(type_from_json(&type_to_json(&ty)), Some(ty));
    }
}
