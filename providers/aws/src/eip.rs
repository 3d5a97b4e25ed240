//! `aws_eip`: an Elastic IP address in a VPC, optionally associated with an instance or a
//! network interface (moved between them in place).

use std::collections::BTreeMap;

use async_trait::async_trait;
use aws_sdk_ec2::types::{Address, DomainType, Filter, ResourceType};
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, aws_error, configured_str, eventually, from_tags, is_not_found, owner_filter, required_str, split_tags,
    tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

pub struct AwsEip;

const COMPUTED: [&str; 7] =
    ["id", "allocation_id", "association_id", "public_ip", "private_ip", "public_dns", "private_dns"];

#[async_trait]
impl Resource for AwsEip {
    fn type_name(&self) -> &'static str {
        "aws_eip"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("domain", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("instance", AttributeSchema::optional_computed(Type::String))
            .attribute("network_interface", AttributeSchema::optional_computed(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)));
        for name in COMPUTED {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn defaults(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([("domain", Value::string("vpc"))])
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let adopted = match owner_filter(owner) {
            Some(filter) => describe_by(c, &filter, &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|o| crate::kit::owned_by(o.tags(), owner)),
            None => None,
        };
        let id = match adopted {
            // A run that stopped before saving state allocated this address: carry on with it.
            Some(address) => address.allocation_id().unwrap_or_default().to_string(),
            None => c
                .ec2
                .allocate_address()
                .domain(DomainType::Vpc)
                .set_tag_specifications(
                    tag_specification(ResourceType::ElasticIp, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
                )
                .send()
                .await
                .map_err(|e| aws_error("AllocateAddress", "aws_eip", &e))?
                .allocation_id()
                .unwrap_or_default()
                .to_string(),
        };
        associate(c, &id, planned).await?;
        describe_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let target = |v: &Value| (configured_str(v, "instance"), configured_str(v, "network_interface"));
        if target(prior) != target(planned) {
            disassociate(c, prior).await?;
            associate(c, &id, planned).await?;
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        disassociate(c, prior).await?;
        match c.ec2.release_address().allocation_id(&id).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("ReleaseAddress", &id, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe_by(c, "allocation-id", &ids).await?;
        Ok(ids.iter().zip(priors).map(|(id, prior)| found.get(id).map(|a| address_value(c, a, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe_by(c, "allocation-id", &[id.to_string()]).await?;
        Ok(found.get(id).map(|a| address_value(c, a, &Value::null(Type::Any))))
    }
}

async fn associate(c: &Clients, id: &str, planned: &Value) -> Result<(), Diagnostic> {
    let (instance, interface) = (configured_str(planned, "instance"), configured_str(planned, "network_interface"));
    if instance.is_none() && interface.is_none() {
        return Ok(());
    }
    c.ec2
        .associate_address()
        .allocation_id(id)
        .set_instance_id(instance)
        .set_network_interface_id(interface)
        .send()
        .await
        .map_err(|e| aws_error("AssociateAddress", id, &e))?;
    Ok(())
}

async fn disassociate(c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
    let Some(association) = configured_str(prior, "association_id").filter(|a| !a.is_empty()) else { return Ok(()) };
    match c.ec2.disassociate_address().association_id(&association).send().await {
        Err(e) if !is_not_found(&e) => Err(aws_error("DisassociateAddress", &association, &e)),
        _ => Ok(()),
    }
}

/// Addresses matching `filter` (`allocation-id`, a tag), 200 values per call.
async fn describe_by(c: &Clients, filter: &str, values: &[String]) -> Result<BTreeMap<String, Address>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let filter = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let page = c
            .ec2
            .describe_addresses()
            .filters(filter)
            .send()
            .await
            .map_err(|e| aws_error("DescribeAddresses", "refreshing Elastic IPs", &e))?;
        for address in page.addresses() {
            if let Some(id) = address.allocation_id() {
                out.insert(id.to_string(), address.clone());
            }
        }
    }
    Ok(out)
}

async fn describe_one(c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = eventually(|| async {
        let found = describe_by(c, "allocation-id", &[id.to_string()]).await?;
        Ok(found.get(id).map(|a| address_value(c, a, planned)))
    })
    .await?;
    found.ok_or_else(|| Diagnostic::error("Elastic IP vanished", format!("{id} was not found after it was changed.")))
}

fn address_value(c: &Clients, a: &Address, prior: &Value) -> Value {
    let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(a.tags()));
    let public_ip = a.public_ip().unwrap_or_default();
    Value::object(BTreeMap::from([
        ("id".into(), s(a.allocation_id())),
        ("allocation_id".into(), s(a.allocation_id())),
        ("association_id".into(), s(a.association_id())),
        ("domain".into(), s(a.domain().map(|d| d.as_str()))),
        ("instance".into(), s(a.instance_id())),
        ("network_interface".into(), s(a.network_interface_id())),
        ("public_ip".into(), Value::string(public_ip)),
        ("private_ip".into(), s(a.private_ip_address())),
        ("public_dns".into(), Value::string(dns_name("ec2", public_ip, &c.settings.region(), false))),
        (
            "private_dns".into(),
            Value::string(dns_name("ip", a.private_ip_address().unwrap_or_default(), &c.settings.region(), true)),
        ),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}

/// The DNS names AWS gives an address: `ec2-1-2-3-4.compute-1.amazonaws.com` and
/// `ip-10-0-0-1.ec2.internal` in us-east-1, `....REGION.compute.amazonaws.com` (`.internal`)
/// elsewhere; empty without an address.
fn dns_name(prefix: &str, ip: &str, region: &str, private: bool) -> String {
    if ip.is_empty() {
        return String::new();
    }
    let host = format!("{prefix}-{}", ip.replace('.', "-"));
    match (region, private) {
        ("us-east-1", false) => format!("{host}.compute-1.amazonaws.com"),
        ("us-east-1", true) => format!("{host}.ec2.internal"),
        (_, false) => format!("{host}.{region}.compute.amazonaws.com"),
        (_, true) => format!("{host}.{region}.compute.internal"),
    }
}
