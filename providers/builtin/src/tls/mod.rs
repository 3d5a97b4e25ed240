//! The `tls` provider (hashicorp/tls 4.x): tls_private_key, tls_self_signed_cert,
//! tls_cert_request and tls_locally_signed_cert, on rcgen and aws-lc-rs. Keys and certificates
//! are made at apply and live only in state; every argument forces a new one, as in
//! hashicorp/tls, and a refresh past a certificate's renewal time marks it for replacement.

use std::collections::BTreeMap;

use async_trait::async_trait;
use slipway_core::diagnostics::{Diagnostic, Diagnostics};
use slipway_core::path::AttrPath;
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, Provider, ReadBatchRequest, ReadBatchResponse,
    ValidateRequest, ValidateResponse,
};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting, ProviderSchema, ResourceSchema};
use slipway_core::{Data, Type, Value};

use crate::common::{attr, mark_sensitive, plan_fresh, plan_generic, same, unknown_type};

mod cert;
mod cert_request;
pub mod keys;
mod locally_signed_cert;
mod private_key;
mod self_signed_cert;

pub const PRIVATE_KEY: &str = "tls_private_key";
pub const SELF_SIGNED_CERT: &str = "tls_self_signed_cert";
pub const CERT_REQUEST: &str = "tls_cert_request";
pub const LOCALLY_SIGNED_CERT: &str = "tls_locally_signed_cert";

/// An error about one attribute, the path first so that it reads as where to look
/// (`allowed_uses[1]`, `subject[0].common_name`).
pub(crate) fn invalid(path: &str, problem: &str) -> Diagnostic {
    let end = if problem.ends_with(['.', '?', '!']) { "" } else { "." };
    Diagnostic::error(format!("Invalid value for {path}"), format!("{path} {problem}{end}"))
        .with_attribute(attr_path(path))
}

/// `subject[0].common_name` as an attribute path, for the engine to find in the source.
fn attr_path(text: &str) -> AttrPath {
    let mut path = AttrPath::root();
    for part in text.split('.') {
        let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, rest)| (n, rest));
        path = path.then_attr(name);
        for index in indexes.split('[').filter_map(|i| i.trim_end_matches(']').parse::<usize>().ok()) {
            path = path.then_index(index);
        }
    }
    path
}

/// A known string attribute the resource cannot work without.
pub(crate) fn required_string(value: &Value, name: &str) -> Result<String, Diagnostic> {
    match attr(value, name).as_str() {
        Some(s) => Ok(s.to_string()),
        None => Err(invalid(name, "must be a known string when the change is applied")),
    }
}

/// The private key in attribute `name`, ready to sign, and its algorithm.
pub(crate) fn signing_key(value: &Value, name: &str) -> Result<(rcgen::KeyPair, keys::Algorithm), Diagnostic> {
    keys::parse_private_key(&required_string(value, name)?)
        .map_err(|e| invalid(name, &format!("is not a private key slipway can sign with: {e}")))
}

/// At validation: the private key in attribute `name`, when known, is one slipway can sign with.
pub(crate) fn check_signing_key(config: &Value, name: &str, out: &mut Vec<Diagnostic>) {
    if attr(config, name).is_known()
        && !attr(config, name).is_null()
        && let Err(d) = signing_key(config, name)
    {
        out.push(d);
    }
}

pub struct TlsProvider {
    schema: ProviderSchema,
}

impl Default for TlsProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// The `subject` block of hashicorp/tls: at most one, every name optional.
fn subject_block() -> BlockSchema {
    let mut block = BlockSchema::new();
    for (name, dn) in [
        ("common_name", "CN"),
        ("organization", "O"),
        ("organizational_unit", "OU"),
        ("locality", "L"),
        ("province", "ST"),
        ("country", "C"),
        ("postal_code", "PC"),
        ("serial_number", "SERIALNUMBER"),
    ] {
        block = block.attribute(
            name,
            AttributeSchema::optional(Type::String).force_new().describe(format!("Distinguished name: {dn}.")),
        );
    }
    block.attribute(
        "street_address",
        AttributeSchema::optional(Type::list(Type::String)).force_new().describe("Distinguished name: STREET."),
    )
}

pub(crate) fn with_subject(block: BlockSchema) -> BlockSchema {
    let mut block = block.block("subject", Nesting::List, subject_block());
    if let Some(b) = block.blocks.get_mut("subject") {
        b.max_items = 1;
        b.force_new = true;
    }
    block
}

