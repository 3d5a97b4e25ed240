//! What every built-in resource shares: the generic plan rule (config as written, defaults,
//! computed attributes unknown on create or replace, force-new diffs), attribute access with
//! diagnostics that name the attribute, and a random source.

use std::collections::BTreeMap;

use slipway_core::diagnostics::{Diagnostic, Diagnostics};
use slipway_core::path::AttrPath;
use slipway_core::provider::{PlanRequest, PlanResponse};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Data, Type, Value};

/// The attribute `name` of an object, or null when it is absent (a value from an older schema).
pub(crate) fn attr(value: &Value, name: &str) -> Value {
    value.get_attr(name).cloned().unwrap_or_else(|| Value::null(Type::Any))
}

/// Whether two values are the same for diffing: both wholly known and equal (nulls of any type
/// are equal, marks are ignored). An unknown may turn out different, so it counts as a change.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    if a.is_null() && b.is_null() {
        return true;
    }
    a.is_wholly_known() && b.is_wholly_known() && a.same_known_value(b)
}

/// Marks every attribute the schema declares sensitive, so that plan and apply agree on marks.
pub(crate) fn mark_sensitive(block: &BlockSchema, value: Value) -> Value {
    let Data::Object(mut attrs) = value.into_data() else {
        return Value::null(block.value_type());
    };
    for (name, schema) in &block.attributes {
        if schema.sensitive
            && let Some(v) = std::sync::Arc::make_mut(&mut attrs).remove(name)
        {
            std::sync::Arc::make_mut(&mut attrs).insert(name.clone(), v.mark_sensitive());
        }
    }
    Value::from_data(Data::Object(attrs))
}

/// Whether an attribute is one the configuration may set.
fn configurable(schema: &AttributeSchema) -> bool {
    schema.required || schema.optional
}

/// Terraform's plan for resources whose computed attributes come only from apply:
/// - a configured attribute is planned as written;
/// - an unset attribute with a static default takes the default (as the framework's `Default`
///   does, so removing an explicit setting plans the default back, not the old value);
/// - an unset optional+computed attribute keeps its prior value, or is unknown on create;
/// - a force-new attribute whose planned value differs from the prior one requires replacement;
/// - computed-only attributes are unknown on create and replace, and keep the prior value on an
///   in-place update (resources that recompute something on update adjust the plan afterwards).
pub(crate) fn plan_generic(
    block: &BlockSchema,
    request: &PlanRequest,
    defaults: &BTreeMap<&'static str, Value>,
) -> PlanResponse {
    let mut planned = BTreeMap::new();
    for (name, schema) in &block.attributes {
        let configured = attr(&request.config, name);
        let prior = request.prior.as_ref().map(|p| attr(p, name));
        let value = if configurable(schema) && !configured.is_null() {
            configured
        } else if let Some(default) = defaults.get(name.as_str()) {
            default.clone()
        } else if schema.computed {
            prior.unwrap_or_else(|| Value::unknown(schema.ty.clone()))
        } else {
            Value::null(schema.ty.clone())
        };
        planned.insert(name.clone(), value);
    }

    let mut requires_replace = Vec::new();
    if let Some(prior) = &request.prior {
        for (name, schema) in &block.attributes {
            let planned_value = planned.get(name).cloned().unwrap_or_else(|| Value::null(Type::Any));
            if schema.force_new && configurable(schema) && !same(&attr(prior, name), &planned_value) {
                requires_replace.push(AttrPath::attr(name.clone()));
            }
        }
    }

    if request.prior.is_none() || !requires_replace.is_empty() {
        for (name, schema) in &block.attributes {
            if schema.computed && !configurable(schema) {
                planned.insert(name.clone(), Value::unknown(schema.ty.clone()));
            } else if schema.computed && attr(&request.config, name).is_null() && !defaults.contains_key(name.as_str())
            {
                // A replacement is a new object: what the provider chooses, it chooses again.
                planned.insert(name.clone(), Value::unknown(schema.ty.clone()));
            }
        }
    }

    PlanResponse {
        planned: Some(mark_sensitive(block, Value::object(planned))),
        requires_replace,
        planned_private: Vec::new(),
        diagnostics: Diagnostics::new(),
    }
}

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

/// Error for a type name the provider does not have.
pub(crate) fn unknown_type(type_name: &str) -> Diagnostic {
    Diagnostic::error("Unsupported resource type", format!("This provider has no resource type {type_name:?}."))
}

/// A known string attribute, or a diagnostic naming it.
pub(crate) fn string_attr(value: &Value, name: &str) -> Result<Option<String>, Diagnostic> {
    let v = attr(value, name);
    if v.is_null() {
        return Ok(None);
    }
    match v.as_str() {
        Some(s) => Ok(Some(s.to_string())),
        None if !v.is_known() => Err(Diagnostic::error(
            format!("Unknown value for {name:?}"),
            format!("The attribute {name:?} must be known when the change is applied."),
        )),
        None => Err(Diagnostic::error(
            format!("Invalid value for {name:?}"),
            format!("The attribute {name:?} must be a string, not {:?}.", v.ty()),
        )),
    }
}

/// A known whole number attribute, or a diagnostic naming it.
pub(crate) fn int_attr(value: &Value, name: &str) -> Result<Option<i64>, Diagnostic> {
    let v = attr(value, name);
    if v.is_null() {
        return Ok(None);
    }
    if !v.is_known() {
        return Err(Diagnostic::error(
            format!("Unknown value for {name:?}"),
            format!("The attribute {name:?} must be known when the change is applied."),
        ));
    }
    match v.as_number().and_then(|n| n.to_i64()) {
        Some(i) => Ok(Some(i)),
        None => Err(Diagnostic::error(
            format!("Invalid value for {name:?}"),
            format!("The attribute {name:?} must be a whole number that fits in 64 bits."),
        )),
    }
}

/// A known bool attribute (null when unset), or a diagnostic naming it.
pub(crate) fn bool_attr(value: &Value, name: &str) -> Result<Option<bool>, Diagnostic> {
    let v = attr(value, name);
    if v.is_null() {
        return Ok(None);
    }
    match v.as_bool() {
        Some(b) => Ok(Some(b)),
        None => Err(Diagnostic::error(
            format!("Invalid value for {name:?}"),
            format!("The attribute {name:?} must be a known bool."),
        )),
    }
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
    use slipway_core::address::{ModuleInstance, ResourceAddr, ResourceInstanceAddr};
    use slipway_core::provider::{ApplyRequest, ApplyResponse, Provider, ReadBatchRequest, ReadInstance};

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
