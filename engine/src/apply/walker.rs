//! The apply walker: runs the execution graph with at most `parallelism` operations in flight.
//! An operation starts when everything before it has succeeded; the dependents of a failure
//! never start while independent branches finish; every completed operation is in the journal
//! before anything that depends on it starts (operations that finish together share one flush).
//! On cancellation nothing new starts and what is in flight finishes and is saved.
//! When more operations are ready than there are slots, those heading the longest chains of
//! dependents start first (critical-path-first list scheduling), so a slot never goes to a leaf
//! while the chain that decides the apply's length waits.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::stream::{FuturesUnordered, StreamExt};
use petgraph::Direction;
use petgraph::graph::NodeIndex;
use slipway_core::address::ResourceInstanceAddr;
use slipway_core::provider::{ApplyRequest, ApplyResponse, PlanRequest, Provider, ReadDataRequest, ReadDataResponse};
use slipway_core::{Diagnostic, Diagnostics, Value};
use slipway_lang::evaluate::ApplyEvaluator;

use super::connect::{Connections, Parked};
use super::graph::{ExecutionGraph, Op, OpKind};
use crate::hooks::{Hook, Operation};
use crate::marks::mark_schema;
use crate::objchange::{check_applied, proposed_new};
use crate::plan::prior::encode_object;
use crate::plan::{Action, Plan, ResourceChange};
use crate::providers::ProviderSet;
use crate::schema_check::decode_config;
use crate::state::{InstanceObject, InstanceStatus, JournalEntry, PersistError, StateManager};

/// How often an operation still running is reported.
const STILL_RUNNING_EVERY: Duration = Duration::from_secs(10);

pub struct ApplyContext<'a, 'e> {
    pub plan: &'a Plan,
    pub providers: &'a ProviderSet,
    /// Evaluates configurations that were not wholly known while planning; `None` for a
    /// destroy, which evaluates nothing.
    pub evaluator: Option<&'a mut ApplyEvaluator<'e>>,
    pub state: &'a mut StateManager,
    pub hook: &'a dyn Hook,
    pub parallelism: usize,
    /// Set on Ctrl-C: start nothing new.
    pub cancel: &'a AtomicBool,
}

/// What an apply did.
#[derive(Debug, Default)]
pub struct ApplyOutcome {
    pub diagnostics: Diagnostics,
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    /// Objects brought under management by `import` blocks.
    pub imported: usize,
    /// Objects removed from state and left to exist (`removed` with `destroy = false`).
    pub forgotten: usize,
    /// Operations that never started: dependents of a failure, or everything after Ctrl-C.
    pub not_started: usize,
    pub interrupted: bool,
}

/// The result of one operation, back in the walker.
struct Finished {
    node: NodeIndex,
    op: Op,
    operation: Operation,
    planned: Option<Value>,
    config: Option<Value>,
    response: ApplyResponse,
    elapsed: Duration,
}

type OpFuture = Pin<Box<dyn Future<Output = Finished> + Send>>;

