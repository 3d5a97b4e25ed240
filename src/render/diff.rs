//! The structural diff of two values, computed before anything is printed, as Terraform's plan
//! renderer does: one node per attribute, element or nested block, each with its own action.
//! A sensitive part keeps no value at all, only whether it was and is sensitive, so no printer
//! can show it by mistake (invariant 9).

use std::collections::{BTreeMap, BTreeSet};

use slipway_core::path::{AttrPath, PathStep};
use slipway_core::schema::{BlockSchema, Nesting};
use slipway_core::{Data, Type, Value};

use super::pairing::{index_pairs, ordered_pairs, set_pairs};

/// What happens to one part of a value. Replacement exists only for whole resources, so parts
/// are only created, updated, deleted or left alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    NoOp,
    Create,
    Update,
    Delete,
}

impl Act {
    /// The action of a collection once a child's action is known: a child that does something
    /// other than what the collection does as a whole makes the collection an update.
    fn merge(self, child: Act) -> Act {
        if child == Act::NoOp || child == self { self } else { Act::Update }
    }

    /// What a collection does before its children are looked at.
    fn of_presence(before: bool, after: bool) -> Act {
        match (before, after) {
            (false, true) => Act::Create,
            (true, false) => Act::Delete,
            _ => Act::NoOp,
        }
    }
}

#[derive(Debug)]
pub struct Diff {
    pub act: Act,
    /// This part is one the provider said forces the resource to be replaced.
    pub replace: bool,
    pub node: Node,
}

#[derive(Debug)]
pub enum Node {
    /// A bool, number, string or null. `None` stands for a side where the value is absent.
    Primitive {
        before: Option<Value>,
        after: Option<Value>,
    },
    /// `(known after apply)`, with what the value was when there was one.
    Unknown {
        before: Option<Box<Diff>>,
    },
    /// `(sensitive value)`. `inner` is what happens to the hidden value, for the warning shown
    /// when only the sensitivity changes.
    Sensitive {
        before: bool,
        after: bool,
        inner: Act,
    },
    /// A nested block whose contents are (or were) sensitive.
    SensitiveBlock {
        before: bool,
        after: bool,
        inner: Act,
    },
    /// An object, keyed by attribute name.
    Object(BTreeMap<String, Diff>),
    Map(BTreeMap<String, Diff>),
    /// A list or tuple: shown with one unchanged element of context around each change.
    List(Vec<Diff>),
    Set(Vec<Diff>),
    Block(Body),
    /// The value changes type (only in outputs and JSON): shown as the old, then the new.
    TypeChange(Box<Diff>, Box<Diff>),
}

/// The inside of a resource or nested block.
#[derive(Debug, Default)]
pub struct Body {
    pub attributes: BTreeMap<String, Diff>,
    /// Nested block types by name, each with its blocks.
    pub blocks: Vec<BlockGroup>,
}

#[derive(Debug)]
pub struct BlockGroup {
    pub name: String,
    pub items: Vec<Diff>,
    /// The block type as a whole forces replacement.
    pub replace: bool,
}

/// How a block's contents are split into attributes and nested blocks.
#[derive(Clone, Copy, Debug)]
pub enum Shape<'s> {
    /// From the provider's schema: exact.
    Schema(&'s BlockSchema),
    /// No schema at hand: an object is a single nested block and a list or set of objects is a
    /// list or set of blocks, which is how providers declare almost all of them.
    Inferred,
}

/// Computes diffs. `dynamic` is for values without a schema (outputs, JSON inside strings): there
/// a null is a value of its own, maps print as objects and sets as lists, as in JSON.
pub struct Differ<'a> {
    replace_paths: &'a [AttrPath],
    dynamic: bool,
}

impl<'a> Differ<'a> {
    /// For a resource's attributes, marking the given paths `# forces replacement`.
    pub fn resource(replace_paths: &'a [AttrPath]) -> Self {
        Differ { replace_paths, dynamic: false }
    }

