//! `aws_s3_bucket_server_side_encryption_configuration`: a bucket's default encryption;
//! `id` is the bucket. Deleting it returns the bucket to S3's default.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::{
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::build_error;
use crate::kit::{Clients, aws_error, configured_str, is_not_found};
use crate::kit::{kept_str, overlapped};
use crate::resource::{Resource, ids};
use crate::s3_kit::bucket_of;

pub struct AwsS3BucketEncryption;

fn default_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("sse_algorithm", AttributeSchema::required(Type::String))
        .attribute("kms_master_key_id", AttributeSchema::optional(Type::String))
}

fn rule_block() -> BlockSchema {
    BlockSchema::new().attribute("bucket_key_enabled", AttributeSchema::optional(Type::Bool)).block(
        "apply_server_side_encryption_by_default",
        Nesting::List,
        default_block(),
    )
}

/// One rule as S3 has it: (algorithm, KMS key, bucket key enabled).
type Rule = (String, Option<String>, Option<bool>);

#[async_trait]
impl Resource for AwsS3BucketEncryption {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket_server_side_encryption_configuration"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("bucket", AttributeSchema::required(Type::String).force_new())
            .attribute("expected_bucket_owner", AttributeSchema::optional(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String))
            .block("rule", Nesting::Set, rule_block())
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        let bucket = bucket_of(planned)?;
        let mut rules = Vec::new();
        for (algorithm, key, bucket_key) in configured_rules(planned) {
            let by_default = ServerSideEncryptionByDefault::builder()
                .sse_algorithm(ServerSideEncryption::from(algorithm.as_str()))
                .set_kms_master_key_id(key)
                .build()
                .map_err(|e| build_error("PutBucketEncryption", e))?;
            rules.push(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .set_bucket_key_enabled(bucket_key)
                    .build(),
            );
        }
        let config = ServerSideEncryptionConfiguration::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| build_error("PutBucketEncryption", e))?;
        c.s3.put_bucket_encryption()
            .bucket(&bucket)
            .server_side_encryption_configuration(config)
            .set_expected_bucket_owner(configured_str(planned, "expected_bucket_owner"))
            .send()
            .await
            .map_err(|e| aws_error("PutBucketEncryption", &bucket, &e))?;
        let found = crate::kit::eventually(|| get(c, &bucket)).await?.ok_or_else(|| {
            Diagnostic::error("Bucket encryption vanished", format!("{bucket}: no encryption after it was set."))
        })?;
        Ok(value(&bucket, &found, planned))
    }

    async fn update(&self, c: &Clients, _prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        self.create(c, planned, "").await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let bucket = bucket_of(prior)?;
        match c.s3.delete_bucket_encryption().bucket(&bucket).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteBucketEncryption", &bucket, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // One GetBucketEncryption per bucket, overlapped.
        let buckets = ids(priors);
        let found = overlapped(buckets.clone(), |b| async move { get(c, &b).await }).await?;
        Ok(found.into_iter().zip(&buckets).zip(priors).map(|((r, b), p)| r.map(|r| value(b, &r, p))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        Ok(get(c, id).await?.map(|r| value(id, &r, &Value::null(Type::Any))))
    }
}

fn configured_rules(value: &Value) -> Vec<Rule> {
    attr(value, "rule")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(|rule| {
            let by_default = attr(rule, "apply_server_side_encryption_by_default");
            let first = by_default.as_elements()?.first()?.clone();
            Some((
                attr(&first, "sse_algorithm").as_str()?.to_string(),
                attr(&first, "kms_master_key_id").as_str().map(str::to_string),
                attr(rule, "bucket_key_enabled").as_bool(),
            ))
        })
        .collect()
}

/// The bucket's rules, or `None` when the bucket is gone or has no configuration.
async fn get(c: &Clients, bucket: &str) -> Result<Option<Vec<Rule>>, Diagnostic> {
    match c.s3.get_bucket_encryption().bucket(bucket).send().await {
        Ok(out) => Ok(Some(
            out.server_side_encryption_configuration()
                .map(|conf| conf.rules())
                .unwrap_or_default()
                .iter()
                .filter_map(|r| {
                    let d = r.apply_server_side_encryption_by_default()?;
                    Some((
                        d.sse_algorithm().as_str().to_string(),
                        d.kms_master_key_id().map(str::to_string),
                        r.bucket_key_enabled(),
                    ))
                })
                .collect(),
        )),
        Err(e) if is_not_found(&e) || e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => Ok(None),
        Err(e) => Err(aws_error("GetBucketEncryption", bucket, &e)),
    }
}

/// The state of the configuration; `known` lends `bucket_key_enabled` where S3 reports its
/// default (false) for a rule that left it out.
fn value(bucket: &str, rules: &[Rule], known: &Value) -> Value {
    let known_rules = configured_rules(known);
    let items = rules
        .iter()
        .map(|(algorithm, key, bucket_key)| {
            let left_out = known_rules.iter().any(|(a, k, b)| a == algorithm && k == key && b.is_none());
            let bucket_key = match bucket_key {
                Some(false) | None if left_out => Value::null(Type::Bool),
                Some(b) => Value::bool(*b),
                None => Value::null(Type::Bool),
            };
            let by_default = Value::object(BTreeMap::from([
                ("sse_algorithm".into(), Value::string(algorithm.as_str())),
                (
                    "kms_master_key_id".into(),
                    key.as_deref().map(Value::string).unwrap_or_else(|| Value::null(Type::String)),
                ),
            ]));
            Value::object(BTreeMap::from([
                ("bucket_key_enabled".into(), bucket_key),
                (
                    "apply_server_side_encryption_by_default".into(),
                    Value::list(default_block().value_type(), vec![by_default]),
                ),
            ]))
        })
        .collect();
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(bucket)),
        ("bucket".into(), Value::string(bucket)),
        ("expected_bucket_owner".into(), kept_str(known, "expected_bucket_owner")),
        ("rule".into(), Value::set(rule_block().value_type(), items)),
    ]))
}
