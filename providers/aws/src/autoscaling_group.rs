//! `aws_autoscaling_group`: a group of instances from a launch template, kept between `min_size`
//! and `max_size` at `desired_capacity` across the `vpc_zone_identifier` subnets; the node groups
//! of a cluster, self-healing as a ReplicaSet is. The ID is the name. Refresh is one
//! DescribeAutoScalingGroups per 100 groups. As in terraform-provider-aws, the group has `tag`
//! blocks (with `propagate_at_launch`) and no `tags`/`tags_all`: default_tags do not apply.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_autoscaling::client::Waiters;
use aws_sdk_autoscaling::types::{AutoScalingGroup, Filter, LaunchTemplateSpecification, LifecycleState, Tag};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::{attr, same};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Diagnostics, Type, Value};

use crate::elbv2_kit::{int32, known_or, planned_i32, string_set, strings};
use crate::instance_refresh::{self, Roll};
use crate::kit::{Clients, OWNER_TAG, aws_error, configured_str, name_or_unique, required_str};
use crate::resource::{Resource, ids};

pub struct AwsAutoscalingGroup;

/// How many names one DescribeAutoScalingGroups takes (its MaxRecords).
const NAME_CHUNK: usize = 100;

/// How many target groups one Attach/DetachLoadBalancerTargetGroups takes.
const TARGET_GROUP_CHUNK: usize = 10;

/// How long deleting a group may take (terraform-provider-aws: 10m).
const DELETE_WAIT: Duration = Duration::from_secs(600);

fn launch_template_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("id", AttributeSchema::optional_computed(Type::String))
        .attribute("name", AttributeSchema::optional_computed(Type::String))
        .attribute("version", AttributeSchema::optional_computed(Type::String))
}

fn tag_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("key", AttributeSchema::required(Type::String))
        .attribute("value", AttributeSchema::required(Type::String))
        .attribute("propagate_at_launch", AttributeSchema::required(Type::Bool))
}

