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
