//! What references resolve to inside a module instance, and how expressions are evaluated there.

use std::collections::BTreeMap;
use std::path::Path;

use slipway_core::diagnostics::did_you_mean;
use slipway_core::{Diagnostics, Type, Value, convert};

use crate::config::*;
use crate::eval::{Evaluator, Reference, Scope, ScopeError};
use crate::functions::{FunctionContext, TemplateRenderer};
use crate::source::{SourceFile, Sources};

use super::*;

/// Per-instance names: `count.index`, `each.key`, `each.value`.
#[derive(Clone, Debug)]
pub(super) enum Repetition {
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
    pub(super) fn unknown_for(count: Option<&Expr>, for_each: Option<&Expr>) -> Option<Repetition> {
        match (count, for_each) {
            (Some(_), _) => Some(Repetition::UnknownCount),
            (None, Some(_)) => Some(Repetition::UnknownEach),
            (None, None) => None,
        }
    }
}

/// What references resolve to inside one module (and one instance of a repeated block).
pub(super) struct ModuleScope<'a> {
    pub(super) module: &'a EvaluatedModule,
    pub(super) repetition: Option<&'a Repetition>,
    pub(super) settings: &'a EvalSettings<'a>,
    /// What `self` is: the instance's own value, in its postconditions.
    pub(super) this: Option<&'a Value>,
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
            Reference::Resource(key) => self.module.resource_values.get(key).cloned().or_else(|| single_instance(self.module, key)).ok_or_else(|| {
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
            Reference::SelfObject if self.this.is_some() => Ok(self.this.cloned().unwrap_or_else(|| Value::unknown(Type::Any))),
            Reference::SelfObject => Err(ScopeError { summary: "Invalid \"self\" reference".into(), detail: "The \"self\" object is available only in resource postconditions, where it refers to the resource's own attributes.".into() }),
        }
    }
}

pub(super) fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) { "An" } else { "A" }
}

pub(super) fn path_string(path: &Path, working_dir: &Path) -> String {
    let shown = path.strip_prefix(working_dir).unwrap_or(path);
    let s = shown.to_string_lossy().to_string();
    if s.is_empty() { ".".into() } else { s }
}

/// Renders templates for `templatefile` with the evaluator.
pub(super) struct FileTemplates;

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
pub(super) struct TemplateScope;

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

pub(super) fn eval_expr(
    expr: &Expr,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    eval_expr_with(expr, module, repetition, Vec::new(), sources, settings, diags)
}

pub(super) fn eval_expr_with(
    expr: &Expr,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    bindings: Vec<(String, Value)>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    let scope = ModuleScope { module, repetition, settings, this: None };
    eval_in_scope(expr, &scope, bindings, sources, diags)
}

/// [`eval_expr`] with `self` bound to `this` (a resource instance's postconditions).
pub(super) fn eval_expr_about(
    expr: &Expr,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    this: &Value,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Value {
    let scope = ModuleScope { module, repetition, settings, this: Some(this) };
    eval_in_scope(expr, &scope, Vec::new(), sources, diags)
}

fn eval_in_scope(
    expr: &Expr,
    scope: &ModuleScope<'_>,
    bindings: Vec<(String, Value)>,
    sources: &Sources,
    diags: &mut Diagnostics,
) -> Value {
    let templates = FileTemplates;
    let ctx = FunctionContext {
        module_dir: &scope.module.dir,
        working_dir: &scope.settings.working_dir,
        fs: scope.settings.fs,
        impure_unknown: scope.settings.impure_unknown,
        templates: Some(&templates),
    };
    let evaluator = Evaluator::new(sources, expr.file, scope, &ctx);
    let value = evaluator.eval_with(&expr.expr, bindings);
    diags.extend(evaluator.take_diagnostics());
    value
}

/// The value of a resource without `count` or `for_each`, kept only among the instance values.
fn single_instance(module: &EvaluatedModule, key: &ResourceKey) -> Option<Value> {
    let values = module.instance_values.get(key)?;
    match values.first() {
        Some((InstanceKey::None, value)) if values.len() == 1 => Some(value.clone()),
        _ => None,
    }
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
