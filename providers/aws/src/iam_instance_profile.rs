//! `aws_iam_instance_profile`: the container that lets an EC2 instance take a role; `id` is the
//! name. At most one role; changing it swaps the role in place.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_iam::types::InstanceProfile;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::iam_kit::{from_iam_tags, iam_tags, owned_by, to_iam_tags};
use crate::kit::{Clients, aws_error, configured_str, is_not_found, name_or_unique, required_str, split_tags};
use crate::kit::{date, kept_str, overlapped, tag_changes};
use crate::resource::{Resource, ids};

pub struct AwsIamInstanceProfile;

#[async_trait]
impl Resource for AwsIamInstanceProfile {
    fn type_name(&self) -> &'static str {
        "aws_iam_instance_profile"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("path", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("role", AttributeSchema::optional(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in ["id", "arn", "unique_id", "create_date"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("path", Value::string("/"))])
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = name_or_unique(planned, "name", "name_prefix", "terraform-");
        let created = c
            .iam
            .create_instance_profile()
            .instance_profile_name(&name)
            .path(configured_str(planned, "path").unwrap_or_else(|| "/".into()))
            .set_tags(Some(to_iam_tags(&attr(planned, "tags_all"), owner)))
            .send()
            .await;
        let prior = match created {
            Ok(_) => {
                let mut entries = planned.as_entries().cloned().unwrap_or_default();
                entries.insert("id".into(), Value::string(name.as_str()));
                entries.insert("role".into(), Value::null(Type::String));
                Value::object(entries)
            }
            Err(e) if e.code() == Some("EntityAlreadyExists") => match get(c, &name).await? {
                // A run that stopped before saving state made this profile: carry on with it.
                Some(p) if owned_by(p.tags(), owner) => profile_value(c, &p, planned),
                _ => return Err(aws_error("CreateInstanceProfile", &name, &e)),
            },
            Err(e) => return Err(aws_error("CreateInstanceProfile", &name, &e)),
        };
        self.update(c, &prior, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let name = required_str(prior, "id")?;
        let (old, new) = (configured_str(prior, "role"), configured_str(planned, "role"));
        if old != new {
            if let Some(old) = &old {
                let call = c.iam.remove_role_from_instance_profile().instance_profile_name(&name).role_name(old);
                match call.send().await {
                    Err(e) if !is_not_found(&e) => return Err(aws_error("RemoveRoleFromInstanceProfile", &name, &e)),
                    _ => {}
                }
            }
            if let Some(new) = &new {
                let call = c.iam.add_role_to_instance_profile().instance_profile_name(&name).role_name(new);
                call.send().await.map_err(|e| aws_error("AddRoleToInstanceProfile", &name, &e))?;
            }
        }
        let (set, removed) = tag_changes(&attr(prior, "tags_all"), &attr(planned, "tags_all"));
        if !removed.is_empty() {
            let call = c.iam.untag_instance_profile().instance_profile_name(&name).set_tag_keys(Some(removed));
            call.send().await.map_err(|e| aws_error("UntagInstanceProfile", &name, &e))?;
        }
        if !set.is_empty() {
            let call = c.iam.tag_instance_profile().instance_profile_name(&name).set_tags(Some(iam_tags(set)));
            call.send().await.map_err(|e| aws_error("TagInstanceProfile", &name, &e))?;
        }
        let profile = crate::kit::eventually(|| get(c, &name)).await?.ok_or_else(|| {
            Diagnostic::error("Instance profile vanished", format!("{name} was not found after it was changed."))
        })?;
        Ok(profile_value(c, &profile, planned))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let name = required_str(prior, "id")?;
        // A profile with a role cannot be deleted: let go of every role first, also one added
        // outside slipway.
        let Some(profile) = get(c, &name).await? else { return Ok(()) };
        for role in profile.roles() {
            let call =
                c.iam.remove_role_from_instance_profile().instance_profile_name(&name).role_name(role.role_name());
            match call.send().await {
                Err(e) if !is_not_found(&e) => return Err(aws_error("RemoveRoleFromInstanceProfile", &name, &e)),
                _ => {}
            }
        }
        match c.iam.delete_instance_profile().instance_profile_name(&name).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteInstanceProfile", &name, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        // No batch read that includes tags: one GetInstanceProfile per profile, overlapped.
        let names = ids(priors);
        let found = overlapped(names.clone(), |n| async move { get(c, &n).await }).await?;
        Ok(found.iter().zip(priors).map(|(p, prior)| p.as_ref().map(|p| profile_value(c, p, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        Ok(get(c, id).await?.map(|p| profile_value(c, &p, &Value::null(Type::Any))))
    }
}

async fn get(c: &Clients, name: &str) -> Result<Option<InstanceProfile>, Diagnostic> {
    match c.iam.get_instance_profile().instance_profile_name(name).send().await {
        Ok(out) => Ok(out.instance_profile().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error("GetInstanceProfile", name, &e)),
    }
}

fn profile_value(c: &Clients, p: &InstanceProfile, known: &Value) -> Value {
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_iam_tags(p.tags()));
    let role = p.roles().first().map(|r| Value::string(r.role_name())).unwrap_or_else(|| Value::null(Type::String));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(p.instance_profile_name())),
        ("name".into(), Value::string(p.instance_profile_name())),
        ("name_prefix".into(), kept_str(known, "name_prefix")),
        ("path".into(), Value::string(p.path())),
        ("arn".into(), Value::string(p.arn())),
        ("unique_id".into(), Value::string(p.instance_profile_id())),
        ("create_date".into(), date(Some(p.create_date()))),
        ("role".into(), role),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
