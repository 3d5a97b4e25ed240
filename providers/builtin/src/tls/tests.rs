//! The tls provider on the provider contract, with what it makes checked by openssl and
//! ssh-keygen: the tools a cluster's PKI must satisfy. openssl is required (a missing one fails
//! the tests); ssh-keygen is used when present, the format is checked by hand otherwise.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use slipway_core::path::AttrPath;
use slipway_core::provider::{Provider, ValidateRequest};

use super::*;
use crate::common::testing::{apply, get_str, is_no_op, plan, read};

fn provider() -> TlsProvider {
    TlsProvider::new()
}

/// A configuration object for `type_name`: every attribute null unless set, `subject` as given.
fn config(type_name: &str, set: &[(&str, Value)], subject: Option<&[(&str, &str)]>) -> Value {
    let p = provider();
    let block = &p.schema().resources[type_name].block;
    let mut attrs: BTreeMap<String, Value> =
        block.attributes.iter().map(|(k, a)| (k.clone(), Value::null(a.ty.clone()))).collect();
    for (k, v) in set {
        assert!(attrs.contains_key(*k), "no attribute {k}");
        attrs.insert((*k).to_string(), v.clone());
    }
    if let Some(nested) = block.blocks.get("subject") {
        let inner = nested.block.value_type();
        let items = subject
            .map(|names| {
                let mut object: BTreeMap<String, Value> =
                    nested.block.attributes.iter().map(|(k, a)| (k.clone(), Value::null(a.ty.clone()))).collect();
                for (k, v) in names {
                    object.insert((*k).to_string(), Value::string(*v));
                }
                vec![Value::object(object)]
            })
            .unwrap_or_default();
        attrs.insert("subject".to_string(), Value::list(inner, items));
    }
    Value::object(attrs)
}

fn strings(items: &[&str]) -> Value {
    Value::list(Type::String, items.iter().map(|s| Value::string(*s)).collect())
}

/// Plan and apply one new object; the plan's computed values must be unknown.
async fn create_one(type_name: &str, config: &Value) -> Value {
    let p = provider();
    let planned = plan(&p, type_name, None, config).planned.expect("planned");
    assert!(!attr(&planned, "id").is_known(), "{type_name}: id known at plan");
    apply(&p, type_name, None, Some(planned), Some(config)).await.new_state.expect("state")
}

async fn key(algorithm: &str, curve: Option<&str>) -> Value {
    let mut set = vec![("algorithm", Value::string(algorithm))];
    if let Some(curve) = curve {
        set.push(("ecdsa_curve", Value::string(curve)));
    }
    create_one(PRIVATE_KEY, &config(PRIVATE_KEY, &set, None)).await
}

async fn ca(key: &Value) -> Value {
    let c = config(
        SELF_SIGNED_CERT,
        &[
            ("private_key_pem", attr(key, "private_key_pem")),
            ("validity_period_hours", Value::int(87600)),
            ("allowed_uses", strings(&["cert_signing", "key_encipherment", "digital_signature"])),
            ("is_ca_certificate", Value::bool(true)),
        ],
        Some(&[("common_name", "kubernetes")]),
    );
    create_one(SELF_SIGNED_CERT, &c).await
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path.to_string_lossy().into_owned()
}

/// Runs a shell pipeline in `dir`; its stdout, or a failure with its stderr.
fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).current_dir(dir).output().expect("run sh");
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn require_openssl() {
    let found = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    assert!(found, "openssl is required by these tests (Debian package `openssl`) and was not found on PATH");
}

fn has_ssh_keygen() -> bool {
    Command::new("ssh-keygen").arg("-?").output().is_ok()
}

