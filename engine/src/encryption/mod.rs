//! Client-side encryption of state and saved plans, as OpenTofu's `terraform { encryption {} }`:
//! key providers hand out keys (a passphrase through PBKDF2 here, AWS KMS from the AWS provider),
//! methods encrypt with them (AES-256-GCM), and the `state` and `plan` blocks say which method
//! writes new data and which others (`fallback`) may still read old data, so that keys can be
//! rotated and a plain state can be migrated.
//!
//! An encrypted document is a small JSON envelope: which method and key provider wrote it, the
//! key provider's metadata (a salt, a KMS-encrypted data key) and the ciphertext. The envelope's
//! header is authenticated with the data (AES-GCM's associated data), so changing any byte of
//! it, or of the ciphertext, makes decryption fail rather than return garbage.

mod backend;
mod pbkdf2;
mod settings;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use slipway_core::encryption::KeyProvider;
use slipway_crypto::{CipherError, KEY_LENGTH, NONCE_LENGTH};

pub use backend::EncryptedBackend;
pub use pbkdf2::Pbkdf2KeyProvider;
pub use settings::{EncryptionInputs, EncryptionSettings, KeyProviders, encryption_settings};

/// The envelope format's version, written into every encrypted document.
const ENVELOPE_VERSION: &str = "slipway/v1";

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncryptionError {
    #[error(
        "the {what} was encrypted with {method}, which the encryption block does not configure. Add it back, as the {what}'s method or as a fallback, with the key it was written with."
    )]
    UnknownMethod { what: &'static str, method: String },
    #[error(
        "the {what} could not be decrypted with {method} (key from {key_provider}): the key is not the one it was encrypted with, or the {what} was altered. Check the passphrase or key; nothing was read."
    )]
    WrongKey { what: &'static str, method: String, key_provider: String },
    #[error(
        "the {what} is not encrypted, but the encryption block enforces encryption. To encrypt an existing plain {what}, set enforced = false until it has been written once, or add fallback {{ method = method.unencrypted.NAME }}."
    )]
    PlainRefused { what: &'static str },
    #[error(
        "the {what} is encrypted, but no encryption is configured for it. Add the terraform {{ encryption {{ ... }} }} block it was written with."
    )]
    NotConfigured { what: &'static str },
    #[error("the {what}'s encryption envelope is damaged: {reason}")]
    Damaged { what: &'static str, reason: String },
    #[error("could not get a key from {key_provider}: {reason}")]
    KeyProvider { key_provider: String, reason: String },
}

/// One AES-256-GCM method: `method "aes_gcm" "NAME" { keys = key_provider.TYPE.NAME }`.
#[derive(Clone)]
pub struct AesGcmMethod {
    /// `aes_gcm.NAME`, as written into envelopes.
    pub name: String,
    /// `pbkdf2.NAME`.
    pub key_provider_name: String,
    pub keys: Arc<dyn KeyProvider>,
    /// Extra associated data the user chose (`aad`), authenticated with every document.
    pub aad: Vec<u8>,
}

/// What a method can be: AES-GCM, or `unencrypted` (writing plain data, to decrypt a state for
/// good, or reading it, to migrate one).
#[derive(Clone)]
pub enum Method {
    AesGcm(AesGcmMethod),
    Unencrypted,
}

/// The encryption of one kind of document (the state, or saved plans).
#[derive(Clone)]
pub struct Encryption {
    /// `state` or `plan`, for messages.
    what: &'static str,
    /// What new documents are written with.
    primary: Method,
    /// What older documents may also be read with.
    fallbacks: Vec<Method>,
    /// Whether a plain document may be read (and is then encrypted when written again). Off
    /// when `enforced` unless an `unencrypted` fallback says otherwise.
    read_plain: bool,
}

/// A decrypted document.
#[derive(Debug, PartialEq, Eq)]
pub struct Decrypted {
    pub bytes: Vec<u8>,
    /// The document was plain: it is encrypted from its next write on.
    pub was_plain: bool,
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    encryption_version: String,
    method: String,
    key_provider: String,
    meta: serde_json::Value,
    /// Base64 of nonce, ciphertext and tag.
    encrypted_data: String,
}

impl Envelope {
    /// The associated data: everything in the envelope but the ciphertext, so none of it can be
    /// swapped, plus the user's `aad`.
    fn associated_data(&self, extra: &[u8]) -> Vec<u8> {
        let mut aad = format!("{}\n{}\n{}\n{}\n", self.encryption_version, self.method, self.key_provider, self.meta)
            .into_bytes();
        aad.extend_from_slice(extra);
        aad
    }
}

/// Whether `bytes` are an encrypted envelope rather than a plain document.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    // Cheap first: an envelope is a JSON object with this key; a state or plan never has it.
    let needle = b"\"encrypted_data\"";
    bytes.windows(needle.len()).any(|w| w == needle)
        && serde_json::from_slice::<Envelope>(bytes).is_ok_and(|e| e.encryption_version == ENVELOPE_VERSION)
}

