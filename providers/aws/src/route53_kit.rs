//! What the Route 53 resources share: names compared as DNS compares them (case, trailing
//! dot, Route 53's `\052` for `*`), zone IDs without their `/hostedzone/` prefix, tags, and
//! waiting for a change to be INSYNC.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_route53::types::{ChangeStatus, Tag, TagResourceType};
use slipway_core::{Diagnostic, Value};

use crate::kit::{Clients, aws_error};

/// A DNS name as Route 53 compares it: lower case, no trailing dot, `*` as written.
pub fn normalize_name(name: &str) -> String {
    name.replace("\\052", "*").trim_end_matches('.').to_ascii_lowercase()
}

/// `/hostedzone/Z123` -> `Z123`.
pub fn clean_zone_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

/// `/change/C123` -> `C123`.
pub fn clean_change_id(id: &str) -> String {
    id.trim_start_matches("/change/").to_string()
}

/// The known text of a name while it names the same as `actual`, else `actual` without its
/// trailing dot: no diff for `Example.com.` against `example.com`.
pub fn keep_name(known: Option<&str>, actual: &str) -> Value {
    match known {
        Some(k) if normalize_name(k) == normalize_name(actual) => Value::string(k),
        _ => Value::string(actual.replace("\\052", "*").trim_end_matches('.')),
    }
}

/// Waits until Route 53 has the change on all its servers (about a minute on AWS).
pub async fn wait_insync(c: &Clients, change_id: &str) -> Result<(), Diagnostic> {
    let id = clean_change_id(change_id);
    let mut delay = Duration::from_millis(500);
    for _ in 0..60 {
        let out = c.route53.get_change().id(&id).send().await.map_err(|e| aws_error("GetChange", &id, &e))?;
        if out.change_info().map(|i| i.status()) == Some(&ChangeStatus::Insync) {
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    Err(Diagnostic::error(
        "Route 53 change did not finish",
        format!("Change {id} was still PENDING after several minutes; run again to check on it."),
    ))
}

/// The tags of many zones, 10 zones per ListTagsForResources call (Route 53's limit).
pub async fn zone_tags(c: &Clients, zone_ids: &[String]) -> Result<BTreeMap<String, Vec<Tag>>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in zone_ids.chunks(10) {
        let listed = c
            .route53
            .list_tags_for_resources()
            .resource_type(TagResourceType::Hostedzone)
            .set_resource_ids(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| aws_error("ListTagsForResources", "refreshing hosted zone tags", &e))?;
        for set in listed.resource_tag_sets() {
            if let Some(id) = set.resource_id() {
                out.insert(clean_zone_id(id), set.tags().to_vec());
            }
        }
    }
    Ok(out)
}

/// Route 53 tags as a map value of the user's tags.
pub fn from_r53_tags(tags: &[Tag]) -> Value {
    crate::kit::tag_map(tags.iter().filter_map(|t| Some((t.key()?, t.value().unwrap_or_default()))))
}

/// Brings a zone's tags from `before` to `after` in one ChangeTagsForResource call;
/// `owner` adds the owner tag (at creation).
pub async fn change_zone_tags(
    c: &Clients,
    zone_id: &str,
    before: &Value,
    after: &Value,
    owner: &str,
) -> Result<(), Diagnostic> {
    let (mut set, removed) = crate::kit::tag_changes(before, after);
    if !owner.is_empty() {
        set.push((crate::kit::OWNER_TAG.into(), owner.into()));
    }
    if set.is_empty() && removed.is_empty() {
        return Ok(());
    }
    let tags: Vec<Tag> = set.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect();
    let mut call = c.route53.change_tags_for_resource().resource_type(TagResourceType::Hostedzone).resource_id(zone_id);
    if !tags.is_empty() {
        call = call.set_add_tags(Some(tags));
    }
    if !removed.is_empty() {
        call = call.set_remove_tag_keys(Some(removed));
    }
    call.send().await.map_err(|e| aws_error("ChangeTagsForResource", zone_id, &e))?;
    Ok(())
}
