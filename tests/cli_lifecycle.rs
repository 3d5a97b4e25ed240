//! End-to-end tests of the lifecycle commands: `init`, `plan -out`, `apply`, a second plan with
//! `-detailed-exitcode`, `output`, `show`, `destroy`, run as a user runs them with the built-in
//! providers, and what they did read back from disk.

// Tests set up their fixtures on the real file system and read back what apply wrote.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use assert_cmd::Command;

fn slipway(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("slipway").expect("slipway binary");
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TF_WORKSPACE").env_remove("CI");
    cmd
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = slipway(dir).args(args).output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CONFIG: &str = r#"variable "n" {
  default = 3
}

resource "terraform_data" "a" {
  count = var.n
  input = "a${count.index}"
}

resource "null_resource" "b" {
  triggers = {
    first = terraform_data.a[0].id
  }
}

resource "local_file" "f" {
  filename = "${path.module}/out.txt"
  content  = "${terraform_data.a[1].output} ${null_resource.b.id}"
}

output "ids" {
  value = terraform_data.a[*].id
}

output "content" {
  value = local_file.f.content
}
"#;

fn state_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("slipway.tfstate")).expect("state file");
    serde_json::from_str(&text).expect("state is JSON")
}

#[test]
fn init_plan_apply_replan_destroy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), CONFIG).expect("write config");

    let (code, out, err) = run(d, &["init"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("successfully initialized"), "{out}");

    let (code, out, err) = run(d, &["plan", "-out=tfplan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "changes are exit code 2: {out}{err}");
    assert!(out.contains("Plan: 5 to add, 0 to change, 0 to destroy."), "{out}");
    assert!(!d.join("slipway.tfstate").exists(), "plan writes no state");

    let (code, out, err) = run(d, &["apply", "tfplan"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Apply complete! Resources: 5 added, 0 changed, 0 destroyed."), "{out}");

    // What apply did, read back: the file with the values known only after apply, the state.
    let state = state_json(d);
    let null_id = state["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["type"] == "null_resource"))
        .and_then(|r| r["instances"][0]["attributes"]["id"].as_str())
        .expect("null_resource id in state")
        .to_string();
    let written = std::fs::read_to_string(d.join("out.txt")).expect("local_file wrote out.txt");
    assert_eq!(written, format!("a1 {null_id}"));
    let (code, out, _) = run(d, &["output", "-raw", "content"]);
    assert_eq!((code, out), (0, written.clone()));
    let (code, out, _) = run(d, &["output", "-json", "ids"]);
    assert_eq!(code, 0);
    let ids: Vec<String> = serde_json::from_str(&out).expect("ids as JSON");
    assert_eq!(ids.len(), 3);

    // Idempotence: nothing to do, exit code 0.
    let (code, out, err) = run(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("No changes."), "{out}");

    // The saved plan was applied: applying it again is refused, and changes nothing.
    let serial = state_json(d)["serial"].clone();
    let (code, _, err) = run(d, &["apply", "tfplan"]);
    assert_eq!(code, 1);
    assert!(err.contains("Saved plan is stale"), "{err}");
    assert_eq!(state_json(d)["serial"], serial);

    // Scaling down deletes exactly the instance count no longer includes.
    let (code, out, err) = run(d, &["apply", "-auto-approve", "-var", "n=2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("terraform_data.a[2]: Destroying..."), "{out}");
    assert!(out.contains("Resources: 0 added, 0 changed, 1 destroyed."), "{out}");

    let (code, out, err) = run(d, &["destroy", "-auto-approve", "-var", "n=2"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Destroy complete! Resources: 4 destroyed."), "{out}");
    let state = state_json(d);
    assert_eq!(state["resources"], serde_json::json!([]));
    assert_eq!(state["outputs"], serde_json::json!({}));
    assert!(!d.join("out.txt").exists(), "destroy removed the file");
}

#[test]
fn a_plan_made_before_the_configuration_changed_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), "resource \"terraform_data\" \"a\" {\n  input = 1\n}\n").expect("write");
    let (code, _, err) = run(d, &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{err}");
    std::fs::write(d.join("main.tf"), "resource \"terraform_data\" \"a\" {\n  input = 2\n}\n").expect("write");
    let (code, _, err) = run(d, &["apply", "tfplan"]);
    assert_eq!(code, 1);
    assert!(err.contains("does not match the configuration"), "{err}");
    assert!(!d.join("slipway.tfstate").exists(), "nothing was applied");
}

/// `run`, with stdout and stderr as one text.
fn both_streams(dir: &Path, args: &[&str]) -> (i32, String) {
    let (code, out, err) = run(dir, args);
    (code, format!("{out}{err}"))
}

/// `-deny-destroy`: a plan or apply that would destroy or replace a protected address fails and
/// names it; other changes, and unprotected destroys, go ahead.
#[test]
fn deny_destroy_protects_matching_addresses_from_plan_and_apply() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let both = "resource \"terraform_data\" \"db\" {\n  input = \"data\"\n}\nresource \"terraform_data\" \"cache\" {\n  input = \"tmp\"\n}\n";
    std::fs::write(d.join("main.tf"), both).expect("write");
    let (code, out) = both_streams(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    std::fs::write(d.join("main.tf"), "").expect("write");
    let (code, out) = both_streams(d, &["plan", "-deny-destroy=terraform_data.d*", "-out=tfplan"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Plan would destroy a protected resource"), "{out}");
    assert!(out.contains("terraform_data.db is protected by -deny-destroy \"terraform_data.d*\""), "{out}");
    assert!(!out.contains("terraform_data.cache is protected"), "{out}");
    assert!(!d.join("tfplan").exists(), "no plan is saved");
    let (code, out) = both_streams(d, &["apply", "-auto-approve", "-deny-destroy=terraform_data.db"]);
    assert_eq!(code, 1, "{out}");
    let (code, out) = both_streams(d, &["state", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("terraform_data.db") && out.contains("terraform_data.cache"), "nothing applied: {out}");
    // A saved plan is held to the protection when it is applied, too.
    let (code, out) = both_streams(d, &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = both_streams(d, &["apply", "-deny-destroy=*.db", "tfplan"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("terraform_data.db is protected"), "{out}");
    let (code, out) = both_streams(d, &["apply", "-deny-destroy=*.nothing", "tfplan"]);
    assert_eq!(code, 0, "{out}");
}

/// Non-interactive runs never wait for an answer: with `-input=false` or `CI` set, an apply that
/// would ask for approval fails at once, saying how to approve; nothing is applied.
#[test]
fn an_apply_that_cannot_ask_fails_instead_of_waiting() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), "resource \"terraform_data\" \"a\" {}\n").expect("write");
    let (code, out) = both_streams(d, &["apply", "-input=false"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("No approval") && out.contains("-auto-approve"), "{out}");
    let out = slipway(d).env("CI", "true").args(["apply"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No approval")
            || String::from_utf8_lossy(&out.stdout).contains("No approval")
    );
    assert!(
        !d.join("slipway.tfstate").exists()
            || !std::fs::read_to_string(d.join("slipway.tfstate")).unwrap_or_default().contains("terraform_data"),
        "nothing applied"
    );
    let (code, out) = both_streams(d, &["apply", "-input=false", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
}

/// Policy gates in the configuration, evaluated while planning: a false resource or output
/// precondition is an error that stops the plan, a failed `check` assertion is a warning.
#[test]
fn preconditions_stop_the_plan_and_checks_warn() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = |n: u32| {
        format!(
            "variable \"n\" {{\n  default = {n}\n}}\nresource \"terraform_data\" \"a\" {{\n  count = 2\n  input = var.n + count.index\n  lifecycle {{\n    precondition {{\n      condition     = var.n + count.index < 3\n      error_message = \"instance ${{count.index}} is too big.\"\n    }}\n  }}\n}}\ncheck \"small\" {{\n  assert {{\n    condition     = var.n < 1\n    error_message = \"n should be below 1.\"\n  }}\n}}\n"
        )
    };
    std::fs::write(d.join("main.tf"), config(2)).expect("write");
    let (code, out) = both_streams(d, &["plan", "-no-color"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Resource precondition failed") && out.contains("instance 1 is too big."), "{out}");
    assert!(!out.contains("instance 0 is too big."), "checked per instance: {out}");
    std::fs::write(d.join("main.tf"), config(1)).expect("write");
    let (code, out) = both_streams(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Check block assertion failed") && out.contains("n should be below 1."), "{out}");
    assert!(out.contains("Plan: 2 to add"), "a failed check does not stop the plan: {out}");
}

/// A resource postcondition holds for the planned object (`self`): a false one known at plan
/// time stops the plan, per instance; one that needs a value known only after apply waits.
#[test]
fn postconditions_check_the_planned_object() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = |limit: u32| {
        format!(
            "resource \"terraform_data\" \"a\" {{\n  count = 2\n  input = count.index * 10\n  lifecycle {{\n    postcondition {{\n      condition     = self.input <= {limit}\n      error_message = \"input ${{self.input}} is over {limit}.\"\n    }}\n    postcondition {{\n      condition     = self.id != \"\"\n      error_message = \"no id.\"\n    }}\n  }}\n}}\n"
        )
    };
    std::fs::write(d.join("main.tf"), config(5)).expect("write");
    let (code, out) = both_streams(d, &["plan", "-no-color"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Resource postcondition failed") && out.contains("input 10 is over 5."), "{out}");
    assert!(!out.contains("input 0 is over"), "checked per instance: {out}");
    assert!(!out.contains("no id."), "a condition on an unknown id waits for apply: {out}");
    std::fs::write(d.join("main.tf"), config(10)).expect("write");
    let (code, out) = both_streams(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Plan: 2 to add"), "{out}");
}

/// `for_each` over a map whose values are known only after apply (the IDs of what it is built
/// from): the keys are known, so the plan has its instances, and each instance is applied with
/// `each.value` as it is by then, not the plan's unknown.
#[test]
fn each_value_known_only_after_apply_is_applied_as_it_is_by_then() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = r#"resource "terraform_data" "network" {
  for_each = toset(["a", "b"])
  input    = "net-${each.key}"
}

resource "terraform_data" "subnet" {
  for_each = { for k, n in terraform_data.network : k => n.id }
  input    = "in ${each.value}"
}

output "subnets" {
  value = { for k, s in terraform_data.subnet : k => s.output }
}

output "networks" {
  value = { for k, n in terraform_data.network : k => n.id }
}
"#;
    std::fs::write(dir.path().join("main.tf"), config).expect("write main.tf");
    let (code, out, err) = run(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let (_, subnets, _) = run(dir.path(), &["output", "-json", "subnets"]);
    let (_, networks, _) = run(dir.path(), &["output", "-json", "networks"]);
    let subnets: serde_json::Value = serde_json::from_str(&subnets).expect("subnets JSON");
    let networks: serde_json::Value = serde_json::from_str(&networks).expect("networks JSON");
    for key in ["a", "b"] {
        let id = networks[key].as_str().expect("a network id");
        assert_eq!(subnets[key], format!("in {id}"), "{subnets:#} {networks:#}");
    }
    let (code, out, err) = run(dir.path(), &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "converged:\n{out}{err}");
}
