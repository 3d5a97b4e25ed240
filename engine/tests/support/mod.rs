//! A test provider and a harness that plans and applies configurations written to a temporary
//! directory, the way the CLI does, with local state.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, ConfigureRequest, ConfigureResponse, PlanRequest, PlanResponse, Provider,
    ProviderFactory, ReadBatchRequest, ReadBatchResponse,
};
use slipway_core::schema::{AttributeSchema, BlockSchema, ProviderSchema, ResourceSchema};
use slipway_core::{Diagnostic, Diagnostics, Type, Value};
use slipway_engine::apply::{ApplyContext, ApplyOutcome, apply};
use slipway_engine::backend_local::LocalBackend;
use slipway_engine::hooks::Quiet;
use slipway_engine::plan::{PlanContext, PlanOptions, Planned, plan};
use slipway_engine::providers::{ConfigureContext, ProviderSet, configure_providers};
use slipway_engine::state::StateManager;
use slipway_lang::config::Config;
use slipway_lang::evaluate::{ApplyEvaluator, EvalSettings, InputValue};
use slipway_lang::fs::OsFileSystem;
use slipway_lang::load::load_config;
use slipway_lang::source::Sources;
use slipway_lang::vars::collect_inputs;

/// `test_thing`: `name` (forces replacement), `value` (updates in place), computed `id`. Objects
/// live in memory; names in `fail_on` fail to create.
pub struct TestProvider {
    schema: ProviderSchema,
    pub objects: Mutex<BTreeMap<String, Value>>,
    pub fail_on: Mutex<BTreeSet<String>>,
    next_id: AtomicU64,
    /// How long each apply takes, so that operations overlap.
    pub delay: Mutex<std::time::Duration>,
    in_flight: AtomicUsize,
    /// The most applies that ever ran at once.
    pub max_in_flight: AtomicUsize,
    /// Every configuration `configure` was given, in order.
    pub configurations: Mutex<Vec<Value>>,
}

impl TestProvider {
    pub fn new() -> Arc<TestProvider> {
        let block = BlockSchema::new()
            .attribute("name", AttributeSchema::required(Type::String).force_new())
            .attribute("value", AttributeSchema::optional(Type::String))
            .attribute("triggers", AttributeSchema::optional(Type::map(Type::String)).force_new())
            .attribute("id", AttributeSchema::computed(Type::String));
        let mut schema = ProviderSchema {
            provider: BlockSchema::new().attribute("region", AttributeSchema::optional(Type::String)),
            ..Default::default()
        };
        schema.resources.insert("test_thing".into(), ResourceSchema { version: 0, block });
        Arc::new(TestProvider {
            schema,
            objects: Mutex::new(BTreeMap::new()),
            fail_on: Mutex::new(BTreeSet::new()),
            next_id: AtomicU64::new(1),
            delay: Mutex::new(std::time::Duration::ZERO),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            configurations: Mutex::new(Vec::new()),
        })
    }

    pub fn names(&self) -> BTreeSet<String> {
        self.objects
            .lock()
            .expect("lock")
            .values()
            .filter_map(|v| v.get_attr("name")?.as_str().map(String::from))
            .collect()
    }
}

impl TestProvider {
    /// The apply itself: creates, updates or deletes the in-memory object.
    fn apply_now(&self, request: ApplyRequest) -> ApplyResponse {
        let mut response = ApplyResponse::default();
        match (request.prior, request.planned) {
            (Some(prior), None) => {
                let id = prior.get_attr("id").and_then(Value::as_str).unwrap_or_default().to_string();
                self.objects.lock().expect("lock").remove(&id);
            }
            (prior, Some(planned)) => {
                let name = planned.get_attr("name").and_then(Value::as_str).unwrap_or_default().to_string();
                if self.fail_on.lock().expect("lock").contains(&name) {
                    let mut d = Diagnostics::new();
                    d.push(Diagnostic::error("Creation failed", format!("test_thing {name:?} is set to fail")));
                    response.diagnostics = d;
                    response.new_state = prior;
                    return response;
                }
                let id = match prior.as_ref().and_then(|p| p.get_attr("id")).and_then(Value::as_str) {
                    Some(id) => id.to_string(),
                    None => format!("thing-{}", self.next_id.fetch_add(1, Ordering::SeqCst)),
                };
                let object = Value::object_from([
                    ("name", Value::string(name)),
                    ("value", planned.get_attr("value").cloned().unwrap_or_else(|| Value::null(Type::String))),
                    (
                        "triggers",
                        planned.get_attr("triggers").cloned().unwrap_or_else(|| Value::null(Type::map(Type::String))),
                    ),
                    ("id", Value::string(id.clone())),
                ]);
                self.objects.lock().expect("lock").insert(id, object.clone());
                response.new_state = Some(object);
            }
            (None, None) => {}
        }
        response
    }
}

