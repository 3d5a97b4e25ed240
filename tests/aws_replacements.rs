//! Force-new attributes replace, for every aws resource type that has one: a configuration of
//! each type is applied, then one force-new attribute of each is changed. The plan names every
//! replacement with the attribute that forces it, apply makes new objects (new IDs) and removes
//! the old ones (read back through the SDK), and a second plan shows no changes.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use support::moto::Moto;
use support::rt;
use support::slipway;

const PUBLIC_KEYS: [&str; 2] = [
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea one@example",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJoIOFZ+Dt+chFKebPOTS0n/gwdjqolUDxR5PMSgzqo5 two@example",
];

fn config(moto: &Moto, v: usize) -> String {
    let (cidr, subnet, dest, sg, lt, ami, lb_internal, asg) = if v == 0 {
        ("10.70.0.0/16", "10.71.1.0/24", "10.99.0.0/16", "one", "lt-one", "ami-1e749f67", "true", "nodes-one")
    } else {
        ("10.72.0.0/16", "10.71.2.0/24", "10.98.0.0/16", "two", "lt-two", "ami-2e749f67", "false", "nodes-two")
    };
    let key = PUBLIC_KEYS[v];
    format!(
        r#"{provider}
resource "aws_vpc" "standalone" {{
  cidr_block = "{cidr}"
}}

resource "aws_vpc" "main" {{
  cidr_block = "10.71.0.0/16"
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "{subnet}"
  availability_zone = "us-east-1a"
}}

resource "aws_subnet" "b" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.71.9.0/24"
  availability_zone = "us-east-1b"
}}

resource "aws_internet_gateway" "gw" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route_table" "rt" {{
  vpc_id = aws_vpc.main.id
}}

resource "aws_route" "out" {{
  route_table_id         = aws_route_table.rt.id
  destination_cidr_block = "{dest}"
  gateway_id             = aws_internet_gateway.gw.id
}}

resource "aws_route_table_association" "a" {{
  subnet_id      = aws_subnet.a.id
  route_table_id = aws_route_table.rt.id
}}

resource "aws_security_group" "sg" {{
  name   = "{sg}"
  vpc_id = aws_vpc.main.id
}}

resource "aws_vpc_security_group_ingress_rule" "ssh" {{
  security_group_id = aws_security_group.sg.id
  cidr_ipv4         = "0.0.0.0/0"
  from_port         = 22
  to_port           = 22
  ip_protocol       = "tcp"
}}

resource "aws_key_pair" "k" {{
  key_name   = "key-{sg}"
  public_key = "{key}"
}}

resource "aws_instance" "i" {{
  ami           = "{ami}"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.b.id
}}

resource "aws_launch_template" "lt" {{
  name          = "{lt}"
  image_id      = "ami-1e749f67"
  instance_type = "t3.micro"
}}

resource "aws_lb" "lb" {{
  name               = "lb-{sg}"
  load_balancer_type = "network"
  internal           = {lb_internal}
  subnets            = [aws_subnet.b.id]
}}

resource "aws_lb_target_group" "tg" {{
  name     = "tg-{sg}"
  port     = 6443
  protocol = "TCP"
  vpc_id   = aws_vpc.main.id
}}

resource "aws_lb_listener" "l" {{
  load_balancer_arn = aws_lb.lb.arn
  port              = 6443
  protocol          = "TCP"
  default_action {{
    type             = "forward"
    target_group_arn = aws_lb_target_group.tg.arn
  }}
}}

resource "aws_autoscaling_group" "g" {{
  name                = "{asg}"
  min_size            = 0
  max_size            = 1
  desired_capacity    = 0
  vpc_zone_identifier = [aws_subnet.b.id]
  launch_template {{
    id      = aws_launch_template.lt.id
    version = "$Latest"
  }}
}}

output "ids" {{
  value = {{
    vpc      = aws_vpc.standalone.id
    subnet   = aws_subnet.a.id
    route    = aws_route.out.id
    assoc    = aws_route_table_association.a.id
    sg       = aws_security_group.sg.id
    rule     = aws_vpc_security_group_ingress_rule.ssh.id
    key      = aws_key_pair.k.id
    instance = aws_instance.i.id
    lt       = aws_launch_template.lt.id
    lb       = aws_lb.lb.arn
    listener = aws_lb_listener.l.arn
    asg      = aws_autoscaling_group.g.id
  }}
}}
"#,
        provider = moto.provider_block()
    )
}

