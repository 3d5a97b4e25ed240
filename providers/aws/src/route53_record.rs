//! `aws_route53_record`: one record set (plain `records` with a `ttl`, or an `alias` block);
//! `id` is `ZONEID_NAME_TYPE` (`_SETID` with a set identifier), as terraform-provider-aws has
//! it. Refresh lists each zone's records once for all its record resources. Every change waits
//! until Route 53 reports it INSYNC.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_route53::types::{
    AliasTarget, Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use slipway_core::provider_kit::{attr, int_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::build_error;
use crate::kit::{Clients, aws_error, configured_str, is_not_found, required_str};
use crate::kit::{kept_str, overlapped};
use crate::resource::Resource;
use crate::route53_kit::{keep_name, normalize_name, wait_insync};

pub struct AwsRoute53Record;

fn alias_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("name", AttributeSchema::required(Type::String))
        .attribute("zone_id", AttributeSchema::required(Type::String))
        .attribute("evaluate_target_health", AttributeSchema::required(Type::Bool))
}

#[async_trait]
impl Resource for AwsRoute53Record {
    fn type_name(&self) -> &'static str {
        "aws_route53_record"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("zone_id", AttributeSchema::required(Type::String).force_new())
            .attribute("name", AttributeSchema::required(Type::String).force_new())
            .attribute("type", AttributeSchema::required(Type::String).force_new())
            .attribute("set_identifier", AttributeSchema::optional(Type::String).force_new())
            .attribute("ttl", AttributeSchema::optional(Type::Number))
            .attribute("records", AttributeSchema::optional(Type::set(Type::String)))
            .attribute("health_check_id", AttributeSchema::optional(Type::String))
            .attribute("allow_overwrite", AttributeSchema::optional_computed(Type::Bool))
            .attribute("fqdn", AttributeSchema::computed(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
            .block("alias", Nesting::Set, alias_block())
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("allow_overwrite", Value::bool(false))])
    }

    fn equivalents(&self) -> &'static [(&'static str, crate::resource::Equivalent)] {
        // `WWW.example.com.` and `www.example.com` are the same record, `a` and `A` the same type.
        &[("name", |a, b| normalize_name(a) == normalize_name(b)), ("type", |a, b| a.eq_ignore_ascii_case(b))]
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        let zone = required_str(planned, "zone_id")?;
        let set = record_set(c, planned).await?;
        let overwrite = attr(planned, "allow_overwrite").as_bool() == Some(true);
        let action = if overwrite { ChangeAction::Upsert } else { ChangeAction::Create };
        match change(c, &zone, action, set.clone()).await {
            Ok(()) => {}
            // What a run that stopped before saving state created is this very record: carry on.
            Err(e)
                if e.summary.contains("InvalidChangeBatch")
                    && find(c, &zone, &set).await?.is_some_and(|f| same_set(&f, &set)) => {}
            Err(mut e) => {
                if e.summary.contains("InvalidChangeBatch") {
                    e.detail.push_str(
                        " A record of this name and type exists already: import it (slipway import ADDRESS ZONEID_NAME_TYPE), or set allow_overwrite = true to take it over.",
                    );
                }
                return Err(e);
            }
        }
        read_one(c, &zone, &set, planned).await
    }

    async fn update(&self, c: &Clients, _prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let zone = required_str(planned, "zone_id")?;
        let set = record_set(c, planned).await?;
        change(c, &zone, ChangeAction::Upsert, set.clone()).await?;
        read_one(c, &zone, &set, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let zone = required_str(prior, "zone_id")?;
        let wanted = record_set(c, prior).await?;
        // Route 53 deletes only an exact match: delete what is there now.
        let Some(current) = find(c, &zone, &wanted).await? else { return Ok(()) };
        change(c, &zone, ChangeAction::Delete, current).await
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // One ListResourceRecordSets (per page) per zone for all its records, zones overlapped.
        let mut zones: Vec<String> =
            priors.iter().filter_map(|p| attr(p, "zone_id").as_str().map(str::to_string)).collect();
        zones.sort();
        zones.dedup();
        let listed = overlapped(zones.clone(), |z| async move { list_records(c, &z).await }).await?;
        let by_zone: BTreeMap<&String, Vec<ResourceRecordSet>> = zones.iter().zip(listed).collect();
        Ok(priors
            .iter()
            .map(|prior| {
                let zone = attr(prior, "zone_id").as_str()?.to_string();
                let (fqdn, name) = (attr(prior, "fqdn"), attr(prior, "name"));
                let fqdn = fqdn.as_str().filter(|f| !f.is_empty()).or(name.as_str())?.to_string();
                let kind = attr(prior, "type").as_str()?.to_ascii_uppercase();
                let set_id = attr(prior, "set_identifier").as_str().map(str::to_string);
                let found = by_zone.get(&zone)?.iter().find(|s| {
                    normalize_name(s.name()) == normalize_name(&fqdn)
                        && s.r#type().as_str() == kind
                        && s.set_identifier().map(str::to_string) == set_id
                })?;
                Some(record_value(&zone, found, prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let parts: Vec<&str> = id.splitn(4, '_').collect();
        let (zone, name, kind, set_id) = match parts.as_slice() {
            [zone, name, kind] => (*zone, *name, *kind, None),
            [zone, name, kind, set_id] => (*zone, *name, *kind, Some(set_id.to_string())),
            _ => {
                return Err(Diagnostic::error(
                    "Invalid import ID",
                    format!(
                        "{id:?}: an aws_route53_record is imported as ZONEID_NAME_TYPE (or ZONEID_NAME_TYPE_SETID)."
                    ),
                ));
            }
        };
        let records = list_records(c, zone).await?;
        let kind = kind.to_ascii_uppercase();
        Ok(records
            .iter()
            .find(|s| {
                normalize_name(s.name()) == normalize_name(name)
                    && s.r#type().as_str() == kind
                    && s.set_identifier().map(str::to_string) == set_id
            })
            .map(|s| record_value(zone, s, &Value::null(Type::Any))))
    }
}

/// The record's full name: a name outside the zone's domain is relative to it, as
/// terraform-provider-aws expands it.
async fn fqdn(c: &Clients, zone: &str, name: &str) -> Result<String, Diagnostic> {
    let out = c.route53.get_hosted_zone().id(zone).send().await.map_err(|e| aws_error("GetHostedZone", zone, &e))?;
    let domain = normalize_name(out.hosted_zone().map(|z| z.name()).unwrap_or_default());
    let n = normalize_name(name);
    Ok(if n == domain || n.ends_with(&format!(".{domain}")) { n } else { format!("{n}.{domain}") })
}

/// TXT and SPF values go to Route 53 quoted, in strings of at most 255 characters.
fn quote(kind: &str, value: &str) -> String {
    if !matches!(kind, "TXT" | "SPF") || value.starts_with('"') {
        return value.to_string();
    }
    let chars: Vec<char> = value.chars().collect();
    let chunks: Vec<String> = chars.chunks(255).map(|c| format!("\"{}\"", c.iter().collect::<String>())).collect();
    if chunks.is_empty() { "\"\"".into() } else { chunks.join(" ") }
}

/// A quoted TXT value as the configuration writes it: the quotes gone, the strings joined.
fn unquote(kind: &str, value: &str) -> String {
    if !(matches!(kind, "TXT" | "SPF") && value.starts_with('"') && value.ends_with('"') && value.len() >= 2) {
        return value.to_string();
    }
    value[1..value.len() - 1].replace("\" \"", "")
}

async fn record_set(c: &Clients, value: &Value) -> Result<ResourceRecordSet, Diagnostic> {
    let zone = required_str(value, "zone_id")?;
    let kind = required_str(value, "type")?.to_ascii_uppercase();
    let name = match attr(value, "fqdn").as_str() {
        Some(f) if !f.is_empty() => f.to_string(),
        _ => fqdn(c, &zone, &required_str(value, "name")?).await?,
    };
    let mut builder = ResourceRecordSet::builder()
        .name(&name)
        .r#type(RrType::from(kind.as_str()))
        .set_set_identifier(configured_str(value, "set_identifier"))
        .set_health_check_id(configured_str(value, "health_check_id"));
    if let Some(alias) = attr(value, "alias").as_elements().and_then(|a| a.first().cloned()) {
        let target = AliasTarget::builder()
            .dns_name(attr(&alias, "name").as_str().unwrap_or_default())
            .hosted_zone_id(attr(&alias, "zone_id").as_str().unwrap_or_default())
            .evaluate_target_health(attr(&alias, "evaluate_target_health").as_bool().unwrap_or(false))
            .build()
            .map_err(|e| build_error("ChangeResourceRecordSets", e))?;
        builder = builder.alias_target(target);
    } else {
        let mut records = Vec::new();
        for v in attr(value, "records").as_elements().unwrap_or_default() {
            let Some(text) = v.as_str() else { continue };
            let record = ResourceRecord::builder().value(quote(&kind, text)).build();
            records.push(record.map_err(|e| build_error("ChangeResourceRecordSets", e))?);
        }
        builder = builder.set_ttl(int_attr(value, "ttl")?).set_resource_records(Some(records));
    }
    builder.build().map_err(|e| build_error("ChangeResourceRecordSets", e))
}

async fn change(c: &Clients, zone: &str, action: ChangeAction, set: ResourceRecordSet) -> Result<(), Diagnostic> {
    let subject = format!("{zone}: {} {}", set.r#type().as_str(), set.name());
    let change = Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .map_err(|e| build_error("ChangeResourceRecordSets", e))?;
    let batch =
        ChangeBatch::builder().changes(change).build().map_err(|e| build_error("ChangeResourceRecordSets", e))?;
    let call = c.route53.change_resource_record_sets().hosted_zone_id(zone).change_batch(batch);
    let out = call.send().await.map_err(|e| aws_error("ChangeResourceRecordSets", &subject, &e))?;
    match out.change_info() {
        Some(info) => wait_insync(c, info.id()).await,
        None => Ok(()),
    }
}

/// Every record set of a zone (empty when the zone is gone), page by page.
pub async fn list_records(c: &Clients, zone: &str) -> Result<Vec<ResourceRecordSet>, Diagnostic> {
    let mut out = Vec::new();
    let mut start: Option<(String, RrType, Option<String>)> = None;
    loop {
        let mut call = c.route53.list_resource_record_sets().hosted_zone_id(zone);
        if let Some((name, kind, id)) = start.take() {
            call = call.start_record_name(name).start_record_type(kind).set_start_record_identifier(id);
        }
        let page = match call.send().await {
            Ok(page) => page,
            Err(e) if is_not_found(&e) => return Ok(out),
            Err(e) => return Err(aws_error("ListResourceRecordSets", zone, &e)),
        };
        out.extend(page.resource_record_sets().iter().cloned());
        match (page.is_truncated(), page.next_record_name(), page.next_record_type()) {
            (true, Some(name), Some(kind)) => {
                start = Some((name.to_string(), kind.clone(), page.next_record_identifier().map(str::to_string)));
            }
            _ => return Ok(out),
        }
    }
}

/// The record set of the same name, type and set identifier in the zone, as Route 53 has it.
async fn find(c: &Clients, zone: &str, set: &ResourceRecordSet) -> Result<Option<ResourceRecordSet>, Diagnostic> {
    Ok(list_records(c, zone).await?.into_iter().find(|s| {
        normalize_name(s.name()) == normalize_name(set.name())
            && s.r#type() == set.r#type()
            && s.set_identifier() == set.set_identifier()
    }))
}

fn same_set(a: &ResourceRecordSet, b: &ResourceRecordSet) -> bool {
    let values = |s: &ResourceRecordSet| {
        let mut v: Vec<String> = s.resource_records().iter().map(|r| r.value().to_string()).collect();
        v.sort();
        v
    };
    let alias = |s: &ResourceRecordSet| {
        s.alias_target()
            .map(|t| (normalize_name(t.dns_name()), t.hosted_zone_id().to_string(), t.evaluate_target_health()))
    };
    a.ttl() == b.ttl() && values(a) == values(b) && alias(a) == alias(b)
}

async fn read_one(c: &Clients, zone: &str, set: &ResourceRecordSet, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| find(c, zone, set)).await?.ok_or_else(|| {
        Diagnostic::error("Route 53 record vanished", format!("{} was not found after it was changed.", set.name()))
    })?;
    Ok(record_value(zone, &found, planned))
}

fn record_value(zone: &str, s: &ResourceRecordSet, known: &Value) -> Value {
    let kind = s.r#type().as_str().to_string();
    let fqdn = normalize_name(s.name());
    // The name as written (relative to the zone, another case, a trailing dot) while it names
    // this record.
    let known_name = attr(known, "name");
    let name = match known_name.as_str() {
        Some(k) if normalize_name(k) == fqdn || fqdn.starts_with(&format!("{}.", normalize_name(k))) => {
            known_name.clone()
        }
        _ => keep_name(None, s.name()),
    };
    let records: Vec<Value> = s.resource_records().iter().map(|r| Value::string(unquote(&kind, r.value()))).collect();
    let alias: Vec<Value> = s
        .alias_target()
        .map(|t| {
            let known_alias = attr(known, "alias").as_elements().and_then(|a| a.first().cloned());
            let known_name = known_alias.as_ref().map(|a| attr(a, "name"));
            Value::object(BTreeMap::from([
                ("name".into(), keep_name(known_name.as_ref().and_then(|n| n.as_str()), t.dns_name())),
                ("zone_id".into(), Value::string(t.hosted_zone_id())),
                ("evaluate_target_health".into(), Value::bool(t.evaluate_target_health())),
            ]))
        })
        .into_iter()
        .collect();
    let known_type = attr(known, "type");
    let kind_value = match known_type.as_str() {
        Some(k) if k.eq_ignore_ascii_case(&kind) => known_type.clone(),
        _ => Value::string(kind.as_str()),
    };
    let set_id = s.set_identifier().map(Value::string).unwrap_or_else(|| Value::null(Type::String));
    let mut id = format!("{zone}_{fqdn}_{kind}");
    if let Some(set_id) = s.set_identifier() {
        id.push('_');
        id.push_str(set_id);
    }
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("zone_id".into(), Value::string(zone)),
        ("name".into(), name),
        ("fqdn".into(), Value::string(fqdn.as_str())),
        ("type".into(), kind_value),
        ("set_identifier".into(), set_id),
        ("ttl".into(), s.ttl().map(Value::int).unwrap_or_else(|| Value::null(Type::Number))),
        (
            "records".into(),
            if s.alias_target().is_some() {
                Value::null(Type::set(Type::String))
            } else {
                Value::set(Type::String, records)
            },
        ),
        ("health_check_id".into(), kept_str(known, "health_check_id")),
        ("allow_overwrite".into(), Value::bool(attr(known, "allow_overwrite").as_bool().unwrap_or(false))),
        ("alias".into(), Value::set(alias_block().value_type(), alias)),
    ]))
}
