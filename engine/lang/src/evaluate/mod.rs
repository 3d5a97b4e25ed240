//! Module evaluation: binds input variables (type conversion, defaults, validation), orders the
//! module's locals, resources, module calls and outputs by their references, reports cycles, and
//! evaluates each in turn, expanding `count` and `for_each` into instances. Resource attributes
//! are known only after apply here; the engine supplies planned values through the same scope.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use indexmap::IndexMap;
use slipway_core::address::ModuleInstance;
use slipway_core::diagnostics::did_you_mean;
use slipway_core::{Diagnostic, Diagnostics, InstanceKey, SourceRange, Type, Value};

use crate::config::*;
use crate::eval::{Evaluator, Reference, Scope};
use crate::fs::FileSystem;
use crate::functions::FunctionContext;
use crate::source::{FileId, Sources};

mod apply;
mod body;
mod expand;
mod order;
mod scope;
mod variables;

pub use apply::ApplyEvaluator;
use body::*;
use expand::*;
use order::*;
use scope::*;
use variables::*;

/// A value given for an input variable, and where it came from.
#[derive(Clone, Debug)]
pub struct InputValue {
    pub value: Value,
    /// Where the value was written, when it was written in a file.
    pub range: Option<SourceRange>,
    /// "-var", "terraform.tfvars", "environment variable TF_VAR_x", a module call...
    pub origin: String,
}

/// What evaluation needs beyond the configuration.
pub struct EvalSettings<'a> {
    pub fs: &'a dyn FileSystem,
    pub working_dir: PathBuf,
    pub root_dir: PathBuf,
    pub workspace: String,
    /// True while validating or planning: `timestamp()` and `uuid()` are known after apply.
    pub impure_unknown: bool,
    /// True while validating: variables have no values yet, so a `count` or `for_each` known
    /// only later is expected rather than an error.
    pub validating: bool,
    /// Told about every resource once its instances are evaluated; supplies the values
    /// references to them resolve to (the planner's planned values). Without one, every
    /// resource attribute is known only after apply.
    pub observer: Option<&'a dyn ResourceObserver>,
}

impl<'a> EvalSettings<'a> {
    /// Settings for evaluating the configuration in `dir`, as `validate` and `console` do.
    pub fn new(fs: &'a dyn FileSystem, dir: &std::path::Path, workspace: &str) -> Self {
        EvalSettings {
            fs,
            working_dir: dir.to_path_buf(),
            root_dir: dir.to_path_buf(),
            workspace: workspace.to_string(),
            impure_unknown: true,
            validating: false,
            observer: None,
        }
    }

    /// The same settings for evaluating to plan or apply: never validating, with `observer`
    /// answering for resources. `impure_unknown` says whether `timestamp()` is known yet.
    pub fn observed_by<'b>(&self, observer: Option<&'b dyn ResourceObserver>, impure_unknown: bool) -> EvalSettings<'b>
    where
        'a: 'b,
    {
        EvalSettings {
            fs: self.fs,
            working_dir: self.working_dir.clone(),
            root_dir: self.root_dir.clone(),
            workspace: self.workspace.clone(),
            impure_unknown,
            validating: false,
            observer,
        }
    }
}

/// The planner's view of evaluation: it sees each resource's evaluated instances in dependency
/// order and answers with the value each instance has for the expressions that refer to it.
pub trait ResourceObserver {
    /// `instances` is `None` when `count` or `for_each` is not known yet. The answer has one
    /// value per instance, in order; anything else leaves the instances unknown.
    fn resource(
        &self,
        module: &ModuleInstance,
        resource: &Resource,
        instances: Option<&[ResourceInstanceConfig]>,
        diags: &mut Diagnostics,
    ) -> Vec<Value>;
}

