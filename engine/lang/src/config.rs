//! The configuration model: what the blocks of a module's `.tf` files declare, with every
//! expression kept unevaluated (and its source span) for the evaluator.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use hcl_edit::expr::Expression;
use indexmap::IndexMap;

use crate::source::FileId;
use crate::typeexpr::TypeConstraint;

/// An unevaluated expression and the file it came from.
#[derive(Clone, Debug)]
pub struct Expr {
    pub file: FileId,
    pub expr: Arc<Expression>,
}

impl Expr {
    pub fn span(&self) -> Option<Range<usize>> {
        hcl_edit::Span::span(&*self.expr)
    }
}

/// Where something was declared: its file and byte span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeclRange {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl DeclRange {
    pub fn new(file: FileId, span: Option<Range<usize>>) -> Self {
        let span = span.unwrap_or(0..0);
        DeclRange { file, start: span.start, end: span.end }
    }

    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// A body whose contents depend on a provider's schema (resources, providers, backends).
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub attributes: IndexMap<String, Attribute>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug)]
pub struct Attribute {
    pub name: String,
    pub expr: Expr,
    /// The attribute name.
    pub name_range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub range: DeclRange,
}

/// One module: the blocks of all `.tf` files of one directory.
#[derive(Clone, Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub terraform: TerraformSettings,
    pub providers: Vec<ProviderConfig>,
    pub variables: IndexMap<String, Variable>,
    pub locals: IndexMap<String, Local>,
    pub outputs: IndexMap<String, Output>,
    pub resources: IndexMap<ResourceKey, Resource>,
    pub module_calls: IndexMap<String, ModuleCall>,
    pub moved: Vec<Moved>,
    pub removed: Vec<Removed>,
    pub imports: Vec<Import>,
    pub checks: IndexMap<String, Check>,
}

/// A module and the modules it calls, by call name.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub module: Module,
    pub children: BTreeMap<String, Config>,
}

#[derive(Clone, Debug, Default)]
pub struct TerraformSettings {
    pub required_version: Option<String>,
    pub required_providers: IndexMap<String, ProviderRequirement>,
    pub backend: Option<BackendConfig>,
    /// `encryption { ... }`: client-side encryption of state and saved plans.
    pub encryption: Option<EncryptionConfig>,
}

#[derive(Clone, Debug, Default)]
pub struct ProviderRequirement {
    pub source: Option<String>,
    pub version: Option<String>,
    pub configuration_aliases: Vec<String>,
}

/// The `encryption` block of the `terraform` block, kept as written: its `key_provider` and
/// `method` blocks refer to each other by traversal (`key_provider.pbkdf2.main`), which the
/// engine resolves, and its values may use variables.
#[derive(Clone, Debug)]
pub struct EncryptionConfig {
    pub body: Body,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct BackendConfig {
    pub kind: String,
    pub body: Body,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub body: Body,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub constraint: TypeConstraint,
    pub default: Option<Expr>,
    pub description: Option<String>,
    pub sensitive: bool,
    pub nullable: bool,
    pub validations: Vec<CheckRule>,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Local {
    pub name: String,
    pub expr: Expr,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub expr: Expr,
    pub description: Option<String>,
    pub sensitive: bool,
    pub depends_on: Vec<Expr>,
    pub preconditions: Vec<CheckRule>,
    pub range: DeclRange,
}

/// A `condition` with its `error_message`, as in `validation`, `precondition`, `postcondition`
/// and `check` `assert` blocks.
#[derive(Clone, Debug)]
pub struct CheckRule {
    pub condition: Expr,
    pub error_message: Expr,
    pub range: DeclRange,
}

/// `aws_vpc.main` or `data.aws_ami.ubuntu` within one module: the address type of the core.
pub use slipway_core::address::{ResourceAddr as ResourceKey, ResourceMode};

#[derive(Clone, Debug)]
pub struct Resource {
    pub key: ResourceKey,
    /// `provider = aws.west`: the provider name and alias.
    pub provider: Option<(String, Option<String>)>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    pub lifecycle: Lifecycle,
    /// Everything that is not a meta-argument: checked against the provider's schema.
    pub body: Body,
    pub range: DeclRange,
}

impl Resource {
    /// The provider name this resource belongs to: the explicit one, or its type's prefix.
    pub fn provider_name(&self) -> String {
        match &self.provider {
            Some((name, _)) => name.clone(),
            None => self.key.type_name.split('_').next().unwrap_or(&self.key.type_name).to_string(),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    pub create_before_destroy: bool,
    pub prevent_destroy: bool,
    pub ignore_changes: IgnoreChanges,
    pub replace_triggered_by: Vec<Expr>,
    pub preconditions: Vec<CheckRule>,
    pub postconditions: Vec<CheckRule>,
}

#[derive(Clone, Debug, Default)]
pub enum IgnoreChanges {
    #[default]
    None,
    All,
    /// Attribute paths as written (`tags["Name"]`, `user_data`).
    Attributes(Vec<Expr>),
}

#[derive(Clone, Debug)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub version: Option<String>,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    pub depends_on: Vec<Expr>,
    /// `providers = { aws = aws.west }`: child name to parent provider (name, alias).
    pub providers: Vec<(String, (String, Option<String>))>,
    /// The input variables passed to the module.
    pub inputs: IndexMap<String, Attribute>,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Moved {
    pub from: Expr,
    pub to: Expr,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Removed {
    pub from: Expr,
    /// `lifecycle { destroy = false }` keeps the object and only forgets it.
    pub destroy: bool,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Import {
    pub to: Expr,
    pub id: Expr,
    pub provider: Option<(String, Option<String>)>,
    pub for_each: Option<Expr>,
    pub range: DeclRange,
}

#[derive(Clone, Debug)]
pub struct Check {
    pub name: String,
    pub data: Vec<Resource>,
    pub asserts: Vec<CheckRule>,
    pub range: DeclRange,
}
