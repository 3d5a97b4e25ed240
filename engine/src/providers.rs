//! The providers a run can use, by the name configurations give them (`null`, `aws`), and the
//! resource types each serves. The binary assembles the set (invariant 1: the engine knows no
//! provider crate).

use std::collections::BTreeMap;
use std::sync::Arc;

use slipway_core::address::{ResourceAddr, ResourceMode};
use slipway_core::provider::Provider;
use slipway_core::schema::ResourceSchema;

#[derive(Clone, Default)]
pub struct ProviderSet {
    providers: BTreeMap<String, Arc<dyn Provider>>,
}

impl ProviderSet {
    pub fn new(providers: impl IntoIterator<Item = (impl Into<String>, Arc<dyn Provider>)>) -> Self {
        ProviderSet { providers: providers.into_iter().map(|(n, p)| (n.into(), p)).collect() }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.providers.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// The schema of a resource type or data source of the provider `name`.
    pub fn schema(&self, name: &str, resource: &ResourceAddr) -> Option<&ResourceSchema> {
        let schema = self.providers.get(name)?.schema();
        match resource.mode {
            ResourceMode::Managed => schema.resources.get(&resource.type_name),
            ResourceMode::Data => schema.data_sources.get(&resource.type_name),
        }
    }

    /// Every provider's schema by name, for renderers that tell attributes from blocks.
    pub fn schemas(&self) -> BTreeMap<String, slipway_core::schema::ProviderSchema> {
        self.providers.iter().map(|(n, p)| (n.clone(), p.schema().clone())).collect()
    }

    /// Every resource type (or data source) the provider `name` serves, for suggestions.
    pub fn type_names(&self, name: &str, mode: ResourceMode) -> Vec<String> {
        match self.providers.get(name) {
            Some(p) => match mode {
                ResourceMode::Managed => p.schema().resources.keys().cloned().collect(),
                ResourceMode::Data => p.schema().data_sources.keys().cloned().collect(),
            },
            None => Vec::new(),
        }
    }
}
