//! `aws_subnet`: a range of a VPC in one availability zone.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, Subnet};
use slipway_core::provider_kit::{attr, bool_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, aws_error, configured_str, from_tags, is_not_found, required_str, split_tags, tag_specification,
    update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsSubnet;

#[async_trait]
impl Resource for AwsSubnet {
    fn type_name(&self) -> &'static str {
        "aws_subnet"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("vpc_id", AttributeSchema::required(Type::String).force_new())
            .attribute("cidr_block", AttributeSchema::optional(Type::String).force_new())
            .attribute("availability_zone", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("availability_zone_id", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("map_public_ip_on_launch", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["id", "arn", "owner_id"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("map_public_ip_on_launch", Value::bool(false))])
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = crate::kit::owner_filter(owner)
            && let Some(subnet) = describe_by(c, &filter, &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|o| crate::kit::owned_by(o.tags(), owner))
        {
            // A run that stopped before saving state made this subnet: carry on with it.
            return self.update(c, &subnet_value(c, &subnet, &Value::null(Type::Any)), planned).await;
        }
        let vpc_id = required_str(planned, "vpc_id")?;
        let cidr = required_str(planned, "cidr_block")?;
        let created = c
            .ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(&cidr)
            .set_availability_zone(configured_str(planned, "availability_zone"))
            .set_availability_zone_id(configured_str(planned, "availability_zone_id"))
            .set_tag_specifications(
                tag_specification(ResourceType::Subnet, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("CreateSubnet", &format!("{cidr} in {vpc_id}"), &e))?;
        let id = created.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string();
        if bool_attr(planned, "map_public_ip_on_launch")? == Some(true) {
            set_public_ip(c, &id, true).await?;
        }
        describe_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let public = bool_attr(planned, "map_public_ip_on_launch")?.unwrap_or(false);
        if Some(public) != attr(prior, "map_public_ip_on_launch").as_bool() {
            set_public_ip(c, &id, public).await?;
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        match c.ec2.delete_subnet().subnet_id(&id).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteSubnet", &id, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        // Subnets come a few VPCs at a time: describing by VPC takes one call per 1,000
        // subnets, where 200 subnet IDs per filter would take five.
        let vpcs: std::collections::BTreeSet<String> =
            priors.iter().filter_map(|p| crate::kit::configured_str(p, "vpc_id")).collect();
        let found = if vpcs.len() < ids.len() {
            describe_by(c, "vpc-id", &vpcs.into_iter().collect::<Vec<_>>()).await?
        } else {
            describe(c, &ids).await?
        };
        Ok(ids.iter().zip(priors).map(|(id, prior)| found.get(id).map(|s| subnet_value(c, s, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|s| subnet_value(c, s, &Value::null(Type::Any))))
    }
}

async fn set_public_ip(c: &Clients, id: &str, public: bool) -> Result<(), Diagnostic> {
    c.ec2
        .modify_subnet_attribute()
        .subnet_id(id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(public).build())
        .send()
        .await
        .map_err(|e| aws_error("ModifySubnetAttribute", id, &e))?;
    Ok(())
}

/// Subnets by ID, one DescribeSubnets per 200 IDs (a filter: missing IDs are just absent).
async fn describe(c: &Clients, ids: &[String]) -> Result<BTreeMap<String, Subnet>, Diagnostic> {
    describe_by(c, "subnet-id", ids).await
}

/// Subnets matching `filter` (`subnet-id`, `vpc-id`), 200 values per filter, 1,000 per page.
async fn describe_by(c: &Clients, filter: &str, values: &[String]) -> Result<BTreeMap<String, Subnet>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let mut pages = c.ec2.describe_subnets().filters(filter).max_results(1000).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeSubnets", "refreshing subnets", &e))?;
            for subnet in page.subnets() {
                if let Some(id) = subnet.subnet_id() {
                    out.insert(id.to_string(), subnet.clone());
                }
            }
        }
    }
    Ok(out)
}

async fn describe_one(c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async {
        let found = describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|s| subnet_value(c, s, planned)))
    })
    .await?;
    found.ok_or_else(|| Diagnostic::error("Subnet vanished", format!("{id} was not found after it was changed.")))
}

fn subnet_value(c: &Clients, s: &Subnet, prior: &Value) -> Value {
    let id = s.subnet_id().unwrap_or_default();
    let owner = s.owner_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(s.tags()));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        (
            "arn".into(),
            Value::string(
                s.subnet_arn()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("arn:aws:ec2:{}:{owner}:subnet/{id}", c.settings.region())),
            ),
        ),
        ("owner_id".into(), Value::string(owner)),
        ("vpc_id".into(), Value::string(s.vpc_id().unwrap_or_default())),
        ("cidr_block".into(), Value::string(s.cidr_block().unwrap_or_default())),
        ("availability_zone".into(), Value::string(s.availability_zone().unwrap_or_default())),
        ("availability_zone_id".into(), Value::string(s.availability_zone_id().unwrap_or_default())),
        ("map_public_ip_on_launch".into(), Value::bool(s.map_public_ip_on_launch().unwrap_or(false))),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
