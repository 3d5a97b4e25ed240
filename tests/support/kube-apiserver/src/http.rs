//! The REST surface: discovery, GET/LIST, server-side apply and merge PATCH, DELETE, on the
//! paths the real API server uses (`/api/v1/namespaces/{ns}/{plural}/{name}`,
//! `/apis/{group}/{version}/...`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::catalog::Kind;
use crate::store::{ApiError, Store};

pub type Shared = Arc<Mutex<Store>>;

fn reply(code: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [("content-type", "application/json")], body.to_string()).into_response()
}

fn error(e: ApiError) -> Response {
    reply(e.code, e.status())
}

fn query(uri: &Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or_default()
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_string(), v.replace("%2F", "/").replace("%3D", "=").replace("%2C", ","))
        })
        .collect()
}

fn parse_body(body: &Bytes) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .or_else(|_| serde_yaml_ng::from_slice(body))
        .map_err(|e| ApiError::new(400, "BadRequest", format!("the body of the request could not be decoded: {e}")))
}

pub async fn handle(
    axum::extract::State(shared): axum::extract::State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(mut store) = shared.lock() else {
        return reply(500, json!({"message": "store poisoned"}));
    };
    store.requests.push(format!("{method} {uri}"));
    store.record(format!("{method} {uri}"));
    let segments: Vec<&str> = uri.path().split('/').filter(|s| !s.is_empty()).collect();
    let params = query(&uri);
    if params.get("watch").is_some_and(|w| w == "true" || w == "1") {
        return error(ApiError::new(400, "BadRequest", "the test API server does not serve watches"));
    }
    match (method.clone(), segments.as_slice()) {
        (Method::GET, ["version"]) => {
            reply(200, json!({"major": "1", "minor": "33", "gitVersion": "v1.33.0-slipway-test"}))
        }
        (Method::GET, ["readyz"]) if store.starting > 0 => {
            store.starting -= 1;
            let text = "[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n";
            (StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "text/plain")], text).into_response()
        }
        (Method::GET, ["readyz"]) => (StatusCode::OK, [("content-type", "text/plain")], "ok").into_response(),
        (Method::GET, ["api"]) => {
            reply(200, json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}))
        }
        (Method::GET, ["apis"]) => reply(200, groups(&store)),
        (Method::GET, ["api", version]) => reply(200, resources(&store, "", version)),
        (Method::GET, ["apis", group, version]) => reply(200, resources(&store, group, version)),
        (_, ["api", version, rest @ ..]) => resource(&mut store, &method, "", version, rest, &params, &headers, &body),
        (_, ["apis", group, version, rest @ ..]) => {
            resource(&mut store, &method, group, version, rest, &params, &headers, &body)
        }
        _ => error(ApiError::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({method} {})", uri.path()),
        )),
    }
}

fn groups(store: &Store) -> Value {
    let mut by_group: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for kind in store.kinds().into_iter().filter(|k| !k.group.is_empty()) {
        let versions = by_group.entry(kind.group.clone()).or_default();
        if !versions.contains(&kind.version) {
            versions.push(kind.version.clone());
        }
    }
    let groups: Vec<Value> = by_group
        .into_iter()
        .map(|(name, versions)| {
            let vs: Vec<Value> =
                versions.iter().map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v})).collect();
            json!({"name": name, "versions": vs, "preferredVersion": vs[0].clone()})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

fn resources(store: &Store, group: &str, version: &str) -> Value {
    let verbs = json!(["create", "delete", "get", "list", "patch", "update"]);
    let mut list = Vec::new();
    for kind in store.kinds().into_iter().filter(|k| k.group == group && k.version == version) {
        list.push(json!({"name": kind.plural, "singularName": kind.kind.to_lowercase(), "namespaced": kind.namespaced,
                         "kind": kind.kind, "verbs": verbs}));
        list.push(json!({"name": format!("{}/status", kind.plural), "singularName": "", "namespaced": kind.namespaced,
                         "kind": kind.kind, "verbs": ["get", "patch", "update"]}));
    }
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": list})
}

