//! Reads `terraform { encryption { ... } }` into the encryption of state and of saved plans:
//!
//! ```hcl
//! encryption {
//!   key_provider "pbkdf2" "main" { passphrase = var.state_passphrase }
//!   method "aes_gcm" "main" { keys = key_provider.pbkdf2.main }
//!   state {
//!     method   = method.aes_gcm.main
//!     enforced = true
//!     fallback { method = method.aes_gcm.old }   # still read what the old key wrote
//!   }
//!   plan { method = method.aes_gcm.main }
//! }
//! ```
//!
//! Values may use variables (`var.NAME`, with the run's `-var`, tfvars and `TF_VAR_` values) and
//! functions such as `file`; nothing else is known before the state is read. `keys` and `method`
//! are references to blocks of the same `encryption` block, resolved here by name.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use slipway_core::encryption::{KeyProvider, KeyProviderFactory};
use slipway_core::{Diagnostic, Diagnostics, SourceRange, Value};
use slipway_lang::config::{Block, Body, Config, EncryptionConfig, Expr};
use slipway_lang::eval::{EmptyScope, Evaluator, Reference, Scope, ScopeError, traversal_parts};
use slipway_lang::evaluate::InputValue;
use slipway_lang::fs::FileSystem;
use slipway_lang::functions::FunctionContext;
use slipway_lang::source::Sources;

use super::{AesGcmMethod, Encryption, Method, Pbkdf2KeyProvider};

/// Key provider types by name (`pbkdf2` is built in; the binary adds `aws_kms`).
pub type KeyProviders = BTreeMap<String, KeyProviderFactory>;

/// What the encryption block configures.
#[derive(Debug, Default)]
pub struct EncryptionSettings {
    pub state: Option<Encryption>,
    pub plan: Option<Encryption>,
}

/// Everything the block's values may refer to.
pub struct EncryptionInputs<'a> {
    pub config: &'a Config,
    pub inputs: &'a BTreeMap<String, InputValue>,
    pub sources: &'a Sources,
    pub fs: &'a dyn FileSystem,
    pub working_dir: &'a Path,
}

impl EncryptionInputs<'_> {
    /// Functions as the root module sees them (`file` reads relative to the working directory).
    fn functions(&self) -> FunctionContext<'_> {
        FunctionContext {
            module_dir: self.working_dir,
            working_dir: self.working_dir,
            fs: self.fs,
            impure_unknown: false,
            templates: None,
        }
    }
}

/// The encryption the configuration asks for, or the diagnostics that say why it cannot be set
/// up. `factories` are the key provider types besides `pbkdf2`.
pub fn encryption_settings(
    block: &EncryptionConfig,
    inputs: &EncryptionInputs<'_>,
    factories: &KeyProviders,
) -> (EncryptionSettings, Diagnostics) {
    let mut reader = Reader {
        inputs,
        factories,
        diags: Diagnostics::new(),
        key_providers: BTreeMap::new(),
        broken: Default::default(),
    };
    let settings = reader.read(&block.body);
    (settings, reader.diags)
}

struct Reader<'a, 'i> {
    inputs: &'a EncryptionInputs<'i>,
    factories: &'a KeyProviders,
    diags: Diagnostics,
    key_providers: BTreeMap<String, Arc<dyn KeyProvider>>,
    /// Key providers and methods whose blocks were wrong (already reported): references to
    /// them say nothing more.
    broken: std::collections::BTreeSet<String>,
}

impl Reader<'_, '_> {
    fn read(&mut self, body: &Body) -> EncryptionSettings {
        for (name, attr) in &body.attributes {
            self.error(
                "Unsupported argument",
                format!(
                    "An encryption block takes no argument {name:?}: only key_provider, method, state and plan blocks."
                ),
                self.range_of(&attr.expr),
            );
        }
        for block in body.blocks.iter().filter(|b| b.kind == "key_provider") {
            self.key_provider(block);
        }
        let mut methods: BTreeMap<String, Method> = BTreeMap::new();
        for block in body.blocks.iter().filter(|b| b.kind == "method") {
            match self.method(block) {
                Some((name, method)) => {
                    methods.insert(name, method);
                }
                None => {
                    if let [kind, name] = block.labels.as_slice() {
                        self.broken.insert(format!("method.{kind}.{name}"));
                    }
                }
            }
        }
        let mut settings = EncryptionSettings::default();
        for block in &body.blocks {
            match block.kind.as_str() {
                "key_provider" | "method" => {}
                "state" if settings.state.is_none() => settings.state = self.target("state", block, &methods),
                "plan" if settings.plan.is_none() => settings.plan = self.target("plan", block, &methods),
                "state" | "plan" => self.error(
                    "Duplicate block",
                    format!("An encryption block may have one {} block.", block.kind),
                    self.block_range(block),
                ),
                other => self.error(
                    "Unsupported block",
                    format!(
                        "An encryption block has no {other:?} block: it takes key_provider, method, state and plan (remote_state_data_sources is not supported yet)."
                    ),
                    self.block_range(block),
                ),
            }
        }
        if self.diags.has_errors() { EncryptionSettings::default() } else { settings }
    }

