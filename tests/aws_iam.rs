//! IAM end to end, through the real binary against the local AWS (moto): roles with inline and
//! managed policies, a managed policy, a role policy, an attachment and an instance profile are
//! applied and read back through the SDK; a reformatted policy is no change; a changed document
//! and tag are in-place updates; a renamed profile is replaced; drift made outside slipway is
//! seen and undone; a role made outside slipway is imported with its policy and attachment; a
//! role left behind by a stopped run is adopted; destroy detaches what it must and leaves nothing.

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

fn decode(doc: &str) -> serde_json::Value {
    let text = percent_decode(doc);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// moto returns documents URL-encoded, as IAM does.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8")
}

const IAM: &str = r#"
data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "node"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  inline_policy {
    name = "describe"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = ["ec2:Describe*"], Resource = "*" }]
    })
  }

  tags = {
    Role = "TAG_VALUE"
  }
}

resource "aws_iam_role" "worker" {
  name_prefix          = "worker-"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  max_session_duration = 7200
  description          = "workers"
}

resource "aws_iam_policy" "read" {
  name        = "read"
  description = "read the state store"
  policy      = <<EOF
POLICY_READ
EOF
}

resource "aws_iam_role_policy" "logs" {
  name   = "logs"
  role   = aws_iam_role.worker.name
  policy = <<EOF
POLICY_LOGS
EOF
}

resource "aws_iam_role_policy_attachment" "read" {
  role       = aws_iam_role.worker.name
  policy_arn = aws_iam_policy.read.arn
}

resource "aws_iam_instance_profile" "node" {
  name = "PROFILE_NAME"
  role = aws_iam_role.node.name
}

data "aws_iam_role" "node" {
  name = aws_iam_role.node.name
}

output "worker" {
  value = aws_iam_role.worker.name
}

output "policy_arn" {
  value = aws_iam_policy.read.arn
}

output "node_role_arn" {
  value = data.aws_iam_role.node.arn
}
"#;

