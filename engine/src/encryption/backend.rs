//! A backend that encrypts what it hands to another: the state document and every journal
//! entry are sealed before they leave the process, so neither the local file nor the S3 object
//! ever holds a secret in plain text. Locks and workspaces pass through untouched.
//!
//! A journal append is encrypted as one line (the envelope is single-line JSON), so backends
//! keep splitting their journals by line; each line decrypts to the entries appended together.
//! A plain state or journal line written before encryption was configured is read as it is
//! (unless encryption is enforced) and the next write encrypts it: that is the migration.

use std::sync::Arc;

use async_trait::async_trait;
use slipway_core::backend::{Backend, BackendError, LockInfo, StateVersion, StoredState};

use super::{Encryption, EncryptionError, is_encrypted};

pub struct EncryptedBackend {
    inner: Arc<dyn Backend>,
    pub(super) encryption: Encryption,
}

impl EncryptedBackend {
    pub fn new(inner: Arc<dyn Backend>, encryption: Encryption) -> EncryptedBackend {
        EncryptedBackend { inner, encryption }
    }

    async fn open_journal(&self, lines: Vec<Vec<u8>>) -> Result<Vec<Vec<u8>>, BackendError> {
        let mut entries = Vec::with_capacity(lines.len());
        let last = lines.len().saturating_sub(1);
        for (i, line) in lines.into_iter().enumerate() {
            if !is_encrypted(&line) {
                // A plain entry from before encryption, or the torn last line of a run that was
                // killed mid-append (the journal's replay skips what does not parse).
                if i == last || !line.starts_with(b"{\"encryption_version\"") {
                    entries.push(line);
                    continue;
                }
            }
            let opened = self.encryption.decrypt(&line).await.map_err(storage)?;
            entries.extend(opened.bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec));
        }
        Ok(entries)
    }
}

fn storage(e: EncryptionError) -> BackendError {
    BackendError::Storage(e.to_string())
}

#[async_trait]
impl Backend for EncryptedBackend {
    fn describe(&self, workspace: &str) -> String {
        format!("{} (encrypted)", self.inner.describe(workspace))
    }

    async fn read(&self, workspace: &str) -> Result<Option<StoredState>, BackendError> {
        let Some(stored) = self.inner.read(workspace).await? else { return Ok(None) };
        let (state, outdated) = if stored.state.is_empty() {
            (Vec::new(), false)
        } else {
            let opened = self.encryption.decrypt(&stored.state).await.map_err(storage)?;
            (opened.bytes, opened.was_plain && self.encryption.encrypts())
        };
        let journal = self.open_journal(stored.journal).await?;
        Ok(Some(StoredState { state, journal, outdated: outdated || stored.outdated }))
    }

    async fn write(&self, workspace: &str, state: &[u8]) -> Result<(), BackendError> {
        let sealed = self.encryption.encrypt(state).await.map_err(storage)?;
        self.inner.write(workspace, &sealed).await
    }

    async fn append_journal(&self, workspace: &str, entry: &[u8]) -> Result<(), BackendError> {
        let mut sealed = self.encryption.encrypt(entry).await.map_err(storage)?;
        if !sealed.ends_with(b"\n") {
            sealed.push(b'\n');
        }
        self.inner.append_journal(workspace, &sealed).await
    }

    async fn lock(&self, workspace: &str, info: &LockInfo) -> Result<(), BackendError> {
        self.inner.lock(workspace, info).await
    }

    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        self.inner.unlock(workspace, id).await
    }

    async fn lock_info(&self, workspace: &str) -> Result<Option<LockInfo>, BackendError> {
        self.inner.lock_info(workspace).await
    }

    async fn workspaces(&self) -> Result<Vec<String>, BackendError> {
        self.inner.workspaces().await
    }

    async fn delete_workspace(&self, workspace: &str) -> Result<(), BackendError> {
        self.inner.delete_workspace(workspace).await
    }

    async fn versions(&self, workspace: &str) -> Result<Vec<StateVersion>, BackendError> {
        self.inner.versions(workspace).await
    }

    async fn read_version(&self, workspace: &str, version: &str) -> Result<Vec<u8>, BackendError> {
        let sealed = self.inner.read_version(workspace, version).await?;
        Ok(self.encryption.decrypt(&sealed).await.map_err(storage)?.bytes)
    }

    async fn seal_for_file(&self, state: &[u8]) -> Result<Vec<u8>, BackendError> {
        self.encryption.encrypt(state).await.map_err(storage)
    }

    async fn open_from_file(&self, bytes: &[u8]) -> Result<Vec<u8>, BackendError> {
        Ok(self.encryption.decrypt(bytes).await.map_err(storage)?.bytes)
    }
}
