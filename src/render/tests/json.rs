//! The JSON plan: Terraform's `show -json` shape, with sensitive values redacted.

use insta::assert_snapshot;
use slipway_core::Type;
use slipway_engine::plan::{Action, ActionReason};

use super::*;
use crate::render::plan_to_json;

fn pretty(plan: &slipway_engine::plan::Plan) -> String {
    serde_json::to_string_pretty(&plan_to_json(plan)).expect("JSON")
}

#[test]
fn resource_and_output_changes() {
    let create = change(
        "module.net.aws_subnet.private[\"a\"]",
        Action::Create,
        None,
        Some(obj([
            ("id", unknown()),
            ("cidr_block", s("10.0.1.0/24")),
            ("tags", string_map([("Name", s("private-a"))])),
            ("ipv6_cidrs", Value::list(Type::String, vec![s("::1"), unknown()])),
        ])),
    );
    let update = change(
        "aws_db_instance.main",
        Action::Update,
        Some(obj([("id", s("db-1")), ("password", secret("old-secret")), ("port", n(5432))])),
        Some(obj([("id", s("db-1")), ("password", secret("new-secret")), ("port", n(5433))])),
    );
    let replace = forcing(
        change(
            "aws_instance.web[0]",
            Action::DeleteThenCreate,
            Some(obj([("id", s("i-1")), ("ami", s("ami-old"))])),
            Some(obj([("id", unknown()), ("ami", s("ami-new"))])),
        ),
        &["ami"],
    );
    let delete = with_reason(
        change("aws_eip.old", Action::Delete, Some(obj([("id", s("eip-1"))])), None),
        ActionReason::DeleteBecauseNoResourceConfig,
    );
    let mut moved =
        change("aws_eip.new", Action::NoOp, Some(obj([("id", s("eip-2"))])), Some(obj([("id", s("eip-2"))])));
    moved.prev_addr = Some(addr("aws_eip.before"));
    moved.importing = Some("eip-2".into());
    let mut plan = plan(vec![create, update, replace, delete, moved]);
    plan.outputs.insert("password".into(), output(None, Some(s("hunter2")), true));
    plan.outputs.insert("subnet_id".into(), output(None, Some(unknown()), false));
    plan.outputs.insert("region".into(), output(Some(s("us-east-1")), Some(s("us-east-1")), false));
    let out = pretty(&plan);
    for secret in ["hunter2", "old-secret", "new-secret"] {
        assert!(!out.contains(secret), "{secret} leaked:\n{out}");
    }
    assert_snapshot!(out);
}

#[test]
fn empty_plan() {
    assert_snapshot!(pretty(&plan(Vec::new())));
}
