//! `aws_iam_role_policy_attachment`: one managed policy attached to a role. `id` is
//! `role/policy_arn`, the form terraform-provider-aws imports it by.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::EntityType;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::iam_kit::auth_details;
use crate::kit::{Clients, aws_error, is_not_found, required_str};
use crate::resource::{Resource, ids};

pub struct AwsIamRolePolicyAttachment;

#[async_trait]
impl Resource for AwsIamRolePolicyAttachment {
    fn type_name(&self) -> &'static str {
        "aws_iam_role_policy_attachment"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("role", AttributeSchema::required(Type::String).force_new())
            .attribute("policy_arn", AttributeSchema::required(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String))
    }

    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        // Attaching what is attached already succeeds: a repeated run is harmless.
        let (role, arn) = (required_str(planned, "role")?, required_str(planned, "policy_arn")?);
        c.iam
            .attach_role_policy()
            .role_name(&role)
            .policy_arn(&arn)
            .send()
            .await
            .map_err(|e| aws_error("AttachRolePolicy", &format!("{role}/{arn}"), &e))?;
        Ok(attachment_value(&role, &arn))
    }

    async fn update(&self, _c: &Clients, prior: &Value, _planned: &Value) -> Result<Value, Diagnostic> {
        // Every attribute forces a new attachment: nothing changes in place.
        Ok(prior.clone())
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let (role, arn) = (required_str(prior, "role")?, required_str(prior, "policy_arn")?);
        match c.iam.detach_role_policy().role_name(&role).policy_arn(&arn).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DetachRolePolicy", &format!("{role}/{arn}"), &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // Every role's attached policies in one paginated call.
        let details = auth_details(c, EntityType::Role).await?;
        Ok(ids(priors)
            .iter()
            .map(|id| {
                let (role, arn) = id.split_once('/')?;
                let detail = details.roles.get(role)?;
                let attached = detail.attached_managed_policies().iter().any(|p| p.policy_arn() == Some(arn));
                attached.then(|| attachment_value(role, arn))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let Some((role, arn)) = id.split_once('/') else {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("{id:?}: an aws_iam_role_policy_attachment is imported as ROLE/POLICY_ARN."),
            ));
        };
        let mut pages = c.iam.list_attached_role_policies().role_name(role).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(e) if is_not_found(&e) => return Ok(None),
                Err(e) => return Err(aws_error("ListAttachedRolePolicies", role, &e)),
            };
            if page.attached_policies().iter().any(|p| p.policy_arn() == Some(arn)) {
                return Ok(Some(attachment_value(role, arn)));
            }
        }
        Ok(None)
    }
}

fn attachment_value(role: &str, arn: &str) -> Value {
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(format!("{role}/{arn}"))),
        ("role".into(), Value::string(role)),
        ("policy_arn".into(), Value::string(arn)),
    ]))
}
