//! The local backend: state in `slipway.tfstate` in the working directory (other workspaces under
//! `slipway.tfstate.d/NAME/`), written atomically (temporary file, fsync, rename, fsync of the
//! directory) with the previous version kept as `slipway.tfstate.backup`; a journal beside it;
//! and a lock file created exclusively, so two runs can never both hold it.

// This module is the local backend's storage: it reads and writes files directly.
#![allow(clippy::disallowed_methods)]

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use slipway_core::backend::{Backend, BackendError, LockInfo, StoredState};

pub const STATE_FILE: &str = "slipway.tfstate";
const WORKSPACES_DIR: &str = "slipway.tfstate.d";

#[derive(Clone, Debug)]
pub struct LocalBackend {
    dir: PathBuf,
}

impl LocalBackend {
    /// State files under `dir`, normally the working directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalBackend { dir: dir.into() }
    }

    /// The state file of `workspace`.
    pub fn state_path(&self, workspace: &str) -> PathBuf {
        if workspace == "default" {
            self.dir.join(STATE_FILE)
        } else {
            self.dir.join(WORKSPACES_DIR).join(workspace).join(STATE_FILE)
        }
    }

    fn sibling(&self, workspace: &str, suffix: &str) -> PathBuf {
        let mut path = self.state_path(workspace).into_os_string();
        path.push(suffix);
        PathBuf::from(path)
    }
}

fn storage(context: &str, path: &Path, e: impl std::fmt::Display) -> BackendError {
    BackendError::Storage(format!("{context} {}: {e}", path.display()))
}

/// Runs blocking file IO off the async worker threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, BackendError> + Send + 'static,
) -> Result<T, BackendError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| BackendError::Storage(format!("file IO task failed: {e}")))?
}

fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, BackendError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(storage("could not read", path, e)),
    }
}

/// Writes `bytes` to `path` so that a reader sees the old or the new file, never a mix.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BackendError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| storage("could not create", dir, e))?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename is durable only once the directory entry is.
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(storage("could not write", path, e));
    }
    Ok(())
}

#[async_trait]
impl Backend for LocalBackend {
    fn describe(&self, workspace: &str) -> String {
        format!("local state file {:?}", self.state_path(workspace).display().to_string())
    }

    async fn read(&self, workspace: &str) -> Result<Option<StoredState>, BackendError> {
        let state_path = self.state_path(workspace);
        let journal_path = self.sibling(workspace, ".journal");
        blocking(move || {
            let state = read_optional(&state_path)?;
            let journal = read_optional(&journal_path)?;
            if state.is_none() && journal.is_none() {
                return Ok(None);
            }
            let journal = journal
                .unwrap_or_default()
                .split(|b| *b == b'\n')
                .filter(|line| !line.is_empty())
                .map(<[u8]>::to_vec)
                .collect();
            Ok(Some(StoredState { state: state.unwrap_or_default(), journal, outdated: false }))
        })
        .await
    }

    async fn write(&self, workspace: &str, state: &[u8]) -> Result<(), BackendError> {
        let state_path = self.state_path(workspace);
        let backup_path = self.sibling(workspace, ".backup");
        let journal_path = self.sibling(workspace, ".journal");
        let bytes = state.to_vec();
        blocking(move || {
            if let Some(previous) = read_optional(&state_path)? {
                write_atomically(&backup_path, &previous)?;
            }
            write_atomically(&state_path, &bytes)?;
            // Only once the new state is durable does the journal it contains go away.
            match std::fs::remove_file(&journal_path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
                Err(e) => Err(storage("could not remove", &journal_path, e)),
            }
        })
        .await
    }

    async fn append_journal(&self, workspace: &str, entry: &[u8]) -> Result<(), BackendError> {
        let journal_path = self.sibling(workspace, ".journal");
        let bytes = entry.to_vec();
        blocking(move || {
            if let Some(dir) = journal_path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| storage("could not create", dir, e))?;
            }
            let mut file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&journal_path)
                .map_err(|e| storage("could not open", &journal_path, e))?;
            file.write_all(&bytes).map_err(|e| storage("could not append to", &journal_path, e))?;
            // fdatasync: the operation is not acknowledged until its record is on disk.
            file.sync_data().map_err(|e| storage("could not flush", &journal_path, e))
        })
        .await
    }

    async fn lock(&self, workspace: &str, info: &LockInfo) -> Result<(), BackendError> {
        let lock_path = self.sibling(workspace, ".lock.info");
        let bytes = serde_json::to_vec_pretty(info).map_err(|e| BackendError::Storage(e.to_string()))?;
        blocking(move || {
            if let Some(dir) = lock_path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| storage("could not create", dir, e))?;
            }
            // create_new is atomic: of two runs, exactly one creates the file.
            match OpenOptions::new().write(true).create_new(true).open(&lock_path) {
                Ok(mut file) => file
                    .write_all(&bytes)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| storage("could not write", &lock_path, e)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(BackendError::Locked(Box::new(
                    read_lock(&lock_path)?.unwrap_or_else(|| unknown_holder(&lock_path)),
                ))),
                Err(e) => Err(storage("could not create", &lock_path, e)),
            }
        })
        .await
    }

    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        let lock_path = self.sibling(workspace, ".lock.info");
        let id = id.to_string();
        blocking(move || match read_lock(&lock_path)? {
            Some(held) if held.id == id => {
                std::fs::remove_file(&lock_path).map_err(|e| storage("could not remove", &lock_path, e))
            }
            _ => Err(BackendError::LockNotHeld(id)),
        })
        .await
    }

    async fn lock_info(&self, workspace: &str) -> Result<Option<LockInfo>, BackendError> {
        let lock_path = self.sibling(workspace, ".lock.info");
        blocking(move || read_lock(&lock_path)).await
    }

    async fn workspaces(&self) -> Result<Vec<String>, BackendError> {
        let dir = self.dir.join(WORKSPACES_DIR);
        blocking(move || {
            let mut names = vec!["default".to_string()];
            match std::fs::read_dir(&dir) {
                Ok(entries) => {
                    for entry in entries.flatten() {
                        if entry.path().is_dir() {
                            names.push(entry.file_name().to_string_lossy().to_string());
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(storage("could not list", &dir, e)),
            }
            names[1..].sort();
            Ok(names)
        })
        .await
    }

    async fn delete_workspace(&self, workspace: &str) -> Result<(), BackendError> {
        let dir = self.dir.join(WORKSPACES_DIR).join(workspace);
        blocking(move || match std::fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(storage("could not remove", &dir, e)),
        })
        .await
    }
}

fn read_lock(path: &Path) -> Result<Option<LockInfo>, BackendError> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut file) => {
            file.read_to_string(&mut text).map_err(|e| storage("could not read", path, e))?;
            Ok(Some(serde_json::from_str(&text).unwrap_or_else(|_| unknown_holder(path))))
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(storage("could not read", path, e)),
    }
}

/// A lock file whose content cannot be read (a run killed while writing it).
fn unknown_holder(path: &Path) -> LockInfo {
    LockInfo {
        id: "unknown".into(),
        operation: "unknown".into(),
        who: "unknown".into(),
        version: String::new(),
        created: String::new(),
        path: path.display().to_string(),
    }
}
