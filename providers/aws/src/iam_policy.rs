//! `aws_iam_policy`: a customer managed policy; `id` is its ARN. A changed document is a new
//! default version (the oldest other version goes first when IAM's five are used up).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::{EntityType, Policy};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::iam_kit::{auth_details, from_iam_tags, iam_tags, owned_by, to_iam_tags};
use crate::kit::{
    Clients, account_id, aws_error, configured_str, is_not_found, name_or_unique, required_str, split_tags,
};
use crate::kit::{kept_str, overlapped, tag_changes};
use crate::policy_json::{equivalent, keep_known, plan_document};
use crate::resource::{Resource, ids};

pub struct AwsIamPolicy;

#[async_trait]
impl Resource for AwsIamPolicy {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("path", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("description", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("policy", AttributeSchema::required(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .attribute("attachment_count", AttributeSchema::computed(Type::Number));
        for name in ["id", "arn", "policy_id"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("path", Value::string("/")), ("description", Value::string(""))])
    }

    fn refine_plan(&self, request: &PlanRequest, _fresh: bool, planned: &mut BTreeMap<String, Value>) {
        plan_document(request.prior.as_ref(), planned, "policy");
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = name_or_unique(planned, "name", "name_prefix", "terraform-");
        let path = configured_str(planned, "path").unwrap_or_else(|| "/".into());
        let description = configured_str(planned, "description").filter(|d| !d.is_empty());
        let created = c
            .iam
            .create_policy()
            .policy_name(&name)
            .path(&path)
            .policy_document(required_str(planned, "policy")?)
            .set_description(description)
            .set_tags(Some(to_iam_tags(&attr(planned, "tags_all"), owner)))
            .send()
            .await;
        let arn = match created {
            Ok(out) => out.policy().and_then(|p| p.arn()).unwrap_or_default().to_string(),
            Err(e) if e.code() == Some("EntityAlreadyExists") => {
                // A run that stopped before saving state made this policy: carry on with it.
                let arn = format!("arn:aws:iam::{}:policy{path}{name}", account_id(c).await?);
                match read(c, &arn, planned).await? {
                    Some((policy, state)) if owned_by(policy.tags(), owner) => {
                        return self.update(c, &state, planned).await;
                    }
                    _ => return Err(aws_error("CreatePolicy", &name, &e)),
                }
            }
            Err(e) => return Err(aws_error("CreatePolicy", &name, &e)),
        };
        read_one(c, &arn, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let arn = required_str(prior, "id")?;
        let wanted = required_str(planned, "policy")?;
        if !attr(prior, "policy").as_str().is_some_and(|p| equivalent(p, &wanted)) {
            make_room_for_a_version(c, &arn).await?;
            c.iam
                .create_policy_version()
                .policy_arn(&arn)
                .policy_document(&wanted)
                .set_as_default(true)
                .send()
                .await
                .map_err(|e| aws_error("CreatePolicyVersion", &arn, &e))?;
        }
        let (set, removed) = tag_changes(&attr(prior, "tags_all"), &attr(planned, "tags_all"));
        if !removed.is_empty() {
            let call = c.iam.untag_policy().policy_arn(&arn).set_tag_keys(Some(removed));
            call.send().await.map_err(|e| aws_error("UntagPolicy", &arn, &e))?;
        }
        if !set.is_empty() {
            let call = c.iam.tag_policy().policy_arn(&arn).set_tags(Some(iam_tags(set)));
            call.send().await.map_err(|e| aws_error("TagPolicy", &arn, &e))?;
        }
        read_one(c, &arn, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let arn = required_str(prior, "id")?;
        // A policy with versions besides the default cannot be deleted.
        for version in versions(c, &arn).await?.into_iter().filter(|(_, default, _)| !default) {
            let call = c.iam.delete_policy_version().policy_arn(&arn).version_id(&version.0);
            match call.send().await {
                Err(e) if !is_not_found(&e) => return Err(aws_error("DeletePolicyVersion", &arn, &e)),
                _ => {}
            }
        }
        match c.iam.delete_policy().policy_arn(&arn).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeletePolicy", &arn, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // Documents of every local policy in one paginated call; GetPolicy for tags and the rest.
        let details = auth_details(c, EntityType::LocalManagedPolicy).await?;
        let arns = ids(priors);
        let policies = overlapped(arns.clone(), |arn| async move { get_policy(c, &arn).await }).await?;
        Ok(policies
            .iter()
            .zip(&arns)
            .zip(priors)
            .map(|((policy, arn), prior)| {
                let policy = policy.as_ref()?;
                let detail = details.policies.get(arn)?;
                let default = detail.policy_version_list().iter().find(|v| v.is_default_version())?;
                Some(policy_value(c, policy, default.document().unwrap_or_default(), prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        Ok(read(c, id, &Value::null(Type::Any)).await?.map(|(_, v)| v))
    }
}

/// IAM keeps five versions of a policy: the oldest one that is not the default goes, so that
/// a new version fits.
async fn make_room_for_a_version(c: &Clients, arn: &str) -> Result<(), Diagnostic> {
    let mut others: Vec<(String, bool, String)> = versions(c, arn).await?;
    if others.len() < 5 {
        return Ok(());
    }
    others.retain(|(_, default, _)| !default);
    others.sort_by(|a, b| a.2.cmp(&b.2));
    if let Some((oldest, _, _)) = others.first() {
        c.iam
            .delete_policy_version()
            .policy_arn(arn)
            .version_id(oldest)
            .send()
            .await
            .map_err(|e| aws_error("DeletePolicyVersion", arn, &e))?;
    }
    Ok(())
}

/// The versions of a policy: (version ID, is default, creation date as RFC 3339).
async fn versions(c: &Clients, arn: &str) -> Result<Vec<(String, bool, String)>, Diagnostic> {
    match c.iam.list_policy_versions().policy_arn(arn).send().await {
        Ok(out) => Ok(out
            .versions()
            .iter()
            .map(|v| {
                let created = crate::kit::date(v.create_date()).as_str().unwrap_or_default().to_string();
                (v.version_id().unwrap_or_default().to_string(), v.is_default_version(), created)
            })
            .collect()),
        Err(e) if is_not_found(&e) => Ok(Vec::new()),
        Err(e) => Err(aws_error("ListPolicyVersions", arn, &e)),
    }
}

async fn get_policy(c: &Clients, arn: &str) -> Result<Option<Policy>, Diagnostic> {
    match c.iam.get_policy().policy_arn(arn).send().await {
        Ok(out) => Ok(out.policy().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error("GetPolicy", arn, &e)),
    }
}

/// One policy and its default document (GetPolicy, GetPolicyVersion), as state.
async fn read(c: &Clients, arn: &str, known: &Value) -> Result<Option<(Policy, Value)>, Diagnostic> {
    let Some(policy) = get_policy(c, arn).await? else { return Ok(None) };
    let version = policy.default_version_id().unwrap_or("v1");
    let document = match c.iam.get_policy_version().policy_arn(arn).version_id(version).send().await {
        Ok(out) => out.policy_version().and_then(|v| v.document()).unwrap_or_default().to_string(),
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(aws_error("GetPolicyVersion", arn, &e)),
    };
    let value = policy_value(c, &policy, &document, known);
    Ok(Some((policy, value)))
}

async fn read_one(c: &Clients, arn: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async { Ok(read(c, arn, planned).await?.map(|(_, v)| v)) }).await?;
    found.ok_or_else(|| {
        Diagnostic::error("IAM policy vanished", format!("{arn} was not found after it was created or changed."))
    })
}

fn policy_value(c: &Clients, p: &Policy, document: &str, known: &Value) -> Value {
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_iam_tags(p.tags()));
    let known_policy = attr(known, "policy");
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(p.arn().unwrap_or_default())),
        ("arn".into(), Value::string(p.arn().unwrap_or_default())),
        ("name".into(), Value::string(p.policy_name().unwrap_or_default())),
        ("name_prefix".into(), kept_str(known, "name_prefix")),
        ("path".into(), Value::string(p.path().unwrap_or("/"))),
        ("description".into(), Value::string(p.description().unwrap_or_default())),
        ("policy_id".into(), Value::string(p.policy_id().unwrap_or_default())),
        ("policy".into(), Value::string(keep_known(known_policy.as_str(), document))),
        ("attachment_count".into(), Value::int(i64::from(p.attachment_count().unwrap_or(0)))),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
