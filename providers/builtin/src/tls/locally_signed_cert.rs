//! `tls_locally_signed_cert`: a certificate for a signing request, issued by a CA whose key and
//! certificate are given. The subject and SANs come from the request (whose signature must
//! verify), everything else from the configuration, as in hashicorp/tls.

use std::collections::BTreeMap;

use slipway_core::diagnostics::Diagnostic;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Type, Value};
use x509_parser::prelude::FromDer as _;

use super::cert::{self, Issue};
use super::keys::Algorithm;
use super::{Created, invalid};
use crate::common::{attr, bool_attr, int_attr};

pub fn schema() -> BlockSchema {
    let block = BlockSchema::new()
        .attribute(
            "cert_request_pem",
            AttributeSchema::required(Type::String).force_new().describe("The certificate signing request, PEM."),
        )
        .attribute(
            "ca_private_key_pem",
            AttributeSchema::required(Type::String).force_new().sensitive().describe("The CA's private key, PEM."),
        )
        .attribute(
            "ca_cert_pem",
            AttributeSchema::required(Type::String).force_new().describe("The CA's certificate, PEM."),
        )
        .attribute(
            "ca_key_algorithm",
            AttributeSchema::computed(Type::String).describe("RSA, ECDSA or ED25519: the algorithm of the CA's key."),
        );
    super::certificate_attributes(block)
}

pub fn validate(config: &Value) -> Vec<Diagnostic> {
    let mut out = cert::check_config(config);
    super::check_signing_key(config, "ca_private_key_pem", &mut out);
    if let Some(pem) = attr(config, "cert_request_pem").as_str()
        && let Err(d) = parse_request(pem)
    {
        out.push(d);
    }
    if let Some(pem) = attr(config, "ca_cert_pem").as_str()
        && let Err(d) = parse_ca(pem)
    {
        out.push(d);
    }
    out
}

/// The DER inside a PEM block that must have `label`, or what is wrong with it.
fn pem_block(text: &str, label: &str, path: &str) -> Result<Vec<u8>, Diagnostic> {
    let block =
        pem::parse(text.trim()).map_err(|e| invalid(path, &format!("is not PEM ({e}); expected a {label:?} block")))?;
    if block.tag() != label {
        return Err(invalid(path, &format!("is a PEM block of type {:?}; expected {label:?}", block.tag())));
    }
    Ok(block.into_contents())
}

/// rcgen stops the process on a name with an empty RDN set; such a name is refused first.
fn has_empty_rdn(name: &x509_parser::x509::X509Name<'_>) -> bool {
    name.iter().any(|rdn| rdn.iter().next().is_none())
}

/// A signing request whose signature verifies.
fn parse_request(text: &str) -> Result<rcgen::CertificateSigningRequestParams, Diagnostic> {
    let path = "cert_request_pem";
    let der = pem_block(text, "CERTIFICATE REQUEST", path)?;
    let (_, parsed) = x509_parser::certification_request::X509CertificationRequest::from_der(&der)
        .map_err(|e| invalid(path, &format!("is not a PKCS#10 certificate signing request: {e}")))?;
    if has_empty_rdn(&parsed.certification_request_info.subject) {
        return Err(invalid(path, "has a subject with an empty relative distinguished name"));
    }
    rcgen::CertificateSigningRequestParams::from_der(&der.into()).map_err(|e| match e {
        rcgen::Error::InvalidCertificationRequestSignature => {
            invalid(path, "has a signature that does not verify: it was not signed by the key it holds")
        }
        rcgen::Error::UnsupportedExtension => invalid(
            path,
            "requests an extension slipway cannot read (it reads subject alternative names, key usages and basic constraints)",
        ),
        other => invalid(path, &format!("cannot be read: {other}")),
    })
}

