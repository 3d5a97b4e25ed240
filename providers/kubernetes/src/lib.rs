//! slipway-provider-kubernetes: the `kubernetes` provider. `kubernetes_manifest` ships any
//! Kubernetes object with server-side apply (field manager `slipway`); refresh reads back only
//! the fields slipway manages (from `managedFields`), plans are refined by a server-side dry-run
//! when the API server answers, workloads are waited for until their rollout finished, and
//! deletes are foreground deletes that wait until the object is gone.

// Helpers return core's `Diagnostic` as their error: errors are the cold path.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::future::join_all;
use slipway_core::json::from_json;
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, Provider, ProviderFactory, ReadBatchRequest, ReadBatchResponse, ReadInstance, Readiness,
    ValidateRequest, ValidateResponse,
};
use slipway_core::provider_kit::{attr, same, unknown_type};
use slipway_core::schema::{ProviderSchema, ResourceSchema};
use slipway_core::{Diagnostic, Value};

mod cluster;
mod config;
mod managed;
mod manifest;
pub mod validate;
mod wait;

use cluster::{ApiFailure, Cluster, ObjectRef};
use wait::Progress;

/// The provider's name in configurations: `provider "kubernetes" { ... }`.
pub const NAME: &str = "kubernetes";

/// How often a rollout, a wait or a delete is checked: the apply ends at most this long after
/// the object got there.
const POLL: Duration = Duration::from_millis(500);

/// How long a plan's dry-run may take before the plan goes on without it.
const DRY_RUN_TIMEOUT: Duration = Duration::from_secs(10);

pub fn factory() -> ProviderFactory {
    Arc::new(|| Arc::new(KubernetesProvider::new()) as Arc<dyn Provider>)
}

/// How the provider reaches its cluster.
enum Connection {
    Ready(Cluster),
    /// Settings known only after apply (the cluster is created in the same run).
    Unknown,
}

pub struct KubernetesProvider {
    schema: ProviderSchema,
    connection: OnceLock<Connection>,
    /// How long a probe of a cluster created in the same run keeps saying "not yet".
    ready_timeout: OnceLock<Duration>,
}

impl Default for KubernetesProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl KubernetesProvider {
    pub fn new() -> Self {
        let mut schema = ProviderSchema { provider: config::provider_block(), ..Default::default() };
        schema.resources.insert(manifest::TYPE_NAME.into(), ResourceSchema { version: 0, block: manifest::schema() });
        KubernetesProvider { schema, connection: OnceLock::new(), ready_timeout: OnceLock::new() }
    }

    fn cluster(&self) -> Result<&Cluster, Diagnostic> {
        match self.connection.get() {
            Some(Connection::Ready(cluster)) => Ok(cluster),
            Some(Connection::Unknown) => Err(Diagnostic::error(
                "Kubernetes cluster not known yet",
                "The kubernetes provider's connection settings are known only after apply (the cluster is created in this run), so its objects cannot be read or changed yet.",
            )),
            None => Err(Diagnostic::error(
                "Provider not configured",
                "The kubernetes provider was used before it was configured.",
            )),
        }
    }

    fn check_type(type_name: &str) -> Result<(), Diagnostic> {
        if type_name == manifest::TYPE_NAME { Ok(()) } else { Err(unknown_type(type_name)) }
    }
}

fn api_error(action: &str, r: &ObjectRef, e: &ApiFailure) -> Diagnostic {
    let hint = match e {
        ApiFailure::Conflict { .. } => {
            "\n\nAnother field manager owns these fields. Remove them from the manifest, or take them over with\n    field_manager {\n      force_conflicts = true\n    }"
        }
        ApiFailure::Unreachable(_) => {
            "\n\nCheck that the cluster is up and that the provider's connection settings point at it."
        }
        _ => "",
    };
    Diagnostic::error(format!("Failed to {action} {} {}", r.kind, r.name), format!("{}: {e}.{hint}", r.id()))
}

fn private_fields(private: &[u8]) -> serde_json::Value {
    serde_json::from_slice(private).unwrap_or_else(|_| serde_json::json!({}))
}

