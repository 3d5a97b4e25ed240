//! Addresses are values: module instances (`module.net["a"]`), resources (`aws_vpc.main`,
//! `data.aws_ami.ubuntu`) and resource instances (`module.net["a"].aws_subnet.private[2]`), each
//! with one canonical printed form and a parser for what users type (`-target`, `state mv`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::render::quote;

/// The key of one instance of a resource or module expanded by `count` or `for_each`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InstanceKey {
    /// Not expanded: the only instance.
    #[default]
    None,
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    /// `""`, `[0]` or `["a"]`, as it follows a name in an address.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote(s)),
        }
    }
}

/// Managed resources and data sources live in separate namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceMode {
    Managed,
    Data,
}

/// A resource within a module: `aws_vpc.main` or `data.aws_ami.ubuntu`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceAddr {
    pub mode: ResourceMode,
    pub type_name: String,
    pub name: String,
}

impl ResourceAddr {
    pub fn managed(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddr { mode: ResourceMode::Managed, type_name: type_name.into(), name: name.into() }
    }

    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        ResourceAddr { mode: ResourceMode::Data, type_name: type_name.into(), name: name.into() }
    }

    /// The provider a resource type belongs to by default: the prefix before the first `_`.
    pub fn implied_provider(&self) -> &str {
        self.type_name.split('_').next().unwrap_or(&self.type_name)
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode {
            ResourceMode::Managed => write!(f, "{}.{}", self.type_name, self.name),
            ResourceMode::Data => write!(f, "data.{}.{}", self.type_name, self.name),
        }
    }
}

/// A path of module call instances from the root: empty for the root module.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModuleInstance(pub Vec<(String, InstanceKey)>);

impl ModuleInstance {
    pub fn root() -> Self {
        ModuleInstance(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn child(&self, name: impl Into<String>, key: InstanceKey) -> Self {
        let mut path = self.0.clone();
        path.push((name.into(), key));
        ModuleInstance(path)
    }
}

impl fmt::Display for ModuleInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, key)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "module.{name}{key}")?;
        }
        Ok(())
    }
}

/// One instance of a resource anywhere in the configuration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceInstanceAddr {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
    pub key: InstanceKey,
}

impl ResourceInstanceAddr {
    pub fn new(module: ModuleInstance, resource: ResourceAddr, key: InstanceKey) -> Self {
        ResourceInstanceAddr { module, resource, key }
    }

    /// The resource this is an instance of, without the instance key.
    pub fn without_key(&self) -> AbsResourceAddr {
        AbsResourceAddr { module: self.module.clone(), resource: self.resource.clone() }
    }
}

impl fmt::Display for ResourceInstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// A resource (all its instances) in a module instance: `module.net.aws_subnet.private`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AbsResourceAddr {
    pub module: ModuleInstance,
    pub resource: ResourceAddr,
}

impl fmt::Display for AbsResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.module.is_root() {
            write!(f, "{}.", self.module)?;
        }
        write!(f, "{}", self.resource)
    }
}

/// What `-target` and `state` commands accept: a module instance, a resource, or one instance.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Module(ModuleInstance),
    Resource(AbsResourceAddr),
    Instance(ResourceInstanceAddr),
}

impl Target {
    /// Whether `instance` is this target or inside it.
    pub fn contains(&self, instance: &ResourceInstanceAddr) -> bool {
        match self {
            Target::Module(m) => {
                // As in Terraform, a last step without a key names the module call: `module.m`
                // holds every instance of it, `module.m[0]` only the first.
                let steps = &instance.module.0;
                steps.len() >= m.0.len()
                    && m.0.iter().zip(steps).enumerate().all(|(i, ((name, key), (other_name, other_key)))| {
                        name == other_name && (key == other_key || (i == m.0.len() - 1 && *key == InstanceKey::None))
                    })
            }
            Target::Resource(r) => instance.module == r.module && instance.resource == r.resource,
            Target::Instance(i) => i == instance,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(m) => write!(f, "{m}"),
            Target::Resource(r) => write!(f, "{r}"),
            Target::Instance(i) => write!(f, "{i}"),
        }
    }
}

