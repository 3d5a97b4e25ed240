//! `aws_iam_role_policy`: one inline policy of a role; `id` is `role:name`, as
//! terraform-provider-aws has it. PutRolePolicy creates and changes it alike.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::EntityType;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::iam_kit::auth_details;
use crate::kit::kept_str;
use crate::kit::{Clients, aws_error, is_not_found, name_or_unique, required_str};
use crate::policy_json::{keep_known, plan_document};
use crate::resource::{Resource, ids};

pub struct AwsIamRolePolicy;

#[async_trait]
impl Resource for AwsIamRolePolicy {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("role", AttributeSchema::required(Type::String).force_new())
            .attribute("policy", AttributeSchema::required(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
    }

    fn refine_plan(&self, request: &PlanRequest, _fresh: bool, planned: &mut BTreeMap<String, Value>) {
        plan_document(request.prior.as_ref(), planned, "policy");
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        // Putting is idempotent: a run that stopped before saving state puts the same again.
        let role = required_str(planned, "role")?;
        let name = name_or_unique(planned, "name", "name_prefix", "terraform-");
        put(c, &role, &name, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let (role, name) = (required_str(prior, "role")?, required_str(prior, "name")?);
        put(c, &role, &name, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let (role, name) = (required_str(prior, "role")?, required_str(prior, "name")?);
        match c.iam.delete_role_policy().role_name(&role).policy_name(&name).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteRolePolicy", &format!("{role}:{name}"), &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // Every role's inline policies in one paginated call.
        let details = auth_details(c, EntityType::Role).await?;
        Ok(ids(priors)
            .iter()
            .zip(priors)
            .map(|(id, prior)| {
                let (role, name) = id.split_once(':')?;
                let detail = details.roles.get(role)?;
                let doc = detail.role_policy_list().iter().find(|p| p.policy_name() == Some(name))?;
                Some(policy_value(role, name, doc.policy_document().unwrap_or_default(), prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let Some((role, name)) = id.split_once(':') else {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("{id:?}: an aws_iam_role_policy is imported as ROLE:POLICY_NAME."),
            ));
        };
        get(c, role, name, &Value::null(Type::Any)).await
    }
}

async fn put(c: &Clients, role: &str, name: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let policy = required_str(planned, "policy")?;
    c.iam
        .put_role_policy()
        .role_name(role)
        .policy_name(name)
        .policy_document(&policy)
        .send()
        .await
        .map_err(|e| aws_error("PutRolePolicy", &format!("{role}:{name}"), &e))?;
    let found = crate::kit::eventually(|| get(c, role, name, planned)).await?;
    found.ok_or_else(|| {
        Diagnostic::error("IAM role policy vanished", format!("{role}:{name} was not found after it was put."))
    })
}

async fn get(c: &Clients, role: &str, name: &str, known: &Value) -> Result<Option<Value>, Diagnostic> {
    match c.iam.get_role_policy().role_name(role).policy_name(name).send().await {
        Ok(out) => Ok(Some(policy_value(role, name, out.policy_document(), known))),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error("GetRolePolicy", &format!("{role}:{name}"), &e)),
    }
}

fn policy_value(role: &str, name: &str, document: &str, known: &Value) -> Value {
    let known_policy = attr(known, "policy");
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(format!("{role}:{name}"))),
        ("role".into(), Value::string(role)),
        ("name".into(), Value::string(name)),
        ("name_prefix".into(), kept_str(known, "name_prefix")),
        ("policy".into(), Value::string(keep_known(known_policy.as_str(), document))),
    ]))
}
