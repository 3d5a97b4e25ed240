//! The planner: refreshes the prior state, evaluates the configuration with an observer that
//! plans each resource instance as soon as its configuration is known (so that planned values
//! flow into what refers to them), then adds deletes for what the configuration no longer has and
//! the changes of the root module's outputs. A pure function of configuration, prior state and
//! what refresh read: nothing is changed anywhere.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashSet};

use slipway_core::address::{
    AbsResourceAddr, InstanceKey, ModuleInstance, ProviderConfigAddr, ResourceInstanceAddr, ResourceMode, Target,
};
use slipway_core::json::from_json;
use slipway_core::provider::ReadDataRequest;
use slipway_core::{Diagnostic, Diagnostics, Value};
use slipway_lang::config::{Config, Resource};
use slipway_lang::dependencies::{ConfigResource, resource_dependencies};
use slipway_lang::evaluate::{
    EvalSettings, EvaluatedModule, InputValue, ResourceInstanceConfig, ResourceObserver, evaluate_config,
};
use slipway_lang::source::Sources;

use super::import::{import_blocks, resource_config};
use super::instance::prevent_destroy_error;
use super::instance::{InstancePlanner, PlannedInstance};
use super::moved::apply_moved;
use super::prior::{PriorInstance, decode_state, refresh};
use super::removed::apply_removed;
use super::{Action, ActionReason, OutputChange, Plan, PlanMode, ResourceChange};
use crate::providers::ProviderSet;
use crate::state::State;

/// What the user asked for on the command line.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    pub mode: PlanMode,
    /// `-refresh=false` skips reading what exists.
    pub refresh: bool,
    /// `-target`: only these and what they depend on.
    pub targets: Vec<Target>,
    /// `-replace`: replace these even though nothing changed.
    pub replace: Vec<ResourceInstanceAddr>,
}

/// Everything a plan is made from.
pub struct PlanContext<'a> {
    pub config: &'a Config,
    pub sources: &'a Sources,
    pub inputs: &'a BTreeMap<String, InputValue>,
    pub settings: &'a EvalSettings<'a>,
    pub state: &'a State,
    pub providers: &'a ProviderSet,
    /// The runtime the provider calls run on; `plan` itself must be called outside it.
    pub runtime: &'a tokio::runtime::Handle,
    /// Told of refreshes as they happen (`plan -json` streams them).
    pub hook: &'a dyn crate::hooks::PlanHook,
}

/// A plan and the module tree its evaluation produced (apply evaluates further from it).
pub struct Planned {
    pub plan: Plan,
    pub evaluated: Option<EvaluatedModule>,
}

