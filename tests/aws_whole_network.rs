//! The whole network of a cluster end to end (`examples/aws-network`, unchanged): a VPC with
//! three subnets in three zones, an internet gateway and its route, two security groups, a key
//! pair, three control-plane instances, a launch template and an Auto Scaling group of nodes
//! behind a network load balancer, applied against the local AWS (moto) through the SDK's own
//! `AWS_ENDPOINT_URL`; read back through the SDK; a second plan with no changes; a scale-up by
//! one variable; destroy, after which nothing tagged by slipway is left.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use aws_sdk_ec2::types::Filter;
use support::moto::Moto;
use support::rt;

/// `slipway ARGS` in `dir` with the emulator as every service's endpoint (the SDK's own
/// `AWS_ENDPOINT_URL`) and test credentials from the environment.
fn slipway(moto: &Moto, dir: &Path, args: &[&str]) -> (i32, String) {
    let env = [
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    support::slipway_env(dir, args, &env)
}

#[test]
fn the_example_network_is_applied_read_back_converged_scaled_and_destroyed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/aws-network/main.tf");
    std::fs::copy(example, d.join("main.tf")).expect("copy the example");
    let rt = rt();
    let ec2 = moto.ec2();

    let (code, out) = slipway(&moto, d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 20 added, 0 changed, 0 destroyed."), "{out}");
    let (_, vpc_id) = slipway(&moto, d, &["output", "-raw", "vpc_id"]);

    // Read back: the network, the control plane, the node group and its load balancer.
    let in_vpc = || Filter::builder().name("vpc-id").values(&vpc_id).build();
    let subnets = rt.block_on(ec2.describe_subnets().filters(in_vpc()).send()).expect("subnets");
    let zones: std::collections::BTreeSet<&str> =
        subnets.subnets().iter().filter_map(|s| s.availability_zone()).collect();
    assert_eq!(zones.len(), 3, "three subnets in three zones");
    let groups = rt.block_on(ec2.describe_security_groups().filters(in_vpc()).send()).expect("groups");
    let names: std::collections::BTreeSet<&str> =
        groups.security_groups().iter().filter_map(|g| g.group_name()).collect();
    assert!(names.contains("demo-control-plane") && names.contains("demo-nodes"), "{names:?}");
    let control_plane = rt
        .block_on(
            ec2.describe_instances()
                .filters(Filter::builder().name("tag:Name").values("demo-control-plane-*").build())
                .filters(Filter::builder().name("instance-state-name").values("running").build())
                .send(),
        )
        .expect("instances");
    let instances: Vec<_> = control_plane.reservations().iter().flat_map(|r| r.instances()).collect();
    assert_eq!(instances.len(), 3, "three control-plane instances running");
    assert!(instances.iter().all(|i| i.key_name() == Some("demo-admin")));
    let asg = rt
        .block_on(moto.autoscaling().describe_auto_scaling_groups().auto_scaling_group_names("demo-nodes").send())
        .expect("groups");
    let group = &asg.auto_scaling_groups()[0];
    assert_eq!(group.desired_capacity(), Some(2));
    assert_eq!(group.target_group_arns().len(), 1, "the nodes sit behind the API's target group");
    let lbs = rt.block_on(moto.elbv2().describe_load_balancers().names("demo-api").send()).expect("lbs");
    let lb = &lbs.load_balancers()[0];
    assert_eq!(lb.r#type().map(|t| t.as_str()), Some("network"));
    let (_, endpoint) = slipway(&moto, d, &["output", "-raw", "api_endpoint"]);
    assert_eq!(Some(endpoint.as_str()), lb.dns_name());

    let (code, out) = slipway(&moto, d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // Scaling the nodes is one variable: the group changes in place, nothing else.
    let (code, out) = slipway(&moto, d, &["apply", "-auto-approve", "-var", "node_count=3"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 1 changed, 0 destroyed."), "{out}");
    let asg = rt
        .block_on(moto.autoscaling().describe_auto_scaling_groups().auto_scaling_group_names("demo-nodes").send())
        .expect("groups");
    assert_eq!(asg.auto_scaling_groups()[0].desired_capacity(), Some(3));

    let (code, out) = slipway(&moto, d, &["destroy", "-auto-approve", "-var", "node_count=3"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 20 destroyed."), "{out}");
    assert_eq!(moto.owned_by_slipway(&rt), Vec::<String>::new(), "nothing tagged by slipway is left in EC2");
    let asg = rt.block_on(moto.autoscaling().describe_auto_scaling_groups().send()).expect("groups");
    assert!(asg.auto_scaling_groups().is_empty(), "no Auto Scaling group left");
    let lbs = rt.block_on(moto.elbv2().describe_load_balancers().send()).expect("lbs");
    assert!(lbs.load_balancers().is_empty(), "no load balancer left");
}
