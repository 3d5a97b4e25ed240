//! `aws_lb_listener`: a port of a load balancer and the `default_action` blocks that say where its
//! traffic goes (`forward` to a target group). The ID is the ARN. DescribeListeners takes one
//! load balancer at a time, so refresh makes one call per load balancer for all its listeners,
//! and one DescribeTags per 20 listeners.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, Certificate, Listener, ProtocolEnum, Tag};
use slipway_core::provider::PlanRequest;
use slipway_core::provider_kit::attr;
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

use crate::elbv2_kit::{describe_tags, from_tags, int32, owner_of, planned_i32, to_tags, update_tags};
use crate::kit::{Clients, aws_error, configured_str, is_not_found, required_str, split_tags};
use crate::resource::{Resource, ids};

pub struct AwsLbListener;

fn action_block() -> BlockSchema {
    BlockSchema::new()
        .attribute("type", AttributeSchema::required(Type::String))
        .attribute("target_group_arn", AttributeSchema::optional(Type::String))
        .attribute("order", AttributeSchema::optional_computed(Type::Number))
}

#[async_trait]
impl Resource for AwsLbListener {
    fn type_name(&self) -> &'static str {
        "aws_lb_listener"
    }

    fn schema(&self) -> BlockSchema {
        let mut block = BlockSchema::new()
            .attribute("load_balancer_arn", AttributeSchema::required(Type::String).force_new())
            .attribute("port", AttributeSchema::optional(Type::Number))
            .attribute("protocol", AttributeSchema::optional_computed(Type::String))
            .attribute("ssl_policy", AttributeSchema::optional_computed(Type::String))
            .attribute("certificate_arn", AttributeSchema::optional(Type::String))
            .attribute("tags", AttributeSchema::optional(Type::map(Type::String)))
            .attribute("tags_all", AttributeSchema::computed(Type::map(Type::String)))
            .block("default_action", Nesting::List, action_block());
        if let Some(b) = block.blocks.get_mut("default_action") {
            b.min_items = 1;
        }
        for name in ["id", "arn"] {
            block = block.attribute(name, AttributeSchema::computed(Type::String));
        }
        block
    }

    fn refine_plan(&self, request: &PlanRequest, fresh: bool, planned: &mut BTreeMap<String, Value>) {
        let config = attr(&request.config, "default_action");
        let Some(actions) = config.as_elements() else { return };
        let prior = request.prior.as_ref().filter(|_| !fresh).map(|p| attr(p, "default_action"));
        let prior_actions = prior.as_ref().and_then(|p| p.as_elements()).unwrap_or_default();
        // `order` is AWS's when left out: the prior action's at the same place, else known after apply.
        let planned_actions = actions
            .iter()
            .enumerate()
            .map(|(i, action)| {
                let mut entries = action.as_entries().cloned().unwrap_or_default();
                if attr(action, "order").is_null() {
                    let same = prior_actions.get(i).filter(|p| {
                        attr(p, "type").same_known_value(&attr(action, "type"))
                            && attr(p, "target_group_arn").same_known_value(&attr(action, "target_group_arn"))
                    });
                    let order = same.map(|p| attr(p, "order")).unwrap_or_else(|| Value::unknown(Type::Number));
                    entries.insert("order".into(), order);
                }
                Value::object(entries)
            })
            .collect();
        planned.insert("default_action".into(), Value::list(action_block().value_type(), planned_actions));
    }

    async fn create(&self, c: &Clients, planned: &Value, owner: &str) -> Result<Value, Diagnostic> {
        let lb = required_str(planned, "load_balancer_arn")?;
        if !owner.is_empty() {
            let existing = listeners_of(c, &lb).await?.unwrap_or_default();
            let arns: Vec<String> = existing.iter().filter_map(|l| l.listener_arn().map(str::to_string)).collect();
            let tags = describe_tags(c, &arns).await?;
            if let Some(listener) = existing
                .iter()
                .find(|l| l.listener_arn().and_then(|a| tags.get(a)).is_some_and(|t| owner_of(t) == Some(owner)))
            {
                // A run that stopped before saving state created this listener: carry on with it.
                let arn = listener.listener_arn().unwrap_or_default();
                let prior = listener_value(c, listener, tags.get(arn).map(Vec::as_slice).unwrap_or_default(), planned);
                return self.update(c, &prior, planned).await;
            }
        }
        let created = c
            .elbv2
            .create_listener()
            .load_balancer_arn(&lb)
            .set_port(planned_i32(planned, "port"))
            .set_protocol(configured_str(planned, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
            .set_ssl_policy(configured_str(planned, "ssl_policy"))
            .set_certificates(certificates(planned))
            .set_default_actions(Some(actions(planned)))
            .set_tags(Some(to_tags(&attr(planned, "tags_all"), owner)))
            .send()
            .await
            .map_err(|e| aws_error("CreateListener", &lb, &e))?;
        let arn = created.listeners().first().and_then(|l| l.listener_arn()).unwrap_or_default().to_string();
        read_one(c, &arn, planned).await
    }

    async fn update(&self, c: &Clients, prior: &Value, planned: &Value) -> Result<Value, Diagnostic> {
        let arn = required_str(prior, "id")?;
        let changed = |name: &str| !attr(planned, name).same_known_value(&attr(prior, name));
        if ["port", "protocol", "ssl_policy", "certificate_arn", "default_action"].iter().any(|n| changed(n)) {
            c.elbv2
                .modify_listener()
                .listener_arn(&arn)
                .set_port(planned_i32(planned, "port"))
                .set_protocol(configured_str(planned, "protocol").map(|p| ProtocolEnum::from(p.as_str())))
                .set_ssl_policy(configured_str(planned, "ssl_policy").filter(|_| changed("ssl_policy")))
                .set_certificates(certificates(planned))
                .set_default_actions(Some(actions(planned)))
                .send()
                .await
                .map_err(|e| aws_error("ModifyListener", &arn, &e))?;
        }
        update_tags(c, &arn, &attr(prior, "tags_all"), &attr(planned, "tags_all")).await?;
        read_one(c, &arn, planned).await
    }

    async fn delete(&self, c: &Clients, prior: &Value) -> Result<(), Diagnostic> {
        let arn = required_str(prior, "id")?;
        match c.elbv2.delete_listener().listener_arn(&arn).send().await {
            Err(e) if !is_not_found(&e) => Err(aws_error("DeleteListener", &arn, &e)),
            _ => Ok(()),
        }
    }

    async fn read_batch(&self, c: &Clients, priors: &[Value]) -> Result<Vec<Option<Value>>, Diagnostic> {
        let arns = ids(priors);
        let lbs: BTreeSet<String> = priors.iter().filter_map(|p| configured_str(p, "load_balancer_arn")).collect();
        let mut found: BTreeMap<String, Listener> = BTreeMap::new();
        for lb in &lbs {
            // A load balancer that is gone took its listeners with it.
            for listener in listeners_of(c, lb).await?.unwrap_or_default() {
                if let Some(arn) = listener.listener_arn() {
                    found.insert(arn.to_string(), listener.clone());
                }
            }
        }
        let wanted: Vec<String> = arns.iter().filter(|a| found.contains_key(*a)).cloned().collect();
        let tags = describe_tags(c, &wanted).await?;
        Ok(arns
            .iter()
            .zip(priors)
            .map(|(arn, prior)| {
                let listener = found.get(arn)?;
                Some(listener_value(c, listener, tags.get(arn).map(Vec::as_slice).unwrap_or_default(), prior))
            })
            .collect())
    }

    async fn import(&self, c: &Clients, id: &str) -> Result<Option<Value>, Diagnostic> {
        let listener = match c.elbv2.describe_listeners().listener_arns(id).send().await {
            Ok(out) => out.listeners().first().cloned(),
            Err(e) if is_not_found(&e) => None,
            Err(e) => return Err(aws_error("DescribeListeners", id, &e)),
        };
        let Some(listener) = listener else { return Ok(None) };
        let tags = describe_tags(c, &[id.to_string()]).await?;
        Ok(Some(listener_value(
            c,
            &listener,
            tags.get(id).map(Vec::as_slice).unwrap_or_default(),
            &Value::null(Type::Any),
        )))
    }
}

/// The listeners of one load balancer, all pages; `None` when the load balancer does not exist.
async fn listeners_of(c: &Clients, lb: &str) -> Result<Option<Vec<Listener>>, Diagnostic> {
    let mut out = Vec::new();
    let mut pages = c.elbv2.describe_listeners().load_balancer_arn(lb).into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => out.extend(page.listeners().iter().cloned()),
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(aws_error("DescribeListeners", lb, &e)),
        }
    }
    Ok(Some(out))
}