fn ids(dir: &Path) -> BTreeMap<String, String> {
    let (code, out) = slipway(dir, &["output", "-json", "ids"]);
    assert_eq!(code, 0, "{out}");
    serde_json::from_str(&out).expect("ids as JSON")
}

#[test]
fn every_force_new_attribute_replaces_its_object() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), config(&moto, 0)).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let before = ids(d);

    std::fs::write(d.join("main.tf"), config(&moto, 1)).expect("write");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    for (address, attribute) in [
        ("aws_vpc.standalone", "cidr_block"),
        ("aws_subnet.a", "cidr_block"),
        ("aws_route.out", "destination_cidr_block"),
        ("aws_route_table_association.a", "subnet_id"),
        ("aws_security_group.sg", "name"),
        ("aws_vpc_security_group_ingress_rule.ssh", "security_group_id"),
        ("aws_key_pair.k", "key_name"),
        ("aws_instance.i", "ami"),
        ("aws_launch_template.lt", "name"),
        ("aws_lb.lb", "internal"),
        ("aws_lb_listener.l", "load_balancer_arn"),
        ("aws_autoscaling_group.g", "name"),
    ] {
        assert!(out.contains(&format!("# {address} must be replaced")), "{address} is replaced: {out}");
        let block = out.split(&format!("# {address} must be replaced")).nth(1).unwrap_or_default();
        let block = block.split("\n\n").next().unwrap_or_default();
        assert!(
            block.lines().any(|l| l.contains(attribute) && l.contains("# forces replacement")),
            "{address}: {attribute} forces it:\n{block}"
        );
    }
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let after = ids(d);
    for (name, old) in &before {
        assert_ne!(after.get(name), Some(old), "{name} is a new object");
    }

    // The old objects are gone, as other AWS users see it.
    let rt = rt();
    let ec2 = moto.ec2();
    let vpc = rt.block_on(
        ec2.describe_vpcs()
            .filters(aws_sdk_ec2::types::Filter::builder().name("vpc-id").values(&before["vpc"]).build())
            .send(),
    );
    assert!(vpc.expect("describe").vpcs().is_empty(), "old VPC deleted");
    let groups = rt.block_on(
        ec2.describe_security_groups()
            .filters(aws_sdk_ec2::types::Filter::builder().name("group-id").values(&before["sg"]).build())
            .send(),
    );
    assert!(groups.expect("describe").security_groups().is_empty(), "old security group deleted");
    let keys = rt.block_on(ec2.describe_key_pairs().send()).expect("keys");
    let names: Vec<&str> = keys.key_pairs().iter().filter_map(|k| k.key_name()).collect();
    assert_eq!(names, ["key-two"], "old key pair deleted");
    let old = rt.block_on(ec2.describe_instances().instance_ids(&before["instance"]).send()).expect("instance");
    let state = old.reservations()[0].instances()[0].state().and_then(|s| s.name()).map(|n| n.as_str().to_string());
    assert_eq!(state.as_deref(), Some("terminated"), "old instance terminated");
    let templates = rt.block_on(ec2.describe_launch_templates().send()).expect("templates");
    let names: Vec<&str> = templates.launch_templates().iter().filter_map(|t| t.launch_template_name()).collect();
    assert_eq!(names, ["lt-two"], "old launch template deleted");
    let lbs = rt.block_on(moto.elbv2().describe_load_balancers().send()).expect("lbs");
    let names: Vec<&str> = lbs.load_balancers().iter().filter_map(|l| l.load_balancer_name()).collect();
    assert_eq!(names, ["lb-two"], "old load balancer deleted");
    let groups = rt.block_on(moto.autoscaling().describe_auto_scaling_groups().send()).expect("asgs");
    let names: Vec<&str> = groups.auto_scaling_groups().iter().filter_map(|g| g.auto_scaling_group_name()).collect();
    assert_eq!(names, ["nodes-two"], "old group deleted");

    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged after the replacements: {out}");
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
}
