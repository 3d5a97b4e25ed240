//! The working directory's client-side encryption (`terraform { encryption { ... } }`): the
//! state's, which wraps the backend so that every byte it stores is sealed, and saved plans'.

use std::collections::BTreeMap;

use slipway_engine::encryption::{EncryptionInputs, EncryptionSettings, KeyProviders, encryption_settings};
use slipway_lang::evaluate::InputValue;
use slipway_lang::fs::OsFileSystem;
use slipway_lang::vars::collect_inputs;

use super::Workspace;
use crate::diagnostics::render_to_string;

/// Key provider types beyond the engine's `pbkdf2`.
fn key_providers() -> KeyProviders {
    BTreeMap::from([("aws_kms".to_string(), slipway_provider_aws::kms_keys::factory())])
}

/// What the configuration's encryption block asks for, with variables from `inputs`; no
/// encryption without a block. The error is the rendered diagnostics.
pub fn settings(workspace: &Workspace, inputs: &BTreeMap<String, InputValue>) -> Result<EncryptionSettings, String> {
    let Some(block) = &workspace.config.module.terraform.encryption else {
        return Ok(EncryptionSettings::default());
    };
    let fs = OsFileSystem;
    let context = EncryptionInputs {
        config: &workspace.config,
        inputs,
        sources: &workspace.sources,
        fs: &fs,
        working_dir: &workspace.dir,
    };
    let (settings, diags) = encryption_settings(block, &context, &key_providers());
    if diags.has_errors() {
        return Err(render_to_string(&diags, &workspace.sources));
    }
    Ok(settings)
}

/// As [`settings`], for commands that take no `-var` (the `state` commands, `show`): variables
/// from tfvars files and `TF_VAR_` only.
pub fn settings_from_files(workspace: &mut Workspace) -> Result<EncryptionSettings, String> {
    if workspace.config.module.terraform.encryption.is_none() {
        return Ok(EncryptionSettings::default());
    }
    let env: Vec<(String, String)> = std::env::vars().collect();
    let dir = workspace.dir.clone();
    let (inputs, diags) =
        collect_inputs(&workspace.config.module, &dir, &[], &env, &OsFileSystem, &mut workspace.sources);
    if diags.has_errors() {
        return Err(render_to_string(&diags, &workspace.sources));
    }
    settings(workspace, &inputs)
}

/// The variables the encryption block reads: passphrases, which saved plans must not hold.
pub fn key_variables(workspace: &Workspace) -> std::collections::BTreeSet<String> {
    let Some(block) = &workspace.config.module.terraform.encryption else { return Default::default() };
    slipway_lang::references::body_references(&block.body)
        .into_iter()
        .filter_map(|(_, found)| match found.reference {
            slipway_lang::eval::Reference::Variable(name) => Some(name),
            _ => None,
        })
        .collect()
}
