//! Values of the Terraform language: known, null, or "known after apply" (unknown of a type), each
//! with a sensitive mark that every operation carries into its result.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::number::Number;
use crate::types::{ObjectType, Type, unify};

/// The entries of a map or object, shared between clones: plans hold the same object as prior
/// state, planned value and what references resolve to, and a full copy of each would cost a
/// B-tree node (about a kilobyte) per map per copy.
pub type Entries = Arc<BTreeMap<String, Value>>;

/// A value with its sensitive mark. Cloning is cheap for strings, maps and objects.
#[derive(Clone, PartialEq)]
pub struct Value {
    data: Data,
    sensitive: bool,
}

/// What a value holds. Collections keep their element type so that an empty list still knows it
/// is a `list(string)`.
#[derive(Clone, PartialEq)]
pub enum Data {
    Null(Type),
    /// Known only after apply; the type is as precise as the evaluator could tell.
    Unknown(Type),
    Bool(bool),
    Number(Number),
    String(Arc<str>),
    List(Type, Vec<Value>),
    /// Elements are kept sorted and without duplicates among known elements.
    Set(Type, Vec<Value>),
    Map(Type, Entries),
    Tuple(Vec<Value>),
    Object(Entries),
}

impl Value {
    /// A value from its data, unmarked. Sets must already be in canonical order.
    pub fn from_data(data: Data) -> Value {
        Value { data, sensitive: false }
    }

    pub fn null(ty: Type) -> Value {
        Value::from_data(Data::Null(ty))
    }

    /// A value that is known only after apply.
    pub fn unknown(ty: Type) -> Value {
        Value::from_data(Data::Unknown(ty))
    }

    pub fn bool(v: bool) -> Value {
        Value::from_data(Data::Bool(v))
    }

    pub fn number(v: Number) -> Value {
        Value::from_data(Data::Number(v))
    }

    pub fn int(v: i64) -> Value {
        Value::number(Number::from_i64(v))
    }

    pub fn string(v: impl Into<Arc<str>>) -> Value {
        Value::from_data(Data::String(v.into()))
    }

    /// A list whose elements already have `elem` as their type.
    pub fn list(elem: Type, items: Vec<Value>) -> Value {
        Value::from_data(Data::List(elem, items))
    }

    /// A set; elements are sorted and known duplicates dropped.
    pub fn set(elem: Type, items: Vec<Value>) -> Value {
        Value::from_data(Data::Set(elem, normalize_set(items)))
    }

    pub fn map(elem: Type, items: BTreeMap<String, Value>) -> Value {
        Value::from_data(Data::Map(elem, Arc::new(items)))
    }

    pub fn tuple(items: Vec<Value>) -> Value {
        Value::from_data(Data::Tuple(items))
    }

    pub fn object(attrs: BTreeMap<String, Value>) -> Value {
        Value::from_data(Data::Object(Arc::new(attrs)))
    }

