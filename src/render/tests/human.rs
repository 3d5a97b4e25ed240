//! The human plan, one snapshot per situation Terraform has its own wording or layout for.

use std::collections::BTreeMap;

use insta::assert_snapshot;
use slipway_core::path::AttrPath;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting, ProviderSchema, ResourceSchema};
use slipway_core::{Diagnostic, Type, Value};
use slipway_engine::plan::{Action, ActionReason, Plan, PlanMode};

use super::*;
use crate::render::{Schemas, render_plan, render_plan_with_schemas};

fn text(plan: &Plan) -> String {
    render_plan(plan, false)
}

#[test]
fn create() {
    let after = obj([
        ("ami", s("ami-0c55b159cbfafe1f0")),
        ("arn", unknown()),
        ("id", unknown()),
        ("instance_type", s("t3.micro")),
        ("monitoring", Value::bool(false)),
        ("cpu_core_count", n(2)),
        ("user_data", s("#!/bin/bash\necho hello\nsystemctl start app\n")),
        ("key_name", Value::null(Type::String)),
        ("tags", string_map([("Name", s("web"))])),
        ("security_groups", string_set(&["default", "web"])),
        ("root_block_device", blocks(vec![obj([("volume_id", unknown()), ("volume_size", n(20))])])),
    ]);
    let plan = plan(vec![change("aws_instance.web", Action::Create, None, Some(after))]);
    assert_snapshot!(text(&plan));
}

#[test]
fn update_in_place() {
    let before = instance("t3.micro", "web");
    let mut after = instance("t3.small", "web");
    if let Some(entries) = after.as_entries() {
        let mut entries = entries.clone();
        entries.insert("tags".into(), string_map([("Name", s("web")), ("Env", s("prod"))]));
        entries.insert("monitoring".into(), Value::bool(true));
        after = Value::object(entries);
    }
    let plan = plan(vec![change("aws_instance.web", Action::Update, Some(before), Some(after))]);
    assert_snapshot!(text(&plan));
}

#[test]
fn lists_show_one_unchanged_element_around_each_change() {
    let before = obj([
        ("id", s("sg-1")),
        ("cidrs", strings(&["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"])),
    ]);
    let after = obj([
        ("id", s("sg-1")),
        ("cidrs", strings(&["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16", "10.9.0.0/16", "10.4.0.0/16", "10.5.0.0/16"])),
    ]);
    let plan = plan(vec![change("aws_security_group.lan", Action::Update, Some(before), Some(after))]);
    assert_snapshot!(text(&plan));
}

#[test]
fn replace_both_orders_with_forces_replacement() {
    let dtc = forcing(
        change(
            "aws_instance.web",
            Action::DeleteThenCreate,
            Some(instance("t3.micro", "web")),
            Some(obj([
                ("ami", s("ami-0new")),
                ("arn", unknown()),
                ("id", unknown()),
                ("instance_type", s("t3.micro")),
                ("tags", string_map([("Name", s("web")), ("Team", s("platform"))])),
            ])),
        ),
        &["ami"],
    );
    let cbd = forcing(
        change(
            "aws_launch_template.web",
            Action::CreateThenDelete,
            Some(obj([("id", s("lt-1")), ("name", s("web")), ("image_id", s("ami-old"))])),
            Some(obj([("id", unknown()), ("name", s("web")), ("image_id", s("ami-new"))])),
        ),
        &["image_id"],
    );
    let plan = plan(vec![dtc, cbd]);
    assert_snapshot!(text(&plan));
}

#[test]
fn replace_reasons() {
    let same = || Some(obj([("id", s("x")), ("triggers", string_map([("v", s("1"))]))]));
    let plan = plan(vec![
        with_reason(
            change("null_resource.tainted", Action::DeleteThenCreate, same(), same()),
            ActionReason::ReplaceBecauseTainted,
        ),
        with_reason(
            change("null_resource.requested", Action::DeleteThenCreate, same(), same()),
            ActionReason::ReplaceByRequest,
        ),
        with_reason(
            change("null_resource.triggered", Action::CreateThenDelete, same(), same()),
            ActionReason::ReplaceByTriggers,
        ),
    ]);
    assert_snapshot!(text(&plan));
}

