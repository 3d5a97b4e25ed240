//! `aws_vpc`: a virtual network with its CIDR block, DNS settings and tags; the main route
//! table, default security group and default network ACL AWS makes with it are reported.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, Tenancy, Vpc, VpcState};
use slipway_core::provider_kit::{attr, bool_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, aws_error, from_tags, owner_filter, required_str, split_tags, tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsVpc;

const COMPUTED: [&str; 9] = [
    "id",
    "arn",
    "owner_id",
    "main_route_table_id",
    "default_route_table_id",
    "default_security_group_id",
    "default_network_acl_id",
    "dhcp_options_id",
    "ipv6_cidr_block",
];

#[async_trait]
impl Resource for AwsVpc {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("cidr_block", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("instance_tenancy", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("enable_dns_support", AttributeSchema::optional_computed(Type::Bool))
            .attribute("enable_dns_hostnames", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in COMPUTED {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("instance_tenancy", Value::string("default")),
            ("enable_dns_support", Value::bool(true)),
            ("enable_dns_hostnames", Value::bool(false)),
        ])
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = owner_filter(owner)
            && let Some(vpc) = describe_by(c, &filter, &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|o| crate::kit::owned_by(o.tags(), owner))
        {
            // A run that stopped before saving state made this VPC: carry on with it.
            let id = vpc.vpc_id().unwrap_or_default().to_string();
            let mut entries = vpc_value(c, &vpc, &Value::null(Type::Any)).as_entries().cloned().unwrap_or_default();
            entries.extend(default_ids(c, &id).await?);
            return self.update(c, &Value::object(entries), planned).await;
        }
        let cidr = required_str(planned, "cidr_block")?;
        let tenancy = crate::kit::configured_str(planned, "instance_tenancy").unwrap_or_else(|| "default".into());
        let created = c
            .ec2
            .create_vpc()
            .cidr_block(&cidr)
            .instance_tenancy(Tenancy::from(tenancy.as_str()))
            .set_tag_specifications(
                tag_specification(ResourceType::Vpc, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("CreateVpc", &cidr, &e))?;
        let id = created.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_string();
        wait_available(c, &id).await?;
        set_dns(c, &id, None, planned).await?;
        let mut state = describe_one(c, &id, planned).await?.ok_or_else(|| vanished(&id))?;
        let defaults = default_ids(c, &id).await?;
        if let Some(entries) = state.as_entries() {
            let mut entries = entries.clone();
            entries.extend(defaults);
            state = Value::object(entries);
        }
        Ok(state)
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        set_dns(c, &id, Some(prior), planned).await?;
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        let current = describe_one(c, &id, planned).await?.ok_or_else(|| vanished(&id))?;
        Ok(keep_prior_ids(current, prior))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        crate::kit::delete_when_free("DeleteVpc", &id, || c.ec2.delete_vpc().vpc_id(&id).send()).await
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe(c, &ids).await?;
        Ok(ids
            .iter()
            .zip(priors)
            .map(|(id, prior)| found.get(id).map(|vpc| keep_prior_ids(vpc_value(c, vpc, prior), prior)))
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let Some(state) = describe_one(c, id, &Value::null(Type::Any)).await? else { return Ok(None) };
        let dns_support = vpc_attribute(c, id, aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport).await?;
        let dns_hostnames = vpc_attribute(c, id, aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames).await?;
        let mut entries = state.as_entries().cloned().unwrap_or_default();
        entries.insert("enable_dns_support".into(), Value::bool(dns_support));
        entries.insert("enable_dns_hostnames".into(), Value::bool(dns_hostnames));
        entries.extend(default_ids(c, id).await?);
        Ok(Some(Value::object(entries)))
    }
}

fn vanished(id: &str) -> Diagnostic {
    Diagnostic::error("VPC vanished", format!("{id} was not found right after it was created or changed."))
}

/// VPCs by ID, with one DescribeVpcs per 200 IDs. A filter, not `VpcIds`, so that an ID that no
/// longer exists is simply absent instead of failing the whole call.
async fn describe(c: &Clients, ids: &[String]) -> Result<BTreeMap<String, Vpc>, Diagnostic> {
    describe_by(c, "vpc-id", ids).await
}

/// VPCs matching `filter` (`vpc-id`, a tag), 200 values per call.
async fn describe_by(c: &Clients, filter: &str, values: &[String]) -> Result<BTreeMap<String, Vpc>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let mut pages = c.ec2.describe_vpcs().filters(filter).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeVpcs", "refreshing VPCs", &e))?;
            for vpc in page.vpcs() {
                if let Some(id) = vpc.vpc_id() {
                    out.insert(id.to_string(), vpc.clone());
                }
            }
        }
    }
    Ok(out)
}

async fn describe_one(c: &Clients, id: &str, prior: &Value) -> Result<Option<Value>, Diagnostic> {
    crate::kit::eventually(|| async {
        let found = describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|vpc| vpc_value(c, vpc, prior)))
    })
    .await
}

