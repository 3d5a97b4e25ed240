//! `aws_kubernetes_cluster_cleanup` end to end against the local AWS (moto): a cluster's network
//! is applied, then, behind slipway's back, what Kubernetes would make for a LoadBalancer
//! Service and a PersistentVolume — a classic load balancer with its security group (and the
//! rule the cloud controller manager adds to the nodes' group for it), a network load balancer
//! with its target group, a volume — all tagged `kubernetes.io/cluster/<name> = owned`, and a
//! load balancer of another cluster in the same VPC's account. Destroy removes the cluster's
//! leftovers before the network, so the network goes too; the other cluster's object stays.

#![allow(clippy::disallowed_methods)]

mod support;

use aws_sdk_ec2::types::Filter;
use support::kubernetes_made;
use support::moto::Moto;
use support::{rt, slipway};

const CLUSTER_TAG: &str = "kubernetes.io/cluster/cleanup.k8s.local";

const CONFIG: &str = r#"
resource "aws_vpc" "cluster" {
  cidr_block = "10.60.0.0/16"
}

resource "aws_subnet" "zone" {
  vpc_id            = aws_vpc.cluster.id
  cidr_block        = "10.60.1.0/24"
  availability_zone = "us-east-1a"
}

resource "aws_internet_gateway" "cluster" {
  vpc_id = aws_vpc.cluster.id
}

resource "aws_security_group" "nodes" {
  name   = "nodes.cleanup.k8s.local"
  vpc_id = aws_vpc.cluster.id
  tags   = { "kubernetes.io/cluster/cleanup.k8s.local" = "owned" }
}

resource "aws_kubernetes_cluster_cleanup" "cluster" {
  cluster_name = "cleanup.k8s.local"
  vpc_id       = aws_vpc.cluster.id
  depends_on   = [aws_subnet.zone, aws_internet_gateway.cluster, aws_security_group.nodes]
}

output "vpc_id" {
  value = aws_vpc.cluster.id
}

output "subnet_id" {
  value = aws_subnet.zone.id
}

output "nodes_group" {
  value = aws_security_group.nodes.id
}
"#;

fn output(d: &std::path::Path, name: &str) -> String {
    let (code, value) = slipway(d, &["output", "-raw", name]);
    assert_eq!(code, 0, "{value}");
    value
}

#[test]
fn destroy_removes_what_kubernetes_made_before_the_network() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), format!("{}{CONFIG}", moto.provider_block())).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("aws_kubernetes_cluster_cleanup.cluster: Creation complete"), "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");
    let (vpc, subnet, nodes_group) = (output(d, "vpc_id"), output(d, "subnet_id"), output(d, "nodes_group"));

    // What the cloud controller manager and the CSI driver would make.
    let rt = rt();
    let ec2 = moto.ec2();
    let lb_group = kubernetes_made::load_balancer_group(&moto, &vpc, &nodes_group, CLUSTER_TAG);
    let classic = moto.elb();
    rt.block_on(
        classic
            .create_load_balancer()
            .load_balancer_name("a1b2c3")
            .subnets(&subnet)
            .security_groups(&lb_group)
            .listeners(
                aws_sdk_elasticloadbalancing::types::Listener::builder()
                    .protocol("TCP")
                    .load_balancer_port(80)
                    .instance_port(30080)
                    .build()
                    .expect("listener"),
            )
            .tags(
                aws_sdk_elasticloadbalancing::types::Tag::builder()
                    .key(CLUSTER_TAG)
                    .value("owned")
                    .build()
                    .expect("tag"),
            )
            .send(),
    )
    .expect("classic load balancer");
    let elbv2 = moto.elbv2();
    let elbv2_tag = || aws_sdk_elasticloadbalancingv2::types::Tag::builder().key(CLUSTER_TAG).value("owned").build();
    let nlb = rt
        .block_on(
            elbv2
                .create_load_balancer()
                .name("k8s-default-web-d4e5f6")
                .r#type(aws_sdk_elasticloadbalancingv2::types::LoadBalancerTypeEnum::Network)
                .subnets(&subnet)
                .tags(elbv2_tag())
                .send(),
        )
        .expect("network load balancer");
    let nlb_arn = nlb.load_balancers()[0].load_balancer_arn().expect("arn").to_string();
    let target_group = rt
        .block_on(
            elbv2
                .create_target_group()
                .name("k8s-default-web-tg")
                .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Tcp)
                .port(30081)
                .vpc_id(&vpc)
                .tags(elbv2_tag())
                .send(),
        )
        .expect("target group");
    let tg_arn = target_group.target_groups()[0].target_group_arn().expect("arn").to_string();
    rt.block_on(
        elbv2
            .create_listener()
            .load_balancer_arn(&nlb_arn)
            .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Tcp)
            .port(80)
            .default_actions(
                aws_sdk_elasticloadbalancingv2::types::Action::builder()
                    .r#type(aws_sdk_elasticloadbalancingv2::types::ActionTypeEnum::Forward)
                    .target_group_arn(&tg_arn)
                    .build(),
            )
            .send(),
    )
    .expect("listener");
    let volume = kubernetes_made::volume(&moto, CLUSTER_TAG);
    // Another cluster's volume: not this cluster's to delete.
    let other = kubernetes_made::volume(&moto, "kubernetes.io/cluster/other.k8s.local");

    // Nothing Kubernetes made shows in a plan: it is not slipway's to manage.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete!"), "{out}");
    let cleanup_done = out.find("aws_kubernetes_cluster_cleanup.cluster: Destruction complete").expect("{out}");
    let vpc_done = out.find("aws_vpc.cluster: Destruction complete").expect("{out}");
    assert!(cleanup_done < vpc_done, "the leftovers went before the network: {out}");

    let classic_left = rt.block_on(classic.describe_load_balancers().send()).expect("classic");
    assert!(classic_left.load_balancer_descriptions().is_empty(), "the classic load balancer is gone");
    let v2_left = rt.block_on(elbv2.describe_load_balancers().send()).expect("elbv2");
    assert!(v2_left.load_balancers().is_empty(), "the network load balancer is gone");
    let tgs = rt.block_on(elbv2.describe_target_groups().send()).expect("target groups");
    assert!(tgs.target_groups().is_empty(), "its target group is gone");
    let volumes = rt.block_on(ec2.describe_volumes().send()).expect("volumes");
    let volumes: Vec<&str> = volumes.volumes().iter().filter_map(|v| v.volume_id()).collect();
    assert!(!volumes.contains(&volume.as_str()), "the cluster's volume is gone: {volumes:?}");
    assert!(volumes.contains(&other.as_str()), "the other cluster's volume stays: {volumes:?}");
    let groups = rt
        .block_on(
            ec2.describe_security_groups().filters(Filter::builder().name("group-id").values(&lb_group).build()).send(),
        )
        .expect("groups");
    assert!(groups.security_groups().is_empty(), "the load balancer's security group is gone");
    let vpcs = rt.block_on(ec2.describe_vpcs().filters(Filter::builder().name("vpc-id").values(&vpc).build()).send());
    assert!(vpcs.expect("vpcs").vpcs().is_empty(), "the network went too");
}
