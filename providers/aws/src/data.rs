//! Data sources: `aws_region`, `aws_caller_identity`, `aws_availability_zones`, `aws_vpc`,
//! `aws_subnets`, `aws_ami`; the IAM, S3 and Route 53 ones live with their services.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::Filter;
use slipway_core::provider_kit::string_attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{Clients, aws_error};

#[async_trait]
pub trait DataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> BlockSchema;
    async fn read(&self, clients: &Clients, config: &Value) -> Result<Value, Diagnostic>;
}

pub fn all() -> Vec<Box<dyn DataSource>> {
    vec![
        Box::new(RegionData),
        Box::new(CallerIdentity),
        Box::new(AvailabilityZones),
        Box::new(VpcData),
        Box::new(SubnetsData),
        Box::new(AmiData),
        Box::new(crate::iam_data::PolicyDocument),
        Box::new(crate::iam_data::RoleData),
        Box::new(crate::s3_data::ObjectData),
        Box::new(crate::route53_data::ZoneData),
    ]
}

fn computed(names: &[&str]) -> BlockSchema {
    names.iter().fold(BlockSchema::new(), |b, n| b.attribute(n, AttributeSchema::computed(Type::String)))
}

struct RegionData;

#[async_trait]
impl DataSource for RegionData {
    fn type_name(&self) -> &'static str {
        "aws_region"
    }

    fn schema(&self) -> BlockSchema {
        computed(&["id", "endpoint", "description"]).attribute("name", AttributeSchema::optional_computed(Type::String))
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let name = string_attr(config, "name")?.unwrap_or_else(|| c.settings.region());
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(name.as_str())),
            ("name".into(), Value::string(name.as_str())),
            ("endpoint".into(), Value::string(format!("ec2.{name}.amazonaws.com"))),
            ("description".into(), Value::string("")),
        ])))
    }
}

struct CallerIdentity;

#[async_trait]
impl DataSource for CallerIdentity {
    fn type_name(&self) -> &'static str {
        "aws_caller_identity"
    }

    fn schema(&self) -> BlockSchema {
        computed(&["id", "account_id", "arn", "user_id"])
    }

    async fn read(&self, c: &Clients, _config: &Value) -> Result<Value, Diagnostic> {
        let who = c
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_error("GetCallerIdentity", "aws_caller_identity", &e))?;
        let account = who.account().unwrap_or_default();
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(account)),
            ("account_id".into(), Value::string(account)),
            ("arn".into(), Value::string(who.arn().unwrap_or_default())),
            ("user_id".into(), Value::string(who.user_id().unwrap_or_default())),
        ])))
    }
}

struct AvailabilityZones;

#[async_trait]
impl DataSource for AvailabilityZones {
    fn type_name(&self) -> &'static str {
        "aws_availability_zones"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute(
                "state",
                AttributeSchema::optional(Type::String).describe("available, information, impaired or unavailable"),
            )
            .attribute("id", AttributeSchema::computed(Type::String))
            .attribute("names", AttributeSchema::computed(Type::list(Type::String)))
            .attribute("zone_ids", AttributeSchema::computed(Type::list(Type::String)))
            .attribute("group_names", AttributeSchema::computed(Type::set(Type::String)))
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let mut request = c.ec2.describe_availability_zones();
        if let Some(state) = string_attr(config, "state")? {
            request = request.filters(Filter::builder().name("state").values(state).build());
        }
        let out =
            request.send().await.map_err(|e| aws_error("DescribeAvailabilityZones", "aws_availability_zones", &e))?;
        let mut zones: Vec<(String, String, String)> = out
            .availability_zones()
            .iter()
            .map(|z| {
                (
                    z.zone_name().unwrap_or_default().to_string(),
                    z.zone_id().unwrap_or_default().to_string(),
                    z.group_name().unwrap_or_default().to_string(),
                )
            })
            .collect();
        zones.sort();
        let strings = |f: fn(&(String, String, String)) -> &String| -> Vec<Value> {
            zones.iter().map(|z| Value::string(f(z).as_str())).collect()
        };
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(c.settings.region())),
            ("state".into(), slipway_core::provider_kit::attr(config, "state")),
            ("names".into(), Value::list(Type::String, strings(|z| &z.0))),
            ("zone_ids".into(), Value::list(Type::String, strings(|z| &z.1))),
            ("group_names".into(), Value::set(Type::String, strings(|z| &z.2))),
        ])))
    }
}

