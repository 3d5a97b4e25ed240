//! The human plan: what `slipway plan` prints, laid out as Terraform 1.x lays it out. Changes
//! made outside slipway, the legend of the symbols in use, one block per changed instance, the
//! summary line and the output changes, or the sentence that says there is nothing to do.

use std::collections::BTreeMap;
use std::fmt::Write;

use slipway_core::address::ResourceMode;
use slipway_core::path::AttrPath;
use slipway_core::render::quote;
use slipway_core::schema::{BlockSchema, ProviderSchema};
use slipway_engine::plan::{Action, ActionReason, OutputChange, Plan, PlanMode, ResourceChange};

use super::diff::{Act, Diff, Differ, Node, Shape};
use super::human::{Opts, Printer, attr_name};
use super::palette::Palette;

/// Provider schemas by provider name (`aws`, `null`): they tell nested blocks from attributes.
pub type Schemas = BTreeMap<String, ProviderSchema>;

/// Where prose is wrapped, as Terraform wraps it when it does not know the terminal's width.
const WIDTH: usize = 78;

/// The plan as Terraform prints it, without provider schemas: objects and lists of objects are
/// shown as nested blocks.
#[cfg(test)]
pub fn render_plan(plan: &Plan, color: bool) -> String {
    render_plan_with_schemas(plan, &Schemas::new(), color)
}

/// The plan as Terraform prints it, with the providers' schemas telling nested blocks from
/// attributes whose values are objects.
pub fn render_plan_with_schemas(plan: &Plan, schemas: &Schemas, color: bool) -> String {
    PlanView { plan, schemas, printer: Printer { pal: Palette::new(color) } }.render()
}

/// One planned change as the human plan shows it (comment line and body), for renderers that
/// lay changes out differently (the Markdown summary).
pub fn render_change(plan: &Plan, schemas: &Schemas, change: &ResourceChange) -> String {
    PlanView { plan, schemas, printer: Printer { pal: Palette::new(false) } }.resource(change, Cause::Planned)
}

/// The changes a plan shows, in its order.
pub fn shown_changes(plan: &Plan) -> Vec<&ResourceChange> {
    plan.changes.iter().filter(|c| is_shown(c)).collect()
}

/// Whether a change is explained by a `# (...)` comment and a body, or is not shown at all.
fn is_shown(change: &ResourceChange) -> bool {
    if change.action == Action::NoOp && !moved(change) && change.importing.is_none() {
        return false;
    }
    // Data sources are deleted from state as a matter of course; users need not see it.
    !(change.action == Action::Delete && change.addr.resource.mode == ResourceMode::Data)
}

fn moved(change: &ResourceChange) -> bool {
    change.prev_addr.as_ref().is_some_and(|prev| *prev != change.addr)
}

/// Which kind of list a change is shown in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cause {
    Planned,
    Drift,
}

struct PlanView<'a> {
    plan: &'a Plan,
    schemas: &'a Schemas,
    printer: Printer,
}

