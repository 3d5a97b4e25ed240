//! What the built-in resources share beyond `slipway_core::provider_kit`: filling unknowns,
//! refreshes of state-only resources, a random source and number formats, and the test helpers
//! that stand in for the engine.

use std::collections::BTreeMap;

use slipway_core::Value;
use slipway_core::diagnostics::Diagnostic;
use slipway_core::schema::BlockSchema;

pub(crate) use slipway_core::provider_kit::*;

/// The refresh of resources that exist only in state (null, terraform_data, random_*): the prior
/// value is the current one.
pub(crate) fn prior_is_current(
    request: slipway_core::provider::ReadBatchRequest,
) -> slipway_core::provider::ReadBatchResponse {
    slipway_core::provider::ReadBatchResponse {
        current: request.instances.into_iter().map(|i| Some(i.prior)).collect(),
        ..Default::default()
    }
}

/// The planned value with every unknown attribute replaced by what `fill` computes for it.
pub(crate) fn fill_unknowns(block: &BlockSchema, planned: &Value, mut fill: impl FnMut(&str) -> Value) -> Value {
    let mut attrs = BTreeMap::new();
    for name in block.attributes.keys() {
        let v = attr(planned, name);
        let v = if v.is_known() { v } else { fill(name) };
        attrs.insert(name.clone(), v);
    }
    mark_sensitive(block, Value::object(attrs))
}

/// `len` bytes from the operating system's random source.
pub(crate) fn random_bytes(len: usize) -> Result<Vec<u8>, Diagnostic> {
    let mut buf = vec![0u8; len];
    getrandom::fill(&mut buf).map_err(|e| {
        Diagnostic::error("Cannot read random bytes", format!("The operating system's random source failed: {e}."))
    })?;
    Ok(buf)
}

/// A uniformly random index below `bound` (rejection sampling, so no modulo bias).
pub(crate) fn random_below(bound: u64) -> Result<u64, Diagnostic> {
    if bound <= 1 {
        return Ok(0);
    }
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let r = getrandom::u64().map_err(|e| {
            Diagnostic::error("Cannot read random bytes", format!("The operating system's random source failed: {e}."))
        })?;
        if r < zone {
            return Ok(r % bound);
        }
    }
}

/// Lowercase hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The unsigned big-endian integer `bytes` in decimal (random_id's `dec`), without a bignum crate.
pub(crate) fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = vec![0]; // little-endian base-10 digits
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    while digits.len() > 1 && digits.last() == Some(&0) {
        digits.pop();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers that stand in for the engine in the lifecycle tests.

    use super::*;
    use slipway_core::InstanceKey;
    use slipway_core::Type;
    use slipway_core::address::{ModuleInstance, ResourceAddr, ResourceInstanceAddr};
    use slipway_core::provider::{ApplyRequest, ApplyResponse, Provider, ReadBatchRequest, ReadInstance};
    use slipway_core::provider::{PlanRequest, PlanResponse};

    pub fn address(type_name: &str) -> ResourceInstanceAddr {
        ResourceInstanceAddr::new(ModuleInstance::root(), ResourceAddr::managed(type_name, "test"), InstanceKey::None)
    }

    /// A configuration object with every schema attribute, unset ones null.
    pub fn config(provider: &dyn Provider, type_name: &str, set: &[(&str, Value)]) -> Value {
        let block = &provider.schema().resources[type_name].block;
        let mut attrs: BTreeMap<String, Value> =
            block.attributes.iter().map(|(k, a)| (k.clone(), Value::null(a.ty.clone()))).collect();
        for (k, v) in set {
            assert!(attrs.contains_key(*k), "no attribute {k}");
            attrs.insert((*k).to_string(), v.clone());
        }
        Value::object(attrs)
    }

    /// The engine's proposed value: config, with prior values for unset computed attributes.
    pub fn proposed(provider: &dyn Provider, type_name: &str, prior: Option<&Value>, config: &Value) -> Value {
        let block = &provider.schema().resources[type_name].block;
        let mut attrs = BTreeMap::new();
        for (name, schema) in &block.attributes {
            let c = attr(config, name);
            let v = match prior {
                Some(p) if schema.computed && c.is_null() => attr(p, name),
                _ => c,
            };
            attrs.insert(name.clone(), v);
        }
        Value::object(attrs)
    }

    pub fn plan(provider: &dyn Provider, type_name: &str, prior: Option<&Value>, config: &Value) -> PlanResponse {
        let validated = provider.validate(slipway_core::provider::ValidateRequest {
            mode: slipway_core::address::ResourceMode::Managed,
            type_name: type_name.to_string(),
            config: config.clone(),
        });
        assert!(!validated.diagnostics.has_errors(), "{:?}", validated.diagnostics);
        let response = provider.plan(PlanRequest {
            address: address(type_name),
            type_name: type_name.to_string(),
            prior: prior.cloned(),
            proposed: proposed(provider, type_name, prior, config),
            config: config.clone(),
            prior_private: Vec::new(),
        });
        assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
        response
    }

    pub async fn apply(
        provider: &dyn Provider,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<Value>,
        config: Option<&Value>,
    ) -> ApplyResponse {
        let response = provider
            .apply(ApplyRequest {
                address: address(type_name),
                type_name: type_name.to_string(),
                prior: prior.cloned(),
                planned,
                config: config.cloned(),
                planned_private: Vec::new(),
                owner: String::new(),
            })
            .await;
        assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
        if let Some(state) = &response.new_state {
            assert!(state.is_wholly_known(), "state has unknowns: {state:?}");
        }
        response
    }

    pub async fn read(provider: &dyn Provider, type_name: &str, prior: &Value) -> Option<Value> {
        let response = provider
            .read_batch(ReadBatchRequest {
                type_name: type_name.to_string(),
                instances: vec![ReadInstance {
                    address: address(type_name),
                    prior: prior.clone(),
                    private: Vec::new(),
                }],
            })
            .await;
        assert!(!response.diagnostics.has_errors(), "{:?}", response.diagnostics);
        assert_eq!(response.current.len(), 1);
        response.current.into_iter().next().flatten()
    }

    /// Whether a plan changes nothing: planned equals prior and nothing is replaced.
    pub fn is_no_op(response: &PlanResponse, prior: &Value) -> bool {
        response.requires_replace.is_empty() && response.planned.as_ref().is_some_and(|p| same(p, prior))
    }

    pub fn get_str(value: &Value, name: &str) -> String {
        attr(value, name).as_str().map(str::to_string).unwrap_or_default()
    }

    pub fn strings(items: &[(&str, &str)]) -> Value {
        Value::map(Type::String, items.iter().map(|(k, v)| ((*k).to_string(), Value::string(*v))).collect())
    }

    #[test]
    fn decimal_and_hex_of_bytes() {
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), u64::MAX.to_string());
        assert_eq!(decimal(&[]), "0");
        assert_eq!(hex(&[0x0a, 0xff]), "0aff");
    }

    #[test]
    fn random_below_stays_in_range() {
        for _ in 0..100 {
            assert!(random_below(7).expect("random") < 7);
        }
    }
}
