//! Prints a [`Diff`] as Terraform's plan does: four spaces per level, a three-character action
//! symbol, names padded to the longest in their block, unchanged parts counted instead of shown,
//! `-> null` where something goes away and `# forces replacement` where it replaces the resource.

use std::collections::BTreeMap;
use std::fmt::Write;

use slipway_core::render::quote;

use super::diff::{Act, Body, Diff, Node};
use super::palette::Palette;

/// Attributes Terraform shows even when unchanged, because they say which object this is.
const IDENTIFYING: [&str; 3] = ["id", "name", "tags"];

/// How one part is printed; set by the part that contains it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opts {
    /// Print unchanged children instead of counting them (imports show everything).
    pub show_unchanged: bool,
    /// Leave out `-> null` (inside something that is itself deleted or replaced by a value).
    pub no_null_suffix: bool,
    /// Add `# forces replacement` though the part itself does not say so; one level only.
    pub force_replace: bool,
    /// Leave out `# forces replacement` though the part says so; one level only.
    pub forbid_replace: bool,
}

impl Opts {
    /// What children inherit: the replacement overrides apply to one level only.
    pub fn child(self) -> Opts {
        Opts { force_replace: false, forbid_replace: false, ..self }
    }
}

pub struct Printer {
    pub pal: Palette,
}

/// Indentation for a nesting level.
pub fn pad(level: usize) -> String {
    "    ".repeat(level)
}

/// An attribute name as HCL would accept it: bare when it is an identifier, quoted otherwise.
pub fn attr_name(name: &str) -> String {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if valid { name.to_string() } else { quote(name) }
}

impl Printer {
    /// The three-character symbol of a nested action, followed by a space.
    pub fn symbol(&self, act: Act) -> String {
        match act {
            Act::NoOp => "    ".to_string(),
            Act::Create => format!("  {} ", self.pal.green("+")),
            Act::Update => format!("  {} ", self.pal.yellow("~")),
            Act::Delete => format!("  {} ", self.pal.red("-")),
        }
    }

    pub fn null_suffix(&self, act: Act, opts: Opts) -> String {
        if act == Act::Delete && !opts.no_null_suffix { format!(" {}", self.pal.dim("-> null")) } else { String::new() }
    }

    pub fn forces(&self, replace: bool, opts: Opts) -> String {
        if (replace || opts.force_replace) && !opts.forbid_replace {
            format!(" {}", self.pal.red("# forces replacement"))
        } else {
            String::new()
        }
    }

    pub fn arrow(&self) -> String {
        self.pal.yellow("->")
    }

    /// `# (3 unchanged attributes hidden)`, at the position of a child.
    fn hidden(&self, out: &mut String, indent: usize, what: &str, count: usize) {
        if count > 0 {
            let plural = if count == 1 { "" } else { "s" };
            let text = self.pal.dim(&format!("# ({count} unchanged {what}{plural} hidden)"));
            let _ = writeln!(out, "{}{}{text}", pad(indent + 1), self.symbol(Act::NoOp));
        }
    }

    /// The part as it follows `name = ` (or a list's symbol); lines after the first are indented
    /// for nesting level `indent`.
    pub fn render(&self, diff: &Diff, indent: usize, opts: Opts) -> String {
        let forces = self.forces(diff.replace, opts);
        let null = self.null_suffix(diff.act, opts);
        match &diff.node {
            Node::Primitive { before, after } => self.primitive(diff, before.as_ref(), after.as_ref(), indent, opts),
            Node::Unknown { before: Some(before) } if diff.act != Act::Create => {
                let before_opts = Opts { no_null_suffix: true, forbid_replace: diff.replace, ..opts.child() };
                format!("{} -> (known after apply){forces}", self.render(before, indent, before_opts))
            }
            Node::Unknown { .. } => format!("(known after apply){forces}"),
            Node::Sensitive { .. } => format!("(sensitive value){null}{forces}"),
            Node::SensitiveBlock { .. } => {
                let prefix = format!("{}{}", pad(indent), self.symbol(Act::NoOp));
                format!(
                    "{{{forces}\n{prefix}  # At least one attribute in this block is (or was) sensitive,\n{prefix}  # so its contents will not be displayed.\n{prefix}}}"
                )
            }
            Node::Object(attrs) => self.object(diff, attrs, indent, opts),
            Node::Map(entries) => self.map(diff, entries, indent, opts),
            Node::List(items) => self.list(diff, items, indent, opts),
            Node::Set(items) => self.set(diff, items, indent, opts),
            Node::Block(body) => self.block(diff, body, indent, opts),
            Node::TypeChange(before, after) => {
                let inner = Opts { no_null_suffix: true, ..opts };
                format!("{} {} {}", self.render(before, indent, inner), self.arrow(), self.render(after, indent, inner))
            }
        }
    }

