//! A provider that fails on chosen resources: independent branches complete, dependents of the
//! failure never start, state holds exactly what was created, and a second apply finishes.

#![allow(clippy::disallowed_methods)]

mod support;

use slipway_engine::plan::{Action, PlanOptions};
use support::Harness;

const CONFIG: &str = r#"
resource "test_thing" "root" {
  name = "root"
}

resource "test_thing" "left" {
  name  = "left"
  value = test_thing.root.id
}

resource "test_thing" "left_child" {
  name  = "left_child"
  value = test_thing.left.id
}

resource "test_thing" "right" {
  name  = "right"
  value = test_thing.root.id
}

resource "test_thing" "right_child" {
  name  = "right_child"
  value = test_thing.right.id
}
"#;

fn options() -> PlanOptions {
    PlanOptions { refresh: true, ..Default::default() }
}

#[test]
fn dependents_of_a_failure_are_skipped_and_a_second_apply_finishes() {
    let h = Harness::new(CONFIG);
    h.provider.fail_on.lock().expect("lock").insert("left".into());
    let (_, outcome) = h.run(&options(), true);
    let outcome = outcome.expect("applied");
    assert!(outcome.diagnostics.has_errors());
    assert_eq!(outcome.added, 3, "root, right and right_child");
    assert_eq!(outcome.not_started, 1, "left_child waits for left");
    assert_eq!(h.state_addresses(), ["test_thing.right", "test_thing.right_child", "test_thing.root"]);
    assert_eq!(h.provider.names(), ["right", "right_child", "root"].map(String::from).into());

    // The failure is gone: the next apply creates exactly the rest.
    h.provider.fail_on.lock().expect("lock").clear();
    let (planned, outcome) = h.run(&options(), true);
    let creates: Vec<String> =
        planned.plan.changes.iter().filter(|c| c.action == Action::Create).map(|c| c.addr.to_string()).collect();
    assert_eq!(creates, ["test_thing.left", "test_thing.left_child"]);
    let outcome = outcome.expect("applied");
    assert!(!outcome.diagnostics.has_errors(), "{:?}", outcome.diagnostics);
    assert_eq!(h.state_addresses().len(), 5);

    // Converged: a plan shows nothing to do.
    let (planned, _) = h.run(&options(), false);
    assert!(!planned.plan.has_changes());
}

#[test]
fn values_known_only_after_apply_reach_their_dependents() {
    let h = Harness::new(CONFIG);
    h.run(&options(), true);
    let objects = h.provider.objects.lock().expect("lock").clone();
    let by_name =
        |n: &str| objects.values().find(|v| v.get_attr("name").and_then(|x| x.as_str()) == Some(n)).cloned().expect(n);
    assert_eq!(by_name("left").get_attr("value"), by_name("root").get_attr("id"));
    assert_eq!(by_name("right_child").get_attr("value"), by_name("right").get_attr("id"));
}
