//! Snapshot tests of the plan renderers, on plans built by hand: the human text (with colour
//! codes made visible where colour is on) and the JSON document.

mod human;
mod json;

use std::collections::BTreeMap;

use slipway_core::address::ResourceInstanceAddr;
use slipway_core::path::AttrPath;
use slipway_core::{Type, Value};
use slipway_engine::plan::{Action, ActionReason, OutputChange, Plan, ResourceChange};

pub fn s(text: &str) -> Value {
    Value::string(text)
}

pub fn n(v: i64) -> Value {
    Value::int(v)
}

pub fn unknown() -> Value {
    Value::unknown(Type::String)
}

pub fn secret(text: &str) -> Value {
    Value::string(text).mark_sensitive()
}

pub fn obj<const N: usize>(attrs: [(&str, Value); N]) -> Value {
    Value::object_from(attrs)
}

pub fn strings(items: &[&str]) -> Value {
    Value::list(Type::String, items.iter().map(|i| s(i)).collect())
}

pub fn string_set(items: &[&str]) -> Value {
    Value::set(Type::String, items.iter().map(|i| s(i)).collect())
}

pub fn string_map<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::map(Type::String, entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>())
}

/// A list of objects of one type: nested blocks when no schema says otherwise.
pub fn blocks(items: Vec<Value>) -> Value {
    let elem = items.first().map_or_else(Type::empty_object, Value::ty);
    Value::list(elem, items)
}

pub fn block_set(items: Vec<Value>) -> Value {
    let elem = items.first().map_or_else(Type::empty_object, Value::ty);
    Value::set(elem, items)
}

pub fn addr(text: &str) -> ResourceInstanceAddr {
    text.parse().expect("address")
}

pub fn change(address: &str, action: Action, before: Option<Value>, after: Option<Value>) -> ResourceChange {
    let addr = addr(address);
    ResourceChange {
        provider: slipway_core::address::ProviderConfigAddr::root(addr.resource.implied_provider()),
        addr,
        prev_addr: None,
        action,
        reason: ActionReason::None,
        before,
        after,
        requires_replace: Vec::new(),
        config: None,
        private: Vec::new(),
        dependencies: Vec::new(),
        create_before_destroy: false,
        schema_version: 0,
        importing: None,
        notes: Vec::new(),
    }
}

pub fn with_reason(mut change: ResourceChange, reason: ActionReason) -> ResourceChange {
    change.reason = reason;
    change
}

pub fn forcing(mut change: ResourceChange, attrs: &[&str]) -> ResourceChange {
    change.requires_replace = attrs.iter().map(|a| AttrPath::attr(*a)).collect();
    change
}

pub fn plan(changes: Vec<ResourceChange>) -> Plan {
    Plan { changes, ..Plan::default() }
}

pub fn output(before: Option<Value>, after: Option<Value>, sensitive: bool) -> OutputChange {
    OutputChange { before, after, sensitive }
}

/// A typical instance as it exists.
pub fn instance(instance_type: &str, name: &str) -> Value {
    obj([
        ("ami", s("ami-0c55b159cbfafe1f0")),
        ("arn", s("arn:aws:ec2:us-east-1:123456789012:instance/i-0abc")),
        ("associate_public_ip_address", Value::bool(true)),
        ("cpu_core_count", n(1)),
        ("id", s("i-0abc")),
        ("instance_type", s(instance_type)),
        ("monitoring", Value::bool(false)),
        ("private_ip", s("10.0.1.12")),
        ("subnet_id", s("subnet-0123")),
        ("tags", string_map([("Name", s(name)), ("Team", s("platform"))])),
        ("user_data", Value::null(Type::String)),
        ("root_block_device", blocks(vec![obj([("volume_size", n(8)), ("volume_type", s("gp3"))])])),
    ])
}
