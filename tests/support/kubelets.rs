//! Kubelets for the instances moto runs: no instance boots here, so while a test applies, a
//! thread plays the part of each instance's kubelet against the test API server. Every instance
//! of the watched Auto Scaling groups registers a Node (`spec.providerID` =
//! `aws:///<zone>/<instance-id>`, as the module's bootstrap sets it) that turns Ready a few
//! polls later, with a ReplicaSet's pod and a DaemonSet's pod scheduled on it. It also watches
//! what the roll does to the nodes: how many were cordoned at once, at most.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;
use slipway_test_kube_apiserver::ApiServer;

use super::moto::Moto;

/// What the kubelets saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Every instance that registered a node, in the order they appeared.
    pub registered: Vec<String>,
    /// The most nodes cordoned (spec.unschedulable) at one time.
    pub most_cordoned_at_once: usize,
}

/// How the kubelets behave.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// Instances that register but never become Ready (a node that fails to join).
    pub never_ready: BTreeSet<String>,
    /// Instances that become Ready only after about ten seconds (a slow kubelet).
    pub late: BTreeSet<String>,
    /// Instances never become Ready either from the one at this position on, counting every
    /// instance seen since `serving` began (those running already first).
    pub ready_limit: Option<usize>,
}

/// The node name of an instance, as the private DNS name would be.
pub fn node_name(instance: &str) -> String {
    format!("ip-{}.ec2.internal", instance.trim_start_matches("i-"))
}

/// Runs `during` while kubelets serve every instance of `groups`; returns its result and what
/// the kubelets saw.
pub fn serving<T>(
    moto: &Moto,
    api: &ApiServer,
    groups: &[&str],
    behaviour: Behaviour,
    during: impl FnOnce() -> T,
) -> (T, Seen) {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let client = moto.autoscaling();
        let watcher = scope.spawn(|| watch(client, api, groups, &behaviour, &stop));
        let out = during();
        stop.store(true, Ordering::SeqCst);
        let seen = watcher.join().expect("the kubelets thread");
        (out, seen)
    })
}

fn watch(
    autoscaling: aws_sdk_autoscaling::Client,
    api: &ApiServer,
    groups: &[&str],
    behaviour: &Behaviour,
    stop: &AtomicBool,
) -> Seen {
    let rt = super::rt();
    let mut seen = Seen::default();
    // Instance -> polls since it registered.
    let mut age: BTreeMap<String, u32> = BTreeMap::new();
    while !stop.load(Ordering::SeqCst) {
        let described = rt.block_on(
            autoscaling
                .describe_auto_scaling_groups()
                .set_auto_scaling_group_names(Some(groups.iter().map(|g| g.to_string()).collect()))
                .send(),
        );
        let instances: Vec<(String, String, bool)> = described
            .map(|d| {
                d.auto_scaling_groups()
                    .iter()
                    .flat_map(|g| {
                        let control_plane = g.auto_scaling_group_name().is_some_and(|n| n.contains(".masters."));
                        g.instances().iter().filter_map(move |i| {
                            Some((i.instance_id()?.to_string(), i.availability_zone()?.to_string(), control_plane))
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (id, zone, control_plane) in instances {
            let polls = age.entry(id.clone()).or_insert(0);
            if *polls == 0 {
                seen.registered.push(id.clone());
                register(api, &id, &zone, control_plane);
            }
            *polls += 1;
            let position = seen.registered.iter().position(|r| *r == id).unwrap_or(0);
            let held = behaviour.never_ready.contains(&id) || behaviour.ready_limit.is_some_and(|l| position >= l);
            let ready_at = if behaviour.late.contains(&id) { 100 } else { 4 };
            if *polls == ready_at && !held {
                ready(api, &id, &zone, control_plane);
            }
        }
        let cordoned = api
            .names("v1", "Node")
            .iter()
            .filter(|n| api.get("v1", "Node", "", n).is_some_and(|node| node["spec"]["unschedulable"] == json!(true)))
            .count();
        seen.most_cordoned_at_once = seen.most_cordoned_at_once.max(cordoned);
        std::thread::sleep(Duration::from_millis(100));
    }
    seen
}

fn node(instance: &str, zone: &str, ready: bool, control_plane: bool) -> serde_json::Value {
    let mut labels = json!({"topology.kubernetes.io/zone": zone});
    if control_plane {
        labels["node-role.kubernetes.io/control-plane"] = json!("");
    }
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": node_name(instance), "labels": labels},
        "spec": {"providerID": format!("aws:///{zone}/{instance}")},
        "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                                   "reason": if ready { "KubeletReady" } else { "KubeletNotReady" }}]}
    })
}

/// The kubelet registers its node (NotReady until the CNI is up) and the scheduler places a web
/// pod and the CNI's DaemonSet pod on it; a control-plane node runs kubeadm's static pods.
fn register(api: &ApiServer, instance: &str, zone: &str, control_plane: bool) {
    let name = node_name(instance);
    if api.get("v1", "Node", "", &name).is_some() {
        return; // registered during an earlier apply
    }
    let _ = api.apply_as("kubelet", node(instance, zone, false, control_plane), true);
    let short = instance.trim_start_matches("i-");
    let pod = |namespace: &str, pod_name: String, owner: &str| {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": namespace,
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner, "name": "owner", "uid": "u"}]},
            "spec": {"nodeName": name, "containers": [{"name": "c", "image": "nginx:1.27"}]}
        })
    };
    let _ = api.apply_as("kube-scheduler", pod("default", format!("web-{short}"), "ReplicaSet"), true);
    let _ = api.apply_as("kube-scheduler", pod("kube-system", format!("flannel-{short}"), "DaemonSet"), true);
    if control_plane {
        for component in ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
            let static_pod = json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{component}-{name}"), "namespace": "kube-system",
                             "labels": {"component": component, "tier": "control-plane"},
                             "annotations": {"kubernetes.io/config.mirror": "mirror"}},
                "spec": {"nodeName": name, "priorityClassName": "system-node-critical",
                         "containers": [{"name": component, "image": format!("registry.k8s.io/{component}:v1.31.4")}]},
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
            });
            let _ = api.apply_as("kubelet", static_pod, true);
        }
    }
}

fn ready(api: &ApiServer, instance: &str, zone: &str, control_plane: bool) {
    let _ = api.apply_as("kubelet", node(instance, zone, true, control_plane), true);
}
