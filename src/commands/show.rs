//! `slipway show [PLANFILE]`: a saved plan as plan prints it, or the state resource by resource.

use std::process::ExitCode;

use slipway_core::Diagnostic;
use slipway_core::address::{ResourceInstanceAddr, ResourceMode};
use slipway_core::render::{Redaction, quote, render_value};
use slipway_engine::plan::prior::decode_object;
use slipway_engine::providers::ProviderSet;
use slipway_engine::state::InstanceObject;

use super::plan::fail;
use super::session::{Session, providers};
use crate::cli::{ShowArgs, VarArgs};

pub fn run(args: &ShowArgs) -> ExitCode {
    if let Some(path) = &args.plan_file {
        let saved = match super::planfile::load_in_workspace(path) {
            Ok(saved) => saved,
            Err(message) => return fail(&message),
        };
        if args.json {
            outln!("{}", crate::render::plan_to_json(&saved.plan));
        } else if args.markdown {
            out!("{}", crate::render::plan_to_markdown(&saved.plan, &providers().schemas(), args.markdown_limit.chars));
        } else {
            out!(
                "{}",
                crate::render::render_plan_with_schemas(
                    &saved.plan,
                    &providers().schemas(),
                    crate::render::use_color(args.no_color)
                )
            );
        }
        return ExitCode::SUCCESS;
    }
    let Some(session) = Session::open(&VarArgs::default(), args.no_color) else {
        return ExitCode::from(1);
    };
    let manager = match session.store.load_state() {
        Ok(manager) => manager,
        Err(message) => return fail(&message),
    };
    let state = manager.state();
    if args.json {
        outln!("{}", String::from_utf8_lossy(&state.to_json()));
        return ExitCode::SUCCESS;
    }
    if state.is_empty() {
        outln!("The state file is empty. No resources are represented.");
        return ExitCode::SUCCESS;
    }
    let providers = providers();
    for (addr, object) in &state.instances {
        match render_instance(addr, object, &providers) {
            Ok(text) => outln!("{text}"),
            Err(d) => outln!("# {addr}:\n# ({})\n", d.detail),
        }
    }
    if !state.outputs.is_empty() {
        outln!("\nOutputs:\n");
        super::output::print_all_outputs(state, false);
    }
    ExitCode::SUCCESS
}

/// One instance as `show` and `state show` print it: `# ADDR:`, then its attributes as a
/// `resource` (or `data`) block, sensitive values redacted; the error when its provider cannot
/// decode it.
#[allow(clippy::result_large_err)] // the cold path, and it goes straight to the user
pub fn render_instance(
    addr: &ResourceInstanceAddr,
    object: &InstanceObject,
    providers: &ProviderSet,
) -> Result<String, Diagnostic> {
    let value = decode_object(addr, object, providers)?;
    let kind = if addr.resource.mode == ResourceMode::Data { "data" } else { "resource" };
    let body = render_value(&value, Redaction::Redact);
    Ok(format!("# {addr}:\n{kind} {} {} {body}\n", quote(&addr.resource.type_name), quote(&addr.resource.name)))
}
