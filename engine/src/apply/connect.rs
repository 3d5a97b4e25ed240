//! Deferred provider configurations during apply. A configuration whose settings were known
//! only after apply (a kubernetes provider connected to a cluster this run creates) is set up
//! when the first of its operations is ready to start: by then everything its `provider` block
//! refers to has been applied (the planner made its objects depend on those resources). Its
//! block is evaluated with the applied values, a fresh instance is configured with it, and
//! `Provider::probe` is asked until the remote system answers; the operations wait parked
//! meanwhile, without holding a parallelism slot.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::stream::FuturesUnordered;
use petgraph::graph::NodeIndex;
use slipway_core::address::ProviderConfigAddr;
use slipway_core::provider::{ConfigureRequest, Provider, Readiness};
use slipway_core::{Diagnostic, Diagnostics, Value};
use slipway_lang::evaluate::ApplyEvaluator;

use crate::providers::{ProviderSet, provider_block};
use crate::schema_check::decode_config;

/// How often a provider that does not answer yet is asked again.
const PROBE_EVERY: Duration = Duration::from_secs(1);

pub type Connected = (ProviderConfigAddr, Result<Arc<dyn Provider>, Diagnostics>);
type ConnectFuture = Pin<Box<dyn Future<Output = Connected> + Send>>;

/// What [`Connections::park`] did with an operation.
#[derive(Debug, PartialEq, Eq)]
pub enum Parked {
    /// Its configuration starts connecting now.
    First,
    /// It joins the operations already waiting.
    Joined,
    /// The configuration failed to connect: the operation never starts.
    Failed,
}

/// The deferred configurations being connected, and the operations waiting for them.
#[derive(Default)]
pub struct Connections {
    pub pending: FuturesUnordered<ConnectFuture>,
    parked: HashMap<ProviderConfigAddr, Vec<NodeIndex>>,
    /// Since when each is waited for, and the provider's latest reason, for progress lines.
    waiting: HashMap<ProviderConfigAddr, (Instant, Arc<Mutex<String>>)>,
    failed: HashSet<ProviderConfigAddr>,
}

impl Connections {
    /// Parks `node` until `addr` answers, starting its connection if it is the first.
    pub fn park(
        &mut self,
        addr: &ProviderConfigAddr,
        node: NodeIndex,
        providers: &ProviderSet,
        evaluator: Option<&mut ApplyEvaluator<'_>>,
        diags: &mut Diagnostics,
    ) -> Parked {
        if self.failed.contains(addr) {
            return Parked::Failed;
        }
        let mut parked = Parked::Joined;
        if !self.parked.contains_key(addr) {
            match deferred_config(addr, providers, evaluator) {
                Ok((provider, config)) => {
                    let status = Arc::new(Mutex::new(String::new()));
                    self.waiting.insert(addr.clone(), (Instant::now(), status.clone()));
                    self.pending.push(Box::pin(connect(addr.clone(), provider, config, status)));
                    parked = Parked::First;
                }
                Err(problems) => {
                    diags.extend(problems);
                    self.failed.insert(addr.clone());
                    return Parked::Failed;
                }
            }
        }
        self.parked.entry(addr.clone()).or_default().push(node);
        parked
    }

    /// A connection finished: the operations parked on it, to start now (empty after a
    /// failure, whose diagnostics go to `diags`), and how long it took.
    pub fn settle(
        &mut self,
        (addr, result): Connected,
        providers: &ProviderSet,
        diags: &mut Diagnostics,
    ) -> (Vec<NodeIndex>, Duration) {
        let elapsed = self.waiting.remove(&addr).map(|(since, _)| since.elapsed()).unwrap_or_default();
        let parked = self.parked.remove(&addr).unwrap_or_default();
        match result {
            Ok(provider) => {
                providers.replace_deferred(&addr, provider);
                (parked, elapsed)
            }
            Err(problems) => {
                diags.extend(problems);
                self.failed.insert(addr);
                (Vec::new(), elapsed)
            }
        }
    }

