//! `tls_private_key`: a new RSA, ECDSA or Ed25519 key, in every encoding hashicorp/tls gives,
//! plus `public_key_spki_sha256` (slipway's own): the hash kubeadm pins a cluster CA by.

use std::collections::BTreeMap;

use slipway_core::diagnostics::Diagnostic;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Type, Value};

use super::invalid;
use super::keys::{self, Algorithm};
use crate::common::{int_attr, string_attr};

pub fn schema() -> BlockSchema {
    let computed = |description: &str| AttributeSchema::computed(Type::String).describe(description);
    BlockSchema::new()
        .attribute(
            "algorithm",
            AttributeSchema::required(Type::String).force_new().describe("RSA, ECDSA or ED25519."),
        )
        .attribute(
            "rsa_bits",
            AttributeSchema::optional_computed(Type::Number)
                .force_new()
                .describe("Size of an RSA key: 2048 (default), 3072, 4096 or 8192."),
        )
        .attribute(
            "ecdsa_curve",
            AttributeSchema::optional_computed(Type::String)
                .force_new()
                .describe("Curve of an ECDSA key: P256, P384 or P521 (hashicorp/tls's default, P224, is not supported)."),
        )
        .attribute("openssh_comment", AttributeSchema::optional(Type::String).force_new())
        .attribute("private_key_pem", computed("PKCS#1 (RSA), SEC1 (ECDSA) or PKCS#8 (Ed25519) PEM.").sensitive())
        .attribute("private_key_pem_pkcs8", computed("PKCS#8 PEM.").sensitive())
        .attribute("private_key_openssh", computed("OpenSSH private key format.").sensitive())
        .attribute("public_key_pem", computed("SubjectPublicKeyInfo PEM."))
        .attribute("public_key_openssh", computed("authorized_keys line, with a trailing newline."))
        .attribute("public_key_fingerprint_md5", computed("OpenSSH MD5 fingerprint, aa:bb:..."))
        .attribute("public_key_fingerprint_sha256", computed("OpenSSH SHA256 fingerprint, SHA256:..."))
        .attribute(
            "public_key_spki_sha256",
            computed(
                "Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo: kubeadm's --discovery-token-ca-cert-hash without the \"sha256:\" prefix, when this is the CA's key.",
            ),
        )
        .attribute("id", computed("Hex SHA-1 of the DER public key."))
}

pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let algorithm = string_attr(config, "algorithm").ok().flatten();
    if let Some(name) = &algorithm
        && Algorithm::parse(name).is_none()
    {
        out.push(invalid(
            "algorithm",
            &format!(
                "is {name:?}; it must be one of {}.{}",
                Algorithm::NAMES.join(", "),
                slipway_core::diagnostics::did_you_mean(name, Algorithm::NAMES)
            ),
        ));
    }
    if let Ok(Some(bits)) = int_attr(config, "rsa_bits")
        && matches!(algorithm.as_deref(), None | Some("RSA"))
        && !keys::RSA_BITS.contains(&bits)
    {
        out.push(invalid(
            "rsa_bits",
            &format!("is {bits}; slipway generates RSA keys of 2048, 3072, 4096 or 8192 bits"),
        ));
    }
    // The curve matters only for ECDSA keys, and its default (P224) is one aws-lc-rs cannot use.
    let curve = match string_attr(config, "ecdsa_curve") {
        Ok(Some(curve)) => Some(curve),
        Ok(None) if attr_is_null(config, "ecdsa_curve") => Some("P224".to_string()),
        _ => None,
    };
    if let Some(curve) = curve {
        if !keys::CURVE_NAMES.contains(&curve.as_str()) {
            out.push(invalid(
                "ecdsa_curve",
                &format!("is {curve:?}; it must be one of {}", keys::SUPPORTED_CURVES.join(", ")),
            ));
        } else if algorithm.as_deref() == Some("ECDSA") && !keys::SUPPORTED_CURVES.contains(&curve.as_str()) {
            let mut d = invalid("ecdsa_curve", &keys::unsupported_curve(&curve));
            if attr_is_null(config, "ecdsa_curve") {
                d.detail.push_str(" (P224 is hashicorp/tls's default: set ecdsa_curve = \"P256\".)");
            }
            out.push(d);
        }
    }
    out
}

fn attr_is_null(config: &Value, name: &str) -> bool {
    crate::common::attr(config, name).is_null()
}

pub fn create(planned: &Value) -> Result<BTreeMap<&'static str, Value>, Diagnostic> {
    let name = super::required_string(planned, "algorithm")?;
    let algorithm = Algorithm::parse(&name).ok_or_else(|| {
        invalid("algorithm", &format!("is {name:?}; it must be one of {}", Algorithm::NAMES.join(", ")))
    })?;
    let bits = int_attr(planned, "rsa_bits")?.unwrap_or(2048);
    let curve = string_attr(planned, "ecdsa_curve")?.unwrap_or_else(|| "P224".to_string());
    let comment = string_attr(planned, "openssh_comment")?.unwrap_or_default();
    let key = keys::generate(algorithm, bits, &curve, &comment).map_err(|e| {
        let path = match algorithm {
            Algorithm::Rsa => "rsa_bits",
            Algorithm::Ecdsa => "ecdsa_curve",
            Algorithm::Ed25519 => "algorithm",
        };
        invalid(path, &format!("could not give a key: {e}"))
    })?;
    Ok(BTreeMap::from([
        ("private_key_pem", Value::string(key.private_key_pem)),
        ("private_key_pem_pkcs8", Value::string(key.private_key_pem_pkcs8)),
        ("private_key_openssh", Value::string(key.private_key_openssh)),
        ("public_key_pem", Value::string(key.public_key_pem)),
        ("public_key_openssh", Value::string(key.public_key_openssh)),
        ("public_key_fingerprint_md5", Value::string(key.public_key_fingerprint_md5)),
        ("public_key_fingerprint_sha256", Value::string(key.public_key_fingerprint_sha256)),
        ("public_key_spki_sha256", Value::string(key.public_key_spki_sha256)),
        ("id", Value::string(key.id)),
    ]))
}
