//! The Kubernetes side of rolling an Auto Scaling group of cluster nodes, as `kops rolling-update`
//! does it: which Node an EC2 instance is (its `spec.providerID` is `aws:///<zone>/<instance-id>`),
//! draining a node before its instance goes (cordon, then evict its pods through the Eviction API
//! so that PodDisruptionBudgets hold), waiting until a replacement's Node is Ready, and removing
//! the Node objects of terminated instances. It speaks the Kubernetes API through `kube`, as the
//! kubernetes provider does, with the connection given in `instance_refresh { kubernetes { ... } }`.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, EvictParams, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;
use slipway_core::provider_kit::attr;
use slipway_core::{Diagnostic, Value};
use tokio::time::Instant;

use crate::kit::configured_str;

/// How often node readiness and evictions are looked at again: one LIST of all nodes each time.
const POLL: Duration = Duration::from_secs(2);

/// The cluster whose nodes an Auto Scaling group runs.
pub struct ClusterNodes {
    client: kube::Client,
    host: String,
    /// How long one node may take to drain, and its replacement to become Ready.
    pub timeout: Duration,
}

impl ClusterNodes {
    /// A client for the `kubernetes` block (`host`, `cluster_ca_certificate`, and
    /// `client_certificate` + `client_key` or `token`); nothing is sent yet.
    pub async fn connect(settings: &Value, timeout: Duration) -> Result<ClusterNodes, Diagnostic> {
        let invalid = |e: &dyn std::fmt::Display| {
            Diagnostic::error(
                "Invalid Kubernetes connection in instance_refresh",
                format!("The kubernetes block of instance_refresh is not usable: {e}."),
            )
        };
        let host = configured_str(settings, "host").ok_or_else(|| invalid(&"host is not set"))?;
        let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
        let mut cluster = json!({"server": host});
        if let Some(ca) = configured_str(settings, "cluster_ca_certificate") {
            cluster["certificate-authority-data"] = json!(b64(ca));
        }
        let mut user = json!({});
        if let Some(token) = configured_str(settings, "token") {
            user["token"] = json!(token);
        }
        match (configured_str(settings, "client_certificate"), configured_str(settings, "client_key")) {
            (Some(cert), Some(key)) => {
                user["client-certificate-data"] = json!(b64(cert));
                user["client-key-data"] = json!(b64(key));
            }
            (None, None) => {}
            _ => return Err(invalid(&"client_certificate and client_key go together: set both, or neither")),
        }
        let document = json!({
            "apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "cluster", "cluster": cluster}],
            "users": [{"name": "slipway", "user": user}],
            "contexts": [{"name": "slipway", "context": {"cluster": "cluster", "user": "slipway"}}],
            "current-context": "slipway",
        });
        let kubeconfig: Kubeconfig = serde_json::from_value(document).map_err(|e| invalid(&e))?;
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| invalid(&e))?;
        let client = kube::Client::try_from(config).map_err(|e| invalid(&e))?;
        Ok(ClusterNodes { client, host, timeout })
    }

    fn nodes(&self) -> Api<Node> {
        Api::all(self.client.clone())
    }

    fn failure(&self, doing: &str, e: &kube::Error) -> Diagnostic {
        Diagnostic::error(
            "Kubernetes API call failed while rolling nodes",
            format!(
                "{doing} at {}: {e}. No further instance was terminated; the next apply resumes the roll.",
                self.host
            ),
        )
    }

    /// Every Node that runs on an EC2 instance, by instance ID; one LIST.
    pub async fn by_instance(&self) -> Result<BTreeMap<String, Node>, Diagnostic> {
        let list = self.nodes().list(&ListParams::default()).await.map_err(|e| self.failure("Listing nodes", &e))?;
        Ok(list.items.into_iter().filter_map(|node| Some((instance_of(&node)?, node))).collect())
    }

    /// Cordons the nodes of `instances` and evicts their pods (not DaemonSet pods, not static
    /// pods), waiting until the evicted pods are gone. Instances with no Node are skipped.
    pub async fn drain(&self, instances: &[String]) -> Result<(), Diagnostic> {
        let nodes = self.by_instance().await?;
        let deadline = Instant::now() + self.timeout;
        for id in instances {
            let Some(name) = nodes.get(id).and_then(|n| n.metadata.name.clone()) else { continue };
            let cordon = json!({"spec": {"unschedulable": true}});
            self.nodes()
                .patch(&name, &PatchParams::default(), &Patch::Merge(&cordon))
                .await
                .map_err(|e| self.failure(&format!("Cordoning node {name}"), &e))?;
            let pods: Api<Pod> = Api::all(self.client.clone());
            let on_node = ListParams::default().fields(&format!("spec.nodeName={name}"));
            loop {
                let list =
                    pods.list(&on_node).await.map_err(|e| self.failure(&format!("Listing pods on {name}"), &e))?;
                let evictable: Vec<&Pod> = list.items.iter().filter(|p| evictable(p)).collect();
                if evictable.is_empty() {
                    break;
                }
                if Instant::now() >= deadline {
                    let names: Vec<String> = evictable.iter().map(|p| pod_name(p)).collect();
                    return Err(Diagnostic::error(
                        format!("Timed out draining node {name}"),
                        format!(
                            "These pods are still on {name} (instance {id}) after {}s: {}. A PodDisruptionBudget may forbid their eviction; raise instance_refresh's kubernetes timeout, or fix the budget. The node stays cordoned and its instance is not terminated.",
                            self.timeout.as_secs(),
                            names.join(", ")
                        ),
                    ));
                }
                for pod in evictable {
                    let (Some(ns), Some(pod_name)) = (pod.metadata.namespace.as_deref(), pod.metadata.name.as_deref())
                    else {
                        continue;
                    };
                    let api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
                    match api.evict(pod_name, &EvictParams::default()).await {
                        Ok(_) => {}
                        // 429: a disruption budget says not now; 404: already gone. Look again.
                        Err(kube::Error::Api(s)) if s.code == 429 || s.code == 404 => {}
                        Err(e) => return Err(self.failure(&format!("Evicting pod {ns}/{pod_name}"), &e)),
                    }
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Ok(())
    }

    /// Waits until each of `instances` has a Node whose Ready condition is True.
    pub async fn wait_ready(&self, instances: &[String]) -> Result<(), Diagnostic> {
        let deadline = Instant::now() + self.timeout;
        loop {
            let nodes = self.by_instance().await?;
            let waiting: Vec<String> = instances
                .iter()
                .filter(|id| !nodes.get(*id).is_some_and(is_ready))
                .map(|id| match nodes.get(id).and_then(|n| n.metadata.name.as_deref()) {
                    Some(name) => format!("{id} (node {name}, not Ready)"),
                    None => format!("{id} (no node has registered)"),
                })
                .collect();
            if waiting.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Diagnostic::error(
                    "Timed out waiting for new nodes to be Ready",
                    format!(
                        "After {}s these instances have no Ready node: {}. Look at the instance's console output (bootstrap log /var/log/slipway-bootstrap.log) and `kubectl describe node`. The roll stopped here: the next apply resumes it.",
                        self.timeout.as_secs(),
                        waiting.join(", ")
                    ),
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Deletes the Node objects of `instances`, which are terminated (the cloud controller
    /// manager would, later; until then `kubectl get nodes` would list them NotReady).
    pub async fn forget(&self, instances: &[String]) -> Result<(), Diagnostic> {
        let nodes = self.by_instance().await?;
        for id in instances {
            let Some(name) = nodes.get(id).and_then(|n| n.metadata.name.clone()) else { continue };
            match self.nodes().delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(self.failure(&format!("Deleting node {name}"), &e)),
            }
        }
        Ok(())
    }
}

/// The `kubernetes` block of `instance_refresh`, when there is one.
pub fn settings(instance_refresh: &Value) -> Option<Value> {
    let block = attr(instance_refresh, "kubernetes");
    block.as_elements()?.first().cloned()
}

/// The EC2 instance a Node runs on, from `aws:///<zone>/<instance-id>`.
fn instance_of(node: &Node) -> Option<String> {
    let id = node.spec.as_ref()?.provider_id.as_deref()?;
    let id = id.strip_prefix("aws://")?.rsplit('/').next()?;
    id.starts_with("i-").then(|| id.to_string())
}

fn is_ready(node: &Node) -> bool {
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// What `kubectl drain --ignore-daemonsets` evicts: not DaemonSet pods (their controller puts
/// them back at once), not static pods (the kubelet's own), not pods that already finished.
fn evictable(pod: &Pod) -> bool {
    let daemon = pod.metadata.owner_references.iter().flatten().any(|o| o.kind == "DaemonSet");
    let mirror = pod.metadata.annotations.as_ref().is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
    let finished =
        pod.status.as_ref().and_then(|s| s.phase.as_deref()).is_some_and(|p| p == "Succeeded" || p == "Failed");
    !daemon && !mirror && !finished
}

fn pod_name(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}
