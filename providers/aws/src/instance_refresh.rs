//! `instance_refresh` of `aws_autoscaling_group`: when the group's launch template (or an
//! attribute named in `triggers`) changes, its running instances are replaced by ones from the
//! new template, a batch at a time, keeping `min_healthy_percentage` of the desired capacity in
//! service. terraform-provider-aws starts an AWS instance refresh and returns; slipway rolls the
//! group itself (TerminateInstanceInAutoScalingGroup without decrementing, then waiting for the
//! replacements) and returns when the roll is over, because a cluster's nodes must be drained
//! before they go and their replacements must be Ready as Kubernetes nodes before the next batch,
//! which only a client that also speaks to Kubernetes can see (slipway's extension block
//! `kubernetes { host, ... }`, see `kube_nodes`).
//!
//! A roll that stops half way (a failure, Ctrl-C, a crash) is not forgotten: the group carries
//! the tag `slipway:instance-refresh` (the template version it rolls away from) from before the
//! group is changed until the last batch is in service, and while it does, refresh reports that
//! version as the group's, so the next plan shows the template change again and apply resumes.
//!
//! Rolls of groups of one cluster (the same `kubernetes { host }`) run one after another, even
//! when the apply walk changes the groups at once: a cluster's control-plane groups hold one
//! instance each, and replacing two of three etcd members at once would lose etcd's quorum.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_autoscaling::types::{AutoScalingGroup, LifecycleState, Tag};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::path::AttrPath;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{Clients, aws_error, configured_str};
use crate::kube_nodes::{self, ClusterNodes};

/// The tag that marks a group whose roll has not finished; its value is the template version
/// the roll started from.
pub const PENDING_TAG: &str = "slipway:instance-refresh";

/// How long a node may take to drain and its replacement to be Ready, unless `timeout` says.
const NODE_TIMEOUT: &str = "15m";

pub fn block() -> BlockSchema {
    let preferences = BlockSchema::new()
        .attribute("min_healthy_percentage", AttributeSchema::optional(Type::Number))
        .attribute("max_healthy_percentage", AttributeSchema::optional(Type::Number))
        .attribute("instance_warmup", AttributeSchema::optional(Type::String))
        .attribute("skip_matching", AttributeSchema::optional(Type::Bool));
    let kubernetes = BlockSchema::new()
        .attribute("host", AttributeSchema::required(Type::String))
        .attribute("cluster_ca_certificate", AttributeSchema::optional(Type::String))
        .attribute("client_certificate", AttributeSchema::optional(Type::String))
        .attribute("client_key", AttributeSchema::optional(Type::String).sensitive())
        .attribute("token", AttributeSchema::optional(Type::String).sensitive())
        .attribute("timeout", AttributeSchema::optional(Type::String));
    let mut block = BlockSchema::new()
        .attribute("strategy", AttributeSchema::required(Type::String))
        .attribute("triggers", AttributeSchema::optional(Type::set(Type::String)))
        .block("preferences", Nesting::List, preferences)
        .block("kubernetes", Nesting::List, kubernetes);
    for b in block.blocks.values_mut() {
        b.max_items = 1;
    }
    block
}

/// The configured `instance_refresh` block, if any.
pub fn configured(value: &Value) -> Option<Value> {
    attr(value, "instance_refresh").as_elements()?.first().cloned()
}

/// Whether this change of the group rolls its instances: it has an `instance_refresh` block and
/// its launch template, or an attribute its `triggers` name, changes.
pub fn wanted(planned: &Value, changed: impl Fn(&str) -> bool) -> bool {
    let Some(refresh) = configured(planned) else { return false };
    let triggers = attr(&refresh, "triggers");
    changed("launch_template")
        || triggers.as_elements().unwrap_or_default().iter().filter_map(|t| t.as_str()).any(&changed)
}

/// The `instance_refresh` block's problems, found while planning rather than by the apply
/// (which would refuse it after the group's template had changed). Unknown values pass.
pub fn validate(config: &Value) -> Option<Diagnostic> {
    configured(config)?;
    Roll::from_config(config).err()
}

