//! Planning one resource instance: its configuration checked and decoded with the provider's
//! schema, `ignore_changes` applied, the proposed new value, the provider's plan checked
//! (invariant 5), the action with its reason, `prevent_destroy`, and the value that expressions
//! referring to the instance see.

use slipway_core::address::{AbsResourceAddr, ProviderConfigAddr, ResourceInstanceAddr};
use slipway_core::path::{AttrPath, PathStep};
use slipway_core::provider::{PlanRequest, PlanResponse, Provider};
use slipway_core::schema::ResourceSchema;
use slipway_core::{Diagnostic, Diagnostics, SourceRange, Value};
use slipway_lang::config::{Expr, IgnoreChanges, Resource};
use slipway_lang::source::Sources;
use std::sync::Arc;

use super::prior::PriorInstance;
use super::{Action, ActionReason, ResourceChange};
use crate::marks::mark_schema;
use crate::objchange::{changed_paths, check_planned, decide_action, forces_replacement, proposed_new};
use crate::providers::{ProviderSet, provider_for};
use crate::schema_check::{check_body, decode_config, source_range};

/// A planned instance: its change, and the value references to it resolve to.
pub struct PlannedInstance {
    pub change: ResourceChange,
    pub value: Value,
}

/// Plans the instances of one resource block.
pub struct InstancePlanner<'a> {
    pub sources: &'a Sources,
    pub providers: &'a ProviderSet,
    pub resource: &'a Resource,
    pub dependencies: &'a [AbsResourceAddr],
    /// The configuration and the module calls leading to the resource, to find its provider.
    pub config: &'a slipway_lang::config::Config,
    pub module_path: &'a [String],
    /// Where [`Provider::plan_remote`](slipway_core::provider::Provider::plan_remote) runs;
    /// `None` plans without asking remote systems.
    pub runtime: Option<&'a tokio::runtime::Handle>,
}

