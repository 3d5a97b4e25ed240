//! The state layer on the local backend: journal replay after a run that stopped before its
//! final write, atomic writes with a backup, the lock that two runs can never both hold, and the
//! emergency file when the final write fails.

// Tests inspect the files the backend wrote.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use slipway_core::address::ResourceInstanceAddr;
use slipway_core::backend::{Backend, BackendError, LockInfo, StoredState};
use slipway_engine::backend_local::LocalBackend;
use slipway_engine::lock::StateLock;
use slipway_engine::state::{InstanceObject, InstanceStatus, JournalEntry, PersistError, State, StateManager};

fn addr(text: &str) -> ResourceInstanceAddr {
    text.parse().expect("address")
}

fn object(id: &str) -> InstanceObject {
    InstanceObject {
        provider: slipway_core::address::ProviderConfigAddr::root("null"),
        schema_version: 0,
        attributes: serde_json::json!({ "id": id }),
        sensitive_paths: vec![],
        private: vec![],
        dependencies: vec![],
        create_before_destroy: false,
        status: InstanceStatus::Ready,
    }
}

#[tokio::test]
async fn a_run_that_stops_before_its_final_write_loses_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));

    let (mut run, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
    run.record(JournalEntry::Put { address: addr("null_resource.a"), object: object("a") }).await.expect("records");
    run.record(JournalEntry::Put { address: addr("null_resource.b[1]"), object: object("b") }).await.expect("records");
    run.record(JournalEntry::Remove { address: addr("null_resource.a") }).await.expect("records");
    let lineage = run.state().lineage.clone();
    drop(run); // stops here: no final write

    let (mut next, replay) = StateManager::load(backend.clone(), "default").await.expect("loads");
    assert_eq!(replay.applied, 3);
    assert_eq!(next.state().lineage, lineage);
    let addresses: Vec<String> = next.state().instances.keys().map(ToString::to_string).collect();
    assert_eq!(addresses, ["null_resource.b[1]"]);

    next.persist(dir.path()).await.expect("persists");
    assert!(!dir.path().join("slipway.tfstate.journal").exists(), "the journal is folded into the state");
    let saved =
        State::from_json(&std::fs::read(dir.path().join("slipway.tfstate")).expect("state file")).expect("parses");
    assert_eq!(saved.serial, 1);
    assert_eq!(saved.instances.len(), 1);
}

#[tokio::test]
async fn every_write_keeps_the_previous_version_as_backup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    let (mut run, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
    run.record(JournalEntry::Put { address: addr("null_resource.a"), object: object("a") }).await.expect("records");
    run.persist(dir.path()).await.expect("persists");
    run.record(JournalEntry::Put { address: addr("null_resource.b"), object: object("b") }).await.expect("records");
    run.persist(dir.path()).await.expect("persists");

    let backup =
        State::from_json(&std::fs::read(dir.path().join("slipway.tfstate.backup")).expect("backup")).expect("parses");
    assert_eq!((backup.serial, backup.instances.len()), (1, 1));
    let current = State::from_json(&std::fs::read(dir.path().join("slipway.tfstate")).expect("state")).expect("parses");
    assert_eq!((current.serial, current.instances.len()), (2, 2));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files remain");

    // Nothing changed: no new serial, no write.
    run.persist(dir.path()).await.expect("persists");
    let again = State::from_json(&std::fs::read(dir.path().join("slipway.tfstate")).expect("state")).expect("parses");
    assert_eq!(again.serial, 2);
}

#[tokio::test]
async fn torn_and_foreign_journal_lines_are_not_replayed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    let (mut run, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
    run.record(JournalEntry::Put { address: addr("null_resource.a"), object: object("a") }).await.expect("records");
    drop(run);
    let journal = dir.path().join("slipway.tfstate.journal");
    let mut text = std::fs::read_to_string(&journal).expect("journal");
    let foreign =
        JournalEntry::Put { address: addr("null_resource.other"), object: object("x") }.encode("another-lineage", 0);
    text.push_str(&String::from_utf8(foreign).expect("utf-8"));
    text.push_str("{\"lineage\": \"torn"); // a crash in the middle of an append
    std::fs::write(&journal, text).expect("write journal");

    let (run, replay) = StateManager::load(backend, "default").await.expect("loads");
    assert_eq!((replay.applied, replay.skipped), (1, 2));
    assert_eq!(run.state().instances.len(), 1);
}

#[tokio::test]
async fn workspaces_have_their_own_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    for workspace in ["default", "staging"] {
        let (mut run, _) = StateManager::load(backend.clone(), workspace).await.expect("loads");
        run.record(JournalEntry::Put {
            address: addr(&format!("null_resource.{workspace}")),
            object: object(workspace),
        })
        .await
        .expect("records");
        run.persist(dir.path()).await.expect("persists");
    }
    assert!(dir.path().join("slipway.tfstate.d/staging/slipway.tfstate").exists());
    assert_eq!(backend.workspaces().await.expect("lists"), ["default", "staging"]);
    let (staging, _) = StateManager::load(backend, "staging").await.expect("loads");
    assert_eq!(
        staging.state().instances.keys().map(ToString::to_string).collect::<Vec<_>>(),
        ["null_resource.staging"]
    );
}