pub async fn apply(ctx: ApplyContext<'_, '_>) -> ApplyOutcome {
    let mut outcome = ApplyOutcome::default();
    let graph = match ExecutionGraph::build(ctx.plan) {
        Ok(graph) => graph,
        Err(diags) => {
            outcome.diagnostics = diags;
            return outcome;
        }
    };
    let ApplyContext { plan, providers, mut evaluator, state, hook, parallelism, cancel } = ctx;
    // The lineage must outlive a run that stops before its first state write, for providers
    // to recognise what it created (ApplyRequest::owner).
    if let Err(e) = state.store_lineage().await {
        outcome.diagnostics.push(persist_error(e));
        return outcome;
    }
    let owner = format!("{}/{}", state.state().lineage, plan.prior_serial);
    if let Err(e) = state.record_all(state_only_updates(plan, state)).await {
        outcome.diagnostics.push(persist_error(e));
        return outcome;
    }
    outcome.imported = plan.changes.iter().filter(|c| c.importing.is_some()).count();
    outcome.forgotten = plan.changes.iter().filter(|c| c.action == Action::Forget).count();
    // Data sources read while planning and unchanged instances are what they are.
    if let Some(evaluator) = evaluator.as_deref_mut() {
        for change in &plan.changes {
            if change.action == Action::NoOp
                && let Some(after) = &change.after
            {
                evaluator.set_instance_value(&change.addr, after.clone());
            }
        }
    }

    let g = &graph.graph;
    let mut waiting: Vec<usize> =
        g.node_indices().map(|n| g.neighbors_directed(n, Direction::Incoming).count()).collect();
    let mut ready = ReadyQueue::new(g);
    for node in g.node_indices().filter(|n| waiting[n.index()] == 0) {
        ready.push(node);
    }
    let mut in_flight: FuturesUnordered<OpFuture> = FuturesUnordered::new();
    let mut started = 0usize;
    let mut running: std::collections::HashMap<NodeIndex, (ResourceInstanceAddr, Operation, Instant)> =
        std::collections::HashMap::new();
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + STILL_RUNNING_EVERY, STILL_RUNNING_EVERY);
    let parallelism = parallelism.max(1);
    let mut connections = Connections::default();
    loop {
        while in_flight.len() < parallelism && !cancel.load(Ordering::SeqCst) {
            let Some(node) = ready.pop() else { break };
            let Some(&op) = g.node_weight(node) else { continue };
            let provider = &plan.changes[op.change].provider;
            if providers.is_deferred(provider) {
                let mut diags = Diagnostics::new();
                if connections.park(provider, node, providers, evaluator.as_deref_mut(), &mut diags) == Parked::First {
                    let why = plan.deferred.get(provider).map_or("", String::as_str);
                    hook.provider_waiting(provider, why, Duration::ZERO);
                }
                outcome.diagnostics.extend(diags);
                continue;
            }
            started += 1;
            match prepare(plan, providers, evaluator.as_deref_mut(), node, op, hook, &owner) {
                Ok((future, operation)) => {
                    running.insert(node, (plan.changes[op.change].addr.clone(), operation, Instant::now()));
                    in_flight.push(future);
                }
                Err(diags) => outcome.diagnostics.extend(diags),
            }
        }
        if cancel.load(Ordering::SeqCst) {
            connections.abandon();
        }
        if in_flight.is_empty() && connections.pending.is_empty() {
            break;
        }
        let first = tokio::select! {
            finished = in_flight.next(), if !in_flight.is_empty() => finished,
            Some(connected) = connections.pending.next(), if !connections.pending.is_empty() => {
                let addr = connected.0.clone();
                let (nodes, elapsed) = connections.settle(connected, providers, &mut outcome.diagnostics);
                if !nodes.is_empty() {
                    hook.provider_ready(&addr, elapsed);
                }
                for node in nodes {
                    ready.push(node);
                }
                continue;
            }
            _ = ticks.tick() => {
                for (addr, operation, since) in running.values() {
                    hook.still_running(addr, *operation, since.elapsed());
                }
                for (addr, why, elapsed) in connections.waiting() {
                    hook.provider_waiting(&addr, &why, elapsed);
                }
                continue;
            }
        };
        let Some(first) = first else { break };
        // Group commit: everything else that has finished goes into the same flush.
        let mut batch = vec![first];
        while let Some(Some(more)) = in_flight.next().now_or_never() {
            batch.push(more);
        }
        let mut entries = Vec::new();
        let mut succeeded = Vec::new();
        for finished in batch {
            running.remove(&finished.node);
            let change = &plan.changes[finished.op.change];
            let ok = settle(change, &finished, providers, evaluator.as_deref_mut(), hook, &mut entries, &mut outcome);
            if ok {
                succeeded.push(finished.node);
            }
        }
        if let Err(e) = state.record_all(entries).await {
            // Nothing may start that the state could not record: stop here.
            outcome.diagnostics.push(persist_error(e));
            cancel.store(true, Ordering::SeqCst);
            continue;
        }
        for node in succeeded {
            for next in g.neighbors_directed(node, Direction::Outgoing) {
                waiting[next.index()] -= 1;
                if waiting[next.index()] == 0 {
                    ready.push(next);
                }
            }
        }
    }
    outcome.not_started = g.node_count() - started;
    outcome.interrupted = cancel.load(Ordering::SeqCst);
    if let Some(evaluator) = evaluator {
        let (outputs, diags) = evaluator.root_outputs();
        outcome.diagnostics.extend(diags);
        save_outputs(state, outputs);
    } else if plan.mode == crate::plan::PlanMode::Destroy && outcome.not_started == 0 {
        state.state_mut().outputs.clear();
    }
    outcome
}

/// The operations whose dependencies have all succeeded, the one heading the longest chain of
/// dependents first; among equals, the one that became ready first (the plan's order).
struct ReadyQueue {
    /// For each node, the number of operations on the longest path from it to the end of the
    /// graph, itself included. Durations are unknown before running, so each counts as one.
    chain: Vec<usize>,
    heap: BinaryHeap<(usize, Reverse<u64>, NodeIndex)>,
    pushed: u64,
}

