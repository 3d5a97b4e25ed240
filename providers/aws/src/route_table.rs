//! `aws_route_table` with inline `route` blocks, `aws_route` (one route of a table) and
//! `aws_route_table_association` (a subnet or gateway using a table).

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_ec2::types::{Filter, ResourceType, Route, RouteOrigin, RouteTable};
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::kit::{
    Clients, aws_error, configured_str, eventually, from_tags, is_not_found, required_str, split_tags,
    tag_specification, update_tags,
};
use crate::resource::{FILTER_CHUNK, Resource, ids};

/// Where a route sends its traffic, as the `route` block and `aws_route` name it.
const TARGETS: [&str; 7] = [
    "gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "egress_only_gateway_id",
    "vpc_endpoint_id",
];

fn route_block() -> BlockSchema {
    let mut block = BlockSchema::new()
        .attribute("cidr_block", AttributeSchema::optional(Type::String))
        .attribute("ipv6_cidr_block", AttributeSchema::optional(Type::String));
    for name in TARGETS {
        block = block.attribute(name, AttributeSchema::optional(Type::String));
    }
    block
}

/// A route as the block's object: its destination and target, unset ones null.
fn route_value(route: &Route) -> Value {
    let mut entries: BTreeMap<String, Value> =
        route_block().attributes.keys().map(|k| (k.clone(), Value::null(Type::String))).collect();
    let mut set = |name: &str, v: Option<&str>| {
        if let Some(v) = v {
            entries.insert(name.into(), Value::string(v));
        }
    };
    set("cidr_block", route.destination_cidr_block());
    set("ipv6_cidr_block", route.destination_ipv6_cidr_block());
    set("gateway_id", route.gateway_id());
    set("nat_gateway_id", route.nat_gateway_id());
    set("network_interface_id", route.network_interface_id());
    set("transit_gateway_id", route.transit_gateway_id());
    set("vpc_peering_connection_id", route.vpc_peering_connection_id());
    set("egress_only_gateway_id", route.egress_only_internet_gateway_id());
    Value::object(entries)
}

/// The routes a table has that someone made: not the `local` one AWS gives every table, not
/// those a virtual private gateway propagates.
fn made_routes(table: &RouteTable) -> Vec<&Route> {
    table
        .routes()
        .iter()
        .filter(|r| r.origin() == Some(&RouteOrigin::CreateRoute) && r.gateway_id() != Some("local"))
        .collect()
}

async fn describe_tables(
    c: &Clients,
    filter: &str,
    values: &[String],
) -> Result<BTreeMap<String, RouteTable>, Diagnostic> {
    let mut out = BTreeMap::new();
    for chunk in values.chunks(FILTER_CHUNK) {
        let f = Filter::builder().name(filter).set_values(Some(chunk.to_vec())).build();
        let mut pages = c.ec2.describe_route_tables().filters(f).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| aws_error("DescribeRouteTables", "refreshing route tables", &e))?;
            for table in page.route_tables() {
                if let Some(id) = table.route_table_id() {
                    out.insert(id.to_string(), table.clone());
                }
            }
        }
    }
    Ok(out)
}

/// Creates one route from a `route` block's or an `aws_route`'s values.
async fn create_route(
    c: &Clients,
    table: &str,
    destination: (&str, &Value),
    targets: &Value,
) -> Result<(), Diagnostic> {
    let mut request = c.ec2.create_route().route_table_id(table);
    let (kind, value) = destination;
    let dest = value.as_str().unwrap_or_default().to_string();
    request = match kind {
        "ipv6" => request.destination_ipv6_cidr_block(&dest),
        _ => request.destination_cidr_block(&dest),
    };
    let t = |name: &str| configured_str(targets, name);
    request = request
        .set_gateway_id(t("gateway_id"))
        .set_nat_gateway_id(t("nat_gateway_id"))
        .set_network_interface_id(t("network_interface_id"))
        .set_transit_gateway_id(t("transit_gateway_id"))
        .set_vpc_peering_connection_id(t("vpc_peering_connection_id"))
        .set_egress_only_internet_gateway_id(t("egress_only_gateway_id"))
        .set_vpc_endpoint_id(t("vpc_endpoint_id"));
    request.send().await.map_err(|e| aws_error("CreateRoute", &format!("{dest} in {table}"), &e))?;
    Ok(())
}