impl InstancePlanner<'_> {
    pub fn declared_at(&self) -> Option<SourceRange> {
        self.sources.range(self.resource.range.file, Some(self.resource.range.span()))
    }

    /// Diagnostics from the provider, pointed at the attribute they name, or at the resource
    /// when they point nowhere.
    pub fn at_resource(&self, diags: Diagnostics) -> Diagnostics {
        let mut out = Diagnostics::new();
        for mut d in diags.iter().cloned() {
            if d.subject.is_none() {
                let at_attribute =
                    d.attribute.as_ref().and_then(|path| source_range(&self.resource.body, path, self.sources));
                d.subject = at_attribute.or_else(|| self.declared_at());
            }
            out.push(d);
        }
        out
    }

    /// The provider that serves the resource, once its body has been checked against the schema.
    pub fn check_resource(&self, diags: &mut Diagnostics) -> Option<ProviderConfigAddr> {
        let key = &self.resource.key;
        let provider = match provider_for(self.config, self.module_path, self.resource) {
            Ok(provider) => provider,
            Err(problem) => {
                diags.push(
                    Diagnostic::error("Provider configuration not present", format!("{key}: {problem}"))
                        .with_subject(self.declared_at()),
                );
                return None;
            }
        };
        if self.providers.template(&provider.name).is_none() {
            let available: Vec<&str> = self.providers.names().collect();
            diags.push(
                Diagnostic::error(
                    "Provider not available",
                    format!(
                        "{key} needs the provider {:?}, which this build of slipway does not include. Available providers: {}.",
                        provider.name,
                        available.join(", ")
                    ),
                )
                .with_subject(self.declared_at()),
            );
            return None;
        }
        let Some(schema) = self.providers.schema(&provider.name, key) else {
            let kind =
                if key.mode == slipway_core::address::ResourceMode::Data { "data source" } else { "resource type" };
            let names = self.providers.type_names(&provider.name, key.mode);
            diags.push(
                Diagnostic::error(
                    format!("Invalid {kind}"),
                    format!(
                        "The provider {:?} does not support the {kind} {:?}.{}",
                        provider.name,
                        key.type_name,
                        slipway_core::diagnostics::did_you_mean(&key.type_name, names.iter().map(String::as_str))
                    ),
                )
                .with_subject(self.declared_at()),
            );
            return None;
        };
        let checked =
            check_body(&self.resource.body, &schema.block, &key.to_string(), self.declared_at(), self.sources);
        let failed = checked.has_errors();
        diags.extend(checked);
        (!failed).then_some(provider)
    }

    /// The evaluated configuration decoded into the schema's type, and the schema.
    pub fn decode<'s>(
        &'s self,
        provider: &ProviderConfigAddr,
        addr: &ResourceInstanceAddr,
        config: &Value,
        diags: &mut Diagnostics,
    ) -> Option<(Value, &'s ResourceSchema)> {
        let schema = self.providers.schema(&provider.name, &addr.resource)?;
        match decode_config(config, &schema.block) {
            Ok(decoded) => {
                // Validation needs no configuration, as in Terraform.
                let provider_impl = self.providers.template(&provider.name)?;
                let validated = provider_impl.validate(slipway_core::provider::ValidateRequest {
                    mode: addr.resource.mode,
                    type_name: addr.resource.type_name.clone(),
                    config: decoded.clone(),
                });
                let failed = validated.diagnostics.has_errors();
                diags.extend(self.at_resource(validated.diagnostics));
                (!failed).then_some((decoded, schema))
            }
            Err(problems) => {
                for (path, problem) in problems {
                    let at = source_range(&self.resource.body, &path, self.sources).or_else(|| self.declared_at());
                    diags.push(
                        Diagnostic::error("Incorrect attribute value type", format!("{addr}: {path}: {problem}."))
                            .with_subject(at),
                    );
                }
                None
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn data_change(
        &self,
        provider: &ProviderConfigAddr,
        addr: &ResourceInstanceAddr,
        action: Action,
        reason: ActionReason,
        config: Value,
        after: Value,
        schema_version: u64,
    ) -> PlannedInstance {
        PlannedInstance {
            change: ResourceChange {
                addr: addr.clone(),
                prev_addr: None,
                provider: provider.clone(),
                action,
                reason,
                before: None,
                after: Some(after.clone()),
                requires_replace: Vec::new(),
                config: Some(config),
                private: Vec::new(),
                dependencies: self.dependencies.to_vec(),
                create_before_destroy: false,
                schema_version,
                importing: None,
                notes: Vec::new(),
            },
            value: after,
        }
    }

    /// The first half of planning a managed instance: the configuration decoded and the
    /// provider's pure `plan`. The remote half ([`PendingPlan::ask_remote`]) of many instances
    /// can then run at once (a Kubernetes dry-run each) before [`Self::finish_managed`].
    pub fn start_managed(
        &self,
        provider: &ProviderConfigAddr,
        addr: &ResourceInstanceAddr,
        config: &Value,
        prior: Option<&PriorInstance>,
        diags: &mut Diagnostics,
    ) -> Option<PendingPlan> {
        let (decoded, schema) = self.decode(provider, addr, config, diags)?;
        let Some(provider_impl) = self.providers.instance(provider) else {
            diags.push(not_configured(provider, self.declared_at()));
            return None;
        };
        let current = prior.and_then(|p| p.current.clone());
        let tainted = prior.is_some_and(|p| p.object.status == crate::state::InstanceStatus::Tainted);
        // `ignore_changes`: the configuration proposes the prior value at those paths.
        let effective = match &current {
            Some(current) => ignore_changes(&self.resource.lifecycle.ignore_changes, decoded.clone(), current),
            None => decoded.clone(),
        };
        let private = prior.map(|p| p.object.private.clone()).unwrap_or_default();
        let request = plan_request(&schema.block, addr, current.as_ref(), &effective, &private);
        let response = provider_impl.plan(request.clone());
        let remote = self.runtime.is_some() && !response.diagnostics.has_errors();
        Some(PendingPlan {
            provider: provider_impl,
            decoded,
            effective,
            private,
            current,
            tainted,
            request,
            response,
            remote,
        })
    }

    /// The second half: the provider's answer checked (invariant 5), the action and its
    /// reason. `forced`: `-replace` named it; `triggered`: something in `replace_triggered_by`
    /// changes.
    pub fn finish_managed(
        &self,
        provider: &ProviderConfigAddr,
        addr: &ResourceInstanceAddr,
        pending: PendingPlan,
        forced: bool,
        triggered: bool,
        diags: &mut Diagnostics,
    ) -> Option<PlannedInstance> {
        let schema = self.providers.schema(&provider.name, &addr.resource)?;
        let PendingPlan { provider: provider_impl, decoded, effective, private, current, tainted, response, .. } =
            pending;
        let current = current.as_ref();
        let lifecycle = &self.resource.lifecycle;
        let (mut planned, answer) =
            self.check_response(provider, addr, &schema.block, &effective, current, response, diags)?;
        let PlanResponse { requires_replace: provider_replace, notes, mut planned_private, .. } = answer;
        let mut reason = ActionReason::None;
        let (action, requires_replace) = match current {
            None => (Action::Create, Vec::new()),
            Some(current) => {
                let changed = changed_paths(&schema.block, current, &planned);
                let mut replace = forces_replacement(&schema.block, &changed);
                for path in provider_replace {
                    if !replace.contains(&path) {
                        replace.push(path);
                    }
                }
                let must_replace = forced || tainted || triggered;
                if must_replace && replace.is_empty() {
                    reason = if tainted {
                        ActionReason::ReplaceBecauseTainted
                    } else if forced {
                        ActionReason::ReplaceByRequest
                    } else {
                        ActionReason::ReplaceByTriggers
                    };
                }
                let action = if must_replace {
                    if lifecycle.create_before_destroy { Action::CreateThenDelete } else { Action::DeleteThenCreate }
                } else {
                    decide_action(Some(current), Some(&planned), &changed, &replace, lifecycle.create_before_destroy)
                        .into()
                };
                if action.is_replace() {
                    // The new object is planned as a create: computed values are new ones.
                    let request = plan_request(&schema.block, addr, None, &effective, &private);
                    let mut response = provider_impl.plan(request.clone());
                    if let Some(runtime) = self.runtime
                        && !response.diagnostics.has_errors()
                    {
                        response = runtime.block_on(provider_impl.plan_remote(request, response));
                    }
                    let (fresh, answer) =
                        self.check_response(provider, addr, &schema.block, &effective, None, response, diags)?;
                    planned = fresh;
                    planned_private = answer.planned_private;
                }
                (action, replace)
            }
        };
        if action.is_replace() && lifecycle.prevent_destroy {
            diags.push(prevent_destroy_error(addr, self.declared_at()));
        }
        let planned = mark_schema(planned, &schema.block);
        let value = if action == Action::NoOp { current.cloned().unwrap_or(planned.clone()) } else { planned.clone() };
        Some(PlannedInstance {
            change: ResourceChange {
                addr: addr.clone(),
                prev_addr: None,
                provider: provider.clone(),
                action,
                reason,
                before: current.cloned(),
                after: Some(if action == Action::NoOp { value.clone() } else { planned }),
                requires_replace,
                config: Some(decoded),
                private: planned_private,
                dependencies: self.dependencies.to_vec(),
                create_before_destroy: lifecycle.create_before_destroy,
                schema_version: schema.version,
                importing: None,
                // Notes describe an update; a new object or an unchanged one needs none.
                notes: if action == Action::Update { notes } else { Vec::new() },
            },
            value,
        })
    }

    /// A provider's plan answer, its diagnostics reported: the checked planned value and the
    /// rest of the answer (the paths it says force replacement, its notes, its private data);
    /// `None` when it failed or is invalid.
    #[allow(clippy::too_many_arguments)]
    fn check_response(
        &self,
        provider: &ProviderConfigAddr,
        addr: &ResourceInstanceAddr,
        block: &slipway_core::schema::BlockSchema,
        effective: &Value,
        prior: Option<&Value>,
        mut response: PlanResponse,
        diags: &mut Diagnostics,
    ) -> Option<(Value, PlanResponse)> {
        let failed = response.diagnostics.has_errors();
        diags.extend(self.at_resource(std::mem::take(&mut response.diagnostics)));
        if failed {
            return None;
        }
        let Some(planned) = response.planned.take() else {
            diags.push(
                Diagnostic::error(
                    "Provider produced invalid plan",
                    format!("The provider {provider} planned no object for {addr}. This is a bug in the provider."),
                )
                .with_subject(self.declared_at()),
            );
            return None;
        };
        let problems = check_planned(block, effective, &planned, prior);
        if !problems.is_empty() {
            for (path, problem) in problems {
                diags.push(
                    Diagnostic::error(
                        "Provider produced invalid plan",
                        format!(
                            "The provider {provider} planned an invalid value for {addr}.{path}: {problem}. This is a bug in the provider."
                        ),
                    )
                    .with_subject(self.declared_at()),
                );
            }
            return None;
        }
        Some((planned, response))
    }
}

/// A managed instance between the provider's pure plan and its remote refinement.
pub struct PendingPlan {
    provider: Arc<dyn Provider>,
    decoded: Value,
    effective: Value,
    private: Vec<u8>,
    current: Option<Value>,
    tainted: bool,
    request: PlanRequest,
    response: PlanResponse,
    /// Whether `plan_remote` is still to be asked.
    remote: bool,
}

impl PendingPlan {
    /// Refines the plan with the remote system's answer (`Provider::plan_remote`); many of these
    /// run concurrently. Nothing happens when the pure plan failed or planning is offline.
    pub async fn ask_remote(&mut self) {
        if !std::mem::take(&mut self.remote) {
            return;
        }
        let response = std::mem::take(&mut self.response);
        self.response = self.provider.plan_remote(self.request.clone(), response).await;
    }
}

fn plan_request(
    block: &slipway_core::schema::BlockSchema,
    addr: &ResourceInstanceAddr,
    prior: Option<&Value>,
    effective: &Value,
    private: &[u8],
) -> PlanRequest {
    PlanRequest {
        address: addr.clone(),
        type_name: addr.resource.type_name.clone(),
        prior: prior.cloned(),
        proposed: proposed_new(block, prior, effective),
        config: effective.clone(),
        prior_private: private.to_vec(),
    }
}

/// A provider configuration the run did not set up (`configure_providers` reports why).
pub fn not_configured(provider: &ProviderConfigAddr, at: Option<SourceRange>) -> Diagnostic {
    Diagnostic::error(
        "Provider not configured",
        format!("The provider configuration {provider} could not be set up; see the errors about it above."),
    )
    .with_subject(at)
}

pub fn prevent_destroy_error(addr: &ResourceInstanceAddr, at: Option<SourceRange>) -> Diagnostic {
    Diagnostic::error(
        "Instance cannot be destroyed",
        format!(
            "Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for this resource to be destroyed. To avoid this error and continue with the plan, either disable lifecycle.prevent_destroy or reduce the scope of the plan using the -target option."
        ),
    )
    .with_subject(at)
}

/// The configuration with the prior value at every path `ignore_changes` names.
fn ignore_changes(ignore: &IgnoreChanges, config: Value, prior: &Value) -> Value {
    match ignore {
        IgnoreChanges::None => config,
        IgnoreChanges::All => {
            // Every configurable attribute keeps its prior value.
            let Some(entries) = config.as_entries() else { return config };
            let merged = entries
                .iter()
                .map(|(k, v)| (k.clone(), prior.get_attr(k).cloned().unwrap_or_else(|| v.clone())))
                .collect();
            Value::object(merged)
        }
        IgnoreChanges::Attributes(exprs) => exprs
            .iter()
            .filter_map(expr_path)
            .fold(config, |config, path| replace_at(config, &path.0, path.get(prior).cloned())),
    }
}

/// `tags["Name"]` written in `ignore_changes`, as a path.
fn expr_path(expr: &Expr) -> Option<AttrPath> {
    let (root, operators) = slipway_lang::eval::traversal_parts(&expr.expr)?;
    let mut steps = vec![PathStep::Attr(root.to_string())];
    for op in operators {
        match op {
            hcl_edit::expr::TraversalOperator::GetAttr(name) => steps.push(PathStep::Attr(name.to_string())),
            hcl_edit::expr::TraversalOperator::Index(index) => match index {
                hcl_edit::expr::Expression::String(s) => steps.push(PathStep::Key(s.to_string())),
                hcl_edit::expr::Expression::Number(n) => {
                    steps.push(PathStep::Index(n.as_u64().and_then(|n| usize::try_from(n).ok())?))
                }
                _ => return None,
            },
            hcl_edit::expr::TraversalOperator::LegacyIndex(i) => {
                steps.push(PathStep::Index(usize::try_from(*i.value()).ok()?))
            }
            _ => return None,
        }
    }
    Some(AttrPath(steps))
}

/// `value` with the part at `path` replaced by `with` (removed when `with` is `None`).
fn replace_at(value: Value, path: &[PathStep], with: Option<Value>) -> Value {
    let Some((step, rest)) = path.split_first() else {
        return with.unwrap_or(value);
    };
    let sensitive = value.is_sensitive();
    let out = match (step, value.into_data()) {
        (PathStep::Attr(name) | PathStep::Key(name), slipway_core::Data::Object(mut entries)) => {
            if let Some(inner) = Arc::make_mut(&mut entries).remove(name) {
                Arc::make_mut(&mut entries).insert(name.clone(), replace_at(inner, rest, with));
            }
            Value::from_data(slipway_core::Data::Object(entries))
        }
        (PathStep::Attr(name) | PathStep::Key(name), slipway_core::Data::Map(ty, mut entries)) => {
            match (Arc::make_mut(&mut entries).remove(name), with) {
                (Some(inner), with) if !rest.is_empty() => {
                    Arc::make_mut(&mut entries).insert(name.clone(), replace_at(inner, rest, with));
                }
                (_, Some(with)) => {
                    Arc::make_mut(&mut entries).insert(name.clone(), with);
                }
                (_, None) => {}
            }
            Value::from_data(slipway_core::Data::Map(ty, entries))
        }
        (_, data) => Value::from_data(data),
    };
    out.with_sensitive(sensitive)
}
