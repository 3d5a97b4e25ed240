//! Attribute paths inside a resource's value (`tags["Name"]`, `ingress[0].from_port`): providers
//! report problems and replacement reasons by path, and the engine maps paths back to source.

use std::fmt;

use crate::render::quote;
use crate::value::{Data, Value};

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// `.name`: an attribute of an object or a nested block.
    Attr(String),
    /// `["key"]`: an element of a map.
    Key(String),
    /// `[2]`: an element of a list or tuple.
    Index(usize),
}

/// A path from a resource's value to one of its parts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttrPath(pub Vec<PathStep>);

impl AttrPath {
    pub fn root() -> Self {
        AttrPath(Vec::new())
    }

    pub fn attr(name: impl Into<String>) -> Self {
        AttrPath(vec![PathStep::Attr(name.into())])
    }

    pub fn then_attr(&self, name: impl Into<String>) -> Self {
        let mut steps = self.0.clone();
        steps.push(PathStep::Attr(name.into()));
        AttrPath(steps)
    }

    pub fn then_key(&self, key: impl Into<String>) -> Self {
        let mut steps = self.0.clone();
        steps.push(PathStep::Key(key.into()));
        AttrPath(steps)
    }

    pub fn then_index(&self, index: usize) -> Self {
        let mut steps = self.0.clone();
        steps.push(PathStep::Index(index));
        AttrPath(steps)
    }

    /// Whether `self` is `other` or leads into it (`tags` is a prefix of `tags["Name"]`).
    pub fn is_prefix_of(&self, other: &AttrPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The part of `value` this path leads to, if it exists and is known.
    pub fn get<'v>(&self, value: &'v Value) -> Option<&'v Value> {
        let mut current = value;
        for step in &self.0 {
            current = match (step, current.data()) {
                (PathStep::Attr(name) | PathStep::Key(name), Data::Object(entries) | Data::Map(_, entries)) => {
                    entries.get(name)?
                }
                (PathStep::Index(i), Data::List(_, items) | Data::Tuple(items) | Data::Set(_, items)) => {
                    items.get(*i)?
                }
                _ => return None,
            };
        }
        Some(current)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                PathStep::Attr(name) if i == 0 => f.write_str(name)?,
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => write!(f, "[{}]", quote(key))?,
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_terraform() {
        let path = AttrPath::attr("ingress").then_index(0).then_attr("from_port");
        assert_eq!(path.to_string(), "ingress[0].from_port");
        assert_eq!(AttrPath::attr("tags").then_key("Name").to_string(), "tags[\"Name\"]");
        assert!(AttrPath::attr("tags").is_prefix_of(&AttrPath::attr("tags").then_key("Name")));
    }

    #[test]
    fn finds_parts_of_values() {
        let value = Value::object_from([("tags", Value::object_from([("Name", Value::string("web"))]))]);
        let found = AttrPath::attr("tags").then_key("Name").get(&value);
        assert_eq!(found.and_then(Value::as_str), Some("web"));
        assert!(AttrPath::attr("nope").get(&value).is_none());
    }
}
