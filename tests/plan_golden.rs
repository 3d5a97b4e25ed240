//! Golden plans, end to end: each scenario applies a first configuration with the real binary,
//! changes it, and snapshots what `slipway plan` prints for the change (insta). IDs that
//! providers choose at random are replaced by placeholders so that the snapshots are stable.
//! Every plan here is made against objects that really exist (files, state), so these show the
//! planner and the renderer together.

// Tests set up their fixtures on the real file system.
#![allow(clippy::disallowed_methods)]

mod support;

use support::slipway;

/// Applies `before`, writes `after`, and returns the exit code and output of `plan` with `args`.
fn plan_after(before: &str, after: &str, args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), before).expect("write");
    if !before.is_empty() {
        let (code, out) = slipway(d, &["apply", "-auto-approve"]);
        assert_eq!(code, 0, "first apply: {out}");
    }
    std::fs::write(d.join("main.tf"), after).expect("write");
    let mut plan_args = vec!["plan", "-detailed-exitcode"];
    plan_args.extend_from_slice(args);
    slipway(d, &plan_args)
}

macro_rules! golden {
    ($name:expr, $output:expr) => {
        insta::with_settings!({
            filters => vec![
                (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>"),
                (r#""[0-9]{10,20}""#, "\"<null-id>\""),
            ],
            snapshot_path => "snapshots/plans",
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $output);
        });
    };
}

#[test]
fn create_with_values_known_after_apply() {
    let (code, out) = plan_after(
        "",
        r#"resource "terraform_data" "a" {
  input = { name = "web", ports = [80, 443] }
}

resource "null_resource" "b" {
  triggers = { a = terraform_data.a.id }
}

resource "local_file" "motd" {
  filename        = "${path.module}/motd"
  content         = "welcome\n"
  file_permission = "0644"
}

output "a_id" {
  value = terraform_data.a.id
}
"#,
        &[],
    );
    assert_eq!(code, 2);
    golden!("create", out);
}

#[test]
fn update_in_place() {
    let before = "resource \"terraform_data\" \"a\" {\n  input = { size = \"small\", zone = \"a\" }\n}\n";
    let after = "resource \"terraform_data\" \"a\" {\n  input = { size = \"large\", zone = \"a\" }\n}\n";
    let (code, out) = plan_after(before, after, &[]);
    assert_eq!(code, 2);
    golden!("update", out);
}

#[test]
fn replace_delete_first_and_create_first() {
    let before = r#"resource "terraform_data" "a" {
  triggers_replace = "v1"
}

resource "terraform_data" "b" {
  triggers_replace = "v1"
  lifecycle {
    create_before_destroy = true
  }
}
"#;
    let after = before.replace("\"v1\"", "\"v2\"");
    let (code, out) = plan_after(before, &after, &[]);
    assert_eq!(code, 2);
    golden!("replace", out);
}

#[test]
fn replace_by_request() {
    let config = "resource \"null_resource\" \"a\" {}\n";
    let (code, out) = plan_after(config, config, &["-replace=null_resource.a"]);
    assert_eq!(code, 2);
    golden!("replace_requested", out);
}

#[test]
fn delete_when_removed_from_configuration_or_count() {
    let before = r#"resource "terraform_data" "n" {
  count = 3
  input = count.index
}

resource "null_resource" "gone" {}
"#;
    let after = "resource \"terraform_data\" \"n\" {\n  count = 2\n  input = count.index\n}\n";
    let (code, out) = plan_after(before, after, &[]);
    assert_eq!(code, 2);
    golden!("delete", out);
}

#[test]
fn no_changes() {
    let config = "resource \"terraform_data\" \"a\" {\n  input = \"x\"\n}\n";
    let (code, out) = plan_after(config, config, &[]);
    assert_eq!(code, 0);
    golden!("no_op", out);
}

#[test]
fn sensitive_values_are_never_shown() {
    let before = r#"variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t-1"
}

resource "local_sensitive_file" "token" {
  filename = "${path.module}/token"
  content  = var.token
}

resource "terraform_data" "a" {
  input = { user = "admin", token = var.token }
}
"#;
    let after = before.replace("s3cr3t-1", "s3cr3t-2");
    let (code, out) = plan_after(before, &after, &[]);
    assert_eq!(code, 2);
    assert!(!out.contains("s3cr3t"), "a secret was printed:\n{out}");
    golden!("sensitive", out);
}

