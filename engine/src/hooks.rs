//! How the engine reports progress (invariant 10: only the binary prints). The CLI implements
//! `Hook` to print Terraform's progress lines; tests implement it to observe the order of
//! operations.

use std::time::Duration;

use slipway_core::address::{ProviderConfigAddr, ResourceInstanceAddr};

/// What an operation does, as the progress lines name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Read,
}

impl Operation {
    /// `Creating`, `Modifying`, `Destroying`, `Reading`.
    pub fn progressive(self) -> &'static str {
        match self {
            Operation::Create => "Creating",
            Operation::Update => "Modifying",
            Operation::Delete => "Destroying",
            Operation::Read => "Reading",
        }
    }

    /// `creating`, as in `Still creating... [10s elapsed]`.
    pub fn still(self) -> &'static str {
        match self {
            Operation::Create => "creating",
            Operation::Update => "modifying",
            Operation::Delete => "destroying",
            Operation::Read => "reading",
        }
    }

    /// `Creation complete`, `Modifications complete`, `Destruction complete`, `Read complete`.
    pub fn complete(self) -> &'static str {
        match self {
            Operation::Create => "Creation complete",
            Operation::Update => "Modifications complete",
            Operation::Delete => "Destruction complete",
            Operation::Read => "Read complete",
        }
    }
}

/// Progress of an apply. Every method has an empty default.
pub trait Hook: Send + Sync {
    /// `id`: the `id` of the object an update or delete acts on.
    fn started(&self, _addr: &ResourceInstanceAddr, _op: Operation, _id: Option<&str>) {}
    /// Called every few seconds while an operation runs.
    fn still_running(&self, _addr: &ResourceInstanceAddr, _op: Operation, _elapsed: Duration) {}
    /// `id` is the object's `id` attribute, when it has one.
    fn completed(&self, _addr: &ResourceInstanceAddr, _op: Operation, _elapsed: Duration, _id: Option<&str>) {}
    fn failed(&self, _addr: &ResourceInstanceAddr, _op: Operation, _elapsed: Duration) {}
    /// A deferred provider configuration is set up and its objects wait until it answers;
    /// called when the wait starts and every few seconds with the provider's latest reason.
    fn provider_waiting(&self, _provider: &ProviderConfigAddr, _why: &str, _elapsed: Duration) {}
    /// The deferred configuration answers: its objects go ahead.
    fn provider_ready(&self, _provider: &ProviderConfigAddr, _elapsed: Duration) {}
}

/// A hook that reports nothing.
pub struct Quiet;

impl Hook for Quiet {}

/// What planning reports while it runs: each refresh batch (one provider call for many
/// instances of one type) as it starts and as it completes. `ids` pairs each instance with
/// its `id` attribute, when it has one.
pub trait PlanHook: Send + Sync {
    fn refresh_started(&self, _instances: &[(ResourceInstanceAddr, Option<String>)]) {}
    fn refresh_completed(&self, _instances: &[(ResourceInstanceAddr, Option<String>)], _elapsed: Duration) {}
}

impl PlanHook for Quiet {}
