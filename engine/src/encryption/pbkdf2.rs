//! `key_provider "pbkdf2" "NAME" { passphrase = ... }`: a key derived from a passphrase with
//! PBKDF2-HMAC, settings and defaults as OpenTofu's (600,000 iterations of SHA-512, a 32-byte
//! salt). Deriving is deliberately slow, so one run derives once: the key of the salt it last
//! used or read is kept and reused for everything it writes.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use slipway_core::encryption::{KeyMaterial, KeyProvider};

const MIN_PASSPHRASE: usize = 16;
const DEFAULT_ITERATIONS: u32 = 600_000;
/// OpenTofu's floor: fewer iterations make a passphrase too cheap to guess.
const MIN_ITERATIONS: u32 = 200_000;
const DEFAULT_SALT_LENGTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HashFunction {
    Sha256,
    Sha512,
}

/// What is stored beside the data: everything but the passphrase.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Meta {
    salt: String,
    iterations: u32,
    hash_function: HashFunction,
    key_length: usize,
}

pub struct Pbkdf2KeyProvider {
    passphrase: String,
    iterations: u32,
    salt_length: usize,
    hash_function: HashFunction,
    /// The last key derived, with its metadata.
    current: Mutex<Option<(Meta, Vec<u8>)>>,
}

impl Pbkdf2KeyProvider {
    /// From the block's settings; the error says which setting is wrong and why.
    pub fn from_settings(settings: &BTreeMap<String, String>) -> Result<Pbkdf2KeyProvider, String> {
        let known = ["hash_function", "iterations", "key_length", "passphrase", "salt_length"];
        if let Some(unknown) = settings.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(format!(
                "unsupported argument {unknown:?}; the pbkdf2 key provider takes {}",
                known.join(", ")
            ));
        }
        let passphrase = settings.get("passphrase").cloned().ok_or("the argument \"passphrase\" is required")?;
        if passphrase.chars().count() < MIN_PASSPHRASE {
            return Err(format!("the passphrase must be at least {MIN_PASSPHRASE} characters long"));
        }
        let iterations = match settings.get("iterations") {
            None => DEFAULT_ITERATIONS,
            Some(v) => v.parse().map_err(|_| format!("iterations must be a whole number, not {v:?}"))?,
        };
        if iterations < MIN_ITERATIONS {
            return Err(format!(
                "iterations must be at least {MIN_ITERATIONS}, to keep the passphrase costly to guess"
            ));
        }
        let salt_length =
            match settings.get("salt_length") {
                None => DEFAULT_SALT_LENGTH,
                Some(v) => v.parse().ok().filter(|n| (16..=1024).contains(n)).ok_or_else(|| {
                    format!("salt_length must be a whole number of bytes between 16 and 1024, not {v:?}")
                })?,
            };
        let hash_function = match settings.get("hash_function").map(String::as_str) {
            None | Some("sha512") => HashFunction::Sha512,
            Some("sha256") => HashFunction::Sha256,
            Some(other) => return Err(format!("hash_function must be \"sha256\" or \"sha512\", not {other:?}")),
        };
        if let Some(v) = settings.get("key_length")
            && v != "32"
        {
            return Err(format!("key_length must be 32 (the AES-256 key the aes_gcm method needs), not {v}"));
        }
        Ok(Pbkdf2KeyProvider { passphrase, iterations, salt_length, hash_function, current: Mutex::new(None) })
    }

    fn derive(&self, meta: &Meta) -> Result<Vec<u8>, String> {
        let salt = BASE64.decode(&meta.salt).map_err(|e| format!("the stored salt is not base64: {e}"))?;
        let mut key = vec![0u8; meta.key_length];
        let password = self.passphrase.as_bytes();
        let hash = match meta.hash_function {
            HashFunction::Sha256 => slipway_crypto::Hash::Sha256,
            HashFunction::Sha512 => slipway_crypto::Hash::Sha512,
        };
        slipway_crypto::pbkdf2(hash, password, &salt, meta.iterations, &mut key);
        Ok(key)
    }

    fn remember(&self, meta: Meta, key: Vec<u8>) {
        if let Ok(mut current) = self.current.lock() {
            *current = Some((meta, key));
        }
    }

    fn remembered(&self, wanted: impl Fn(&Meta) -> bool) -> Option<(Meta, Vec<u8>)> {
        let current = self.current.lock().ok()?;
        current.as_ref().filter(|(meta, _)| wanted(meta)).cloned()
    }
}

#[async_trait]
impl KeyProvider for Pbkdf2KeyProvider {
    async fn encryption_key(&self, length: usize) -> Result<KeyMaterial, String> {
        let (meta, key) = match self.remembered(|m| m.key_length == length) {
            Some(found) => found,
            None => {
                let mut salt = vec![0u8; self.salt_length];
                getrandom::fill(&mut salt).map_err(|e| format!("the system's random number generator failed: {e}"))?;
                let meta = Meta {
                    salt: BASE64.encode(salt),
                    iterations: self.iterations,
                    hash_function: self.hash_function,
                    key_length: length,
                };
                let key = self.derive(&meta)?;
                self.remember(meta.clone(), key.clone());
                (meta, key)
            }
        };
        let meta = serde_json::to_value(meta).map_err(|e| e.to_string())?;
        Ok(KeyMaterial { key, meta })
    }

    async fn decryption_key(&self, meta: &serde_json::Value, length: usize) -> Result<Vec<u8>, String> {
        let meta: Meta = serde_json::from_value(meta.clone())
            .map_err(|e| format!("the stored key metadata is not pbkdf2's: {e}"))?;
        if meta.key_length != length {
            return Err(format!("the stored key length is {}, not {length}", meta.key_length));
        }
        if let Some((_, key)) = self.remembered(|m| *m == meta) {
            return Ok(key);
        }
        let key = self.derive(&meta)?;
        // The next write reuses this salt and key rather than deriving again. Only when they are
        // as strong as this configuration asks: a state written with fewer iterations gets a
        // new salt and the configured count.
        if meta.iterations >= self.iterations && meta.hash_function == self.hash_function {
            self.remember(meta, key.clone());
        }
        Ok(key)
    }
}
