//! Saved plan files: written by `plan -out`, read by `apply PLANFILE` and `show PLANFILE`, with
//! the configuration fingerprint that tells whether the files changed since.

use std::collections::BTreeMap;
use std::path::Path;

use sha2::{Digest, Sha256};
use slipway_core::Value;
use slipway_core::render::{Redaction, render_value};
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

pub fn save(path: &Path, plan: &Plan, session: &Session) -> Result<(), String> {
    let variables: BTreeMap<String, Value> = session.inputs.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect();
    std::fs::write(path, write_plan(plan, &variables))
        .map_err(|e| format!("Error: could not write the plan to {}: {e}", path.display()))
}

pub fn load(path: &Path) -> Result<SavedPlan, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("Error: could not read the plan {}: {e}", path.display()))?;
    read_plan(&bytes).map_err(|e| format!("Error: could not read the plan {}: {e}", path.display()))
}
