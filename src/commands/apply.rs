//! `slipway apply` (and `destroy`, `refresh`): plans and asks, or takes a saved plan and checks
//! that nothing changed since; then walks the execution graph, saving state after every
//! operation. Ctrl-C starts nothing new and lets what runs finish; a second one aborts.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use slipway_engine::apply::{ApplyContext, ApplyOutcome, apply, evaluate_with_plan};
use slipway_engine::plan::{Action, Plan, PlanMode};
use slipway_engine::state::StateManager;
use slipway_lang::evaluate::{ApplyEvaluator, EvaluatedModule, InputValue};
use slipway_lang::fs::OsFileSystem;

use super::plan::{fail, make_plan, plan_options};
use super::session::Session;
use crate::cli::ApplyArgs;
use crate::diagnostics::print_diagnostics;
use crate::progress::ProgressLines;

/// Which command is running: they differ only in the plan they make.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Apply,
    Destroy,
    Refresh,
}

pub fn run(args: &ApplyArgs, kind: Kind) -> ExitCode {
    let mut flags = args.flags.clone();
    match kind {
        Kind::Destroy => flags.destroy = true,
        Kind::Refresh => flags.refresh_only = true,
        Kind::Apply => {}
    }
    let Some(mut session) = Session::open(&flags.vars, flags.no_color) else {
        return ExitCode::from(1);
    };
    let saved = match &args.plan_file {
        Some(path) => match super::planfile::load(path, session.plan_encryption.as_ref(), &session.store.runtime) {
            Ok(saved) => {
                if !flags.vars.vars.is_empty() || !flags.vars.var_files.is_empty() {
                    return fail(
                        "Error: Can't set variables when applying a saved plan\n\nThe plan was made with its own variable values; -var and -var-file would change them.",
                    );
                }
                // Variables come from the plan, so that the configuration evaluates as it did;
                // but for the encryption block's, which a plan never holds.
                let keys = super::encryption::key_variables(&session.workspace);
                let mut inputs = saved
                    .variables
                    .iter()
                    .map(|(k, v)| {
                        (k.clone(), InputValue { value: v.clone(), range: None, origin: "the saved plan".into() })
                    })
                    .collect::<BTreeMap<_, _>>();
                inputs.extend(
                    session.inputs.iter().filter(|(k, _)| keys.contains(*k)).map(|(k, v)| (k.clone(), v.clone())),
                );
                session.inputs = inputs;
                Some(saved.plan)
            }
            Err(message) => return fail(&message),
        },
        None => None,
    };
    let lock = match session.store.lock(&flags.lock, "OperationTypeApply") {
        Ok(lock) => lock,
        Err(message) => return fail(&message),
    };
    let code = apply_with_lock(&session, args, &flags, saved, kind);
    session.store.release(lock);
    match &args.wait_ready {
        Some(wait) if kind == Kind::Apply && code == ExitCode::SUCCESS => {
            drop(session);
            outln!("");
            super::cluster::wait_ready(wait)
        }
        _ => code,
    }
}

