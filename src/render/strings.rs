//! Primitive values, and the three ways Terraform prints a string: quoted on one line, as a
//! `<<-EOT` heredoc (with a line diff when it changes), or as `jsonencode(...)` with a structural
//! diff when it holds a JSON object or array.

use std::borrow::Cow;
use std::fmt::Write;

use similar::{DiffTag, TextDiff};
use slipway_core::path::AttrPath;
use slipway_core::render::quote;
use slipway_core::{Data, Value};

use super::diff::{Act, Diff, Differ, Node, parse_json};
use super::human::{Opts, Printer, pad};

/// Unchanged lines kept around each changed line of a multi-line string; longer unchanged runs
/// are counted instead of shown.
const CONTEXT_LINES: usize = 3;

/// A heredoc line as it can be printed safely: control characters other than tab are escaped, so
/// text from a remote system cannot move the cursor or change colours in the user's terminal.
fn visible(line: &str) -> Cow<'_, str> {
    if !line.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if c.is_control() && c != '\t' {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// How a string is shown.
enum Shown {
    Null,
    Simple(String),
    Json(Value),
    /// The text without surrounding blank space, as Terraform prints heredocs.
    Lines(String),
}

fn classify(v: Option<&Value>) -> Shown {
    let Some(s) = v.and_then(Value::as_str) else { return Shown::Null };
    if let Some(json) = v.and_then(parse_json) {
        return Shown::Json(json);
    }
    if s.contains('\n') { Shown::Lines(s.trim().to_string()) } else { Shown::Simple(s.to_string()) }
}

impl Printer {
    fn scalar(&self, v: Option<&Value>) -> String {
        match v.map(Value::data) {
            Some(Data::Bool(b)) => b.to_string(),
            Some(Data::Number(n)) => n.to_string(),
            Some(Data::String(s)) => quote(s),
            _ => self.pal.dim("null"),
        }
    }

    fn simple(&self, shown: &Shown) -> String {
        match shown {
            Shown::Simple(s) => quote(s),
            _ => self.pal.dim("null"),
        }
    }

    pub(super) fn primitive(
        &self,
        diff: &Diff,
        before: Option<&Value>,
        after: Option<&Value>,
        indent: usize,
        opts: Opts,
    ) -> String {
        let stringy = |v: Option<&Value>| v.is_none_or(|v| v.is_null() || v.as_str().is_some());
        if stringy(before) && stringy(after) && (before.or(after).is_some_and(|v| v.as_str().is_some())) {
            return self.string(diff, before, after, indent, opts);
        }
        let forces = self.forces(diff.replace, opts);
        match diff.act {
            Act::Create => format!("{}{forces}", self.scalar(after)),
            Act::Delete => format!("{}{}{forces}", self.scalar(before), self.null_suffix(diff.act, opts)),
            Act::NoOp => format!("{}{forces}", self.scalar(before)),
            Act::Update => format!("{} {} {}{forces}", self.scalar(before), self.arrow(), self.scalar(after)),
        }
    }

    fn string(&self, diff: &Diff, before: Option<&Value>, after: Option<&Value>, indent: usize, opts: Opts) -> String {
        let forces = self.forces(diff.replace, opts);
        let null = self.null_suffix(diff.act, opts);
        let lines = match diff.act {
            Act::Create | Act::NoOp => match classify(after) {
                Shown::Json(json) => {
                    let old = (diff.act == Act::NoOp).then(|| json.clone());
                    return self.json(diff, old, Some(json), indent, opts);
                }
                Shown::Lines(text) => self.plain_lines(&text, indent),
                simple => return format!("{}{forces}", self.simple(&simple)),
            },
            Act::Delete => match classify(before) {
                Shown::Null => return format!("{}{forces}", self.pal.dim("null")),
                Shown::Json(json) => return self.json(diff, Some(json), None, indent, opts),
                Shown::Lines(text) => self.plain_lines(&text, indent),
                simple => return format!("{}{null}{forces}", self.simple(&simple)),
            },
            Act::Update => match (classify(before), classify(after)) {
                (Shown::Json(old), Shown::Json(new)) => return self.json(diff, Some(old), Some(new), indent, opts),
                (Shown::Json(_), _) | (_, Shown::Json(_)) => {
                    // JSON on one side only: the whole old string, then the whole new one.
                    let old = Diff {
                        act: Act::Delete,
                        replace: false,
                        node: Node::Primitive { before: before.cloned(), after: None },
                    };
                    let new = Diff {
                        act: Act::Create,
                        replace: false,
                        node: Node::Primitive { before: None, after: after.cloned() },
                    };
                    let change = Diff {
                        act: diff.act,
                        replace: diff.replace,
                        node: Node::TypeChange(Box::new(old), Box::new(new)),
                    };
                    return self.render(&change, indent, opts);
                }
                (Shown::Lines(old), Shown::Lines(new)) => self.changed_lines(&old, &new, indent),
                (Shown::Lines(old), new) => self.changed_lines(&old, &self.raw(&new), indent),
                (old, Shown::Lines(new)) => self.changed_lines(&self.raw(&old), &new, indent),
                (old, new) => return format!("{} {} {}{forces}", self.simple(&old), self.arrow(), self.simple(&new)),
            },
        };
        format!("<<-EOT{forces}\n{lines}{}{}EOT{null}", pad(indent), self.symbol(Act::NoOp))
    }

    /// The text of a one-line side of a multi-line change.
    fn raw(&self, shown: &Shown) -> String {
        match shown {
            Shown::Simple(s) | Shown::Lines(s) => s.clone(),
            _ => String::new(),
        }
    }

    /// Every line of a heredoc that is created, deleted or unchanged as a whole.
    fn plain_lines(&self, text: &str, indent: usize) -> String {
        let mut out = String::new();
        for line in text.split('\n') {
            let _ = writeln!(out, "{}{}{}", pad(indent + 1), self.symbol(Act::NoOp), visible(line));
        }
        out
    }

    /// A line diff: changed lines marked `-` and `+`, a few unchanged lines of context around
    /// them, and a count for each longer run of unchanged lines.
    fn changed_lines(&self, old: &str, new: &str, indent: usize) -> String {
        let old_lines: Vec<&str> = old.split('\n').collect();
        let new_lines: Vec<&str> = new.split('\n').collect();
        let text_diff = TextDiff::from_slices(&old_lines, &new_lines);
        let mut out = String::new();
        let mut shown_up_to = 0;
        let line = |out: &mut String, act: Act, text: &str| {
            let _ = writeln!(out, "{}{}{}", pad(indent + 1), self.symbol(act), visible(text));
        };
        let hidden = |out: &mut String, count: usize| {
            if count > 0 {
                let plural = if count == 1 { "" } else { "s" };
                let text = self.pal.dim(&format!("# ({count} unchanged line{plural} hidden)"));
                let _ = writeln!(out, "{}{}{text}", pad(indent + 1), self.symbol(Act::NoOp));
            }
        };
        for group in text_diff.grouped_ops(CONTEXT_LINES) {
            for op in group {
                let (tag, old_range, new_range) = op.as_tag_tuple();
                hidden(&mut out, old_range.start.saturating_sub(shown_up_to));
                shown_up_to = shown_up_to.max(old_range.end);
                match tag {
                    DiffTag::Equal => old_lines[old_range].iter().for_each(|l| line(&mut out, Act::NoOp, l)),
                    DiffTag::Delete => old_lines[old_range].iter().for_each(|l| line(&mut out, Act::Delete, l)),
                    DiffTag::Insert => new_lines[new_range].iter().for_each(|l| line(&mut out, Act::Create, l)),
                    DiffTag::Replace => {
                        old_lines[old_range].iter().for_each(|l| line(&mut out, Act::Delete, l));
                        new_lines[new_range].iter().for_each(|l| line(&mut out, Act::Create, l));
                    }
                }
            }
        }
        hidden(&mut out, old_lines.len().saturating_sub(shown_up_to));
        out
    }

    /// `jsonencode(...)` around the structural diff of the decoded JSON. Inside it a created or
    /// deleted document shows no `+`/`-` of its own: the attribute's symbol already says so.
    fn json(&self, diff: &Diff, old: Option<Value>, new: Option<Value>, indent: usize, opts: Opts) -> String {
        let inner = Differ::dynamic().value(old.as_ref(), new.as_ref(), &AttrPath::root());
        let rendered = self.render(&inner, indent + 1, Opts { no_null_suffix: true, ..opts.child() });
        let forces = self.forces(diff.replace, opts);
        let act = if matches!(diff.act, Act::Create | Act::Delete) { Act::NoOp } else { diff.act };
        if rendered.contains('\n') {
            format!(
                "jsonencode(\n{}{}{rendered}{forces}\n{}{}){}",
                pad(indent + 1),
                self.symbol(act),
                pad(indent),
                self.symbol(Act::NoOp),
                self.null_suffix(diff.act, opts)
            )
        } else {
            format!("jsonencode({rendered}){forces}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(visible("plain\ttext"), "plain\ttext");
        assert_eq!(visible("red \u{1b}[31m"), "red \\u001b[31m");
    }
}
