//! The objects the fixture holds and what the API server does to them: server-side apply with
//! managed fields per manager and conflicts, updates that take ownership of what they change,
//! resourceVersion checks, defaults, and deletion with propagation.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::catalog::{Kind, built_in, crd_kinds};
use crate::fields::{FieldSet, Path, Step, display, leaf_paths, merge, remove_at, to_fields_v1, value_at};

/// Where an object lives: its kind's group and plural, namespace ("" for cluster-scoped), name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjKey {
    pub group: String,
    pub plural: String,
    pub namespace: String,
    pub name: String,
}

/// One entry of `metadata.managedFields`.
#[derive(Clone, Debug)]
pub struct Manager {
    pub name: String,
    /// `Apply` or `Update`.
    pub operation: &'static str,
    pub api_version: String,
    pub time: String,
    pub fields: FieldSet,
}

/// An API error as the server reports it: a `Status` object with an HTTP code.
#[derive(Clone, Debug)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub causes: Vec<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError { code, reason, message: message.into(), causes: Vec::new() }
    }

    pub fn not_found(kind: &Kind, name: &str) -> Self {
        let what = if kind.group.is_empty() { kind.plural.clone() } else { format!("{}.{}", kind.plural, kind.group) };
        ApiError::new(404, "NotFound", format!("{what} \"{name}\" not found"))
    }

    pub fn status(&self) -> Value {
        let mut details = json!({});
        if !self.causes.is_empty() {
            details["causes"] = Value::Array(self.causes.clone());
        }
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": self.message, "reason": self.reason, "details": details, "code": self.code,
        })
    }
}

/// Fields that name an object rather than describe it: never owned by a manager.
fn is_identity(path: &Path) -> bool {
    matches!(path.as_slice(), [Step::Field(f)] if f == "apiVersion" || f == "kind")
        || matches!(path.as_slice(), [Step::Field(m), Step::Field(f)] if m == "metadata" && (f == "name" || f == "namespace" || f == "resourceVersion" || f == "managedFields" || f == "uid" || f == "generation" || f == "creationTimestamp"))
        || matches!(path.first(), Some(Step::Field(f)) if f == "status")
}