#[async_trait]
impl Resource for AwsAutoscalingGroup {
    fn type_name(&self) -> &'static str {
        "aws_autoscaling_group"
    }

    fn schema(&self) -> BlockSchema {
        let strings = Type::set(Type::String);
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("min_size", AttributeSchema::required(Type::Number))
            .attribute("max_size", AttributeSchema::required(Type::Number))
            .attribute("desired_capacity", AttributeSchema::optional_computed(Type::Number))
            .attribute("default_cooldown", AttributeSchema::optional_computed(Type::Number))
            .attribute("availability_zones", AttributeSchema::optional_computed(strings.clone()))
            .attribute("vpc_zone_identifier", AttributeSchema::optional_computed(strings.clone()))
            .attribute("target_group_arns", AttributeSchema::optional_computed(strings))
            .attribute("health_check_type", AttributeSchema::optional_computed(Type::String))
            .attribute("health_check_grace_period", AttributeSchema::optional_computed(Type::Number))
            .attribute("force_delete", AttributeSchema::optional_computed(Type::Bool))
            .attribute("wait_for_capacity_timeout", AttributeSchema::optional_computed(Type::String))
            .block("launch_template", Nesting::List, launch_template_block())
            .block("instance_refresh", Nesting::List, instance_refresh::block())
            .block("tag", Nesting::Set, tag_block());
        for name in ["launch_template", "instance_refresh"] {
            if let Some(b) = block.blocks.get_mut(name) {
                b.max_items = 1;
            }
        }
        for name in ["id", "arn"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("health_check_grace_period", Value::int(300)),
            ("force_delete", Value::bool(false)),
            ("wait_for_capacity_timeout", Value::string("10m")),
        ])
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        instance_refresh::validate(config).into_iter().collect()
    }

    fn plan_notes(&self, prior: &Value, planned: &Value) -> Vec<String> {
        instance_refresh::plan_note(prior, planned).into_iter().collect()
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        let prior = request.prior.as_ref().filter(|_| !fresh);
        // The template's other identifier and its version are AWS's to fill in; they carry over
        // while the template stays the same.
        let config = attr(&request.config, "launch_template");
        if let Some(templates) = config.as_elements() {
            let prior_template =
                prior.and_then(|p| attr(p, "launch_template").as_elements().and_then(|e| e.first().cloned()));
            let same_template = |t: &Value| {
                prior_template.as_ref().is_some_and(|p| {
                    ["id", "name"].iter().any(|k| !attr(t, k).is_null() && same(&attr(t, k), &attr(p, k)))
                })
            };
            let planned_templates = templates
                .iter()
                .map(|t| {
                    let mut entries = t.as_entries().cloned().unwrap_or_default();
                    for name in ["id", "name", "version"] {
                        if attr(t, name).is_null() {
                            let carried = prior_template.as_ref().filter(|_| same_template(t)).map(|p| attr(p, name));
                            entries.insert(name.into(), carried.unwrap_or_else(|| Value::unknown(Type::String)));
                        }
                    }
                    Value::object(entries)
                })
                .collect();
            planned
                .insert("launch_template".into(), Value::list(launch_template_block().value_type(), planned_templates));
        }
        let tags = attr(&request.config, "tag");
        if tags.is_null() {
            planned.insert("tag".into(), Value::set(tag_block().value_type(), Vec::new()));
        }
        // AWS moves the desired capacity into a changed [min, max] range when it is left to AWS.
        if let Some(prior) = prior
            && attr(&request.config, "desired_capacity").is_null()
            && ["min_size", "max_size"].iter().any(|n| !same(&attr(prior, n), &attr(&request.config, n)))
        {
            planned.insert("desired_capacity".into(), Value::unknown(Type::Number));
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(name) = owned_by(c, owner).await?
            && let Some(group) = describe(c, std::slice::from_ref(&name)).await?.remove(&name)
        {
            // A run that stopped before saving state created this group: carry on with it.
            let prior = group_value(&group, &Value::null(Type::Any));
            return self.update(c, &prior, planned).await;
        }
        let name = name_or_unique(planned, "name", "name_prefix", "terraform-");
        let mut tags = tags_of(planned, &name);
        if !owner.is_empty() {
            tags.push(tag(&name, OWNER_TAG, owner, false));
        }
        let subnets = strings(planned, "vpc_zone_identifier");
        let zones = strings(planned, "availability_zones");
        let target_groups = strings(planned, "target_group_arns");
        c.autoscaling
            .create_auto_scaling_group()
            .auto_scaling_group_name(&name)
            .set_min_size(planned_i32(planned, "min_size"))
            .set_max_size(planned_i32(planned, "max_size"))
            .set_desired_capacity(planned_i32(planned, "desired_capacity"))
            .set_default_cooldown(planned_i32(planned, "default_cooldown"))
            .set_launch_template(launch_template(planned))
            .set_vpc_zone_identifier((!subnets.is_empty()).then(|| subnets.join(",")))
            .set_availability_zones((!zones.is_empty()).then_some(zones))
            .set_target_group_arns((!target_groups.is_empty()).then_some(target_groups))
            .set_health_check_type(configured_str(planned, "health_check_type"))
            .set_health_check_grace_period(planned_i32(planned, "health_check_grace_period"))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| aws_error("CreateAutoScalingGroup", &name, &e))?;
        let at_least = planned_i32(planned, "desired_capacity")
            .filter(|d| *d > 0)
            .or(planned_i32(planned, "min_size"))
            .unwrap_or(0);
        wait_for_capacity(c, &name, planned, |n| n >= at_least).await?;
        read_one(c, &name, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let name = required_str(prior, "id")?;
        let changed = |n: &str| {
            let after = attr(planned, n);
            after.is_wholly_known() && !after.same_known_value(&attr(prior, n))
        };
        let group_settings = [
            "min_size",
            "max_size",
            "desired_capacity",
            "default_cooldown",
            "launch_template",
            "vpc_zone_identifier",
            "availability_zones",
            "health_check_type",
            "health_check_grace_period",
        ];
        // A roll is checked, and marked on the group, before the group changes: a roll that
        // stops half way is resumed by the next apply.
        let roll = if instance_refresh::wanted(planned, changed) { Some(Roll::from_config(planned)?) } else { None };
        if roll.is_some() {
            let from = attr(prior, "launch_template")
                .as_elements()
                .and_then(|t| t.first().and_then(|t| configured_str(t, "version")))
                .unwrap_or_default();
            instance_refresh::mark_pending(c, &name, &from).await?;
        }
        if group_settings.iter().any(|n| changed(n)) {
            let subnets = strings(planned, "vpc_zone_identifier");
            let zones = strings(planned, "availability_zones");
            let when = |n: &str, v: Option<i32>| v.filter(|_| changed(n));
            c.autoscaling
                .update_auto_scaling_group()
                .auto_scaling_group_name(&name)
                .set_min_size(planned_i32(planned, "min_size"))
                .set_max_size(planned_i32(planned, "max_size"))
                .set_desired_capacity(when("desired_capacity", planned_i32(planned, "desired_capacity")))
                .set_default_cooldown(when("default_cooldown", planned_i32(planned, "default_cooldown")))
                .set_launch_template(launch_template(planned).filter(|_| changed("launch_template")))
                .set_vpc_zone_identifier(
                    (!subnets.is_empty() && changed("vpc_zone_identifier")).then(|| subnets.join(",")),
                )
                .set_availability_zones((!zones.is_empty() && changed("availability_zones")).then_some(zones))
                .set_health_check_type(
                    configured_str(planned, "health_check_type").filter(|_| changed("health_check_type")),
                )
                .set_health_check_grace_period(planned_i32(planned, "health_check_grace_period"))
                .send()
                .await
                .map_err(|e| aws_error("UpdateAutoScalingGroup", &name, &e))?;
        }
        if changed("target_group_arns") {
            update_target_groups(
                c,
                &name,
                &strings(prior, "target_group_arns"),
                &strings(planned, "target_group_arns"),
            )
            .await?;
        }
        update_tags(c, &name, prior, planned).await?;
        if changed("desired_capacity") || changed("min_size") {
            // As terraform-provider-aws waits: exactly the desired capacity when it is known, else
            // at least the minimum (AWS chose the desired capacity).
            let min = planned_i32(planned, "min_size").unwrap_or(0);
            match planned_i32(planned, "desired_capacity") {
                Some(desired) => wait_for_capacity(c, &name, planned, |n| n == desired.max(min)).await?,
                None => wait_for_capacity(c, &name, planned, |n| n >= min).await?,
            }
        }
        if let Some(roll) = roll {
            roll.run(c, &name, instance_refresh::capacity_timeout(planned)).await?;
            instance_refresh::clear_pending(c, &name).await?;
        } else if changed("launch_template") {
            // A roll left unfinished whose instance_refresh block was then removed: the mark
            // would make every refresh report the old version. (Deleting a tag that is not
            // there succeeds.)
            instance_refresh::clear_pending(c, &name).await?;
        }
        read_one(c, &name, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let name = required_str(prior, "id")?;
        let Some(group) = describe(c, std::slice::from_ref(&name)).await?.remove(&name) else { return Ok(()) };
        let force = attr(prior, "force_delete").as_bool() == Some(true);
        if !force && !group.instances().is_empty() {
            // Scale to nothing first, as terraform-provider-aws drains a group: AWS refuses to
            // delete a group that still has instances unless forced.
            c.autoscaling
                .update_auto_scaling_group()
                .auto_scaling_group_name(&name)
                .min_size(0)
                .max_size(0)
                .desired_capacity(0)
                .send()
                .await
                .map_err(|e| aws_error("UpdateAutoScalingGroup (draining before delete)", &name, &e))?;
            wait_for_instances(c, &name, DELETE_WAIT, false, |n| n == 0).await?;
        }
        let mut delay = Duration::from_millis(500);
        for attempt in 0.. {
            match c
                .autoscaling
                .delete_auto_scaling_group()
                .auto_scaling_group_name(&name)
                .force_delete(force)
                .send()
                .await
            {
                Ok(_) => break,
                Err(e) if e.message().is_some_and(|m| m.contains("not found")) => return Ok(()),
                Err(e)
                    if attempt < 10
                        && e.as_service_error().is_some_and(|s| {
                            s.is_resource_in_use_fault() || s.is_scaling_activity_in_progress_fault()
                        }) =>
                {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(10));
                }
                Err(e) => return Err(aws_error("DeleteAutoScalingGroup", &name, &e)),
            }
        }
        c.autoscaling
            .wait_until_group_not_exists()
            .auto_scaling_group_names(&name)
            .wait(DELETE_WAIT)
            .await
            .map_err(|e| crate::lb::waiter_error("Waiting for the Auto Scaling group to be deleted", &name, &e))?;
        Ok(())
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let names = ids(priors);
        let found = describe(c, &names).await?;
        Ok(names.iter().zip(priors).map(|(n, prior)| found.get(n).map(|g| group_value(g, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        Ok(found.get(id).map(|g| group_value(g, &Value::null(Type::Any))))
    }
}

fn tag(group: &str, key: &str, value: &str, propagate: bool) -> Tag {
    Tag::builder()
        .resource_id(group)
        .resource_type("auto-scaling-group")
        .key(key)
        .value(value)
        .propagate_at_launch(propagate)
        .build()
}

/// The `tag` blocks as Auto Scaling tags of group `name`.
fn tags_of(value: &Value, name: &str) -> Vec<Tag> {
    attr(value, "tag")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(|t| {
            let key = configured_str(t, "key")?;
            let value = configured_str(t, "value")?;
            Some(tag(name, &key, &value, attr(t, "propagate_at_launch").as_bool().unwrap_or(false)))
        })
        .collect()
}

/// Brings the group's tags from the prior `tag` blocks to the planned ones: one
/// CreateOrUpdateTags for new and changed tags, one DeleteTags for removed keys.
async fn update_tags(c: &Clients, name: &str, prior: &Value, planned: &Value) -> Result<(), Diagnostic> {
    let key_of = |t: &Tag| t.key().unwrap_or_default().to_string();
    let old: BTreeMap<String, Tag> = tags_of(prior, name).into_iter().map(|t| (key_of(&t), t)).collect();
    let new: BTreeMap<String, Tag> = tags_of(planned, name).into_iter().map(|t| (key_of(&t), t)).collect();
    let removed: Vec<Tag> = old.iter().filter(|(k, _)| !new.contains_key(*k)).map(|(_, t)| t.clone()).collect();
    let set: Vec<Tag> = new.iter().filter(|(k, t)| old.get(*k) != Some(*t)).map(|(_, t)| t.clone()).collect();
    if !removed.is_empty() {
        c.autoscaling
            .delete_tags()
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| aws_error("DeleteTags", name, &e))?;
    }
    if !set.is_empty() {
        c.autoscaling
            .create_or_update_tags()
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| aws_error("CreateOrUpdateTags", name, &e))?;
    }
    Ok(())
}

async fn update_target_groups(c: &Clients, name: &str, before: &[String], after: &[String]) -> Result<(), Diagnostic> {
    let (before, after): (BTreeSet<&String>, BTreeSet<&String>) = (before.iter().collect(), after.iter().collect());
    let gone: Vec<String> = before.difference(&after).map(|s| s.to_string()).collect();
    let new: Vec<String> = after.difference(&before).map(|s| s.to_string()).collect();
    for chunk in gone.chunks(TARGET_GROUP_CHUNK) {
        c.autoscaling
            .detach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("DetachLoadBalancerTargetGroups", name, &e))?;
    }
    for chunk in new.chunks(TARGET_GROUP_CHUNK) {
        c.autoscaling
            .attach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("AttachLoadBalancerTargetGroups", name, &e))?;
    }
    Ok(())
}

