//! `slipway cluster validate`, as `kops validate cluster` checks a cluster: the node groups
//! have as many Ready nodes as they are meant to run, every node is Ready, every control-plane
//! node runs etcd, the API server, the controller manager and the scheduler, Ready, and every
//! system-critical pod in kube-system is Ready. Two LISTs (nodes, kube-system pods) per check.
//! The CLI renders the report; this reads the cluster and judges it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

/// What a node group is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    ControlPlane,
    Node,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::ControlPlane => "ControlPlane",
            Role::Node => "Node",
        }
    }
}

/// A node group as the configuration's state describes it.
#[derive(Clone, Debug)]
pub struct Group {
    pub name: String,
    pub role: Role,
    pub desired: u64,
}

#[derive(Clone, Debug)]
pub struct NodeStatus {
    pub name: String,
    pub role: Role,
    pub ready: bool,
}

/// One thing that is not as it should be: its kind (as kops prints it), the object, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: &'static str,
    pub name: String,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub groups: Vec<Group>,
    pub nodes: Vec<NodeStatus>,
    pub failures: Vec<Failure>,
}

/// The static pods kubeadm runs on every control-plane node, by their `component` label.
const CONTROL_PLANE_COMPONENTS: [&str; 4] = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"];

/// A client from a kubeconfig document, its server replaced by `server` when given (as
/// `kubectl --server` does: a tunnel, a bastion).
pub async fn client(kubeconfig: &str, server: Option<&str>) -> Result<kube::Client, String> {
    let mut config = Kubeconfig::from_yaml(kubeconfig).map_err(|e| format!("the kubeconfig is not usable: {e}"))?;
    if let Some(server) = server {
        for cluster in &mut config.clusters {
            if let Some(c) = cluster.cluster.as_mut() {
                c.server = Some(server.to_string());
            }
        }
    }
    let config = kube::Config::from_custom_kubeconfig(config, &KubeConfigOptions::default())
        .await
        .map_err(|e| format!("the kubeconfig is not usable: {e}"))?;
    kube::Client::try_from(config).map_err(|e| format!("cannot make a Kubernetes client: {e}"))
}

/// Reads the nodes and kube-system pods and judges them against `groups`.
pub async fn validate(client: &kube::Client, groups: &[Group]) -> Result<Report, String> {
    let nodes: Api<Node> = Api::all(client.clone());
    let nodes = nodes.list(&ListParams::default()).await.map_err(|e| format!("listing nodes failed: {e}"))?;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "kube-system");
    let pods = pods.list(&ListParams::default()).await.map_err(|e| format!("listing kube-system pods failed: {e}"))?;
    Ok(judge(groups, &nodes.items, &pods.items))
}

/// The report for these nodes and kube-system pods. Pure, so every rule is tested without a cluster.
pub fn judge(groups: &[Group], nodes: &[Node], pods: &[Pod]) -> Report {
    let mut failures = Vec::new();
    let statuses: Vec<NodeStatus> = nodes
        .iter()
        .map(|n| NodeStatus {
            name: n.metadata.name.clone().unwrap_or_default(),
            role: node_role(n),
            ready: node_ready(n),
        })
        .collect();
    for status in statuses.iter().filter(|s| !s.ready) {
        failures.push(Failure {
            kind: "Node",
            name: status.name.clone(),
            message: format!("node {:?} is not ready", status.name),
        });
    }
    let mut desired: BTreeMap<Role, u64> = BTreeMap::new();
    for g in groups {
        *desired.entry(g.role).or_default() += g.desired;
    }
    for (role, want) in desired {
        let ready = statuses.iter().filter(|s| s.role == role && s.ready).count() as u64;
        if ready < want {
            let names: Vec<&str> = groups.iter().filter(|g| g.role == role).map(|g| g.name.as_str()).collect();
            failures.push(Failure {
                kind: "InstanceGroup",
                name: names.join(", "),
                message: format!("{} did not have enough Ready nodes: {ready} vs {want}", role.label()),
            });
        }
    }
    for node in statuses.iter().filter(|s| s.role == Role::ControlPlane) {
        for component in CONTROL_PLANE_COMPONENTS {
            let pod = pods.iter().find(|p| {
                p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node.name.as_str())
                    && label(p, "component") == Some(component)
            });
            match pod {
                None => failures.push(Failure {
                    kind: "Pod",
                    name: format!("kube-system/{component}-{}", node.name),
                    message: format!("control-plane node {:?} runs no {component} pod", node.name),
                }),
                Some(p) if !pod_ready(p) => failures.push(pod_failure(p)),
                Some(_) => {}
            }
        }
    }
    for pod in pods.iter().filter(|p| critical(p) && label(p, "tier") != Some("control-plane") && !pod_ready(p)) {
        failures.push(pod_failure(pod));
    }
    Report { groups: groups.to_vec(), nodes: statuses, failures }
}