#[test]
fn multi_line_strings_diff_by_line() {
    let before = r#"resource "local_file" "user_data" {
  filename        = "${path.module}/user-data.yaml"
  file_permission = "0644"
  content         = <<-EOT
    #cloud-config
    packages:
      - curl
      - jq
    runcmd:
      - echo hello
  EOT
}
"#;
    let after = before.replace("      - jq\n", "      - jq\n      - htop\n").replace("echo hello", "echo goodbye");
    let (code, out) = plan_after(before, &after, &[]);
    assert_eq!(code, 2);
    golden!("multi_line", out);
}

#[test]
fn json_documents_compare_by_meaning() {
    let before = r#"resource "terraform_data" "policy" {
  input = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:GetObject" }] })
}
"#;
    // The same document with keys reordered and written out by hand: no attribute changes.
    let after = r#"resource "terraform_data" "policy" {
  input = <<-EOT
    {
      "Statement": [{"Action": "s3:GetObject", "Effect": "Allow"}],
      "Version": "2012-10-17"
    }
  EOT
}
"#;
    let (_, out) = plan_after(before, after, &[]);
    assert!(!out.contains("\"Version\" -"), "reordered keys showed as a change:\n{out}");
    golden!("json_reordered", out);
}

#[test]
fn moved_blocks_rename_without_replacing() {
    let before = "resource \"terraform_data\" \"old\" {\n  input = \"x\"\n}\n";
    let after = r#"resource "terraform_data" "new" {
  input = "x"
}

moved {
  from = terraform_data.old
  to   = terraform_data.new
}
"#;
    let (code, out) = plan_after(before, after, &[]);
    assert_eq!(code, 2, "a move is a change to state");
    golden!("moved", out);
}

#[test]
fn prevent_destroy_is_an_error_naming_the_resource() {
    let before = r#"resource "terraform_data" "db" {
  triggers_replace = "v1"
  lifecycle {
    prevent_destroy = true
  }
}
"#;
    let after = before.replace("\"v1\"", "\"v2\"");
    let (code, out) = plan_after(before, &after, &[]);
    assert_eq!(code, 1);
    golden!("prevent_destroy", out);
}

#[test]
fn destroy_plan() {
    let config = "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n\nresource \"null_resource\" \"b\" {\n  triggers = { a = terraform_data.a.id }\n}\n";
    let (code, out) = plan_after(config, config, &["-destroy"]);
    assert_eq!(code, 2);
    golden!("destroy", out);
}

#[test]
fn import_and_removed_blocks() {
    let before = "resource \"terraform_data\" \"kept\" {\n  input = 1\n}\n";
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), before).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(d.join("existing.txt"), "made by hand\n").expect("write");
    let after = r#"import {
  to = local_file.existing
  id = "./existing.txt"
}

resource "local_file" "existing" {
  filename        = "${path.module}/existing.txt"
  content         = "made by hand\n"
  file_permission = "0644"
}

removed {
  from = terraform_data.kept
  lifecycle {
    destroy = false
  }
}
"#;
    std::fs::write(d.join("main.tf"), after).expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    golden!("import_and_removed", out);

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 1 imported, 0 added, 0 changed, 0 destroyed, 1 forgotten."), "{out}");
    let state = std::fs::read_to_string(d.join("slipway.tfstate")).expect("state");
    assert!(state.contains("\"local_file\"") && !state.contains("\"kept\""), "{state}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged after the import: {out}");
}

#[test]
fn data_sources_read_while_planning_or_during_apply() {
    let before = r#"resource "local_file" "written" {
  filename        = "${path.module}/written.txt"
  content         = "v1"
  file_permission = "0644"
}
"#;
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), before).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(d.join("existing.txt"), "known now").expect("write");
    // One file exists already and is read while planning; the other is written by this plan,
    // so reading it waits for apply.
    let after = format!(
        "{}{}",
        before.replace("\"v1\"", "\"v2\""),
        r#"
data "local_file" "existing" {
  filename = "${path.module}/existing.txt"
}

data "local_file" "written" {
  filename = local_file.written.filename
}

resource "terraform_data" "uses" {
  input = [data.local_file.existing.content, data.local_file.written.content]
}
"#
    );
    std::fs::write(d.join("main.tf"), after).expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    golden!("data_sources", out);
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let state = std::fs::read_to_string(d.join("slipway.tfstate")).expect("state");
    assert!(state.contains("known now") && state.contains("\"v2\""), "both reads landed in state: {state}");
}