/// The planned `launch_template` block as AWS's specification (by ID, else by name).
fn launch_template(planned: &Value) -> Option<LaunchTemplateSpecification> {
    let list = attr(planned, "launch_template");
    let t = list.as_elements()?.first()?;
    let id = configured_str(t, "id");
    let name = if id.is_none() { configured_str(t, "name") } else { None };
    Some(
        LaunchTemplateSpecification::builder()
            .set_launch_template_id(id)
            .set_launch_template_name(name)
            .set_version(configured_str(t, "version"))
            .build(),
    )
}

/// The name of the group `owner` created, found by its owner tag (DescribeTags filters by tag).
async fn owned_by(c: &Clients, owner: &str) -> Result<Option<String>, Diagnostic> {
    if owner.is_empty() {
        return Ok(None);
    }
    let out = c
        .autoscaling
        .describe_tags()
        .filters(Filter::builder().name("key").values(OWNER_TAG).build())
        .filters(Filter::builder().name("value").values(owner).build())
        .send()
        .await
        .map_err(|e| aws_error("DescribeTags", "finding an Auto Scaling group an earlier run created", &e))?;
    Ok(out.tags().iter().find(|t| t.value() == Some(owner)).and_then(|t| t.resource_id()).map(str::to_string))
}

/// Groups by name, one DescribeAutoScalingGroups per 100 names (names that do not exist are absent).
pub(crate) async fn describe(c: &Clients, names: &[String]) -> Result<BTreeMap<String, AutoScalingGroup>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in names.chunks(NAME_CHUNK) {
        let mut pages = c
            .autoscaling
            .describe_auto_scaling_groups()
            .set_auto_scaling_group_names(Some(chunk.to_vec()))
            .max_records(NAME_CHUNK as i32)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| aws_error("DescribeAutoScalingGroups", "refreshing Auto Scaling groups", &e))?;
            for group in page.auto_scaling_groups() {
                if let Some(name) = group.auto_scaling_group_name() {
                    out.insert(name.to_string(), group.clone());
                }
            }
        }
    }
    Ok(out)
}

