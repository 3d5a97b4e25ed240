//! The JSON plan keeps its documented shape: plans that exercise every field (creates with
//! values known after apply, updates, both kinds of replacement, deletes with reasons, sensitive
//! values, moves, imports, forgets, data sources, modules, outputs, drift) are printed with
//! `slipway show -json` and validated against `docs/json-plan.schema.json`. A document with an
//! unknown field or a wrong action fails the same validation, so the schema is not vacuous.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use support::slipway;

fn schema() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/json-plan.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn errors(validator: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

/// Applies `before`, writes `after`, plans to a file with `args` and returns `show -json`.
fn plan_json(before: &str, after: &str, args: &[&str], prepare: impl Fn(&Path)) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    prepare(d);
    if !before.is_empty() {
        std::fs::write(d.join("main.tf"), before).expect("write");
        let (code, out) = slipway(d, &["apply", "-auto-approve"]);
        assert_eq!(code, 0, "first apply: {out}");
    }
    std::fs::write(d.join("main.tf"), after).expect("write");
    let mut plan = vec!["plan", "-out=tfplan"];
    plan.extend_from_slice(args);
    let (code, out) = slipway(d, &plan);
    assert_eq!(code, 0, "plan: {out}");
    let (code, out) = slipway(d, &["show", "-json", "tfplan"]);
    assert_eq!(code, 0, "show: {out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("show -json is JSON ({e}): {out}"))
}

const BEFORE: &str = r#"
resource "terraform_data" "updated" {
  input = { size = "small" }
}

resource "terraform_data" "replaced" {
  triggers_replace = ["v1"]
}

resource "terraform_data" "create_first" {
  triggers_replace = ["v1"]
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "counted" {
  count = 2
  input = count.index
}

resource "terraform_data" "gone" {
  input = "bye"
}

resource "terraform_data" "old_name" {
  input = "moved"
}

resource "terraform_data" "forgotten" {
  input = "kept outside"
}

module "child" {
  source = "./child"
}
"#;

const AFTER: &str = r#"
variable "secret" {
  default   = "hunter2"
  sensitive = true
}

resource "terraform_data" "updated" {
  input = { size = "large" }
}

resource "terraform_data" "replaced" {
  triggers_replace = ["v2"]
}

resource "terraform_data" "create_first" {
  triggers_replace = ["v2"]
  lifecycle {
    create_before_destroy = true
  }
}

resource "terraform_data" "counted" {
  count = 1
  input = count.index
}

moved {
  from = terraform_data.old_name
  to   = terraform_data.new_name
}

resource "terraform_data" "new_name" {
  input = "moved"
}

removed {
  from = terraform_data.forgotten
  lifecycle {
    destroy = false
  }
}

import {
  to = local_file.existing
  id = "./existing.txt"
}

resource "local_file" "existing" {
  filename        = "${path.module}/existing.txt"
  content         = "made by hand\n"
  file_permission = "0644"
}

resource "local_sensitive_file" "secret" {
  filename = "${path.module}/secret.txt"
  content  = var.secret
}

resource "terraform_data" "fresh" {
  input = terraform_data.updated.output
}

data "local_file" "read_later" {
  filename = local_file.existing.filename
}

module "child" {
  source = "./child"
}

output "fresh_id" {
  value = terraform_data.fresh.id
}

output "secret" {
  value     = var.secret
  sensitive = true
}
"#;

const CHILD: &str = "resource \"terraform_data\" \"inner\" {\n  input = \"child\"\n}\n";

#[test]
fn every_kind_of_change_validates_against_the_schema() {
    let validator = schema();
    let prepare = |d: &Path| {
        std::fs::create_dir_all(d.join("child")).expect("mkdir");
        std::fs::write(d.join("child/main.tf"), CHILD).expect("write");
        std::fs::write(d.join("existing.txt"), "made by hand\n").expect("write");
    };
    let plans = [
        ("mixed", plan_json(BEFORE, AFTER, &[], prepare)),
        ("create", plan_json("", AFTER, &[], prepare)),
        ("destroy", plan_json(BEFORE, BEFORE, &["-destroy"], prepare)),
        ("replace by request", plan_json(BEFORE, BEFORE, &["-replace=terraform_data.gone"], prepare)),
        ("no changes", plan_json(BEFORE, BEFORE, &[], prepare)),
        ("refresh only", plan_json(BEFORE, BEFORE, &["-refresh-only"], prepare)),
    ];
    for (name, doc) in &plans {
        let problems = errors(&validator, doc);
        assert!(problems.is_empty(), "{name}: {problems:#?}\n{doc:#}");
    }
    let mixed = &plans[0].1;
    let actions: Vec<String> = mixed["resource_changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| c["change"]["actions"].to_string())
        .collect();
    for expected in [
        r#"["create"]"#,
        r#"["update"]"#,
        r#"["delete"]"#,
        r#"["delete","create"]"#,
        r#"["create","delete"]"#,
        r#"["forget"]"#,
    ] {
        assert!(actions.iter().any(|a| a == expected), "the fixture exercises {expected}: {actions:?}");
    }
    assert!(!mixed.to_string().contains("hunter2"), "no sensitive value in the document");
}

#[test]
fn a_document_off_the_schema_is_refused() {
    let validator = schema();
    let doc = plan_json("", "resource \"terraform_data\" \"a\" {}\n", &[], |_| {});
    assert!(errors(&validator, &doc).is_empty());
    let mut extra = doc.clone();
    extra["surprise"] = serde_json::json!(1);
    assert!(!errors(&validator, &extra).is_empty(), "unknown top-level fields are refused");
    let mut wrong = doc.clone();
    wrong["resource_changes"][0]["change"]["actions"] = serde_json::json!(["explode"]);
    assert!(!errors(&validator, &wrong).is_empty(), "unknown actions are refused");
    let mut missing = doc;
    if let Some(change) = missing["resource_changes"][0].as_object_mut() {
        change.remove("address");
    }
    assert!(!errors(&validator, &missing).is_empty(), "a change without an address is refused");
}