#[derive(Default)]
pub struct Store {
    pub objects: BTreeMap<ObjKey, Value>,
    managers: BTreeMap<ObjKey, Vec<Manager>>,
    revision: u64,
    uids: u64,
    /// Workloads told to stall (namespace, name): their rollout never progresses.
    pub stalled: BTreeSet<(String, String)>,
    /// Ticks each object has spent being deleted in the foreground.
    deleting: BTreeMap<ObjKey, u32>,
    events: u64,
    /// Every request, as `METHOD path?query`.
    pub requests: Vec<String>,
    /// How many more `GET /readyz` fail as a booting control plane's do.
    pub starting: u32,
    /// What happened when, for the benchmark scripts: every request, and every workload's
    /// rollout finishing (`rollout-done namespace/name`), as seconds since the server started.
    pub timeline: Vec<(f64, String)>,
    started: Option<std::time::Instant>,
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Store {
    pub fn new() -> Self {
        let mut store = Store { started: Some(std::time::Instant::now()), ..Store::default() };
        for ns in ["default", "kube-system"] {
            let kind = store.kind_of("v1", "Namespace").unwrap_or_else(|| built_in().remove(0));
            let body = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            let _ = store.apply(&kind, "", ns, body, "kube-apiserver", true, false);
        }
        store
    }

    pub fn kinds(&self) -> Vec<Kind> {
        let mut kinds = built_in();
        for (key, crd) in &self.objects {
            if key.plural == "customresourcedefinitions" {
                kinds.extend(crd_kinds(crd));
            }
        }
        kinds
    }

    pub fn kind_of(&self, api_version: &str, kind: &str) -> Option<Kind> {
        self.kinds().into_iter().find(|k| k.api_version() == api_version && k.kind == kind)
    }

    pub fn kind_by_plural(&self, group: &str, version: &str, plural: &str) -> Option<Kind> {
        self.kinds().into_iter().find(|k| k.group == group && k.version == version && k.plural == plural)
    }

    fn key(kind: &Kind, namespace: &str, name: &str) -> ObjKey {
        ObjKey {
            group: kind.group.clone(),
            plural: kind.plural.clone(),
            namespace: if kind.namespaced { namespace.to_string() } else { String::new() },
            name: name.to_string(),
        }
    }

    /// Records `what` in the timeline, at the current time.
    pub fn record(&mut self, what: String) {
        let at = self.started.map(|s| s.elapsed().as_secs_f64()).unwrap_or_default();
        self.timeline.push((at, what));
    }

    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    /// The object as the API returns it: with its managed fields, in the requested version.
    fn render(&self, key: &ObjKey, object: &Value, kind: &Kind) -> Value {
        let mut out = object.clone();
        out["apiVersion"] = json!(kind.api_version());
        let managed: Vec<Value> = self
            .managers
            .get(key)
            .map(|ms| {
                ms.iter()
                    .filter(|m| !m.fields.is_empty())
                    .map(|m| {
                        json!({"manager": m.name, "operation": m.operation, "apiVersion": m.api_version,
                               "time": m.time, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&m.fields)})
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !managed.is_empty() {
            out["metadata"]["managedFields"] = Value::Array(managed);
        }
        out
    }

    pub fn get(&self, kind: &Kind, namespace: &str, name: &str) -> Result<Value, ApiError> {
        let key = Store::key(kind, namespace, name);
        match self.objects.get(&key) {
            Some(object) => Ok(self.render(&key, object, kind)),
            None => Err(ApiError::not_found(kind, name)),
        }
    }

    pub fn list(&self, kind: &Kind, namespace: Option<&str>) -> Value {
        let items: Vec<Value> = self
            .objects
            .iter()
            .filter(|(k, _)| k.group == kind.group && k.plural == kind.plural)
            .filter(|(k, _)| namespace.is_none_or(|ns| k.namespace == ns))
            .map(|(k, o)| self.render(k, o, kind))
            .collect();
        json!({"apiVersion": kind.api_version(), "kind": format!("{}List", kind.kind),
               "metadata": {"resourceVersion": self.revision.to_string()}, "items": items})
    }

    fn check_namespace(&self, kind: &Kind, namespace: &str) -> Result<(), ApiError> {
        if !kind.namespaced {
            return Ok(());
        }
        let key = ObjKey {
            group: String::new(),
            plural: "namespaces".into(),
            namespace: String::new(),
            name: namespace.into(),
        };
        if self.objects.contains_key(&key) {
            Ok(())
        } else {
            Err(ApiError::new(404, "NotFound", format!("namespaces \"{namespace}\" not found")))
        }
    }

    fn check_identity(kind: &Kind, namespace: &str, name: &str, body: &Value) -> Result<(), ApiError> {
        let bad = |m: String| Err(ApiError::new(400, "BadRequest", m));
        if body["apiVersion"].as_str() != Some(kind.api_version().as_str()) || body["kind"].as_str() != Some(&kind.kind)
        {
            return bad(format!(
                "the body of the request was in an unknown format: apiVersion {:?} kind {:?} do not match {}/{}",
                body["apiVersion"],
                body["kind"],
                kind.api_version(),
                kind.kind
            ));
        }
        if body["metadata"]["name"].as_str() != Some(name) {
            return bad(format!(
                "the name of the object ({:?}) does not match the name on the URL ({name})",
                body["metadata"]["name"]
            ));
        }
        if kind.namespaced
            && let Some(ns) = body["metadata"]["namespace"].as_str()
            && ns != namespace
        {
            return bad(format!(
                "the namespace of the object ({ns}) does not match the namespace on the URL ({namespace})"
            ));
        }
        Ok(())
    }

    /// Server-side apply of `body` by `manager`.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        kind: &Kind,
        namespace: &str,
        name: &str,
        body: Value,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<(u16, Value), ApiError> {
        self.check_namespace(kind, namespace)?;
        Store::check_identity(kind, namespace, name, &body)?;
        let key = Store::key(kind, namespace, name);
        let existing = self.objects.get(&key).cloned();
        if let (Some(rv), Some(live)) = (body["metadata"]["resourceVersion"].as_str(), &existing)
            && live["metadata"]["resourceVersion"].as_str() != Some(rv)
        {
            return Err(modified(kind, name));
        }
        let new_set: FieldSet = leaf_paths(&body).into_iter().filter(|p| !is_identity(p)).collect();
        let mut managers = self.managers.get(&key).cloned().unwrap_or_default();
        let mut object = existing.clone().unwrap_or_else(|| json!({}));
        if existing.is_some() {
            let mut conflicts = Vec::new();
            for m in managers.iter().filter(|m| m.name != manager) {
                for path in m.fields.intersection(&new_set) {
                    if matches!(path.last(), Some(Step::Key(_))) {
                        continue;
                    }
                    if value_at(&object, path) != value_at(&body, path) {
                        conflicts.push((m.name.clone(), m.api_version.clone(), path.clone()));
                    }
                }
            }
            if !conflicts.is_empty() && !force {
                let mut error = ApiError::new(
                    409,
                    "Conflict",
                    format!(
                        "Apply failed with {} conflict{}: {}",
                        conflicts.len(),
                        if conflicts.len() == 1 { "" } else { "s" },
                        conflicts
                            .iter()
                            .map(|(m, v, p)| format!("conflict with \"{m}\" using {v}: {}", display(p)))
                            .collect::<Vec<_>>()
                            .join("\n")
                    ),
                );
                error.causes = conflicts
                    .iter()
                    .map(|(m, v, p)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{m}\" using {v}"), "field": display(p)}))
                    .collect();
                return Err(error);
            }
            for (owner, _, path) in &conflicts {
                if let Some(m) = managers.iter_mut().find(|m| &m.name == owner) {
                    m.fields.remove(path);
                }
            }
            let old: FieldSet =
                managers.iter().find(|m| m.name == manager).map(|m| m.fields.clone()).unwrap_or_default();
            let others: FieldSet =
                managers.iter().filter(|m| m.name != manager).flat_map(|m| m.fields.iter().cloned()).collect();
            let mut released: Vec<&Path> =
                old.iter().filter(|p| !new_set.contains(*p) && !others.contains(*p)).collect();
            released.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for path in released {
                remove_at(&mut object, path);
            }
        }
        let mut applied = body;
        if let Some(meta) = applied["metadata"].as_object_mut() {
            meta.remove("resourceVersion");
            meta.remove("managedFields");
        }
        merge(&mut object, &applied);
        defaults(kind, &mut object);
        managers.retain(|m| m.name != manager);
        managers.push(Manager {
            name: manager.to_string(),
            operation: "Apply",
            api_version: kind.api_version(),
            time: now(),
            fields: new_set,
        });
        let created = existing.is_none();
        self.finish_write(kind, &key, namespace, existing.as_ref(), &mut object);
        let rendered = {
            let mut saved_managers = std::mem::replace(self.managers.entry(key.clone()).or_default(), managers);
            let rendered = self.render(&key, &object, kind);
            if dry_run {
                std::mem::swap(self.managers.entry(key.clone()).or_default(), &mut saved_managers);
                if created {
                    self.managers.remove(&key);
                }
            }
            rendered
        };
        if !dry_run {
            self.objects.insert(key, object);
        }
        Ok((if created { 201 } else { 200 }, rendered))
    }

    /// Identity, generation and resourceVersion of an object about to be written.
    fn finish_write(
        &mut self,
        kind: &Kind,
        key: &ObjKey,
        namespace: &str,
        existing: Option<&Value>,
        object: &mut Value,
    ) {
        object["apiVersion"] = json!(kind.api_version());
        object["kind"] = json!(kind.kind);
        object["metadata"]["name"] = json!(key.name);
        if kind.namespaced {
            object["metadata"]["namespace"] = json!(namespace);
        }
        match existing {
            None => {
                self.uids += 1;
                object["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{:012x}", self.uids));
                object["metadata"]["creationTimestamp"] = json!(now());
                object["metadata"]["generation"] = json!(1);
                object["metadata"]["resourceVersion"] = json!(self.next_revision());
            }
            Some(live) => {
                if spec_of(live) != spec_of(object) {
                    let generation = live["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
                    object["metadata"]["generation"] = json!(generation);
                }
                if live != object {
                    object["metadata"]["resourceVersion"] = json!(self.next_revision());
                }
            }
        }
    }

    /// An update by `manager` that is not an apply (`kubectl scale`, `kubectl edit`, a
    /// controller): `partial` is merged in, and the manager takes ownership of every field whose
    /// value it changed, from whoever owned it.
    pub fn update(
        &mut self,
        kind: &Kind,
        namespace: &str,
        name: &str,
        partial: Value,
        manager: &str,
    ) -> Result<Value, ApiError> {
        let key = Store::key(kind, namespace, name);
        let Some(live) = self.objects.get(&key).cloned() else {
            return Err(ApiError::not_found(kind, name));
        };
        if let Some(rv) = partial["metadata"]["resourceVersion"].as_str()
            && live["metadata"]["resourceVersion"].as_str() != Some(rv)
        {
            return Err(modified(kind, name));
        }
        let mut object = live.clone();
        let mut partial = partial;
        if let Some(meta) = partial["metadata"].as_object_mut() {
            meta.remove("resourceVersion");
        }
        merge(&mut object, &partial);
        let changed: FieldSet = leaf_paths(&object)
            .into_iter()
            .filter(|p| !is_identity(p) && value_at(&live, p) != value_at(&object, p))
            .collect();
        let managers = self.managers.entry(key.clone()).or_default();
        for m in managers.iter_mut() {
            m.fields.retain(|p| !changed.contains(p));
        }
        match managers.iter_mut().find(|m| m.name == manager && m.operation == "Update") {
            Some(m) => m.fields.extend(changed),
            None => managers.push(Manager {
                name: manager.to_string(),
                operation: "Update",
                api_version: kind.api_version(),
                time: now(),
                fields: changed,
            }),
        }
        managers.retain(|m| !m.fields.is_empty());
        self.finish_write(kind, &key, namespace, Some(&live), &mut object);
        let rendered = self.render(&key, &object, kind);
        self.objects.insert(key, object);
        Ok(rendered)
    }

    /// Deletes an object: at once (background, orphan), or in the foreground: it stays with a
    /// deletionTimestamp and the `foregroundDeletion` finalizer until its dependents are gone.
    /// A Namespace is always Terminating until everything in it is gone.
    pub fn delete(
        &mut self,
        kind: &Kind,
        namespace: &str,
        name: &str,
        propagation: Option<&str>,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let key = Store::key(kind, namespace, name);
        let Some(mut object) = self.objects.get(&key).cloned() else {
            return Err(ApiError::not_found(kind, name));
        };
        if dry_run {
            return Ok(self.render(&key, &object, kind));
        }
        if object["metadata"]["deletionTimestamp"].is_string() {
            return Ok(self.render(&key, &object, kind));
        }
        let foreground = propagation == Some("Foreground") || kind.kind == "Namespace";
        if foreground {
            object["metadata"]["deletionTimestamp"] = json!(now());
            if kind.kind == "Namespace" {
                object["status"]["phase"] = json!("Terminating");
            } else {
                let finalizers = object["metadata"]["finalizers"].as_array().cloned().unwrap_or_default();
                let mut finalizers: Vec<Value> = finalizers.into_iter().filter(|f| f != "foregroundDeletion").collect();
                finalizers.push(json!("foregroundDeletion"));
                object["metadata"]["finalizers"] = Value::Array(finalizers);
            }
            object["metadata"]["resourceVersion"] = json!(self.next_revision());
            let rendered = self.render(&key, &object, kind);
            self.objects.insert(key.clone(), object);
            self.deleting.insert(key, 0);
            return Ok(rendered);
        }
        let rendered = self.render(&key, &object, kind);
        self.remove(&key);
        Ok(rendered)
    }

    fn remove(&mut self, key: &ObjKey) {
        if let Some(object) = self.objects.remove(key)
            && key.plural == "customresourcedefinitions"
        {
            for kind in crd_kinds(&object) {
                self.objects.retain(|k, _| !(k.group == kind.group && k.plural == kind.plural));
            }
        }
        self.managers.remove(key);
        self.deleting.remove(key);
    }

    /// One step of the controllers: garbage collection, CRDs becoming Established, workloads'
    /// status moving towards their spec (or stalling), Jobs completing.
    pub fn tick(&mut self) {
        let deleting: Vec<(ObjKey, u32)> = self.deleting.iter().map(|(k, t)| (k.clone(), *t)).collect();
        for (key, ticks) in deleting {
            if key.plural == "namespaces" {
                let inside: Vec<ObjKey> = self.objects.keys().filter(|k| k.namespace == key.name).cloned().collect();
                for k in &inside {
                    self.remove(k);
                }
                if inside.is_empty() {
                    self.remove(&key);
                }
            } else if ticks >= 2 {
                // The dependents (ReplicaSets, Pods) are gone: the owner goes last.
                self.remove(&key);
            } else {
                self.deleting.insert(key, ticks + 1);
            }
        }
        let keys: Vec<ObjKey> = self.objects.keys().cloned().collect();
        for key in keys {
            let Some(mut object) = self.objects.get(&key).cloned() else { continue };
            let stalled = self.stalled.contains(&(key.namespace.clone(), key.name.clone()));
            let changed = match (key.group.as_str(), key.plural.as_str()) {
                ("apps", "deployments") => deployment_status(&mut object, stalled),
                ("apps", "statefulsets") => statefulset_status(&mut object, stalled),
                ("apps", "daemonsets") => daemonset_status(&mut object, stalled),
                ("batch", "jobs") => job_status(&mut object),
                ("apiextensions.k8s.io", "customresourcedefinitions") => crd_status(&mut object),
                _ => false,
            };
            if stalled && key.plural == "deployments" && object["status"]["stallReported"].is_null() {
                object["status"]["stallReported"] = json!(true);
                self.stall_event(&key);
            }
            if changed {
                if rollout_done(&object) {
                    self.record(format!("rollout-done {}/{}", key.namespace, key.name));
                }
                object["metadata"]["resourceVersion"] = json!(self.next_revision());
                self.objects.insert(key, object);
            } else if stalled {
                self.objects.insert(key, object);
            }
        }
    }

    /// The Warning event a stalled rollout leaves, as the ReplicaSet controller reports quota
    /// failures.
    fn stall_event(&mut self, key: &ObjKey) {
        self.events += 1;
        let rs = format!("{}-5d8f9c7b6", key.name);
        let event = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": format!("{rs}.{:x}", self.events), "namespace": key.namespace},
            "involvedObject": {"kind": "ReplicaSet", "name": rs, "namespace": key.namespace, "apiVersion": "apps/v1"},
            "reason": "FailedCreate", "type": "Warning", "count": 3,
            "message": format!("Error creating: pods \"{rs}-x7k2p\" is forbidden: exceeded quota: compute-resources, requested: cpu=2, used: cpu=0, limited: cpu=1"),
        });
        let key = ObjKey {
            group: String::new(),
            plural: "events".into(),
            namespace: key.namespace.clone(),
            name: event["metadata"]["name"].as_str().unwrap_or_default().to_string(),
        };
        self.objects.insert(key, event);
    }
}

