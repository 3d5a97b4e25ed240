//! What the certificate resources share: the `subject` block as a distinguished name, SANs,
//! `allowed_uses` as key usages, and the parameters of a new certificate with the extensions
//! hashicorp/tls (Go's crypto/x509) writes: basic constraints always, the subject key identifier
//! for CAs or on request, the authority key identifier from the issuer's, a random 128-bit
//! serial, validity from now. Also the refresh rule that marks a certificate ready for renewal.

use std::net::IpAddr;

use rcgen::{CertificateParams, CustomExtension, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose};
use rcgen::{KeyUsagePurpose, SanType};
use sha1::Digest as _;
use slipway_core::Value;
use slipway_core::diagnostics::Diagnostic;

use super::invalid;
use crate::common::{attr, decimal, int_attr, random_bytes};

/// `allowed_uses` names (hashicorp/tls's `keyUsages`).
const KEY_USAGES: [(&str, KeyUsagePurpose); 9] = [
    ("digital_signature", KeyUsagePurpose::DigitalSignature),
    ("content_commitment", KeyUsagePurpose::ContentCommitment),
    ("key_encipherment", KeyUsagePurpose::KeyEncipherment),
    ("data_encipherment", KeyUsagePurpose::DataEncipherment),
    ("key_agreement", KeyUsagePurpose::KeyAgreement),
    ("cert_signing", KeyUsagePurpose::KeyCertSign),
    ("crl_signing", KeyUsagePurpose::CrlSign),
    ("encipher_only", KeyUsagePurpose::EncipherOnly),
    ("decipher_only", KeyUsagePurpose::DecipherOnly),
];

/// `allowed_uses` names of extended key usages (hashicorp/tls's `extendedKeyUsages`), with the
/// OIDs Go's crypto/x509 writes for them.
const EXTENDED_KEY_USAGES: [(&str, &[u64]); 14] = [
    ("any_extended", &[2, 5, 29, 37, 0]),
    ("server_auth", &[1, 3, 6, 1, 5, 5, 7, 3, 1]),
    ("client_auth", &[1, 3, 6, 1, 5, 5, 7, 3, 2]),
    ("code_signing", &[1, 3, 6, 1, 5, 5, 7, 3, 3]),
    ("email_protection", &[1, 3, 6, 1, 5, 5, 7, 3, 4]),
    ("ipsec_end_system", &[1, 3, 6, 1, 5, 5, 7, 3, 5]),
    ("ipsec_tunnel", &[1, 3, 6, 1, 5, 5, 7, 3, 6]),
    ("ipsec_user", &[1, 3, 6, 1, 5, 5, 7, 3, 7]),
    ("timestamping", &[1, 3, 6, 1, 5, 5, 7, 3, 8]),
    ("ocsp_signing", &[1, 3, 6, 1, 5, 5, 7, 3, 9]),
    ("microsoft_server_gated_crypto", &[1, 3, 6, 1, 4, 1, 311, 10, 3, 3]),
    ("netscape_server_gated_crypto", &[2, 16, 840, 1, 113730, 4, 1]),
    ("microsoft_commercial_code_signing", &[1, 3, 6, 1, 4, 1, 311, 2, 1, 22]),
    ("microsoft_kernel_code_signing", &[1, 3, 6, 1, 4, 1, 311, 61, 1, 1]),
];

/// Every name `allowed_uses` accepts, sorted (as hashicorp/tls lists them).
pub fn allowed_use_names() -> Vec<&'static str> {
    let mut names: Vec<&str> =
        KEY_USAGES.iter().map(|(n, _)| *n).chain(EXTENDED_KEY_USAGES.iter().map(|(n, _)| *n)).collect();
    names.sort_unstable();
    names
}