fn fields_bytes(fields: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(fields).unwrap_or_default()
}

#[async_trait]
impl Provider for KubernetesProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        let mut response = ConfigureResponse::default();
        match config::ready_timeout(&request.config) {
            Ok(timeout) => {
                let _ = self.ready_timeout.set(timeout);
            }
            Err(d) => response.diagnostics.push(d),
        }
        if !config::is_known(&request.config) {
            // The cluster is made by this run: plan without it, connect during apply.
            let _ = self.connection.set(Connection::Unknown);
            response.deferred = Some(config::waiting_for(&request.config));
            return response;
        }
        let built = match config::client_config(&request.config).await {
            Ok(c) => Cluster::new(c).map_err(|e| {
                Diagnostic::error(
                    "Invalid Kubernetes connection settings",
                    format!("The client could not be made: {e}."),
                )
            }),
            Err(d) => Err(d),
        };
        match built {
            Ok(cluster) => {
                let _ = self.connection.set(Connection::Ready(cluster));
            }
            Err(d) => response.diagnostics.push(d),
        }
        response
    }

    /// A cluster created in the same run answers once its control plane has booted: until
    /// then connections are refused or time out, and `/readyz` fails while etcd starts.
    async fn probe(&self) -> Readiness {
        let cluster = match self.cluster() {
            Ok(cluster) => cluster,
            Err(d) => return Readiness::Failed(d.into()),
        };
        let give_up_after = self.ready_timeout.get().copied().unwrap_or(Duration::from_secs(15 * 60));
        match cluster.ready().await {
            Ok(()) => Readiness::Ready,
            Err(ApiFailure::Rejected { code: 401, message, .. }) => Readiness::Failed(
                Diagnostic::error(
                    "Kubernetes credentials rejected",
                    format!("The API server answered but refused the provider's credentials: {message}. Check client_certificate and client_key (or token) against the cluster's CA."),
                )
                .into(),
            ),
            Err(e) => Readiness::NotYet { why: e.to_string(), give_up_after },
        }
    }

    /// Objects go with their cluster, except those that made something outside it: a
    /// LoadBalancer Service's cloud load balancer and a claim's volume would outlive the
    /// cluster (and keep its VPC from being deleted) unless Kubernetes deletes them first.
    fn delete_before_host(&self, _type_name: &str, state: &Value) -> bool {
        let manifest = attr(state, "manifest");
        let field = |path: &[&str]| path.iter().try_fold(manifest.clone(), |v, k| v.get_attr(k).cloned());
        let kind = field(&["kind"]);
        match kind.as_ref().and_then(Value::as_str) {
            Some("PersistentVolumeClaim") => true,
            Some("Service") => field(&["spec", "type"]).as_ref().and_then(Value::as_str) == Some("LoadBalancer"),
            _ => false,
        }
    }

    fn validate(&self, request: ValidateRequest) -> ValidateResponse {
        let mut response = ValidateResponse::default();
        if request.type_name == manifest::TYPE_NAME {
            response.diagnostics = manifest::validate(&attr(&request.config, "manifest"));
            if let Err(d) = manifest::timeout(&request.config, "create")
                .and_then(|_| manifest::timeout(&request.config, "update"))
                .and_then(|_| manifest::timeout(&request.config, "delete"))
            {
                response.diagnostics.push(d);
            }
        }
        response
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        if let Err(d) = Self::check_type(&request.type_name) {
            return PlanResponse { diagnostics: d.into(), ..Default::default() };
        }
        manifest::plan(&request)
    }

    /// The server-side dry-run: what the API server would make of the manifest (defaults,
    /// admission), so that the plan shows exactly what will happen. It changes nothing; when the
    /// API server cannot answer yet (no cluster, the namespace or CRD is created by this same
    /// apply), the object stays known after apply.
    async fn plan_remote(&self, request: PlanRequest, mut response: PlanResponse) -> PlanResponse {
        let Some(planned) = response.planned.as_ref() else { return response };
        if attr(planned, "object").is_known() || response.diagnostics.has_errors() {
            return response;
        }
        let (Ok(cluster), Some(json), Ok((manager, force))) =
            (self.cluster(), manifest::manifest_json(planned), manifest::field_manager(planned))
        else {
            return response;
        };
        let Some(r) = ObjectRef::of(&json) else { return response };
        let before = private_fields(&request.prior_private);
        let dry_run = apply_reclaiming(cluster, &r, &json, &manager, force, true, &before);
        let answer = tokio::time::timeout(DRY_RUN_TIMEOUT, dry_run).await;
        match answer {
            Ok(Ok(live)) => {
                let object = managed::clean(&live, &manager);
                response.planned = Some(manifest::with_object(planned, &object, &r.id()));
            }
            Ok(Err(e @ (ApiFailure::Conflict { .. } | ApiFailure::Rejected { .. }))) => {
                response.diagnostics.push(api_error("plan", &r, &e));
            }
            // Not there yet, or no cluster to ask: the plan stands without the dry-run.
            Ok(Err(_)) | Err(_) => {}
        }
        response
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let result = async {
            Self::check_type(&request.type_name).map_err(|d| (d, None))?;
            match (&request.prior, &request.planned) {
                (Some(prior), None) => self.delete(prior).await.map(|()| (None, Vec::new())),
                (prior, Some(planned)) => {
                    self.create_or_update(prior.as_ref(), planned, &request.planned_private).await
                }
                (None, None) => Ok((None, Vec::new())),
            }
        }
        .await;
        match result {
            Ok((state, private)) => {
                response.new_state = state;
                response.private = private;
            }
            Err((d, state)) => {
                response.diagnostics.push(d);
                response.new_state = state.or_else(|| request.prior.clone());
                response.private = request.planned_private.clone();
            }
        }
        response
    }

    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse {
        let mut response = ReadBatchResponse::default();
        let priors: Vec<Value> = request.instances.iter().map(|i| i.prior.clone()).collect();
        let cluster = match Self::check_type(&request.type_name).and_then(|()| self.cluster()) {
            Ok(c) => c,
            Err(d) => {
                // No cluster to ask (it may not exist yet): the prior values stand.
                if matches!(self.connection.get(), Some(Connection::Ready(_))) {
                    response.diagnostics.push(d);
                }
                response.current = priors.into_iter().map(Some).collect();
                return response;
            }
        };
        let reads = request.instances.iter().map(|instance| refresh(cluster, instance));
        for (instance, read) in request.instances.iter().zip(join_all(reads).await) {
            match read {
                Ok(current) => response.current.push(current),
                Err(d) => {
                    response.diagnostics.push(d);
                    response.current.push(Some(instance.prior.clone()));
                }
            }
        }
        response
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let mut response = ImportResponse::default();
        let result = async {
            Self::check_type(&request.type_name)?;
            let r = ObjectRef::parse(&request.id).ok_or_else(|| {
                Diagnostic::error(
                    "Invalid import ID",
                    format!("{:?} is not an object ID. Use apiVersion/Kind/namespace/name for namespaced objects and apiVersion/Kind/name for cluster-scoped ones, as in\n    slipway import kubernetes_manifest.web apps/v1/Deployment/default/nginx", request.id),
                )
            })?;
            let cluster = self.cluster()?;
            let live = cluster.get(&r).await.map_err(|e| api_error("read", &r, &e))?.ok_or_else(|| {
                Diagnostic::error("Cannot import non-existent remote object", format!("{} does not exist in the cluster.", r.id()))
            })?;
            // What slipway manages, or, for an object another tool made, what its managers set.
            let mut fields = managed::fields_of(&live, manifest::MANAGER);
            if fields.as_object().is_none_or(|f| f.is_empty()) {
                fields = managed::fields_of_all(&live);
            }
            let manifest = managed::managed_manifest(&live, &fields, r.namespace.is_some());
            let object = managed::clean_with(&live, &fields, &serde_json::json!({}));
            let state = Value::object_from([
                ("manifest", from_json(&manifest)),
                ("object", from_json(&object)),
                ("id", Value::string(r.id())),
                ("field_manager", Value::null(slipway_core::Type::Any)),
                ("wait", Value::null(slipway_core::Type::Any)),
                ("timeouts", Value::null(slipway_core::Type::Any)),
            ]);
            Ok::<_, Diagnostic>((state, fields_bytes(&fields)))
        }
        .await;
        match result {
            Ok((state, private)) => {
                response.state = Some(state);
                response.private = private;
            }
            Err(d) => response.diagnostics.push(d),
        }
        response
    }
}

