//! The providers a run can use and their configurations. The binary hands the engine one factory
//! per provider name (`null`, `aws`); every `provider` block, and every provider a resource uses
//! without one, becomes its own configured instance, addressed as `aws`, `aws.west` or
//! `module.net.aws` (invariant 1: the engine knows no provider crate).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

use futures::future::join_all;
use slipway_core::address::{ModuleInstance, ProviderConfigAddr, ResourceAddr, ResourceMode};
use slipway_core::provider::{ConfigureRequest, Provider, ProviderFactory};
use slipway_core::schema::{ProviderSchema, ResourceSchema};
use slipway_core::{Diagnostic, Diagnostics, Value};
use slipway_lang::config::{Config, ProviderConfig, Resource};
use slipway_lang::dependencies::{ConfigResource, body_dependencies};
use slipway_lang::evaluate::{
    EvalSettings, EvaluatedModule, InputValue, ResourceInstanceConfig, ResourceObserver, eval_body_in_module,
    evaluate_config, instance_values,
};
use slipway_lang::source::Sources;

use crate::plan::prior::decode_object;
use crate::schema_check::{check_body, decode_config};
use crate::state::State;

#[derive(Clone, Default)]
pub struct ProviderSet {
    factories: BTreeMap<String, ProviderFactory>,
    /// One unconfigured instance per provider: schemas and state upgrades, which need no
    /// configuration.
    templates: BTreeMap<String, Arc<dyn Provider>>,
    /// Filled by [`configure_providers`]; shared by clones of the set.
    configured: Arc<RwLock<BTreeMap<ProviderConfigAddr, Arc<dyn Provider>>>>,
    /// Configurations whose provider said they cannot be used yet, with what they wait for
    /// (`ConfigureResponse::deferred`); apply configures them again once that exists.
    deferred: Arc<RwLock<BTreeMap<ProviderConfigAddr, String>>>,
}

impl ProviderSet {
    pub fn new(providers: impl IntoIterator<Item = (impl Into<String>, ProviderFactory)>) -> Self {
        let factories: BTreeMap<String, ProviderFactory> = providers.into_iter().map(|(n, f)| (n.into(), f)).collect();
        let templates = factories.iter().map(|(n, f)| (n.clone(), f())).collect();
        ProviderSet { factories, templates, configured: Arc::default(), deferred: Arc::default() }
    }

