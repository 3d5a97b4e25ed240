//! `aws_lb`: an Elastic Load Balancing v2 load balancer, network (the API server endpoint of an
//! HA control plane) or application. The ID is the ARN. Refresh is one DescribeLoadBalancers and
//! one DescribeTags per 20 load balancers; the two attributes (`enable_cross_zone_load_balancing`,
//! `enable_deletion_protection`) take a call per load balancer, so they are read on import and
//! kept from state on refresh, as `aws_vpc` keeps its DNS settings.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::client::Waiters;
use aws_sdk_elasticloadbalancingv2::types::{
    IpAddressType, LoadBalancer, LoadBalancerAttribute, LoadBalancerSchemeEnum, LoadBalancerTypeEnum,
};
use aws_smithy_types::error::display::DisplayErrorContext;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::elbv2_kit::{
    ARN_CHUNK, arn_suffix, by_chunks, describe_tags, from_tags, known_or, owned_name, owner_of, string_set, strings,
    to_tags, update_tags,
};
use crate::kit::{Clients, aws_error, configured_str, is_not_found, required_str, split_tags};
use crate::resource::{Resource, ids};

pub struct AwsLb;

/// How long creating, changing or deleting a load balancer may take (terraform-provider-aws: 10m).
const WAIT: Duration = Duration::from_secs(600);

const CROSS_ZONE: &str = "load_balancing.cross_zone.enabled";
const DELETION_PROTECTION: &str = "deletion_protection.enabled";