/// The current value of one instance: the fields slipway manages now, or managed at its last
/// apply and someone else took since (`kubectl scale`, `kubectl edit`: that is drift), read from
/// the live object. `None` when it is gone.
async fn refresh(cluster: &Cluster, instance: &ReadInstance) -> Result<Option<Value>, Diagnostic> {
    let prior = &instance.prior;
    let Some(r) = manifest::object_ref(prior) else { return Ok(Some(prior.clone())) };
    let Some(live) = cluster.get(&r).await.map_err(|e| api_error("read", &r, &e))? else { return Ok(None) };
    let (manager, _) = manifest::field_manager(prior)?;
    let fields = managed::union(&managed::fields_of(&live, &manager), &private_fields(&instance.private));
    let manifest = from_json(&managed::managed_manifest(&live, &fields, r.namespace.is_some()));
    let prior_manifest = attr(prior, "manifest");
    let mut entries = prior.as_entries().cloned().unwrap_or_default();
    if !same(&manifest, &prior_manifest) {
        // Only a change to slipway's own fields makes `object` news worth showing; a controller
        // or an HPA touching theirs is not drift.
        entries.insert("object".into(), from_json(&managed::clean(&live, &manager)));
        entries.insert("manifest".into(), manifest);
    }
    Ok(Some(Value::object(entries)))
}