fn modified(kind: &Kind, name: &str) -> ApiError {
    let what = if kind.group.is_empty() { kind.plural.clone() } else { format!("{}.{}", kind.plural, kind.group) };
    ApiError::new(
        409,
        "Conflict",
        format!(
            "Operation cannot be fulfilled on {what} \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
        ),
    )
}

/// Everything but metadata and status: what `generation` counts changes of.
fn spec_of(object: &Value) -> Value {
    let mut out = object.clone();
    if let Some(m) = out.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    out
}

fn set_default(object: &mut Value, field: &str, value: Value) {
    if let Some(m) = object.as_object_mut()
        && !m.contains_key(field)
    {
        m.insert(field.to_string(), value);
    }
}

/// The defaults the API server fills in (owned by no manager), so that a dry-run shows them.
fn defaults(kind: &Kind, object: &mut Value) {
    match (kind.group.as_str(), kind.kind.as_str()) {
        ("apps", "Deployment") => {
            let spec = &mut object["spec"];
            set_default(spec, "replicas", json!(1));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "progressDeadlineSeconds", json!(600));
            set_default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            pod_defaults(&mut spec["template"]["spec"]);
        }
        ("apps", "StatefulSet" | "DaemonSet") => {
            if kind.kind == "StatefulSet" {
                set_default(&mut object["spec"], "replicas", json!(1));
            }
            pod_defaults(&mut object["spec"]["template"]["spec"]);
        }
        ("", "Service") => {
            let spec = &mut object["spec"];
            set_default(spec, "type", json!("ClusterIP"));
            set_default(spec, "sessionAffinity", json!("None"));
        }
        ("", "Namespace") => {
            let name = object["metadata"]["name"].clone();
            set_default(&mut object["metadata"], "labels", json!({}));
            set_default(&mut object["metadata"]["labels"], "kubernetes.io/metadata.name", name);
            set_default(object, "spec", json!({"finalizers": ["kubernetes"]}));
            set_default(object, "status", json!({"phase": "Active"}));
        }
        _ => {}
    }
}

