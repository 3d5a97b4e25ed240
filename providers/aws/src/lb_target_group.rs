//! `aws_lb_target_group`: where a load balancer sends traffic (TCP for a network load balancer),
//! with its `health_check` block. The ID is the ARN. Refresh is one DescribeTargetGroups and one
//! DescribeTags per 20 groups; `deregistration_delay`, an attribute that takes a call per group,
//! is read on import and kept from state on refresh.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{
    Matcher, ProtocolEnum, Tag, TargetGroup, TargetGroupAttribute, TargetGroupIpAddressTypeEnum, TargetTypeEnum,
};
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::elbv2_kit::{
    ARN_CHUNK, by_chunks, describe_tags, from_tags, int32, known_or, owned_name, owner_of, planned_i32, string_set,
    to_tags, update_tags,
};
use crate::kit::{Clients, aws_error, configured_str, is_not_found, required_str, split_tags};
use crate::resource::{Resource, ids};

pub struct AwsLbTargetGroup;

const DEREGISTRATION_DELAY: &str = "deregistration_delay.timeout_seconds";

fn health_check_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("enabled", AttributeSchema::optional_computed(Type::Bool))
        .attribute("healthy_threshold", AttributeSchema::optional_computed(Type::Number))
        .attribute("interval", AttributeSchema::optional_computed(Type::Number))
        .attribute("matcher", AttributeSchema::optional_computed(Type::String))
        .attribute("path", AttributeSchema::optional_computed(Type::String))
        .attribute("port", AttributeSchema::optional_computed(Type::String))
        .attribute("protocol", AttributeSchema::optional_computed(Type::String))
        .attribute("timeout", AttributeSchema::optional_computed(Type::Number))
        .attribute("unhealthy_threshold", AttributeSchema::optional_computed(Type::Number))
}

