//! Provider configurations: `provider` blocks evaluated with variables and locals, aliases chosen
//! with `provider = test.west`, configurations passed into modules with `providers = { ... }` or
//! inherited by them, each its own configured instance recorded in state; and the errors when a
//! configuration a resource or the state needs is missing.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;

use slipway_core::Value;
use slipway_engine::plan::{PlanMode, PlanOptions};
use support::Harness;

fn options() -> PlanOptions {
    PlanOptions { mode: PlanMode::Normal, refresh: true, ..Default::default() }
}

const CONFIG: &str = r#"
variable "home" {
  default = "eu-west-1"
}

locals {
  other = "us-${"east"}-1"
}

provider "test" {
  region = var.home
}

provider "test" {
  alias  = "east"
  region = local.other
}

resource "test_thing" "home" {
  name = "home"
}

resource "test_thing" "away" {
  provider = test.east
  name     = "away"
}

module "inherits" {
  source = "./child"
}

module "passed" {
  source = "./child"
  providers = {
    test = test.east
  }
}
"#;

const CHILD: &str = r#"
resource "test_thing" "inner" {
  name = "inner-${path.module}"
}
"#;

fn regions(h: &Harness) -> Vec<String> {
    let mut seen: Vec<String> = h
        .provider
        .configurations
        .lock()
        .expect("lock")
        .iter()
        .map(|c| c.get_attr("region").and_then(Value::as_str).unwrap_or("(null)").to_string())
        .collect();
    seen.sort();
    seen
}

#[test]
fn each_configuration_is_evaluated_configured_and_recorded_in_state() {
    let h = Harness::new(CONFIG);
    std::fs::create_dir_all(h.dir.path().join("child")).expect("mkdir");
    std::fs::write(h.dir.path().join("child/main.tf"), CHILD.replace("${path.module}", "x")).expect("write");
    let (_, outcome) = h.run(&options(), true);
    assert!(!outcome.expect("applied").diagnostics.has_errors());
    // One configure call per configuration, with its evaluated arguments.
    assert_eq!(regions(&h), ["eu-west-1", "us-east-1"]);
    let expected: BTreeMap<String, String> = [
        ("module.inherits.test_thing.inner", "test"),
        ("module.passed.test_thing.inner", "test.east"),
        ("test_thing.away", "test.east"),
        ("test_thing.home", "test"),
    ]
    .into_iter()
    .map(|(a, p)| (a.to_string(), p.to_string()))
    .collect();
    assert_eq!(h.state_providers(), expected);
    let (planned, _) = h.run(&options(), false);
    assert!(!planned.plan.has_changes(), "converged");
}

#[test]
fn a_provider_without_a_block_is_configured_with_nulls() {
    let h = Harness::new("resource \"test_thing\" \"a\" {\n  name = \"a\"\n}\n");
    h.run(&options(), true);
    assert_eq!(regions(&h), ["(null)"]);
    assert_eq!(h.state_providers()["test_thing.a"], "test");
}

#[test]
fn missing_configurations_are_errors_that_say_what_to_add() {
    let h = Harness::new("resource \"test_thing\" \"a\" {\n  provider = test.nowhere\n  name     = \"a\"\n}\n");
    let diags = h.configure();
    let text = format!("{diags:?}");
    assert!(diags.has_errors(), "{text}");
    assert!(text.contains("alias = \\\"nowhere\\\""), "says which block to add: {text}");

    // A module that uses an aliased configuration its caller does not pass.
    let h = Harness::new("module \"m\" {\n  source = \"./m\"\n}\n");
    std::fs::create_dir_all(h.dir.path().join("m")).expect("mkdir");
    std::fs::write(
        h.dir.path().join("m/main.tf"),
        "resource \"test_thing\" \"a\" {\n  provider = test.east\n  name     = \"a\"\n}\n",
    )
    .expect("write");
    let text = format!("{:?}", h.configure());
    assert!(text.contains("providers = {"), "says how to pass it: {text}");
}

#[test]
fn objects_whose_configuration_is_gone_are_reported() {
    let h = Harness::new(
        "provider \"test\" {\n  alias = \"east\"\n}\n\nresource \"test_thing\" \"a\" {\n  provider = test.east\n  name     = \"a\"\n}\n",
    );
    h.run(&options(), true);
    h.write("");
    let text = format!("{:?}", h.configure());
    assert!(text.contains("Provider configuration not present") && text.contains("test.east"), "{text}");
}