/// An observer's answer built instance by instance: each instance's value from `value_of`,
/// unknown where it gives none; no values while the instances are not known.
pub fn instance_values(
    module: &ModuleInstance,
    resource: &Resource,
    instances: Option<&[ResourceInstanceConfig]>,
    value_of: impl Fn(&slipway_core::address::ResourceInstanceAddr) -> Option<Value>,
) -> Vec<Value> {
    let Some(instances) = instances else { return Vec::new() };
    instances
        .iter()
        .map(|i| {
            let addr =
                slipway_core::address::ResourceInstanceAddr::new(module.clone(), resource.key.clone(), i.key.clone());
            value_of(&addr).unwrap_or_else(|| Value::unknown(slipway_core::Type::Any))
        })
        .collect()
}

/// One expanded instance of a resource: its key and its evaluated configuration.
#[derive(Clone, Debug)]
pub struct ResourceInstanceConfig {
    pub key: InstanceKey,
    pub config: Value,
    /// `count.index` or `each` for this instance, to evaluate its body again during apply.
    repetition: Option<Repetition>,
}

/// A module after evaluation.
#[derive(Clone, Debug, Default)]
pub struct EvaluatedModule {
    /// Which module instance this is: `module.net["a"]`, empty for the root.
    pub path: ModuleInstance,
    pub dir: PathBuf,
    pub variables: BTreeMap<String, Value>,
    pub locals: BTreeMap<String, Value>,
    pub outputs: BTreeMap<String, Value>,
    /// Resources and data sources with their instances; `None` when the instances are not known
    /// until apply (an unknown `count` or `for_each`).
    pub resources: IndexMap<ResourceKey, Option<Vec<ResourceInstanceConfig>>>,
    /// Module calls with their instances, each evaluated.
    pub children: BTreeMap<String, Vec<(InstanceKey, EvaluatedModule)>>,
    /// The values references to resources and module calls resolve to.
    resource_values: HashMap<ResourceKey, Value>,
    module_values: HashMap<String, Value>,
    /// Every name the module declares, for suggestions before all are evaluated.
    declared: DeclaredNames,
    /// `count.index` or `each` of the module call instance this module is.
    repetition: Option<Repetition>,
    /// Each resource's instance values, from which `resource_values` is collected.
    instance_values: HashMap<ResourceKey, IndexMap<InstanceKey, Value>>,
}

#[derive(Clone, Debug, Default)]
pub(super) struct DeclaredNames {
    locals: Vec<String>,
    resources: Vec<ResourceKey>,
    module_calls: Vec<String>,
}

/// Evaluates a configuration with the root module's input values.
pub fn evaluate_config(
    config: &Config,
    inputs: &BTreeMap<String, InputValue>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
) -> (EvaluatedModule, Diagnostics) {
    let mut diags = Diagnostics::new();
    let module = evaluate_module(config, inputs, ModuleInstance::root(), None, sources, settings, &mut diags);
    (module, diags.sorted())
}

/// Graph nodes of one module.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Node {
    Local(String),
    Resource(ResourceKey),
    ModuleCall(String),
    Output(String),
}

impl Node {
    fn describe(&self) -> String {
        match self {
            Node::Local(n) => format!("local.{n}"),
            Node::Resource(k) => k.to_string(),
            Node::ModuleCall(n) => format!("module.{n}"),
            Node::Output(n) => format!("output.{n}"),
        }
    }
}

