//! Values printed in the Terraform language, as `terraform console` prints them: `tolist([...])`,
//! `tomap({...})`, heredocs for multi-line strings, `(known after apply)` and `(sensitive value)`.

use std::fmt::Write;

use crate::value::{Data, Value};

/// Whether sensitive values are shown or replaced by `(sensitive value)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Redaction {
    Redact,
    Reveal,
}

/// The value as an HCL expression, indented by two spaces per level.
pub fn render_value(value: &Value, redaction: Redaction) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0, redaction);
    out
}

fn write_value(out: &mut String, value: &Value, indent: usize, redaction: Redaction) {
    if value.is_sensitive() && redaction == Redaction::Redact {
        out.push_str("(sensitive value)");
        return;
    }
    match value.data() {
        Data::Null(_) => out.push_str("null"),
        Data::Unknown(_) => out.push_str("(known after apply)"),
        Data::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Data::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Data::String(s) => write_string(out, s, indent),
        Data::List(_, items) => write_sequence(out, "tolist(", items, ")", indent, redaction),
        Data::Set(_, items) => write_sequence(out, "toset(", items, ")", indent, redaction),
        Data::Tuple(items) => write_sequence(out, "", items, "", indent, redaction),
        Data::Map(_, entries) => write_mapping(out, "tomap(", entries, ")", indent, redaction),
        Data::Object(entries) => write_mapping(out, "", entries, "", indent, redaction),
    }
}

fn write_sequence(out: &mut String, open: &str, items: &[Value], close: &str, indent: usize, r: Redaction) {
    out.push_str(open);
    if items.is_empty() {
        out.push_str("[]");
    } else {
        out.push_str("[\n");
        for item in items {
            push_indent(out, indent + 1);
            write_value(out, item, indent + 1, r);
            out.push_str(",\n");
        }
        push_indent(out, indent);
        out.push(']');
    }
    out.push_str(close);
}

fn write_mapping(
    out: &mut String,
    open: &str,
    entries: &std::collections::BTreeMap<String, Value>,
    close: &str,
    indent: usize,
    r: Redaction,
) {
    out.push_str(open);
    if entries.is_empty() {
        out.push_str("{}");
    } else {
        out.push_str("{\n");
        let width = entries.keys().map(|k| quote(k).chars().count()).max().unwrap_or(0);
        for (key, item) in entries {
            push_indent(out, indent + 1);
            let quoted = quote(key);
            let pad = width - quoted.chars().count();
            let _ = write!(out, "{quoted}{} = ", " ".repeat(pad));
            write_value(out, item, indent + 1, r);
            out.push('\n');
        }
        push_indent(out, indent);
        out.push('}');
    }
    out.push_str(close);
}

fn write_string(out: &mut String, s: &str, indent: usize) {
    if s.contains('\n') && s.len() > 1 {
        out.push_str("<<-EOT\n");
        for line in s.strip_suffix('\n').unwrap_or(s).split('\n') {
            push_indent(out, indent + 1);
            out.push_str(line);
            out.push('\n');
        }
        push_indent(out, indent);
        out.push_str("EOT");
        if !s.ends_with('\n') {
            // A heredoc always ends in a newline; say so when the string does not.
            out.push_str(" # (no trailing newline)");
        }
    } else {
        out.push_str(&quote(s));
    }
}

/// A string literal in HCL syntax, with `${` and `%{` escaped so it reads back as the same text.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Type;

    #[test]
    fn renders_like_terraform_console() {
        let v = Value::object_from([
            ("name", Value::string("web")),
            ("ports", Value::list(Type::Number, vec![Value::int(80), Value::int(443)])),
            ("id", Value::unknown(Type::String)),
            ("secret", Value::string("hunter2").mark_sensitive()),
        ]);
        let expected = "{\n  \"id\"     = (known after apply)\n  \"name\"   = \"web\"\n  \"ports\"  = tolist([\n    80,\n    443,\n  ])\n  \"secret\" = (sensitive value)\n}";
        assert_eq!(render_value(&v, Redaction::Redact), expected);
    }

    #[test]
    fn quotes_template_sequences() {
        assert_eq!(quote("${x} \"y\""), "\"$${x} \\\"y\\\"\"");
    }
}