#[async_trait]
impl Resource for AwsLb {
    fn type_name(&self) -> &'static str {
        "aws_lb"
    }

    fn schema(&self) -> BlockSchema {
        let strings = Type::set(Type::String);
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("load_balancer_type", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("internal", AttributeSchema::optional_computed(Type::Bool).force_new())
            .attribute("subnets", AttributeSchema::optional_computed(strings.clone()))
            .attribute("security_groups", AttributeSchema::optional_computed(strings))
            .attribute("ip_address_type", AttributeSchema::optional_computed(Type::String))
            .attribute("enable_cross_zone_load_balancing", AttributeSchema::optional_computed(Type::Bool))
            .attribute("enable_deletion_protection", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["id", "arn", "arn_suffix", "dns_name", "zone_id", "vpc_id"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("load_balancer_type", Value::string("application")),
            ("enable_cross_zone_load_balancing", Value::bool(false)),
            ("enable_deletion_protection", Value::bool(false)),
        ])
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = owned_name(planned, "tf-lb-", owner);
        if let Some((lb, tags)) = find_by_name(c, &name).await? {
            let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
            if owner.is_empty() || owner_of(&tags) != Some(owner) {
                return Err(Diagnostic::error(
                    "Load balancer already exists",
                    format!(
                        "A load balancer named {name:?} exists already ({arn}) and slipway did not create it. Choose another name, or bring it under management with:\n\n    slipway import ADDRESS {arn}"
                    ),
                ));
            }
            // A run that stopped before saving state created this load balancer: carry on with it.
            let prior = lb_value(c, &lb, &tags, &Value::null(Type::Any));
            return self.update(c, &prior, planned).await;
        }
        let lb_type = configured_str(planned, "load_balancer_type").unwrap_or_else(|| "application".into());
        let internal = attr(planned, "internal").as_bool() == Some(true);
        let created = c
            .elbv2
            .create_load_balancer()
            .name(&name)
            .r#type(LoadBalancerTypeEnum::from(lb_type.as_str()))
            .scheme(if internal { LoadBalancerSchemeEnum::Internal } else { LoadBalancerSchemeEnum::InternetFacing })
            .set_subnets(Some(strings(planned, "subnets")).filter(|s| !s.is_empty()))
            .set_security_groups(Some(strings(planned, "security_groups")).filter(|s| !s.is_empty()))
            .set_ip_address_type(configured_str(planned, "ip_address_type").map(|t| IpAddressType::from(t.as_str())))
            .set_tags(Some(to_tags(&attr(planned, "tags_all"), owner)))
            .send()
            .await
            .map_err(|e| aws_error("CreateLoadBalancer", &name, &e))?;
        let arn =
            created.load_balancers().first().and_then(|lb| lb.load_balancer_arn()).unwrap_or_default().to_string();
        wait_active(c, &arn).await?;
        set_attributes(c, &arn, &lb_type, None, planned).await?;
        read_one(c, &arn, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let arn = required_str(prior, "id")?;
        let changed = |name: &str| {
            let after = attr(planned, name);
            after.is_wholly_known() && !after.same_known_value(&attr(prior, name))
        };
        if changed("subnets") {
            let call = c.elbv2.set_subnets().load_balancer_arn(&arn).set_subnets(Some(strings(planned, "subnets")));
            call.send().await.map_err(|e| aws_error("SetSubnets", &arn, &e))?;
        }
        if changed("security_groups") {
            let groups = Some(strings(planned, "security_groups"));
            let call = c.elbv2.set_security_groups().load_balancer_arn(&arn).set_security_groups(groups);
            call.send().await.map_err(|e| aws_error("SetSecurityGroups", &arn, &e))?;
        }
        if changed("ip_address_type")
            && let Some(kind) = configured_str(planned, "ip_address_type")
        {
            let call = c
                .elbv2
                .set_ip_address_type()
                .load_balancer_arn(&arn)
                .ip_address_type(IpAddressType::from(kind.as_str()));
            call.send().await.map_err(|e| aws_error("SetIpAddressType", &arn, &e))?;
        }
        let lb_type = configured_str(prior, "load_balancer_type").unwrap_or_else(|| "application".into());
        set_attributes(c, &arn, &lb_type, Some(prior), planned).await?;
        update_tags(c, &arn, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        wait_active(c, &arn).await?;
        read_one(c, &arn, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let arn = required_str(prior, "id")?;
        match c.elbv2.delete_load_balancer().load_balancer_arn(&arn).send().await {
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => {
                let mut d = aws_error("DeleteLoadBalancer", &arn, &e);
                if e.as_service_error().map(|s| s.is_operation_not_permitted_exception()) == Some(true) {
                    d.detail.push_str(" Set enable_deletion_protection = false and apply before destroying it.");
                }
                return Err(d);
            }
            Ok(_) => {}
        }
        c.elbv2
            .wait_until_load_balancers_deleted()
            .load_balancer_arns(&arn)
            .wait(WAIT)
            .await
            .map_err(|e| waiter_error("Waiting for the load balancer to be deleted", &arn, &e))?;
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
                let lb = found.get(arn)?;
                Some(lb_value(c, lb, tags.get(arn).map(Vec::as_slice).unwrap_or_default(), prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        let Some(lb) = found.get(id) else { return Ok(None) };
        let tags = describe_tags(c, &[id.to_string()]).await?;
        let attributes = attributes(c, id).await?;
        let flag = |key: &str| Value::bool(attributes.get(key).map(String::as_str) == Some("true"));
        let known = Value::object(BTreeMap::from([
            ("enable_cross_zone_load_balancing".to_string(), flag(CROSS_ZONE)),
            ("enable_deletion_protection".to_string(), flag(DELETION_PROTECTION)),
        ]));
        Ok(Some(lb_value(c, lb, tags.get(id).map(Vec::as_slice).unwrap_or_default(), &known)))
    }
}

/// Load balancers by ARN, with one DescribeLoadBalancers per 20 ARNs (more only when some are gone).
async fn describe(c: &Clients, arns: &[String]) -> Result<BTreeMap<String, LoadBalancer>, Diagnostic> {
    let found = by_chunks("DescribeLoadBalancers", arns, ARN_CHUNK, |chunk| async move {
        c.elbv2
            .describe_load_balancers()
            .set_load_balancer_arns(Some(chunk))
            .send()
            .await
            .map(|out| out.load_balancers().to_vec())
    })
    .await?;
    Ok(found.into_iter().filter_map(|lb| Some((lb.load_balancer_arn()?.to_string(), lb))).collect())
}

/// The load balancer named `name` and its tags, if there is one.
async fn find_by_name(
    c: &Clients,
    name: &str,
) -> Result<Option<(LoadBalancer, Vec<aws_sdk_elasticloadbalancingv2::types::Tag>)>, Diagnostic> {
    let lb = match c.elbv2.describe_load_balancers().names(name).send().await {
        Ok(out) => out.load_balancers().first().cloned(),
        Err(e) if is_not_found(&e) => None,
        Err(e) => return Err(aws_error("DescribeLoadBalancers", name, &e)),
    };
    let Some(lb) = lb else { return Ok(None) };
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let tags = describe_tags(c, std::slice::from_ref(&arn)).await?.remove(&arn).unwrap_or_default();
    Ok(Some((lb, tags)))
}

async fn read_one(c: &Clients, arn: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async { Ok(describe(c, &[arn.to_string()]).await?.remove(arn)) }).await?;
    let lb = found.ok_or_else(|| {
        Diagnostic::error("Load balancer vanished", format!("{arn} was not found after it was created or changed."))
    })?;
    let tags = describe_tags(c, &[arn.to_string()]).await?;
    Ok(lb_value(c, &lb, tags.get(arn).map(Vec::as_slice).unwrap_or_default(), planned))
}

/// Waits for the load balancer to be active, with the SDK's waiter.
async fn wait_active(c: &Clients, arn: &str) -> Result<(), Diagnostic> {
    c.elbv2
        .wait_until_load_balancer_available()
        .load_balancer_arns(arn)
        .wait(WAIT)
        .await
        .map_err(|e| waiter_error("Waiting for the load balancer to be active", arn, &e))?;
    Ok(())
}

pub fn waiter_error<E: std::error::Error + 'static>(what: &str, id: &str, e: &E) -> Diagnostic {
    Diagnostic::error(
        format!("{what} failed"),
        format!(
            "{id}: {}. Look at the object in the AWS console; run again to continue waiting.",
            DisplayErrorContext(e)
        ),
    )
}

/// Sets the attributes whose planned value differs from `prior` (from AWS's defaults, false,
/// on create). Cross-zone load balancing is a setting of network and gateway load balancers
/// only: an application load balancer always has it.
async fn set_attributes(
    c: &Clients,
    arn: &str,
    lb_type: &str,
    prior: Option<&Value>,
    planned: &Value,
) -> Result<(), Diagnostic> {
    let mut changes = Vec::new();
    let mut wanted = vec![("enable_deletion_protection", DELETION_PROTECTION)];
    if lb_type != "application" {
        wanted.push(("enable_cross_zone_load_balancing", CROSS_ZONE));
    }
    for (name, key) in wanted {
        let after = attr(planned, name).as_bool().unwrap_or(false);
        let before = prior.and_then(|p| attr(p, name).as_bool()).unwrap_or(false);
        if after != before {
            changes.push(LoadBalancerAttribute::builder().key(key).value(after.to_string()).build());
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    c.elbv2
        .modify_load_balancer_attributes()
        .load_balancer_arn(arn)
        .set_attributes(Some(changes))
        .send()
        .await
        .map_err(|e| aws_error("ModifyLoadBalancerAttributes", arn, &e))?;
    Ok(())
}

async fn attributes(c: &Clients, arn: &str) -> Result<BTreeMap<String, String>, Diagnostic> {
    let out = c
        .elbv2
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
        .map_err(|e| aws_error("DescribeLoadBalancerAttributes", arn, &e))?;
    Ok(out
        .attributes()
        .iter()
        .filter_map(|a| Some((a.key()?.to_string(), a.value().unwrap_or_default().to_string())))
        .collect())
}

/// The state of a described load balancer. `known` (the prior state, or the plan after a
/// change) lends what DescribeLoadBalancers does not report: `name_prefix` and the two attributes.
fn lb_value(
    c: &Clients,
    lb: &LoadBalancer,
    tags: &[aws_sdk_elasticloadbalancingv2::types::Tag],
    known: &Value,
) -> Value {
    let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
    let arn = lb.load_balancer_arn().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_tags(tags));
    let subnets: Vec<&str> = lb.availability_zones().iter().filter_map(|z| z.subnet_id()).collect();
    let prefix = attr(known, "name_prefix");
    let prefix = if prefix.as_str().is_some() { prefix } else { Value::null(Type::String) };
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(arn)),
        ("arn".into(), Value::string(arn)),
        ("arn_suffix".into(), Value::string(arn_suffix(arn, ":loadbalancer/"))),
        ("dns_name".into(), s(lb.dns_name())),
        ("zone_id".into(), s(lb.canonical_hosted_zone_id())),
        ("vpc_id".into(), s(lb.vpc_id())),
        ("name".into(), s(lb.load_balancer_name())),
        ("name_prefix".into(), prefix),
        ("load_balancer_type".into(), s(lb.r#type().map(|t| t.as_str()))),
        ("internal".into(), Value::bool(lb.scheme() == Some(&LoadBalancerSchemeEnum::Internal))),
        ("subnets".into(), string_set(&subnets)),
        ("security_groups".into(), string_set(lb.security_groups())),
        ("ip_address_type".into(), s(lb.ip_address_type().map(|t| t.as_str()))),
        (
            "enable_cross_zone_load_balancing".into(),
            known_or(known, "enable_cross_zone_load_balancing", Value::bool(false)),
        ),
        ("enable_deletion_protection".into(), known_or(known, "enable_deletion_protection", Value::bool(false))),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
