//! EBS volumes end to end, through the real binary against the local AWS (moto): a volume is
//! created with its type, size, encryption and tags and read back through the SDK; a second
//! plan shows no changes; growing it and changing its type is one in-place change
//! (ModifyVolume); shrinking it plans a replacement; a volume made outside slipway is imported;
//! destroy with `final_snapshot` leaves a snapshot and no volume.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use aws_sdk_ec2::types::Volume;
use support::moto::Moto;
use support::{rt, slipway};

fn config(moto: &Moto, size: u32, kind: &str) -> String {
    format!(
        r#"{provider}
resource "aws_ebs_volume" "etcd" {{
  availability_zone = "us-east-1b"
  size              = {size}
  type              = "{kind}"
  encrypted         = true
  final_snapshot    = true

  tags = {{
    Name = "etcd-main"
  }}
}}

output "id" {{
  value = aws_ebs_volume.etcd.id
}}
"#,
        provider = moto.provider_block()
    )
}

fn output(dir: &Path, name: &str) -> String {
    let (code, value) = slipway(dir, &["output", "-raw", name]);
    assert_eq!(code, 0, "output {name}: {value}");
    value
}

fn volume(rt: &tokio::runtime::Runtime, ec2: &aws_sdk_ec2::Client, id: &str) -> Option<Volume> {
    let filter = aws_sdk_ec2::types::Filter::builder().name("volume-id").values(id).build();
    let out = rt.block_on(ec2.describe_volumes().filters(filter).send()).expect("describe volumes");
    out.volumes().first().cloned()
}

fn tag<'a>(v: &'a Volume, key: &str) -> Option<&'a str> {
    v.tags().iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

#[test]
fn a_volume_is_created_grown_in_place_replaced_when_shrunk_and_snapshotted_on_destroy() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let rt = rt();
    let ec2 = moto.ec2();
    std::fs::write(d.join("main.tf"), config(&moto, 20, "gp3")).expect("write");

    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("+ resource \"aws_ebs_volume\" \"etcd\""), "{out}");
    assert!(out.contains("+ arn") && out.contains("(known after apply)"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let id = output(d, "id");
    let made = volume(&rt, &ec2, &id).expect("the volume exists");
    assert_eq!(made.availability_zone(), Some("us-east-1b"));
    assert_eq!(made.size(), Some(20));
    assert_eq!(made.volume_type().map(|t| t.as_str()), Some("gp3"));
    assert_eq!(made.encrypted(), Some(true));
    assert_eq!(tag(&made, "Name"), Some("etcd-main"));
    assert_eq!(tag(&made, "ManagedBy"), Some("slipway"), "default tags at creation");
    let owner = tag(&made, "slipway:owner").unwrap_or_default();
    assert!(owner.ends_with("/aws_ebs_volume.etcd"), "the owner tag is set at creation: {owner}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // Bigger and another type: ModifyVolume, the same volume.
    std::fs::write(d.join("main.tf"), config(&moto, 30, "io2")).expect("write");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("~ update in-place"), "{out}");
    assert!(out.contains("~ size") && out.contains("20 -> 30"), "{out}");
    assert!(out.contains("\"gp3\" -> \"io2\""), "{out}");
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(output(d, "id"), id, "changed in place");
    let grown = volume(&rt, &ec2, &id).expect("still there");
    assert_eq!(grown.size(), Some(30));
    assert_eq!(grown.volume_type().map(|t| t.as_str()), Some("io2"));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged after growing: {out}");

    // Smaller: EBS cannot shrink a volume, so it is a new one.
    std::fs::write(d.join("main.tf"), config(&moto, 10, "io2")).expect("write");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("must be replaced"), "{out}");
    assert!(out.contains("30 -> 10 # forces replacement"), "{out}");
    assert!(out.contains("Plan: 1 to add, 0 to change, 1 to destroy."), "{out}");
    std::fs::write(d.join("main.tf"), config(&moto, 30, "io2")).expect("write");

    // Drift: a tag changed behind slipway's back is put back.
    rt.block_on(
        ec2.create_tags().resources(&id).tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("x").build()).send(),
    )
    .expect("retag");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("\"x\" -> \"etcd-main\""), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");

    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 1 destroyed."), "{out}");
    assert!(volume(&rt, &ec2, &id).is_none(), "the volume is deleted");
    let snapshots = rt.block_on(ec2.describe_snapshots().owner_ids("self").send()).expect("snapshots");
    let last = snapshots.snapshots().iter().find(|s| s.volume_id() == Some(id.as_str()));
    let last = last.expect("final_snapshot took a snapshot before deleting the volume");
    assert!(last.tags().iter().any(|t| t.key() == Some("Name") && t.value() == Some("etcd-main")), "{last:?}");
}

#[test]
fn a_volume_made_outside_slipway_is_imported_and_then_managed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let rt = rt();
    let ec2 = moto.ec2();
    let made = rt
        .block_on(
            ec2.create_volume()
                .availability_zone("us-east-1b")
                .size(20)
                .volume_type("gp3".into())
                .encrypted(true)
                .send(),
        )
        .expect("create volume");
    let id = made.volume_id().expect("id").to_string();
    rt.block_on(
        ec2.create_tags()
            .resources(&id)
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("etcd-main").build())
            .send(),
    )
    .expect("tag");
    let config = config(&moto, 20, "gp3").replace("  final_snapshot    = true\n", "");
    std::fs::write(d.join("main.tf"), config).expect("write");

    let (code, out) = slipway(d, &["import", "aws_ebs_volume.etcd", &id]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    // Only the default tag the provider adds is new; nothing about the volume itself.
    assert!(out.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "{out}");
    assert!(out.contains("+ \"ManagedBy\" = \"slipway\""), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged: {out}");
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(volume(&rt, &ec2, &id).is_none(), "an imported volume is deleted on destroy");
    let snapshots = rt.block_on(ec2.describe_snapshots().owner_ids("self").send()).expect("snapshots");
    assert!(
        !snapshots.snapshots().iter().any(|s| s.volume_id() == Some(id.as_str())),
        "no final snapshot unless asked"
    );
}
