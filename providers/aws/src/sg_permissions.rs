//! The inline rules of `aws_security_group` (`ingress` and `egress` blocks) and AWS's
//! IpPermissions, both seen as sets of single-source permissions ("atoms"): a block allows
//! several sources, AWS groups sources by ports and protocol, and each atom is what one
//! Authorize or Revoke entry names. Diffing atoms changes exactly the rules that changed.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Type, Value};

/// Where an atom lets traffic come from (ingress) or go to (egress).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Cidr(String),
    Ipv6(String),
    PrefixList(String),
    Group(String),
    /// The group itself (`self = true`).
    OwnGroup,
}

/// One permission with one source: what AWS calls a security group rule.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Atom {
    /// Normalized (`tcp`, `udp`, `icmp`, `icmpv6`, `-1`, or a number) so that `6` and `tcp` match.
    pub protocol: String,
    pub from: i64,
    pub to: i64,
    pub source: Source,
    pub description: String,
}

/// The schema of one `ingress` or `egress` block.
pub fn rule_block() -> BlockSchema {
    let strings = Type::list(Type::String);
    BlockSchema::new()
        .attribute("from_port", AttributeSchema::required(Type::Number))
        .attribute("to_port", AttributeSchema::required(Type::Number))
        .attribute("protocol", AttributeSchema::required(Type::String))
        .attribute("cidr_blocks", AttributeSchema::optional(strings.clone()))
        .attribute("ipv6_cidr_blocks", AttributeSchema::optional(strings.clone()))
        .attribute("prefix_list_ids", AttributeSchema::optional(strings))
        .attribute("security_groups", AttributeSchema::optional(Type::set(Type::String)))
        .attribute("self", AttributeSchema::optional(Type::Bool))
        .attribute("description", AttributeSchema::optional(Type::String))
}

/// AWS's names for protocols given by number, and `-1` for all ("all" is accepted too).
pub fn normalize_protocol(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        "58" | "icmpv6" => "icmpv6".into(),
        "-1" | "all" => "-1".into(),
        other => other.into(),
    }
}

/// A block as state holds it: unset lists empty, `self` false, `description` "", so that what
/// refresh reads back compares equal to what the configuration planned. Unknowns stay unknown.
pub fn normalize_block(block: &Value) -> Value {
    let Some(entries) = block.as_entries() else { return block.clone() };
    let mut out = entries.clone();
    let or = |name: &str, empty: Value| {
        let v = attr(block, name);
        if v.is_null() { empty } else { v }
    };
    for name in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"] {
        out.insert(name.into(), or(name, Value::list(Type::String, Vec::new())));
    }
    out.insert("security_groups".into(), or("security_groups", Value::set(Type::String, Vec::new())));
    out.insert("self".into(), or("self", Value::bool(false)));
    out.insert("description".into(), or("description", Value::string("")));
    Value::object(out)
}

/// The normalized blocks of a set value (empty for null).
pub fn normalize_blocks(blocks: &Value) -> Value {
    if !blocks.is_known() {
        return blocks.clone();
    }
    let items = blocks.as_elements().unwrap_or_default().iter().map(normalize_block).collect();
    Value::set(rule_block().value_type(), items)
}