#[async_trait]
impl Provider for TestProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    async fn configure(&self, request: ConfigureRequest) -> ConfigureResponse {
        self.configurations.lock().expect("lock").push(request.config);
        ConfigureResponse::default()
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        let id = match &request.prior {
            Some(prior) => prior.get_attr("id").cloned().unwrap_or_else(|| Value::unknown(Type::String)),
            None => Value::unknown(Type::String),
        };
        // A change of `triggers` (force-new) gives the replacement a new id.
        let prior_triggers = request.prior.as_ref().and_then(|p| p.get_attr("triggers")).cloned();
        let new_triggers = request.config.get_attr("triggers").cloned();
        let replacing = match (&prior_triggers, &new_triggers) {
            (None, _) => false,
            (Some(old), new) => {
                let new = new.clone().unwrap_or_else(|| Value::null(Type::map(Type::String)));
                !(old.is_wholly_known() && new.is_wholly_known() && old.same_known_value(&new))
            }
        };
        let id = if replacing { Value::unknown(Type::String) } else { id };
        let planned = Value::object_from([
            ("name", request.config.get_attr("name").cloned().unwrap_or_else(|| Value::null(Type::String))),
            ("value", request.config.get_attr("value").cloned().unwrap_or_else(|| Value::null(Type::String))),
            (
                "triggers",
                request.config.get_attr("triggers").cloned().unwrap_or_else(|| Value::null(Type::map(Type::String))),
            ),
            ("id", id),
        ]);
        PlanResponse { planned: Some(planned), ..Default::default() }
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let delay = *self.delay.lock().expect("lock");
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let response = self.apply_now(request);
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        response
    }

    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse {
        let objects = self.objects.lock().expect("lock");
        let current = request
            .instances
            .iter()
            .map(|i| {
                let id = i.prior.get_attr("id").and_then(Value::as_str).unwrap_or_default();
                objects.get(id).cloned()
            })
            .collect();
        ReadBatchResponse { current, diagnostics: Diagnostics::new() }
    }
}

/// A hook that reports nothing, for walks that need a `'static` one.
pub static QUIET: Quiet = Quiet;

/// How an apply walks: who hears about progress, how many operations at once, and the flag
/// Ctrl-C would set.
pub struct Walk<'a> {
    pub hook: &'a dyn slipway_engine::hooks::Hook,
    pub parallelism: usize,
    pub cancel: &'a AtomicBool,
}

/// A working directory with a configuration, a test provider and local state.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub provider: Arc<TestProvider>,
    pub runtime: tokio::runtime::Runtime,
}

