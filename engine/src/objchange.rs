//! The rules of an object's change, as Terraform's `plans/objchange` states them: the proposed
//! new value (the configuration merged with the prior state's computed values), the checks that
//! a provider's planned and applied values are legal (invariant 5), which attributes changed,
//! which changes force replacement, and the action that results.

use slipway_core::path::AttrPath;
use slipway_core::schema::{BlockSchema, Nesting};
use slipway_core::{Data, Type, Value};

/// What happens to one resource instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Create,
    Update,
    /// Replace by deleting first, then creating (`-/+`).
    DeleteThenCreate,
    /// Replace by creating the new object first (`+/-`, `create_before_destroy`).
    CreateThenDelete,
    Delete,
}

/// The value the configuration proposes: configured attributes as written, and for computed
/// attributes left out of the configuration, the prior value. `prior` is `None` on create.
pub fn proposed_new(schema: &BlockSchema, prior: Option<&Value>, config: &Value) -> Value {
    if !config.is_known() || config.is_null() {
        return prior.cloned().unwrap_or_else(|| config.clone());
    }
    let mut attrs = std::collections::BTreeMap::new();
    for (name, attr) in &schema.attributes {
        let config_value = config.get_attr(name).cloned().unwrap_or_else(|| Value::null(attr.ty.clone()));
        let value = if attr.computed && config_value.is_null() {
            prior.and_then(|p| p.get_attr(name)).cloned().unwrap_or_else(|| Value::null(attr.ty.clone()))
        } else {
            config_value
        };
        attrs.insert(name.clone(), value);
    }
    for (name, nested) in &schema.blocks {
        let config_blocks = config.get_attr(name).cloned().unwrap_or_else(|| Value::null(Type::Any));
        let prior_blocks = prior.and_then(|p| p.get_attr(name));
        attrs.insert(name.clone(), proposed_nested(&nested.block, nested.nesting, prior_blocks, &config_blocks));
    }
    Value::object(attrs)
}

fn proposed_nested(block: &BlockSchema, nesting: Nesting, prior: Option<&Value>, config: &Value) -> Value {
    if !config.is_known() {
        return config.clone();
    }
    match nesting {
        Nesting::Single if config.is_null() => config.clone(),
        Nesting::Single => proposed_new(block, prior.filter(|p| !p.is_null()), config),
        Nesting::List => {
            let items = config.as_elements().unwrap_or_default();
            let prior_items = prior.and_then(Value::as_elements).unwrap_or_default();
            let merged = items.iter().enumerate().map(|(i, item)| match prior_items.get(i) {
                Some(p) => proposed_new(block, Some(p), item),
                None => item.clone(),
            });
            Value::list(block.value_type(), merged.collect())
        }
        Nesting::Set => {
            // Set elements have no identity but their content: a prior element lends its
            // computed values only to a configured element whose non-computed values are equal.
            let prior_items = prior.and_then(Value::as_elements).unwrap_or_default();
            let mut used = vec![false; prior_items.len()];
            let mut merged = Vec::new();
            for item in config.as_elements().unwrap_or_default() {
                let matching = prior_items.iter().enumerate().find(|(i, p)| {
                    !used[*i] && configured_part(block, p).same_known_value(&configured_part(block, item))
                });
                match matching {
                    Some((i, p)) => {
                        used[i] = true;
                        merged.push(proposed_new(block, Some(p), item));
                    }
                    None => merged.push(proposed_new(block, None, item)),
                }
            }
            Value::set(block.value_type(), merged)
        }
    }
}

/// The value with computed-only attributes nulled, for matching set elements.
fn configured_part(block: &BlockSchema, value: &Value) -> Value {
    let Some(entries) = value.as_entries() else { return value.clone() };
    let mut out = entries.clone();
    for (name, attr) in &block.attributes {
        if attr.computed && !attr.optional {
            out.insert(name.clone(), Value::null(attr.ty.clone()));
        }
    }
    Value::object(out)
}

