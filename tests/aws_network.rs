//! The aws provider end to end, through the real binary against the local AWS (moto): a VPC
//! with subnets in three zones and an internet gateway is applied and read back through the
//! SDK; a second plan shows no changes; a tag changed behind slipway's back shows as drift and is
//! put back; a VPC made outside slipway is imported; destroy leaves nothing behind.

#![allow(clippy::disallowed_methods)]

mod support;

use support::slipway;

use support::moto::Moto;
use support::rt;

const NETWORK: &str = r#"
data "aws_availability_zones" "available" {
  state = "available"
}

data "aws_caller_identity" "me" {}

resource "aws_vpc" "main" {
  cidr_block           = "10.20.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name = "demo"
  }
}

resource "aws_subnet" "public" {
  count                   = 3
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(aws_vpc.main.cidr_block, 4, count.index)
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  map_public_ip_on_launch = true
  tags = {
    Name = "public-${count.index}"
  }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "public" {
  count          = 3
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_route_table" "private" {
  vpc_id = aws_vpc.main.id
}

resource "aws_eip" "nat" {
  domain = "vpc"
  tags = {
    Name = "nat"
  }
}

resource "aws_route" "peer" {
  route_table_id         = aws_route_table.private.id
  destination_cidr_block = "10.99.0.0/16"
  gateway_id             = aws_internet_gateway.gw.id
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "account" {
  value = data.aws_caller_identity.me.account_id
}
"#;

#[test]
fn a_network_is_created_read_back_kept_converged_and_destroyed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), format!("{}{NETWORK}", moto.provider_block())).expect("write");

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 12 added"), "{out}");
    let (code, vpc_id) = slipway(d, &["output", "-raw", "vpc_id"]);
    assert_eq!(code, 0);

    // Read back through the SDK, as any AWS user would see it.
    let ec2 = moto.ec2();
    let rt = rt();
    let vpcs = rt.block_on(ec2.describe_vpcs().vpc_ids(&vpc_id).send()).expect("describe vpcs");
    let vpc = &vpcs.vpcs()[0];
    assert_eq!(vpc.cidr_block(), Some("10.20.0.0/16"));
    let tag = |tags: &[aws_sdk_ec2::types::Tag], key: &str| {
        tags.iter().find(|t| t.key() == Some(key)).and_then(|t| t.value()).map(str::to_string)
    };
    assert_eq!(tag(vpc.tags(), "Name").as_deref(), Some("demo"));
    assert_eq!(tag(vpc.tags(), "ManagedBy").as_deref(), Some("slipway"), "default_tags applied at creation");
    let hostnames = rt
        .block_on(
            ec2.describe_vpc_attribute()
                .vpc_id(&vpc_id)
                .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
                .send(),
        )
        .expect("attribute");
    assert_eq!(hostnames.enable_dns_hostnames().and_then(|a| a.value()), Some(true));
    let subnets = rt
        .block_on(
            ec2.describe_subnets()
                .filters(aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&vpc_id).build())
                .send(),
        )
        .expect("subnets");
    let mut cidrs: Vec<&str> = subnets.subnets().iter().filter_map(|s| s.cidr_block()).collect();
    cidrs.sort();
    assert_eq!(cidrs, ["10.20.0.0/20", "10.20.16.0/20", "10.20.32.0/20"]);
    let zones: std::collections::BTreeSet<&str> =
        subnets.subnets().iter().filter_map(|s| s.availability_zone()).collect();
    assert_eq!(zones.len(), 3, "one subnet per zone");
    assert!(subnets.subnets().iter().all(|s| s.map_public_ip_on_launch() == Some(true)));
    let gateways = rt
        .block_on(
            ec2.describe_internet_gateways()
                .filters(aws_sdk_ec2::types::Filter::builder().name("attachment.vpc-id").values(&vpc_id).build())
                .send(),
        )
        .expect("gateways");
    assert_eq!(gateways.internet_gateways().len(), 1);
    let igw = gateways.internet_gateways()[0].internet_gateway_id().expect("igw id").to_string();
    let tables = rt
        .block_on(
            ec2.describe_route_tables()
                .filters(aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&vpc_id).build())
                .send(),
        )
        .expect("route tables");
    let routes_to_igw: Vec<(Option<&str>, usize)> = tables
        .route_tables()
        .iter()
        .flat_map(|t| {
            let associated = t.associations().iter().filter(|a| a.subnet_id().is_some()).count();
            t.routes()
                .iter()
                .filter(|r| r.gateway_id() == Some(igw.as_str()))
                .map(move |r| (r.destination_cidr_block(), associated))
        })
        .collect();
    assert!(
        routes_to_igw.contains(&(Some("0.0.0.0/0"), 3)),
        "public table routes out and has 3 subnets: {routes_to_igw:?}"
    );
    assert!(routes_to_igw.contains(&(Some("10.99.0.0/16"), 0)), "aws_route in the private table: {routes_to_igw:?}");

    let addresses = rt.block_on(ec2.describe_addresses().send()).expect("addresses");
    assert_eq!(addresses.addresses().len(), 1);
    assert_eq!(tag(addresses.addresses()[0].tags(), "Name").as_deref(), Some("nat"));

    // Idempotence.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // Drift: a tag changed outside slipway shows in the next plan and is put back.
    rt.block_on(
        ec2.create_tags()
            .resources(&vpc_id)
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("renamed").build())
            .send(),
    )
    .expect("tag");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_vpc.main has changed") && out.contains("aws_vpc.main will be updated in-place"), "{out}");
    assert!(out.contains(r#"~ "Name" = "renamed" -> "demo""#), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let vpcs = rt.block_on(ec2.describe_vpcs().vpc_ids(&vpc_id).send()).expect("describe");
    assert_eq!(tag(vpcs.vpcs()[0].tags(), "Name").as_deref(), Some("demo"));

    // A route deleted outside slipway is put back in place; a route table deleted outside
    // slipway is created again, with what depends on it.
    let public = tables
        .route_tables()
        .iter()
        .find(|t| t.routes().iter().any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")))
        .and_then(|t| t.route_table_id())
        .expect("public table")
        .to_string();
    rt.block_on(ec2.delete_route().route_table_id(&public).destination_cidr_block("0.0.0.0/0").send())
        .expect("delete route");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_route_table.public will be updated in-place"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 1 changed, 0 destroyed."), "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");

    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 12 destroyed."), "{out}");
    let addresses = rt.block_on(ec2.describe_addresses().send()).expect("addresses");
    assert!(addresses.addresses().is_empty(), "the Elastic IP was released");
    let left = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(aws_sdk_ec2::types::Filter::builder().name("tag:ManagedBy").values("slipway").build())
                .send(),
        )
        .expect("describe");
    assert!(left.vpcs().is_empty(), "nothing tagged by slipway is left");
}

