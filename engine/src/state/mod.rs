//! The state model: what exists, per resource instance, with the lineage and serial that tell
//! one history of a state from another and one version from the next. Attribute values are kept
//! as JSON and decoded with the provider's schema when needed, so reading state needs no
//! provider.

mod format;
mod journal;
mod manager;
pub mod moves;

use std::collections::BTreeMap;

use slipway_core::Type;
use slipway_core::address::{AbsResourceAddr, ProviderConfigAddr, ResourceInstanceAddr};

pub use format::{FORMAT_VERSION, StateError};
pub use journal::JournalEntry;
pub use manager::{PersistError, ReplaceError, StateManager};

/// One state document.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// Identifies this history of the state; a saved plan from another lineage is refused.
    pub lineage: String,
    /// Increases with every write.
    pub serial: u64,
    pub outputs: BTreeMap<String, OutputState>,
    pub instances: BTreeMap<ResourceInstanceAddr, InstanceObject>,
}

impl State {
    /// An empty state with a new lineage.
    pub fn new() -> State {
        State {
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            outputs: BTreeMap::new(),
            instances: BTreeMap::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.instances.is_empty() && self.outputs.is_empty()
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// A root module output as the last apply left it.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputState {
    pub value: serde_json::Value,
    pub ty: Type,
    pub sensitive: bool,
}

/// Whether an object is usable or must be replaced (a create that failed half-way).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InstanceStatus {
    #[default]
    Ready,
    Tainted,
}

/// One remote object as slipway last saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceObject {
    /// The provider configuration that manages it: `aws`, `aws.west`, `module.net.aws`.
    pub provider: ProviderConfigAddr,
    pub schema_version: u64,
    /// The object's attributes, in the JSON shape of the schema's type.
    pub attributes: serde_json::Value,
    /// Attribute paths whose values are sensitive, as printed (`password`, `tags["Secret"]`).
    pub sensitive_paths: Vec<String>,
    pub private: Vec<u8>,
    /// Resources this one depended on when last applied; direct dependencies only, so that
    /// state stays linear in size and destroy can order deletes without the configuration.
    pub dependencies: Vec<AbsResourceAddr>,
    pub create_before_destroy: bool,
    pub status: InstanceStatus,
}
