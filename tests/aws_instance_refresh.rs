//! `instance_refresh` of `aws_autoscaling_group` end to end: a node group of two instances
//! (moto) whose nodes are registered by kubelets played against the test API server, rolled
//! onto a new launch template version one node at a time: each node cordoned and its pods
//! evicted (DaemonSet pods stay), its instance terminated, the replacement waited for until its
//! Node is Ready, the old Node deleted, then the next. A roll whose replacement never becomes
//! Ready stops there, with the old node still serving, and the next plan shows the template
//! change again; its apply finishes the roll; then nothing is left to do. A stopped roll whose
//! `instance_refresh` block is then removed is forgotten, rolling nothing. A block the apply
//! would refuse is refused by the plan.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;

use slipway_test_kube_apiserver::ApiServer;
use support::kubelets::{self, Behaviour, node_name};
use support::moto::Moto;
use support::{rt, slipway};

const GROUP: &str = "nodes.roll.example.com";

fn config(moto: &Moto, api: &ApiServer, instance_type: &str, node_timeout: &str) -> String {
    let body = format!(
        r##"
resource "aws_vpc" "main" {{
  cidr_block = "10.50.0.0/16"
}}

resource "aws_subnet" "nodes" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.50.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_launch_template" "nodes" {{
  name                   = "{GROUP}"
  image_id               = "ami-1e749f67"
  instance_type          = "{instance_type}"
  user_data              = base64encode("#cloud-config\n")
  update_default_version = true
}}

resource "aws_autoscaling_group" "nodes" {{
  name                = "{GROUP}"
  min_size            = 2
  max_size            = 2
  desired_capacity    = 2
  vpc_zone_identifier = [aws_subnet.nodes.id]
  launch_template {{
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }}
  instance_refresh {{
    strategy = "Rolling"
    preferences {{
      min_healthy_percentage = 50
    }}
    kubernetes {{
      host    = "{url}"
      token   = "roll"
      timeout = "{node_timeout}"
    }}
  }}
}}
"##,
        url = api.url
    );
    format!("{}{body}", moto.provider_block())
}

fn write(d: &Path, text: String) {
    std::fs::write(d.join("main.tf"), text).expect("write main.tf");
}

/// The group's instances, and the running instances' types as EC2 reports them.
fn instances(moto: &Moto) -> (Vec<String>, BTreeSet<String>) {
    let rt = rt();
    let groups = rt.block_on(moto.autoscaling().describe_auto_scaling_groups().auto_scaling_group_names(GROUP).send());
    let group = groups.expect("groups").auto_scaling_groups()[0].clone();
    let ids: Vec<String> = group.instances().iter().filter_map(|i| i.instance_id().map(str::to_string)).collect();
    let described = rt.block_on(moto.ec2().describe_instances().set_instance_ids(Some(ids.clone())).send());
    let types = described
        .expect("instances")
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .filter_map(|i| i.instance_type().map(|t| t.as_str().to_string()))
        .collect();
    (ids, types)
}

fn terminated(moto: &Moto, ids: &[String]) -> bool {
    let described =
        rt().block_on(moto.ec2().describe_instances().set_instance_ids(Some(ids.to_vec())).send()).expect("instances");
    described
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .all(|i| i.state().and_then(|s| s.name()).is_some_and(|n| n.as_str() == "terminated"))
}

fn pending_tag(moto: &Moto) -> Option<String> {
    let groups =
        rt().block_on(moto.autoscaling().describe_auto_scaling_groups().auto_scaling_group_names(GROUP).send());
    let group = groups.expect("groups").auto_scaling_groups()[0].clone();
    group
        .tags()
        .iter()
        .find(|t| t.key() == Some("slipway:instance-refresh"))
        .and_then(|t| t.value())
        .map(str::to_string)
}

