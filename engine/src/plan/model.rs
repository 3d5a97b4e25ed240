//! The plan: one change per resource instance, the root module's output changes, and what a
//! saved plan must carry to be applied exactly as it was shown (the prior state's lineage and
//! serial, a fingerprint of the configuration, the variables).

use std::collections::BTreeMap;

use slipway_core::address::{AbsResourceAddr, ProviderConfigAddr, ResourceInstanceAddr};
use slipway_core::path::AttrPath;
use slipway_core::{Diagnostics, Value};

pub use crate::objchange::Action as ObjectAction;

/// What the plan does to one resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    NoOp,
    /// A data source read during apply because its configuration was not known while planning.
    Read,
    Create,
    Update,
    /// `-/+`: delete the old object, then create the new one.
    DeleteThenCreate,
    /// `+/-`: create the new object first (`create_before_destroy`).
    CreateThenDelete,
    Delete,
    /// `removed { lifecycle { destroy = false } }`: slipway stops managing it, the object stays.
    Forget,
}

impl Action {
    pub fn is_replace(self) -> bool {
        matches!(self, Action::DeleteThenCreate | Action::CreateThenDelete)
    }

    /// The symbol Terraform prints in front of a change.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Read => "<=",
            Action::Create => "+",
            Action::Update => "~",
            Action::DeleteThenCreate => "-/+",
            Action::CreateThenDelete => "+/-",
            Action::Delete => "-",
            Action::Forget => ".",
        }
    }
}

impl From<ObjectAction> for Action {
    fn from(action: ObjectAction) -> Self {
        match action {
            ObjectAction::NoOp => Action::NoOp,
            ObjectAction::Create => Action::Create,
            ObjectAction::Update => Action::Update,
            ObjectAction::DeleteThenCreate => Action::DeleteThenCreate,
            ObjectAction::CreateThenDelete => Action::CreateThenDelete,
            ObjectAction::Delete => Action::Delete,
        }
    }
}

/// Why an action was chosen, when the attributes alone do not say (shown as a `#` line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionReason {
    None,
    /// `-replace=ADDR`.
    ReplaceByRequest,
    /// A create failed half-way last time; the object is replaced.
    ReplaceBecauseTainted,
    /// `lifecycle { replace_triggered_by = [...] }` saw a change.
    ReplaceByTriggers,
    /// The resource block is gone from the configuration.
    DeleteBecauseNoResourceConfig,
    /// `count` no longer includes this index.
    DeleteBecauseCountIndex,
    /// `for_each` no longer includes this key.
    DeleteBecauseEachKey,
    /// The module call that contained it is gone.
    DeleteBecauseNoModule,
    /// `-destroy` or `slipway destroy`.
    DeleteBecauseDestroy,
    /// Forgotten, not deleted: the system it lives in (its cluster) is destroyed in this run.
    ForgetBecauseHostDestroyed,
    /// A data source whose configuration is known only after apply.
    ReadBecauseConfigUnknown,
    /// A data source that depends on a resource with changes pending.
    ReadBecauseDependencyPending,
}

/// The change planned for one resource instance.
#[derive(Clone, Debug)]
pub struct ResourceChange {
    pub addr: ResourceInstanceAddr,
    /// Where the object was in the prior state, when a `moved` block moved it.
    pub prev_addr: Option<ResourceInstanceAddr>,
    /// The provider configuration that manages it: `null`, `aws`, `aws.west`.
    pub provider: ProviderConfigAddr,
    pub action: Action,
    pub reason: ActionReason,
    /// The object before (refreshed prior state); `None` when it does not exist yet.
    pub before: Option<Value>,
    /// The object after; `None` on delete. Unknown where only apply can tell; sensitive
    /// attributes are marked.
    pub after: Option<Value>,
    /// The attribute changes that force replacement (`# forces replacement`).
    pub requires_replace: Vec<AttrPath>,
    /// The decoded configuration the provider planned from; `None` for deletes.
    pub config: Option<Value>,
    pub private: Vec<u8>,
    /// Resources this instance depends on (direct dependencies, as state keeps them).
    pub dependencies: Vec<AbsResourceAddr>,
    pub create_before_destroy: bool,
    pub schema_version: u64,
    /// Imported into state by an `import` block as part of this plan: the import ID.
    pub importing: Option<String>,
    /// The provider's notes on what applying this does beyond its attributes
    /// (`PlanResponse::notes`).
    pub notes: Vec<String>,
}

/// A root module output's change.
#[derive(Clone, Debug)]
pub struct OutputChange {
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sensitive: bool,
}

impl OutputChange {
    pub fn is_change(&self) -> bool {
        match (&self.before, &self.after) {
            (None, None) => false,
            (Some(a), Some(b)) => !(a.is_wholly_known() && b.is_wholly_known() && a.same_known_value(b)),
            _ => true,
        }
    }
}

/// What kind of plan this is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlanMode {
    #[default]
    Normal,
    /// `-destroy`: everything in state is deleted.
    Destroy,
    /// `-refresh-only`: state is updated to what exists; nothing else changes.
    RefreshOnly,
}

/// Counts for `Plan: X to add, Y to change, Z to destroy.`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub import: usize,
    pub forget: usize,
}

/// A complete plan.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub mode: PlanMode,
    /// One entry per resource instance in configuration or state, sorted by address.
    pub changes: Vec<ResourceChange>,
    /// Objects that changed outside slipway since the last apply (refresh found them different).
    pub drift: Vec<ResourceChange>,
    pub outputs: BTreeMap<String, OutputChange>,
    /// The prior state this plan was made from: applying it to any other state is refused.
    pub prior_lineage: String,
    pub prior_serial: u64,
    /// A hash of every configuration file and variable value the plan was made from.
    pub config_fingerprint: String,
    /// Provider configurations known only after apply (a kubernetes provider connected to a
    /// cluster this plan creates), with what each waits for: their changes are applied once
    /// that exists and answers.
    pub deferred: BTreeMap<ProviderConfigAddr, String>,
    /// Problems found while planning; a plan with errors cannot be applied.
    pub diagnostics: Diagnostics,
}

impl Plan {
    pub fn counts(&self) -> ChangeCounts {
        let mut counts = ChangeCounts::default();
        for change in &self.changes {
            match change.action {
                Action::Create => counts.add += 1,
                Action::Update => counts.change += 1,
                Action::Delete => counts.destroy += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    counts.add += 1;
                    counts.destroy += 1;
                }
                Action::Forget => counts.forget += 1,
                Action::NoOp | Action::Read => {}
            }
            if change.importing.is_some() {
                counts.import += 1;
            }
        }
        counts
    }

    /// The changes that wait for the deferred configuration `provider`.
    pub fn deferred_changes<'p>(
        &'p self,
        provider: &'p ProviderConfigAddr,
    ) -> impl Iterator<Item = &'p ResourceChange> {
        self.changes
            .iter()
            .filter(move |c| c.provider == *provider && !matches!(c.action, Action::NoOp | Action::Forget))
    }

    /// Whether applying this plan would change anything (resources, outputs, or state after a
    /// refresh that found drift).
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp || c.importing.is_some() || c.prev_addr.is_some())
            || self.outputs.values().any(OutputChange::is_change)
            || (self.mode == PlanMode::RefreshOnly && !self.drift.is_empty())
    }
}
