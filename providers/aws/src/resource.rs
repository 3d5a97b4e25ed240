//! One aws resource type: its schema, the defaults the generic plan rule fills in, and the calls
//! that create, update, delete, refresh (many objects per call) and import its objects.

use std::collections::BTreeMap;

use async_trait::async_trait;
use slipway_core::path::AttrPath;
use slipway_core::provider::PlanRequest;
use slipway_core::schema::BlockSchema;
use slipway_core::{Diagnostic, Diagnostics, Value};

use crate::kit::Clients;

/// Whether a configured value means the same as the prior one.
pub type Equivalent = fn(&str, &str) -> bool;

#[async_trait]
pub trait Resource: Send + Sync {
    fn type_name(&self) -> &'static str;

    fn schema(&self) -> BlockSchema;

    /// Values of optional attributes that AWS gives when they are left out.
    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::new()
    }

    /// Attributes whose prior value stands while the configured one means the same
    /// (`same(configured, prior)`: a DNS name in another case or with a trailing dot), so that
    /// the generic plan sees no change, and no replacement for a force-new one.
    fn equivalents(&self) -> &'static [(&'static str, Equivalent)] {
        &[]
    }

    /// Adjusts the generic plan (`planned`, by attribute) where the generic rule does not fit:
    /// nested blocks, which it does not plan, and values only this resource knows how to plan.
    /// `fresh`: the plan makes a new object (create, or replace).
    fn refine_plan(&self, _request: &PlanRequest, _fresh: bool, _planned: &mut BTreeMap<String, Value>) {}

    /// Changes that need a new object although their attributes are not force-new in the
    /// schema: those that depend on another attribute (`user_data_replace_on_change`). Only
    /// asked when there is a prior object.
    fn replace_paths(&self, _request: &PlanRequest, _prior: &Value) -> Vec<AttrPath> {
        Vec::new()
    }

    /// Checks of the configuration beyond its schema, made by every plan before anything changes
    /// (values only apply would otherwise refuse). Unknown values are not checked.
    fn validate(&self, _config: &Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// What applying an in-place update does beyond its attributes, for the plan to say
    /// (`PlanResponse::notes`): an update that replaces running instances.
    fn plan_notes(&self, _prior: &Value, _planned: &Value) -> Vec<String> {
        Vec::new()
    }

    /// Creates the object, or adopts the one `owner` already created (see
    /// `ApplyRequest::owner`); its whole new state.
    async fn create(&self, clients: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic>;

    /// Changes what can change in place; the new state.
    async fn update(&self, clients: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic>;

    /// Deletes the object; gone already counts as deleted.
    async fn delete(&self, clients: &Clients, prior: &Value) -> Result<(), Diagnostic>;

    /// The current state of each prior object (`None`: it no longer exists), in as few calls
    /// as the API allows: never one per object when one call can describe many.
    async fn read_batch(&self, clients: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic>;

    /// The object with this ID, as `read_batch` would describe it.
    async fn import(&self, clients: &Clients, id: &str) -> Result<Option<Value>, Diagnostic>;
}

/// How many IDs one Describe filter takes: AWS accepts up to 200 values per filter.
pub const FILTER_CHUNK: usize = 200;

/// The `id` attribute of each prior object, in order.
pub fn ids(priors: &[Value]) -> Vec<String> {
    priors.iter().map(|p| p.get_attr("id").and_then(Value::as_str).unwrap_or_default().to_string()).collect()
}