/// What the CA certificate gives the new one: its subject key identifier (the new certificate's
/// authority key identifier), its public key bits (to check the CA key against), whether it is
/// a CA at all, and its DER.
struct CaCert {
    der: Vec<u8>,
    subject_key_id: Option<Vec<u8>>,
    public_key: Vec<u8>,
    is_ca: bool,
}

fn parse_ca(text: &str) -> Result<CaCert, Diagnostic> {
    let path = "ca_cert_pem";
    let der = pem_block(text, "CERTIFICATE", path)?;
    let (_, parsed) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| invalid(path, &format!("is not an X.509 certificate: {e}")))?;
    if has_empty_rdn(parsed.subject()) {
        return Err(invalid(path, "has a subject with an empty relative distinguished name"));
    }
    let subject_key_id = parsed.iter_extensions().find_map(|ext| match ext.parsed_extension() {
        x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
        _ => None,
    });
    let is_ca = matches!(parsed.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
    let public_key = parsed.public_key().subject_public_key.data.to_vec();
    Ok(CaCert { der: der.clone(), subject_key_id, public_key, is_ca })
}

pub fn create(planned: &Value) -> Result<Created, Diagnostic> {
    let request = parse_request(&super::required_string(planned, "cert_request_pem")?)?;
    let (ca_key, ca_algorithm) = super::signing_key(planned, "ca_private_key_pem")?;
    let ca = parse_ca(&super::required_string(planned, "ca_cert_pem")?)?;
    // Go's x509.CreateCertificate refuses a key that is not the parent certificate's.
    if rcgen::PublicKeyData::der_bytes(&ca_key) != ca.public_key.as_slice() {
        return Err(invalid("ca_private_key_pem", "is not the key of the certificate in ca_cert_pem"));
    }
    let mut warnings = Vec::new();
    if !ca.is_ca {
        warnings.push(Diagnostic::warning(
            "Potentially Invalid Certificate Authority",
            "ca_cert_pem does not appear to be a Certificate Authority (its basic constraints do not say CA:TRUE); the new certificate might fail certificate validation.",
        ));
    }
    let requested_algorithm = Algorithm::of_signature(request.public_key.algorithm())
        .ok_or_else(|| invalid("cert_request_pem", "holds a key that is not RSA, ECDSA or ED25519"))?;
    let dn = request.params.distinguished_name.clone();
    let is_ca = bool_attr(planned, "is_ca_certificate")?.unwrap_or(false);
    if is_ca && dn.iter().next().is_none() {
        return Err(invalid(
            "cert_request_pem",
            "has an empty subject, which a CA (is_ca_certificate = true) cannot have",
        ));
    }
    let subject_key_id = (is_ca || bool_attr(planned, "set_subject_key_id")?.unwrap_or(false))
        .then(|| cert::subject_key_id(&request.public_key, requested_algorithm));
    let issue = Issue {
        validity_hours: int_attr(planned, "validity_period_hours")?.unwrap_or(0),
        is_ca,
        subject_key_id,
        // Go copies the issuer's subject key identifier whenever it has one.
        authority_key_id: ca.subject_key_id.clone(),
    };
    let issued = cert::params(planned, dn, request.params.subject_alt_names.clone(), issue)?;
    let issuer = rcgen::Issuer::from_ca_cert_der(&ca.der.into(), ca_key)
        .map_err(|e| invalid("ca_cert_pem", &format!("cannot be used as the issuer: {e}")))?;
    let certificate = issued
        .params
        .signed_by(&request.public_key, &issuer)
        .map_err(|e| Diagnostic::error("Failed to create certificate", format!("Signing failed: {e}.")))?;
    Ok(Created {
        values: BTreeMap::from([
            ("cert_pem", Value::string(certificate.pem())),
            ("ca_key_algorithm", Value::string(ca_algorithm.name())),
            ("validity_start_time", Value::string(issued.validity_start_time)),
            ("validity_end_time", Value::string(issued.validity_end_time)),
            ("id", Value::string(issued.serial)),
        ]),
        warnings,
    })
}
