//! slipway-engine: the state model and its persistence, the local backend, and (next) the graph,
//! planner and apply walker.

pub mod apply;
pub mod backend_local;
pub mod encryption;
pub mod hooks;
pub mod lock;
pub mod marks;
pub mod objchange;
pub mod plan;
pub mod providers;
pub mod schema_check;
pub mod state;