    /// The configurations that wait for something this run creates, and what they wait for.
    pub fn deferred(&self) -> BTreeMap<ProviderConfigAddr, String> {
        self.deferred.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub fn is_deferred(&self, addr: &ProviderConfigAddr) -> bool {
        self.deferred.read().unwrap_or_else(|poisoned| poisoned.into_inner()).contains_key(addr)
    }

    /// A new, unconfigured instance of the provider `name`, for a deferred configuration.
    pub fn fresh(&self, name: &str) -> Option<Arc<dyn Provider>> {
        self.factories.get(name).map(|factory| factory())
    }

    /// Puts the instance configured during apply in place of a deferred configuration.
    pub fn replace_deferred(&self, addr: &ProviderConfigAddr, provider: Arc<dyn Provider>) {
        self.configured.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(addr.clone(), provider);
        self.deferred.write().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(addr);
    }

    /// The unconfigured provider `name`: for its schema and for upgrading saved state.
    pub fn template(&self, name: &str) -> Option<&Arc<dyn Provider>> {
        self.templates.get(name)
    }

    /// The configured instance for `addr`; `None` before [`configure_providers`] made it.
    pub fn instance(&self, addr: &ProviderConfigAddr) -> Option<Arc<dyn Provider>> {
        self.configured.read().unwrap_or_else(|poisoned| poisoned.into_inner()).get(addr).cloned()
    }

    fn is_configured(&self, addr: &ProviderConfigAddr) -> bool {
        self.configured.read().unwrap_or_else(|poisoned| poisoned.into_inner()).contains_key(addr)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.factories.keys().map(String::as_str)
    }

    /// The schema of a resource type or data source of the provider `name`.
    pub fn schema(&self, name: &str, resource: &ResourceAddr) -> Option<&ResourceSchema> {
        let schema = self.templates.get(name)?.schema();
        match resource.mode {
            ResourceMode::Managed => schema.resources.get(&resource.type_name),
            ResourceMode::Data => schema.data_sources.get(&resource.type_name),
        }
    }

    /// Every provider's schema by name, for renderers that tell attributes from blocks.
    pub fn schemas(&self) -> BTreeMap<String, ProviderSchema> {
        self.templates.iter().map(|(n, p)| (n.clone(), p.schema().clone())).collect()
    }

    /// Every resource type (or data source) the provider `name` serves, for suggestions.
    pub fn type_names(&self, name: &str, mode: ResourceMode) -> Vec<String> {
        match self.templates.get(name) {
            Some(p) => match mode {
                ResourceMode::Managed => p.schema().resources.keys().cloned().collect(),
                ResourceMode::Data => p.schema().data_sources.keys().cloned().collect(),
            },
            None => Vec::new(),
        }
    }
}

/// The provider configuration a resource uses, following Terraform's rules: its `provider`
/// argument or the prefix of its type; a `provider` block of that name and alias in its own
/// module; else what the calling module passes with `providers = { ... }`; else, for a default
/// (unaliased) configuration, the caller's own, up to the root.
pub fn provider_for(config: &Config, module: &[String], resource: &Resource) -> Result<ProviderConfigAddr, String> {
    let (mut name, mut alias) = match &resource.provider {
        Some((name, alias)) => (name.clone(), alias.clone()),
        None => (resource.key.implied_provider().to_string(), None),
    };
    let mut path = module.to_vec();
    loop {
        let here = module_config(config, &path).ok_or("the module is not in the configuration")?;
        if here.module.providers.iter().any(|p| p.name == name && p.alias == alias) {
            return Ok(ProviderConfigAddr { module: path, name, alias });
        }
        let Some(call_name) = path.pop() else {
            return match alias {
                None => Ok(ProviderConfigAddr::root(name)),
                Some(alias) => Err(format!(
                    "there is no provider \"{name}\" block with alias = \"{alias}\" in the root module. Add one:\n    provider \"{name}\" {{\n      alias = \"{alias}\"\n    }}"
                )),
            };
        };
        let local = match &alias {
            Some(a) => format!("{name}.{a}"),
            None => name.clone(),
        };
        let parent = module_config(config, &path).ok_or("the module is not in the configuration")?;
        let passed =
            parent.module.module_calls.get(&call_name).and_then(|c| c.providers.iter().find(|(k, _)| *k == local));
        match passed {
            Some((_, (parent_name, parent_alias))) => {
                name = parent_name.clone();
                alias = parent_alias.clone();
            }
            None if alias.is_none() => {}
            None => {
                return Err(format!(
                    "module.{call_name} uses the provider configuration {local}, which its caller does not pass. Add it to the module call:\n    providers = {{\n      {local} = {local}\n    }}"
                ));
            }
        }
    }
}

fn module_config<'c>(config: &'c Config, path: &[String]) -> Option<&'c Config> {
    path.iter().try_fold(config, |c, name| c.children.get(name))
}

/// What [`configure_providers`] needs: the configuration, its variables and the state, whose
/// objects may use providers the configuration no longer mentions (orphans to delete).
pub struct ConfigureContext<'a> {
    pub config: &'a Config,
    pub sources: &'a Sources,
    pub inputs: &'a BTreeMap<String, InputValue>,
    pub settings: &'a EvalSettings<'a>,
    pub state: &'a State,
    pub runtime: &'a tokio::runtime::Handle,
}

/// Makes and configures one provider instance for every configuration the configuration and
/// the state use: `provider` blocks evaluated in their module (variables, locals and data
/// known while planning; unknown values are passed on, for the provider to judge), the others
/// configured with every argument null, as Terraform does for a provider without a block.
pub fn configure_providers(ctx: &ConfigureContext<'_>, providers: &ProviderSet) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let mut needed: BTreeSet<ProviderConfigAddr> = BTreeSet::new();
    collect_needed(ctx.config, ctx.config, &mut Vec::new(), ctx.sources, &mut needed, &mut diags);
    needed.extend(ctx.state.instances.values().map(|o| o.provider.clone()));
    let blocks = evaluate_blocks(ctx, providers, &mut diags);

    let mut pending = Vec::new();
    for addr in needed {
        if providers.is_configured(&addr) {
            continue;
        }
        let Some(factory) = providers.factories.get(&addr.name) else {
            let available: Vec<&str> = providers.names().collect();
            diags.push(Diagnostic::error(
                "Provider not available",
                format!(
                    "The configuration or the state uses the provider {:?}, which this build of slipway does not include. Available providers: {}.",
                    addr.name,
                    available.join(", ")
                ),
            ));
            continue;
        };
        let config = match blocks.get(&addr) {
            Some(value) => value.clone(),
            None if addr.module.is_empty() && addr.alias.is_none() => {
                null_config(&providers.templates[&addr.name].schema().provider.value_type())
            }
            None => {
                diags.push(Diagnostic::error(
                    "Provider configuration not present",
                    format!("The state has objects managed by the provider configuration {addr}, which the configuration no longer declares. Put its provider block back until they are destroyed, or move them with slipway state mv."),
                ));
                continue;
            }
        };
        pending.push((addr, factory(), config));
    }
    let configured = ctx.runtime.block_on(join_all(pending.into_iter().map(|(addr, provider, config)| async move {
        let response = provider.configure(ConfigureRequest { config }).await;
        (addr, provider, response.diagnostics, response.deferred)
    })));
    for (addr, provider, provider_diags, deferred) in configured {
        if let Some(why) = deferred {
            providers.deferred.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(addr.clone(), why);
        }
        for mut d in provider_diags.iter().cloned() {
            d.detail = format!("{}\n\nwith the provider configuration {addr}", d.detail).trim_start().to_string();
            diags.push(d);
        }
        providers.configured.write().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(addr, provider);
    }
    diags
}