impl Encryption {
    pub fn new(what: &'static str, primary: Method, fallbacks: Vec<Method>, enforced: bool) -> Encryption {
        let unencrypted_fallback = fallbacks.iter().any(|m| matches!(m, Method::Unencrypted));
        let read_plain = !enforced || unencrypted_fallback || matches!(primary, Method::Unencrypted);
        Encryption { what, primary, fallbacks, read_plain }
    }

    /// Whether new documents are encrypted (the method is not `unencrypted`).
    pub fn encrypts(&self) -> bool {
        matches!(self.primary, Method::AesGcm(_))
    }

    /// Encrypts a document with the primary method (or leaves it plain for `unencrypted`).
    pub async fn encrypt(&self, plain: &[u8]) -> Result<Vec<u8>, EncryptionError> {
        let Method::AesGcm(method) = &self.primary else {
            return Ok(plain.to_vec());
        };
        let material = method.keys.encryption_key(KEY_LENGTH).await.map_err(|reason| EncryptionError::KeyProvider {
            key_provider: method.key_provider_name.clone(),
            reason,
        })?;
        let mut envelope = Envelope {
            encryption_version: ENVELOPE_VERSION.to_string(),
            method: method.name.clone(),
            key_provider: method.key_provider_name.clone(),
            meta: material.meta,
            encrypted_data: String::new(),
        };
        let mut nonce = [0u8; NONCE_LENGTH];
        getrandom::fill(&mut nonce).map_err(|e| EncryptionError::KeyProvider {
            key_provider: method.key_provider_name.clone(),
            reason: format!("the system's random number generator failed: {e}"),
        })?;
        let aad = envelope.associated_data(&method.aad);
        let sealed = slipway_crypto::seal(&material.key, &nonce, plain, &aad).map_err(|e| match e {
            CipherError::KeyLength(n) => EncryptionError::KeyProvider {
                key_provider: method.key_provider_name.clone(),
                reason: format!("it returned a key of {n} bytes; AES-256 needs {KEY_LENGTH}"),
            },
            CipherError::Unauthentic => {
                EncryptionError::Damaged { what: self.what, reason: "encryption failed".into() }
            }
        })?;
        let mut data = nonce.to_vec();
        data.extend(sealed);
        envelope.encrypted_data = BASE64.encode(data);
        Ok(serde_json::to_vec(&envelope).unwrap_or_default())
    }

    /// Decrypts a document written by this configuration (its method or a fallback), or passes
    /// a plain one through when plain documents may be read.
    pub async fn decrypt(&self, bytes: &[u8]) -> Result<Decrypted, EncryptionError> {
        if !is_encrypted(bytes) {
            if !self.read_plain {
                return Err(EncryptionError::PlainRefused { what: self.what });
            }
            return Ok(Decrypted { bytes: bytes.to_vec(), was_plain: true });
        }
        let envelope: Envelope = serde_json::from_slice(bytes)
            .map_err(|e| EncryptionError::Damaged { what: self.what, reason: e.to_string() })?;
        let method = std::iter::once(&self.primary)
            .chain(&self.fallbacks)
            .find_map(|m| match m {
                Method::AesGcm(m) if m.name == envelope.method => Some(m),
                _ => None,
            })
            .ok_or_else(|| EncryptionError::UnknownMethod { what: self.what, method: envelope.method.clone() })?;
        let wrong_key = || EncryptionError::WrongKey {
            what: self.what,
            method: method.name.clone(),
            key_provider: method.key_provider_name.clone(),
        };
        if envelope.key_provider != method.key_provider_name {
            return Err(wrong_key());
        }
        let key = method.keys.decryption_key(&envelope.meta, KEY_LENGTH).await.map_err(|reason| {
            EncryptionError::KeyProvider { key_provider: method.key_provider_name.clone(), reason }
        })?;
        let data = BASE64
            .decode(&envelope.encrypted_data)
            .map_err(|e| EncryptionError::Damaged { what: self.what, reason: format!("encrypted_data: {e}") })?;
        if data.len() < NONCE_LENGTH {
            return Err(EncryptionError::Damaged { what: self.what, reason: "encrypted_data is too short".into() });
        }
        let (nonce, sealed) = data.split_at(NONCE_LENGTH);
        let nonce: &[u8; NONCE_LENGTH] = nonce.try_into().map_err(|_| wrong_key())?;
        let aad = envelope.associated_data(&method.aad);
        let plain = slipway_crypto::open(&key, nonce, sealed, &aad).map_err(|_| wrong_key())?;
        Ok(Decrypted { bytes: plain, was_plain: false })
    }
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = |m: &Method| match m {
            Method::AesGcm(m) => m.name.clone(),
            Method::Unencrypted => "unencrypted".to_string(),
        };
        f.debug_struct("Encryption")
            .field("what", &self.what)
            .field("primary", &name(&self.primary))
            .field("fallbacks", &self.fallbacks.iter().map(name).collect::<Vec<_>>())
            .field("read_plain", &self.read_plain)
            .finish()
    }
}

#[cfg(test)]
mod tests;