#[test]
fn a_new_template_version_rolls_the_nodes_one_at_a_time_and_a_stopped_roll_resumes() {
    let moto = Moto::start();
    let api = ApiServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let groups = [GROUP];

    // Created: no roll, the kubelets register the two nodes.
    write(d, config(&moto, &api, "t3.medium", "30s"));
    let ((code, out), _) =
        kubelets::serving(&moto, &api, &groups, Behaviour::default(), || slipway(d, &["apply", "-auto-approve"]));
    assert_eq!(code, 0, "{out}");
    let (first, types) = instances(&moto);
    assert_eq!(first.len(), 2);
    assert_eq!(types, BTreeSet::from(["t3.medium".to_string()]));

    // A new instance type: the template gets version 2 and the group rolls onto it.
    write(d, config(&moto, &api, "t3.large", "30s"));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode", "-markdown=plan.md"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Plan: 0 to add, 2 to change, 0 to destroy."), "{out}");
    assert!(out.contains("aws_autoscaling_group.nodes will be updated in-place"), "{out}");
    assert!(
        out.contains("  # (its 2 instances will be replaced one at a time by instance_refresh, keeping 50% of the group in service; each node is drained first, and its replacement must be Ready in the cluster before the next batch)\n"),
        "the plan says the group rolls: {out}"
    );
    // And so does its summary for a pull request, outside the details.
    let summary = std::fs::read_to_string(d.join("plan.md")).expect("markdown summary");
    assert!(
        summary.contains("**Updated in place, and more:**\n\n- `aws_autoscaling_group.nodes`: its 2 instances will be replaced one at a time"),
        "{summary}"
    );
    let ((code, out), seen) =
        kubelets::serving(&moto, &api, &groups, Behaviour::default(), || slipway(d, &["apply", "-auto-approve"]));
    assert_eq!(code, 0, "{out}");
    let (second, types) = instances(&moto);
    assert_eq!(types, BTreeSet::from(["t3.large".to_string()]), "every node runs the new template");
    assert!(second.iter().all(|id| !first.contains(id)), "every instance was replaced: {first:?} -> {second:?}");
    assert!(terminated(&moto, &first), "the old instances are terminated");
    assert_eq!(seen.most_cordoned_at_once, 1, "one node at a time (min_healthy_percentage 50 of 2)");
    let nodes: BTreeSet<String> = api.names("v1", "Node").into_iter().collect();
    let expected: BTreeSet<String> = second.iter().map(|id| node_name(id)).collect();
    assert_eq!(nodes, expected, "the old nodes are gone, the new ones registered");
    let pods: BTreeSet<String> = api.names("v1", "Pod").into_iter().collect();
    for old in &first {
        let short = old.trim_start_matches("i-");
        assert!(!pods.contains(&format!("default/web-{short}")), "the old node's web pod was evicted: {pods:?}");
        assert!(pods.contains(&format!("kube-system/flannel-{short}")), "DaemonSet pods are not evicted: {pods:?}");
    }
    let evictions = api.requests().iter().filter(|r| r.starts_with("POST") && r.contains("/eviction")).count();
    assert_eq!(evictions, 2, "one eviction per old node's web pod");
    assert_eq!(pending_tag(&moto), None, "the roll is over");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged after the roll: {out}");

    // A roll whose first replacement never becomes Ready stops there: one node replaced and
    // waited for in vain, the other untouched, and the group still marked.
    write(d, config(&moto, &api, "t3.xlarge", "3s"));
    // The two running instances are seen first; the first replacement is the third.
    let stuck = Behaviour { ready_limit: Some(2), ..Behaviour::default() };
    let ((code, out), seen) =
        kubelets::serving(&moto, &api, &groups, stuck, || slipway(d, &["apply", "-auto-approve"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Timed out waiting for new nodes to be Ready"), "{out}");
    assert!(out.contains("no Ready node"), "{out}");
    assert_eq!(seen.most_cordoned_at_once, 1);
    let (third, _) = instances(&moto);
    assert_eq!(third.iter().filter(|id| second.contains(id)).count(), 1, "the second old node still serves");
    assert_eq!(pending_tag(&moto).as_deref(), Some("2"), "the group remembers the roll from version 2");

    // The next plan shows the group's change again, and its apply finishes the roll.
    write(d, config(&moto, &api, "t3.xlarge", "30s"));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_autoscaling_group.nodes will be updated in-place"), "{out}");
    assert!(out.contains("\"2\" -> \"3\""), "the template version the roll started from: {out}");
    let ((code, out), _) =
        kubelets::serving(&moto, &api, &groups, Behaviour::default(), || slipway(d, &["apply", "-auto-approve"]));
    assert_eq!(code, 0, "{out}");
    let (fourth, types) = instances(&moto);
    assert_eq!(types, BTreeSet::from(["t3.xlarge".to_string()]));
    assert!(fourth.iter().all(|id| !second.contains(id)), "{second:?} -> {fourth:?}");
    assert_eq!(pending_tag(&moto), None);
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged after the resumed roll: {out}");

    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let groups = rt().block_on(moto.autoscaling().describe_auto_scaling_groups().send()).expect("groups");
    assert!(groups.auto_scaling_groups().is_empty());
}

#[test]
fn an_instance_refresh_apply_would_refuse_is_refused_by_the_plan() {
    let moto = Moto::start();
    let api = ApiServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let text = config(&moto, &api, "t3.medium", "30s");
    // Launch before terminate is not how slipway rolls: the plan says so, before anything exists.
    let bad =
        text.replace("min_healthy_percentage = 50", "min_healthy_percentage = 50\n      max_healthy_percentage = 110");
    assert_ne!(bad, text);
    write(d, bad);
    let (code, out) = slipway(d, &["plan"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Invalid instance_refresh"), "{out}");
    assert!(out.contains("max_healthy_percentage = 110: slipway replaces instances terminate-first"), "{out}");
    assert!(
        out.contains("main.tf:") && out.contains("max_healthy_percentage = 110\n"),
        "the error points at the attribute: {out}"
    );
    let groups = rt().block_on(moto.autoscaling().describe_auto_scaling_groups().send()).expect("groups");
    assert!(groups.auto_scaling_groups().is_empty(), "nothing was created");

    // A value known only after apply is not checked until it is known.
    let unknown = text.replace("min_healthy_percentage = 50", "min_healthy_percentage = length(aws_vpc.main.id)");
    write(d, unknown);
    let (code, out) = slipway(d, &["plan"]);
    assert_eq!(code, 0, "{out}");
}

/// `config` without its `instance_refresh` block.
fn without_refresh(text: &str) -> String {
    let start = text.find("  instance_refresh {").expect("instance_refresh block");
    let end = start + text[start..].find("\n  }\n").expect("end of the block") + "\n  }\n".len();
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn an_unfinished_roll_whose_instance_refresh_is_removed_is_forgotten() {
    let moto = Moto::start();
    let api = ApiServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let groups = [GROUP];
    write(d, config(&moto, &api, "t3.medium", "30s"));
    let ((code, out), _) =
        kubelets::serving(&moto, &api, &groups, Behaviour::default(), || slipway(d, &["apply", "-auto-approve"]));
    assert_eq!(code, 0, "{out}");

    // A roll stops at its first replacement, which never becomes Ready: the group is marked.
    write(d, config(&moto, &api, "t3.large", "3s"));
    let stuck = Behaviour { ready_limit: Some(2), ..Behaviour::default() };
    let ((code, out), _) = kubelets::serving(&moto, &api, &groups, stuck, || slipway(d, &["apply", "-auto-approve"]));
    assert_eq!(code, 1, "{out}");
    assert_eq!(pending_tag(&moto).as_deref(), Some("1"), "{out}");

    // Without instance_refresh, the group takes the new version and rolls nothing, and the
    // mark goes: refresh reports the version the group has, and the configuration converges.
    let plain = without_refresh(&config(&moto, &api, "t3.large", "3s"));
    assert!(!plain.contains("instance_refresh") && plain.contains("launch_template {"), "{plain}");
    write(d, plain);
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("\"1\" -> \"2\""), "the version the stopped roll started from: {out}");
    assert!(!out.contains("will be replaced one at a time"), "nothing rolls now: {out}");
    let (before, _) = instances(&moto);
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(pending_tag(&moto), None, "the mark of the abandoned roll is cleared");
    let (after, _) = instances(&moto);
    assert_eq!(before, after, "no instance was replaced");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");
}