/// The plan's note on an update that rolls the group: how many instances go, how many at a
/// time, and what each batch waits for. `None` when the update rolls nothing.
pub fn plan_note(prior: &Value, planned: &Value) -> Option<String> {
    // A template version that only apply knows is a new one: the template's plan makes
    // `latest_version` unknown exactly when it makes a version.
    let changed = |n: &str| {
        let after = attr(planned, n);
        !after.is_wholly_known() || !after.same_known_value(&attr(prior, n))
    };
    if !wanted(planned, changed) {
        return None;
    }
    // An invalid block is refused by the apply, with the reason; the plan says nothing of it.
    let roll = Roll::from_config(planned).ok()?;
    // The roll replaces the instances there now, in batches sized by the capacity wanted.
    let capacity = |v: &Value| attr(v, "desired_capacity").as_number().and_then(|n| n.to_i64());
    let instances = capacity(prior).filter(|n| *n > 0)?;
    let plural = if instances == 1 { "" } else { "s" };
    let batch = roll.batch(capacity(planned).unwrap_or(instances));
    let at_a_time = if batch == 1 { "one".to_string() } else { batch.to_string() };
    let nodes = if roll.kubernetes.is_some() {
        "; each node is drained first, and its replacement must be Ready in the cluster before the next batch"
    } else {
        ""
    };
    Some(format!(
        "its {instances} instance{plural} will be replaced {at_a_time} at a time by instance_refresh, keeping {}% of the group in service{nodes}",
        roll.min_healthy_percentage
    ))
}