fn evaluate_module(
    config: &Config,
    inputs: &BTreeMap<String, InputValue>,
    path: ModuleInstance,
    repetition: Option<Repetition>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> EvaluatedModule {
    let is_root = path.is_root();
    let module = &config.module;
    let declared = DeclaredNames {
        locals: module.locals.keys().cloned().collect(),
        resources: module.resources.keys().cloned().collect(),
        module_calls: module.module_calls.keys().cloned().collect(),
    };
    let mut evaluated =
        EvaluatedModule { path, dir: module.dir.clone(), declared, repetition, ..EvaluatedModule::default() };
    bind_variables(module, inputs, sources, settings, diags, is_root, &mut evaluated);

    let order = match order_nodes(module, sources, diags) {
        Some(order) => order,
        None => return evaluated,
    };
    for node in order {
        match node {
            Node::Local(name) => {
                if let Some(local) = module.locals.get(&name) {
                    let value = eval_expr(&local.expr, &evaluated, None, sources, settings, diags);
                    evaluated.locals.insert(name, value);
                }
            }
            Node::Resource(key) => {
                if let Some(resource) = module.resources.get(&key) {
                    evaluate_resource(resource, sources, settings, diags, &mut evaluated);
                }
            }
            Node::ModuleCall(name) => {
                if let (Some(call), Some(child)) = (module.module_calls.get(&name), config.children.get(&name)) {
                    evaluate_module_call(call, child, sources, settings, diags, &mut evaluated);
                } else {
                    evaluated.module_values.insert(name, Value::unknown(Type::Any));
                }
            }
            Node::Output(name) => {
                if let Some(output) = module.outputs.get(&name) {
                    let value = evaluate_output(output, &evaluated, sources, settings, diags);
                    evaluated.outputs.insert(name, value);
                }
            }
        }
    }
    for check in module.checks.values() {
        for rule in &check.asserts {
            if let Some(message) = failed_condition(rule, &evaluated, None, None, sources, settings, diags) {
                diags.push(
                    Diagnostic::warning("Check block assertion failed", message)
                        .with_subject(sources.range(rule.condition.file, rule.condition.span())),
                );
            }
        }
    }
    evaluated
}

/// Checks that each `depends_on` entry refers to a whole object that is declared, as Terraform
/// does: a resource, data source or module call (one instance of it at most), or a variable or
/// local value.
fn check_depends_on(
    entries: &[Expr],
    module: &EvaluatedModule,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) {
    for entry in entries {
        // Entries that are not references were reported when the configuration was loaded.
        let Some((root, operators)) = crate::eval::traversal_parts(&entry.expr) else { continue };
        let Ok((reference, consumed)) = crate::eval::parse_reference(root, &operators) else {
            // Evaluating the entry reports what is wrong with the reference.
            eval_expr(entry, module, None, sources, settings, diags);
            continue;
        };
        let mut rest = &operators[consumed.min(operators.len())..];
        if matches!(reference, Reference::Resource(_) | Reference::ModuleCall(_))
            && matches!(
                rest.first(),
                Some(hcl_edit::expr::TraversalOperator::Index(_) | hcl_edit::expr::TraversalOperator::LegacyIndex(_))
            )
        {
            rest = &rest[1..];
        }
        if rest.is_empty() {
            // Evaluating the entry reports references to what is not declared.
            eval_expr(entry, module, None, sources, settings, diags);
        } else {
            diags.push(
                Diagnostic::error(
                    "Invalid depends_on reference",
                    "References in depends_on must be to a whole object (resource, etc), not to an attribute of an object.",
                )
                .with_subject(sources.range(entry.file, entry.span())),
            );
        }
    }
}

fn evaluate_resource(
    resource: &Resource,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
    evaluated: &mut EvaluatedModule,
) {
    check_depends_on(&resource.depends_on, evaluated, sources, settings, diags);
    let what = resource.key.to_string();
    let instances =
        expand(resource.count.as_ref(), resource.for_each.as_ref(), &what, evaluated, sources, settings, diags);
    let Some(instances) = instances else {
        if settings.validating {
            let repetition = Repetition::unknown_for(resource.count.as_ref(), resource.for_each.as_ref());
            eval_body(&resource.body, evaluated, repetition.as_ref(), sources, settings, diags);
        }
        if let Some(observer) = settings.observer {
            observer.resource(&evaluated.path, resource, None, diags);
        }
        evaluated.resources.insert(resource.key.clone(), None);
        evaluated.resource_values.insert(resource.key.clone(), Value::unknown(Type::Any));
        return;
    };
    let mut configs = Vec::with_capacity(instances.len());
    for (key, repetition) in instances {
        // Preconditions hold before the instance is planned, as Terraform checks them: a false
        // one stops the plan (a condition known only after apply waits for apply).
        for rule in &resource.lifecycle.preconditions {
            if let Some(message) =
                failed_condition(rule, evaluated, repetition.as_ref(), None, sources, settings, diags)
            {
                diags.push(
                    Diagnostic::error("Resource precondition failed", message)
                        .with_subject(sources.range(rule.condition.file, rule.condition.span())),
                );
            }
        }
        let config = eval_body(&resource.body, evaluated, repetition.as_ref(), sources, settings, diags);
        configs.push(ResourceInstanceConfig { key, config, repetition });
    }
    let mut answered = match settings.observer {
        Some(observer) => {
            let answer = observer.resource(&evaluated.path, resource, Some(&configs), diags);
            // The observer has what it needs; apply evaluates configurations again anyway.
            for config in &mut configs {
                config.config = Value::null(Type::Any);
            }
            answer
        }
        None => Vec::new(),
    };
    if answered.len() != configs.len() {
        // Until a provider plans it, every attribute of a resource is known only after apply.
        answered = vec![Value::unknown(Type::Any); configs.len()];
    }
    // Postconditions hold for the planned object: `self` is its planned value. One known only
    // after apply (an unknown attribute) is left for apply, as Terraform does.
    if !resource.lifecycle.postconditions.is_empty() && settings.observer.is_some() {
        for (config, this) in configs.iter().zip(&answered) {
            for rule in &resource.lifecycle.postconditions {
                if let Some(message) =
                    failed_condition(rule, evaluated, config.repetition.as_ref(), Some(this), sources, settings, diags)
                {
                    diags.push(
                        Diagnostic::error("Resource postcondition failed", message)
                            .with_subject(sources.range(rule.condition.file, rule.condition.span())),
                    );
                }
            }
        }
    }
    let values: IndexMap<InstanceKey, Value> = configs.iter().map(|c| c.key.clone()).zip(answered).collect();
    evaluated.resources.insert(resource.key.clone(), Some(configs));
    evaluated.instance_values.insert(resource.key.clone(), values);
    evaluated.collect_resource(resource);
}

impl EvaluatedModule {
    /// Collects a resource's instance values into the value references to it resolve to.
    fn collect_resource(&mut self, resource: &Resource) {
        let Some(values) = self.instance_values.get(&resource.key) else { return };
        if resource.count.is_none() && resource.for_each.is_none() {
            // A single instance is resolved from `instance_values` directly: no second copy.
            self.resource_values.remove(&resource.key);
            return;
        }
        let pairs: Vec<(InstanceKey, Value)> = values.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        self.resource_values.insert(resource.key.clone(), collect_instances(Some(&pairs), resource.count.is_some()));
    }
}

fn evaluate_module_call(
    call: &ModuleCall,
    child: &Config,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
    evaluated: &mut EvaluatedModule,
) {
    check_depends_on(&call.depends_on, evaluated, sources, settings, diags);
    let what = format!("module.{}", call.name);
    for (name, attr) in &call.inputs {
        if !child.module.variables.contains_key(name) {
            let suggestion = did_you_mean(name, child.module.variables.keys().map(String::as_str));
            diags.push(Diagnostic::error("Unsupported argument", format!("An argument named {name:?} is not expected here: the module {:?} declares no variable of that name.{suggestion}", call.name)).with_subject(sources.range(attr.name_range.file, Some(attr.name_range.span()))));
        }
    }
    for (name, variable) in &child.module.variables {
        if variable.default.is_none() && !call.inputs.contains_key(name) {
            diags.push(
                Diagnostic::error(
                    "Missing required argument",
                    format!(
                        "The argument {name:?} is required by module {:?}, but no definition was found.",
                        call.name
                    ),
                )
                .with_subject(sources.range(call.range.file, Some(call.range.span()))),
            );
        }
    }
    let Some(instances) =
        expand(call.count.as_ref(), call.for_each.as_ref(), &what, evaluated, sources, settings, diags)
    else {
        if settings.validating {
            let repetition = Repetition::unknown_for(call.count.as_ref(), call.for_each.as_ref());
            for attr in call.inputs.values() {
                eval_expr(&attr.expr, evaluated, repetition.as_ref(), sources, settings, diags);
            }
        }
        evaluated.module_values.insert(call.name.clone(), Value::unknown(Type::Any));
        return;
    };
    let mut values = Vec::new();
    let mut children = Vec::new();
    for (key, repetition) in instances {
        let mut inputs = BTreeMap::new();
        for (name, attr) in &call.inputs {
            if !child.module.variables.contains_key(name) {
                continue;
            }
            let value = eval_expr(&attr.expr, evaluated, repetition.as_ref(), sources, settings, diags);
            inputs.insert(
                name.clone(),
                InputValue {
                    value,
                    range: sources.range(attr.expr.file, attr.expr.span()),
                    origin: format!("module.{}", call.name),
                },
            );
        }
        let path = evaluated.path.child(call.name.clone(), key.clone());
        let result = evaluate_module(child, &inputs, path, repetition, sources, settings, diags);
        let outputs = Value::object(result.outputs.clone());
        values.push((key.clone(), outputs));
        children.push((key, result));
    }
    evaluated.module_values.insert(call.name.clone(), collect_instances(Some(&values), call.count.is_some()));
    evaluated.children.insert(call.name.clone(), children);
}

fn evaluate_output(
    output: &Output,
    evaluated: &EvaluatedModule,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    for rule in &output.preconditions {
        if let Some(message) = failed_condition(rule, evaluated, None, None, sources, settings, diags) {
            diags.push(
                Diagnostic::error("Module output value precondition failed", message)
                    .with_subject(sources.range(rule.condition.file, rule.condition.span())),
            );
        }
    }
    check_depends_on(&output.depends_on, evaluated, sources, settings, diags);
    let value = eval_expr(&output.expr, evaluated, None, sources, settings, diags);
    if value.contains_sensitive() && !output.sensitive {
        diags.push(
            Diagnostic::error("Output refers to sensitive values", format!("To reduce the risk of accidentally exporting sensitive data, output {:?} must be marked sensitive: add\n    sensitive = true\nto the output block, or use nonsensitive() if the value is not secret.", output.name))
                .with_subject(sources.range(output.range.file, Some(output.range.span()))),
        );
    }
    if output.sensitive { value.mark_sensitive() } else { value }
}

impl EvaluatedModule {
    /// A scope for evaluating more expressions against this module, as `console` does.
    pub fn scope<'a>(&'a self, settings: &'a EvalSettings<'a>) -> impl Scope + 'a {
        ModuleScope { module: self, repetition: None, settings, this: None }
    }

    /// Overrides what references to a resource resolve to (state values in `console`).
    pub fn set_resource_value(&mut self, key: ResourceKey, value: Value) {
        self.resource_values.insert(key, value);
    }
}

