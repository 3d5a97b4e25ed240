//! Evaluation during apply. A plan evaluates every resource's configuration with the planned
//! values of what it refers to, some of them unknown; apply evaluates each instance again once
//! everything it depends on has been applied, so that IDs known only now reach it.
//!
//! It starts from the module tree the plan evaluated and brings up to date only what an instance
//! refers to: its module's locals, its variables (from the parent's module call), the outputs of
//! module calls it refers to, transitively. Each of those is evaluated again at most once: the
//! dependency graph guarantees that when an instance is ready, every resource behind the values it
//! refers to has been applied, so the value computed then is final.

use std::collections::HashSet;

use indexmap::IndexMap;
use slipway_core::address::{ModuleInstance, ResourceInstanceAddr};
use slipway_core::{Diagnostics, InstanceKey, Value, convert};

use super::*;
use crate::references::{FoundReference, body_references, expression_references};
use crate::typeexpr::apply_defaults;

/// A value brought up to date in one module instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Fresh {
    Local(String),
    Variable(String),
    ModuleCall(String),
    Output(String),
}

/// Re-evaluates instance configurations during apply, with the values applied so far.
pub struct ApplyEvaluator<'a> {
    config: &'a Config,
    sources: &'a Sources,
    settings: &'a EvalSettings<'a>,
    root: EvaluatedModule,
    fresh: HashSet<(ModuleInstance, Fresh)>,
}

