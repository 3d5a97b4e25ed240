//! `slipway plan`: refreshes, plans, prints the plan (or its JSON), optionally saves it. Nothing
//! is changed anywhere; the state is only read.

use std::process::ExitCode;

use slipway_core::address::{ResourceInstanceAddr, Target};
use slipway_engine::plan::{PlanContext, PlanMode, PlanOptions, Planned, plan};
use slipway_engine::state::State;
use slipway_lang::fs::OsFileSystem;

use slipway_engine::hooks::{PlanHook, Quiet};

use super::session::Session;
use crate::cli::{PlanArgs, PlanFlags};
use crate::diagnostics::{print_diagnostics, print_plain_error};

pub fn run(args: &PlanArgs) -> ExitCode {
    let Some(session) = Session::open(&args.flags.vars, args.flags.no_color) else {
        return ExitCode::from(1);
    };
    let options = match plan_options(&args.flags) {
        Ok(options) => options,
        Err(message) => return fail(&message),
    };
    let lock = match session.store.lock(&args.flags.lock, "OperationTypePlan") {
        Ok(lock) => lock,
        Err(message) => return fail(&message),
    };
    let code = plan_with_lock(&session, args, &options);
    session.store.release(lock);
    code
}

fn plan_with_lock(session: &Session, args: &PlanArgs, options: &PlanOptions) -> ExitCode {
    let manager = match session.store.load_state() {
        Ok(manager) => manager,
        Err(message) => return fail(&message),
    };
    let stream = args.json.then(crate::json_ui::JsonUi::start);
    let hook: &dyn PlanHook = match &stream {
        Some(ui) => ui,
        None => &Quiet,
    };
    let mut planned = make_plan(session, manager.state(), options, hook);
    for denied in super::policy::deny_destroy(&planned.plan, &args.flags.deny_destroy) {
        planned.plan.diagnostics.push(denied);
    }
    if let Some(ui) = &stream {
        ui.diagnostics(&planned.plan.diagnostics);
    } else {
        print_diagnostics(&planned.plan.diagnostics, &session.workspace.sources, session.no_color);
    }
    if planned.plan.diagnostics.has_errors() {
        return ExitCode::from(1);
    }
    if let Some(ui) = &stream {
        ui.plan(&planned.plan);
    } else {
        out!(
            "{}",
            crate::render::render_plan_with_schemas(
                &planned.plan,
                &session.providers.schemas(),
                crate::render::use_color(session.no_color)
            )
        );
    }
    if let Some(path) = &args.markdown {
        let markdown =
            crate::render::plan_to_markdown(&planned.plan, &session.providers.schemas(), args.markdown_limit.chars);
        if let Err(e) = std::fs::write(path, markdown) {
            return fail(&format!("Cannot write the Markdown plan to {}: {e}", path.display()));
        }
    }
    if let Some(path) = &args.out {
        if let Err(message) = super::planfile::save(path, &planned.plan, session) {
            return fail(&message);
        }
        if !args.json {
            outln!(
                "\nSaved the plan to: {}\n\nTo perform exactly these actions, run the following command to apply:\n    slipway apply {:?}",
                path.display(),
                path.display().to_string()
            );
        }
    }
    if args.detailed_exitcode && planned.plan.has_changes() { ExitCode::from(2) } else { ExitCode::SUCCESS }
}

/// Plans with the session's configuration against `state`.
pub fn make_plan(session: &Session, state: &State, options: &PlanOptions, hook: &dyn PlanHook) -> Planned {
    let configured = session.provider_configuration(state);
    if configured.has_errors() {
        let plan = slipway_engine::plan::Plan { diagnostics: configured.sorted(), ..Default::default() };
        return Planned { plan, evaluated: None };
    }
    let fs = OsFileSystem;
    let settings = session.workspace.settings(&fs, false);
    let ctx = PlanContext {
        config: &session.workspace.config,
        sources: &session.workspace.sources,
        inputs: &session.inputs,
        settings: &settings,
        state,
        providers: &session.providers,
        runtime: session.store.runtime.handle(),
        hook,
    };
    let mut planned = plan(&ctx, options);
    // Loading problems (warnings, since errors stop earlier) belong with the plan's.
    let mut diags = session.workspace.diagnostics.clone();
    diags.extend(configured);
    diags.extend(std::mem::take(&mut planned.plan.diagnostics));
    planned.plan.diagnostics = diags.sorted();
    planned.plan.config_fingerprint = super::planfile::fingerprint(session);
    planned
}

pub fn plan_options(flags: &PlanFlags) -> Result<PlanOptions, String> {
    let mut targets = Vec::new();
    for text in &flags.targets {
        targets.push(text.parse::<Target>().map_err(|e| format!("Error: Invalid target address: {e}"))?);
    }
    let mut replace = Vec::new();
    for text in &flags.replace {
        replace.push(text.parse::<ResourceInstanceAddr>().map_err(|e| format!("Error: Invalid replace address: {e}"))?);
    }
    if flags.destroy && flags.refresh_only {
        return Err("Error: -destroy and -refresh-only cannot be used together.".into());
    }
    let mode = if flags.destroy {
        PlanMode::Destroy
    } else if flags.refresh_only {
        PlanMode::RefreshOnly
    } else {
        PlanMode::Normal
    };
    Ok(PlanOptions { mode, refresh: flags.refresh, targets, replace })
}

pub fn fail(message: &str) -> ExitCode {
    let _ = print_plain_error(message);
    ExitCode::from(1)
}