    fn key_provider(&mut self, block: &Block) {
        let Some((kind, name)) = self.two_labels(block, "key_provider \"pbkdf2\" \"main\"") else { return };
        let mut settings = BTreeMap::new();
        for (attr_name, attr) in &block.body.attributes {
            if let Some(value) = self.setting(&attr.expr, attr_name) {
                settings.insert(attr_name.clone(), value);
            }
        }
        let made = match kind.as_str() {
            "pbkdf2" => Pbkdf2KeyProvider::from_settings(&settings).map(|p| Arc::new(p) as Arc<dyn KeyProvider>),
            other => match self.factories.get(other) {
                Some(factory) => factory(&settings),
                None => {
                    let mut known: Vec<&str> = self.factories.keys().map(String::as_str).collect();
                    known.push("pbkdf2");
                    known.sort_unstable();
                    Err(format!("there is no key provider {other:?}; this build has {}", known.join(", ")))
                }
            },
        };
        match made {
            Ok(provider) => {
                self.key_providers.insert(format!("{kind}.{name}"), provider);
            }
            Err(reason) => {
                self.broken.insert(format!("key_provider.{kind}.{name}"));
                self.error(
                    "Invalid key provider",
                    format!("key_provider.{kind}.{name}: {reason}."),
                    self.block_range(block),
                )
            }
        }
    }

    fn method(&mut self, block: &Block) -> Option<(String, Method)> {
        let (kind, name) = self.two_labels(block, "method \"aes_gcm\" \"main\"")?;
        let address = format!("{kind}.{name}");
        match kind.as_str() {
            "unencrypted" => {
                for attr in block.body.attributes.values() {
                    self.error(
                        "Unsupported argument",
                        "The unencrypted method takes no arguments.",
                        self.range_of(&attr.expr),
                    );
                }
                Some((address, Method::Unencrypted))
            }
            "aes_gcm" => {
                let Some(keys) = block.body.attributes.get("keys") else {
                    self.error(
                        "Missing required argument",
                        format!("method.{address} needs keys = key_provider.TYPE.NAME."),
                        self.block_range(block),
                    );
                    return None;
                };
                let key_provider_name = self.block_reference(&keys.expr, "key_provider")?;
                let Some(provider) = self.key_providers.get(&key_provider_name).cloned() else {
                    if self.broken.contains(&format!("key_provider.{key_provider_name}")) {
                        return None;
                    }
                    self.error(
                        "Reference to an undeclared key provider",
                        format!("There is no key_provider.{key_provider_name} in this encryption block."),
                        self.range_of(&keys.expr),
                    );
                    return None;
                };
                let aad = match block.body.attributes.get("aad") {
                    Some(attr) => self.setting(&attr.expr, "aad")?.into_bytes(),
                    None => Vec::new(),
                };
                for (attr_name, attr) in &block.body.attributes {
                    if attr_name != "keys" && attr_name != "aad" {
                        self.error(
                            "Unsupported argument",
                            format!("The aes_gcm method takes keys and aad, not {attr_name:?}."),
                            self.range_of(&attr.expr),
                        );
                    }
                }
                Some((
                    address.clone(),
                    Method::AesGcm(AesGcmMethod { name: address, key_provider_name, keys: provider, aad }),
                ))
            }
            other => {
                self.error(
                    "Unsupported encryption method",
                    format!("There is no method {other:?}: use \"aes_gcm\", or \"unencrypted\" to migrate."),
                    self.block_range(block),
                );
                None
            }
        }
    }

    fn target(&mut self, what: &'static str, block: &Block, methods: &BTreeMap<String, Method>) -> Option<Encryption> {
        let primary = match block.body.attributes.get("method") {
            Some(attr) => self.method_reference(&attr.expr, methods)?,
            None => {
                self.error(
                    "Missing required argument",
                    format!("The {what} block needs method = method.TYPE.NAME."),
                    self.block_range(block),
                );
                return None;
            }
        };
        let enforced = match block.body.attributes.get("enforced") {
            Some(attr) => match self.value(&attr.expr)?.as_bool() {
                Some(b) => b,
                None => {
                    self.error("Invalid value", "enforced must be true or false.", self.range_of(&attr.expr));
                    return None;
                }
            },
            None => false,
        };
        let mut fallbacks = Vec::new();
        for inner in &block.body.blocks {
            if inner.kind != "fallback" {
                self.error(
                    "Unsupported block",
                    format!("The {what} block takes fallback blocks only."),
                    self.block_range(inner),
                );
                continue;
            }
            match inner.body.attributes.get("method") {
                Some(attr) => fallbacks.extend(self.method_reference(&attr.expr, methods)),
                None => self.error(
                    "Missing required argument",
                    "A fallback block needs method = method.TYPE.NAME.",
                    self.block_range(inner),
                ),
            }
        }
        if enforced && matches!(primary, Method::Unencrypted) {
            self.error(
                "Invalid encryption",
                format!("The {what} block enforces encryption but its method is unencrypted."),
                self.block_range(block),
            );
            return None;
        }
        Some(Encryption::new(what, primary, fallbacks, enforced))
    }