async fn read_one(c: &Clients, arn: &str, planned: &Value) -> Result<Value, Diagnostic> {
    let found = crate::kit::eventually(|| async {
        match c.elbv2.describe_listeners().listener_arns(arn).send().await {
            Ok(out) => Ok(out.listeners().first().cloned()),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(aws_error("DescribeListeners", arn, &e)),
        }
    })
    .await?;
    let listener = found.ok_or_else(|| {
        Diagnostic::error("Listener vanished", format!("{arn} was not found after it was created or changed."))
    })?;
    let tags = describe_tags(c, &[arn.to_string()]).await?;
    Ok(listener_value(c, &listener, tags.get(arn).map(Vec::as_slice).unwrap_or_default(), planned))
}

/// The planned `default_action` blocks as AWS actions.
fn actions(planned: &Value) -> Vec<Action> {
    attr(planned, "default_action")
        .as_elements()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            Action::builder()
                .r#type(ActionTypeEnum::from(configured_str(a, "type").unwrap_or_default().as_str()))
                .set_target_group_arn(configured_str(a, "target_group_arn"))
                .set_order(planned_i32(a, "order"))
                .build()
        })
        .collect()
}

fn certificates(planned: &Value) -> Option<Vec<Certificate>> {
    configured_str(planned, "certificate_arn").map(|arn| vec![Certificate::builder().certificate_arn(arn).build()])
}

