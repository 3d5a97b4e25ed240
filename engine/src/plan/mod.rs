//! Planning: the plan model and the planner that computes it.

mod model;

pub use model::*;