#[test]
fn delete_with_each_reason() {
    let gone = || Some(obj([("id", s("123")), ("triggers", Value::null(Type::map(Type::String)))]));
    let mut plan = plan(vec![
        with_reason(
            change("null_resource.a", Action::Delete, gone(), None),
            ActionReason::DeleteBecauseNoResourceConfig,
        ),
        with_reason(change("null_resource.b[2]", Action::Delete, gone(), None), ActionReason::DeleteBecauseCountIndex),
        with_reason(change("null_resource.c[\"a\"]", Action::Delete, gone(), None), ActionReason::DeleteBecauseEachKey),
        with_reason(
            change("module.old.null_resource.d", Action::Delete, gone(), None),
            ActionReason::DeleteBecauseNoModule,
        ),
        with_reason(change("null_resource.e", Action::Delete, gone(), None), ActionReason::DeleteBecauseDestroy),
        // Data sources leave state without a word.
        change("data.aws_ami.gone", Action::Delete, Some(obj([("id", s("ami-1"))])), None),
    ]);
    plan.mode = PlanMode::Normal;
    assert_snapshot!(text(&plan));
}

#[test]
fn no_changes_in_each_mode() {
    let unchanged = obj([("id", s("1"))]);
    let mut normal = plan(vec![change("null_resource.a", Action::NoOp, Some(unchanged.clone()), Some(unchanged))]);
    let mut out = text(&normal);
    normal.mode = PlanMode::Destroy;
    out.push_str("---- destroy\n");
    out.push_str(&text(&normal));
    normal.mode = PlanMode::RefreshOnly;
    out.push_str("---- refresh-only\n");
    out.push_str(&text(&normal));
    assert_snapshot!(out);
}

#[test]
fn data_read_during_apply() {
    let after = obj([
        ("id", unknown()),
        ("most_recent", Value::bool(true)),
        ("owners", strings(&["099720109477"])),
        ("vpc_id", unknown()),
    ]);
    let plan = plan(vec![
        with_reason(
            change("data.aws_ami.ubuntu", Action::Read, None, Some(after.clone())),
            ActionReason::ReadBecauseConfigUnknown,
        ),
        with_reason(
            change("data.aws_vpc.main", Action::Read, None, Some(after)),
            ActionReason::ReadBecauseDependencyPending,
        ),
    ]);
    assert_snapshot!(text(&plan));
}

#[test]
fn sensitive_values_are_never_printed() {
    let create = change(
        "aws_db_instance.main",
        Action::Create,
        None,
        Some(obj([
            ("id", unknown()),
            ("password", secret("hunter2")),
            ("tags", string_map([("Name", s("db")), ("Token", secret("tok-123"))])),
            ("credentials", blocks(vec![obj([("user", s("admin")), ("key", s("k-1"))]).mark_sensitive()])),
        ])),
    );
    let update = change(
        "aws_db_instance.replica",
        Action::Update,
        Some(obj([
            ("id", s("db-2")),
            ("password", secret("old-secret")),
            ("note", s("plain before")),
            ("port", n(5432)),
        ])),
        Some(obj([
            ("id", s("db-2")),
            ("password", secret("new-secret")),
            ("note", secret("plain before")),
            ("port", secret("5433")),
        ])),
    );
    let mut plan = plan(vec![create, update]);
    plan.outputs.insert("db_password".into(), output(None, Some(s("hunter2")), true));
    let out = text(&plan);
    for secret in ["hunter2", "tok-123", "k-1", "old-secret", "new-secret", "5433"] {
        assert!(!out.contains(secret), "{secret} leaked:\n{out}");
    }
    assert_snapshot!(out);
}

#[test]
fn unknown_values() {
    let before = obj([
        ("id", s("i-1")),
        ("private_dns", s("ip-10-0-0-1.ec2.internal")),
        ("ipv6_addresses", strings(&["2600::1"])),
        ("tags", string_map([("Name", s("web"))])),
        ("network_interface", blocks(vec![obj([("device_index", n(0)), ("id", s("eni-1"))])])),
    ]);
    let after = obj([
        ("id", s("i-1")),
        ("private_dns", unknown()),
        ("ipv6_addresses", Value::unknown(Type::list(Type::String))),
        ("tags", string_map([("Name", s("web")), ("Build", unknown())])),
        (
            "network_interface",
            Value::unknown(Type::list(Type::object([("device_index", Type::Number), ("id", Type::String)]))),
        ),
    ]);
    let plan = plan(vec![change("aws_instance.web", Action::Update, Some(before), Some(after))]);
    assert_snapshot!(text(&plan));
}