/// Why an address did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid address {input:?}: {reason}")]
pub struct AddressError {
    pub input: String,
    pub reason: String,
}

impl FromStr for Target {
    type Err = AddressError;

    /// Parses `module.a["x"].aws_vpc.main[0]`, `data.aws_ami.ubuntu`, `module.net`.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| AddressError { input: input.to_string(), reason: reason.to_string() };
        let steps = split_steps(input).map_err(|r| err(&r))?;
        let mut module = ModuleInstance::root();
        let mut i = 0;
        while i < steps.len() && steps[i].0 == "module" {
            let (name, key) = match steps.get(i + 1) {
                Some((name, key)) => (name.clone(), key.clone()),
                None => return Err(err("module must be followed by a module name")),
            };
            if steps[i].1 != InstanceKey::None {
                return Err(err("an instance key follows the module name, as in module.net[\"a\"]"));
            }
            module = module.child(name, key);
            i += 2;
        }
        if i == steps.len() {
            return if module.is_root() { Err(err("the address is empty")) } else { Ok(Target::Module(module)) };
        }
        let (mode, rest) = if steps[i].0 == "data" {
            (ResourceMode::Data, &steps[i + 1..])
        } else {
            (ResourceMode::Managed, &steps[i..])
        };
        match rest {
            [(type_name, InstanceKey::None), (name, key)] => {
                let resource = ResourceAddr { mode, type_name: type_name.clone(), name: name.clone() };
                if *key == InstanceKey::None {
                    Ok(Target::Resource(AbsResourceAddr { module, resource }))
                } else {
                    Ok(Target::Instance(ResourceInstanceAddr { module, resource, key: key.clone() }))
                }
            }
            _ => Err(err("expected a resource type and name, as in aws_vpc.main or data.aws_ami.ubuntu")),
        }
    }
}

impl FromStr for ResourceInstanceAddr {
    type Err = AddressError;

    /// Parses one instance; a resource without a key is its single instance.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        match input.parse::<Target>()? {
            Target::Instance(i) => Ok(i),
            Target::Resource(r) => {
                Ok(ResourceInstanceAddr { module: r.module, resource: r.resource, key: InstanceKey::None })
            }
            Target::Module(_) => Err(AddressError {
                input: input.to_string(),
                reason: "this is a module, not a resource instance".into(),
            }),
        }
    }
}

/// A provider configuration: the `provider "aws" { alias = "west" }` block of a module, by the
/// module calls that lead to it (configurations are per module, not per module instance).
/// Printed `aws`, `aws.west`, `module.net.aws`, `module.net.aws.west`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderConfigAddr {
    pub module: Vec<String>,
    /// The provider's local name, which names its built-in implementation: `aws`, `null`.
    pub name: String,
    pub alias: Option<String>,
}

impl ProviderConfigAddr {
    /// The root module's default configuration of `name`.
    pub fn root(name: impl Into<String>) -> Self {
        ProviderConfigAddr { module: Vec::new(), name: name.into(), alias: None }
    }
}

impl fmt::Display for ProviderConfigAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for call in &self.module {
            write!(f, "module.{call}.")?;
        }
        f.write_str(&self.name)?;
        if let Some(alias) = &self.alias {
            write!(f, ".{alias}")?;
        }
        Ok(())
    }
}

impl FromStr for ProviderConfigAddr {
    type Err = AddressError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| AddressError { input: input.to_string(), reason: reason.to_string() };
        let mut parts: Vec<&str> = input.split('.').collect();
        let mut module = Vec::new();
        while parts.len() > 2 && parts[0] == "module" {
            module.push(parts[1].to_string());
            parts.drain(..2);
        }
        let valid = |p: &str| {
            !p.is_empty() && p != "module" && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        match parts.as_slice() {
            [name] if valid(name) => Ok(ProviderConfigAddr { module, name: name.to_string(), alias: None }),
            [name, alias] if valid(name) && valid(alias) => {
                Ok(ProviderConfigAddr { module, name: name.to_string(), alias: Some(alias.to_string()) })
            }
            _ => Err(err("expected a provider configuration such as aws, aws.west or module.net.aws")),
        }
    }
}

