//! `aws_s3_bucket_public_access_block`: the four switches that keep a bucket private; `id` is
//! the bucket.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::PublicAccessBlockConfiguration;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::overlapped;
use crate::kit::{Clients, aws_error, is_not_found};
use crate::resource::{Resource, ids};
use crate::s3_kit::bucket_of;

pub struct AwsS3BucketPublicAccessBlock;

const SWITCHES: [&str; 4] =
    ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];

#[async_trait]
impl Resource for AwsS3BucketPublicAccessBlock {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_public_access_block"
    }

    fn schema(&self) -> BlockSchema {
        let block = BlockSchema::new()
            .attribute("bucket", AttributeSchema::required(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String));
        SWITCHES.iter().fold(block, |b, s| b.attribute(s, AttributeSchema::optional_computed(Type::Bool)))
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        SWITCHES.iter().map(|s| (*s, Value::bool(false))).collect()
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        let bucket = bucket_of(planned)?;
        let on = |name: &str| attr(planned, name).as_bool().unwrap_or(false);
        let config = PublicAccessBlockConfiguration::builder()
            .block_public_acls(on("block_public_acls"))
            .block_public_policy(on("block_public_policy"))
            .ignore_public_acls(on("ignore_public_acls"))
            .restrict_public_buckets(on("restrict_public_buckets"))
            .build();
        c.s3.put_public_access_block()
            .bucket(&bucket)
            .public_access_block_configuration(config)
            .send()
            .await
            .map_err(|e| aws_error("PutPublicAccessBlock", &bucket, &e))?;
        let found = crate::kit::eventually(|| get(c, &bucket)).await?;
        found.ok_or_else(|| {
            Diagnostic::error("Public access block vanished", format!("{bucket}: not found after it was set."))
        })
    }

    async fn update(&self, c: &Clients, _prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        self.create(c, planned, "").await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let bucket = bucket_of(prior)?;
        match c.s3.delete_public_access_block().bucket(&bucket).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeletePublicAccessBlock", &bucket, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // One GetPublicAccessBlock per bucket, overlapped.
        overlapped(ids(priors), |b| async move { get(c, &b).await }).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        get(c, id).await
    }
}

async fn get(c: &Clients, bucket: &str) -> Result<Option<Value>, Diagnostic> {
    let out = match c.s3.get_public_access_block().bucket(bucket).send().await {
        Ok(out) => out,
        Err(e) if is_not_found(&e) || e.code() == Some("NoSuchPublicAccessBlockConfiguration") => return Ok(None),
        Err(e) => return Err(aws_error("GetPublicAccessBlock", bucket, &e)),
    };
    let conf = out.public_access_block_configuration();
    let switches = [
        conf.and_then(|c| c.block_public_acls()),
        conf.and_then(|c| c.block_public_policy()),
        conf.and_then(|c| c.ignore_public_acls()),
        conf.and_then(|c| c.restrict_public_buckets()),
    ];
    let mut entries =
        BTreeMap::from([("id".to_string(), Value::string(bucket)), ("bucket".to_string(), Value::string(bucket))]);
    for (name, on) in SWITCHES.iter().zip(switches) {
        entries.insert(name.to_string(), Value::bool(on.unwrap_or(false)));
    }
    Ok(Some(Value::object(entries)))
}
