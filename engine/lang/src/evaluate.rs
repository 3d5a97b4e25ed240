//! Module evaluation: binds input variables (type conversion, defaults, validation), orders the
//! module's locals, resources, module calls and outputs by their references, reports cycles, and
//! evaluates each in turn, expanding `count` and `for_each` into instances. Resource attributes
//! are known only after apply here; the engine supplies planned values through the same scope.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use slipway_core::diagnostics::did_you_mean;
use slipway_core::{Data, Diagnostic, Diagnostics, InstanceKey, SourceRange, Type, Value, convert};

use crate::config::*;
use crate::eval::{Evaluator, Reference, Scope, ScopeError};
use crate::fs::FileSystem;
use crate::functions::{FunctionContext, TemplateRenderer};
use crate::references::{FoundReference, body_references, expression_references};
use crate::source::{FileId, SourceFile, Sources};
use crate::typeexpr::apply_defaults;

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
}

/// One expanded instance of a resource: its key and its evaluated configuration.
#[derive(Clone, Debug)]
pub struct ResourceInstanceConfig {
    pub key: InstanceKey,
    pub config: Value,
}

/// A module after evaluation.
#[derive(Clone, Debug, Default)]
pub struct EvaluatedModule {
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
}

#[derive(Clone, Debug, Default)]
struct DeclaredNames {
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
    let module = evaluate_module(config, inputs, sources, settings, &mut diags, true);
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
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
    is_root: bool,
) -> EvaluatedModule {
    let module = &config.module;
    let declared = DeclaredNames {
        locals: module.locals.keys().cloned().collect(),
        resources: module.resources.keys().cloned().collect(),
        module_calls: module.module_calls.keys().cloned().collect(),
    };
    let mut evaluated = EvaluatedModule { dir: module.dir.clone(), declared, ..EvaluatedModule::default() };
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
            if let Some(message) = failed_condition(rule, &evaluated, None, sources, settings, diags) {
                diags.push(
                    Diagnostic::warning("Check block assertion failed", message)
                        .with_subject(sources.range(rule.condition.file, rule.condition.span())),
                );
            }
        }
    }
    evaluated
}

/// Per-instance names: `count.index`, `each.key`, `each.value`.
#[derive(Clone, Debug)]
enum Repetition {
    Count(i64),
    Each(String, Value),
    /// While validating, a block whose `count` is not known yet is checked once with
    /// `count.index` unknown.
    UnknownCount,
    /// Likewise for `for_each`: `each.key` and `each.value` unknown.
    UnknownEach,
}

impl Repetition {
    /// The stand-in used to check a block once when its instances are not known yet.
    fn unknown_for(count: Option<&Expr>, for_each: Option<&Expr>) -> Option<Repetition> {
        match (count, for_each) {
            (Some(_), _) => Some(Repetition::UnknownCount),
            (None, Some(_)) => Some(Repetition::UnknownEach),
            (None, None) => None,
        }
    }
}

/// What references resolve to inside one module (and one instance of a repeated block).
struct ModuleScope<'a> {
    module: &'a EvaluatedModule,
    repetition: Option<&'a Repetition>,
    settings: &'a EvalSettings<'a>,
}

