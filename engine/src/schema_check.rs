//! Resource configuration checked against the provider's schema, as Terraform's decoder does:
//! arguments that do not exist (with the closest valid name), required arguments left out,
//! read-only attributes set, attributes written as blocks and blocks written as attributes, and
//! the number of nested blocks. Then the evaluated body is decoded into exactly the schema's
//! type. Every problem points at the configuration that caused it.

use slipway_core::diagnostics::did_you_mean;
use slipway_core::path::{AttrPath, PathStep};
use slipway_core::schema::{BlockSchema, Nesting};
use slipway_core::{Data, Diagnostic, Diagnostics, SourceRange, Type, Value, convert};
use slipway_lang::config::{Block, Body};
use slipway_lang::source::Sources;

/// Checks the structure of `body` against `schema`; `what` names the resource in messages and
/// `declared_at` is its header, where problems of the whole block (a missing argument) point.
pub fn check_body(
    body: &Body,
    schema: &BlockSchema,
    what: &str,
    declared_at: Option<SourceRange>,
    sources: &Sources,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    check_into(body, schema, what, declared_at, sources, &mut diags);
    diags
}

fn check_into(
    body: &Body,
    schema: &BlockSchema,
    what: &str,
    block_range: Option<SourceRange>,
    sources: &Sources,
    diags: &mut Diagnostics,
) {
    let valid_names = || schema.attributes.keys().chain(schema.blocks.keys()).map(String::as_str);
    for (name, attr) in &body.attributes {
        let range = sources.range(attr.name_range.file, Some(attr.name_range.span()));
        match schema.attributes.get(name) {
            Some(a) if a.computed && !a.optional && !a.required => diags.push(
                Diagnostic::error(
                    "Invalid or unknown key",
                    format!("The attribute {name:?} of {what} is read-only: the provider sets it. Remove it from the configuration; refer to it elsewhere as {what}.{name}."),
                )
                .with_subject(range),
            ),
            Some(_) => {}
            None if schema.blocks.contains_key(name) => diags.push(
                Diagnostic::error(
                    "Unsupported argument",
                    format!("{name:?} of {what} is a block, not an argument: write it as\n    {name} {{\n      ...\n    }}\nwithout the equals sign."),
                )
                .with_subject(range),
            ),
            None => diags.push(
                Diagnostic::error(
                    "Unsupported argument",
                    format!("An argument named {name:?} is not expected in {what}.{}", did_you_mean(name, valid_names())),
                )
                .with_subject(range),
            ),
        }
    }
    let mut counts: std::collections::BTreeMap<&str, (usize, Option<&Block>)> = Default::default();
    for block in &body.blocks {
        if block.kind == "dynamic" {
            // Generated blocks are counted after expansion; check the content against the schema.
            if let Some(nested) = block.labels.first().and_then(|l| schema.blocks.get(l)) {
                for content in block.body.blocks.iter().filter(|b| b.kind == "content") {
                    check_into(
                        &content.body,
                        &nested.block,
                        what,
                        sources.range(content.range.file, Some(content.range.span())),
                        sources,
                        diags,
                    );
                }
            }
            continue;
        }
        let range = sources.range(block.range.file, Some(block.range.span()));
        let Some(nested) = schema.blocks.get(&block.kind) else {
            let detail = if schema.attributes.contains_key(&block.kind) {
                format!(
                    "{:?} of {what} is an argument, not a block: write it as {} = {{ ... }}, with an equals sign.",
                    block.kind, block.kind
                )
            } else {
                format!(
                    "Blocks of type {:?} are not expected in {what}.{}",
                    block.kind,
                    did_you_mean(&block.kind, valid_names())
                )
            };
            diags.push(Diagnostic::error("Unsupported block type", detail).with_subject(range));
            continue;
        };
        let entry = counts.entry(block.kind.as_str()).or_insert((0, None));
        entry.0 += 1;
        entry.1 = Some(block);
        check_into(&block.body, &nested.block, what, range, sources, diags);
    }
    for (name, attr) in &schema.attributes {
        if attr.required && !body.attributes.contains_key(name) {
            diags.push(
                Diagnostic::error(
                    "Missing required argument",
                    format!("The argument {name:?} is required in {what}, but no definition was found."),
                )
                .with_subject(block_range.clone()),
            );
        }
    }
    let has_dynamic =
        |kind: &str| body.blocks.iter().any(|b| b.kind == "dynamic" && b.labels.first().is_some_and(|l| l == kind));
    for (name, nested) in &schema.blocks {
        let (count, last) = counts.get(name.as_str()).copied().unwrap_or((0, None));
        if has_dynamic(name) {
            continue;
        }
        let max = if nested.nesting == Nesting::Single { 1 } else { nested.max_items };
        if max > 0 && count > max {
            let range = last.and_then(|b| sources.range(b.range.file, Some(b.range.span())));
            diags.push(
                Diagnostic::error(
                    "Too many blocks",
                    format!(
                        "No more than {max} {name:?} block{} allowed in {what}.",
                        if max == 1 { " is" } else { "s are" }
                    ),
                )
                .with_subject(range),
            );
        }
        if count < nested.min_items {
            diags.push(
                Diagnostic::error(
                    "Insufficient blocks",
                    format!(
                        "At least {} {name:?} block{} required in {what}.",
                        nested.min_items,
                        if nested.min_items == 1 { " is" } else { "s are" }
                    ),
                )
                .with_subject(block_range.clone()),
            );
        }
    }
}

