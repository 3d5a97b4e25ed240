//! Command-line arguments as the user typed them. Terraform spells long options with one dash
//! (`-json`, `-chdir=DIR`); [`normalize_args`] accepts that spelling as well as `--json`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "slipway",
    version,
    about = "Infrastructure as code: from Terraform-language files to a running Kubernetes cluster on AWS."
)]
pub struct Cli {
    /// Switch to a different working directory before running the command.
    #[arg(long, global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check whether the configuration is valid.
    Validate(ValidateArgs),
    /// Rewrite configuration files to the canonical format and style.
    Fmt(FmtArgs),
    /// Evaluate expressions against the configuration, one per line of input.
    Console(ConsoleArgs),
    /// Show the slipway version.
    Version(VersionArgs),
    /// Prepare the working directory: check the backend, providers and modules.
    Init(InitArgs),
    /// Show what apply would change, touching nothing.
    Plan(PlanArgs),
    /// Make the changes a plan calls for.
    Apply(ApplyArgs),
    /// Destroy everything this configuration manages (apply -destroy).
    Destroy(ApplyArgs),
    /// Update state to match what exists (apply -refresh-only -auto-approve).
    Refresh(ApplyArgs),
    /// Show the state, or a saved plan.
    Show(ShowArgs),
    /// Show output values from the state.
    Output(OutputArgs),
    /// Inspect and change the state: list, show, mv, rm, pull, push.
    #[command(subcommand)]
    State(StateCommand),
    /// Remove the state lock that a run which stopped left behind.
    ForceUnlock(ForceUnlockArgs),
    /// Print the resource dependency graph, or a plan's execution graph, in Graphviz DOT.
    Graph(GraphArgs),
    /// Bring an existing object under management: slipway import ADDRESS ID.
    Import(ImportArgs),
    /// Work with workspaces: list, new, select, show, delete.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Look at the Kubernetes cluster the configuration made: validate.
    #[command(subcommand)]
    Cluster(ClusterCommand),
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Check that every node group has its Ready nodes and the control plane runs, as kops
    /// validate cluster does; exit code 1 when it does not (after -wait, when given).
    Validate(ClusterValidateArgs),
}

#[derive(Debug, Args)]
pub struct ClusterValidateArgs {
    /// The root module output that holds the admin kubeconfig.
    #[arg(long, default_value = "kubeconfig")]
    pub kubeconfig_output: String,
    /// A kubeconfig file to use instead of the output.
    #[arg(long)]
    pub kubeconfig: Option<String>,
    /// The API server's URL, instead of the kubeconfig's (a tunnel, a bastion), as kubectl --server.
    #[arg(long)]
    pub server: Option<String>,
    /// Keep validating until the cluster is valid or this long has passed, as in "10m".
    #[arg(long)]
    pub wait: Option<String>,
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// List the workspaces; the selected one is marked with *.
    List,
    /// Show the selected workspace.
    Show,
    /// Create a workspace and select it.
    New(WorkspaceNewArgs),
    /// Select a workspace.
    Select(WorkspaceSelectArgs),
    /// Delete a workspace and its state.
    Delete(WorkspaceDeleteArgs),
}