/// Problems with a provider's planned value: every configured value must be planned as
/// written (an unknown configuration may only be planned unknown) or as its prior value, which
/// a provider keeps for a configuration that means the same (a reformatted policy document, a
/// DNS name with a trailing dot), as ARCHITECTURE.md's invariant 5 allows.
pub fn check_planned(
    schema: &BlockSchema,
    config: &Value,
    planned: &Value,
    prior: Option<&Value>,
) -> Vec<(AttrPath, String)> {
    let mut problems = Vec::new();
    check_planned_block(schema, config, planned, prior, &AttrPath::root(), &mut problems);
    problems
}

fn check_planned_block(
    schema: &BlockSchema,
    config: &Value,
    planned: &Value,
    prior: Option<&Value>,
    path: &AttrPath,
    problems: &mut Vec<(AttrPath, String)>,
) {
    if !config.is_known() || !planned.is_known() || config.is_null() {
        return;
    }
    for (name, attr) in &schema.attributes {
        let configured = config.get_attr(name).cloned().unwrap_or_else(|| Value::null(attr.ty.clone()));
        let plan = planned.get_attr(name).cloned().unwrap_or_else(|| Value::null(attr.ty.clone()));
        if attr.computed && configured.is_null() {
            continue; // the provider decides
        }
        if !configured.is_wholly_known() {
            continue; // the provider may refine an unknown, but never contradict a known
        }
        let kept_prior = prior.and_then(|p| p.get_attr(name)).is_some_and(|p| !p.is_null() && plan.same_known_value(p));
        if !plan.is_wholly_known() || !(plan.same_known_value(&configured) || kept_prior) {
            problems.push((path.then_attr(name), "planned value does not match the configured value".into()));
        }
    }
    for (name, nested) in &schema.blocks {
        if nested.nesting == Nesting::Set {
            continue; // set elements carry no identity to compare one by one
        }
        let (Some(c), Some(p)) = (config.get_attr(name), planned.get_attr(name)) else { continue };
        match nested.nesting {
            Nesting::Single => {
                let before = prior.and_then(|v| v.get_attr(name));
                check_planned_block(&nested.block, c, p, before, &path.then_attr(name), problems)
            }
            _ => {
                let (ci, pi) = (c.as_elements().unwrap_or_default(), p.as_elements().unwrap_or_default());
                if c.is_known() && p.is_known() && ci.len() != pi.len() {
                    problems.push((
                        path.then_attr(name),
                        format!("planned {} blocks where the configuration has {}", pi.len(), ci.len()),
                    ));
                    continue;
                }
                let before = prior.and_then(|v| v.get_attr(name)).and_then(Value::as_elements).unwrap_or_default();
                for (i, (cv, pv)) in ci.iter().zip(pi).enumerate() {
                    let at = path.then_attr(name).then_index(i);
                    check_planned_block(&nested.block, cv, pv, before.get(i), &at, problems);
                }
            }
        }
    }
}

/// Problems with an applied value: what the plan knew must not change, and the result must be
/// wholly known, since state holds only known values.
pub fn check_applied(planned: &Value, applied: &Value) -> Vec<(AttrPath, String)> {
    let mut problems = Vec::new();
    check_applied_at(planned, applied, &AttrPath::root(), &mut problems);
    problems
}

fn check_applied_at(planned: &Value, applied: &Value, path: &AttrPath, problems: &mut Vec<(AttrPath, String)>) {
    if !applied.is_wholly_known() {
        problems.push((path.clone(), "the provider returned a value that is still unknown after apply".into()));
        return;
    }
    if !planned.is_known() {
        return;
    }
    match (planned.data(), applied.data()) {
        (Data::Object(p), Data::Object(a)) => {
            for (name, pv) in p.iter() {
                match a.get(name) {
                    Some(av) => check_applied_at(pv, av, &path.then_attr(name), problems),
                    None => problems.push((path.then_attr(name), "attribute missing after apply".into())),
                }
            }
        }
        (Data::List(_, p) | Data::Tuple(p), Data::List(_, a) | Data::Tuple(a)) if p.len() == a.len() => {
            for (i, (pv, av)) in p.iter().zip(a).enumerate() {
                check_applied_at(pv, av, &path.then_index(i), problems);
            }
        }
        _ if planned.is_wholly_known() && !planned.same_known_value(applied) => {
            problems.push((path.clone(), "the applied value differs from the planned value".into()));
        }
        _ => {}
    }
}

