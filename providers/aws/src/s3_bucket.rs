//! `aws_s3_bucket`: a bucket and its tags; `id` is the name. With `force_destroy`, deleting it
//! first deletes every object version and delete marker in it.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Delete, ObjectIdentifier};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::build_error;
use crate::kit::{Clients, aws_error, is_not_found, name_or_unique, required_str, split_tags};
use crate::kit::{kept_str, overlapped};
use crate::resource::{Resource, ids};
use crate::s3_kit::{bucket_tags, from_s3_tags, owned_by, put_bucket_tags};

pub struct AwsS3Bucket;

#[async_trait]
impl Resource for AwsS3Bucket {
    fn type_name(&self) -> &'static str {
        "aws_s3_bucket"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("bucket", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("bucket_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("force_destroy", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["id", "arn", "bucket_domain_name", "bucket_regional_domain_name", "hosted_zone_id", "region"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("force_destroy", Value::bool(false))])
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = name_or_unique(planned, "bucket", "bucket_prefix", "terraform-");
        let region = c.settings.region();
        let mut call = c.s3.create_bucket().bucket(&name);
        // us-east-1 is the one region that takes no location constraint.
        if region != "us-east-1" {
            let config = CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region.as_str()))
                .build();
            call = call.create_bucket_configuration(config);
        }
        match call.send().await {
            Ok(_) => {}
            Err(e) if matches!(e.code(), Some("BucketAlreadyOwnedByYou" | "BucketAlreadyExists")) => {
                // Adopt it when a run that stopped before saving state made it; someone else's
                // bucket cannot be read, and the error stands.
                let tags = bucket_tags(c, &name).await.ok().flatten().unwrap_or_default();
                if !owned_by(&tags, owner) {
                    return Err(aws_error("CreateBucket", &name, &e));
                }
            }
            Err(e) => return Err(aws_error("CreateBucket", &name, &e)),
        }
        // S3 takes no tags at creation: tag right after, the owner tag first among them.
        put_bucket_tags(c, &name, &attr(planned, "tags_all"), &[], Some(owner)).await?;
        read_one(c, &name, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let name = required_str(prior, "id")?;
        if !slipway_core::provider_kit::same(&attr(prior, "tags_all"), &attr(planned, "tags_all")) {
            let current = bucket_tags(c, &name).await?.unwrap_or_default();
            put_bucket_tags(c, &name, &attr(planned, "tags_all"), &current, None).await?;
        }
        read_one(c, &name, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let name = required_str(prior, "id")?;
        if attr(prior, "force_destroy").as_bool() == Some(true) {
            empty(c, &name).await?;
        }
        match c.s3.delete_bucket().bucket(&name).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteBucket", &name, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // S3 has no batch read: one GetBucketTagging per bucket (existence and tags), overlapped.
        let names = ids(priors);
        let found = overlapped(names.clone(), |n| async move { bucket_tags(c, &n).await }).await?;
        Ok(found
            .iter()
            .zip(&names)
            .zip(priors)
            .map(|((tags, name), prior)| tags.as_ref().map(|t| bucket_value(c, name, t, prior)))
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        Ok(bucket_tags(c, id).await?.map(|t| bucket_value(c, id, &t, &Value::null(Type::Any))))
    }
}

/// Deletes every object version and delete marker, 1,000 per DeleteObjects call, until the
/// listing is empty.
async fn empty(c: &Clients, bucket: &str) -> Result<(), Diagnostic> {
    loop {
        let listed = match c.s3.list_object_versions().bucket(bucket).send().await {
            Ok(out) => out,
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(aws_error("ListObjectVersions", bucket, &e)),
        };
        let mut objects = Vec::new();
        let versions = listed.versions().iter().map(|v| (v.key(), v.version_id()));
        let markers = listed.delete_markers().iter().map(|m| (m.key(), m.version_id()));
        for (key, version) in versions.chain(markers) {
            let Some(key) = key else { continue };
            let id = ObjectIdentifier::builder().key(key).set_version_id(version.map(str::to_string)).build();
            objects.push(id.map_err(|e| build_error("DeleteObjects", e))?);
        }
        if objects.is_empty() {
            return Ok(());
        }
        for chunk in objects.chunks(1000) {
            let delete = Delete::builder()
                .set_objects(Some(chunk.to_vec()))
                .quiet(true)
                .build()
                .map_err(|e| build_error("DeleteObjects", e))?;
            let out =
                c.s3.delete_objects()
                    .bucket(bucket)
                    .delete(delete)
                    .send()
                    .await
                    .map_err(|e| aws_error("DeleteObjects", bucket, &e))?;
            if let Some(err) = out.errors().first() {
                return Err(Diagnostic::error(
                    format!("DeleteObjects failed ({})", err.code().unwrap_or_default()),
                    format!(
                        "{bucket}/{}: {}. force_destroy could not empty the bucket.",
                        err.key().unwrap_or_default(),
                        err.message().unwrap_or_default()
                    ),
                ));
            }
        }
    }
}

async fn read_one(c: &Clients, name: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let tags = crate::kit::eventually(|| bucket_tags(c, name)).await?.ok_or_else(|| {
        Diagnostic::error("S3 bucket vanished", format!("{name} was not found after it was created or changed."))
    })?;
    Ok(bucket_value(c, name, &tags, planned))
}

/// The Route 53 zone of S3's website and alias endpoints in a region (terraform-provider-aws's
/// table, the regions of the US and Europe; others are left empty).
fn hosted_zone_id(region: &str) -> &'static str {
    match region {
        "us-east-1" => "Z3AQBSTGFYJSTF",
        "us-east-2" => "Z2O1EMRO9K5GLX",
        "us-west-1" => "Z2F56UZL2M1ACD",
        "us-west-2" => "Z3BJ6K6RIION7M",
        "eu-west-1" => "Z1BKCTXD74EZPE",
        "eu-west-2" => "Z3GKZC51ZF0DB4",
        "eu-west-3" => "Z3R1K369G5AVDG",
        "eu-central-1" => "Z21DNDUVLTQW6Q",
        "eu-north-1" => "Z3BAZG2TWCNX0D",
        _ => "",
    }
}

fn bucket_value(c: &Clients, name: &str, tags: &[aws_sdk_s3::types::Tag], known: &Value) -> Value {
    let region = c.settings.region();
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_s3_tags(tags));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(name)),
        ("bucket".into(), Value::string(name)),
        ("bucket_prefix".into(), kept_str(known, "bucket_prefix")),
        ("arn".into(), Value::string(format!("arn:aws:s3:::{name}"))),
        ("bucket_domain_name".into(), Value::string(format!("{name}.s3.amazonaws.com"))),
        ("bucket_regional_domain_name".into(), Value::string(format!("{name}.s3.{region}.amazonaws.com"))),
        ("hosted_zone_id".into(), Value::string(hosted_zone_id(&region))),
        ("region".into(), Value::string(region.as_str())),
        ("force_destroy".into(), Value::bool(attr(known, "force_destroy").as_bool().unwrap_or(false))),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
