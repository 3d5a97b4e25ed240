//! Renderers of plans for people and for programs: the human plan as Terraform prints it, and
//! the JSON document of `terraform show -json PLANFILE`, and Markdown for pull requests. Every renderer redacts sensitive values
//! (invariant 9).

mod diff;
mod human;
mod markdown;
mod pairing;
mod palette;
mod plan;
mod plan_json;
mod strings;

#[cfg(test)]
mod tests;

pub use markdown::{DEFAULT_LIMIT as MARKDOWN_LIMIT, plan_to_markdown};
pub use plan::render_plan_with_schemas;
#[cfg(test)]
pub use plan::{Schemas, render_plan};
pub use plan_json::plan_to_json;

/// Whether this runs in a CI job (`CI` set to anything but `false`/`0`, as CI systems set it):
/// slipway then never asks a question and draws no progress bar.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Colour only on a terminal, and never with -no-color or NO_COLOR.
pub fn use_color(no_color: bool) -> bool {
    use std::io::IsTerminal;
    !no_color && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
