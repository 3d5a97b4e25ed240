//! What the S3 resources share: S3's tag type (a bucket's tags are one set, replaced whole),
//! and the owner tag.

use aws_sdk_s3::types::{Tag, Tagging};
use slipway_core::{Diagnostic, Value};

use crate::kit::{Clients, OWNER_TAG, aws_error, build_error, is_not_found};

/// The bucket's tags, or `None` when the bucket does not exist. One call: the bucket's
/// existence and its tags at once.
pub async fn bucket_tags(c: &Clients, bucket: &str) -> Result<Option<Vec<Tag>>, Diagnostic> {
    match c.s3.get_bucket_tagging().bucket(bucket).send().await {
        Ok(out) => Ok(Some(out.tag_set().to_vec())),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) if aws_smithy_types::error::metadata::ProvideErrorMetadata::code(&e) == Some("NoSuchTagSet") => {
            Ok(Some(Vec::new()))
        }
        Err(e) => Err(aws_error("GetBucketTagging", bucket, &e)),
    }
}

/// Replaces the bucket's tags with `tags_all`, keeping slipway's own tags (the owner) as they
/// are or setting the owner tag when `owner` is given.
pub async fn put_bucket_tags(
    c: &Clients,
    bucket: &str,
    tags_all: &Value,
    keep: &[Tag],
    owner: Option<&str>,
) -> Result<(), Diagnostic> {
    let mut pairs: Vec<(String, String)> = tags_all
        .as_entries()
        .map(|e| e.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    match owner {
        Some(owner) if !owner.is_empty() => pairs.push((OWNER_TAG.into(), owner.into())),
        _ => pairs.extend(
            keep.iter().filter(|t| t.key().starts_with("slipway:")).map(|t| (t.key().into(), t.value().into())),
        ),
    }
    if pairs.is_empty() {
        return match c.s3.delete_bucket_tagging().bucket(bucket).send().await {
            Ok(_) => Ok(()),
            Err(e) => Err(aws_error("DeleteBucketTagging", bucket, &e)),
        };
    }
    let tags: Vec<Tag> = pairs.into_iter().filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok()).collect();
    let tagging = Tagging::builder().set_tag_set(Some(tags)).build().map_err(|e| build_error("PutBucketTagging", e))?;
    c.s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| aws_error("PutBucketTagging", bucket, &e))?;
    Ok(())
}

/// S3 tags as a map value of the user's tags.
pub fn from_s3_tags(tags: &[Tag]) -> Value {
    crate::kit::tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

pub fn owned_by(tags: &[Tag], owner: &str) -> bool {
    !owner.is_empty() && tags.iter().any(|t| t.key() == OWNER_TAG && t.value() == owner)
}

/// The `bucket` attribute (the ID of every bucket-settings resource).
pub fn bucket_of(value: &Value) -> Result<String, Diagnostic> {
    crate::kit::required_str(value, "bucket")
}
