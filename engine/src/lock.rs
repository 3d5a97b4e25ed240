//! Taking and releasing the state lock for one command: a new lock ID, who and why, and a guard
//! that the command releases on every path out (errors and Ctrl-C included).

use std::sync::Arc;
use std::time::Duration;

use slipway_core::backend::{Backend, BackendError, LockInfo};

/// A lock held on a workspace's state.
pub struct StateLock {
    backend: Arc<dyn Backend>,
    workspace: String,
    info: LockInfo,
    released: bool,
}

impl StateLock {
    /// Takes the lock for `operation`, retrying until `timeout` while someone else holds it.
    pub async fn acquire(
        backend: Arc<dyn Backend>,
        workspace: &str,
        operation: &str,
        timeout: Duration,
    ) -> Result<StateLock, BackendError> {
        let info = LockInfo {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.to_string(),
            who: who(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            path: backend.describe(workspace),
        };
        let deadline = tokio::time::Instant::now() + timeout;
        let mut wait = Duration::from_millis(100);
        loop {
            match backend.lock(workspace, &info).await {
                Ok(()) => return Ok(StateLock { backend, workspace: workspace.to_string(), info, released: false }),
                Err(BackendError::Locked(holder)) if tokio::time::Instant::now() + wait <= deadline => {
                    let _ = holder;
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    pub fn id(&self) -> &str {
        &self.info.id
    }

    /// Releases the lock. Commands call this on every path out; see [`StateLock::acquire`].
    pub async fn release(mut self) -> Result<(), BackendError> {
        self.released = true;
        self.backend.unlock(&self.workspace, &self.info.id).await
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if !self.released {
            // A guard dropped without release (a panic or an early return that forgot it):
            // release in the background when a runtime is there to do it.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                let backend = self.backend.clone();
                let workspace = self.workspace.clone();
                let id = self.info.id.clone();
                handle.spawn(async move {
                    let _ = backend.unlock(&workspace, &id).await;
                });
            }
        }
    }
}

fn who() -> String {
    let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}
