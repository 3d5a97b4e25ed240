//! What the IAM resources share: IAM's own tag type, the owner tag, the one batch read IAM has
//! (GetAccountAuthorizationDetails: every role with its inline and attached policies, every
//! local managed policy with its documents).

use std::collections::BTreeMap;

use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, RoleDetail, Tag};
use slipway_core::{Diagnostic, Value};

use crate::kit::{Clients, OWNER_TAG, aws_error};

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

/// IAM tags as a map value of the user's tags.
pub fn from_iam_tags(tags: &[Tag]) -> Value {
    crate::kit::tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

/// Whether the tags say `owner` made the object (a run that stopped before saving state).
pub fn owned_by(tags: &[Tag], owner: &str) -> bool {
    !owner.is_empty() && tags.iter().any(|t| t.key() == OWNER_TAG && t.value() == owner)
}

pub fn iam_tags(pairs: Vec<(String, String)>) -> Vec<Tag> {
    pairs.into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect()
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
