//! Types of the Terraform language (`string`, `list(number)`, `object({...})`, `any`, ...), their
//! printed form and unification, the rule that picks one type for values of several.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A type, or with [`Type::Any`] a type constraint that accepts any type.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Type {
    /// `any`: the type is decided by the value (cty's dynamic pseudo-type).
    Any,
    Bool,
    Number,
    String,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(ObjectType),
}

/// The attributes of an object type; `optional` names attributes that may be absent when the
/// type is used as a constraint (`optional(string)` in a variable's `type`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ObjectType {
    pub attributes: BTreeMap<String, Type>,
    pub optional: BTreeSet<String>,
}

impl Type {
    pub fn list(elem: Type) -> Type {
        Type::List(Box::new(elem))
    }

    pub fn set(elem: Type) -> Type {
        Type::Set(Box::new(elem))
    }

    pub fn map(elem: Type) -> Type {
        Type::Map(Box::new(elem))
    }

    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Type {
        Type::Object(ObjectType {
            attributes: attributes.into_iter().map(|(k, v)| (k.into(), v)).collect(),
            optional: BTreeSet::new(),
        })
    }

    pub fn empty_object() -> Type {
        Type::Object(ObjectType::default())
    }

    pub fn is_primitive(&self) -> bool {
        matches!(self, Type::Bool | Type::Number | Type::String)
    }

    /// List, set or map: a collection whose elements all have one type.
    pub fn element_type(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }

    /// Whether `any` appears anywhere in the type, so the value decides the final type.
    pub fn has_any(&self) -> bool {
        match self {
            Type::Any => true,
            Type::Bool | Type::Number | Type::String => false,
            Type::List(e) | Type::Set(e) | Type::Map(e) => e.has_any(),
            Type::Tuple(elems) => elems.iter().any(Type::has_any),
            Type::Object(o) => o.attributes.values().any(Type::has_any),
        }
    }

    /// A short description for messages: "a string", "a list of number", "an object".
    pub fn friendly_name(&self) -> String {
        match self {
            Type::Any => "a value of any type".into(),
            Type::Bool => "a bool".into(),
            Type::Number => "a number".into(),
            Type::String => "a string".into(),
            Type::List(e) => format!("a list of {}", e.short_name()),
            Type::Set(e) => format!("a set of {}", e.short_name()),
            Type::Map(e) => format!("a map of {}", e.short_name()),
            Type::Tuple(_) => "a tuple".into(),
            Type::Object(_) => "an object".into(),
        }
    }

    fn short_name(&self) -> String {
        match self {
            Type::Tuple(_) => "tuple".into(),
            Type::Object(_) => "object".into(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for Type {
    /// The type expression that would declare this type: `map(list(string))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Any => f.write_str("any"),
            Type::Bool => f.write_str("bool"),
            Type::Number => f.write_str("number"),
            Type::String => f.write_str("string"),
            Type::List(e) => write!(f, "list({e})"),
            Type::Set(e) => write!(f, "set({e})"),
            Type::Map(e) => write!(f, "map({e})"),
            Type::Tuple(elems) => {
                f.write_str("tuple([")?;
                for (i, e) in elems.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("])")
            }
            Type::Object(o) => {
                f.write_str("object({")?;
                for (i, (k, t)) in o.attributes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if o.optional.contains(k) {
                        write!(f, "{k}=optional({t})")?;
                    } else {
                        write!(f, "{k}={t}")?;
                    }
                }
                f.write_str("})")
            }
        }
    }
}

impl fmt::Debug for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The one type that values of all `types` can convert to, as Terraform chooses it for the two
/// results of a conditional or the elements of `tolist([...])`; `None` when there is none.
pub fn unify(types: &[Type]) -> Option<Type> {
    let mut known = types.iter().filter(|t| **t != Type::Any);
    let Some(first) = known.next() else {
        return Some(Type::Any);
    };
    if types.iter().all(|t| t == first || *t == Type::Any) {
        return Some(first.clone());
    }
    let concrete: Vec<&Type> = types.iter().filter(|t| **t != Type::Any).collect();
    if concrete.iter().all(|t| t.is_primitive()) {
        // Mixed primitives meet at string, which every primitive converts to.
        return Some(Type::String);
    }
    if concrete.iter().all(|t| matches!(t, Type::List(_) | Type::Tuple(_))) {
        let elems = collect_element_types(&concrete)?;
        return unify(&elems).map(Type::list);
    }
    if concrete.iter().all(|t| matches!(t, Type::Set(_))) {
        let elems = collect_element_types(&concrete)?;
        return unify(&elems).map(Type::set);
    }
    if concrete.iter().all(|t| matches!(t, Type::Object(_))) {
        let objects: Vec<&ObjectType> =
            concrete.iter().filter_map(|t| if let Type::Object(o) = t { Some(o) } else { None }).collect();
        let first_keys: Vec<&String> = objects[0].attributes.keys().collect();
        if objects.iter().all(|o| o.attributes.keys().collect::<Vec<_>>() == first_keys) {
            let mut attributes = BTreeMap::new();
            for key in first_keys {
                let attr_types: Vec<Type> = objects.iter().map(|o| o.attributes[key].clone()).collect();
                attributes.insert(key.clone(), unify(&attr_types)?);
            }
            return Some(Type::Object(ObjectType { attributes, optional: BTreeSet::new() }));
        }
        let all_attrs: Vec<Type> = objects.iter().flat_map(|o| o.attributes.values().cloned()).collect();
        return unify(&all_attrs).map(Type::map);
    }
    if concrete.iter().all(|t| matches!(t, Type::Map(_) | Type::Object(_))) {
        let mut elems = Vec::new();
        for t in &concrete {
            match t {
                Type::Map(e) => elems.push((**e).clone()),
                Type::Object(o) => elems.extend(o.attributes.values().cloned()),
                _ => {}
            }
        }
        return unify(&elems).map(Type::map);
    }
    None
}

fn collect_element_types(types: &[&Type]) -> Option<Vec<Type>> {
    let mut out = Vec::new();
    for t in types {
        match t {
            Type::List(e) | Type::Set(e) => out.push((**e).clone()),
            Type::Tuple(elems) => out.extend(elems.iter().cloned()),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_type_expressions() {
        let t = Type::map(Type::list(Type::object([("port", Type::Number)])));
        assert_eq!(t.to_string(), "map(list(object({port=number})))");
    }

    #[test]
    fn unifies_like_terraform() {
        assert_eq!(unify(&[Type::Number, Type::String]), Some(Type::String));
        assert_eq!(unify(&[Type::Number, Type::Any]), Some(Type::Number));
        assert_eq!(unify(&[Type::list(Type::Number), Type::Bool]), None);
        let a = Type::object([("a", Type::String)]);
        let b = Type::object([("b", Type::Number)]);
        assert_eq!(unify(&[a, b]), Some(Type::map(Type::String)));
    }
}