/// Server-side apply that takes back what slipway managed at its last apply (`before`) and an
/// imperative update took since (`kubectl scale`, `kubectl edit`): the plan showed that drift
/// and puts it back. A conflict on any other field stands, unless `force`.
async fn apply_reclaiming(
    cluster: &Cluster,
    r: &ObjectRef,
    json: &serde_json::Value,
    manager: &str,
    force: bool,
    dry_run: bool,
    before: &serde_json::Value,
) -> Result<serde_json::Value, ApiFailure> {
    match cluster.apply(r, json, manager, force, dry_run).await {
        Err(ApiFailure::Conflict { fields, .. })
            if !force && !fields.is_empty() && {
                let mine = managed::dotted_paths(before);
                fields.iter().all(|f| mine.contains(f))
            } =>
        {
            cluster.apply(r, json, manager, true, dry_run).await
        }
        other => other,
    }
}

type Applied = (Option<Value>, Vec<u8>);
type Failed = (Diagnostic, Option<Value>);

impl KubernetesProvider {
    async fn create_or_update(
        &self,
        prior: Option<&Value>,
        planned: &Value,
        private: &[u8],
    ) -> Result<Applied, Failed> {
        let fail = |d: Diagnostic| (d, None);
        // Only the settings changed (wait, timeouts): nothing to send.
        if let Some(prior) = prior
            && same(&attr(prior, "manifest"), &attr(planned, "manifest"))
        {
            let mut entries = planned.as_entries().cloned().unwrap_or_default();
            entries.insert("object".into(), attr(prior, "object"));
            entries.insert("id".into(), attr(prior, "id"));
            return Ok((Some(Value::object(entries)), private.to_vec()));
        }
        let cluster = self.cluster().map_err(fail)?;
        let json = manifest::manifest_json(planned).ok_or_else(|| {
            fail(Diagnostic::error(
                "Manifest known only after apply",
                "manifest: must be wholly known when it is applied.",
            ))
        })?;
        let r = ObjectRef::of(&json).ok_or_else(|| {
            fail(Diagnostic::error("Invalid manifest", "manifest: needs apiVersion, kind and metadata.name."))
        })?;
        let (manager, force) = manifest::field_manager(planned).map_err(fail)?;
        let operation = if prior.is_some() { "update" } else { "create" };
        let deadline = Instant::now() + manifest::timeout(planned, operation).map_err(fail)?;
        let wait = manifest::wait_for(planned, &r.kind).map_err(fail)?;
        let before = private_fields(private);
        let live = loop {
            match apply_reclaiming(cluster, &r, &json, &manager, force, false, &before).await {
                Ok(live) => break live,
                // Ordering without depends_on: a namespace or a CRD applied in the same run
                // may not be there yet. Wait for it, as long as the timeout allows.
                Err(ApiFailure::NotFound(m)) if m.starts_with("namespaces ") && Instant::now() < deadline => {}
                Err(ApiFailure::KindMissing(_)) if Instant::now() < deadline => cluster.forget(&r),
                Err(e) => return Err(fail(api_error(operation, &r, &e))),
            }
            tokio::time::sleep(POLL).await;
        };
        let object = managed::clean(&live, &manager);
        let state = manifest::with_object(planned, &object, &r.id());
        let fields = managed::fields_of(&live, &manager);
        if !wait.is_empty() {
            self.wait_until_ready(cluster, &r, &wait, deadline).await.map_err(|d| (d, Some(state.clone())))?;
        }
        Ok((Some(state), fields_bytes(&fields)))
    }

