//! The apply walk itself: the order operations run in (creates after what they depend on,
//! deletes before it, both orders of replacement), the bound on operations in flight, and
//! Ctrl-C (nothing new starts, what runs finishes and is saved).

#![allow(clippy::disallowed_methods)]

mod support;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use slipway_core::address::ResourceInstanceAddr;
use slipway_engine::hooks::{Hook, Operation};
use slipway_engine::plan::{PlanMode, PlanOptions};
use support::{Harness, Walk};

/// Records `start NAME OP` and `done NAME OP` events in order; optionally sets a cancel flag
/// when the first operation completes.
#[derive(Default)]
struct Recorder<'a> {
    events: Mutex<Vec<String>>,
    cancel_after_first: Option<&'a AtomicBool>,
}

fn op_name(op: Operation) -> &'static str {
    match op {
        Operation::Create => "create",
        Operation::Update => "update",
        Operation::Delete => "delete",
        Operation::Read => "read",
    }
}

impl Hook for Recorder<'_> {
    fn started(&self, addr: &ResourceInstanceAddr, op: Operation, _: Option<&str>) {
        self.events.lock().expect("lock").push(format!("start {} {}", addr.resource.name, op_name(op)));
    }

    fn completed(&self, addr: &ResourceInstanceAddr, op: Operation, _: Duration, _: Option<&str>) {
        self.events.lock().expect("lock").push(format!("done {} {}", addr.resource.name, op_name(op)));
        if let Some(cancel) = self.cancel_after_first {
            cancel.store(true, Ordering::SeqCst);
        }
    }
}

impl Recorder<'_> {
    fn position(&self, event: &str) -> usize {
        let events = self.events.lock().expect("lock");
        events.iter().position(|e| e == event).unwrap_or_else(|| panic!("no event {event:?} in {events:?}"))
    }
}

fn options(mode: PlanMode) -> PlanOptions {
    PlanOptions { mode, refresh: true, ..Default::default() }
}

fn walk<'a>(hook: &'a dyn Hook, parallelism: usize, cancel: &'a AtomicBool) -> Option<Walk<'a>> {
    Some(Walk { hook, parallelism, cancel })
}

const CHAIN: &str = r#"
resource "test_thing" "a" {
  name = "a"
}

resource "test_thing" "b" {
  name  = "b"
  value = test_thing.a.id
}

resource "test_thing" "c" {
  name  = "c"
  value = test_thing.b.id
}
"#;

#[test]
fn creates_follow_dependencies_and_deletes_go_in_reverse() {
    let h = Harness::new(CHAIN);
    let cancel = AtomicBool::new(false);
    let recorder = Recorder::default();
    h.run_with(&options(PlanMode::Normal), walk(&recorder, 10, &cancel));
    assert!(recorder.position("done a create") < recorder.position("start b create"));
    assert!(recorder.position("done b create") < recorder.position("start c create"));

    let recorder = Recorder::default();
    let (_, outcome) = h.run_with(&options(PlanMode::Destroy), walk(&recorder, 10, &cancel));
    assert_eq!(outcome.expect("destroyed").destroyed, 3);
    assert!(recorder.position("done c delete") < recorder.position("start b delete"));
    assert!(recorder.position("done b delete") < recorder.position("start a delete"));
}

#[test]
fn replacements_delete_first_unless_create_before_destroy() {
    let config = |generation: u32| {
        format!(
            r#"
resource "test_thing" "plain" {{
  name = "plain-{generation}"
}}

resource "test_thing" "careful" {{
  name = "careful-{generation}"
  lifecycle {{
    create_before_destroy = true
  }}
}}
"#
        )
    };
    let h = Harness::new(&config(1));
    h.run(&options(PlanMode::Normal), true);
    h.write(&config(2));
    let cancel = AtomicBool::new(false);
    let recorder = Recorder::default();
    let (_, outcome) = h.run_with(&options(PlanMode::Normal), walk(&recorder, 10, &cancel));
    let outcome = outcome.expect("applied");
    assert!(!outcome.diagnostics.has_errors(), "{:?}", outcome.diagnostics);
    assert!(recorder.position("done plain delete") < recorder.position("start plain create"));
    assert!(recorder.position("done careful create") < recorder.position("start careful delete"));
    assert_eq!(h.provider.names(), ["careful-2", "plain-2"].map(String::from).into());
    assert_eq!(h.state_addresses(), ["test_thing.careful", "test_thing.plain"]);
}

