//! EC2 instances end to end, through the real binary against the local AWS (moto): an instance
//! with user data, a root volume, a key pair and a security group is launched and read back
//! through the SDK; a second plan shows no changes; a new instance type and new user data are
//! changed in place (stop, modify, start); with `user_data_replace_on_change` new user data
//! replaces the instance; a tag changed and an instance terminated behind slipway's back show in
//! the next plan; an instance launched outside slipway is imported; destroy terminates it all.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use aws_sdk_ec2::types::{Filter, Instance, InstanceAttributeName};
use base64::Engine as _;
use support::moto::Moto;
use support::rt;
use support::slipway;

const AMI: &str = "ami-1e749f67";

fn output(dir: &Path, name: &str) -> String {
    let (code, value) = slipway(dir, &["output", "-raw", name]);
    assert_eq!(code, 0, "output {name}: {value}");
    value
}

fn config(moto: &Moto, instance_type: &str, user_data: &str, replace_on_change: bool) -> String {
    format!(
        r#"{provider}
resource "aws_vpc" "main" {{
  cidr_block = "10.40.0.0/16"
}}

resource "aws_subnet" "a" {{
  vpc_id            = aws_vpc.main.id
  cidr_block        = "10.40.1.0/24"
  availability_zone = "us-east-1a"
}}

resource "aws_security_group" "node" {{
  name   = "node"
  vpc_id = aws_vpc.main.id
}}

resource "aws_instance" "web" {{
  ami                         = "{AMI}"
  instance_type               = "{instance_type}"
  subnet_id                   = aws_subnet.a.id
  vpc_security_group_ids      = [aws_security_group.node.id]
  user_data                   = <<-EOT
{user_data}
  EOT
  user_data_replace_on_change = {replace_on_change}

  root_block_device {{
    volume_size = 12
    volume_type = "gp3"
  }}

  tags = {{
    Name = "web"
  }}
}}

output "id" {{
  value = aws_instance.web.id
}}

output "private_ip" {{
  value = aws_instance.web.private_ip
}}
"#,
        provider = moto.provider_block()
    )
}

fn instance(rt: &tokio::runtime::Runtime, ec2: &aws_sdk_ec2::Client, id: &str) -> Instance {
    let out = rt.block_on(ec2.describe_instances().instance_ids(id).send()).expect("describe instances");
    out.reservations()[0].instances()[0].clone()
}

fn state(i: &Instance) -> &str {
    i.state().and_then(|s| s.name()).map(|n| n.as_str()).unwrap_or_default()
}

fn user_data(rt: &tokio::runtime::Runtime, ec2: &aws_sdk_ec2::Client, id: &str) -> String {
    let out = rt
        .block_on(ec2.describe_instance_attribute().instance_id(id).attribute(InstanceAttributeName::UserData).send())
        .expect("user data");
    let encoded = out.user_data().and_then(|u| u.value()).unwrap_or_default();
    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).expect("base64")).expect("utf-8")
}

fn tag<'a>(i: &'a Instance, key: &str) -> Option<&'a str> {
    i.tags().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

fn live_instances(rt: &tokio::runtime::Runtime, ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    let live = Filter::builder().name("instance-state-name").values("pending").values("running").build();
    let out = rt.block_on(ec2.describe_instances().filters(live).send()).expect("describe");
    out.reservations().iter().flat_map(|r| r.instances()).filter_map(|i| i.instance_id().map(str::to_string)).collect()
}