/// The state of a described VPC. DNS settings and the IDs of the default objects are not part of
/// DescribeVpcs: they come from `prior` (refresh stays one call per 200 VPCs).
fn vpc_value(c: &Clients, vpc: &Vpc, prior: &Value) -> Value {
    let id = vpc.vpc_id().unwrap_or_default();
    let owner = vpc.owner_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(vpc.tags()));
    let ipv6 = vpc.ipv6_cidr_block_association_set().first().and_then(|a| a.ipv6_cidr_block()).unwrap_or_default();
    let known_or = |name: &str, default: Value| {
        let v = attr(prior, name);
        if v.is_null() || !v.is_known() { default } else { v }
    };
    let mut entries: BTreeMap<String, Value> = BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("arn".into(), Value::string(format!("arn:aws:ec2:{}:{owner}:vpc/{id}", c.settings.region()))),
        ("owner_id".into(), Value::string(owner)),
        ("cidr_block".into(), Value::string(vpc.cidr_block().unwrap_or_default())),
        ("instance_tenancy".into(), Value::string(vpc.instance_tenancy().map(|t| t.as_str()).unwrap_or("default"))),
        ("dhcp_options_id".into(), Value::string(vpc.dhcp_options_id().unwrap_or_default())),
        ("ipv6_cidr_block".into(), Value::string(ipv6)),
        ("enable_dns_support".into(), known_or("enable_dns_support", Value::bool(true))),
        ("enable_dns_hostnames".into(), known_or("enable_dns_hostnames", Value::bool(false))),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]);
    for name in ["main_route_table_id", "default_route_table_id", "default_security_group_id", "default_network_acl_id"]
    {
        entries.insert(name.into(), known_or(name, Value::string("")));
    }
    Value::object(entries)
}

/// The IDs of the default objects, which never change, from the prior state.
fn keep_prior_ids(current: Value, prior: &Value) -> Value {
    let Some(entries) = current.as_entries() else { return current };
    let mut entries = entries.clone();
    for name in ["main_route_table_id", "default_route_table_id", "default_security_group_id", "default_network_acl_id"]
    {
        let p = attr(prior, name);
        if p.as_str().is_some_and(|s| !s.is_empty()) {
            entries.insert(name.into(), p);
        }
    }
    Value::object(entries)
}

async fn wait_available(c: &Clients, id: &str) -> Result<(), Diagnostic> {
    let mut delay = std::time::Duration::from_millis(200);
    for _ in 0..30 {
        let found = describe(c, &[id.to_string()]).await?;
        if found.get(id).and_then(|v| v.state()) == Some(&VpcState::Available) {
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(std::time::Duration::from_secs(5));
    }
    Err(Diagnostic::error("Timed out waiting for the VPC", format!("{id} did not become available.")))
}

/// Sets the DNS attributes that differ from `prior` (from AWS's defaults on create).
async fn set_dns(c: &Clients, id: &str, prior: Option<&Value>, planned: &Value) -> Result<(), Diagnostic> {
    let before = |name: &str, default: bool| prior.and_then(|p| attr(p, name).as_bool()).unwrap_or(default);
    let support = bool_attr(planned, "enable_dns_support")?.unwrap_or(true);
    if support != before("enable_dns_support", true) {
        c.ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_support(AttributeBooleanValue::builder().value(support).build())
            .send()
            .await
            .map_err(|e| aws_error("ModifyVpcAttribute", id, &e))?;
    }
    let hostnames = bool_attr(planned, "enable_dns_hostnames")?.unwrap_or(false);
    if hostnames != before("enable_dns_hostnames", false) {
        c.ec2
            .modify_vpc_attribute()
            .vpc_id(id)
            .enable_dns_hostnames(AttributeBooleanValue::builder().value(hostnames).build())
            .send()
            .await
            .map_err(|e| aws_error("ModifyVpcAttribute", id, &e))?;
    }
    Ok(())
}

async fn vpc_attribute(c: &Clients, id: &str, name: aws_sdk_ec2::types::VpcAttributeName) -> Result<bool, Diagnostic> {
    let out = c
        .ec2
        .describe_vpc_attribute()
        .vpc_id(id)
        .attribute(name.clone())
        .send()
        .await
        .map_err(|e| aws_error("DescribeVpcAttribute", id, &e))?;
    let value = match name {
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport => out.enable_dns_support().and_then(|a| a.value()),
        _ => out.enable_dns_hostnames().and_then(|a| a.value()),
    };
    Ok(value.unwrap_or(false))
}

/// The main route table, default security group and default network ACL AWS made for the VPC.
async fn default_ids(c: &Clients, id: &str) -> Result<BTreeMap<String, Value>, Diagnostic> {
    let vpc = Filter::builder().name("vpc-id").values(id).build();
    let tables = c
        .ec2
        .describe_route_tables()
        .filters(vpc.clone())
        .filters(Filter::builder().name("association.main").values("true").build())
        .send()
        .await
        .map_err(|e| aws_error("DescribeRouteTables", id, &e))?;
    let main = tables.route_tables().first().and_then(|t| t.route_table_id()).unwrap_or_default().to_string();
    let groups = c
        .ec2
        .describe_security_groups()
        .filters(vpc.clone())
        .filters(Filter::builder().name("group-name").values("default").build())
        .send()
        .await
        .map_err(|e| aws_error("DescribeSecurityGroups", id, &e))?;
    let group = groups.security_groups().first().and_then(|g| g.group_id()).unwrap_or_default().to_string();
    let acls = c
        .ec2
        .describe_network_acls()
        .filters(vpc)
        .filters(Filter::builder().name("default").values("true").build())
        .send()
        .await
        .map_err(|e| aws_error("DescribeNetworkAcls", id, &e))?;
    let acl = acls.network_acls().first().and_then(|a| a.network_acl_id()).unwrap_or_default().to_string();
    Ok(BTreeMap::from([
        ("main_route_table_id".into(), Value::string(main.clone())),
        ("default_route_table_id".into(), Value::string(main)),
        ("default_security_group_id".into(), Value::string(group)),
        ("default_network_acl_id".into(), Value::string(acl)),
    ]))
}