#[tokio::test]
async fn private_key_lifecycle_and_replacement() {
    let p = provider();
    let c = config(PRIVATE_KEY, &[("algorithm", Value::string("ED25519"))], None);
    let state = create_one(PRIVATE_KEY, &c).await;
    assert!(attr(&state, "private_key_pem").is_sensitive());
    assert!(attr(&state, "private_key_openssh").is_sensitive());
    assert!(!attr(&state, "public_key_pem").is_sensitive());
    let state = read(&p, PRIVATE_KEY, &state).await.expect("present");
    assert!(is_no_op(&plan(&p, PRIVATE_KEY, Some(&state), &c), &state), "second plan is not a no-op");
    let c2 = config(PRIVATE_KEY, &[("algorithm", Value::string("RSA"))], None);
    let replaced = plan(&p, PRIVATE_KEY, Some(&state), &c2);
    assert_eq!(replaced.requires_replace, vec![AttrPath::attr("algorithm")]);
    assert!(!attr(replaced.planned.as_ref().expect("planned"), "private_key_pem").is_known());
    assert!(apply(&p, PRIVATE_KEY, Some(&state), None, None).await.new_state.is_none());
}

#[tokio::test]
async fn discovery_hash_is_what_openssl_computes_for_every_algorithm() {
    require_openssl();
    let dir = tempfile::tempdir().expect("tempdir");
    for (algorithm, curve) in
        [("RSA", None), ("ECDSA", Some("P256")), ("ECDSA", Some("P384")), ("ECDSA", Some("P521")), ("ED25519", None)]
    {
        let k = key(algorithm, curve).await;
        let cert = ca(&k).await;
        assert_eq!(get_str(&cert, "key_algorithm"), algorithm);
        write(dir.path(), "ca.crt", &get_str(&cert, "cert_pem"));
        let out =
            sh(dir.path(), "openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum");
        let expected = out.split_whitespace().next().unwrap_or_default();
        assert_eq!(get_str(&k, "public_key_spki_sha256"), expected, "{algorithm} {curve:?}");
        // The key's own encodings are readable by openssl too.
        write(dir.path(), "key.pem", &get_str(&k, "private_key_pem"));
        write(dir.path(), "key8.pem", &get_str(&k, "private_key_pem_pkcs8"));
        let public = sh(dir.path(), "openssl pkey -in key.pem -pubout");
        assert_eq!(public, get_str(&k, "public_key_pem"), "{algorithm} {curve:?}");
        assert_eq!(sh(dir.path(), "openssl pkey -in key8.pem -pubout"), public);
    }
}

