//! What the commands that read or change state share: the configuration with its variables, the
//! providers, the backend and the state lock, and the runtime provider calls run on.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use slipway_core::backend::{Backend, BackendError};
use slipway_engine::lock::StateLock;
use slipway_engine::providers::{ConfigureContext, ProviderSet, configure_providers};
use slipway_engine::state::{State, StateManager};
use slipway_lang::evaluate::InputValue;
use slipway_lang::fs::OsFileSystem;
use slipway_lang::vars::{CliVar, collect_inputs};

use super::Workspace;
use super::backend::{self, BackendRecord};
use super::encryption;
use crate::cli::{LockArgs, VarArgs};
use crate::diagnostics::{print_diagnostics, print_plain_error};
use slipway_engine::encryption::{EncryptedBackend, Encryption};
use slipway_lang::config::BackendConfig;

pub struct Session {
    pub workspace: Workspace,
    pub inputs: BTreeMap<String, InputValue>,
    pub providers: ProviderSet,
    pub store: StateStore,
    pub no_color: bool,
    /// How saved plans are encrypted (`encryption { plan { ... } }`); `None` for plain plans.
    pub plan_encryption: Option<Encryption>,
}

/// The state of the working directory's workspace: its backend, the lock on it, and the
/// runtime backend calls run on. The `state` commands need no more than this, so that a
/// configuration with errors never stands between a user and repairing the state.
pub struct StateStore {
    pub dir: PathBuf,
    pub backend: Arc<dyn Backend>,
    pub workspace_name: String,
    pub runtime: tokio::runtime::Runtime,
    /// Releases the lock on Ctrl-C outside apply's own handling (see [`set_applying`]).
    interrupt: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Whether apply's walker is running: it handles Ctrl-C itself (finishing what is in progress,
/// then saving state and releasing the lock), so the lock's own handler stands aside.
static APPLYING: AtomicBool = AtomicBool::new(false);

pub fn set_applying(applying: bool) {
    APPLYING.store(applying, Ordering::SeqCst);
}

/// Every provider this build of slipway includes.
pub fn providers() -> ProviderSet {
    let mut all = slipway_provider_builtin::providers();
    all.push((slipway_provider_aws::NAME, slipway_provider_aws::factory()));
    all.push((slipway_provider_kubernetes::NAME, slipway_provider_kubernetes::factory()));
    ProviderSet::new(all)
}

impl Session {
    /// Loads the configuration and variables; `None` after printing what is wrong.
    pub fn open(vars: &VarArgs, no_color: bool) -> Option<Session> {
        let mut workspace = Workspace::load();
        let fs = OsFileSystem;
        let cli_vars: Vec<CliVar> = vars
            .vars
            .iter()
            .cloned()
            .map(CliVar::Assignment)
            .chain(vars.var_files.iter().cloned().map(CliVar::File))
            .collect();
        let env: Vec<(String, String)> = std::env::vars().collect();
        let dir = workspace.dir.clone();
        let (inputs, input_diags) =
            collect_inputs(&workspace.config.module, &dir, &cli_vars, &env, &fs, &mut workspace.sources);
        workspace.diagnostics.extend(input_diags);
        if workspace.diagnostics.has_errors() {
            print_diagnostics(&workspace.diagnostics, &workspace.sources, no_color);
            return None;
        }
        let opened = encryption::settings(&workspace, &inputs).and_then(|encryption| {
            let store = StateStore::open_in(dir, workspace.config.module.terraform.backend.as_ref(), encryption.state)?;
            Ok((store, encryption.plan))
        });
        let (store, plan_encryption) = match opened {
            Ok(opened) => opened,
            Err(message) => {
                let _ = print_plain_error(&message);
                return None;
            }
        };
        Some(Session { workspace, inputs, providers: providers(), store, no_color, plan_encryption })
    }

    /// Sets up a provider instance for every configuration the configuration and `state` use
    /// (once: configured instances are kept). Prints what is wrong; false on errors.
    pub fn configure_providers(&self, state: &State) -> bool {
        let diags = self.provider_configuration(state);
        print_diagnostics(&diags, &self.workspace.sources, self.no_color);
        !diags.has_errors()
    }

    /// What [`Session::configure_providers`] does, returning the diagnostics.
    pub fn provider_configuration(&self, state: &State) -> slipway_core::Diagnostics {
        let fs = OsFileSystem;
        let settings = self.workspace.settings(&fs, false);
        let ctx = ConfigureContext {
            config: &self.workspace.config,
            sources: &self.workspace.sources,
            inputs: &self.inputs,
            settings: &settings,
            state,
            runtime: self.store.runtime.handle(),
        };
        configure_providers(&ctx, &self.providers)
    }
}

impl StateStore {
    /// The state of the working directory.
    pub fn open() -> Result<StateStore, String> {
        // Only the backend block matters here: errors elsewhere in the configuration must not
        // stand between a user and the state.
        let mut workspace = Workspace::load();
        if workspace.diagnostics.has_errors()
            && let Some(record) = backend::read_record(&workspace.dir)?
        {
            // The backend block may be what does not parse: trust what init recorded. Without
            // a configuration there is no encryption block either; an encrypted state then
            // says so when it is read.
            return StateStore::with_record(workspace.dir, &record, None);
        }
        let encryption = encryption::settings_from_files(&mut workspace)?;
        StateStore::open_in(workspace.dir, workspace.config.module.terraform.backend.as_ref(), encryption.state)
    }