pub(crate) fn sans(block: BlockSchema) -> BlockSchema {
    block
        .attribute("dns_names", AttributeSchema::optional(Type::list(Type::String)).force_new())
        .attribute("ip_addresses", AttributeSchema::optional(Type::list(Type::String)).force_new())
        .attribute("uris", AttributeSchema::optional(Type::list(Type::String)).force_new())
}

/// The attributes of every certificate that slipway signs.
pub(crate) fn certificate_attributes(block: BlockSchema) -> BlockSchema {
    block
        .attribute(
            "validity_period_hours",
            AttributeSchema::required(Type::Number)
                .force_new()
                .describe("Hours, from issuing, that the certificate is valid for."),
        )
        .attribute(
            "allowed_uses",
            AttributeSchema::required(Type::list(Type::String))
                .force_new()
                .describe("Key usages and extended key usages: digital_signature, cert_signing, server_auth, ..."),
        )
        .attribute(
            "early_renewal_hours",
            AttributeSchema::optional_computed(Type::Number)
                .force_new()
                .describe("Replace the certificate this many hours before it expires (default 0)."),
        )
        .attribute("is_ca_certificate", AttributeSchema::optional_computed(Type::Bool).force_new())
        .attribute("set_subject_key_id", AttributeSchema::optional_computed(Type::Bool).force_new())
        .attribute("cert_pem", AttributeSchema::computed(Type::String).describe("The certificate, PEM."))
        .attribute("validity_start_time", AttributeSchema::computed(Type::String))
        .attribute("validity_end_time", AttributeSchema::computed(Type::String))
        .attribute(
            "ready_for_renewal",
            AttributeSchema::computed(Type::Bool).describe("Whether it is expired or within early_renewal_hours."),
        )
        .attribute("id", AttributeSchema::computed(Type::String).describe("The certificate's serial number."))
}

impl TlsProvider {
    pub fn new() -> Self {
        let mut schema = ProviderSchema::default();
        for (name, block) in [
            (PRIVATE_KEY, private_key::schema()),
            (SELF_SIGNED_CERT, self_signed_cert::schema()),
            (CERT_REQUEST, cert_request::schema()),
            (LOCALLY_SIGNED_CERT, locally_signed_cert::schema()),
        ] {
            schema.resources.insert(name.to_string(), ResourceSchema { version: 0, block });
        }
        TlsProvider { schema }
    }

    fn block(&self, type_name: &str) -> Option<&BlockSchema> {
        self.schema.resources.get(type_name).map(|r| &r.block)
    }
}

fn defaults(type_name: &str) -> BTreeMap<&'static str, Value> {
    match type_name {
        PRIVATE_KEY => BTreeMap::from([("rsa_bits", Value::int(2048)), ("ecdsa_curve", Value::string("P224"))]),
        SELF_SIGNED_CERT | LOCALLY_SIGNED_CERT => {
            let mut d = BTreeMap::from([
                ("early_renewal_hours", Value::int(0)),
                ("is_ca_certificate", Value::bool(false)),
                ("set_subject_key_id", Value::bool(false)),
                ("ready_for_renewal", Value::bool(false)),
            ]);
            if type_name == SELF_SIGNED_CERT {
                d.insert("set_authority_key_id", Value::bool(false));
            }
            d
        }
        _ => BTreeMap::new(),
    }
}

fn is_certificate(type_name: &str) -> bool {
    type_name == SELF_SIGNED_CERT || type_name == LOCALLY_SIGNED_CERT
}

/// The computed attributes of one new object, by name, and any warnings about it.
pub(crate) struct Created {
    pub values: BTreeMap<&'static str, Value>,
    pub warnings: Vec<Diagnostic>,
}

impl From<BTreeMap<&'static str, Value>> for Created {
    fn from(values: BTreeMap<&'static str, Value>) -> Self {
        Created { values, warnings: Vec::new() }
    }
}

fn create(type_name: &str, planned: &Value) -> Result<Created, Diagnostic> {
    match type_name {
        PRIVATE_KEY => private_key::create(planned).map(Created::from),
        SELF_SIGNED_CERT => self_signed_cert::create(planned).map(Created::from),
        CERT_REQUEST => cert_request::create(planned).map(Created::from),
        LOCALLY_SIGNED_CERT => locally_signed_cert::create(planned),
        other => Err(unknown_type(other)),
    }
}