    async fn wait_until_ready(
        &self,
        cluster: &Cluster,
        r: &ObjectRef,
        wait: &wait::WaitFor,
        deadline: Instant,
    ) -> Result<(), Diagnostic> {
        loop {
            let live = cluster.get(r).await.map_err(|e| api_error("wait for", r, &e))?;
            let Some(live) = live else {
                return Err(Diagnostic::error(
                    format!("{} {} disappeared", r.kind, r.name),
                    format!("{} was deleted while slipway waited for it.", r.id()),
                ));
            };
            match wait::progress(&live, wait) {
                Progress::Done => return Ok(()),
                Progress::Failed(why) => {
                    let events = cluster.warnings(r).await;
                    let events = if events.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "\n\nEvents:\n{}",
                            events.iter().map(|e| format!("  Warning {e}")).collect::<Vec<_>>().join("\n")
                        )
                    };
                    return Err(Diagnostic::error(
                        format!("Rollout of {} {} failed", r.kind, r.name),
                        format!("{}: {why}{events}", r.id()),
                    ));
                }
                Progress::Waiting(why) if Instant::now() >= deadline => {
                    return Err(Diagnostic::error(
                        format!("Timed out waiting for {} {}", r.kind, r.name),
                        format!(
                            "{}: {why}. Raise timeouts.create / timeouts.update, or set wait {{ rollout = false }} to not wait.",
                            r.id()
                        ),
                    ));
                }
                Progress::Waiting(_) => {}
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn delete(&self, prior: &Value) -> Result<(), Failed> {
        let fail = |d: Diagnostic| (d, None);
        let Some(r) = manifest::object_ref(prior) else { return Ok(()) };
        let cluster = self.cluster().map_err(fail)?;
        let deadline = Instant::now() + manifest::timeout(prior, "delete").map_err(fail)?;
        let existed = cluster.delete(&r).await.map_err(|e| fail(api_error("delete", &r, &e)))?;
        if !existed {
            return Ok(());
        }
        // Foreground deletion: the object stays, finalized, until its dependents are gone.
        while cluster.get(&r).await.map_err(|e| fail(api_error("delete", &r, &e)))?.is_some() {
            if Instant::now() >= deadline {
                return Err(fail(Diagnostic::error(
                    format!("Timed out deleting {} {}", r.kind, r.name),
                    format!(
                        "{} still exists: a finalizer or its dependents keep it. Raise timeouts.delete, or look at it with\n    kubectl get {} {} -o yaml",
                        r.id(),
                        r.kind.to_lowercase(),
                        r.name
                    ),
                )));
            }
            tokio::time::sleep(POLL / 2).await;
        }
        Ok(())
    }
}
