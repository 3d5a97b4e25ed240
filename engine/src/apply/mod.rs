//! Apply: the execution graph of a plan and the walker that runs it.

mod connect;
mod evaluate;
mod graph;
mod walker;

pub use evaluate::evaluate_with_plan;
pub use graph::{ExecutionGraph, Op, OpKind};
pub use walker::{ApplyContext, ApplyOutcome, apply};