    /// Warnings printed above a part whose sensitivity changes.
    fn warnings(&self, out: &mut String, diff: &Diff, indent: usize) {
        let (before, after, inner, what) = match diff.node {
            Node::Sensitive { before, after, inner } => (before, after, inner, "attribute value"),
            Node::SensitiveBlock { before, after, inner } => (before, after, inner, "block"),
            _ => return,
        };
        if before == after || matches!(inner, Act::Create | Act::Delete) {
            return;
        }
        let warning = self.pal.yellow("Warning");
        let next = pad(indent);
        let mut text = if before {
            format!(
                "  # {warning}: this {what} will no longer be marked as sensitive\n{next}  # after applying this change."
            )
        } else {
            format!(
                "  # {warning}: this {what} will be marked as sensitive and will not\n{next}  # display in UI output after applying this change."
            )
        };
        if inner == Act::NoOp && what != "block" {
            text.push_str(" The value is unchanged.");
        }
        let _ = writeln!(out, "{next}{text}");
    }

    fn object(&self, diff: &Diff, attrs: &BTreeMap<String, Diff>, indent: usize, opts: Opts) -> String {
        let forces = self.forces(diff.replace, opts);
        let null = self.null_suffix(diff.act, opts);
        if attrs.is_empty() {
            return format!("{{}}{null}{forces}");
        }
        let child = Opts { no_null_suffix: true, ..opts.child() };
        let mut out = format!("{{{forces}\n");
        let hidden = self.attributes(&mut out, attrs, indent, opts, child);
        self.hidden(&mut out, indent, "attribute", hidden);
        let _ = write!(out, "{}{}}}{null}", pad(indent), self.symbol(Act::NoOp));
        out
    }

    /// Writes `name = value` lines, names padded to the longest; returns how many were hidden.
    fn attributes(
        &self,
        out: &mut String,
        attrs: &BTreeMap<String, Diff>,
        indent: usize,
        opts: Opts,
        child: Opts,
    ) -> usize {
        let width = attrs.keys().map(|k| attr_name(k).chars().count()).max().unwrap_or(0);
        let mut hidden = 0;
        for (key, attr) in attrs {
            let attr_opts = if IDENTIFYING.contains(&key.as_str()) {
                Opts { show_unchanged: true, ..child }
            } else if attr.act == Act::NoOp && !opts.show_unchanged {
                hidden += 1;
                continue;
            } else {
                child
            };
            self.warnings(out, attr, indent + 1);
            let value = self.render(attr, indent + 1, attr_opts);
            let _ = writeln!(out, "{}{}{:<width$} = {value}", pad(indent + 1), self.symbol(attr.act), attr_name(key));
        }
        hidden
    }

    fn map(&self, diff: &Diff, entries: &BTreeMap<String, Diff>, indent: usize, opts: Opts) -> String {
        let forces = self.forces(diff.replace, opts);
        let null = self.null_suffix(diff.act, opts);
        if entries.is_empty() {
            return format!("{{}}{null}{forces}");
        }
        let width = entries.keys().map(|k| quote(k).chars().count()).max().unwrap_or(0);
        let child = Opts { no_null_suffix: diff.act == Act::Delete, ..opts.child() };
        let mut out = format!("{{{forces}\n");
        let mut hidden = 0;
        for (key, entry) in entries {
            if entry.act == Act::NoOp && !opts.show_unchanged {
                hidden += 1;
                continue;
            }
            self.warnings(&mut out, entry, indent + 1);
            // Only objects inside a map are followed by a comma, as in Terraform.
            let comma = if matches!(entry.node, Node::Object(_)) { "," } else { "" };
            let value = self.render(entry, indent + 1, child);
            let _ =
                writeln!(out, "{}{}{:<width$} = {value}{comma}", pad(indent + 1), self.symbol(entry.act), quote(key));
        }
        self.hidden(&mut out, indent, "element", hidden);
        let _ = write!(out, "{}{}}}{null}", pad(indent), self.symbol(Act::NoOp));
        out
    }