#[tokio::test]
async fn client_certificate_verifies_against_the_ca_with_what_was_asked() {
    require_openssl();
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_key = key("RSA", None).await;
    let ca_cert = ca(&ca_key).await;
    let client_key = key("ECDSA", Some("P256")).await;
    let request = create_one(
        CERT_REQUEST,
        &config(
            CERT_REQUEST,
            &[
                ("private_key_pem", attr(&client_key, "private_key_pem")),
                ("dns_names", strings(&["admin.example"])),
                ("ip_addresses", strings(&["10.0.0.1"])),
            ],
            Some(&[("common_name", "kubernetes-admin"), ("organization", "system:masters")]),
        ),
    )
    .await;
    assert_eq!(get_str(&request, "key_algorithm"), "ECDSA");
    let signed_config = config(
        LOCALLY_SIGNED_CERT,
        &[
            ("cert_request_pem", attr(&request, "cert_request_pem")),
            ("ca_private_key_pem", attr(&ca_key, "private_key_pem")),
            ("ca_cert_pem", attr(&ca_cert, "cert_pem")),
            ("validity_period_hours", Value::int(8760)),
            ("allowed_uses", strings(&["digital_signature", "key_encipherment", "client_auth"])),
        ],
        None,
    );
    let signed = create_one(LOCALLY_SIGNED_CERT, &signed_config).await;
    assert_eq!(get_str(&signed, "ca_key_algorithm"), "RSA");
    assert_eq!(attr(&signed, "ready_for_renewal").as_bool(), Some(false));

    write(dir.path(), "ca.crt", &get_str(&ca_cert, "cert_pem"));
    write(dir.path(), "client.crt", &get_str(&signed, "cert_pem"));
    write(dir.path(), "client.csr", &get_str(&request, "cert_request_pem"));
    assert_eq!(sh(dir.path(), "openssl verify -CAfile ca.crt client.crt").trim(), "client.crt: OK");
    sh(dir.path(), "openssl req -in client.csr -noout -verify");

    let text = sh(dir.path(), "openssl x509 -in client.crt -noout -text");
    for expected in [
        "Subject: O = system:masters, CN = kubernetes-admin",
        "Issuer: CN = kubernetes",
        "X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment",
        "X509v3 Extended Key Usage: \n                TLS Web Client Authentication",
        "X509v3 Basic Constraints: critical\n                CA:FALSE",
        "DNS:admin.example, IP Address:10.0.0.1",
        "X509v3 Authority Key Identifier",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains("Subject Key Identifier"), "a leaf without set_subject_key_id has no SKI:\n{text}");
    let ca_text = sh(dir.path(), "openssl x509 -in ca.crt -noout -text");
    for expected in ["CA:TRUE", "Certificate Sign", "X509v3 Subject Key Identifier"] {
        assert!(ca_text.contains(expected), "missing {expected:?} in\n{ca_text}");
    }
    // The leaf's authority key identifier is the CA's subject key identifier.
    let ski = sh(dir.path(), "openssl x509 -in ca.crt -noout -ext subjectKeyIdentifier | tail -1");
    let aki = sh(dir.path(), "openssl x509 -in client.crt -noout -ext authorityKeyIdentifier | tail -1");
    assert_eq!(aki.trim().trim_start_matches("keyid:"), ski.trim());
    // The serial is the id, in decimal.
    let serial = sh(dir.path(), "openssl x509 -in client.crt -noout -serial");
    let hex_serial = serial.trim().trim_start_matches("serial=").to_ascii_lowercase();
    let from_id = format!("{:x}", get_str(&signed, "id").parse::<u128>().expect("decimal serial"));
    assert_eq!(hex_serial.trim_start_matches('0'), from_id);

    // Refresh keeps it, and the same configuration plans no change.
    let p = provider();
    let refreshed = read(&p, LOCALLY_SIGNED_CERT, &signed).await.expect("present");
    assert!(is_no_op(&plan(&p, LOCALLY_SIGNED_CERT, Some(&refreshed), &signed_config), &refreshed));
}

#[tokio::test]
async fn openssh_encodings_match_ssh_keygen() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (algorithm, curve, prefix) in [
        ("RSA", None, "ssh-rsa "),
        ("ECDSA", Some("P256"), "ecdsa-sha2-nistp256 "),
        ("ECDSA", Some("P521"), "ecdsa-sha2-nistp521 "),
        ("ED25519", None, "ssh-ed25519 "),
    ] {
        let k = key(algorithm, curve).await;
        let public = get_str(&k, "public_key_openssh");
        assert!(public.starts_with(prefix) && public.ends_with('\n'), "{public:?}");
        assert!(get_str(&k, "private_key_openssh").starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        if !has_ssh_keygen() {
            continue;
        }
        write(dir.path(), "id.pub", &public);
        let private = write(dir.path(), "id", &get_str(&k, "private_key_openssh"));
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let sha256 = sh(dir.path(), "ssh-keygen -l -E sha256 -f id.pub");
        assert_eq!(sha256.split_whitespace().nth(1), Some(get_str(&k, "public_key_fingerprint_sha256").as_str()));
        let md5 = sh(dir.path(), "ssh-keygen -l -E md5 -f id.pub");
        let md5_expected = format!("MD5:{}", get_str(&k, "public_key_fingerprint_md5"));
        assert_eq!(md5.split_whitespace().nth(1), Some(md5_expected.as_str()));
        // The private key is one ssh-keygen reads, and it is the public key's.
        assert_eq!(sh(dir.path(), "ssh-keygen -y -f id").trim(), public.trim(), "{algorithm} {curve:?}");
    }
}