    pub fn object_from<K: Into<String>>(attrs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::object(attrs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn empty_object() -> Value {
        Value::object(BTreeMap::new())
    }

    pub fn empty_tuple() -> Value {
        Value::tuple(Vec::new())
    }

    /// A list of values of possibly different types, converted to their unified element type;
    /// `None` when they have no common type.
    pub fn list_of(items: Vec<Value>) -> Option<Value> {
        let elem = unify(&items.iter().map(Value::ty).collect::<Vec<_>>())?;
        let converted = convert_all(items, &elem)?;
        Some(Value::list(elem, converted))
    }

    /// A set of values of possibly different types, as [`Value::list_of`].
    pub fn set_of(items: Vec<Value>) -> Option<Value> {
        let elem = unify(&items.iter().map(Value::ty).collect::<Vec<_>>())?;
        let converted = convert_all(items, &elem)?;
        Some(Value::set(elem, converted))
    }

    /// A map of values of possibly different types, as [`Value::list_of`].
    pub fn map_of(items: BTreeMap<String, Value>) -> Option<Value> {
        let elem = unify(&items.values().map(Value::ty).collect::<Vec<_>>())?;
        let mut out = BTreeMap::new();
        for (k, v) in items {
            out.insert(k, crate::convert::convert(v, &elem).ok()?);
        }
        Some(Value::map(elem, out))
    }

    pub fn data(&self) -> &Data {
        &self.data
    }

    pub fn into_data(self) -> Data {
        self.data
    }

    /// The type of the value; for unknown and null values, the type they were given.
    pub fn ty(&self) -> Type {
        match &self.data {
            Data::Null(t) | Data::Unknown(t) => t.clone(),
            Data::Bool(_) => Type::Bool,
            Data::Number(_) => Type::Number,
            Data::String(_) => Type::String,
            Data::List(e, _) => Type::list(e.clone()),
            Data::Set(e, _) => Type::set(e.clone()),
            Data::Map(e, _) => Type::map(e.clone()),
            Data::Tuple(items) => Type::Tuple(items.iter().map(Value::ty).collect()),
            Data::Object(attrs) => Type::Object(ObjectType {
                attributes: attrs.iter().map(|(k, v)| (k.clone(), v.ty())).collect(),
                optional: Default::default(),
            }),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.data, Data::Null(_))
    }

    /// False only for a value that is itself unknown; elements may still be unknown.
    pub fn is_known(&self) -> bool {
        !matches!(self.data, Data::Unknown(_))
    }

    /// True when neither the value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match &self.data {
            Data::Unknown(_) => false,
            Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => items.iter().all(Value::is_wholly_known),
            Data::Map(_, items) | Data::Object(items) => items.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// True when the value or anything inside it is sensitive.
    pub fn contains_sensitive(&self) -> bool {
        self.sensitive
            || match &self.data {
                Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => {
                    items.iter().any(Value::contains_sensitive)
                }
                Data::Map(_, items) | Data::Object(items) => items.values().any(Value::contains_sensitive),
                _ => false,
            }
    }

    /// The same value marked sensitive.
    pub fn mark_sensitive(mut self) -> Value {
        self.sensitive = true;
        self
    }

    /// The same value, marked sensitive when `sensitive` is true (an existing mark is kept).
    pub fn with_sensitive(mut self, sensitive: bool) -> Value {
        self.sensitive |= sensitive;
        self
    }

    /// The value without its own mark (elements keep theirs), and whether it had one.
    pub fn unmark(mut self) -> (Value, bool) {
        let was = self.sensitive;
        self.sensitive = false;
        (self, was)
    }

    /// The value with every mark removed, and whether any was present.
    pub fn unmark_deep(self) -> (Value, bool) {
        if !self.contains_sensitive() {
            // Nothing to remove: keep shared entries shared.
            return (self, false);
        }
        let mut found = self.sensitive;
        let data = match self.data {
            Data::List(t, items) => Data::List(t, unmark_items(items, &mut found)),
            Data::Set(t, items) => Data::Set(t, unmark_items(items, &mut found)),
            Data::Tuple(items) => Data::Tuple(unmark_items(items, &mut found)),
            Data::Map(t, items) => Data::Map(t, unmark_map(items, &mut found)),
            Data::Object(items) => Data::Object(unmark_map(items, &mut found)),
            other => other,
        };
        (Value { data, sensitive: false }, found)
    }

    pub fn as_bool(&self) -> Option<bool> {
        if let Data::Bool(b) = self.data { Some(b) } else { None }
    }

    pub fn as_number(&self) -> Option<&Number> {
        if let Data::Number(n) = &self.data { Some(n) } else { None }
    }

    pub fn as_str(&self) -> Option<&str> {
        if let Data::String(s) = &self.data { Some(s) } else { None }
    }

    /// The elements of a list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match &self.data {
            Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => Some(items),
            _ => None,
        }
    }

    /// The entries of a map or the attributes of an object.
    pub fn as_entries(&self) -> Option<&BTreeMap<String, Value>> {
        match &self.data {
            Data::Map(_, items) | Data::Object(items) => Some(items),
            _ => None,
        }
    }

    /// The attribute `name` of an object or the element `name` of a map.
    pub fn get_attr(&self, name: &str) -> Option<&Value> {
        self.as_entries().and_then(|entries| entries.get(name))
    }

    /// The number of elements of a collection, tuple or object.
    pub fn length(&self) -> Option<usize> {
        match &self.data {
            Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => Some(items.len()),
            Data::Map(_, items) | Data::Object(items) => Some(items.len()),
            Data::String(s) => Some(s.chars().count()),
            _ => None,
        }
    }

    /// Terraform's `==`: unknown when either side is not wholly known, otherwise whether both
    /// are the same value of the same type (numbers compare by value: `1 == 1.0`).
    pub fn equals(&self, other: &Value) -> Value {
        let sensitive = self.contains_sensitive() || other.contains_sensitive();
        let result = match (self.is_null(), other.is_null()) {
            (true, true) => Value::bool(true),
            (true, false) | (false, true) if self.is_known() && other.is_known() => Value::bool(false),
            _ if !self.is_wholly_known() || !other.is_wholly_known() => Value::unknown(Type::Bool),
            _ => Value::bool(self.same_known_value(other)),
        };
        result.with_sensitive(sensitive)
    }

