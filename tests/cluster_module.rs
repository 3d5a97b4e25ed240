//! `modules/kubernetes-cluster` end to end against the local AWS (moto): a three-zone cluster
//! with three control-plane nodes applied, every object read back through the SDK, the
//! security groups checked against the ports Kubernetes documents, a second plan with no
//! changes, `node_count = 3` as exactly one change (the node group's capacity), a new
//! `node_size` as a new launch template version the running nodes are rolled onto one at a time
//! (kubelets played against the test API server), and destroy leaving
//! nothing that carries the cluster tag.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeSet;

use aws_sdk_ec2::types::Filter;
use slipway_test_kube_apiserver::ApiServer;
use support::cluster::{self, BUCKET, NAME};
use support::kubelets::{self, Behaviour};
use support::kubernetes_made;
use support::moto::Moto;
use support::rt;

const CLUSTER_TAG: &str = "kubernetes.io/cluster/test.k8s.example.com";
const VPC_CIDR: &str = "172.20.0.0/16";

/// Ingress that Kubernetes documents as required
/// (https://kubernetes.io/docs/reference/networking/ports-and-protocols/), the CNI's overlay and
/// SSH: (group, protocol, from, to, source), a source being a CIDR or `sg:<group>`.
/// kube-scheduler (10259) and kube-controller-manager (10257) are local only: no rule.
const EXPECTED_INGRESS: &[(&str, &str, i32, i32, &str)] = &[
    // Control plane: the API from admins, through the load balancer (its health checks and
    // clients keep their addresses, all in the VPC) and from the nodes.
    ("masters", "tcp", 6443, 6443, "203.0.113.0/24"),
    ("masters", "tcp", 6443, 6443, VPC_CIDR),
    ("masters", "tcp", 6443, 6443, "sg:nodes"),
    // etcd between control-plane nodes.
    ("masters", "tcp", 2379, 2380, "sg:masters"),
    // Kubelet API, from the control plane.
    ("masters", "tcp", 10250, 10250, "sg:masters"),
    // Pod network (Flannel VXLAN) among everything in the cluster.
    ("masters", "udp", 8472, 8472, "sg:masters"),
    ("masters", "udp", 8472, 8472, "sg:nodes"),
    ("masters", "tcp", 22, 22, "203.0.113.0/24"),
    // Nodes: kubelet from the control plane, kube-proxy health from load balancers,
    // NodePorts from admins and load balancers, the overlay, SSH.
    ("nodes", "tcp", 10250, 10250, "sg:masters"),
    ("nodes", "tcp", 10256, 10256, VPC_CIDR),
    ("nodes", "tcp", 30000, 32767, "203.0.113.0/24"),
    ("nodes", "tcp", 30000, 32767, VPC_CIDR),
    ("nodes", "udp", 30000, 32767, "203.0.113.0/24"),
    ("nodes", "udp", 30000, 32767, VPC_CIDR),
    ("nodes", "udp", 8472, 8472, "sg:nodes"),
    ("nodes", "udp", 8472, 8472, "sg:masters"),
    ("nodes", "tcp", 22, 22, "203.0.113.0/24"),
];

fn cluster_tag() -> Filter {
    Filter::builder().name(format!("tag:{CLUSTER_TAG}")).values("owned").build()
}

