//! `aws_kubernetes_cluster_cleanup` (slipway's own, not in terraform-provider-aws): what
//! `kops delete cluster` does before it deletes the network. Kubernetes makes AWS objects
//! itself — the cloud controller manager a load balancer (classic or network) and its security
//! group for each LoadBalancer Service, the EBS CSI driver a volume for each PersistentVolume —
//! and tags them `kubernetes.io/cluster/<name> = owned`. No configuration lists them, so
//! without this they keep the VPC's subnets and security groups in use and destroy fails with
//! DependencyViolation (kops issues #1370, #9578). Creating the resource does nothing; deleting
//! it deletes every such object in `vpc_id` that slipway does not manage itself (objects with
//! slipway's owner tag are left to their own resources): load balancers and their target
//! groups, then volumes once they are detached, then the security groups after the rules other
//! groups have that refer to them. Place it so that it is destroyed after the instances and
//! before the network: it refers to the VPC, and the node groups depend on it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, IpPermission, UserIdGroupPair, VolumeState};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{Clients, OWNER_TAG, aws_error, delete_while_busy, required_str};
use crate::resource::Resource;

pub struct AwsKubernetesClusterCleanup;

/// How long volumes may take to detach, and load balancers' network interfaces to go.
const WAIT: Duration = Duration::from_secs(600);

/// How many names or ARNs one DescribeTags of either load balancer API takes.
const TAGS_CHUNK: usize = 20;

#[async_trait]
impl Resource for AwsKubernetesClusterCleanup {
    fn type_name(&self) -> &'static str {
        "aws_kubernetes_cluster_cleanup"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("cluster_name", AttributeSchema::required(Type::String).force_new())
            .attribute("vpc_id", AttributeSchema::required(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String))
    }

    async fn create(&self, _c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        let name = required_str(planned, "cluster_name")?;
        Ok(with_id(planned, &name))
    }

    async fn update(&self, _c: &Clients, _prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        Ok(planned.clone())
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let cluster = required_str(prior, "cluster_name")?;
        let vpc = required_str(prior, "vpc_id")?;
        let tag = format!("kubernetes.io/cluster/{cluster}");
        delete_network_load_balancers(c, &vpc, &tag).await?;
        delete_classic_load_balancers(c, &vpc, &tag).await?;
        delete_volumes(c, &tag).await?;
        delete_security_groups(c, &vpc, &tag).await
    }

    async fn read_batch(&self, _c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // Nothing remote stands for it: it exists while it is in state.
        Ok(priors.iter().map(|p| Some(p.clone())).collect())
    }

    async fn import(&self, _c: &Clients, _id: &str) -> Result<Option<Value>, Diagnostic> {
        Err(Diagnostic::error(
            "Nothing to import",
            "aws_kubernetes_cluster_cleanup stands for no AWS object: add the resource block and apply; creating it changes nothing.",
        ))
    }
}

fn with_id(planned: &Value, id: &str) -> Value {
    let mut entries = planned.as_entries().cloned().unwrap_or_default();
    entries.insert("id".into(), Value::string(id));
    Value::object(entries)
}

/// Whether tags (key, value) say the cluster owns it and slipway does not manage it.
fn kubernetes_made<'a>(mut tags: impl Iterator<Item = (&'a str, &'a str)>, cluster_tag: &str) -> bool {
    let mut owned = false;
    let mut slipway = false;
    for (key, value) in tags.by_ref() {
        owned |= key == cluster_tag && value == "owned";
        slipway |= key == OWNER_TAG;
    }
    owned && !slipway
}

/// Network and application load balancers the cluster made in the VPC, and their target groups.
async fn delete_network_load_balancers(c: &Clients, vpc: &str, cluster_tag: &str) -> Result<(), Diagnostic> {
    let mut arns = Vec::new();
    let mut pages = c.elbv2.describe_load_balancers().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("DescribeLoadBalancers", "finding the cluster's load balancers", &e))?;
        arns.extend(
            page.load_balancers()
                .iter()
                .filter(|lb| lb.vpc_id() == Some(vpc))
                .filter_map(|lb| lb.load_balancer_arn().map(str::to_string)),
        );
    }
    let made = elbv2_made(c, &arns, cluster_tag).await?;
    for arn in &made {
        let groups = c
            .elbv2
            .describe_target_groups()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("DescribeTargetGroups", arn, &e))?;
        let groups: Vec<String> =
            groups.target_groups().iter().filter_map(|g| g.target_group_arn().map(str::to_string)).collect();
        c.elbv2
            .delete_load_balancer()
            .load_balancer_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("DeleteLoadBalancer", arn, &e))?;
        // The cloud controller manager's target groups are its own too (tagged alike).
        // A target group stays in use until its load balancer's listeners are gone: retried.
        for group in elbv2_made(c, &groups, cluster_tag).await? {
            delete_while_busy("DeleteTargetGroup", &group, "ResourceInUse", WAIT, || {
                c.elbv2.delete_target_group().target_group_arn(&group).send()
            })
            .await?;
        }
    }
    Ok(())
}

/// Which of `arns` (load balancers or target groups) the cluster made: DescribeTags, 20 at a time.
async fn elbv2_made(c: &Clients, arns: &[String], cluster_tag: &str) -> Result<Vec<String>, Diagnostic> {
    let mut made = Vec::new();
    for chunk in arns.chunks(TAGS_CHUNK) {
        let tags = c
            .elbv2
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("DescribeTags", "finding what the cluster made", &e))?;
        for description in tags.tag_descriptions() {
            let pairs = description.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
            if kubernetes_made(pairs, cluster_tag)
                && let Some(arn) = description.resource_arn()
            {
                made.push(arn.to_string());
            }
        }
    }
    Ok(made)
}

