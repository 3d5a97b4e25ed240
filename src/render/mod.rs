//! Renderers (placeholder until the plan renderer lands).

use std::io::IsTerminal;

use slipway_engine::plan::Plan;

pub mod plan_json {
    use slipway_engine::plan::Plan;

    pub fn plan_to_json(plan: &Plan) -> serde_json::Value {
        serde_json::json!({ "resource_changes": plan.changes.iter().map(|c| c.addr.to_string()).collect::<Vec<_>>() })
    }
}

/// Colour only on a terminal, and never with -no-color or NO_COLOR.
pub fn use_color(no_color: bool) -> bool {
    !no_color && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

pub fn render_plan(plan: &Plan, _color: bool) -> String {
    let mut out = String::new();
    for c in &plan.changes {
        if c.action != slipway_engine::plan::Action::NoOp {
            out.push_str(&format!("  # {} {}\n", c.addr, c.action.symbol()));
        }
    }
    let counts = plan.counts();
    if plan.has_changes() {
        out.push_str(&format!(
            "\nPlan: {} to add, {} to change, {} to destroy.\n",
            counts.add, counts.change, counts.destroy
        ));
    } else {
        out.push_str("\nNo changes. Your infrastructure matches the configuration.\n");
    }
    out
}