impl PlanView<'_> {
    fn pal(&self) -> Palette {
        self.printer.pal
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let drift_shown = self.drift(&mut out);
        let changes: Vec<&ResourceChange> = self.plan.changes.iter().filter(|c| is_shown(c)).collect();
        let acting: Vec<Action> = changes.iter().map(|c| c.action).filter(|a| *a != Action::NoOp).collect();
        let outputs = self.outputs();
        let errored = self.plan.diagnostics.has_errors();

        if changes.is_empty() && outputs.is_empty() {
            self.no_changes(&mut out, drift_shown, errored);
            return out;
        }
        if drift_shown {
            out.push_str(&self.rule());
            out.push('\n');
        }
        if !acting.is_empty() {
            out.push_str(&wrap(
                "\nSlipway used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:",
            ));
            out.push('\n');
            self.legend(&mut out, &acting);
        }
        if !changes.is_empty() {
            out.push_str(if errored {
                "\nSlipway planned the following actions, but then encountered a problem:\n"
            } else {
                "\nSlipway will perform the following actions:\n"
            });
            for change in &changes {
                let _ = write!(out, "\n{}\n", self.resource(change, Cause::Planned));
            }
            let _ = write!(out, "\n{} {}\n", self.pal().bold("Plan:"), summary(&changes));
            for line in deferred_lines(self.plan) {
                let _ = write!(out, "\n{}\n", wrap(&line));
            }
        }
        if !outputs.is_empty() {
            let _ = write!(out, "\nChanges to Outputs:\n{outputs}\n");
            if acting.is_empty() {
                out.push_str(&wrap(
                    "\nYou can apply this plan to save these new output values to the Slipway state, without changing any real infrastructure.",
                ));
                out.push('\n');
            }
        }
        out
    }

    fn no_changes(&self, out: &mut String, drift_shown: bool, errored: bool) {
        let pal = self.pal();
        let rule = if drift_shown { format!("{}\n", self.rule()) } else { String::new() };
        let headline = |first: &str, rest: &str| format!("\n{}{}\n\n", pal.bold_green(first), pal.bold(rest));
        if errored {
            out.push_str(&rule);
            let _ = write!(
                out,
                "\n{}{}\n\n",
                pal.bold_red("Planning failed."),
                pal.bold(" Slipway encountered an error while generating this plan.")
            );
            return;
        }
        match self.plan.mode {
            // The drift shown above already says what applying would record.
            PlanMode::RefreshOnly if drift_shown => {}
            PlanMode::RefreshOnly => {
                out.push_str(&headline("No changes.", " Your infrastructure still matches the configuration."));
                out.push_str(&wrap("Slipway has checked that the real remote objects still match the result of your most recent changes, and found no differences."));
                out.push('\n');
            }
            PlanMode::Destroy => {
                out.push_str(&rule);
                out.push_str(&headline("No changes.", " No objects need to be destroyed."));
                out.push_str(&wrap("Either you have not created any objects yet or the existing objects were already deleted outside of Slipway."));
                out.push('\n');
            }
            PlanMode::Normal => {
                out.push_str(&rule);
                out.push_str(&headline("No changes.", " Your infrastructure matches the configuration."));
                out.push_str(&wrap(if drift_shown {
                    "Your configuration already matches the changes detected above, so applying this plan will only update the state to include the changes detected above and won't change any real infrastructure."
                } else {
                    "Slipway has compared your real infrastructure against your configuration and found no differences, so no changes are needed."
                }));
                out.push('\n');
            }
        }
    }

    /// A horizontal rule between the drift and the plan, after a blank line.
    fn rule(&self) -> String {
        format!("\n{}", self.pal().dim(&"─".repeat(WIDTH - 1)))
    }

    /// One line per kind of action in the plan, in Terraform's order.
    fn legend(&self, out: &mut String, acting: &[Action]) {
        let pal = self.pal();
        let lines = [
            (Action::Create, format!("  {} create", pal.green("+"))),
            (Action::Update, format!("  {} update in-place", pal.yellow("~"))),
            (Action::Delete, format!("  {} destroy", pal.red("-"))),
            (
                Action::DeleteThenCreate,
                format!("{}/{} destroy and then create replacement", pal.red("-"), pal.green("+")),
            ),
            (
                Action::CreateThenDelete,
                format!("{}/{} create replacement and then destroy", pal.green("+"), pal.red("-")),
            ),
            (Action::Read, format!(" {} read (data resources)", pal.cyan("<="))),
            (Action::Forget, format!(" {} forget (remove from state, keep the object)", pal.red("."))),
        ];
        for (action, line) in lines {
            if acting.contains(&action) {
                let _ = writeln!(out, "{line}");
            }
        }
    }

    /// "Objects have changed outside of Slipway", when refresh found differences that matter
    /// to this plan; returns whether anything was written.
    fn drift(&self, out: &mut String) -> bool {
        let refresh_only = self.plan.mode == PlanMode::RefreshOnly;
        let drifted: Vec<&ResourceChange> = self
            .plan
            .drift
            .iter()
            .filter(|d| refresh_only || d.action != Action::NoOp)
            .filter(|d| d.action != Action::NoOp || moved(d))
            .collect();
        if drifted.is_empty() {
            return false;
        }
        let anything_planned = self.plan.changes.iter().any(|c| c.action != Action::NoOp || moved(c))
            || self.plan.outputs.values().any(|o| self.output_diff(o).act != Act::NoOp);
        if !anything_planned && !refresh_only {
            return false;
        }
        let pal = self.pal();
        let _ = write!(out, "\n{}{}\n\n", pal.bold_cyan("Note:"), pal.bold(" Objects have changed outside of Slipway"));
        out.push_str(&wrap(
            "Slipway detected the following changes made outside of Slipway since the last \"slipway apply\" which may have affected this plan:\n",
        ));
        for change in drifted {
            let _ = write!(out, "\n{}\n", self.resource(change, Cause::Drift));
        }
        out.push_str(&wrap(if refresh_only {
            "\n\nThis is a refresh-only plan, so Slipway will not take any actions to undo these. If you were expecting these changes then you can apply this plan to record the updated values in the Slipway state without changing any remote objects."
        } else {
            "\n\nUnless you have made equivalent changes to your configuration, or ignored the relevant attributes using ignore_changes, the following plan may include actions to undo or respond to these changes."
        }));
        out.push('\n');
        true
    }

    /// The `# ...` comment and the `resource "type" "name" { ... }` body of one change.
    fn resource(&self, change: &ResourceChange, cause: Cause) -> String {
        let mut out = self.comment(change, cause);
        let mode = match change.addr.resource.mode {
            ResourceMode::Managed => "resource",
            ResourceMode::Data => "data",
        };
        let header = format!("{mode} {} {}", quote(&change.addr.resource.type_name), quote(&change.addr.resource.name));
        let body = self.body(change);
        let opts = Opts { show_unchanged: change.importing.is_some(), ..Opts::default() };
        let _ = write!(out, "{} {header} {}", self.action_symbol(change.action), self.printer.render(&body, 0, opts));
        out
    }

    fn body(&self, change: &ResourceChange) -> Diff {
        let schema = self.schema(change);
        let shape = schema.map_or(Shape::Inferred, Shape::Schema);
        let differ = Differ::resource(&change.requires_replace);
        let root = AttrPath::root();
        match change.action {
            // Forgetting changes nothing about the object; it is shown as it is.
            Action::Forget => differ.block(change.before.as_ref(), change.before.as_ref(), shape, &root),
            _ => differ.block(change.before.as_ref(), change.after.as_ref(), shape, &root),
        }
    }

    fn schema(&self, change: &ResourceChange) -> Option<&BlockSchema> {
        let schema = self.schemas.get(&change.provider.name)?;
        let types = match change.addr.resource.mode {
            ResourceMode::Managed => &schema.resources,
            ResourceMode::Data => &schema.data_sources,
        };
        types.get(&change.addr.resource.type_name).map(|r| &r.block)
    }

    fn action_symbol(&self, action: Action) -> String {
        let pal = self.pal();
        match action {
            Action::NoOp => "   ".to_string(),
            Action::Read => format!(" {}", pal.cyan("<=")),
            Action::Create => format!("  {}", pal.green("+")),
            Action::Update => format!("  {}", pal.yellow("~")),
            Action::DeleteThenCreate => format!("{}/{}", pal.red("-"), pal.green("+")),
            Action::CreateThenDelete => format!("{}/{}", pal.green("+"), pal.red("-")),
            Action::Delete => format!("  {}", pal.red("-")),
            Action::Forget => format!(" {}", pal.red(".")),
        }
    }

    /// What happens and why, in `#` lines above the body.
    fn comment(&self, change: &ResourceChange, cause: Cause) -> String {
        let pal = self.pal();
        let addr = change.addr.to_string();
        let head = pal.bold(&format!("  # {addr}"));
        let replaced = pal.bold_red("replaced");
        let mut moved_said = false;
        let mut imported_said = false;
        let mut out = match change.action {
            Action::Create => format!("{head} will be created"),
            Action::Read => {
                let why = match change.reason {
                    ActionReason::ReadBecauseConfigUnknown => "\n  # (config refers to values not yet known)",
                    ActionReason::ReadBecauseDependencyPending => {
                        "\n  # (depends on a resource or a module with changes pending)"
                    }
                    _ => "",
                };
                format!("{head} will be read during apply{why}")
            }
            Action::Update if cause == Cause::Drift => format!("{head} has changed"),
            Action::Update => format!("{head} will be updated in-place"),
            Action::DeleteThenCreate | Action::CreateThenDelete => match change.reason {
                ActionReason::ReplaceBecauseTainted => format!("{head} is tainted, so must be {replaced}"),
                ActionReason::ReplaceByRequest => format!("{head} will be {replaced}, as requested"),
                ActionReason::ReplaceByTriggers => {
                    format!("{head} will be {replaced} due to changes in replace_triggered_by")
                }
                _ => format!("{head} must be {replaced}"),
            },
            Action::Forget if change.reason == ActionReason::ForgetBecauseHostDestroyed => format!(
                "{} will be removed from the state without a call\n # (what it lives in is destroyed in this run, and the object with it)",
                pal.bold(&format!(" # {addr}")),
            ),
            Action::Forget => format!(
                "{} will no longer be managed by Slipway, but {}\n # (destroy = false is set in the configuration)",
                pal.bold(&format!(" # {addr}")),
                pal.bold_red("will not be destroyed")
            ),
            Action::Delete if cause == Cause::Drift => format!("{head} has been deleted"),
            Action::Delete => format!("{head} will be {}{}", pal.bold_red("destroyed"), delete_reason(change)),
            Action::NoOp => match &change.prev_addr {
                Some(prev) if moved(change) => {
                    moved_said = true;
                    format!("{} has moved to {}", pal.bold(&format!("  # {prev}")), pal.bold(&addr))
                }
                _ => {
                    imported_said = true;
                    format!("{head} will be imported")
                }
            },
        };
        out.push('\n');
        if let Some(prev) = change.prev_addr.as_ref().filter(|_| moved(change) && !moved_said) {
            let _ = writeln!(out, "  # (moved from {prev})");
        }
        if let Some(id) = change.importing.as_ref().filter(|_| !imported_said) {
            // Quoted as HCL would, so that an ID from a remote system cannot carry control
            // characters to the terminal.
            let _ = writeln!(out, "  # (imported from {})", quote(id));
        }
        if change.importing.is_some() && change.action.is_replace() {
            let _ = writeln!(out, "  # {}", pal.yellow("Warning: this will destroy the imported resource"));
        }
        for note in &change.notes {
            let _ = writeln!(out, "  # ({note})");
        }
        out
    }

    fn output_diff(&self, output: &OutputChange) -> Diff {
        let diff = Differ::dynamic().value(output.before.as_ref(), output.after.as_ref(), &AttrPath::root());
        if !output.sensitive || matches!(diff.node, Node::Sensitive { .. }) {
            return diff;
        }
        // A sensitive output is hidden whole; only what happens to it is kept.
        Diff { act: diff.act, replace: false, node: Node::Sensitive { before: true, after: true, inner: diff.act } }
    }

    /// `+ name = value` lines for the root module's outputs that change; empty when none do.
    fn outputs(&self) -> String {
        let width = self.plan.outputs.keys().map(|k| attr_name(k).chars().count()).max().unwrap_or(0);
        let mut lines = Vec::new();
        for (name, output) in &self.plan.outputs {
            let diff = self.output_diff(output);
            if diff.act == Act::NoOp {
                continue;
            }
            let value = self.printer.render(&diff, 0, Opts::default());
            lines.push(format!("{}{:<width$} = {value}", self.printer.symbol(diff.act), attr_name(name)));
        }
        lines.join("\n")
    }
}

