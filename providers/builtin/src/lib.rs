//! slipway-provider-builtin: the providers that need no remote API. `null` (null_resource),
//! `terraform` (terraform_data), `local` (local_file, local_sensitive_file) and `random`
//! (random_id, random_string, random_password, random_integer, random_pet), and `tls`
//! (tls_private_key, tls_self_signed_cert, tls_cert_request, tls_locally_signed_cert).

// Helpers return core's `Diagnostic` as their error: it is large (144 bytes) but errors are the
// cold path, and boxing would only be unboxed again to push into `Diagnostics`.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use slipway_core::provider::{Provider, ProviderFactory};

mod common;
pub mod local;
pub mod null;
pub mod random;
pub mod terraform;
pub mod tls;

/// Every built-in provider by the name configurations use for it (`provider "random" {}`), as
/// a factory: each configuration gets its own instance.
pub fn providers() -> Vec<(&'static str, ProviderFactory)> {
    vec![
        ("null", Arc::new(|| Arc::new(null::NullProvider::new()) as Arc<dyn Provider>) as ProviderFactory),
        ("terraform", Arc::new(|| Arc::new(terraform::TerraformProvider::new()) as Arc<dyn Provider>)),
        ("local", Arc::new(|| Arc::new(local::LocalProvider::new()) as Arc<dyn Provider>)),
        ("random", Arc::new(|| Arc::new(random::RandomProvider::new()) as Arc<dyn Provider>)),
        ("tls", Arc::new(|| Arc::new(tls::TlsProvider::new()) as Arc<dyn Provider>)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_provider_declares_its_resources() {
        let names: Vec<(&str, Vec<String>)> =
            providers().iter().map(|(n, make)| (*n, make().schema().resources.keys().cloned().collect())).collect();
        assert_eq!(
            names,
            vec![
                ("null", vec!["null_resource".to_string()]),
                ("terraform", vec!["terraform_data".to_string()]),
                ("local", vec!["local_file".to_string(), "local_sensitive_file".to_string()]),
                (
                    "random",
                    ["random_id", "random_integer", "random_password", "random_pet", "random_string"]
                        .map(String::from)
                        .to_vec()
                ),
                (
                    "tls",
                    ["tls_cert_request", "tls_locally_signed_cert", "tls_private_key", "tls_self_signed_cert"]
                        .map(String::from)
                        .to_vec()
                ),
            ]
        );
    }
}