/// Evaluates a block body against an evaluated module as resource bodies are (a `provider`
/// block's): attributes by name, nested blocks as tuples of objects.
pub fn eval_body_in_module(
    body: &Body,
    module: &EvaluatedModule,
    sources: &Sources,
    settings: &EvalSettings<'_>,
) -> (Value, Diagnostics) {
    let mut diags = Diagnostics::new();
    let value = body::eval_body(body, module, module.repetition.as_ref(), sources, settings, &mut diags);
    (value, diags)
}

/// Evaluates one expression against an evaluated module, as `console` does.
pub fn eval_in_module(
    expr: &hcl_edit::expr::Expression,
    file: FileId,
    module: &EvaluatedModule,
    sources: &Sources,
    settings: &EvalSettings<'_>,
) -> (Value, Diagnostics) {
    let scope = ModuleScope { module, repetition: None, settings, this: None };
    let templates = FileTemplates;
    let ctx = FunctionContext {
        module_dir: &module.dir,
        working_dir: &settings.working_dir,
        fs: settings.fs,
        impure_unknown: settings.impure_unknown,
        templates: Some(&templates),
    };
    let evaluator = Evaluator::new(sources, file, &scope, &ctx);
    let value = evaluator.eval(expr);
    (value, evaluator.take_diagnostics())
}