    /// Structural equality of wholly known values, ignoring marks.
    pub fn same_known_value(&self, other: &Value) -> bool {
        match (&self.data, &other.data) {
            (Data::Null(a), Data::Null(b)) => a == b || *a == Type::Any || *b == Type::Any,
            (Data::Bool(a), Data::Bool(b)) => a == b,
            (Data::Number(a), Data::Number(b)) => a.compare(b) == Ordering::Equal,
            (Data::String(a), Data::String(b)) => a == b,
            (Data::List(_, a), Data::List(_, b))
            | (Data::Set(_, a), Data::Set(_, b))
            | (Data::Tuple(a), Data::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.same_known_value(y))
            }
            (Data::Map(_, a), Data::Map(_, b)) | (Data::Object(a), Data::Object(b)) => {
                a.len() == b.len()
                    && a.iter().zip(b.iter()).all(|((ka, va), (kb, vb))| ka == kb && va.same_known_value(vb))
            }
            _ => false,
        }
    }

    /// A total order over values used to keep sets canonical: strings lexically, numbers
    /// numerically, false before true, then by type and structure; unknowns sort last.
    pub fn canonical_cmp(&self, other: &Value) -> Ordering {
        fn rank(d: &Data) -> u8 {
            match d {
                Data::Null(_) => 0,
                Data::Bool(_) => 1,
                Data::Number(_) => 2,
                Data::String(_) => 3,
                Data::List(..) => 4,
                Data::Set(..) => 5,
                Data::Tuple(_) => 6,
                Data::Map(..) => 7,
                Data::Object(_) => 8,
                Data::Unknown(_) => 9,
            }
        }
        match (&self.data, &other.data) {
            (Data::Bool(a), Data::Bool(b)) => a.cmp(b),
            (Data::Number(a), Data::Number(b)) => a.compare(b),
            (Data::String(a), Data::String(b)) => a.cmp(b),
            (Data::List(_, a), Data::List(_, b))
            | (Data::Set(_, a), Data::Set(_, b))
            | (Data::Tuple(a), Data::Tuple(b)) => {
                for (x, y) in a.iter().zip(b) {
                    let o = x.canonical_cmp(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (Data::Map(_, a), Data::Map(_, b)) | (Data::Object(a), Data::Object(b)) => {
                for ((ka, va), (kb, vb)) in a.iter().zip(b.iter()) {
                    let o = ka.cmp(kb).then_with(|| va.canonical_cmp(vb));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.len().cmp(&b.len())
            }
            (a, b) => rank(a).cmp(&rank(b)),
        }
    }
}

fn unmark_items(items: Vec<Value>, found: &mut bool) -> Vec<Value> {
    items
        .into_iter()
        .map(|v| {
            let (v, marked) = v.unmark_deep();
            *found |= marked;
            v
        })
        .collect()
}

fn unmark_map(items: Entries, found: &mut bool) -> Entries {
    let items = Arc::unwrap_or_clone(items);
    let unmarked = items
        .into_iter()
        .map(|(k, v)| {
            let (v, marked) = v.unmark_deep();
            *found |= marked;
            (k, v)
        })
        .collect();
    Arc::new(unmarked)
}

fn convert_all(items: Vec<Value>, elem: &Type) -> Option<Vec<Value>> {
    items.into_iter().map(|v| crate::convert::convert(v, elem).ok()).collect()
}

fn normalize_set(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by(Value::canonical_cmp);
    items.dedup_by(|a, b| {
        a.is_wholly_known() && b.is_wholly_known() && a.same_known_value(b) && {
            b.sensitive |= a.sensitive;
            true
        }
    });
    items
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::render::render_value(self, crate::render::Redaction::Reveal))
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::bool(v)
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::int(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::string(v)
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::string(v)
    }
}

impl From<Number> for Value {
    fn from(v: Number) -> Self {
        Value::number(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_equality_is_unknown() {
        let u = Value::unknown(Type::String);
        assert!(!u.equals(&Value::string("a")).is_known());
        assert_eq!(Value::null(Type::String).equals(&Value::null(Type::Number)), Value::bool(true));
    }

    #[test]
    fn numbers_equal_by_value_and_strings_never_equal_numbers() {
        let one = Value::number(Number::parse("1.0").expect("number"));
        assert_eq!(one.equals(&Value::int(1)), Value::bool(true));
        assert_eq!(Value::string("1").equals(&Value::int(1)), Value::bool(false));
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = Value::set(Type::String, vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(s.as_elements().map(<[Value]>::len), Some(2));
        assert_eq!(s.as_elements().and_then(|e| e[0].as_str()), Some("a"));
    }

    #[test]
    fn sensitive_marks_are_found_deep() {
        let v = Value::tuple(vec![Value::string("x").mark_sensitive()]);
        assert!(!v.is_sensitive());
        assert!(v.contains_sensitive());
        let (plain, had) = v.unmark_deep();
        assert!(had && !plain.contains_sensitive());
    }
}
