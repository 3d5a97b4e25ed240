//! `aws_internet_gateway`: a VPC's way to the internet, attached to `vpc_id` (moved between VPCs
//! in place by detaching and attaching).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, InternetGateway, ResourceType};
use slipway_core::provider_kit::{attr, string_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, aws_error, eventually, from_tags, is_not_found, required_str, split_tags, tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsInternetGateway;

#[async_trait]
impl Resource for AwsInternetGateway {
    fn type_name(&self) -> &'static str {
        "aws_internet_gateway"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("vpc_id", AttributeSchema::optional_computed(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["id", "arn", "owner_id"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = crate::kit::owner_filter(owner)
            && let Some(gateway) = describe_by(c, &filter, &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|o| crate::kit::owned_by(o.tags(), owner))
        {
            // A run that stopped before saving state made this gateway: carry on with it.
            return self.update(c, &gateway_value(c, &gateway, &Value::null(Type::Any)), planned).await;
        }
        let created = c
            .ec2
            .create_internet_gateway()
            .set_tag_specifications(
                tag_specification(ResourceType::InternetGateway, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("CreateInternetGateway", "internet gateway", &e))?;
        let id = created.internet_gateway().and_then(|g| g.internet_gateway_id()).unwrap_or_default().to_string();
        if let Some(vpc_id) = crate::kit::configured_str(planned, "vpc_id") {
            attach(c, &id, &vpc_id).await?;
        }
        describe_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let before = string_attr(prior, "vpc_id")?.filter(|v| !v.is_empty());
        let after = string_attr(planned, "vpc_id")?.filter(|v| !v.is_empty());
        if before != after {
            if let Some(old) = &before {
                detach(c, &id, old).await?;
            }
            if let Some(new) = &after {
                attach(c, &id, new).await?;
            }
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        if let Some(vpc_id) = string_attr(prior, "vpc_id")?.filter(|v| !v.is_empty()) {
            detach(c, &id, &vpc_id).await?;
        }
        match c.ec2.delete_internet_gateway().internet_gateway_id(&id).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteInternetGateway", &id, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe(c, &ids).await?;
        Ok(ids.iter().zip(priors).map(|(id, prior)| found.get(id).map(|g| gateway_value(c, g, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|g| gateway_value(c, g, &Value::null(Type::Any))))
    }
}

async fn attach(c: &Clients, id: &str, vpc_id: &str) -> Result<(), Diagnostic> {
    c.ec2
        .attach_internet_gateway()
        .internet_gateway_id(id)
        .vpc_id(vpc_id)
        .send()
        .await
        .map_err(|e| aws_error("AttachInternetGateway", &format!("{id} to {vpc_id}"), &e))?;
    Ok(())
}

async fn detach(c: &Clients, id: &str, vpc_id: &str) -> Result<(), Diagnostic> {
    match c.ec2.detach_internet_gateway().internet_gateway_id(id).vpc_id(vpc_id).send().await {
        Err(e)
            if !is_not_found(&e)
                && aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e) != Some("Gateway.NotAttached") =>
        {
            Err(aws_error("DetachInternetGateway", &format!("{id} from {vpc_id}"), &e))
        }
        _ => Ok(()),
    }
}

/// Gateways by ID, one DescribeInternetGateways per 200 IDs.
async fn describe(c: &Clients, ids: &[String]) -> Result<BTreeMap<String, InternetGateway>, Diagnostic> {
    describe_by(c, "internet-gateway-id", ids).await
}

async fn describe_by(
    c: &Clients,
    filter: &str,
    values: &[String],
) -> Result<BTreeMap<String, InternetGateway>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let mut pages = c.ec2.describe_internet_gateways().filters(filter).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeInternetGateways", "refreshing internet gateways", &e))?;
            for gateway in page.internet_gateways() {
                if let Some(id) = gateway.internet_gateway_id() {
                    out.insert(id.to_string(), gateway.clone());
                }
            }
        }
    }
    Ok(out)
}

async fn describe_one(c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = eventually(|| async {
        let found = describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|g| gateway_value(c, g, planned)))
    })
    .await?;
    found.ok_or_else(|| {
        Diagnostic::error("Internet gateway vanished", format!("{id} was not found after it was changed."))
    })
}

fn gateway_value(c: &Clients, g: &InternetGateway, prior: &Value) -> Value {
    let id = g.internet_gateway_id().unwrap_or_default();
    let owner = g.owner_id().unwrap_or_default();
    let vpc_id = g.attachments().first().and_then(|a| a.vpc_id()).unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(g.tags()));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("arn".into(), Value::string(format!("arn:aws:ec2:{}:{owner}:internet-gateway/{id}", c.settings.region()))),
        ("owner_id".into(), Value::string(owner)),
        ("vpc_id".into(), Value::string(vpc_id)),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
