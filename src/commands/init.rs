//! `slipway init`: checks that the working directory is ready. Providers are built in and local
//! modules are read in place, so there is nothing to download; what init does is check that every
//! provider the configuration uses is available and the backend is one slipway has.

use std::collections::BTreeSet;
use std::process::ExitCode;

use std::collections::BTreeMap;

use slipway_provider_aws::backend_s3::S3Settings;

use super::Workspace;
use super::backend::{self, BackendRecord};
use super::plan::fail;
use super::session::{StateStore, providers};
use crate::cli::InitArgs;
use crate::diagnostics::print_diagnostics;

pub fn run(args: &InitArgs) -> ExitCode {
    let mut workspace = Workspace::load();
    print_diagnostics(&workspace.diagnostics, &workspace.sources, args.no_color);
    if workspace.diagnostics.has_errors() {
        return ExitCode::from(1);
    }
    let available = providers();
    outln!("\nInitializing the backend...");
    match init_backend(args, &mut workspace) {
        Ok(message) => outln!("{message}"),
        Err(message) => return fail(&message),
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

/// Sets up the backend the configuration asks for, moving the state from the previous one with
/// `-migrate-state`; what to tell the user.
fn init_backend(args: &InitArgs, workspace: &mut Workspace) -> Result<String, String> {
    let encryption = super::encryption::settings_from_files(workspace)?;
    let dir = &workspace.dir;
    let block = workspace.config.module.terraform.backend.as_ref();
    let previous =
        if args.reconfigure { None } else { Some(backend::read_record(dir)?.unwrap_or_else(BackendRecord::local)) };
    let wanted = match block {
        None => BackendRecord::local(),
        Some(b) if b.kind == "local" => BackendRecord::local(),
        Some(b) if b.kind == "s3" => {
            let block_settings = backend::block_settings(b).map_err(|e| format!("Error: {e}"))?;
            let block_hash = backend::hash(&block_settings);
            match &previous {
                // The same block and no new -backend-config: the settings init recorded stand.
                Some(p) if args.backend_config.is_empty() && p.kind == "s3" && p.block_hash == block_hash => p.clone(),
                _ => {
                    let mut config: BTreeMap<String, String> = block_settings;
                    config.extend(backend::cli_settings(&args.backend_config, dir)?);
                    S3Settings::from_map(&config).map_err(|e| format!("Error: {e}"))?;
                    BackendRecord { kind: "s3".into(), config, block_hash }
                }
            }
        }
        Some(b) => {
            return Err(format!(
                "Error: Unsupported backend type\n\nThe backend {:?} is not available in this build of slipway; use \"local\" or \"s3\".",
                b.kind
            ));
        }
    };
    // Both ends of a migration are sealed alike: encryption belongs to the state, not to where
    // it is stored.
    let new_store = StateStore::with_record(dir.clone(), &wanted, encryption.state.clone())?;
    // Reaching the backend now, not at the first plan, says at once what is wrong with it.
    new_store
        .runtime
        .block_on(new_store.backend.workspaces())
        .map_err(|e| format!("Error: Failed to reach the {}: {e}", wanted.describe()))?;
    let mut message = format!("Using the {}.", wanted.describe());
    if let Some(previous) = previous.filter(|p| *p != wanted) {
        let old_store = StateStore::with_record(dir.clone(), &previous, encryption.state.clone())?;
        let with_state = workspaces_with_state(&old_store)?;
        if !with_state.is_empty() {
            if !args.migrate_state {
                return Err(format!(
                    "Error: Backend configuration changed\n\nThe {} holds state (workspaces: {}) and the configuration now uses the {}. To copy that state to it, run\n    slipway init -migrate-state\nor, to use the new backend as it is and leave the old state where it is, run\n    slipway init -reconfigure",
                    previous.describe(),
                    with_state.join(", "),
                    wanted.describe()
                ));
            }
            for name in &with_state {
                migrate(&old_store, &new_store, name, args)?;
            }
            message = format!(
                "Copied the state of {} workspace(s) ({}) from the {} to the {}.",
                with_state.len(),
                with_state.join(", "),
                previous.describe(),
                wanted.describe()
            );
        }
    }
    backend::write_record(dir, &wanted)?;
    Ok(message)
}

/// The workspaces of a backend whose state has anything in it.
fn workspaces_with_state(store: &StateStore) -> Result<Vec<String>, String> {
    let names = store
        .runtime
        .block_on(store.backend.workspaces())
        .map_err(|e| format!("Error: could not list the workspaces of the previous backend: {e}"))?;
    let mut with_state = Vec::new();
    for name in names {
        let manager = store
            .runtime
            .block_on(slipway_engine::state::StateManager::load(store.backend.clone(), &name))
            .map_err(|e| format!("Error loading the state of workspace {name:?}: {e}"))?
            .0;
        if !manager.state().is_empty() || manager.state().serial > 0 {
            with_state.push(name);
        }
    }
    Ok(with_state)
}

/// Copies one workspace's state, under the new backend's lock.
fn migrate(old: &StateStore, new: &StateStore, name: &str, args: &InitArgs) -> Result<(), String> {
    let (source, _) = old
        .runtime
        .block_on(slipway_engine::state::StateManager::load(old.backend.clone(), name))
        .map_err(|e| format!("Error loading the state of workspace {name:?}: {e}"))?;
    let timeout = super::session::parse_duration(&args.lock.lock_timeout)?;
    let lock = new
        .runtime
        .block_on(slipway_engine::lock::StateLock::acquire(new.backend.clone(), name, "OperationTypeMigrate", timeout))
        .map_err(|e| format!("Error acquiring the state lock of workspace {name:?} in the new backend: {e}"))?;
    let result = (|| {
        let (mut target, _) = new
            .runtime
            .block_on(slipway_engine::state::StateManager::load(new.backend.clone(), name))
            .map_err(|e| format!("Error loading the state of workspace {name:?} in the new backend: {e}"))?;
        if !target.state().is_empty() && !args.force_copy {
            return Err(format!(
                "Error: The new backend already has state for workspace {name:?} ({}, serial {}). To overwrite it with the previous backend's, run\n    slipway init -migrate-state -force-copy",
                new.backend.describe(name),
                target.state().serial
            ));
        }
        let _ = target.replace(source.state().clone(), true);
        new.runtime
            .block_on(target.persist(&new.dir))
            .map_err(|e| format!("Error writing the state of workspace {name:?}: {e}"))
    })();
    new.release(Some(lock));
    result
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