pub fn plan(ctx: &PlanContext<'_>, options: &PlanOptions) -> Planned {
    let mut diags = Diagnostics::new();
    let mut prior = decode_state(ctx.state, ctx.providers, &mut diags);
    let moves = apply_moved(ctx.config, ctx.sources, &mut prior, &mut diags);
    if options.refresh {
        ctx.runtime.block_on(refresh(&mut prior, ctx.providers, ctx.hook, &mut diags));
    }
    // Imported objects were read just now: they join the prior state after its refresh.
    let imports = match options.mode {
        PlanMode::Normal => import_blocks(ctx, &mut prior, &mut diags),
        PlanMode::Destroy | PlanMode::RefreshOnly => BTreeMap::new(),
    };
    let drift = drift_of(&prior);
    // Only drift needed the saved values; dropping them halves what a large state costs.
    for instance in prior.values_mut() {
        instance.saved = Value::null(slipway_core::Type::Any);
    }
    let mut dependencies = resource_dependencies(ctx.config);
    let configured_from_resources = crate::providers::add_provider_dependencies(ctx.config, &mut dependencies);

    let mut plan = Plan {
        mode: options.mode,
        prior_lineage: ctx.state.lineage.clone(),
        prior_serial: ctx.state.serial,
        drift,
        ..Plan::default()
    };
    let mut evaluated = None;
    let mut changes: BTreeMap<ResourceInstanceAddr, ResourceChange> = BTreeMap::new();
    match options.mode {
        PlanMode::Normal | PlanMode::RefreshOnly => {
            let observer = PlanObserver {
                ctx,
                options,
                prior: &prior,
                dependencies: &dependencies,
                state: RefCell::new(ObserverState::default()),
            };
            let settings = ctx.settings.observed_by(Some(&observer), true);
            let (module, eval_diags) = evaluate_config(ctx.config, ctx.inputs, ctx.sources, &settings);
            diags.extend(eval_diags);
            observer.add_late_dependencies(&configured_from_resources);
            let state = observer.state.into_inner();
            diags.extend(state.diags);
            changes = state.changes;
            plan.outputs = output_changes(ctx.state, Some(&module));
            evaluated = Some(module);
            let seen: HashSet<ResourceInstanceAddr> = changes.keys().cloned().collect();
            for (addr, instance) in &prior {
                if !seen.contains(addr) && !state.unexpanded.contains(&addr.without_key()) {
                    changes.insert(addr.clone(), orphan_change(ctx.config, addr, instance, ActionReason::None));
                }
            }
            if options.mode == PlanMode::RefreshOnly {
                // Refresh-only changes nothing but the state: every change becomes a no-op
                // that records what refresh read.
                changes.retain(|_, c| c.before.is_some());
                for change in changes.values_mut() {
                    change.action = Action::NoOp;
                    change.after = change.before.clone();
                    change.requires_replace.clear();
                }
            }
        }
        PlanMode::Destroy => {
            for (addr, instance) in &prior {
                let mut change = orphan_change(ctx.config, addr, instance, ActionReason::DeleteBecauseDestroy);
                change.reason = ActionReason::DeleteBecauseDestroy;
                changes.insert(addr.clone(), change);
            }
            plan.outputs = output_changes(ctx.state, None);
        }
    }
    for (from, to) in moves {
        if let Some(change) = changes.get_mut(&to) {
            change.prev_addr = Some(from);
        }
    }
    apply_removed(ctx.config, ctx.sources, &mut changes, &mut diags);
    forget_with_host(ctx, &mut changes);
    mark_imports(&mut changes, imports, &mut diags);
    if !options.targets.is_empty() {
        keep_targeted(&mut changes, &options.targets);
    }
    check_prevent_destroy(ctx, &changes, &mut diags);
    plan.changes = changes.into_values().collect();
    plan.deferred = ctx.providers.deferred();
    let waiting: Vec<ProviderConfigAddr> =
        plan.deferred.keys().filter(|p| plan.deferred_changes(p).next().is_none()).cloned().collect();
    for provider in waiting {
        plan.deferred.remove(&provider);
    }
    plan.diagnostics = diags.sorted();
    Planned { plan, evaluated }
}

/// When every resource a provider block is configured from is deleted by this plan (the
/// cluster goes), that provider's objects go with it: each the provider need not delete first
/// (`Provider::delete_before_host`) is dropped from state without a call, which could only
/// slow the destroy down or fail on a cluster already half gone.
fn forget_with_host(ctx: &PlanContext<'_>, changes: &mut BTreeMap<ResourceInstanceAddr, ResourceChange>) {
    for (provider, host) in crate::providers::provider_hosts(ctx.config) {
        let mut host_changes = changes.values().filter(|c| {
            c.addr.resource.mode == ResourceMode::Managed
                && host.contains(&ConfigResource {
                    module: c.addr.module.0.iter().map(|(n, _)| n.clone()).collect(),
                    resource: c.addr.resource.clone(),
                })
        });
        let mut any = false;
        let all_deleted = host_changes.all(|c| {
            any = true;
            c.action == Action::Delete
        });
        let Some(template) = ctx.providers.template(&provider.name) else { continue };
        if !(any && all_deleted) {
            continue;
        }
        for change in changes.values_mut().filter(|c| c.provider == provider && c.action == Action::Delete) {
            let Some(before) = &change.before else { continue };
            if !template.delete_before_host(&change.addr.resource.type_name, before) {
                change.action = Action::Forget;
                change.reason = ActionReason::ForgetBecauseHostDestroyed;
            }
        }
    }
}

/// `lifecycle { prevent_destroy = true }` on a resource still in the configuration makes any
/// plan that deletes one of its instances an error (replacements are checked where planned).
fn check_prevent_destroy(
    ctx: &PlanContext<'_>,
    changes: &BTreeMap<ResourceInstanceAddr, ResourceChange>,
    diags: &mut Diagnostics,
) {
    for change in changes.values().filter(|c| c.action == Action::Delete) {
        if let Some(resource) = resource_config(ctx.config, &change.addr)
            && resource.lifecycle.prevent_destroy
        {
            let at = ctx.sources.range(resource.range.file, Some(resource.range.span()));
            diags.push(prevent_destroy_error(&change.addr, at));
        }
    }
}

