//! `aws_launch_template`: what an Auto Scaling group launches. Every change of the launch data
//! is a new version (versions are immutable); the template's default version follows it when
//! `update_default_version` is set.
//!
//! Refresh describes all templates in one call per 200 and reads a version's data only when its
//! latest version is not the one in state: a version never changes, so the state already holds
//! the data of the version it names.

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{
    InstanceType, LaunchTemplate, LaunchTemplateBlockDeviceMappingRequest, LaunchTemplateEbsBlockDeviceRequest,
    LaunchTemplateIamInstanceProfileSpecificationRequest, LaunchTemplateInstanceMetadataOptionsRequest,
    LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, LaunchTemplateTagSpecificationRequest,
    LaunchTemplatesMonitoringRequest, RequestLaunchTemplateData, ResourceType, ResponseLaunchTemplateData,
    ShutdownBehavior, VolumeType,
};
use slipway_core::path::AttrPath;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::{attr, same};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Diagnostics, Type, Value};

use crate::kit::{
    Clients, aws_error, configured_bool, configured_str, from_tags, is_not_found, name_or_unique, owner_filter,
    required_str, split_tags, tag_specification, to_tags, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsLaunchTemplate;

/// The attributes that are launch data: a change to any of them is a new version.
const DATA_ATTRIBUTES: [&str; 8] = [
    "image_id",
    "instance_type",
    "key_name",
    "user_data",
    "ebs_optimized",
    "vpc_security_group_ids",
    "disable_api_termination",
    "instance_initiated_shutdown_behavior",
];
const DATA_BLOCKS: [&str; 6] = [
    "iam_instance_profile",
    "block_device_mappings",
    "network_interfaces",
    "metadata_options",
    "monitoring",
    "tag_specifications",
];

/// The resource types launch data can tag (RequestLaunchTemplateData's TagSpecifications).
const LAUNCH_TAG_TYPES: [&str; 4] = ["instance", "volume", "network-interface", "spot-instances-request"];

fn opt(ty: Type) -> AttributeSchema {
    AttributeSchema::optional(ty)
}

fn single(block: BlockSchema) -> (Nesting, BlockSchema, usize) {
    (Nesting::List, block, 1)
}

fn nested_blocks() -> Vec<(&'static str, (Nesting, BlockSchema, usize))> {
    let ebs = BlockSchema::new()
        .attribute("delete_on_termination", opt(Type::String))
        .attribute("encrypted", opt(Type::String))
        .attribute("iops", opt(Type::Number))
        .attribute("kms_key_id", opt(Type::String))
        .attribute("snapshot_id", opt(Type::String))
        .attribute("throughput", opt(Type::Number))
        .attribute("volume_size", opt(Type::Number))
        .attribute("volume_type", opt(Type::String));
    let mut mapping = BlockSchema::new()
        .attribute("device_name", opt(Type::String))
        .attribute("no_device", opt(Type::String))
        .attribute("virtual_name", opt(Type::String))
        .block("ebs", Nesting::List, ebs);
    if let Some(b) = mapping.blocks.get_mut("ebs") {
        b.max_items = 1;
    }
    vec![
        (
            "iam_instance_profile",
            single(BlockSchema::new().attribute("arn", opt(Type::String)).attribute("name", opt(Type::String))),
        ),
        ("block_device_mappings", (Nesting::List, mapping, 0)),
        (
            "network_interfaces",
            (
                Nesting::List,
                BlockSchema::new()
                    .attribute("associate_public_ip_address", opt(Type::String))
                    .attribute("delete_on_termination", opt(Type::String))
                    .attribute("description", opt(Type::String))
                    .attribute("device_index", opt(Type::Number))
                    .attribute("security_groups", opt(Type::set(Type::String)))
                    .attribute("subnet_id", opt(Type::String)),
                0,
            ),
        ),
        (
            "metadata_options",
            single(
                BlockSchema::new()
                    .attribute("http_endpoint", opt(Type::String))
                    .attribute("http_tokens", opt(Type::String))
                    .attribute("http_put_response_hop_limit", opt(Type::Number))
                    .attribute("instance_metadata_tags", opt(Type::String)),
            ),
        ),
        ("monitoring", single(BlockSchema::new().attribute("enabled", opt(Type::Bool)))),
        (
            "tag_specifications",
            (
                Nesting::List,
                BlockSchema::new()
                    .attribute("resource_type", opt(Type::String))
                    .attribute("tags", opt(Type::map(Type::String))),
                0,
            ),
        ),
    ]
}

#[async_trait]
impl Resource for AwsLaunchTemplate {
    fn type_name(&self) -> &'static str {
        "aws_launch_template"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("name_prefix", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("description", opt(Type::String))
            .attribute("default_version", AttributeSchema::optional_computed(Type::Number))
            .attribute("update_default_version", opt(Type::Bool))
            .attribute("latest_version", AttributeSchema::computed(Type::Number))
            .attribute("image_id", opt(Type::String))
            .attribute("instance_type", opt(Type::String))
            .attribute("key_name", opt(Type::String))
            .attribute("user_data", opt(Type::String))
            .attribute("ebs_optimized", opt(Type::String))
            .attribute("vpc_security_group_ids", opt(Type::set(Type::String)))
            .attribute("disable_api_termination", opt(Type::Bool))
            .attribute("instance_initiated_shutdown_behavior", opt(Type::String))
            .attribute("tags", opt(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .attribute("id", AttributeSchema::computed(Type::String))
            .attribute("arn", AttributeSchema::computed(Type::String));
        for (name, (nesting, nested, max)) in nested_blocks() {
            block = block.block(name, nesting, nested);
            if let Some(b) = block.blocks.get_mut(name) {
                b.max_items = max;
            }
        }
        block
    }

    /// The flags written as strings ("true", "false") that the apply would refuse.
    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let mut check = |value: &Value, at: &AttrPath, name: &str| {
            if let Err(d) = flag(value, name) {
                diags.push(d.with_attribute(at.then_attr(name)));
            }
        };
        check(config, &AttrPath::root(), "ebs_optimized");
        for (i, mapping) in blocks(config, "block_device_mappings").iter().enumerate() {
            if let Some(ebs) = first_block(mapping, "ebs") {
                let at = AttrPath::attr("block_device_mappings").then_index(i).then_attr("ebs").then_index(0);
                check(&ebs, &at, "delete_on_termination");
                check(&ebs, &at, "encrypted");
            }
        }
        for (i, nic) in blocks(config, "network_interfaces").iter().enumerate() {
            let at = AttrPath::attr("network_interfaces").then_index(i);
            check(nic, &at, "associate_public_ip_address");
            check(nic, &at, "delete_on_termination");
        }
        diags
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        let Some(prior) = request.prior.as_ref().filter(|_| !fresh) else { return };
        let planned_value = Value::object(planned.clone());
        let description_changed = !same(&attr(prior, "description"), &attr(&planned_value, "description"));
        if data_changed(prior, &planned_value) || description_changed {
            planned.insert("latest_version".into(), Value::unknown(Type::Number));
            if attr(&request.config, "update_default_version").as_bool() == Some(true) {
                planned.insert("default_version".into(), Value::unknown(Type::Number));
            }
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = owner_filter(owner)
            && let Some(found) = describe_by(c, Some(&filter), &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|o| crate::kit::owned_by(o.tags(), owner))
        {
            // A run that stopped before saving state made this template: carry on with it.
            let adopted = template_value(c, &found, &latest_data(c, &found).await?, &Value::null(Type::Any));
            return self.update(c, &adopted, planned).await;
        }
        let name = name_or_unique(planned, "name", "name_prefix", "slipway-");
        let created = c
            .ec2
            .create_launch_template()
            .launch_template_name(&name)
            .set_version_description(configured_str(planned, "description"))
            .launch_template_data(request_data(planned)?)
            .set_client_token(crate::kit::client_token(owner))
            .set_tag_specifications(
                tag_specification(ResourceType::LaunchTemplate, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("CreateLaunchTemplate", &name, &e))?;
        let id = created.launch_template().and_then(|t| t.launch_template_id()).unwrap_or_default().to_string();
        if let Some(version) = configured_number(planned, "default_version").filter(|v| *v != 1) {
            set_default_version(c, &id, version).await?;
        }
        describe_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let description_changed = !same(&attr(prior, "description"), &attr(planned, "description"));
        if data_changed(prior, planned) || description_changed {
            let made = c
                .ec2
                .create_launch_template_version()
                .launch_template_id(&id)
                .set_version_description(configured_str(planned, "description"))
                .launch_template_data(request_data(planned)?)
                .send()
                .await
                .map_err(|e| aws_error("CreateLaunchTemplateVersion", &id, &e))?;
            let version = made.launch_template_version().and_then(|v| v.version_number());
            if attr(planned, "update_default_version").as_bool() == Some(true)
                && let Some(version) = version
            {
                set_default_version(c, &id, version).await?;
            }
        }
        if let Some(version) = configured_number(planned, "default_version")
            && attr(planned, "update_default_version").as_bool() != Some(true)
            && configured_number(prior, "default_version") != Some(version)
        {
            set_default_version(c, &id, version).await?;
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        match c.ec2.delete_launch_template().launch_template_id(&id).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteLaunchTemplate", &id, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe_by(c, None, &ids).await?;
        let mut out = Vec::with_capacity(priors.len());
        for (id, prior) in ids.iter().zip(priors) {
            let Some(template) = found.get(id) else {
                out.push(None);
                continue;
            };
            let latest = template.latest_version_number();
            let unchanged = latest.is_some() && configured_number(prior, "latest_version") == latest;
            out.push(Some(if unchanged {
                // The version in state is still the latest: its data cannot have changed.
                with_template_fields(c, template, prior)
            } else {
                template_value(c, template, &latest_data(c, template).await?, prior)
            }));
        }
        Ok(out)
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe_by(c, None, &[id.to_string()]).await?;
        let Some(template) = found.get(id) else { return Ok(None) };
        Ok(Some(template_value(c, template, &latest_data(c, template).await?, &Value::null(Type::Any))))
    }
}

fn configured_number(value: &Value, name: &str) -> Option<i64> {
    attr(value, name).as_number().and_then(|n| n.to_i64())
}

fn data_changed(prior: &Value, planned: &Value) -> bool {
    DATA_ATTRIBUTES.iter().chain(DATA_BLOCKS.iter()).any(|name| !same(&attr(prior, name), &attr(planned, name)))
}

async fn set_default_version(c: &Clients, id: &str, version: i64) -> Result<(), Diagnostic> {
    c.ec2
        .modify_launch_template()
        .launch_template_id(id)
        .default_version(version.to_string())
        .send()
        .await
        .map_err(|e| aws_error("ModifyLaunchTemplate (default version)", id, &e))?;
    Ok(())
}

/// Templates by ID (`filter` None) or matching a filter such as the owner tag. IDs are asked
/// for 200 at a time; AWS fails the whole call when one of them is gone, so only then are that
/// chunk's IDs asked for one by one to find which.
async fn describe_by(
    c: &Clients,
    filter: Option<&str>,
    values: &[String],
) -> Result<BTreeMap<String, LaunchTemplate>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let templates = match filter {
            Some(name) => {
                let by = aws_sdk_ec2::types::Filter::builder().name(name).set_values(Some(chunk.to_vec())).build();
                describe_pages(c.ec2.describe_launch_templates().filters(by)).await?
            }
            None => {
                match describe_pages(c.ec2.describe_launch_templates().set_launch_template_ids(Some(chunk.to_vec())))
                    .await
                {
                    Ok(found) => found,
                    Err(DescribeError::NotFound) => {
                        let mut found = Vec::new();
                        for id in chunk {
                            match describe_pages(c.ec2.describe_launch_templates().launch_template_ids(id)).await {
                                Ok(one) => found.extend(one),
                                Err(DescribeError::NotFound) => {}
                                Err(DescribeError::Other(d)) => return Err(d),
                            }
                        }
                        found
                    }
                    Err(DescribeError::Other(d)) => return Err(d),
                }
            }
        };
        for t in templates {
            if let Some(id) = t.launch_template_id() {
                out.insert(id.to_string(), t);
            }
        }
    }
    Ok(out)
}

enum DescribeError {
    NotFound,
    Other(Diagnostic),
}

impl From<DescribeError> for Diagnostic {
    fn from(e: DescribeError) -> Diagnostic {
        match e {
            DescribeError::Other(d) => d,
            DescribeError::NotFound => {
                Diagnostic::error("Launch template not found", "The launch template does not exist.")
            }
        }
    }
}

async fn describe_pages(
    call: aws_sdk_ec2::operation::describe_launch_templates::builders::DescribeLaunchTemplatesFluentBuilder,
) -> Result<Vec<LaunchTemplate>, DescribeError> {
    let mut out = Vec::new();
    let mut pages = call.into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => out.extend(page.launch_templates().iter().cloned()),
            Err(e) if is_not_found(&e) => return Err(DescribeError::NotFound),
            Err(e) => {
                return Err(DescribeError::Other(aws_error(
                    "DescribeLaunchTemplates",
                    "refreshing launch templates",
                    &e,
                )));
            }
        }
    }
    Ok(out)
}

/// The data and description of a template's latest version: one call for one template.
async fn latest_data(
    c: &Clients,
    t: &LaunchTemplate,
) -> Result<(ResponseLaunchTemplateData, Option<String>), Diagnostic> {
    let id = t.launch_template_id().unwrap_or_default();
    let versions = c
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(id)
        .versions("$Latest")
        .send()
        .await
        .map_err(|e| aws_error("DescribeLaunchTemplateVersions", id, &e))?;
    let version = versions.launch_template_versions().first();
    Ok((
        version
            .and_then(|v| v.launch_template_data())
            .cloned()
            .unwrap_or_else(|| ResponseLaunchTemplateData::builder().build()),
        version.and_then(|v| v.version_description()).map(str::to_string),
    ))
}

async fn describe_one(c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async {
        let found = describe_by(c, None, &[id.to_string()]).await?;
        Ok(found.get(id).cloned())
    })
    .await?;
    let template = found.ok_or_else(|| {
        Diagnostic::error("Launch template vanished", format!("{id} was not found after it was changed."))
    })?;
    Ok(template_value(c, &template, &latest_data(c, &template).await?, planned))
}

