//! IAM data sources: `aws_iam_policy_document` (statement blocks rendered to JSON in
//! terraform-provider-aws's layout, no API call) and `aws_iam_role` (a role by name).

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde_json::{Map, Value as Json};
use slipway_core::provider_kit::{attr, string_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::data::DataSource;
use crate::iam_kit::from_iam_tags;
use crate::kit::Clients;
use crate::kit::date;
use crate::policy_json::decode;

pub struct PolicyDocument;

fn principals_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("type", AttributeSchema::required(Type::String))
        .attribute("identifiers", AttributeSchema::required(Type::set(Type::String)))
}

fn statement_block() -> BlockSchema {
    let mut block = BlockSchema::new()
        .attribute("sid", AttributeSchema::optional(Type::String))
        .attribute("effect", AttributeSchema::optional(Type::String))
        .block("principals", Nesting::Set, principals_block())
        .block("not_principals", Nesting::Set, principals_block())
        .block(
            "condition",
            Nesting::Set,
            BlockSchema::new()
                .attribute("test", AttributeSchema::required(Type::String))
                .attribute("variable", AttributeSchema::required(Type::String))
                .attribute("values", AttributeSchema::required(Type::list(Type::String))),
        );
    for name in ["actions", "not_actions", "resources", "not_resources"] {
        block = block.attribute(name, AttributeSchema::optional(Type::set(Type::String)));
    }
    block
}

#[async_trait]
impl DataSource for PolicyDocument {
    fn type_name(&self) -> &'static str {
        "aws_iam_policy_document"
    }

    fn schema(&self) -> BlockSchema {
        BlockSchema::new()
            .attribute("version", AttributeSchema::optional(Type::String))
            .attribute("policy_id", AttributeSchema::optional(Type::String))
            .attribute("source_policy_documents", AttributeSchema::optional(Type::list(Type::String)))
            .attribute("override_policy_documents", AttributeSchema::optional(Type::list(Type::String)))
            .attribute("json", AttributeSchema::computed(Type::String))
            .attribute("minified_json", AttributeSchema::computed(Type::String))
            .attribute("id", AttributeSchema::computed(Type::String))
            .block("statement", Nesting::List, statement_block())
    }

    async fn read(&self, _c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let document = render(config)?;
        let json = serde_json::to_string_pretty(&document).unwrap_or_default();
        let minified = serde_json::to_string(&document).unwrap_or_default();
        let mut entries = config.as_entries().cloned().unwrap_or_default();
        entries.insert("id".into(), Value::string(checksum(&json)));
        entries.insert("json".into(), Value::string(json));
        entries.insert("minified_json".into(), Value::string(minified));
        Ok(Value::object(entries))
    }
}

/// The document: the source documents' statements, then the configured ones, then the
/// override documents'; a later statement replaces an earlier one with the same `Sid`.
fn render(config: &Value) -> Result<Json, Diagnostic> {
    let mut statements: Vec<Json> = Vec::new();
    let mut merge = |statement: Json| {
        let sid = statement.get("Sid").and_then(Json::as_str).filter(|s| !s.is_empty()).map(str::to_string);
        match sid.and_then(|sid| statements.iter().position(|s| s.get("Sid").and_then(Json::as_str) == Some(&sid))) {
            Some(i) => statements[i] = statement,
            None => statements.push(statement),
        }
    };
    for doc in strings(&attr(config, "source_policy_documents")) {
        document_statements(&doc)?.into_iter().for_each(&mut merge);
    }
    for block in attr(config, "statement").as_elements().unwrap_or_default() {
        merge(statement(block));
    }
    for doc in strings(&attr(config, "override_policy_documents")) {
        document_statements(&doc)?.into_iter().for_each(&mut merge);
    }
    let mut top = Map::new();
    top.insert("Version".into(), Json::String(string_attr(config, "version")?.unwrap_or_else(|| "2012-10-17".into())));
    if let Some(id) = string_attr(config, "policy_id")? {
        top.insert("Id".into(), Json::String(id));
    }
    top.insert("Statement".into(), Json::Array(statements));
    Ok(Json::Object(top))
}

