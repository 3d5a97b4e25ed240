//! Which backend a working directory uses: the `terraform { backend "..." }` block, completed by
//! `-backend-config` (KEY=VALUE or files of HCL attributes, as Terraform), recorded by `init` in
//! `.slipway/backend.json` (Terraform's `.terraform/terraform.tfstate`) so that a changed block
//! is noticed and asks for `init -migrate-state` or `init -reconfigure`. Also the selected
//! workspace (`TF_WORKSPACE`, else `.slipway/environment`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::expr::{Expression, ObjectKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use slipway_core::backend::Backend;
use slipway_engine::backend_local::LocalBackend;
use slipway_lang::config::{BackendConfig, Body};
use slipway_provider_aws::backend_s3::{S3Settings, connect};

pub const DATA_DIR: &str = ".slipway";
const RECORD_FILE: &str = "backend.json";
const ENVIRONMENT_FILE: &str = "environment";

/// The backend `init` set up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackendRecord {
    #[serde(rename = "type")]
    pub kind: String,
    /// The settings: the block's with `-backend-config` on top.
    pub config: BTreeMap<String, String>,
    /// A hash of the block's settings alone, to notice when the block changes.
    pub block_hash: String,
}

impl BackendRecord {
    pub fn local() -> BackendRecord {
        BackendRecord { kind: "local".into(), config: BTreeMap::new(), block_hash: hash(&BTreeMap::new()) }
    }

    pub fn describe(&self) -> String {
        match self.kind.as_str() {
            "s3" => format!(
                "s3 backend (s3://{}/{})",
                self.config.get("bucket").map(String::as_str).unwrap_or("?"),
                self.config.get("key").map(String::as_str).unwrap_or("?")
            ),
            kind => format!("{kind} backend"),
        }
    }
}

pub fn hash(settings: &BTreeMap<String, String>) -> String {
    let bytes = serde_json::to_vec(settings).unwrap_or_default();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The settings of a backend block, flat (`endpoints.s3` for the block's argument). Backend
/// settings are literal values, as in Terraform: nothing is known before the backend is.
pub fn block_settings(block: &BackendConfig) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    collect_body(&block.body, "", &mut out, &mut problems);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(format!("Invalid backend configuration:\n  - {}", problems.join("\n  - ")))
    }
}

fn collect_body(body: &Body, prefix: &str, out: &mut BTreeMap<String, String>, problems: &mut Vec<String>) {
    for (name, attribute) in &body.attributes {
        collect_expr(&format!("{prefix}{name}"), &attribute.expr.expr, out, problems);
    }
    for block in &body.blocks {
        collect_body(&block.body, &format!("{prefix}{}.", block.kind), out, problems);
    }
}

fn collect_expr(name: &str, expr: &Expression, out: &mut BTreeMap<String, String>, problems: &mut Vec<String>) {
    match expr {
        Expression::String(s) => {
            out.insert(name.to_string(), s.value().clone());
        }
        Expression::Bool(b) => {
            out.insert(name.to_string(), b.value().to_string());
        }
        Expression::Number(n) => {
            out.insert(name.to_string(), n.value().to_string());
        }
        Expression::Object(object) => {
            for (key, value) in object.iter() {
                let key = match key {
                    ObjectKey::Ident(ident) => ident.value().to_string(),
                    ObjectKey::Expression(Expression::String(s)) => s.value().clone(),
                    ObjectKey::Expression(_) => {
                        problems.push(format!("{name}: object keys must be names or strings"));
                        continue;
                    }
                };
                collect_expr(&format!("{name}.{key}"), value.expr(), out, problems);
            }
        }
        _ => problems.push(format!(
            "{name}: backend settings must be literal strings, numbers or booleans (variables and expressions are not known before the backend is; use -backend-config)"
        )),
    }
}