/// The template's own fields (versions, tags, name) over `prior`, which holds its launch data.
fn with_template_fields(c: &Clients, t: &LaunchTemplate, prior: &Value) -> Value {
    let mut entries = prior.as_entries().cloned().unwrap_or_default();
    let id = t.launch_template_id().unwrap_or_default();
    let region = c.settings.region();
    let account = c.account_id.clone().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(t.tags()));
    let name = t.launch_template_name().unwrap_or_default();
    let prefix = attr(prior, "name_prefix");
    entries.insert("id".into(), Value::string(id));
    entries.insert("arn".into(), Value::string(format!("arn:aws:ec2:{region}:{account}:launch-template/{id}")));
    entries.insert("name".into(), Value::string(name));
    entries
        .insert("name_prefix".into(), if prefix.is_known() && !prefix.is_null() { prefix } else { Value::string("") });
    entries.insert("default_version".into(), Value::int(t.default_version_number().unwrap_or(1)));
    entries.insert("latest_version".into(), Value::int(t.latest_version_number().unwrap_or(1)));
    entries.insert("tags".into(), tags);
    entries.insert("tags_all".into(), tags_all);
    let update_default = attr(prior, "update_default_version");
    entries.insert(
        "update_default_version".into(),
        if update_default.is_known() { update_default } else { Value::null(Type::Bool) },
    );
    Value::object(entries)
}