fn extended_key_usage(oid: &[u64]) -> ExtendedKeyUsagePurpose {
    match oid {
        [2, 5, 29, 37, 0] => ExtendedKeyUsagePurpose::Any,
        [1, 3, 6, 1, 5, 5, 7, 3, 1] => ExtendedKeyUsagePurpose::ServerAuth,
        [1, 3, 6, 1, 5, 5, 7, 3, 2] => ExtendedKeyUsagePurpose::ClientAuth,
        [1, 3, 6, 1, 5, 5, 7, 3, 3] => ExtendedKeyUsagePurpose::CodeSigning,
        [1, 3, 6, 1, 5, 5, 7, 3, 4] => ExtendedKeyUsagePurpose::EmailProtection,
        [1, 3, 6, 1, 5, 5, 7, 3, 8] => ExtendedKeyUsagePurpose::TimeStamping,
        [1, 3, 6, 1, 5, 5, 7, 3, 9] => ExtendedKeyUsagePurpose::OcspSigning,
        other => ExtendedKeyUsagePurpose::Other(other.to_vec()),
    }
}

/// The known strings of a list attribute, or a diagnostic naming it; null is empty.
pub fn string_list(value: &Value, name: &str) -> Result<Vec<String>, Diagnostic> {
    let v = attr(value, name);
    if v.is_null() {
        return Ok(Vec::new());
    }
    let Some(items) = v.as_elements() else {
        return Err(invalid(name, "must be a known list of strings"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str().map(str::to_string).ok_or_else(|| invalid(&format!("{name}[{i}]"), "must be a known string"))
        })
        .collect()
}

/// Checks `allowed_uses` (as far as known), naming the element that is wrong.
pub fn check_allowed_uses(config: &Value) -> Result<(), Diagnostic> {
    let v = attr(config, "allowed_uses");
    let names = allowed_use_names();
    for (i, item) in v.as_elements().unwrap_or_default().iter().enumerate() {
        if let Some(name) = item.as_str()
            && !names.contains(&name)
        {
            return Err(invalid(
                &format!("allowed_uses[{i}]"),
                &format!(
                    "is {name:?}, which is not a key usage. Accepted values: {}.{}",
                    names.join(", "),
                    slipway_core::diagnostics::did_you_mean(name, names.iter().copied()),
                ),
            ));
        }
    }
    Ok(())
}

/// `allowed_uses` as key usages and extended key usages, in the order written.
pub fn usages(planned: &Value) -> Result<(Vec<KeyUsagePurpose>, Vec<ExtendedKeyUsagePurpose>), Diagnostic> {
    check_allowed_uses(planned)?;
    let mut key_usages = Vec::new();
    let mut extended = Vec::new();
    for name in string_list(planned, "allowed_uses")? {
        if let Some((_, usage)) = KEY_USAGES.iter().find(|(n, _)| *n == name)
            && !key_usages.contains(usage)
        {
            key_usages.push(*usage);
        }
        if let Some((_, oid)) = EXTENDED_KEY_USAGES.iter().find(|(n, _)| *n == name) {
            let usage = extended_key_usage(oid);
            if !extended.contains(&usage) {
                extended.push(usage);
            }
        }
    }
    Ok((key_usages, extended))
}

/// A string in a name: PrintableString when it can be one, else UTF8String, as Go's asn1 does.
fn dn_value(s: &str) -> DnValue {
    match rcgen::string::PrintableString::try_from(s) {
        Ok(p) => DnValue::PrintableString(p),
        Err(_) => DnValue::Utf8String(s.to_string()),
    }
}

/// The `subject` block as a distinguished name, its parts in the order Go's pkix.Name writes
/// them (C, O, OU, L, ST, STREET, PC, SERIALNUMBER, CN).
pub fn subject(planned: &Value) -> Result<DistinguishedName, Diagnostic> {
    let mut dn = DistinguishedName::new();
    let block = attr(planned, "subject");
    let Some(first) = block.as_elements().and_then(|items| items.first()) else {
        return Ok(dn);
    };
    let text = |name: &str| -> Result<Option<String>, Diagnostic> {
        let v = attr(first, name);
        if v.is_null() {
            return Ok(None);
        }
        v.as_str()
            .map(|s| Some(s.to_string()))
            .ok_or_else(|| invalid(&format!("subject[0].{name}"), "must be a known string"))
    };
    let street = string_list(first, "street_address")
        .map_err(|_| invalid("subject[0].street_address", "must be a known list of strings"))?;
    if street.len() > 1 {
        return Err(invalid(
            "subject[0].street_address",
            "has more than one line; slipway writes one STREET attribute (join the lines with \", \")",
        ));
    }
    let parts: [(DnType, Option<String>); 9] = [
        (DnType::CountryName, text("country")?),
        (DnType::OrganizationName, text("organization")?),
        (DnType::OrganizationalUnitName, text("organizational_unit")?),
        (DnType::LocalityName, text("locality")?),
        (DnType::StateOrProvinceName, text("province")?),
        (DnType::CustomDnType(vec![2, 5, 4, 9]), street.into_iter().next()),
        (DnType::CustomDnType(vec![2, 5, 4, 17]), text("postal_code")?),
        (DnType::CustomDnType(vec![2, 5, 4, 5]), text("serial_number")?),
        (DnType::CommonName, text("common_name")?),
    ];
    for (ty, value) in parts {
        if let Some(value) = value
            && !value.is_empty()
        {
            dn.push(ty, dn_value(&value));
        }
    }
    Ok(dn)
}

/// `dns_names`, `ip_addresses` and `uris` as subject alternative names, in Go's order.
pub fn sans(planned: &Value) -> Result<Vec<SanType>, Diagnostic> {
    let mut out = Vec::new();
    for (i, name) in string_list(planned, "dns_names")?.into_iter().enumerate() {
        let ia5 = rcgen::string::Ia5String::try_from(name.as_str()).map_err(|_| {
            invalid(&format!("dns_names[{i}]"), &format!("is {name:?}, which is not an ASCII DNS name"))
        })?;
        out.push(SanType::DnsName(ia5));
    }
    for (i, text) in string_list(planned, "ip_addresses")?.into_iter().enumerate() {
        let ip: IpAddr = text
            .parse()
            .map_err(|_| invalid(&format!("ip_addresses[{i}]"), &format!("is {text:?}, which is not an IP address")))?;
        out.push(SanType::IpAddress(ip));
    }
    for (i, uri) in string_list(planned, "uris")?.into_iter().enumerate() {
        let valid = uri.split_once(':').is_some_and(|(scheme, _)| {
            scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        });
        let ia5 = rcgen::string::Ia5String::try_from(uri.as_str()).ok().filter(|_| valid).ok_or_else(|| {
            invalid(&format!("uris[{i}]"), &format!("is {uri:?}, which is not an ASCII URI with a scheme"))
        })?;
        out.push(SanType::URI(ia5));
    }
    Ok(out)
}

/// Checks of known values every certificate resource makes at validation.
pub fn check_config(config: &Value) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if let Err(d) = check_allowed_uses(config) {
        out.push(d);
    }
    for name in ["validity_period_hours", "early_renewal_hours"] {
        if let Ok(Some(hours)) = int_attr(config, name)
            && hours < 0
        {
            out.push(invalid(name, &format!("is {hours}; it must be at least 0")));
        }
    }
    if attr(config, "dns_names").is_wholly_known()
        && attr(config, "ip_addresses").is_wholly_known()
        && attr(config, "uris").is_wholly_known()
        && let Err(d) = sans(config)
    {
        out.push(d);
    }
    if attr(config, "subject").is_wholly_known()
        && let Err(d) = subject(config)
    {
        out.push(d);
    }
    out
}

