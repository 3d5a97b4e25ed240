//! The order of a module's nodes by their references, with cycles reported at their sources.

use std::collections::{BTreeMap, HashMap, HashSet};

use slipway_core::{Diagnostic, Diagnostics};

use crate::eval::Reference;
use crate::references::{FoundReference, body_references, expression_references};
use crate::source::{FileId, Sources};

use super::*;

pub(super) fn node_references(module: &Module, node: &Node) -> Vec<(FileId, FoundReference)> {
    let expr_refs = |e: &Expr| expression_references(&e.expr).into_iter().map(|r| (e.file, r)).collect::<Vec<_>>();
    let mut out = Vec::new();
    match node {
        Node::Local(n) => {
            if let Some(l) = module.locals.get(n) {
                out.extend(expr_refs(&l.expr));
            }
        }
        Node::Resource(k) => {
            if let Some(r) = module.resources.get(k) {
                for e in r.count.iter().chain(&r.for_each).chain(&r.depends_on).chain(&r.lifecycle.replace_triggered_by)
                {
                    out.extend(expr_refs(e));
                }
                for rule in r.lifecycle.preconditions.iter().chain(&r.lifecycle.postconditions) {
                    out.extend(expr_refs(&rule.condition));
                    out.extend(expr_refs(&rule.error_message));
                }
                out.extend(body_references(&r.body));
            }
        }
        Node::ModuleCall(n) => {
            if let Some(c) = module.module_calls.get(n) {
                for e in
                    c.count.iter().chain(&c.for_each).chain(&c.depends_on).chain(c.inputs.values().map(|a| &a.expr))
                {
                    out.extend(expr_refs(e));
                }
            }
        }
        Node::Output(n) => {
            if let Some(o) = module.outputs.get(n) {
                out.extend(expr_refs(&o.expr));
                for e in &o.depends_on {
                    out.extend(expr_refs(e));
                }
                for rule in &o.preconditions {
                    out.extend(expr_refs(&rule.condition));
                }
            }
        }
    }
    out
}

/// Orders the module's nodes so that each comes after what it refers to; `None` after
/// reporting a cycle.
pub(super) fn order_nodes(module: &Module, sources: &Sources, diags: &mut Diagnostics) -> Option<Vec<Node>> {
    let mut nodes: Vec<Node> = Vec::new();
    nodes.extend(module.locals.keys().cloned().map(Node::Local));
    nodes.extend(module.resources.keys().cloned().map(Node::Resource));
    nodes.extend(module.module_calls.keys().cloned().map(Node::ModuleCall));
    nodes.extend(module.outputs.keys().cloned().map(Node::Output));
    let mut edges: BTreeMap<Node, Vec<(Node, ReferenceSite)>> = BTreeMap::new();
    for node in &nodes {
        let mut deps = Vec::new();
        for (file, found) in node_references(module, node) {
            let target = match &found.reference {
                Reference::Local(n) if module.locals.contains_key(n) => Node::Local(n.clone()),
                Reference::Resource(k) if module.resources.contains_key(k) => Node::Resource(k.clone()),
                Reference::ModuleCall(n) if module.module_calls.contains_key(n) => Node::ModuleCall(n.clone()),
                _ => continue,
            };
            deps.push((target, (file, found.span)));
        }
        edges.insert(node.clone(), deps);
    }
    let mut order = Vec::with_capacity(nodes.len());
    let mut state: HashMap<Node, bool> = HashMap::new(); // false: in progress, true: done
    let mut reported: HashSet<Vec<Node>> = HashSet::new();
    let mut ok = true;
    for node in &nodes {
        let mut stack: Vec<Node> = Vec::new();
        visit(node, &edges, &mut state, &mut stack, &mut order, &mut |cycle: Vec<Node>| {
            let mut key = cycle.clone();
            key.sort();
            if reported.insert(key) {
                ok = false;
                let names: Vec<String> = cycle.iter().map(Node::describe).collect();
                let mut d = Diagnostic::error(
                    "Cycle in references",
                    format!(
                        "These refer to each other in a cycle, so none of them can be evaluated first: {} → {}. Break the cycle by removing one of the references.",
                        names.join(" → "),
                        names.first().cloned().unwrap_or_default()
                    ),
                );
                for (i, n) in cycle.iter().enumerate() {
                    let next = &cycle[(i + 1) % cycle.len()];
                    if let Some(range) = edges
                        .get(n)
                        .and_then(|deps| deps.iter().find(|(t, _)| t == next))
                        .and_then(|(_, (file, span))| sources.range(*file, span.clone()))
                    {
                        if d.subject.is_none() {
                            d.subject = Some(range);
                        } else {
                            d = d.with_related(range, format!("{} refers to {}", n.describe(), next.describe()));
                        }
                    }
                }
                diags.push(d);
            }
        });
    }
    ok.then_some(order)
}

/// Where a reference is written; turned into a line and column only when a cycle is reported.
pub(super) type ReferenceSite = (FileId, Option<std::ops::Range<usize>>);

pub(super) fn visit(
    node: &Node,
    edges: &BTreeMap<Node, Vec<(Node, ReferenceSite)>>,
    state: &mut HashMap<Node, bool>,
    stack: &mut Vec<Node>,
    order: &mut Vec<Node>,
    on_cycle: &mut dyn FnMut(Vec<Node>),
) {
    match state.get(node) {
        Some(true) => return,
        Some(false) => {
            if let Some(pos) = stack.iter().position(|n| n == node) {
                on_cycle(stack[pos..].to_vec());
            }
            return;
        }
        None => {}
    }
    state.insert(node.clone(), false);
    stack.push(node.clone());
    if let Some(deps) = edges.get(node) {
        for (dep, _) in deps {
            visit(dep, edges, state, stack, order, on_cycle);
        }
    }
    stack.pop();
    state.insert(node.clone(), true);
    order.push(node.clone());
}
