//! Terraform's JSON configuration syntax (`.tf.json`). A JSON document is also a valid HCL
//! object expression, so the file is parsed with hcl-edit's expression parser, which keeps exact
//! byte spans into the real file, and its nested objects are turned into the blocks and
//! attributes that the native syntax would have. Strings are templates (`"${var.x}"`); where the
//! native syntax takes a bare expression (`type`, `depends_on`, `provider`, `ignore_changes`,
//! `moved`'s `from`/`to`), the string's content is that expression.

use hcl_edit::Span;
use hcl_edit::expr::{Expression, Object, ObjectKey};
use hcl_edit::structure::{Attribute, Block, Body};

/// How many labels each top-level block type has, as JSON nests them as object keys.
fn label_count(block_type: &str) -> Option<usize> {
    Some(match block_type {
        "resource" | "data" => 2,
        "variable" | "output" | "module" | "provider" | "check" => 1,
        "terraform" | "locals" | "moved" | "removed" | "import" => 0,
        _ => return None,
    })
}

/// Nested blocks (by parent context) that are blocks, not object-valued attributes.
fn is_nested_block(name: &str) -> bool {
    matches!(
        name,
        "lifecycle"
            | "provisioner"
            | "connection"
            | "validation"
            | "precondition"
            | "postcondition"
            | "required_providers"
            | "backend"
            | "assert"
    )
}

/// Attributes whose string value is itself an expression in the native syntax.
fn is_expression_string(name: &str) -> bool {
    matches!(name, "type" | "depends_on" | "provider" | "ignore_changes" | "replace_triggered_by" | "from" | "to")
}

/// A problem with the JSON document's shape.
#[derive(Debug)]
pub struct JsonSyntaxError {
    pub span: Option<std::ops::Range<usize>>,
    pub message: String,
}

/// Converts a `.tf.json` file's text into the body the native syntax would have parsed to.
pub fn json_to_body(text: &str) -> Result<Body, JsonSyntaxError> {
    // Trailing white space is not part of an expression; trimming the end keeps every span.
    let expr = hcl_edit::parser::parse_expr(text.trim_end()).map_err(|e| JsonSyntaxError {
        span: Some(e.location().offset()..e.location().offset()),
        message: format!("The file is not valid JSON: {}", e.message()),
    })?;
    let Expression::Object(root) = expr else {
        return Err(JsonSyntaxError {
            span: expr.span(),
            message: "The root of a JSON configuration file must be an object.".into(),
        });
    };
    let mut body = Body::new();
    for (key, value) in root.iter() {
        let block_type = key_text(key)?;
        if block_type == "//" {
            continue;
        }
        let Some(labels) = label_count(&block_type) else {
            // Left to the loader, which reports unsupported block types with a suggestion.
            body.push(Block::new(hcl_edit::Ident::new_sanitized(block_type)));
            continue;
        };
        for block in blocks_of(&block_type, labels, Vec::new(), value.expr())? {
            body.push(block);
        }
    }
    Ok(body)
}

fn key_text(key: &ObjectKey) -> Result<String, JsonSyntaxError> {
    match key {
        ObjectKey::Ident(i) => Ok(i.as_str().to_string()),
        ObjectKey::Expression(e) => crate::load::literal_string(e)
            .ok_or_else(|| JsonSyntaxError { span: e.span(), message: "Object keys must be plain strings.".into() }),
    }
}

/// The blocks described by `value` once `remaining` more labels are read from nested keys.
fn blocks_of(
    block_type: &str,
    remaining: usize,
    labels: Vec<String>,
    value: &Expression,
) -> Result<Vec<Block>, JsonSyntaxError> {
    if remaining > 0 {
        let Expression::Object(object) = value else {
            return Err(JsonSyntaxError {
                span: value.span(),
                message: format!("A {block_type} block needs its labels as nested object keys."),
            });
        };
        let mut out = Vec::new();
        for (key, inner) in object.iter() {
            let mut next = labels.clone();
            next.push(key_text(key)?);
            out.extend(blocks_of(block_type, remaining - 1, next, inner.expr())?);
        }
        return Ok(out);
    }
    // A block body may be one object or an array of objects (several blocks of that type).
    let bodies: Vec<&Object> = match value {
        Expression::Object(o) => vec![o],
        Expression::Array(items) => items
            .iter()
            .map(|e| match e {
                Expression::Object(o) => Ok(o),
                other => Err(JsonSyntaxError {
                    span: other.span(),
                    message: format!("Each {block_type} block must be a JSON object."),
                }),
            })
            .collect::<Result<_, _>>()?,
        other => {
            return Err(JsonSyntaxError {
                span: other.span(),
                message: format!("A {block_type} block must be a JSON object."),
            });
        }
    };
    let mut out = Vec::new();
    for object in bodies {
        let mut block = Block::new(hcl_edit::Ident::new_sanitized(block_type));
        block.labels = labels.iter().map(|l| hcl_edit::structure::BlockLabel::from(l.as_str())).collect();
        block.body = body_of(block_type, object)?;
        out.push(block);
    }
    Ok(out)
}

fn body_of(block_type: &str, object: &Object) -> Result<Body, JsonSyntaxError> {
    let mut body = Body::new();
    for (key, value) in object.iter() {
        let name = key_text(key)?;
        if name == "//" {
            continue;
        }
        let expr = value.expr();
        let nested_labels = match (block_type, name.as_str()) {
            ("terraform", "backend") | ("resource", "provisioner") => Some(1),
            ("resource" | "data" | "module", "dynamic") => Some(1),
            _ if is_nested_block(&name) || (block_type == "dynamic" && name == "content") => Some(0),
            _ => None,
        };
        if let Some(labels) = nested_labels {
            for block in blocks_of(&name, labels, Vec::new(), expr)? {
                body.push(block);
            }
            continue;
        }
        let value = if is_expression_string(&name) { reparse_strings(expr) } else { expr.clone() };
        body.push(Attribute::new(hcl_edit::Ident::new_sanitized(&name), value));
    }
    Ok(body)
}

/// A string (or list of strings) whose content is an expression: `"aws_vpc.main"` as the
/// reference `aws_vpc.main`. Other values are kept.
fn reparse_strings(expr: &Expression) -> Expression {
    match expr {
        Expression::String(s) => hcl_edit::parser::parse_expr(s.as_str()).unwrap_or_else(|_| expr.clone()),
        Expression::Array(items) => {
            let mut array = hcl_edit::expr::Array::new();
            for item in items.iter() {
                array.push(reparse_strings(item));
            }
            Expression::Array(array)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nests_labels_as_object_keys() {
        let body =
            json_to_body(r#"{"resource": {"aws_vpc": {"main": {"cidr_block": "10.0.0.0/16"}}}}"#).expect("converts");
        let text = body.to_string();
        assert!(text.contains("resource"), "{text}");
        assert_eq!(body.blocks().count(), 1, "{text}");
    }
}
