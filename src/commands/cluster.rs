//! `slipway cluster validate`: `kops validate cluster` for the cluster this configuration made.
//! The node groups come from the state (every `aws_autoscaling_group` tagged
//! `kubernetes.io/cluster/<name>`, its role from its `k8s.io/role/*` tag, its size from
//! `desired_capacity`), the admin kubeconfig from a root output; the kubernetes provider's
//! `validate` reads the cluster and judges it; this renders the report.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use slipway_engine::state::State;
use slipway_provider_kubernetes::validate::{self, Group, Report, Role};

use super::plan::fail;
use super::session::{StateStore, parse_duration};
use crate::cli::{ClusterCommand, ClusterValidateArgs};

/// How long a failed validation waits before the next, with -wait (kops: 10 s).
const RETRY: Duration = Duration::from_secs(10);

pub fn run(command: &ClusterCommand) -> ExitCode {
    match command {
        ClusterCommand::Validate(args) => match validate_cluster(args) {
            Ok(code) => code,
            Err(message) => fail(&message),
        },
    }
}

/// `apply -wait-ready=DURATION`: the validation `cluster validate -wait=DURATION` does, with
/// the kubeconfig of the `kubeconfig` output.
pub fn wait_ready(wait: &str) -> ExitCode {
    let args = ClusterValidateArgs {
        kubeconfig_output: "kubeconfig".into(),
        kubeconfig: None,
        server: None,
        wait: Some(wait.to_string()),
        no_color: false,
    };
    match validate_cluster(&args) {
        Ok(code) => code,
        Err(message) => fail(&message),
    }
}

fn validate_cluster(args: &ClusterValidateArgs) -> Result<ExitCode, String> {
    let wait = args.wait.as_deref().map(parse_duration).transpose()?.unwrap_or(Duration::ZERO);
    let store = StateStore::open()?;
    let manager = store.load_state()?;
    let state = manager.state();
    let (cluster, groups) = groups_of(state);
    let Some(cluster) = cluster else {
        return Err("Error: No cluster in the state\n\nNo aws_autoscaling_group in the state carries a kubernetes.io/cluster/<name> tag. Apply a configuration that uses modules/kubernetes-cluster first.".into());
    };
    let kubeconfig = match &args.kubeconfig {
        Some(path) => {
            std::fs::read_to_string(path).map_err(|e| format!("Error: Cannot read the kubeconfig\n\n{path}: {e}."))?
        }
        None => kubeconfig_output(state, &args.kubeconfig_output)?,
    };
    let client = store
        .runtime
        .block_on(validate::client(&kubeconfig, args.server.as_deref()))
        .map_err(|e| format!("Error: Cannot reach the cluster\n\nFor {cluster}, {e}."))?;
    let deadline = Instant::now() + wait;
    outln!("Validating cluster {cluster}\n");
    loop {
        let result = store.runtime.block_on(validate::validate(&client, &groups));
        let retry = Instant::now() + RETRY <= deadline;
        match result {
            Ok(report) if report.failures.is_empty() => {
                outln!("{}", render(&report));
                outln!("Your cluster {cluster} is ready");
                return Ok(ExitCode::SUCCESS);
            }
            Ok(report) if !retry => {
                outln!("{}", render(&report));
                return Err(format!(
                    "Error: Validation failed\n\nThe cluster {cluster} is not ready: {}.",
                    summary(&report)
                ));
            }
            Err(e) if !retry => {
                return Err(format!("Error: Validation failed\n\nThe cluster {cluster} could not be read: {e}."));
            }
            Ok(report) => eprintln!("Validation failed: {}; retrying in {}s.", summary(&report), RETRY.as_secs()),
            Err(e) => eprintln!("Validation failed: {e}; retrying in {}s.", RETRY.as_secs()),
        }
        std::thread::sleep(RETRY);
    }
}

/// The cluster's name and its node groups, from the state.
fn groups_of(state: &State) -> (Option<String>, Vec<Group>) {
    let mut cluster = None;
    let mut groups = Vec::new();
    for (addr, object) in &state.instances {
        if addr.resource.type_name != "aws_autoscaling_group" {
            continue;
        }
        let tags: Vec<&str> = object.attributes["tag"]
            .as_array()
            .map(|tags| tags.iter().filter_map(|t| t["key"].as_str()).collect())
            .unwrap_or_default();
        let Some(name) = tags.iter().find_map(|k| k.strip_prefix("kubernetes.io/cluster/")) else { continue };
        cluster.get_or_insert_with(|| name.to_string());
        let role = if tags.contains(&"k8s.io/role/control-plane") { Role::ControlPlane } else { Role::Node };
        groups.push(Group {
            name: object.attributes["name"].as_str().unwrap_or_default().to_string(),
            role,
            desired: object.attributes["desired_capacity"].as_u64().unwrap_or(0),
        });
    }
    groups.sort_by(|a, b| (a.role, &a.name).cmp(&(b.role, &b.name)));
    (cluster, groups)
}

fn kubeconfig_output(state: &State, name: &str) -> Result<String, String> {
    let output = state.outputs.get(name).ok_or_else(|| {
        format!(
            "Error: Output {name:?} not found\n\nslipway cluster validate reads the admin kubeconfig from a root module output: add\n\n  output \"{name}\" {{\n    value     = module.cluster.kubeconfig\n    sensitive = true\n  }}\n\nand apply, or name another output with -kubeconfig-output, or a file with -kubeconfig."
        )
    })?;
    output.value.as_str().map(str::to_string).ok_or_else(|| {
        format!("Error: Output {name:?} is not a kubeconfig\n\nIt must be the kubeconfig document as a string.")
    })
}

/// kops's tables: the groups, the nodes, and what fails.
fn render(report: &Report) -> String {
    let mut out = String::from("INSTANCE GROUPS\n");
    let width = report.groups.iter().map(|g| g.name.len()).max().unwrap_or(4).max(4);
    out.push_str(&format!("{:<width$}  {:<12}  DESIRED\n", "NAME", "ROLE"));
    for g in &report.groups {
        out.push_str(&format!("{:<width$}  {:<12}  {}\n", g.name, g.role.label(), g.desired));
    }
    out.push_str("\nNODE STATUS\n");
    let width = report.nodes.iter().map(|n| n.name.len()).max().unwrap_or(4).max(4);
    out.push_str(&format!("{:<width$}  {:<12}  READY\n", "NAME", "ROLE"));
    for n in &report.nodes {
        out.push_str(&format!(
            "{:<width$}  {:<12}  {}\n",
            n.name,
            n.role.label(),
            if n.ready { "True" } else { "False" }
        ));
    }
    if !report.failures.is_empty() {
        out.push_str("\nVALIDATION ERRORS\n");
        let width = report.failures.iter().map(|f| f.name.len()).max().unwrap_or(4).max(4);
        out.push_str(&format!("{:<13}  {:<width$}  MESSAGE\n", "KIND", "NAME"));
        for f in &report.failures {
            out.push_str(&format!("{:<13}  {:<width$}  {}\n", f.kind, f.name, f.message));
        }
    }
    out
}

fn summary(report: &Report) -> String {
    let n = report.failures.len();
    let first = report.failures.first().map(|f| f.message.clone()).unwrap_or_default();
    if n == 1 { first } else { format!("{first}, and {} more", n - 1) }
}