const READ_COMPACT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::state","arn:aws:s3:::state/*"]}]}"#;
/// The same policy: other key order, layout, and list order.
const READ_REFORMATTED: &str = r#"{
  "Statement": {
    "Resource": ["arn:aws:s3:::state/*", "arn:aws:s3:::state"],
    "Action": ["s3:ListBucket", "s3:GetObject"],
    "Effect": "Allow"
  },
  "Version": "2012-10-17"
}"#;
const READ_CHANGED: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
const LOGS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}"#;
const LOGS_REFORMATTED: &str =
    r#"{"Statement":[{"Resource":["*"],"Effect":"Allow","Action":["logs:PutLogEvents"]}],"Version":"2012-10-17"}"#;

fn config(moto: &Moto, tag: &str, read: &str, logs: &str, profile: &str) -> String {
    let body = IAM
        .replace("TAG_VALUE", tag)
        .replace("POLICY_READ", read)
        .replace("POLICY_LOGS", logs)
        .replace("PROFILE_NAME", profile);
    format!("{}{body}", moto.provider_block())
}

#[test]
fn roles_policies_and_profiles_are_created_read_back_updated_kept_converged_and_destroyed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), config(&moto, "node", READ_COMPACT, LOGS, "node")).expect("write");

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 6 added"), "{out}");
    let worker = output(d, "worker");
    assert!(worker.starts_with("worker-"), "{worker}");
    let policy_arn = output(d, "policy_arn");

    // Read back through the SDK.
    let iam = moto.iam();
    let rt = rt();
    let node = rt.block_on(iam.get_role().role_name("node").send()).expect("get role");
    let node = node.role().expect("role");
    assert_eq!(output(d, "node_role_arn"), node.arn());
    let trust = decode(node.assume_role_policy_document().expect("trust policy"));
    assert_eq!(trust["Statement"][0]["Principal"]["Service"], "ec2.amazonaws.com", "{trust}");
    assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole", "{trust}");
    let tags: Vec<(&str, &str)> = node.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert!(tags.contains(&("Role", "node")) && tags.contains(&("ManagedBy", "slipway")), "{tags:?}");
    assert!(tags.iter().any(|(k, _)| *k == "slipway:owner"), "tagged with its owner at creation: {tags:?}");
    let inline = rt.block_on(iam.get_role_policy().role_name("node").policy_name("describe").send()).expect("inline");
    assert_eq!(decode(inline.policy_document())["Statement"][0]["Action"][0], "ec2:Describe*");
    let w = rt.block_on(iam.get_role().role_name(&worker).send()).expect("worker");
    let w = w.role().expect("role");
    assert_eq!((w.max_session_duration(), w.description()), (Some(7200), Some("workers")));
    let logs = rt.block_on(iam.get_role_policy().role_name(&worker).policy_name("logs").send()).expect("logs");
    assert_eq!(decode(logs.policy_document())["Statement"][0]["Action"], "logs:PutLogEvents");
    let attached = rt.block_on(iam.list_attached_role_policies().role_name(&worker).send()).expect("attached");
    let arns: Vec<&str> = attached.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
    assert_eq!(arns, [policy_arn.as_str()]);
    let policy = rt.block_on(iam.get_policy().policy_arn(&policy_arn).send()).expect("policy");
    assert_eq!(policy.policy().and_then(|p| p.description()), Some("read the state store"));
    let profile = rt.block_on(iam.get_instance_profile().instance_profile_name("node").send()).expect("profile");
    let roles: Vec<&str> = profile.instance_profile().expect("profile").roles().iter().map(|r| r.role_name()).collect();
    assert_eq!(roles, ["node"]);

    // Idempotence; and a reformatted, reordered policy is no change either.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");
    std::fs::write(d.join("main.tf"), config(&moto, "node", READ_REFORMATTED, LOGS_REFORMATTED, "node"))
        .expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "a reformatted policy is no change: {out}");

    // In place: a tag and a document.
    std::fs::write(d.join("main.tf"), config(&moto, "control-plane", READ_CHANGED, LOGS, "node")).expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(!out.contains("must be replaced"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 2 changed, 0 destroyed."), "{out}");
    let node = rt.block_on(iam.get_role().role_name("node").send()).expect("get role");
    assert!(node.role().expect("role").tags().iter().any(|t| t.key() == "Role" && t.value() == "control-plane"));
    let policy = rt.block_on(iam.get_policy().policy_arn(&policy_arn).send()).expect("policy");
    let version = policy.policy().and_then(|p| p.default_version_id()).expect("default version").to_string();
    assert_ne!(version, "v1", "a changed document is a new default version");
    let doc = rt.block_on(iam.get_policy_version().policy_arn(&policy_arn).version_id(&version).send()).expect("v");
    assert_eq!(
        decode(doc.policy_version().and_then(|v| v.document()).expect("document"))["Statement"][0]["Action"],
        "s3:*"
    );
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Replace: a new profile name is a new profile.
    std::fs::write(d.join("main.tf"), config(&moto, "control-plane", READ_CHANGED, LOGS, "nodes")).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 1 added, 0 changed, 1 destroyed."), "{out}");
    assert!(rt.block_on(iam.get_instance_profile().instance_profile_name("node").send()).is_err(), "old one gone");
    rt.block_on(iam.get_instance_profile().instance_profile_name("nodes").send()).expect("new profile");

    // Drift: a tag changed, an inline policy added to the role and the role policy deleted, all
    // outside slipway. The plan shows each; apply undoes them.
    rt.block_on(
        iam.tag_role()
            .role_name("node")
            .tags(aws_sdk_iam::types::Tag::builder().key("Role").value("hacked").build().expect("tag"))
            .send(),
    )
    .expect("tag");
    rt.block_on(iam.put_role_policy().role_name("node").policy_name("sneaky").policy_document(READ_CHANGED).send())
        .expect("put");
    rt.block_on(iam.delete_role_policy().role_name(&worker).policy_name("logs").send()).expect("delete");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("hacked") && out.contains("sneaky"), "{out}");
    assert!(out.contains("aws_iam_role_policy.logs will be created"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let listed = rt.block_on(iam.list_role_policies().role_name("node").send()).expect("list");
    assert_eq!(listed.policy_names(), ["describe"], "the policy added outside was removed");
    rt.block_on(iam.get_role_policy().role_name(&worker).policy_name("logs").send()).expect("logs is back");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Drift in a managed policy: a new default version made outside is seen and replaced by
    // the configured document (a version of its own).
    rt.block_on(iam.create_policy_version().policy_arn(&policy_arn).policy_document(LOGS).set_as_default(true).send())
        .expect("policy version");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_iam_policy.read will be updated in-place") && out.contains("logs:PutLogEvents"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let policy = rt.block_on(iam.get_policy().policy_arn(&policy_arn).send()).expect("policy");
    let version = policy.policy().and_then(|p| p.default_version_id()).expect("default version").to_string();
    let doc = rt.block_on(iam.get_policy_version().policy_arn(&policy_arn).version_id(&version).send()).expect("v");
    assert_eq!(
        decode(doc.policy_version().and_then(|v| v.document()).expect("document"))["Statement"][0]["Action"],
        "s3:*"
    );
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Destroy: the attachment and the role policy go before their role, the role leaves its
    // instance profile first; nothing is left.
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 6 destroyed."), "{out}");
    let roles = rt.block_on(iam.list_roles().send()).expect("roles");
    assert!(roles.roles().is_empty(), "{:?}", roles.roles());
    let policies =
        rt.block_on(iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send()).expect("policies");
    assert!(policies.policies().is_empty(), "{:?}", policies.policies());
    let profiles = rt.block_on(iam.list_instance_profiles().send()).expect("profiles");
    assert!(profiles.instance_profiles().is_empty());
}

#[test]
fn a_role_made_outside_is_imported_with_its_policy_and_attachment_then_force_detached_on_destroy() {
    let moto = Moto::start();
    let iam = moto.iam();
    let rt = rt();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    rt.block_on(iam.create_role().role_name("legacy").assume_role_policy_document(trust).send()).expect("role");
    rt.block_on(iam.put_role_policy().role_name("legacy").policy_name("inline").policy_document(LOGS).send())
        .expect("inline");
    let policy = rt.block_on(iam.create_policy().policy_name("legacy-read").policy_document(READ_COMPACT).send());
    let arn = policy.expect("policy").policy().and_then(|p| p.arn()).expect("arn").to_string();
    rt.block_on(iam.attach_role_policy().role_name("legacy").policy_arn(&arn).send()).expect("attach");
    // Attached outside any resource: only force_detach_policies lets the role go.
    let other = rt.block_on(iam.create_policy().policy_name("other").policy_document(LOGS).send());
    let other_arn = other.expect("policy").policy().and_then(|p| p.arn()).expect("arn").to_string();

    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = format!(
        r#"
resource "aws_iam_role" "legacy" {{
  name                  = "legacy"
  force_detach_policies = true
  assume_role_policy    = jsonencode({{
    Version   = "2012-10-17"
    Statement = [{{ Action = "sts:AssumeRole", Effect = "Allow", Principal = {{ Service = ["ec2.amazonaws.com"] }} }}]
  }})
}}

resource "aws_iam_role_policy" "inline" {{
  name   = "inline"
  role   = aws_iam_role.legacy.name
  policy = <<EOF
{LOGS_REFORMATTED}
EOF
}}

resource "aws_iam_role_policy_attachment" "read" {{
  role       = aws_iam_role.legacy.name
  policy_arn = "{arn}"
}}
"#
    );
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    let (code, out) = slipway(d, &["import", "aws_iam_role_policy.inline", "no-colon"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("ROLE:POLICY_NAME"), "{out}");
    for (address, id) in [
        ("aws_iam_role.legacy", "legacy".to_string()),
        ("aws_iam_role_policy.inline", "legacy:inline".to_string()),
        ("aws_iam_role_policy_attachment.read", format!("legacy/{arn}")),
    ] {
        let (code, out) = slipway(d, &["import", address, &id]);
        assert_eq!(code, 0, "{out}");
        assert!(out.contains("Import successful!"), "{out}");
    }

    // The imported documents mean what the configuration says: only the default tag and
    // force_detach_policies (which AWS does not keep) are to do, in place.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_iam_role.legacy will be updated in-place"), "{out}");
    assert!(!out.contains("aws_iam_role_policy.inline") && !out.contains("must be replaced"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    rt.block_on(iam.attach_role_policy().role_name("legacy").policy_arn(&other_arn).send()).expect("attach");
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(rt.block_on(iam.get_role().role_name("legacy").send()).is_err(), "the role is gone");
    // The managed policies themselves were never slipway's: they stay.
    rt.block_on(iam.get_policy().policy_arn(&arn).send()).expect("policy stays");
}

/// A run that created a role and stopped before saving state: the role carries the owner tag
/// and the next apply of that plan adopts it; a role of the same name made by someone else is
/// an error that says what to do.
#[test]
fn a_role_left_by_a_stopped_run_is_adopted_and_a_foreign_one_is_reported() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = r#"
resource "aws_iam_role" "mine" {
  name               = "mine"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })
  tags = { Name = "mine" }
}
"#;
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    let (code, out) = slipway(d, &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    let plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("tfplan")).expect("plan file")).expect("plan is JSON");
    let owner =
        format!("{}/{}/aws_iam_role.mine", plan["prior_lineage"].as_str().expect("lineage"), plan["prior_serial"]);
    let iam = moto.iam();
    let rt = rt();
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#;
    let tag = aws_sdk_iam::types::Tag::builder().key("slipway:owner").value(&owner).build().expect("tag");
    rt.block_on(iam.create_role().role_name("mine").assume_role_policy_document(trust).tags(tag).send())
        .expect("role left behind");
    let (code, out) = slipway(d, &["apply", "tfplan"]);
    assert_eq!(code, 0, "adopted: {out}");
    let role = rt.block_on(iam.get_role().role_name("mine").send()).expect("role");
    assert!(role.role().expect("role").tags().iter().any(|t| t.key() == "Name" && t.value() == "mine"), "updated");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Someone else's role of the same name: reported, with the way out.
    rt.block_on(iam.create_role().role_name("theirs").assume_role_policy_document(trust).send()).expect("theirs");
    std::fs::write(
        d.join("main.tf"),
        format!("{}{}", moto.provider_block(), config.replace("\"mine\"\n  assume", "\"theirs\"\n  assume")),
    )
    .expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("EntityAlreadyExists") && out.contains("slipway import"), "{out}");
}
