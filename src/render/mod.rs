//! Renderers of plans for people and for programs: the human plan as Terraform prints it, and
//! the JSON document of `terraform show -json PLANFILE`. Every renderer redacts sensitive values
//! (invariant 9).

mod diff;
mod human;
mod pairing;
mod palette;
mod plan;
mod plan_json;
mod strings;

#[cfg(test)]
mod tests;

pub use plan::{Schemas, render_plan, render_plan_with_schemas};
pub use plan_json::plan_to_json;
