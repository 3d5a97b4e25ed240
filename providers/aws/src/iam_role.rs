//! `aws_iam_role`: a role with its trust policy, inline policies (`inline_policy` blocks) and
//! attached managed policies (`managed_policy_arns`); `id` is the name. Left out of the
//! configuration, inline and managed policies are AWS's to keep (optional+computed, as in
//! terraform-provider-aws), so that `aws_iam_role_policy` and attachments can manage them.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_iam::types::{EntityType, Role, RoleDetail};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::{attr, int_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::iam_kit::{auth_details, from_iam_tags, iam_tags, owned_by, to_iam_tags};
use crate::kit::{Clients, aws_error, configured_str, is_not_found, name_or_unique, required_str, split_tags};
use crate::kit::{date, kept_str, overlapped, tag_changes};
use crate::policy_json::{equivalent, keep_known, plan_document};
use crate::resource::{Resource, ids};

pub struct AwsIamRole;

fn inline_policy_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("name", AttributeSchema::optional(Type::String))
        .attribute("policy", AttributeSchema::optional(Type::String))
}

#[async_trait]
impl Resource for AwsIamRole {
    fn type_name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("path", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("description", AttributeSchema::optional(Type::String))
            .attribute("assume_role_policy", AttributeSchema::required(Type::String))
            .attribute("max_session_duration", AttributeSchema::optional_computed(Type::Number))
            .attribute("force_detach_policies", AttributeSchema::optional_computed(Type::Bool))
            .attribute("permissions_boundary", AttributeSchema::optional(Type::String))
            .attribute("managed_policy_arns", AttributeSchema::optional_computed(Type::set(Type::String)))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .block("inline_policy", Nesting::Set, inline_policy_block());
        for name in ["id", "arn", "unique_id", "create_date"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("path", Value::string("/")),
            ("max_session_duration", Value::int(3600)),
            ("force_detach_policies", Value::bool(false)),
        ])
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        plan_document(request.prior.as_ref(), planned, "assume_role_policy");
        let config = attr(&request.config, "inline_policy");
        let declared = !config.is_known() || config.as_elements().is_some_and(|e| !e.is_empty());
        let prior = request.prior.as_ref().map(|p| attr(p, "inline_policy"));
        let value = if declared {
            plan_inline(&config, prior.as_ref())
        } else if let (false, Some(prior)) = (fresh, prior) {
            prior // not in the configuration: what AWS has stays
        } else {
            Value::set(inline_policy_block().value_type(), Vec::new())
        };
        planned.insert("inline_policy".into(), value);
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let name = name_or_unique(planned, "name", "name_prefix", "terraform-");
        let created = c
            .iam
            .create_role()
            .role_name(&name)
            .path(configured_str(planned, "path").unwrap_or_else(|| "/".into()))
            .assume_role_policy_document(required_str(planned, "assume_role_policy")?)
            .set_description(configured_str(planned, "description"))
            .set_max_session_duration(session_duration(planned)?)
            .set_permissions_boundary(configured_str(planned, "permissions_boundary"))
            .set_tags(Some(to_iam_tags(&attr(planned, "tags_all"), owner)))
            .send()
            .await;
        let prior = match created {
            Ok(_) => None,
            Err(e) if e.code() == Some("EntityAlreadyExists") => match get_role(c, &name).await? {
                // A run that stopped before saving state made this role: carry on with it.
                Some(role) if owned_by(role.tags(), owner) => {
                    let attached = Attached::fetch(c, &name).await?;
                    Some(role_value(c, &role, &attached, planned))
                }
                _ => return Err(aws_error("CreateRole", &name, &e)),
            },
            Err(e) => return Err(aws_error("CreateRole", &name, &e)),
        };
        let prior = prior.unwrap_or_else(|| created_state(&name, planned));
        self.update(c, &prior, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let name = required_str(prior, "id")?;
        let wanted = required_str(planned, "assume_role_policy")?;
        if !attr(prior, "assume_role_policy").as_str().is_some_and(|p| equivalent(p, &wanted)) {
            c.iam
                .update_assume_role_policy()
                .role_name(&name)
                .policy_document(&wanted)
                .send()
                .await
                .map_err(|e| aws_error("UpdateAssumeRolePolicy", &name, &e))?;
        }
        let description = configured_str(planned, "description");
        let duration = session_duration(planned)?;
        if configured_str(prior, "description") != description || session_duration(prior)? != duration {
            c.iam
                .update_role()
                .role_name(&name)
                .description(description.unwrap_or_default())
                .set_max_session_duration(duration)
                .send()
                .await
                .map_err(|e| aws_error("UpdateRole", &name, &e))?;
        }
        let boundary = configured_str(planned, "permissions_boundary");
        if configured_str(prior, "permissions_boundary") != boundary {
            match boundary {
                Some(arn) => c
                    .iam
                    .put_role_permissions_boundary()
                    .role_name(&name)
                    .permissions_boundary(arn)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error("PutRolePermissionsBoundary", &name, &e))?,
                None => c
                    .iam
                    .delete_role_permissions_boundary()
                    .role_name(&name)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| aws_error("DeleteRolePermissionsBoundary", &name, &e))?,
            }
        }
        let inline = attr(planned, "inline_policy");
        if inline.is_wholly_known() {
            converge_inline(c, &name, &inline_map(&attr(prior, "inline_policy")), &inline_map(&inline)).await?;
        }
        let managed = attr(planned, "managed_policy_arns");
        if managed.is_wholly_known() {
            converge_managed(c, &name, &strings(&attr(prior, "managed_policy_arns")), &strings(&managed)).await?;
        }
        update_tags(c, &name, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        read_one(c, &name, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let name = required_str(prior, "id")?;
        // A role in an instance profile cannot be deleted; the profile is not the role's to delete.
        let profiles = match c.iam.list_instance_profiles_for_role().role_name(&name).send().await {
            Ok(out) => out.instance_profiles().to_vec(),
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(aws_error("ListInstanceProfilesForRole", &name, &e)),
        };
        for profile in profiles {
            let call = c
                .iam
                .remove_role_from_instance_profile()
                .role_name(&name)
                .instance_profile_name(profile.instance_profile_name());
            match call.send().await {
                Err(e) if !is_not_found(&e) => return Err(aws_error("RemoveRoleFromInstanceProfile", &name, &e)),
                _ => {}
            }
        }
        // The policies this resource manages go with it; with force_detach_policies, all others too.
        let mut attached = Attached {
            inline: inline_map(&attr(prior, "inline_policy")),
            managed: strings(&attr(prior, "managed_policy_arns")),
        };
        if attr(prior, "force_detach_policies").as_bool() == Some(true) {
            attached = Attached::fetch(c, &name).await?;
        }
        converge_inline(c, &name, &attached.inline, &BTreeMap::new()).await?;
        converge_managed(c, &name, &attached.managed, &BTreeSet::new()).await?;
        match c.iam.delete_role().role_name(&name).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteRole", &name, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let names = ids(priors);
        // Inline and attached policies of every role in one paginated call; GetRole for the rest
        // (the batch leaves out the description and session duration).
        let details = auth_details(c, EntityType::Role).await?;
        let roles = overlapped(names.clone(), |n| async move { get_role(c, &n).await }).await?;
        Ok(roles
            .iter()
            .zip(&names)
            .zip(priors)
            .map(|((role, name), prior)| {
                let role = role.as_ref()?;
                let attached = details.roles.get(name).map(Attached::from_detail).unwrap_or_default();
                Some(role_value(c, role, &attached, prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let Some(role) = get_role(c, id).await? else { return Ok(None) };
        let attached = Attached::fetch(c, id).await?;
        Ok(Some(role_value(c, &role, &attached, &Value::null(Type::Any))))
    }
}

/// The role's inline policies (name -> document) and attached managed policy ARNs.
#[derive(Default)]
pub struct Attached {
    pub inline: BTreeMap<String, String>,
    pub managed: BTreeSet<String>,
}

impl Attached {
    pub fn from_detail(d: &RoleDetail) -> Attached {
        Attached {
            inline: d
                .role_policy_list()
                .iter()
                .filter_map(|p| Some((p.policy_name()?.to_string(), p.policy_document().unwrap_or_default().into())))
                .collect(),
            managed: d.attached_managed_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)).collect(),
        }
    }

    /// One role's policies, by listing them: for a single role, cheaper than the batch call.
    pub async fn fetch(c: &Clients, name: &str) -> Result<Attached, Diagnostic> {
        let mut out = Attached::default();
        let mut pages = c.iam.list_role_policies().role_name(name).into_paginator().send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => names.extend(page.policy_names().iter().cloned()),
                Err(e) if is_not_found(&e) => return Ok(out),
                Err(e) => return Err(aws_error("ListRolePolicies", name, &e)),
            }
        }
        let role = name.to_string();
        let docs = overlapped(names, |p| {
            let role = role.clone();
            async move {
                let got = c.iam.get_role_policy().role_name(&role).policy_name(&p).send().await;
                got.map(|g| (p.clone(), g.policy_document().to_string()))
                    .map_err(|e| aws_error("GetRolePolicy", &p, &e))
            }
        })
        .await?;
        out.inline = docs.into_iter().collect();
        let mut pages = c.iam.list_attached_role_policies().role_name(name).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("ListAttachedRolePolicies", name, &e))?;
            out.managed.extend(page.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_string)));
        }
        Ok(out)
    }
}