impl Scope for ModuleScope<'_> {
    fn resolve(&self, reference: &Reference) -> Result<Value, ScopeError> {
        let undeclared = |what: &str, name: &str, candidates: Vec<&str>| ScopeError {
            summary: format!("Reference to undeclared {what}"),
            detail: format!(
                "{} {what} named {name:?} has not been declared in this module.{}",
                article(what),
                did_you_mean(name, candidates)
            ),
        };
        match reference {
            Reference::Variable(name) => self.module.variables.get(name).cloned().ok_or_else(|| {
                undeclared("input variable", name, self.module.variables.keys().map(String::as_str).collect())
            }),
            Reference::Local(name) => self.module.locals.get(name).cloned().ok_or_else(|| undeclared("local value", name, self.module.declared.locals.iter().map(String::as_str).collect())),
            Reference::Resource(key) => self.module.resource_values.get(key).cloned().ok_or_else(|| {
                let candidates: Vec<String> = self.module.declared.resources.iter().filter(|k| k.mode == key.mode).map(|k| k.to_string()).collect();
                let what = if key.mode == ResourceMode::Managed { "resource" } else { "data source" };
                ScopeError {
                    summary: format!("Reference to undeclared {what}"),
                    detail: format!("A {what} {key} has not been declared in this module.{}", did_you_mean(&key.to_string(), candidates.iter().map(String::as_str))),
                }
            }),
            Reference::ModuleCall(name) => self.module.module_values.get(name).cloned().ok_or_else(|| undeclared("module call", name, self.module.declared.module_calls.iter().map(String::as_str).collect())),
            Reference::Path(attr) => match attr.as_str() {
                "module" => Ok(Value::string(path_string(&self.module.dir, &self.settings.working_dir))),
                "root" => Ok(Value::string(path_string(&self.settings.root_dir, &self.settings.working_dir))),
                "cwd" => Ok(Value::string(self.settings.working_dir.to_string_lossy().to_string())),
                other => Err(ScopeError { summary: "Invalid \"path\" attribute".into(), detail: format!("The \"path\" object has no attribute {other:?}; use path.module, path.root or path.cwd.") }),
            },
            Reference::Terraform(attr) => match attr.as_str() {
                "workspace" => Ok(Value::string(self.settings.workspace.as_str())),
                other => Err(ScopeError { summary: "Invalid \"terraform\" attribute".into(), detail: format!("The \"terraform\" object has no attribute {other:?}; the only one is terraform.workspace.") }),
            },
            Reference::Count(attr) => match (self.repetition, attr.as_str()) {
                (Some(Repetition::Count(i)), "index") => Ok(Value::int(*i)),
                (Some(Repetition::UnknownCount), "index") => Ok(Value::unknown(Type::Number)),
                (Some(Repetition::Count(_) | Repetition::UnknownCount), other) => Err(ScopeError { summary: "Invalid \"count\" attribute".into(), detail: format!("The \"count\" object has no attribute {other:?}; the only one is count.index.") }),
                _ => Err(ScopeError { summary: "Reference to \"count\" in non-counted context".into(), detail: "The \"count\" object can only be used in \"module\", \"resource\", and \"data\" blocks, and only when the \"count\" argument is set.".into() }),
            },
            Reference::Each(attr) => match (self.repetition, attr.as_str()) {
                (Some(Repetition::Each(k, _)), "key") => Ok(Value::string(k.as_str())),
                (Some(Repetition::Each(_, v)), "value") => Ok(v.clone()),
                (Some(Repetition::UnknownEach), "key") => Ok(Value::unknown(Type::String)),
                (Some(Repetition::UnknownEach), "value") => Ok(Value::unknown(Type::Any)),
                (Some(Repetition::Each(..) | Repetition::UnknownEach), other) => Err(ScopeError { summary: "Invalid \"each\" attribute".into(), detail: format!("The \"each\" object has no attribute {other:?}; use each.key or each.value.") }),
                _ => Err(ScopeError { summary: "Reference to \"each\" in context without for_each".into(), detail: "The \"each\" object can be used only in \"module\" or \"resource\" blocks, and only when the \"for_each\" argument is set.".into() }),
            },
            Reference::SelfObject => Err(ScopeError { summary: "Invalid \"self\" reference".into(), detail: "The \"self\" object is available only in resource postconditions, where it refers to the resource's own attributes.".into() }),
        }
    }
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "An" } else { "A" }
}

fn path_string(path: &Path, working_dir: &Path) -> String {
    let shown = path.strip_prefix(working_dir).unwrap_or(path);
    let s = shown.to_string_lossy().to_string();
    if s.is_empty() { ".".into() } else { s }
}

/// Renders templates for `templatefile` with the evaluator.
struct FileTemplates;

impl TemplateRenderer for FileTemplates {
    fn render(
        &self,
        source: &str,
        filename: &Path,
        vars: &BTreeMap<String, Value>,
        ctx: &FunctionContext<'_>,
    ) -> Result<Value, String> {
        let mut template = hcl_edit::parser::parse_template(source).map_err(|e| {
            format!("{}:{}:{}: {}", filename.display(), e.location().line(), e.location().column(), e.message())
        })?;
        // Template files are read line by line like heredocs: strip markers trim within a line.
        crate::eval::prepare_template(&mut template, false);
        let expr = hcl_edit::expr::Expression::StringTemplate(hcl_edit::template::StringTemplate::from(
            template.into_iter().collect::<Vec<_>>(),
        ));
        // The template is its own source, so that errors in it have a line and column.
        let mut sources = Sources::new();
        let file = sources.add(SourceFile::new(filename.display().to_string(), source));
        let scope = TemplateScope;
        let nested = FunctionContext { templates: None, ..*ctx };
        let evaluator = Evaluator::new(&sources, file, &scope, &nested);
        let value = evaluator.eval_with(&expr, vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let diags = evaluator.take_diagnostics();
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            let at = match &d.subject {
                Some(range) => format!("{}:{}:{}", filename.display(), range.start.line, range.start.column),
                None => filename.display().to_string(),
            };
            return Err(format!("{at}: {}: {}", d.summary, d.detail));
        }
        convert(value, &Type::String).map_err(|e| format!("{}: the template result {e}", filename.display()))
    }
}

