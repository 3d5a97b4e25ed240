//! `aws_s3_object`: one object from `content`, `content_base64` or a `source` file; `id` is
//! the key, imported as `bucket/key`. The plan knows the MD5 of the content, S3's ETag of a
//! single-part upload: new content, or an object changed outside slipway, shows as an `etag`
//! change and is uploaded again in place.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use base64::Engine;
use md5::{Digest, Md5};
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{Clients, aws_error, configured_str, is_not_found, required_str};
use crate::kit::{kept_str, overlapped};
use crate::resource::Resource;

pub struct AwsS3Object;

/// What an upload is made of: a change to any of these is a new upload. (New content is a new
/// `etag`; content that only appears in state, after an import, is not.)
const UPLOAD: [&str; 4] = ["etag", "content_type", "server_side_encryption", "kms_key_id"];

#[async_trait]
impl Resource for AwsS3Object {
    fn type_name(&self) -> &'static str {
        "aws_s3_object"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("bucket", AttributeSchema::required(Type::String).force_new())
            .attribute("key", AttributeSchema::required(Type::String).force_new())
            .attribute("content", AttributeSchema::optional(Type::String))
            .attribute("content_base64", AttributeSchema::optional(Type::String))
            .attribute("source", AttributeSchema::optional(Type::String))
            .attribute("content_type", AttributeSchema::optional_computed(Type::String))
            .attribute("etag", AttributeSchema::optional_computed(Type::String))
            .attribute("server_side_encryption", AttributeSchema::optional_computed(Type::String))
            .attribute("kms_key_id", AttributeSchema::optional_computed(Type::String))
            .attribute("version_id", AttributeSchema::computed(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        if attr(&request.config, "etag").is_null() {
            let etag = match inline_body(&request.config) {
                Ok(Some(bytes)) => Value::string(md5_hex(&bytes)),
                // A `source` file is read on apply, not while planning (as terraform-provider-aws,
                // which detects a changed file only through `etag = filemd5(...)`): the same
                // path keeps its etag.
                _ => match &request.prior {
                    Some(prior)
                        if !fresh
                            && slipway_core::provider_kit::same(
                                &attr(prior, "source"),
                                &attr(&request.config, "source"),
                            ) =>
                    {
                        attr(prior, "etag")
                    }
                    _ => Value::unknown(Type::String),
                },
            };
            planned.insert("etag".into(), etag);
        }
        if let Some(prior) = &request.prior {
            let changed = UPLOAD.iter().any(|n| {
                !slipway_core::provider_kit::same(&attr(prior, n), planned.get(*n).unwrap_or(&Value::null(Type::Any)))
            });
            if changed {
                planned.insert("version_id".into(), Value::unknown(Type::String));
                // Left out, the encryption of a new upload is the bucket's default at that time.
                for name in ["server_side_encryption", "kms_key_id"] {
                    if attr(&request.config, name).is_null() {
                        planned.insert(name.into(), Value::unknown(Type::String));
                    }
                }
            }
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        // Putting is idempotent: a run that stopped before saving state puts the same again.
        let (bucket, key) = (required_str(planned, "bucket")?, required_str(planned, "key")?);
        let bytes = body(planned).await?;
        c.s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(ByteStream::from(bytes))
            .set_content_type(configured_str(planned, "content_type"))
            .set_server_side_encryption(
                configured_str(planned, "server_side_encryption").map(|s| ServerSideEncryption::from(s.as_str())),
            )
            .set_ssekms_key_id(configured_str(planned, "kms_key_id"))
            .send()
            .await
            .map_err(|e| aws_error("PutObject", &format!("s3://{bucket}/{key}"), &e))?;
        let found = crate::kit::eventually(|| head(c, &bucket, &key, planned)).await?;
        found.ok_or_else(|| {
            Diagnostic::error("S3 object vanished", format!("s3://{bucket}/{key} was not found after it was put."))
        })
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let upload = UPLOAD.iter().any(|n| !slipway_core::provider_kit::same(&attr(prior, n), &attr(planned, n)));
        if upload {
            return self.create(c, planned, "").await;
        }
        // Only what S3 does not keep changed (the content as written, after an import).
        let (bucket, key) = (required_str(planned, "bucket")?, required_str(planned, "key")?);
        head(c, &bucket, &key, planned)
            .await?
            .ok_or_else(|| Diagnostic::error("S3 object vanished", format!("s3://{bucket}/{key} was not found.")))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let (bucket, key) = (required_str(prior, "bucket")?, required_str(prior, "key")?);
        match c.s3.delete_object().bucket(&bucket).key(&key).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteObject", &format!("s3://{bucket}/{key}"), &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // One HeadObject per object, overlapped.
        overlapped(priors.to_vec(), |p| async move {
            let (bucket, key) = (required_str(&p, "bucket")?, required_str(&p, "key")?);
            head(c, &bucket, &key, &p).await
        })
        .await
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let path = id.strip_prefix("s3://").unwrap_or(id);
        let Some((bucket, key)) = path.split_once('/') else {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("{id:?}: an aws_s3_object is imported as BUCKET/KEY (or s3://BUCKET/KEY)."),
            ));
        };
        head(c, bucket, key, &Value::null(Type::Any)).await
    }
}

