//! The provider against the test API server, through its Provider interface: server-side apply
//! with managed fields, the dry-run plan, refresh that tells slipway's fields from other
//! managers', conflicts, rollout waits and their failure, foreground deletion, import.

use serde_json::json;
use slipway_core::address::{InstanceKey, ModuleInstance, ResourceAddr, ResourceInstanceAddr};
use slipway_core::json::{from_json, to_json};
use slipway_core::provider::{
    ApplyRequest, ConfigureRequest, ImportRequest, PlanRequest, Provider, ReadBatchRequest, ReadInstance,
};
use slipway_core::{Type, Value};
use slipway_provider_kubernetes::KubernetesProvider;
use slipway_test_kube_apiserver::ApiServer;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn provider(rt: &tokio::runtime::Runtime, server: &ApiServer) -> KubernetesProvider {
    let provider = KubernetesProvider::new();
    let mut config: std::collections::BTreeMap<String, Value> = [
        "config_path",
        "config_context",
        "host",
        "cluster_ca_certificate",
        "client_certificate",
        "client_key",
        "token",
        "insecure",
        "exec",
    ]
    .iter()
    .map(|k| (k.to_string(), Value::null(Type::Any)))
    .collect();
    config.insert("host".into(), Value::string(server.url.as_str()));
    config.insert("token".into(), Value::string("test-token"));
    let response = rt.block_on(provider.configure(ConfigureRequest { config: Value::object(config) }));
    assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
    provider
}

fn addr() -> ResourceInstanceAddr {
    ResourceInstanceAddr::new(
        ModuleInstance::root(),
        ResourceAddr::managed("kubernetes_manifest", "web"),
        InstanceKey::None,
    )
}

fn config(manifest: serde_json::Value) -> Value {
    Value::object_from([
        ("manifest", from_json(&manifest)),
        ("field_manager", Value::null(Type::Any)),
        ("wait", Value::null(Type::Any)),
        (
            "timeouts",
            Value::object_from([
                ("create", Value::string("5s")),
                ("update", Value::string("5s")),
                ("delete", Value::string("5s")),
            ]),
        ),
    ])
}

fn deployment(replicas: Option<i64>, image: &str) -> serde_json::Value {
    let mut spec = json!({"selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": image}]}}});
    if let Some(r) = replicas {
        spec["replicas"] = json!(r);
    }
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}, "spec": spec})
}

/// Plans (with the dry-run) and applies a configuration; the new state and its private data.
fn plan_and_apply(
    rt: &tokio::runtime::Runtime,
    p: &KubernetesProvider,
    prior: Option<(&Value, &[u8])>,
    config: Value,
) -> (Value, Vec<u8>, Value) {
    let request = PlanRequest {
        address: addr(),
        type_name: "kubernetes_manifest".into(),
        prior: prior.map(|(v, _)| v.clone()),
        proposed: config.clone(),
        config: config.clone(),
        prior_private: prior.map(|(_, p)| p.to_vec()).unwrap_or_default(),
    };
    let planned = p.plan(request.clone());
    let planned = rt.block_on(p.plan_remote(request, planned));
    assert!(!planned.diagnostics.has_errors(), "{:?}", planned.diagnostics);
    let planned_value = planned.planned.expect("planned");
    let applied = rt.block_on(p.apply(ApplyRequest {
        address: addr(),
        type_name: "kubernetes_manifest".into(),
        prior: prior.map(|(v, _)| v.clone()),
        planned: Some(planned_value.clone()),
        config: Some(config),
        planned_private: planned.planned_private,
        owner: "test".into(),
    }));
    assert!(!applied.diagnostics.has_errors(), "{:?}", applied.diagnostics);
    (applied.new_state.expect("state"), applied.private, planned_value)
}

fn refresh(rt: &tokio::runtime::Runtime, p: &KubernetesProvider, prior: &Value, private: &[u8]) -> Option<Value> {
    let response = rt.block_on(p.read_batch(ReadBatchRequest {
        type_name: "kubernetes_manifest".into(),
        instances: vec![ReadInstance { address: addr(), prior: prior.clone(), private: private.to_vec() }],
    }));
    assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
    response.current.into_iter().next().expect("one result")
}

fn json_of(v: &Value, name: &str) -> serde_json::Value {
    to_json(&v.get_attr(name).cloned().expect("attribute")).expect("known")
}

