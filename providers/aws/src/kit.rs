//! What the aws resources share: the clients of a configured provider, AWS errors as
//! diagnostics, tags (`tags`, `tags_all` with the provider's `default_tags`), retries for
//! AWS's eventual consistency, and overlapped reads where an API has no batch read.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::StreamExt;
use slipway_core::provider_kit::attr;
use slipway_core::{Diagnostic, Type, Value};

use crate::config::Settings;

/// The clients of one configured provider.
#[derive(Clone, Debug)]
pub struct Clients {
    pub settings: Settings,
    pub ec2: aws_sdk_ec2::Client,
    pub sts: aws_sdk_sts::Client,
    pub autoscaling: aws_sdk_autoscaling::Client,
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    /// Classic load balancers: only those Kubernetes made, removed by aws_kubernetes_cluster_cleanup.
    pub elb: aws_sdk_elasticloadbalancing::Client,
    pub iam: aws_sdk_iam::Client,
    pub route53: aws_sdk_route53::Client,
    pub s3: aws_sdk_s3::Client,
    /// The account the credentials belong to, when configure asked STS (see [`account_id`]).
    pub account_id: Option<String>,
    /// Rolls of one cluster's groups, one at a time (see `instance_refresh`).
    pub cluster_locks: std::sync::Arc<crate::instance_refresh::ClusterLocks>,
}

impl Clients {
    pub fn new(settings: Settings) -> Clients {
        // One client per service, each from the shared SDK configuration with the service's
        // endpoint override (the `endpoints` block) applied.
        macro_rules! client {
            ($krate:ident, $service:literal) => {{
                let mut builder = $krate::config::Builder::from(&settings.sdk);
                if let Some(url) = settings.endpoint($service) {
                    builder = builder.endpoint_url(url);
                }
                $krate::Client::from_conf(builder.build())
            }};
        }
        // S3 by path (`http://host/bucket/key`): virtual-hosted names need DNS for every
        // bucket, which an endpoint override (an emulator, a VPC endpoint by IP) does not have.
        let s3 = {
            let mut builder = aws_sdk_s3::config::Builder::from(&settings.sdk);
            if let Some(url) = settings.endpoint("s3") {
                builder = builder.endpoint_url(url).force_path_style(true);
            }
            aws_sdk_s3::Client::from_conf(builder.build())
        };
        Clients {
            ec2: client!(aws_sdk_ec2, "ec2"),
            sts: client!(aws_sdk_sts, "sts"),
            autoscaling: client!(aws_sdk_autoscaling, "autoscaling"),
            elbv2: client!(aws_sdk_elasticloadbalancingv2, "elbv2"),
            elb: client!(aws_sdk_elasticloadbalancing, "elb"),
            iam: client!(aws_sdk_iam, "iam"),
            route53: client!(aws_sdk_route53, "route53"),
            s3,
            account_id: None,
            cluster_locks: Default::default(),
            settings,
        }
    }
}

/// The account ID, for ARNs that AWS does not return: from configure's credential check, or
/// one STS call when that was skipped.
pub async fn account_id(c: &Clients) -> Result<String, Diagnostic> {
    if let Some(id) = &c.account_id {
        return Ok(id.clone());
    }
    let who = c
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws_error("STS GetCallerIdentity", "the account ID", &e))?;
    Ok(who.account().unwrap_or_default().to_string())
}

