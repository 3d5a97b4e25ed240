//! `key_provider "aws_kms" "NAME" { kms_key_id = "..." }` for client-side state encryption:
//! each run asks KMS for one data key (GenerateDataKey) and encrypts with it; the data key,
//! encrypted by KMS, is stored beside the data, and reading asks KMS to decrypt it (Decrypt).
//! KMS never sees the state, and the key never leaves memory unencrypted.
//!
//! Settings as OpenTofu's: `kms_key_id` (id, ARN or alias), `key_spec` (`AES_256`), `region`,
//! and `endpoint` for an emulator (`AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL` work as well).
//! Credentials come from the usual chain (environment, profile, instance role).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use aws_smithy_types::error::display::DisplayErrorContext;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use slipway_core::encryption::{KeyMaterial, KeyProvider, KeyProviderFactory};
use tokio::sync::OnceCell;

/// The factory the binary registers under `aws_kms`.
pub fn factory() -> KeyProviderFactory {
    Arc::new(|settings: &BTreeMap<String, String>| {
        KmsKeyProvider::from_settings(settings).map(|p| Arc::new(p) as Arc<dyn KeyProvider>)
    })
}

#[derive(Serialize, Deserialize)]
struct Meta {
    /// The data key, encrypted by KMS.
    ciphertext_blob: String,
}

pub struct KmsKeyProvider {
    key_id: String,
    region: Option<String>,
    endpoint: Option<String>,
    client: OnceCell<aws_sdk_kms::Client>,
    /// This run's data key and its encrypted form: one GenerateDataKey per run.
    current: Mutex<Option<(String, Vec<u8>)>>,
    /// Data keys already decrypted, by encrypted form.
    opened: Mutex<HashMap<String, Vec<u8>>>,
}

impl KmsKeyProvider {
    pub fn from_settings(settings: &BTreeMap<String, String>) -> Result<KmsKeyProvider, String> {
        let known = ["endpoint", "key_spec", "kms_key_id", "region"];
        if let Some(unknown) = settings.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "unsupported argument {unknown:?}; the aws_kms key provider takes {}",
                known.join(", ")
            ));
        }
        let key_id = settings
            .get("kms_key_id")
            .filter(|s| !s.is_empty())
            .cloned()
            .ok_or("the argument \"kms_key_id\" is required: the id, ARN or alias of a symmetric KMS key")?;
        if let Some(spec) = settings.get("key_spec")
            && spec != "AES_256"
        {
            return Err(format!("key_spec must be \"AES_256\" (the key the aes_gcm method needs), not {spec:?}"));
        }
        Ok(KmsKeyProvider {
            key_id,
            region: settings.get("region").cloned(),
            endpoint: settings.get("endpoint").cloned(),
            client: OnceCell::new(),
            current: Mutex::new(None),
            opened: Mutex::new(HashMap::new()),
        })
    }

    async fn client(&self) -> &aws_sdk_kms::Client {
        self.client
            .get_or_init(|| async {
                let mut loader = aws_config::defaults(BehaviorVersion::latest());
                if let Some(region) = &self.region {
                    loader = loader.region(Region::new(region.clone()));
                }
                let sdk = loader.load().await;
                let mut builder = aws_sdk_kms::config::Builder::from(&sdk);
                if let Some(url) = &self.endpoint {
                    builder = builder.endpoint_url(url);
                }
                aws_sdk_kms::Client::from_conf(builder.build())
            })
            .await
    }
}

#[async_trait]
impl KeyProvider for KmsKeyProvider {
    async fn encryption_key(&self, length: usize) -> Result<KeyMaterial, String> {
        if length != 32 {
            return Err(format!("KMS data keys are 32 bytes, not {length}"));
        }
        let remembered = self.current.lock().ok().and_then(|c| c.clone());
        let (blob, key) = match remembered {
            Some(found) => found,
            None => {
                let answer = self
                    .client()
                    .await
                    .generate_data_key()
                    .key_id(&self.key_id)
                    .key_spec(DataKeySpec::Aes256)
                    .send()
                    .await
                    .map_err(|e| format!("GenerateDataKey with {}: {}", self.key_id, DisplayErrorContext(&e)))?;
                let (Some(plain), Some(encrypted)) = (answer.plaintext(), answer.ciphertext_blob()) else {
                    return Err("KMS answered GenerateDataKey without a key".into());
                };
                let found = (BASE64.encode(encrypted.as_ref()), plain.as_ref().to_vec());
                if let Ok(mut current) = self.current.lock() {
                    *current = Some(found.clone());
                }
                found
            }
        };
        let meta = serde_json::to_value(Meta { ciphertext_blob: blob }).map_err(|e| e.to_string())?;
        Ok(KeyMaterial { key, meta })
    }

    async fn decryption_key(&self, meta: &serde_json::Value, length: usize) -> Result<Vec<u8>, String> {
        let meta: Meta = serde_json::from_value(meta.clone())
            .map_err(|e| format!("the stored key metadata is not aws_kms's: {e}"))?;
        if let Some(key) = self.opened.lock().ok().and_then(|o| o.get(&meta.ciphertext_blob).cloned()) {
            return Ok(key);
        }
        let blob =
            BASE64.decode(&meta.ciphertext_blob).map_err(|e| format!("the stored data key is not base64: {e}"))?;
        let answer = self
            .client()
            .await
            .decrypt()
            .key_id(&self.key_id)
            .ciphertext_blob(Blob::new(blob))
            .send()
            .await
            .map_err(|e| format!("Decrypt with {}: {}", self.key_id, DisplayErrorContext(&e)))?;
        let key = answer.plaintext().map(|p| p.as_ref().to_vec()).ok_or("KMS answered Decrypt without a key")?;
        if key.len() != length {
            return Err(format!("the data key is {} bytes, not {length}", key.len()));
        }
        if let Ok(mut opened) = self.opened.lock() {
            opened.insert(meta.ciphertext_blob, key.clone());
        }
        Ok(key)
    }
}
