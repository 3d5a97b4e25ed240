// The tests read the files the backend writes, as anyone with the disk would.
#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::backend_local::LocalBackend;
use slipway_core::backend::Backend;

/// The cheapest derivation the provider accepts, so tests stay fast.
fn passphrase_key(passphrase: &str) -> Arc<dyn KeyProvider> {
    let settings = BTreeMap::from([
        ("passphrase".to_string(), passphrase.to_string()),
        ("iterations".to_string(), "200000".to_string()),
    ]);
    Arc::new(Pbkdf2KeyProvider::from_settings(&settings).expect("valid settings"))
}

fn aes(name: &str, passphrase: &str) -> Method {
    Method::AesGcm(AesGcmMethod {
        name: format!("aes_gcm.{name}"),
        key_provider_name: format!("pbkdf2.{name}"),
        keys: passphrase_key(passphrase),
        aad: Vec::new(),
    })
}

fn state_encryption(primary: Method, fallbacks: Vec<Method>, enforced: bool) -> Encryption {
    Encryption::new("state", primary, fallbacks, enforced)
}

const SECRET: &[u8] = b"{\"password\": \"hunter2-hunter2\"}\n";

#[tokio::test]
async fn round_trip_hides_the_plain_text() {
    let encryption = state_encryption(aes("main", "correct horse battery staple"), vec![], true);
    let sealed = encryption.encrypt(SECRET).await.expect("encrypts");
    assert!(is_encrypted(&sealed));
    assert!(!String::from_utf8_lossy(&sealed).contains("hunter2"), "no plain text in {sealed:?}");
    let opened = encryption.decrypt(&sealed).await.expect("decrypts");
    assert_eq!(opened, Decrypted { bytes: SECRET.to_vec(), was_plain: false });
    // Fresh nonces: the same document never encrypts to the same bytes.
    assert_ne!(encryption.encrypt(SECRET).await.expect("encrypts"), sealed);
}

#[tokio::test]
async fn a_wrong_passphrase_is_a_clear_error_never_garbage() {
    let writer = state_encryption(aes("main", "correct horse battery staple"), vec![], true);
    let sealed = writer.encrypt(SECRET).await.expect("encrypts");
    let reader = state_encryption(aes("main", "incorrect horse battery staple"), vec![], true);
    let error = reader.decrypt(&sealed).await.expect_err("wrong key");
    assert_eq!(
        error,
        EncryptionError::WrongKey { what: "state", method: "aes_gcm.main".into(), key_provider: "pbkdf2.main".into() }
    );
    assert!(error.to_string().contains("Check the passphrase"), "{error}");
}

#[tokio::test]
async fn any_altered_byte_fails_authentication() {
    let encryption = state_encryption(aes("main", "correct horse battery staple"), vec![], true);
    let sealed = encryption.encrypt(SECRET).await.expect("encrypts");
    let mut envelope: serde_json::Value = serde_json::from_slice(&sealed).expect("json");

    let mut data = BASE64.decode(envelope["encrypted_data"].as_str().expect("data")).expect("base64");
    let middle = data.len() / 2;
    data[middle] ^= 1;
    let mut tampered = envelope.clone();
    tampered["encrypted_data"] = BASE64.encode(&data).into();
    let error = encryption.decrypt(&serde_json::to_vec(&tampered).expect("json")).await.expect_err("tampered data");
    assert!(matches!(error, EncryptionError::WrongKey { .. }), "{error}");

    // The header is authenticated too: a changed iteration count cannot pass as the original.
    envelope["meta"]["iterations"] = 300000.into();
    let error = encryption.decrypt(&serde_json::to_vec(&envelope).expect("json")).await.expect_err("tampered meta");
    assert!(matches!(error, EncryptionError::WrongKey { .. }), "{error}");
}

#[tokio::test]
async fn a_fallback_reads_what_the_old_key_wrote() {
    let old = state_encryption(aes("old", "the old passphrase, retired"), vec![], true);
    let sealed = old.encrypt(SECRET).await.expect("encrypts");
    let rotated = state_encryption(
        aes("new", "the new passphrase, current"),
        vec![aes("old", "the old passphrase, retired")],
        true,
    );
    assert_eq!(rotated.decrypt(&sealed).await.expect("fallback decrypts").bytes, SECRET);
    let resealed = rotated.encrypt(SECRET).await.expect("encrypts");
    assert!(String::from_utf8_lossy(&resealed).contains("aes_gcm.new"), "new writes use the primary method");

    let without = state_encryption(aes("new", "the new passphrase, current"), vec![], true);
    let error = without.decrypt(&sealed).await.expect_err("old method not configured");
    assert_eq!(error, EncryptionError::UnknownMethod { what: "state", method: "aes_gcm.old".into() });
}