/// An AWS error as a diagnostic: what was being done, AWS's code and message, and a hint for
/// the codes that have an obvious next step.
pub fn aws_error<E>(operation: &str, subject: &str, err: &E) -> Diagnostic
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let code = err.code().unwrap_or_default();
    let message = err.message().map(str::to_string).unwrap_or_else(|| DisplayErrorContext(err).to_string());
    let hint = match code {
        "DependencyViolation" => {
            " Something still uses it (instances, network interfaces, gateways or subnets in a VPC; a security group referenced by another); delete or detach that first."
        }
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => {
            " The credentials in use are not allowed to do this; check the policy of the user or role."
        }
        "RequestLimitExceeded" | "Throttling" => " AWS is throttling requests; run again, or lower -parallelism.",
        "ResourceInUse" | "ResourceInUseFault" | "ScalingActivityInProgressFault" => {
            " Something still uses it or is changing it (a listener using a target group, a scaling activity); run again once that is done, or remove what uses it first."
        }
        "LimitExceeded"
        | "LimitExceededFault"
        | "TooManyLoadBalancers"
        | "TooManyTargetGroups"
        | "TooManyListeners" => {
            " An account quota is reached; delete unused objects or ask AWS for a higher quota (Service Quotas console)."
        }
        "InvalidClientTokenId" | "AuthFailure" | "SignatureDoesNotMatch" => {
            " The credentials are not valid for this account and region."
        }
        "EntityAlreadyExists" | "BucketAlreadyExists" | "HostedZoneAlreadyExists" => {
            " An object with this name exists already and slipway did not make it: import it (slipway import ADDRESS ID), or choose another name."
        }
        "BucketAlreadyOwnedByYou" => {
            " The bucket is this account's already: import it (slipway import ADDRESS BUCKET)."
        }
        "DeleteConflict" => {
            " Something is still attached (policies to a role, a role to an instance profile, a policy to roles or users); detach it first, or set force_detach_policies on the role."
        }
        "BucketNotEmpty" => {
            " The bucket still holds objects or object versions; delete them first, or set force_destroy = true to have slipway empty it."
        }
        "HostedZoneNotEmpty" => {
            " The zone still holds records besides its SOA and NS; delete them first, or set force_destroy = true on the zone."
        }
        "MalformedPolicyDocument" | "MalformedPolicy" => {
            " The policy document is not valid IAM policy JSON; aws_iam_policy_document renders valid documents."
        }
        _ => "",
    };
    let code_text = if code.is_empty() { String::new() } else { format!(" ({code})") };
    Diagnostic::error(format!("{operation} failed{code_text}"), format!("{subject}: {message}.{hint}"))
}

/// Whether an error says the object does not exist (`InvalidVpcID.NotFound`, IAM's
/// `NoSuchEntity`, S3's `NoSuchBucket`, Route 53's `NoSuchHostedZone`, ...).
pub fn is_not_found<E: ProvideErrorMetadata>(err: &E) -> bool {
    err.code().is_some_and(|c| {
        c.ends_with("NotFound") || matches!(c, "NoSuchEntity" | "NoSuchBucket" | "NoSuchKey" | "NoSuchHostedZone")
    })
}

/// Runs `read` again while it finds nothing: a just-created or just-changed object can take a
/// moment to be visible to reads (AWS is eventually consistent). About 15 s in all.
pub async fn eventually<T, F, Fut>(mut read: F) -> Result<Option<T>, Diagnostic>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Diagnostic>>,
{
    let mut delay = Duration::from_millis(250);
    for _ in 0..6 {
        if let Some(found) = read().await? {
            return Ok(Some(found));
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    read().await
}

/// Deletes with `delete`, treating "not found" as done and retrying `DependencyViolation` with
/// backoff for about half a minute: what used the object can take a moment to let go of it
/// after its own deletion.
pub async fn delete_when_free<T, E, F, Fut>(operation: &str, id: &str, delete: F) -> Result<(), Diagnostic>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    delete_while_busy(operation, id, "DependencyViolation", Duration::from_secs(30), delete).await
}

/// Deletes with `delete`, treating "not found" as done and retrying with backoff (up to 5 s
/// between tries) while AWS answers with error code `busy` (the object is still used by
/// something that is going away), for up to `budget`.
pub async fn delete_while_busy<T, E, F, Fut>(
    operation: &str,
    id: &str,
    busy: &str,
    budget: Duration,
    mut delete: F,
) -> Result<(), Diagnostic>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + budget;
    let mut delay = Duration::from_millis(500);
    loop {
        match delete().await {
            Ok(_) => return Ok(()),
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) if e.code() == Some(busy) && tokio::time::Instant::now() + delay < deadline => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => return Err(aws_error(operation, id, &e)),
        }
    }
}

