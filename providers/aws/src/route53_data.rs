//! The `aws_route53_zone` data source: a hosted zone by `zone_id`, or by `name` (and
//! `private_zone`, as terraform-provider-aws matches it).

use std::collections::BTreeMap;

use async_trait::async_trait;
use slipway_core::provider_kit::{bool_attr, string_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::data::DataSource;
use crate::kit::{Clients, aws_error};
use crate::route53_kit::{clean_zone_id, from_r53_tags, normalize_name, zone_tags};

pub struct ZoneData;

#[async_trait]
impl DataSource for ZoneData {
    fn type_name(&self) -> &'static str {
        "aws_route53_zone"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("zone_id", AttributeSchema::optional_computed(Type::String))
            .attribute("name", AttributeSchema::optional_computed(Type::String))
            .attribute("private_zone", AttributeSchema::optional(Type::Bool))
            .attribute("resource_record_set_count", AttributeSchema::computed(Type::Number))
            .attribute("name_servers", AttributeSchema::computed(Type::list(Type::String)))
            .attribute("tags", AttributeSchema::optional_computed(Type::map(Type::String)));
        for name in ["id", "arn", "comment", "caller_reference", "primary_name_server"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let private = bool_attr(config, "private_zone")?.unwrap_or(false);
        let id = match (string_attr(config, "zone_id")?, string_attr(config, "name")?) {
            (Some(id), _) => clean_zone_id(&id),
            (None, Some(name)) => {
                let out = c
                    .route53
                    .list_hosted_zones_by_name()
                    .dns_name(&name)
                    .send()
                    .await
                    .map_err(|e| aws_error("ListHostedZonesByName", &name, &e))?;
                let found = out.hosted_zones().iter().find(|z| {
                    normalize_name(z.name()) == normalize_name(&name)
                        && z.config().map(|c| c.private_zone()).unwrap_or(false) == private
                });
                let kind = if private { "private" } else { "public" };
                let zone = found.ok_or_else(|| {
                    Diagnostic::error("No hosted zone found", format!("There is no {kind} hosted zone named {name:?}."))
                })?;
                clean_zone_id(zone.id())
            }
            (None, None) => {
                return Err(Diagnostic::error(
                    "Missing zone_id or name",
                    "The aws_route53_zone data source needs zone_id or name.",
                ));
            }
        };
        let out = c.route53.get_hosted_zone().id(&id).send().await.map_err(|e| aws_error("GetHostedZone", &id, &e))?;
        let zone = out.hosted_zone();
        let servers: Vec<String> = out.delegation_set().map(|d| d.name_servers().to_vec()).unwrap_or_default();
        let tags = zone_tags(c, std::slice::from_ref(&id)).await?;
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(id.as_str())),
            ("zone_id".into(), Value::string(id.as_str())),
            ("arn".into(), Value::string(format!("arn:aws:route53:::hostedzone/{id}"))),
            ("name".into(), Value::string(normalize_name(zone.map(|z| z.name()).unwrap_or_default()))),
            (
                "private_zone".into(),
                Value::bool(zone.and_then(|z| z.config()).map(|c| c.private_zone()).unwrap_or(false)),
            ),
            (
                "comment".into(),
                Value::string(zone.and_then(|z| z.config()).and_then(|c| c.comment()).unwrap_or_default()),
            ),
            ("caller_reference".into(), Value::string(zone.map(|z| z.caller_reference()).unwrap_or_default())),
            (
                "resource_record_set_count".into(),
                Value::int(zone.and_then(|z| z.resource_record_set_count()).unwrap_or(0)),
            ),
            ("primary_name_server".into(), Value::string(servers.first().cloned().unwrap_or_default())),
            ("name_servers".into(), Value::list(Type::String, servers.into_iter().map(Value::string).collect())),
            ("tags".into(), from_r53_tags(tags.get(&id).map(Vec::as_slice).unwrap_or_default())),
        ])))
    }
}
