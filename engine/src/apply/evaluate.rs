//! The module tree apply starts from when the plan was saved: the configuration evaluated again
//! with the variable values the plan was made with, each resource instance resolving to its
//! planned value, so that apply sees exactly what the plan saw.

use std::collections::HashMap;

use slipway_core::address::{ModuleInstance, ResourceInstanceAddr};
use slipway_core::{Diagnostics, Value};
use slipway_lang::config::{Config, Resource};
use slipway_lang::evaluate::{
    EvalSettings, EvaluatedModule, InputValue, ResourceInstanceConfig, ResourceObserver, evaluate_config,
    instance_values,
};
use slipway_lang::source::Sources;

use crate::plan::Plan;

struct PlannedValues<'a> {
    values: HashMap<&'a ResourceInstanceAddr, &'a Value>,
}

impl ResourceObserver for PlannedValues<'_> {
    fn resource(
        &self,
        module: &ModuleInstance,
        resource: &Resource,
        instances: Option<&[ResourceInstanceConfig]>,
        _diags: &mut Diagnostics,
    ) -> Vec<Value> {
        instance_values(module, resource, instances, |addr| self.values.get(addr).map(|v| (*v).clone()))
    }
}

/// Evaluates `config` with the plan's values for every resource instance.
pub fn evaluate_with_plan(
    config: &Config,
    sources: &Sources,
    inputs: &std::collections::BTreeMap<String, InputValue>,
    settings: &EvalSettings<'_>,
    plan: &Plan,
) -> (EvaluatedModule, Diagnostics) {
    let values = plan.changes.iter().filter_map(|c| Some((&c.addr, c.after.as_ref().or(c.before.as_ref())?))).collect();
    let observer = PlannedValues { values };
    let settings = settings.observed_by(Some(&observer), settings.impure_unknown);
    evaluate_config(config, inputs, sources, &settings)
}
