//! `aws_route53_zone`: a public hosted zone, or a private one with `vpc` blocks; `id` is the
//! zone ID. With `force_destroy`, deleting it first deletes every record but the apex SOA and NS.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_route53::operation::get_hosted_zone::GetHostedZoneOutput;
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, HostedZoneConfig, RrType, Vpc, VpcRegion};
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::build_error;
use crate::kit::{Clients, aws_error, configured_str, is_not_found, required_str, split_tags};
use crate::kit::{kept_str, overlapped};
use crate::resource::{Resource, ids};
use crate::route53_kit::{
    change_zone_tags, clean_zone_id, from_r53_tags, keep_name, normalize_name, wait_insync, zone_tags,
};

pub struct AwsRoute53Zone;

const DEFAULT_COMMENT: &str = "Managed by Terraform";

fn vpc_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("vpc_id", AttributeSchema::required(Type::String))
        .attribute("vpc_region", AttributeSchema::optional_computed(Type::String))
}

#[async_trait]
impl Resource for AwsRoute53Zone {
    fn type_name(&self) -> &'static str {
        "aws_route53_zone"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::required(Type::String).force_new())
            .attribute("comment", AttributeSchema::optional_computed(Type::String))
            .attribute("delegation_set_id", AttributeSchema::optional(Type::String).force_new())
            .attribute("force_destroy", AttributeSchema::optional_computed(Type::Bool))
            .attribute("name_servers", AttributeSchema::computed(Type::list(Type::String)))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .block("vpc", Nesting::Set, vpc_block());
        for name in ["id", "zone_id", "arn", "primary_name_server"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("comment", Value::string(DEFAULT_COMMENT)), ("force_destroy", Value::bool(false))])
    }

    fn equivalents(&self) -> &'static [(&'static str, crate::resource::Equivalent)] {
        // `Example.com.` names the zone `example.com`: no replacement for that.
        &[("name", |a, b| normalize_name(a) == normalize_name(b))]
    }

    fn refine_plan(&self, request: &PlanRequest, _fresh: bool, planned: &mut BTreeMap<String, Value>) {
        // A vpc block without vpc_region means the provider's region.
        let vpcs = attr(&request.config, "vpc");
        if vpcs.is_wholly_known() {
            let region = request.prior.as_ref().and_then(first_region);
            let items = vpcs
                .as_elements()
                .unwrap_or_default()
                .iter()
                .map(|v| {
                    let r = attr(v, "vpc_region");
                    let r = if r.is_null() {
                        region.clone().map(Value::string).unwrap_or_else(|| Value::unknown(Type::String))
                    } else {
                        r
                    };
                    vpc_value(attr(v, "vpc_id"), r)
                })
                .collect();
            planned.insert("vpc".into(), Value::set(vpc_block().value_type(), items));
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = required_str(planned, "name")?;
        let reference = caller_reference(owner);
        if let Some(id) = adoptable(c, &name, &reference).await? {
            // A run that stopped before saving state made this zone: carry on with it.
            let prior = read(c, &id, &Value::null(Type::Any)).await?.unwrap_or_else(|| planned.clone());
            return self.update(c, &prior, planned).await;
        }
        let vpcs = configured_vpcs(c, planned);
        let comment = configured_str(planned, "comment").unwrap_or_else(|| DEFAULT_COMMENT.into());
        let mut call = c
            .route53
            .create_hosted_zone()
            .name(&name)
            .caller_reference(&reference)
            .hosted_zone_config(HostedZoneConfig::builder().comment(comment).private_zone(!vpcs.is_empty()).build())
            .set_delegation_set_id(configured_str(planned, "delegation_set_id"));
        // One VPC at creation makes the zone private; the others are associated after.
        if let Some((vpc_id, region)) = vpcs.iter().next() {
            call = call.vpc(Vpc::builder().vpc_id(vpc_id).vpc_region(VpcRegion::from(region.as_str())).build());
        }
        let created = call.send().await.map_err(|e| aws_error("CreateHostedZone", &name, &e))?;
        let id = clean_zone_id(created.hosted_zone().map(|z| z.id()).unwrap_or_default());
        if let Some(change) = created.change_info() {
            wait_insync(c, change.id()).await?;
        }
        for (vpc_id, region) in vpcs.iter().skip(1) {
            associate(c, &id, vpc_id, region).await?;
        }
        change_zone_tags(c, &id, &Value::null(Type::Any), &attr(planned, "tags_all"), owner).await?;
        read_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let comment = configured_str(planned, "comment").unwrap_or_default();
        if configured_str(prior, "comment").unwrap_or_default() != comment {
            c.route53
                .update_hosted_zone_comment()
                .id(&id)
                .comment(comment)
                .send()
                .await
                .map_err(|e| aws_error("UpdateHostedZoneComment", &id, &e))?;
        }
        if attr(planned, "vpc").is_wholly_known() {
            let (before, after) = (configured_vpcs(c, prior), configured_vpcs(c, planned));
            // Associate first: a private zone must keep at least one VPC.
            for (vpc_id, region) in after.difference(&before) {
                associate(c, &id, vpc_id, region).await?;
            }
            for (vpc_id, region) in before.difference(&after) {
                let vpc = Vpc::builder().vpc_id(vpc_id).vpc_region(VpcRegion::from(region.as_str())).build();
                let call = c.route53.disassociate_vpc_from_hosted_zone().hosted_zone_id(&id).vpc(vpc);
                let out = call.send().await.map_err(|e| aws_error("DisassociateVPCFromHostedZone", &id, &e))?;
                if let Some(change) = out.change_info() {
                    wait_insync(c, change.id()).await?;
                }
            }
        }
        change_zone_tags(c, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all"), "").await?;
        read_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        if attr(prior, "force_destroy").as_bool() == Some(true) {
            delete_records(c, &id, attr(prior, "name").as_str().unwrap_or_default()).await?;
        }
        match c.route53.delete_hosted_zone().id(&id).send().await {
            Ok(out) => match out.change_info() {
                Some(change) => wait_insync(c, change.id()).await,
                None => Ok(()),
            },
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(aws_error("DeleteHostedZone", &id, &e)),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // GetHostedZone per zone (its VPCs and name servers), overlapped; tags 10 zones a call.
        let zone_ids = ids(priors);
        let zones = overlapped(zone_ids.clone(), |id| async move { get(c, &id).await }).await?;
        let present: Vec<String> =
            zones.iter().zip(&zone_ids).filter(|(z, _)| z.is_some()).map(|(_, id)| id.clone()).collect();
        let tags = zone_tags(c, &present).await?;
        Ok(zones
            .iter()
            .zip(&zone_ids)
            .zip(priors)
            .map(|((z, id), prior)| {
                let z = z.as_ref()?;
                Some(zone_value(c, z, tags.get(id).map(Vec::as_slice).unwrap_or_default(), prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        read(c, &clean_zone_id(id), &Value::null(Type::Any)).await
    }
}

/// The caller reference of a zone this owner creates: derived from the owner, so that a run
/// that stopped before saving state can find its zone again; unique when there is no owner.
fn caller_reference(owner: &str) -> String {
    if owner.is_empty() {
        return crate::kit::unique_name("slipway-");
    }
    // FNV-1a over the owner: stable across runs, and within Route 53's 128 characters.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in owner.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("slipway-{hash:016x}")
}

/// A zone of this name that this owner created (same caller reference).
async fn adoptable(c: &Clients, name: &str, reference: &str) -> Result<Option<String>, Diagnostic> {
    if !reference.starts_with("slipway-") || reference.len() != "slipway-".len() + 16 {
        return Ok(None);
    }
    let out = c
        .route53
        .list_hosted_zones_by_name()
        .dns_name(name)
        .send()
        .await
        .map_err(|e| aws_error("ListHostedZonesByName", name, &e))?;
    Ok(out
        .hosted_zones()
        .iter()
        .find(|z| normalize_name(z.name()) == normalize_name(name) && z.caller_reference() == reference)
        .map(|z| clean_zone_id(z.id())))
}

async fn associate(c: &Clients, id: &str, vpc_id: &str, region: &str) -> Result<(), Diagnostic> {
    let vpc = Vpc::builder().vpc_id(vpc_id).vpc_region(VpcRegion::from(region)).build();
    let out = c
        .route53
        .associate_vpc_with_hosted_zone()
        .hosted_zone_id(id)
        .vpc(vpc)
        .send()
        .await
        .map_err(|e| aws_error("AssociateVPCWithHostedZone", id, &e))?;
    match out.change_info() {
        Some(change) => wait_insync(c, change.id()).await,
        None => Ok(()),
    }
}

/// Deletes every record set but the zone's own SOA and NS, 100 changes a call.
async fn delete_records(c: &Clients, id: &str, zone_name: &str) -> Result<(), Diagnostic> {
    let records = crate::route53_record::list_records(c, id).await?;
    let apex = normalize_name(zone_name);
    let mut changes = Vec::new();
    for set in records {
        let own = normalize_name(set.name()) == apex && matches!(set.r#type(), RrType::Soa | RrType::Ns);
        if !own {
            let change = Change::builder().action(ChangeAction::Delete).resource_record_set(set).build();
            changes.push(change.map_err(|e| build_error("ChangeResourceRecordSets", e))?);
        }
    }
    for chunk in changes.chunks(100) {
        let batch = ChangeBatch::builder()
            .set_changes(Some(chunk.to_vec()))
            .build()
            .map_err(|e| build_error("ChangeResourceRecordSets", e))?;
        let out = c
            .route53
            .change_resource_record_sets()
            .hosted_zone_id(id)
            .change_batch(batch)
            .send()
            .await
            .map_err(|e| aws_error("ChangeResourceRecordSets", id, &e))?;
        if let Some(change) = out.change_info() {
            wait_insync(c, change.id()).await?;
        }
    }
    Ok(())
}

/// The configured VPCs as (vpc_id, region); a block without a region means the provider's.
fn configured_vpcs(c: &Clients, value: &Value) -> BTreeSet<(String, String)> {
    attr(value, "vpc")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(|v| {
            let id = attr(v, "vpc_id").as_str()?.to_string();
            let region = attr(v, "vpc_region").as_str().map(str::to_string).unwrap_or_else(|| c.settings.region());
            Some((id, region))
        })
        .collect()
}

fn first_region(prior: &Value) -> Option<String> {
    attr(prior, "vpc").as_elements()?.iter().find_map(|v| attr(v, "vpc_region").as_str().map(str::to_string))
}

fn vpc_value(id: Value, region: Value) -> Value {
    Value::object(BTreeMap::from([("vpc_id".into(), id), ("vpc_region".into(), region)]))
}

async fn get(c: &Clients, id: &str) -> Result<Option<GetHostedZoneOutput>, Diagnostic> {
    match c.route53.get_hosted_zone().id(id).send().await {
        Ok(out) => Ok(Some(out)),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error("GetHostedZone", id, &e)),
    }
}

async fn read(c: &Clients, id: &str, known: &Value) -> Result<Option<Value>, Diagnostic> {
    let Some(zone) = get(c, id).await? else { return Ok(None) };
    let tags = zone_tags(c, &[id.to_string()]).await?;
    Ok(Some(zone_value(c, &zone, tags.get(id).map(Vec::as_slice).unwrap_or_default(), known)))
}

async fn read_one(c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| read(c, id, planned)).await?;
    found.ok_or_else(|| Diagnostic::error("Hosted zone vanished", format!("{id} was not found after it was changed.")))
}

fn zone_value(c: &Clients, out: &GetHostedZoneOutput, tags: &[aws_sdk_route53::types::Tag], known: &Value) -> Value {
    let zone = out.hosted_zone();
    let id = clean_zone_id(zone.map(|z| z.id()).unwrap_or_default());
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_r53_tags(tags));
    let servers: Vec<String> = out.delegation_set().map(|d| d.name_servers().to_vec()).unwrap_or_default();
    let comment = zone.and_then(|z| z.config()).and_then(|c| c.comment()).unwrap_or_default();
    let known_comment = attr(known, "comment");
    // Left out of the configuration, the comment is null there and "" at AWS: the same.
    let comment = if comment.is_empty() && known_comment.is_null() && !known.is_null() {
        Value::null(Type::String)
    } else {
        Value::string(comment)
    };
    let vpcs = out
        .vpcs()
        .iter()
        .map(|v| {
            let region = v.vpc_region().map(|r| r.as_str().to_string()).unwrap_or_else(|| c.settings.region());
            vpc_value(Value::string(v.vpc_id().unwrap_or_default()), Value::string(region))
        })
        .collect();
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id.as_str())),
        ("zone_id".into(), Value::string(id.as_str())),
        ("arn".into(), Value::string(format!("arn:aws:route53:::hostedzone/{id}"))),
        ("name".into(), keep_name(attr(known, "name").as_str(), zone.map(|z| z.name()).unwrap_or_default())),
        ("comment".into(), comment),
        ("delegation_set_id".into(), kept_str(known, "delegation_set_id")),
        ("force_destroy".into(), Value::bool(attr(known, "force_destroy").as_bool().unwrap_or(false))),
        ("primary_name_server".into(), Value::string(servers.first().cloned().unwrap_or_default())),
        ("name_servers".into(), Value::list(Type::String, servers.into_iter().map(Value::string).collect())),
        ("vpc".into(), Value::set(vpc_block().value_type(), vpcs)),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