#[test]
fn an_object_replaced_create_before_destroy_goes_after_its_dependents_moved_off_it() {
    let config = |generation: u32| {
        format!(
            r#"
resource "test_thing" "target" {{
  name = "target-{generation}"
  lifecycle {{
    create_before_destroy = true
  }}
}}

resource "test_thing" "user" {{
  name  = "user"
  value = test_thing.target.id
}}
"#
        )
    };
    let h = Harness::new(&config(1));
    h.run(&options(PlanMode::Normal), true);
    h.write(&config(2));
    let cancel = AtomicBool::new(false);
    let recorder = Recorder::default();
    let (_, outcome) = h.run_with(&options(PlanMode::Normal), walk(&recorder, 10, &cancel));
    let outcome = outcome.expect("applied");
    assert!(!outcome.diagnostics.has_errors(), "{:?}", outcome.diagnostics);
    assert!(recorder.position("done target create") < recorder.position("start user update"));
    assert!(
        recorder.position("done user update") < recorder.position("start target delete"),
        "the old target is deleted only once nothing uses it"
    );
}

fn independent(n: usize) -> String {
    (0..n).map(|i| format!("resource \"test_thing\" \"t{i}\" {{\n  name = \"t{i}\"\n}}\n\n")).collect()
}

#[test]
fn no_more_than_parallelism_operations_run_at_once() {
    let h = Harness::new(&independent(24));
    *h.provider.delay.lock().expect("lock") = Duration::from_millis(20);
    let cancel = AtomicBool::new(false);
    let (_, outcome) = h.run_with(&options(PlanMode::Normal), walk(&support::QUIET, 4, &cancel));
    assert_eq!(outcome.expect("applied").added, 24);
    assert_eq!(h.provider.max_in_flight.load(Ordering::SeqCst), 4, "exactly the bound, never more");
}

#[test]
fn an_interrupt_starts_nothing_new_and_saves_what_finished() {
    let h = Harness::new(&independent(10));
    *h.provider.delay.lock().expect("lock") = Duration::from_millis(10);
    let cancel = AtomicBool::new(false);
    let recorder = Recorder { cancel_after_first: Some(&cancel), ..Default::default() };
    let (_, outcome) = h.run_with(&options(PlanMode::Normal), walk(&recorder, 2, &cancel));
    let outcome = outcome.expect("applied");
    assert!(outcome.interrupted);
    // Two were in flight when the first finished; the second finishes too, nothing else starts.
    assert_eq!(outcome.added, 2);
    assert_eq!(outcome.not_started, 8);
    assert_eq!(h.state_addresses().len(), 2, "both completed operations are in state");
    assert_eq!(h.provider.names().len(), 2, "and nothing else exists");

    // The next apply finishes the rest.
    let (planned, outcome) = h.run(&options(PlanMode::Normal), true);
    assert_eq!(planned.plan.counts().add, 8);
    assert_eq!(outcome.expect("applied").added, 8);
}

#[test]
fn with_fewer_slots_than_ready_operations_the_longest_chain_starts_first() {
    // `a` and `b` stand alone and come first in the plan; `x` heads a chain of three. With one
    // slot, starting the leaves first would put both of them in front of the whole chain.
    let config = r#"
resource "test_thing" "a" {
  name = "a"
}

resource "test_thing" "b" {
  name = "b"
}

resource "test_thing" "x" {
  name = "x"
}

resource "test_thing" "y" {
  name  = "y"
  value = test_thing.x.id
}

resource "test_thing" "z" {
  name  = "z"
  value = test_thing.y.id
}
"#;
    let h = Harness::new(config);
    let cancel = AtomicBool::new(false);
    let recorder = Recorder::default();
    let (_, outcome) = h.run_with(&options(PlanMode::Normal), walk(&recorder, 1, &cancel));
    assert_eq!(outcome.expect("applied").added, 5);
    let x = recorder.position("start x create");
    assert_eq!(x, 0, "the head of the longest chain goes first: {:?}", recorder.events.lock().expect("lock"));
    // Then y (a chain of two) ahead of the leaves, and the leaves in the plan's order.
    assert!(recorder.position("start y create") < recorder.position("start a create"));
    assert!(recorder.position("start a create") < recorder.position("start b create"));
}