/// Decodes an evaluated, schema-less body (attributes by name, nested blocks as tuples of
/// objects) into a value of exactly the schema's type. Errors carry the attribute path.
pub fn decode_config(value: &Value, schema: &BlockSchema) -> Result<Value, Vec<(AttrPath, String)>> {
    let mut errors = Vec::new();
    let decoded = decode_block(value, schema, &AttrPath::root(), &mut errors);
    if errors.is_empty() { Ok(decoded) } else { Err(errors) }
}

fn decode_block(value: &Value, schema: &BlockSchema, path: &AttrPath, errors: &mut Vec<(AttrPath, String)>) -> Value {
    if !value.is_known() {
        return Value::unknown(schema.value_type());
    }
    let empty = std::collections::BTreeMap::new();
    let entries = value.as_entries().unwrap_or(&empty);
    let mut attrs = std::collections::BTreeMap::new();
    for (name, attr) in &schema.attributes {
        let given = entries.get(name).cloned().unwrap_or_else(|| Value::null(attr.ty.clone()));
        let decoded = match convert(given, &attr.ty) {
            Ok(v) => v,
            Err(e) => {
                errors.push((path.then_attr(name), format!("Inappropriate value for attribute {name:?}: {e}.")));
                Value::unknown(attr.ty.clone())
            }
        };
        attrs.insert(name.clone(), if attr.sensitive { decoded.mark_sensitive() } else { decoded });
    }
    for (name, nested) in &schema.blocks {
        let inner_type = nested.block.value_type();
        let blocks = entries.get(name);
        let items: Option<Vec<Value>> = match blocks.map(Value::data) {
            None | Some(Data::Null(_)) => Some(Vec::new()),
            Some(Data::Unknown(_)) => None,
            Some(Data::Tuple(items) | Data::List(_, items) | Data::Set(_, items)) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| decode_block(item, &nested.block, &path.then_attr(name).then_index(i), errors))
                    .collect(),
            ),
            Some(_) => {
                errors.push((path.then_attr(name), format!("{name:?} must be written as a block.")));
                Some(Vec::new())
            }
        };
        let decoded = match (nested.nesting, items) {
            (Nesting::Single, None) => Value::unknown(inner_type),
            (Nesting::Single, Some(items)) => items.into_iter().next().unwrap_or_else(|| Value::null(inner_type)),
            (Nesting::List, None) => Value::unknown(Type::list(inner_type)),
            (Nesting::List, Some(items)) => Value::list(inner_type, items),
            (Nesting::Set, None) => Value::unknown(Type::set(inner_type)),
            (Nesting::Set, Some(items)) => Value::set(inner_type, items),
        };
        attrs.insert(name.clone(), decoded);
    }
    Value::object(attrs)
}

/// The source range a path inside a resource's value comes from: the attribute's value, or the
/// nested block it is in, as deep as the configuration shows it.
pub fn source_range(body: &Body, path: &AttrPath, sources: &Sources) -> Option<SourceRange> {
    let mut body = body;
    let mut best: Option<SourceRange> = None;
    let mut steps = path.0.iter().peekable();
    while let Some(step) = steps.next() {
        let PathStep::Attr(name) = step else { break };
        if let Some(attr) = body.attributes.get(name) {
            return sources.range(attr.expr.file, attr.expr.span()).or(best);
        }
        let blocks: Vec<&Block> = body.blocks.iter().filter(|b| &b.kind == name).collect();
        let index = match steps.peek() {
            Some(PathStep::Index(i)) => {
                steps.next();
                *i
            }
            _ => 0,
        };
        let Some(block) = blocks.get(index).or(blocks.first()) else { break };
        best = sources.range(block.range.file, Some(block.range.span()));
        body = &block.body;
    }
    best
}
