//! What the plan options and lifecycle arguments do to a plan: `-target` (with what the target
//! depends on), `-refresh-only` and drift, `-refresh=false`, `ignore_changes`,
//! `replace_triggered_by`, and objects deleted outside slipway.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;

use slipway_core::Value;
use slipway_engine::plan::{Action, Plan, PlanMode, PlanOptions};
use support::Harness;

const CHAIN: &str = r#"
resource "test_thing" "a" {
  name  = "a"
  value = "one"
}

resource "test_thing" "b" {
  name  = "b"
  value = test_thing.a.id
}

resource "test_thing" "c" {
  name = "c"
}
"#;

fn options() -> PlanOptions {
    PlanOptions { mode: PlanMode::Normal, refresh: true, ..Default::default() }
}

/// The action planned for each instance, by address.
fn actions(plan: &Plan) -> BTreeMap<String, Action> {
    plan.changes.iter().map(|c| (c.addr.to_string(), c.action)).collect()
}

/// Changes the `value` of the object named `name` behind slipway's back.
fn edit_outside(h: &Harness, name: &str, value: &str) {
    let mut objects = h.provider.objects.lock().expect("lock");
    let (id, object) = objects
        .iter()
        .find(|(_, o)| o.get_attr("name").and_then(Value::as_str) == Some(name))
        .map(|(id, o)| (id.clone(), o.clone()))
        .expect("object exists");
    let mut attrs = object.as_entries().expect("object").clone();
    attrs.insert("value".into(), Value::string(value));
    objects.insert(id, Value::object(attrs));
}

#[test]
fn targets_bring_what_they_depend_on_and_nothing_else() {
    let h = Harness::new(CHAIN);
    let targeted = PlanOptions { targets: vec!["test_thing.b".parse().expect("target")], ..options() };
    let (planned, _) = h.run(&targeted, false);
    let planned_addrs: Vec<String> = planned.plan.changes.iter().map(|c| c.addr.to_string()).collect();
    assert_eq!(planned_addrs, ["test_thing.a", "test_thing.b"]);

    let (_, outcome) = h.run(&targeted, true);
    assert_eq!(outcome.expect("applied").added, 2);
    assert_eq!(h.state_addresses(), ["test_thing.a", "test_thing.b"]);
}

#[test]
fn drift_is_shown_and_refresh_only_records_it_without_changing_anything() {
    let h = Harness::new(CHAIN);
    h.run(&options(), true);
    edit_outside(&h, "a", "edited by hand");

    let refresh_only = PlanOptions { mode: PlanMode::RefreshOnly, ..options() };
    let (planned, outcome) = h.run(&refresh_only, true);
    assert_eq!(planned.plan.drift.len(), 1, "test_thing.a changed outside");
    assert_eq!(planned.plan.drift[0].addr.to_string(), "test_thing.a");
    assert!(actions(&planned.plan).values().all(|a| *a == Action::NoOp));
    assert!(planned.plan.has_changes(), "recording drift is a change to state");
    let outcome = outcome.expect("applied");
    assert_eq!((outcome.added, outcome.changed, outcome.destroyed), (0, 0, 0));
    assert_eq!(h.provider.names().len(), 3, "refresh-only touched nothing");

    // A normal plan now puts the configured value back, in place.
    let (planned, _) = h.run(&options(), false);
    assert_eq!(actions(&planned.plan)["test_thing.a"], Action::Update);
    assert!(planned.plan.drift.is_empty(), "the state already has what exists");

    // Without refresh the plan trusts the state, which matches the configuration.
    let no_refresh = PlanOptions { refresh: false, ..options() };
    let (planned, _) = h.run(&no_refresh, false);
    assert_eq!(actions(&planned.plan)["test_thing.a"], Action::Update, "state holds the refreshed value");
}

#[test]
fn an_object_deleted_outside_is_created_again() {
    let h = Harness::new(CHAIN);
    h.run(&options(), true);
    h.provider.objects.lock().expect("lock").retain(|_, o| o.get_attr("name").and_then(Value::as_str) != Some("c"));
    let (planned, outcome) = h.run(&options(), true);
    assert_eq!(actions(&planned.plan)["test_thing.c"], Action::Create);
    assert_eq!(outcome.expect("applied").added, 1);
    assert_eq!(h.provider.names().len(), 3);
}

#[test]
fn ignore_changes_keeps_the_prior_value() {
    let config = |value: &str| {
        format!(
            "resource \"test_thing\" \"a\" {{\n  name  = \"a\"\n  value = \"{value}\"\n  lifecycle {{\n    ignore_changes = [value]\n  }}\n}}\n"
        )
    };
    let h = Harness::new(&config("one"));
    h.run(&options(), true);
    h.write(&config("two"));
    let (planned, _) = h.run(&options(), false);
    assert!(!planned.plan.has_changes(), "value is ignored: {:?}", actions(&planned.plan));
}

#[test]
fn replace_triggered_by_replaces_when_the_trigger_changes() {
    let config = |value: &str| {
        format!(
            r#"
resource "test_thing" "a" {{
  name  = "a"
  value = "{value}"
}}

resource "test_thing" "b" {{
  name = "b"
  lifecycle {{
    replace_triggered_by = [test_thing.a]
  }}
}}
"#
        )
    };
    let h = Harness::new(&config("one"));
    h.run(&options(), true);
    h.write(&config("two"));
    let (planned, outcome) = h.run(&options(), true);
    let planned_actions = actions(&planned.plan);
    assert_eq!(planned_actions["test_thing.a"], Action::Update);
    assert_eq!(planned_actions["test_thing.b"], Action::DeleteThenCreate);
    assert!(!outcome.expect("applied").diagnostics.has_errors());
    let (planned, _) = h.run(&options(), false);
    assert!(!planned.plan.has_changes(), "converged");
}