/// Marks the changes of imported objects with their import IDs. An import whose instance the
/// configuration does not have (a key `count` or `for_each` does not produce) is an error: the
/// plan would import the object only to destroy it.
fn mark_imports(
    changes: &mut BTreeMap<ResourceInstanceAddr, ResourceChange>,
    imports: BTreeMap<ResourceInstanceAddr, String>,
    diags: &mut Diagnostics,
) {
    for (addr, id) in imports {
        match changes.get_mut(&addr) {
            Some(change) if change.config.is_some() => change.importing = Some(id),
            _ => {
                changes.remove(&addr);
                diags.push(Diagnostic::error(
                    "Configuration for import target does not exist",
                    format!("The configuration does not produce the instance {addr} (check its count or for_each), so the object {id:?} cannot be imported there."),
                ));
            }
        }
    }
}

/// Objects refresh found different from what the last apply saved.
fn drift_of(prior: &BTreeMap<ResourceInstanceAddr, PriorInstance>) -> Vec<ResourceChange> {
    let mut out = Vec::new();
    for (addr, instance) in prior {
        let same = match &instance.current {
            Some(current) => current.same_known_value(&instance.saved),
            None => false,
        };
        if same {
            continue;
        }
        out.push(ResourceChange {
            addr: addr.clone(),
            prev_addr: None,
            provider: instance.object.provider.clone(),
            action: if instance.current.is_some() { Action::Update } else { Action::Delete },
            reason: ActionReason::None,
            before: Some(instance.saved.clone()),
            after: instance.current.clone(),
            requires_replace: Vec::new(),
            config: None,
            private: instance.object.private.clone(),
            dependencies: instance.object.dependencies.clone(),
            create_before_destroy: instance.object.create_before_destroy,
            schema_version: instance.object.schema_version,
            importing: None,
            notes: Vec::new(),
        });
    }
    out
}

/// The delete of an instance the configuration no longer has, with the reason Terraform gives.
fn orphan_change(
    config: &Config,
    addr: &ResourceInstanceAddr,
    instance: &PriorInstance,
    reason: ActionReason,
) -> ResourceChange {
    let reason = if reason != ActionReason::None {
        reason
    } else {
        let module = addr.module.0.iter().try_fold(config, |c, (name, _)| c.children.get(name));
        match module.map(|m| m.module.resources.get(&addr.resource)) {
            None => ActionReason::DeleteBecauseNoModule,
            Some(None) => ActionReason::DeleteBecauseNoResourceConfig,
            Some(Some(_)) => match addr.key {
                InstanceKey::Int(_) => ActionReason::DeleteBecauseCountIndex,
                InstanceKey::Str(_) => ActionReason::DeleteBecauseEachKey,
                InstanceKey::None => ActionReason::DeleteBecauseNoResourceConfig,
            },
        }
    };
    let (action, after) = match &instance.current {
        // Gone already: the plan only forgets it.
        None => (Action::NoOp, None),
        Some(_) => (Action::Delete, None),
    };
    ResourceChange {
        addr: addr.clone(),
        prev_addr: None,
        provider: instance.object.provider.clone(),
        action,
        reason,
        before: instance.current.clone(),
        after,
        requires_replace: Vec::new(),
        config: None,
        private: instance.object.private.clone(),
        dependencies: instance.object.dependencies.clone(),
        create_before_destroy: instance.object.create_before_destroy,
        schema_version: instance.object.schema_version,
        importing: None,
        notes: Vec::new(),
    }
}

/// Root module outputs: before from state, after from evaluation (`None`: all removed).
fn output_changes(state: &State, module: Option<&EvaluatedModule>) -> BTreeMap<String, OutputChange> {
    let mut out = BTreeMap::new();
    for (name, saved) in &state.outputs {
        let before = from_json(&saved.value).with_sensitive(saved.sensitive);
        out.insert(name.clone(), OutputChange { before: Some(before), after: None, sensitive: saved.sensitive });
    }
    if let Some(module) = module {
        for (name, value) in &module.outputs {
            let entry = out.entry(name.clone()).or_insert(OutputChange { before: None, after: None, sensitive: false });
            entry.sensitive |= value.contains_sensitive();
            entry.after = Some(value.clone());
        }
    }
    out
}

/// Keeps the targeted instances and, transitively, what they depend on.
fn keep_targeted(changes: &mut BTreeMap<ResourceInstanceAddr, ResourceChange>, targets: &[Target]) {
    let mut keep: BTreeSet<ResourceInstanceAddr> =
        changes.keys().filter(|a| targets.iter().any(|t| t.contains(a))).cloned().collect();
    let mut queue: Vec<ResourceInstanceAddr> = keep.iter().cloned().collect();
    while let Some(addr) = queue.pop() {
        let Some(change) = changes.get(&addr) else { continue };
        let deps: Vec<AbsResourceAddr> = change.dependencies.clone();
        for candidate in changes.keys() {
            if deps.contains(&candidate.without_key()) && keep.insert(candidate.clone()) {
                queue.push(candidate.clone());
            }
        }
    }
    changes.retain(|addr, _| keep.contains(addr));
}