fn template_value(
    c: &Clients,
    t: &LaunchTemplate,
    (data, description): &(ResponseLaunchTemplateData, Option<String>),
    prior: &Value,
) -> Value {
    let mut entries = response_data(data);
    entries.insert(
        "description".into(),
        description.clone().map(Value::string).unwrap_or_else(|| Value::null(Type::String)),
    );
    let mut base = prior.as_entries().cloned().unwrap_or_default();
    base.extend(entries);
    with_template_fields(c, t, &Value::object(base))
}

// --- launch data: configuration -> request -----------------------------------------------

fn blocks(value: &Value, name: &str) -> Vec<Value> {
    attr(value, name).as_elements().map(<[Value]>::to_vec).unwrap_or_default()
}

fn first_block(value: &Value, name: &str) -> Option<Value> {
    blocks(value, name).into_iter().next()
}

fn int32(value: &Value, name: &str) -> Option<i32> {
    configured_number(value, name).and_then(|n| i32::try_from(n).ok())
}

/// A tri-state flag written as a string (`"true"`, `"false"`, or unset), as terraform-provider-aws has them.
fn flag(value: &Value, name: &str) -> Result<Option<bool>, Diagnostic> {
    match configured_str(value, name).as_deref() {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(Diagnostic::error(
            format!("Invalid value for {name:?}"),
            format!("{name} is {other:?}; it must be \"true\" or \"false\" (or left out)."),
        )),
    }
}

