//! Planning: the plan model and the planner that computes it.

pub mod file;
pub mod import;
mod instance;
mod model;
mod moved;
mod planner;
pub mod prior;
mod removed;
pub mod stale;
mod static_address;

pub use model::*;
pub use planner::{PlanContext, PlanOptions, Planned, plan};