/// The planned value with its unknowns filled from `values`; nested blocks kept as planned.
fn fill(block: &BlockSchema, planned: &Value, values: &BTreeMap<&'static str, Value>) -> Value {
    let mut out = planned.as_entries().cloned().unwrap_or_default();
    for (name, schema) in &block.attributes {
        let v = attr(planned, name);
        if !v.is_known() {
            out.insert(
                name.clone(),
                values.get(name.as_str()).cloned().unwrap_or_else(|| Value::null(schema.ty.clone())),
            );
        }
    }
    mark_sensitive(block, Value::object(out))
}

#[async_trait]
impl Provider for TlsProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate(&self, request: ValidateRequest) -> ValidateResponse {
        let found = match request.type_name.as_str() {
            PRIVATE_KEY => private_key::validate(&request.config),
            SELF_SIGNED_CERT => self_signed_cert::validate(&request.config),
            CERT_REQUEST => cert_request::validate(&request.config),
            LOCALLY_SIGNED_CERT => locally_signed_cert::validate(&request.config),
            _ => Vec::new(),
        };
        ValidateResponse { diagnostics: found.into_iter().collect() }
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        let Some(block) = self.block(&request.type_name) else {
            return PlanResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        let defaults = defaults(&request.type_name);
        let mut response = plan_generic(block, &request, &defaults);
        let Some(Data::Object(planned)) = response.planned.take().map(Value::into_data) else {
            return response;
        };
        let mut planned = (*planned).clone();
        // plan_generic compares attributes only: a changed `subject` replaces the object too,
        // and so does a certificate that refresh found ready for renewal (hashicorp/tls's
        // ModifyPlan).
        if let Some(prior) = &request.prior {
            let mut more = Vec::new();
            if block.blocks.contains_key("subject") && !same(&attr(prior, "subject"), &attr(&request.config, "subject"))
            {
                more.push(AttrPath::attr("subject"));
            }
            if is_certificate(&request.type_name) && attr(prior, "ready_for_renewal").as_bool() == Some(true) {
                more.push(AttrPath::attr("ready_for_renewal"));
            }
            if !more.is_empty() {
                if response.requires_replace.is_empty() {
                    plan_fresh(block, &request, &defaults, &mut planned);
                }
                response.requires_replace.extend(more);
            }
        }
        // A new certificate starts not ready for renewal (hashicorp/tls's default), not unknown.
        if is_certificate(&request.type_name) && planned.get("ready_for_renewal").is_some_and(|v| !v.is_known()) {
            planned.insert("ready_for_renewal".to_string(), Value::bool(false));
        }
        response.planned = Some(mark_sensitive(block, Value::object(planned)));
        response
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let Some(block) = self.block(&request.type_name) else {
            return ApplyResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        let Some(planned) = request.planned else {
            // Delete: nothing exists outside state.
            return ApplyResponse::default();
        };
        if planned.is_wholly_known() {
            // Every argument forces replacement, so a plan without unknowns changes nothing.
            return ApplyResponse { new_state: Some(mark_sensitive(block, planned)), ..Default::default() };
        }
        // Key generation (RSA 4096 takes seconds) and signing are CPU work: off the runtime's
        // workers, so that other operations of the apply go on meanwhile.
        let type_name = request.type_name.clone();
        let input = planned.clone();
        let created = tokio::task::spawn_blocking(move || create(&type_name, &input)).await.unwrap_or_else(|e| {
            Err(Diagnostic::error("Key or certificate generation failed", format!("The worker stopped: {e}.")))
        });
        match created {
            Ok(created) => ApplyResponse {
                new_state: Some(fill(block, &planned, &created.values)),
                diagnostics: created.warnings.into_iter().collect(),
                ..Default::default()
            },
            Err(d) => ApplyResponse { new_state: request.prior, diagnostics: d.into(), ..Default::default() },
        }
    }

    /// Nothing exists outside state; a certificate past its renewal time is marked for
    /// replacement.
    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse {
        let now = chrono::Utc::now().timestamp();
        let renews = is_certificate(&request.type_name);
        ReadBatchResponse {
            current: request
                .instances
                .into_iter()
                .map(|i| Some(if renews { cert::refresh(i.prior, now) } else { i.prior }))
                .collect(),
            diagnostics: Diagnostics::new(),
        }
    }
}

#[cfg(test)]
mod tests;
