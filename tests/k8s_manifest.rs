//! The kubernetes provider through the binary, against the test API server
//! (`tests/support/kube-apiserver`), as the course's first lesson goes: a Deployment with one
//! replica is applied and waited for; a second plan shows no changes; `replicas = 3` shows as
//! a YAML line diff `- replicas: 1` / `+ replicas: 3` and scales it; `kubectl scale` by another manager is drift the plan puts back; an
//! HPA-like manager's field is not drift; removing the block deletes the object (prune); destroy
//! leaves nothing.

// Tests read and write their working directories directly (see clippy.toml).
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use serde_json::json;
use slipway_test_kube_apiserver::ApiServer;
use support::slipway;

fn write_config(dir: &Path, server: &ApiServer, replicas: Option<u32>) {
    let mut text = format!(
        r#"provider "kubernetes" {{
  host  = "{}"
  token = "test-token"
}}
"#,
        server.url
    );
    if let Some(replicas) = replicas {
        text.push_str(&format!(
            r#"
resource "kubernetes_manifest" "web" {{
  manifest = yamldecode(templatefile("deployment.yaml", {{ replicas = {replicas} }}))
}}
"#
        ));
    }
    std::fs::write(dir.join("main.tf"), text).expect("write main.tf");
}

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: default
  labels:
    app: nginx
spec:
  replicas: ${replicas}
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
        - name: nginx
          image: nginx:1.27
          ports:
            - containerPort: 80
"#;

/// How many lines of a plan's line diffs remove (`-`) or add (`+`) `text`.
fn diff_lines(plan: &str, marker: char, text: &str) -> usize {
    plan.lines().map(str::trim).filter(|l| l.strip_prefix(marker).is_some_and(|rest| rest.trim() == text)).count()
}

fn live_replicas(server: &ApiServer) -> Option<i64> {
    let live = server.get("apps/v1", "Deployment", "default", "nginx")?;
    live["spec"]["replicas"].as_i64()
}

/// A test API server and a working directory where the Deployment with `replicas` was applied.
fn applied(replicas: u32) -> (ApiServer, tempfile::TempDir) {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("deployment.yaml"), DEPLOYMENT).expect("write deployment");
    write_config(dir.path(), &server, Some(replicas));
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."), "{out}");
    assert_eq!(live_replicas(&server), Some(i64::from(replicas)));
    (server, dir)
}

#[test]
fn deployment_applies_scales_drifts_and_prunes() {
    let (server, dir) = applied(1);
    // The apply waited for the rollout: the controller had made the replica available.
    let live = server.get("apps/v1", "Deployment", "default", "nginx").expect("the deployment");
    assert_eq!(live["status"]["availableReplicas"].as_i64(), Some(1), "{live:#}");

    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "a second plan shows no changes:\n{out}");
    assert!(out.contains("No changes."), "{out}");

    // Scaling is editing replicas and applying again; the plan shows exactly that.
    write_config(dir.path(), &server, Some(3));
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("~ resource \"kubernetes_manifest\" \"web\""), "{out}");
    // The manifest and the dry-run's object, each a YAML document diffed line by line.
    assert!(out.contains("~ manifest = <<-EOT") && out.contains("~ object   = <<-EOT"), "{out}");
    assert_eq!(diff_lines(&out, '-', "replicas: 1"), 2, "{out}");
    assert_eq!(diff_lines(&out, '+', "replicas: 3"), 2, "{out}");
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{out}");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(live_replicas(&server), Some(3));
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // `kubectl scale` takes a field slipway manages: drift, which the plan shows and puts back.
    server
        .update_as("kubectl", "apps/v1", "Deployment", "default", "nginx", json!({"spec": {"replicas": 5}}))
        .expect("kubectl scale");
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(diff_lines(&out, '-', "replicas: 5") > 0 && diff_lines(&out, '+', "replicas: 3") > 0, "{out}");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(live_replicas(&server), Some(3));

    // A field only another manager sets is not drift.
    server
        .update_as(
            "sidecar-injector",
            "apps/v1",
            "Deployment",
            "default",
            "nginx",
            json!({"metadata": {"annotations": {"injected": "true"}}}),
        )
        .expect("another manager's update");
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "another manager's field is not drift:\n{out}");

    // Removing the block from the configuration deletes the object.
    write_config(dir.path(), &server, None);
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("kubernetes_manifest.web will be destroyed"), "{out}");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 added, 0 changed, 1 destroyed"), "{out}");
    assert_eq!(server.get("apps/v1", "Deployment", "default", "nginx"), None);
}

