//! Schemas: what a provider says about each resource type's attributes and nested blocks
//! (type, required / optional / computed, sensitive, forces replacement). The engine validates
//! configuration and checks provider responses against them.

use std::collections::BTreeMap;

use crate::types::{ObjectType, Type};

/// One attribute of a resource, data source or provider configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeSchema {
    pub ty: Type,
    pub description: String,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// Set by the provider (alone: read-only; with `optional`: defaulted by the provider).
    pub computed: bool,
    pub sensitive: bool,
    /// A change to this attribute replaces the object instead of updating it in place.
    pub force_new: bool,
    /// Shown in plans as a YAML document, diffed line by line (a Kubernetes object), rather
    /// than as nested attributes.
    pub yaml_document: bool,
}

impl AttributeSchema {
    fn new(ty: Type) -> Self {
        AttributeSchema {
            ty,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            force_new: false,
            yaml_document: false,
        }
    }

    pub fn required(ty: Type) -> Self {
        AttributeSchema { required: true, ..AttributeSchema::new(ty) }
    }

    pub fn optional(ty: Type) -> Self {
        AttributeSchema { optional: true, ..AttributeSchema::new(ty) }
    }

    /// Read-only: only the provider sets it.
    pub fn computed(ty: Type) -> Self {
        AttributeSchema { computed: true, ..AttributeSchema::new(ty) }
    }

    /// Optional, with a value the provider chooses when the configuration leaves it out.
    pub fn optional_computed(ty: Type) -> Self {
        AttributeSchema { optional: true, computed: true, ..AttributeSchema::new(ty) }
    }

    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }

    pub fn yaml_document(mut self) -> Self {
        self.yaml_document = true;
        self
    }

    pub fn describe(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
}

/// How many nested blocks of a type a body holds, and how they are addressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// At most one, as an object.
    Single,
    /// An ordered list of blocks.
    List,
    /// An unordered set of blocks (security group rules).
    Set,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NestedBlockSchema {
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: usize,
    /// 0 for no limit.
    pub max_items: usize,
    pub force_new: bool,
}

/// The attributes and nested blocks of a body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttributeSchema>,
    pub blocks: BTreeMap<String, NestedBlockSchema>,
}

impl BlockSchema {
    pub fn new() -> Self {
        BlockSchema::default()
    }

    pub fn attribute(mut self, name: &str, schema: AttributeSchema) -> Self {
        self.attributes.insert(name.to_string(), schema);
        self
    }

    pub fn block(mut self, name: &str, nesting: Nesting, block: BlockSchema) -> Self {
        self.blocks.insert(
            name.to_string(),
            NestedBlockSchema { nesting, block, min_items: 0, max_items: 0, force_new: false },
        );
        self
    }

    /// The object type a value of this block has: attributes by their types, nested blocks as
    /// an object (single), a list or a set of objects.
    pub fn value_type(&self) -> Type {
        let mut attributes: BTreeMap<String, Type> =
            self.attributes.iter().map(|(k, a)| (k.clone(), a.ty.clone())).collect();
        for (name, nested) in &self.blocks {
            let inner = nested.block.value_type();
            let ty = match nested.nesting {
                Nesting::Single => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
            };
            attributes.insert(name.clone(), ty);
        }
        Type::Object(ObjectType { attributes, optional: Default::default() })
    }
}

/// A resource type's or data source's schema, with the version its state was written at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceSchema {
    pub version: u64,
    pub block: BlockSchema,
}

/// Everything a provider declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProviderSchema {
    /// The `provider "name" { ... }` configuration block.
    pub provider: BlockSchema,
    pub resources: BTreeMap<String, ResourceSchema>,
    pub data_sources: BTreeMap<String, ResourceSchema>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_type_includes_nested_blocks() {
        let schema = BlockSchema::new()
            .attribute("name", AttributeSchema::required(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
            .block(
                "ingress",
                Nesting::Set,
                BlockSchema::new().attribute("port", AttributeSchema::required(Type::Number)),
            );
        assert_eq!(
            schema.value_type().to_string(),
            "object({id=string, ingress=set(object({port=number})), name=string})"
        );
    }
}
