//! `aws_key_pair`: a public key imported into EC2 under a name (`id` is the name, as in
//! terraform-provider-aws). Only the tags change in place.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{Filter, KeyPairInfo, ResourceType};
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, account_id, aws_error, eventually, from_tags, is_not_found, name_or_unique, required_str, split_tags,
    tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsKeyPair;

#[async_trait]
impl Resource for AwsKeyPair {
    fn type_name(&self) -> &'static str {
        "aws_key_pair"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("key_name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("key_name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("public_key", AttributeSchema::required(Type::String).force_new())
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["id", "arn", "key_pair_id", "fingerprint", "key_type"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = name_or_unique(planned, "key_name", "key_name_prefix", "slipway-");
        let public_key = required_str(planned, "public_key")?;
        c.ec2
            .import_key_pair()
            .key_name(&name)
            .public_key_material(Blob::new(public_key.into_bytes()))
            .set_tag_specifications(
                tag_specification(ResourceType::KeyPair, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("ImportKeyPair", &name, &e))?;
        describe_one(c, &name, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let name = required_str(prior, "id")?;
        // Tags go by the key pair's ID (`key-...`), not its name.
        let key_pair_id = required_str(prior, "key_pair_id")?;
        update_tags(&c.ec2, &key_pair_id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        describe_one(c, &name, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let name = required_str(prior, "id")?;
        match c.ec2.delete_key_pair().key_name(&name).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteKeyPair", &name, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let names = ids(priors);
        let found = describe(c, &names).await?;
        let account = account_id(c).await?;
        Ok(names.iter().zip(priors).map(|(n, prior)| found.get(n).map(|k| key_value(c, &account, k, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe(c, &[id.to_string()]).await?;
        let account = account_id(c).await?;
        Ok(found.get(id).map(|k| key_value(c, &account, k, &Value::null(Type::Any))))
    }
}

/// Key pairs by name, one DescribeKeyPairs per 200 names (a filter: missing names are absent,
/// where `KeyNames` would fail the whole call).
async fn describe(c: &Clients, names: &[String]) -> Result<BTreeMap<String, KeyPairInfo>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in names.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name("key-name").set_values(Some(chunk.to_vec())).build();
        let found = c
            .ec2
            .describe_key_pairs()
            .filters(filter)
            .include_public_key(true)
            .send()
            .await
            .map_err(|e| aws_error("DescribeKeyPairs", "refreshing key pairs", &e))?;
        for key in found.key_pairs() {
            if let Some(name) = key.key_name() {
                out.insert(name.to_string(), key.clone());
            }
        }
    }
    Ok(out)
}

async fn describe_one(c: &Clients, name: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let account = account_id(c).await?;
    let found = eventually(|| async {
        Ok(describe(c, &[name.to_string()]).await?.get(name).map(|k| key_value(c, &account, k, planned)))
    })
    .await?;
    found.ok_or_else(|| Diagnostic::error("Key pair vanished", format!("{name} was not found after it was changed.")))
}

fn key_value(c: &Clients, account: &str, k: &KeyPairInfo, known: &Value) -> Value {
    let name = k.key_name().unwrap_or_default();
    let key_pair_id = k.key_pair_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_tags(k.tags()));
    // AWS keeps the key without its comment: the key as written stands while AWS has the same key.
    let known_key = attr(known, "public_key");
    let public_key = match (known_key.as_str(), k.public_key()) {
        (Some(written), Some(actual)) if same_key(written, actual) => known_key.clone(),
        (_, Some(actual)) => Value::string(actual.trim()),
        (Some(_), None) => known_key.clone(),
        (None, None) => Value::string(""),
    };
    let prefix = attr(known, "key_name_prefix");
    let prefix = if prefix.as_str().is_some() { prefix } else { Value::null(Type::String) };
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(name)),
        ("key_name".into(), Value::string(name)),
        ("key_name_prefix".into(), prefix),
        ("public_key".into(), public_key),
        ("arn".into(), Value::string(format!("arn:aws:ec2:{}:{account}:key-pair/{name}", c.settings.region()))),
        ("key_pair_id".into(), Value::string(key_pair_id)),
        ("fingerprint".into(), Value::string(k.key_fingerprint().unwrap_or_default())),
        ("key_type".into(), Value::string(k.key_type().map(|t| t.as_str()).unwrap_or_default())),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}

/// Whether two OpenSSH public keys are the same key: type and key data, comments aside.
fn same_key(a: &str, b: &str) -> bool {
    let parts = |s: &str| s.split_whitespace().take(2).map(str::to_string).collect::<Vec<_>>();
    parts(a) == parts(b)
}
