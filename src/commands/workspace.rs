//! `slipway workspace list|show|new|select|delete`: several states for one configuration, in
//! whichever backend it uses (`slipway.tfstate.d/NAME/` locally, `<workspace_key_prefix>/NAME/<key>`
//! on S3). The selection is kept in `.slipway/environment`; `TF_WORKSPACE` overrides it.

use std::process::ExitCode;

use slipway_engine::state::StateManager;

use super::backend::{current_workspace, select_workspace, valid_workspace_name};
use super::plan::fail;
use super::session::StateStore;
use crate::cli::WorkspaceCommand;

pub fn run(command: &WorkspaceCommand) -> ExitCode {
    match workspace(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

fn list(store: &StateStore) -> Result<Vec<String>, String> {
    store.runtime.block_on(store.backend.workspaces()).map_err(|e| format!("Error: could not list the workspaces: {e}"))
}

fn check_name(name: &str) -> Result<(), String> {
    if valid_workspace_name(name) {
        Ok(())
    } else {
        Err(format!(
            "Error: Invalid workspace name {name:?}\n\nA workspace name is letters, digits, '-', '_' and '.', at most 90 characters."
        ))
    }
}

fn workspace(command: &WorkspaceCommand) -> Result<(), String> {
    let store = StateStore::open()?;
    let current = current_workspace(&store.dir);
    match command {
        WorkspaceCommand::Show => outln!("{current}"),
        WorkspaceCommand::List => {
            for name in list(&store)? {
                let mark = if name == current { "*" } else { " " };
                outln!("{mark} {name}");
            }
        }
        WorkspaceCommand::New(args) => {
            check_name(&args.name)?;
            if list(&store)?.contains(&args.name) {
                return Err(format!("Error: Workspace {:?} already exists", args.name));
            }
            create(&store, &args.name, &args.lock)?;
            select(&store, &args.name)?;
            outln!(
                "Created and switched to workspace {:?}!\n\nYou're now on a new, empty workspace. Workspaces isolate their state,\nso if you run \"slipway plan\" Slipway will not see any existing state\nfor this configuration.",
                args.name
            );
        }
        WorkspaceCommand::Select(args) => {
            check_name(&args.name)?;
            if !list(&store)?.contains(&args.name) {
                if !args.or_create {
                    return Err(format!(
                        "Error: Workspace {:?} doesn't exist.\n\nYou can create it with\n    slipway workspace new {}",
                        args.name, args.name
                    ));
                }
                create(&store, &args.name, &crate::cli::LockArgs::default())?;
            }
            select(&store, &args.name)?;
            outln!("Switched to workspace {:?}.", args.name);
        }
        WorkspaceCommand::Delete(args) => {
            check_name(&args.name)?;
            if args.name == "default" {
                return Err("Error: The \"default\" workspace cannot be deleted.".into());
            }
            if args.name == current {
                return Err(format!(
                    "Error: Workspace {:?} is your active workspace.\n\nYou cannot delete the currently active workspace. Please switch\nto another workspace and try again, for example with\n    slipway workspace select default",
                    args.name
                ));
            }
            if !list(&store)?.contains(&args.name) {
                return Err(format!("Error: Workspace {:?} doesn't exist.", args.name));
            }
            let lock = store.lock_workspace(&args.lock, &args.name, "OperationTypeWorkspaceDelete")?;
            let result = (|| {
                let (manager, _) = store
                    .runtime
                    .block_on(StateManager::load(store.backend.clone(), &args.name))
                    .map_err(|e| format!("Error loading state: {e}"))?;
                let count = manager.state().instances.len();
                if count > 0 && !args.force {
                    return Err(format!(
                        "Error: Workspace is not empty\n\nWorkspace {:?} still manages {count} resource instance(s). Deleting it would leave them running with no state to destroy them by. Destroy them first (slipway workspace select {} && slipway destroy), or, to forget them, run\n    slipway workspace delete -force {}",
                        args.name, args.name, args.name
                    ));
                }
                store
                    .runtime
                    .block_on(store.backend.delete_workspace(&args.name))
                    .map_err(|e| format!("Error: could not delete workspace {:?}: {e}", args.name))
            })();
            store.release(lock);
            result?;
            outln!("Deleted workspace {:?}!", args.name);
        }
    }
    Ok(())
}

/// Stores an empty state for the new workspace, so that it is listed.
fn create(store: &StateStore, name: &str, lock: &crate::cli::LockArgs) -> Result<(), String> {
    let held = store.lock_workspace(lock, name, "OperationTypeWorkspaceNew")?;
    let result = store
        .runtime
        .block_on(async {
            let (mut manager, _) = StateManager::load(store.backend.clone(), name).await?;
            manager.store_lineage().await
        })
        .map_err(|e| format!("Error: could not create workspace {name:?}: {e}"));
    store.release(held);
    result
}

fn select(store: &StateStore, name: &str) -> Result<(), String> {
    if std::env::var("TF_WORKSPACE").is_ok_and(|w| !w.is_empty() && w != name) {
        return Err(format!(
            "Error: TF_WORKSPACE is set, so the selected workspace is what it says; unset it to select {name:?}."
        ));
    }
    select_workspace(&store.dir, name)
}