/// The subject key identifier hashicorp/tls writes: SHA-1 over the public key as Go marshals it
/// in `generateSubjectKeyID` (RSA: the PKCS#1 RSAPublicKey; ECDSA: the uncompressed point; both
/// are the SubjectPublicKeyInfo's bit string; Ed25519: the 32 key bytes wrapped in an ASN.1
/// OCTET STRING, a quirk of asn1.Marshal on a byte slice that we keep so key IDs match).
pub fn subject_key_id(key: &impl rcgen::PublicKeyData, algorithm: super::keys::Algorithm) -> Vec<u8> {
    let raw = key.der_bytes();
    let marshalled = match algorithm {
        super::keys::Algorithm::Ed25519 => {
            let mut v = vec![0x04, raw.len() as u8];
            v.extend_from_slice(raw);
            v
        }
        _ => raw.to_vec(),
    };
    sha1::Sha1::digest(&marshalled).to_vec()
}

/// What a new certificate is, beyond its subject and SANs.
pub struct Issue {
    pub validity_hours: i64,
    pub is_ca: bool,
    /// The subject key identifier to write, if any.
    pub subject_key_id: Option<Vec<u8>>,
    /// The authority key identifier to write, if any.
    pub authority_key_id: Option<Vec<u8>>,
}

/// The computed attributes of a new certificate that do not depend on its signature.
pub struct Issued {
    pub params: CertificateParams,
    pub serial: String,
    pub validity_start_time: String,
    pub validity_end_time: String,
}

