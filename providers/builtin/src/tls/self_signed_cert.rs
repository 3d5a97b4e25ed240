//! `tls_self_signed_cert`: a certificate signed by its own key, typically a cluster's CA.

use std::collections::BTreeMap;

use slipway_core::diagnostics::Diagnostic;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Type, Value};

use super::cert::{self, Issue};
use super::invalid;
use crate::common::{bool_attr, int_attr};

pub fn schema() -> BlockSchema {
    let block = BlockSchema::new()
        .attribute(
            "private_key_pem",
            AttributeSchema::required(Type::String)
                .force_new()
                .sensitive()
                .describe("The key the certificate belongs to and is signed with, PEM."),
        )
        .attribute("set_authority_key_id", AttributeSchema::optional_computed(Type::Bool).force_new())
        .attribute(
            "key_algorithm",
            AttributeSchema::computed(Type::String)
                .describe("RSA, ECDSA or ED25519: the algorithm of private_key_pem."),
        );
    super::with_subject(super::sans(super::certificate_attributes(block)))
}

pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut out = cert::check_config(config);
    super::check_signing_key(config, "private_key_pem", &mut out);
    out
}

pub fn create(planned: &Value) -> Result<BTreeMap<&'static str, Value>, Diagnostic> {
    let (key, algorithm) = super::signing_key(planned, "private_key_pem")?;
    let dn = cert::subject(planned)?;
    let is_ca = bool_attr(planned, "is_ca_certificate")?.unwrap_or(false);
    if is_ca && dn.iter().next().is_none() {
        // RFC 5280 §4.1.2.6: a CA's subject is not empty (hashicorp/tls's check).
        return Err(invalid("subject", "must hold at least one name when is_ca_certificate is true"));
    }
    let key_id = (is_ca || bool_attr(planned, "set_subject_key_id")?.unwrap_or(false))
        .then(|| cert::subject_key_id(&key, algorithm));
    // The issuer is the certificate itself, so its authority key identifier is its own subject
    // key identifier, which exists only for CAs or with set_subject_key_id (as in hashicorp/tls).
    let authority_key_id = if bool_attr(planned, "set_authority_key_id")?.unwrap_or(false) {
        Some(key_id.clone().ok_or_else(|| {
            invalid(
                "set_authority_key_id",
                "needs a subject key identifier to copy: set is_ca_certificate or set_subject_key_id too",
            )
        })?)
    } else {
        None
    };
    let issue = Issue {
        validity_hours: int_attr(planned, "validity_period_hours")?.unwrap_or(0),
        is_ca,
        subject_key_id: key_id,
        authority_key_id,
    };
    let issued = cert::params(planned, dn, cert::sans(planned)?, issue)?;
    let certificate = issued
        .params
        .self_signed(&key)
        .map_err(|e| Diagnostic::error("Failed to create certificate", format!("Signing failed: {e}.")))?;
    Ok(BTreeMap::from([
        ("cert_pem", Value::string(certificate.pem())),
        ("key_algorithm", Value::string(algorithm.name())),
        ("validity_start_time", Value::string(issued.validity_start_time)),
        ("validity_end_time", Value::string(issued.validity_end_time)),
        ("id", Value::string(issued.serial)),
    ]))
}
