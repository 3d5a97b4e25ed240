//! Keeps the state of one run: reads it through a backend (replaying any journal a stopped run
//! left), records each completed operation in the journal at once, and writes the whole state
//! once at the end. If that final write fails, the state goes to an emergency file in the
//! working directory so that nothing is lost.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use slipway_core::backend::{Backend, BackendError};

use super::journal::{Replay, journal_lineage, replay};
use super::{JournalEntry, State, StateError};

/// Why state could not be read or saved.
#[derive(Debug, thiserror::Error)]
pub enum PersistError {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(
        "Failed to save state to {backend}: {source}\n\nThe state was written to {emergency} instead. Once the problem is fixed, push it with\n    slipway state push {emergency}"
    )]
    SavedToEmergencyFile { backend: String, emergency: String, source: BackendError },
    #[error(
        "Failed to save state to {backend}: {source}\n\nWriting it to {emergency} failed too ({local}). The state below is the only record of what exists; save it to a file and push it with slipway state push:\n{state}"
    )]
    Lost { backend: String, emergency: String, source: BackendError, local: String, state: String },
}

/// Why a state document may not replace the current state (`state push`), unless forced.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplaceError {
    #[error(
        "The state to push has lineage {pushed}, but the current state has lineage {current}: it is the history of another state, not a version of this one. If you are sure it should replace this state, push it with -force."
    )]
    LineageDiffers { current: String, pushed: String },
    #[error(
        "The state to push has serial {pushed}, lower than the current state's {current}: it is older than what is stored. Pull the current state and edit that, or, if you are sure, push it with -force."
    )]
    SerialLower { current: u64, pushed: u64 },
}

/// The name of the file that receives the state when the backend cannot.
pub const EMERGENCY_FILE: &str = "errored.tfstate";

pub struct StateManager {
    backend: Arc<dyn Backend>,
    workspace: String,
    state: State,
    /// The serial of the state the journal entries build on.
    base_serial: u64,
    /// Whether anything changed since the last full write.
    dirty: bool,
    /// Whether the backend holds this state (or a journal of it) at all.
    stored: bool,
}

impl StateManager {
    /// Reads the workspace's state, replaying a journal left by a run that stopped early.
    pub async fn load(backend: Arc<dyn Backend>, workspace: &str) -> Result<(StateManager, Replay), PersistError> {
        let stored = backend.read(workspace).await?;
        let exists = stored.is_some();
        let outdated = stored.as_ref().is_some_and(|s| s.outdated);
        let (state, replayed) = match stored {
            None => (State::new(), Replay::default()),
            Some(stored) => {
                let mut state = if stored.state.is_empty() {
                    let mut fresh = State::new();
                    if let Some(lineage) = journal_lineage(&stored.journal) {
                        fresh.lineage = lineage;
                    }
                    fresh
                } else {
                    State::from_json(&stored.state)?
                };
                let replayed = replay(&mut state, &stored.journal)?;
                (state, replayed)
            }
        };
        let base_serial = state.serial;
        // A replayed journal, or a stored form to renew (a plain state now to be encrypted).
        let dirty = replayed.applied > 0 || outdated;
        Ok((
            StateManager { backend, workspace: workspace.to_string(), state, base_serial, dirty, stored: exists },
            replayed,
        ))
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Records one completed operation: in memory, and durably in the journal.
    ///
    /// The operation happened whether or not its record could be stored: it goes into the state
    /// in memory either way, so that the final write (or the emergency file) still has it.
    pub async fn record(&mut self, entry: JournalEntry) -> Result<(), PersistError> {
        let line = entry.encode(&self.state.lineage, self.base_serial);
        let appended = self.backend.append_journal(&self.workspace, &line).await;
        entry.apply_to(&mut self.state);
        self.dirty = true;
        appended.map_err(PersistError::from)
    }

    /// Records several completed operations with one durable append (group commit: operations
    /// that finish together cost one flush).
    pub async fn record_all(&mut self, entries: Vec<JournalEntry>) -> Result<(), PersistError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        for entry in &entries {
            bytes.extend(entry.encode(&self.state.lineage, self.base_serial));
        }
        let appended = self.backend.append_journal(&self.workspace, &bytes).await;
        for entry in entries {
            entry.apply_to(&mut self.state);
        }
        self.dirty = true;
        appended.map_err(PersistError::from)
    }

    /// Writes the state as it is when the backend has none yet, so that its lineage is stored
    /// before anything is created under it.
    pub async fn store_lineage(&mut self) -> Result<(), PersistError> {
        if !self.stored {
            self.backend.write(&self.workspace, &self.state.to_json()).await?;
            self.stored = true;
        }
        Ok(())
    }

    /// Changes that need no journal (outputs are recomputed on every run).
    pub fn state_mut(&mut self) -> &mut State {
        self.dirty = true;
        &mut self.state
    }

    /// Replaces the whole state with `state` (`state push`), refusing, unless `force`, a state of
    /// another lineage or with a lower serial than the current one. Nothing is stored until
    /// [`StateManager::persist`], which writes it with the pushed serial, or with the next
    /// serial when that is higher, so that a plan made from the replaced state is stale.
    pub fn replace(&mut self, mut state: State, force: bool) -> Result<(), ReplaceError> {
        let current = &self.state;
        let nothing_stored = current.serial == 0 && current.is_empty();
        if !force && !nothing_stored {
            if state.lineage != current.lineage {
                return Err(ReplaceError::LineageDiffers {
                    current: current.lineage.clone(),
                    pushed: state.lineage.clone(),
                });
            }
            if state.serial < current.serial {
                return Err(ReplaceError::SerialLower { current: current.serial, pushed: state.serial });
            }
        }
        // persist adds one.
        state.serial = state.serial.saturating_sub(1).max(current.serial);
        self.state = state;
        self.dirty = true;
        Ok(())
    }

