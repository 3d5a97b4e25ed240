//! The execution graph of a plan: one node per operation (a create or update, a delete; a
//! replace is both), with edges so that an object is created after what it depends on and
//! deleted before what it depends on, a replace deletes first unless `create_before_destroy`
//! (and then the old object goes only after its dependents were updated to the new one),
//! and a cycle is reported as the operations that form it.

use std::collections::HashMap;

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use slipway_core::address::AbsResourceAddr;
use slipway_core::{Diagnostic, Diagnostics};

use crate::plan::{Action, Plan};

/// What one node does to its instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Create, update, read a data source, or create the replacement.
    Apply,
    /// Delete, or delete the replaced object.
    Delete,
}

/// One operation: the index of its change in the plan and what it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Op {
    pub change: usize,
    pub kind: OpKind,
}

impl Op {
    /// The operation as messages and `slipway graph` name it: `aws_vpc.main (create)`.
    pub fn describe(&self, plan: &Plan) -> String {
        let change = &plan.changes[self.change];
        match self.kind {
            OpKind::Apply => format!("{} ({})", change.addr, describe(change.action)),
            OpKind::Delete => format!("{} (destroy)", change.addr),
        }
    }
}

/// Edges point from an operation to the operations that must wait for it.
pub struct ExecutionGraph {
    pub graph: DiGraph<Op, ()>,
}

impl ExecutionGraph {
    pub fn build(plan: &Plan) -> Result<ExecutionGraph, Diagnostics> {
        let mut graph = DiGraph::new();
        let mut apply_nodes: HashMap<AbsResourceAddr, Vec<NodeIndex>> = HashMap::new();
        let mut delete_nodes: HashMap<AbsResourceAddr, Vec<NodeIndex>> = HashMap::new();
        // The deletes of objects replaced create-before-destroy, by resource.
        let mut deposed_deletes: HashMap<AbsResourceAddr, Vec<NodeIndex>> = HashMap::new();
        let mut nodes: Vec<(Option<NodeIndex>, Option<NodeIndex>)> = Vec::with_capacity(plan.changes.len());
        for (i, change) in plan.changes.iter().enumerate() {
            let resource = change.addr.without_key();
            let apply = matches!(
                change.action,
                Action::Create | Action::Update | Action::Read | Action::DeleteThenCreate | Action::CreateThenDelete
            )
            .then(|| graph.add_node(Op { change: i, kind: OpKind::Apply }));
            let delete = matches!(change.action, Action::Delete | Action::DeleteThenCreate | Action::CreateThenDelete)
                .then(|| graph.add_node(Op { change: i, kind: OpKind::Delete }));
            if let Some(n) = apply {
                apply_nodes.entry(resource.clone()).or_default().push(n);
            }
            if let Some(n) = delete {
                if change.action == Action::CreateThenDelete {
                    deposed_deletes.entry(resource.clone()).or_default().push(n);
                }
                delete_nodes.entry(resource).or_default().push(n);
            }
            nodes.push((apply, delete));
        }
        for (i, change) in plan.changes.iter().enumerate() {
            let (apply, delete) = nodes[i];
            match (apply, delete, change.action) {
                (Some(a), Some(d), Action::DeleteThenCreate) => {
                    graph.add_edge(d, a, ());
                }
                (Some(a), Some(d), Action::CreateThenDelete) => {
                    graph.add_edge(a, d, ());
                }
                _ => {}
            }
            for dep in &change.dependencies {
                // Created after what it depends on...
                if let Some(a) = apply {
                    for &dep_apply in apply_nodes.get(dep).into_iter().flatten() {
                        graph.add_edge(dep_apply, a, ());
                    }
                    // A dependency replaced create-before-destroy loses its old object only
                    // once this one has moved to the new one (a node group off an old target
                    // group before that group is deleted), as Terraform orders it.
                    for &deposed in deposed_deletes.get(dep).into_iter().flatten() {
                        graph.add_edge(a, deposed, ());
                    }
                }
                // ...and deleted before it.
                if let Some(d) = delete {
                    for &dep_delete in delete_nodes.get(dep).into_iter().flatten() {
                        graph.add_edge(d, dep_delete, ());
                    }
                }
            }
        }
        let execution = ExecutionGraph { graph };
        execution.check_cycles(plan)?;
        Ok(execution)
    }

    fn check_cycles(&self, plan: &Plan) -> Result<(), Diagnostics> {
        let mut diags = Diagnostics::new();
        for component in tarjan_scc(&self.graph) {
            if component.len() < 2 {
                continue;
            }
            let names: Vec<String> =
                component.iter().filter_map(|n| self.graph.node_weight(*n)).map(|op| op.describe(plan)).collect();
            diags.push(Diagnostic::error(
                "Cycle in the apply order",
                format!(
                    "These operations wait for each other, so none can go first: {}. This usually comes from create_before_destroy on a resource whose dependencies are replaced without it; set create_before_destroy on them as well.",
                    names.join(", ")
                ),
            ));
        }
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }
}

fn describe(action: Action) -> &'static str {
    match action {
        Action::Create | Action::DeleteThenCreate | Action::CreateThenDelete => "create",
        Action::Update => "update",
        Action::Read => "read",
        _ => "apply",
    }
}
