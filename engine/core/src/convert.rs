//! Conversion of a value to a type under Terraform's rules: `"1"` becomes `1` where a number is
//! wanted, a tuple becomes a list, an object becomes a map or a narrower object, and `any`
//! accepts everything. Errors say where inside the value the conversion failed.

use std::collections::BTreeMap;
use std::fmt;

use crate::number::Number;
use crate::types::{ObjectType, Type, unify};
use crate::value::{Data, Value};

/// Why a value could not be converted, and where inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversionError {
    /// Steps from the converted value to the failing part: `["tags", "Name"]`, `["[2]"]`.
    pub path: Vec<String>,
    pub message: String,
}

impl ConversionError {
    fn new(message: impl Into<String>) -> Self {
        ConversionError { path: Vec::new(), message: message.into() }
    }

    fn at(mut self, step: String) -> Self {
        self.path.insert(0, step);
        self
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            let mut path = String::new();
            for step in &self.path {
                if step.starts_with('[') {
                    path.push_str(step);
                } else {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(step);
                }
            }
            write!(f, "{path}: {}", self.message)
        }
    }
}

/// Converts `value` to `target`, keeping sensitive marks.
pub fn convert(value: Value, target: &Type) -> Result<Value, ConversionError> {
    if *target == Type::Any {
        return Ok(value);
    }
    let (value, sensitive) = value.unmark();
    let converted = convert_unmarked(value, target)?;
    Ok(converted.with_sensitive(sensitive))
}

fn convert_unmarked(value: Value, target: &Type) -> Result<Value, ConversionError> {
    let source = value.ty();
    match value.into_data() {
        Data::Null(_) => Ok(Value::null(concretize(target, &source))),
        Data::Unknown(_) => {
            if !type_convertible(&source, target) {
                return Err(mismatch(target, &source));
            }
            Ok(Value::unknown(concretize(target, &source)))
        }
        data => convert_known(data, &source, target),
    }
}

fn convert_known(data: Data, source: &Type, target: &Type) -> Result<Value, ConversionError> {
    match (target, data) {
        (Type::Bool, Data::Bool(b)) => Ok(Value::bool(b)),
        (Type::Bool, Data::String(s)) => match &*s {
            "true" => Ok(Value::bool(true)),
            "false" => Ok(Value::bool(false)),
            _ => Err(ConversionError::new(format!("a bool is required; cannot use {:?} as a bool", &*s))),
        },
        (Type::Number, Data::Number(n)) => Ok(Value::number(n)),
        (Type::Number, Data::String(s)) => Number::parse(&s)
            .map(Value::number)
            .ok_or_else(|| ConversionError::new(format!("a number is required; cannot use {:?} as a number", &*s))),
        (Type::String, Data::String(s)) => Ok(Value::string(s)),
        (Type::String, Data::Number(n)) => Ok(Value::string(n.to_string())),
        (Type::String, Data::Bool(b)) => Ok(Value::string(if b { "true" } else { "false" })),
        (Type::List(elem), Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items)) => {
            let elem = element_target(elem, &items, source)?;
            Ok(Value::list(elem.clone(), convert_items(items, &elem)?))
        }
        (Type::Set(elem), Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items)) => {
            let elem = element_target(elem, &items, source)?;
            Ok(Value::set(elem.clone(), convert_items(items, &elem)?))
        }
        (Type::Map(elem), Data::Map(_, items) | Data::Object(items)) => {
            let values: Vec<Value> = items.values().cloned().collect();
            let elem = element_target(elem, &values, source)?;
            let mut out = BTreeMap::new();
            for (k, v) in std::sync::Arc::unwrap_or_clone(items) {
                let converted = convert(v, &elem).map_err(|e| e.at(k.clone()))?;
                out.insert(k, converted);
            }
            Ok(Value::map(elem, out))
        }
        (Type::Tuple(elems), Data::Tuple(items) | Data::List(_, items) | Data::Set(_, items)) => {
            if elems.len() != items.len() {
                return Err(ConversionError::new(format!(
                    "a tuple of {} elements is required, but this has {}",
                    elems.len(),
                    items.len()
                )));
            }
            let mut out = Vec::with_capacity(items.len());
            for (i, (v, t)) in items.into_iter().zip(elems).enumerate() {
                out.push(convert(v, t).map_err(|e| e.at(format!("[{i}]")))?);
            }
            Ok(Value::tuple(out))
        }
        (Type::Object(object), Data::Object(items) | Data::Map(_, items)) => {
            convert_object(std::sync::Arc::unwrap_or_clone(items), object)
        }
        (target, _) => Err(mismatch(target, source)),
    }
}

fn convert_object(mut items: BTreeMap<String, Value>, object: &ObjectType) -> Result<Value, ConversionError> {
    let mut out = BTreeMap::new();
    for (name, attr_type) in &object.attributes {
        match items.remove(name) {
            Some(v) => {
                out.insert(name.clone(), convert(v, attr_type).map_err(|e| e.at(name.clone()))?);
            }
            None if object.optional.contains(name) => {
                out.insert(name.clone(), Value::null(attr_type.clone()));
            }
            None => return Err(ConversionError::new(format!("attribute {name:?} is required"))),
        }
    }
    Ok(Value::object(out))
}

