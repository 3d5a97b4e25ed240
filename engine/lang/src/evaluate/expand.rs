//! `count` and `for_each`: the instances a block asks for, and the value that collects them.

use slipway_core::{Data, Diagnostic, Diagnostics, InstanceKey, Type, Value, convert};

use crate::source::Sources;

use super::*;

/// The instances `count` or `for_each` asks for; `None` when not known until apply (reported).
pub(super) fn expand(
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
pub(super) fn collect_instances(instances: Option<&[(InstanceKey, Value)]>, repeated_by_count: bool) -> Value {
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