#[test]
fn multi_line_string_diff() {
    let lines = |changed: &str, extra: bool| {
        let mut text: Vec<String> = (1..=20).map(|i| format!("line {i}")).collect();
        text[9] = changed.to_string();
        if extra {
            text.push("line 21".into());
        }
        s(&format!("#cloud-config\n{}\n", text.join("\n")))
    };
    let plan = plan(vec![change(
        "aws_instance.web",
        Action::Update,
        Some(obj([("id", s("i-1")), ("user_data", lines("line 10", false))])),
        Some(obj([("id", s("i-1")), ("user_data", lines("line ten", true))])),
    )]);
    assert_snapshot!(text(&plan));
}

#[test]
fn json_strings_compare_by_meaning() {
    let policy =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
    let reordered = "{\n  \"Statement\": [\n    {\"Resource\": \"*\", \"Action\": [\"s3:GetObject\"], \"Effect\": \"Allow\"}\n  ],\n  \"Version\": \"2012-10-17\"\n}\n";
    let changed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#;
    let same = change(
        "aws_iam_policy.same",
        Action::Update,
        Some(obj([("id", s("p-1")), ("policy", s(policy)), ("description", s("old"))])),
        Some(obj([("id", s("p-1")), ("policy", s(reordered)), ("description", s("new"))])),
    );
    let real = change(
        "aws_iam_policy.real",
        Action::Update,
        Some(obj([("id", s("p-2")), ("policy", s(policy))])),
        Some(obj([("id", s("p-2")), ("policy", s(changed))])),
    );
    let created =
        change("aws_iam_policy.new", Action::Create, None, Some(obj([("id", unknown()), ("policy", s(policy))])));
    let plan = plan(vec![created, real, same]);
    let out = text(&plan);
    assert!(!out.contains("Statement\": ["), "the reordered policy shows no diff:\n{out}");
    assert_snapshot!(out);
}

#[test]
fn nested_blocks() {
    let rule =
        |port: i64, cidr: &str| obj([("from_port", n(port)), ("to_port", n(port)), ("cidr_blocks", strings(&[cidr]))]);
    let before = obj([
        ("id", s("sg-1")),
        ("name", s("web")),
        ("description", s("web servers")),
        ("ingress", block_set(vec![rule(80, "0.0.0.0/0"), rule(443, "0.0.0.0/0"), rule(22, "10.0.0.0/8")])),
        ("egress", blocks(vec![rule(0, "0.0.0.0/0")])),
        ("timeouts", obj([("create", s("10m")), ("delete", s("15m"))])),
    ]);
    let after = obj([
        ("id", s("sg-1")),
        ("name", s("web")),
        ("description", s("web servers")),
        ("ingress", block_set(vec![rule(80, "0.0.0.0/0"), rule(443, "0.0.0.0/0"), rule(22, "10.1.0.0/16")])),
        ("egress", blocks(vec![rule(0, "0.0.0.0/0")])),
        ("timeouts", obj([("create", s("20m")), ("delete", s("15m"))])),
    ]);
    let plan = plan(vec![change("aws_security_group.web", Action::Update, Some(before), Some(after))]);
    assert_snapshot!(text(&plan));
}

#[test]
fn schema_tells_attributes_from_blocks() {
    let rule_type = Type::object([("port", Type::Number)]);
    let rule = |port: i64| obj([("port", n(port))]);
    let block = BlockSchema::new()
        .attribute("id", AttributeSchema::computed(Type::String))
        .attribute("ports", AttributeSchema::optional(Type::list(rule_type.clone())))
        .block(
            "listener",
            Nesting::List,
            BlockSchema::new().attribute("port", AttributeSchema::required(Type::Number)),
        );
    let mut provider = ProviderSchema::default();
    provider.resources.insert("aws_lb".into(), ResourceSchema { version: 0, block });
    let schemas: Schemas = BTreeMap::from([("aws".to_string(), provider)]);
    let after = obj([
        ("id", unknown()),
        ("ports", Value::list(rule_type.clone(), vec![rule(80), rule(443)])),
        ("listener", Value::list(rule_type, vec![rule(8080)])),
    ]);
    let plan = plan(vec![change("aws_lb.front", Action::Create, None, Some(after))]);
    assert_snapshot!(render_plan_with_schemas(&plan, &schemas, false));
}