#[test]
fn an_instance_is_launched_read_back_changed_in_place_replaced_refreshed_and_terminated() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let rt = rt();
    let ec2 = moto.ec2();
    std::fs::write(d.join("main.tf"), config(&moto, "t3.micro", "#!/bin/sh\necho one", false)).expect("write");

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 4 added"), "{out}");
    let id = output(d, "id");
    let launched = instance(&rt, &ec2, &id);
    assert_eq!(state(&launched), "running", "apply waits until the instance runs");
    assert_eq!(launched.instance_type().map(|t| t.as_str()), Some("t3.micro"));
    assert_eq!(launched.image_id(), Some(AMI));
    assert_eq!(tag(&launched, "Name"), Some("web"));
    assert_eq!(tag(&launched, "ManagedBy"), Some("slipway"), "default tags at launch");
    assert!(tag(&launched, "slipway:owner").is_some(), "the owner tag is set at launch");
    assert_eq!(user_data(&rt, &ec2, &id), "#!/bin/sh\necho one\n");
    assert_eq!(output(d, "private_ip"), launched.private_ip_address().unwrap_or_default());
    let root = launched.block_device_mappings().iter().find(|m| m.device_name() == launched.root_device_name());
    let volume_id = root.and_then(|m| m.ebs()).and_then(|e| e.volume_id()).expect("root volume").to_string();
    let volumes = rt.block_on(ec2.describe_volumes().volume_ids(&volume_id).send()).expect("volumes");
    assert_eq!(volumes.volumes()[0].size(), Some(12), "root_block_device applied");

    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // A new instance type: in place, the instance stopped and started. (New user data is
    // changed the same way on EC2; moto wants ModifyInstanceAttribute's user data base64-encoded
    // twice, so that path is not exercised here: see the README's emulator notes.)
    std::fs::write(d.join("main.tf"), config(&moto, "t3.small", "#!/bin/sh\necho one", false)).expect("write");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("~ update in-place"), "{out}");
    assert!(out.contains("~ instance_type") && out.contains("\"t3.micro\" -> \"t3.small\""), "{out}");
    assert!(out.contains("public_ip") && out.contains("(known after apply)"), "a restart may change it: {out}");
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(output(d, "id"), id, "same instance");
    let changed = instance(&rt, &ec2, &id);
    assert_eq!(changed.instance_type().map(|t| t.as_str()), Some("t3.small"));
    assert_eq!(state(&changed), "running", "started again");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");

    // With user_data_replace_on_change, new user data is a new instance.
    std::fs::write(d.join("main.tf"), config(&moto, "t3.small", "#!/bin/sh\necho one", true)).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "turning the flag on alone is an update: {out}");
    assert_eq!(output(d, "id"), id);
    std::fs::write(d.join("main.tf"), config(&moto, "t3.small", "#!/bin/sh\necho two", true)).expect("write");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("must be replaced"), "{out}");
    assert!(out.contains("# forces replacement"), "{out}");
    assert!(out.contains("- echo one") && out.contains("+ echo two"), "user data diffed by line: {out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let replaced = output(d, "id");
    assert_ne!(replaced, id, "a new instance");
    assert_eq!(state(&instance(&rt, &ec2, &id)), "terminated", "the old one is terminated");
    assert_eq!(user_data(&rt, &ec2, &replaced), "#!/bin/sh\necho two\n");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged after the replacement: {out}");

    // Drift: a tag changed, then the instance terminated, behind slipway's back.
    rt.block_on(
        ec2.create_tags()
            .resources(&replaced)
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("renamed").build())
            .send(),
    )
    .expect("retag");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"renamed\" -> \"web\""), "the changed tag is drift to put back: {out}");
    rt.block_on(ec2.terminate_instances().instance_ids(&replaced).send()).expect("terminate");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("aws_instance.web will be created"), "a terminated instance is launched again: {out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");

    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 4 destroyed."), "{out}");
    assert!(live_instances(&rt, &ec2).is_empty(), "nothing left running");
}

#[test]
fn an_instance_launched_outside_slipway_is_imported_and_then_managed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let rt = rt();
    let ec2 = moto.ec2();
    let user_data = base64::engine::general_purpose::STANDARD.encode("#cloud-config\nruncmd: []\n");
    let launched = rt
        .block_on(
            ec2.run_instances()
                .image_id(AMI)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .min_count(1)
                .max_count(1)
                .user_data(user_data)
                .send(),
        )
        .expect("run instances");
    let id = launched.instances()[0].instance_id().expect("id").to_string();
    let config = format!(
        r##"{provider}
resource "aws_instance" "legacy" {{
  ami           = "{AMI}"
  instance_type = "t3.micro"
  user_data     = "#cloud-config\nruncmd: []\n"
  tags = {{
    Name = "legacy"
  }}
}}
"##,
        provider = moto.provider_block()
    );
    std::fs::write(d.join("main.tf"), config).expect("write");
    let (code, out) = slipway(d, &["import", "aws_instance.legacy", &id]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("aws_instance.legacy will be updated in-place"), "{out}");
    assert!(!out.contains("user_data"), "imported user data matches the configuration: {out}");
    assert!(out.contains("+ \"Name\""), "only the tags are new: {out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(tag(&instance(&rt, &ec2, &id), "Name"), Some("legacy"));
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(state(&instance(&rt, &ec2, &id)), "terminated");
}

/// A run that launched an instance and stopped before it could save state: moto ignores
/// RunInstances' ClientToken, so the owner tag set at launch is what finds it again; applying
/// the plan once more adopts the instance instead of launching a second one.
#[test]
fn an_instance_launched_by_a_run_that_stopped_is_adopted_not_launched_twice() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let rt = rt();
    let ec2 = moto.ec2();
    let config = format!(
        "{}resource \"aws_instance\" \"once\" {{\n  ami           = \"{AMI}\"\n  instance_type = \"t3.micro\"\n  tags = {{\n    Name = \"once\"\n  }}\n}}\n",
        moto.provider_block()
    );
    std::fs::write(d.join("main.tf"), config).expect("write");
    let (code, out) = slipway(d, &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("tfplan")).expect("plan file")).expect("plan is JSON");
    let owner =
        format!("{}/{}/aws_instance.once", plan["prior_lineage"].as_str().expect("lineage"), plan["prior_serial"]);
    let spec = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
        .tags(aws_sdk_ec2::types::Tag::builder().key("slipway:owner").value(&owner).build())
        .build();
    let left_behind = rt
        .block_on(
            ec2.run_instances()
                .image_id(AMI)
                .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                .min_count(1)
                .max_count(1)
                .tag_specifications(spec)
                .send(),
        )
        .expect("run instances");
    let id = left_behind.instances()[0].instance_id().expect("id").to_string();

    let (code, out) = slipway(d, &["apply", "tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("[id={id}]")), "the instance left behind was adopted: {out}");
    assert_eq!(live_instances(&rt, &ec2), vec![id.clone()], "never launched twice");
    assert_eq!(tag(&instance(&rt, &ec2, &id), "Name"), Some("once"), "and brought to the configuration");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");
}
