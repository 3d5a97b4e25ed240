//! `slipway graph [-type=plan|apply] [-plan=FILE]`: Graphviz DOT on standard output. `plan` (the
//! default): every resource of the configuration and the resources it depends on. `apply`: the
//! operations of a plan (made now, or a saved one) and the ones each waits for. An edge `A -> B`
//! reads "A needs B first", in both. Nodes and edges are sorted, so the output is stable.

use std::collections::BTreeSet;
use std::process::ExitCode;

use slipway_engine::apply::ExecutionGraph;
use slipway_engine::plan::{Plan, PlanOptions};
use slipway_lang::dependencies::resource_dependencies;
use slipway_lang::source::Sources;

use super::Workspace;
use super::plan::{fail, make_plan};
use super::session::Session;
use super::write_stdout;
use crate::cli::{GraphArgs, GraphType};
use crate::diagnostics::print_diagnostics;

pub fn run(args: &GraphArgs) -> ExitCode {
    let graph_type = match (args.graph_type, &args.plan) {
        (Some(GraphType::Plan), Some(_)) => {
            return fail(
                "Error: -plan needs -type=apply\n\nA saved plan has an execution graph, not a configuration graph. Leave out -type, or use -type=apply.",
            );
        }
        (Some(graph_type), None) => graph_type,
        (_, Some(_)) => GraphType::Apply,
        (None, None) => GraphType::Plan,
    };
    match graph_type {
        GraphType::Plan => configuration_graph(),
        GraphType::Apply => execution_graph(args),
    }
}

fn configuration_graph() -> ExitCode {
    let workspace = Workspace::load();
    if workspace.diagnostics.has_errors() {
        print_diagnostics(&workspace.diagnostics, &workspace.sources, false);
        return ExitCode::from(1);
    }
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for (resource, dependencies) in resource_dependencies(&workspace.config) {
        for dependency in dependencies {
            edges.insert((resource.to_string(), dependency.to_string()));
        }
        nodes.insert(resource.to_string());
    }
    write_stdout(&dot(&nodes, &edges));
    ExitCode::SUCCESS
}

fn execution_graph(args: &GraphArgs) -> ExitCode {
    let (plan, sources) = match &args.plan {
        Some(path) => {
            if !args.vars.vars.is_empty() || !args.vars.var_files.is_empty() {
                return fail(
                    "Error: Can't set variables for a saved plan\n\nThe plan was made with its own variable values; leave out -var and -var-file.",
                );
            }
            match super::planfile::load_in_workspace(path) {
                Ok(saved) => (saved.plan, Sources::new()),
                Err(message) => return fail(&message),
            }
        }
        None => {
            let Some(session) = Session::open(&args.vars, false) else {
                return ExitCode::from(1);
            };
            let manager = match session.store.load_state() {
                Ok(manager) => manager,
                Err(message) => return fail(&message),
            };
            let options = PlanOptions { refresh: true, ..PlanOptions::default() };
            let planned = make_plan(&session, manager.state(), &options, &slipway_engine::hooks::Quiet);
            print_diagnostics(&planned.plan.diagnostics, &session.workspace.sources, false);
            if planned.plan.diagnostics.has_errors() {
                return ExitCode::from(1);
            }
            (planned.plan, session.workspace.sources)
        }
    };
    match ExecutionGraph::build(&plan) {
        Ok(graph) => {
            write_stdout(&dot_of_execution(&plan, &graph));
            ExitCode::SUCCESS
        }
        Err(diags) => {
            print_diagnostics(&diags, &sources, false);
            ExitCode::from(1)
        }
    }
}

fn dot_of_execution(plan: &Plan, graph: &ExecutionGraph) -> String {
    let name = |index| graph.graph.node_weight(index).map(|op| op.describe(plan)).unwrap_or_default();
    let nodes: BTreeSet<String> = graph.graph.node_indices().map(name).collect();
    // The execution graph points from an operation to those that wait for it; turned around,
    // its edges read as the configuration graph's do.
    let edges: BTreeSet<(String, String)> = graph
        .graph
        .edge_indices()
        .filter_map(|e| graph.graph.edge_endpoints(e))
        .map(|(a, b)| (name(b), name(a)))
        .collect();
    dot(&nodes, &edges)
}

/// A DOT document of `nodes` and `edges`, in the style of `terraform graph`.
fn dot(nodes: &BTreeSet<String>, edges: &BTreeSet<(String, String)>) -> String {
    let mut out = String::from("digraph {\n  rankdir = \"RL\";\n  node [shape = rect, fontname = \"sans-serif\"];\n");
    for node in nodes {
        out.push_str(&format!("  {};\n", dot_id(node)));
    }
    for (from, to) in edges {
        out.push_str(&format!("  {} -> {};\n", dot_id(from), dot_id(to)));
    }
    out.push_str("}\n");
    out
}

/// A quoted DOT ID: `"` and `\` escaped, so that `module.m["a"]` stays one name.
fn dot_id(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_quotes_and_backslashes_stay_one_dot_id() {
        assert_eq!(dot_id(r#"module.m["a\"b"].null_resource.x"#), r#""module.m[\"a\\\"b\"].null_resource.x""#);
        let nodes = BTreeSet::from(["b".to_string(), "a".to_string()]);
        let edges = BTreeSet::from([("b".to_string(), "a".to_string())]);
        assert_eq!(
            dot(&nodes, &edges),
            "digraph {\n  rankdir = \"RL\";\n  node [shape = rect, fontname = \"sans-serif\"];\n  \"a\";\n  \"b\";\n  \"b\" -> \"a\";\n}\n"
        );
    }
}