/// Inside a template file only the variables passed to `templatefile` exist.
struct TemplateScope;

impl Scope for TemplateScope {
    fn resolve(&self, reference: &Reference) -> Result<Value, ScopeError> {
        Err(ScopeError {
            summary: "Invalid template variable".into(),
            detail: format!(
                "{reference} is not available in a template file: only the variables passed to templatefile can be used there."
            ),
        })
    }

    fn unbound_name(&self, name: &str) -> Option<ScopeError> {
        Some(ScopeError {
            summary: "Invalid value for \"vars\" parameter".into(),
            detail: format!(
                "vars map does not contain key {name:?}: only the variables passed to templatefile can be used in the template."
            ),
        })
    }
}

fn eval_expr(
    expr: &Expr,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    eval_expr_with(expr, module, repetition, Vec::new(), sources, settings, diags)
}

fn eval_expr_with(
    expr: &Expr,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    bindings: Vec<(String, Value)>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    let scope = ModuleScope { module, repetition, settings };
    let templates = FileTemplates;
    let ctx = FunctionContext {
        module_dir: &module.dir,
        working_dir: &settings.working_dir,
        fs: settings.fs,
        impure_unknown: settings.impure_unknown,
        templates: Some(&templates),
    };
    let evaluator = Evaluator::new(sources, expr.file, &scope, &ctx);
    let value = evaluator.eval_with(&expr.expr, bindings);
    diags.extend(evaluator.take_diagnostics());
    value
}

