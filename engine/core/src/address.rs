//! Addresses are values: an instance key (`[0]`, `["a"]`) and, as the engine grows, resource and
//! module instance addresses, each with one canonical printed form.

use std::fmt;

use crate::render::quote;

/// The key of one instance of a resource or module expanded by `count` or `for_each`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum InstanceKey {
    /// Not expanded: the only instance.
    None,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    /// `""`, `[0]` or `["a"]`, as it follows a name in an address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_in_hcl_syntax() {
        assert_eq!(InstanceKey::Int(2).to_string(), "[2]");
        assert_eq!(InstanceKey::Str("a\"b".into()).to_string(), "[\"a\\\"b\"]");
        assert_eq!(InstanceKey::None.to_string(), "");
    }
}