fn pod_defaults(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    if let Some(containers) = spec["containers"].as_array_mut() {
        for c in containers {
            let latest = c["image"].as_str().is_some_and(|i| !i.contains(':') || i.ends_with(":latest"));
            set_default(c, "imagePullPolicy", json!(if latest { "Always" } else { "IfNotPresent" }));
            set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
        }
    }
}

fn condition(kind: &str, status: bool, reason: &str, message: &str) -> Value {
    json!({"type": kind, "status": if status { "True" } else { "False" }, "reason": reason, "message": message,
           "lastUpdateTime": now(), "lastTransitionTime": now()})
}

fn generation(object: &Value) -> i64 {
    object["metadata"]["generation"].as_i64().unwrap_or(1)
}

fn deleting(object: &Value) -> bool {
    object["metadata"]["deletionTimestamp"].is_string()
}

/// A Deployment's status one step further: a new generation starts a rollout that brings up one
/// updated replica per step; a stalled one never gets a replica and reports
/// ProgressDeadlineExceeded.
fn deployment_status(object: &mut Value, stalled: bool) -> bool {
    if deleting(object) {
        return false;
    }
    let before = object["status"].clone();
    let desired = object["spec"]["replicas"].as_i64().unwrap_or(1);
    let observed_gen = generation(object);
    let status = &mut object["status"];
    if !status.is_object() {
        *status = json!({});
    }
    let fresh = status["observedGeneration"].as_i64() != Some(observed_gen);
    let previous = if fresh { 0 } else { status["updatedReplicas"].as_i64().unwrap_or(0) };
    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let status = &mut object["status"];
    status["observedGeneration"] = json!(observed_gen);
    status["replicas"] = json!(desired);
    if stalled {
        status["updatedReplicas"] = json!(0);
        status["readyReplicas"] = json!(0);
        status["availableReplicas"] = json!(0);
        status["unavailableReplicas"] = json!(desired);
        status["conditions"] = json!([
            condition(
                "Available",
                false,
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability."
            ),
            condition(
                "Progressing",
                false,
                "ProgressDeadlineExceeded",
                &format!("ReplicaSet \"{name}-5d8f9c7b6\" has timed out progressing.")
            ),
        ]);
    } else {
        let updated = if previous > desired { desired } else { (previous + 1).min(desired) };
        status["updatedReplicas"] = json!(updated);
        status["readyReplicas"] = json!(updated);
        status["availableReplicas"] = json!(updated);
        status["unavailableReplicas"] = json!(desired - updated);
        let done = updated == desired;
        status["conditions"] = json!([
            condition(
                "Available",
                done,
                if done { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                "Deployment availability."
            ),
            condition(
                "Progressing",
                true,
                if done { "NewReplicaSetAvailable" } else { "ReplicaSetUpdated" },
                &format!("ReplicaSet \"{name}-5d8f9c7b6\" is progressing.")
            ),
        ]);
    }
    same_but_times(&before, &object["status"])
}

/// Whether a workload's status says its current generation is fully rolled out.
fn rollout_done(object: &Value) -> bool {
    let status = &object["status"];
    let desired = object["spec"]["replicas"].as_i64().unwrap_or(1);
    status["observedGeneration"].as_i64() == Some(generation(object))
        && status["updatedReplicas"].as_i64() == Some(desired)
        && status["availableReplicas"].as_i64() == Some(desired)
}

/// Whether a status changed, ignoring the condition timestamps.
fn same_but_times(before: &Value, after: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(conditions) = v["conditions"].as_array_mut() {
            for c in conditions {
                if let Some(m) = c.as_object_mut() {
                    m.remove("lastUpdateTime");
                    m.remove("lastTransitionTime");
                }
            }
        }
        v
    };
    strip(before) != strip(after)
}