/// Every configuration the resources of `config` and its modules use.
fn collect_needed(
    root: &Config,
    config: &Config,
    path: &mut Vec<String>,
    sources: &Sources,
    needed: &mut BTreeSet<ProviderConfigAddr>,
    diags: &mut Diagnostics,
) {
    for resource in config.module.resources.values() {
        match provider_for(root, path, resource) {
            Ok(addr) => {
                needed.insert(addr);
            }
            Err(problem) => diags.push(
                Diagnostic::error("Provider configuration not present", format!("{}: {problem}", resource.key))
                    .with_subject(sources.range(resource.range.file, Some(resource.range.span()))),
            ),
        }
    }
    for block in &config.module.providers {
        needed.insert(ProviderConfigAddr {
            module: path.clone(),
            name: block.name.clone(),
            alias: block.alias.clone(),
        });
    }
    for (name, child) in &config.children {
        path.push(name.clone());
        collect_needed(root, child, path, sources, needed, diags);
        path.pop();
    }
}

/// Each `provider` block's configuration, evaluated in its module and decoded with the
/// provider's schema.
fn evaluate_blocks(
    ctx: &ConfigureContext<'_>,
    providers: &ProviderSet,
    diags: &mut Diagnostics,
) -> BTreeMap<ProviderConfigAddr, Value> {
    let mut out = BTreeMap::new();
    if !has_blocks(ctx.config) {
        return out;
    }
    // A block that refers to resources sees what the state saved of them (the cluster a
    // kubernetes provider connects to, made by an earlier run); one whose resources are not
    // in state yet is unknown, for the provider to defer.
    let observer = SavedValues { state: ctx.state, providers, needed: block_dependencies(ctx.config) };
    let settings = ctx.settings.observed_by(Some(&observer), true);
    let (root, _) = evaluate_config(ctx.config, ctx.inputs, ctx.sources, &settings);
    let mut stack: Vec<(Vec<String>, &Config, Option<&EvaluatedModule>)> = vec![(Vec::new(), ctx.config, Some(&root))];
    while let Some((path, config, evaluated)) = stack.pop() {
        for block in &config.module.providers {
            let addr =
                ProviderConfigAddr { module: path.clone(), name: block.name.clone(), alias: block.alias.clone() };
            if let Some(value) = evaluate_block(block, evaluated, ctx, providers, diags) {
                out.insert(addr, value);
            }
        }
        for (name, child) in &config.children {
            let mut child_path = path.clone();
            child_path.push(name.clone());
            // Provider blocks may not vary per instance: the first instance's scope is the scope.
            let child_evaluated = evaluated.and_then(|e| e.children.get(name)).and_then(|v| v.first()).map(|(_, m)| m);
            stack.push((child_path, child, child_evaluated));
        }
    }
    out
}

/// Resolves resource references in provider blocks to the values the state saved.
struct SavedValues<'a> {
    state: &'a State,
    providers: &'a ProviderSet,
    /// The resources some provider block depends on: only those are decoded.
    needed: BTreeSet<ConfigResource>,
}

impl ResourceObserver for SavedValues<'_> {
    fn resource(
        &self,
        module: &ModuleInstance,
        resource: &Resource,
        instances: Option<&[ResourceInstanceConfig]>,
        _diags: &mut Diagnostics,
    ) -> Vec<Value> {
        let names: Vec<String> = module.0.iter().map(|(n, _)| n.clone()).collect();
        let needed = self.needed.contains(&ConfigResource { module: names, resource: resource.key.clone() });
        instance_values(module, resource, instances, |addr| {
            let saved = needed.then(|| self.state.instances.get(addr)).flatten()?;
            decode_object(addr, saved, self.providers).ok()
        })
    }
}

