//! slipway-provider-aws: the `aws` provider. Resource types and attribute names follow
//! terraform-provider-aws, so configurations written for it run unchanged. Every call goes
//! through the official aws-sdk-* clients; refresh describes many objects per call.

// Helpers return core's `Diagnostic` as their error: errors are the cold path.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, ImportRequest, ImportResponse, PlanRequest,
    PlanResponse, Provider, ProviderFactory, ReadBatchRequest, ReadBatchResponse, ReadDataRequest, ReadDataResponse,
    ValidateRequest, ValidateResponse,
};
use slipway_core::provider_kit::{attr, mark_sensitive, plan_fresh, plan_generic, unknown_type};
use slipway_core::schema::{ProviderSchema, ResourceSchema};
use slipway_core::{Diagnostic, Diagnostics, Value};

mod autoscaling_group;
pub mod backend_s3;
mod cluster_cleanup;
mod config;
mod data;
mod ebs_volume;
mod eip;
mod elbv2_kit;
mod iam_attachment;
mod iam_data;
mod iam_instance_profile;
mod iam_kit;
mod iam_policy;
mod iam_role;
mod iam_role_policy;
mod instance;
mod instance_refresh;
mod internet_gateway;
mod key_pair;
mod kit;
pub mod kms_keys;
mod kube_nodes;
mod launch_template;
mod lb;
mod lb_listener;
mod lb_target_group;
mod policy_json;
mod resource;
mod route53_data;
mod route53_kit;
mod route53_record;
mod route53_zone;
mod route_table;
mod s3_bucket;
mod s3_bucket_policy;
mod s3_data;
mod s3_encryption;
mod s3_kit;
mod s3_object;
mod s3_public_access_block;
mod s3_versioning;
mod security_group;
mod security_group_rule;
mod sg_permissions;
mod subnet;
mod vpc;

use kit::Clients;
use resource::Resource;

/// The provider's name in configurations: `provider "aws" { ... }`, `aws_*` resources.
pub const NAME: &str = "aws";

/// A factory for the engine: one provider instance per configuration.
pub fn factory() -> ProviderFactory {
    Arc::new(|| Arc::new(AwsProvider::new()) as Arc<dyn Provider>)
}

pub struct AwsProvider {
    schema: ProviderSchema,
    resources: BTreeMap<&'static str, Box<dyn Resource>>,
    data_sources: BTreeMap<&'static str, Box<dyn data::DataSource>>,
    clients: OnceLock<Clients>,
}

impl Default for AwsProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl AwsProvider {
    pub fn new() -> Self {
        let resources: Vec<Box<dyn Resource>> = vec![
            Box::new(vpc::AwsVpc),
            Box::new(subnet::AwsSubnet),
            Box::new(internet_gateway::AwsInternetGateway),
            Box::new(route_table::AwsRouteTable),
            Box::new(route_table::AwsRoute),
            Box::new(route_table::AwsRouteTableAssociation),
            Box::new(eip::AwsEip),
            Box::new(ebs_volume::AwsEbsVolume),
            Box::new(security_group::AwsSecurityGroup),
            Box::new(security_group_rule::AwsSecurityGroupRule::INGRESS),
            Box::new(security_group_rule::AwsSecurityGroupRule::EGRESS),
            Box::new(key_pair::AwsKeyPair),
            Box::new(instance::AwsInstance),
            Box::new(launch_template::AwsLaunchTemplate),
            Box::new(autoscaling_group::AwsAutoscalingGroup),
            Box::new(cluster_cleanup::AwsKubernetesClusterCleanup),
            Box::new(lb::AwsLb),
            Box::new(lb_target_group::AwsLbTargetGroup),
            Box::new(lb_listener::AwsLbListener),
            Box::new(iam_role::AwsIamRole),
            Box::new(iam_policy::AwsIamPolicy),
            Box::new(iam_role_policy::AwsIamRolePolicy),
            Box::new(iam_attachment::AwsIamRolePolicyAttachment),
            Box::new(iam_instance_profile::AwsIamInstanceProfile),
            Box::new(s3_bucket::AwsS3Bucket),
            Box::new(s3_versioning::AwsS3BucketVersioning),
            Box::new(s3_encryption::AwsS3BucketEncryption),
            Box::new(s3_public_access_block::AwsS3BucketPublicAccessBlock),
            Box::new(s3_bucket_policy::AwsS3BucketPolicy),
            Box::new(s3_object::AwsS3Object),
            Box::new(route53_zone::AwsRoute53Zone),
            Box::new(route53_record::AwsRoute53Record),
        ];
        let data_sources = data::all();
        let mut schema = ProviderSchema { provider: config::provider_block(), ..Default::default() };
        for r in &resources {
            schema.resources.insert(r.type_name().to_string(), ResourceSchema { version: 0, block: r.schema() });
        }
        for d in &data_sources {
            schema.data_sources.insert(d.type_name().to_string(), ResourceSchema { version: 0, block: d.schema() });
        }
        AwsProvider {
            schema,
            resources: resources.into_iter().map(|r| (r.type_name(), r)).collect(),
            data_sources: data_sources.into_iter().map(|d| (d.type_name(), d)).collect(),
            clients: OnceLock::new(),
        }
    }

    fn clients(&self) -> Result<&Clients, Diagnostic> {
        self.clients.get().ok_or_else(|| {
            Diagnostic::error("Provider not configured", "The aws provider was used before it was configured.")
        })
    }

    fn resource(&self, type_name: &str) -> Result<&dyn Resource, Diagnostic> {
        self.resources.get(type_name).map(|r| r.as_ref()).ok_or_else(|| unknown_type(type_name))
    }
}

