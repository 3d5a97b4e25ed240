//! The local backend: state in `slipway.tfstate` in the working directory (other workspaces under
//! `slipway.tfstate.d/NAME/`), written atomically (temporary file, fsync, rename, fsync of the
//! directory) with the previous version kept as `slipway.tfstate.backup`; a journal beside it;
//! and a lock file holding an exclusive OS lock (flock), so two runs can never both hold it and a
//! run killed with `kill -9` leaves no lock behind: the OS releases it with the process, and the
//! next run takes the file over (Terraform's local backend does the same).

// This module is the local backend's storage: it reads and writes files directly.
#![allow(clippy::disallowed_methods)]

use std::collections::HashMap;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use slipway_core::backend::{Backend, BackendError, LockInfo, StoredState};

pub const STATE_FILE: &str = "slipway.tfstate";
const WORKSPACES_DIR: &str = "slipway.tfstate.d";

#[derive(Clone, Debug)]
pub struct LocalBackend {
    dir: PathBuf,
    /// The open lock files this process holds their OS lock on, by lock file path: closing one
    /// releases its lock.
    held: Arc<Mutex<HashMap<PathBuf, File>>>,
}

impl LocalBackend {
    /// State files under `dir`, normally the working directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalBackend { dir: dir.into(), held: Arc::default() }
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

/// Opens the lock file and takes its OS lock, or says who holds it. A file left by a run that
/// died is taken over: its lock died with it.
fn take_lock_file(path: &Path) -> Result<File, BackendError> {
    for _ in 0..10 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| storage("could not open", path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(BackendError::Locked(Box::new(read_lock(path)?.unwrap_or_else(|| unknown_holder(path)))));
            }
            Err(TryLockError::Error(e)) => return Err(storage("could not lock", path, e)),
        }
        // The holder may have unlocked (removed the file) between our open and our lock: then
        // the lock is on a file nobody else will ever open. Only the file at the path counts.
        if same_file(&file, path) {
            return Ok(file);
        }
    }
    Err(BackendError::Storage(format!("could not take the lock {}: it keeps being replaced", path.display())))
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, path: &Path) -> bool {
    path.exists()
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
        let held = self.held.clone();
        blocking(move || {
            if let Some(dir) = lock_path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| storage("could not create", dir, e))?;
            }
            let mut file = take_lock_file(&lock_path)?;
            file.set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(&bytes))
                .and_then(|()| file.sync_all())
                .map_err(|e| storage("could not write", &lock_path, e))?;
            held.lock().map_err(|_| BackendError::Storage("lock table poisoned".into()))?.insert(lock_path, file);
            Ok(())
        })
        .await
    }

    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        let lock_path = self.sibling(workspace, ".lock.info");
        let id = id.to_string();
        let held = self.held.clone();
        blocking(move || match read_lock(&lock_path)? {
            Some(info) if info.id == id => {
                // The file goes first, then the OS lock: a run that opens the file in between
                // finds it unlinked and starts again (take_lock_file).
                let removed = std::fs::remove_file(&lock_path).map_err(|e| storage("could not remove", &lock_path, e));
                if let Ok(mut held) = held.lock() {
                    held.remove(&lock_path);
                }
                removed
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
