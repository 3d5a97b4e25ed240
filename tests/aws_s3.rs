//! S3 end to end, through the real binary against the local AWS (moto): a bucket with
//! versioning, default encryption, a public access block, a policy and objects is applied and
//! read back through the SDK; a reformatted policy is no change; new content is an in-place
//! upload; a tag and an object changed outside slipway are drift and are undone; a new bucket
//! name is a replacement; a bucket made outside slipway is imported; a bucket holding three
//! versions of an object and a delete marker is destroyed with force_destroy; an object
//! uploaded from a file with `etag = filemd5(...)` is uploaded again when the file changes.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use support::moto::Moto;
use support::rt;
use support::slipway;

fn output(dir: &Path, name: &str) -> String {
    let (code, value) = slipway(dir, &["output", "-raw", name]);
    assert_eq!(code, 0, "output {name}: {value}");
    value
}

const S3: &str = r#"
resource "aws_s3_bucket" "state" {
  bucket        = "BUCKET"
  force_destroy = true
  tags = {
    Purpose = "TAG"
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = <<EOF
POLICY
EOF
}

resource "aws_s3_object" "spec" {
  bucket       = aws_s3_bucket.state.id
  key          = "cluster/spec.yaml"
  content      = "CONTENT"
  content_type = "application/yaml"
}

resource "aws_s3_object" "blob" {
  bucket                 = aws_s3_bucket.state.id
  key                    = "pki/ca.bin"
  content_base64         = "AAECAwQ="
  server_side_encryption = "AES256"
}

resource "aws_s3_bucket" "logs" {
  bucket_prefix = "logs-"
}

data "aws_s3_object" "spec" {
  bucket = aws_s3_object.spec.bucket
  key    = aws_s3_object.spec.key
}

output "spec_body" {
  value = data.aws_s3_object.spec.body
}

output "spec_etag" {
  value = aws_s3_object.spec.etag
}

output "logs" {
  value = aws_s3_bucket.logs.id
}
"#;

/// Allows one role to read: no Deny on insecure transport, which moto applies to plain http
/// (see the README's emulator notes).
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["s3:GetObject"],"Resource":"arn:aws:s3:::BUCKET/*"}]}"#;
const POLICY_REFORMATTED: &str = r#"{
  "Statement": [
    {
      "Resource": ["arn:aws:s3:::BUCKET/*"],
      "Action": "s3:GetObject",
      "Principal": { "AWS": ["arn:aws:iam::123456789012:root"] },
      "Effect": "Allow",
      "Sid": "Read"
    }
  ],
  "Version": "2012-10-17"
}"#;

fn config(moto: &Moto, bucket: &str, tag: &str, policy: &str, content: &str) -> String {
    let body = S3.replace("POLICY", policy).replace("BUCKET", bucket).replace("TAG", tag).replace("CONTENT", content);
    format!("{}{body}", moto.provider_block())
}

