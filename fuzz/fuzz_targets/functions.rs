//! Calls a built-in function, chosen by index from the sorted function names, with structured
//! arbitrary arguments (nulls, unknowns, numbers, strings, tuples, objects, sensitive values),
//! through the shared calling convention: no call may panic.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use slipway_core::{Number, Type, Value};
use slipway_lang::functions::{self, FunctionContext};

#[derive(Arbitrary, Debug)]
enum Arg {
    Null,
    Unknown,
    Bool(bool),
    Int(i64),
    /// A decimal as text, such as `1e400` or `-0.5`.
    Number(String),
    SmallInt(u8),
    String(String),
    Json(String),
    Tuple(Vec<Arg>),
    List(Vec<Arg>),
    Object(Vec<(String, Arg)>),
    Sensitive(Box<Arg>),
}

impl Arg {
    fn value(&self) -> Value {
        match self {
            Arg::Null => Value::null(Type::Any),
            Arg::Unknown => Value::unknown(Type::Any),
            Arg::Bool(b) => Value::bool(*b),
            Arg::Int(i) => Value::int(*i),
            Arg::Number(text) => Number::parse(text).map_or_else(|| Value::string(text.as_str()), Value::number),
            Arg::SmallInt(i) => Value::int(i64::from(*i)),
            Arg::String(s) => Value::string(s.as_str()),
            Arg::Json(text) => match serde_json::from_str::<serde_json::Value>(text) {
                Ok(json) => slipway_core::json::from_json(&json),
                Err(_) => Value::string(text.as_str()),
            },
            Arg::Tuple(items) => Value::tuple(items.iter().map(Arg::value).collect()),
            Arg::List(items) => {
                let items: Vec<Value> = items.iter().map(Arg::value).collect();
                Value::list_of(items.clone()).unwrap_or_else(|| Value::tuple(items))
            }
            Arg::Object(attrs) => {
                Value::object(attrs.iter().map(|(k, v)| (k.clone(), v.value())).collect::<BTreeMap<_, _>>())
            }
            Arg::Sensitive(inner) => inner.value().mark_sensitive(),
        }
    }
}

#[derive(Arbitrary, Debug)]
struct Input {
    function: u16,
    args: Vec<Arg>,
}

fuzz_target!(|input: Input| {
    let names = functions::names();
    let Some(function) = names.get(usize::from(input.function) % names.len()).and_then(|n| functions::lookup(n)) else {
        return;
    };
    let fs = slipway_fuzz::MemFs;
    let dir = Path::new(slipway_fuzz::MODULE_DIR);
    let ctx = FunctionContext { module_dir: dir, working_dir: dir, fs: &fs, impure_unknown: false, templates: None };
    let args = input.args.iter().take(6).map(Arg::value).collect();
    if let Ok(result) = functions::call(function, args, &ctx) {
        let _ = slipway_core::render::render_value(&result, slipway_core::render::Redaction::Redact);
    }
});
