//! slipway-engine: graph, planner, apply walker, state and the local backend (foundation 2 fills this in).