async fn read_one(c: &Clients, name: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async { Ok(describe(c, &[name.to_string()]).await?.remove(name)) }).await?;
    let group = found.ok_or_else(|| {
        Diagnostic::error(
            "Auto Scaling group vanished",
            format!("{name} was not found after it was created or changed."),
        )
    })?;
    Ok(group_value(&group, planned))
}

/// Waits, up to `wait_for_capacity_timeout` ("0" does not wait), until the number of healthy
/// in-service instances satisfies `enough`.
async fn wait_for_capacity(
    c: &Clients,
    name: &str,
    planned: &Value,
    enough: impl Fn(i32) -> bool,
) -> Result<(), Diagnostic> {
    let text = configured_str(planned, "wait_for_capacity_timeout").unwrap_or_else(|| "10m".into());
    let timeout = parse_duration(&text).ok_or_else(|| {
        Diagnostic::error(
            "Invalid wait_for_capacity_timeout",
            format!("{text:?} is not a duration; write it like \"10m\", \"90s\" or \"0\" (do not wait)."),
        )
    })?;
    if timeout.is_zero() {
        return Ok(());
    }
    wait_for_instances(c, name, timeout, true, enough).await
}

/// Waits until the number of instances (healthy in-service ones only, or all) satisfies `enough`.
async fn wait_for_instances(
    c: &Clients,
    name: &str,
    timeout: Duration,
    healthy_only: bool,
    enough: impl Fn(i32) -> bool,
) -> Result<(), Diagnostic> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(250);
    loop {
        let group = describe(c, &[name.to_string()]).await?.remove(name);
        let healthy = group.as_ref().map_or(0, |g| {
            g.instances()
                .iter()
                .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
                .filter(|i| i.health_status().is_some_and(|h| h.eq_ignore_ascii_case("healthy")))
                .count()
        });
        let all = group.as_ref().map_or(0, |g| g.instances().len());
        let count = i32::try_from(if healthy_only { healthy } else { all }).unwrap_or(i32::MAX);
        if enough(count) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Diagnostic::error(
                "Timed out waiting for the Auto Scaling group's capacity",
                format!(
                    "{name} has {healthy} healthy in-service instances of {all} after {}s. Look at its activity history (aws autoscaling describe-scaling-activities --auto-scaling-group-name {name}); raise wait_for_capacity_timeout, or set it to \"0\" not to wait.",
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}

/// A Go-style duration as terraform-provider-aws takes it: "10m", "90s", "1h30m", "0".
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.find(|ch: char| !ch.is_ascii_digit() && ch != '.').unwrap_or(rest.len());
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|ch: char| ch.is_ascii_digit()).unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs_f64(total))
}

