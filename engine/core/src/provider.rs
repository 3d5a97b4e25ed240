//! The contract between the engine and providers, modelled on Terraform's provider protocol:
//! `schema`, `configure`, `validate`, `plan` (pure), `apply` (the one place remote systems
//! change), `read_batch` (refresh many instances of one type in as few calls as the API allows),
//! `read_data`, `import` and `upgrade_state`. Each call takes a request struct and returns a
//! response struct with its own diagnostics, so adding a field never breaks a signature.

use async_trait::async_trait;

use crate::address::ResourceInstanceAddr;
use crate::diagnostics::Diagnostics;
use crate::path::AttrPath;
use crate::schema::ProviderSchema;
use crate::value::Value;

/// Bytes a provider keeps with an instance's state for its own use (never shown, never diffed).
pub type PrivateData = Vec<u8>;

#[derive(Clone, Debug)]
pub struct ConfigureRequest {
    /// The provider block's evaluated configuration, an object of the provider schema's type.
    pub config: Value,
}

#[derive(Debug, Default)]
pub struct ConfigureResponse {
    pub diagnostics: Diagnostics,
    /// Set when the configuration cannot be used yet because what it connects to is made by
    /// this same run (its settings are known only after apply): what the provider waits for,
    /// as the plan says it ("cluster api.example.com does not exist yet"). The engine plans
    /// this provider's objects without remote reads and, during apply, configures a fresh
    /// instance once what the settings refer to exists, then waits on [`Provider::probe`].
    pub deferred: Option<String>,
}

/// Whether the remote system a configured provider talks to answers yet.
#[derive(Debug)]
pub enum Readiness {
    Ready,
    /// Not yet (connection refused, still starting): the engine asks again until
    /// `give_up_after` has passed since the first probe.
    NotYet {
        why: String,
        give_up_after: std::time::Duration,
    },
    /// It will never be (bad credentials, wrong CA): stop waiting.
    Failed(Diagnostics),
}

#[derive(Clone, Debug)]
pub struct ValidateRequest {
    /// A managed resource type or a data source: the two may share a name (`local_file`).
    pub mode: crate::address::ResourceMode,
    pub type_name: String,
    /// The configuration, already checked against the schema; may contain unknowns.
    pub config: Value,
}

#[derive(Debug, Default)]
pub struct ValidateResponse {
    /// Problems with attribute paths; the engine points them at the configuration.
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct PlanRequest {
    pub address: ResourceInstanceAddr,
    pub type_name: String,
    /// The current state; `None` when the object does not exist yet.
    pub prior: Option<Value>,
    /// The configuration merged with the prior state's computed values.
    pub proposed: Value,
    pub config: Value,
    pub prior_private: PrivateData,
}

#[derive(Debug, Default)]
pub struct PlanResponse {
    /// The value the object will have after apply; unknown where only apply can tell.
    pub planned: Option<Value>,
    /// Changed attributes that cannot be updated in place.
    pub requires_replace: Vec<AttrPath>,
    /// What applying the change does that its attributes do not show (an update that replaces
    /// running instances), one sentence each, for the plan to print under the change's header.
    pub notes: Vec<String>,
    pub planned_private: PrivateData,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ApplyRequest {
    pub address: ResourceInstanceAddr,
    pub type_name: String,
    pub prior: Option<Value>,
    /// `None` deletes the object.
    pub planned: Option<Value>,
    pub config: Option<Value>,
    pub planned_private: PrivateData,
    /// Who the object belongs to across runs: the state's lineage, the serial the plan was made
    /// from, and the address. A provider that tags objects at creation tags them with it and,
    /// before creating, adopts an object that already carries it: one a run created and then
    /// stopped before saving state, so that a second run never creates it twice.
    pub owner: String,
}

#[derive(Debug, Default)]
pub struct ApplyResponse {
    /// The object as it now exists; `None` after a delete. After a failure, what exists (the
    /// prior value, or a partly created object) so that state matches reality.
    pub new_state: Option<Value>,
    pub private: PrivateData,
    pub diagnostics: Diagnostics,
}

/// One instance to refresh.
#[derive(Clone, Debug)]
pub struct ReadInstance {
    pub address: ResourceInstanceAddr,
    pub prior: Value,
    pub private: PrivateData,
}

#[derive(Clone, Debug)]
pub struct ReadBatchRequest {
    pub type_name: String,
    pub instances: Vec<ReadInstance>,
}

#[derive(Debug, Default)]
pub struct ReadBatchResponse {
    /// One entry per requested instance, in order: the current value, or `None` when the
    /// object no longer exists.
    pub current: Vec<Option<Value>>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ReadDataRequest {
    pub type_name: String,
    pub config: Value,
}

#[derive(Debug, Default)]
pub struct ReadDataResponse {
    pub state: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ImportRequest {
    pub type_name: String,
    pub id: String,
}

#[derive(Debug, Default)]
pub struct ImportResponse {
    /// The imported object's state, as `read_batch` would return it.
    pub state: Option<Value>,
    pub private: PrivateData,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct UpgradeRequest {
    pub type_name: String,
    /// The schema version the state was written with.
    pub version: u64,
    pub state: serde_json::Value,
}

#[derive(Debug, Default)]
pub struct UpgradeResponse {
    /// The state in the current schema's shape.
    pub state: Option<serde_json::Value>,
    pub diagnostics: Diagnostics,
}

/// Makes a new, unconfigured instance of a provider: one per `provider` block (and alias), as
/// Terraform starts one plugin process per configuration.
pub type ProviderFactory = std::sync::Arc<dyn Fn() -> std::sync::Arc<dyn Provider> + Send + Sync>;

/// A provider: the engine's only way to read or change a remote system.
#[async_trait]
pub trait Provider: Send + Sync {
    fn schema(&self) -> &ProviderSchema;

