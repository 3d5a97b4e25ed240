//! The GitOps flow, simulated end to end against the local AWS with state in S3: two pull
//! requests are planned from the same base, each in a fresh checkout; the first is merged and its
//! saved plan applied; applying the second's saved plan is refused as stale and says what
//! changed; re-planned on top of the first, it applies. Then the nightly drift job: a tag changed
//! through the SDK makes `plan -refresh-only -detailed-exitcode` exit 2 and name it.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use support::moto::Moto;

/// `slipway ARGS` in `dir` as a CI job runs it: `CI` set, credentials from the environment.
fn job(dir: &Path, args: &[&str]) -> (i32, String) {
    let env = [("CI", "true"), ("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")];
    support::slipway_env(dir, args, &env)
}

fn configuration(moto: &Moto, bucket: &str, resources: &str) -> String {
    format!(
        r#"terraform {{
  backend "s3" {{
    bucket = "{bucket}"
    key    = "infra/slipway.tfstate"
    region = "us-east-1"
    endpoints {{
      s3 = "{url}"
    }}
  }}
}}

{provider}
{resources}"#,
        url = moto.url,
        provider = moto.provider_block()
    )
}

const BASE: &str =
    "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.80.0.0/16\"\n  tags = {\n    Name = \"base\"\n  }\n}\n";
const PR1: &str =
    "resource \"aws_vpc\" \"main\" {\n  cidr_block = \"10.80.0.0/16\"\n  tags = {\n    Name = \"renamed\"\n  }\n}\n";
const PR2_EXTRA: &str =
    "\nresource \"aws_subnet\" \"a\" {\n  vpc_id     = aws_vpc.main.id\n  cidr_block = \"10.80.1.0/24\"\n}\n";

const PR3_EXTRA: &str =
    "\nresource \"aws_subnet\" \"b\" {\n  vpc_id     = aws_vpc.main.id\n  cidr_block = \"10.80.2.0/24\"\n}\n";

/// A fresh checkout of `files` with `init` run, as each CI job starts.
fn checkout(root: &Path, name: &str, config: &str) -> std::path::PathBuf {
    let dir = root.join(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(dir.join("main.tf"), config).expect("write");
    let (code, out) = job(&dir, &["init", "-input=false"]);
    assert_eq!(code, 0, "init in {name}: {out}");
    dir
}

#[test]
fn two_pull_requests_from_one_base_the_second_refused_as_stale_then_replanned() {
    let moto = Moto::start();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let bucket = format!("gitops-state-{}", std::process::id());
    rt.block_on(moto.s3().create_bucket().bucket(&bucket).send()).expect("create bucket");
    let root = tempfile::tempdir().expect("temp dir");

    let main = checkout(root.path(), "main", &configuration(&moto, &bucket, BASE));
    let (code, out) = job(&main, &["apply", "-input=false", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");

    // Two pull requests, planned from the same base.
    let pr1 = checkout(root.path(), "pr1", &configuration(&moto, &bucket, PR1));
    let (code, out) = job(&pr1, &["plan", "-input=false", "-out=tfplan", "-markdown=plan.md", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    let comment = std::fs::read_to_string(pr1.join("plan.md")).expect("markdown");
    assert!(comment.starts_with("### Slipway plan: 0 to add, 1 to change, 0 to destroy"), "{comment}");
    let pr2_config = configuration(&moto, &bucket, &format!("{BASE}{PR2_EXTRA}"));
    let pr2 = checkout(root.path(), "pr2", &pr2_config);
    let (code, out) = job(&pr2, &["plan", "-input=false", "-out=tfplan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");

    // The first is merged: its reviewed plan is applied, in a fresh job.
    let (code, out) = job(&pr1, &["apply", "-input=false", "tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 1 changed, 0 destroyed."), "{out}");

    // The second's plan was made from the state before: refused, saying what changed.
    let (code, out) = job(&pr2, &["apply", "-input=false", "tfplan"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Saved plan is stale") && out.contains("state serial"), "{out}");
    let state: serde_json::Value = {
        let got = rt.block_on(moto.s3().get_object().bucket(&bucket).key("infra/slipway.tfstate").send()).expect("get");
        let bytes = rt.block_on(got.body.collect()).expect("body").into_bytes();
        serde_json::from_slice(&bytes).expect("state JSON")
    };
    assert!(!state.to_string().contains("aws_subnet"), "nothing of the stale plan was applied");

    // Rebased on the first and planned again, it applies.
    std::fs::write(pr2.join("main.tf"), configuration(&moto, &bucket, &format!("{PR1}{PR2_EXTRA}"))).expect("write");
    let (code, out) = job(&pr2, &["plan", "-input=false", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "only the subnet is new: {out}");
    let (code, out) = job(&pr2, &["apply", "-input=false", "tfplan"]);
    assert_eq!(code, 0, "{out}");

    // The nightly drift job: nothing, then a tag changed outside slipway.
    let (code, out) = job(&main, &["plan", "-refresh-only", "-detailed-exitcode", "-input=false", "-lock=false"]);
    assert_eq!(code, 0, "no drift yet: {out}");
    // A plan reviewed before the object changed by hand is refused, naming what changed.
    std::fs::write(main.join("main.tf"), configuration(&moto, &bucket, &format!("{PR1}{PR2_EXTRA}{PR3_EXTRA}")))
        .expect("write");
    let (code, out) = job(&main, &["plan", "-input=false", "-out=reviewed"]);
    assert_eq!(code, 0, "{out}");
    let (_, shown) = job(&main, &["state", "show", "aws_vpc.main"]);
    let vpc_id = shown
        .split('"')
        .find(|word| word.starts_with("vpc-"))
        .unwrap_or_else(|| panic!("the VPC's id in state show: {shown}"))
        .to_string();
    rt.block_on(
        moto.ec2()
            .create_tags()
            .resources(&vpc_id)
            .tags(aws_sdk_ec2::types::Tag::builder().key("Name").value("hand-edited").build())
            .send(),
    )
    .expect("retag");
    let (code, out) = job(&main, &["plan", "-refresh-only", "-detailed-exitcode", "-input=false", "-lock=false"]);
    assert_eq!(code, 2, "drift exits 2: {out}");
    assert!(out.contains("aws_vpc.main") && out.contains("\"renamed\" -> \"hand-edited\""), "and names it: {out}");
    let (code, out) = job(&main, &["apply", "-input=false", "reviewed"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Saved plan is stale") && out.contains("aws_vpc.main: tags, tags_all changed"),
        "the stale read is named: {out}"
    );
    assert!(!out.contains("aws_subnet.b"), "nothing else is blamed: {out}");
}