fn bind_variables(
    module: &Module,
    inputs: &BTreeMap<String, InputValue>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
    is_root: bool,
    evaluated: &mut EvaluatedModule,
) {
    for (name, input) in inputs {
        if !module.variables.contains_key(name) {
            let suggestion = did_you_mean(name, module.variables.keys().map(String::as_str));
            let d = if is_root && !input.origin.starts_with('-') {
                Diagnostic::warning(
                    "Value for undeclared variable",
                    format!(
                        "A value for {name:?} was given in {}, but the root module does not declare a variable of that name.{suggestion}",
                        input.origin
                    ),
                )
            } else {
                Diagnostic::error(
                    "Value for undeclared variable",
                    format!(
                        "A value for {name:?} was given ({}), but no variable of that name is declared.{suggestion} To use this value, add a variable {name:?} block to the configuration.",
                        input.origin
                    ),
                )
            };
            diags.push(d.with_subject(input.range.clone()));
        }
    }
    for (name, variable) in &module.variables {
        let decl = sources.range(variable.range.file, Some(variable.range.span()));
        let given = inputs.get(name);
        let (raw, range) = match given {
            Some(input) if !input.value.is_null() || variable.nullable => {
                (input.value.clone(), input.range.clone().or(decl.clone()))
            }
            // Null for a variable that is not nullable stands for its default; without one it
            // is an error where the null was given.
            Some(input) if variable.default.is_none() => {
                let declared_at = decl.as_ref().map(|r| format!(" declared at {r}")).unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        "Required variable not set",
                        format!(
                            "The given value is not suitable for var.{name}{declared_at}: required variable may not be set to null (it is declared with nullable = false)."
                        ),
                    )
                    .with_subject(input.range.clone().or(decl.clone())),
                );
                evaluated.variables.insert(
                    name.clone(),
                    Value::unknown(variable.constraint.ty.clone()).with_sensitive(variable.sensitive),
                );
                continue;
            }
            _ => match &variable.default {
                Some(default) => {
                    let value = eval_expr(default, evaluated, None, sources, settings, diags);
                    (value, sources.range(default.file, default.span()))
                }
                None => {
                    // A module call without the argument is reported at the call instead.
                    if is_root {
                        diags.push(
                        Diagnostic::error("No value for required variable", format!("The input variable {name:?} is not set, and has no default value. Set it with -var \"{name}=...\", in a .tfvars file, or with the environment variable TF_VAR_{name}."))
                            .with_subject(decl.clone()),
                    );
                    }
                    evaluated.variables.insert(
                        name.clone(),
                        Value::unknown(variable.constraint.ty.clone()).with_sensitive(variable.sensitive),
                    );
                    continue;
                }
            },
        };
        let with_defaults = match &variable.constraint.defaults {
            Some(defaults) => apply_defaults(raw, defaults),
            None => raw,
        };
        let value = match convert(with_defaults, &variable.constraint.ty) {
            Ok(v) => v,
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid value for input variable",
                        format!(
                            "The given value is not suitable for var.{name}, which is of type {}: {e}.",
                            variable.constraint.ty
                        ),
                    )
                    .with_subject(range.clone()),
                );
                Value::unknown(variable.constraint.ty.clone())
            }
        };
        if value.is_null() && !variable.nullable {
            diags.push(
                Diagnostic::error(
                    "Required variable not set",
                    format!("The input variable {name:?} is declared with nullable = false, so it must not be null."),
                )
                .with_subject(range.clone()),
            );
        }
        let value = value.with_sensitive(variable.sensitive);
        evaluated.variables.insert(name.clone(), value);
    }
    // Validations may refer to other variables (Terraform 1.9), so they run once all are bound.
    for (name, variable) in &module.variables {
        for rule in &variable.validations {
            if let Some(message) = failed_condition(rule, evaluated, None, sources, settings, diags) {
                // A default value is reported at the variable's declaration, as in Terraform.
                let subject = inputs
                    .get(name)
                    .filter(|i| !i.value.is_null() || variable.nullable)
                    .and_then(|i| i.range.clone())
                    .or_else(|| sources.range(variable.range.file, Some(variable.range.span())));
                diags.push(
                    Diagnostic::error(
                        "Invalid value for variable",
                        format!(
                            "{message}\n\nThis was checked by the validation rule at {}.",
                            sources
                                .range(rule.range.file, Some(rule.range.span()))
                                .map(|r| r.to_string())
                                .unwrap_or_default()
                        ),
                    )
                    .with_subject(subject),
                );
            }
        }
    }
}

