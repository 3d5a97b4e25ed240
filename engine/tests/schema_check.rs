//! Resource configuration against a provider schema: structural errors with their source
//! locations, and decoding of evaluated bodies into exactly the schema's type.

use std::collections::BTreeMap;
use std::path::PathBuf;

use slipway_core::path::AttrPath;
use slipway_core::schema::{AttributeSchema, BlockSchema, NestedBlockSchema, Nesting};
use slipway_core::{Type, Value};
use slipway_engine::schema_check::{check_body, decode_config, source_range};
use slipway_lang::config::{Config, ResourceKey, ResourceMode};
use slipway_lang::evaluate::{EvalSettings, evaluate_config};
use slipway_lang::fs::OsFileSystem;
use slipway_lang::load::load_source;
use slipway_lang::source::Sources;

/// A schema shaped like aws_security_group's.
fn security_group() -> BlockSchema {
    let rule = BlockSchema::new()
        .attribute("from_port", AttributeSchema::required(Type::Number))
        .attribute("to_port", AttributeSchema::required(Type::Number))
        .attribute("protocol", AttributeSchema::required(Type::String))
        .attribute("cidr_blocks", AttributeSchema::optional(Type::list(Type::String)));
    let mut schema = BlockSchema::new()
        .attribute("name", AttributeSchema::required(Type::String).force_new())
        .attribute("description", AttributeSchema::optional(Type::String))
        .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
        .attribute("password", AttributeSchema::optional(Type::String).sensitive())
        .attribute("id", AttributeSchema::computed(Type::String))
        .attribute("arn", AttributeSchema::computed(Type::String))
        .block("ingress", Nesting::Set, rule.clone());
    schema.blocks.insert(
        "timeouts".into(),
        NestedBlockSchema {
            nesting: Nesting::Single,
            block: BlockSchema::new().attribute("create", AttributeSchema::optional(Type::String)),
            min_items: 0,
            max_items: 1,
            force_new: false,
        },
    );
    schema.blocks.insert(
        "egress".into(),
        NestedBlockSchema { nesting: Nesting::List, block: rule, min_items: 1, max_items: 0, force_new: false },
    );
    schema
}

fn check(text: &str) -> Vec<String> {
    let mut sources = Sources::new();
    let (module, diags) = load_source("main.tf", text, &mut sources);
    assert!(!diags.has_errors(), "{diags:?}");
    let resource = module.resources.values().next().expect("one resource");
    let declared_at = sources.range(resource.range.file, Some(resource.range.span()));
    check_body(&resource.body, &security_group(), "aws_security_group.web", declared_at, &sources)
        .iter()
        .map(|d| {
            let at = d.subject.as_ref().map(|r| format!("{}:{}", r.start.line, r.start.column)).unwrap_or_default();
            format!("{at} {}: {}", d.summary, d.detail)
        })
        .collect()
}

#[test]
fn a_valid_body_passes() {
    let problems = check(
        r#"resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  dynamic "ingress" {
    for_each = [80]
    content {
      from_port = ingress.value
      to_port   = ingress.value
      protocol  = "tcp"
    }
  }
  egress {
    from_port = 0
    to_port   = 0
    protocol  = "-1"
  }
}"#,
    );
    assert_eq!(problems, Vec::<String>::new());
}