    /// A list: each change is shown with the unchanged element just before and just after it,
    /// so the reader can tell where in the list it happens.
    fn list(&self, diff: &Diff, items: &[Diff], indent: usize, opts: Opts) -> String {
        let forces = self.forces(diff.replace, opts);
        let null = self.null_suffix(diff.act, opts);
        if items.is_empty() {
            return format!("[]{null}{forces}");
        }
        let changed_opts = Opts { no_null_suffix: true, ..opts.child() };
        let unchanged_opts = Opts { show_unchanged: true, ..opts.child() };
        let mut out = format!("[{forces}\n");
        let mut skipped: Vec<&Diff> = Vec::new();
        let mut show_next = false;
        for item in items {
            if item.act == Act::NoOp && !show_next && !opts.show_unchanged {
                skipped.push(item);
                continue;
            }
            show_next = false;
            if let Some((last, earlier)) = skipped.split_last() {
                self.hidden(&mut out, indent, "element", earlier.len());
                self.element(&mut out, last, indent, unchanged_opts);
            }
            skipped.clear();
            let item_opts = if item.act == Act::NoOp {
                unchanged_opts
            } else {
                show_next = true;
                changed_opts
            };
            self.element(&mut out, item, indent, item_opts);
        }
        self.hidden(&mut out, indent, "element", skipped.len());
        let _ = write!(out, "{}{}]{null}", pad(indent), self.symbol(Act::NoOp));
        out
    }

    fn set(&self, diff: &Diff, items: &[Diff], indent: usize, opts: Opts) -> String {
        let forces = self.forces(diff.replace, opts);
        let null = self.null_suffix(diff.act, opts);
        if items.is_empty() {
            return format!("[]{null}{forces}");
        }
        let child = Opts { no_null_suffix: true, ..opts.child() };
        let mut out = format!("[{forces}\n");
        let mut hidden = 0;
        for item in items {
            if item.act == Act::NoOp && !opts.show_unchanged {
                hidden += 1;
                continue;
            }
            self.element(&mut out, item, indent, child);
        }
        self.hidden(&mut out, indent, "element", hidden);
        let _ = write!(out, "{}{}]{null}", pad(indent), self.symbol(Act::NoOp));
        out
    }

    /// One element of a list or set, `+ value,`, after any warning about it.
    fn element(&self, out: &mut String, item: &Diff, indent: usize, opts: Opts) {
        self.warnings(out, item, indent + 1);
        let value = self.render(item, indent + 1, opts);
        let _ = writeln!(out, "{}{}{value},", pad(indent + 1), self.symbol(item.act));
    }

    /// A resource or nested block: attributes, then each nested block type after a blank line.
    fn block(&self, diff: &Diff, body: &Body, indent: usize, opts: Opts) -> String {
        let forces = self.forces(diff.replace, opts);
        if body.attributes.is_empty() && body.blocks.is_empty() {
            return format!("{{}}{forces}");
        }
        let mut out = format!("{{{forces}\n");
        let hidden = self.attributes(&mut out, &body.attributes, indent, opts, opts.child());
        self.hidden(&mut out, indent, "attribute", hidden);
        let mut hidden_blocks = 0;
        for group in &body.blocks {
            let mut first = true;
            for item in &group.items {
                if item.act == Act::NoOp && !opts.show_unchanged {
                    hidden_blocks += 1;
                    continue;
                }
                if first && !body.attributes.is_empty() {
                    out.push('\n');
                }
                first = false;
                let item_opts = Opts { force_replace: group.replace, ..opts.child() };
                self.warnings(&mut out, item, indent + 1);
                let value = self.render(item, indent + 1, item_opts);
                let name = attr_name(&group.name);
                let _ = writeln!(out, "{}{}{name} {value}", pad(indent + 1), self.symbol(item.act));
            }
        }
        if hidden_blocks > 0 {
            out.push('\n');
            self.hidden(&mut out, indent, "block", hidden_blocks);
        }
        let _ = write!(out, "{}{}}}", pad(indent), self.symbol(Act::NoOp));
        out
    }
}
