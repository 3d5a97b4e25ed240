//! `aws_s3_bucket_policy`: a bucket's policy document; `id` is the bucket. The document is
//! compared by meaning (`policy_json`), so a reformatted policy is no change.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::overlapped;
use crate::kit::{Clients, aws_error, is_not_found, required_str};
use crate::policy_json::{keep_known, plan_document};
use crate::resource::{Resource, ids};
use crate::s3_kit::bucket_of;

pub struct AwsS3BucketPolicy;

#[async_trait]
impl Resource for AwsS3BucketPolicy {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_policy"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("bucket", AttributeSchema::required(Type::String).force_new())
            .attribute("policy", AttributeSchema::required(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
    }

    fn refine_plan(&self, request: &PlanRequest, _fresh: bool, planned: &mut BTreeMap<String, Value>) {
        plan_document(request.prior.as_ref(), planned, "policy");
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        let bucket = bucket_of(planned)?;
        c.s3.put_bucket_policy()
            .bucket(&bucket)
            .policy(required_str(planned, "policy")?)
            .send()
            .await
            .map_err(|e| aws_error("PutBucketPolicy", &bucket, &e))?;
        let found = crate::kit::eventually(|| get(c, &bucket, planned)).await?;
        found.ok_or_else(|| {
            Diagnostic::error("Bucket policy vanished", format!("{bucket}: no policy after it was put."))
        })
    }

    async fn update(&self, c: &Clients, _prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        self.create(c, planned, "").await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let bucket = bucket_of(prior)?;
        match c.s3.delete_bucket_policy().bucket(&bucket).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteBucketPolicy", &bucket, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // One GetBucketPolicy per bucket, overlapped.
        let buckets = ids(priors);
        overlapped(buckets.into_iter().zip(priors.to_vec()), |(b, p)| async move { get(c, &b, &p).await }).await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        get(c, id, &Value::null(Type::Any)).await
    }
}

async fn get(c: &Clients, bucket: &str, known: &Value) -> Result<Option<Value>, Diagnostic> {
    let policy = match c.s3.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => out.policy().unwrap_or_default().to_string(),
        Err(e) if is_not_found(&e) || e.code() == Some("NoSuchBucketPolicy") => return Ok(None),
        Err(e) => return Err(aws_error("GetBucketPolicy", bucket, &e)),
    };
    let known_policy = attr(known, "policy");
    Ok(Some(Value::object(BTreeMap::from([
        ("id".into(), Value::string(bucket)),
        ("bucket".into(), Value::string(bucket)),
        ("policy".into(), Value::string(keep_known(known_policy.as_str(), &policy))),
    ]))))
}