/// One lock per cluster (by API host) that a roll holds from its first drain to its last
/// replacement Ready: one node of a cluster is replaced at a time, whichever group it is in.
#[derive(Debug, Default)]
pub struct ClusterLocks(Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl ClusterLocks {
    async fn hold(&self, host: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            // Poisoned only if a thread panicked while inserting; the map is still whole.
            let mut locks = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            locks.entry(host.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// What the `preferences` and `kubernetes` blocks ask for, checked before anything changes.
pub struct Roll {
    min_healthy_percentage: i64,
    warmup: Duration,
    skip_matching: bool,
    kubernetes: Option<Value>,
    node_timeout: Duration,
}

impl Roll {
    pub fn from_config(planned: &Value) -> Result<Roll, Diagnostic> {
        let refresh = configured(planned).unwrap_or_else(|| Value::null(Type::Any));
        // Required by the schema: absent only while unknown, when there is nothing to check.
        if let Some(strategy) = configured_str(&refresh, "strategy").filter(|s| s != "Rolling") {
            return Err(invalid(format!("strategy = {strategy:?}: the only strategy is \"Rolling\"."))
                .with_attribute(at(&[], "strategy")));
        }
        let preferences = attr(&refresh, "preferences").as_elements().and_then(|p| p.first().cloned());
        let preferences = preferences.unwrap_or_else(|| Value::null(Type::Any));
        let number = |n: &str| attr(&preferences, n).as_number().and_then(|v| v.to_i64());
        let min_healthy_percentage = number("min_healthy_percentage").unwrap_or(90);
        if !(0..=100).contains(&min_healthy_percentage) {
            return Err(invalid(format!(
                "min_healthy_percentage = {min_healthy_percentage}: it is a percentage, from 0 to 100."
            ))
            .with_attribute(at(&["preferences"], "min_healthy_percentage")));
        }
        if let Some(max) = number("max_healthy_percentage").filter(|m| *m != 100) {
            return Err(invalid(format!(
                "max_healthy_percentage = {max}: slipway replaces instances terminate-first, never above the desired capacity (100). Remove it, or use min_healthy_percentage to choose the batch size."
            ))
            .with_attribute(at(&["preferences"], "max_healthy_percentage")));
        }
        let warmup = match configured_str(&preferences, "instance_warmup") {
            None => Duration::ZERO,
            Some(text) => Duration::from_secs(text.trim().parse().map_err(|_| {
                invalid(format!("instance_warmup = {text:?}: write the number of seconds, as in \"60\"."))
                    .with_attribute(at(&["preferences"], "instance_warmup"))
            })?),
        };
        let kubernetes = kube_nodes::settings(&refresh);
        let timeout_text =
            kubernetes.as_ref().and_then(|k| configured_str(k, "timeout")).unwrap_or_else(|| NODE_TIMEOUT.into());
        let node_timeout = crate::autoscaling_group::parse_duration(&timeout_text).ok_or_else(|| {
            invalid(format!("kubernetes timeout = {timeout_text:?}: write a duration, as in \"15m\" or \"90s\"."))
                .with_attribute(at(&["kubernetes"], "timeout"))
        })?;
        Ok(Roll {
            min_healthy_percentage,
            warmup,
            skip_matching: attr(&preferences, "skip_matching").as_bool() == Some(true),
            kubernetes,
            node_timeout,
        })
    }

    /// How many instances go at once: as many as may be out of service while
    /// `min_healthy_percentage` of `desired` stays in, and at least one.
    fn batch(&self, desired: i64) -> usize {
        let keep = (desired * self.min_healthy_percentage + 99) / 100;
        usize::try_from((desired - keep).max(1)).unwrap_or(1)
    }

    /// Replaces the group's instances (those there now, or with `skip_matching` those not on the
    /// group's template version), batch by batch: drain their nodes, terminate them, wait for
    /// the group to be back at its desired capacity and the replacements' nodes to be Ready.
    pub async fn run(&self, c: &Clients, name: &str, capacity_timeout: Duration) -> Result<(), Diagnostic> {
        let (cluster, _one_roll_at_a_time) = match &self.kubernetes {
            Some(settings) => {
                let host = configured_str(settings, "host").unwrap_or_default();
                let guard = c.cluster_locks.hold(&host).await;
                (Some(ClusterNodes::connect(settings, self.node_timeout).await?), Some(guard))
            }
            None => (None, None),
        };
        let group = current(c, name).await?;
        let desired = i64::from(group.desired_capacity().unwrap_or(0));
        let target = group.launch_template().and_then(|t| t.version()).unwrap_or_default().to_string();
        let originals: Vec<String> = group
            .instances()
            .iter()
            .filter(|i| !leaving(i.lifecycle_state()))
            .filter(|i| !self.skip_matching || i.launch_template().and_then(|t| t.version()) != Some(target.as_str()))
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect();
        let mut known: BTreeSet<String> =
            group.instances().iter().filter_map(|i| i.instance_id().map(str::to_string)).collect();
        for batch in originals.chunks(self.batch(desired)) {
            if let Some(cluster) = &cluster {
                cluster.drain(batch).await?;
            }
            for id in batch {
                match c
                    .autoscaling
                    .terminate_instance_in_auto_scaling_group()
                    .instance_id(id)
                    .should_decrement_desired_capacity(false)
                    .send()
                    .await
                {
                    Ok(_) => {}
                    // Gone already (terminated by hand, or by a health check): nothing to do.
                    Err(e) if e.message().is_some_and(|m| m.contains("not found")) => {}
                    Err(e) => return Err(aws_error("TerminateInstanceInAutoScalingGroup", id, &e)),
                }
            }
            let fresh = wait_for_replacements(c, name, batch, desired, capacity_timeout).await?;
            let fresh: Vec<String> = fresh.into_iter().filter(|id| known.insert(id.clone())).collect();
            if let Some(cluster) = &cluster {
                cluster.wait_ready(&fresh).await?;
                cluster.forget(batch).await?;
            }
            tokio::time::sleep(self.warmup).await;
        }
        Ok(())
    }
}

fn invalid(detail: String) -> Diagnostic {
    Diagnostic::error("Invalid instance_refresh", detail)
}

/// The path of `name` in the group's `instance_refresh` block, through the nested `blocks`
/// (each a list of one).
fn at(blocks: &[&str], name: &str) -> AttrPath {
    let mut path = AttrPath::attr("instance_refresh").then_index(0);
    for block in blocks {
        path = path.then_attr(*block).then_index(0);
    }
    path.then_attr(name)
}

/// Instances on their way out of the group.
fn leaving(state: Option<&LifecycleState>) -> bool {
    state.is_some_and(|s| s.as_str().starts_with("Terminating") || s.as_str().starts_with("Detaching"))
}

async fn current(c: &Clients, name: &str) -> Result<AutoScalingGroup, Diagnostic> {
    crate::autoscaling_group::describe(c, &[name.to_string()]).await?.remove(name).ok_or_else(|| {
        Diagnostic::error(
            "Auto Scaling group vanished",
            format!("{name} was not found while its instances were rolled."),
        )
    })
}

/// Waits until none of `gone` is in the group any more and `desired` instances are in service
/// and healthy; returns the in-service instance IDs.
async fn wait_for_replacements(
    c: &Clients,
    name: &str,
    gone: &[String],
    desired: i64,
    timeout: Duration,
) -> Result<Vec<String>, Diagnostic> {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut delay = Duration::from_millis(250);
    loop {
        let group = current(c, name).await?;
        let lingering =
            group.instances().iter().filter(|i| i.instance_id().is_some_and(|id| gone.iter().any(|g| g == id)));
        let in_service: Vec<String> = group
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
            .filter(|i| i.health_status().is_some_and(|h| h.eq_ignore_ascii_case("healthy")))
            .filter_map(|i| i.instance_id().map(str::to_string))
            .collect();
        if lingering.count() == 0 && i64::try_from(in_service.len()).unwrap_or(i64::MAX) >= desired {
            return Ok(in_service);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Diagnostic::error(
                "Timed out rolling the Auto Scaling group",
                format!(
                    "{name} has {} healthy in-service instances of {desired} after replacing {} ({}s). Look at its activity history (aws autoscaling describe-scaling-activities --auto-scaling-group-name {name}). The next apply resumes the roll.",
                    in_service.len(),
                    gone.join(", "),
                    timeout.as_secs()
                ),
            ));
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Marks the group as rolling away from template version `from`, unless it already is (a
/// resumed roll keeps the version it first started from).
pub async fn mark_pending(c: &Clients, name: &str, from: &str) -> Result<(), Diagnostic> {
    let group = current(c, name).await?;
    if pending_from(&group).is_some() {
        return Ok(());
    }
    let tag = Tag::builder()
        .resource_id(name)
        .resource_type("auto-scaling-group")
        .key(PENDING_TAG)
        .value(from)
        .propagate_at_launch(false)
        .build();
    c.autoscaling
        .create_or_update_tags()
        .tags(tag)
        .send()
        .await
        .map_err(|e| aws_error("CreateOrUpdateTags (marking a roll)", name, &e))?;
    Ok(())
}

/// The roll is over: the mark goes.
pub async fn clear_pending(c: &Clients, name: &str) -> Result<(), Diagnostic> {
    let tag = Tag::builder().resource_id(name).resource_type("auto-scaling-group").key(PENDING_TAG).build();
    c.autoscaling
        .delete_tags()
        .tags(tag)
        .send()
        .await
        .map_err(|e| aws_error("DeleteTags (the roll is over)", name, &e))?;
    Ok(())
}

/// The template version an unfinished roll started from.
pub fn pending_from(group: &AutoScalingGroup) -> Option<String> {
    group.tags().iter().find(|t| t.key() == Some(PENDING_TAG)).and_then(|t| t.value()).map(str::to_string)
}

/// `wait_for_capacity_timeout` as the roll's limit per batch ("0", no waiting, cannot apply to a
/// roll: it waits 10 minutes then).
pub fn capacity_timeout(planned: &Value) -> Duration {
    configured_str(planned, "wait_for_capacity_timeout")
        .and_then(|t| crate::autoscaling_group::parse_duration(&t))
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(600))
}

#[cfg(test)]
mod tests {
    use super::Roll;
    use std::time::Duration;

    fn roll(min: i64) -> Roll {
        Roll {
            min_healthy_percentage: min,
            warmup: Duration::ZERO,
            skip_matching: false,
            kubernetes: None,
            node_timeout: Duration::ZERO,
        }
    }

    #[test]
    fn batches_keep_the_healthy_share_in_service() {
        assert_eq!(roll(90).batch(2), 1);
        assert_eq!(roll(90).batch(10), 1);
        assert_eq!(roll(90).batch(30), 3);
        assert_eq!(roll(50).batch(4), 2);
        assert_eq!(roll(100).batch(3), 1);
        assert_eq!(roll(0).batch(3), 3);
    }
}
