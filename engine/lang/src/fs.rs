//! The file system as the loader and the file functions see it, behind a trait so that the
//! evaluator itself does no IO and tests can run on fixtures.

use std::io;
use std::path::{Path, PathBuf};

/// Read-only access to files.
pub trait FileSystem: Send + Sync {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether `path` is an existing regular file (a directory is an error, as in `fileexists`).
    fn is_file(&self, path: &Path) -> io::Result<bool>;
    fn is_dir(&self, path: &Path) -> bool;
    /// Entries of a directory, as paths.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// The user's home directory, for `pathexpand`.
    fn home_dir(&self) -> Option<PathBuf>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsFileSystem;

// The one place the language crates touch the real file system.
#[allow(clippy::disallowed_methods)]
impl FileSystem for OsFileSystem {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn is_file(&self, path: &Path) -> io::Result<bool> {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => Err(io::Error::other(format!("{} is a directory, not a file", path.display()))),
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut entries = std::fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect::<io::Result<Vec<_>>>()?;
        entries.sort();
        Ok(entries)
    }

    fn home_dir(&self) -> Option<PathBuf> {
        std::env::var_os("HOME").map(PathBuf::from)
    }
}
