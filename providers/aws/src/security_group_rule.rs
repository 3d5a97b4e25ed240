//! `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule`: one rule of a
//! security group as its own object, with its own ID (`sgr-...`) and tags. Protocol, ports and
//! description change in place (ModifySecurityGroupRules); the group and the source replace it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRule, SecurityGroupRuleRequest,
    SecurityGroupRuleUpdate, UserIdGroupPair,
};
use slipway_core::provider_kit::{attr, int_attr, same};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, aws_error, configured_str, eventually, from_tags, is_not_found, required_str, split_tags,
    tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};
use crate::sg_permissions::normalize_protocol;

pub struct AwsSecurityGroupRule {
    egress: bool,
}

impl AwsSecurityGroupRule {
    pub const INGRESS: AwsSecurityGroupRule = AwsSecurityGroupRule { egress: false };
    pub const EGRESS: AwsSecurityGroupRule = AwsSecurityGroupRule { egress: true };

    fn operation(&self, verb: &str) -> String {
        format!("{verb}SecurityGroup{}", if self.egress { "Egress" } else { "Ingress" })
    }
}

/// The attributes that change in place, through ModifySecurityGroupRules.
const MODIFIABLE: [&str; 4] = ["ip_protocol", "from_port", "to_port", "description"];

#[async_trait]
impl Resource for AwsSecurityGroupRule {
    fn type_name(&self) -> &'static str {
        if self.egress { "aws_vpc_security_group_egress_rule" } else { "aws_vpc_security_group_ingress_rule" }
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("security_group_id", AttributeSchema::required(Type::String).force_new())
            .attribute("ip_protocol", AttributeSchema::required(Type::String))
            .attribute("from_port", AttributeSchema::optional(Type::Number))
            .attribute("to_port", AttributeSchema::optional(Type::Number))
            .attribute("description", AttributeSchema::optional(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["cidr_ipv4", "cidr_ipv6", "referenced_security_group_id", "prefix_list_id"] {
            block = block.attribute(name, AttributeSchema::optional(Type::String).force_new());
        }
        for name in ["id", "arn", "security_group_rule_id"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let group_id = required_str(planned, "security_group_id")?;
        // A run that stopped before saving state authorized this rule: carry on with it (a
        // second Authorize would be refused as a duplicate). Rules are found by their group,
        // then by the owner tag they were created with.
        if !owner.is_empty()
            && let Some(id) = self
                .describe_by(c, "group-id", std::slice::from_ref(&group_id))
                .await?
                .into_iter()
                .find_map(|(id, rule)| crate::kit::owned_by(rule.tags(), owner).then_some(id))
        {
            let adopted = self.describe_one(c, &id, planned).await?;
            return self.update(c, &adopted, planned).await;
        }
        let permission = permission(planned)?;
        let tags =
            tag_specification(ResourceType::SecurityGroupRule, &attr(planned, "tags_all"), owner).map(|t| vec![t]);
        let operation = self.operation("Authorize");
        let created = if self.egress {
            let call = c.ec2.authorize_security_group_egress().group_id(&group_id).ip_permissions(permission);
            let out = call.set_tag_specifications(tags).send().await;
            out.map_err(|e| aws_error(&operation, &group_id, &e))?.security_group_rules().to_vec()
        } else {
            let call = c.ec2.authorize_security_group_ingress().group_id(&group_id).ip_permissions(permission);
            let out = call.set_tag_specifications(tags).send().await;
            out.map_err(|e| aws_error(&operation, &group_id, &e))?.security_group_rules().to_vec()
        };
        // Authorize answers with the whole rule as Describe would (tags included), so it is
        // not read again.
        let rule = created.first().filter(|r| r.security_group_rule_id().is_some()).ok_or_else(|| {
            Diagnostic::error(
                format!("{operation} returned no rule"),
                format!("AWS authorized a rule in {group_id} but did not say which; look for it in the console and import it."),
            )
        })?;
        Ok(rule_value(c, rule, planned))
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let group_id = required_str(prior, "security_group_id")?;
        if MODIFIABLE.iter().any(|name| !same(&attr(prior, name), &attr(planned, name))) {
            let protocol = required_str(planned, "ip_protocol")?;
            let all = normalize_protocol(&protocol) == "-1";
            // AWS wants both ports; -1 stands for "all" (and for ICMP's "any type or code").
            let from = if all { -1 } else { port(planned, "from_port")? };
            let to = if all { -1 } else { port(planned, "to_port")? };
            let rule = SecurityGroupRuleRequest::builder()
                .ip_protocol(protocol)
                .from_port(from)
                .to_port(to)
                .set_cidr_ipv4(configured_str(planned, "cidr_ipv4"))
                .set_cidr_ipv6(configured_str(planned, "cidr_ipv6"))
                .set_prefix_list_id(configured_str(planned, "prefix_list_id"))
                .set_referenced_group_id(configured_str(planned, "referenced_security_group_id"))
                .set_description(configured_str(planned, "description"))
                .build();
            c.ec2
                .modify_security_group_rules()
                .group_id(&group_id)
                .security_group_rules(
                    SecurityGroupRuleUpdate::builder().security_group_rule_id(&id).security_group_rule(rule).build(),
                )
                .send()
                .await
                .map_err(|e| aws_error("ModifySecurityGroupRules", &id, &e))?;
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        self.describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        let group_id = required_str(prior, "security_group_id")?;
        let operation = self.operation("Revoke");
        if self.egress {
            let call = c.ec2.revoke_security_group_egress().group_id(&group_id).security_group_rule_ids(&id);
            if let Err(e) = call.send().await
                && !is_not_found(&e)
            {
                return Err(aws_error(&operation, &id, &e));
            }
        } else {
            let call = c.ec2.revoke_security_group_ingress().group_id(&group_id).security_group_rule_ids(&id);
            if let Err(e) = call.send().await
                && !is_not_found(&e)
            {
                return Err(aws_error(&operation, &id, &e));
            }
        }
        Ok(())
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = self.describe(c, &ids).await?;
        Ok(ids.iter().zip(priors).map(|(id, prior)| found.get(id).map(|r| rule_value(c, r, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = self.describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|r| rule_value(c, r, &Value::null(Type::Any))))
    }
}

impl AwsSecurityGroupRule {
    /// Rules of this direction by ID, one DescribeSecurityGroupRules per 200 IDs.
    async fn describe(&self, c: &Clients, ids: &[String]) -> Result<BTreeMap<String, SecurityGroupRule>, Diagnostic> {
        self.describe_by(c, "security-group-rule-id", ids).await
    }

    /// Rules of this direction matching a filter (`security-group-rule-id`, `group-id`).
    async fn describe_by(
        &self,
        c: &Clients,
        filter: &str,
        values: &[String],
    ) -> Result<BTreeMap<String, SecurityGroupRule>, Diagnostic> {
        let mut out = BTreeMap::new();
        for chunk in values.chunks(FILTER_CHUNK) {
            let filter = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
            let mut pages = c.ec2.describe_security_group_rules().filters(filter).into_paginator().send();
            while let Some(page) = pages.next().await {
                let page =
                    page.map_err(|e| aws_error("DescribeSecurityGroupRules", "refreshing security group rules", &e))?;
                for rule in page.security_group_rules() {
                    // An ID of the other direction is not this resource's object.
                    if let (Some(id), true) = (rule.security_group_rule_id(), rule.is_egress() == Some(self.egress)) {
                        out.insert(id.to_string(), rule.clone());
                    }
                }
            }
        }
        Ok(out)
    }

    async fn describe_one(&self, c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
        let found = eventually(|| async {
            Ok(self.describe(c, &[id.to_string()]).await?.get(id).map(|r| rule_value(c, r, planned)))
        })
        .await?;
        found.ok_or_else(|| {
            Diagnostic::error("Security group rule vanished", format!("{id} was not found after it was changed."))
        })
    }
}

fn port(value: &Value, name: &str) -> Result<i32, Diagnostic> {
    let p = int_attr(value, name)?.unwrap_or(-1);
    i32::try_from(p).map_err(|_| {
        Diagnostic::error(format!("Invalid value for {name:?}"), format!("{p} is not a port (0-65535, or -1)."))
    })
}

/// The one permission a rule resource stands for.
fn permission(planned: &Value) -> Result<IpPermission, Diagnostic> {
    let protocol = required_str(planned, "ip_protocol")?;
    let description = configured_str(planned, "description");
    let mut p = IpPermission::builder().ip_protocol(&protocol);
    if normalize_protocol(&protocol) != "-1" {
        p = p.from_port(port(planned, "from_port")?).to_port(port(planned, "to_port")?);
    }
    let sources = [
        configured_str(planned, "cidr_ipv4")
            .map(|c| p.clone().ip_ranges(IpRange::builder().cidr_ip(c).set_description(description.clone()).build())),
        configured_str(planned, "cidr_ipv6").map(|c| {
            p.clone().ipv6_ranges(Ipv6Range::builder().cidr_ipv6(c).set_description(description.clone()).build())
        }),
        configured_str(planned, "prefix_list_id").map(|c| {
            p.clone()
                .prefix_list_ids(PrefixListId::builder().prefix_list_id(c).set_description(description.clone()).build())
        }),
        configured_str(planned, "referenced_security_group_id").map(|c| {
            p.clone().user_id_group_pairs(
                UserIdGroupPair::builder().group_id(c).set_description(description.clone()).build(),
            )
        }),
    ];
    let mut given = sources.into_iter().flatten();
    match (given.next(), given.next()) {
        (Some(one), None) => Ok(one.build()),
        _ => Err(Diagnostic::error(
            "Exactly one source or destination",
            "Set exactly one of cidr_ipv4, cidr_ipv6, prefix_list_id and referenced_security_group_id.",
        )),
    }
}

fn rule_value(c: &Clients, r: &SecurityGroupRule, known: &Value) -> Value {
    let id = r.security_group_rule_id().unwrap_or_default();
    let owner = r.group_owner_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_tags(r.tags()));
    let arn = r
        .security_group_rule_arn()
        .map(str::to_string)
        .unwrap_or_else(|| format!("arn:aws:ec2:{}:{owner}:security-group-rule/{id}", c.settings.region()));
    let text = |v: Option<&str>| v.map_or_else(|| Value::null(Type::String), Value::string);
    let protocol = r.ip_protocol().unwrap_or("-1");
    let known_protocol = attr(known, "ip_protocol");
    // The protocol as written ("6", "all") when AWS means the same one ("tcp", "-1").
    let protocol = match known_protocol.as_str() {
        Some(k) if normalize_protocol(k) == normalize_protocol(protocol) => known_protocol.clone(),
        _ => Value::string(protocol),
    };
    // AWS reports -1 for ports it ignores; unset in the configuration, they stay unset.
    let port_value = |p: Option<i32>, name: &str| match p {
        Some(-1) | None if attr(known, name).is_null() => Value::null(Type::Number),
        Some(p) => Value::int(i64::from(p)),
        None => Value::null(Type::Number),
    };
    let description = match r.description().filter(|d| !d.is_empty()) {
        Some(d) => Value::string(d),
        None if attr(known, "description").as_str() == Some("") => Value::string(""),
        None => Value::null(Type::String),
    };
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("security_group_rule_id".into(), Value::string(id)),
        ("arn".into(), Value::string(arn)),
        ("security_group_id".into(), Value::string(r.group_id().unwrap_or_default())),
        ("ip_protocol".into(), protocol),
        ("from_port".into(), port_value(r.from_port(), "from_port")),
        ("to_port".into(), port_value(r.to_port(), "to_port")),
        ("cidr_ipv4".into(), text(r.cidr_ipv4())),
        ("cidr_ipv6".into(), text(r.cidr_ipv6())),
        ("prefix_list_id".into(), text(r.prefix_list_id())),
        ("referenced_security_group_id".into(), text(r.referenced_group_info().and_then(|g| g.group_id()))),
        ("description".into(), description),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