#[tokio::test]
async fn plain_documents_migrate_unless_encryption_is_enforced() {
    let migrating = state_encryption(aes("main", "correct horse battery staple"), vec![], false);
    assert_eq!(
        migrating.decrypt(SECRET).await.expect("plain read"),
        Decrypted { bytes: SECRET.to_vec(), was_plain: true }
    );

    let enforced = state_encryption(aes("main", "correct horse battery staple"), vec![], true);
    assert_eq!(enforced.decrypt(SECRET).await, Err(EncryptionError::PlainRefused { what: "state" }));

    let with_fallback = state_encryption(aes("main", "correct horse battery staple"), vec![Method::Unencrypted], true);
    assert!(with_fallback.decrypt(SECRET).await.expect("explicit fallback").was_plain);
}

#[tokio::test]
async fn the_unencrypted_method_decrypts_a_state_for_good() {
    let encrypted = state_encryption(aes("main", "correct horse battery staple"), vec![], true);
    let sealed = encrypted.encrypt(SECRET).await.expect("encrypts");
    let decrypting = state_encryption(Method::Unencrypted, vec![aes("main", "correct horse battery staple")], false);
    assert_eq!(decrypting.decrypt(&sealed).await.expect("fallback").bytes, SECRET);
    assert_eq!(decrypting.encrypt(SECRET).await.expect("writes plain"), SECRET);
}

#[test]
fn pbkdf2_settings_are_checked() {
    let make = |pairs: &[(&str, &str)]| {
        let settings = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Pbkdf2KeyProvider::from_settings(&settings).map(|_| ())
    };
    assert_eq!(make(&[("passphrase", "short")]), Err("the passphrase must be at least 16 characters long".into()));
    assert!(make(&[]).is_err_and(|e| e.contains("\"passphrase\" is required")));
    assert!(
        make(&[("passphrase", "correct horse battery"), ("iterations", "1000")])
            .is_err_and(|e| e.contains("at least 200000"))
    );
    assert!(
        make(&[("passphrase", "correct horse battery"), ("hash_function", "md5")]).is_err_and(|e| e.contains("sha512"))
    );
    assert!(
        make(&[("passphrase", "correct horse battery"), ("salt", "x")])
            .is_err_and(|e| e.contains("unsupported argument"))
    );
    assert_eq!(make(&[("passphrase", "correct horse battery"), ("hash_function", "sha256")]), Ok(()));
}

#[tokio::test]
async fn the_encrypted_backend_seals_state_and_journal_on_disk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plain: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    let encryption = state_encryption(aes("main", "correct horse battery staple"), vec![], false);
    let backend = EncryptedBackend::new(plain.clone(), encryption);

    backend.write("default", SECRET).await.expect("writes");
    backend.append_journal("default", b"{\"entry\":1,\"secret\":\"hunter2\"}\n{\"entry\":2}\n").await.expect("appends");
    backend.append_journal("default", b"{\"entry\":3}\n").await.expect("appends");

    for name in ["slipway.tfstate", "slipway.tfstate.journal"] {
        let raw = std::fs::read_to_string(dir.path().join(name)).expect("file");
        assert!(!raw.contains("hunter2") && !raw.contains("entry"), "{name} holds plain text: {raw}");
    }
    let stored = backend.read("default").await.expect("reads").expect("exists");
    assert_eq!(stored.state, SECRET);
    assert_eq!(
        stored.journal,
        vec![b"{\"entry\":1,\"secret\":\"hunter2\"}".to_vec(), b"{\"entry\":2}".to_vec(), b"{\"entry\":3}".to_vec()]
    );

    // Read through a backend without the key, the state is refused, not misread.
    let raw = plain.read("default").await.expect("reads").expect("exists");
    assert!(is_encrypted(&raw.state));
    assert!(matches!(crate::state::State::from_json(&raw.state), Err(crate::state::StateError::Encrypted)));
}

#[tokio::test]
async fn a_torn_last_journal_line_is_left_to_replay_to_skip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plain: Arc<dyn Backend> = Arc::new(LocalBackend::new(dir.path()));
    let backend = EncryptedBackend::new(
        plain.clone(),
        state_encryption(aes("main", "correct horse battery staple"), vec![], false),
    );
    backend.append_journal("default", b"{\"entry\":1}\n").await.expect("appends");
    let mut torn = backend.encryption.encrypt(b"{\"entry\":2}\n").await.expect("encrypts");
    torn.truncate(torn.len() / 2);
    plain.append_journal("default", &torn).await.expect("appends raw");
    let stored = backend.read("default").await.expect("reads").expect("exists");
    assert_eq!(stored.journal, vec![b"{\"entry\":1}".to_vec(), torn]);
}
