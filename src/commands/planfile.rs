//! Saved plan files: written by `plan -out`, read by `apply PLANFILE` and `show PLANFILE`, with
//! the configuration fingerprint that tells whether the files changed since.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use slipway_core::Value;
use slipway_core::render::{Redaction, render_value};
use slipway_engine::encryption::{Encryption, EncryptionError, is_encrypted};
use slipway_engine::plan::Plan;
use slipway_engine::plan::file::{SavedPlan, read_plan, write_plan};

use super::session::Session;

/// A hash of every configuration and variable file loaded and of every variable's value.
pub fn fingerprint(session: &Session) -> String {
    let mut hasher = Sha256::new();
    let mut files: Vec<(&str, &str)> = session.workspace.sources.iter().map(|f| (&*f.name, &*f.text)).collect();
    files.sort();
    for (name, text) in files {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(text.as_bytes());
        hasher.update([0]);
    }
    for (name, input) in &session.inputs {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(render_value(&input.value, Redaction::Reveal).as_bytes());
        hasher.update([0]);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the plan, encrypted when the configuration encrypts plans.
pub fn save(path: &Path, plan: &Plan, session: &Session) -> Result<(), String> {
    // Passphrases stay out of the plan: applying it reads them from the environment again.
    let keys = super::encryption::key_variables(&session.workspace);
    let variables: BTreeMap<String, Value> =
        session.inputs.iter().filter(|(k, _)| !keys.contains(*k)).map(|(k, v)| (k.clone(), v.value.clone())).collect();
    let mut bytes = write_plan(plan, &variables);
    if let Some(encryption) = &session.plan_encryption {
        bytes = session
            .store
            .runtime
            .block_on(encryption.encrypt(&bytes))
            .map_err(|e| format!("Error: could not encrypt the plan: {e}"))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("Error: could not write the plan to {}: {e}", path.display()))
}

/// Reads a saved plan, decrypting it with `encryption` (the configuration's plan encryption).
pub fn load(
    path: &Path,
    encryption: Option<&Encryption>,
    runtime: &tokio::runtime::Runtime,
) -> Result<SavedPlan, String> {
    let failed = |e: &dyn std::fmt::Display| format!("Error: could not read the plan {}: {e}", path.display());
    let mut bytes = std::fs::read(path).map_err(|e| failed(&e))?;
    match encryption {
        Some(encryption) => bytes = runtime.block_on(encryption.decrypt(&bytes)).map_err(|e| failed(&e))?.bytes,
        None if is_encrypted(&bytes) => {
            return Err(failed(&EncryptionError::NotConfigured { what: "plan" }));
        }
        None => {}
    }
    read_plan(&bytes).map_err(|e| failed(&e))
}

/// [`load`] for commands without a session (`show`, `graph`): the plan encryption of the
/// working directory's configuration, with variables from files and the environment.
pub fn load_in_workspace(path: &Path) -> Result<SavedPlan, String> {
    let mut workspace = super::Workspace::load();
    let encryption = super::encryption::settings_from_files(&mut workspace)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("Error: could not start the runtime: {e}"))?;
    load(path, encryption.plan.as_ref(), &runtime)
}