fn apply_with_lock(
    session: &Session,
    args: &ApplyArgs,
    flags: &crate::cli::PlanFlags,
    saved: Option<Plan>,
    kind: Kind,
) -> ExitCode {
    let mut manager = match session.store.load_state() {
        Ok(manager) => manager,
        Err(message) => return fail(&message),
    };
    let fs = OsFileSystem;
    let settings = session.workspace.settings(&fs, false);
    let (plan, evaluated) = match saved {
        Some(plan) => {
            if let Err(message) = check_saved(&plan, &mut manager, session, args.plan_file.as_deref()) {
                return fail(&message);
            }
            let denied: slipway_core::Diagnostics =
                super::policy::deny_destroy(&plan, &args.flags.deny_destroy).into_iter().collect();
            if denied.has_errors() {
                print_diagnostics(&denied, &session.workspace.sources, session.no_color);
                return ExitCode::from(1);
            }
            if !session.configure_providers(manager.state()) {
                return ExitCode::from(1);
            }
            if let Err(message) = check_reads(&plan, &manager, session, args.plan_file.as_deref()) {
                return fail(&message);
            }
            if plan.mode == PlanMode::Destroy {
                (plan, None)
            } else {
                let (module, diags) = evaluate_with_plan(
                    &session.workspace.config,
                    &session.workspace.sources,
                    &session.inputs,
                    &settings,
                    &plan,
                );
                if diags.has_errors() {
                    print_diagnostics(&diags, &session.workspace.sources, session.no_color);
                    return ExitCode::from(1);
                }
                (plan, Some(module))
            }
        }
        None => {
            let options = match plan_options(flags) {
                Ok(options) => options,
                Err(message) => return fail(&message),
            };
            let mut planned = make_plan(session, manager.state(), &options, &slipway_engine::hooks::Quiet);
            for denied in super::policy::deny_destroy(&planned.plan, &flags.deny_destroy) {
                planned.plan.diagnostics.push(denied);
            }
            print_diagnostics(&planned.plan.diagnostics, &session.workspace.sources, session.no_color);
            if planned.plan.diagnostics.has_errors() {
                return ExitCode::from(1);
            }
            out!(
                "{}",
                crate::render::render_plan_with_schemas(
                    &planned.plan,
                    &session.providers.schemas(),
                    crate::render::use_color(session.no_color)
                )
            );
            if !planned.plan.has_changes() {
                // Still save refreshed values and outputs, as Terraform does.
                if kind == Kind::Apply || kind == Kind::Refresh {
                    return finish(
                        session,
                        &mut manager,
                        planned.plan,
                        planned.evaluated,
                        &settings,
                        kind,
                        flags.parallelism,
                    );
                }
                return ExitCode::SUCCESS;
            }
            if !args.auto_approve && kind != Kind::Refresh {
                if !flags.input || crate::render::in_ci() {
                    return fail(
                        "Error: No approval\n\nslipway asks before it changes anything, and cannot ask here (-input=false, or CI is set). Run with -auto-approve, or save the plan with slipway plan -out=FILE and apply that file.",
                    );
                }
                if !confirm(kind) {
                    outln!("\nApply cancelled.");
                    return ExitCode::from(1);
                }
            }
            (planned.plan, planned.evaluated)
        }
    };
    finish(session, &mut manager, plan, evaluated, &settings, kind, flags.parallelism)
}

/// A saved plan applies only to the state and configuration it was made from.
fn check_saved(plan: &Plan, manager: &mut StateManager, session: &Session, path: Option<&Path>) -> Result<(), String> {
    let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
    let state = manager.state();
    let fresh_state = state.serial == 0 && state.instances.is_empty();
    if fresh_state && plan.prior_serial == 0 {
        // Made from an empty state: the state it creates continues the plan's lineage.
        manager.state_mut().lineage = plan.prior_lineage.clone();
    } else if state.lineage != plan.prior_lineage || state.serial != plan.prior_serial {
        return Err(format!(
            "Error: Saved plan is stale\n\nThe plan {shown} was made from state serial {} of lineage {}, but the state is now serial {} of lineage {}. Something changed the state since; make a new plan with slipway plan -out.",
            plan.prior_serial, plan.prior_lineage, state.serial, state.lineage
        ));
    }
    if super::planfile::fingerprint(session) != plan.config_fingerprint {
        return Err(format!(
            "Error: Saved plan does not match the configuration\n\nThe configuration or variable files changed since {shown} was made. Make a new plan with slipway plan -out."
        ));
    }
    Ok(())
}