#[test]
fn moved_and_imported() {
    let value = || Some(obj([("id", s("i-1")), ("instance_type", s("t3.micro")), ("monitoring", Value::bool(false))]));
    let mut moved_only = change("aws_instance.b", Action::NoOp, value(), value());
    moved_only.prev_addr = Some(addr("aws_instance.a"));
    let mut moved_and_updated = change(
        "module.app.aws_instance.c",
        Action::Update,
        value(),
        Some(obj([("id", s("i-1")), ("instance_type", s("t3.large")), ("monitoring", Value::bool(false))])),
    );
    moved_and_updated.prev_addr = Some(addr("aws_instance.c"));
    let mut imported = change("aws_instance.d", Action::NoOp, value(), value());
    imported.importing = Some("i-1".into());
    let mut forgotten = change("aws_instance.e", Action::Forget, value(), None);
    forgotten.reason = ActionReason::DeleteBecauseNoResourceConfig;
    let plan = plan(vec![moved_only, moved_and_updated, imported, forgotten]);
    assert_snapshot!(text(&plan));
}

#[test]
fn outputs() {
    let mut with_resources =
        plan(vec![change("null_resource.a", Action::Create, None, Some(obj([("id", unknown())])))]);
    let outputs = &mut with_resources.outputs;
    outputs.insert("created".into(), output(None, Some(s("hello")), false));
    outputs.insert("changed".into(), output(Some(n(1)), Some(n(2)), false));
    outputs.insert("removed".into(), output(Some(s("bye")), None, false));
    outputs.insert("same".into(), output(Some(s("x")), Some(s("x")), false));
    outputs.insert("secret".into(), output(Some(s("a")), Some(s("b")), true));
    outputs.insert("id".into(), output(None, Some(unknown()), false));
    outputs.insert("subnets".into(), output(Some(strings(&["a", "b"])), Some(strings(&["a", "b", "c"])), false));
    outputs.insert("endpoint".into(), output(None, Some(obj([("host", s("db.local")), ("port", n(5432))])), false));
    let mut out = text(&with_resources);
    let mut only_outputs = plan(Vec::new());
    only_outputs.outputs.insert("version".into(), output(Some(s("1.0")), Some(s("1.1")), false));
    out.push_str("---- only outputs\n");
    out.push_str(&text(&only_outputs));
    assert_snapshot!(out);
}

#[test]
fn drift() {
    let mut normal = plan(vec![change(
        "aws_instance.web",
        Action::Update,
        Some(obj([("id", s("i-1")), ("instance_type", s("t3.large"))])),
        Some(obj([("id", s("i-1")), ("instance_type", s("t3.micro"))])),
    )]);
    normal.drift = vec![
        change(
            "aws_instance.web",
            Action::Update,
            Some(obj([("id", s("i-1")), ("instance_type", s("t3.micro"))])),
            Some(obj([("id", s("i-1")), ("instance_type", s("t3.large"))])),
        ),
        change("aws_eip.gone", Action::Delete, Some(obj([("id", s("eip-1"))])), None),
    ];
    let mut out = text(&normal);
    let mut refresh_only = normal.clone();
    refresh_only.mode = PlanMode::RefreshOnly;
    refresh_only.changes.clear();
    out.push_str("---- refresh-only\n");
    out.push_str(&text(&refresh_only));
    assert_snapshot!(out);
}

#[test]
fn errored_plan() {
    let mut failed = plan(vec![change("null_resource.a", Action::Create, None, Some(obj([("id", unknown())])))]);
    failed.diagnostics.push(Diagnostic::error("Invalid count argument", "known only after apply"));
    let mut out = text(&failed);
    failed.changes.clear();
    out.push_str("---- nothing planned\n");
    out.push_str(&text(&failed));
    assert_snapshot!(out);
}

