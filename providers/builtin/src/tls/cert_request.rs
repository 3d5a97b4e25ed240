//! `tls_cert_request`: a PKCS#10 certificate signing request for a key, with a subject and SANs.

use std::collections::BTreeMap;

use sha1::Digest as _;
use slipway_core::diagnostics::Diagnostic;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Type, Value};

use super::cert;
use super::keys;
use crate::common::hex;

pub fn schema() -> BlockSchema {
    let block = BlockSchema::new()
        .attribute(
            "private_key_pem",
            AttributeSchema::required(Type::String)
                .force_new()
                .sensitive()
                .describe("The key the request is for and is signed with, PEM."),
        )
        .attribute("cert_request_pem", AttributeSchema::computed(Type::String).describe("The request, PEM."))
        .attribute(
            "key_algorithm",
            AttributeSchema::computed(Type::String)
                .describe("RSA, ECDSA or ED25519: the algorithm of private_key_pem."),
        )
        .attribute("id", AttributeSchema::computed(Type::String).describe("Hex SHA-1 of the DER request."));
    super::with_subject(super::sans(block))
}

pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut out = cert::check_config(config);
    super::check_signing_key(config, "private_key_pem", &mut out);
    out
}

pub fn create(planned: &Value) -> Result<BTreeMap<&'static str, Value>, Diagnostic> {
    let (key, algorithm) = super::signing_key(planned, "private_key_pem")?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = cert::subject(planned)?;
    params.subject_alt_names = cert::sans(planned)?;
    let request = params
        .serialize_request(&key)
        .map_err(|e| Diagnostic::error("Failed to create certificate request", format!("Signing failed: {e}.")))?;
    let der = request.der().to_vec();
    Ok(BTreeMap::from([
        ("cert_request_pem", Value::string(keys::pem_encode("CERTIFICATE REQUEST", &der))),
        ("key_algorithm", Value::string(algorithm.name())),
        ("id", Value::string(hex(&sha1::Sha1::digest(&der)))),
    ]))
}
