//! The `provider "aws"` block and what it becomes: one SDK configuration (region, credentials
//! through aws-config's default chain or the block's keys, an assumed role) and the clients made
//! from it, with per-service endpoints from `endpoints { ... }` or the standard
//! `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_<SERVICE>` variables, which the SDK reads itself.

use std::collections::BTreeMap;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use slipway_core::provider_kit::{attr, bool_attr, int_attr, string_attr};
use slipway_core::schema::{AttributeSchema, BlockSchema, Nesting};
use slipway_core::{Diagnostic, Type, Value};

/// The services whose endpoint `endpoints { ... }` can set, by the argument's name.
pub const SERVICES: [&str; 9] = ["autoscaling", "ec2", "elb", "elbv2", "iam", "route53", "s3", "sso", "sts"];

pub fn provider_block() -> BlockSchema {
    let mut endpoints = BlockSchema::new();
    for service in SERVICES {
        endpoints = endpoints.attribute(
            service,
            AttributeSchema::optional(Type::String)
                .describe("The endpoint URL of this service, e.g. a local emulator."),
        );
    }
    BlockSchema::new()
        .attribute("region", AttributeSchema::optional(Type::String).describe("The AWS region, e.g. us-east-1."))
        .attribute("profile", AttributeSchema::optional(Type::String).describe("A profile of the shared config files."))
        .attribute("access_key", AttributeSchema::optional(Type::String).sensitive())
        .attribute("secret_key", AttributeSchema::optional(Type::String).sensitive())
        .attribute("token", AttributeSchema::optional(Type::String).sensitive())
        .attribute(
            "skip_credentials_validation",
            AttributeSchema::optional(Type::Bool).describe("Do not check the credentials with STS GetCallerIdentity."),
        )
        .attribute("skip_region_validation", AttributeSchema::optional(Type::Bool))
        .attribute("skip_requesting_account_id", AttributeSchema::optional(Type::Bool))
        .attribute("skip_metadata_api_check", AttributeSchema::optional(Type::Bool))
        .attribute("max_retries", AttributeSchema::optional(Type::Number))
        .block("endpoints", Nesting::Single, endpoints)
        .block(
            "default_tags",
            Nesting::Single,
            BlockSchema::new().attribute("tags", AttributeSchema::optional(Type::map(Type::String))),
        )
        .block(
            "assume_role",
            Nesting::Single,
            BlockSchema::new()
                .attribute("role_arn", AttributeSchema::optional(Type::String))
                .attribute("session_name", AttributeSchema::optional(Type::String))
                .attribute("external_id", AttributeSchema::optional(Type::String)),
        )
}

/// A configured provider: the SDK configuration, endpoints and default tags.
#[derive(Clone, Debug)]
pub struct Settings {
    pub sdk: SdkConfig,
    pub endpoints: BTreeMap<String, String>,
    pub default_tags: BTreeMap<String, String>,
    pub skip_credentials_validation: bool,
}

impl Settings {
    /// The endpoint to use for `service`, when one is configured.
    pub fn endpoint(&self, service: &str) -> Option<&str> {
        self.endpoints.get(service).map(String::as_str)
    }

    pub fn region(&self) -> String {
        self.sdk.region().map(ToString::to_string).unwrap_or_default()
    }
}

/// Builds the settings from the block's value (every argument null when there is no block).
pub async fn settings(config: &Value) -> Result<Settings, Diagnostic> {
    let known = |name: &str| attr(config, name).is_wholly_known();
    if !["region", "profile", "access_key", "secret_key", "endpoints", "assume_role"].iter().all(|n| known(n)) {
        return Err(Diagnostic::error(
            "Provider configuration known only after apply",
            "The aws provider's region, credentials, endpoints and assume_role must be known while planning; they depend on a resource that is not created yet. Use variables or locals for them.",
        ));
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = string_attr(config, "region")? {
        loader = loader.region(Region::new(region));
    }
    if let Some(profile) = string_attr(config, "profile")? {
        loader = loader.profile_name(profile);
    }
    match (string_attr(config, "access_key")?, string_attr(config, "secret_key")?) {
        (Some(access), Some(secret)) => {
            let token = string_attr(config, "token")?;
            loader = loader.credentials_provider(Credentials::new(access, secret, token, None, "provider block"));
        }
        (None, None) => {}
        _ => {
            return Err(Diagnostic::error(
                "Incomplete credentials",
                "access_key and secret_key go together: set both, or neither to use the default credential chain (environment, shared profiles, SSO, container and instance metadata).",
            ));
        }
    }
    let endpoints_value = attr(config, "endpoints");
    let mut endpoints = BTreeMap::new();
    for service in SERVICES {
        if let Some(url) = string_attr(&endpoints_value, service)? {
            endpoints.insert(service.to_string(), url);
        }
    }
    // Throttling and transient errors are retried by the SDK with adaptive back-off (its
    // client-side rate limiter slows a whole run down when AWS says so), up to max_retries
    // times, 25 by default as in terraform-provider-aws.
    let retries = int_attr(config, "max_retries")?.unwrap_or(25).clamp(0, 100) as u32;
    loader = loader.retry_config(RetryConfig::adaptive().with_max_attempts(retries + 1));
    let mut sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(Diagnostic::error(
            "No AWS region",
            "Set region in the provider \"aws\" block, or the AWS_REGION environment variable, or a region in the selected profile.",
        ));
    }
    let role = attr(config, "assume_role");
    if let Some(role_arn) = string_attr(&role, "role_arn")? {
        let session = string_attr(&role, "session_name")?.unwrap_or_else(|| "slipway".to_string());
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(role_arn).session_name(session);
        if let Some(external_id) = string_attr(&role, "external_id")? {
            builder = builder.external_id(external_id);
        }
        let provider = builder.configure(&sdk).build().await;
        sdk = sdk
            .into_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
            .build();
    }
    let default_tags = attr(&attr(config, "default_tags"), "tags")
        .as_entries()
        .map(|tags| tags.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default();
    let skip_credentials_validation = bool_attr(config, "skip_credentials_validation")?.unwrap_or(false);
    Ok(Settings { sdk, endpoints, default_tags, skip_credentials_validation })
}