fn statefulset_status(object: &mut Value, stalled: bool) -> bool {
    if deleting(object) {
        return false;
    }
    let before = object["status"].clone();
    let desired = object["spec"]["replicas"].as_i64().unwrap_or(1);
    let observed_gen = generation(object);
    let fresh = object["status"]["observedGeneration"].as_i64() != Some(observed_gen);
    let previous = if fresh { 0 } else { object["status"]["updatedReplicas"].as_i64().unwrap_or(0) };
    let updated = if stalled { 0 } else { (previous + 1).min(desired) };
    let revision = format!("{}-{observed_gen}", object["metadata"]["name"].as_str().unwrap_or_default());
    object["status"] = json!({"observedGeneration": observed_gen, "replicas": desired, "readyReplicas": updated,
        "currentReplicas": updated, "updatedReplicas": updated, "availableReplicas": updated,
        "currentRevision": revision, "updateRevision": revision});
    before != object["status"]
}

fn daemonset_status(object: &mut Value, stalled: bool) -> bool {
    if deleting(object) {
        return false;
    }
    let before = object["status"].clone();
    let observed_gen = generation(object);
    let ready = if stalled { 0 } else { 1 };
    object["status"] = json!({"observedGeneration": observed_gen, "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
        "updatedNumberScheduled": ready, "numberReady": ready, "numberAvailable": ready});
    before != object["status"]
}