fn session_duration(value: &Value) -> Result<Option<i32>, Diagnostic> {
    Ok(int_attr(value, "max_session_duration")?.and_then(|d| i32::try_from(d).ok()))
}

fn strings(value: &Value) -> BTreeSet<String> {
    value.as_elements().unwrap_or_default().iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

fn inline_map(blocks: &Value) -> BTreeMap<String, String> {
    blocks
        .as_elements()
        .unwrap_or_default()
        .iter()
        .filter_map(|b| {
            let name = attr(b, "name").as_str()?.to_string();
            let policy = attr(b, "policy").as_str().unwrap_or_default().to_string();
            Some((name, policy))
        })
        .filter(|(name, _)| !name.is_empty())
        .collect()
}

/// The configured `inline_policy` blocks, each keeping the prior text of a policy that means
/// the same, so that a reformatted document is no change.
fn plan_inline(config: &Value, prior: Option<&Value>) -> Value {
    let Some(blocks) = config.as_elements() else { return config.clone() };
    let prior = prior.map(inline_map).unwrap_or_default();
    let items = blocks
        .iter()
        .map(|b| {
            let name = attr(b, "name");
            let mut policy = attr(b, "policy");
            if let (Some(n), Some(p)) = (name.as_str(), policy.as_str())
                && let Some(old) = prior.get(n)
                && equivalent(old, p)
            {
                policy = Value::string(old.as_str());
            }
            inline_value(name, policy)
        })
        .collect();
    Value::set(inline_policy_block().value_type(), items)
}

fn inline_value(name: Value, policy: Value) -> Value {
    let null_str = |v: Value| if v.is_null() { Value::null(Type::String) } else { v };
    Value::object(BTreeMap::from([("name".into(), null_str(name)), ("policy".into(), null_str(policy))]))
}

/// Deletes the inline policies not wanted and puts those new or changed in meaning.
async fn converge_inline(
    c: &Clients,
    role: &str,
    actual: &BTreeMap<String, String>,
    wanted: &BTreeMap<String, String>,
) -> Result<(), Diagnostic> {
    for name in actual.keys().filter(|n| !wanted.contains_key(*n)) {
        match c.iam.delete_role_policy().role_name(role).policy_name(name).send().await {
            Err(e) if !is_not_found(&e) => return Err(aws_error("DeleteRolePolicy", &format!("{role}:{name}"), &e)),
            _ => {}
        }
    }
    for (name, policy) in wanted {
        if actual.get(name).is_some_and(|old| equivalent(old, policy)) {
            continue;
        }
        c.iam
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(policy)
            .send()
            .await
            .map_err(|e| aws_error("PutRolePolicy", &format!("{role}:{name}"), &e))?;
    }
    Ok(())
}

async fn converge_managed(
    c: &Clients,
    role: &str,
    actual: &BTreeSet<String>,
    wanted: &BTreeSet<String>,
) -> Result<(), Diagnostic> {
    for arn in actual.difference(wanted) {
        match c.iam.detach_role_policy().role_name(role).policy_arn(arn).send().await {
            Err(e) if !is_not_found(&e) => return Err(aws_error("DetachRolePolicy", &format!("{role}/{arn}"), &e)),
            _ => {}
        }
    }
    for arn in wanted.difference(actual) {
        c.iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| aws_error("AttachRolePolicy", &format!("{role}/{arn}"), &e))?;
    }
    Ok(())
}