fn strings(value: &Value, name: &str) -> Option<Vec<String>> {
    let v = attr(value, name);
    v.as_elements().map(|e| e.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
}

fn request_data(planned: &Value) -> Result<RequestLaunchTemplateData, Diagnostic> {
    let mut data = RequestLaunchTemplateData::builder()
        .set_image_id(configured_str(planned, "image_id"))
        .set_instance_type(configured_str(planned, "instance_type").map(|t| InstanceType::from(t.as_str())))
        .set_key_name(configured_str(planned, "key_name"))
        .set_user_data(configured_str(planned, "user_data"))
        .set_ebs_optimized(flag(planned, "ebs_optimized")?)
        .set_security_group_ids(strings(planned, "vpc_security_group_ids"))
        .set_disable_api_termination(configured_bool(planned, "disable_api_termination"))
        .set_instance_initiated_shutdown_behavior(
            configured_str(planned, "instance_initiated_shutdown_behavior").map(|b| ShutdownBehavior::from(b.as_str())),
        );
    if let Some(profile) = first_block(planned, "iam_instance_profile") {
        data = data.iam_instance_profile(
            LaunchTemplateIamInstanceProfileSpecificationRequest::builder()
                .set_arn(configured_str(&profile, "arn"))
                .set_name(configured_str(&profile, "name"))
                .build(),
        );
    }
    for mapping in blocks(planned, "block_device_mappings") {
        let mut m = LaunchTemplateBlockDeviceMappingRequest::builder()
            .set_device_name(configured_str(&mapping, "device_name"))
            .set_no_device(configured_str(&mapping, "no_device"))
            .set_virtual_name(configured_str(&mapping, "virtual_name"));
        if let Some(ebs) = first_block(&mapping, "ebs") {
            m = m.ebs(
                LaunchTemplateEbsBlockDeviceRequest::builder()
                    .set_delete_on_termination(flag(&ebs, "delete_on_termination")?)
                    .set_encrypted(flag(&ebs, "encrypted")?)
                    .set_iops(int32(&ebs, "iops"))
                    .set_kms_key_id(configured_str(&ebs, "kms_key_id"))
                    .set_snapshot_id(configured_str(&ebs, "snapshot_id"))
                    .set_throughput(int32(&ebs, "throughput"))
                    .set_volume_size(int32(&ebs, "volume_size"))
                    .set_volume_type(configured_str(&ebs, "volume_type").map(|t| VolumeType::from(t.as_str())))
                    .build(),
            );
        }
        data = data.block_device_mappings(m.build());
    }
    for nic in blocks(planned, "network_interfaces") {
        data = data.network_interfaces(
            LaunchTemplateInstanceNetworkInterfaceSpecificationRequest::builder()
                .set_associate_public_ip_address(flag(&nic, "associate_public_ip_address")?)
                .set_delete_on_termination(flag(&nic, "delete_on_termination")?)
                .set_description(configured_str(&nic, "description"))
                .set_device_index(int32(&nic, "device_index"))
                .set_groups(strings(&nic, "security_groups"))
                .set_subnet_id(configured_str(&nic, "subnet_id"))
                .build(),
        );
    }
    if let Some(m) = first_block(planned, "metadata_options") {
        data = data.metadata_options(
            LaunchTemplateInstanceMetadataOptionsRequest::builder()
                .set_http_endpoint(configured_str(&m, "http_endpoint").map(|v| v.as_str().into()))
                .set_http_tokens(configured_str(&m, "http_tokens").map(|v| v.as_str().into()))
                .set_http_put_response_hop_limit(int32(&m, "http_put_response_hop_limit"))
                .set_instance_metadata_tags(configured_str(&m, "instance_metadata_tags").map(|v| v.as_str().into()))
                .build(),
        );
    }
    if let Some(m) = first_block(planned, "monitoring") {
        data = data.monitoring(
            LaunchTemplatesMonitoringRequest::builder().set_enabled(configured_bool(&m, "enabled")).build(),
        );
    }
    for spec in blocks(planned, "tag_specifications") {
        data = data.tag_specifications(
            LaunchTemplateTagSpecificationRequest::builder()
                .set_resource_type(configured_str(&spec, "resource_type").map(|t| ResourceType::from(t.as_str())))
                .set_tags(Some(to_tags(&attr(&spec, "tags"))))
                .build(),
        );
    }
    Ok(data.build())
}

// --- launch data: response -> state ------------------------------------------------------

fn s(v: Option<&str>) -> Value {
    v.map(Value::string).unwrap_or_else(|| Value::null(Type::String))
}

fn n(v: Option<i32>) -> Value {
    v.map(|n| Value::int(i64::from(n))).unwrap_or_else(|| Value::null(Type::Number))
}

fn flag_value(v: Option<bool>) -> Value {
    v.map(|b| Value::string(if b { "true" } else { "false" })).unwrap_or_else(|| Value::null(Type::String))
}

fn string_set(items: &[String]) -> Value {
    if items.is_empty() {
        return Value::null(Type::set(Type::String));
    }
    let unique: std::collections::BTreeSet<&String> = items.iter().collect();
    Value::set(Type::String, unique.into_iter().map(|s| Value::string(s.as_str())).collect())
}

/// Blocks as a list value of the block's type.
fn block_list(name: &str, items: Vec<BTreeMap<String, Value>>) -> Value {
    let schema = nested_blocks().into_iter().find(|(n, _)| *n == name).map(|(_, (_, b, _))| b).unwrap_or_default();
    Value::list(schema.value_type(), items.into_iter().map(Value::object).collect())
}

fn response_data(d: &ResponseLaunchTemplateData) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::from([
        ("image_id".to_string(), s(d.image_id())),
        ("instance_type".to_string(), s(d.instance_type().map(|t| t.as_str()))),
        ("key_name".to_string(), s(d.key_name())),
        ("user_data".to_string(), s(d.user_data())),
        ("ebs_optimized".to_string(), flag_value(d.ebs_optimized())),
        ("vpc_security_group_ids".to_string(), string_set(d.security_group_ids())),
        (
            "disable_api_termination".to_string(),
            d.disable_api_termination().map(Value::bool).unwrap_or_else(|| Value::null(Type::Bool)),
        ),
        (
            "instance_initiated_shutdown_behavior".to_string(),
            s(d.instance_initiated_shutdown_behavior().map(|b| b.as_str())),
        ),
    ]);
    let profile: Vec<_> = d
        .iam_instance_profile()
        .map(|p| BTreeMap::from([("arn".to_string(), s(p.arn())), ("name".to_string(), s(p.name()))]))
        .into_iter()
        .collect();
    out.insert("iam_instance_profile".into(), block_list("iam_instance_profile", profile));
    let ebs_type = nested_blocks()
        .into_iter()
        .find(|(n, _)| *n == "block_device_mappings")
        .and_then(|(_, (_, b, _))| b.blocks.get("ebs").map(|e| e.block.value_type()))
        .unwrap_or(Type::Any);
    let mappings = d
        .block_device_mappings()
        .iter()
        .map(|m| {
            let ebs: Vec<Value> = m
                .ebs()
                .map(|e| {
                    Value::object(BTreeMap::from([
                        ("delete_on_termination".to_string(), flag_value(e.delete_on_termination())),
                        ("encrypted".to_string(), flag_value(e.encrypted())),
                        ("iops".to_string(), n(e.iops())),
                        ("kms_key_id".to_string(), s(e.kms_key_id())),
                        ("snapshot_id".to_string(), s(e.snapshot_id())),
                        ("throughput".to_string(), n(e.throughput())),
                        ("volume_size".to_string(), n(e.volume_size())),
                        ("volume_type".to_string(), s(e.volume_type().map(|t| t.as_str()))),
                    ]))
                })
                .into_iter()
                .collect();
            BTreeMap::from([
                ("device_name".to_string(), s(m.device_name())),
                ("no_device".to_string(), s(m.no_device())),
                ("virtual_name".to_string(), s(m.virtual_name())),
                ("ebs".to_string(), Value::list(ebs_type.clone(), ebs)),
            ])
        })
        .collect();
    out.insert("block_device_mappings".into(), block_list("block_device_mappings", mappings));
    let nics = d
        .network_interfaces()
        .iter()
        .map(|i| {
            BTreeMap::from([
                ("associate_public_ip_address".to_string(), flag_value(i.associate_public_ip_address())),
                ("delete_on_termination".to_string(), flag_value(i.delete_on_termination())),
                ("description".to_string(), s(i.description())),
                ("device_index".to_string(), n(i.device_index())),
                ("security_groups".to_string(), string_set(i.groups())),
                ("subnet_id".to_string(), s(i.subnet_id())),
            ])
        })
        .collect();
    out.insert("network_interfaces".into(), block_list("network_interfaces", nics));
    let metadata: Vec<_> = d
        .metadata_options()
        .map(|m| {
            BTreeMap::from([
                ("http_endpoint".to_string(), s(m.http_endpoint().map(|v| v.as_str()))),
                ("http_tokens".to_string(), s(m.http_tokens().map(|v| v.as_str()))),
                ("http_put_response_hop_limit".to_string(), n(m.http_put_response_hop_limit())),
                ("instance_metadata_tags".to_string(), s(m.instance_metadata_tags().map(|v| v.as_str()))),
            ])
        })
        .into_iter()
        .collect();
    out.insert("metadata_options".into(), block_list("metadata_options", metadata));
    let monitoring: Vec<_> = d
        .monitoring()
        .map(|m| {
            BTreeMap::from([(
                "enabled".to_string(),
                m.enabled().map(Value::bool).unwrap_or_else(|| Value::null(Type::Bool)),
            )])
        })
        .into_iter()
        .collect();
    out.insert("monitoring".into(), block_list("monitoring", monitoring));
    // Launch data tags only what a launch makes (the API's valid types for it); anything else
    // in the answer is not launch data (moto echoes the template's own tags there).
    let specs = d
        .tag_specifications()
        .iter()
        .filter(|t| t.resource_type().is_some_and(|r| LAUNCH_TAG_TYPES.contains(&r.as_str())))
        .map(|t| {
            BTreeMap::from([
                ("resource_type".to_string(), s(t.resource_type().map(|r| r.as_str()))),
                ("tags".to_string(), from_tags(t.tags())),
            ])
        })
        .collect();
    out.insert("tag_specifications".into(), block_list("tag_specifications", specs));
    out
}