impl<'a> ApplyEvaluator<'a> {
    /// `root` is the module tree the plan evaluated, with planned values for every resource.
    pub fn new(
        config: &'a Config,
        sources: &'a Sources,
        settings: &'a EvalSettings<'a>,
        root: EvaluatedModule,
    ) -> ApplyEvaluator<'a> {
        ApplyEvaluator { config, sources, settings, root, fresh: HashSet::new() }
    }

    /// The configuration being applied.
    pub fn config(&self) -> &'a Config {
        self.config
    }

    /// Records what an instance is after apply (or, for a deleted one, a null).
    pub fn set_instance_value(&mut self, addr: &ResourceInstanceAddr, value: Value) {
        let Some(resource) = config_at(self.config, &addr.module).and_then(|c| c.module.resources.get(&addr.resource))
        else {
            return;
        };
        let Some(module) = module_at_mut(&mut self.root, &addr.module) else { return };
        if let Some(values) = module.instance_values.get_mut(&addr.resource) {
            values.insert(addr.key.clone(), value);
            module.collect_resource(resource);
        }
    }

    /// The configuration of one instance, evaluated with what has been applied so far. `None`
    /// when the instance is not in the configuration the plan evaluated.
    pub fn instance_config(&mut self, addr: &ResourceInstanceAddr) -> Option<(Value, Diagnostics)> {
        let config = self.config;
        let resource = config_at(config, &addr.module)?.module.resources.get(&addr.resource)?;
        let mut diags = Diagnostics::new();
        let mut refs: Vec<Reference> = body_references(&resource.body).into_iter().map(|(_, f)| f.reference).collect();
        if let Some(for_each) = &resource.for_each {
            refs.extend(references_of(for_each));
        }
        self.bring_up_to_date(&addr.module, refs, &mut diags);
        let module = module_at(&self.root, &addr.module)?;
        let instances = module.resources.get(&addr.resource)?.as_ref()?;
        let mut repetition = instances.iter().find(|i| i.key == addr.key)?.repetition.clone();
        // `each.value` as it is now: the plan's may hold values known only after apply (the
        // IDs of what the map was built from), which are known by the time this instance is.
        if let (Some(for_each), Some(Repetition::Each(key, _))) = (&resource.for_each, &repetition) {
            let mut ignored = Diagnostics::new();
            let map = eval_expr(for_each, module, None, self.sources, self.settings, &mut ignored);
            let current = match map.data() {
                slipway_core::Data::Map(_, entries) | slipway_core::Data::Object(entries) => entries.get(key).cloned(),
                _ => None,
            };
            if let Some(value) = current {
                repetition = Some(Repetition::Each(key.clone(), value));
            }
        }
        let value = eval_body(&resource.body, module, repetition.as_ref(), self.sources, self.settings, &mut diags);
        Some((value, diags))
    }

    /// A `provider` block of the module the calls `module` lead to, evaluated with what has been
    /// applied so far: a configuration that was not known while planning (its cluster is made
    /// in this run). Provider blocks may not vary per instance: the first instance is the scope.
    /// `None` when that module has no instance.
    pub fn provider_config(&mut self, module: &[String], block: &ProviderConfig) -> Option<(Value, Diagnostics)> {
        let mut path = ModuleInstance::root();
        for name in module {
            let here = module_at(&self.root, &path)?;
            let (key, _) = here.children.get(name)?.first()?;
            path = path.child(name.clone(), key.clone());
        }
        let mut diags = Diagnostics::new();
        let refs: Vec<Reference> = body_references(&block.body).into_iter().map(|(_, f)| f.reference).collect();
        self.bring_up_to_date(&path, refs, &mut diags);
        let evaluated = module_at(&self.root, &path)?;
        let value = eval_body(&block.body, evaluated, None, self.sources, self.settings, &mut diags);
        Some((value, diags))
    }

    /// The root module's outputs with every applied value.
    pub fn root_outputs(&mut self) -> (BTreeMap<String, Value>, Diagnostics) {
        let mut diags = Diagnostics::new();
        let names: Vec<String> = self.config.module.outputs.keys().cloned().collect();
        for name in names {
            self.output(&ModuleInstance::root(), &name, &mut diags);
        }
        (self.root.outputs.clone(), diags)
    }

    fn bring_up_to_date(&mut self, path: &ModuleInstance, refs: Vec<Reference>, diags: &mut Diagnostics) {
        for reference in refs {
            match reference {
                Reference::Local(name) => self.local(path, &name, diags),
                Reference::Variable(name) => self.variable(path, &name, diags),
                Reference::ModuleCall(name) => self.module_call(path, &name, diags),
                _ => {}
            }
        }
    }

    /// Marks a value as being brought up to date; false when it already is.
    fn start(&mut self, path: &ModuleInstance, what: Fresh) -> bool {
        self.fresh.insert((path.clone(), what))
    }

    fn local(&mut self, path: &ModuleInstance, name: &str, diags: &mut Diagnostics) {
        if !self.start(path, Fresh::Local(name.to_string())) {
            return;
        }
        let Some(local) = config_at(self.config, path).and_then(|c| c.module.locals.get(name)) else { return };
        self.bring_up_to_date(path, references_of(&local.expr), diags);
        let Some(module) = module_at(&self.root, path) else { return };
        let value = eval_expr(&local.expr, module, None, self.sources, self.settings, diags);
        if let Some(module) = module_at_mut(&mut self.root, path) {
            module.locals.insert(name.to_string(), value);
        }
    }

    /// A child module's variable, from the argument of the module call in its parent.
    fn variable(&mut self, path: &ModuleInstance, name: &str, diags: &mut Diagnostics) {
        if !self.start(path, Fresh::Variable(name.to_string())) {
            return;
        }
        let mut parent = path.clone();
        let Some((call_name, _)) = parent.0.pop() else { return }; // root variables never change
        let Some(call) = config_at(self.config, &parent).and_then(|c| c.module.module_calls.get(&call_name)) else {
            return;
        };
        let Some(variable) = config_at(self.config, path).and_then(|c| c.module.variables.get(name)) else { return };
        let Some(argument) = call.inputs.get(name) else { return }; // the default, which never changes
        self.bring_up_to_date(&parent, references_of(&argument.expr), diags);
        let (Some(parent_module), Some(module)) = (module_at(&self.root, &parent), module_at(&self.root, path)) else {
            return;
        };
        let raw =
            eval_expr(&argument.expr, parent_module, module.repetition.as_ref(), self.sources, self.settings, diags);
        let raw = match &variable.constraint.defaults {
            Some(defaults) => apply_defaults(raw, defaults),
            None => raw,
        };
        // A value that fails conversion was reported by the plan; keep the planned one then.
        let Ok(value) = convert(raw, &variable.constraint.ty) else { return };
        if let Some(module) = module_at_mut(&mut self.root, path) {
            module.variables.insert(name.to_string(), value.with_sensitive(variable.sensitive));
        }
    }

    /// Every instance of a module call, with all its outputs up to date.
    fn module_call(&mut self, path: &ModuleInstance, name: &str, diags: &mut Diagnostics) {
        if !self.start(path, Fresh::ModuleCall(name.to_string())) {
            return;
        }
        let Some(call_config) = config_at(self.config, path) else { return };
        let Some(call) = call_config.module.module_calls.get(name) else { return };
        let Some(child_config) = call_config.children.get(name) else { return };
        let keys: Vec<InstanceKey> = module_at(&self.root, path)
            .and_then(|m| m.children.get(name))
            .map(|children| children.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            let child_path = path.child(name.to_string(), key.clone());
            for output in child_config.module.outputs.keys() {
                self.output(&child_path, output, diags);
            }
            let outputs = module_at(&self.root, &child_path).map(|m| m.outputs.clone()).unwrap_or_default();
            values.push((key, Value::object(outputs)));
        }
        let collected = collect_instances(Some(&values), call.count.is_some());
        if let Some(module) = module_at_mut(&mut self.root, path) {
            module.module_values.insert(name.to_string(), collected);
        }
    }

    fn output(&mut self, path: &ModuleInstance, name: &str, diags: &mut Diagnostics) {
        if !self.start(path, Fresh::Output(name.to_string())) {
            return;
        }
        let Some(output) = config_at(self.config, path).and_then(|c| c.module.outputs.get(name)) else { return };
        self.bring_up_to_date(path, references_of(&output.expr), diags);
        let Some(module) = module_at(&self.root, path) else { return };
        let value = eval_expr(&output.expr, module, None, self.sources, self.settings, diags);
        let value = if output.sensitive { value.mark_sensitive() } else { value };
        if let Some(module) = module_at_mut(&mut self.root, path) {
            module.outputs.insert(name.to_string(), value);
        }
    }
}

fn references_of(expr: &Expr) -> Vec<Reference> {
    expression_references(&expr.expr).into_iter().map(|f: FoundReference| f.reference).collect()
}

/// The configuration of a module instance: the same for every instance of a call.
fn config_at<'c>(config: &'c Config, path: &ModuleInstance) -> Option<&'c Config> {
    path.0.iter().try_fold(config, |c, (name, _)| c.children.get(name))
}

fn module_at<'m>(root: &'m EvaluatedModule, path: &ModuleInstance) -> Option<&'m EvaluatedModule> {
    path.0
        .iter()
        .try_fold(root, |m, (name, key)| m.children.get(name)?.iter().find(|(k, _)| k == key).map(|(_, child)| child))
}

fn module_at_mut<'m>(root: &'m mut EvaluatedModule, path: &ModuleInstance) -> Option<&'m mut EvaluatedModule> {
    path.0.iter().try_fold(root, |m, (name, key)| {
        m.children.get_mut(name)?.iter_mut().find(|(k, _)| k == key).map(|(_, child)| child)
    })
}

impl EvaluatedModule {
    /// The values of one resource's instances as they stand (planned, or applied).
    pub fn instance_values(&self, resource: &ResourceKey) -> Option<&IndexMap<InstanceKey, Value>> {
        self.instance_values.get(resource)
    }
}