/// Evaluates a condition; `Some(error message)` when it is known to be false.
fn failed_condition(
    rule: &CheckRule,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Option<String> {
    let mut local = Diagnostics::new();
    let condition = eval_expr(&rule.condition, module, repetition, sources, settings, &mut local);
    let failed = local.has_errors();
    diags.extend(local);
    if failed {
        return None;
    }
    let (condition, _) = condition.unmark_deep();
    if !condition.is_known() {
        return None;
    }
    match convert(condition, &Type::Bool).ok().and_then(|c| c.as_bool()) {
        Some(true) => None,
        Some(false) => {
            let message = eval_expr(&rule.error_message, module, repetition, sources, settings, diags);
            let (message, sensitive) = message.unmark_deep();
            Some(match message.as_str() {
                Some(_) if sensitive => "(error message is sensitive)".to_string(),
                Some(m) => m.to_string(),
                None => "The condition was false.".to_string(),
            })
        }
        None => {
            diags.push(
                Diagnostic::error("Invalid condition result", "The condition must be true or false.")
                    .with_subject(sources.range(rule.condition.file, rule.condition.span())),
            );
            None
        }
    }
}

fn node_references(module: &Module, node: &Node) -> Vec<(FileId, FoundReference)> {
    let expr_refs = |e: &Expr| expression_references(&e.expr).into_iter().map(|r| (e.file, r)).collect::<Vec<_>>();
    let mut out = Vec::new();
    match node {
        Node::Local(n) => {
            if let Some(l) = module.locals.get(n) {
                out.extend(expr_refs(&l.expr));
            }
        }
        Node::Resource(k) => {
            if let Some(r) = module.resources.get(k) {
                for e in r.count.iter().chain(&r.for_each).chain(&r.depends_on).chain(&r.lifecycle.replace_triggered_by)
                {
                    out.extend(expr_refs(e));
                }
                for rule in r.lifecycle.preconditions.iter().chain(&r.lifecycle.postconditions) {
                    out.extend(expr_refs(&rule.condition));
                    out.extend(expr_refs(&rule.error_message));
                }
                out.extend(body_references(&r.body));
            }
        }
        Node::ModuleCall(n) => {
            if let Some(c) = module.module_calls.get(n) {
                for e in
                    c.count.iter().chain(&c.for_each).chain(&c.depends_on).chain(c.inputs.values().map(|a| &a.expr))
                {
                    out.extend(expr_refs(e));
                }
            }
        }
        Node::Output(n) => {
            if let Some(o) = module.outputs.get(n) {
                out.extend(expr_refs(&o.expr));
                for e in &o.depends_on {
                    out.extend(expr_refs(e));
                }
                for rule in &o.preconditions {
                    out.extend(expr_refs(&rule.condition));
                }
            }
        }
    }
    out
}

/// Orders the module's nodes so that each comes after what it refers to; `None` after
/// reporting a cycle.
fn order_nodes(module: &Module, sources: &Sources, diags: &mut Diagnostics) -> Option<Vec<Node>> {
    let mut nodes: Vec<Node> = Vec::new();
    nodes.extend(module.locals.keys().cloned().map(Node::Local));
    nodes.extend(module.resources.keys().cloned().map(Node::Resource));
    nodes.extend(module.module_calls.keys().cloned().map(Node::ModuleCall));
    nodes.extend(module.outputs.keys().cloned().map(Node::Output));
    let mut edges: BTreeMap<Node, Vec<(Node, ReferenceSite)>> = BTreeMap::new();
    for node in &nodes {
        let mut deps = Vec::new();
        for (file, found) in node_references(module, node) {
            let target = match &found.reference {
                Reference::Local(n) if module.locals.contains_key(n) => Node::Local(n.clone()),
                Reference::Resource(k) if module.resources.contains_key(k) => Node::Resource(k.clone()),
                Reference::ModuleCall(n) if module.module_calls.contains_key(n) => Node::ModuleCall(n.clone()),
                _ => continue,
            };
            deps.push((target, (file, found.span)));
        }
        edges.insert(node.clone(), deps);
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut state: HashMap<Node, bool> = HashMap::new(); // false: in progress, true: done
    let mut reported: HashSet<Vec<Node>> = HashSet::new();
    let mut ok = true;
    for node in &nodes {
        let mut stack: Vec<Node> = Vec::new();
        visit(node, &edges, &mut state, &mut stack, &mut order, &mut |cycle: Vec<Node>| {
            let mut key = cycle.clone();
            key.sort();
            if reported.insert(key) {
                ok = false;
                let names: Vec<String> = cycle.iter().map(Node::describe).collect();
                let mut d = Diagnostic::error(
                    "Cycle in references",
                    format!(
                        "These refer to each other in a cycle, so none of them can be evaluated first: {} → {}. Break the cycle by removing one of the references.",
                        names.join(" → "),
                        names.first().cloned().unwrap_or_default()
                    ),
                );
                for (i, n) in cycle.iter().enumerate() {
                    let next = &cycle[(i + 1) % cycle.len()];
                    if let Some(range) = edges
                        .get(n)
                        .and_then(|deps| deps.iter().find(|(t, _)| t == next))
                        .and_then(|(_, (file, span))| sources.range(*file, span.clone()))
                    {
                        if d.subject.is_none() {
                            d.subject = Some(range);
                        } else {
                            d = d.with_related(range, format!("{} refers to {}", n.describe(), next.describe()));
                        }
                    }
                }
                diags.push(d);
            }
        });
    }
    ok.then_some(order)
}

/// Where a reference is written; turned into a line and column only when a cycle is reported.
type ReferenceSite = (FileId, Option<std::ops::Range<usize>>);

fn visit(
    node: &Node,
    edges: &BTreeMap<Node, Vec<(Node, ReferenceSite)>>,
    state: &mut HashMap<Node, bool>,
    stack: &mut Vec<Node>,
    order: &mut Vec<Node>,
    on_cycle: &mut dyn FnMut(Vec<Node>),
) {
    match state.get(node) {
        Some(true) => return,
        Some(false) => {
            if let Some(pos) = stack.iter().position(|n| n == node) {
                on_cycle(stack[pos..].to_vec());
            }
            return;
        }
        None => {}
    }
    state.insert(node.clone(), false);
    stack.push(node.clone());
    if let Some(deps) = edges.get(node) {
        for (dep, _) in deps {
            visit(dep, edges, state, stack, order, on_cycle);
        }
    }
    stack.pop();
    state.insert(node.clone(), true);
    order.push(node.clone());
}

/// The instances `count` or `for_each` asks for; `None` when not known until apply (reported).
fn expand(
    count: Option<&Expr>,
    for_each: Option<&Expr>,
    what: &str,
    module: &EvaluatedModule,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Option<Vec<(InstanceKey, Option<Repetition>)>> {
    if let Some(expr) = count {
        let value = eval_expr(expr, module, None, sources, settings, diags);
        let range = sources.range(expr.file, expr.span());
        let (value, _) = value.unmark_deep();
        if !value.is_known() {
            if settings.validating {
                return None;
            }
            diags.push(Diagnostic::error("Invalid count argument", format!("The \"count\" value of {what} depends on values that are known only after apply, so the number of instances cannot be determined. Use literal values or values known before apply for count, or first apply the resources count depends on alone with\n    slipway apply -target=ADDRESS")).with_subject(range));
            return None;
        }
        let n = match convert(value, &Type::Number) {
            Ok(v) if v.is_null() => {
                diags.push(
                    Diagnostic::error(
                        "Invalid count argument",
                        "The given \"count\" argument value is null. An integer is required.",
                    )
                    .with_subject(range),
                );
                return None;
            }
            Ok(v) => v.as_number().and_then(|n| n.to_i64()),
            Err(e) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid count argument",
                        format!("The given \"count\" argument value is unsuitable: {e}."),
                    )
                    .with_subject(range),
                );
                return None;
            }
        };
        return match n {
            Some(n) if n >= 0 => Some((0..n).map(|i| (InstanceKey::Int(i), Some(Repetition::Count(i)))).collect()),
            _ => {
                diags.push(Diagnostic::error("Invalid count argument", "The given \"count\" argument value is unsuitable: must be a whole number greater than or equal to zero.").with_subject(range));
                None
            }
        };
    }
    if let Some(expr) = for_each {
        let value = eval_expr(expr, module, None, sources, settings, diags);
        let range = sources.range(expr.file, expr.span());
        if value.contains_sensitive() {
            diags.push(Diagnostic::error("Invalid for_each argument", format!("Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments: the keys of {what} would be shown in the plan. Use nonsensitive() on the keys if they are not secret.")).with_subject(range));
            return None;
        }
        if value.is_null() {
            diags.push(
                Diagnostic::error(
                    "Invalid for_each argument",
                    "The given \"for_each\" argument value is null. A map, or set of strings, is allowed.",
                )
                .with_subject(range),
            );
            return None;
        }
        let unknown_detail = format!(
            "The \"for_each\" value of {what} depends on values that are known only after apply, so the instances cannot be determined. Use a map whose keys are known before apply (the values may be unknown), or first apply what it depends on alone with\n    slipway apply -target=ADDRESS"
        );
        if !value.is_known() {
            if settings.validating {
                return None;
            }
            diags.push(Diagnostic::error("Invalid for_each argument", unknown_detail).with_subject(range));
            return None;
        }
        let instances: Vec<(InstanceKey, Option<Repetition>)> = match value.data() {
            Data::Map(_, entries) | Data::Object(entries) => entries
                .iter()
                .map(|(k, v)| (InstanceKey::Str(k.clone()), Some(Repetition::Each(k.clone(), v.clone()))))
                .collect(),
            Data::Set(_, items) => {
                let mut out = Vec::new();
                for item in items {
                    if !item.is_known() {
                        if settings.validating {
                            return None;
                        }
                        diags.push(Diagnostic::error("Invalid for_each argument", unknown_detail).with_subject(range));
                        return None;
                    }
                    match item.as_str() {
                        Some(s) => out.push((
                            InstanceKey::Str(s.to_string()),
                            Some(Repetition::Each(s.to_string(), item.clone())),
                        )),
                        None => {
                            diags.push(Diagnostic::error("Invalid for_each set argument", format!("The given \"for_each\" argument value is unsuitable: \"for_each\" supports sets of strings, but you have provided a set containing {}.", item.ty().friendly_name())).with_subject(range));
                            return None;
                        }
                    }
                }
                out
            }
            Data::List(..) | Data::Tuple(_) => {
                diags.push(Diagnostic::error("Invalid for_each argument", "The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type tuple or list. Convert it with toset(...) if its elements are unique strings.").with_subject(range));
                return None;
            }
            _ => {
                diags.push(Diagnostic::error("Invalid for_each argument", format!("The given \"for_each\" argument value is unsuitable: a map, or set of strings, is required, but got {}.", value.ty().friendly_name())).with_subject(range));
                return None;
            }
        };
        return Some(instances);
    }
    Some(vec![(InstanceKey::None, None)])
}

