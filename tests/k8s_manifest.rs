//! The kubernetes provider through the binary, against the test API server
//! (`tests/support/kube-apiserver`), as the course's first lesson goes: a Deployment with one
//! replica is applied and waited for; a second plan shows no changes; `replicas = 3` shows as
//! `1 -> 3` and scales it; `kubectl scale` by another manager is drift the plan puts back; an
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
    assert!(out.contains("replicas") && out.contains("1 -> 3"), "{out}");
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
    assert!(out.contains("5 -> 3"), "{out}");
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