/// The attributes (and nested blocks, as a whole) whose planned value differs from the prior.
pub fn changed_paths(schema: &BlockSchema, prior: &Value, planned: &Value) -> Vec<AttrPath> {
    let mut changed = Vec::new();
    for name in schema.attributes.keys().chain(schema.blocks.keys()) {
        let before = prior.get_attr(name);
        let after = planned.get_attr(name);
        let same = match (before, after) {
            (Some(b), Some(a)) => {
                a.is_wholly_known() && b.is_wholly_known() && b.same_known_value(a) && b.is_null() == a.is_null()
            }
            (None, None) => true,
            _ => false,
        };
        if !same {
            changed.push(AttrPath::attr(name.clone()));
        }
    }
    changed
}

/// The changed paths that cannot be updated in place, by the schema's force-new marks.
pub fn forces_replacement(schema: &BlockSchema, changed: &[AttrPath]) -> Vec<AttrPath> {
    changed
        .iter()
        .filter(|path| {
            let Some(slipway_core::path::PathStep::Attr(name)) = path.0.first() else { return false };
            schema.attributes.get(name).is_some_and(|a| a.force_new)
                || schema.blocks.get(name).is_some_and(|b| b.force_new)
        })
        .cloned()
        .collect()
}

/// A data source's value before it is read: the configuration with every computed attribute
/// that the configuration leaves unset unknown.
pub fn unknown_computed(schema: &BlockSchema, config: &Value) -> Value {
    let mut attrs = std::collections::BTreeMap::new();
    for (name, attr) in &schema.attributes {
        let configured = config.get_attr(name).cloned().unwrap_or_else(|| Value::null(attr.ty.clone()));
        let value = if attr.computed && configured.is_null() { Value::unknown(attr.ty.clone()) } else { configured };
        attrs.insert(name.clone(), value);
    }
    for (name, nested) in &schema.blocks {
        let ty = match nested.nesting {
            Nesting::Single => nested.block.value_type(),
            Nesting::List => Type::list(nested.block.value_type()),
            Nesting::Set => Type::set(nested.block.value_type()),
        };
        attrs.insert(name.clone(), config.get_attr(name).cloned().unwrap_or_else(|| Value::null(ty)));
    }
    Value::object(attrs)
}

/// The action for one instance: `prior` is what exists, `planned` what the plan wants (`None`:
/// it should not exist).
pub fn decide_action(
    prior: Option<&Value>,
    planned: Option<&Value>,
    changed: &[AttrPath],
    replace: &[AttrPath],
    create_before_destroy: bool,
) -> Action {
    match (prior, planned) {
        (None, None) => Action::NoOp,
        (None, Some(_)) => Action::Create,
        (Some(_), None) => Action::Delete,
        (Some(_), Some(_)) if !replace.is_empty() => {
            if create_before_destroy {
                Action::CreateThenDelete
            } else {
                Action::DeleteThenCreate
            }
        }
        (Some(_), Some(_)) if changed.is_empty() => Action::NoOp,
        (Some(_), Some(_)) => Action::Update,
    }
}

#[cfg(test)]
mod tests {
    use slipway_core::schema::AttributeSchema;

    use super::*;