/// The element type for a collection conversion: the target's, or when that is `any`, the
/// unified type of the elements (for an empty collection, the source's own element type).
fn element_target(elem: &Type, items: &[Value], source: &Type) -> Result<Type, ConversionError> {
    if !elem.has_any() {
        return Ok(elem.clone());
    }
    if items.is_empty() {
        let source_elem = source.element_type().cloned().unwrap_or(Type::Any);
        return Ok(concretize(elem, &source_elem));
    }
    let types: Vec<Type> = items.iter().map(Value::ty).collect();
    let unified = unify(&types).ok_or_else(|| ConversionError::new("all elements must have the same type"))?;
    if *elem == Type::Any { Ok(unified) } else { Ok(concretize(elem, &unified)) }
}

fn convert_items(items: Vec<Value>, elem: &Type) -> Result<Vec<Value>, ConversionError> {
    items.into_iter().enumerate().map(|(i, v)| convert(v, elem).map_err(|e| e.at(format!("[{i}]")))).collect()
}

/// Fills the `any` parts of `target` from `source` where they line up.
fn concretize(target: &Type, source: &Type) -> Type {
    match (target, source) {
        (Type::Any, s) => s.clone(),
        (Type::List(t), Type::List(s) | Type::Set(s)) => Type::list(concretize(t, s)),
        (Type::Set(t), Type::List(s) | Type::Set(s)) => Type::set(concretize(t, s)),
        (Type::Map(t), Type::Map(s)) => Type::map(concretize(t, s)),
        (t, _) => t.clone(),
    }
}

/// Whether values of type `source` can in general convert to `target`.
pub fn type_convertible(source: &Type, target: &Type) -> bool {
    match (source, target) {
        (_, Type::Any) | (Type::Any, _) => true,
        (s, t) if s == t => true,
        (Type::String, Type::Number | Type::Bool) | (Type::Number | Type::Bool, Type::String) => true,
        (Type::List(s) | Type::Set(s), Type::List(t) | Type::Set(t)) => type_convertible(s, t),
        (Type::Tuple(elems), Type::List(t) | Type::Set(t)) => elems.iter().all(|s| type_convertible(s, t)),
        (Type::Tuple(s), Type::Tuple(t)) => s.len() == t.len() && s.iter().zip(t).all(|(a, b)| type_convertible(a, b)),
        (Type::List(_), Type::Tuple(_)) => true,
        (Type::Map(s), Type::Map(t)) => type_convertible(s, t),
        (Type::Object(o), Type::Map(t)) => o.attributes.values().all(|s| type_convertible(s, t)),
        (Type::Map(_), Type::Object(_)) => true,
        (Type::Object(s), Type::Object(t)) => t.attributes.iter().all(|(name, tt)| match s.attributes.get(name) {
            Some(st) => type_convertible(st, tt),
            None => t.optional.contains(name),
        }),
        _ => false,
    }
}

fn mismatch(target: &Type, source: &Type) -> ConversionError {
    ConversionError::new(format!("{} is required, but got {}", target.friendly_name(), source.friendly_name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primitives_convert_as_in_terraform() {
        assert_eq!(convert(Value::string("5"), &Type::Number), Ok(Value::int(5)));
        assert_eq!(convert(Value::bool(true), &Type::String), Ok(Value::string("true")));
        let err = convert(Value::string("five"), &Type::Number).expect_err("not a number");
        assert!(err.message.contains("a number is required"), "{err}");
    }

    #[test]
    fn tuple_to_list_unifies_elements() {
        let t = Value::tuple(vec![Value::int(1), Value::string("a")]);
        let l = convert(t, &Type::list(Type::Any)).expect("converts");
        assert_eq!(l.ty(), Type::list(Type::String));
    }

    #[test]
    fn empty_collections_keep_their_element_type() {
        let empty = Value::list(Type::String, Vec::new());
        let converted = convert(empty, &Type::list(Type::Any)).expect("converts");
        assert_eq!(converted.ty(), Type::list(Type::String));
    }

    #[test]
    fn object_conversion_reports_the_path() {
        let v = Value::object_from([("port", Value::string("http"))]);
        let target = Type::object([("port", Type::Number)]);
        let err = convert(v, &target).expect_err("fails");
        assert_eq!(err.to_string(), "port: a number is required; cannot use \"http\" as a number");
    }

    #[test]
    fn unknowns_and_marks_survive_conversion() {
        let u = convert(Value::unknown(Type::String), &Type::Number).expect("converts");
        assert_eq!(u, Value::unknown(Type::Number));
        let s = convert(Value::int(1).mark_sensitive(), &Type::String).expect("converts");
        assert!(s.is_sensitive());
    }
}
