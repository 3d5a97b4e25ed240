//! `slipway state show ADDRESS`: one instance's attributes as `terraform state show` prints
//! them, sensitive values redacted.

use slipway_core::address::ResourceInstanceAddr;

use super::load_existing;
use crate::cli::StateShowArgs;
use crate::commands::session::{StateStore, providers};
use crate::commands::show::render_instance;
use crate::commands::write_stdout;

pub fn run(args: &StateShowArgs) -> Result<(), String> {
    let addr: ResourceInstanceAddr = args.address.parse().map_err(|e| {
        format!(
            "Error: Invalid address\n\n{e}. state show takes one resource instance, as in aws_instance.web or aws_instance.web[0]."
        )
    })?;
    let store = StateStore::open()?;
    let manager = load_existing(&store)?;
    let state = manager.state();
    let Some(object) = state.instances.get(&addr) else {
        let resource = addr.without_key();
        let hint = match state.instances.keys().find(|a| a.without_key() == resource) {
            Some(instance) => format!("{resource} has instances with keys; give one, as in {instance}."),
            None => "Run slipway state list to see the addresses it holds.".into(),
        };
        return Err(format!(
            "Error: No instance found for the given address\n\nThe state has no resource instance {addr}. {hint}"
        ));
    };
    let text = render_instance(&addr, object, &providers()).map_err(|d| {
        format!("Error: {}\n\n{} Run slipway state pull to see the instance as stored.", d.summary, d.detail)
    })?;
    write_stdout(&text);
    Ok(())
}