fn strings(value: &Value) -> Vec<String> {
    value.as_elements().unwrap_or_default().iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn port(block: &Value, name: &str) -> i64 {
    attr(block, name).as_number().and_then(|n| n.to_i64()).unwrap_or(0)
}

/// The atoms one block stands for.
pub fn block_atoms(block: &Value) -> Vec<Atom> {
    let protocol = normalize_protocol(attr(block, "protocol").as_str().unwrap_or("-1"));
    // AWS ignores ports for "all protocols"; Terraform writes them as 0.
    let (from, to) = if protocol == "-1" { (0, 0) } else { (port(block, "from_port"), port(block, "to_port")) };
    let description = attr(block, "description").as_str().unwrap_or_default().to_string();
    let mut sources: Vec<Source> = Vec::new();
    sources.extend(strings(&attr(block, "cidr_blocks")).into_iter().map(Source::Cidr));
    sources.extend(strings(&attr(block, "ipv6_cidr_blocks")).into_iter().map(Source::Ipv6));
    sources.extend(strings(&attr(block, "prefix_list_ids")).into_iter().map(Source::PrefixList));
    sources.extend(strings(&attr(block, "security_groups")).into_iter().map(Source::Group));
    if attr(block, "self").as_bool() == Some(true) {
        sources.push(Source::OwnGroup);
    }
    sources
        .into_iter()
        .map(|source| Atom { protocol: protocol.clone(), from, to, source, description: description.clone() })
        .collect()
}

/// All atoms of a set of blocks.
pub fn blocks_atoms(blocks: &Value) -> BTreeSet<Atom> {
    blocks.as_elements().unwrap_or_default().iter().flat_map(block_atoms).collect()
}

/// The atoms of AWS's permissions. `group_id` is the group they belong to, so that a reference
/// to it reads as `self`.
pub fn permission_atoms(permissions: &[IpPermission], group_id: &str) -> BTreeSet<Atom> {
    let mut out = BTreeSet::new();
    for p in permissions {
        let protocol = normalize_protocol(p.ip_protocol().unwrap_or("-1"));
        let (from, to) = if protocol == "-1" {
            (0, 0)
        } else {
            (i64::from(p.from_port().unwrap_or(0)), i64::from(p.to_port().unwrap_or(0)))
        };
        let mut add = |source: Source, description: Option<&str>| {
            out.insert(Atom {
                protocol: protocol.clone(),
                from,
                to,
                source,
                description: description.unwrap_or_default().to_string(),
            });
        };
        for r in p.ip_ranges() {
            if let Some(cidr) = r.cidr_ip() {
                add(Source::Cidr(cidr.into()), r.description());
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(cidr) = r.cidr_ipv6() {
                add(Source::Ipv6(cidr.into()), r.description());
            }
        }
        for r in p.prefix_list_ids() {
            if let Some(id) = r.prefix_list_id() {
                add(Source::PrefixList(id.into()), r.description());
            }
        }
        for pair in p.user_id_group_pairs() {
            match pair.group_id() {
                Some(id) if id == group_id => add(Source::OwnGroup, pair.description()),
                Some(id) => add(Source::Group(id.into()), pair.description()),
                None => {}
            }
        }
    }
    out
}

/// Atoms as AWS permissions, one per atom (AWS accepts many in one call).
pub fn to_permissions(atoms: &[&Atom], group_id: &str) -> Vec<IpPermission> {
    atoms
        .iter()
        .map(|a| {
            let mut p = IpPermission::builder().ip_protocol(&a.protocol);
            if a.protocol != "-1" {
                p = p.from_port(clamp(a.from)).to_port(clamp(a.to));
            }
            let description = (!a.description.is_empty()).then(|| a.description.clone());
            p = match &a.source {
                Source::Cidr(c) => p.ip_ranges(IpRange::builder().cidr_ip(c).set_description(description).build()),
                Source::Ipv6(c) => {
                    p.ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(description).build())
                }
                Source::PrefixList(id) => {
                    p.prefix_list_ids(PrefixListId::builder().prefix_list_id(id).set_description(description).build())
                }
                Source::Group(id) => {
                    p.user_id_group_pairs(UserIdGroupPair::builder().group_id(id).set_description(description).build())
                }
                Source::OwnGroup => p.user_id_group_pairs(
                    UserIdGroupPair::builder().group_id(group_id).set_description(description).build(),
                ),
            };
            p.build()
        })
        .collect()
}

fn clamp(port: i64) -> i32 {
    i32::try_from(port).unwrap_or(if port < 0 { -1 } else { i32::MAX })
}

/// The blocks that describe `actual`: first every block of `known` (the prior state or the plan)
/// whose atoms all exist, exactly as it was written, so that configuration round-trips however
/// it groups sources; then what is left, one block per (protocol, ports, description) as
/// terraform-provider-aws groups them.
pub fn blocks_for(actual: &BTreeSet<Atom>, known: &Value) -> Value {
    let mut left = actual.clone();
    let mut blocks = Vec::new();
    for block in known.as_elements().unwrap_or_default() {
        if !block.is_wholly_known() {
            continue;
        }
        let atoms = block_atoms(block);
        if !atoms.is_empty() && atoms.iter().all(|a| actual.contains(a)) {
            for a in &atoms {
                left.remove(a);
            }
            blocks.push(normalize_block(block));
        }
    }
    let mut groups: BTreeMap<(String, i64, i64, String), Vec<Source>> = BTreeMap::new();
    for a in left {
        groups.entry((a.protocol, a.from, a.to, a.description)).or_default().push(a.source);
    }
    for ((protocol, from, to, description), sources) in groups {
        let pick = |f: fn(&Source) -> Option<&String>| -> Vec<Value> {
            sources.iter().filter_map(f).map(|s| Value::string(s.as_str())).collect()
        };
        let cidrs = pick(|s| if let Source::Cidr(c) = s { Some(c) } else { None });
        let ipv6 = pick(|s| if let Source::Ipv6(c) = s { Some(c) } else { None });
        let prefixes = pick(|s| if let Source::PrefixList(c) = s { Some(c) } else { None });
        let groups = pick(|s| if let Source::Group(c) = s { Some(c) } else { None });
        blocks.push(Value::object_from([
            ("from_port", Value::int(from)),
            ("to_port", Value::int(to)),
            ("protocol", Value::string(protocol)),
            ("cidr_blocks", Value::list(Type::String, cidrs)),
            ("ipv6_cidr_blocks", Value::list(Type::String, ipv6)),
            ("prefix_list_ids", Value::list(Type::String, prefixes)),
            ("security_groups", Value::set(Type::String, groups)),
            ("self", Value::bool(sources.contains(&Source::OwnGroup))),
            ("description", Value::string(description)),
        ]));
    }
    Value::set(rule_block().value_type(), blocks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(protocol: &str, from: i64, cidrs: &[&str]) -> Value {
        normalize_block(&Value::object_from([
            ("from_port", Value::int(from)),
            ("to_port", Value::int(from)),
            ("protocol", Value::string(protocol)),
            ("cidr_blocks", Value::list(Type::String, cidrs.iter().map(|c| Value::string(*c)).collect())),
            ("ipv6_cidr_blocks", Value::null(Type::list(Type::String))),
            ("prefix_list_ids", Value::null(Type::list(Type::String))),
            ("security_groups", Value::null(Type::set(Type::String))),
            ("self", Value::null(Type::Bool)),
            ("description", Value::null(Type::String)),
        ]))
    }

    #[test]
    fn blocks_written_any_way_round_trip_and_extra_rules_get_their_own_block() {
        let known = Value::set(
            rule_block().value_type(),
            vec![block("6", 22, &["10.0.0.0/8"]), block("tcp", 22, &["10.1.0.0/16"])],
        );
        let mut actual = blocks_atoms(&known);
        assert_eq!(actual.len(), 2);
        let extra = Atom {
            protocol: "tcp".into(),
            from: 80,
            to: 80,
            source: Source::Cidr("1.2.3.4/32".into()),
            description: String::new(),
        };
        actual.insert(extra);
        let read = blocks_for(&actual, &known);
        let items = read.as_elements().unwrap_or_default();
        assert_eq!(items.len(), 3);
        assert!(items.contains(&block("6", 22, &["10.0.0.0/8"])), "the prior spelling of the protocol is kept");
        assert!(items.contains(&block("tcp", 80, &["1.2.3.4/32"])));
    }

    #[test]
    fn all_protocols_ignore_ports() {
        let a = block_atoms(&block("all", 5, &["0.0.0.0/0"]));
        assert_eq!((a[0].protocol.as_str(), a[0].from, a[0].to), ("-1", 0, 0));
    }
}
