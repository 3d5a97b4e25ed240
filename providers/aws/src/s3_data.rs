//! The `aws_s3_object` data source: one object's metadata, and its body when it is text (as
//! terraform-provider-aws gives `body` only for text content types).

use std::collections::BTreeMap;

use async_trait::async_trait;
use slipway_core::provider_kit::string_attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::data::DataSource;
use crate::kit::date;
use crate::kit::{Clients, aws_error};

pub struct ObjectData;

#[async_trait]
impl DataSource for ObjectData {
    fn type_name(&self) -> &'static str {
        "aws_s3_object"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("bucket", AttributeSchema::required(Type::String))
            .attribute("key", AttributeSchema::required(Type::String))
            .attribute("version_id", AttributeSchema::optional_computed(Type::String))
            .attribute("content_length", AttributeSchema::computed(Type::Number))
            .attribute("metadata", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["id", "body", "content_type", "etag", "last_modified", "server_side_encryption", "sse_kms_key_id"]
        {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let bucket = string_attr(config, "bucket")?.unwrap_or_default();
        let key = string_attr(config, "key")?.unwrap_or_default();
        let out =
            c.s3.get_object()
                .bucket(&bucket)
                .key(&key)
                .set_version_id(string_attr(config, "version_id")?)
                .send()
                .await
                .map_err(|e| aws_error("GetObject", &format!("s3://{bucket}/{key}"), &e))?;
        let content_type = out.content_type().unwrap_or_default().to_string();
        let (etag, version, length) = (
            out.e_tag().unwrap_or_default().trim_matches('"').to_string(),
            out.version_id().unwrap_or("null").to_string(),
            out.content_length().unwrap_or(0),
        );
        let sse = out.server_side_encryption().map(|s| s.as_str().to_string()).unwrap_or_default();
        let kms = out.ssekms_key_id().unwrap_or_default().to_string();
        let modified = date(out.last_modified());
        let metadata: BTreeMap<String, Value> = out
            .metadata()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), Value::string(v.as_str()))).collect())
            .unwrap_or_default();
        let bytes = out.body.collect().await.map_err(|e| {
            Diagnostic::error("GetObject failed", format!("s3://{bucket}/{key}: reading the body: {e}."))
        })?;
        let text = is_text(&content_type).then(|| String::from_utf8(bytes.into_bytes().to_vec()).ok()).flatten();
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(format!("{bucket}/{key}"))),
            ("bucket".into(), Value::string(bucket)),
            ("key".into(), Value::string(key)),
            ("version_id".into(), Value::string(version)),
            ("body".into(), text.map(Value::string).unwrap_or_else(|| Value::null(Type::String))),
            ("content_type".into(), Value::string(content_type)),
            ("content_length".into(), Value::int(length)),
            ("etag".into(), Value::string(etag)),
            ("last_modified".into(), modified),
            ("server_side_encryption".into(), Value::string(sse)),
            ("sse_kms_key_id".into(), Value::string(kms)),
            ("metadata".into(), Value::map(Type::String, metadata)),
        ])))
    }
}

/// Content types whose body terraform-provider-aws returns as a string.
fn is_text(content_type: &str) -> bool {
    let base = content_type.split(';').next().unwrap_or_default().trim();
    base.starts_with("text/")
        || matches!(
            base,
            "application/json"
                | "application/ld+json"
                | "application/x-sh"
                | "application/xml"
                | "application/yaml"
                | "application/x-yaml"
        )
}