    /// Writes the whole state with the next serial, if anything changed.
    pub async fn persist(&mut self, working_dir: &Path) -> Result<(), PersistError> {
        if !self.dirty {
            return Ok(());
        }
        self.state.serial += 1;
        let bytes = self.state.to_json();
        match self.backend.write(&self.workspace, &bytes).await {
            Ok(()) => {
                self.base_serial = self.state.serial;
                self.dirty = false;
                Ok(())
            }
            Err(source) => {
                let emergency: PathBuf = working_dir.join(EMERGENCY_FILE);
                let backend = self.backend.describe(&self.workspace);
                let shown = emergency.display().to_string();
                // As the backend would have stored it: an encrypting backend seals it first.
                let sealed = self.backend.seal_for_file(&bytes).await.unwrap_or_else(|_| bytes.clone());
                match write_emergency(&emergency, &sealed) {
                    Ok(()) => Err(PersistError::SavedToEmergencyFile { backend, emergency: shown, source }),
                    Err(local) => Err(PersistError::Lost {
                        backend,
                        emergency: shown,
                        source,
                        local: local.to_string(),
                        state: String::from_utf8_lossy(&bytes).into_owned(),
                    }),
                }
            }
        }
    }
}

#[allow(clippy::disallowed_methods)] // the emergency file is written straight to disk on purpose
fn write_emergency(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend_local::LocalBackend;
    use crate::state::{InstanceObject, InstanceStatus};

    fn with_instance(mut state: State, address: &str) -> State {
        let object = InstanceObject {
            provider: slipway_core::address::ProviderConfigAddr::root("null"),
            schema_version: 0,
            attributes: serde_json::json!({ "id": address }),
            sensitive_paths: vec![],
            private: vec![],
            dependencies: vec![],
            create_before_destroy: false,
            status: InstanceStatus::Ready,
        };
        state.instances.insert(address.parse().expect("address"), object);
        state
    }

    /// A stored state at `serial`, with one journal entry on top of it.
    async fn stored(dir: &Path, serial: u64) -> (Arc<dyn Backend>, State) {
        let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir));
        let mut state = with_instance(State::new(), "null_resource.a");
        state.serial = serial;
        backend.write("default", &state.to_json()).await.expect("writes");
        let (mut manager, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
        manager
            .record(JournalEntry::Remove { address: "null_resource.a".parse().expect("address") })
            .await
            .expect("records");
        (backend, state)
    }

    async fn reload(backend: &Arc<dyn Backend>) -> State {
        StateManager::load(backend.clone(), "default").await.expect("loads").0.state().clone()
    }

    #[tokio::test]
    async fn replace_keeps_a_higher_serial_and_drops_the_journal() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (backend, old) = stored(dir.path(), 4).await;
        let (mut manager, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
        let mut pushed = with_instance(old.clone(), "null_resource.pushed");
        pushed.serial = 9;
        manager.replace(pushed.clone(), false).expect("same lineage, higher serial");
        manager.persist(dir.path()).await.expect("persists");
        let now = reload(&backend).await;
        assert_eq!(now, pushed, "the journal entry made on the old state is not replayed on the pushed one");
    }

    #[tokio::test]
    async fn replace_with_the_same_serial_writes_the_next_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (backend, old) = stored(dir.path(), 4).await;
        let (mut manager, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
        manager.replace(old.clone(), false).expect("same serial is accepted");
        manager.persist(dir.path()).await.expect("persists");
        assert_eq!(reload(&backend).await.serial, 5);
    }

    #[tokio::test]
    async fn replace_refuses_another_lineage_or_a_lower_serial_unless_forced() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (backend, old) = stored(dir.path(), 4).await;
        let (mut manager, _) = StateManager::load(backend.clone(), "default").await.expect("loads");

        let foreign = with_instance(State::new(), "null_resource.other");
        assert_eq!(
            manager.replace(foreign.clone(), false),
            Err(ReplaceError::LineageDiffers { current: old.lineage.clone(), pushed: foreign.lineage.clone() })
        );
        let mut older = old.clone();
        older.serial = 2;
        assert_eq!(manager.replace(older.clone(), false), Err(ReplaceError::SerialLower { current: 4, pushed: 2 }));
        assert_eq!(manager.state().serial, 4, "a refused state changes nothing");

        manager.replace(older, true).expect("forced");
        manager.persist(dir.path()).await.expect("persists");
        let now = reload(&backend).await;
        assert_eq!((now.lineage.as_str(), now.serial), (old.lineage.as_str(), 5));

        let (mut manager, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
        manager.replace(foreign.clone(), true).expect("forced");
        manager.persist(dir.path()).await.expect("persists");
        let now = reload(&backend).await;
        assert_eq!((now.lineage, now.serial), (foreign.lineage, 6));
    }

    #[tokio::test]
    async fn anything_replaces_a_state_never_stored() {
        let dir = tempfile::tempdir().expect("temp dir");
        let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
        let (mut manager, _) = StateManager::load(backend.clone(), "default").await.expect("loads");
        let mut pushed = with_instance(State::new(), "null_resource.a");
        pushed.serial = 3;
        manager.replace(pushed.clone(), false).expect("nothing to compare with");
        manager.persist(dir.path()).await.expect("persists");
        assert_eq!(reload(&backend).await, pushed);
    }
}
