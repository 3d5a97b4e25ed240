//! The state file format: versioned JSON, resources grouped with their instances, addresses in
//! their printed form. Serialization is deterministic (sorted), so a state that did not change is
//! byte-identical when written again.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use slipway_core::address::{
    AbsResourceAddr, InstanceKey, ModuleInstance, ResourceAddr, ResourceInstanceAddr, ResourceMode, Target,
};
use slipway_core::json::{type_from_json, type_to_json};

use super::{InstanceObject, InstanceStatus, OutputState, State};

/// The version of the state format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the state is not valid JSON in slipway's state format: {0}")]
    Parse(String),
    #[error(
        "the state was written in format version {found}, but this slipway reads version {FORMAT_VERSION}; upgrade slipway"
    )]
    UnsupportedVersion { found: u32 },
    #[error("the state holds an invalid address {address:?}: {reason}")]
    Address { address: String, reason: String },
    #[error(
        "the state is encrypted, but no encryption is configured for it. Add the terraform {{ encryption {{ ... }} }} block (and the passphrase or key) it was written with."
    )]
    Encrypted,
}

#[derive(Serialize, Deserialize)]
struct StateDoc {
    format_version: u32,
    slipway_version: String,
    lineage: String,
    serial: u64,
    #[serde(default)]
    outputs: BTreeMap<String, OutputDoc>,
    #[serde(default)]
    resources: Vec<ResourceDoc>,
}

#[derive(Serialize, Deserialize)]
struct OutputDoc {
    value: serde_json::Value,
    #[serde(rename = "type")]
    ty: serde_json::Value,
    #[serde(default, skip_serializing_if = "is_false")]
    sensitive: bool,
}

#[derive(Serialize, Deserialize)]
struct ResourceDoc {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    module: String,
    mode: ResourceMode,
    #[serde(rename = "type")]
    type_name: String,
    name: String,
    provider: String,
    instances: Vec<InstanceDoc>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct InstanceDoc {
    #[serde(default, skip_serializing_if = "is_no_key")]
    index_key: InstanceKey,
    #[serde(default)]
    schema_version: u64,
    attributes: serde_json::Value,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sensitive_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    private: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    create_before_destroy: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    tainted: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_no_key(k: &InstanceKey) -> bool {
    *k == InstanceKey::None
}

impl State {
    /// The state as its file stores it.
    pub fn to_json(&self) -> Vec<u8> {
        let mut resources: Vec<ResourceDoc> = Vec::new();
        for (addr, object) in &self.instances {
            let module = addr.module.to_string();
            let same_resource = resources.last().is_some_and(|r| {
                r.module == module
                    && r.mode == addr.resource.mode
                    && r.type_name == addr.resource.type_name
                    && r.name == addr.resource.name
            });
            if !same_resource {
                resources.push(ResourceDoc {
                    module,
                    mode: addr.resource.mode,
                    type_name: addr.resource.type_name.clone(),
                    name: addr.resource.name.clone(),
                    provider: object.provider.to_string(),
                    instances: Vec::new(),
                });
            }
            if let Some(resource) = resources.last_mut() {
                resource.instances.push(instance_doc(&addr.key, object));
            }
        }
        let doc = StateDoc {
            format_version: FORMAT_VERSION,
            slipway_version: env!("CARGO_PKG_VERSION").to_string(),
            lineage: self.lineage.clone(),
            serial: self.serial,
            outputs: self
                .outputs
                .iter()
                .map(|(k, o)| {
                    (k.clone(), OutputDoc { value: o.value.clone(), ty: type_to_json(&o.ty), sensitive: o.sensitive })
                })
                .collect(),
            resources,
        };
        let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }

    /// Reads a state file.
    pub fn from_json(bytes: &[u8]) -> Result<State, StateError> {
        if crate::encryption::is_encrypted(bytes) {
            return Err(StateError::Encrypted);
        }
        let version: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| StateError::Parse(e.to_string()))?;
        let found = version.get("format_version").and_then(serde_json::Value::as_u64).unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(StateError::UnsupportedVersion { found: u32::try_from(found).unwrap_or(u32::MAX) });
        }
        let doc: StateDoc = serde_json::from_value(version).map_err(|e| StateError::Parse(e.to_string()))?;
        let mut state =
            State { lineage: doc.lineage, serial: doc.serial, outputs: BTreeMap::new(), instances: BTreeMap::new() };
        for (name, output) in doc.outputs {
            let ty = type_from_json(&output.ty).unwrap_or(slipway_core::Type::Any);
            state.outputs.insert(name, OutputState { value: output.value, ty, sensitive: output.sensitive });
        }
        for resource in doc.resources {
            let module = parse_module(&resource.module)?;
            let resource_addr =
                ResourceAddr { mode: resource.mode, type_name: resource.type_name, name: resource.name };
            for instance in resource.instances {
                let addr = ResourceInstanceAddr::new(module.clone(), resource_addr.clone(), instance.index_key.clone());
                state.instances.insert(addr, instance_object(instance, &resource.provider)?);
            }
        }
        Ok(state)
    }
}