async fn update_tags(c: &Clients, name: &str, before: &Value, after: &Value) -> Result<(), Diagnostic> {
    let (set, removed) = tag_changes(before, after);
    if !removed.is_empty() {
        let call = c.iam.untag_role().role_name(name).set_tag_keys(Some(removed));
        call.send().await.map_err(|e| aws_error("UntagRole", name, &e))?;
    }
    if !set.is_empty() {
        let call = c.iam.tag_role().role_name(name).set_tags(Some(iam_tags(set)));
        call.send().await.map_err(|e| aws_error("TagRole", name, &e))?;
    }
    Ok(())
}

/// The role, or `None` when there is no role of that name.
pub async fn get_role(c: &Clients, name: &str) -> Result<Option<Role>, Diagnostic> {
    match c.iam.get_role().role_name(name).send().await {
        Ok(out) => Ok(out.role().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(aws_error("GetRole", name, &e)),
    }
}

/// What a role just created holds, so that `update` adds only the policies and changes nothing
/// CreateRole already set.
fn created_state(name: &str, planned: &Value) -> Value {
    let mut entries = planned.as_entries().cloned().unwrap_or_default();
    entries.insert("id".into(), Value::string(name));
    entries.insert("inline_policy".into(), Value::set(inline_policy_block().value_type(), Vec::new()));
    entries.insert("managed_policy_arns".into(), Value::set(Type::String, Vec::new()));
    Value::object(entries)
}

async fn read_one(c: &Clients, name: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let role = crate::kit::eventually(|| get_role(c, name)).await?.ok_or_else(|| {
        Diagnostic::error("IAM role vanished", format!("{name} was not found after it was created or changed."))
    })?;
    let attached = Attached::fetch(c, name).await?;
    Ok(role_value(c, &role, &attached, planned))
}

/// The state of a role. `known` (prior state, or the plan after a change) lends what AWS does
/// not report (`name_prefix`, `force_detach_policies`) and the text of documents that mean the
/// same as AWS's.
pub fn role_value(c: &Clients, role: &Role, attached: &Attached, known: &Value) -> Value {
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_iam_tags(role.tags()));
    let known_inline = inline_map(&attr(known, "inline_policy"));
    let inline = attached
        .inline
        .iter()
        .map(|(name, doc)| {
            let policy = keep_known(known_inline.get(name).map(String::as_str), doc);
            inline_value(Value::string(name.as_str()), Value::string(policy))
        })
        .collect();
    let known_assume = attr(known, "assume_role_policy");
    let assume = keep_known(known_assume.as_str(), role.assume_role_policy_document().unwrap_or_default());
    let description = role.description().filter(|d| !d.is_empty());
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(role.role_name())),
        ("name".into(), Value::string(role.role_name())),
        ("name_prefix".into(), kept_str(known, "name_prefix")),
        ("arn".into(), Value::string(role.arn())),
        ("unique_id".into(), Value::string(role.role_id())),
        ("create_date".into(), date(Some(role.create_date()))),
        ("path".into(), Value::string(role.path())),
        ("description".into(), description.map(Value::string).unwrap_or_else(|| Value::null(Type::String))),
        ("assume_role_policy".into(), Value::string(assume)),
        ("max_session_duration".into(), Value::int(i64::from(role.max_session_duration().unwrap_or(3600)))),
        ("force_detach_policies".into(), Value::bool(attr(known, "force_detach_policies").as_bool().unwrap_or(false))),
        (
            "permissions_boundary".into(),
            role.permissions_boundary()
                .and_then(|b| b.permissions_boundary_arn())
                .map(Value::string)
                .unwrap_or_else(|| Value::null(Type::String)),
        ),
        (
            "managed_policy_arns".into(),
            Value::set(Type::String, attached.managed.iter().map(|a| Value::string(a.as_str())).collect()),
        ),
        ("inline_policy".into(), Value::set(inline_policy_block().value_type(), inline)),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
