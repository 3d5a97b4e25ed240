//! Where the keys of client-side encryption come from (`terraform { encryption { key_provider
//! "pbkdf2" "main" { ... } } }`), seen as a trait so that a key provider that needs a remote
//! API (AWS KMS, which lives with the AWS provider) stays out of the engine, as invariant 1
//! requires. The engine owns the ciphers and the envelope format; a key provider only hands out
//! keys and the metadata that gets the same key back.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

/// A key to encrypt new data with, and what must be stored beside the data to obtain the same
/// key again (a salt and iteration count, a KMS-encrypted data key). The metadata is not
/// secret.
#[derive(Clone)]
pub struct KeyMaterial {
    pub key: Vec<u8>,
    pub meta: serde_json::Value,
}

impl std::fmt::Debug for KeyMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a key.
        f.debug_struct("KeyMaterial").field("key", &"(redacted)").field("meta", &self.meta).finish()
    }
}

#[async_trait]
pub trait KeyProvider: Send + Sync {
    /// A key of `length` bytes for encrypting, with its metadata.
    async fn encryption_key(&self, length: usize) -> Result<KeyMaterial, String>;

    /// The key of `length` bytes that data written with `meta` was encrypted with.
    async fn decryption_key(&self, meta: &serde_json::Value, length: usize) -> Result<Vec<u8>, String>;
}

/// Makes a key provider from its block's settings (attribute name to value, already evaluated
/// and converted to strings: every key provider setting is a string, number or bool). The error
/// is a sentence saying what is wrong and how to fix it.
pub type KeyProviderFactory =
    Arc<dyn Fn(&BTreeMap<String, String>) -> Result<Arc<dyn KeyProvider>, String> + Send + Sync>;
