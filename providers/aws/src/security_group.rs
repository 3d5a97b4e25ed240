//! `aws_security_group`: a group with inline `ingress` and `egress` rule blocks (sets). Rules
//! are diffed as single-source permissions: an update revokes what is gone and authorizes what
//! is new, and leaves every unchanged rule alone. With no blocks of a kind in the
//! configuration, that kind is AWS's to keep (optional+computed, as in terraform-provider-aws),
//! so AWS's default allow-all egress rule and rules managed as their own resources stay.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, SecurityGroup};
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, aws_error, configured_str, eventually, from_tags, name_or_unique, required_str, split_tags,
    tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};
use crate::sg_permissions::{
    Atom, blocks_atoms, blocks_for, normalize_blocks, permission_atoms, rule_block, to_permissions,
};

pub struct AwsSecurityGroup;

const DEFAULT_DESCRIPTION: &str = "Managed by Terraform";

/// The two kinds of inline rules: block name, and whether it is egress.
const KINDS: [(&str, bool); 2] = [("ingress", false), ("egress", true)];

#[async_trait]
impl Resource for AwsSecurityGroup {
    fn type_name(&self) -> &'static str {
        "aws_security_group"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("description", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("vpc_id", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("revoke_rules_on_delete", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .block("ingress", Nesting::Set, rule_block())
            .block("egress", Nesting::Set, rule_block());
        for name in ["id", "arn", "owner_id"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("description", Value::string(DEFAULT_DESCRIPTION)),
            ("revoke_rules_on_delete", Value::bool(false)),
        ])
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        let set_type = Type::set(rule_block().value_type());
        for (name, egress) in KINDS {
            let config = attr(&request.config, name);
            let declared = !config.is_known() || config.as_elements().is_some_and(|e| !e.is_empty());
            let value = if declared {
                normalize_blocks(&config)
            } else if !fresh {
                // Not in the configuration: whatever AWS has stays, as refresh read it.
                request.prior.as_ref().map(|p| attr(p, name)).unwrap_or_else(|| Value::unknown(set_type.clone()))
            } else if egress {
                Value::unknown(set_type.clone()) // AWS's default allow-all rule, known after apply
            } else {
                Value::set(rule_block().value_type(), Vec::new())
            };
            planned.insert(name.into(), value);
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = crate::kit::owner_filter(owner)
            && let Some(group) = describe_by(c, &filter, &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|g| crate::kit::owned_by(g.tags(), owner))
        {
            // A run that stopped before saving state made this group: carry on with it.
            return self.update(c, &group_value(c, &group, &Value::null(Type::Any)), planned).await;
        }
        let name = name_or_unique(planned, "name", "name_prefix", "slipway-");
        let description = configured_str(planned, "description").unwrap_or_else(|| DEFAULT_DESCRIPTION.into());
        let created = c
            .ec2
            .create_security_group()
            .group_name(&name)
            .description(description)
            .set_vpc_id(configured_str(planned, "vpc_id"))
            .set_tag_specifications(
                tag_specification(ResourceType::SecurityGroup, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("CreateSecurityGroup", &name, &e))?;
        let id = created.group_id().unwrap_or_default().to_string();
        let group = describe_one(c, &id).await?;
        // AWS starts the group with its own rules (allow-all egress): declared blocks replace them.
        for (kind, egress) in KINDS {
            let wanted = attr(planned, kind);
            if !wanted.is_wholly_known() {
                continue;
            }
            let actual = permission_atoms(permissions(&group, egress), &id);
            converge(c, &id, egress, &actual, &blocks_atoms(&wanted)).await?;
        }
        let group = describe_one(c, &id).await?;
        Ok(group_value(c, &group, planned))
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        for (kind, egress) in KINDS {
            let wanted = attr(planned, kind);
            if wanted.is_wholly_known() {
                converge(c, &id, egress, &blocks_atoms(&attr(prior, kind)), &blocks_atoms(&wanted)).await?;
            }
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        let group = describe_one(c, &id).await?;
        Ok(group_value(c, &group, planned))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        if attr(prior, "revoke_rules_on_delete").as_bool() == Some(true) {
            // Rules that reference other groups would otherwise keep those groups (and this one) alive.
            if let Some(group) = describe(c, std::slice::from_ref(&id)).await?.get(&id) {
                for (_, egress) in KINDS {
                    let actual = permission_atoms(permissions(group, egress), &id);
                    converge(c, &id, egress, &actual, &BTreeSet::new()).await?;
                }
            }
        }
        crate::kit::delete_when_free("DeleteSecurityGroup", &id, || c.ec2.delete_security_group().group_id(&id).send())
            .await
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe(c, &ids).await?;
        Ok(ids.iter().zip(priors).map(|(id, prior)| found.get(id).map(|g| group_value(c, g, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|g| group_value(c, g, &Value::null(Type::Any))))
    }
}

fn permissions(group: &SecurityGroup, egress: bool) -> &[aws_sdk_ec2::types::IpPermission] {
    if egress { group.ip_permissions_egress() } else { group.ip_permissions() }
}

/// Revokes the rules in `actual` and not in `wanted`, then authorizes those in `wanted` and not
/// in `actual`: one call each at most. Revoking first lets a rule whose description changed be
/// authorized again (AWS counts it as the same rule).
async fn converge(
    c: &Clients,
    id: &str,
    egress: bool,
    actual: &BTreeSet<Atom>,
    wanted: &BTreeSet<Atom>,
) -> Result<(), Diagnostic> {
    let gone: Vec<&Atom> = actual.difference(wanted).collect();
    let new: Vec<&Atom> = wanted.difference(actual).collect();
    let ec2 = &c.ec2;
    if !gone.is_empty() {
        let permissions = Some(to_permissions(&gone, id));
        if egress {
            let call = ec2.revoke_security_group_egress().group_id(id).set_ip_permissions(permissions);
            call.send().await.map_err(|e| aws_error("RevokeSecurityGroupEgress", id, &e))?;
        } else {
            let call = ec2.revoke_security_group_ingress().group_id(id).set_ip_permissions(permissions);
            call.send().await.map_err(|e| aws_error("RevokeSecurityGroupIngress", id, &e))?;
        }
    }
    if !new.is_empty() {
        let permissions = Some(to_permissions(&new, id));
        if egress {
            let call = ec2.authorize_security_group_egress().group_id(id).set_ip_permissions(permissions);
            call.send().await.map_err(|e| aws_error("AuthorizeSecurityGroupEgress", id, &e))?;
        } else {
            let call = ec2.authorize_security_group_ingress().group_id(id).set_ip_permissions(permissions);
            call.send().await.map_err(|e| aws_error("AuthorizeSecurityGroupIngress", id, &e))?;
        }
    }
    Ok(())
}

/// Groups by ID, one DescribeSecurityGroups per 200 IDs (a filter: missing IDs are just absent).
async fn describe(c: &Clients, ids: &[String]) -> Result<BTreeMap<String, SecurityGroup>, Diagnostic> {
    describe_by(c, "group-id", ids).await
}

/// Groups matching a filter (`group-id`, the owner tag), a filter's worth of values per call.
async fn describe_by(
    c: &Clients,
    filter: &str,
    values: &[String],
) -> Result<BTreeMap<String, SecurityGroup>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let mut pages = c.ec2.describe_security_groups().filters(filter).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeSecurityGroups", "refreshing security groups", &e))?;
            for group in page.security_groups() {
                if let Some(id) = group.group_id() {
                    out.insert(id.to_string(), group.clone());
                }
            }
        }
    }
    Ok(out)
}

async fn describe_one(c: &Clients, id: &str) -> Result<SecurityGroup, Diagnostic> {
    let found = eventually(|| async { Ok(describe(c, &[id.to_string()]).await?.remove(id)) }).await?;
    found.ok_or_else(|| {
        Diagnostic::error("Security group vanished", format!("{id} was not found after it was created or changed."))
    })
}

/// The state of a described group. `known` (the prior state, or the plan after a change) lends
/// what AWS does not report (`name_prefix`, `revoke_rules_on_delete`) and the way its rule
/// blocks group their sources.
fn group_value(c: &Clients, g: &SecurityGroup, known: &Value) -> Value {
    let id = g.group_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_tags(g.tags()));
    let arn = g
        .security_group_arn()
        .map(str::to_string)
        .unwrap_or_else(|| format!("arn:aws:ec2:{}:{owner}:security-group/{id}", c.settings.region()));
    let prefix = attr(known, "name_prefix");
    let prefix = if prefix.as_str().is_some() { prefix } else { Value::null(Type::String) };
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("arn".into(), Value::string(arn)),
        ("owner_id".into(), Value::string(owner)),
        ("name".into(), Value::string(g.group_name().unwrap_or_default())),
        ("name_prefix".into(), prefix),
        ("description".into(), Value::string(g.description().unwrap_or_default())),
        ("vpc_id".into(), Value::string(g.vpc_id().unwrap_or_default())),
        (
            "revoke_rules_on_delete".into(),
            Value::bool(attr(known, "revoke_rules_on_delete").as_bool().unwrap_or(false)),
        ),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
        ("ingress".into(), blocks_for(&permission_atoms(g.ip_permissions(), id), &attr(known, "ingress"))),
        ("egress".into(), blocks_for(&permission_atoms(g.ip_permissions_egress(), id), &attr(known, "egress"))),
    ]))
}