fn extension(oid: &[u64], critical: bool, content: Vec<u8>) -> CustomExtension {
    let mut ext = CustomExtension::from_oid_content(oid, content);
    ext.set_criticality(critical);
    ext
}

/// DER of an OCTET STRING or [0] IMPLICIT holding a key identifier (20 bytes from SHA-1; at
/// most 64, so that it and the SEQUENCE around it keep one-byte lengths).
fn key_id_der(tag: u8, id: &[u8]) -> Result<Vec<u8>, Diagnostic> {
    let len = u8::try_from(id.len()).ok().filter(|l| *l <= 64).ok_or_else(|| {
        invalid("ca_cert_pem", "has a subject key identifier longer than 64 bytes, which slipway cannot copy")
    })?;
    let mut v = vec![tag, len];
    v.extend_from_slice(id);
    Ok(v)
}

/// The parameters of a new certificate valid from now, with a random serial.
pub fn params(planned: &Value, dn: DistinguishedName, sans: Vec<SanType>, issue: Issue) -> Result<Issued, Diagnostic> {
    let (key_usages, extended_key_usages) = usages(planned)?;
    let now = chrono::Utc::now().timestamp();
    let end = issue
        .validity_hours
        .checked_mul(3600)
        .and_then(|s| now.checked_add(s))
        .filter(|end| *end < 253_402_300_800) // 9999-12-31T23:59:59Z + 1 s: the last time X.509 can say
        .ok_or_else(|| {
            invalid("validity_period_hours", "is too large: the certificate would end after the year 9999")
        })?;
    let to_time = |secs: i64| {
        time::OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|_| invalid("validity_period_hours", "gives a time the certificate cannot hold"))
    };
    let rfc3339 = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };

    let serial = random_bytes(16)?;
    let mut params = CertificateParams::default();
    params.not_before = to_time(now)?;
    params.not_after = to_time(end)?;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params.distinguished_name = dn;
    params.subject_alt_names = sans;
    params.key_usages = key_usages;
    params.extended_key_usages = extended_key_usages;
    // rcgen would add a subject key identifier to every certificate with basic constraints; Go
    // writes one only for CAs and on request, so basic constraints and key identifiers are
    // written here as extensions of their own.
    params.is_ca = rcgen::IsCa::NoCa;
    params.use_authority_key_identifier_extension = false;
    let basic_constraints = if issue.is_ca { vec![0x30, 0x03, 0x01, 0x01, 0xff] } else { vec![0x30, 0x00] };
    params.custom_extensions.push(extension(&[2, 5, 29, 19], true, basic_constraints));
    if let Some(id) = &issue.subject_key_id {
        params.custom_extensions.push(extension(&[2, 5, 29, 14], false, key_id_der(0x04, id)?));
    }
    if let Some(id) = &issue.authority_key_id {
        let inner = key_id_der(0x80, id)?;
        let mut seq = vec![0x30, inner.len() as u8];
        seq.extend(inner);
        params.custom_extensions.push(extension(&[2, 5, 29, 35], false, seq));
    }
    Ok(Issued { params, serial: decimal(&serial), validity_start_time: rfc3339(now), validity_end_time: rfc3339(end) })
}

