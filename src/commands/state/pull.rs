//! `slipway state pull`: the current state document, any journal a stopped run left replayed
//! onto it, as JSON on standard output. Nothing when there is no state yet, as Terraform does.

use super::never_stored;
use crate::commands::session::StateStore;
use crate::commands::write_stdout;

pub fn run() -> Result<(), String> {
    let store = StateStore::open()?;
    let manager = store.load_state()?;
    if !never_stored(manager.state()) {
        write_stdout(&String::from_utf8_lossy(&manager.state().to_json()));
    }
    Ok(())
}
