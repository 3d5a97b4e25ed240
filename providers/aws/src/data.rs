//! Data sources: `aws_region`, `aws_caller_identity`, `aws_availability_zones`.

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
    vec![Box::new(RegionData), Box::new(CallerIdentity), Box::new(AvailabilityZones)]
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