async fn delete_route(c: &Clients, table: &str, route: &Value) -> Result<(), Diagnostic> {
    let mut request = c.ec2.delete_route().route_table_id(table);
    let (ipv4, ipv6) = (configured_str(route, "cidr_block"), configured_str(route, "ipv6_cidr_block"));
    request = request.set_destination_cidr_block(ipv4.clone()).set_destination_ipv6_cidr_block(ipv6.clone());
    match request.send().await {
        Err(e) if !is_not_found(&e) => {
            Err(aws_error("DeleteRoute", &format!("{} in {table}", ipv4.or(ipv6).unwrap_or_default()), &e))
        }
        _ => Ok(()),
    }
}

/// The destination of a route block: (`ipv4`|`ipv6`, CIDR).
fn destination(route: &Value) -> (&'static str, Value) {
    let v6 = attr(route, "ipv6_cidr_block");
    if v6.as_str().is_some() { ("ipv6", v6) } else { ("ipv4", attr(route, "cidr_block")) }
}

pub struct AwsRouteTable;

#[async_trait]
impl Resource for AwsRouteTable {
    fn type_name(&self) -> &'static str {
        "aws_route_table"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("vpc_id", AttributeSchema::required(Type::String).force_new())
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .block("route", Nesting::Set, route_block());
        for name in ["id", "arn", "owner_id"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    /// As in terraform-provider-aws, a table without `route` blocks leaves its routes to
    /// `aws_route` resources: the routes it has are kept, not removed.
    fn refine_plan(&self, request: &PlanRequest, _fresh: bool, planned: &mut BTreeMap<String, Value>) {
        let configured = attr(&request.config, "route");
        if let (Some(prior), true) = (&request.prior, configured.as_elements().is_some_and(<[Value]>::is_empty)) {
            planned.insert("route".into(), attr(prior, "route"));
        }
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        if let Some(filter) = crate::kit::owner_filter(owner)
            && let Some(table) = describe_tables(c, &filter, &[crate::kit::owner_pattern(owner)])
                .await?
                .into_values()
                .find(|o| crate::kit::owned_by(o.tags(), owner))
        {
            // A run that stopped before saving state made this table: carry on with it.
            return self.update(c, &table_value(c, &table, &Value::null(Type::Any)), planned).await;
        }
        let vpc_id = required_str(planned, "vpc_id")?;
        let created = c
            .ec2
            .create_route_table()
            .vpc_id(&vpc_id)
            .set_tag_specifications(
                tag_specification(ResourceType::RouteTable, &attr(planned, "tags_all"), owner).map(|t| vec![t]),
            )
            .send()
            .await
            .map_err(|e| aws_error("CreateRouteTable", &vpc_id, &e))?;
        let id = created.route_table().and_then(|t| t.route_table_id()).unwrap_or_default().to_string();
        for route in attr(planned, "route").as_elements().unwrap_or_default() {
            let (kind, dest) = destination(route);
            create_route(c, &id, (kind, &dest), route).await?;
        }
        self.describe_one(c, &id, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let before: Vec<Value> = attr(prior, "route").as_elements().unwrap_or_default().to_vec();
        let after: Vec<Value> = attr(planned, "route").as_elements().unwrap_or_default().to_vec();
        // Set semantics: a route that changed is a route removed and a route added.
        for old in before.iter().filter(|r| !after.iter().any(|n| n.same_known_value(r))) {
            delete_route(c, &id, old).await?;
        }
        for new in after.iter().filter(|r| !before.iter().any(|o| o.same_known_value(r))) {
            let (kind, dest) = destination(new);
            create_route(c, &id, (kind, &dest), new).await?;
        }
        update_tags(&c.ec2, &id, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        self.describe_one(c, &id, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        match c.ec2.delete_route_table().route_table_id(&id).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteRouteTable", &id, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let found = describe_tables(c, "route-table-id", &ids).await?;
        Ok(ids.iter().zip(priors).map(|(id, prior)| found.get(id).map(|t| table_value(c, t, prior))).collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let found = describe_tables(c, "route-table-id", &[id.to_string()]).await?;
        Ok(found.get(id).map(|t| table_value(c, t, &Value::null(Type::Any))))
    }
}

impl AwsRouteTable {
    async fn describe_one(&self, c: &Clients, id: &str, planned: &Value) -> Result<Value, Diagnostic> {
        let found = eventually(|| async {
            let found = describe_tables(c, "route-table-id", &[id.to_string()]).await?;
            Ok(found.get(id).map(|t| table_value(c, t, planned)))
        })
        .await?;
        found.ok_or_else(|| {
            Diagnostic::error("Route table vanished", format!("{id} was not found after it was changed."))
        })
    }
}

fn table_value(c: &Clients, t: &RouteTable, prior: &Value) -> Value {
    let id = t.route_table_id().unwrap_or_default();
    let owner = t.owner_id().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(prior, "tags"), &from_tags(t.tags()));
    let routes = made_routes(t).into_iter().map(route_value).collect();
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(id)),
        ("arn".into(), Value::string(format!("arn:aws:ec2:{}:{owner}:route-table/{id}", c.settings.region()))),
        ("owner_id".into(), Value::string(owner)),
        ("vpc_id".into(), Value::string(t.vpc_id().unwrap_or_default())),
        ("route".into(), Value::set(route_block().value_type(), routes)),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}

pub struct AwsRoute;

/// `aws_route`'s ID, as terraform-provider-aws's import takes it: `rtb-..._10.0.0.0/16`.
fn route_id(table: &str, destination: &str) -> String {
    format!("{table}_{destination}")
}

#[async_trait]
impl Resource for AwsRoute {
    fn type_name(&self) -> &'static str {
        "aws_route"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("route_table_id", AttributeSchema::required(Type::String).force_new())
            .attribute("destination_cidr_block", AttributeSchema::optional(Type::String).force_new())
            .attribute("destination_ipv6_cidr_block", AttributeSchema::optional(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String))
            .attribute("origin", AttributeSchema::computed(Type::String))
            .attribute("state", AttributeSchema::computed(Type::String));
        for name in TARGETS {
            block = block.attribute(name, AttributeSchema::optional(Type::String).force_new());
        }
        block
    }

    // Routes carry no tags: there is nothing to adopt by; AWS refuses a duplicate destination.
    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        let table = required_str(planned, "route_table_id")?;
        let (kind, dest) = match configured_str(planned, "destination_ipv6_cidr_block") {
            Some(v6) => ("ipv6", Value::string(v6)),
            None => ("ipv4", attr(planned, "destination_cidr_block")),
        };
        create_route(c, &table, (kind, &dest), planned).await?;
        let id = route_id(&table, dest.as_str().unwrap_or_default());
        let found = eventually(|| async {
            Ok(self.read_batch(c, std::slice::from_ref(&with_id(planned, &id))).await?.pop().flatten())
        })
        .await?;
        found.ok_or_else(|| Diagnostic::error("Route vanished", format!("{id} was not found after it was created.")))
    }

    async fn update(&self, c: &Clients, prior: &Value, _planned: &Value) -> Result<Value, Diagnostic> {
        // Every argument forces replacement: nothing changes in place, the route is as it is.
        let current = self.read_batch(c, std::slice::from_ref(prior)).await?.pop().flatten();
        current.ok_or_else(|| Diagnostic::error("Route vanished", "The route was not found.".to_string()))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let table = required_str(prior, "route_table_id")?;
        let route = Value::object(BTreeMap::from([
            ("cidr_block".to_string(), attr(prior, "destination_cidr_block")),
            ("ipv6_cidr_block".to_string(), attr(prior, "destination_ipv6_cidr_block")),
        ]));
        delete_route(c, &table, &route).await
    }

    /// One DescribeRouteTables per 200 route tables the routes are in, whatever their number.
    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let tables: BTreeSet<String> = priors.iter().filter_map(|p| configured_str(p, "route_table_id")).collect();
        let found = describe_tables(c, "route-table-id", &tables.into_iter().collect::<Vec<_>>()).await?;
        Ok(priors
            .iter()
            .map(|prior| {
                let table = found.get(&configured_str(prior, "route_table_id")?)?;
                let v4 = configured_str(prior, "destination_cidr_block");
                let v6 = configured_str(prior, "destination_ipv6_cidr_block");
                let route = table.routes().iter().find(|r| {
                    (v4.is_some() && r.destination_cidr_block() == v4.as_deref())
                        || (v6.is_some() && r.destination_ipv6_cidr_block() == v6.as_deref())
                })?;
                Some(aws_route_value(table.route_table_id().unwrap_or_default(), route))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let Some((table, dest)) = id.split_once('_') else {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("An aws_route is imported as ROUTETABLEID_DESTINATION, e.g. rtb-0a1b2c_0.0.0.0/0; got {id:?}."),
            ));
        };
        let key = if dest.contains(':') { "destination_ipv6_cidr_block" } else { "destination_cidr_block" };
        let probe = Value::object(BTreeMap::from([
            ("route_table_id".to_string(), Value::string(table)),
            (key.to_string(), Value::string(dest)),
        ]));
        Ok(self.read_batch(c, &[probe]).await?.pop().flatten())
    }
}

fn with_id(value: &Value, id: &str) -> Value {
    let mut entries = value.as_entries().cloned().unwrap_or_default();
    entries.insert("id".into(), Value::string(id));
    Value::object(entries)
}

fn aws_route_value(table: &str, route: &Route) -> Value {
    let block = route_value(route);
    let dest = route.destination_cidr_block().or(route.destination_ipv6_cidr_block()).unwrap_or_default();
    let mut entries: BTreeMap<String, Value> = TARGETS.iter().map(|t| ((*t).to_string(), attr(&block, t))).collect();
    entries.insert("route_table_id".into(), Value::string(table));
    entries.insert("destination_cidr_block".into(), attr(&block, "cidr_block"));
    entries.insert("destination_ipv6_cidr_block".into(), attr(&block, "ipv6_cidr_block"));
    entries.insert("id".into(), Value::string(route_id(table, dest)));
    entries.insert("origin".into(), Value::string(route.origin().map(|o| o.as_str()).unwrap_or_default()));
    entries.insert("state".into(), Value::string(route.state().map(|s| s.as_str()).unwrap_or_default()));
    Value::object(entries)
}

pub struct AwsRouteTableAssociation;

#[async_trait]
impl Resource for AwsRouteTableAssociation {
    fn type_name(&self) -> &'static str {
        "aws_route_table_association"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("route_table_id", AttributeSchema::required(Type::String))
            .attribute("subnet_id", AttributeSchema::optional(Type::String).force_new())
            .attribute("gateway_id", AttributeSchema::optional(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String))
    }

