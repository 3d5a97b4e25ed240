//! slipway-crypto: the two primitives client-side encryption needs, behind plain functions.
//!
//! RustCrypto's PBKDF2 and HMAC are generic, so they are compiled, and optimised or not, in the
//! crate that calls them. Key derivation is slow by design (600,000 rounds); unoptimised it
//! takes seconds per run in debug builds and tests. This crate is the one caller, and the
//! workspace builds it optimised in every profile.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use sha2::{Sha256, Sha512};

/// AES-256 keys are 32 bytes.
pub const KEY_LENGTH: usize = 32;
/// AES-GCM's 96-bit nonce.
pub const NONCE_LENGTH: usize = 12;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha512,
}

/// PBKDF2-HMAC of `passphrase` and `salt`, filling `key`.
pub fn pbkdf2(hash: Hash, passphrase: &[u8], salt: &[u8], rounds: u32, key: &mut [u8]) {
    match hash {
        Hash::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(passphrase, salt, rounds, key),
        Hash::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(passphrase, salt, rounds, key),
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CipherError {
    /// The key is not 32 bytes.
    KeyLength(usize),
    /// Authentication failed: another key, or altered data or associated data.
    Unauthentic,
}

/// Encrypts `plain` with AES-256-GCM, authenticating `aad` with it: ciphertext and tag.
pub fn seal(key: &[u8], nonce: &[u8; NONCE_LENGTH], plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, CipherError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CipherError::KeyLength(key.len()))?;
    cipher.encrypt(Nonce::from_slice(nonce), Payload { msg: plain, aad }).map_err(|_| CipherError::Unauthentic)
}

/// Decrypts what [`seal`] wrote, or fails when anything was altered.
pub fn open(key: &[u8], nonce: &[u8; NONCE_LENGTH], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, CipherError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| CipherError::KeyLength(key.len()))?;
    cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad }).map_err(|_| CipherError::Unauthentic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_rfc_7914_test_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256, P="passwd", S="salt", c=1, dkLen=64.
        let mut key = [0u8; 64];
        pbkdf2(Hash::Sha256, b"passwd", b"salt", 1, &mut key);
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
    }

    #[test]
    fn seal_then_open_and_tampering_fails() {
        let key = [7u8; KEY_LENGTH];
        let nonce = [1u8; NONCE_LENGTH];
        let sealed = seal(&key, &nonce, b"secret", b"header").expect("seals");
        assert_eq!(open(&key, &nonce, &sealed, b"header").expect("opens"), b"secret");
        assert_eq!(open(&key, &nonce, &sealed, b"other header"), Err(CipherError::Unauthentic));
        assert_eq!(open(&[8u8; KEY_LENGTH], &nonce, &sealed, b"header"), Err(CipherError::Unauthentic));
        assert_eq!(seal(&[0u8; 16], &nonce, b"x", b""), Err(CipherError::KeyLength(16)));
    }
}
