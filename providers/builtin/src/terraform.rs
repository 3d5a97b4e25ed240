//! The built-in `terraform` provider (Terraform 1.4+): `terraform_data`, which stores `input`,
//! echoes it as `output` after apply, and is replaced when `triggers_replace` changes.

use std::collections::BTreeMap;

use async_trait::async_trait;
use slipway_core::Type;
use slipway_core::Value;
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, Provider, ReadBatchRequest, ReadBatchResponse,
};
use slipway_core::schema::{AttributeSchema, BlockSchema, ProviderSchema, ResourceSchema};

use crate::common::{attr, fill_unknowns, mark_sensitive, plan_generic, same, unknown_type};

const TYPE: &str = "terraform_data";

pub struct TerraformProvider {
    schema: ProviderSchema,
}

impl Default for TerraformProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl TerraformProvider {
    pub fn new() -> Self {
        let block = BlockSchema::new()
            .attribute("input", AttributeSchema::optional(Type::Any).describe("A value stored and echoed as output."))
            .attribute(
                "triggers_replace",
                AttributeSchema::optional(Type::Any)
                    .force_new()
                    .describe("A value whose change replaces the resource."),
            )
            .attribute("output", AttributeSchema::computed(Type::Any).describe("The input, after apply."))
            .attribute("id", AttributeSchema::computed(Type::String).describe("A random UUID."));
        let mut schema = ProviderSchema::default();
        schema.resources.insert(TYPE.to_string(), ResourceSchema { version: 0, block });
        TerraformProvider { schema }
    }

    fn block(&self) -> &BlockSchema {
        &self.schema.resources[TYPE].block
    }
}

#[async_trait]
impl Provider for TerraformProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        if request.type_name != TYPE {
            return PlanResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        }
        let mut response = plan_generic(self.block(), &request, &BTreeMap::new());
        // `input` updates in place, and `output` follows it: unknown until apply whenever the
        // input is new or changed, typed like the input so expressions using it still type-check.
        let input = attr(&request.config, "input");
        let input_changed = request.prior.as_ref().is_none_or(|prior| !same(&attr(prior, "input"), &input));
        if input_changed && let Some(mut attrs) = response.planned.as_ref().and_then(|p| p.as_entries().cloned()) {
            attrs.insert("output".to_string(), Value::unknown(input.ty()));
            response.planned = Some(mark_sensitive(self.block(), Value::object(attrs)));
        }
        response
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        if request.type_name != TYPE {
            return ApplyResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        }
        let Some(planned) = request.planned else {
            return ApplyResponse::default();
        };
        let input = attr(&planned, "input");
        let state = fill_unknowns(self.block(), &planned, |name| match name {
            "output" => input.clone(),
            _ => Value::string(uuid::Uuid::new_v4().to_string()),
        });
        ApplyResponse { new_state: Some(state), ..Default::default() }
    }

    /// Nothing exists outside state, so the prior value is the current one.
    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse {
        crate::common::prior_is_current(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testing::*;
    use slipway_core::path::AttrPath;

    #[tokio::test]
    async fn lifecycle() {
        let p = TerraformProvider::new();
        let c1 = config(&p, TYPE, &[("input", Value::string("a")), ("triggers_replace", Value::int(1))]);
        let planned = plan(&p, TYPE, None, &c1).planned.expect("planned");
        assert!(!attr(&planned, "output").is_known());
        assert!(!attr(&planned, "id").is_known());
        let state = apply(&p, TYPE, None, Some(planned), Some(&c1)).await.new_state.expect("state");
        assert_eq!(get_str(&state, "output"), "a");
        assert!(uuid::Uuid::parse_str(&get_str(&state, "id")).is_ok());

        let state = read(&p, TYPE, &state).await.expect("present");
        assert!(is_no_op(&plan(&p, TYPE, Some(&state), &c1), &state));

        // An input change updates in place: same id, output unknown until apply.
        let c2 = config(&p, TYPE, &[("input", Value::string("b")), ("triggers_replace", Value::int(1))]);
        let plan2 = plan(&p, TYPE, Some(&state), &c2);
        assert!(plan2.requires_replace.is_empty());
        let planned2 = plan2.planned.expect("planned");
        assert!(!attr(&planned2, "output").is_known());
        assert_eq!(get_str(&planned2, "id"), get_str(&state, "id"));
        let state2 = apply(&p, TYPE, Some(&state), Some(planned2), Some(&c2)).await.new_state.expect("state");
        assert_eq!(get_str(&state2, "output"), "b");
        assert_eq!(get_str(&state2, "id"), get_str(&state, "id"));

        // A triggers_replace change replaces: new id.
        let c3 = config(&p, TYPE, &[("input", Value::string("b")), ("triggers_replace", Value::int(2))]);
        let plan3 = plan(&p, TYPE, Some(&state2), &c3);
        assert_eq!(plan3.requires_replace, vec![AttrPath::attr("triggers_replace")]);
        let state3 = apply(&p, TYPE, None, plan3.planned, Some(&c3)).await.new_state.expect("state");
        assert_ne!(get_str(&state3, "id"), get_str(&state2, "id"));
        assert_eq!(get_str(&state3, "output"), "b");

        assert!(apply(&p, TYPE, Some(&state3), None, None).await.new_state.is_none());
    }
}
