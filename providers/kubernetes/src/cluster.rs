//! The calls slipway makes to an API server, through `kube`: discovery of a kind's resource
//! (cached), GET, server-side apply (and its dry-run), foreground DELETE, and the Warning events
//! that explain a failed rollout. Errors keep the API server's reason, so that callers can tell
//! "not there yet" (a namespace or a CRD created by the same apply) from real failures.

use std::collections::HashMap;
use std::sync::Mutex;

use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde_json::Value;

/// Which object: the identity a manifest carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    /// As written; a namespaced kind without one uses the context's namespace.
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// The identity of a manifest as JSON; `None` when it lacks apiVersion, kind or name.
    pub fn of(manifest: &Value) -> Option<ObjectRef> {
        Some(ObjectRef {
            api_version: manifest["apiVersion"].as_str()?.to_string(),
            kind: manifest["kind"].as_str()?.to_string(),
            namespace: manifest["metadata"]["namespace"].as_str().map(str::to_string),
            name: manifest["metadata"]["name"].as_str()?.to_string(),
        })
    }

    /// `apps/v1/Deployment/default/nginx`, `v1/Namespace/web`: what `slipway import` takes.
    pub fn id(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{ns}/{}", self.api_version, self.kind, self.name),
            None => format!("{}/{}/{}", self.api_version, self.kind, self.name),
        }
    }

    /// The inverse of [`ObjectRef::id`]: `[group/]version/Kind/[namespace/]name`.
    pub fn parse(id: &str) -> Option<ObjectRef> {
        let parts: Vec<&str> = id.split('/').collect();
        // The kind is the first part that starts with a capital letter: the core group has no
        // group part, so `v1/ConfigMap/default/x` and `apps/v1/Deployment/x` both have four.
        let kind_at = parts.iter().position(|p| p.starts_with(|c: char| c.is_ascii_uppercase()))?;
        if !(1..=2).contains(&kind_at) || parts.iter().any(|p| p.is_empty()) {
            return None;
        }
        let rest = &parts[kind_at + 1..];
        let (namespace, name) = match rest {
            [name] => (None, name.to_string()),
            [ns, name] => (Some(ns.to_string()), name.to_string()),
            _ => return None,
        };
        Some(ObjectRef { api_version: parts[..kind_at].join("/"), kind: parts[kind_at].to_string(), namespace, name })
    }

    fn gvk(&self) -> GroupVersionKind {
        let (group, version) = self.api_version.split_once('/').unwrap_or(("", &self.api_version));
        GroupVersionKind::gvk(group, version, &self.kind)
    }
}

/// What went wrong talking to the API server.
#[derive(Debug)]
pub enum ApiFailure {
    /// 404: the object, or its namespace, does not exist.
    NotFound(String),
    /// The API server does not serve this kind (yet: a CRD not Established).
    KindMissing(String),
    /// 409: a field manager conflict (with the conflicting fields, `.spec.replicas`), or a
    /// stale resourceVersion.
    Conflict { message: String, fields: Vec<String> },
    /// Any other answer.
    Rejected { code: u16, reason: String, message: String },
    /// No answer: the cluster is not there, or the connection failed.
    Unreachable(String),
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiFailure::NotFound(m) | ApiFailure::Conflict { message: m, .. } => f.write_str(m),
            ApiFailure::KindMissing(kind) => write!(f, "the API server does not serve the kind {kind}"),
            ApiFailure::Rejected { code, reason, message } => write!(f, "{message} ({reason}, HTTP {code})"),
            ApiFailure::Unreachable(m) => write!(f, "the API server did not answer: {m}"),
        }
    }
}

fn failure(e: kube::Error) -> ApiFailure {
    match e {
        kube::Error::Api(status) => match status.code {
            404 => ApiFailure::NotFound(status.message.clone()),
            409 => ApiFailure::Conflict {
                message: status.message.clone(),
                fields: status
                    .details
                    .as_ref()
                    .map(|d| d.causes.iter().filter(|c| !c.field.is_empty()).map(|c| c.field.clone()).collect())
                    .unwrap_or_default(),
            },
            code => ApiFailure::Rejected { code, reason: status.reason.clone(), message: status.message.clone() },
        },
        kube::Error::Discovery(d) => ApiFailure::KindMissing(d.to_string()),
        other => ApiFailure::Unreachable(other.to_string()),
    }
}

pub struct Cluster {
    client: kube::Client,
    /// The context's namespace, for namespaced objects whose manifest names none.
    default_namespace: String,
    kinds: Mutex<HashMap<String, (ApiResource, bool)>>,
}

impl Cluster {
    /// `GET /readyz`: whether the API server is up and serving (etcd reachable, informers
    /// synced), as kubeadm and load balancer health checks ask it.
    pub async fn ready(&self) -> Result<(), ApiFailure> {
        let request =
            http::Request::get("/readyz").body(Vec::new()).map_err(|e| ApiFailure::Unreachable(e.to_string()))?;
        self.client.request_text(request).await.map(|_| ()).map_err(failure)
    }