#[tokio::test]
async fn a_taken_lock_says_who_holds_it_and_is_released() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    let first = StateLock::acquire(backend.clone(), "default", "apply", Duration::ZERO).await.expect("first lock");
    let err = StateLock::acquire(backend.clone(), "default", "plan", Duration::from_millis(300))
        .await
        .err()
        .expect("second is refused");
    match err {
        BackendError::Locked(holder) => {
            assert_eq!(holder.id, first.id());
            assert_eq!(holder.operation, "apply");
        }
        other => panic!("expected Locked, got {other}"),
    }
    assert!(matches!(backend.unlock("default", "not-the-id").await, Err(BackendError::LockNotHeld(_))));
    first.release().await.expect("releases");
    assert_eq!(backend.lock_info("default").await.expect("reads"), None);
    StateLock::acquire(backend, "default", "plan", Duration::ZERO)
        .await
        .expect("free again")
        .release()
        .await
        .expect("releases");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_many_runs_racing_for_the_lock_exactly_one_wins() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    let racers: Vec<_> = (0..16)
        .map(|_| {
            let backend = backend.clone();
            tokio::spawn(async move { StateLock::acquire(backend, "default", "apply", Duration::ZERO).await })
        })
        .collect();
    let mut winners = Vec::new();
    for racer in racers {
        if let Ok(lock) = racer.await.expect("task") {
            winners.push(lock);
        }
    }
    assert_eq!(winners.len(), 1);
}

#[tokio::test]
async fn a_waiting_run_gets_the_lock_when_it_is_released() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    let first = StateLock::acquire(backend.clone(), "default", "apply", Duration::ZERO).await.expect("first lock");
    let waiter = tokio::spawn({
        let backend = backend.clone();
        async move { StateLock::acquire(backend, "default", "apply", Duration::from_secs(5)).await }
    });
    tokio::time::sleep(Duration::from_millis(250)).await;
    first.release().await.expect("releases");
    waiter.await.expect("task").expect("waiter gets the lock").release().await.expect("releases");
}

/// A backend whose final write fails, as an unreachable bucket would.
struct FailingWrites(LocalBackend);

#[async_trait]
impl Backend for FailingWrites {
    fn describe(&self, workspace: &str) -> String {
        self.0.describe(workspace)
    }
    async fn read(&self, workspace: &str) -> Result<Option<StoredState>, BackendError> {
        self.0.read(workspace).await
    }
    async fn write(&self, _: &str, _: &[u8]) -> Result<(), BackendError> {
        Err(BackendError::Storage("the disk is full".into()))
    }
    async fn append_journal(&self, workspace: &str, entry: &[u8]) -> Result<(), BackendError> {
        self.0.append_journal(workspace, entry).await
    }
    async fn lock(&self, workspace: &str, info: &LockInfo) -> Result<(), BackendError> {
        self.0.lock(workspace, info).await
    }
    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        self.0.unlock(workspace, id).await
    }
    async fn lock_info(&self, workspace: &str) -> Result<Option<LockInfo>, BackendError> {
        self.0.lock_info(workspace).await
    }
    async fn workspaces(&self) -> Result<Vec<String>, BackendError> {
        self.0.workspaces().await
    }
    async fn delete_workspace(&self, workspace: &str) -> Result<(), BackendError> {
        self.0.delete_workspace(workspace).await
    }
}

#[tokio::test]
async fn a_failed_final_write_goes_to_an_emergency_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backend: Arc<dyn Backend> = Arc::new(FailingWrites(LocalBackend::new(dir.path().join("remote"))));
    let (mut run, _) = StateManager::load(backend, "default").await.expect("loads");
    run.record(JournalEntry::Put { address: addr("null_resource.a"), object: object("a") }).await.expect("records");
    let err = run.persist(dir.path()).await.expect_err("the write fails");
    assert!(matches!(err, PersistError::SavedToEmergencyFile { .. }));
    let message = err.to_string();
    assert!(message.contains("the disk is full"), "{message}");
    assert!(message.contains("slipway state push"), "{message}");
    let rescued =
        State::from_json(&std::fs::read(dir.path().join("errored.tfstate")).expect("emergency file")).expect("parses");
    assert_eq!(rescued.instances.len(), 1);

    // Once the backend works again, the emergency file is pushed as the message says.
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path().join("remote")));
    let (mut push, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
    push.replace(rescued.clone(), false).expect("the emergency file continues the stored state");
    push.persist(dir.path()).await.expect("persists");
    let (stored, _) = StateManager::load(backend, "default").await.expect("loads");
    assert_eq!(stored.state(), &rescued);
}
