//! What the IAM resources share: IAM's own tag type, the owner tag, the one batch read IAM has
//! (GetAccountAuthorizationDetails: every role with its inline and attached policies, every
//! local managed policy with its documents), and overlapped per-object reads where there is none.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, RoleDetail, Tag};
use aws_smithy_types::date_time::Format;
use futures::StreamExt;
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{Clients, OWNER_TAG, aws_error};

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

/// `tags_all` and the owner tag as IAM tags.
pub fn to_iam_tags(tags_all: &Value, owner: &str) -> Vec<Tag> {
    let mut pairs: Vec<(String, String)> = tags_all
        .as_entries()
        .map(|e| e.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    if !owner.is_empty() {
        pairs.push((OWNER_TAG.to_string(), owner.to_string()));
    }
    // Key and value are both set, so the builder cannot fail.
    pairs.into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

/// IAM tags as a map value, without AWS's and slipway's own.
pub fn from_iam_tags(tags: &[Tag]) -> Value {
    let entries = tags
        .iter()
        .filter(|t| !t.key().starts_with("aws:") && !t.key().starts_with("slipway:"))
        .map(|t| (t.key().to_string(), Value::string(t.value())))
        .collect();
    Value::map(Type::String, entries)
}

/// Whether the tags say `owner` made the object (a run that stopped before saving state).
pub fn owned_by(tags: &[Tag], owner: &str) -> bool {
    !owner.is_empty() && tags.iter().any(|t| t.key() == OWNER_TAG && t.value() == owner)
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

pub fn iam_tags(pairs: Vec<(String, String)>) -> Vec<Tag> {
    pairs.into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
}

/// A date as RFC 3339, as terraform-provider-aws writes `create_date`.
pub fn date(d: Option<&aws_smithy_types::DateTime>) -> Value {
    Value::string(d.and_then(|d| d.fmt(Format::DateTime).ok()).unwrap_or_default())
}

/// What GetAccountAuthorizationDetails says, by name (roles) and by ARN (policies).
#[derive(Default)]
pub struct AuthDetails {
    pub roles: BTreeMap<String, RoleDetail>,
    pub policies: BTreeMap<String, ManagedPolicyDetail>,
}

/// Every role (`EntityType::Role`) or local managed policy (`LocalManagedPolicy`) of the
/// account in one paginated call: the batch read for roles, inline role policies, attachments
/// and policy documents.
pub async fn auth_details(c: &Clients, filter: EntityType) -> Result<AuthDetails, Diagnostic> {
    let mut out = AuthDetails::default();
    let mut pages = c.iam.get_account_authorization_details().filter(filter).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| aws_error("GetAccountAuthorizationDetails", "refreshing IAM", &e))?;
        for role in page.role_detail_list() {
            if let Some(name) = role.role_name() {
                out.roles.insert(name.to_string(), role.clone());
            }
        }
        for policy in page.policies() {
            if let Some(arn) = policy.arn() {
                out.policies.insert(arn.to_string(), policy.clone());
            }
        }
    }
    Ok(out)
}

/// A string attribute of `known` when it is a known string, else null: for what AWS does not
/// report back (`name_prefix`).
pub fn kept_str(known: &Value, name: &str) -> Value {
    let v = slipway_core::provider_kit::attr(known, name);
    if v.as_str().is_some() { v } else { Value::null(Type::String) }
}