impl ReadyQueue {
    fn new(g: &petgraph::graph::DiGraph<Op, ()>) -> ReadyQueue {
        let mut chain = vec![1usize; g.node_count()];
        // The graph is acyclic (ExecutionGraph::build checks), so reverse topological order
        // sees every dependent before what it depends on.
        if let Ok(order) = petgraph::algo::toposort(g, None) {
            for node in order.into_iter().rev() {
                let longest_after =
                    g.neighbors_directed(node, Direction::Outgoing).map(|next| chain[next.index()]).max().unwrap_or(0);
                chain[node.index()] = 1 + longest_after;
            }
        }
        ReadyQueue { chain, heap: BinaryHeap::new(), pushed: 0 }
    }

    fn push(&mut self, node: NodeIndex) {
        self.heap.push((self.chain[node.index()], Reverse(self.pushed), node));
        self.pushed += 1;
    }

    fn pop(&mut self) -> Option<NodeIndex> {
        self.heap.pop().map(|(_, _, node)| node)
    }
}

/// State entries that need no provider call: instances the plan leaves alone but whose saved
/// record is out of date (refreshed values, moved addresses, imports, data sources read while
/// planning), and instances the plan forgets.
fn state_only_updates(plan: &Plan, state: &StateManager) -> Vec<JournalEntry> {
    let mut entries = Vec::new();
    for change in &plan.changes {
        if change.action == Action::Forget {
            entries.push(JournalEntry::Remove { address: change.addr.clone() });
            continue;
        }
        if change.action != Action::NoOp {
            // An imported object is recorded before it is changed, so that it stays managed
            // whatever becomes of the change.
            if change.importing.is_some()
                && let Some(before) = &change.before
            {
                entries.push(JournalEntry::Put {
                    address: change.addr.clone(),
                    object: object_for(change, before, InstanceStatus::Ready),
                });
            }
            continue;
        }
        if let Some(prev) = &change.prev_addr {
            entries.push(JournalEntry::Remove { address: prev.clone() });
        }
        let Some(value) = change.after.as_ref().or(change.before.as_ref()) else {
            // Gone outside slipway: forget it.
            if state.state().instances.contains_key(&change.addr) {
                entries.push(JournalEntry::Remove { address: change.addr.clone() });
            }
            continue;
        };
        let object = object_for(change, value, InstanceStatus::Ready);
        if change.prev_addr.is_some() || state.state().instances.get(&change.addr) != Some(&object) {
            entries.push(JournalEntry::Put { address: change.addr.clone(), object });
        }
    }
    entries
}

fn object_for(change: &ResourceChange, value: &Value, status: InstanceStatus) -> InstanceObject {
    let (attributes, sensitive_paths) = encode_object(value);
    InstanceObject {
        provider: change.provider.clone(),
        schema_version: change.schema_version,
        attributes,
        sensitive_paths,
        private: change.private.clone(),
        dependencies: change.dependencies.clone(),
        create_before_destroy: change.create_before_destroy,
        status,
    }
}

fn persist_error(e: PersistError) -> Diagnostic {
    Diagnostic::error("Failed to save state", e.to_string())
}

fn save_outputs(state: &mut StateManager, outputs: std::collections::BTreeMap<String, Value>) {
    let mut saved = std::collections::BTreeMap::new();
    for (name, value) in outputs {
        let (plain, sensitive) = value.unmark_deep();
        if !plain.is_wholly_known() {
            continue;
        }
        let Ok(json) = slipway_core::json::to_json(&plain) else { continue };
        saved.insert(name, crate::state::OutputState { value: json, ty: plain.ty(), sensitive });
    }
    if state.state().outputs != saved {
        state.state_mut().outputs = saved;
    }
}

