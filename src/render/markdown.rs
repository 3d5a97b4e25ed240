//! The plan as Markdown for a pull-request comment: a table of counts per action, then what is
//! destroyed or replaced (the part a reviewer must not miss), then each change in a collapsible
//! `<details>` block. The result stays under a size limit (GitHub refuses comments over 65,536
//! characters) by leaving out details, never the summary: the last line says how many were left
//! out and how to see them.

use std::fmt::Write;

use slipway_engine::plan::{Action, ActionReason, Plan, ResourceChange};

use super::plan::{Schemas, render_change, shown_changes, summary};

/// GitHub's comment limit, less room for whatever a workflow puts around the plan.
pub const DEFAULT_LIMIT: usize = 65_000;

/// The plan as Markdown of at most `limit` characters: the title and the counts always, as many
/// of the destroys and replacements as fit, then as many changes' details as fit.
pub fn plan_to_markdown(plan: &Plan, schemas: &Schemas, limit: usize) -> String {
    let changes = shown_changes(plan);
    let mut head = String::new();
    let title = if plan.diagnostics.has_errors() {
        "Planning failed".to_string()
    } else if !plan.has_changes() {
        "No changes".to_string()
    } else {
        summary(&changes).trim_end_matches('.').to_string()
    };
    let _ = writeln!(head, "### Slipway plan: {title}\n");
    counts_table(&mut head, &changes);
    for line in super::plan::deferred_lines(plan) {
        let _ = writeln!(head, "> {line}\n");
    }
    dangerous(&mut head, &changes, limit);
    noted(&mut head, &changes, limit);

    let footer_room = 200;
    let mut body = String::new();
    let mut left_out = 0;
    for (i, change) in changes.iter().enumerate() {
        let block = details(plan, schemas, change);
        if head.chars().count() + body.chars().count() + block.chars().count() + footer_room > limit {
            left_out = changes.len() - i;
            break;
        }
        body.push_str(&block);
    }
    let mut out = head;
    if !body.is_empty() {
        out.push_str("\n#### Changes\n\n");
        out.push_str(&body);
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n_The details of {left_out} more change{} are left out to keep this under {limit} characters; `slipway show PLANFILE` prints the whole plan._",
            if left_out == 1 { "" } else { "s" }
        );
    }
    out
}

fn counts_table(out: &mut String, changes: &[&ResourceChange]) {
    let count = |f: &dyn Fn(&ResourceChange) -> bool| changes.iter().filter(|c| f(c)).count();
    let rows = [
        ("Create", count(&|c| c.action == Action::Create)),
        ("Update in place", count(&|c| c.action == Action::Update)),
        ("Replace", count(&|c| c.action.is_replace())),
        ("Destroy", count(&|c| c.action == Action::Delete)),
        ("Import", count(&|c| c.importing.is_some())),
        ("Forget", count(&|c| c.action == Action::Forget)),
        ("Read", count(&|c| c.action == Action::Read)),
    ];
    out.push_str("| Action | Resources |\n|---|---:|\n");
    for (name, n) in rows {
        if n > 0 || matches!(name, "Create" | "Update in place" | "Replace" | "Destroy") {
            let _ = writeln!(out, "| {name} | {n} |");
        }
    }
}

/// Destroys and replacements, listed by address before anything else: all of them unless the
/// list alone would not fit in `limit`, then as many as fit and how many more there are.
fn dangerous(out: &mut String, changes: &[&ResourceChange], limit: usize) {
    let risky: Vec<&&ResourceChange> =
        changes.iter().filter(|c| c.action == Action::Delete || c.action.is_replace()).collect();
    if risky.is_empty() {
        return;
    }
    out.push_str("\n**Destroyed or replaced:**\n\n");
    let total = risky.len();
    for (listed, c) in risky.into_iter().enumerate() {
        if out.chars().count() + 300 > limit {
            let _ = writeln!(out, "- _and {} more: `slipway show PLANFILE` lists them all_", total - listed);
            break;
        }
        let what = if c.action.is_replace() { "replaced" } else { "destroyed" };
        let why = match c.reason {
            ActionReason::ReplaceByRequest => " (as requested with -replace)".to_string(),
            ActionReason::ReplaceBecauseTainted => " (tainted)".to_string(),
            ActionReason::ReplaceByTriggers => " (replace_triggered_by)".to_string(),
            ActionReason::DeleteBecauseNoResourceConfig | ActionReason::DeleteBecauseNoModule => {
                " (no longer in the configuration)".to_string()
            }
            ActionReason::DeleteBecauseCountIndex | ActionReason::DeleteBecauseEachKey => {
                " (no longer in count or for_each)".to_string()
            }
            _ if !c.requires_replace.is_empty() => {
                let paths: Vec<String> = c.requires_replace.iter().map(|p| format!("`{p}`")).collect();
                format!(" ({} forces replacement)", paths.join(", "))
            }
            _ => String::new(),
        };
        let _ = writeln!(out, "- `{}` {what}{why}", c.addr);
    }
}

/// Updates that do more than their attributes show (a group whose instances roll), with the
/// provider's words: a reviewer should not have to open the details to learn of them.
fn noted(out: &mut String, changes: &[&ResourceChange], limit: usize) {
    let noted: Vec<&&ResourceChange> = changes.iter().filter(|c| !c.notes.is_empty()).collect();
    if noted.is_empty() {
        return;
    }
    out.push_str("\n**Updated in place, and more:**\n\n");
    let total = noted.len();
    for (listed, c) in noted.into_iter().enumerate() {
        if out.chars().count() + 300 > limit {
            let _ = writeln!(out, "- _and {} more: `slipway show PLANFILE` lists them all_", total - listed);
            break;
        }
        let _ = writeln!(out, "- `{}`: {}", c.addr, html_escape(&c.notes.join("; ")));
    }
}

fn details(plan: &Plan, schemas: &Schemas, change: &ResourceChange) -> String {
    let symbol = match change.action {
        Action::Create => "+",
        Action::Update => "~",
        Action::Delete => "-",
        Action::DeleteThenCreate => "-/+",
        Action::CreateThenDelete => "+/-",
        Action::Read => "<=",
        Action::Forget => ".",
        Action::NoOp => " ",
    };
    let text = diff_lines(&render_change(plan, schemas, change));
    // A fence longer than any backtick run inside, so that values cannot close it.
    let longest = text.split(|ch| ch != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "<details><summary><code>{symbol} {}</code></summary>\n\n{fence}diff\n{}\n{fence}\n\n</details>\n",
        html_escape(&change.addr.to_string()),
        text.trim_end()
    )
}

/// The human rendering with each line's change symbol moved to the first column, where a
/// `diff` code block colours it (`~` becomes `!`, which diff highlighting leaves neutral).
fn diff_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        let rest = &line[indent..];
        let symbol = ["-/+", "+/-", "<=", "+", "-", "~"]
            .into_iter()
            .find(|s| rest.strip_prefix(s).is_some_and(|after| after.is_empty() || after.starts_with(' ')));
        match symbol {
            Some(s) => {
                let shown = match s {
                    "~" => "!",
                    "-/+" | "+/-" => "!",
                    "<=" => " ",
                    other => other,
                };
                let _ = writeln!(out, "{shown}{}{}", " ".repeat(indent + s.len()), &rest[s.len()..]);
            }
            None => {
                let _ = writeln!(out, " {line}");
            }
        }
    }
    out
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
