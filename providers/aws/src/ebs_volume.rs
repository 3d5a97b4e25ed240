//! `aws_ebs_volume`: a block storage volume in one availability zone, grown or retyped in place
//! (ModifyVolume), replaced when it would shrink, optionally snapshotted before it is deleted.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, Volume, VolumeState, VolumeType};
use slipway_core::path::AttrPath;
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::{attr, bool_attr, int_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, account_id, aws_error, configured_bool, configured_str, date, delete_while_busy, from_tags, owned_by,
    owner_filter, owner_pattern, required_str, split_tags, tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsEbsVolume;

/// How long a delete waits for the volume to be detached: the instance that has it may still
/// be terminating (a group deleted just before, an instance replaced).
const DETACH_BUDGET: Duration = Duration::from_secs(600);

/// How long a new or changed volume may take to become usable.
const READY_BUDGET: Duration = Duration::from_secs(300);

#[async_trait]
impl Resource for AwsEbsVolume {
    fn type_name(&self) -> &'static str {
        "aws_ebs_volume"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("availability_zone", AttributeSchema::required(Type::String).force_new())
            .attribute("size", AttributeSchema::optional_computed(Type::Number))
            .attribute("type", AttributeSchema::optional_computed(Type::String))
            .attribute("iops", AttributeSchema::optional_computed(Type::Number))
            .attribute("throughput", AttributeSchema::optional_computed(Type::Number))
            .attribute("encrypted", AttributeSchema::optional_computed(Type::Bool).force_new())
            .attribute("kms_key_id", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("snapshot_id", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("multi_attach_enabled", AttributeSchema::optional_computed(Type::Bool))
            .attribute("final_snapshot", AttributeSchema::optional_computed(Type::Bool))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .attribute("id", AttributeSchema::computed(Type::String))
            .attribute("arn", AttributeSchema::computed(Type::String))
            .attribute("create_time", AttributeSchema::computed(Type::String))
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("multi_attach_enabled", Value::bool(false)), ("final_snapshot", Value::bool(false))])
    }

    /// A volume can grow but never shrink: a smaller `size` needs a new volume, as in
    /// terraform-provider-aws (ForceNewIfChange).
    fn replace_paths(&self, request: &PlanRequest, prior: &Value) -> Vec<AttrPath> {
        let size = |v: &Value| attr(v, "size").as_number().and_then(|n| n.to_i64());
        match (size(prior), size(&request.config)) {
            (Some(old), Some(new)) if new < old => vec![AttrPath::attr("size")],
            _ => Vec::new(),
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = owner_filter(owner)
            && let Some(volume) = describe_by(c, &filter, &[owner_pattern(owner)])
                .await?
                .into_values()
                .find(|v| owned_by(v.tags(), owner))
        {
            // A run that stopped before saving state made this volume: carry on with it.
            let id = volume.volume_id().unwrap_or_default().to_string();
            wait_usable(c, &id).await?;
            let account = account_id(c).await?;
            return self.update(c, &volume_value(c, &account, &volume, &Value::null(Type::Any)), planned).await;
        }
        let zone = required_str(planned, "availability_zone")?;
        let created = c
            .ec2
            .create_volume()
            .availability_zone(&zone)
            .set_size(int32(planned, "size")?)
            .set_volume_type(configured_str(planned, "type").map(|t| VolumeType::from(t.as_str())))
            .set_iops(int32(planned, "iops")?)
            .set_throughput(int32(planned, "throughput")?)
            .set_encrypted(configured_bool(planned, "encrypted"))
            .set_kms_key_id(configured_str(planned, "kms_key_id"))
            .set_snapshot_id(configured_str(planned, "snapshot_id"))
            .set_multi_attach_enabled(configured_bool(planned, "multi_attach_enabled"))
            .set_tag_specifications(
                tag_specification(ResourceType::Volume, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("CreateVolume", &format!("a volume in {zone}"), &e))?;
        let id = created.volume_id().unwrap_or_default().to_string();
        wait_usable(c, &id).await?;
        describe_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let changed = |name: &str| {
            let wanted = attr(planned, name);
            wanted.is_known() && !wanted.is_null() && wanted != attr(prior, name)
        };
        if ["size", "type", "iops", "throughput", "multi_attach_enabled"].into_iter().any(changed) {
            // ModifyVolume changes what it is given: send only what differs.
            let changed_i32 = |name: &str| if changed(name) { int32(planned, name) } else { Ok(None) };
            let changed_str = |name: &str| changed(name).then(|| configured_str(planned, name)).flatten();
            c.ec2
                .modify_volume()
                .volume_id(&id)
                .set_size(changed_i32("size")?)
                .set_volume_type(changed_str("type").map(|t| VolumeType::from(t.as_str())))
                .set_iops(changed_i32("iops")?)
                .set_throughput(changed_i32("throughput")?)
                .set_multi_attach_enabled(
                    changed("multi_attach_enabled").then(|| configured_bool(planned, "multi_attach_enabled")).flatten(),
                )
                .send()
                .await
                .map_err(|e| aws_error("ModifyVolume", &id, &e))?;
            wait_usable(c, &id).await?;
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        if bool_attr(prior, "final_snapshot")? == Some(true) {
            final_snapshot(c, &id, &attr(prior, "tags_all")).await?;
        }
        delete_while_busy("DeleteVolume", &id, "VolumeInUse", DETACH_BUDGET, || {
            c.ec2.delete_volume().volume_id(&id).send()
        })
        .await
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe_by(c, "volume-id", &ids).await?;
        let account = account_id(c).await?;
        Ok(ids
            .iter()
            .zip(priors)
            .map(|(id, prior)| found.get(id).filter(|v| !gone(v)).map(|v| volume_value(c, &account, v, prior)))
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe_by(c, "volume-id", &[id.to_string()]).await?;
        let account = account_id(c).await?;
        Ok(found.get(id).filter(|v| !gone(v)).map(|v| volume_value(c, &account, v, &Value::null(Type::Any))))
    }
}

/// A number attribute as the SDK's i32 (sizes in GiB, IOPS, MiB/s); `None` when it is left to
/// AWS (null, or unknown because it is also computed).
fn int32(value: &Value, name: &str) -> Result<Option<i32>, Diagnostic> {
    if !attr(value, name).is_known() {
        return Ok(None);
    }
    int_attr(value, name)?
        .map(|n| {
            i32::try_from(n).map_err(|_| {
                Diagnostic::error(format!("Invalid value for {name:?}"), format!("{n} is out of range for {name:?}."))
            })
        })
        .transpose()
}

/// Whether a described volume is on its way out (deleting) or gone (error): not there any more.
fn gone(v: &Volume) -> bool {
    matches!(v.state(), Some(VolumeState::Deleting | VolumeState::Deleted | VolumeState::Error))
}

/// Waits until the volume can be attached: `available` (or `in-use`, when it is already
/// attached), polling every second, as terraform-provider-aws's waiter does.
async fn wait_usable(c: &Clients, id: &str) -> Result<(), Diagnostic> {
    let deadline = tokio::time::Instant::now() + READY_BUDGET;
    loop {
        let found = describe_by(c, "volume-id", &[id.to_string()]).await?;
        match found.get(id).and_then(Volume::state) {
            Some(VolumeState::Available | VolumeState::InUse) => return Ok(()),
            Some(VolumeState::Error) => {
                return Err(Diagnostic::error(
                    "Volume failed",
                    format!(
                        "{id} is in state \"error\": AWS could not create or change it. Delete it and apply again."
                    ),
                ));
            }
            _ if tokio::time::Instant::now() >= deadline => {
                return Err(Diagnostic::error(
                    "Timed out waiting for a volume",
                    format!("{id} was not available after {}s.", READY_BUDGET.as_secs()),
                ));
            }
            _ => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// The snapshot `final_snapshot = true` asks for before the volume goes, tagged as it was.
async fn final_snapshot(c: &Clients, id: &str, tags_all: &Value) -> Result<(), Diagnostic> {
    c.ec2
        .create_snapshot()
        .volume_id(id)
        .description(format!("Final snapshot of {id}, taken by slipway before deleting it"))
        .set_tag_specifications(tag_specification(ResourceType::Snapshot, tags_all, "").map(|t| vec![t]))
        .send()
        .await
        .map_err(|e| aws_error("CreateSnapshot", id, &e))?;
    Ok(())
}

/// Volumes matching `filter` (`volume-id`, a tag), 200 values per filter, 500 per page.
async fn describe_by(c: &Clients, filter: &str, values: &[String]) -> Result<BTreeMap<String, Volume>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let mut pages = c.ec2.describe_volumes().filters(filter).max_results(500).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeVolumes", "refreshing volumes", &e))?;
            for volume in page.volumes() {
                if let Some(id) = volume.volume_id() {
                    out.insert(id.to_string(), volume.clone());
                }
            }
        }
    }
    Ok(out)
}

async fn describe_one(c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let account = account_id(c).await?;
    let found = crate::kit::eventually(|| async {
        let found = describe_by(c, "volume-id", &[id.to_string()]).await?;
        Ok(found.get(id).map(|v| volume_value(c, &account, v, planned)))
    })
    .await?;
    found.ok_or_else(|| Diagnostic::error("Volume vanished", format!("{id} was not found after it was changed.")))
}

fn volume_value(c: &Clients, account: &str, v: &Volume, prior: &Value) -> Value {
    let id = v.volume_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(v.tags()));
    let number = |n: Option<i32>| n.map(|n| Value::int(i64::from(n))).unwrap_or_else(|| Value::null(Type::Number));
    // Neither is something AWS reports: they are what the configuration asked for.
    let kept_bool = |name: &str| Value::bool(attr(prior, name).as_bool().unwrap_or(false));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("arn".into(), Value::string(format!("arn:aws:ec2:{}:{account}:volume/{id}", c.settings.region()))),
        ("availability_zone".into(), Value::string(v.availability_zone().unwrap_or_default())),
        ("size".into(), number(v.size())),
        ("type".into(), Value::string(v.volume_type().map(|t| t.as_str()).unwrap_or_default())),
        ("iops".into(), number(v.iops())),
        ("throughput".into(), number(v.throughput())),
        ("encrypted".into(), Value::bool(v.encrypted().unwrap_or(false))),
        ("kms_key_id".into(), Value::string(v.kms_key_id().unwrap_or_default())),
        ("snapshot_id".into(), Value::string(v.snapshot_id().unwrap_or_default())),
        ("multi_attach_enabled".into(), Value::bool(v.multi_attach_enabled().unwrap_or(false))),
        ("final_snapshot".into(), kept_bool("final_snapshot")),
        ("create_time".into(), date(v.create_time())),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
