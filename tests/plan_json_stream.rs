//! `plan -json` streams the plan as JSON events, one per line, in the shape of Terraform's
//! machine-readable UI: `version` first, a `refresh_start` and `refresh_complete` for every
//! instance in state, a `planned_change` per change, then `change_summary`; errors as
//! `diagnostic` events with their source range. No sensitive value is ever printed.

#![allow(clippy::disallowed_methods)]

mod support;

use support::slipway;

fn events(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON event per line ({e}): {line}")))
        .collect()
}

fn of_type<'a>(events: &'a [serde_json::Value], kind: &str) -> Vec<&'a serde_json::Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[test]
fn a_plan_streams_version_refreshes_changes_and_a_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let before = "resource \"terraform_data\" \"a\" {\n  input = \"one\"\n}\nresource \"terraform_data\" \"b\" {\n  count = 2\n  input = \"b\"\n}\n";
    std::fs::write(d.join("main.tf"), before).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let after = "variable \"secret\" {\n  default   = \"hunter2\"\n  sensitive = true\n}\nresource \"terraform_data\" \"a\" {\n  input = var.secret\n}\nresource \"terraform_data\" \"b\" {\n  count = 1\n  input = \"b\"\n}\nresource \"terraform_data\" \"c\" {}\n";
    std::fs::write(d.join("main.tf"), after).expect("write");
    let (code, out) = slipway(d, &["plan", "-json"]);
    assert_eq!(code, 0, "{out}");
    let events = events(&out);
    assert_eq!(events[0]["type"], "version", "{out}");
    for e in &events {
        assert_eq!(e["@module"], "slipway.ui");
        assert!(e["@timestamp"].as_str().is_some_and(|t| t.contains('T')), "{e}");
        assert!(e["@message"].is_string() && e["@level"].is_string(), "{e}");
    }
    let started: Vec<&str> =
        of_type(&events, "refresh_start").iter().filter_map(|e| e["hook"]["resource"]["addr"].as_str()).collect();
    assert_eq!(started.len(), 3, "every instance in state is refreshed: {started:?}");
    assert!(started.contains(&"terraform_data.b[1]"));
    assert_eq!(of_type(&events, "refresh_complete").len(), 3);
    let changes: Vec<(String, String)> = of_type(&events, "planned_change")
        .iter()
        .map(|e| {
            (
                e["change"]["resource"]["addr"].as_str().unwrap_or("").to_string(),
                e["change"]["action"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(changes.contains(&("terraform_data.a".into(), "update".into())), "{changes:?}");
    assert!(changes.contains(&("terraform_data.b[1]".into(), "delete".into())), "{changes:?}");
    assert!(changes.contains(&("terraform_data.c".into(), "create".into())), "{changes:?}");
    let summary = of_type(&events, "change_summary");
    assert_eq!(summary.len(), 1);
    assert_eq!(
        summary[0]["changes"],
        serde_json::json!({"add": 1, "change": 1, "import": 0, "remove": 1, "operation": "plan"})
    );
    let last_refresh = events.iter().rposition(|e| e["type"] == "refresh_complete").expect("refreshes");
    let first_change = events.iter().position(|e| e["type"] == "planned_change").expect("changes");
    assert!(last_refresh < first_change, "refreshes come as they happen, before the plan's changes");
    assert!(!out.contains("hunter2"), "no sensitive value in the stream");
}

#[test]
fn errors_are_diagnostic_events_with_their_source_range() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), "resource \"terraform_data\" \"a\" {\n  input = var.missing\n}\n")
        .expect("write");
    let (code, out) = slipway(dir.path(), &["plan", "-json"]);
    assert_eq!(code, 1, "{out}");
    let events = events(&out);
    let diagnostics = of_type(&events, "diagnostic");
    assert!(!diagnostics.is_empty(), "{out}");
    let d = &diagnostics[0]["diagnostic"];
    assert_eq!(d["severity"], "error");
    assert_eq!(d["range"]["filename"], "main.tf");
    assert_eq!(d["range"]["start"]["line"], 2);
}

#[test]
fn changes_made_outside_slipway_are_resource_drift_events() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = "resource \"local_file\" \"f\" {\n  filename = \"${path.module}/f.txt\"\n  content  = \"one\"\n}\n";
    std::fs::write(d.join("main.tf"), config).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    std::fs::remove_file(d.join("f.txt")).expect("delete behind slipway's back");
    let (code, out) = slipway(d, &["plan", "-json", "-refresh-only"]);
    assert_eq!(code, 0, "{out}");
    let events = events(&out);
    let drift = of_type(&events, "resource_drift");
    assert_eq!(drift.len(), 1, "{out}");
    assert_eq!(drift[0]["change"]["resource"]["addr"], "local_file.f");
    assert_eq!(drift[0]["change"]["action"], "delete");
}