/// The tags an object should have: the provider's `default_tags` overridden by its own `tags`.
pub fn tags_all(settings: &Settings, tags: &Value) -> Value {
    if !tags.is_wholly_known() {
        return Value::unknown(Type::map(Type::String));
    }
    let mut all: BTreeMap<String, Value> =
        settings.default_tags.iter().map(|(k, v)| (k.clone(), Value::string(v.as_str()))).collect();
    if let Some(own) = tags.as_entries() {
        all.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Value::map(Type::String, all)
}

/// A map value as AWS tags.
pub fn to_tags(map: &Value) -> Vec<Tag> {
    map.as_entries()
        .map(|entries| {
            entries.iter().filter_map(|(k, v)| Some(Tag::builder().key(k).value(v.as_str()?).build())).collect()
        })
        .unwrap_or_default()
}

/// Whether a tag is the user's: `aws:` tags are the ones AWS adds itself and `slipway:` tags
/// slipway's (the owner tag); neither is part of `tags` or `tags_all`, in any service.
pub fn is_user_tag(key: &str) -> bool {
    !key.starts_with("aws:") && !key.starts_with("slipway:")
}

/// Tags of any service, as key and value pairs, as a map value of the user's tags.
pub fn tag_map<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Value {
    let entries =
        pairs.into_iter().filter(|(k, _)| is_user_tag(k)).map(|(k, v)| (k.to_string(), Value::string(v))).collect();
    Value::map(Type::String, entries)
}

/// EC2 tags as a map value of the user's tags.
pub fn from_tags(tags: &[Tag]) -> Value {
    tag_map(tags.iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))))
}

/// The tag that says which state and address an object belongs to (`ApplyRequest::owner`).
pub const OWNER_TAG: &str = "slipway:owner";

/// The tags at creation, the owner tag among them, so that an object never exists untagged and
/// a run that stopped before saving state can be recognised by the next one.
pub fn tag_specification(resource_type: ResourceType, tags_all: &Value, owner: &str) -> Option<TagSpecification> {
    let mut tags = to_tags(tags_all);
    if !owner.is_empty() {
        tags.push(Tag::builder().key(OWNER_TAG).value(owner).build());
    }
    (!tags.is_empty()).then(|| TagSpecification::builder().resource_type(resource_type).set_tags(Some(tags)).build())
}

/// The filter that finds what `owner` created: nothing when there is no owner.
pub fn owner_filter(owner: &str) -> Option<String> {
    (!owner.is_empty()).then(|| format!("tag:{OWNER_TAG}"))
}

/// The filter value that finds what `owner` created. EC2 filter values are patterns (`*` and
/// `?`; moto also reads `[...]` as a character class, so `aws_subnet.s[2]` would never match
/// itself there), so each character that may be special is matched by `?`, which means one
/// character everywhere; [`owned_by`] then checks the exact tag.
pub fn owner_pattern(owner: &str) -> String {
    owner.chars().map(|c| if matches!(c, '[' | ']' | '*' | '?' | '\\') { '?' } else { c }).collect()
}

/// Whether `tags` carry exactly `owner`'s owner tag.
pub fn owned_by(tags: &[Tag], owner: &str) -> bool {
    !owner.is_empty() && tags.iter().any(|t| t.key() == Some(OWNER_TAG) && t.value() == Some(owner))
}