/// A saved plan applies only to objects that are still as it read them.
fn check_reads(plan: &Plan, manager: &StateManager, session: &Session, path: Option<&Path>) -> Result<(), String> {
    let (changed, diags) = session.store.runtime.block_on(slipway_engine::plan::stale::changed_since(
        plan,
        manager.state(),
        &session.providers,
    ));
    if diags.has_errors() {
        print_diagnostics(&diags, &session.workspace.sources, session.no_color);
        return Err("Error: Could not check the saved plan's objects\n\nReading them again failed (above).".into());
    }
    if changed.is_empty() {
        return Ok(());
    }
    let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
    let list: Vec<String> = changed
        .iter()
        .map(|c| {
            if c.gone {
                format!("  - {}: no longer exists", c.address)
            } else {
                format!("  - {}: {} changed", c.address, c.attributes.join(", "))
            }
        })
        .collect();
    Err(format!(
        "Error: Saved plan is stale\n\nObjects changed outside slipway since {shown} was made:\n{}\n\nApplying it would act on what the plan never saw. Make a new plan with slipway plan -out.",
        list.join("\n")
    ))
}

fn confirm(kind: Kind) -> bool {
    let question = match kind {
        Kind::Destroy => {
            "Do you really want to destroy all resources?\n  Slipway will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm."
        }
        _ => {
            "Do you want to perform these actions?\n  Slipway will perform the actions described above.\n  Only 'yes' will be accepted to approve."
        }
    };
    out!("\n{question}\n\n  Enter a value: ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    outln!();
    answer.trim() == "yes"
}

fn finish(
    session: &Session,
    manager: &mut StateManager,
    plan: Plan,
    evaluated: Option<EvaluatedModule>,
    settings: &slipway_lang::evaluate::EvalSettings<'_>,
    kind: Kind,
    parallelism: usize,
) -> ExitCode {
    let mut evaluator = evaluated
        .map(|module| ApplyEvaluator::new(&session.workspace.config, &session.workspace.sources, settings, module));
    let cancel = Arc::new(AtomicBool::new(false));
    super::session::set_applying(true);
    let watcher = {
        let cancel = cancel.clone();
        session.store.runtime.spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::SeqCst);
                eprintln!("\nInterrupt received. Waiting for the operations in progress to finish; press Ctrl-C again to abort.");
                if tokio::signal::ctrl_c().await.is_ok() {
                    eprintln!("Two interrupts received. Exiting immediately; the state may be missing the last operations.");
                    std::process::exit(130);
                }
            }
        })
    };
    let operations = plan
        .changes
        .iter()
        .map(|c| match c.action {
            Action::NoOp | Action::Forget => 0,
            Action::DeleteThenCreate | Action::CreateThenDelete => 2,
            Action::Create | Action::Update | Action::Delete | Action::Read => 1,
        })
        .sum();
    let hook = ProgressLines::new(operations, session.no_color);
    let outcome: ApplyOutcome = session.store.runtime.block_on(apply(ApplyContext {
        plan: &plan,
        providers: &session.providers,
        evaluator: evaluator.as_mut(),
        state: manager,
        hook: &hook,
        parallelism,
        cancel: &cancel,
    }));
    watcher.abort();
    hook.finish();
    let persisted = session.store.runtime.block_on(manager.persist(&session.store.dir));
    super::session::set_applying(false);
    let mut diags = outcome.diagnostics;
    if let Err(e) = persisted {
        diags.push(slipway_core::Diagnostic::error("Failed to save state", e.to_string()));
    }
    print_diagnostics(&diags, &session.workspace.sources, session.no_color);
    if diags.has_errors() || outcome.interrupted {
        if outcome.not_started > 0 {
            eprintln!("\n{} operation(s) did not start.", outcome.not_started);
        }
        return ExitCode::from(1);
    }
    let what = match kind {
        Kind::Destroy => format!("Destroy complete! Resources: {} destroyed.", outcome.destroyed),
        _ => {
            let imported =
                if outcome.imported > 0 { format!("{} imported, ", outcome.imported) } else { String::new() };
            let forgotten =
                if outcome.forgotten > 0 { format!(", {} forgotten", outcome.forgotten) } else { String::new() };
            format!(
                "Apply complete! Resources: {imported}{} added, {} changed, {} destroyed{forgotten}.",
                outcome.added, outcome.changed, outcome.destroyed
            )
        }
    };
    outln!("\n{what}");
    if kind != Kind::Destroy {
        super::output::print_all_outputs(manager.state(), true);
    }
    ExitCode::SUCCESS
}
