//! Launch templates end to end, through the real binary against the local AWS (moto): a
//! template is created and read back through the SDK; a second plan shows no changes; a new
//! instance type is a new version that becomes the default; a version made behind slipway's back
//! is drift; a template made outside slipway is imported; destroy deletes it.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use support::moto::Moto;
use support::rt;
use support::slipway;

fn output(dir: &Path, name: &str) -> String {
    let (code, value) = slipway(dir, &["output", "-raw", name]);
    assert_eq!(code, 0, "output {name}: {value}");
    value
}

fn config(moto: &Moto, instance_type: &str) -> String {
    format!(
        r##"{provider}
resource "aws_launch_template" "nodes" {{
  name_prefix            = "nodes-"
  image_id               = "ami-1e749f67"
  instance_type          = "{instance_type}"
  user_data              = base64encode("#!/bin/sh\necho node\n")
  update_default_version = true

  block_device_mappings {{
    device_name = "/dev/xvda"
    ebs {{
      volume_size           = 20
      volume_type           = "gp3"
      delete_on_termination = true
    }}
  }}

  metadata_options {{
    http_tokens                 = "required"
    http_put_response_hop_limit = 2
  }}

  tag_specifications {{
    resource_type = "instance"
    tags = {{
      Role = "node"
    }}
  }}

  tags = {{
    Name = "nodes"
  }}
}}

output "id" {{
  value = aws_launch_template.nodes.id
}}

output "latest_version" {{
  value = aws_launch_template.nodes.latest_version
}}
"##,
        provider = moto.provider_block()
    )
}

fn versions(rt: &tokio::runtime::Runtime, ec2: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::LaunchTemplate {
    let out = rt.block_on(ec2.describe_launch_templates().launch_template_ids(id).send()).expect("describe");
    out.launch_templates()[0].clone()
}

fn latest_data(
    rt: &tokio::runtime::Runtime,
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> aws_sdk_ec2::types::ResponseLaunchTemplateData {
    let out = rt
        .block_on(ec2.describe_launch_template_versions().launch_template_id(id).versions("$Latest").send())
        .expect("versions");
    out.launch_template_versions()[0].launch_template_data().expect("data").clone()
}

#[test]
fn a_launch_template_is_created_versioned_refreshed_imported_and_deleted() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let rt = rt();
    let ec2 = moto.ec2();
    std::fs::write(d.join("main.tf"), config(&moto, "t3.micro")).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let id = output(d, "id");
    let template = versions(&rt, &ec2, &id);
    assert!(template.launch_template_name().is_some_and(|n| n.starts_with("nodes-")), "{template:?}");
    assert!(template.tags().iter().any(|t| t.key() == Some("slipway:owner")), "owner tag at creation");
    let data = latest_data(&rt, &ec2, &id);
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.micro"));
    assert_eq!(data.block_device_mappings()[0].ebs().and_then(|e| e.volume_size()), Some(20));
    assert_eq!(data.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()), Some("required"));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // A new instance type: a new version, made the default.
    std::fs::write(d.join("main.tf"), config(&moto, "t3.large")).expect("write");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"t3.micro\" -> \"t3.large\""), "{out}");
    assert!(out.contains("latest_version") && out.contains("(known after apply)"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(output(d, "id"), id, "updated in place");
    assert_eq!(output(d, "latest_version"), "2");
    let template = versions(&rt, &ec2, &id);
    assert_eq!(template.default_version_number(), Some(2), "update_default_version");
    assert_eq!(latest_data(&rt, &ec2, &id).instance_type().map(|t| t.as_str()), Some("t3.large"));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");

    // A version made outside slipway: drift, planned back as a new version.
    let other = aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
        .image_id("ami-1e749f67")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Nano)
        .build();
    rt.block_on(ec2.create_launch_template_version().launch_template_id(&id).launch_template_data(other).send())
        .expect("out-of-band version");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"t3.nano\" -> \"t3.large\""), "the out-of-band version is drift: {out}");

    // Import of a template made outside slipway.
    let made = rt
        .block_on(
            ec2.create_launch_template()
                .launch_template_name("legacy")
                .launch_template_data(
                    aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                        .image_id("ami-1e749f67")
                        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                        .build(),
                )
                .send(),
        )
        .expect("create template");
    let legacy = made.launch_template().and_then(|t| t.launch_template_id()).expect("id").to_string();
    let legacy_config = "\nresource \"aws_launch_template\" \"legacy\" {\n  name          = \"legacy\"\n  image_id      = \"ami-1e749f67\"\n  instance_type = \"t3.micro\"\n}\n";
    std::fs::write(d.join("main.tf"), format!("{}{legacy_config}", config(&moto, "t3.large"))).expect("write");
    let (code, out) = slipway(d, &["import", "aws_launch_template.legacy", &legacy]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-no-color", "-target=aws_launch_template.legacy"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("aws_launch_template.legacy will be updated in-place"), "{out}");
    assert!(out.contains("+ \"ManagedBy\" = \"slipway\""), "only the default tags are new: {out}");
    let actions = out.split("will perform the following actions").nth(1).unwrap_or_default();
    assert!(!actions.contains("instance_type") && !actions.contains("image_id"), "the launch data matches: {out}");

    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let left = rt.block_on(ec2.describe_launch_templates().send()).expect("describe");
    assert!(left.launch_templates().is_empty(), "nothing left: {:?}", left.launch_templates());
}