/// The `(because ...)` line under a deletion.
fn delete_reason(change: &ResourceChange) -> String {
    let index = match &change.addr.key {
        slipway_core::InstanceKey::None => String::new(),
        slipway_core::InstanceKey::Int(i) => i.to_string(),
        slipway_core::InstanceKey::Str(s) => serde_json::Value::String(s.clone()).to_string(),
    };
    match change.reason {
        ActionReason::DeleteBecauseNoResourceConfig => {
            format!("\n  # (because {} is not in configuration)", change.addr.resource)
        }
        ActionReason::DeleteBecauseNoModule => {
            format!("\n  # (because {} is not in configuration)", change.addr.module)
        }
        ActionReason::DeleteBecauseCountIndex => format!("\n  # (because index [{index}] is out of range for count)"),
        ActionReason::DeleteBecauseEachKey => format!("\n  # (because key [{index}] is not in for_each map)"),
        _ => String::new(),
    }
}

/// `1 to import, 2 to add, 0 to change, 1 to destroy.`, counted over the changes shown.
/// One line per deferred provider configuration: what it waits for and how many changes wait
/// with it ("cluster api.example.com does not exist yet: 4 objects will be applied after it is
/// ready").
pub fn deferred_lines(plan: &Plan) -> Vec<String> {
    plan.deferred
        .iter()
        .map(|(provider, why)| {
            let n = plan.deferred_changes(provider).count();
            let objects = if n == 1 { "1 object" } else { &format!("{n} objects") };
            let mut why = why.clone();
            if let Some(first) = why.get(..1) {
                why.replace_range(..1, &first.to_uppercase());
            }
            format!("{why}: {objects} will be applied after it is ready.")
        })
        .collect()
}

pub fn summary(changes: &[&ResourceChange]) -> String {
    let count = |actions: &[Action]| changes.iter().filter(|c| actions.contains(&c.action)).count();
    let imports = changes.iter().filter(|c| c.importing.is_some()).count();
    let add = count(&[Action::Create, Action::DeleteThenCreate, Action::CreateThenDelete]);
    let change = count(&[Action::Update]);
    let destroy = count(&[Action::Delete, Action::DeleteThenCreate, Action::CreateThenDelete]);
    let forget = count(&[Action::Forget]);
    let mut out = String::new();
    if imports > 0 {
        let _ = write!(out, "{imports} to import, ");
    }
    let _ = write!(out, "{add} to add, {change} to change, {destroy} to destroy");
    if forget > 0 {
        let _ = write!(out, ", {forget} to forget");
    }
    out.push('.');
    out
}

/// Prose wrapped at [`WIDTH`] columns, line breaks kept.
fn wrap(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.split('\n') {
        let mut current = String::new();
        for word in line.split(' ').filter(|w| !w.is_empty()) {
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > WIDTH {
                out.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        out.push(current);
    }
    out.join("\n")
}