#[derive(Debug, Args)]
pub struct WorkspaceNewArgs {
    #[command(flatten)]
    pub lock: LockArgs,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct WorkspaceSelectArgs {
    /// Create the workspace when it does not exist.
    #[arg(long)]
    pub or_create: bool,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct WorkspaceDeleteArgs {
    /// Delete even when the workspace's state still has resources.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Ask for missing variables interactively (default true; slipway never asks).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub input: bool,
    #[arg(long)]
    pub no_color: bool,
    /// Where the object goes, as a resource instance address: aws_instance.web["a"].
    pub address: String,
    /// The provider's ID of the existing object.
    pub id: String,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the resource instances in the state.
    List(StateListArgs),
    /// Show one resource instance in the state.
    Show(StateShowArgs),
    /// Move an instance, a resource or a module to another address in the state.
    Mv(StateMvArgs),
    /// Remove instances from the state, leaving the objects themselves alone.
    Rm(StateRmArgs),
    /// Print the current state (or an earlier version of it) as JSON.
    Pull(StatePullArgs),
    /// Replace the state with a state file.
    Push(StatePushArgs),
    /// List the stored versions of the state (S3 with bucket versioning).
    Versions(StateVersionsArgs),
}

/// The state lock, for every command that reads state to change it.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// Take the state lock (default true).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub lock: bool,
    /// How long to wait for the state lock: 0s, 30s, 5m.
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    pub lock_timeout: String,
}

impl Default for LockArgs {
    /// As the command line's defaults: lock, and do not wait.
    fn default() -> Self {
        LockArgs { lock: true, lock_timeout: "0s".into() }
    }
}

#[derive(Debug, Args)]
pub struct StateListArgs {
    /// Only instances with this `id` attribute.
    #[arg(long, value_name = "ID")]
    pub id: Option<String>,
    /// Only instances these resource, instance or module addresses contain.
    #[arg(value_name = "ADDRESS")]
    pub addresses: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StateShowArgs {
    /// The resource instance to show, as in aws_instance.web[0].
    #[arg(value_name = "ADDRESS")]
    pub address: String,
}

#[derive(Debug, Args)]
pub struct StateMvArgs {
    /// Show what would move, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// The instance, resource or module to move.
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// Its new address.
    #[arg(value_name = "DESTINATION")]
    pub destination: String,
}

#[derive(Debug, Args)]
pub struct StateRmArgs {
    /// Show what would be removed, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Instances, resources or modules to remove (every instance they contain).
    #[arg(value_name = "ADDRESS", required = true)]
    pub addresses: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatePullArgs {
    /// An earlier version of the state, by the ID `slipway state versions` lists.
    #[arg(long, value_name = "ID")]
    pub version: Option<String>,
}

#[derive(Debug, Args)]
pub struct StateVersionsArgs {}

#[derive(Debug, Args)]
pub struct StatePushArgs {
    /// Push even when the lineage differs or the serial is lower than the current state's.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub lock: LockArgs,
    /// The state file to push; `-` reads standard input.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    /// Unlock without asking for confirmation.
    #[arg(long)]
    pub force: bool,
    /// The ID of the lock, as the error that reported it said.
    #[arg(value_name = "LOCK_ID")]
    pub lock_id: String,
}

/// Which graph `slipway graph` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphType {
    /// The resources of the configuration and what each depends on.
    Plan,
    /// The operations of a plan and the order apply runs them in.
    Apply,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// plan (the default): resource dependencies; apply: a plan's operations.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub graph_type: Option<GraphType>,
    /// The execution graph of this saved plan (implies -type=apply).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(Debug, Args, Default)]
pub struct InitArgs {
    #[arg(long)]
    pub no_color: bool,
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub input: bool,
    /// Backend settings beyond the block's: KEY=VALUE, or a file of HCL attributes. May be repeated.
    #[arg(long = "backend-config", value_name = "KEY=VALUE|FILE")]
    pub backend_config: Vec<String>,
    /// Copy the state of the previous backend to the new one.
    #[arg(long)]
    pub migrate_state: bool,
    /// Use the backend as configured, ignoring the previous one and its state.
    #[arg(long)]
    pub reconfigure: bool,
    /// With -migrate-state: overwrite state that the new backend already has.
    #[arg(long)]
    pub force_copy: bool,
    #[command(flatten)]
    pub lock: LockArgs,
}

/// What plan, apply and destroy share.
#[derive(Debug, Args, Default, Clone)]
pub struct PlanFlags {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Plan to destroy everything in state.
    #[arg(long)]
    pub destroy: bool,
    /// Read what exists before planning (default true).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    /// Only update state to match what exists.
    #[arg(long)]
    pub refresh_only: bool,
    /// Limit the plan to these resources and what they depend on. May be repeated.
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// Fail if the plan destroys or replaces a resource matching this address pattern (`*`
    /// matches anything: `module.prod.*`). May be repeated.
    #[arg(long = "deny-destroy", value_name = "PATTERN")]
    pub deny_destroy: Vec<String>,
    /// Replace this instance even if nothing changed. May be repeated.
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<String>,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Ask for missing variables interactively (default true; slipway never asks).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub input: bool,
    #[arg(long)]
    pub no_color: bool,
}

/// How long the Markdown plan may be: details are left out to stay under it, the summary never.
#[derive(Debug, Args, Clone, Copy)]
pub struct MarkdownLimit {
    /// Most characters of the Markdown plan (GitHub comments take 65,536).
    #[arg(long = "markdown-limit", value_name = "CHARS", default_value_t = crate::render::MARKDOWN_LIMIT)]
    pub chars: usize,
}

impl Default for MarkdownLimit {
    fn default() -> Self {
        MarkdownLimit { chars: crate::render::MARKDOWN_LIMIT }
    }
}

#[derive(Debug, Args, Default)]
pub struct PlanArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Save the plan to this file, for apply to carry out exactly.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Print the plan as JSON (the shape of terraform show -json PLANFILE).
    #[arg(long)]
    pub json: bool,
    /// Also write the plan as Markdown for a pull-request comment to this file.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    #[command(flatten)]
    pub markdown_limit: MarkdownLimit,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args, Default)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Apply without asking for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// After the apply, wait until the Kubernetes cluster it made validates (as slipway cluster
    /// validate -wait), up to this long (15m when no duration is given).
    #[arg(long, value_name = "DURATION", num_args = 0..=1, require_equals = true, default_missing_value = "15m")]
    pub wait_ready: Option<String>,
    /// A plan saved with plan -out: apply exactly that.
    pub plan_file: Option<PathBuf>,
}

#[derive(Debug, Args, Default)]
pub struct ShowArgs {
    /// A saved plan file; without it, the state.
    pub plan_file: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
    /// Print the saved plan as Markdown for a pull-request comment.
    #[arg(long)]
    pub markdown: bool,
    #[command(flatten)]
    pub markdown_limit: MarkdownLimit,
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args, Default)]
pub struct OutputArgs {
    /// One output's name; without it, all of them.
    pub name: Option<String>,
    #[arg(long)]
    pub json: bool,
    /// Print a string output's value without quotes.
    #[arg(long)]
    pub raw: bool,
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Print the result as JSON, in the format of `terraform validate -json`.
    #[arg(long)]
    pub json: bool,
    /// Disable colour in the output.
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Check whether the files are formatted; exit 3 if any is not. Nothing is written.
    #[arg(long)]
    pub check: bool,
    /// Show the changes as unified diffs.
    #[arg(long)]
    pub diff: bool,
    /// Also process files in subdirectories.
    #[arg(long)]
    pub recursive: bool,
    /// List the files whose formatting differs (default true, as in Terraform).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub list: bool,
    /// Write the result back to the files (default true; false with -check).
    #[arg(long, value_name = "BOOL", default_value = "true", action = clap::ArgAction::Set)]
    pub write: bool,
    #[arg(long)]
    pub no_color: bool,
    /// Files or directories to format; `-` reads standard input. Default: the working directory.
    pub targets: Vec<PathBuf>,
}

#[derive(Debug, Args, Default, Clone)]
pub struct VarArgs {
    /// Set an input variable: -var 'name=value'. May be repeated.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Load input variable values from a file. May be repeated.
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print the version as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Rewrites Terraform's single-dash long options (`-json`, `-var=x=1`) to the double-dash form
/// clap parses. A lone `-` (standard input) and negative numbers are left alone.
pub fn normalize_args(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut out = Vec::new();
    let mut after_separator = false;
    for (i, arg) in args.into_iter().enumerate() {
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            after_separator = true;
        }
        let single_dash_long = text.len() > 2
            && text.starts_with('-')
            && !text.starts_with("--")
            && !text[1..2].chars().all(|c| c.is_ascii_digit());
        if i > 0 && !after_separator && single_dash_long {
            out.push(OsString::from(format!("-{text}")));
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_terraform_single_dash_options() {
        let args = normalize_args(["slipway", "-chdir=infra", "validate", "-json", "-", "-5"].map(OsString::from));
        assert_eq!(args, ["slipway", "--chdir=infra", "validate", "--json", "-", "-5"].map(OsString::from));
    }
}