/// Builds one operation's request (evaluating its configuration again when the plan did not
/// know all of it) and returns the future that runs it.
fn prepare(
    plan: &Plan,
    providers: &ProviderSet,
    evaluator: Option<&mut ApplyEvaluator<'_>>,
    node: NodeIndex,
    op: Op,
    hook: &dyn Hook,
    owner: &str,
) -> Result<(OpFuture, Operation), Diagnostics> {
    let change = &plan.changes[op.change];
    let fail = |summary: &str, detail: String| {
        let mut d = Diagnostics::new();
        d.push(Diagnostic::error(summary, format!("{}: {detail}", change.addr)));
        d
    };
    let Some(provider) = providers.instance(&change.provider) else {
        return Err(fail(
            "Provider not configured",
            format!("the provider configuration {} is not available", change.provider),
        ));
    };
    let operation = match (op.kind, change.action) {
        (OpKind::Delete, _) => Operation::Delete,
        (OpKind::Apply, Action::Update) => Operation::Update,
        (OpKind::Apply, Action::Read) => Operation::Read,
        _ => Operation::Create,
    };
    let addr = change.addr.clone();
    if op.kind == OpKind::Delete {
        let request = ApplyRequest {
            address: addr.clone(),
            type_name: addr.resource.type_name.clone(),
            prior: change.before.clone(),
            planned: None,
            config: None,
            planned_private: change.private.clone(),
            owner: format!("{owner}/{addr}"),
        };
        return Ok((run(provider, request, None, None, node, op, operation, hook), operation));
    }
    let prior = if change.action == Action::Update { change.before.clone() } else { None };
    let (config, planned, private) = final_plan(change, providers, provider.as_ref(), evaluator, prior.as_ref())?;
    if change.action == Action::Read {
        let type_name = addr.resource.type_name.clone();
        let request = ReadDataRequest { type_name, config: config.clone() };
        return Ok((read(provider, request, config, node, op, &addr, hook), operation));
    }
    let request = ApplyRequest {
        address: addr.clone(),
        type_name: addr.resource.type_name.clone(),
        prior,
        planned: Some(planned.clone()),
        config: Some(config.clone()),
        planned_private: private,
        owner: format!("{owner}/{addr}"),
    };
    Ok((run(provider, request, Some(planned), Some(config), node, op, operation, hook), operation))
}

/// The configuration and planned value to apply: the plan's, or, when the plan did not know
/// all of the configuration, the configuration evaluated now and planned again.
fn final_plan(
    change: &ResourceChange,
    providers: &ProviderSet,
    provider: &dyn Provider,
    evaluator: Option<&mut ApplyEvaluator<'_>>,
    prior: Option<&Value>,
) -> Result<(Value, Value, Vec<u8>), Diagnostics> {
    let (Some(config), Some(after)) = (&change.config, &change.after) else {
        let mut d = Diagnostics::new();
        d.push(Diagnostic::error("Invalid plan", format!("{} has no planned value.", change.addr)));
        return Err(d);
    };
    if config.is_wholly_known() {
        return Ok((config.clone(), after.clone(), change.private.clone()));
    }
    let Some((raw, mut diags)) = evaluator.and_then(|e| e.instance_config(&change.addr)) else {
        return Ok((config.clone(), after.clone(), change.private.clone()));
    };
    let provider_name = change.provider.name.as_str();
    let Some(schema) = providers.schema(provider_name, &change.addr.resource) else {
        return Ok((config.clone(), after.clone(), change.private.clone()));
    };
    let decoded = match decode_config(&raw, &schema.block) {
        Ok(decoded) => decoded,
        Err(problems) => {
            for (path, problem) in problems {
                diags.push(Diagnostic::error(
                    "Incorrect attribute value type",
                    format!("{}: {path}: {problem}.", change.addr),
                ));
            }
            return Err(diags);
        }
    };
    if change.action == Action::Read {
        return Ok((decoded, after.clone(), Vec::new()));
    }
    let response = provider.plan(PlanRequest {
        address: change.addr.clone(),
        type_name: change.addr.resource.type_name.clone(),
        prior: prior.cloned(),
        proposed: proposed_new(&schema.block, prior, &decoded),
        config: decoded.clone(),
        prior_private: change.private.clone(),
    });
    diags.extend(response.diagnostics);
    match response.planned {
        Some(planned) if !diags.has_errors() => {
            Ok((decoded, mark_schema(planned, &schema.block), response.planned_private))
        }
        _ => Err(diags),
    }
}

#[allow(clippy::too_many_arguments)]
fn run(
    provider: Arc<dyn Provider>,
    request: ApplyRequest,
    planned: Option<Value>,
    config: Option<Value>,
    node: NodeIndex,
    op: Op,
    operation: Operation,
    hook: &dyn Hook,
) -> OpFuture {
    let addr = request.address.clone();
    // Changes and deletes name the object they act on, as Terraform's progress lines do.
    let id = request.prior.as_ref().and_then(|p| p.get_attr("id")).and_then(Value::as_str);
    hook.started(&addr, operation, id);
    let start = Instant::now();
    Box::pin(async move {
        let response = provider.apply(request).await;
        Finished { node, op, operation, planned, config, response, elapsed: start.elapsed() }
    })
}