    fn method_reference(&mut self, expr: &Expr, methods: &BTreeMap<String, Method>) -> Option<Method> {
        let name = self.block_reference(expr, "method")?;
        match methods.get(&name) {
            Some(method) => Some(method.clone()),
            None if self.broken.contains(&format!("method.{name}")) => None,
            None => {
                self.error(
                    "Reference to an undeclared method",
                    format!("There is no method.{name} in this encryption block."),
                    self.range_of(expr),
                );
                None
            }
        }
    }

    /// `ROOT.TYPE.NAME` → `TYPE.NAME`.
    fn block_reference(&mut self, expr: &Expr, root: &str) -> Option<String> {
        let parts = traversal_parts(&expr.expr).and_then(|(first, operators)| {
            let names: Vec<String> = operators
                .iter()
                .filter_map(|op| match op {
                    hcl_edit::expr::TraversalOperator::GetAttr(ident) => Some(ident.as_str().to_string()),
                    _ => None,
                })
                .collect();
            (first == root && names.len() == 2 && operators.len() == 2).then(|| names.join("."))
        });
        if parts.is_none() {
            self.error(
                "Invalid reference",
                format!("Expected a reference of the form {root}.TYPE.NAME."),
                self.range_of(expr),
            );
        }
        parts
    }

    /// A setting as a string: strings as they are, numbers and bools as written.
    fn setting(&mut self, expr: &Expr, name: &str) -> Option<String> {
        let value = self.value(expr)?;
        let (value, _) = value.unmark_deep();
        if let Some(s) = value.as_str() {
            return Some(s.to_string());
        }
        if let Some(n) = value.as_number() {
            return Some(n.to_string());
        }
        if let Some(b) = value.as_bool() {
            return Some(b.to_string());
        }
        self.error(
            "Invalid value",
            format!("{name} must be a string, number or bool, not {}.", value.ty()),
            self.range_of(expr),
        );
        None
    }

    fn value(&mut self, expr: &Expr) -> Option<Value> {
        let scope = VariablesScope { inputs: self.inputs };
        let ctx = self.inputs.functions();
        let evaluator = Evaluator::new(self.inputs.sources, expr.file, &scope, &ctx);
        let value = evaluator.eval(&expr.expr);
        let diags = evaluator.take_diagnostics();
        let failed = diags.has_errors();
        self.diags.extend(diags);
        if failed {
            return None;
        }
        if value.is_null() || !value.is_wholly_known() {
            self.error(
                "Value not known",
                "Encryption settings must be known before the state is read: use literal values or variables.",
                self.range_of(expr),
            );
            return None;
        }
        Some(value)
    }

    fn two_labels(&mut self, block: &Block, example: &str) -> Option<(String, String)> {
        match block.labels.as_slice() {
            [kind, name] => Some((kind.clone(), name.clone())),
            _ => {
                self.error(
                    "Wrong number of labels",
                    format!("A {} block has two labels, its type and its name: {example}.", block.kind),
                    self.block_range(block),
                );
                None
            }
        }
    }

    fn range_of(&self, expr: &Expr) -> Option<SourceRange> {
        self.inputs.sources.range(expr.file, expr.span())
    }

    fn block_range(&self, block: &Block) -> Option<SourceRange> {
        self.inputs.sources.range(block.range.file, Some(block.range.span()))
    }

    fn error(&mut self, summary: &str, detail: impl Into<String>, subject: Option<SourceRange>) {
        self.diags.push(Diagnostic::error(summary, detail).with_subject(subject));
    }
}

/// Only variables are in scope: the rest of the configuration may depend on the state.
struct VariablesScope<'a, 'i> {
    inputs: &'a EncryptionInputs<'i>,
}

impl Scope for VariablesScope<'_, '_> {
    fn resolve(&self, reference: &Reference) -> Result<Value, ScopeError> {
        let Reference::Variable(name) = reference else {
            return Err(ScopeError {
                summary: "Reference not allowed".into(),
                detail: format!(
                    "The encryption block can use variables only, not {reference}: it is read before the state."
                ),
            });
        };
        if let Some(input) = self.inputs.inputs.get(name) {
            return Ok(input.value.clone());
        }
        let Some(variable) = self.inputs.config.module.variables.get(name) else {
            return Err(ScopeError {
                summary: "Reference to undeclared input variable".into(),
                detail: format!("An input variable named {name:?} has not been declared."),
            });
        };
        let Some(default) = &variable.default else {
            return Err(ScopeError {
                summary: "No value for required variable".into(),
                detail: format!(
                    "The encryption block uses var.{name}, which has no value: set it with -var, a tfvars file or TF_VAR_{name}."
                ),
            });
        };
        let ctx = self.inputs.functions();
        let value = Evaluator::new(self.inputs.sources, default.file, &EmptyScope, &ctx).eval(&default.expr);
        Ok(if variable.sensitive { value.mark_sensitive() } else { value })
    }
}