    /// For outputs and decoded JSON.
    pub fn dynamic() -> Differ<'static> {
        Differ { replace_paths: &[], dynamic: true }
    }

    fn forces(&self, path: &AttrPath) -> bool {
        self.replace_paths.iter().any(|p| same_path(p, path))
    }

    /// The value on one side, or `None` when that side has none. Under a schema a null attribute
    /// is the same as a missing one.
    fn present<'v>(&self, v: Option<&'v Value>) -> Option<&'v Value> {
        v.filter(|v| self.dynamic || !v.is_null())
    }

    /// The diff of one attribute, element or output value.
    pub fn value(&self, before: Option<&Value>, after: Option<&Value>, path: &AttrPath) -> Diff {
        let replace = self.forces(path);
        if let Some(diff) = self.sensitive(before, after, path, false) {
            return diff;
        }
        if let Some(diff) = self.unknown(before, after, path, |b| self.value(b, None, path)) {
            return diff;
        }
        let (b, a) = (self.present(before), self.present(after));
        let (Some(bv), Some(av)) = (b, a) else {
            let one = b.or(a);
            return match one.map(|v| self.kind(v)) {
                None | Some(Kind::Primitive) => self.primitive(b, a, replace),
                Some(kind) => self.collection(kind, b, a, path, replace),
            };
        };
        let (bk, ak) = (self.kind(bv), self.kind(av));
        if bk != ak {
            let old = self.value(b, None, path);
            let new = self.value(None, a, path);
            return Diff { act: Act::Update, replace, node: Node::TypeChange(Box::new(old), Box::new(new)) };
        }
        match bk {
            Kind::Primitive => self.primitive(b, a, replace),
            kind => self.collection(kind, b, a, path, replace),
        }
    }

    /// `(sensitive value)` when either side is marked; the diff of the unmarked values is computed
    /// only for its action and then dropped.
    fn sensitive(&self, before: Option<&Value>, after: Option<&Value>, path: &AttrPath, block: bool) -> Option<Diff> {
        // A sensitive null is no value at all under a schema: nothing to hide.
        let was = self.present(before).is_some_and(Value::is_sensitive);
        let is = self.present(after).is_some_and(Value::is_sensitive);
        if !was && !is {
            return None;
        }
        let b = before.map(|v| v.clone().unmark().0);
        let a = after.map(|v| v.clone().unmark().0);
        let inner = self.value(b.as_ref(), a.as_ref(), path).act;
        let act = if inner == Act::NoOp && was != is { Act::Update } else { inner };
        let node = if block {
            Node::SensitiveBlock { before: was, after: is, inner }
        } else {
            Node::Sensitive { before: was, after: is, inner }
        };
        Some(Diff { act, replace: self.forces(path), node })
    }

    /// `(known after apply)` when the new value is unknown as a whole.
    fn unknown(
        &self,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &AttrPath,
        as_deleted: impl FnOnce(Option<&Value>) -> Diff,
    ) -> Option<Diff> {
        if after.is_none_or(Value::is_known) {
            return None;
        }
        let replace = self.forces(path);
        Some(match self.present(before) {
            None => Diff { act: Act::Create, replace, node: Node::Unknown { before: None } },
            Some(b) => {
                Diff { act: Act::Update, replace, node: Node::Unknown { before: Some(Box::new(as_deleted(Some(b)))) } }
            }
        })
    }

    fn kind(&self, v: &Value) -> Kind {
        match v.data() {
            Data::Object(_) => Kind::Object,
            Data::Map(..) if self.dynamic => Kind::Object,
            Data::Map(..) => Kind::Map,
            Data::List(..) => Kind::List,
            Data::Set(..) | Data::Tuple(_) if self.dynamic => Kind::List,
            Data::Set(..) => Kind::Set,
            Data::Tuple(_) => Kind::Tuple,
            _ => Kind::Primitive,
        }
    }

    fn primitive(&self, before: Option<&Value>, after: Option<&Value>, replace: bool) -> Diff {
        let act = match (before, after) {
            (None, None) => Act::NoOp,
            (None, Some(_)) => Act::Create,
            (Some(_), None) => Act::Delete,
            (Some(b), Some(a)) if b.same_known_value(a) || same_json(b, a) => Act::NoOp,
            (Some(_), Some(_)) => Act::Update,
        };
        Diff { act, replace, node: Node::Primitive { before: before.cloned(), after: after.cloned() } }
    }

    fn collection(
        &self,
        kind: Kind,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &AttrPath,
        replace: bool,
    ) -> Diff {
        match kind {
            Kind::Object | Kind::Map => self.mapping(kind == Kind::Object, before, after, path, replace),
            Kind::List | Kind::Tuple | Kind::Set => {
                let b = before.and_then(Value::as_elements).unwrap_or_default();
                let a = after.and_then(Value::as_elements).unwrap_or_default();
                let pairs = match kind {
                    Kind::List => ordered_pairs(b, a, same_element, is_object),
                    Kind::Set => set_pairs(b, a, same_element),
                    _ => index_pairs(b.len(), a.len()),
                };
                let mut act = Act::of_presence(before.is_some(), after.is_some());
                let mut items = Vec::with_capacity(pairs.len());
                for (bi, ai) in pairs {
                    let index = ai.or(bi).unwrap_or_default();
                    let item =
                        self.value(bi.and_then(|i| b.get(i)), ai.and_then(|i| a.get(i)), &path.then_index(index));
                    act = act.merge(item.act);
                    items.push(item);
                }
                let node = if kind == Kind::Set { Node::Set(items) } else { Node::List(items) };
                Diff { act, replace, node }
            }
            Kind::Primitive => self.primitive(before, after, replace),
        }
    }

    fn mapping(
        &self,
        object: bool,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &AttrPath,
        replace: bool,
    ) -> Diff {
        let b = before.and_then(Value::as_entries);
        let a = after.and_then(Value::as_entries);
        let keys: BTreeSet<&String> = b.into_iter().chain(a).flat_map(BTreeMap::keys).collect();
        let mut act = Act::of_presence(before.is_some(), after.is_some());
        let mut entries = BTreeMap::new();
        for key in keys {
            let (bv, av) = (b.and_then(|m| m.get(key)), a.and_then(|m| m.get(key)));
            let child_path = if object { path.then_attr(key) } else { path.then_key(key) };
            let child = self.value(bv, av, &child_path);
            // Terraform leaves out object attributes that are null on both sides, without even
            // counting them as unchanged.
            if object && child.act == Act::NoOp && self.present(bv).is_none() && self.present(av).is_none() {
                continue;
            }
            act = act.merge(child.act);
            entries.insert(key.clone(), child);
        }
        let node = if object { Node::Object(entries) } else { Node::Map(entries) };
        Diff { act, replace, node }
    }

    /// The diff of a resource or nested block.
    pub fn block(&self, before: Option<&Value>, after: Option<&Value>, shape: Shape<'_>, path: &AttrPath) -> Diff {
        let replace = self.forces(path);
        if let Some(diff) = self.sensitive(before, after, path, true) {
            return diff;
        }
        if let Some(diff) = self.unknown(before, after, path, |b| self.block(b, None, shape, path)) {
            return diff;
        }
        let (b, a) = (self.present(before), self.present(after));
        let mut act = Act::of_presence(b.is_some(), a.is_some());
        let mut body = Body::default();
        for (name, member) in members(shape, b, a) {
            let (cb, ca) = (b.and_then(|v| v.get_attr(&name)), a.and_then(|v| v.get_attr(&name)));
            let child_path = path.then_attr(&name);
            let child_act = match member {
                Member::Attribute { yaml } => {
                    let child = if yaml {
                        let (yb, ya) = (cb.map(as_yaml), ca.map(as_yaml));
                        self.value(yb.as_ref(), ya.as_ref(), &child_path)
                    } else {
                        self.value(cb, ca, &child_path)
                    };
                    let act = child.act;
                    if act != Act::NoOp || self.present(cb).is_some() || self.present(ca).is_some() {
                        body.attributes.insert(name, child);
                    }
                    act
                }
                Member::Blocks(nesting, inner) => {
                    let (group, act) = self.block_group(name, nesting, inner, cb, ca, &child_path);
                    if act != Act::NoOp || !group.items.is_empty() {
                        body.blocks.push(group);
                    }
                    act
                }
            };
            act = act.merge(child_act);
        }
        Diff { act, replace, node: Node::Block(body) }
    }

    fn block_group(
        &self,
        name: String,
        nesting: Nesting,
        shape: Shape<'_>,
        before: Option<&Value>,
        after: Option<&Value>,
        path: &AttrPath,
    ) -> (BlockGroup, Act) {
        let replace = self.forces(path);
        let (b, a) = (self.present(before), self.present(after));
        let mut act = Act::of_presence(b.is_some(), a.is_some());
        if nesting == Nesting::Single {
            let item = self.block(before, after, shape, path);
            let items = if b.is_none() && a.is_none() { Vec::new() } else { vec![item] };
            let act = items.first().map_or(act, |i| act.merge(i.act));
            return (BlockGroup { name, items, replace }, act);
        }
        if a.is_some_and(|v| !v.is_known()) {
            // How many blocks there will be is not known yet: one line says so.
            let item_act = if b.is_some() { Act::Update } else { Act::Create };
            let item = Diff { act: item_act, replace, node: Node::Unknown { before: None } };
            return (BlockGroup { name, items: vec![item], replace }, act.merge(item_act));
        }
        // Blocks whose whole collection is sensitive are listed, but each one's contents hidden.
        let was = b.is_some_and(Value::is_sensitive);
        let is = a.is_some_and(Value::is_sensitive);
        let unmarked = |v: Option<&Value>| v.map(|v| v.clone().unmark().0);
        let (bu, au) = (unmarked(b), unmarked(a));
        let bs = bu.as_ref().and_then(Value::as_elements).unwrap_or_default();
        let as_ = au.as_ref().and_then(Value::as_elements).unwrap_or_default();
        let pairs = match nesting {
            Nesting::Set => set_pairs(bs, as_, same_element),
            _ => index_pairs(bs.len(), as_.len()),
        };
        let mut items = Vec::with_capacity(pairs.len());
        for (bi, ai) in pairs {
            let index = ai.or(bi).unwrap_or_default();
            let mut item =
                self.block(bi.and_then(|i| bs.get(i)), ai.and_then(|i| as_.get(i)), shape, &path.then_index(index));
            if was || is {
                let inner = item.act;
                let act = if inner == Act::NoOp && was != is { Act::Update } else { inner };
                item =
                    Diff { act, replace: item.replace, node: Node::SensitiveBlock { before: was, after: is, inner } };
            }
            act = act.merge(item.act);
            items.push(item);
        }
        (BlockGroup { name, items, replace }, act)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Primitive,
    Object,
    Map,
    List,
    Tuple,
    Set,
}