fn read(
    provider: Arc<dyn Provider>,
    request: ReadDataRequest,
    config: Value,
    node: NodeIndex,
    op: Op,
    addr: &ResourceInstanceAddr,
    hook: &dyn Hook,
) -> OpFuture {
    hook.started(addr, Operation::Read, None);
    let start = Instant::now();
    Box::pin(async move {
        let ReadDataResponse { state, diagnostics } = provider.read_data(request).await;
        let response = ApplyResponse { new_state: state, private: Vec::new(), diagnostics };
        Finished {
            node,
            op,
            operation: Operation::Read,
            planned: None,
            config: Some(config),
            response,
            elapsed: start.elapsed(),
        }
    })
}

/// Checks one finished operation, reports it, and adds what it changed to the journal
/// entries. True when it succeeded and its dependents may start.
fn settle(
    change: &ResourceChange,
    finished: &Finished,
    providers: &ProviderSet,
    evaluator: Option<&mut ApplyEvaluator<'_>>,
    hook: &dyn Hook,
    entries: &mut Vec<JournalEntry>,
    outcome: &mut ApplyOutcome,
) -> bool {
    let addr = &change.addr;
    let response = &finished.response;
    let mut failed = response.diagnostics.has_errors();
    for d in response.diagnostics.iter() {
        let mut d = d.clone();
        d.detail = if d.detail.is_empty() { format!("with {addr}") } else { format!("{}\n\nwith {addr}", d.detail) };
        outcome.diagnostics.push(d);
    }
    let provider_name = change.provider.name.as_str();
    let schema = providers.schema(provider_name, &addr.resource);
    if finished.op.kind == OpKind::Delete {
        match (&response.new_state, failed) {
            (None, false) => {
                // After create_before_destroy the address already holds the new object.
                if change.action != Action::CreateThenDelete {
                    entries.push(JournalEntry::Remove { address: addr.clone() });
                }
                outcome.destroyed += 1;
                hook.completed(addr, finished.operation, finished.elapsed, None);
                return true;
            }
            _ => {
                hook.failed(addr, finished.operation, finished.elapsed);
                if change.action == Action::CreateThenDelete {
                    let id = change.before.as_ref().and_then(|b| b.get_attr("id")).and_then(Value::as_str);
                    outcome.diagnostics.push(Diagnostic::error(
                        "Replaced object not deleted",
                        format!(
                            "{addr} was replaced, but deleting the old object{} failed; it is no longer in state. Delete it by hand.",
                            id.map(|i| format!(" (id {i})")).unwrap_or_default()
                        ),
                    ));
                }
                return false;
            }
        }
    }
    let Some(new_state) = &response.new_state else {
        if !failed {
            outcome.diagnostics.push(Diagnostic::error(
                "Provider returned no object",
                format!("The provider {provider_name:?} reported success for {addr} but returned no object. This is a bug in the provider."),
            ));
        }
        hook.failed(addr, finished.operation, finished.elapsed);
        return false;
    };
    let new_state = match schema {
        Some(s) => mark_schema(new_state.clone(), &s.block),
        None => new_state.clone(),
    };
    // A failed change returns what exists, which is not what was planned: only a successful
    // one is held to its plan.
    if !failed && let Some(planned) = &finished.planned {
        let problems = check_applied(planned, &new_state);
        for (path, problem) in &problems {
            outcome.diagnostics.push(Diagnostic::error(
                "Provider produced inconsistent result after apply",
                format!("When applying changes to {addr}, the provider {provider_name:?} produced an unexpected new value for {path}: {problem}. This is a bug in the provider."),
            ));
        }
        failed |= !problems.is_empty();
    }
    let _ = &finished.config;
    // What exists is recorded even after a failure; a create that failed half-way is tainted
    // so that the next plan replaces it.
    let status = if failed && change.before.is_none() { InstanceStatus::Tainted } else { InstanceStatus::Ready };
    let mut object = object_for(change, &new_state, status);
    object.private = response.private.clone();
    if finished.operation == Operation::Read {
        object.private = Vec::new();
    }
    entries.push(JournalEntry::Put { address: addr.clone(), object });
    if let Some(evaluator) = evaluator {
        evaluator.set_instance_value(addr, new_state.clone());
    }
    if failed {
        hook.failed(addr, finished.operation, finished.elapsed);
        return false;
    }
    match change.action {
        Action::Create => outcome.added += 1,
        Action::Update => outcome.changed += 1,
        Action::DeleteThenCreate | Action::CreateThenDelete => outcome.added += 1,
        _ => {}
    }
    let id = new_state.get_attr("id").and_then(Value::as_str);
    hook.completed(addr, finished.operation, finished.elapsed, id);
    true
}