/// Refresh of a certificate: ready for renewal once now is past `validity_end_time` less
/// `early_renewal_hours` (hashicorp/tls's `modifyStateIfCertificateReadyForRenewal`), so that the
/// next plan replaces it. Nothing else about it lives outside state.
pub fn refresh(prior: Value, now: i64) -> Value {
    let end = attr(&prior, "validity_end_time")
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp());
    let early = int_attr(&prior, "early_renewal_hours").ok().flatten().unwrap_or(0);
    let due = end.is_some_and(|end| now >= end.saturating_sub(early.saturating_mul(3600)));
    if !due || attr(&prior, "ready_for_renewal").as_bool() == Some(true) {
        return prior;
    }
    let Some(entries) = prior.as_entries() else {
        return prior;
    };
    let mut entries = entries.clone();
    entries.insert("ready_for_renewal".to_string(), Value::bool(true));
    Value::object(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(items: &[(&str, Value)]) -> Value {
        Value::object_from(items.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn strings(items: &[&str]) -> Value {
        Value::list(slipway_core::Type::String, items.iter().map(|s| Value::string(*s)).collect())
    }

    #[test]
    fn an_unknown_use_names_its_element_and_suggests() {
        let config = with(&[("allowed_uses", strings(&["digital_signature", "client_auht"]))]);
        let d = check_allowed_uses(&config).expect_err("invalid");
        assert!(d.summary.contains("allowed_uses[1]"), "{}", d.summary);
        assert!(d.detail.contains("Did you mean \"client_auth\"?"), "{}", d.detail);
    }

    #[test]
    fn bad_sans_name_their_element() {
        let d = sans(&with(&[("ip_addresses", strings(&["10.0.0.1", "10.0.0.300"]))])).expect_err("invalid");
        assert!(d.summary.contains("ip_addresses[1]"), "{}", d.summary);
        let d = sans(&with(&[("uris", strings(&["no scheme"]))])).expect_err("invalid");
        assert!(d.summary.contains("uris[0]"), "{}", d.summary);
        let ok = sans(&with(&[("dns_names", strings(&["a.example"])), ("uris", strings(&["spiffe://x/y"]))]));
        assert_eq!(ok.expect("valid").len(), 2);
    }

    #[test]
    fn refresh_marks_renewal_when_due() {
        let state = |end: &str, early: i64| {
            with(&[
                ("validity_end_time", Value::string(end)),
                ("early_renewal_hours", Value::int(early)),
                ("ready_for_renewal", Value::bool(false)),
            ])
        };
        let end = chrono::DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").expect("time").timestamp();
        let ready = |v: &Value| attr(v, "ready_for_renewal").as_bool();
        assert_eq!(ready(&refresh(state("2030-01-01T00:00:00Z", 0), end - 1)), Some(false));
        assert_eq!(ready(&refresh(state("2030-01-01T00:00:00Z", 0), end)), Some(true));
        assert_eq!(ready(&refresh(state("2030-01-01T00:00:00Z", 2), end - 7200)), Some(true));
        assert_eq!(ready(&refresh(state("2030-01-01T00:00:00Z", 2), end - 7201)), Some(false));
    }
}
