//! slipway-engine: the state model and its persistence, the local backend, and (next) the graph,
//! planner and apply walker.

pub mod backend_local;
pub mod lock;
pub mod objchange;
pub mod plan;
pub mod schema_check;
pub mod state;