fn validate(type_name: &str, config: Value) -> Vec<(String, String)> {
    provider()
        .validate(ValidateRequest {
            mode: slipway_core::address::ResourceMode::Managed,
            type_name: type_name.to_string(),
            config,
        })
        .diagnostics
        .iter()
        .map(|d| (d.summary.clone(), d.detail.clone()))
        .collect()
}

#[test]
fn bad_configuration_is_diagnosed_with_the_attribute_path() {
    let d = validate(PRIVATE_KEY, config(PRIVATE_KEY, &[("algorithm", Value::string("ECDSA"))], None));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, "Invalid value for ecdsa_curve");
    assert!(d[0].1.contains("\"P256\", \"P384\" or \"P521\"") && d[0].1.contains("default"), "{}", d[0].1);

    let d = validate(PRIVATE_KEY, config(PRIVATE_KEY, &[("algorithm", Value::string("DSA"))], None));
    assert_eq!(d[0].0, "Invalid value for algorithm");

    let d = validate(
        SELF_SIGNED_CERT,
        config(
            SELF_SIGNED_CERT,
            &[
                ("private_key_pem", Value::string("-----BEGIN NOTHING-----\nzz\n-----END NOTHING-----\n")),
                ("validity_period_hours", Value::int(1)),
                ("allowed_uses", strings(&["server_auth", "serverauth"])),
            ],
            None,
        ),
    );
    let summaries: Vec<&str> = d.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(summaries, vec!["Invalid value for allowed_uses[1]", "Invalid value for private_key_pem"], "{d:?}");
    assert!(d[0].1.contains("Did you mean \"server_auth\"?"), "{}", d[0].1);

    let d = validate(
        CERT_REQUEST,
        config(
            CERT_REQUEST,
            &[("private_key_pem", Value::unknown(Type::String)), ("ip_addresses", strings(&["300.1.1.1"]))],
            None,
        ),
    );
    assert_eq!(d.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(), vec!["Invalid value for ip_addresses[0]"]);
}

#[tokio::test]
async fn a_request_whose_signature_does_not_verify_is_refused() {
    let ca_key = key("ECDSA", Some("P256")).await;
    let ca_cert = ca(&ca_key).await;
    let client_key = key("ED25519", None).await;
    let request = create_one(
        CERT_REQUEST,
        &config(
            CERT_REQUEST,
            &[("private_key_pem", attr(&client_key, "private_key_pem"))],
            Some(&[("common_name", "x")]),
        ),
    )
    .await;
    // Flip one bit of the signature (the last byte of the DER).
    let block = pem::parse(get_str(&request, "cert_request_pem")).expect("pem");
    let mut der = block.contents().to_vec();
    if let Some(last) = der.last_mut() {
        *last ^= 1;
    }
    let tampered = keys::pem_encode("CERTIFICATE REQUEST", &der);
    let signed = |csr: &str, ca_pem: Value| {
        config(
            LOCALLY_SIGNED_CERT,
            &[
                ("cert_request_pem", Value::string(csr)),
                ("ca_private_key_pem", attr(&ca_key, "private_key_pem")),
                ("ca_cert_pem", ca_pem),
                ("validity_period_hours", Value::int(1)),
                ("allowed_uses", strings(&["client_auth"])),
            ],
            None,
        )
    };
    let d = validate(LOCALLY_SIGNED_CERT, signed(&tampered, attr(&ca_cert, "cert_pem")));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].0, "Invalid value for cert_request_pem");
    assert!(d[0].1.contains("signature that does not verify"), "{}", d[0].1);

    // At apply (values unknown at plan), the same check fails the create with the path.
    let planned = signed(&tampered, attr(&ca_cert, "cert_pem"));
    let response = provider()
        .apply(slipway_core::provider::ApplyRequest {
            address: crate::common::testing::address(LOCALLY_SIGNED_CERT),
            type_name: LOCALLY_SIGNED_CERT.to_string(),
            prior: None,
            planned: Some(super::fill(
                &provider().schema().resources[LOCALLY_SIGNED_CERT].block,
                &planned,
                &BTreeMap::new(),
            ))
            .map(|v| {
                let mut entries = v.as_entries().cloned().unwrap_or_default();
                entries.insert("id".to_string(), Value::unknown(Type::String));
                Value::object(entries)
            }),
            config: Some(planned.clone()),
            planned_private: Vec::new(),
            owner: String::new(),
        })
        .await;
    let summaries: Vec<&str> = response.diagnostics.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(summaries, vec!["Invalid value for cert_request_pem"]);
    assert!(response.new_state.is_none());

    // A CA key that is not the CA certificate's is refused too.
    let other = ca(&key("ECDSA", Some("P256")).await).await;
    let good = get_str(&request, "cert_request_pem");
    let mismatched = signed(&good, attr(&other, "cert_pem"));
    let p = provider();
    let planned = plan(&p, LOCALLY_SIGNED_CERT, None, &mismatched).planned;
    let response = p
        .apply(slipway_core::provider::ApplyRequest {
            address: crate::common::testing::address(LOCALLY_SIGNED_CERT),
            type_name: LOCALLY_SIGNED_CERT.to_string(),
            prior: None,
            planned,
            config: Some(mismatched),
            planned_private: Vec::new(),
            owner: String::new(),
        })
        .await;
    let d: Vec<&str> = response.diagnostics.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(d, vec!["Invalid value for ca_private_key_pem"]);
}