/// The value references see for a collection of instances: a tuple for `count`, an object for
/// `for_each`, the single instance otherwise.
fn collect_instances(instances: Option<&[(InstanceKey, Value)]>, repeated_by_count: bool) -> Value {
    match instances {
        None => Value::unknown(Type::Any),
        Some([(InstanceKey::None, v)]) => v.clone(),
        Some(items) if repeated_by_count => Value::tuple(items.iter().map(|(_, v)| v.clone()).collect()),
        Some(items) => Value::object(
            items
                .iter()
                .map(|(k, v)| {
                    (
                        match k {
                            InstanceKey::Str(s) => s.clone(),
                            other => other.to_string(),
                        },
                        v.clone(),
                    )
                })
                .collect(),
        ),
    }
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
        evaluated.resources.insert(resource.key.clone(), None);
        evaluated.resource_values.insert(resource.key.clone(), Value::unknown(Type::Any));
        return;
    };
    let mut configs = Vec::with_capacity(instances.len());
    let mut values = Vec::with_capacity(instances.len());
    for (key, repetition) in instances {
        let config = eval_body(&resource.body, evaluated, repetition.as_ref(), sources, settings, diags);
        // Until a provider plans it, every attribute of a resource is known only after apply.
        values.push((key.clone(), Value::unknown(Type::Any)));
        configs.push(ResourceInstanceConfig { key, config });
    }
    let value = collect_instances(Some(&values), resource.count.is_some());
    evaluated.resources.insert(resource.key.clone(), Some(configs));
    evaluated.resource_values.insert(resource.key.clone(), value);
}

