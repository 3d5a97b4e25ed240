//! Planning: the plan model and the planner that computes it.

pub mod file;
mod instance;
mod model;
mod moved;
mod planner;
pub mod prior;

pub use model::*;
pub use planner::{PlanContext, PlanOptions, Planned, plan};
