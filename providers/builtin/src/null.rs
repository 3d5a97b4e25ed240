//! The `null` provider (hashicorp/null 3.x): `null_resource`, an object that exists only in state
//! and is replaced whenever its `triggers` change.

use std::collections::BTreeMap;

use async_trait::async_trait;
use slipway_core::Type;
use slipway_core::Value;
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, PlanRequest, PlanResponse, Provider, ReadBatchRequest, ReadBatchResponse,
};
use slipway_core::schema::{AttributeSchema, BlockSchema, ProviderSchema, ResourceSchema};

use crate::common::{fill_unknowns, plan_generic, random_below, unknown_type};

pub struct NullProvider {
    schema: ProviderSchema,
}

impl Default for NullProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl NullProvider {
    pub fn new() -> Self {
        let block = BlockSchema::new()
            .attribute(
                "triggers",
                AttributeSchema::optional(Type::map(Type::String))
                    .force_new()
                    .describe("Arbitrary values whose change replaces the resource."),
            )
            .attribute("id", AttributeSchema::computed(Type::String).describe("A random decimal number."));
        let mut schema = ProviderSchema::default();
        schema.resources.insert("null_resource".to_string(), ResourceSchema { version: 0, block });
        NullProvider { schema }
    }

    fn block(&self) -> &BlockSchema {
        &self.schema.resources["null_resource"].block
    }
}

#[async_trait]
impl Provider for NullProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        if request.type_name != "null_resource" {
            return PlanResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        }
        plan_generic(self.block(), &request, &BTreeMap::new())
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        if request.type_name != "null_resource" {
            return ApplyResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        }
        let Some(planned) = request.planned else {
            return ApplyResponse::default();
        };
        // Like the null provider's `rand.Int()`: a non-negative 63-bit decimal.
        let id = match random_below(i64::MAX as u64) {
            Ok(n) => n.to_string(),
            Err(d) => return ApplyResponse { new_state: request.prior, diagnostics: d.into(), ..Default::default() },
        };
        let state = fill_unknowns(self.block(), &planned, |_| Value::string(id.clone()));
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

    const T: &str = "null_resource";

    #[tokio::test]
    async fn lifecycle() {
        let p = NullProvider::new();
        let config = config(&p, T, &[("triggers", strings(&[("v", "1")]))]);
        let plan1 = plan(&p, T, None, &config);
        let planned = plan1.planned.expect("planned");
        assert!(!attr_known(&planned, "id"));
        let state = apply(&p, T, None, Some(planned), Some(&config)).await.new_state.expect("state");
        let id = get_str(&state, "id");
        assert!(id.parse::<u64>().is_ok(), "{id}");

        let refreshed = read(&p, T, &state).await.expect("still there");
        assert!(is_no_op(&plan(&p, T, Some(&refreshed), &config), &refreshed));

        let changed = config_with(&p, "2");
        let plan2 = plan(&p, T, Some(&refreshed), &changed);
        assert_eq!(plan2.requires_replace, vec![slipway_core::path::AttrPath::attr("triggers")]);
        let planned2 = plan2.planned.expect("planned");
        assert!(!attr_known(&planned2, "id"));
        let state2 = apply(&p, T, None, Some(planned2), Some(&changed)).await.new_state.expect("state");
        assert_ne!(get_str(&state2, "id"), id);

        let deleted = apply(&p, T, Some(&state2), None, None).await;
        assert!(deleted.new_state.is_none());
    }

    fn config_with(p: &NullProvider, v: &str) -> Value {
        config(p, T, &[("triggers", strings(&[("v", v)]))])
    }

    fn attr_known(v: &Value, name: &str) -> bool {
        crate::common::attr(v, name).is_known()
    }
}
