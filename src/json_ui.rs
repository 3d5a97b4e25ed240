//! `plan -json`: the plan as a stream of JSON events, one per line, in the shape of Terraform's
//! machine-readable UI (`terraform plan -json`), so that pipeline tools can follow a plan while
//! it runs: `version` first, `refresh_start`/`refresh_complete` as each instance is read,
//! `resource_drift` for what changed outside slipway, `planned_change` for every change, `diagnostic`s, `change_summary`, and `outputs`. Each event
//! has `@level`, `@message`, `@module` (`slipway.ui`), `@timestamp` and `type`. Sensitive values
//! never appear (invariant 9): events name resources and actions, not values.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value as Json, json};
use slipway_core::address::ResourceInstanceAddr;
use slipway_core::{Diagnostic, Diagnostics, Severity};
use slipway_engine::hooks::PlanHook;
use slipway_engine::plan::{Action, Plan, ResourceChange};

/// The event stream; lines from concurrent refreshes never interleave.
pub struct JsonUi {
    lock: Mutex<()>,
}

impl JsonUi {
    /// Starts the stream with the `version` event.
    pub fn start() -> JsonUi {
        let ui = JsonUi { lock: Mutex::new(()) };
        let version = env!("CARGO_PKG_VERSION");
        ui.emit("info", &format!("Slipway {version}"), "version", json!({ "slipway": version, "ui": "1.2" }));
        ui
    }

    fn emit(&self, level: &str, message: &str, kind: &str, fields: Json) {
        let mut event = json!({
            "@level": level,
            "@message": message,
            "@module": "slipway.ui",
            "@timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "type": kind,
        });
        if let (Some(event), Json::Object(fields)) = (event.as_object_mut(), fields) {
            event.extend(fields);
        }
        let _guard = self.lock.lock();
        outln!("{event}");
    }

    /// Every diagnostic, as `diagnostic` events.
    pub fn diagnostics(&self, diagnostics: &Diagnostics) {
        for d in diagnostics.iter() {
            let (level, severity) = match d.severity {
                Severity::Error => ("error", "error"),
                Severity::Warning => ("warn", "warning"),
            };
            let message = format!("{}: {}", capitalize(severity), d.summary);
            self.emit(level, &message, "diagnostic", json!({ "diagnostic": diagnostic(d, severity) }));
        }
    }

    /// What changed outside slipway, the planned changes, the summary and the output changes.
    pub fn plan(&self, plan: &Plan) {
        for drift in plan.drift.iter().filter(|d| d.action != Action::NoOp) {
            let action = action_name(drift);
            self.emit(
                "info",
                &format!("{}: Drift detected ({action})", drift.addr),
                "resource_drift",
                json!({ "change": { "resource": resource(&drift.addr), "action": action } }),
            );
        }
        let mut counts = (0, 0, 0, 0);
        for change in plan.changes.iter().filter(|c| shown(c)) {
            let action = action_name(change);
            match change.action {
                Action::Create => counts.0 += 1,
                Action::Update => counts.1 += 1,
                Action::Delete => counts.2 += 1,
                Action::DeleteThenCreate | Action::CreateThenDelete => {
                    counts.0 += 1;
                    counts.2 += 1;
                }
                _ => {}
            }
            if change.importing.is_some() {
                counts.3 += 1;
            }
            let mut body = json!({ "resource": resource(&change.addr), "action": action });
            if let Some(prev) = change.prev_addr.as_ref().filter(|p| **p != change.addr) {
                body["previous_resource"] = resource(prev);
            }
            if !change.requires_replace.is_empty() {
                body["reason"] = json!("cannot_update");
            }
            if let Some(id) = &change.importing {
                body["importing"] = json!({ "id": id });
            }
            self.emit(
                "info",
                &format!("{}: Plan to {action}", change.addr),
                "planned_change",
                json!({ "change": body }),
            );
        }
        let (add, change, remove, import) = counts;
        let message = format!("Plan: {import} to import, {add} to add, {change} to change, {remove} to destroy.");
        self.emit(
            "info",
            &message,
            "change_summary",
            json!({ "changes": { "add": add, "change": change, "import": import, "remove": remove, "operation": "plan" } }),
        );
        let outputs: serde_json::Map<String, Json> = plan
            .outputs
            .iter()
            .filter(|(_, o)| o.is_change())
            .map(|(name, o)| {
                let action = match (&o.before, &o.after) {
                    (None, Some(_)) => "create",
                    (Some(_), None) => "delete",
                    _ => "update",
                };
                (name.clone(), json!({ "sensitive": o.sensitive, "action": action }))
            })
            .collect();
        if !outputs.is_empty() {
            self.emit("info", "Outputs: changes", "outputs", json!({ "outputs": outputs }));
        }
    }
}

impl PlanHook for JsonUi {
    fn refresh_started(&self, instances: &[(ResourceInstanceAddr, Option<String>)]) {
        for (addr, id) in instances {
            let suffix = id.as_ref().map(|i| format!(" [id={i}]")).unwrap_or_default();
            self.emit(
                "info",
                &format!("{addr}: Refreshing state...{suffix}"),
                "refresh_start",
                json!({ "hook": { "resource": resource(addr), "id_key": "id", "id_value": id } }),
            );
        }
    }

    fn refresh_completed(&self, instances: &[(ResourceInstanceAddr, Option<String>)], elapsed: Duration) {
        for (addr, id) in instances {
            self.emit(
                "info",
                &format!("{addr}: Refresh complete"),
                "refresh_complete",
                json!({ "hook": { "resource": resource(addr), "id_key": "id", "id_value": id, "elapsed_seconds": elapsed.as_secs_f64() } }),
            );
        }
    }
}

fn shown(change: &ResourceChange) -> bool {
    change.action != Action::NoOp
        || change.importing.is_some()
        || change.prev_addr.as_ref().is_some_and(|p| *p != change.addr)
}

/// Terraform's action names in `planned_change`.
fn action_name(change: &ResourceChange) -> &'static str {
    match change.action {
        Action::Create => "create",
        Action::Update => "update",
        Action::Delete => "delete",
        Action::DeleteThenCreate | Action::CreateThenDelete => "replace",
        Action::Read => "read",
        Action::Forget => "forget",
        Action::NoOp if change.importing.is_some() => "import",
        Action::NoOp => "move",
    }
}

fn resource(addr: &ResourceInstanceAddr) -> Json {
    let key = match &addr.key {
        slipway_core::InstanceKey::None => Json::Null,
        slipway_core::InstanceKey::Int(i) => json!(i),
        slipway_core::InstanceKey::Str(s) => json!(s),
    };
    json!({
        "addr": addr.to_string(),
        "module": addr.module.to_string(),
        "resource": format!("{}{}", addr.resource, addr.key),
        "implied_provider": addr.resource.type_name.split('_').next().unwrap_or_default(),
        "resource_type": addr.resource.type_name,
        "resource_name": addr.resource.name,
        "resource_key": key,
    })
}

fn diagnostic(d: &Diagnostic, severity: &str) -> Json {
    let mut out = json!({ "severity": severity, "summary": d.summary, "detail": d.detail });
    if let Some(range) = &d.subject {
        let pos = |p: &slipway_core::Pos| json!({ "line": p.line, "column": p.column, "byte": p.byte });
        out["range"] =
            json!({ "filename": range.filename.as_ref(), "start": pos(&range.start), "end": pos(&range.end) });
    }
    out
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}