#[test]
fn apply_is_server_side_with_managed_fields_and_the_dry_run_is_what_apply_makes() {
    let server = ApiServer::start();
    let rt = rt();
    let p = provider(&rt, &server);
    let (state, _, planned) = plan_and_apply(&rt, &p, None, config(deployment(Some(2), "nginx:1.27")));
    // The dry-run knew the object, defaults included, before it existed; apply made exactly that.
    assert_eq!(json_of(&planned, "object"), json_of(&state, "object"));
    assert_eq!(json_of(&state, "object")["spec"]["revisionHistoryLimit"], json!(10));
    assert!(
        server.requests().iter().any(|r| r.contains("dryRun=All") && r.contains("fieldManager=slipway")),
        "{:?}",
        server.requests()
    );
    let live = server.get("apps/v1", "Deployment", "default", "web").expect("created");
    let managers: Vec<&str> = live["metadata"]["managedFields"]
        .as_array()
        .expect("managed")
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(managers, ["slipway"]);
    // The rollout was waited for.
    assert_eq!(live["status"]["availableReplicas"], json!(2), "{live}");
}

#[test]
fn refresh_shows_drift_in_slipways_fields_and_not_in_other_managers() {
    let server = ApiServer::start();
    let rt = rt();
    let p = provider(&rt, &server);
    let (state, private, _) = plan_and_apply(&rt, &p, None, config(deployment(Some(2), "nginx:1.27")));
    assert_eq!(refresh(&rt, &p, &state, &private), Some(state.clone()), "nothing changed");

    // An injected sidecar and a label a controller adds belong to their managers.
    server
        .update_as("istio", "apps/v1", "Deployment", "default", "web", json!({"metadata": {"labels": {"mesh": "on"}}, "spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "istio/proxy"}]}}}}))
        .expect("update");
    assert_eq!(refresh(&rt, &p, &state, &private), Some(state.clone()), "other managers' fields are not drift");

    // kubectl scale takes spec.replicas from slipway: drift, with the live value.
    server
        .update_as("kubectl", "apps/v1", "Deployment", "default", "web", json!({"spec": {"replicas": 5}}))
        .expect("scale");
    let current = refresh(&rt, &p, &state, &private).expect("exists");
    assert_eq!(json_of(&current, "manifest")["spec"]["replicas"], json!(5));
    assert_eq!(
        json_of(&current, "manifest")["spec"]["template"]["spec"]["containers"],
        json!([{"name": "web", "image": "nginx:1.27"}])
    );

    // The next apply takes replicas back from kubectl (its plan's dry-run too), and nothing else.
    let (state, _, planned) =
        plan_and_apply(&rt, &p, Some((&current, &private)), config(deployment(Some(2), "nginx:1.27")));
    assert_eq!(json_of(&planned, "object")["spec"]["replicas"], json!(2));
    assert_eq!(json_of(&state, "object"), json_of(&planned, "object"));
    let live = server.get("apps/v1", "Deployment", "default", "web").expect("exists");
    assert_eq!(live["spec"]["replicas"], json!(2));
    let containers = live["spec"]["template"]["spec"]["containers"].as_array().map(Vec::len);
    assert_eq!(containers, Some(2), "the sidecar stays");
}

#[test]
fn a_field_another_manager_applied_is_a_conflict_unless_forced() {
    let server = ApiServer::start();
    let rt = rt();
    let p = provider(&rt, &server);
    let (state, private, _) = plan_and_apply(&rt, &p, None, config(deployment(Some(1), "nginx:1.27")));
    // ops sets a field slipway never managed; a configuration that now wants it differently
    // conflicts (taking back a field slipway owned before, drift, is not a conflict).
    let mut by_ops = deployment(None, "nginx:1.27");
    by_ops["spec"]["minReadySeconds"] = json!(10);
    server.apply_as("ops", by_ops, true).expect("apply by ops");
    let mut wanted = deployment(Some(1), "nginx:1.29");
    wanted["spec"]["minReadySeconds"] = json!(5);
    let next = config(wanted);
    let request = PlanRequest {
        address: addr(),
        type_name: "kubernetes_manifest".into(),
        prior: Some(state.clone()),
        proposed: next.clone(),
        config: next.clone(),
        prior_private: private.clone(),
    };
    let planned = rt.block_on(p.plan_remote(request.clone(), p.plan(request)));
    let text = format!("{:?}", planned.diagnostics);
    assert!(
        planned.diagnostics.has_errors()
            && text.contains("conflict with \\\"ops\\\"")
            && text.contains("force_conflicts"),
        "{text}"
    );

    let mut forced = next.as_entries().cloned().expect("object");
    forced.insert(
        "field_manager".into(),
        Value::object_from([("name", Value::null(Type::String)), ("force_conflicts", Value::bool(true))]),
    );
    let (_, _, _) = plan_and_apply(&rt, &p, Some((&state, &private)), Value::object(forced));
    let live = server.get("apps/v1", "Deployment", "default", "web").expect("exists");
    assert_eq!(live["spec"]["template"]["spec"]["containers"][0]["image"], json!("nginx:1.29"));
    assert_eq!(live["spec"]["minReadySeconds"], json!(5), "forced, slipway's value wins");
}

#[test]
fn a_stalled_rollout_fails_with_its_events_and_delete_waits_until_gone() {
    let server = ApiServer::start();
    server.stall("default", "web");
    let rt = rt();
    let p = provider(&rt, &server);
    let c = config(deployment(Some(2), "nginx:1.27"));
    let request = PlanRequest {
        address: addr(),
        type_name: "kubernetes_manifest".into(),
        prior: None,
        proposed: c.clone(),
        config: c.clone(),
        prior_private: Vec::new(),
    };
    let planned = p.plan(request).planned.expect("planned");
    let applied = rt.block_on(p.apply(ApplyRequest {
        address: addr(),
        type_name: "kubernetes_manifest".into(),
        prior: None,
        planned: Some(planned),
        config: Some(c),
        planned_private: Vec::new(),
        owner: "t".into(),
    }));
    let text = format!("{:?}", applied.diagnostics);
    assert!(text.contains("ProgressDeadlineExceeded") && text.contains("exceeded quota"), "{text}");
    let state = applied.new_state.expect("the object exists, so state has it");

    let deleted = rt.block_on(p.apply(ApplyRequest {
        address: addr(),
        type_name: "kubernetes_manifest".into(),
        prior: Some(state),
        planned: None,
        config: None,
        planned_private: Vec::new(),
        owner: "t".into(),
    }));
    assert!(!deleted.diagnostics.has_errors(), "{:?}", deleted.diagnostics);
    assert!(server.get("apps/v1", "Deployment", "default", "web").is_none(), "gone when delete returns");
    assert!(server.requests().iter().any(|r| r.starts_with("DELETE /apis/apps/v1/namespaces/default/deployments/web")));
}

#[test]
fn import_reads_what_its_manager_set() {
    let server = ApiServer::start();
    server.apply_as("kubectl", deployment(Some(1), "nginx:1.27"), false).expect("kubectl apply");
    let rt = rt();
    let p = provider(&rt, &server);
    let imported = rt.block_on(p.import(ImportRequest {
        type_name: "kubernetes_manifest".into(),
        id: "apps/v1/Deployment/default/web".into(),
    }));
    assert!(!imported.diagnostics.has_errors(), "{:?}", imported.diagnostics);
    let state = imported.state.expect("state");
    assert_eq!(json_of(&state, "manifest"), deployment(Some(1), "nginx:1.27"));
    let missing = rt.block_on(p.import(ImportRequest {
        type_name: "kubernetes_manifest".into(),
        id: "apps/v1/Deployment/default/nope".into(),
    }));
    assert!(format!("{:?}", missing.diagnostics).contains("non-existent"));
    let bad = rt.block_on(p.import(ImportRequest { type_name: "kubernetes_manifest".into(), id: "nginx".into() }));
    assert!(format!("{:?}", bad.diagnostics).contains("apps/v1/Deployment/default/nginx"));
}

#[test]
fn a_namespace_applied_in_the_same_run_is_waited_for() {
    let server = ApiServer::start();
    let rt = rt();
    let p = std::sync::Arc::new(provider(&rt, &server));
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}, "data": {"a": "1"}});
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}});
    let apply = |manifest: serde_json::Value, delay: u64| {
        let p = p.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            let c = config(manifest);
            let request = PlanRequest {
                address: addr(),
                type_name: "kubernetes_manifest".into(),
                prior: None,
                proposed: c.clone(),
                config: c.clone(),
                prior_private: Vec::new(),
            };
            let planned = p.plan(request).planned.expect("planned");
            p.apply(ApplyRequest {
                address: addr(),
                type_name: "kubernetes_manifest".into(),
                prior: None,
                planned: Some(planned),
                config: Some(c),
                planned_private: Vec::new(),
                owner: "t".into(),
            })
            .await
        }
    };
    let (cm_result, ns_result) = rt.block_on(async { tokio::join!(apply(cm, 0), apply(ns, 700)) });
    assert!(!cm_result.diagnostics.has_errors(), "{:?}", cm_result.diagnostics);
    assert!(!ns_result.diagnostics.has_errors(), "{:?}", ns_result.diagnostics);
    assert!(server.get("v1", "ConfigMap", "shop", "cfg").is_some());
}