    async fn configure(&self, _request: ConfigureRequest) -> ConfigureResponse {
        ConfigureResponse::default()
    }

    /// Whether the remote system answers, asked after a deferred configuration was configured
    /// during apply and before any of its objects is changed (a cluster created in the same
    /// run is still booting). Providers whose API is always there keep the default.
    async fn probe(&self) -> Readiness {
        Readiness::Ready
    }

    /// Whether an object must still be deleted through this provider when the system it lives
    /// in is destroyed in the same run (the resources the provider block is configured from
    /// are all deleted): a Kubernetes object goes with its cluster, except what made objects
    /// outside it (a LoadBalancer Service's load balancer, a claim's volume). The engine drops
    /// the others from state without a call. The default deletes everything.
    fn delete_before_host(&self, _type_name: &str, _state: &Value) -> bool {
        true
    }

    /// Checks beyond the schema (value ranges, combinations of attributes).
    fn validate(&self, _request: ValidateRequest) -> ValidateResponse {
        ValidateResponse::default()
    }

    /// Pure: no remote reads or writes.
    fn plan(&self, request: PlanRequest) -> PlanResponse;

    /// The remote system's own answer to a plan, for APIs that can tell what a change would do
    /// without making it (Kubernetes' server-side dry-run). Asked while planning, after `plan`
    /// succeeded, with its request and response; it must change nothing remotely (invariant 4),
    /// and the engine checks its answer as it checks `plan`'s. The default keeps the plan.
    async fn plan_remote(&self, _request: PlanRequest, response: PlanResponse) -> PlanResponse {
        response
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse;

    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse;

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let mut response = ReadDataResponse::default();
        response.diagnostics.push(crate::diagnostics::Diagnostic::error(
            "Unsupported data source",
            format!("This provider has no data source {:?}.", request.type_name),
        ));
        response
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let mut response = ImportResponse::default();
        response.diagnostics.push(crate::diagnostics::Diagnostic::error(
            "Resource cannot be imported",
            format!("The resource type {:?} does not support import.", request.type_name),
        ));
        response
    }

    /// The identity upgrade: schemas that never changed need nothing more.
    fn upgrade_state(&self, request: UpgradeRequest) -> UpgradeResponse {
        UpgradeResponse { state: Some(request.state), diagnostics: Diagnostics::new() }
    }
}