/// The bytes of `content` or `content_base64`; `None` when neither is set (or one is unknown).
fn inline_body(value: &Value) -> Result<Option<Vec<u8>>, Diagnostic> {
    if let Some(text) = attr(value, "content").as_str() {
        return Ok(Some(text.as_bytes().to_vec()));
    }
    if let Some(encoded) = attr(value, "content_base64").as_str() {
        let bytes = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).map_err(|e| {
            Diagnostic::error("Invalid content_base64", format!("content_base64 is not valid base64: {e}."))
        })?;
        return Ok(Some(bytes));
    }
    Ok(None)
}

/// The bytes to upload, from whichever of `content`, `content_base64` and `source` is set.
async fn body(value: &Value) -> Result<Vec<u8>, Diagnostic> {
    if let Some(bytes) = inline_body(value)? {
        return Ok(bytes);
    }
    match attr(value, "source").as_str() {
        Some(path) => {
            tokio::fs::read(path).await.map_err(|e| Diagnostic::error("Cannot read source", format!("{path}: {e}.")))
        }
        None => Ok(Vec::new()),
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

async fn head(c: &Clients, bucket: &str, key: &str, known: &Value) -> Result<Option<Value>, Diagnostic> {
    match c.s3.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(Some(object_value(bucket, key, &out, known))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error("HeadObject", &format!("s3://{bucket}/{key}"), &e)),
    }
}

fn object_value(bucket: &str, key: &str, out: &HeadObjectOutput, known: &Value) -> Value {
    let or_known = |actual: Option<&str>, name: &str| match actual {
        Some(a) if !a.is_empty() => Value::string(a),
        _ => kept_str(known, name),
    };
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(key)),
        ("bucket".into(), Value::string(bucket)),
        ("key".into(), Value::string(key)),
        // What was uploaded is the configuration's: S3 returns only its digest, the ETag.
        ("content".into(), kept_str(known, "content")),
        ("content_base64".into(), kept_str(known, "content_base64")),
        ("source".into(), kept_str(known, "source")),
        ("content_type".into(), or_known(out.content_type(), "content_type")),
        ("etag".into(), Value::string(out.e_tag().unwrap_or_default().trim_matches('"'))),
        (
            "server_side_encryption".into(),
            or_known(out.server_side_encryption().map(|s| s.as_str()), "server_side_encryption"),
        ),
        ("kms_key_id".into(), or_known(out.ssekms_key_id(), "kms_key_id")),
        // Without versioning S3 reports no version (S3 calls it "null").
        ("version_id".into(), Value::string(out.version_id().unwrap_or("null"))),
    ]))
}