#[test]
fn structural_errors_point_at_the_configuration() {
    let problems = check(
        r#"resource "aws_security_group" "web" {
  nmae = "web"
  id   = "sg-123"
  ingress = []
  tags {
    a = "b"
  }
  ingres {
  }
  timeouts {}
  timeouts {}
  egress {
    from_port = 0
    protocol  = "-1"
  }
}"#,
    );
    let expected = [
        "2:3 Unsupported argument: An argument named \"nmae\" is not expected in aws_security_group.web. Did you mean \"name\"?",
        "3:3 Invalid or unknown key: The attribute \"id\" of aws_security_group.web is read-only: the provider sets it. Remove it from the configuration; refer to it elsewhere as aws_security_group.web.id.",
        "4:3 Unsupported argument: \"ingress\" of aws_security_group.web is a block, not an argument: write it as\n    ingress {\n      ...\n    }\nwithout the equals sign.",
        "5:3 Unsupported block type: \"tags\" of aws_security_group.web is an argument, not a block: write it as tags = { ... }, with an equals sign.",
        "8:3 Unsupported block type: Blocks of type \"ingres\" are not expected in aws_security_group.web. Did you mean \"ingress\"?",
        "12:3 Missing required argument: The argument \"to_port\" is required in aws_security_group.web, but no definition was found.",
        "1:1 Missing required argument: The argument \"name\" is required in aws_security_group.web, but no definition was found.",
        "11:3 Too many blocks: No more than 1 \"timeouts\" block is allowed in aws_security_group.web.",
    ];
    assert_eq!(problems, expected);
}

#[test]
fn evaluated_bodies_decode_into_the_schema_type() {
    let text = r#"variable "ports" {
  default = [443, 80, 443]
}

resource "aws_security_group" "web" {
  name     = "web"
  password = "hunter2"
  tags     = { Team = "core", Count = 3 }
  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port = ingress.value
      to_port   = ingress.value
      protocol  = "tcp"
    }
  }
  egress {
    from_port = "0"
    to_port   = 0
    protocol  = "-1"
  }
}
"#;
    let (value, schema) = evaluate(text);
    let decoded = decode_config(&value, &schema).expect("decodes");
    assert_eq!(decoded.ty(), schema.value_type());
    assert_eq!(
        decoded.get_attr("ingress").and_then(Value::length),
        Some(2),
        "a set: the duplicate 443 rule is one rule"
    );
    assert_eq!(decoded.get_attr("tags").and_then(|t| t.get_attr("Count")).and_then(Value::as_str), Some("3"));
    assert!(decoded.get_attr("password").is_some_and(Value::is_sensitive));
    assert!(decoded.get_attr("id").is_some_and(Value::is_null), "computed attributes are null until planned");
    assert!(decoded.get_attr("timeouts").is_some_and(Value::is_null));
}

#[test]
fn decoding_errors_carry_paths_that_map_to_source() {
    let text = r#"resource "aws_security_group" "web" {
  name = ["not", "a", "string"]
  egress {
    from_port = "zero"
    to_port   = 0
    protocol  = "-1"
  }
}
"#;
    let (value, schema) = evaluate(text);
    let errors = decode_config(&value, &schema).expect_err("fails");
    let paths: Vec<String> = errors.iter().map(|(p, _)| p.to_string()).collect();
    assert_eq!(paths, ["name", "egress[0].from_port"]);
    let mut sources = Sources::new();
    let (module, _) = load_source("main.tf", text, &mut sources);
    let body = &module.resources.values().next().expect("resource").body;
    let at = |path: &AttrPath| source_range(body, path, &sources).map(|r| (r.start.line, r.start.column));
    assert_eq!(at(&errors[0].0), Some((2, 10)));
    assert_eq!(at(&errors[1].0), Some((4, 17)));
}

fn evaluate(text: &str) -> (Value, BlockSchema) {
    let mut sources = Sources::new();
    let (module, diags) = load_source("main.tf", text, &mut sources);
    assert!(!diags.has_errors(), "{diags:?}");
    let config = Config { module, children: BTreeMap::new() };
    let settings = EvalSettings {
        fs: &OsFileSystem,
        working_dir: PathBuf::from("."),
        root_dir: PathBuf::from("."),
        workspace: "default".into(),
        impure_unknown: true,
        validating: false,
        observer: None,
    };
    let (evaluated, diags) = evaluate_config(&config, &BTreeMap::new(), &sources, &settings);
    assert!(!diags.has_errors(), "{diags:?}");
    let key = ResourceKey { mode: ResourceMode::Managed, type_name: "aws_security_group".into(), name: "web".into() };
    let instances = evaluated.resources.get(&key).cloned().flatten().expect("instances");
    (instances[0].config.clone(), security_group())
}