    /// The state of `dir` in the backend that `block` and `init` chose.
    pub fn open_in(
        dir: PathBuf,
        block: Option<&BackendConfig>,
        encryption: Option<Encryption>,
    ) -> Result<StateStore, String> {
        let record = backend::resolve(&dir, block)?;
        StateStore::with_record(dir, &record, encryption)
    }

    /// The state of `dir` in the backend `record` describes, sealed with `encryption`.
    pub fn with_record(
        dir: PathBuf,
        record: &BackendRecord,
        encryption: Option<Encryption>,
    ) -> Result<StateStore, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| format!("Error: could not start the runtime: {e}"))?;
        let mut backend = runtime.block_on(backend::open(&dir, record))?;
        if let Some(encryption) = encryption {
            backend = Arc::new(EncryptedBackend::new(backend, encryption));
        }
        Ok(StateStore {
            backend,
            workspace_name: backend::current_workspace(&dir),
            dir,
            runtime,
            interrupt: std::sync::Mutex::new(None),
        })
    }

    /// Takes the state lock unless `-lock=false`.
    pub fn lock(&self, args: &LockArgs, operation: &str) -> Result<Option<StateLock>, String> {
        self.lock_workspace(args, &self.workspace_name, operation)
    }

    /// Takes the lock of another workspace's state unless `-lock=false`.
    pub fn lock_workspace(
        &self,
        args: &LockArgs,
        workspace: &str,
        operation: &str,
    ) -> Result<Option<StateLock>, String> {
        if !args.lock {
            return Ok(None);
        }
        let timeout = parse_duration(&args.lock_timeout)?;
        let acquired = self.runtime.block_on(StateLock::acquire(self.backend.clone(), workspace, operation, timeout));
        match acquired {
            Ok(lock) => {
                self.release_on_interrupt(workspace, lock.id());
                Ok(Some(lock))
            }
            Err(BackendError::Locked(info)) => Err(format!(
                "Error acquiring the state lock\n\nThe state is locked by another run:\n  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Version:   {}\n  Created:   {}{}\n\nWait for it to finish (-lock-timeout=5m waits), or, if it is gone, remove the lock with\n    slipway force-unlock {}",
                info.id,
                info.path,
                info.operation,
                info.who,
                info.version,
                info.created,
                age(&info.created),
                info.id
            )),
            Err(e) => Err(format!("Error acquiring the state lock: {e}")),
        }
    }

    /// Ctrl-C while the lock is held (at a prompt, while planning): release it, then stop.
    fn release_on_interrupt(&self, workspace: &str, id: &str) {
        let backend = self.backend.clone();
        let (workspace, id) = (workspace.to_string(), id.to_string());
        let task = self.runtime.spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if APPLYING.load(Ordering::SeqCst) {
                    continue;
                }
                eprintln!("\nInterrupt received: releasing the state lock and stopping.");
                if let Err(e) = backend.unlock(&workspace, &id).await {
                    eprintln!("Error releasing the state lock: {e}");
                }
                std::process::exit(130);
            }
        });
        if let Ok(mut slot) = self.interrupt.lock()
            && let Some(old) = slot.replace(task)
        {
            old.abort();
        }
    }

    pub fn release(&self, lock: Option<StateLock>) {
        if let Ok(mut slot) = self.interrupt.lock()
            && let Some(task) = slot.take()
        {
            task.abort();
        }
        if let Some(lock) = lock
            && let Err(e) = self.runtime.block_on(lock.release())
        {
            let _ = print_plain_error(&format!("Error releasing the state lock: {e}"));
        }
    }

    pub fn load_state(&self) -> Result<StateManager, String> {
        self.runtime
            .block_on(StateManager::load(self.backend.clone(), &self.workspace_name))
            .map(|(manager, _)| manager)
            .map_err(|e| format!("Error loading state: {e}"))
    }
}

/// How long ago an RFC 3339 time was: ` (42s ago)`, or nothing when it cannot be read.
fn age(created: &str) -> String {
    let Ok(then) = chrono::DateTime::parse_from_rfc3339(created) else {
        return String::new();
    };
    let seconds = (chrono::Utc::now() - then.to_utc()).num_seconds().max(0);
    match seconds {
        0..120 => format!(" ({seconds}s ago)"),
        120..7200 => format!(" ({}m ago)", seconds / 60),
        _ => format!(" ({}h ago)", seconds / 3600),
    }
}

/// `30s`, `5m`, `1h`, `0s`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 =
        digits.parse().map_err(|_| format!("Invalid duration {text:?}: use a number and a unit, as in 30s or 5m."))?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "ms" => return Ok(Duration::from_millis(n)),
        _ => return Err(format!("Invalid duration {text:?}: the unit must be ms, s, m or h.")),
    };
    Ok(Duration::from_secs(seconds))
}
