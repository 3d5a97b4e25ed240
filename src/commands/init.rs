//! `slipway init`: checks that the working directory is ready. Providers are built in and local
//! modules are read in place, so there is nothing to download; what init does is check that every
//! provider the configuration uses is available and the backend is one slipway has.

use std::collections::BTreeSet;
use std::process::ExitCode;

use super::Workspace;
use super::session::providers;
use crate::cli::InitArgs;
use crate::diagnostics::print_diagnostics;

pub fn run(args: &InitArgs) -> ExitCode {
    let workspace = Workspace::load();
    print_diagnostics(&workspace.diagnostics, &workspace.sources, args.no_color);
    if workspace.diagnostics.has_errors() {
        return ExitCode::from(1);
    }
    let available = providers();
    outln!("\nInitializing the backend...");
    match &workspace.config.module.terraform.backend {
        None => outln!("Using the local backend: state in slipway.tfstate."),
        Some(backend) if backend.kind == "local" => outln!("Using the local backend."),
        Some(backend) => {
            eprintln!(
                "Error: Unsupported backend type\n\nThe backend {:?} is not available in this build of slipway; use \"local\".",
                backend.kind
            );
            return ExitCode::from(1);
        }
    }
    outln!("\nInitializing provider plugins...");
    let mut used = BTreeSet::new();
    collect_providers(&workspace.config, &mut used);
    let mut missing = Vec::new();
    for name in &used {
        if available.template(name).is_some() {
            outln!("- Using the built-in provider {name:?}");
        } else {
            missing.push(name.clone());
        }
    }
    if !missing.is_empty() {
        let names: Vec<&str> = available.names().collect();
        eprintln!(
            "\nError: Provider not available\n\nThe configuration uses {} which this build of slipway does not include. Available providers: {}.",
            missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join(", "),
            names.join(", ")
        );
        return ExitCode::from(1);
    }
    outln!(
        "\nSlipway has been successfully initialized!\n\nYou may now begin working with Slipway. Try running \"slipway plan\" to see\nany changes that are required for your infrastructure."
    );
    ExitCode::SUCCESS
}

fn collect_providers(config: &slipway_lang::config::Config, used: &mut BTreeSet<String>) {
    for resource in config.module.resources.values() {
        used.insert(resource.provider_name());
    }
    for provider in &config.module.providers {
        used.insert(provider.name.clone());
    }
    for child in config.children.values() {
        collect_providers(child, used);
    }
}
