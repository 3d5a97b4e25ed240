//! The `provider "kubernetes"` block and the client it becomes: a kubeconfig file and context
//! (`config_path`, `config_context`), or the cluster given directly (`host`, CA certificate,
//! client certificate and key, token, `exec` credentials), or, with neither, what `kubectl`
//! would use (`KUBECONFIG`, `~/.kube/config`, in-cluster).

use base64::Engine;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;
use slipway_core::provider_kit::{attr, bool_attr, string_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

/// The settings that, when any is known only after apply, leave the provider unconfigured.
pub const CONNECTION: [&str; 9] = [
    "config_path",
    "config_context",
    "host",
    "cluster_ca_certificate",
    "client_certificate",
    "client_key",
    "token",
    "insecure",
    "exec",
];

pub fn provider_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("config_path", AttributeSchema::optional(Type::String).describe("A kubeconfig file."))
        .attribute("config_context", AttributeSchema::optional(Type::String).describe("The kubeconfig context to use."))
        .attribute("host", AttributeSchema::optional(Type::String).describe("The API server's URL."))
        .attribute(
            "cluster_ca_certificate",
            AttributeSchema::optional(Type::String).describe("PEM: the CA that signed the API server's certificate."),
        )
        .attribute("client_certificate", AttributeSchema::optional(Type::String).describe("PEM: a client certificate."))
        .attribute("client_key", AttributeSchema::optional(Type::String).sensitive().describe("PEM: its key."))
        .attribute("token", AttributeSchema::optional(Type::String).sensitive().describe("A bearer token."))
        .attribute(
            "insecure",
            AttributeSchema::optional(Type::Bool).describe("Do not verify the API server's certificate."),
        )
        .attribute(
            "cluster_ready_timeout",
            AttributeSchema::optional(Type::String).describe(
                "slipway: how long apply waits for a cluster created in the same run to answer before its objects are applied (default 15m).",
            ),
        )
        .block(
            "exec",
            Nesting::Single,
            BlockSchema::new()
                .attribute("api_version", AttributeSchema::required(Type::String))
                .attribute("command", AttributeSchema::required(Type::String))
                .attribute("args", AttributeSchema::optional(Type::list(Type::String)))
                .attribute("env", AttributeSchema::optional(Type::map(Type::String))),
        )
}

/// Whether every connection setting is known; `false` when the cluster is created in the same run.
pub fn is_known(config: &Value) -> bool {
    CONNECTION.iter().all(|name| attr(config, name).is_wholly_known())
}

/// What a configuration with unknown settings waits for, as the plan says it.
pub fn waiting_for(config: &Value) -> String {
    let host = attr(config, "host");
    let name = host.as_str().map(|h| {
        let rest = h.split_once("://").map_or(h, |(_, rest)| rest);
        rest.split(['/', ':']).next().unwrap_or(rest).to_string()
    });
    match name {
        Some(name) if !name.is_empty() => format!("cluster {name} does not exist yet"),
        _ => "the cluster does not exist yet".to_string(),
    }
}

/// `cluster_ready_timeout`: 15 minutes when unset, as long as a kubeadm control plane takes to
/// boot with room to spare.
pub fn ready_timeout(config: &Value) -> Result<std::time::Duration, Diagnostic> {
    let Some(text) = string_attr(config, "cluster_ready_timeout")? else {
        return Ok(std::time::Duration::from_secs(15 * 60));
    };
    crate::manifest::parse_duration(&text).ok_or_else(|| {
        Diagnostic::error(
            "Invalid timeout",
            format!("cluster_ready_timeout: {text:?} is not a duration; use a number and a unit, as in 30s, 5m or 1h."),
        )
    })
}

/// The client configuration the block describes.
pub async fn client_config(config: &Value) -> Result<kube::Config, Diagnostic> {
    let context = string_attr(config, "config_context")?;
    let options = KubeConfigOptions { context: context.clone(), ..Default::default() };
    if let Some(host) = string_attr(config, "host")? {
        let kubeconfig = direct_kubeconfig(config, &host)?;
        return kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .map_err(|e| invalid("The provider's cluster settings are not usable", e));
    }
    if let Some(path) = string_attr(config, "config_path")? {
        let path = expand_home(&path);
        let kubeconfig = Kubeconfig::read_from(&path).map_err(|e| {
            Diagnostic::error(
                "Cannot read the kubeconfig",
                format!("config_path = {path:?} could not be read: {e}. Check the path, or set host and credentials instead."),
            )
        })?;
        return kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| invalid(&format!("The kubeconfig {path:?} is not usable"), e));
    }
    if context.is_some() {
        return kube::Config::from_kubeconfig(&options)
            .await
            .map_err(|e| invalid("The default kubeconfig is not usable with config_context", e));
    }
    kube::Config::infer().await.map_err(|e| {
        Diagnostic::error(
            "No Kubernetes cluster configured",
            format!("The kubernetes provider has no config_path or host, and no kubeconfig was found ({e}). Set config_path = \"~/.kube/config\", or host and credentials, in the provider \"kubernetes\" block."),
        )
    })
}

fn invalid(what: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error("Invalid Kubernetes connection settings", format!("{what}: {e}."))
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}

/// A one-cluster kubeconfig for settings given directly in the block, so that kube's own
/// loader handles certificates, tokens and exec plugins exactly as it does for files.
fn direct_kubeconfig(config: &Value, host: &str) -> Result<Kubeconfig, Diagnostic> {
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    let mut cluster = json!({"server": host});
    if let Some(ca) = string_attr(config, "cluster_ca_certificate")? {
        cluster["certificate-authority-data"] = json!(b64(ca));
    }
    if bool_attr(config, "insecure")?.unwrap_or(false) {
        cluster["insecure-skip-tls-verify"] = json!(true);
    }
    let mut user = json!({});
    if let Some(token) = string_attr(config, "token")? {
        user["token"] = json!(token);
    }
    match (string_attr(config, "client_certificate")?, string_attr(config, "client_key")?) {
        (Some(cert), Some(key)) => {
            user["client-certificate-data"] = json!(b64(cert));
            user["client-key-data"] = json!(b64(key));
        }
        (None, None) => {}
        _ => {
            return Err(Diagnostic::error(
                "Incomplete client certificate",
                "client_certificate and client_key go together: set both, or neither.",
            ));
        }
    }
    let exec = attr(config, "exec");
    if !exec.is_null() {
        let args: Vec<String> = attr(&exec, "args")
            .as_elements()
            .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let env: Vec<serde_json::Value> = attr(&exec, "env")
            .as_entries()
            .map(|e| e.iter().filter_map(|(k, v)| Some(json!({"name": k, "value": v.as_str()?}))).collect())
            .unwrap_or_default();
        user["exec"] = json!({
            "apiVersion": string_attr(&exec, "api_version")?,
            "command": string_attr(&exec, "command")?,
            "args": args,
            "env": env,
            "interactiveMode": "Never",
        });
    }
    let document = json!({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "slipway", "cluster": cluster}],
        "users": [{"name": "slipway", "user": user}],
        "contexts": [{"name": "slipway", "context": {"cluster": "slipway", "user": "slipway"}}],
        "current-context": "slipway",
    });
    serde_json::from_value(document).map_err(|e| invalid("The provider's cluster settings are not usable", e))
}