/// `-backend-config` values: `KEY=VALUE`, or the path of a file of HCL attributes.
pub fn cli_settings(args: &[String], dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for arg in args {
        if let Some((key, value)) = arg.split_once('=') {
            out.insert(key.trim().to_string(), value.to_string());
            continue;
        }
        let path = dir.join(arg);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("Error: could not read the -backend-config file {}: {e}", path.display()))?;
        let body = hcl_edit::parser::parse_body(&text)
            .map_err(|e| format!("Error: the -backend-config file {} is not valid HCL: {e}", path.display()))?;
        for attribute in body.attributes() {
            collect_expr(attribute.key.value().as_str(), &attribute.value, &mut out, &mut problems);
        }
        for block in body.blocks() {
            for attribute in block.body.attributes() {
                let name = format!("{}.{}", block.ident.value().as_str(), attribute.key.value().as_str());
                collect_expr(&name, &attribute.value, &mut out, &mut problems);
            }
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(format!("Error: Invalid -backend-config:\n  - {}", problems.join("\n  - ")))
    }
}

fn record_path(dir: &Path) -> PathBuf {
    dir.join(DATA_DIR).join(RECORD_FILE)
}

pub fn read_record(dir: &Path) -> Result<Option<BackendRecord>, String> {
    let path = record_path(dir);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("Error: {} is damaged ({e}); run slipway init -reconfigure", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("Error: could not read {}: {e}", path.display())),
    }
}

pub fn write_record(dir: &Path, record: &BackendRecord) -> Result<(), String> {
    let path = record_path(dir);
    if record.kind == "local" {
        return match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(format!("Error: could not remove {}: {e}", path.display())),
        };
    }
    let bytes = serde_json::to_vec_pretty(record).unwrap_or_default();
    std::fs::create_dir_all(dir.join(DATA_DIR))
        .and_then(|()| std::fs::write(&path, bytes))
        .map_err(|e| format!("Error: could not write {}: {e}", path.display()))
}

/// The backend the working directory uses, checked against the configuration's block: a block
/// that `init` has not seen (added, changed, removed) stops every command but `init`.
pub fn resolve(dir: &Path, block: Option<&BackendConfig>) -> Result<BackendRecord, String> {
    let recorded = read_record(dir)?;
    let wanted_kind = block.map_or("local", |b| b.kind.as_str());
    let block_hash = match block {
        Some(b) => hash(&block_settings(b)?),
        None => hash(&BTreeMap::new()),
    };
    match recorded {
        None if wanted_kind == "local" => Ok(BackendRecord::local()),
        None => Err(format!(
            "Error: Backend initialization required\n\nThe configuration uses the {wanted_kind:?} backend, which this working directory has not been initialized for. Run\n    slipway init"
        )),
        Some(record) if record.kind == wanted_kind && record.block_hash == block_hash => Ok(record),
        Some(record) => Err(format!(
            "Error: Backend configuration changed\n\nThe working directory was initialized with the {}, but the configuration now asks for the {wanted_kind} backend or other settings. To move the state to it, run\n    slipway init -migrate-state\nor, to use it without moving any state, run\n    slipway init -reconfigure",
            record.describe()
        )),
    }
}

/// Connects to the backend a record describes.
pub async fn open(dir: &Path, record: &BackendRecord) -> Result<Arc<dyn Backend>, String> {
    match record.kind.as_str() {
        "local" => Ok(Arc::new(LocalBackend::new(dir))),
        "s3" => {
            let settings = S3Settings::from_map(&record.config).map_err(|e| format!("Error: {e}"))?;
            Ok(Arc::new(connect(settings).await.map_err(|e| format!("Error: {e}"))?))
        }
        other => Err(format!(
            "Error: Unsupported backend type\n\nThe backend {other:?} is not available in this build of slipway; use \"local\" or \"s3\"."
        )),
    }
}

/// The selected workspace: `TF_WORKSPACE`, else the one `workspace select` chose.
pub fn current_workspace(dir: &Path) -> String {
    if let Ok(name) = std::env::var("TF_WORKSPACE")
        && !name.is_empty()
    {
        return name;
    }
    std::fs::read_to_string(dir.join(DATA_DIR).join(ENVIRONMENT_FILE))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

pub fn select_workspace(dir: &Path, name: &str) -> Result<(), String> {
    let path = dir.join(DATA_DIR).join(ENVIRONMENT_FILE);
    let result = if name == "default" {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    } else {
        std::fs::create_dir_all(dir.join(DATA_DIR)).and_then(|()| std::fs::write(&path, format!("{name}\n")))
    };
    result.map_err(|e| format!("Error: could not write {}: {e}", path.display()))
}

/// Whether `name` can name a workspace (it becomes part of a file path or object key).
pub fn valid_workspace_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 90
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name != "."
        && name != ".."
}
