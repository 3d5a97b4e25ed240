//! `slipway state versions`: the versions of the state the backend keeps (an S3 bucket with
//! versioning), newest first, with the ID that `state pull -version=ID` takes. To roll back,
//! pull a version to a file and push it with `state push -force` (it is older than the current
//! serial, which push otherwise refuses).

use crate::commands::session::StateStore;
use crate::commands::write_stdout;

pub fn run() -> Result<(), String> {
    let store = StateStore::open()?;
    let versions = store
        .runtime
        .block_on(store.backend.versions(&store.workspace_name))
        .map_err(|e| format!("Error: Failed to list the state's versions\n\n{e}"))?;
    let width = versions.iter().map(|v| v.id.len()).max().unwrap_or(0).max("VERSION".len());
    let mut out = format!("{:<width$}  {:<24}  {:>10}\n", "VERSION", "LAST MODIFIED", "BYTES");
    for version in &versions {
        let latest = if version.latest { "  (current)" } else { "" };
        out.push_str(&format!("{:<width$}  {:<24}  {:>10}{latest}\n", version.id, version.modified, version.size));
    }
    write_stdout(&out);
    Ok(())
}
