//! A test fixture, not part of the product: the parts of the Kubernetes REST API that the
//! kubernetes provider uses, served on 127.0.0.1 so that the real `kube` client can talk to it.
//! Discovery, GET/LIST, server-side apply (`application/apply-patch+yaml`, `fieldManager`,
//! `force`, `dryRun=All`) with managed fields and conflicts, merge PATCH by other managers,
//! DELETE with propagation, resourceVersion conflicts, and a controller loop that moves
//! workloads' status forward (or stalls them, for `ProgressDeadlineExceeded`).

// A test fixture: a failure to start is the test's failure.
#![allow(clippy::unwrap_used)]

mod catalog;
mod fields;
mod http;
mod store;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub use store::ApiError;

/// How often the controllers take a step.
const TICK: Duration = Duration::from_millis(100);

/// A running test API server; stopped when dropped.
pub struct ApiServer {
    pub url: String,
    store: http::Shared,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ApiServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub fn start() -> ApiServer {
        let store: http::Shared = Arc::new(Mutex::new(store::Store::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.set_nonblocking(true).expect("non-blocking listener");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = store.clone();
        let thread = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let controllers = shared.clone();
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(TICK).await;
                        if let Ok(mut store) = controllers.lock() {
                            store.tick();
                        }
                    }
                });
                let app = axum::Router::new().fallback(http::handle).with_state(shared);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        ApiServer { url, store, stop: Some(stop), thread: Some(thread) }
    }

    /// A kubeconfig whose current context is this server.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\ncontexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: default\ncurrent-context: test\nusers:\n- name: test\n  user:\n    token: test-token\n",
            self.url
        )
    }

    fn with<T>(&self, f: impl FnOnce(&mut store::Store) -> T) -> T {
        let mut store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut store)
    }

    /// The object as a GET returns it, `None` when it does not exist.
    pub fn get(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Option<Value> {
        self.with(|s| {
            let k = s.kind_of(api_version, kind)?;
            s.get(&k, namespace, name).ok()
        })
    }

    /// The names of every object of a kind (all namespaces), as `namespace/name` or `name`.
    pub fn names(&self, api_version: &str, kind: &str) -> Vec<String> {
        self.with(|s| {
            let Some(k) = s.kind_of(api_version, kind) else { return Vec::new() };
            let list = s.list(&k, None);
            list["items"]
                .as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| match i["metadata"]["namespace"].as_str() {
                            Some(ns) => format!("{ns}/{}", i["metadata"]["name"].as_str().unwrap_or_default()),
                            None => i["metadata"]["name"].as_str().unwrap_or_default().to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// A server-side apply by another manager (`kubectl apply --server-side`).
    pub fn apply_as(&self, manager: &str, object: Value, force: bool) -> Result<Value, ApiError> {
        self.with(|s| {
            let api_version = object["apiVersion"].as_str().unwrap_or_default().to_string();
            let kind_name = object["kind"].as_str().unwrap_or_default().to_string();
            let kind = s
                .kind_of(&api_version, &kind_name)
                .ok_or_else(|| ApiError::new(404, "NotFound", format!("no kind {kind_name} in {api_version}")))?;
            let ns = object["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
            let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
            s.apply(&kind, &ns, &name, object, manager, force, false).map(|(_, v)| v)
        })
    }

    /// An update that is not an apply (`kubectl scale`, `kubectl edit`, an HPA): `partial` is
    /// merged into the object and `manager` takes ownership of what it changed.
    pub fn update_as(
        &self,
        manager: &str,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        partial: Value,
    ) -> Result<Value, ApiError> {
        self.with(|s| {
            let k = s
                .kind_of(api_version, kind)
                .ok_or_else(|| ApiError::new(404, "NotFound", format!("no kind {kind}")))?;
            s.update(&k, namespace, name, partial, manager)
        })
    }

    /// Makes the rollout of this workload stall: its Deployment reports ProgressDeadlineExceeded.
    pub fn stall(&self, namespace: &str, name: &str) {
        self.with(|s| s.stalled.insert((namespace.to_string(), name.to_string())));
    }

    /// The next `probes` readiness checks (`GET /readyz`) fail, as while etcd starts.
    pub fn starting_up(&self, probes: u32) {
        self.with(|s| s.starting = probes);
    }

    /// Every request and every finished rollout so far, with when it happened (seconds since
    /// the server started).
    pub fn timeline(&self) -> Vec<(f64, String)> {
        self.with(|s| s.timeline.clone())
    }

    /// Every request so far, as `METHOD path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.with(|s| s.requests.clone())
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
