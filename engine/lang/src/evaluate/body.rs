//! Schema-less bodies: attributes, nested blocks and `dynamic` blocks evaluated to an object.

use std::collections::{BTreeMap, HashSet};

use slipway_core::{Diagnostic, Diagnostics, Type, Value};

use crate::source::Sources;

use super::*;

/// Evaluates a schema-less body to an object: attributes by name, nested blocks as a tuple of
/// objects under the block type, `dynamic` blocks expanded.
pub(super) fn eval_body_bindings(
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

pub(super) fn eval_body(
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
pub(super) fn expand_dynamic(
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