#[test]
fn replace_paths_inside_collections() {
    let mut c = change(
        "aws_instance.web",
        Action::DeleteThenCreate,
        Some(obj([
            ("id", s("i-1")),
            ("tags", string_map([("Zone", s("a"))])),
            ("ebs", blocks(vec![obj([("size", n(8))])])),
        ])),
        Some(obj([
            ("id", unknown()),
            ("tags", string_map([("Zone", s("b"))])),
            ("ebs", blocks(vec![obj([("size", n(16))])])),
        ])),
    );
    c.requires_replace =
        vec![AttrPath::attr("tags").then_key("Zone"), AttrPath::attr("ebs").then_index(0).then_attr("size")];
    assert_snapshot!(text(&plan(vec![c])));
}

#[test]
fn color_codes_when_asked() {
    let before = obj([("id", s("i-1")), ("instance_type", s("t3.micro")), ("old", s("x"))]);
    let after = obj([("id", s("i-1")), ("instance_type", s("t3.small")), ("new", s("y"))]);
    let plan = plan(vec![
        change("aws_instance.web", Action::Update, Some(before), Some(after)),
        change("aws_eip.ip", Action::Delete, Some(obj([("id", s("eip-1"))])), None),
    ]);
    let out = render_plan(&plan, true);
    assert!(out.contains("\x1b[32m+\x1b[0m"));
    assert_snapshot!(out.replace('\x1b', "␛"));
}

#[test]
fn edge_cases() {
    let before = obj([
        ("id", s("x-1")),
        ("empty_to_some", strings(&[])),
        ("some_to_empty", strings(&["a"])),
        ("null_to_value", Value::null(Type::String)),
        ("value_to_null", s("gone")),
        ("one_line_to_many", s("single")),
        ("json_to_text", s(r#"{"a":1}"#)),
        ("escape", s("line one\nline two")),
        ("numbers", Value::map(Type::Number, [("a".to_string(), n(1))].into())),
        ("flags", Value::set(Type::Bool, vec![Value::bool(true)])),
        ("labels", string_map([("app", s("web")), ("tier", secret("frontend"))])),
        ("weird key", s("same")),
        ("rules", blocks(vec![obj([("port", n(80))]), obj([("port", n(443))])])),
    ]);
    let after = obj([
        ("id", s("x-1")),
        ("empty_to_some", strings(&["a"])),
        ("some_to_empty", strings(&[])),
        ("null_to_value", s("new")),
        ("value_to_null", Value::null(Type::String)),
        ("one_line_to_many", s("first\nsecond\n")),
        ("json_to_text", s("plain")),
        ("escape", s("line one\nline \u{1b}[31mtwo")),
        ("numbers", Value::map(Type::Number, [("a".to_string(), n(2)), ("b".to_string(), n(3))].into())),
        ("flags", Value::set(Type::Bool, vec![Value::bool(false)])),
        ("labels", string_map([("app", s("web")), ("tier", secret("backend"))])),
        ("weird key", s("same")),
        ("rules", blocks(vec![obj([("port", n(80))])])),
    ]);
    let plan = plan(vec![change("thing_thing.a", Action::Update, Some(before), Some(after))]);
    let out = text(&plan);
    assert!(!out.contains('\x1b'), "control characters are escaped:\n{out}");
    assert!(!out.contains("frontend") && !out.contains("backend"));
    assert_snapshot!(out);
}

#[test]
fn sensitivity_of_blocks_changes() {
    let cred = |user: &str| obj([("user", s(user))]);
    let plan = plan(vec![change(
        "thing_thing.b",
        Action::Update,
        Some(obj([
            ("id", s("b")),
            ("auth", blocks(vec![cred("admin")])),
            ("key", blocks(vec![cred("k")]).mark_sensitive()),
        ])),
        Some(obj([
            ("id", s("b")),
            ("auth", blocks(vec![cred("admin")]).mark_sensitive()),
            ("key", blocks(vec![cred("k2")]).mark_sensitive()),
        ])),
    )]);
    let out = text(&plan);
    assert!(!out.contains("admin") && !out.contains("k2"));
    assert_snapshot!(out);
}

#[test]
fn an_update_carries_the_providers_notes_under_its_header() {
    let mut update = change(
        "aws_autoscaling_group.nodes",
        Action::Update,
        Some(obj([("id", s("nodes")), ("version", s("1"))])),
        Some(obj([("id", s("nodes")), ("version", unknown())])),
    );
    update.notes = vec!["its 2 instances will be replaced 1 at a time: instance_refresh".into()];
    assert_snapshot!(text(&plan(vec![update])));
}