#[test]
fn an_existing_vpc_is_imported_and_then_managed() {
    let moto = Moto::start();
    let id = moto.create_vpc("10.99.0.0/16", &[("Name", "legacy")]);
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = "resource \"aws_vpc\" \"legacy\" {\n  cidr_block = \"10.99.0.0/16\"\n  tags = {\n    Name      = \"legacy\"\n    ManagedBy = \"slipway\"\n  }\n}\n";
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");

    let (code, out) = slipway(d, &["import", "aws_vpc.legacy", &id]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Import successful!"), "{out}");
    let (code, out) = slipway(d, &["state", "show", "aws_vpc.legacy"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&id) && out.contains("10.99.0.0/16"), "{out}");
    // The configuration adds one tag, which default_tags also sets: an in-place update, no replace.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("will be updated in-place") && !out.contains("must be replaced"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn data_sources_find_what_exists() {
    let moto = Moto::start();
    let ec2 = moto.ec2();
    let rt = rt();
    let vpc_id = moto.create_vpc("10.50.0.0/16", &[("Name", "shared")]);
    for cidr in ["10.50.1.0/24", "10.50.2.0/24"] {
        rt.block_on(ec2.create_subnet().vpc_id(&vpc_id).cidr_block(cidr).send()).expect("subnet");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = r#"
data "aws_vpc" "shared" {
  tags = {
    Name = "shared"
  }
}

data "aws_subnets" "shared" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.shared.id]
  }
}

data "aws_ami" "amazon_linux" {
  owners      = ["amazon"]
  most_recent = true
  name_regex  = "^amzn2-ami-.*"
}

data "aws_region" "here" {}

output "vpc" {
  value = [data.aws_vpc.shared.id, data.aws_vpc.shared.cidr_block]
}

output "subnets" {
  value = length(data.aws_subnets.shared.ids)
}

output "ami" {
  value = startswith(data.aws_ami.amazon_linux.name, "amzn2-ami-")
}

output "region" {
  value = data.aws_region.here.name
}
"#;
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["output", "-json"]);
    assert_eq!(code, 0, "{out}");
    let outputs: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(outputs["vpc"]["value"], serde_json::json!([vpc_id, "10.50.0.0/16"]));
    assert_eq!(outputs["subnets"]["value"], serde_json::json!(2));
    assert_eq!(outputs["ami"]["value"], serde_json::json!(true));
    assert_eq!(outputs["region"]["value"], serde_json::json!("us-east-1"));

    // A data source that matches nothing is an error naming it.
    std::fs::write(
        d.join("main.tf"),
        format!(
            "{}data \"aws_vpc\" \"none\" {{\n  tags = {{\n    Name = \"missing\"\n  }}\n}}\n",
            moto.provider_block()
        ),
    )
    .expect("write");
    let (code, out) = slipway(d, &["plan"]);
    assert_eq!(code, 1);
    assert!(out.contains("no matching VPC found") && out.contains("main.tf"), "{out}");
}

/// A run that created a VPC and stopped before it could save state: the VPC carries the owner
/// tag of that run's plan, and applying the plan again adopts it instead of making a second one.
#[test]
fn an_object_created_by_a_run_that_stopped_is_adopted_not_created_twice() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config =
        "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.77.0.0/16\"\n  tags = {\n    Name = \"once\"\n  }\n}\n";
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    let (code, out) = slipway(d, &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("tfplan")).expect("plan file")).expect("plan is JSON");
    let owner = format!("{}/{}/aws_vpc.main", plan["prior_lineage"].as_str().expect("lineage"), plan["prior_serial"]);

    // What the stopped run left behind: the VPC, tagged at creation, and no state.
    let ec2 = moto.ec2();
    let rt = rt();
    let id = moto.create_vpc("10.77.0.0/16", &[("slipway:owner", owner.as_str())]);

    let (code, out) = slipway(d, &["apply", "tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("[id={id}]")), "the VPC left behind was adopted: {out}");
    let vpcs = rt
        .block_on(
            ec2.describe_vpcs()
                .filters(aws_sdk_ec2::types::Filter::builder().name("cidr").values("10.77.0.0/16").build())
                .send(),
        )
        .expect("describe");
    assert_eq!(vpcs.vpcs().len(), 1, "never created twice");
    let names: Vec<&str> =
        vpcs.vpcs()[0].tags().iter().filter(|t| t.key() == Some("Name")).filter_map(|t| t.value()).collect();
    assert_eq!(names, ["once"], "and brought to the configuration");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged, the owner tag hidden from the plan: {out}");
}
