//! Where state lives (a local file, an S3 object), seen as bytes: the engine owns the state
//! format, a backend only stores, locks and journals. This keeps backends (the S3 one lives with
//! the AWS provider) free of the engine, as invariant 1 requires.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Who holds a lock and why, shown to whoever finds it taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    /// `plan`, `apply`, `destroy`...
    pub operation: String,
    /// user@host
    pub who: String,
    pub version: String,
    /// RFC 3339.
    pub created: String,
    /// The state being locked, as the backend names it.
    pub path: String,
}

/// The stored state and the operations journaled since it was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredState {
    pub state: Vec<u8>,
    /// Entries appended by [`Backend::append_journal`] since the last [`Backend::write`], in
    /// order; the engine replays them (a run that stopped before its final write).
    pub journal: Vec<Vec<u8>>,
    /// The stored form is out of date (a plain state read while encryption is configured): the
    /// next run that writes state rewrites it even when nothing else changed.
    pub outdated: bool,
}

/// One stored version of a state (S3 bucket versioning), newest first in listings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateVersion {
    pub id: String,
    /// RFC 3339.
    pub modified: String,
    pub size: u64,
    pub latest: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    #[error("the state is locked by {} (lock ID {}, {} since {})", .0.who, .0.id, .0.operation, .0.created)]
    /// Boxed: errors travel through `Result`s and a lock's details are large.
    Locked(Box<LockInfo>),
    #[error("no lock with ID {0} is held on this state")]
    LockNotHeld(String),
    #[error("the state was changed by someone else while this run held it: {0}")]
    Conflict(String),
    #[error("{0}")]
    Storage(String),
}

#[async_trait]
pub trait Backend: Send + Sync {
    /// A short description for messages: `local state file "slipway.tfstate"`.
    fn describe(&self, workspace: &str) -> String;

    /// The state of `workspace`, or `None` when there is none yet.
    async fn read(&self, workspace: &str) -> Result<Option<StoredState>, BackendError>;

    /// Replaces the state atomically and clears the journal.
    async fn write(&self, workspace: &str, state: &[u8]) -> Result<(), BackendError>;

    /// Durably records one completed operation, cheaply, so that apply is never quadratic and
    /// a completed operation is never lost.
    async fn append_journal(&self, workspace: &str, entry: &[u8]) -> Result<(), BackendError>;

    /// Takes the lock, or says who has it.
    async fn lock(&self, workspace: &str, info: &LockInfo) -> Result<(), BackendError>;

    /// Releases the lock `id`.
    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError>;

    /// The lock held on the state, if any.
    async fn lock_info(&self, workspace: &str) -> Result<Option<LockInfo>, BackendError>;

    /// Every workspace with a state, `default` first.
    async fn workspaces(&self) -> Result<Vec<String>, BackendError>;

    /// Removes the state (and journal) of a workspace other than `default`.
    async fn delete_workspace(&self, workspace: &str) -> Result<(), BackendError>;

    /// A state document as it may be kept outside the backend (the emergency file written when
    /// the backend cannot be): as this backend would store it, so that a backend that encrypts
    /// never leaves a plain copy behind.
    async fn seal_for_file(&self, state: &[u8]) -> Result<Vec<u8>, BackendError> {
        Ok(state.to_vec())
    }

    /// The stored versions of the workspace's state, newest first, where the storage keeps
    /// them (S3 with bucket versioning).
    async fn versions(&self, workspace: &str) -> Result<Vec<StateVersion>, BackendError> {
        Err(BackendError::Storage(format!("{} keeps no versions of the state", self.describe(workspace))))
    }

    /// The state document of one version from [`Backend::versions`], without any journal.
    async fn read_version(&self, workspace: &str, _version: &str) -> Result<Vec<u8>, BackendError> {
        Err(BackendError::Storage(format!("{} keeps no versions of the state", self.describe(workspace))))
    }

    /// Undoes [`Backend::seal_for_file`] for a document read from a file (`state push`).
    async fn open_from_file(&self, bytes: &[u8]) -> Result<Vec<u8>, BackendError> {
        Ok(bytes.to_vec())
    }
}