/// `filter { name = "..." values = [...] }` blocks, as every Describe-backed data source takes them.
fn filter_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("name", AttributeSchema::required(Type::String))
        .attribute("values", AttributeSchema::required(Type::list(Type::String)))
}

/// The configured `filter` blocks and `tags` as EC2 filters.
fn filters(config: &Value) -> Vec<Filter> {
    let mut out = Vec::new();
    for block in slipway_core::provider_kit::attr(config, "filter").as_elements().unwrap_or_default() {
        let name = slipway_core::provider_kit::attr(block, "name");
        let values: Vec<String> = slipway_core::provider_kit::attr(block, "values")
            .as_elements()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if let Some(name) = name.as_str() {
            out.push(Filter::builder().name(name).set_values(Some(values)).build());
        }
    }
    if let Some(tags) = slipway_core::provider_kit::attr(config, "tags").as_entries() {
        for (k, v) in tags.iter() {
            if let Some(v) = v.as_str() {
                out.push(Filter::builder().name(format!("tag:{k}")).values(v).build());
            }
        }
    }
    out
}

fn no_match(what: &str) -> Diagnostic {
    Diagnostic::error(
        format!("no matching {what} found"),
        format!("No {what} matches the given arguments and filters; loosen them, or check the region."),
    )
}

struct VpcData;

#[async_trait]
impl DataSource for VpcData {
    fn type_name(&self) -> &'static str {
        "aws_vpc"
    }

    fn schema(&self) -> BlockSchema {
        computed(&["arn", "owner_id", "instance_tenancy", "dhcp_options_id", "state"])
            .attribute("id", AttributeSchema::optional_computed(Type::String))
            .attribute("cidr_block", AttributeSchema::optional_computed(Type::String))
            .attribute("default", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional_computed(Type::map(Type::String)))
            .block("filter", slipway_core::schema::Nesting::Set, filter_block())
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let mut request = c.ec2.describe_vpcs().set_filters(Some(filters(config)));
        if let Some(id) = string_attr(config, "id")? {
            request = request.filters(Filter::builder().name("vpc-id").values(id).build());
        }
        if let Some(cidr) = string_attr(config, "cidr_block")? {
            request = request.filters(Filter::builder().name("cidr").values(cidr).build());
        }
        if let Some(default) = slipway_core::provider_kit::bool_attr(config, "default")? {
            request = request.filters(Filter::builder().name("is-default").values(default.to_string()).build());
        }
        let out = request.send().await.map_err(|e| aws_error("DescribeVpcs", "data.aws_vpc", &e))?;
        let vpc = match out.vpcs() {
            [one] => one,
            [] => return Err(no_match("VPC")),
            many => {
                return Err(Diagnostic::error(
                    "multiple VPCs matched",
                    format!("{} VPCs match; add arguments or filters so that exactly one does.", many.len()),
                ));
            }
        };
        let id = vpc.vpc_id().unwrap_or_default();
        let owner = vpc.owner_id().unwrap_or_default();
        let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(id)),
            ("arn".into(), Value::string(format!("arn:aws:ec2:{}:{owner}:vpc/{id}", c.settings.region()))),
            ("owner_id".into(), Value::string(owner)),
            ("cidr_block".into(), s(vpc.cidr_block())),
            ("instance_tenancy".into(), s(vpc.instance_tenancy().map(|t| t.as_str()))),
            ("dhcp_options_id".into(), s(vpc.dhcp_options_id())),
            ("state".into(), s(vpc.state().map(|t| t.as_str()))),
            ("default".into(), Value::bool(vpc.is_default().unwrap_or(false))),
            ("tags".into(), crate::kit::from_tags(vpc.tags())),
            ("filter".into(), slipway_core::provider_kit::attr(config, "filter")),
        ])))
    }
}

struct SubnetsData;