#[derive(Default)]
struct ObserverState {
    changes: BTreeMap<ResourceInstanceAddr, ResourceChange>,
    /// Resources whose instances were not known (their state instances are kept as they are).
    unexpanded: HashSet<AbsResourceAddr>,
    /// Module instances by the names of the calls that lead to them, for dependencies.
    module_instances: BTreeMap<Vec<String>, BTreeSet<ModuleInstance>>,
    diags: Diagnostics,
}

/// Plans each resource as evaluation reaches it.
struct PlanObserver<'a, 'c> {
    ctx: &'a PlanContext<'c>,
    options: &'a PlanOptions,
    prior: &'a BTreeMap<ResourceInstanceAddr, PriorInstance>,
    dependencies: &'a BTreeMap<ConfigResource, BTreeSet<ConfigResource>>,
    state: RefCell<ObserverState>,
}

impl ResourceObserver for PlanObserver<'_, '_> {
    fn resource(
        &self,
        module: &ModuleInstance,
        resource: &Resource,
        instances: Option<&[ResourceInstanceConfig]>,
        diags: &mut Diagnostics,
    ) -> Vec<Value> {
        let mut state = self.state.borrow_mut();
        let names: Vec<String> = module.0.iter().map(|(n, _)| n.clone()).collect();
        state.module_instances.entry(names.clone()).or_default().insert(module.clone());
        let abs = AbsResourceAddr { module: module.clone(), resource: resource.key.clone() };
        let Some(instances) = instances else {
            state.unexpanded.insert(abs);
            return Vec::new();
        };
        let config_resource = ConfigResource { module: names.clone(), resource: resource.key.clone() };
        let dependencies = self.instance_dependencies(&state, module, &config_resource);
        let planner = InstancePlanner {
            sources: self.ctx.sources,
            providers: self.ctx.providers,
            resource,
            dependencies: &dependencies,
            config: self.ctx.config,
            module_path: &names,
            runtime: Some(self.ctx.runtime),
        };
        let Some(provider) = planner.check_resource(diags) else {
            return Vec::new();
        };
        let mut values = Vec::with_capacity(instances.len());
        let addrs: Vec<ResourceInstanceAddr> = instances
            .iter()
            .map(|i| ResourceInstanceAddr::new(module.clone(), resource.key.clone(), i.key.clone()))
            .collect();
        // Managed instances: every pure plan first, then their remote refinements (a server-side
        // dry-run each, for Kubernetes) all at once, then each finished in order.
        let mut pending = Vec::new();
        if resource.key.mode == ResourceMode::Managed {
            pending = instances
                .iter()
                .zip(&addrs)
                .map(|(i, addr)| planner.start_managed(&provider, addr, &i.config, self.prior.get(addr), diags))
                .collect();
            let remote = pending.iter_mut().flatten().map(|p| p.ask_remote());
            self.ctx.runtime.block_on(futures::future::join_all(remote));
        }
        let mut pending = pending.into_iter();
        for (instance, addr) in instances.iter().zip(addrs) {
            let planned = match resource.key.mode {
                ResourceMode::Managed => {
                    let triggered = self.replace_triggered(&state, module, resource);
                    let forced = self.options.replace.contains(&addr);
                    pending
                        .next()
                        .flatten()
                        .and_then(|p| planner.finish_managed(&provider, &addr, p, forced, triggered, diags))
                }
                ResourceMode::Data => {
                    let pending = dependencies_pending(&state.changes, &dependencies);
                    self.plan_data(&planner, &provider, &addr, &instance.config, pending, diags)
                }
            };
            match planned {
                Some(PlannedInstance { change, value }) => {
                    values.push(value);
                    state.changes.insert(addr, change);
                }
                None => values.push(Value::unknown(slipway_core::Type::Any)),
            }
        }
        values
    }
}