/// Evaluates a schema-less body to an object: attributes by name, nested blocks as a tuple of
/// objects under the block type, `dynamic` blocks expanded.
fn eval_body_bindings(
    body: &Body,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    bindings: &[(String, Value)],
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    let mut attrs = BTreeMap::new();
    for (name, attr) in &body.attributes {
        attrs.insert(
            name.clone(),
            eval_expr_with(&attr.expr, module, repetition, bindings.to_vec(), sources, settings, diags),
        );
    }
    let mut blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut unknown_blocks: HashSet<String> = HashSet::new();
    for block in &body.blocks {
        if block.kind == "dynamic" {
            let Some(label) = block.labels.first() else {
                diags.push(
                    Diagnostic::error(
                        "Missing label",
                        "A dynamic block needs one label: the type of the blocks it generates.",
                    )
                    .with_subject(sources.range(block.range.file, Some(block.range.span()))),
                );
                continue;
            };
            match expand_dynamic(block, label, module, repetition, bindings, sources, settings, diags) {
                Some(generated) => blocks.entry(label.clone()).or_default().extend(generated),
                None => {
                    unknown_blocks.insert(label.clone());
                }
            }
        } else {
            let value = eval_body_bindings(&block.body, module, repetition, bindings, sources, settings, diags);
            let value = if block.labels.is_empty() {
                value
            } else {
                let mut with_labels = value.as_entries().cloned().unwrap_or_default();
                with_labels.insert(
                    "__labels".into(),
                    Value::tuple(block.labels.iter().map(|l| Value::string(l.as_str())).collect()),
                );
                Value::object(with_labels)
            };
            blocks.entry(block.kind.clone()).or_default().push(value);
        }
    }
    for (kind, items) in blocks {
        if unknown_blocks.contains(&kind) {
            continue;
        }
        attrs.insert(kind, Value::tuple(items));
    }
    for kind in unknown_blocks {
        attrs.insert(kind, Value::unknown(Type::Any));
    }
    Value::object(attrs)
}

fn eval_body(
    body: &Body,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    eval_body_bindings(body, module, repetition, &[], sources, settings, diags)
}