/// The state of a described listener; `known` lends the configured `tags`.
fn listener_value(c: &Clients, l: &Listener, tags: &[Tag], known: &Value) -> Value {
    let s = |v: Option<&str>| Value::string(v.unwrap_or_default());
    let arn = l.listener_arn().unwrap_or_default();
    let (tags, tags_all) = split_tags(&c.settings, &attr(known, "tags"), &from_tags(tags));
    let actions = l
        .default_actions()
        .iter()
        .map(|a| {
            Value::object(BTreeMap::from([
                ("type".to_string(), s(a.r#type().map(|t| t.as_str()))),
                (
                    "target_group_arn".to_string(),
                    a.target_group_arn().map(Value::string).unwrap_or_else(|| Value::null(Type::String)),
                ),
                ("order".to_string(), int32(a.order())),
            ]))
        })
        .collect();
    let certificate = l.certificates().first().and_then(|c| c.certificate_arn());
    Value::object(BTreeMap::from([
        ("id".into(), Value::string(arn)),
        ("arn".into(), Value::string(arn)),
        ("load_balancer_arn".into(), s(l.load_balancer_arn())),
        ("port".into(), int32(l.port())),
        ("protocol".into(), s(l.protocol().map(|p| p.as_str()))),
        ("ssl_policy".into(), s(l.ssl_policy())),
        ("certificate_arn".into(), certificate.map(Value::string).unwrap_or_else(|| Value::null(Type::String))),
        ("default_action".into(), Value::list(action_block().value_type(), actions)),
        ("tags".into(), tags),
        ("tags_all".into(), tags_all),
    ]))
}