fn node_role(node: &Node) -> Role {
    let labels = node.metadata.labels.as_ref();
    if labels.is_some_and(|l| l.contains_key("node-role.kubernetes.io/control-plane")) {
        Role::ControlPlane
    } else {
        Role::Node
    }
}

fn node_ready(node: &Node) -> bool {
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions.is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn label<'a>(pod: &'a Pod, key: &str) -> Option<&'a str> {
    pod.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

/// What kops counts as the cluster's own: pods of the system-critical priority classes.
fn critical(pod: &Pod) -> bool {
    let class = pod.spec.as_ref().and_then(|s| s.priority_class_name.as_deref());
    matches!(class, Some("system-cluster-critical" | "system-node-critical"))
}

fn pod_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    let running = status.and_then(|s| s.phase.as_deref()) == Some("Running");
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    running && ready
}

fn pod_failure(pod: &Pod) -> Failure {
    let name = format!("kube-system/{}", pod.metadata.name.as_deref().unwrap_or_default());
    let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Unknown".into());
    Failure { kind: "Pod", message: format!("system pod {name:?} is not ready ({phase})"), name }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(name: &str, control_plane: bool, ready: bool) -> Node {
        let mut labels = json!({});
        if control_plane {
            labels["node-role.kubernetes.io/control-plane"] = json!("");
        }
        serde_json::from_value(json!({
            "metadata": {"name": name, "labels": labels},
            "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}
        }))
        .expect("node")
    }

    fn pod(name: &str, node: &str, component: Option<&str>, class: Option<&str>, ready: bool) -> Pod {
        let mut labels = json!({});
        if let Some(c) = component {
            labels = json!({"component": c, "tier": "control-plane"});
        }
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "kube-system", "labels": labels},
            "spec": {"nodeName": node, "priorityClassName": class, "containers": []},
            "status": {"phase": if ready { "Running" } else { "Pending" },
                       "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}
        }))
        .expect("pod")
    }

    fn groups() -> Vec<Group> {
        vec![
            Group { name: "control-plane-a.masters.c".into(), role: Role::ControlPlane, desired: 1 },
            Group { name: "nodes.c".into(), role: Role::Node, desired: 2 },
        ]
    }

    fn control_plane_pods(node: &str) -> Vec<Pod> {
        CONTROL_PLANE_COMPONENTS
            .iter()
            .map(|c| pod(&format!("{c}-{node}"), node, Some(c), Some("system-node-critical"), true))
            .collect()
    }

    #[test]
    fn a_healthy_cluster_has_no_failures() {
        let nodes = [node("cp", true, true), node("n1", false, true), node("n2", false, true)];
        let mut pods = control_plane_pods("cp");
        pods.push(pod("coredns-1", "n1", None, Some("system-cluster-critical"), true));
        let report = judge(&groups(), &nodes, &pods);
        assert_eq!(report.failures, Vec::new());
        assert_eq!(report.nodes.len(), 3);
    }

    #[test]
    fn missing_and_unready_nodes_and_pods_are_named() {
        let nodes = [node("cp", true, true), node("n1", false, false)];
        let mut pods: Vec<Pod> =
            control_plane_pods("cp").into_iter().filter(|p| label(p, "component") != Some("kube-scheduler")).collect();
        pods.push(pod("coredns-1", "n1", None, Some("system-cluster-critical"), false));
        pods.push(pod("my-app", "n1", None, None, false));
        let report = judge(&groups(), &nodes, &pods);
        let messages: Vec<&str> = report.failures.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "node \"n1\" is not ready",
                "Node did not have enough Ready nodes: 0 vs 2",
                "control-plane node \"cp\" runs no kube-scheduler pod",
                "system pod \"kube-system/coredns-1\" is not ready (Pending)",
            ]
        );
        assert_eq!(report.failures[1].name, "nodes.c");
    }
}
