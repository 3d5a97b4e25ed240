//! Pieces every provider needs and no provider should write again: attribute access with
//! diagnostics that name the attribute, Terraform's comparison of planned values, sensitive
//! marks from the schema, and the generic plan rule (configuration as written, defaults,
//! computed attributes unknown on create or replace, force-new changes). Pure: no IO.

// The accessors return a `Diagnostic` as their error: large (144 bytes), but errors are the cold
// path and go straight into a response's `Diagnostics`.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::path::AttrPath;
use crate::provider::{PlanRequest, PlanResponse};
use crate::schema::{AttributeSchema, BlockSchema};
use crate::{Data, Type, Value};

/// The attribute `name` of an object, or null when it is absent (a value from an older schema).
pub fn attr(value: &Value, name: &str) -> Value {
    value.get_attr(name).cloned().unwrap_or_else(|| Value::null(Type::Any))
}

/// Whether two values are the same for diffing: both wholly known and equal (nulls of any type
/// are equal, marks are ignored). An unknown may turn out different, so it counts as a change.
pub fn same(a: &Value, b: &Value) -> bool {
    if a.is_null() && b.is_null() {
        return true;
    }
    a.is_wholly_known() && b.is_wholly_known() && a.same_known_value(b)
}

/// Marks every attribute the schema declares sensitive, so that plan and apply agree on marks.
pub fn mark_sensitive(block: &BlockSchema, value: Value) -> Value {
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
pub fn plan_generic(
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
    // Nested blocks as written (resources whose blocks AWS fills in adjust the plan afterwards).
    for name in block.blocks.keys() {
        planned.insert(name.clone(), attr(&request.config, name));
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
        plan_fresh(block, request, defaults, &mut planned);
    }

    PlanResponse {
        planned: Some(mark_sensitive(block, Value::object(planned))),
        requires_replace,
        ..PlanResponse::default()
    }
}

/// Plans `planned` as a new object: computed attributes become unknown, except where the
/// configuration or a default decides them. For a create, and for a replacement, which is a new
/// object: what the provider chose, it chooses again.
pub fn plan_fresh(
    block: &BlockSchema,
    request: &PlanRequest,
    defaults: &BTreeMap<&'static str, Value>,
    planned: &mut BTreeMap<String, Value>,
) {
    for (name, schema) in &block.attributes {
        let decided =
            configurable(schema) && (!attr(&request.config, name).is_null() || defaults.contains_key(name.as_str()));
        if schema.computed && !decided {
            planned.insert(name.clone(), Value::unknown(schema.ty.clone()));
        }
    }
}

/// Error for a type name the provider does not have.
pub fn unknown_type(type_name: &str) -> Diagnostic {
    Diagnostic::error("Unsupported resource type", format!("This provider has no resource type {type_name:?}."))
}

/// A known string attribute, or a diagnostic naming it.
pub fn string_attr(value: &Value, name: &str) -> Result<Option<String>, Diagnostic> {
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
pub fn int_attr(value: &Value, name: &str) -> Result<Option<i64>, Diagnostic> {
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
pub fn bool_attr(value: &Value, name: &str) -> Result<Option<bool>, Diagnostic> {
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