#[test]
fn destroy_removes_every_object_and_import_takes_one_back() {
    let (server, dir) = applied(2);

    // Forgotten by slipway, then imported again: the plan after the import shows no changes.
    let (code, out) = slipway(dir.path(), &["state", "rm", "kubernetes_manifest.web"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(dir.path(), &["import", "kubernetes_manifest.web", "apps/v1/Deployment/default/nginx"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "the imported object matches its configuration:\n{out}");

    let (code, out) = slipway(dir.path(), &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(server.get("apps/v1", "Deployment", "default", "nginx"), None);
    let (code, out) = slipway(dir.path(), &["state", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.trim().is_empty(), "destroy leaves nothing in state:\n{out}");
}

/// The provider configured from a value known only after apply, as when the cluster module
/// is in the same configuration: `terraform_data.cluster` stands in for the cluster, its
/// `output` (the API server's URL) unknown until it is created.
fn write_deferred_config(dir: &Path, server: &ApiServer) {
    let text = format!(
        r#"resource "terraform_data" "cluster" {{
  input = "{}"
}}

provider "kubernetes" {{
  host                  = terraform_data.cluster.output
  token                 = "test-token"
  cluster_ready_timeout = "1m"
}}

resource "kubernetes_manifest" "web" {{
  manifest = yamldecode(templatefile("deployment.yaml", {{ replicas = 2 }}))
}}
"#,
        server.url
    );
    std::fs::write(dir.join("main.tf"), text).expect("write main.tf");
    std::fs::write(dir.join("deployment.yaml"), DEPLOYMENT).expect("write deployment");
}

#[test]
fn a_cluster_made_in_the_same_run_is_planned_deferred_and_applied_once_it_answers() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_deferred_config(dir.path(), &server);

    // Planned without the cluster: nothing is asked of it, and the plan says what waits.
    let (code, out) = slipway(dir.path(), &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("+ resource \"kubernetes_manifest\" \"web\""), "{out}");
    assert!(out.contains("The cluster does not exist yet: 1 object will be applied after it is ready."), "{out}");
    assert!(out.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{out}");
    assert!(server.requests().is_empty(), "a plan never reaches the cluster: {:?}", server.requests());
    let (code, json) = slipway(dir.path(), &["show", "-json", "tfplan"]);
    assert_eq!(code, 0, "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("plan JSON");
    let deferred = doc["deferred_changes"].as_array().expect("deferred_changes");
    assert_eq!(deferred.len(), 1, "{doc:#}");
    assert_eq!(deferred[0]["reason"], "provider_config_unknown");
    assert_eq!(deferred[0]["resource_change"]["address"], "kubernetes_manifest.web");

    // Apply creates the "cluster", configures the provider from it, waits until it answers
    // (three failed readiness checks, as while etcd starts) and only then applies.
    server.starting_up(3);
    let (code, out) = slipway(dir.path(), &["apply", "tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("provider[kubernetes]: Ready after"), "{out}");
    assert!(out.contains("Apply complete! Resources: 2 added, 0 changed, 0 destroyed."), "{out}");
    let requests = server.requests();
    let probes = requests.iter().take_while(|r| r.starts_with("GET /readyz")).count();
    assert_eq!(probes, 4, "three failed checks and one that passed come before anything else: {requests:?}");
    assert_eq!(live_replicas(&server), Some(2));

    // Now the cluster is in state: the provider is configured from it and refreshes normally.
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("does not exist yet"), "{out}");

    // Removing the object alone deletes it through the API, before anything else.
    let config = std::fs::read_to_string(dir.path().join("main.tf")).expect("main.tf");
    let without = config.split("resource \"kubernetes_manifest\"").next().expect("the rest").to_string();
    std::fs::write(dir.path().join("main.tf"), &without).expect("write main.tf");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("kubernetes_manifest.web: Destruction complete"), "{out}");
    assert_eq!(server.get("apps/v1", "Deployment", "default", "nginx"), None);
}

/// A cluster destroyed with its objects: they go with it, dropped from state without a call,
/// except a LoadBalancer Service and a PersistentVolumeClaim, whose cloud load balancer and
/// volume would outlive the cluster: those are deleted first, before the cluster.
#[test]
fn destroying_the_cluster_drops_its_objects_but_deletes_load_balancers_and_claims_first() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_deferred_config(dir.path(), &server);
    let objects = r#"
resource "kubernetes_manifest" "app" {
  for_each = manifestdecode(file("app.yaml"))
  manifest = each.value
}
"#;
    let app = "apiVersion: v1\nkind: Service\nmetadata: {name: public, namespace: default}\nspec:\n  type: LoadBalancer\n  selector: {app: nginx}\n  ports: [{port: 80}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: internal, namespace: default}\nspec:\n  selector: {app: nginx}\n  ports: [{port: 80}]\n---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: default}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n";
    std::fs::write(dir.path().join("app.yaml"), app).expect("write app.yaml");
    let config = std::fs::read_to_string(dir.path().join("main.tf")).expect("main.tf");
    std::fs::write(dir.path().join("main.tf"), format!("{config}{objects}")).expect("write main.tf");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 5 added"), "{out}");

    let (code, out) = slipway(dir.path(), &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    for forgotten in ["kubernetes_manifest.web", "kubernetes_manifest.app[\"Service/default/internal\"]"] {
        assert!(out.contains(&format!("# {forgotten} will be removed from the state without a call")), "{out}");
    }
    let cluster_gone = out.find("terraform_data.cluster: Destruction complete").expect("cluster destroyed");
    for deleted in ["Service/default/public", "PersistentVolumeClaim/default/data"] {
        let line = format!("kubernetes_manifest.app[\"{deleted}\"]: Destruction complete");
        let at = out.find(&line).unwrap_or_else(|| panic!("{deleted} is deleted:\n{out}"));
        assert!(at < cluster_gone, "{deleted} goes before the cluster:\n{out}");
    }
    assert_eq!(server.get("v1", "Service", "default", "public"), None);
    assert_eq!(server.get("v1", "PersistentVolumeClaim", "default", "data"), None);
    // The rest was not called for: it went with the (here, stand-in) cluster.
    assert!(server.get("v1", "Service", "default", "internal").is_some());
    assert!(server.get("apps/v1", "Deployment", "default", "nginx").is_some());
    let deletes: Vec<String> = server.requests().into_iter().filter(|r| r.starts_with("DELETE")).collect();
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    let (code, out) = slipway(dir.path(), &["state", "list"]);
    assert_eq!((code, out.trim()), (0, ""), "destroy leaves nothing in state");
}

#[test]
fn a_cluster_that_never_answers_fails_its_objects_after_the_timeout() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    write_deferred_config(dir.path(), &server);
    let config = std::fs::read_to_string(dir.path().join("main.tf")).expect("main.tf");
    std::fs::write(dir.path().join("main.tf"), config.replace("\"1m\"", "\"2s\"")).expect("write main.tf");
    server.starting_up(u32::MAX);
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("did not become ready"), "{out}");
    assert!(out.contains("etcd failed"), "the provider's last reason is in the error: {out}");
    // What was made is in state; the manifest was never applied and is planned again.
    let (code, out) = slipway(dir.path(), &["state", "list"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.trim(), "terraform_data.cluster");
    assert!(server.requests().iter().all(|r| r.starts_with("GET /readyz")), "{:?}", server.requests());
}

/// `examples/nginx-deployment` against the test API server, step by step as its README tells
/// it; the README quotes each plan exactly as slipway prints it.
#[test]
fn the_nginx_example_plans_as_its_readme_shows() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nginx-deployment");
    for file in ["main.tf", "deployment.yaml"] {
        std::fs::copy(example.join(file), dir.path().join(file)).expect("copy the example");
    }
    std::fs::write(dir.path().join("kubeconfig"), server.kubeconfig()).expect("kubeconfig");
    let readme = std::fs::read_to_string(example.join("README.md")).expect("the example's README");
    let kubeconfig = "-var=kubeconfig=kubeconfig";

    let (code, first) = slipway(dir.path(), &["plan", kubeconfig]);
    assert_eq!(code, 0, "{first}");
    assert!(readme.contains(first.trim()), "the README shows the first plan as it is:\n{first}");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve", kubeconfig]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(live_replicas(&server), Some(1));

    let (code, scaled) = slipway(dir.path(), &["plan", kubeconfig, "-var=replicas=3"]);
    assert_eq!(code, 0, "{scaled}");
    assert!(readme.contains(scaled.trim()), "the README shows the scale-up plan as it is:\n{scaled}");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve", kubeconfig, "-var=replicas=3"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(live_replicas(&server), Some(3));
    let (code, out) = slipway(dir.path(), &["output", "replicas"]);
    assert_eq!((code, out.trim()), (0, "3"));
}

/// One stream with a Namespace, a CRD and objects that need them, applied in one run: the
/// instances start together, and each object waits until its namespace exists or its kind is
/// served (the CRD Established), so nothing has to be listed first.
#[test]
fn a_stream_of_objects_needing_a_namespace_and_a_crd_applies_in_one_run() {
    let server = ApiServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = r#"apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  color: blue
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: first
  namespace: shop
spec:
  size: 3
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
"#;
    std::fs::write(dir.path().join("shop.yaml"), stream).expect("write shop.yaml");
    let config = format!(
        r#"provider "kubernetes" {{
  host  = "{}"
  token = "test-token"
}}

resource "kubernetes_manifest" "shop" {{
  for_each = manifestdecode(file("shop.yaml"))
  manifest = each.value
}}
"#,
        server.url
    );
    std::fs::write(dir.path().join("main.tf"), config).expect("write main.tf");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 4 added, 0 changed, 0 destroyed."), "{out}");
    assert!(server.get("v1", "ConfigMap", "shop", "settings").is_some());
    let widget = server.get("example.com/v1", "Widget", "shop", "first").expect("the custom resource");
    assert_eq!(widget["spec"]["size"], 3);
    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "a second plan shows no changes:\n{out}");
    let (code, out) = slipway(dir.path(), &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(server.get("v1", "Namespace", "", "shop"), None);
}