/// `tags` as the configuration and `tags_all` as AWS has them: what the state holds is the
/// configured `tags` (so that default tags do not show as drift in it) and every tag in `tags_all`.
pub fn split_tags(settings: &Settings, prior_tags: &Value, actual: &Value) -> (Value, Value) {
    let Some(actual_entries) = actual.as_entries() else { return (prior_tags.clone(), actual.clone()) };
    let own: BTreeMap<String, Value> = actual_entries
        .iter()
        .filter(|(k, v)| {
            let configured = prior_tags.get_attr(k).is_some();
            let default_only = settings.default_tags.get(*k).is_some_and(|d| v.as_str() == Some(d.as_str()));
            configured || !default_only
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let tags = if own.is_empty() && prior_tags.is_null() {
        Value::null(Type::map(Type::String))
    } else {
        Value::map(Type::String, own)
    };
    (tags, actual.clone())
}

/// Brings the tags of `id` from `before` to `after` (maps), with one call each for the tags to
/// set and the tags to remove.
pub async fn update_tags(ec2: &aws_sdk_ec2::Client, id: &str, before: &Value, after: &Value) -> Result<(), Diagnostic> {
    let (set, removed) = tag_changes(before, after);
    let removed: Vec<Tag> = removed.into_iter().map(|k| Tag::builder().key(k).build()).collect();
    let set: Vec<Tag> = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    if !removed.is_empty() {
        ec2.delete_tags()
            .resources(id)
            .set_tags(Some(removed))
            .send()
            .await
            .map_err(|e| aws_error("DeleteTags", id, &e))?;
    }
    if !set.is_empty() {
        ec2.create_tags()
            .resources(id)
            .set_tags(Some(set))
            .send()
            .await
            .map_err(|e| aws_error("CreateTags", id, &e))?;
    }
    Ok(())
}

/// An optional string the configuration set: `None` when it is null, or unknown because the
/// attribute is also computed and left to AWS.
pub fn configured_str(value: &Value, name: &str) -> Option<String> {
    attr(value, name).as_str().map(str::to_string)
}

/// An optional bool the configuration set: `None` when it is null or left to AWS (unknown).
pub fn configured_bool(value: &Value, name: &str) -> Option<bool> {
    attr(value, name).as_bool()
}

/// The idempotency token of a create call (RunInstances, CreateLaunchTemplate): the same for
/// every attempt of one plan's create of one address (the owner), so that a retried call
/// returns what the first one made.
pub fn client_token(owner: &str) -> Option<String> {
    use sha2::Digest;
    (!owner.is_empty()).then(|| format!("{:x}", sha2::Sha256::digest(owner.as_bytes()))[..64].to_string())
}

/// A known string attribute of a planned value that AWS needs.
pub fn required_str(value: &Value, name: &str) -> Result<String, Diagnostic> {
    attr(value, name).as_str().map(str::to_string).ok_or_else(|| {
        Diagnostic::error(format!("Missing {name:?}"), format!("The attribute {name:?} must be a known string here."))
    })
}

/// A name no other object is likely to have, for objects AWS needs a name for when the
/// configuration gives none: `prefix` and 26 hex digits, as terraform-provider-aws's
/// `id.PrefixedUniqueId` makes them. Random from the standard library's hasher seeds, time and a
/// counter, so that two names made in the same instant still differ.
pub fn unique_name(prefix: &str) -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let mut hex = String::new();
    for round in 0..2u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(round);
        hex.push_str(&format!("{:016x}", h.finish()));
    }
    format!("{prefix}{}", &hex[..26])
}

/// The name to create an object with: `name` as configured, else `name_prefix` (or
/// `default_prefix`) with a unique suffix.
pub fn name_or_unique(planned: &Value, name: &str, prefix: &str, default_prefix: &str) -> String {
    configured_str(planned, name)
        .unwrap_or_else(|| unique_name(&configured_str(planned, prefix).unwrap_or_else(|| default_prefix.into())))
}

/// How many reads run at once where an API has no batch read: enough to overlap the round
/// trips, few enough not to be throttled.
pub const CONCURRENCY: usize = 16;

/// Runs `read` on every item with bounded concurrency; the results in the items' order.
pub async fn overlapped<I, T, F, Fut>(items: I, read: F) -> Result<Vec<T>, Diagnostic>
where
    I: IntoIterator,
    F: FnMut(I::Item) -> Fut,
    Fut: Future<Output = Result<T, Diagnostic>>,
{
    let results: Vec<Result<T, Diagnostic>> =
        futures::stream::iter(items).map(read).buffered(CONCURRENCY).collect().await;
    results.into_iter().collect()
}

/// The tags to set and the keys to remove to bring `before` to `after` (maps).
pub fn tag_changes(before: &Value, after: &Value) -> (Vec<(String, String)>, Vec<String>) {
    let old = before.as_entries().cloned().unwrap_or_default();
    let new = after.as_entries().cloned().unwrap_or_default();
    let removed = old.keys().filter(|k| !new.contains_key(*k)).cloned().collect();
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    (set, removed)
}

/// A date as RFC 3339, as terraform-provider-aws writes `create_date`.
pub fn date(d: Option<&aws_smithy_types::DateTime>) -> Value {
    Value::string(d.and_then(|d| d.fmt(Format::DateTime).ok()).unwrap_or_default())
}

/// A string attribute of `known` when it is a known string, else null: for what AWS does not
/// report back (`name_prefix`).
pub fn kept_str(known: &Value, name: &str) -> Value {
    let v = slipway_core::provider_kit::attr(known, name);
    if v.as_str().is_some() { v } else { Value::null(Type::String) }
}

/// A request shape that could not be built (a required field missing): a bug here, reported.
pub fn build_error(what: &str, e: impl std::fmt::Display) -> Diagnostic {
    Diagnostic::error(format!("Cannot build the {what} request"), e.to_string())
}
