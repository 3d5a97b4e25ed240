//! `slipway output`: the root module's outputs as the last apply saved them.

use std::process::ExitCode;

use slipway_core::json::from_json;
use slipway_core::render::{Redaction, render_value};
use slipway_engine::state::State;

use super::plan::fail;
use super::session::Session;
use crate::cli::{OutputArgs, VarArgs};

pub fn run(args: &OutputArgs) -> ExitCode {
    let Some(session) = Session::open(&VarArgs::default(), args.no_color) else {
        return ExitCode::from(1);
    };
    let manager = match session.store.load_state() {
        Ok(manager) => manager,
        Err(message) => return fail(&message),
    };
    let state = manager.state();
    match &args.name {
        None if args.json => {
            let doc: serde_json::Map<String, serde_json::Value> = state
                .outputs
                .iter()
                .map(|(name, o)| {
                    (
                        name.clone(),
                        serde_json::json!({
                            "sensitive": o.sensitive,
                            "type": slipway_core::json::type_to_json(&o.ty),
                            "value": o.value,
                        }),
                    )
                })
                .collect();
            outln!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        None => {
            if state.outputs.is_empty() {
                eprintln!(
                    "Warning: No outputs found\n\nThe state has no outputs. If the configuration declares some, run slipway apply to save them."
                );
            }
            print_all_outputs(state, false);
        }
        Some(name) => {
            let Some(output) = state.outputs.get(name) else {
                return fail(&format!(
                    "Error: Output {name:?} not found\n\nThe output variable requested could not be found in the state file. If you recently added it to your configuration, run slipway apply to save it."
                ));
            };
            if args.json {
                outln!("{}", serde_json::to_string_pretty(&output.value).unwrap_or_default());
            } else if args.raw {
                match &output.value {
                    serde_json::Value::String(s) => out!("{s}"),
                    serde_json::Value::Number(_) | serde_json::Value::Bool(_) => out!("{}", output.value),
                    _ => {
                        return fail(&format!(
                            "Error: Unsupported value for raw output\n\nThe -raw option only supports strings, numbers, and boolean values, but output value {name:?} is {}. Use -json instead.",
                            output.ty.friendly_name()
                        ));
                    }
                }
            } else {
                // Asking for one output by name shows it, sensitive or not, as Terraform does.
                outln!("{}", render_value(&from_json(&output.value), Redaction::Reveal));
            }
        }
    }
    ExitCode::SUCCESS
}

/// `name = value` for every output, sensitive ones as `<sensitive>`; after apply with a
/// heading.
pub fn print_all_outputs(state: &State, heading: bool) {
    if state.outputs.is_empty() {
        return;
    }
    if heading {
        outln!("\nOutputs:\n");
    }
    for (name, output) in &state.outputs {
        if output.sensitive {
            outln!("{name} = <sensitive>");
        } else {
            outln!("{name} = {}", render_value(&from_json(&output.value), Redaction::Reveal));
        }
    }
}