    pub fn new(config: kube::Config) -> Result<Cluster, String> {
        let default_namespace = config.default_namespace.clone();
        let client = kube::Client::try_from(config).map_err(|e| e.to_string())?;
        Ok(Cluster { client, default_namespace, kinds: Mutex::new(HashMap::new()) })
    }

    /// The resource serving a kind, and whether it is namespaced.
    async fn resource(&self, r: &ObjectRef) -> Result<(ApiResource, bool), ApiFailure> {
        let key = format!("{}/{}", r.api_version, r.kind);
        if let Some(found) = self.kinds.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(found.clone());
        }
        let (resource, capabilities) =
            kube::discovery::pinned_kind(&self.client, &r.gvk()).await.map_err(|e| match e {
                // A group the server does not have at all is a missing kind too.
                kube::Error::Api(status) if status.code == 404 => ApiFailure::KindMissing(key.clone()),
                other => failure(other),
            })?;
        let found = (resource, capabilities.scope == Scope::Namespaced);
        self.kinds.lock().unwrap_or_else(|p| p.into_inner()).insert(key, found.clone());
        Ok(found)
    }

    async fn api(&self, r: &ObjectRef) -> Result<Api<DynamicObject>, ApiFailure> {
        let (resource, namespaced) = self.resource(r).await?;
        Ok(if namespaced {
            let ns = r.namespace.as_deref().unwrap_or(&self.default_namespace);
            Api::namespaced_with(self.client.clone(), ns, &resource)
        } else {
            Api::all_with(self.client.clone(), &resource)
        })
    }

    /// Forgets what discovery said about a kind, to ask again (a CRD became Established).
    pub fn forget(&self, r: &ObjectRef) {
        self.kinds.lock().unwrap_or_else(|p| p.into_inner()).remove(&format!("{}/{}", r.api_version, r.kind));
    }

    pub async fn get(&self, r: &ObjectRef) -> Result<Option<Value>, ApiFailure> {
        let api = match self.api(r).await {
            Ok(api) => api,
            // The kind itself is gone (its CRD was deleted): so is the object.
            Err(ApiFailure::KindMissing(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let found = api.get_opt(&r.name).await.map_err(failure)?;
        found.map(|o| serde_json::to_value(o).map_err(|e| ApiFailure::Unreachable(e.to_string()))).transpose()
    }

    /// Server-side apply of `manifest` as `manager`; with `dry_run`, what it would make.
    pub async fn apply(
        &self,
        r: &ObjectRef,
        manifest: &Value,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<Value, ApiFailure> {
        let api = self.api(r).await?;
        let mut params = PatchParams::apply(manager);
        if force {
            params = params.force();
        }
        if dry_run {
            params = params.dry_run();
        }
        let applied = api.patch(&r.name, &params, &Patch::Apply(manifest)).await.map_err(failure)?;
        serde_json::to_value(applied).map_err(|e| ApiFailure::Unreachable(e.to_string()))
    }

    /// Deletes in the foreground: the object goes once its dependents are gone. Whether it
    /// existed.
    pub async fn delete(&self, r: &ObjectRef) -> Result<bool, ApiFailure> {
        let api = match self.api(r).await {
            Ok(api) => api,
            Err(ApiFailure::KindMissing(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        match api.delete(&r.name, &DeleteParams::foreground()).await.map_err(failure) {
            Ok(_) => Ok(true),
            Err(ApiFailure::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The Warning events about an object and what it owns (its ReplicaSets and Pods are named
    /// after it), newest last, as `kubectl describe` lists them.
    pub async fn warnings(&self, r: &ObjectRef) -> Vec<String> {
        let ns = r.namespace.as_deref().unwrap_or(&self.default_namespace);
        let api: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(self.client.clone(), ns);
        let Ok(list) = api.list(&ListParams::default()).await else { return Vec::new() };
        let prefix = format!("{}-", r.name);
        list.items
            .into_iter()
            .filter(|e| e.type_.as_deref() == Some("Warning"))
            .filter(|e| e.involved_object.name.as_deref().is_some_and(|n| n == r.name || n.starts_with(&prefix)))
            .map(|e| {
                format!(
                    "{} {}/{}: {}",
                    e.reason.unwrap_or_default(),
                    e.involved_object.kind.unwrap_or_default(),
                    e.involved_object.name.unwrap_or_default(),
                    e.message.unwrap_or_default()
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for id in [
            "apps/v1/Deployment/default/nginx",
            "v1/Namespace/web",
            "v1/ConfigMap/default/cfg",
            "rbac.authorization.k8s.io/v1/ClusterRole/view",
        ] {
            let parsed = ObjectRef::parse(id).expect("parses");
            assert_eq!(parsed.id(), id);
        }
        let core = ObjectRef::parse("v1/ConfigMap/default/cfg").expect("parses");
        assert_eq!((core.api_version.as_str(), core.namespace.as_deref()), ("v1", Some("default")));
        assert!(ObjectRef::parse("deployment/nginx").is_none());
        assert!(ObjectRef::parse("apps/v1/Deployment/a/b/c").is_none());
    }
}