fn job_status(object: &mut Value) -> bool {
    if object["status"]["succeeded"].as_i64() == Some(1) {
        return false;
    }
    object["status"] = json!({"succeeded": 1, "conditions": [condition("Complete", true, "", "")]});
    true
}

fn crd_status(object: &mut Value) -> bool {
    let established =
        object["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Established"));
    if established {
        return false;
    }
    object["status"] = json!({
        "acceptedNames": object["spec"]["names"].clone(),
        "conditions": [condition("NamesAccepted", true, "NoConflicts", "no conflicts found"),
                       condition("Established", true, "InitialNamesAccepted", "the initial names have been accepted")],
    });
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(image: &str, replicas: Option<i64>) -> Value {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}});
        if let Some(r) = replicas {
            d["spec"]["replicas"] = json!(r);
        }
        d
    }

    fn kind(store: &Store) -> Kind {
        store.kind_of("apps/v1", "Deployment").expect("served")
    }

    #[test]
    fn apply_conflicts_name_the_other_manager_and_force_takes_over() {
        let mut s = Store::new();
        let k = kind(&s);
        let (code, _) =
            s.apply(&k, "default", "web", deployment("a", Some(1)), "slipway", false, false).expect("create");
        assert_eq!(code, 201);
        let e = s.apply(&k, "default", "web", deployment("b", None), "kubectl", false, false).expect_err("conflict");
        assert_eq!(e.code, 409);
        assert!(
            e.message.contains("conflict with \"slipway\" using apps/v1") && e.message.contains(".image"),
            "{}",
            e.message
        );
        // The same value is shared ownership, not a conflict.
        s.apply(&k, "default", "web", deployment("a", None), "kubectl", false, false).expect("shared");
        s.apply(&k, "default", "web", deployment("b", None), "kubectl", true, false).expect("forced");
        let live = s.get(&k, "default", "web").expect("exists");
        assert_eq!(live["spec"]["template"]["spec"]["containers"][0]["image"], json!("b"));
        assert_eq!(live["metadata"]["generation"], json!(2));
    }

    #[test]
    fn a_dry_run_changes_nothing_and_fields_no_manager_applies_go() {
        let mut s = Store::new();
        let k = kind(&s);
        let (_, dry) =
            s.apply(&k, "default", "web", deployment("a", Some(3)), "slipway", false, true).expect("dry run");
        assert_eq!(dry["spec"]["revisionHistoryLimit"], json!(10), "defaults show in a dry-run");
        assert!(s.get(&k, "default", "web").is_err());
        s.apply(&k, "default", "web", deployment("a", Some(3)), "slipway", false, false).expect("create");
        s.apply(&k, "default", "web", deployment("a", None), "slipway", false, false).expect("drop replicas");
        assert_eq!(
            s.get(&k, "default", "web").expect("exists")["spec"]["replicas"],
            json!(1),
            "released, then defaulted"
        );
    }

    #[test]
    fn updates_take_ownership_and_stale_versions_conflict() {
        let mut s = Store::new();
        let k = kind(&s);
        s.apply(&k, "default", "web", deployment("a", Some(1)), "slipway", false, false).expect("create");
        s.update(&k, "default", "web", json!({"spec": {"replicas": 4}}), "kubectl").expect("scale");
        let live = s.get(&k, "default", "web").expect("exists");
        let managers = live["metadata"]["managedFields"].as_array().expect("managed").clone();
        let slipway = managers.iter().find(|m| m["manager"] == "slipway").expect("slipway");
        assert!(slipway["fieldsV1"]["f:spec"].get("f:replicas").is_none(), "{slipway}");
        let e = s
            .update(&k, "default", "web", json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 2}}), "x")
            .expect_err("stale");
        assert!(e.code == 409 && e.message.contains("the object has been modified"));
    }

    #[test]
    fn foreground_deletion_waits_for_dependents() {
        let mut s = Store::new();
        let k = kind(&s);
        s.apply(&k, "default", "web", deployment("a", Some(1)), "slipway", false, false).expect("create");
        let deleting = s.delete(&k, "default", "web", Some("Foreground"), false).expect("delete");
        assert!(deleting["metadata"]["deletionTimestamp"].is_string());
        assert_eq!(deleting["metadata"]["finalizers"], json!(["foregroundDeletion"]));
        s.tick();
        assert!(s.get(&k, "default", "web").is_ok(), "still there while dependents go");
        s.tick();
        s.tick();
        assert!(s.get(&k, "default", "web").is_err());
    }
}