/// Classic load balancers the cluster made in the VPC (the cloud controller manager's default
/// for a LoadBalancer Service).
async fn delete_classic_load_balancers(c: &Clients, vpc: &str, cluster_tag: &str) -> Result<(), Diagnostic> {
    let mut names = Vec::new();
    let mut pages = c.elb.describe_load_balancers().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page =
            page.map_err(|e| aws_error("DescribeLoadBalancers (classic)", "finding the cluster's load balancers", &e))?;
        names.extend(
            page.load_balancer_descriptions()
                .iter()
                .filter(|lb| lb.vpc_id() == Some(vpc))
                .filter_map(|lb| lb.load_balancer_name().map(str::to_string)),
        );
    }
    for chunk in names.chunks(TAGS_CHUNK) {
        let tags = c
            .elb
            .describe_tags()
            .set_load_balancer_names(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("DescribeTags (classic)", "finding what the cluster made", &e))?;
        for description in tags.tag_descriptions() {
            let pairs = description.tags().iter().map(|t| (t.key(), t.value().unwrap_or_default()));
            let Some(name) = description.load_balancer_name().filter(|_| kubernetes_made(pairs, cluster_tag)) else {
                continue;
            };
            c.elb
                .delete_load_balancer()
                .load_balancer_name(name)
                .send()
                .await
                .map_err(|e| aws_error("DeleteLoadBalancer (classic)", name, &e))?;
        }
    }
    Ok(())
}

/// Volumes the cluster made (persistent volumes), each once it is detached: the instances it
/// was attached to are gone by now, or going.
async fn delete_volumes(c: &Clients, cluster_tag: &str) -> Result<(), Diagnostic> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let out = c
            .ec2
            .describe_volumes()
            .filters(Filter::builder().name("tag-key").values(cluster_tag).build())
            .send()
            .await
            .map_err(|e| aws_error("DescribeVolumes", "finding the cluster's volumes", &e))?;
        let made: Vec<_> = out
            .volumes()
            .iter()
            .filter(|v| {
                let pairs = v.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
                kubernetes_made(pairs, cluster_tag)
            })
            .filter(|v| v.state() != Some(&VolumeState::Deleting) && v.state() != Some(&VolumeState::Deleted))
            .collect();
        let mut attached = Vec::new();
        for volume in &made {
            let Some(id) = volume.volume_id() else { continue };
            if volume.state() == Some(&VolumeState::Available) {
                c.ec2.delete_volume().volume_id(id).send().await.map_err(|e| aws_error("DeleteVolume", id, &e))?;
            } else {
                attached.push(id.to_string());
            }
        }
        if attached.is_empty() {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(Diagnostic::error(
                "Timed out waiting for the cluster's volumes to detach",
                format!(
                    "These volumes the cluster made are still attached after {}s: {}. Detach them (the instance using them is not slipway's?) and destroy again.",
                    WAIT.as_secs(),
                    attached.join(", ")
                ),
            ));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// Security groups the cluster made in the VPC (a load balancer's), after revoking the rules of
/// other groups that refer to them (the cloud controller manager opens the nodes' group to its
/// load balancers' groups). A group still used by a load balancer's network interfaces that
/// are going is retried until they are gone.
async fn delete_security_groups(c: &Clients, vpc: &str, cluster_tag: &str) -> Result<(), Diagnostic> {
    let in_vpc = Filter::builder().name("vpc-id").values(vpc).build();
    let out = c
        .ec2
        .describe_security_groups()
        .filters(in_vpc)
        .send()
        .await
        .map_err(|e| aws_error("DescribeSecurityGroups", "finding the cluster's security groups", &e))?;
    let made: BTreeSet<String> = out
        .security_groups()
        .iter()
        .filter(|g| {
            let pairs = g.tags().iter().map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()));
            kubernetes_made(pairs, cluster_tag)
        })
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    if made.is_empty() {
        return Ok(());
    }
    // Rules elsewhere in the VPC that refer to a group about to go.
    let mut revoke: BTreeMap<String, Vec<IpPermission>> = BTreeMap::new();
    for group in out.security_groups() {
        let Some(id) = group.group_id().filter(|id| !made.contains(*id)) else { continue };
        for permission in group.ip_permissions() {
            let pairs: Vec<UserIdGroupPair> = permission
                .user_id_group_pairs()
                .iter()
                .filter(|p| p.group_id().is_some_and(|g| made.contains(g)))
                .map(|p| UserIdGroupPair::builder().set_group_id(p.group_id().map(str::to_string)).build())
                .collect();
            if pairs.is_empty() {
                continue;
            }
            let rule = IpPermission::builder()
                .set_ip_protocol(permission.ip_protocol().map(str::to_string))
                .set_from_port(permission.from_port())
                .set_to_port(permission.to_port())
                .set_user_id_group_pairs(Some(pairs))
                .build();
            revoke.entry(id.to_string()).or_default().push(rule);
        }
    }
    for (group, rules) in revoke {
        c.ec2
            .revoke_security_group_ingress()
            .group_id(&group)
            .set_ip_permissions(Some(rules))
            .send()
            .await
            .map_err(|e| aws_error("RevokeSecurityGroupIngress", &group, &e))?;
    }
    for group in &made {
        delete_while_busy("DeleteSecurityGroup", group, "DependencyViolation", WAIT, || {
            c.ec2.delete_security_group().group_id(group).send()
        })
        .await?;
    }
    Ok(())
}