#[allow(clippy::too_many_arguments)]
fn resource(
    store: &mut Store,
    method: &Method,
    group: &str,
    version: &str,
    rest: &[&str],
    params: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    // A pod's eviction (as `kubectl drain` asks for it): the pod is deleted.
    if let (&Method::POST, ["namespaces", ns, "pods", name, "eviction"]) = (method, rest) {
        let Some(kind) = store.kind_by_plural("", "v1", "pods") else {
            return error(ApiError::new(404, "NotFound", "no pods here"));
        };
        return result(
            store
                .delete(&kind, ns, name, None, false)
                .map(|_| (201, json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201}))),
        );
    }
    // [plural], [plural, name], [namespaces, ns, plural], [namespaces, ns, plural, name]
    let (namespace, plural, name) = match rest {
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        [plural] => (None, *plural, None),
        _ => return error(ApiError::new(404, "NotFound", "the server could not find the requested resource")),
    };
    let Some(kind) = store.kind_by_plural(group, version, plural) else {
        return error(ApiError::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({plural}.{group}/{version})"),
        ));
    };
    if kind.namespaced && namespace.is_none() && name.is_some() {
        return error(ApiError::new(404, "NotFound", "a namespaced resource needs a namespace"));
    }
    let ns = namespace.unwrap_or_default();
    let dry_run = params.get("dryRun").is_some_and(|d| d == "All");
    match (method, name) {
        (&Method::GET, None) => reply(200, with_fields(store.list(&kind, namespace), params.get("fieldSelector"))),
        (&Method::GET, Some(name)) => result(store.get(&kind, ns, name).map(|v| (200, v))),
        (&Method::PATCH, Some(name)) => patch(store, &kind, ns, name, params, headers, body, dry_run),
        (&Method::DELETE, Some(name)) => {
            let options = if body.is_empty() { json!({}) } else { parse_body(body).unwrap_or_else(|_| json!({})) };
            let propagation = options["propagationPolicy"]
                .as_str()
                .map(str::to_string)
                .or_else(|| params.get("propagationPolicy").cloned());
            result(store.delete(&kind, ns, name, propagation.as_deref(), dry_run).map(|v| (200, v)))
        }
        _ => error(ApiError::new(
            405,
            "MethodNotAllowed",
            format!("{method} is not supported here by the test API server"),
        )),
    }
}

#[allow(clippy::too_many_arguments)]
fn patch(
    store: &mut Store,
    kind: &Kind,
    ns: &str,
    name: &str,
    params: &BTreeMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
    dry_run: bool,
) -> Response {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let parsed = match parse_body(body) {
        Ok(v) => v,
        Err(e) => return error(e),
    };
    let manager = params.get("fieldManager").cloned();
    if content_type.starts_with("application/apply-patch") {
        let Some(manager) = manager else {
            return error(ApiError::new(
                400,
                "BadRequest",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
            ));
        };
        let force = params.get("force").is_some_and(|f| f == "true");
        return result(store.apply(kind, ns, name, parsed, &manager, force, dry_run));
    }
    let manager = manager.unwrap_or_else(|| "unknown".into());
    result(store.update(kind, ns, name, parsed, &manager).map(|v| (200, v)))
}

/// A list narrowed by a field selector of equalities (`spec.nodeName=ip-10-0-0-1,...`).
fn with_fields(mut list: Value, selector: Option<&String>) -> Value {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else { return list };
    let wanted: Vec<(Vec<&str>, &str)> = selector
        .split(',')
        .filter_map(|term| term.split_once('='))
        .map(|(path, value)| (path.trim_end_matches('=').split('.').collect(), value))
        .collect();
    if let Some(items) = list["items"].as_array_mut() {
        items.retain(|item| {
            wanted.iter().all(|(path, value)| {
                let found = path.iter().try_fold(item, |v, segment| v.get(*segment));
                found.and_then(Value::as_str) == Some(*value)
            })
        });
    }
    list
}

fn result(r: Result<(u16, Value), ApiError>) -> Response {
    match r {
        Ok((code, v)) => reply(code, v),
        Err(e) => error(e),
    }
}