enum Member<'s> {
    /// `yaml`: the schema shows it as a YAML document.
    Attribute {
        yaml: bool,
    },
    Blocks(Nesting, Shape<'s>),
}

/// The attributes and nested block types of a block, by name.
fn members<'s>(shape: Shape<'s>, before: Option<&Value>, after: Option<&Value>) -> Vec<(String, Member<'s>)> {
    match shape {
        Shape::Schema(schema) => {
            let attributes =
                schema.attributes.iter().map(|(k, a)| (k.clone(), Member::Attribute { yaml: a.yaml_document }));
            let blocks =
                schema.blocks.iter().map(|(k, b)| (k.clone(), Member::Blocks(b.nesting, Shape::Schema(&b.block))));
            attributes.chain(blocks).collect()
        }
        Shape::Inferred => {
            let entries = [before, after].into_iter().flatten().filter_map(Value::as_entries);
            let mut found: BTreeMap<String, Member<'s>> = BTreeMap::new();
            for entries in entries {
                for (key, value) in entries {
                    match inferred_nesting(value) {
                        Some(nesting) => {
                            found.insert(key.clone(), Member::Blocks(nesting, Shape::Inferred));
                        }
                        None => {
                            found.entry(key.clone()).or_insert(Member::Attribute { yaml: false });
                        }
                    }
                }
            }
            found.into_iter().collect()
        }
    }
}