fn tags(rt: &tokio::runtime::Runtime, s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<(String, String)> {
    let out = rt.block_on(s3.get_bucket_tagging().bucket(bucket).send()).expect("tagging");
    let mut tags: Vec<(String, String)> = out.tag_set().iter().map(|t| (t.key().into(), t.value().into())).collect();
    tags.sort();
    tags
}

fn body(rt: &tokio::runtime::Runtime, s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = rt.block_on(s3.get_object().bucket(bucket).key(key).send()).expect("get object");
    rt.block_on(out.body.collect()).expect("body").into_bytes().to_vec()
}

#[test]
fn a_state_store_bucket_is_created_read_back_updated_kept_converged_replaced_and_destroyed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let bucket = "slipway-state-store-a";
    std::fs::write(d.join("main.tf"), config(&moto, bucket, "state", POLICY, "kind: Cluster")).expect("write");

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 8 added"), "{out}");
    assert_eq!(output(d, "spec_body"), "kind: Cluster");
    assert!(output(d, "logs").starts_with("logs-"));

    // Read back through the SDK.
    let s3 = moto.s3();
    let rt = rt();
    let t = tags(&rt, &s3, bucket);
    assert!(
        t.contains(&("Purpose".into(), "state".into())) && t.contains(&("ManagedBy".into(), "slipway".into())),
        "{t:?}"
    );
    assert!(t.iter().any(|(k, _)| k == "slipway:owner"), "tagged with its owner right after creation: {t:?}");
    let versioning = rt.block_on(s3.get_bucket_versioning().bucket(bucket).send()).expect("versioning");
    assert_eq!(versioning.status().map(|s| s.as_str()), Some("Enabled"));
    let encryption = rt.block_on(s3.get_bucket_encryption().bucket(bucket).send()).expect("encryption");
    let rule = &encryption.server_side_encryption_configuration().expect("configuration").rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().map(|d| d.sse_algorithm().as_str()), Some("AES256"));
    let block = rt.block_on(s3.get_public_access_block().bucket(bucket).send()).expect("public access block");
    let block = block.public_access_block_configuration().expect("configuration");
    assert_eq!((block.block_public_acls(), block.restrict_public_buckets()), (Some(true), Some(true)));
    let policy = rt.block_on(s3.get_bucket_policy().bucket(bucket).send()).expect("policy");
    assert!(policy.policy().is_some_and(|p| p.contains("s3:GetObject")), "{policy:?}");
    assert_eq!(body(&rt, &s3, bucket, "cluster/spec.yaml"), b"kind: Cluster");
    assert_eq!(body(&rt, &s3, bucket, "pki/ca.bin"), [0u8, 1, 2, 3, 4]);
    let head = rt.block_on(s3.head_object().bucket(bucket).key("cluster/spec.yaml").send()).expect("head");
    assert_eq!(head.content_type(), Some("application/yaml"));
    assert_eq!(head.e_tag().map(|e| e.trim_matches('"').to_string()), Some(output(d, "spec_etag")));

    // Idempotence, and a reformatted policy is no change.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");
    std::fs::write(d.join("main.tf"), config(&moto, bucket, "state", POLICY_REFORMATTED, "kind: Cluster"))
        .expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "a reformatted policy is no change: {out}");

    // In place: a tag and new content (a new version of the object).
    std::fs::write(d.join("main.tf"), config(&moto, bucket, "pki", POLICY, "kind: Cluster v2")).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 added, 2 changed, 0 destroyed"), "{out}");
    assert_eq!(body(&rt, &s3, bucket, "cluster/spec.yaml"), b"kind: Cluster v2");
    assert!(tags(&rt, &s3, bucket).contains(&("Purpose".into(), "pki".into())));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Drift: the object overwritten and a tag changed outside slipway, then put back by apply.
    rt.block_on(
        s3.put_object().bucket(bucket).key("cluster/spec.yaml").body(ByteStream::from_static(b"tampered")).send(),
    )
    .expect("put");
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(aws_sdk_s3::types::Tag::builder().key("Purpose").value("hacked").build().expect("tag"))
        .build()
        .expect("tagging");
    rt.block_on(s3.put_bucket_tagging().bucket(bucket).tagging(tagging).send()).expect("tag");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_s3_object.spec will be updated in-place") && out.contains("etag"), "{out}");
    assert!(out.contains("hacked"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(body(&rt, &s3, bucket, "cluster/spec.yaml"), b"kind: Cluster v2");
    // (The owner tag went with the tags replaced outside: it matters only between a creation
    // and the state write.)
    let t = tags(&rt, &s3, bucket);
    assert!(t.contains(&("Purpose".into(), "pki".into())), "{t:?}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Three versions of an object and a delete marker: force_destroy empties all of it.
    for text in ["one", "two", "three"] {
        rt.block_on(
            s3.put_object().bucket(bucket).key("history.txt").body(ByteStream::from(text.as_bytes().to_vec())).send(),
        )
        .expect("put version");
    }
    rt.block_on(s3.delete_object().bucket(bucket).key("history.txt").send()).expect("delete marker");
    let versions =
        rt.block_on(s3.list_object_versions().bucket(bucket).prefix("history.txt").send()).expect("versions");
    assert_eq!((versions.versions().len(), versions.delete_markers().len()), (3, 1));

    // moto quirk (see the README): in a bucket whose versioning is Suspended, deleting a key
    // that has a delete marker fails with HTTP 500 (FakeDeleteMarker has no dispose), where AWS
    // deletes it. Destroying aws_s3_bucket_versioning suspends versioning, as in
    // terraform-provider-aws; so the test lets the versioning resource go from the state first
    // and the bucket stays versioned while force_destroy empties it.
    let forget_versioning = |d: &Path| {
        let (code, out) = slipway(d, &["state", "rm", "aws_s3_bucket_versioning.state"]);
        assert_eq!(code, 0, "{out}");
    };
    forget_versioning(d);

    // Replace: another name is another bucket (the old one emptied and deleted).
    let renamed = "slipway-state-store-b";
    std::fs::write(d.join("main.tf"), config(&moto, renamed, "pki", POLICY, "kind: Cluster v2")).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("must be replaced") || out.contains("destroyed"), "{out}");
    assert!(rt.block_on(s3.head_bucket().bucket(bucket).send()).is_err(), "the old bucket is gone");
    assert_eq!(body(&rt, &s3, renamed, "cluster/spec.yaml"), b"kind: Cluster v2");

    let logs = output(d, "logs");
    forget_versioning(d);
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let buckets = rt.block_on(s3.list_buckets().send()).expect("buckets");
    let left: Vec<&str> = buckets.buckets().iter().filter_map(|b| b.name()).collect();
    assert!(!left.contains(&renamed) && !left.contains(&logs.as_str()), "{left:?}");
}

#[test]
fn a_bucket_made_outside_is_imported_and_one_not_empty_is_not_destroyed_without_force_destroy() {
    let moto = Moto::start();
    let s3 = moto.s3();
    let rt = rt();
    let bucket = "slipway-legacy-bucket";
    rt.block_on(s3.create_bucket().bucket(bucket).send()).expect("bucket");
    rt.block_on(s3.put_object().bucket(bucket).key("keep.txt").body(ByteStream::from_static(b"keep")).send())
        .expect("object");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = format!(
        "resource \"aws_s3_bucket\" \"legacy\" {{\n  bucket = \"{bucket}\"\n}}\n\nresource \"aws_s3_object\" \"keep\" {{\n  bucket  = aws_s3_bucket.legacy.id\n  key     = \"keep.txt\"\n  content = \"keep\"\n}}\n"
    );
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    let (code, out) = slipway(d, &["import", "aws_s3_bucket.legacy", bucket]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["import", "aws_s3_object.keep", &format!("{bucket}/keep.txt")]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    // Only the default tag and the content as written (S3 returns only its MD5, the etag,
    // which matches) are to do: nothing is uploaded again.
    assert!(out.contains("aws_s3_bucket.legacy will be updated in-place"), "{out}");
    assert!(out.contains("aws_s3_object.keep will be updated in-place") && !out.contains("must be replaced"), "{out}");
    assert!(!out.contains("version_id"), "no new upload: {out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");

    // A second object slipway does not manage: without force_destroy the bucket stays, with a hint.
    rt.block_on(s3.put_object().bucket(bucket).key("other.txt").body(ByteStream::from_static(b"x")).send())
        .expect("object");
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("BucketNotEmpty") && out.contains("force_destroy"), "{out}");
    rt.block_on(s3.head_bucket().bucket(bucket).send()).expect("the bucket stays");
}

#[test]
fn an_object_uploaded_from_a_file_with_etag_filemd5_is_uploaded_again_when_the_file_changes() {
    let moto = Moto::start();
    let rt = rt();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = r#"
resource "aws_s3_bucket" "site" {
  bucket = "slipway-site"
}

resource "aws_s3_object" "index" {
  bucket = aws_s3_bucket.site.id
  key    = "index.html"
  source = "index.html"
  etag   = filemd5("index.html")
}
"#;
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");
    std::fs::write(d.join("index.html"), "<h1>one</h1>\n").expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let head = rt.block_on(moto.s3().head_object().bucket("slipway-site").key("index.html").send()).expect("head");
    // printf '<h1>one</h1>\n' | md5sum
    assert_eq!(head.e_tag(), Some("\"d3509978a7b26e35e97eb8eb18e84169\""));
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "the etag S3 reports is the file's MD5: no change: {out}");

    // Editing the file changes filemd5, and so the object.
    std::fs::write(d.join("index.html"), "<h1>two</h1>\n").expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 changed") || out.contains("1 added"), "{out}");
    let body = rt
        .block_on(moto.s3().get_object().bucket("slipway-site").key("index.html").send())
        .expect("get")
        .body
        .collect();
    let body = rt.block_on(body).expect("body").into_bytes();
    assert_eq!(&body[..], b"<h1>two</h1>\n");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
}
