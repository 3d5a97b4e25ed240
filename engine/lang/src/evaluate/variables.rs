//! Input variables: binding given values with type conversion, defaults and validation.

use std::collections::BTreeMap;

use slipway_core::diagnostics::did_you_mean;
use slipway_core::{Diagnostic, Diagnostics, Type, Value, convert};

use crate::source::Sources;
use crate::typeexpr::apply_defaults;

use super::*;

pub(super) fn bind_variables(
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
            if let Some(message) = failed_condition(rule, evaluated, None, None, sources, settings, diags) {
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
pub(super) fn failed_condition(
    rule: &CheckRule,
    module: &EvaluatedModule,
    repetition: Option<&Repetition>,
    this: Option<&Value>,
    sources: &Sources,
    settings: &EvalSettings<'_>,
    diags: &mut Diagnostics,
) -> Option<String> {
    let eval = |expr, diags: &mut Diagnostics| match this {
        Some(this) => eval_expr_about(expr, module, repetition, this, sources, settings, diags),
        None => eval_expr(expr, module, repetition, sources, settings, diags),
    };
    let mut local = Diagnostics::new();
    let condition = eval(&rule.condition, &mut local);
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
            let message = eval(&rule.error_message, diags);
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