/// A document as the YAML text it is shown as, so that its diff is a line diff; a value with
/// unknown or sensitive parts stays as it is (shown as known after apply, or hidden).
fn as_yaml(value: &Value) -> Value {
    if value.is_null() || !value.is_wholly_known() || value.contains_sensitive() {
        return value.clone();
    }
    let text = slipway_core::json::to_json(value).ok().and_then(|json| serde_yaml_ng::to_string(&yaml_of(&json)).ok());
    match text {
        Some(text) => Value::string(text),
        None => value.clone(),
    }
}

/// JSON as YAML, numbers as numbers (serde_json's arbitrary-precision numbers would otherwise
/// be written as the map they are inside).
fn yaml_of(json: &serde_json::Value) -> serde_yaml_ng::Value {
    use serde_yaml_ng::Value as Y;
    match json {
        serde_json::Value::Null => Y::Null,
        serde_json::Value::Bool(b) => Y::Bool(*b),
        serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Y::Number(i.into()),
            (_, Some(u), _) => Y::Number(u.into()),
            (_, _, Some(f)) => Y::Number(f.into()),
            _ => Y::String(n.to_string()),
        },
        serde_json::Value::String(s) => Y::String(s.clone()),
        serde_json::Value::Array(items) => Y::Sequence(items.iter().map(yaml_of).collect()),
        serde_json::Value::Object(entries) => {
            Y::Mapping(entries.iter().map(|(k, v)| (Y::String(k.clone()), yaml_of(v))).collect())
        }
    }
}