/// The state of a described group. `known` (the prior state, or the plan after a change) lends
/// what AWS does not report: `name_prefix`, `force_delete`, `wait_for_capacity_timeout`.
fn group_value(g: &AutoScalingGroup, known: &Value) -> Value {
    let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
    let name = g.auto_scaling_group_name().unwrap_or_default();
    let subnets: Vec<&str> =
        g.vpc_zone_identifier().unwrap_or_default().split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let prefix = attr(known, "name_prefix");
    let prefix = if prefix.as_str().is_some() { prefix } else { Value::null(Type::String) };
    // While a roll is unfinished, the group reports the version it rolls away from: the next plan
    // shows the template change again, and its apply resumes the roll.
    let pending = instance_refresh::pending_from(g);
    let templates = g
        .launch_template()
        .map(|t| {
            vec![Value::object(BTreeMap::from([
                ("id".to_string(), s(t.launch_template_id())),
                ("name".to_string(), s(t.launch_template_name())),
                ("version".to_string(), s(pending.as_deref().or(t.version()))),
            ]))]
        })
        .unwrap_or_default();
    let refresh_type = instance_refresh::block().value_type();
    let tags = g
        .tags()
        .iter()
        .filter(|t| t.key().is_some_and(crate::kit::is_user_tag))
        .map(|t| {
            Value::object(BTreeMap::from([
                ("key".to_string(), s(t.key())),
                ("value".to_string(), s(t.value())),
                ("propagate_at_launch".to_string(), Value::bool(t.propagate_at_launch().unwrap_or(false))),
            ]))
        })
        .collect();
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(name)),
        ("arn".into(), s(g.auto_scaling_group_arn())),
        ("name".into(), Value::string(name)),
        ("name_prefix".into(), prefix),
        ("min_size".into(), int32(g.min_size())),
        ("max_size".into(), int32(g.max_size())),
        ("desired_capacity".into(), int32(g.desired_capacity())),
        ("default_cooldown".into(), int32(g.default_cooldown())),
        ("availability_zones".into(), string_set(g.availability_zones())),
        ("vpc_zone_identifier".into(), string_set(&subnets)),
        ("target_group_arns".into(), string_set(g.target_group_arns())),
        ("health_check_type".into(), s(g.health_check_type())),
        ("health_check_grace_period".into(), int32(g.health_check_grace_period())),
        ("force_delete".into(), known_or(known, "force_delete", Value::bool(false))),
        ("wait_for_capacity_timeout".into(), known_or(known, "wait_for_capacity_timeout", Value::string("10m"))),
        ("launch_template".into(), Value::list(launch_template_block().value_type(), templates)),
        ("instance_refresh".into(), known_or(known, "instance_refresh", Value::list(refresh_type, Vec::new()))),
        ("tag".into(), Value::set(tag_block().value_type(), tags)),
    ]))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_as_terraform_writes_them() {
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("ten"), None);
    }
}