/// The IDs of every EC2 object that carries the cluster tag, by kind (moto keeps deleted
/// objects' tags in DescribeTags, so each kind is asked for directly).
fn tagged_in_ec2(moto: &Moto) -> Vec<String> {
    let rt = rt();
    let ec2 = moto.ec2();
    let mut found = Vec::new();
    let vpcs = rt.block_on(ec2.describe_vpcs().filters(cluster_tag()).send()).expect("vpcs");
    found.extend(vpcs.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)));
    let subnets = rt.block_on(ec2.describe_subnets().filters(cluster_tag()).send()).expect("subnets");
    found.extend(subnets.subnets().iter().filter_map(|v| v.subnet_id().map(str::to_string)));
    let gateways = rt.block_on(ec2.describe_internet_gateways().filters(cluster_tag()).send()).expect("gateways");
    found.extend(gateways.internet_gateways().iter().filter_map(|v| v.internet_gateway_id().map(str::to_string)));
    let tables = rt.block_on(ec2.describe_route_tables().filters(cluster_tag()).send()).expect("tables");
    found.extend(tables.route_tables().iter().filter_map(|v| v.route_table_id().map(str::to_string)));
    let groups = rt.block_on(ec2.describe_security_groups().filters(cluster_tag()).send()).expect("groups");
    found.extend(groups.security_groups().iter().filter_map(|v| v.group_id().map(str::to_string)));
    let keys = rt.block_on(ec2.describe_key_pairs().filters(cluster_tag()).send()).expect("keys");
    found.extend(keys.key_pairs().iter().filter_map(|v| v.key_pair_id().map(str::to_string)));
    let templates = rt.block_on(ec2.describe_launch_templates().filters(cluster_tag()).send()).expect("templates");
    found.extend(templates.launch_templates().iter().filter_map(|v| v.launch_template_id().map(str::to_string)));
    let volumes = rt.block_on(ec2.describe_volumes().filters(cluster_tag()).send()).expect("volumes");
    found.extend(volumes.volumes().iter().filter_map(|v| v.volume_id().map(str::to_string)));
    let live =
        Filter::builder().name("instance-state-name").values("pending").values("running").values("stopped").build();
    let instances =
        rt.block_on(ec2.describe_instances().filters(cluster_tag()).filters(live).send()).expect("instances");
    found.extend(
        instances.reservations().iter().flat_map(|r| r.instances()).filter_map(|i| i.instance_id().map(str::to_string)),
    );
    found
}