pub(super) fn instance_doc(key: &InstanceKey, object: &InstanceObject) -> InstanceDoc {
    InstanceDoc {
        index_key: key.clone(),
        schema_version: object.schema_version,
        attributes: object.attributes.clone(),
        sensitive_attributes: object.sensitive_paths.clone(),
        private: if object.private.is_empty() {
            String::new()
        } else {
            base64::engine::general_purpose::STANDARD.encode(&object.private)
        },
        dependencies: object.dependencies.iter().map(ToString::to_string).collect(),
        create_before_destroy: object.create_before_destroy,
        tainted: object.status == InstanceStatus::Tainted,
    }
}

pub(super) fn instance_object(doc: InstanceDoc, provider: &str) -> Result<InstanceObject, StateError> {
    let private = if doc.private.is_empty() {
        Vec::new()
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(&doc.private)
            .map_err(|e| StateError::Parse(format!("invalid private data: {e}")))?
    };
    let dependencies = doc
        .dependencies
        .iter()
        .map(|d| match d.parse::<Target>() {
            Ok(Target::Resource(r)) => Ok(r),
            Ok(_) => Err(StateError::Address {
                address: d.clone(),
                reason: "a dependency is a resource, without an instance key".into(),
            }),
            Err(e) => Err(StateError::Address { address: d.clone(), reason: e.reason }),
        })
        .collect::<Result<Vec<AbsResourceAddr>, _>>()?;
    Ok(InstanceObject {
        provider: provider.parse().map_err(|e: slipway_core::address::AddressError| StateError::Address {
            address: provider.to_string(),
            reason: e.reason,
        })?,
        schema_version: doc.schema_version,
        attributes: doc.attributes,
        sensitive_paths: doc.sensitive_attributes,
        private,
        dependencies,
        create_before_destroy: doc.create_before_destroy,
        status: if doc.tainted { InstanceStatus::Tainted } else { InstanceStatus::Ready },
    })
}

fn parse_module(text: &str) -> Result<ModuleInstance, StateError> {
    if text.is_empty() {
        return Ok(ModuleInstance::root());
    }
    match text.parse::<Target>() {
        Ok(Target::Module(m)) => Ok(m),
        Ok(_) => Err(StateError::Address { address: text.into(), reason: "expected a module address".into() }),
        Err(e) => Err(StateError::Address { address: text.into(), reason: e.reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_core::address::ProviderConfigAddr;

    fn sample() -> State {
        let mut state = State::new();
        state.serial = 7;
        let vpc = ResourceInstanceAddr::new(
            ModuleInstance::root(),
            ResourceAddr::managed("aws_vpc", "main"),
            InstanceKey::None,
        );
        let subnet = ResourceInstanceAddr::new(
            ModuleInstance::root().child("net", InstanceKey::Str("a".into())),
            ResourceAddr::managed("aws_subnet", "s"),
            InstanceKey::Int(1),
        );
        let object = |attrs: serde_json::Value| InstanceObject {
            provider: ProviderConfigAddr::root("aws"),
            schema_version: 1,
            attributes: attrs,
            sensitive_paths: vec![],
            private: vec![1, 2, 3],
            dependencies: vec![],
            create_before_destroy: false,
            status: InstanceStatus::Ready,
        };
        state.instances.insert(vpc.clone(), object(serde_json::json!({"id": "vpc-1", "cidr_block": "10.0.0.0/16"})));
        let mut s = object(serde_json::json!({"id": "subnet-1"}));
        s.dependencies = vec![vpc.without_key()];
        s.status = InstanceStatus::Tainted;
        state.instances.insert(subnet, s);
        state.outputs.insert(
            "id".into(),
            OutputState { value: serde_json::json!("vpc-1"), ty: slipway_core::Type::String, sensitive: true },
        );
        state
    }

    #[test]
    fn round_trips_and_is_deterministic() {
        let state = sample();
        let bytes = state.to_json();
        let read = State::from_json(&bytes).expect("reads back");
        assert_eq!(read, state);
        assert_eq!(read.to_json(), bytes);
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(text.contains("\"module\": \"module.net[\\\"a\\\"]\""), "{text}");
        assert!(text.contains("\"dependencies\": [\n            \"aws_vpc.main\"\n          ]"), "{text}");
    }

    #[test]
    fn refuses_other_format_versions_and_garbage() {
        assert_eq!(State::from_json(br#"{"format_version": 9}"#), Err(StateError::UnsupportedVersion { found: 9 }));
        assert!(matches!(State::from_json(b"not json"), Err(StateError::Parse(_))));
    }
}