    fn schema() -> BlockSchema {
        BlockSchema::new()
            .attribute("name", AttributeSchema::required(Type::String).force_new())
            .attribute("size", AttributeSchema::optional_computed(Type::Number))
            .attribute("id", AttributeSchema::computed(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .block(
                "rule",
                Nesting::Set,
                BlockSchema::new()
                    .attribute("port", AttributeSchema::required(Type::Number))
                    .attribute("rule_id", AttributeSchema::computed(Type::String)),
            )
    }

    fn rule(port: i64, id: Option<&str>) -> Value {
        Value::object_from([
            ("port", Value::int(port)),
            ("rule_id", id.map_or(Value::null(Type::String), Value::string)),
        ])
    }

    fn object(name: &str, size: Option<i64>, id: Option<&str>, rules: Vec<Value>) -> Value {
        let rule_type = schema().blocks["rule"].block.value_type();
        Value::object_from([
            ("name", Value::string(name)),
            ("size", size.map_or(Value::null(Type::Number), Value::int)),
            ("id", id.map_or(Value::null(Type::String), Value::string)),
            ("tags", Value::null(Type::map(Type::String))),
            ("rule", Value::set(rule_type, rules)),
        ])
    }

    #[test]
    fn proposed_keeps_prior_computed_values_the_configuration_leaves_out() {
        let prior = object("a", Some(8), Some("i-1"), vec![rule(80, Some("r-80")), rule(443, Some("r-443"))]);
        let config = object("a", None, None, vec![rule(443, None), rule(22, None)]);
        let proposed = proposed_new(&schema(), Some(&prior), &config);
        assert_eq!(proposed.get_attr("size"), Some(&Value::int(8)));
        assert_eq!(proposed.get_attr("id"), Some(&Value::string("i-1")));
        let rules = proposed.get_attr("rule").and_then(Value::as_elements).expect("rules");
        let ids: Vec<Option<&str>> = rules.iter().map(|r| r.get_attr("rule_id").and_then(Value::as_str)).collect();
        assert_eq!(ids, [None, Some("r-443")], "the 443 rule keeps its id; 22 is new (sorted by port)");
    }

    #[test]
    fn a_configured_optional_computed_value_wins() {
        let prior = object("a", Some(8), Some("i-1"), vec![]);
        let config = object("a", Some(16), None, vec![]);
        assert_eq!(proposed_new(&schema(), Some(&prior), &config).get_attr("size"), Some(&Value::int(16)));
    }

    #[test]
    fn planned_values_must_honour_the_configuration() {
        let config = object("a", Some(16), None, vec![]);
        let mut good = object("a", Some(16), None, vec![]);
        assert!(check_planned(&schema(), &config, &good, None).is_empty());
        good = object("b", Some(16), None, vec![]);
        let problems = check_planned(&schema(), &config, &good, None);
        assert_eq!(problems.iter().map(|(p, _)| p.to_string()).collect::<Vec<_>>(), ["name"]);
        // The prior value, kept for a configuration that means the same, is honouring it too.
        let prior = object("b", Some(16), None, vec![]);
        assert!(check_planned(&schema(), &config, &good, Some(&prior)).is_empty());
    }

    #[test]
    fn applied_values_must_keep_what_the_plan_knew_and_be_known() {
        let planned = Value::object_from([("name", Value::string("a")), ("id", Value::unknown(Type::String))]);
        let applied = Value::object_from([("name", Value::string("a")), ("id", Value::string("i-1"))]);
        assert!(check_applied(&planned, &applied).is_empty());
        let renamed = Value::object_from([("name", Value::string("b")), ("id", Value::string("i-1"))]);
        assert_eq!(check_applied(&planned, &renamed)[0].0.to_string(), "name");
        let still_unknown = Value::object_from([("name", Value::string("a")), ("id", Value::unknown(Type::String))]);
        assert!(!check_applied(&planned, &still_unknown).is_empty());
    }

    #[test]
    fn actions_follow_changes_and_force_new() {
        let s = schema();
        let prior = object("a", Some(8), Some("i-1"), vec![]);
        let resized = object("a", Some(16), Some("i-1"), vec![]);
        let renamed = object("b", Some(8), Some("i-1"), vec![]);
        let changed = changed_paths(&s, &prior, &resized);
        assert_eq!(
            decide_action(Some(&prior), Some(&resized), &changed, &forces_replacement(&s, &changed), false),
            Action::Update
        );
        let changed = changed_paths(&s, &prior, &renamed);
        let replace = forces_replacement(&s, &changed);
        assert_eq!(replace, [AttrPath::attr("name")]);
        assert_eq!(decide_action(Some(&prior), Some(&renamed), &changed, &replace, false), Action::DeleteThenCreate);
        assert_eq!(decide_action(Some(&prior), Some(&renamed), &changed, &replace, true), Action::CreateThenDelete);
        assert_eq!(
            decide_action(Some(&prior), Some(&prior), &changed_paths(&s, &prior, &prior), &[], false),
            Action::NoOp
        );
        assert_eq!(decide_action(None, Some(&prior), &[], &[], false), Action::Create);
        assert_eq!(decide_action(Some(&prior), None, &[], &[], false), Action::Delete);
    }
}