    // Associations carry no tags; AWS refuses a second association of the same subnet.
    async fn create(&self, c: &Clients, planned: &Value, _owner: &str) -> Result<Value, Diagnostic> {
        let table = required_str(planned, "route_table_id")?;
        let out = c
            .ec2
            .associate_route_table()
            .route_table_id(&table)
            .set_subnet_id(configured_str(planned, "subnet_id"))
            .set_gateway_id(configured_str(planned, "gateway_id"))
            .send()
            .await
            .map_err(|e| aws_error("AssociateRouteTable", &table, &e))?;
        let id = out.association_id().unwrap_or_default().to_string();
        Ok(with_id(planned, &id))
    }

    /// A new table for the same subnet: one ReplaceRouteTableAssociation, which gives a new ID.
    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let id = required_str(prior, "id")?;
        let table = required_str(planned, "route_table_id")?;
        let out = c
            .ec2
            .replace_route_table_association()
            .association_id(&id)
            .route_table_id(&table)
            .send()
            .await
            .map_err(|e| aws_error("ReplaceRouteTableAssociation", &id, &e))?;
        Ok(with_id(planned, out.new_association_id().unwrap_or(&id)))
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let id = required_str(prior, "id")?;
        match c.ec2.disassociate_route_table().association_id(&id).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DisassociateRouteTable", &id, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let ids = ids(priors);
        let tables = describe_tables(c, "association.route-table-association-id", &ids).await?;
        let mut found = BTreeMap::new();
        for table in tables.values() {
            for a in table.associations() {
                if let Some(id) = a.route_table_association_id() {
                    found.insert(id.to_string(), association_value(a));
                }
            }
        }
        Ok(ids.iter().map(|id| found.get(id).cloned()).collect())
    }

    /// Imported as terraform-provider-aws does: `SUBNETID/ROUTETABLEID`.
    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let Some((target, table)) = id.split_once('/') else {
            return Err(Diagnostic::error(
                "Invalid import ID",
                format!("An aws_route_table_association is imported as SUBNETID/ROUTETABLEID; got {id:?}."),
            ));
        };
        let tables = describe_tables(c, "route-table-id", &[table.to_string()]).await?;
        Ok(tables.get(table).and_then(|t| {
            t.associations()
                .iter()
                .find(|a| a.subnet_id() == Some(target) || a.gateway_id() == Some(target))
                .map(association_value)
        }))
    }
}

fn association_value(a: &aws_sdk_ec2::types::RouteTableAssociation) -> Value {
    let opt = |v: Option<&str>| v.map(Value::string).unwrap_or_else(|| Value::null(Type::String));
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(a.route_table_association_id().unwrap_or_default())),
        ("route_table_id".into(), Value::string(a.route_table_id().unwrap_or_default())),
        ("subnet_id".into(), opt(a.subnet_id())),
        ("gateway_id".into(), opt(a.gateway_id())),
    ]))
}