impl PlanObserver<'_, '_> {
    /// A resource may be planned before the resources its provider block refers to (nothing
    /// in its own configuration refers to them), when their module instances are not known
    /// yet: the dependencies of those providers' changes are completed once all are.
    fn add_late_dependencies(&self, providers: &BTreeSet<ProviderConfigAddr>) {
        if providers.is_empty() {
            return;
        }
        let completed: Vec<(ResourceInstanceAddr, Vec<AbsResourceAddr>)> = {
            let state = self.state.borrow();
            state
                .changes
                .iter()
                .filter(|(_, c)| c.config.is_some() && providers.contains(&c.provider))
                .map(|(addr, _)| {
                    let names = addr.module.0.iter().map(|(n, _)| n.clone()).collect();
                    let resource = ConfigResource { module: names, resource: addr.resource.clone() };
                    (addr.clone(), self.instance_dependencies(&state, &addr.module, &resource))
                })
                .collect()
        };
        let mut state = self.state.borrow_mut();
        for (addr, dependencies) in completed {
            if let Some(change) = state.changes.get_mut(&addr) {
                change.dependencies = dependencies;
            }
        }
    }

    /// The resources one instance depends on, at the module instances that match its own.
    fn instance_dependencies(
        &self,
        state: &ObserverState,
        module: &ModuleInstance,
        resource: &ConfigResource,
    ) -> Vec<AbsResourceAddr> {
        let mut out = Vec::new();
        let Some(deps) = self.dependencies.get(resource) else { return out };
        for dep in deps {
            let Some(candidates) = state.module_instances.get(&dep.module) else { continue };
            for candidate in candidates {
                let shared = candidate.0.iter().zip(&module.0).take_while(|(a, b)| a.0 == b.0).count();
                if candidate.0[..shared] == module.0[..shared] {
                    out.push(AbsResourceAddr { module: candidate.clone(), resource: dep.resource.clone() });
                }
            }
        }
        out
    }

    /// Whether a change planned for something in `replace_triggered_by` replaces this resource.
    fn replace_triggered(&self, state: &ObserverState, module: &ModuleInstance, resource: &Resource) -> bool {
        resource.lifecycle.replace_triggered_by.iter().any(|expr| {
            slipway_lang::references::expression_references(&expr.expr).iter().any(|found| {
                let slipway_lang::eval::Reference::Resource(key) = &found.reference else { return false };
                state.changes.values().any(|c| {
                    c.addr.module == *module
                        && c.addr.resource == *key
                        && !matches!(c.action, Action::NoOp | Action::Read)
                })
            })
        })
    }

    fn plan_data(
        &self,
        planner: &InstancePlanner<'_>,
        provider: &ProviderConfigAddr,
        addr: &ResourceInstanceAddr,
        config: &Value,
        dependency_pending: bool,
        diags: &mut Diagnostics,
    ) -> Option<PlannedInstance> {
        let (decoded, schema) = planner.decode(provider, addr, config, diags)?;
        if !decoded.is_wholly_known() || dependency_pending {
            let reason = if dependency_pending {
                ActionReason::ReadBecauseDependencyPending
            } else {
                ActionReason::ReadBecauseConfigUnknown
            };
            let after = crate::objchange::unknown_computed(&schema.block, &decoded);
            return Some(planner.data_change(provider, addr, Action::Read, reason, decoded, after, schema.version));
        }
        let Some(provider_impl) = self.ctx.providers.instance(provider) else {
            diags.push(super::instance::not_configured(provider, planner.declared_at()));
            return None;
        };
        let response = self.ctx.runtime.block_on(
            provider_impl
                .read_data(ReadDataRequest { type_name: addr.resource.type_name.clone(), config: decoded.clone() }),
        );
        let failed = response.diagnostics.has_errors();
        diags.extend(planner.at_resource(response.diagnostics));
        if failed {
            return None;
        }
        let Some(state) = response.state else {
            diags.push(
                Diagnostic::error(
                    "Provider produced null object",
                    format!("The provider {provider} returned nothing for {addr}. This is a bug in the provider."),
                )
                .with_subject(planner.declared_at()),
            );
            return None;
        };
        let after = crate::marks::mark_schema(state, &schema.block);
        Some(planner.data_change(provider, addr, Action::NoOp, ActionReason::None, decoded, after, schema.version))
    }
}

/// Whether any resource an instance depends on has a change that apply must make first.
fn dependencies_pending(
    changes: &BTreeMap<ResourceInstanceAddr, ResourceChange>,
    dependencies: &[AbsResourceAddr],
) -> bool {
    dependencies.iter().any(|dep| {
        changes
            .range(ResourceInstanceAddr::new(dep.module.clone(), dep.resource.clone(), InstanceKey::None)..)
            .take_while(|(a, _)| a.module == dep.module && a.resource == dep.resource)
            .any(|(_, c)| !matches!(c.action, Action::NoOp))
    })
}