impl Harness {
    pub fn new(main_tf: &str) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("main.tf"), main_tf).expect("write main.tf");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        Harness { dir, provider: TestProvider::new(), runtime }
    }

    pub fn write(&self, main_tf: &str) {
        std::fs::write(self.dir.path().join("main.tf"), main_tf).expect("write main.tf");
    }

    fn providers(&self) -> ProviderSet {
        // Every configuration shares the one test provider, so that tests can see its objects.
        let provider = self.provider.clone();
        let factory: ProviderFactory = Arc::new(move || provider.clone() as Arc<dyn Provider>);
        ProviderSet::new([("test", factory)])
    }

    /// Plans, and applies the plan when `apply` is set; the plan and the apply's outcome.
    pub fn run(&self, options: &PlanOptions, apply_it: bool) -> (Planned, Option<ApplyOutcome>) {
        let cancel = AtomicBool::new(false);
        let walk = Walk { hook: &Quiet, parallelism: 10, cancel: &cancel };
        self.run_with(options, apply_it.then_some(walk))
    }

    /// Plans, and applies with the walk's hook, parallelism and cancel flag when given.
    pub fn run_with(&self, options: &PlanOptions, walk: Option<Walk<'_>>) -> (Planned, Option<ApplyOutcome>) {
        let path: &Path = self.dir.path();
        let fs = OsFileSystem;
        let (config, sources, inputs) = self.load(&fs);
        let settings = EvalSettings::new(&fs, path, "default");
        let providers = self.providers();
        let mut manager = self.state();
        let configured = self.configure_with(&config, &sources, &inputs, &settings, &manager, &providers);
        assert!(!configured.has_errors(), "{configured:?}");
        let ctx = PlanContext {
            config: &config,
            sources: &sources,
            inputs: &inputs,
            settings: &settings,
            state: manager.state(),
            providers: &providers,
            runtime: self.runtime.handle(),
            hook: &slipway_engine::hooks::Quiet,
        };
        let planned = plan(&ctx, options);
        assert!(!planned.plan.diagnostics.has_errors(), "{:?}", planned.plan.diagnostics);
        let Some(walk) = walk else {
            return (planned, None);
        };
        let mut evaluator = planned.evaluated.clone().map(|m| ApplyEvaluator::new(&config, &sources, &settings, m));
        let outcome = self.runtime.block_on(apply(ApplyContext {
            plan: &planned.plan,
            providers: &providers,
            evaluator: evaluator.as_mut(),
            state: &mut manager,
            hook: walk.hook,
            parallelism: walk.parallelism,
            cancel: walk.cancel,
        }));
        self.runtime.block_on(manager.persist(path)).expect("persist");
        (planned, Some(outcome))
    }

    /// The instance addresses in the saved state.
    pub fn state_addresses(&self) -> Vec<String> {
        self.state_providers().into_keys().collect()
    }

    /// Each instance in the saved state with the provider configuration that manages it.
    pub fn state_providers(&self) -> BTreeMap<String, String> {
        self.state().state().instances.iter().map(|(a, o)| (a.to_string(), o.provider.to_string())).collect()
    }

    /// Only configures the providers, as every command does first; what that reported.
    pub fn configure(&self) -> Diagnostics {
        let fs = OsFileSystem;
        let (config, sources, inputs) = self.load(&fs);
        let settings = EvalSettings::new(&fs, self.dir.path(), "default");
        self.configure_with(&config, &sources, &inputs, &settings, &self.state(), &self.providers())
    }

    /// The configuration and its variables, as a command loads them.
    fn load(&self, fs: &OsFileSystem) -> (Config, Sources, BTreeMap<String, InputValue>) {
        let path: &Path = self.dir.path();
        let mut sources = Sources::new();
        let (config, diags) = load_config(path, fs, &mut sources);
        assert!(!diags.has_errors(), "{diags:?}");
        let (inputs, _) = collect_inputs(&config.module, path, &[], &[], fs, &mut sources);
        (config, sources, inputs)
    }

    fn state(&self) -> StateManager {
        let backend = Arc::new(LocalBackend::new(self.dir.path()));
        self.runtime.block_on(StateManager::load(backend, "default")).expect("state").0
    }

    fn configure_with(
        &self,
        config: &Config,
        sources: &Sources,
        inputs: &BTreeMap<String, InputValue>,
        settings: &EvalSettings<'_>,
        manager: &StateManager,
        providers: &ProviderSet,
    ) -> Diagnostics {
        let ctx = ConfigureContext {
            config,
            sources,
            inputs,
            settings,
            state: manager.state(),
            runtime: self.runtime.handle(),
        };
        configure_providers(&ctx, providers)
    }
}
