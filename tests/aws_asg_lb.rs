//! Auto Scaling groups and network load balancers end to end, through the real binary against
//! the local AWS (moto): the API server endpoint of an HA control plane (an internal NLB, a TCP
//! target group, a listener) in front of a node group (an Auto Scaling group from a launch
//! template made outside slipway) is applied and read back through the SDK; a second plan shows
//! no changes; a desired capacity and a listener port change in place; a target group port change
//! replaces the group and moves the listener and the node group to the new one; drift made
//! through the SDK (tags, a deleted listener) shows in the next plan and is put back; objects
//! made outside slipway are imported; a group left behind by a run that stopped is adopted;
//! destroy leaves nothing behind.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use aws_sdk_ec2::types::{InstanceType, RequestLaunchTemplateData};
use support::moto::Moto;
use support::rt;
use support::slipway;

fn output(dir: &Path, name: &str) -> String {
    let (code, value) = slipway(dir, &["output", "-raw", name]);
    assert_eq!(code, 0, "output {name}: {value}");
    value
}

/// A launch template made through the EC2 SDK (the `aws_launch_template` resource lands
/// separately); its ID.
fn launch_template(moto: &Moto, rt: &tokio::runtime::Runtime, name: &str) -> String {
    let data =
        RequestLaunchTemplateData::builder().image_id("ami-1e749f67").instance_type(InstanceType::T3Micro).build();
    let made = rt
        .block_on(moto.ec2().create_launch_template().launch_template_name(name).launch_template_data(data).send())
        .expect("create launch template");
    made.launch_template().and_then(|t| t.launch_template_id()).expect("template id").to_string()
}

const CLUSTER: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
}

resource "aws_subnet" "nodes" {
  count             = 2
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = ["us-east-1a", "us-east-1b"][count.index]
}

resource "aws_lb" "api" {
  name               = "api"
  load_balancer_type = "network"
  internal           = true
  subnets            = aws_subnet.nodes[*].id
  enable_cross_zone_load_balancing = true
  tags = {
    Name = "api"
  }
}

