//! `aws_s3_bucket_versioning`: a bucket's versioning state; `id` is the bucket. S3 cannot
//! turn versioning off once it was on: deleting the resource suspends it, as
//! terraform-provider-aws does.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketVersioningStatus, MfaDelete, VersioningConfiguration};
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::overlapped;
use crate::kit::{Clients, aws_error, is_not_found};
use crate::resource::{Resource, ids};
use crate::s3_kit::bucket_of;

pub struct AwsS3BucketVersioning;

fn configuration_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("status", AttributeSchema::required(Type::String))
        .attribute("mfa_delete", AttributeSchema::optional(Type::String))
}

#[async_trait]
impl Resource for AwsS3BucketVersioning {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_versioning"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("bucket", AttributeSchema::required(Type::String).force_new())
            .attribute("expected_bucket_owner", AttributeSchema::optional(Type::String).force_new())
            .attribute("mfa", AttributeSchema::optional(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
            .block("versioning_configuration", Nesting::List, configuration_block())
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        // Putting the same state again is harmless: a repeated run converges.
        let bucket = bucket_of(planned)?;
        let block = attr(planned, "versioning_configuration").as_elements().and_then(|e| e.first().cloned());
        let status = block.as_ref().and_then(|b| attr(b, "status").as_str().map(str::to_string));
        let mfa_delete = block.as_ref().and_then(|b| attr(b, "mfa_delete").as_str().map(str::to_string));
        put(c, &bucket, planned, &status.unwrap_or_else(|| "Enabled".into()), mfa_delete).await?;
        read_one(c, &bucket, planned).await
    }

    async fn update(&self, c: &Clients, _prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        self.create(c, planned, "").await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let bucket = bucket_of(prior)?;
        match put(c, &bucket, prior, "Suspended", None).await {
            Err(_) if get(c, &bucket).await.ok().flatten().is_none() => Ok(()), // the bucket is gone
            other => other,
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // One GetBucketVersioning per bucket, overlapped.
        let buckets = ids(priors);
        let found = overlapped(buckets.clone(), |b| async move { get(c, &b).await }).await?;
        Ok(found.into_iter().zip(&buckets).zip(priors).map(|((v, b), p)| v.map(|v| value(b, &v, p))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        Ok(get(c, id).await?.map(|v| value(id, &v, &Value::null(Type::Any))))
    }
}

async fn put(c: &Clients, bucket: &str, planned: &Value, status: &str, mfa: Option<String>) -> Result<(), Diagnostic> {
    let config = VersioningConfiguration::builder()
        .status(BucketVersioningStatus::from(status))
        .set_mfa_delete(mfa.map(|m| MfaDelete::from(m.as_str())))
        .build();
    c.s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(config)
        .set_mfa(crate::kit::configured_str(planned, "mfa"))
        .set_expected_bucket_owner(crate::kit::configured_str(planned, "expected_bucket_owner"))
        .send()
        .await
        .map_err(|e| aws_error("PutBucketVersioning", bucket, &e))?;
    Ok(())
}

/// (status, mfa_delete) of the bucket, or `None` when the bucket is gone or versioning was
/// never set (S3 reports no status then).
async fn get(c: &Clients, bucket: &str) -> Result<Option<(String, Option<String>)>, Diagnostic> {
    match c.s3.get_bucket_versioning().bucket(bucket).send().await {
        Ok(out) => Ok(out.status().map(|s| (s.as_str().to_string(), out.mfa_delete().map(|m| m.as_str().to_string())))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error("GetBucketVersioning", bucket, &e)),
    }
}

async fn read_one(c: &Clients, bucket: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| get(c, bucket)).await?.ok_or_else(|| {
        Diagnostic::error("Bucket versioning vanished", format!("{bucket}: no versioning state after it was set."))
    })?;
    Ok(value(bucket, &found, planned))
}

fn value(bucket: &str, (status, mfa_delete): &(String, Option<String>), known: &Value) -> Value {
    let known_block = attr(known, "versioning_configuration").as_elements().and_then(|e| e.first().cloned());
    let known_mfa = known_block.map(|b| attr(&b, "mfa_delete")).filter(|m| m.as_str().is_some());
    // Left out, MFA delete is S3's "Disabled" (or nothing): no diff for that.
    let mfa = match (mfa_delete.as_deref(), known_mfa) {
        (Some("Enabled"), _) => Value::string("Enabled"),
        (_, Some(k)) => k,
        _ => Value::null(Type::String),
    };
    let block =
        Value::object(BTreeMap::from([("status".into(), Value::string(status.as_str())), ("mfa_delete".into(), mfa)]));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(bucket)),
        ("bucket".into(), Value::string(bucket)),
        ("expected_bucket_owner".into(), crate::kit::kept_str(known, "expected_bucket_owner")),
        ("mfa".into(), crate::kit::kept_str(known, "mfa")),
        ("versioning_configuration".into(), Value::list(configuration_block().value_type(), vec![block])),
    ]))
}