#[async_trait]
impl DataSource for SubnetsData {
    fn type_name(&self) -> &'static str {
        "aws_subnets"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("id", AttributeSchema::computed(Type::String))
            .attribute("ids", AttributeSchema::computed(Type::list(Type::String)))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .block("filter", slipway_core::schema::Nesting::Set, filter_block())
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let mut ids = Vec::new();
        let mut pages = c.ec2.describe_subnets().set_filters(Some(filters(config))).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeSubnets", "data.aws_subnets", &e))?;
            ids.extend(page.subnets().iter().filter_map(|s| s.subnet_id().map(str::to_string)));
        }
        ids.sort();
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(c.settings.region())),
            ("ids".into(), Value::list(Type::String, ids.into_iter().map(Value::string).collect())),
            ("tags".into(), slipway_core::provider_kit::attr(config, "tags")),
            ("filter".into(), slipway_core::provider_kit::attr(config, "filter")),
        ])))
    }
}

struct AmiData;

#[async_trait]
impl DataSource for AmiData {
    fn type_name(&self) -> &'static str {
        "aws_ami"
    }

    fn schema(&self) -> BlockSchema {
        computed(&[
            "id",
            "image_id",
            "name",
            "architecture",
            "creation_date",
            "description",
            "owner_id",
            "root_device_name",
            "state",
            "virtualization_type",
        ])
        .attribute("owners", AttributeSchema::optional(Type::list(Type::String)))
        .attribute("most_recent", AttributeSchema::optional(Type::Bool))
        .attribute("name_regex", AttributeSchema::optional(Type::String))
        .block("filter", slipway_core::schema::Nesting::Set, filter_block())
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let owners: Vec<String> = slipway_core::provider_kit::attr(config, "owners")
            .as_elements()
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let regex = match string_attr(config, "name_regex")? {
            Some(pattern) => Some(regex::Regex::new(&pattern).map_err(|e| {
                Diagnostic::error("Invalid name_regex", format!("{pattern:?} is not a regular expression: {e}."))
            })?),
            None => None,
        };
        let out = c
            .ec2
            .describe_images()
            .set_owners((!owners.is_empty()).then_some(owners))
            .set_filters(Some(filters(config)))
            .send()
            .await
            .map_err(|e| aws_error("DescribeImages", "data.aws_ami", &e))?;
        let mut images: Vec<&aws_sdk_ec2::types::Image> = out
            .images()
            .iter()
            .filter(|i| regex.as_ref().is_none_or(|r| i.name().is_some_and(|n| r.is_match(n))))
            .collect();
        images.sort_by(|a, b| a.creation_date().cmp(&b.creation_date()));
        let most_recent = slipway_core::provider_kit::bool_attr(config, "most_recent")?.unwrap_or(false);
        let image = match images.as_slice() {
            [] => return Err(no_match("AMI")),
            [one] => *one,
            [.., last] if most_recent => *last,
            many => {
                return Err(Diagnostic::error(
                    "multiple AMIs matched",
                    format!("{} images match; set most_recent = true, or narrow the filters.", many.len()),
                ));
            }
        };
        let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
        Ok(Value::object(BTreeMap::from([
            ("id".into(), s(image.image_id())),
            ("image_id".into(), s(image.image_id())),
            ("name".into(), s(image.name())),
            ("architecture".into(), s(image.architecture().map(|a| a.as_str()))),
            ("creation_date".into(), s(image.creation_date())),
            ("description".into(), s(image.description())),
            ("owner_id".into(), s(image.owner_id())),
            ("root_device_name".into(), s(image.root_device_name())),
            ("state".into(), s(image.state().map(|a| a.as_str()))),
            ("virtualization_type".into(), s(image.virtualization_type().map(|a| a.as_str()))),
            ("owners".into(), slipway_core::provider_kit::attr(config, "owners")),
            ("most_recent".into(), slipway_core::provider_kit::attr(config, "most_recent")),
            ("name_regex".into(), slipway_core::provider_kit::attr(config, "name_regex")),
            ("filter".into(), slipway_core::provider_kit::attr(config, "filter")),
        ])))
    }
}
