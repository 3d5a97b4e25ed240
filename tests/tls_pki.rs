//! End to end: the `slipway` binary builds a small cluster PKI with the tls provider (a CA, an
//! admin key with a signing request, the admin client certificate the CA signs), writes the
//! certificates with local_file, and plans no change the second time. openssl checks the result:
//! the chain verifies and the discovery hash output is kubeadm's.

// Tests set up their fixtures on the real file system and read back what apply wrote.
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;
use std::process::Command;

use support::slipway;

const CONFIG: &str = r#"
resource "tls_private_key" "ca" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_self_signed_cert" "ca" {
  private_key_pem = tls_private_key.ca.private_key_pem
  subject {
    common_name = "kubernetes"
  }
  validity_period_hours = 87600
  is_ca_certificate     = true
  allowed_uses          = ["cert_signing", "key_encipherment", "digital_signature"]
}

resource "tls_private_key" "admin" {
  algorithm = "RSA"
}

resource "tls_cert_request" "admin" {
  private_key_pem = tls_private_key.admin.private_key_pem
  subject {
    common_name  = "kubernetes-admin"
    organization = "system:masters"
  }
}

resource "tls_locally_signed_cert" "admin" {
  cert_request_pem      = tls_cert_request.admin.cert_request_pem
  ca_private_key_pem    = tls_private_key.ca.private_key_pem
  ca_cert_pem           = tls_self_signed_cert.ca.cert_pem
  validity_period_hours = 8760
  allowed_uses          = ["digital_signature", "key_encipherment", "client_auth"]
}

resource "local_file" "ca" {
  filename = "${path.module}/ca.crt"
  content  = tls_self_signed_cert.ca.cert_pem
}

resource "local_file" "admin" {
  filename = "${path.module}/admin.crt"
  content  = tls_locally_signed_cert.admin.cert_pem
}

output "discovery_hash" {
  value = "sha256:${tls_private_key.ca.public_key_spki_sha256}"
}
"#;

/// Runs a shell pipeline in `dir`; its stdout. openssl is required: a missing one fails here.
fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).current_dir(dir).output().expect("run sh");
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_ca_signs_an_admin_certificate_and_the_second_plan_changes_nothing() {
    let openssl = Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success());
    assert!(openssl, "openssl is required by this test (Debian package `openssl`) and was not found on PATH");
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), CONFIG).expect("write config");

    let (code, out) = slipway(dir.path(), &["init"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(dir.path(), &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Plan: 7 to add, 0 to change, 0 to destroy."), "{out}");
    assert!(out.contains("cert_pem") && out.contains("(known after apply)"), "{out}");
    assert!(out.contains("private_key_pem") && out.contains("(sensitive value)"), "{out}");

    let (code, out) = slipway(dir.path(), &["apply", "tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("BEGIN"), "a key or certificate was printed:\n{out}");

    let (code, out) = slipway(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "the second plan is not empty:\n{out}");
    assert!(out.contains("No changes."), "{out}");

    assert_eq!(sh(dir.path(), "openssl verify -CAfile ca.crt admin.crt").trim(), "admin.crt: OK");
    let text = sh(dir.path(), "openssl x509 -in admin.crt -noout -subject -ext keyUsage,extendedKeyUsage");
    assert!(text.contains("subject=O = system:masters, CN = kubernetes-admin"), "{text}");
    assert!(text.contains("Digital Signature, Key Encipherment") && text.contains("TLS Web Client Authentication"));

    let (code, hash) = slipway(dir.path(), &["output", "-raw", "discovery_hash"]);
    assert_eq!(code, 0, "{hash}");
    let expected =
        sh(dir.path(), "openssl x509 -pubkey -noout -in ca.crt | openssl pkey -pubin -outform der | sha256sum");
    assert_eq!(hash.trim(), format!("sha256:{}", expected.split_whitespace().next().unwrap_or_default()));

    let (code, out) = slipway(dir.path(), &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 7 destroyed."), "{out}");
}

#[test]
fn an_unknown_allowed_use_is_reported_at_its_resource() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = CONFIG.replace(r#""client_auth"]"#, r#""client_authentication"]"#);
    std::fs::write(dir.path().join("main.tf"), config).expect("write config");
    let (code, out) = slipway(dir.path(), &["plan"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Invalid value for allowed_uses[2]"), "{out}");
    assert!(out.contains("\"client_authentication\", which is not a key usage"), "{out}");
}