/// The blocks a `dynamic` block generates; `None` when its `for_each` is not known until apply.
#[allow(clippy::too_many_arguments)]
fn expand_dynamic(
    block: &Block,
    label: &str,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    bindings: &[(String, Value)],
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Option<Vec<Value>> {
    let range = sources.range(block.range.file, Some(block.range.span()));
    let Some(for_each) = block.body.attributes.get("for_each") else {
        diags.push(
            Diagnostic::error(
                "Missing required argument",
                format!("The dynamic block {label:?} needs a \"for_each\" argument."),
            )
            .with_subject(range),
        );
        return Some(Vec::new());
    };
    let iterator = match block.body.attributes.get("iterator") {
        Some(attr) => match crate::eval::traversal_parts(&attr.expr.expr) {
            Some((root, ops)) if ops.is_empty() => root.to_string(),
            _ => {
                diags.push(
                    Diagnostic::error(
                        "Invalid iterator",
                        "The iterator argument must be a single name, without quotes.",
                    )
                    .with_subject(sources.range(attr.expr.file, attr.expr.span())),
                );
                return Some(Vec::new());
            }
        },
        None => label.to_string(),
    };
    let Some(content) = block.body.blocks.iter().find(|b| b.kind == "content") else {
        diags.push(
            Diagnostic::error(
                "Missing content block",
                format!("The dynamic block {label:?} needs a \"content\" block describing each generated block."),
            )
            .with_subject(range),
        );
        return Some(Vec::new());
    };
    let collection = eval_expr_with(&for_each.expr, module, repetition, bindings.to_vec(), sources, settings, diags);
    let (collection, sensitive) = collection.unmark();
    if !collection.is_known() {
        return None;
    }
    let pairs = match crate::eval::iteration_pairs(&collection) {
        Some(pairs) => pairs,
        None if collection.is_null() => Vec::new(),
        None => {
            diags.push(
                Diagnostic::error(
                    "Invalid dynamic for_each value",
                    format!("Cannot use a {} value in for_each. An iterable collection is required.", collection.ty()),
                )
                .with_subject(sources.range(for_each.expr.file, for_each.expr.span())),
            );
            return Some(Vec::new());
        }
    };
    let mut out = Vec::new();
    for (key, value) in pairs {
        let mut inner = bindings.to_vec();
        inner.push((iterator.clone(), Value::object_from([("key", key), ("value", value)]).with_sensitive(sensitive)));
        out.push(eval_body_bindings(&content.body, module, repetition, &inner, sources, settings, diags));
    }
    Some(out)
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
        let result = evaluate_module(child, &inputs, sources, settings, diags, false);
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
        if let Some(message) = failed_condition(rule, evaluated, None, sources, settings, diags) {
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
        ModuleScope { module: self, repetition: None, settings }
    }

    /// Overrides what references to a resource resolve to (state values in `console`).
    pub fn set_resource_value(&mut self, key: ResourceKey, value: Value) {
        self.resource_values.insert(key, value);
    }
}

/// Evaluates one expression against an evaluated module, as `console` does.
pub fn eval_in_module(
    expr: &hcl_edit::expr::Expression,
    file: FileId,
    module: &EvaluatedModule,
    sources: &Sources,
    settings: &EvalSettings<'_>,
) -> (Value, Diagnostics) {
    let scope = ModuleScope { module, repetition: None, settings };
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
mod tests {
    use super::*;
    use crate::fs::OsFileSystem;

    fn render(source: &str, vars: &[(&str, Value)]) -> Result<Value, String> {
        let fs = OsFileSystem;
        let ctx = FunctionContext::in_current_dir(&fs, false);
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        FileTemplates.render(source, Path::new("./t.tftpl"), &vars, &ctx)
    }

    #[test]
    fn template_files_report_variables_not_passed_in() {
        let err = render("a\n  ${name} and ${path.module}\n", &[]).expect_err("no vars");
        assert!(
            err.starts_with(
                "./t.tftpl:2:5: Invalid value for \"vars\" parameter: vars map does not contain key \"name\""
            ),
            "{err}"
        );
        // Names bound inside the template are fine.
        let ok = render("%{ for x in xs }${x}%{ endfor }", &[("xs", Value::tuple(vec![Value::string("a")]))]);
        assert_eq!(ok, Ok(Value::string("a")));
    }

    #[test]
    fn template_files_strip_within_one_line() {
        let ok = render("header\n   %{~ if true }x%{ endif }\n", &[]);
        assert_eq!(ok, Ok(Value::string("header\nx\n")));
    }
}

#[cfg(test)]
mod variable_tests {
    use super::*;
    use crate::fs::OsFileSystem;
    use crate::load::load_config;
    use crate::vars::collect_inputs;

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