#[tokio::test]
async fn a_certificate_due_for_renewal_is_replaced_on_the_next_plan() {
    let p = provider();
    let k = key("ECDSA", Some("P384")).await;
    let named = |common_name: &str| {
        config(
            SELF_SIGNED_CERT,
            &[
                ("private_key_pem", attr(&k, "private_key_pem")),
                ("validity_period_hours", Value::int(10)),
                ("early_renewal_hours", Value::int(10)),
                ("allowed_uses", strings(&["server_auth"])),
                ("set_subject_key_id", Value::bool(true)),
                ("set_authority_key_id", Value::bool(true)),
            ],
            Some(&[("common_name", common_name)]),
        )
    };
    let c = named("api");
    let state = create_one(SELF_SIGNED_CERT, &c).await;
    assert_eq!(attr(&state, "ready_for_renewal").as_bool(), Some(false));
    // early_renewal_hours covers the whole validity: due at once.
    let refreshed = read(&p, SELF_SIGNED_CERT, &state).await.expect("present");
    assert_eq!(attr(&refreshed, "ready_for_renewal").as_bool(), Some(true));
    let next = plan(&p, SELF_SIGNED_CERT, Some(&refreshed), &c);
    assert_eq!(next.requires_replace, vec![AttrPath::attr("ready_for_renewal")]);
    let planned = next.planned.expect("planned");
    assert!(!attr(&planned, "cert_pem").is_known());
    assert_eq!(attr(&planned, "ready_for_renewal").as_bool(), Some(false));

    // A changed subject replaces the certificate too.
    assert_eq!(
        plan(&p, SELF_SIGNED_CERT, Some(&state), &named("api2")).requires_replace,
        vec![AttrPath::attr("subject")]
    );
}

#[test]
fn diagnostics_carry_the_attribute_path_for_the_engine() {
    use slipway_core::path::PathStep;
    let d = invalid("subject[0].street_address", "is wrong");
    let expected = vec![PathStep::Attr("subject".into()), PathStep::Index(0), PathStep::Attr("street_address".into())];
    assert_eq!(d.attribute.map(|p| p.0), Some(expected));
    let d = invalid("allowed_uses[2]", "is wrong");
    assert_eq!(d.attribute.map(|p| p.to_string()).as_deref(), Some("allowed_uses[2]"));
}
