//! What the ELBv2 resources (`aws_lb`, `aws_lb_target_group`, `aws_lb_listener`) share: tags as
//! ELBv2 has them (DescribeTags for 20 ARNs a call), Describe calls by ARN that survive ARNs
//! that no longer exist, and names that a run which stopped before saving state makes again.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_elasticloadbalancingv2::types::Tag;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{Clients, OWNER_TAG, aws_error, is_not_found};

/// How many ARNs or names one DescribeLoadBalancers, DescribeTargetGroups or DescribeTags takes.
pub const ARN_CHUNK: usize = 20;

/// A map value (`tags_all`) as ELBv2 tags, with the owner tag when there is an owner.
pub fn to_tags(map: &Value, owner: &str) -> Vec<Tag> {
    let mut tags: Vec<Tag> = map
        .as_entries()
        .map(|entries| {
            entries.iter().filter_map(|(k, v)| Some(Tag::builder().key(k).value(v.as_str()?).build())).collect()
        })
        .unwrap_or_default();
    if !owner.is_empty() {
        tags.push(Tag::builder().key(OWNER_TAG).value(owner).build());
    }
    tags
}

/// ELBv2 tags as a map value of the user's tags.
pub fn from_tags(tags: &[Tag]) -> Value {
    crate::kit::tag_map(tags.iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))))
}

/// The owner tag's value among `tags`, if any.
pub fn owner_of(tags: &[Tag]) -> Option<&str> {
    tags.iter().find(|t| t.key() == Some(OWNER_TAG)).and_then(|t| t.value())
}

/// Runs `call` on `ids` in chunks of `chunk`, and collects what it returns. A chunk that fails
/// because one of its objects does not exist (`LoadBalancerNotFound`, ...) is split in halves
/// and tried again, down to the one missing object, which is left out: AWS fails the whole call
/// for one missing ARN, and a refresh must tell which objects are gone. Nothing missing costs
/// one call per chunk; each missing object a few more.
pub async fn by_chunks<T, E, F, Fut>(
    operation: &str,
    ids: &[String],
    chunk: usize,
    mut call: F,
) -> Result<Vec<T>, Diagnostic>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, E>>,
{
    let mut pending: Vec<Vec<String>> = ids.chunks(chunk.max(1)).rev().map(<[String]>::to_vec).collect();
    let mut out = Vec::new();
    while let Some(ids) = pending.pop() {
        match call(ids.clone()).await {
            Ok(found) => out.extend(found),
            Err(e) if is_not_found(&e) && ids.len() > 1 => {
                let (a, b) = ids.split_at(ids.len() / 2);
                pending.push(b.to_vec());
                pending.push(a.to_vec());
            }
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(aws_error(operation, &ids.join(", "), &e)),
        }
    }
    Ok(out)
}

/// The tags of each ARN, with one DescribeTags per 20 ARNs.
pub async fn describe_tags(c: &Clients, arns: &[String]) -> Result<BTreeMap<String, Vec<Tag>>, Diagnostic> {
    let found = by_chunks("DescribeTags", arns, ARN_CHUNK, |chunk| async move {
        c.elbv2.describe_tags().set_resource_arns(Some(chunk)).send().await.map(|out| out.tag_descriptions().to_vec())
    })
    .await?;
    Ok(found.into_iter().filter_map(|d| Some((d.resource_arn()?.to_string(), d.tags().to_vec()))).collect())
}

/// Brings the tags of `arn` from `before` to `after` (maps): one RemoveTags and one AddTags at most.
pub async fn update_tags(c: &Clients, arn: &str, before: &Value, after: &Value) -> Result<(), Diagnostic> {
    let (set, removed) = crate::kit::tag_changes(before, after);
    let set: Vec<Tag> = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    if !removed.is_empty() {
        c.elbv2
            .remove_tags()
            .resource_arns(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|e| aws_error("RemoveTags", arn, &e))?;
    }
    if !set.is_empty() {
        c.elbv2
            .add_tags()
            .resource_arns(arn)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| aws_error("AddTags", arn, &e))?;
    }
    Ok(())
}

/// The name to create a load balancer or target group with: `name` as configured, else the
/// prefix (`name_prefix` or `default_prefix`) and 26 hex digits. The digits come from `owner`
/// when there is one, so that a run which stopped between the create call and saving state
/// makes the same name again and finds the object it made (ELBv2 has no tag filter to find it by).
pub fn owned_name(planned: &Value, default_prefix: &str, owner: &str) -> String {
    if let Some(name) = crate::kit::configured_str(planned, "name") {
        return name;
    }
    let prefix = crate::kit::configured_str(planned, "name_prefix").unwrap_or_else(|| default_prefix.into());
    if owner.is_empty() {
        return crate::kit::unique_name(&prefix);
    }
    // FNV-1a, 64 bits, twice with different offsets: stable across runs and builds, which the
    // standard library's hasher does not promise.
    let fnv = |offset: u64| owner.bytes().fold(offset, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3));
    let hex = format!("{:016x}{:016x}", fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    format!("{prefix}{}", &hex[..26])
}

/// What follows `marker` in an ARN: `app/name/id` of a load balancer (`loadbalancer/`),
/// `targetgroup/name/id` of a target group (`:`), as CloudWatch metrics name them.
pub fn arn_suffix(arn: &str, marker: &str) -> String {
    arn.split_once(marker).map(|(_, rest)| rest.to_string()).unwrap_or_default()
}

/// A list of strings as a set value.
pub fn string_set<S: AsRef<str>>(items: &[S]) -> Value {
    Value::set(Type::String, items.iter().map(|s| Value::string(s.as_ref())).collect())
}

/// The known strings of a set or list attribute (empty when null or unknown).
pub fn strings(value: &Value, name: &str) -> Vec<String> {
    slipway_core::provider_kit::attr(value, name)
        .as_elements()
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// An optional 32-bit number as a value (null when AWS left it out).
pub fn int32(v: Option<i32>) -> Value {
    v.map(|n| Value::int(i64::from(n))).unwrap_or_else(|| Value::null(Type::Number))
}

/// A known whole-number attribute as AWS's 32-bit integers; `None` when null or unknown.
pub fn planned_i32(value: &Value, name: &str) -> Option<i32> {
    slipway_core::provider_kit::attr(value, name)
        .as_number()
        .and_then(|n| n.to_i64())
        .and_then(|n| i32::try_from(n).ok())
}

/// The attribute `name` of `known` when it is known and not null, else `default`.
pub fn known_or(known: &Value, name: &str, default: Value) -> Value {
    let v = slipway_core::provider_kit::attr(known, name);
    if v.is_null() || !v.is_wholly_known() { default } else { v }
}
