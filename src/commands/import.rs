//! `slipway import ADDRESS ID`: reads an existing object through its provider and records it in
//! state at ADDRESS, whose resource block must be in the configuration. Nothing remote changes;
//! the next plan compares the object with its configuration.

use std::process::ExitCode;

use slipway_core::address::{ProviderConfigAddr, ResourceInstanceAddr};
use slipway_engine::plan::import::{ImportedObject, import_object, resource_config};
use slipway_engine::plan::prior::encode_object;
use slipway_engine::providers::provider_for;
use slipway_engine::state::JournalEntry;

use super::plan::fail;
use super::session::Session;
use crate::cli::ImportArgs;
use crate::diagnostics::print_diagnostics;

pub fn run(args: &ImportArgs) -> ExitCode {
    let Some(session) = Session::open(&args.vars, args.no_color) else {
        return ExitCode::from(1);
    };
    let addr: ResourceInstanceAddr = match args.address.parse() {
        Ok(addr) => addr,
        Err(e) => {
            return fail(&format!(
                "Error: Invalid address {:?}: {e}\n\nThe import address is a resource instance address, such as aws_instance.web or module.app.aws_instance.web[\"a\"].",
                args.address
            ));
        }
    };
    if addr.resource.mode != slipway_core::address::ResourceMode::Managed {
        return fail(&format!(
            "Error: Invalid address {addr}\n\nOnly managed resources can be imported, not data sources."
        ));
    }
    let Some(resource) = resource_config(&session.workspace.config, &addr) else {
        return fail(&format!(
            "Error: Resource {} not in the configuration\n\nBefore importing this resource, add a block for it to the configuration:\n\n    resource {:?} {:?} {{\n      # (resource arguments)\n    }}",
            addr.without_key(),
            addr.resource.type_name,
            addr.resource.name
        ));
    };
    let module_path: Vec<String> = addr.module.0.iter().map(|(name, _)| name.clone()).collect();
    let provider = match provider_for(&session.workspace.config, &module_path, resource) {
        Ok(provider) => provider,
        Err(problem) => return fail(&format!("Error: Provider configuration not present\n\n{addr}: {problem}")),
    };
    let lock = match session.store.lock(&args.lock, "OperationTypeImport") {
        Ok(lock) => lock,
        Err(message) => return fail(&message),
    };
    let code = import_with_lock(&session, &addr, &provider, &args.id);
    session.store.release(lock);
    code
}

fn import_with_lock(
    session: &Session,
    addr: &ResourceInstanceAddr,
    provider: &ProviderConfigAddr,
    id: &str,
) -> ExitCode {
    let mut manager = match session.store.load_state() {
        Ok(manager) => manager,
        Err(message) => return fail(&message),
    };
    if !session.configure_providers(manager.state()) {
        return ExitCode::from(1);
    }
    if manager.state().instances.contains_key(addr) {
        return fail(&format!(
            "Error: Resource already managed by slipway\n\nslipway already manages a remote object for {addr}. To import to this address you must first remove the existing object from the state with\n    slipway state rm {addr}"
        ));
    }
    outln!("{addr}: Importing from ID {id:?}...");
    let imported = session.store.runtime.block_on(import_object(&session.providers, provider, addr, id));
    let ImportedObject { value, mut object } = match imported {
        Ok(imported) => imported,
        Err(diags) => {
            print_diagnostics(&diags, &session.workspace.sources, session.no_color);
            return ExitCode::from(1);
        }
    };
    (object.attributes, object.sensitive_paths) = encode_object(&value);
    let recorded = session.store.runtime.block_on(async {
        manager.record(JournalEntry::Put { address: addr.clone(), object }).await?;
        manager.persist(&session.store.dir).await
    });
    if let Err(e) = recorded {
        return fail(&format!("Error: Failed to save state\n\n{e}"));
    }
    outln!("{addr}: Import prepared!\n  Prepared {} for import", addr.resource.type_name);
    outln!(
        "\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour slipway state and will henceforth be managed by slipway."
    );
    ExitCode::SUCCESS
}