fn inferred_nesting(value: &Value) -> Option<Nesting> {
    match value.data() {
        Data::Object(_) => Some(Nesting::Single),
        Data::List(elem, _) => matches!(elem, Type::Object(_)).then_some(Nesting::List),
        Data::Set(elem, _) => matches!(elem, Type::Object(_)).then_some(Nesting::Set),
        Data::Null(ty) | Data::Unknown(ty) => match ty {
            Type::Object(_) => Some(Nesting::Single),
            Type::List(elem) if matches!(**elem, Type::Object(_)) => Some(Nesting::List),
            Type::Set(elem) if matches!(**elem, Type::Object(_)) => Some(Nesting::Set),
            _ => None,
        },
        _ => None,
    }
}

/// Whether two elements are the same, for lining lists up and pairing set elements.
fn same_element(a: &Value, b: &Value) -> bool {
    a.is_wholly_known()
        && b.is_wholly_known()
        && a.contains_sensitive() == b.contains_sensitive()
        && a.same_known_value(b)
}

fn is_object(v: &Value) -> bool {
    matches!(v.data(), Data::Object(_) | Data::Map(..))
}

/// Paths compare with `.name` and `["name"]` as one step: providers use either for map keys.
fn same_path(a: &AttrPath, b: &AttrPath) -> bool {
    a.0.len() == b.0.len()
        && a.0.iter().zip(&b.0).all(|(x, y)| match (x, y) {
            (PathStep::Index(i), PathStep::Index(j)) => i == j,
            (PathStep::Attr(n) | PathStep::Key(n), PathStep::Attr(m) | PathStep::Key(m)) => n == m,
            _ => false,
        })
}

/// Two strings holding the same JSON object or array, however keys are ordered and spaced: a
/// provider that normalizes a policy document should not show a change.
fn same_json(a: &Value, b: &Value) -> bool {
    match (parse_json(a), parse_json(b)) {
        (Some(x), Some(y)) => x.same_known_value(&y),
        _ => false,
    }
}

/// The value of a string that holds a JSON object or array (Terraform's test: it starts with
/// `{` or `[` and parses).
pub fn parse_json(v: &Value) -> Option<Value> {
    let s = v.as_str()?;
    if !(s.starts_with('{') || s.starts_with('[')) {
        return None;
    }
    let json: serde_json::Value = serde_json::from_str(s).ok()?;
    Some(slipway_core::json::from_json(&json))
}