/// Splits `a.b["k"].c[0]` into `(name, key)` steps.
fn split_steps(input: &str) -> Result<Vec<(String, InstanceKey)>, String> {
    let mut steps = Vec::new();
    let mut chars = input.chars().peekable();
    loop {
        let mut name = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                name.push(c);
                chars.next();
            } else {
                break;
            }
        }
        if name.is_empty() {
            return Err("expected a name".into());
        }
        let mut key = InstanceKey::None;
        if chars.peek() == Some(&'[') {
            chars.next();
            key = if chars.peek() == Some(&'"') {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('n') => text.push('\n'),
                            Some('t') => text.push('\t'),
                            Some(c) => text.push(c),
                            None => return Err("unterminated string key".into()),
                        },
                        Some(c) => text.push(c),
                        None => return Err("unterminated string key".into()),
                    }
                }
                InstanceKey::Str(text)
            } else {
                let mut digits = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_digit() || c == '-' {
                        digits.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                InstanceKey::Int(digits.parse().map_err(|_| format!("{digits:?} is not an instance key"))?)
            };
            if chars.next() != Some(']') {
                return Err("expected ] after the instance key".into());
            }
        }
        steps.push((name, key));
        match chars.next() {
            None => return Ok(steps),
            Some('.') => {}
            Some(c) => return Err(format!("unexpected {c:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_in_hcl_syntax() {
        assert_eq!(InstanceKey::Int(2).to_string(), "[2]");
        assert_eq!(InstanceKey::Str("a\"b".into()).to_string(), "[\"a\\\"b\"]");
        assert_eq!(InstanceKey::None.to_string(), "");
    }

    #[test]
    fn addresses_round_trip_through_their_printed_form() {
        for text in [
            "aws_vpc.main",
            "data.aws_ami.ubuntu",
            "aws_subnet.private[2]",
            "module.net[\"a\"].aws_subnet.private[\"us-east-1a\"]",
            "module.a.module.b[0].data.aws_region.current",
            "module.net",
        ] {
            let target: Target = text.parse().expect(text);
            assert_eq!(target.to_string(), text);
        }
    }

    #[test]
    fn targets_contain_their_instances() {
        let instance: ResourceInstanceAddr = "module.net[\"a\"].aws_subnet.s[1]".parse().expect("parses");
        for outer in ["module.net[\"a\"]", "module.net[\"a\"].aws_subnet.s", "module.net[\"a\"].aws_subnet.s[1]"] {
            assert!(outer.parse::<Target>().expect(outer).contains(&instance), "{outer}");
        }
        assert!(!"module.net[\"b\"]".parse::<Target>().expect("parses").contains(&instance));
        // The module call without a key holds every instance; inner steps must match exactly.
        assert!("module.net".parse::<Target>().expect("parses").contains(&instance));
        let nested: ResourceInstanceAddr = "module.net[\"a\"].module.db[0].aws_instance.x".parse().expect("parses");
        assert!("module.net[\"a\"].module.db".parse::<Target>().expect("parses").contains(&nested));
        assert!(!"module.net.module.db[0]".parse::<Target>().expect("parses").contains(&nested));
        assert!(!"module.network".parse::<Target>().expect("parses").contains(&instance));
    }

    #[test]
    fn provider_configurations_round_trip() {
        for text in ["aws", "aws.west", "module.net.aws", "module.a.module.b.aws.east"] {
            let addr: ProviderConfigAddr = text.parse().expect(text);
            assert_eq!(addr.to_string(), text);
        }
        let addr: ProviderConfigAddr = "module.net.aws.west".parse().expect("parses");
        assert_eq!((addr.module, addr.name, addr.alias), (vec!["net".to_string()], "aws".into(), Some("west".into())));
        for text in ["", "aws.", "a.b.c", "module.x"] {
            assert!(text.parse::<ProviderConfigAddr>().is_err(), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_addresses() {
        for text in ["", "aws_vpc", "aws_vpc.main.extra", "module", "aws_vpc.main[", "aws_vpc.main[\"x]"] {
            assert!(text.parse::<Target>().is_err(), "{text}");
        }
    }
}
