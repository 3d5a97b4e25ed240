//! `aws_instance`: one EC2 instance, launched with an idempotency token and the owner tag,
//! waited for until it runs, changed in place where EC2 allows (stopping it first for a new
//! instance type or user data), and refreshed many at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::client::Waiters;
use aws_sdk_ec2::primitives::Blob;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, BlobAttributeValue, BlockDeviceMapping, EbsBlockDevice, Filter,
    IamInstanceProfileSpecification, Instance, InstanceNetworkInterfaceSpecification, InstanceType, Placement,
    ResourceType, RunInstancesMonitoringEnabled, ShutdownBehavior, Volume, VolumeType,
};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use slipway_core::path::AttrPath;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::{attr, bool_attr, int_attr, same};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Diagnostics, Type, Value};

use crate::kit::{
    Clients, aws_error, configured_bool, configured_str, from_tags, is_not_found, owner_filter, required_str,
    split_tags, tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsInstance;

/// How long an instance may take to reach a state (terraform-provider-aws's create timeout).
const STATE_TIMEOUT: Duration = Duration::from_secs(600);

/// The states of an instance that still exists; `shutting-down` and `terminated` ones are gone.
const LIVE_STATES: [&str; 4] = ["pending", "running", "stopping", "stopped"];

const COMPUTED: [&str; 7] =
    ["id", "arn", "instance_state", "private_dns", "public_dns", "public_ip", "primary_network_interface_id"];

fn root_block_device() -> BlockSchema {
    BlockSchema::new()
        .attribute("delete_on_termination", AttributeSchema::optional_computed(Type::Bool))
        .attribute("encrypted", AttributeSchema::optional_computed(Type::Bool))
        .attribute("iops", AttributeSchema::optional_computed(Type::Number))
        .attribute("kms_key_id", AttributeSchema::optional_computed(Type::String))
        .attribute("throughput", AttributeSchema::optional_computed(Type::Number))
        .attribute("volume_size", AttributeSchema::optional_computed(Type::Number))
        .attribute("volume_type", AttributeSchema::optional_computed(Type::String))
        .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
        .attribute("device_name", AttributeSchema::computed(Type::String))
        .attribute("volume_id", AttributeSchema::computed(Type::String))
}

#[async_trait]
impl Resource for AwsInstance {
    fn type_name(&self) -> &'static str {
        "aws_instance"
    }

    fn schema(&self) -> BlockSchema {
        let strings = Type::set(Type::String);
        let mut block = BlockSchema::new()
            .attribute("ami", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("instance_type", AttributeSchema::optional_computed(Type::String))
            .attribute("availability_zone", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("subnet_id", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("vpc_security_group_ids", AttributeSchema::optional_computed(strings.clone()))
            .attribute("security_groups", AttributeSchema::optional_computed(strings).force_new())
            .attribute("associate_public_ip_address", AttributeSchema::optional_computed(Type::Bool).force_new())
            .attribute("private_ip", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("key_name", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("iam_instance_profile", AttributeSchema::optional(Type::String))
            .attribute("user_data", AttributeSchema::optional(Type::String))
            .attribute("user_data_base64", AttributeSchema::optional(Type::String))
            .attribute("user_data_replace_on_change", AttributeSchema::optional_computed(Type::Bool))
            .attribute("source_dest_check", AttributeSchema::optional_computed(Type::Bool))
            .attribute("disable_api_termination", AttributeSchema::optional_computed(Type::Bool))
            .attribute("instance_initiated_shutdown_behavior", AttributeSchema::optional_computed(Type::String))
            .attribute("monitoring", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .block("root_block_device", Nesting::List, root_block_device());
        if let Some(root) = block.blocks.get_mut("root_block_device") {
            root.max_items = 1;
        }
        for name in COMPUTED {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("user_data_replace_on_change", Value::bool(false)),
            ("source_dest_check", Value::bool(true)),
            ("disable_api_termination", Value::bool(false)),
            ("monitoring", Value::bool(false)),
        ])
    }

    /// User data given twice, or as base64 that is not: what the apply would refuse.
    fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        let encoded = attr(config, "user_data_base64");
        // An unknown value counts as set: it will have one at apply.
        if !attr(config, "user_data").is_null() && !encoded.is_null() {
            diags.push(
                Diagnostic::error(
                    "Conflicting user data",
                    "Only one of \"user_data\" and \"user_data_base64\" can be set; remove one.",
                )
                .with_attribute(AttrPath::attr("user_data_base64")),
            );
        } else if let Some(text) = encoded.as_str()
            && let Err(e) = BASE64.decode(text)
        {
            diags.push(
                Diagnostic::error("Invalid user_data_base64", format!("user_data_base64 is not base64: {e}."))
                    .with_attribute(AttrPath::attr("user_data_base64")),
            );
        }
        diags
    }

    fn replace_paths(&self, request: &PlanRequest, prior: &Value) -> Vec<AttrPath> {
        if attr(&request.config, "user_data_replace_on_change").as_bool() != Some(true) {
            return Vec::new();
        }
        ["user_data", "user_data_base64"]
            .into_iter()
            .filter(|name| !same(&attr(prior, name), &attr(&request.config, name)))
            .map(AttrPath::attr)
            .collect()
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        let prior_root = if fresh { None } else { request.prior.as_ref().map(|p| attr(p, "root_block_device")) };
        planned.insert(
            "root_block_device".into(),
            plan_root_device(&attr(&request.config, "root_block_device"), prior_root),
        );
        // A stopped and started instance gets a new public address (unless it has an Elastic IP).
        if let Some(prior) = request.prior.as_ref().filter(|_| !fresh)
            && needs_stop(prior, &Value::object(planned.clone()))
        {
            for name in ["public_ip", "public_dns"] {
                planned.insert(name.into(), Value::unknown(Type::String));
            }
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = owner_filter(owner)
            && let Some(found) = describe_by(c, &filter, &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|o| crate::kit::owned_by(o.instance.tags(), owner))
        {
            // A run that stopped before saving state launched this instance: carry on with it.
            let id = found.instance.instance_id().unwrap_or_default().to_string();
            wait_running(c, &id).await?;
            let volumes = root_volumes(c, std::slice::from_ref(&found.instance)).await?;
            let adopted = instance_value(c, &found, &volumes, planned);
            return self.update(c, &adopted, planned).await;
        }
        let id = run_instance(c, planned, owner).await?;
        wait_running(c, &id).await?;
        if bool_attr(planned, "source_dest_check")? == Some(false) {
            modify_bool(c, &id, "source_dest_check", false).await?;
        }
        describe_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        if needs_stop(prior, planned) {
            change_while_stopped(c, &id, prior, planned).await?;
        }
        let groups = attr(planned, "vpc_security_group_ids");
        if groups.is_wholly_known() && !same(&groups, &attr(prior, "vpc_security_group_ids")) {
            let groups: Vec<String> = strings(&groups);
            c.ec2
                .modify_instance_attribute()
                .instance_id(&id)
                .set_groups(Some(groups))
                .send()
                .await
                .map_err(|e| aws_error("ModifyInstanceAttribute (security groups)", &id, &e))?;
        }
        for name in ["source_dest_check", "disable_api_termination"] {
            if let Some(wanted) = bool_attr(planned, name)?
                && attr(prior, name).as_bool() != Some(wanted)
            {
                modify_bool(c, &id, name, wanted).await?;
            }
        }
        let profile = attr(planned, "iam_instance_profile");
        if !same(&profile, &attr(prior, "iam_instance_profile")) {
            set_instance_profile(c, &id, profile.as_str()).await?;
        }
        update_root_volume(c, prior, planned).await?;
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        match c.ec2.terminate_instances().instance_ids(&id).send().await {
            Err(e) if is_not_found(&e) => return Ok(()),
            Err(e) => return Err(aws_error("TerminateInstances", &id, &e)),
            Ok(_) => {}
        }
        // What the instance holds (its network interface in a subnet, its security groups) is
        // only let go of once it is terminated: dependents deleted next would fail before that.
        c.ec2
            .wait_until_instance_terminated()
            .instance_ids(&id)
            .wait(STATE_TIMEOUT)
            .await
            .map_err(|e| aws_error("Waiting for the instance to terminate", &id, &e))?;
        Ok(())
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe_by(c, "instance-id", &ids).await?;
        let instances: Vec<Instance> = found.values().map(|f| f.instance.clone()).collect();
        let volumes = root_volumes(c, &instances).await?;
        Ok(ids
            .iter()
            .zip(priors)
            .map(|(id, prior)| found.get(id).map(|f| instance_value(c, f, &volumes, prior)))
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe_by(c, "instance-id", &[id.to_string()]).await?;
        let Some(found) = found.get(id) else { return Ok(None) };
        let volumes = root_volumes(c, std::slice::from_ref(&found.instance)).await?;
        // User data is not part of DescribeInstances: an import asks for it once, so that the
        // first plan compares it with the configuration.
        let user_data = c
            .ec2
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .map_err(|e| aws_error("DescribeInstanceAttribute (user data)", id, &e))?
            .user_data()
            .and_then(|u| u.value())
            .map(str::to_string);
        let mut imported = BTreeMap::new();
        if let Some(encoded) = user_data {
            match BASE64.decode(&encoded).ok().and_then(|bytes| String::from_utf8(bytes).ok()) {
                Some(text) => imported.insert("user_data".to_string(), Value::string(text)),
                None => imported.insert("user_data_base64".to_string(), Value::string(encoded)),
            };
        }
        Ok(Some(instance_value(c, found, &volumes, &Value::object(imported))))
    }
}

/// An instance with what its reservation says of it.
#[derive(Clone, Debug)]
struct Described {
    instance: Instance,
    owner_id: String,
}

/// Live instances matching `filter` (`instance-id`, `tag:...`), 200 values per filter and up to
/// 1,000 instances per page.
async fn describe_by(c: &Clients, filter: &str, values: &[String]) -> Result<BTreeMap<String, Described>, Diagnostic> {
    let mut out = BTreeMap::new();
    let live =
        Filter::builder().name("instance-state-name").set_values(Some(LIVE_STATES.map(String::from).to_vec())).build();
    for chunk in values.chunks(FILTER_CHUNK) {
        let by = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let mut pages =
            c.ec2.describe_instances().filters(by).filters(live.clone()).max_results(1000).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeInstances", "refreshing instances", &e))?;
            for reservation in page.reservations() {
                let owner_id = reservation.owner_id().unwrap_or_default().to_string();
                for instance in reservation.instances() {
                    if let Some(id) = instance.instance_id() {
                        out.insert(
                            id.to_string(),
                            Described { instance: instance.clone(), owner_id: owner_id.clone() },
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The root volumes of `instances`, by volume ID: one DescribeVolumes per 200 volumes.
async fn root_volumes(c: &Clients, instances: &[Instance]) -> Result<BTreeMap<String, Volume>, Diagnostic> {
    let ids: Vec<String> = instances.iter().filter_map(|i| root_mapping(i).map(|(_, volume, _)| volume)).collect();
    let mut out = BTreeMap::new();
    for chunk in ids.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name("volume-id").set_values(Some(chunk.to_vec())).build();
        let mut pages = c.ec2.describe_volumes().filters(filter).max_results(500).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeVolumes", "refreshing root volumes", &e))?;
            for volume in page.volumes() {
                if let Some(id) = volume.volume_id() {
                    out.insert(id.to_string(), volume.clone());
                }
            }
        }
    }
    Ok(out)
}

/// The device name, volume ID and delete-on-termination of an instance's root volume.
fn root_mapping(instance: &Instance) -> Option<(String, String, bool)> {
    let root = instance.root_device_name()?;
    let mapping = instance.block_device_mappings().iter().find(|m| m.device_name() == Some(root))?;
    let ebs = mapping.ebs()?;
    Some((root.to_string(), ebs.volume_id()?.to_string(), ebs.delete_on_termination().unwrap_or(true)))
}

async fn describe_one(c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async {
        let found = describe_by(c, "instance-id", &[id.to_string()]).await?;
        let Some(found) = found.get(id) else { return Ok(None) };
        let volumes = root_volumes(c, std::slice::from_ref(&found.instance)).await?;
        Ok(Some(instance_value(c, found, &volumes, planned)))
    })
    .await?;
    found.ok_or_else(|| Diagnostic::error("Instance vanished", format!("{id} was not found after it was changed.")))
}

async fn wait_running(c: &Clients, id: &str) -> Result<(), Diagnostic> {
    c.ec2
        .wait_until_instance_running()
        .instance_ids(id)
        .wait(STATE_TIMEOUT)
        .await
        .map_err(|e| aws_error("Waiting for the instance to run", id, &e))?;
    Ok(())
}

async fn run_instance(c: &Clients, planned: &Value, owner: &str) -> Result<String, Diagnostic> {
    let ami = required_str(planned, "ami")?;
    let user_data = match (configured_str(planned, "user_data"), configured_str(planned, "user_data_base64")) {
        (Some(_), Some(_)) => {
            return Err(Diagnostic::error(
                "Conflicting user data",
                "Only one of \"user_data\" and \"user_data_base64\" can be set; remove one.",
            ));
        }
        (Some(text), None) => Some(BASE64.encode(text)),
        (None, encoded) => encoded,
    };
    let subnet = configured_str(planned, "subnet_id");
    let groups = known_strings(&attr(planned, "vpc_security_group_ids"));
    let private_ip = configured_str(planned, "private_ip");
    let mut run = c
        .ec2
        .run_instances()
        .image_id(&ami)
        .min_count(1)
        .max_count(1)
        .set_client_token(crate::kit::client_token(owner))
        .set_instance_type(configured_str(planned, "instance_type").map(|t| InstanceType::from(t.as_str())))
        .set_key_name(configured_str(planned, "key_name"))
        .set_user_data(user_data)
        .set_security_groups(known_strings(&attr(planned, "security_groups")))
        .set_tag_specifications(Some(
            [ResourceType::Instance, ResourceType::Volume]
                .into_iter()
                .filter_map(|rt| {
                    // Volumes carry only the owner tag: their own tags come from root_block_device.
                    let tags =
                        if rt == ResourceType::Instance { attr(planned, "tags_all") } else { root_tags(planned) };
                    tag_specification(rt, &tags, owner)
                })
                .collect(),
        ))
        .disable_api_termination(bool_attr(planned, "disable_api_termination")?.unwrap_or(false))
        .set_instance_initiated_shutdown_behavior(
            configured_str(planned, "instance_initiated_shutdown_behavior").map(|b| ShutdownBehavior::from(b.as_str())),
        )
        .monitoring(
            RunInstancesMonitoringEnabled::builder()
                .enabled(bool_attr(planned, "monitoring")?.unwrap_or(false))
                .build(),
        );
    if let Some(zone) = configured_str(planned, "availability_zone") {
        run = run.placement(Placement::builder().availability_zone(zone).build());
    }
    // A public address is asked for on the primary network interface, which then also takes
    // the subnet, groups and private address.
    if let Some(public) = configured_bool(planned, "associate_public_ip_address") {
        run = run.network_interfaces(
            InstanceNetworkInterfaceSpecification::builder()
                .device_index(0)
                .associate_public_ip_address(public)
                .delete_on_termination(true)
                .set_subnet_id(subnet)
                .set_groups(groups)
                .set_private_ip_address(private_ip)
                .build(),
        );
    } else {
        run = run.set_subnet_id(subnet).set_security_group_ids(groups).set_private_ip_address(private_ip);
    }
    if let Some(profile) = configured_str(planned, "iam_instance_profile") {
        run = run.iam_instance_profile(profile_spec(&profile));
    }
    if let Some(root) = configured_root(planned) {
        let device = root_device_name(c, &ami).await?;
        run =
            run.block_device_mappings(BlockDeviceMapping::builder().device_name(device).ebs(ebs_spec(&root)?).build());
    }
    // A just-created instance profile can take a few seconds to be usable by EC2.
    let mut delay = Duration::from_secs(2);
    let launched = loop {
        match run.clone().send().await {
            Ok(out) => break out,
            Err(e) if delay <= Duration::from_secs(16) && profile_not_ready(&e) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => return Err(aws_error("RunInstances", &ami, &e)),
        }
    };
    launched.instances().first().and_then(|i| i.instance_id()).map(str::to_string).ok_or_else(|| {
        Diagnostic::error("RunInstances returned no instance", format!("Launching {ami} returned no instance ID."))
    })
}

fn profile_not_ready<E: aws_smithy_types::error::metadata::ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("InvalidParameterValue")
        && e.message().is_some_and(|m| m.to_ascii_lowercase().contains("iam instance profile"))
}

fn profile_spec(profile: &str) -> IamInstanceProfileSpecification {
    if profile.starts_with("arn:") {
        IamInstanceProfileSpecification::builder().arn(profile).build()
    } else {
        IamInstanceProfileSpecification::builder().name(profile).build()
    }
}

/// The root device of an AMI (`/dev/xvda`, `/dev/sda1`): the name a root volume mapping needs.
async fn root_device_name(c: &Clients, ami: &str) -> Result<String, Diagnostic> {
    let images =
        c.ec2.describe_images().image_ids(ami).send().await.map_err(|e| aws_error("DescribeImages", ami, &e))?;
    images.images().first().and_then(|i| i.root_device_name()).map(str::to_string).ok_or_else(|| {
        Diagnostic::error(
            "AMI without a root device",
            format!("{ami} has no root device name, so root_block_device cannot be applied to it; check the AMI ID."),
        )
    })
}

/// The configured root_block_device block, if there is one.
fn configured_root(value: &Value) -> Option<Value> {
    attr(value, "root_block_device").as_elements().and_then(|e| e.first()).cloned()
}

fn root_tags(planned: &Value) -> Value {
    configured_root(planned).map(|r| attr(&r, "tags")).unwrap_or_else(|| Value::null(Type::map(Type::String)))
}

fn ebs_spec(root: &Value) -> Result<EbsBlockDevice, Diagnostic> {
    Ok(EbsBlockDevice::builder()
        .delete_on_termination(bool_attr(root, "delete_on_termination")?.unwrap_or(true))
        .set_encrypted(configured_bool(root, "encrypted"))
        .set_iops(int32(root, "iops")?)
        .set_throughput(int32(root, "throughput")?)
        .set_volume_size(int32(root, "volume_size")?)
        .set_volume_type(configured_str(root, "volume_type").map(|t| VolumeType::from(t.as_str())))
        .set_kms_key_id(configured_str(root, "kms_key_id"))
        .build())
}

/// A known number attribute as the i32 the EC2 API takes (0 and unknown: not set).
fn int32(value: &Value, name: &str) -> Result<Option<i32>, Diagnostic> {
    if !attr(value, name).is_known() {
        return Ok(None);
    }
    let Some(n) = int_attr(value, name)?.filter(|n| *n != 0) else { return Ok(None) };
    i32::try_from(n).map(Some).map_err(|_| {
        Diagnostic::error(format!("{name} out of range"), format!("{name} = {n} is larger than EC2 accepts."))
    })
}

/// Plans root_block_device: the configured block with what AWS chooses known from the prior
/// object (or after apply).
fn plan_root_device(config: &Value, prior: Option<Value>) -> Value {
    let ty = Type::list(root_block_device().value_type());
    let prior_root = prior.as_ref().and_then(|p| p.as_elements()).and_then(|e| e.first()).cloned();
    let Some(configured) = config.as_elements().and_then(|e| e.first()) else {
        // No block: the root volume is AWS's choice and not tracked (as configured, none).
        return if config.is_known() {
            Value::list(root_block_device().value_type(), Vec::new())
        } else {
            Value::unknown(ty)
        };
    };
    let schema = root_block_device();
    let mut planned = BTreeMap::new();
    for (name, attribute) in &schema.attributes {
        let set = attr(configured, name);
        let value = if !set.is_null() && (attribute.optional || attribute.required) {
            set
        } else if name == "delete_on_termination" {
            Value::bool(true)
        } else if attribute.computed {
            prior_root.as_ref().map(|r| attr(r, name)).unwrap_or_else(|| Value::unknown(attribute.ty.clone()))
        } else {
            Value::null(attribute.ty.clone())
        };
        planned.insert(name.clone(), value);
    }
    Value::list(root_block_device().value_type(), vec![Value::object(planned)])
}

/// Whether the change needs the instance stopped: EC2 changes the instance type and user data
/// only of a stopped instance.
fn needs_stop(prior: &Value, planned: &Value) -> bool {
    ["instance_type", "user_data", "user_data_base64"].into_iter().any(|name| {
        let wanted = attr(planned, name);
        wanted.is_known() && !(name == "instance_type" && wanted.is_null()) && !same(&wanted, &attr(prior, name))
    })
}

async fn change_while_stopped(c: &Clients, id: &str, prior: &Value, planned: &Value) -> Result<(), Diagnostic> {
    c.ec2.stop_instances().instance_ids(id).send().await.map_err(|e| aws_error("StopInstances", id, &e))?;
    c.ec2
        .wait_until_instance_stopped()
        .instance_ids(id)
        .wait(STATE_TIMEOUT)
        .await
        .map_err(|e| aws_error("Waiting for the instance to stop", id, &e))?;
    if let Some(wanted) = configured_str(planned, "instance_type")
        && attr(prior, "instance_type").as_str() != Some(wanted.as_str())
    {
        c.ec2
            .modify_instance_attribute()
            .instance_id(id)
            .instance_type(AttributeValue::builder().value(wanted).build())
            .send()
            .await
            .map_err(|e| aws_error("ModifyInstanceAttribute (instance type)", id, &e))?;
    }
    let user_data = match configured_str(planned, "user_data") {
        Some(text) => text.into_bytes(),
        None => match configured_str(planned, "user_data_base64") {
            Some(encoded) => BASE64.decode(encoded).map_err(|e| {
                Diagnostic::error("Invalid user_data_base64", format!("user_data_base64 is not base64: {e}."))
            })?,
            None => Vec::new(),
        },
    };
    let prior_data = (attr(prior, "user_data"), attr(prior, "user_data_base64"));
    if !same(&prior_data.0, &attr(planned, "user_data")) || !same(&prior_data.1, &attr(planned, "user_data_base64")) {
        // The SDK encodes the blob as base64 on the wire.
        c.ec2
            .modify_instance_attribute()
            .instance_id(id)
            .user_data(BlobAttributeValue::builder().value(Blob::new(user_data)).build())
            .send()
            .await
            .map_err(|e| aws_error("ModifyInstanceAttribute (user data)", id, &e))?;
    }
    c.ec2.start_instances().instance_ids(id).send().await.map_err(|e| aws_error("StartInstances", id, &e))?;
    wait_running(c, id).await
}

async fn modify_bool(c: &Clients, id: &str, name: &str, value: bool) -> Result<(), Diagnostic> {
    let v = AttributeBooleanValue::builder().value(value).build();
    let call = c.ec2.modify_instance_attribute().instance_id(id);
    let call = if name == "source_dest_check" { call.source_dest_check(v) } else { call.disable_api_termination(v) };
    call.send().await.map_err(|e| aws_error(&format!("ModifyInstanceAttribute ({name})"), id, &e))?;
    Ok(())
}

/// Associates, replaces or removes the instance profile of a running instance.
async fn set_instance_profile(c: &Clients, id: &str, profile: Option<&str>) -> Result<(), Diagnostic> {
    let filter = Filter::builder().name("instance-id").values(id).build();
    let current = c
        .ec2
        .describe_iam_instance_profile_associations()
        .filters(filter)
        .send()
        .await
        .map_err(|e| aws_error("DescribeIamInstanceProfileAssociations", id, &e))?;
    let association = current
        .iam_instance_profile_associations()
        .iter()
        .find(|a| a.state().is_some_and(|s| s.as_str() == "associated" || s.as_str() == "associating"))
        .and_then(|a| a.association_id())
        .map(str::to_string);
    match (association, profile) {
        (Some(association), Some(profile)) => {
            c.ec2
                .replace_iam_instance_profile_association()
                .association_id(association)
                .iam_instance_profile(profile_spec(profile))
                .send()
                .await
                .map_err(|e| aws_error("ReplaceIamInstanceProfileAssociation", id, &e))?;
        }
        (None, Some(profile)) => {
            c.ec2
                .associate_iam_instance_profile()
                .instance_id(id)
                .iam_instance_profile(profile_spec(profile))
                .send()
                .await
                .map_err(|e| aws_error("AssociateIamInstanceProfile", id, &e))?;
        }
        (Some(association), None) => {
            c.ec2
                .disassociate_iam_instance_profile()
                .association_id(association)
                .send()
                .await
                .map_err(|e| aws_error("DisassociateIamInstanceProfile", id, &e))?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// Resizes or retypes the root volume in place (ModifyVolume), and brings its tags along.
async fn update_root_volume(c: &Clients, prior: &Value, planned: &Value) -> Result<(), Diagnostic> {
    let (Some(before), Some(after)) = (configured_root(prior), configured_root(planned)) else { return Ok(()) };
    let Some(volume) = configured_str(&before, "volume_id") else { return Ok(()) };
    let changed = |name: &str| {
        let wanted = attr(&after, name);
        wanted.is_known() && !wanted.is_null() && !same(&wanted, &attr(&before, name))
    };
    if ["volume_size", "volume_type", "iops", "throughput"].into_iter().any(changed) {
        c.ec2
            .modify_volume()
            .volume_id(&volume)
            .set_size(int32(&after, "volume_size")?.filter(|_| changed("volume_size")))
            .set_volume_type(
                configured_str(&after, "volume_type")
                    .filter(|_| changed("volume_type"))
                    .map(|t| VolumeType::from(t.as_str())),
            )
            .set_iops(int32(&after, "iops")?.filter(|_| changed("iops")))
            .set_throughput(int32(&after, "throughput")?.filter(|_| changed("throughput")))
            .send()
            .await
            .map_err(|e| aws_error("ModifyVolume", &volume, &e))?;
    }
    update_tags(&c.ec2, &volume, &attr(&before, "tags"), &attr(&after, "tags")).await
}

fn strings(value: &Value) -> Vec<String> {
    value.as_elements().map(|e| e.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// A configured set of strings; `None` when unset or left to AWS.
fn known_strings(value: &Value) -> Option<Vec<String>> {
    (value.is_wholly_known() && !value.is_null()).then(|| strings(value))
}

fn string_set(items: impl IntoIterator<Item = String>) -> Value {
    let unique: BTreeSet<String> = items.into_iter().collect();
    Value::set(Type::String, unique.into_iter().map(Value::string).collect())
}

/// The state of an instance; `prior` gives what DescribeInstances does not say (user data, the
/// configured tags, settings only the configuration knows).
fn instance_value(c: &Clients, found: &Described, volumes: &BTreeMap<String, Volume>, prior: &Value) -> Value {
    let i = &found.instance;
    let id = i.instance_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(i.tags()));
    let in_vpc = i.vpc_id().is_some();
    let group_ids = string_set(i.security_groups().iter().filter_map(|g| g.group_id().map(str::to_string)));
    // Names are what security_groups holds for instances outside a VPC; in one, only when the
    // configuration used names (their IDs are in vpc_security_group_ids either way).
    let names_configured = attr(prior, "security_groups").as_elements().is_some_and(|e| !e.is_empty());
    let group_names = if !in_vpc || names_configured {
        string_set(i.security_groups().iter().filter_map(|g| g.group_name().map(str::to_string)))
    } else {
        string_set([])
    };
    let profile =
        i.iam_instance_profile().and_then(|p| p.arn()).map(|arn| arn.rsplit('/').next().unwrap_or(arn).to_string());
    // Asked for at launch only; AWS's answer is whether there is a public address.
    let public_ip = i.public_ip_address().unwrap_or_default();
    let associate = match attr(prior, "associate_public_ip_address").as_bool() {
        Some(configured) => configured,
        None => !public_ip.is_empty(),
    };
    let primary_interface = i
        .network_interfaces()
        .iter()
        .find(|n| n.attachment().and_then(|a| a.device_index()) == Some(0))
        .and_then(|n| n.network_interface_id())
        .unwrap_or_default();
    let keep = |name: &str, default: Value| {
        let v = attr(prior, name);
        if v.is_known() && !v.is_null() { v } else { default }
    };
    let region = c.settings.region();
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("arn".into(), Value::string(format!("arn:aws:ec2:{region}:{}:instance/{id}", found.owner_id))),
        ("ami".into(), Value::string(i.image_id().unwrap_or_default())),
        ("instance_type".into(), Value::string(i.instance_type().map(|t| t.as_str()).unwrap_or_default())),
        (
            "availability_zone".into(),
            Value::string(i.placement().and_then(|p| p.availability_zone()).unwrap_or_default()),
        ),
        ("subnet_id".into(), Value::string(i.subnet_id().unwrap_or_default())),
        ("vpc_security_group_ids".into(), if in_vpc { group_ids } else { string_set([]) }),
        ("security_groups".into(), group_names),
        ("associate_public_ip_address".into(), Value::bool(associate)),
        ("private_ip".into(), Value::string(i.private_ip_address().unwrap_or_default())),
        ("public_ip".into(), Value::string(public_ip)),
        ("private_dns".into(), Value::string(i.private_dns_name().unwrap_or_default())),
        ("public_dns".into(), Value::string(i.public_dns_name().unwrap_or_default())),
        ("primary_network_interface_id".into(), Value::string(primary_interface)),
        (
            "instance_state".into(),
            Value::string(i.state().and_then(|s| s.name()).map(|n| n.as_str()).unwrap_or_default()),
        ),
        ("key_name".into(), i.key_name().map(Value::string).unwrap_or_else(|| Value::null(Type::String))),
        ("iam_instance_profile".into(), profile.map(Value::string).unwrap_or_else(|| Value::null(Type::String))),
        ("source_dest_check".into(), Value::bool(i.source_dest_check().unwrap_or(true))),
        (
            "monitoring".into(),
            Value::bool(i.monitoring().and_then(|m| m.state()).is_some_and(|s| s.as_str() == "enabled")),
        ),
        // Not in DescribeInstances: as last applied (or imported).
        ("user_data".into(), keep("user_data", Value::null(Type::String))),
        ("user_data_base64".into(), keep("user_data_base64", Value::null(Type::String))),
        ("user_data_replace_on_change".into(), keep("user_data_replace_on_change", Value::bool(false))),
        ("disable_api_termination".into(), keep("disable_api_termination", Value::bool(false))),
        (
            "instance_initiated_shutdown_behavior".into(),
            keep("instance_initiated_shutdown_behavior", Value::string("stop")),
        ),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
        ("root_block_device".into(), root_device_value(i, volumes, prior)),
    ]))
}

fn root_device_value(i: &Instance, volumes: &BTreeMap<String, Volume>, prior: &Value) -> Value {
    let element = root_block_device().value_type();
    // Tracked only when configured: an unconfigured block is no block to the engine.
    let configured = configured_root(prior).is_some();
    let Some((device, volume_id, delete_on_termination)) = root_mapping(i).filter(|_| configured) else {
        return Value::list(element, Vec::new());
    };
    let volume = volumes.get(&volume_id);
    let number = |n: Option<i32>| Value::int(i64::from(n.unwrap_or(0)));
    let prior_tags =
        configured_root(prior).map(|r| attr(&r, "tags")).unwrap_or_else(|| Value::null(Type::map(Type::String)));
    let tags = match (volume, prior_tags.is_null()) {
        (Some(v), false) => {
            let actual = from_tags(v.tags());
            // Only the tags the configuration manages: others (the owner tag) are not drift.
            match (actual.as_entries(), prior_tags.as_entries()) {
                (Some(actual), Some(wanted)) => Value::map(
                    Type::String,
                    actual
                        .iter()
                        .filter(|(k, _)| wanted.contains_key(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                _ => prior_tags,
            }
        }
        _ => prior_tags,
    };
    let root = BTreeMap::from([
        ("device_name".to_string(), Value::string(device)),
        ("volume_id".to_string(), Value::string(volume_id.as_str())),
        ("delete_on_termination".to_string(), Value::bool(delete_on_termination)),
        ("encrypted".to_string(), Value::bool(volume.and_then(|v| v.encrypted()).unwrap_or(false))),
        ("iops".to_string(), number(volume.and_then(|v| v.iops()))),
        ("throughput".to_string(), number(volume.and_then(|v| v.throughput()))),
        ("volume_size".to_string(), number(volume.and_then(|v| v.size()))),
        (
            "volume_type".to_string(),
            Value::string(volume.and_then(|v| v.volume_type()).map(|t| t.as_str()).unwrap_or_default()),
        ),
        ("kms_key_id".to_string(), Value::string(volume.and_then(|v| v.kms_key_id()).unwrap_or_default())),
        ("tags".to_string(), tags),
    ]);
    Value::list(element, vec![Value::object(root)])
}