    /// Each configuration still waited for, with its latest reason and how long it has waited.
    pub fn waiting(&self) -> Vec<(ProviderConfigAddr, String, Duration)> {
        self.waiting
            .iter()
            .map(|(addr, (since, status))| {
                let why = status.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
                (addr.clone(), why, since.elapsed())
            })
            .collect()
    }

    /// Ctrl-C: stop waiting; parked operations never start.
    pub fn abandon(&mut self) {
        self.pending = FuturesUnordered::new();
        self.parked.clear();
        self.waiting.clear();
    }
}

/// A fresh instance of the deferred configuration's provider and its `provider` block evaluated
/// with what has been applied.
fn deferred_config(
    addr: &ProviderConfigAddr,
    providers: &ProviderSet,
    evaluator: Option<&mut ApplyEvaluator<'_>>,
) -> Result<(Arc<dyn Provider>, Value), Diagnostics> {
    let fail = |detail: String| -> Diagnostics {
        Diagnostic::error("Provider configuration not known", format!("The provider configuration {addr} {detail}"))
            .into()
    };
    let Some(evaluator) = evaluator else {
        return Err(fail(
            "is known only after apply, and a destroy applies nothing that could make it known. Apply the configuration first, or remove these objects from state with slipway state rm.".into(),
        ));
    };
    let (Some(provider), Some(template)) = (providers.fresh(&addr.name), providers.template(&addr.name)) else {
        return Err(fail("names a provider this build of slipway does not include.".into()));
    };
    let Some(block) = provider_block(evaluator.config(), addr) else {
        return Err(fail("has no provider block to evaluate.".into()));
    };
    let Some((raw, mut diags)) = evaluator.provider_config(&addr.module, block) else {
        return Err(fail("is in a module without instances.".into()));
    };
    if diags.has_errors() {
        return Err(diags);
    }
    match decode_config(&raw, &template.schema().provider) {
        Ok(config) => Ok((provider, config)),
        Err(problems) => {
            for (path, problem) in problems {
                diags.push(Diagnostic::error(
                    "Incorrect attribute value type",
                    format!("provider {:?}: {path}: {problem}.", addr.name),
                ));
            }
            Err(diags)
        }
    }
}

/// Configures `provider` and waits until it answers, or its give-up time has passed.
async fn connect(
    addr: ProviderConfigAddr,
    provider: Arc<dyn Provider>,
    config: Value,
    status: Arc<Mutex<String>>,
) -> Connected {
    let response = provider.configure(ConfigureRequest { config }).await;
    let mut diags = Diagnostics::new();
    for mut d in response.diagnostics.iter().cloned() {
        d.detail = format!("{}\n\nwith the provider configuration {addr}", d.detail).trim_start().to_string();
        diags.push(d);
    }
    if diags.has_errors() {
        return (addr, Err(diags));
    }
    if let Some(why) = response.deferred {
        diags.push(Diagnostic::error(
            "Provider configuration not known",
            format!(
                "The provider configuration {addr} is still not known after everything its provider block refers to was applied ({why}). Its settings must come from resources, not from values only a later run can know."
            ),
        ));
        return (addr, Err(diags));
    }
    let started = Instant::now();
    loop {
        match provider.probe().await {
            Readiness::Ready => return (addr, Ok(provider)),
            Readiness::Failed(problems) => return (addr, Err(problems)),
            Readiness::NotYet { why, give_up_after } => {
                if started.elapsed() >= give_up_after {
                    diags.push(Diagnostic::error(
                        "Provider did not become ready",
                        format!(
                            "The provider configuration {addr} still did not answer after {}s: {why}. Its objects were not applied; run apply again once it answers.",
                            give_up_after.as_secs()
                        ),
                    ));
                    return (addr, Err(diags));
                }
                *status.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = why;
                tokio::time::sleep(PROBE_EVERY).await;
            }
        }
    }
}
