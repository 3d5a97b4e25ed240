//! Which resources each resource depends on, from the configuration alone: references followed
//! through locals, variables (to the parent's module call argument), module outputs (into the
//! child) and `depends_on` (a module in `depends_on` stands for every resource inside it). The
//! result is per resource, not per instance: the engine expands it to instances, matching
//! module instance keys along the shared part of two module paths.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::config::{Config, Expr, ResourceKey};
use crate::eval::Reference;
use crate::references::{body_references, expression_references};

/// A resource in the configuration: the names of the module calls that lead to it, and its key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfigResource {
    pub module: Vec<String>,
    pub resource: ResourceKey,
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for name in &self.module {
            write!(f, "module.{name}.")?;
        }
        write!(f, "{}", self.resource)
    }
}

/// Every resource of the configuration with the resources it depends on, directly or through
/// values that are not resources.
pub fn resource_dependencies(config: &Config) -> BTreeMap<ConfigResource, BTreeSet<ConfigResource>> {
    let mut walker = Walker { root: config, memo: HashMap::new() };
    let mut out = BTreeMap::new();
    let mut stack = vec![(Vec::<String>::new(), config)];
    while let Some((path, module_config)) = stack.pop() {
        for (key, resource) in &module_config.module.resources {
            let mut deps = BTreeSet::new();
            let mut refs: Vec<Reference> =
                body_references(&resource.body).into_iter().map(|(_, f)| f.reference).collect();
            for expr in resource.count.iter().chain(&resource.for_each).chain(&resource.lifecycle.replace_triggered_by)
            {
                refs.extend(references(expr));
            }
            for rule in resource.lifecycle.preconditions.iter() {
                refs.extend(references(&rule.condition));
            }
            for reference in refs {
                deps.extend(walker.resolve(&path, &reference));
            }
            for expr in &resource.depends_on {
                for reference in references(expr) {
                    deps.extend(walker.depends_on(&path, &reference));
                }
            }
            // Everything in a module depends on what its call's `depends_on` names.
            for depth in 0..path.len() {
                let parent = &path[..depth];
                let Some(call) = config_at(config, parent).and_then(|c| c.module.module_calls.get(&path[depth])) else {
                    continue;
                };
                for expr in &call.depends_on {
                    for reference in references(expr) {
                        deps.extend(walker.depends_on(parent, &reference));
                    }
                }
            }
            let this = ConfigResource { module: path.clone(), resource: key.clone() };
            deps.remove(&this);
            out.insert(this, deps);
        }
        for (name, child) in &module_config.children {
            let mut child_path = path.clone();
            child_path.push(name.clone());
            stack.push((child_path, child));
        }
    }
    out
}

/// The resources a block's body in the module at `path` depends on (a `provider` block: every
/// object of that provider configuration waits for them, as Terraform orders provider nodes).
pub fn body_dependencies(config: &Config, path: &[String], body: &crate::config::Body) -> BTreeSet<ConfigResource> {
    let mut walker = Walker { root: config, memo: HashMap::new() };
    let mut deps = BTreeSet::new();
    for (_, found) in body_references(body) {
        deps.extend(walker.resolve(path, &found.reference));
    }
    deps
}

fn references(expr: &Expr) -> impl Iterator<Item = Reference> {
    expression_references(&expr.expr).into_iter().map(|f| f.reference)
}

fn config_at<'c>(config: &'c Config, path: &[String]) -> Option<&'c Config> {
    path.iter().try_fold(config, |c, name| c.children.get(name))
}

/// A value that is not a resource, in one module.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Value {
    Local(String),
    Variable(String),
    ModuleOutputs(String),
}

struct Walker<'c> {
    root: &'c Config,
    /// The resources behind each value; empty while being computed, which also ends cycles
    /// (already reported by evaluation).
    memo: HashMap<(Vec<String>, Value), BTreeSet<ConfigResource>>,
}

impl Walker<'_> {
    /// The resources a reference made in module `path` depends on.
    fn resolve(&mut self, path: &[String], reference: &Reference) -> BTreeSet<ConfigResource> {
        match reference {
            Reference::Resource(key) => {
                let declared = config_at(self.root, path).is_some_and(|c| c.module.resources.contains_key(key));
                if declared {
                    BTreeSet::from([ConfigResource { module: path.to_vec(), resource: key.clone() }])
                } else {
                    BTreeSet::new()
                }
            }
            Reference::Local(name) => self.value(path, Value::Local(name.clone())),
            Reference::Variable(name) => self.value(path, Value::Variable(name.clone())),
            Reference::ModuleCall(name) => self.value(path, Value::ModuleOutputs(name.clone())),
            _ => BTreeSet::new(),
        }
    }

    /// A `depends_on` entry: a module stands for everything inside it.
    fn depends_on(&mut self, path: &[String], reference: &Reference) -> BTreeSet<ConfigResource> {
        match reference {
            Reference::ModuleCall(name) => {
                let mut child_path = path.to_vec();
                child_path.push(name.clone());
                let mut out = BTreeSet::new();
                if let Some(child) = config_at(self.root, &child_path) {
                    collect_all(child, child_path, &mut out);
                }
                out
            }
            other => self.resolve(path, other),
        }
    }

    fn value(&mut self, path: &[String], value: Value) -> BTreeSet<ConfigResource> {
        let key = (path.to_vec(), value.clone());
        if let Some(known) = self.memo.get(&key) {
            return known.clone();
        }
        self.memo.insert(key.clone(), BTreeSet::new());
        let mut out = BTreeSet::new();
        let Some(here) = config_at(self.root, path) else { return out };
        match &value {
            Value::Local(name) => {
                if let Some(local) = here.module.locals.get(name) {
                    for reference in references(&local.expr) {
                        out.extend(self.resolve(path, &reference));
                    }
                }
            }
            Value::Variable(name) => {
                if let Some((call_name, parent)) = path.split_last() {
                    let call = config_at(self.root, parent).and_then(|c| c.module.module_calls.get(call_name));
                    if let Some(argument) = call.and_then(|c| c.inputs.get(name)) {
                        for reference in references(&argument.expr) {
                            out.extend(self.resolve(parent, &reference));
                        }
                    }
                }
            }
            Value::ModuleOutputs(name) => {
                let mut child_path = path.to_vec();
                child_path.push(name.clone());
                if let Some(child) = here.children.get(name) {
                    for output in child.module.outputs.values() {
                        for expr in std::iter::once(&output.expr).chain(&output.depends_on) {
                            for reference in references(expr) {
                                out.extend(self.depends_on(&child_path, &reference));
                            }
                        }
                    }
                }
                // The call's own count, for_each and arguments decide which instances exist.
                if let Some(call) = here.module.module_calls.get(name) {
                    for expr in call.count.iter().chain(&call.for_each) {
                        for reference in references(expr) {
                            out.extend(self.resolve(path, &reference));
                        }
                    }
                }
            }
        }
        self.memo.insert(key, out.clone());
        out
    }
}

fn collect_all(config: &Config, path: Vec<String>, out: &mut BTreeSet<ConfigResource>) {
    for key in config.module.resources.keys() {
        out.insert(ConfigResource { module: path.clone(), resource: key.clone() });
    }
    for (name, child) in &config.children {
        let mut child_path = path.clone();
        child_path.push(name.clone());
        collect_all(child, child_path, out);
    }
}