/// terraform-provider-aws's defaults inside a `health_check` block.
fn health_check_defaults() -> [(&'static str, Value); 6] {
    [
        ("enabled", Value::bool(true)),
        ("healthy_threshold", Value::int(3)),
        ("interval", Value::int(30)),
        ("port", Value::string("traffic-port")),
        ("protocol", Value::string("HTTP")),
        ("unhealthy_threshold", Value::int(3)),
    ]
}

#[async_trait]
impl Resource for AwsLbTargetGroup {
    fn type_name(&self) -> &'static str {
        "aws_lb_target_group"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("port", AttributeSchema::optional(Type::Number).force_new())
            .attribute("protocol", AttributeSchema::optional(Type::String).force_new())
            .attribute("vpc_id", AttributeSchema::optional(Type::String).force_new())
            .attribute("target_type", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("ip_address_type", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("deregistration_delay", AttributeSchema::optional_computed(Type::Number))
            .attribute("load_balancer_arns", AttributeSchema::computed(Type::set(Type::String)))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .block("health_check", Nesting::Set, health_check_block());
        if let Some(b) = block.blocks.get_mut("health_check") {
            b.max_items = 1;
        }
        for name in ["id", "arn", "arn_suffix"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("target_type", Value::string("instance")), ("deregistration_delay", Value::int(300))])
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        let list_type = Type::set(health_check_block().value_type());
        let config = attr(&request.config, "health_check");
        let prior = request.prior.as_ref().map(|p| attr(p, "health_check")).filter(|_| !fresh);
        let prior_block = prior.as_ref().and_then(|p| p.as_elements()).and_then(|e| e.first().cloned());
        let value = match config.as_elements() {
            _ if !config.is_known() => Value::unknown(list_type),
            Some([block]) => {
                let mut entries = block.as_entries().cloned().unwrap_or_default();
                for (name, default) in health_check_defaults() {
                    if attr(block, name).is_null() {
                        entries.insert(name.into(), default);
                    }
                }
                // AWS keeps protocols in capitals (terraform-provider-aws's StateFunc).
                if let Some(p) = attr(block, "protocol").as_str() {
                    entries.insert("protocol".into(), Value::string(p.to_ascii_uppercase()));
                }
                for (name, ty) in [("matcher", Type::String), ("path", Type::String), ("timeout", Type::Number)] {
                    if attr(block, name).is_null() {
                        let from_prior = prior_block.as_ref().map(|p| attr(p, name)).filter(|v| !v.is_null());
                        entries.insert(name.into(), from_prior.unwrap_or_else(|| Value::unknown(ty)));
                    }
                }
                Value::set(health_check_block().value_type(), vec![Value::object(entries)])
            }
            // Not in the configuration: AWS's health check, as refresh read it.
            _ => prior.unwrap_or_else(|| Value::unknown(list_type)),
        };
        planned.insert("health_check".into(), value);
        if fresh {
            planned.insert("load_balancer_arns".into(), Value::unknown(Type::set(Type::String)));
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = owned_name(planned, "tf-", owner);
        if let Some((group, tags)) = find_by_name(c, &name).await? {
            let arn = group.target_group_arn().unwrap_or_default().to_string();
            if owner.is_empty() || owner_of(&tags) != Some(owner) {
                return Err(Diagnostic::error(
                    "Target group already exists",
                    format!(
                        "A target group named {name:?} exists already ({arn}) and slipway did not create it. Choose another name, or bring it under management with:\n\n    slipway import ADDRESS {arn}"
                    ),
                ));
            }
            // A run that stopped before saving state created this group: carry on with it.
            let prior = group_value(c, &group, &tags, &Value::null(Type::Any));
            return self.update(c, &prior, planned).await;
        }
        let hc = health_check(planned);
        let mut call = c
            .elbv2
            .create_target_group()
            .name(&name)
            .set_port(planned_i32(planned, "port"))
            .set_protocol(configured_str(planned, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
            .set_vpc_id(configured_str(planned, "vpc_id"))
            .target_type(TargetTypeEnum::from(
                configured_str(planned, "target_type").unwrap_or_else(|| "instance".into()).as_str(),
            ))
            .set_ip_address_type(
                configured_str(planned, "ip_address_type").map(|t| TargetGroupIpAddressTypeEnum::from(t.as_str())),
            )
            .set_tags(Some(to_tags(&attr(planned, "tags_all"), owner)));
        if let Some(hc) = &hc {
            call = call
                .set_health_check_enabled(attr(hc, "enabled").as_bool())
                .set_health_check_interval_seconds(planned_i32(hc, "interval"))
                .set_healthy_threshold_count(planned_i32(hc, "healthy_threshold"))
                .set_unhealthy_threshold_count(planned_i32(hc, "unhealthy_threshold"))
                .set_health_check_timeout_seconds(planned_i32(hc, "timeout").filter(|t| *t != 0))
                .set_health_check_port(configured_str(hc, "port"))
                .set_health_check_protocol(configured_str(hc, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
                .set_health_check_path(http_only(hc, "path"))
                .set_matcher(http_only(hc, "matcher").map(|m| Matcher::builder().http_code(m).build()));
        }
        let created = call.send().await.map_err(|e| aws_error("CreateTargetGroup", &name, &e))?;
        let arn = created.target_groups().first().and_then(|g| g.target_group_arn()).unwrap_or_default().to_string();
        set_deregistration_delay(c, &arn, None, planned).await?;
        read_one(c, &arn, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let arn = required_str(prior, "id")?;
        if let Some(hc) = health_check(planned)
            && !health_check(prior).is_some_and(|before| slipway_core::provider_kit::same(&before, &hc))
        {
            c.elbv2
                .modify_target_group()
                .target_group_arn(&arn)
                .set_health_check_enabled(attr(&hc, "enabled").as_bool())
                .set_health_check_interval_seconds(planned_i32(&hc, "interval"))
                .set_healthy_threshold_count(planned_i32(&hc, "healthy_threshold"))
                .set_unhealthy_threshold_count(planned_i32(&hc, "unhealthy_threshold"))
                .set_health_check_timeout_seconds(planned_i32(&hc, "timeout").filter(|t| *t != 0))
                .set_health_check_port(configured_str(&hc, "port"))
                .set_health_check_protocol(configured_str(&hc, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
                .set_health_check_path(http_only(&hc, "path"))
                .set_matcher(http_only(&hc, "matcher").map(|m| Matcher::builder().http_code(m).build()))
                .send()
                .await
                .map_err(|e| aws_error("ModifyTargetGroup", &arn, &e))?;
        }
        set_deregistration_delay(c, &arn, Some(prior), planned).await?;
        update_tags(c, &arn, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        read_one(c, &arn, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let arn = required_str(prior, "id")?;
        // A listener deleted a moment ago can still hold the group (ResourceInUse): retry a while.
        let mut delay = std::time::Duration::from_millis(500);
        for attempt in 0.. {
            match c.elbv2.delete_target_group().target_group_arn(&arn).send().await {
                Ok(_) => return Ok(()),
                Err(e) if is_not_found(&e) => return Ok(()),
                Err(e) if attempt < 8 && e.as_service_error().is_some_and(|s| s.is_resource_in_use_exception()) => {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
                Err(e) => return Err(aws_error("DeleteTargetGroup", &arn, &e)),
            }
        }
        Ok(())
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let arns = ids(priors);
        let found = describe(c, &arns).await?;
        let tags = describe_tags(c, &found.keys().cloned().collect::<Vec<_>>()).await?;
        Ok(arns
            .iter()
            .zip(priors)
            .map(|(arn, prior)| {
                let group = found.get(arn)?;
                Some(group_value(c, group, tags.get(arn).map(Vec::as_slice).unwrap_or_default(), prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        let Some(group) = found.get(id) else { return Ok(None) };
        let tags = describe_tags(c, &[id.to_string()]).await?;
        let out = c
            .elbv2
            .describe_target_group_attributes()
            .target_group_arn(id)
            .send()
            .await
            .map_err(|e| aws_error("DescribeTargetGroupAttributes", id, &e))?;
        let delay = out
            .attributes()
            .iter()
            .find(|a| a.key() == Some(DEREGISTRATION_DELAY))
            .and_then(|a| a.value()?.parse::<i64>().ok())
            .unwrap_or(300);
        let known = Value::object(BTreeMap::from([("deregistration_delay".to_string(), Value::int(delay))]));
        Ok(Some(group_value(c, group, tags.get(id).map(Vec::as_slice).unwrap_or_default(), &known)))
    }
}

/// The planned `health_check` block, when there is one (parts of it may be AWS's to fill in).
fn health_check(value: &Value) -> Option<Value> {
    let blocks = attr(value, "health_check");
    blocks.as_elements().and_then(|e| e.first().cloned())
}

/// A path or matcher, which only HTTP and HTTPS health checks take.
fn http_only(hc: &Value, name: &str) -> Option<String> {
    let protocol = configured_str(hc, "protocol").unwrap_or_default();
    if protocol != "HTTP" && protocol != "HTTPS" {
        return None;
    }
    configured_str(hc, name).filter(|v| !v.is_empty())
}

async fn set_deregistration_delay(
    c: &Clients,
    arn: &str,
    prior: Option<&Value>,
    planned: &Value,
) -> Result<(), Diagnostic> {
    let after = planned_i32(planned, "deregistration_delay").unwrap_or(300);
    let before = prior.and_then(|p| planned_i32(p, "deregistration_delay")).unwrap_or(300);
    if after == before {
        return Ok(());
    }
    let attribute = TargetGroupAttribute::builder().key(DEREGISTRATION_DELAY).value(after.to_string()).build();
    c.elbv2
        .modify_target_group_attributes()
        .target_group_arn(arn)
        .attributes(attribute)
        .send()
        .await
        .map_err(|e| aws_error("ModifyTargetGroupAttributes", arn, &e))?;
    Ok(())
}

/// Target groups by ARN, with one DescribeTargetGroups per 20 ARNs (more only when some are gone).
async fn describe(c: &Clients, arns: &[String]) -> Result<BTreeMap<String, TargetGroup>, Diagnostic> {
    let found = by_chunks("DescribeTargetGroups", arns, ARN_CHUNK, |chunk| async move {
        c.elbv2
            .describe_target_groups()
            .set_target_group_arns(Some(chunk))
            .send()
            .await
            .map(|out| out.target_groups().to_vec())
    })
    .await?;
    Ok(found.into_iter().filter_map(|g| Some((g.target_group_arn()?.to_string(), g))).collect())
}

async fn find_by_name(c: &Clients, name: &str) -> Result<Option<(TargetGroup, Vec<Tag>)>, Diagnostic> {
    let group = match c.elbv2.describe_target_groups().names(name).send().await {
        Ok(out) => out.target_groups().first().cloned(),
        Err(e) if is_not_found(&e) => None,
        Err(e) => return Err(aws_error("DescribeTargetGroups", name, &e)),
    };
    let Some(group) = group else { return Ok(None) };
    let arn = group.target_group_arn().unwrap_or_default().to_string();
    let tags = describe_tags(c, std::slice::from_ref(&arn)).await?.remove(&arn).unwrap_or_default();
    Ok(Some((group, tags)))
}

async fn read_one(c: &Clients, arn: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async { Ok(describe(c, &[arn.to_string()]).await?.remove(arn)) }).await?;
    let group = found.ok_or_else(|| {
        Diagnostic::error("Target group vanished", format!("{arn} was not found after it was created or changed."))
    })?;
    let tags = describe_tags(c, &[arn.to_string()]).await?;
    Ok(group_value(c, &group, tags.get(arn).map(Vec::as_slice).unwrap_or_default(), planned))
}

/// The state of a described target group; `known` lends `name_prefix` and `deregistration_delay`.
fn group_value(c: &Clients, g: &TargetGroup, tags: &[Tag], known: &Value) -> Value {
    let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
    let arn = g.target_group_arn().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_tags(tags));
    let prefix = attr(known, "name_prefix");
    let prefix = if prefix.as_str().is_some() { prefix } else { Value::null(Type::String) };
    let matcher = g.matcher().and_then(|m| m.http_code().or(m.grpc_code()));
    let health_check = Value::object(BTreeMap::from([
        ("enabled".to_string(), Value::bool(g.health_check_enabled().unwrap_or(true))),
        ("healthy_threshold".to_string(), int32(g.healthy_threshold_count())),
        ("interval".to_string(), int32(g.health_check_interval_seconds())),
        ("matcher".to_string(), s(matcher)),
        ("path".to_string(), s(g.health_check_path())),
        ("port".to_string(), s(g.health_check_port())),
        ("protocol".to_string(), s(g.health_check_protocol().map(|p| p.as_str()))),
        ("timeout".to_string(), int32(g.health_check_timeout_seconds())),
        ("unhealthy_threshold".to_string(), int32(g.unhealthy_threshold_count())),
    ]));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(arn)),
        ("arn".into(), Value::string(arn)),
        ("arn_suffix".into(), Value::string(arn.rsplit_once(':').map(|(_, s)| s).unwrap_or_default())),
        ("name".into(), s(g.target_group_name())),
        ("name_prefix".into(), prefix),
        ("port".into(), int32(g.port())),
        ("protocol".into(), s(g.protocol().map(|p| p.as_str()))),
        ("vpc_id".into(), s(g.vpc_id())),
        ("target_type".into(), s(g.target_type().map(|t| t.as_str()))),
        ("ip_address_type".into(), s(g.ip_address_type().map(|t| t.as_str()))),
        ("deregistration_delay".into(), known_or(known, "deregistration_delay", Value::int(300))),
        ("load_balancer_arns".into(), string_set(g.load_balancer_arns())),
        ("health_check".into(), Value::set(health_check_block().value_type(), vec![health_check])),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