#[async_trait]
impl Provider for AwsProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        let mut response = ConfigureResponse::default();
        let settings = match config::settings(&request.config).await {
            Ok(settings) => settings,
            Err(d) => {
                response.diagnostics.push(d);
                return response;
            }
        };
        let mut clients = Clients::new(settings);
        if !clients.settings.skip_credentials_validation {
            match clients.sts.get_caller_identity().send().await {
                Ok(who) => clients.account_id = who.account().map(str::to_string),
                Err(e) => {
                    response.diagnostics.push(kit::aws_error(
                        "Validating the credentials (STS GetCallerIdentity)",
                        "the aws provider",
                        &e,
                    ));
                    return response;
                }
            }
        }
        let _ = self.clients.set(clients);
        response
    }

    fn validate(&self, request: ValidateRequest) -> ValidateResponse {
        let diagnostics = match self.resource(&request.type_name) {
            Ok(resource) if request.mode == slipway_core::address::ResourceMode::Managed => {
                resource.validate(&request.config)
            }
            _ => Diagnostics::new(),
        };
        ValidateResponse { diagnostics }
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        let resource = match self.resource(&request.type_name) {
            Ok(r) => r,
            Err(d) => return PlanResponse { diagnostics: d.into(), ..Default::default() },
        };
        let block = &self.schema.resources[resource.type_name()].block;
        let request = with_prior_spellings(resource, request);
        let defaults = resource.defaults();
        let mut response = plan_generic(block, &request, &defaults);
        if let Some(planned) = response.planned.take() {
            let mut entries = planned.as_entries().cloned().unwrap_or_default();
            if let Some(prior) = &request.prior {
                let extra = resource.replace_paths(&request, prior);
                if !extra.is_empty() && response.requires_replace.is_empty() {
                    plan_fresh(block, &request, &defaults, &mut entries);
                }
                response.requires_replace.extend(extra);
            }
            let fresh = request.prior.is_none() || !response.requires_replace.is_empty();
            resource.refine_plan(&request, fresh, &mut entries);
            let planned = mark_sensitive(block, Value::object(entries));
            if let Some(prior) = request.prior.as_ref().filter(|_| !fresh) {
                response.notes = resource.plan_notes(prior, &planned);
            }
            response.planned = Some(planned);
        }
        // tags_all: the provider's default_tags under the resource's own, known while planning.
        if block.attributes.contains_key("tags_all")
            && let (Some(planned), Ok(clients)) = (response.planned.take(), self.clients())
        {
            let mut entries = planned.as_entries().cloned().unwrap_or_default();
            let all = kit::tags_all(&clients.settings, &attr(&request.config, "tags"));
            entries.insert("tags_all".into(), all);
            response.planned = Some(mark_sensitive(block, Value::object(entries)));
        }
        response
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        let result = async {
            let resource = self.resource(&request.type_name)?;
            let clients = self.clients()?;
            match (&request.prior, &request.planned) {
                (Some(prior), None) => resource.delete(clients, prior).await.map(|()| None),
                (None, Some(planned)) => resource.create(clients, planned, &request.owner).await.map(Some),
                (Some(prior), Some(planned)) => resource.update(clients, prior, planned).await.map(Some),
                (None, None) => Ok(None),
            }
        }
        .await;
        match result {
            Ok(state) => response.new_state = state,
            Err(d) => {
                response.diagnostics.push(d);
                // A failed change leaves the object as it was.
                response.new_state = request.prior.clone();
            }
        }
        response
    }

    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse {
        let mut response = ReadBatchResponse::default();
        let priors: Vec<Value> = request.instances.iter().map(|i| i.prior.clone()).collect();
        let result = async {
            let resource = self.resource(&request.type_name)?;
            resource.read_batch(self.clients()?, &priors).await
        }
        .await;
        match result {
            Ok(current) => response.current = current,
            Err(d) => {
                response.diagnostics.push(d);
                // Refresh failed: the prior values stand.
                response.current = priors.into_iter().map(Some).collect();
            }
        }
        response
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let mut response = ReadDataResponse::default();
        let result = async {
            let source =
                self.data_sources.get(request.type_name.as_str()).ok_or_else(|| unknown_type(&request.type_name))?;
            source.read(self.clients()?, &request.config).await
        }
        .await;
        match result {
            Ok(state) => response.state = Some(state),
            Err(d) => response.diagnostics.push(d),
        }
        response
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let mut response = ImportResponse::default();
        let result = async {
            let resource = self.resource(&request.type_name)?;
            resource.import(self.clients()?, &request.id).await
        }
        .await;
        match result {
            Ok(state) => response.state = state,
            Err(d) => response.diagnostics.push(d),
        }
        response
    }
}

/// The request with each of the resource's [`Resource::equivalents`] configured as its prior
/// value where the two mean the same (the engine accepts a prior value planned for a
/// configuration that means the same).
fn with_prior_spellings(resource: &dyn Resource, mut request: PlanRequest) -> PlanRequest {
    let Some(prior) = &request.prior else { return request };
    let mut config = request.config.as_entries().cloned().unwrap_or_default();
    let mut proposed = request.proposed.as_entries().cloned().unwrap_or_default();
    let mut changed = false;
    for (name, same) in resource.equivalents() {
        let (Some(old), Some(new)) =
            (attr(prior, name).as_str().map(str::to_string), attr(&request.config, name).as_str().map(str::to_string))
        else {
            continue;
        };
        if old != new && same(&new, &old) {
            config.insert(name.to_string(), Value::string(old.as_str()));
            proposed.insert(name.to_string(), Value::string(old.as_str()));
            changed = true;
        }
    }
    if changed {
        request.config = Value::object(config);
        request.proposed = Value::object(proposed);
    }
    request
}
