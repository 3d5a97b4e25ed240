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
}

impl StateManager {
    /// Reads the workspace's state, replaying a journal left by a run that stopped early.
    pub async fn load(backend: Arc<dyn Backend>, workspace: &str) -> Result<(StateManager, Replay), PersistError> {
        let stored = backend.read(workspace).await?;
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
        let dirty = replayed.applied > 0;
        Ok((StateManager { backend, workspace: workspace.to_string(), state, base_serial, dirty }, replayed))
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Records one completed operation: in memory, and durably in the journal.
    pub async fn record(&mut self, entry: JournalEntry) -> Result<(), PersistError> {
        let line = entry.encode(&self.state.lineage, self.base_serial);
        self.backend.append_journal(&self.workspace, &line).await?;
        entry.apply_to(&mut self.state);
        self.dirty = true;
        Ok(())
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
        self.backend.append_journal(&self.workspace, &bytes).await?;
        for entry in entries {
            entry.apply_to(&mut self.state);
        }
        self.dirty = true;
        Ok(())
    }

    /// Changes that need no journal (outputs are recomputed on every run).
    pub fn state_mut(&mut self) -> &mut State {
        self.dirty = true;
        &mut self.state
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
                match write_emergency(&emergency, &bytes) {
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