/// The ingress of the cluster's two groups as (group, protocol, from, to, source) tuples.
fn ingress(moto: &Moto, vpc_id: &str) -> BTreeSet<(String, String, i32, i32, String)> {
    let rt = rt();
    let groups = rt
        .block_on(
            moto.ec2()
                .describe_security_groups()
                .filters(Filter::builder().name("vpc-id").values(vpc_id).build())
                .send(),
        )
        .expect("groups");
    let short = |name: &str| name.split('.').next().unwrap_or_default().to_string();
    let by_id: std::collections::BTreeMap<String, String> = groups
        .security_groups()
        .iter()
        .filter_map(|g| Some((g.group_id()?.to_string(), short(g.group_name()?))))
        .collect();
    let mut rules = BTreeSet::new();
    for group in groups.security_groups() {
        let Some(name) = group.group_name().filter(|n| n.ends_with(NAME)) else { continue };
        for p in group.ip_permissions() {
            let protocol = p.ip_protocol().unwrap_or_default().to_string();
            let (from, to) = (p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
            for range in p.ip_ranges() {
                let source = range.cidr_ip().unwrap_or_default().to_string();
                rules.insert((short(name), protocol.clone(), from, to, source));
            }
            for pair in p.user_id_group_pairs() {
                let other = pair.group_id().and_then(|id| by_id.get(id)).cloned().unwrap_or_default();
                rules.insert((short(name), protocol.clone(), from, to, format!("sg:{other}")));
            }
        }
    }
    rules
}

#[test]
fn the_cluster_is_applied_read_back_converged_scaled_rolled_and_destroyed() {
    let moto = Moto::start();
    let dir = cluster::setup(&moto);
    let d = dir.path();
    let rt = rt();
    let ec2 = moto.ec2();

    let out = cluster::apply(&moto, d);
    assert!(out.contains("Apply complete!"), "{out}");
    let (_, vpc_id) = cluster::slipway(&moto, d, &["output", "-raw", "vpc_id"]);

    // The network: a VPC, a /19 per zone as kops lays them out, the gateway and its route.
    let vpc = rt.block_on(ec2.describe_vpcs().vpc_ids(&vpc_id).send()).expect("vpc");
    assert_eq!(vpc.vpcs()[0].cidr_block(), Some(VPC_CIDR));
    let in_vpc = || Filter::builder().name("vpc-id").values(&vpc_id).build();
    let subnets = rt.block_on(ec2.describe_subnets().filters(in_vpc()).send()).expect("subnets");
    let layout: BTreeSet<(String, String)> = subnets
        .subnets()
        .iter()
        .map(|s| {
            (s.availability_zone().unwrap_or_default().to_string(), s.cidr_block().unwrap_or_default().to_string())
        })
        .collect();
    let expected: BTreeSet<(String, String)> =
        [("us-east-1a", "172.20.32.0/19"), ("us-east-1b", "172.20.64.0/19"), ("us-east-1c", "172.20.96.0/19")]
            .iter()
            .map(|(z, c)| (z.to_string(), c.to_string()))
            .collect();
    assert_eq!(layout, expected);
    // etcd's volumes: one per control-plane node, in its zone (kops's etcd-main).
    let volumes = etcd_volumes(&moto);
    let placed: Vec<(&str, &str, i32)> =
        volumes.iter().map(|(m, _, z, size)| (m.as_str(), z.as_str(), *size)).collect();
    assert_eq!(
        placed,
        vec![
            ("control-plane-us-east-1a", "us-east-1a", 20),
            ("control-plane-us-east-1b", "us-east-1b", 20),
            ("control-plane-us-east-1c", "us-east-1c", 20)
        ]
    );
    let gateways = rt
        .block_on(
            ec2.describe_internet_gateways()
                .filters(Filter::builder().name("attachment.vpc-id").values(&vpc_id).build())
                .send(),
        )
        .expect("gateways");
    let gateway = gateways.internet_gateways()[0].internet_gateway_id().expect("gateway id").to_string();
    let tables = rt.block_on(ec2.describe_route_tables().filters(in_vpc()).filters(cluster_tag()).send()).expect("rt");
    let table = &tables.route_tables()[0];
    assert!(
        table
            .routes()
            .iter()
            .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0") && r.gateway_id() == Some(gateway.as_str()))
    );
    assert_eq!(table.associations().iter().filter(|a| a.subnet_id().is_some()).count(), 3);

    // Security groups: exactly the documented ports, nothing more.
    let expected: BTreeSet<(String, String, i32, i32, String)> =
        EXPECTED_INGRESS.iter().map(|(g, p, f, t, s)| (g.to_string(), p.to_string(), *f, *t, s.to_string())).collect();
    let actual = ingress(&moto, &vpc_id);
    assert_eq!(
        actual,
        expected,
        "missing: {:?}\nextra: {:?}",
        expected.difference(&actual),
        actual.difference(&expected)
    );

    // IAM: a role, an inline policy and an instance profile per role, tagged.
    let iam = moto.iam();
    for role in ["masters", "nodes"] {
        let name = format!("{role}.{NAME}");
        let got = rt.block_on(iam.get_role().role_name(&name).send()).expect("role");
        let tags = got.role().map(|r| r.tags()).unwrap_or_default();
        assert!(tags.iter().any(|t| t.key() == CLUSTER_TAG && t.value() == "owned"), "{name}: {tags:?}");
        let policy = rt.block_on(iam.get_role_policy().role_name(&name).policy_name(&name).send()).expect("policy");
        let document = policy.policy_document();
        assert!(document.contains("ec2%3ADescribeInstances") || document.contains("ec2:DescribeInstances"));
        let profile = rt.block_on(iam.get_instance_profile().instance_profile_name(&name).send()).expect("profile");
        let roles = profile.instance_profile().map(|p| p.roles()).unwrap_or_default();
        assert_eq!(roles.iter().map(|r| r.role_name()).collect::<Vec<_>>(), vec![name.as_str()]);
    }
    let nodes_policy = rt
        .block_on(iam.get_role_policy().role_name(format!("nodes.{NAME}")).policy_name(format!("nodes.{NAME}")).send())
        .expect("nodes policy");
    let nodes_document = percent_decode(nodes_policy.policy_document());
    assert!(nodes_document.contains("ecr:BatchGetImage"), "{nodes_document}");
    assert!(
        !nodes_document.contains("ec2:Create") && !nodes_document.contains("elasticloadbalancing"),
        "{nodes_document}"
    );

    // The state store: the cluster spec and the CA bundle, encrypted at rest; no keys.
    let s3 = moto.s3();
    for key in [format!("{NAME}/cluster.spec"), format!("{NAME}/pki/ca-bundle.crt")] {
        let head = rt.block_on(s3.head_object().bucket(BUCKET).key(&key).send()).expect("object");
        assert_eq!(head.server_side_encryption().map(|e| e.as_str()), Some("AES256"), "{key}");
    }
    let listed = rt.block_on(s3.list_objects_v2().bucket(BUCKET).send()).expect("list");
    assert_eq!(listed.contents().len(), 2, "only the spec and the CA bundle in the state store");
    let bundle =
        rt.block_on(s3.get_object().bucket(BUCKET).key(format!("{NAME}/pki/ca-bundle.crt")).send()).expect("get");
    let bundle = rt.block_on(bundle.body.collect()).expect("body").into_bytes();
    let bundle = String::from_utf8_lossy(&bundle);
    assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 3, "{bundle}");
    assert!(!bundle.contains("PRIVATE KEY"));

    // Compute: a launch template and group per control-plane node (one per zone, in the API's
    // target group), the node group over every zone.
    let autoscaling = moto.autoscaling();
    let groups = rt.block_on(autoscaling.describe_auto_scaling_groups().send()).expect("groups");
    let names: BTreeSet<&str> =
        groups.auto_scaling_groups().iter().filter_map(|g| g.auto_scaling_group_name()).collect();
    let expected_groups: BTreeSet<String> = ["us-east-1a", "us-east-1b", "us-east-1c"]
        .iter()
        .map(|z| format!("control-plane-{z}.masters.{NAME}"))
        .chain([format!("nodes.{NAME}")])
        .collect();
    assert_eq!(names, expected_groups.iter().map(String::as_str).collect());
    for group in groups.auto_scaling_groups() {
        let control_plane = group.auto_scaling_group_name().is_some_and(|n| n.starts_with("control-plane-"));
        assert_eq!(group.desired_capacity(), Some(if control_plane { 1 } else { 2 }));
        assert_eq!(group.target_group_arns().len(), usize::from(control_plane));
        assert!(group.tags().iter().any(|t| t.key() == Some(CLUSTER_TAG) && t.propagate_at_launch() == Some(true)));
    }
    let templates = rt.block_on(ec2.describe_launch_templates().filters(cluster_tag()).send()).expect("templates");
    assert_eq!(templates.launch_templates().len(), 4);
    let instances = rt
        .block_on(
            ec2.describe_instances()
                .filters(cluster_tag())
                .filters(Filter::builder().name("instance-state-name").values("running").build())
                .send(),
        )
        .expect("instances");
    assert_eq!(instances.reservations().iter().flat_map(|r| r.instances()).count(), 5, "3 control plane + 2 nodes");
    let keys = rt.block_on(ec2.describe_key_pairs().key_names(format!("kubernetes.{NAME}")).send()).expect("key");
    assert_eq!(keys.key_pairs().len(), 1);

    // The API: a network load balancer, its listener, and api.<name> pointing at it.
    let elbv2 = moto.elbv2();
    let lbs = rt.block_on(elbv2.describe_load_balancers().names("api-test-k8s-example-com").send()).expect("lb");
    let lb = &lbs.load_balancers()[0];
    assert_eq!(lb.r#type().map(|t| t.as_str()), Some("network"));
    let listeners =
        rt.block_on(elbv2.describe_listeners().load_balancer_arn(lb.load_balancer_arn().unwrap_or_default()).send());
    assert_eq!(listeners.expect("listeners").listeners()[0].port(), Some(6443));
    let route53 = moto.route53(&moto.url);
    let zones = rt.block_on(route53.list_hosted_zones_by_name().dns_name(cluster::ZONE).send()).expect("zones");
    let zone_id = zones.hosted_zones()[0].id().to_string();
    let records = rt.block_on(route53.list_resource_record_sets().hosted_zone_id(&zone_id).send()).expect("records");
    let api = records
        .resource_record_sets()
        .iter()
        .find(|r| r.name().trim_end_matches('.') == format!("api.{NAME}"))
        .expect("api record");
    let alias = api.alias_target().expect("an alias record");
    assert_eq!(alias.dns_name().trim_end_matches('.'), lb.dns_name().unwrap_or_default().trim_end_matches('.'));
    let (_, endpoint) = cluster::slipway(&moto, d, &["output", "-raw", "api_endpoint"]);
    assert_eq!(endpoint, format!("https://api.{NAME}:6443"));

    // Converged: nothing to do.
    let (code, out) = cluster::slipway(&moto, d, &["plan", "-detailed-exitcode", "-input=false"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // node_count = 3: exactly one change, the node group's capacity.
    let (code, out) =
        cluster::slipway(&moto, d, &["plan", "-detailed-exitcode", "-input=false", "-var", "node_count=3"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{out}");
    assert!(out.contains("module.cluster.aws_autoscaling_group.nodes will be updated in-place"), "{out}");
    assert!(out.contains("desired_capacity") && out.contains("2 -> 3"), "{out}");

    // Scaled for real: the group launches the third node.
    let (code, out) = cluster::slipway(&moto, d, &["apply", "-auto-approve", "-input=false", "-var", "node_count=3"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 1 changed, 0 destroyed."), "{out}");
    let nodes = rt
        .block_on(autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(format!("nodes.{NAME}")).send())
        .expect("nodes");
    assert_eq!(nodes.auto_scaling_groups()[0].desired_capacity(), Some(3));
    assert_eq!(nodes.auto_scaling_groups()[0].instances().len(), 3);

    // A new node size: a new version of the nodes' launch template, and the running nodes
    // rolled onto it one at a time: drained, terminated, replaced, the replacement a Ready node
    // (kubelets played against the test API server) before the next.
    let api = ApiServer::start();
    let api_var = format!("kube_api_url={}", api.url);
    let vars = ["-var", "node_count=3", "-var", "node_size=t3.large", "-var", api_var.as_str()];
    let (code, out) =
        cluster::slipway(&moto, d, &[&["plan", "-detailed-exitcode", "-input=false"][..], &vars].concat());
    assert_eq!(code, 2, "{out}");
    // The three control-plane groups change only where slipway reaches the API while it rolls.
    assert!(out.contains("Plan: 0 to add, 5 to change, 0 to destroy."), "{out}");
    assert_eq!(out.matches("-> \"http://127.0.0.1:").count(), 4, "{out}");
    assert!(out.contains("module.cluster.aws_launch_template.nodes will be updated in-place"), "{out}");
    assert!(out.contains("\"t3.medium\" -> \"t3.large\""), "{out}");
    assert!(out.contains("module.cluster.aws_autoscaling_group.nodes will be updated in-place"), "{out}");
    // The plan says which group rolls, and how: the nodes, not the control plane (its template
    // does not change).
    assert_eq!(out.matches("instances will be replaced one at a time by instance_refresh").count(), 1, "{out}");
    assert!(
        out.contains("module.cluster.aws_autoscaling_group.nodes will be updated in-place\n  # (its 3 instances will be replaced one at a time"),
        "{out}"
    );
    let node_group = format!("nodes.{NAME}");
    let before = group_instances(&moto, &node_group);
    let ((code, out), seen) = kubelets::serving(&moto, &api, &[node_group.as_str()], Behaviour::default(), || {
        cluster::slipway(&moto, d, &[&["apply", "-auto-approve", "-input=false"][..], &vars].concat())
    });
    assert_eq!(code, 0, "{out}");
    let nodes = rt
        .block_on(autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(&node_group).send())
        .expect("nodes");
    let spec = nodes.auto_scaling_groups()[0].launch_template().expect("launch template");
    assert_eq!(spec.version(), Some("2"), "the group launches from the new version");
    let versions = rt
        .block_on(
            ec2.describe_launch_template_versions().launch_template_name(format!("nodes.{NAME}")).versions("2").send(),
        )
        .expect("versions");
    let data = versions.launch_template_versions()[0].launch_template_data().expect("data");
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.large"));
    let after = group_instances(&moto, &node_group);
    assert_eq!(after.len(), 3);
    assert!(after.iter().all(|id| !before.contains(id)), "every node was replaced: {before:?} -> {after:?}");
    let described = rt.block_on(ec2.describe_instances().set_instance_ids(Some(after.clone())).send()).expect("new");
    assert!(
        described
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .all(|i| i.instance_type().map(|t| t.as_str()) == Some("t3.large")),
        "the new nodes have the new size"
    );
    assert_eq!(seen.most_cordoned_at_once, 1, "one node at a time");
    let (code, out) =
        cluster::slipway(&moto, d, &[&["plan", "-detailed-exitcode", "-input=false"][..], &vars].concat());
    assert_eq!(code, 0, "converged on the new size: {out}");

    // A Kubernetes upgrade: every launch template gets a version with the new packages, and
    // the control plane is rolled before the nodes, one node of the cluster at a time (the
    // three control-plane groups one after another although the walk changes them at once).
    let control_plane_groups: Vec<String> = ["us-east-1a", "us-east-1b", "us-east-1c"]
        .iter()
        .map(|z| format!("control-plane-{z}.masters.{NAME}"))
        .collect();
    let all_groups: Vec<String> = control_plane_groups.iter().cloned().chain([node_group.clone()]).collect();
    let all_groups: Vec<&str> = all_groups.iter().map(String::as_str).collect();
    let upgraded = [&vars[..], &["-var", "kubernetes_version=1.32.0"]].concat();
    let (code, out) =
        cluster::slipway(&moto, d, &[&["plan", "-detailed-exitcode", "-input=false"][..], &upgraded].concat());
    assert_eq!(code, 2, "{out}");
    // Four launch templates, four groups, and the cluster spec in the state store.
    assert!(out.contains("Plan: 0 to add, 9 to change, 0 to destroy."), "{out}");
    assert!(out.contains("module.cluster.aws_s3_object.cluster_spec will be updated in-place"), "{out}");
    for zone in ["us-east-1a", "us-east-1b", "us-east-1c"] {
        let template = format!("module.cluster.aws_launch_template.control_plane[{}]", zone_index(zone));
        assert!(out.contains(&format!("{template} will be updated in-place")), "{out}");
    }
    let control_plane_before: Vec<String> =
        control_plane_groups.iter().flat_map(|g| group_instances(&moto, g)).collect();
    let nodes_before = group_instances(&moto, &node_group);
    let etcd_volumes_before = etcd_volumes(&moto);
    let ((code, out), seen) = kubelets::serving(&moto, &api, &all_groups, Behaviour::default(), || {
        cluster::slipway(&moto, d, &[&["apply", "-auto-approve", "-input=false"][..], &upgraded].concat())
    });
    assert_eq!(code, 0, "{out}");
    let control_plane_after: Vec<String> =
        control_plane_groups.iter().flat_map(|g| group_instances(&moto, g)).collect();
    let nodes_after = group_instances(&moto, &node_group);
    assert_eq!(control_plane_after.len(), 3);
    assert!(
        control_plane_after.iter().all(|id| !control_plane_before.contains(id)),
        "every control-plane node replaced"
    );
    assert!(nodes_after.iter().all(|id| !nodes_before.contains(id)), "every node replaced");
    let joined = |id: &String| seen.registered.iter().position(|r| r == id).expect("registered");
    let last_control_plane = control_plane_after.iter().map(joined).max().expect("control plane");
    let first_node = nodes_after.iter().map(joined).min().expect("nodes");
    assert!(last_control_plane < first_node, "the control plane is upgraded before the nodes: {:?}", seen.registered);
    assert_eq!(seen.most_cordoned_at_once, 1, "one node of the cluster at a time, whatever its group");
    assert_eq!(etcd_volumes(&moto), etcd_volumes_before, "the same etcd volumes, for the replacements to attach");
    let (code, out) =
        cluster::slipway(&moto, d, &[&["plan", "-detailed-exitcode", "-input=false"][..], &upgraded].concat());
    assert_eq!(code, 0, "converged on the new version: {out}");
    let vars = upgraded;
    let after = nodes_after;

    // kops validate cluster: every group's nodes Ready, the control plane's static pods running.
    kubelets::serving(&moto, &api, &all_groups, Behaviour::default(), || {
        std::thread::sleep(std::time::Duration::from_millis(1500))
    });
    let (code, out) = cluster::slipway(&moto, d, &["cluster", "validate", "-server", &api.url]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("Validating cluster {NAME}")), "{out}");
    assert!(out.contains(&format!("nodes.{NAME}")) && out.contains("ControlPlane"), "{out}");
    assert!(out.contains(&format!("Your cluster {NAME} is ready")), "{out}");
    let sick = kubelets::node_name(&after[0]);
    api.update_as(
        "kubelet",
        "v1",
        "Node",
        "",
        &sick,
        serde_json::json!({"status": {"conditions": [{"type": "Ready", "status": "False"}]}}),
    )
    .expect("a node goes NotReady");
    let (code, out) = cluster::slipway(&moto, d, &["cluster", "validate", "-server", &api.url]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("VALIDATION ERRORS"), "{out}");
    assert!(out.contains(&format!("node {sick:?} is not ready")), "{out}");
    assert!(out.contains("Node did not have enough Ready nodes: 2 vs 3"), "{out}");
    assert!(out.contains("Validation failed"), "{out}");

    // apply -wait-ready: nothing to change, then validation again every 10 s until the node is
    // Ready again (its kubelet, slow, reports Ready some ten seconds after it is seen).
    let wait_vars = [&["apply", "-auto-approve", "-input=false", "-wait-ready=60s"][..], &vars].concat();
    let slow = Behaviour { late: [after[0].clone()].into(), ..Behaviour::default() };
    let ((code, out), _) = kubelets::serving(&moto, &api, &all_groups, slow, || cluster::slipway(&moto, d, &wait_vars));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No changes."), "{out}");
    assert!(out.contains(&format!("Validation failed: node {sick:?} is not ready")), "{out}");
    assert!(out.contains("retrying in 10s"), "{out}");
    assert!(out.contains(&format!("Your cluster {NAME} is ready")), "{out}");

    // What Kubernetes would make by itself (a LoadBalancer Service's security group, opened on
    // the nodes' group; a PersistentVolume's volume), tagged for the cluster behind slipway's
    // back: destroy removes it too, before the network.
    let nodes_group = rt
        .block_on(
            ec2.describe_security_groups()
                .filters(Filter::builder().name("group-name").values(format!("nodes.{NAME}")).build())
                .send(),
        )
        .expect("nodes group");
    let nodes_group = nodes_group.security_groups()[0].group_id().expect("nodes group id").to_string();
    kubernetes_made::load_balancer_group(&moto, &vpc_id, &nodes_group, CLUSTER_TAG);
    kubernetes_made::volume(&moto, CLUSTER_TAG);

    // Destroy: nothing with the cluster tag is left.
    let (code, out) = cluster::slipway(&moto, d, &[&["destroy", "-auto-approve", "-input=false"][..], &vars].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete!"), "{out}");
    assert_eq!(tagged_in_ec2(&moto), Vec::<String>::new(), "nothing with the cluster tag left in EC2");
    let groups = rt.block_on(autoscaling.describe_auto_scaling_groups().send()).expect("groups");
    assert!(groups.auto_scaling_groups().is_empty(), "no Auto Scaling group left");
    let lbs = rt.block_on(elbv2.describe_load_balancers().send()).expect("lbs");
    assert!(lbs.load_balancers().is_empty(), "no load balancer left");
    let roles = rt.block_on(iam.list_roles().send()).expect("roles");
    assert!(roles.roles().iter().all(|r| !r.role_name().ends_with(NAME)), "no role left");
    let profiles = rt.block_on(iam.list_instance_profiles().send()).expect("profiles");
    assert!(profiles.instance_profiles().is_empty(), "no instance profile left");
    let listed = rt.block_on(s3.list_objects_v2().bucket(BUCKET).send()).expect("list");
    assert!(listed.contents().is_empty(), "the state store is empty again");
    let records = rt.block_on(route53.list_resource_record_sets().hosted_zone_id(&zone_id).send()).expect("records");
    assert!(records.resource_record_sets().iter().all(|r| !r.name().starts_with("api.")), "no api record left");
}

/// The index of a zone's control-plane node in the module (one per zone, in order).
fn zone_index(zone: &str) -> usize {
    ["us-east-1a", "us-east-1b", "us-east-1c"].iter().position(|z| *z == zone).expect("a test zone")
}

/// The etcd volumes of the control plane: ID, zone and size, by node name.
fn etcd_volumes(moto: &Moto) -> Vec<(String, String, String, i32)> {
    let filter = Filter::builder().name("tag-key").values("k8s.io/etcd/main").build();
    let out = rt().block_on(moto.ec2().describe_volumes().filters(filter).send()).expect("volumes");
    let mut volumes: Vec<_> = out
        .volumes()
        .iter()
        .map(|v| {
            let member = v.tags().iter().find(|t| t.key() == Some("k8s.io/etcd/main")).and_then(|t| t.value());
            (
                member.unwrap_or_default().to_string(),
                v.volume_id().unwrap_or_default().to_string(),
                v.availability_zone().unwrap_or_default().to_string(),
                v.size().unwrap_or_default(),
            )
        })
        .collect();
    volumes.sort();
    volumes
}

/// The instances of Auto Scaling group `name`.
fn group_instances(moto: &Moto, name: &str) -> Vec<String> {
    let groups = rt().block_on(moto.autoscaling().describe_auto_scaling_groups().auto_scaling_group_names(name).send());
    let groups = groups.expect("groups");
    groups
        .auto_scaling_groups()
        .iter()
        .flat_map(|g| g.instances())
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect()
}

/// IAM returns policy documents URL-encoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Apps in the same configuration as the cluster (issue 8): the kubernetes provider is
/// configured from the module's outputs, which are known only after apply, so the plan makes
/// the cluster and defers its objects, saying what they wait for.
#[test]
fn apps_on_a_cluster_of_the_same_configuration_are_planned_deferred() {
    let moto = Moto::start();
    let dir = cluster::setup(&moto);
    let d = dir.path();
    let apps = r#"
provider "kubernetes" {
  host                   = module.cluster.api_endpoint
  cluster_ca_certificate = module.cluster.cluster_ca
  client_certificate     = module.cluster.client_certificate
  client_key             = module.cluster.client_key
}

resource "kubernetes_manifest" "app" {
  for_each = manifestdecode(<<-YAML
    apiVersion: v1
    kind: Namespace
    metadata:
      name: web
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: nginx
      namespace: web
    spec:
      replicas: 1
      selector:
        matchLabels: {app: nginx}
      template:
        metadata:
          labels: {app: nginx}
        spec:
          containers:
          - name: nginx
            image: nginx:1.27
    YAML
  )
  manifest = each.value
}
"#;
    let main = std::fs::read_to_string(d.join("main.tf")).expect("main.tf");
    std::fs::write(d.join("main.tf"), format!("{main}{apps}")).expect("write main.tf");
    let (code, out) = cluster::slipway(&moto, d, &["plan", "-out=tfplan", "-input=false"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("# kubernetes_manifest.app[\"Deployment/web/nginx\"] will be created"), "{out}");
    assert!(out.contains("# kubernetes_manifest.app[\"Namespace/web\"] will be created"), "{out}");
    // The note is wrapped as the plan's other prose is.
    let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "Cluster api.test.k8s.example.com does not exist yet: 2 objects will be applied after it is ready."
        ),
        "{out}"
    );
    let (code, json) = cluster::slipway(&moto, d, &["show", "-json", "tfplan"]);
    assert_eq!(code, 0, "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json).expect("plan JSON");
    let deferred = doc["deferred_changes"].as_array().expect("deferred_changes");
    assert_eq!(deferred.len(), 2, "{:#}", doc["deferred_changes"]);
    // The objects wait for what their provider block is made from: the CA, the admin
    // certificate and key, and the API record.
    let change = doc["resource_changes"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["address"] == "kubernetes_manifest.app[\"Namespace/web\"]"))
        .expect("the namespace's change")
        .clone();
    assert_eq!(change["change"]["actions"], serde_json::json!(["create"]), "{change:#}");
    let (code, graph) = cluster::slipway(&moto, d, &["graph", "-type=apply", "-plan=tfplan"]);
    assert_eq!(code, 0, "{graph}");
    assert!(
        graph.lines().any(|l| l.contains("kubernetes_manifest.app") && l.contains("tls_locally_signed_cert.admin")),
        "the apply graph orders the objects after the admin certificate:\n{graph}"
    );
}