/// Every resource any provider block refers to, directly or through locals and modules.
fn block_dependencies(config: &Config) -> BTreeSet<ConfigResource> {
    provider_hosts(config).into_values().flatten().collect()
}

/// The `provider` block of a configuration address; `None` for one without a block.
pub fn provider_block<'c>(config: &'c Config, addr: &ProviderConfigAddr) -> Option<&'c ProviderConfig> {
    let module = module_config(config, &addr.module)?;
    module.module.providers.iter().find(|p| p.name == addr.name && p.alias == addr.alias)
}

/// Each `provider` block's configuration address with the resources it refers to (directly
/// or through locals, variables and module outputs): what that provider's objects live in.
pub fn provider_hosts(config: &Config) -> BTreeMap<ProviderConfigAddr, BTreeSet<ConfigResource>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(Vec::<String>::new(), config)];
    while let Some((path, here)) = stack.pop() {
        for block in &here.module.providers {
            let deps = body_dependencies(config, &path, &block.body);
            if !deps.is_empty() {
                out.insert(
                    ProviderConfigAddr { module: path.clone(), name: block.name.clone(), alias: block.alias.clone() },
                    deps,
                );
            }
        }
        for (name, child) in &here.children {
            let mut child_path = path.clone();
            child_path.push(name.clone());
            stack.push((child_path, child));
        }
    }
    out
}

/// Adds to each resource's dependencies what its provider block refers to: every object of a
/// provider configuration is created after, and deleted before, the resources that
/// configuration is made from (a kubernetes provider connected to a cluster of the same
/// configuration), as Terraform orders provider nodes. Returns the configurations whose
/// blocks refer to resources.
pub fn add_provider_dependencies(
    config: &Config,
    dependencies: &mut BTreeMap<ConfigResource, BTreeSet<ConfigResource>>,
) -> BTreeSet<ProviderConfigAddr> {
    let hosts = provider_hosts(config);
    if hosts.is_empty() {
        return BTreeSet::new();
    }
    for (resource, deps) in dependencies.iter_mut() {
        let Some(block) =
            module_config(config, &resource.module).and_then(|c| c.module.resources.get(&resource.resource))
        else {
            continue;
        };
        let Ok(addr) = provider_for(config, &resource.module, block) else { continue };
        if let Some(host) = hosts.get(&addr) {
            deps.extend(host.iter().filter(|d| *d != resource).cloned());
        }
    }
    hosts.into_keys().collect()
}

fn has_blocks(config: &Config) -> bool {
    !config.module.providers.is_empty() || config.children.values().any(has_blocks)
}

fn evaluate_block(
    block: &ProviderConfig,
    evaluated: Option<&EvaluatedModule>,
    ctx: &ConfigureContext<'_>,
    providers: &ProviderSet,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let at = ctx.sources.range(block.range.file, Some(block.range.span()));
    let template = providers.template(&block.name)?;
    let schema = &template.schema().provider;
    let what = format!("provider \"{}\"", block.name);
    let checked = check_body(&block.body, schema, &what, at.clone(), ctx.sources);
    let failed = checked.has_errors();
    diags.extend(checked);
    if failed {
        return None;
    }
    let Some(module) = evaluated else {
        // The module has no instance (count = 0): nothing uses this configuration.
        return Some(null_config(&schema.value_type()));
    };
    let settings = ctx.settings.observed_by(None, true);
    let (value, eval_diags) = eval_body_in_module(&block.body, module, ctx.sources, &settings);
    let failed = eval_diags.has_errors();
    diags.extend(eval_diags);
    if failed {
        return None;
    }
    match decode_config(&value, schema) {
        Ok(decoded) => Some(decoded),
        Err(problems) => {
            for (path, problem) in problems {
                let at = crate::schema_check::source_range(&block.body, &path, ctx.sources).or(at.clone());
                diags.push(
                    Diagnostic::error("Incorrect attribute value type", format!("{what}: {path}: {problem}."))
                        .with_subject(at),
                );
            }
            None
        }
    }
}

/// An object of `ty` with every attribute null: the configuration of a provider without a block.
fn null_config(ty: &slipway_core::Type) -> Value {
    match ty {
        slipway_core::Type::Object(object) => {
            Value::object(object.attributes.iter().map(|(name, t)| (name.clone(), Value::null(t.clone()))).collect())
        }
        other => Value::null(other.clone()),
    }
}