fn document_statements(doc: &str) -> Result<Vec<Json>, Diagnostic> {
    let parsed: Json = serde_json::from_str(&decode(doc)).map_err(|e| {
        Diagnostic::error("Invalid policy document", format!("A source or override policy document is not JSON: {e}."))
    })?;
    Ok(match parsed.get("Statement") {
        Some(Json::Array(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    })
}

fn strings(value: &Value) -> Vec<String> {
    value.as_elements().unwrap_or_default().iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
}

/// One value as a string, several as a sorted list: terraform-provider-aws's layout.
fn one_or_many(mut items: Vec<String>) -> Json {
    items.sort();
    items.dedup();
    if items.len() == 1 {
        Json::String(items.remove(0))
    } else {
        Json::Array(items.into_iter().map(Json::String).collect())
    }
}

fn statement(block: &Value) -> Json {
    let mut out = Map::new();
    if let Some(sid) = attr(block, "sid").as_str().filter(|s| !s.is_empty()) {
        out.insert("Sid".into(), Json::String(sid.into()));
    }
    out.insert("Effect".into(), Json::String(attr(block, "effect").as_str().unwrap_or("Allow").into()));
    for (name, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        let items = strings(&attr(block, name));
        if !items.is_empty() {
            out.insert(key.into(), one_or_many(items));
        }
    }
    for (name, key) in [("principals", "Principal"), ("not_principals", "NotPrincipal")] {
        if let Some(p) = principals(&attr(block, name)) {
            out.insert(key.into(), p);
        }
    }
    let mut conditions: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for c in attr(block, "condition").as_elements().unwrap_or_default() {
        let (Some(test), Some(variable)) =
            (attr(c, "test").as_str().map(str::to_string), attr(c, "variable").as_str().map(str::to_string))
        else {
            continue;
        };
        conditions.entry(test).or_default().entry(variable).or_default().extend(strings(&attr(c, "values")));
    }
    if !conditions.is_empty() {
        let conditions = conditions
            .into_iter()
            .map(|(test, vars)| (test, Json::Object(vars.into_iter().map(|(k, v)| (k, one_or_many(v))).collect())))
            .collect();
        out.insert("Condition".into(), Json::Object(conditions));
    }
    Json::Object(out)
}

/// Principal blocks by type; `type = "*"` with identifier `"*"` is the bare `"*"`.
fn principals(blocks: &Value) -> Option<Json> {
    let mut by_type: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in blocks.as_elements().unwrap_or_default() {
        let kind = attr(b, "type").as_str().unwrap_or_default().to_string();
        by_type.entry(kind).or_default().extend(strings(&attr(b, "identifiers")));
    }
    if by_type.is_empty() {
        return None;
    }
    if by_type.len() == 1 && by_type.get("*").is_some_and(|ids| ids.iter().all(|i| i == "*")) {
        return Some(Json::String("*".into()));
    }
    Some(Json::Object(by_type.into_iter().map(|(k, v)| (k, one_or_many(v))).collect()))
}

/// A stable ID for a rendered document (terraform-provider-aws uses a hash of the JSON too).
fn checksum(text: &str) -> String {
    // FNV-1a: stable across runs and builds, unlike the standard library's hasher.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash.to_string()
}

pub struct RoleData;

#[async_trait]
impl DataSource for RoleData {
    fn type_name(&self) -> &'static str {
        "aws_iam_role"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("name", AttributeSchema::required(Type::String))
            .attribute("max_session_duration", AttributeSchema::computed(Type::Number))
            .attribute("tags", AttributeSchema::optional_computed(Type::map(Type::String)));
        for name in [
            "id",
            "arn",
            "unique_id",
            "create_date",
            "path",
            "description",
            "assume_role_policy",
            "permissions_boundary",
        ] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    async fn read(&self, c: &Clients, config: &Value) -> Result<Value, Diagnostic> {
        let name = string_attr(config, "name")?.unwrap_or_default();
        let role = crate::iam_role::get_role(c, &name)
            .await?
            .ok_or_else(|| Diagnostic::error("No IAM role found", format!("There is no IAM role named {name:?}.")))?;
        Ok(Value::object(BTreeMap::from([
            ("id".into(), Value::string(role.role_name())),
            ("name".into(), Value::string(role.role_name())),
            ("arn".into(), Value::string(role.arn())),
            ("unique_id".into(), Value::string(role.role_id())),
            ("create_date".into(), date(Some(role.create_date()))),
            ("path".into(), Value::string(role.path())),
            ("description".into(), Value::string(role.description().unwrap_or_default())),
            (
                "assume_role_policy".into(),
                Value::string(decode(role.assume_role_policy_document().unwrap_or_default())),
            ),
            (
                "permissions_boundary".into(),
                Value::string(
                    role.permissions_boundary().and_then(|b| b.permissions_boundary_arn()).unwrap_or_default(),
                ),
            ),
            ("max_session_duration".into(), Value::int(i64::from(role.max_session_duration().unwrap_or(3600)))),
            ("tags".into(), from_iam_tags(role.tags())),
        ])))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use slipway_core::{Type, Value};

    use super::render;

    fn strings(items: &[&str]) -> Value {
        Value::set(Type::String, items.iter().map(|s| Value::string(*s)).collect())
    }

    fn object(entries: Vec<(&str, Value)>) -> Value {
        Value::object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>())
    }

    fn document(statements: Vec<Value>, extra: Vec<(&str, Value)>) -> String {
        let mut entries = vec![("statement", Value::list(Type::Any, statements))];
        entries.extend(extra);
        serde_json::to_string(&render(&object(entries)).expect("renders")).expect("JSON")
    }

    #[test]
    fn a_trust_policy_renders_in_terraform_provider_aws_layout() {
        let statement = object(vec![
            ("actions", strings(&["sts:AssumeRole"])),
            (
                "principals",
                Value::list(
                    Type::Any,
                    vec![object(vec![
                        ("type", Value::string("Service")),
                        ("identifiers", strings(&["ec2.amazonaws.com"])),
                    ])],
                ),
            ),
        ]);
        assert_eq!(
            document(vec![statement], vec![]),
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#
        );
    }

    #[test]
    fn sets_sort_conditions_group_and_a_wildcard_principal_is_bare() {
        let statement = object(vec![
            ("sid", Value::string("Read")),
            ("effect", Value::string("Deny")),
            ("actions", strings(&["s3:List*", "s3:Get*"])),
            ("resources", strings(&["*"])),
            (
                "principals",
                Value::list(
                    Type::Any,
                    vec![object(vec![("type", Value::string("*")), ("identifiers", strings(&["*"]))])],
                ),
            ),
            (
                "condition",
                Value::list(
                    Type::Any,
                    vec![object(vec![
                        ("test", Value::string("Bool")),
                        ("variable", Value::string("aws:SecureTransport")),
                        ("values", Value::list(Type::String, vec![Value::string("false")])),
                    ])],
                ),
            ),
        ]);
        assert_eq!(
            document(vec![statement], vec![]),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Deny","Action":["s3:Get*","s3:List*"],"Resource":"*","Principal":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#
        );
    }

    #[test]
    fn override_documents_replace_statements_with_the_same_sid() {
        let statement = object(vec![("sid", Value::string("A")), ("actions", strings(&["a:One"]))]);
        let overrides = Value::list(
            Type::String,
            vec![Value::string(r#"{"Statement":[{"Sid":"A","Effect":"Allow","Action":"a:Two"}]}"#)],
        );
        let json = document(vec![statement], vec![("override_policy_documents", overrides)]);
        assert!(json.contains("a:Two") && !json.contains("a:One"), "{json}");
        assert!(crate::policy_json::equivalent(
            &json,
            r#"{"Version":"2012-10-17","Statement":{"Sid":"A","Effect":"Allow","Action":["a:Two"]}}"#
        ));
    }
}