#[cfg(test)]
mod variable_tests {
    use super::*;
    use crate::fs::OsFileSystem;
    use crate::load::load_config;
    use crate::vars::collect_inputs;
    use std::path::Path;

    /// Evaluates a root module written as `main.tf` with `terraform.tfvars`; the diagnostics
    /// as "summary @ file:line" and the evaluated module.
    fn evaluate(main: &str, tfvars: &str) -> (Vec<String>, EvaluatedModule) {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("main.tf"), main).expect("write main.tf");
        std::fs::write(dir.path().join("terraform.tfvars"), tfvars).expect("write tfvars");
        let fs = OsFileSystem;
        let mut sources = Sources::new();
        let (config, mut diags) = load_config(dir.path(), &fs, &mut sources);
        let (inputs, input_diags) = collect_inputs(&config.module, dir.path(), &[], &[], &fs, &mut sources);
        diags.extend(input_diags);
        let settings = EvalSettings {
            fs: &fs,
            working_dir: dir.path().to_path_buf(),
            root_dir: dir.path().to_path_buf(),
            workspace: "default".into(),
            impure_unknown: true,
            validating: false,
            observer: None,
        };
        let (module, eval_diags) = evaluate_config(&config, &inputs, &sources, &settings);
        diags.extend(eval_diags);
        let shown = diags
            .iter()
            .map(|d| {
                let at = d.subject.as_ref().map(|r| {
                    let file = Path::new(&*r.filename).file_name().map(|f| f.to_string_lossy().to_string());
                    format!("{}:{}", file.unwrap_or_default(), r.start.line)
                });
                format!("{} @ {}", d.summary, at.unwrap_or_default())
            })
            .collect();
        (shown, module)
    }

    #[test]
    fn null_for_a_non_nullable_variable_without_default_is_an_error_where_given() {
        let main =
            "variable \"a\" {\n  nullable = false\n}\nvariable \"b\" {\n  nullable = false\n  default  = \"d\"\n}\n";
        let (diags, module) = evaluate(main, "a = null\nb = null\n");
        assert_eq!(diags, vec!["Required variable not set @ terraform.tfvars:1".to_string()]);
        assert_eq!(module.variables.get("b"), Some(&Value::string("d")));
    }

    #[test]
    fn depends_on_entries_must_be_whole_declared_objects() {
        let main = "resource \"a\" \"b\" {\n  count = 2\n}\nresource \"c\" \"d\" {\n  depends_on = [\n    a.b[0],\n    a.b.id,\n    a.missing,\n  ]\n}\n";
        let (diags, _) = evaluate(main, "");
        assert_eq!(
            diags,
            vec![
                "Invalid depends_on reference @ main.tf:7".to_string(),
                "Reference to undeclared resource @ main.tf:8".to_string()
            ]
        );
    }

    #[test]
    fn failed_validation_of_a_default_is_reported_at_the_declaration() {
        let main = "variable \"lo\" {\n  default = 3\n}\nvariable \"hi\" {\n  default = 2\n  validation {\n    condition     = var.hi >= var.lo\n    error_message = \"too low\"\n  }\n}\n";
        let (diags, _) = evaluate(main, "");
        assert_eq!(diags, vec!["Invalid value for variable @ main.tf:4".to_string()]);
    }
}