resource "aws_lb_target_group" "api" {
  name_prefix = "api-"
  port        = TG_PORT
  protocol    = "TCP"
  vpc_id      = aws_vpc.main.id

  health_check {
    protocol = "TCP"
    interval = 10
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "api" {
  load_balancer_arn = aws_lb.api.arn
  port              = LISTENER_PORT
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_autoscaling_group" "nodes" {
  name                = "nodes"
  min_size            = 1
  max_size            = 3
  desired_capacity    = DESIRED
  vpc_zone_identifier = aws_subnet.nodes[*].id
  target_group_arns   = [aws_lb_target_group.api.arn]
  health_check_type   = "EC2"

  launch_template {
    id      = "TEMPLATE_ID"
    version = "$Latest"
  }

  tag {
    key                 = "Name"
    value               = "node"
    propagate_at_launch = true
  }
}

output "lb_arn" {
  value = aws_lb.api.arn
}

output "lb_dns" {
  value = aws_lb.api.dns_name
}

output "tg_arn" {
  value = aws_lb_target_group.api.arn
}

output "listener_arn" {
  value = aws_lb_listener.api.arn
}

output "asg_arn" {
  value = aws_autoscaling_group.nodes.arn
}
"#;

fn config(moto: &Moto, template: &str, desired: u32, listener_port: u16, tg_port: u16) -> String {
    let body = CLUSTER
        .replace("TEMPLATE_ID", template)
        .replace("DESIRED", &desired.to_string())
        .replace("LISTENER_PORT", &listener_port.to_string())
        .replace("TG_PORT", &tg_port.to_string());
    format!("{}{body}", moto.provider_block())
}

#[test]
fn a_load_balanced_node_group_is_created_read_back_updated_replaced_kept_converged_and_destroyed() {
    let moto = Moto::start();
    let rt = rt();
    let template = launch_template(&moto, &rt, "nodes");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), config(&moto, &template, 1, 6443, 6443)).expect("write");

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 7 added"), "{out}");
    let (lb_arn, tg_arn, listener_arn) = (output(d, "lb_arn"), output(d, "tg_arn"), output(d, "listener_arn"));

    // Read back through the SDK.
    let elb = moto.elbv2();
    let asg = moto.autoscaling();
    let lbs = rt.block_on(elb.describe_load_balancers().load_balancer_arns(&lb_arn).send()).expect("lbs");
    let lb = &lbs.load_balancers()[0];
    assert_eq!(lb.r#type().map(|t| t.as_str()), Some("network"));
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internal"));
    assert_eq!(lb.availability_zones().len(), 2);
    assert_eq!(output(d, "lb_dns"), lb.dns_name().unwrap_or_default());
    let attributes =
        rt.block_on(elb.describe_load_balancer_attributes().load_balancer_arn(&lb_arn).send()).expect("attributes");
    let cross_zone = attributes.attributes().iter().find(|a| a.key() == Some("load_balancing.cross_zone.enabled"));
    assert_eq!(cross_zone.and_then(|a| a.value()), Some("true"));
    let tags = rt.block_on(elb.describe_tags().resource_arns(&lb_arn).send()).expect("tags");
    let lb_tags: Vec<(&str, &str)> = tags.tag_descriptions()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap_or_default(), t.value().unwrap_or_default()))
        .collect();
    assert!(lb_tags.contains(&("Name", "api")) && lb_tags.contains(&("ManagedBy", "slipway")), "{lb_tags:?}");
    assert!(lb_tags.iter().any(|(k, v)| *k == "slipway:owner" && v.ends_with("/aws_lb.api")), "{lb_tags:?}");
    let groups = rt.block_on(elb.describe_target_groups().target_group_arns(&tg_arn).send()).expect("tgs");
    let tg = &groups.target_groups()[0];
    assert_eq!((tg.protocol().map(|p| p.as_str()), tg.port()), (Some("TCP"), Some(6443)));
    assert!(tg.target_group_name().is_some_and(|n| n.starts_with("api-")), "{:?}", tg.target_group_name());
    assert_eq!(
        (tg.health_check_protocol().map(|p| p.as_str()), tg.health_check_interval_seconds()),
        (Some("TCP"), Some(10))
    );
    let listeners = rt.block_on(elb.describe_listeners().listener_arns(&listener_arn).send()).expect("listeners");
    let listener = &listeners.listeners()[0];
    assert_eq!(listener.port(), Some(6443));
    assert_eq!(listener.default_actions()[0].target_group_arn(), Some(tg_arn.as_str()));
    let group = |rt: &tokio::runtime::Runtime| {
        let out =
            rt.block_on(asg.describe_auto_scaling_groups().auto_scaling_group_names("nodes").send()).expect("asg");
        out.auto_scaling_groups()[0].clone()
    };
    let nodes = group(&rt);
    assert_eq!((nodes.min_size(), nodes.max_size(), nodes.desired_capacity()), (Some(1), Some(3), Some(1)));
    assert_eq!(nodes.instances().len(), 1, "the group launched its instance");
    assert_eq!(nodes.target_group_arns(), std::slice::from_ref(&tg_arn));
    assert_eq!(nodes.launch_template().and_then(|t| t.launch_template_id()), Some(template.as_str()));
    assert_eq!(nodes.vpc_zone_identifier().map(|z| z.split(',').count()), Some(2));
    let owner = nodes.tags().iter().find(|t| t.key() == Some("slipway:owner")).expect("owner tag");
    assert_eq!(owner.propagate_at_launch(), Some(false), "the owner tag stays on the group");
    assert!(nodes.tags().iter().any(|t| t.key() == Some("Name") && t.propagate_at_launch() == Some(true)));

    // Idempotence.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // A second node and another listener port: both in place.
    std::fs::write(d.join("main.tf"), config(&moto, &template, 2, 443, 6443)).expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_autoscaling_group.nodes will be updated in-place"), "{out}");
    assert!(out.contains("aws_lb_listener.api will be updated in-place") && !out.contains("must be replaced"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 2 changed, 0 destroyed."), "{out}");
    let nodes = group(&rt);
    assert_eq!((nodes.desired_capacity(), nodes.instances().len()), (Some(2), 2), "self-healing to two nodes");
    let listeners = rt.block_on(elb.describe_listeners().listener_arns(&listener_arn).send()).expect("listeners");
    assert_eq!(listeners.listeners()[0].port(), Some(443));
    assert_eq!(output(d, "listener_arn"), listener_arn, "the same listener");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // The target group's port forces a new group; the listener and the node group move to it.
    std::fs::write(d.join("main.tf"), config(&moto, &template, 2, 443, 8443)).expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_lb_target_group.api must be replaced"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 1 added, 2 changed, 1 destroyed."), "{out}");
    let new_tg = output(d, "tg_arn");
    assert_ne!(new_tg, tg_arn);
    let old = rt.block_on(elb.describe_target_groups().target_group_arns(&tg_arn).send());
    assert!(old.is_err(), "the old target group is gone: {old:?}");
    let listeners = rt.block_on(elb.describe_listeners().listener_arns(&listener_arn).send()).expect("listeners");
    assert_eq!(listeners.listeners()[0].default_actions()[0].target_group_arn(), Some(new_tg.as_str()));
    assert_eq!(group(&rt).target_group_arns(), std::slice::from_ref(&new_tg));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Drift: tags changed behind slipway's back show in the plan and are put back.
    rt.block_on(
        elb.add_tags()
            .resource_arns(&lb_arn)
            .tags(aws_sdk_elasticloadbalancingv2::types::Tag::builder().key("Name").value("renamed").build())
            .send(),
    )
    .expect("tag lb");
    let renamed = aws_sdk_autoscaling::types::Tag::builder()
        .resource_id("nodes")
        .resource_type("auto-scaling-group")
        .key("Name")
        .value("renamed")
        .propagate_at_launch(true)
        .build();
    rt.block_on(asg.create_or_update_tags().tags(renamed).send()).expect("tag asg");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_lb.api has changed") && out.contains("aws_lb.api will be updated in-place"), "{out}");
    assert!(out.contains(r#"~ "Name" = "renamed" -> "api""#), "{out}");
    assert!(out.contains("aws_autoscaling_group.nodes will be updated in-place") && out.contains("renamed"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let tags = rt.block_on(elb.describe_tags().resource_arns(&lb_arn).send()).expect("tags");
    assert!(tags.tag_descriptions()[0].tags().iter().any(|t| t.key() == Some("Name") && t.value() == Some("api")));
    let nodes = group(&rt);
    let names: Vec<&str> = nodes.tags().iter().filter(|t| t.key() == Some("Name")).filter_map(|t| t.value()).collect();
    assert_eq!(names, ["node"]);

    // A listener deleted outside slipway is planned for creation again.
    rt.block_on(elb.delete_listener().listener_arn(&listener_arn).send()).expect("delete listener");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_lb_listener.api will be created"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 1 added, 0 changed, 0 destroyed."), "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");

    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 7 destroyed."), "{out}");
    let groups = rt.block_on(asg.describe_auto_scaling_groups().send()).expect("asgs");
    assert!(groups.auto_scaling_groups().is_empty(), "{:?}", groups.auto_scaling_groups());
    let lbs = rt.block_on(elb.describe_load_balancers().send()).expect("lbs");
    assert!(lbs.load_balancers().is_empty(), "{:?}", lbs.load_balancers());
    let tgs = rt.block_on(elb.describe_target_groups().send()).expect("tgs");
    assert!(tgs.target_groups().is_empty(), "{:?}", tgs.target_groups());
}

#[test]
fn existing_load_balancers_and_groups_are_imported_and_then_managed() {
    let moto = Moto::start();
    let rt = rt();
    let template = launch_template(&moto, &rt, "legacy");
    let ec2 = moto.ec2();
    let vpc = moto.create_vpc("10.60.0.0/16", &[]);
    let subnet = rt
        .block_on(ec2.create_subnet().vpc_id(&vpc).cidr_block("10.60.1.0/24").availability_zone("us-east-1a").send())
        .expect("subnet");
    let subnet = subnet.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_string();
    let elb = moto.elbv2();
    let lb = rt
        .block_on(
            elb.create_load_balancer()
                .name("legacy")
                .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
                .subnets(&subnet)
                .send(),
        )
        .expect("lb");
    let lb_arn = lb.load_balancers()[0].load_balancer_arn().expect("arn").to_string();
    let tg = rt
        .block_on(
            elb.create_target_group()
                .name("legacy")
                .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Tcp)
                .port(80)
                .vpc_id(&vpc)
                .send(),
        )
        .expect("tg");
    let tg_arn = tg.target_groups()[0].target_group_arn().expect("arn").to_string();
    let action = aws_sdk_elasticloadbalancingv2::types::Action::builder()
        .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
        .target_group_arn(&tg_arn)
        .build();
    let listener = rt
        .block_on(
            elb.create_listener()
                .load_balancer_arn(&lb_arn)
                .port(80)
                .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Tcp)
                .default_actions(action)
                .send(),
        )
        .expect("listener");
    let listener_arn = listener.listeners()[0].listener_arn().expect("arn").to_string();
    let asg = moto.autoscaling();
    rt.block_on(
        asg.create_auto_scaling_group()
            .auto_scaling_group_name("legacy")
            .min_size(0)
            .max_size(2)
            .desired_capacity(0)
            .vpc_zone_identifier(&subnet)
            .launch_template(
                aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                    .launch_template_id(&template)
                    .build(),
            )
            .send(),
    )
    .expect("asg");

    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = format!(
        r#"
resource "aws_lb" "legacy" {{
  name               = "legacy"
  load_balancer_type = "network"
  subnets            = ["{subnet}"]
}}

resource "aws_lb_target_group" "legacy" {{
  name     = "legacy"
  port     = 80
  protocol = "TCP"
  vpc_id   = "{vpc}"
}}

resource "aws_lb_listener" "legacy" {{
  load_balancer_arn = aws_lb.legacy.arn
  port              = 80
  protocol          = "TCP"
  default_action {{
    type             = "forward"
    target_group_arn = aws_lb_target_group.legacy.arn
  }}
}}

resource "aws_autoscaling_group" "legacy" {{
  name                = "legacy"
  min_size            = 0
  max_size            = 2
  vpc_zone_identifier = ["{subnet}"]
  launch_template {{
    id = "{template}"
  }}
}}
"#
    );
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    for (address, id) in [
        ("aws_lb.legacy", lb_arn.as_str()),
        ("aws_lb_target_group.legacy", tg_arn.as_str()),
        ("aws_lb_listener.legacy", listener_arn.as_str()),
        ("aws_autoscaling_group.legacy", "legacy"),
    ] {
        let (code, out) = slipway(d, &["import", address, id]);
        assert_eq!(code, 0, "{address}: {out}");
        assert!(out.contains("Import successful!"), "{out}");
        let (code, out) = slipway(d, &["state", "show", address]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains(id), "{out}");
    }
    // Only default_tags' tag is missing on the ELBv2 objects: in-place updates, no replace; the
    // group (no default tags, as in terraform-provider-aws) is as configured.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("will be updated in-place") && !out.contains("must be replaced"), "{out}");
    assert!(!out.contains("aws_autoscaling_group.legacy will be"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 3 changed, 0 destroyed."), "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
    let tags = rt.block_on(elb.describe_tags().resource_arns(&lb_arn).send()).expect("tags");
    assert!(tags.tag_descriptions()[0].tags().iter().any(|t| t.key() == Some("ManagedBy")));
}

/// A run that created the node group and the load balancer and stopped before it could save
/// state: they carry the owner tags of that run's plan, and applying the plan again adopts them.
#[test]
fn a_group_created_by_a_run_that_stopped_is_adopted_not_created_twice() {
    let moto = Moto::start();
    let rt = rt();
    let template = launch_template(&moto, &rt, "adopt");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = format!(
        "resource \"aws_autoscaling_group\" \"nodes\" {{\n  name_prefix        = \"nodes-\"\n  min_size           = 1\n  max_size           = 2\n  availability_zones = [\"us-east-1a\"]\n  launch_template {{\n    id = \"{template}\"\n  }}\n}}\n\nresource \"aws_lb\" \"api\" {{\n  name               = \"api\"\n  load_balancer_type = \"network\"\n  subnets            = [\"SUBNET\"]\n}}\n"
    );
    let vpc = moto.create_vpc("10.70.0.0/16", &[]);
    let subnet = rt
        .block_on(
            moto.ec2().create_subnet().vpc_id(&vpc).cidr_block("10.70.1.0/24").availability_zone("us-east-1a").send(),
        )
        .expect("subnet");
    let subnet = subnet.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_string();
    let config = config.replace("SUBNET", &subnet);
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    let (code, out) = slipway(d, &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("tfplan")).expect("plan file")).expect("plan is JSON");
    let owner_of = |address: &str| {
        format!("{}/{}/{address}", plan["prior_lineage"].as_str().expect("lineage"), plan["prior_serial"])
    };
    let owner = owner_of("aws_autoscaling_group.nodes");

    // What the stopped run left behind: the group, tagged at creation, and no state.
    let asg = moto.autoscaling();
    let tag = aws_sdk_autoscaling::types::Tag::builder()
        .resource_id("nodes-left-behind")
        .resource_type("auto-scaling-group")
        .key("slipway:owner")
        .value(&owner)
        .propagate_at_launch(false)
        .build();
    rt.block_on(
        asg.create_auto_scaling_group()
            .auto_scaling_group_name("nodes-left-behind")
            .min_size(1)
            .max_size(2)
            .availability_zones("us-east-1a")
            .launch_template(
                aws_sdk_autoscaling::types::LaunchTemplateSpecification::builder()
                    .launch_template_id(&template)
                    .build(),
            )
            .tags(tag)
            .send(),
    )
    .expect("asg");

    let elb = moto.elbv2();
    let lb = rt
        .block_on(
            elb.create_load_balancer()
                .name("api")
                .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
                .subnets(&subnet)
                .tags(
                    aws_sdk_elasticloadbalancingv2::types::Tag::builder()
                        .key("slipway:owner")
                        .value(owner_of("aws_lb.api"))
                        .build(),
                )
                .send(),
        )
        .expect("lb");
    let lb_arn = lb.load_balancers()[0].load_balancer_arn().expect("arn").to_string();

    let (code, out) = slipway(d, &["apply", "tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("[id=nodes-left-behind]"), "the group left behind was adopted: {out}");
    assert!(out.contains(&format!("[id={lb_arn}]")), "the load balancer left behind was adopted: {out}");
    let groups = rt.block_on(asg.describe_auto_scaling_groups().send()).expect("asgs");
    assert_eq!(groups.auto_scaling_groups().len(), 1, "never created twice");
    let lbs = rt.block_on(elb.describe_load_balancers().send()).expect("lbs");
    assert_eq!(lbs.load_balancers().len(), 1, "never created twice");
    let tags = rt.block_on(elb.describe_tags().resource_arns(&lb_arn).send()).expect("tags");
    assert!(
        tags.tag_descriptions()[0].tags().iter().any(|t| t.key() == Some("ManagedBy")),
        "and brought to the configuration"
    );
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged, the owner tag hidden from the plan: {out}");
}
