//! When an applied object is ready: a workload's rollout (Deployments, StatefulSets and
//! DaemonSets as `kubectl rollout status` judges them, Jobs when asked), fields that must match,
//! and conditions that must hold. Pure: the cluster module polls and calls these.

use std::collections::BTreeMap;

use serde_json::Value;

/// What to wait for after an apply.
#[derive(Clone, Debug, Default)]
pub struct WaitFor {
    pub rollout: bool,
    /// Dotted paths (`status.phase`, `status.loadBalancer.ingress[0].hostname`) and the regular
    /// expression their value must match.
    pub fields: BTreeMap<String, regex::Regex>,
    /// Conditions (type, status) that must be present.
    pub conditions: Vec<(String, String)>,
}

impl WaitFor {
    pub fn is_empty(&self) -> bool {
        !self.rollout && self.fields.is_empty() && self.conditions.is_empty()
    }
}

/// Where an object stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    Done,
    /// Not yet: why, for the progress report and a timeout's message.
    Waiting(String),
    /// It will not get there by itself.
    Failed(String),
}

/// Whether rollouts of this kind are waited for without being asked.
pub fn rolls_out(kind: &str) -> bool {
    matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet")
}

pub fn progress(object: &Value, wait: &WaitFor) -> Progress {
    if wait.rollout {
        match rollout(object) {
            Progress::Done => {}
            other => return other,
        }
    }
    for (path, pattern) in &wait.fields {
        match field(object, path) {
            Some(v) if pattern.is_match(&v) => {}
            Some(v) => {
                return Progress::Waiting(format!("{path} is {v:?}, waiting for it to match {:?}", pattern.as_str()));
            }
            None => return Progress::Waiting(format!("{path} is not set yet")),
        }
    }
    for (kind, status) in &wait.conditions {
        let conditions = object["status"]["conditions"].as_array().cloned().unwrap_or_default();
        let holds = conditions.iter().any(|c| c["type"].as_str() == Some(kind) && c["status"].as_str() == Some(status));
        if !holds {
            return Progress::Waiting(format!("waiting for condition {kind}={status}"));
        }
    }
    Progress::Done
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn observed(object: &Value) -> Option<Progress> {
    let generation = int(&object["metadata"]["generation"]);
    let observed = int(&object["status"]["observedGeneration"]);
    (observed < generation)
        .then(|| Progress::Waiting(format!("waiting for the controller to observe generation {generation}")))
}

/// `kubectl rollout status`'s judgement of a workload.
pub fn rollout(object: &Value) -> Progress {
    let kind = object["kind"].as_str().unwrap_or_default();
    let status = &object["status"];
    match kind {
        "Deployment" => {
            if let Some(c) = condition(object, "Progressing")
                && c["reason"].as_str() == Some("ProgressDeadlineExceeded")
            {
                return Progress::Failed(format!(
                    "the rollout exceeded its progress deadline (ProgressDeadlineExceeded): {}",
                    c["message"].as_str().unwrap_or_default()
                ));
            }
            if let Some(waiting) = observed(object) {
                return waiting;
            }
            let desired = object["spec"]["replicas"].as_i64().unwrap_or(1);
            let updated = int(&status["updatedReplicas"]);
            let total = int(&status["replicas"]);
            let available = int(&status["availableReplicas"]);
            let ready = int(&status["readyReplicas"]);
            if updated < desired {
                return Progress::Waiting(format!("{updated} of {desired} updated replicas are available"));
            }
            if total > updated {
                return Progress::Waiting(format!("{} old replicas are pending termination", total - updated));
            }
            if available < updated || ready < updated {
                return Progress::Waiting(format!("{available} of {updated} updated replicas are available"));
            }
            Progress::Done
        }
        "StatefulSet" => {
            if let Some(waiting) = observed(object) {
                return waiting;
            }
            let desired = object["spec"]["replicas"].as_i64().unwrap_or(1);
            let ready = int(&status["readyReplicas"]);
            let updated = int(&status["updatedReplicas"]);
            if ready < desired {
                return Progress::Waiting(format!("{ready} of {desired} pods are ready"));
            }
            if updated < desired {
                return Progress::Waiting(format!("{updated} of {desired} pods are updated"));
            }
            if status["updateRevision"] != status["currentRevision"] {
                return Progress::Waiting("waiting for the update to be applied to every pod".into());
            }
            Progress::Done
        }
        "DaemonSet" => {
            if let Some(waiting) = observed(object) {
                return waiting;
            }
            let desired = int(&status["desiredNumberScheduled"]);
            let updated = int(&status["updatedNumberScheduled"]);
            let available = int(&status["numberAvailable"]);
            if updated < desired {
                return Progress::Waiting(format!("{updated} of {desired} updated pods are scheduled"));
            }
            if available < desired {
                return Progress::Waiting(format!("{available} of {desired} updated pods are available"));
            }
            Progress::Done
        }
        "Job" => {
            if let Some(c) = condition(object, "Failed")
                && c["status"] == "True"
            {
                return Progress::Failed(format!("the job failed: {}", c["message"].as_str().unwrap_or_default()));
            }
            match condition(object, "Complete") {
                Some(c) if c["status"] == "True" => Progress::Done,
                _ => Progress::Waiting("waiting for the job to complete".into()),
            }
        }
        _ => Progress::Done,
    }
}

fn condition<'v>(object: &'v Value, kind: &str) -> Option<&'v Value> {
    object["status"]["conditions"].as_array()?.iter().find(|c| c["type"].as_str() == Some(kind))
}

/// The value at a dotted path with `[n]` indexes, as text.
fn field(object: &Value, path: &str) -> Option<String> {
    let mut current = object;
    for part in path.split('.') {
        let (name, indexes) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            current = current.get(name)?;
        }
        for index in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            current = current.get(index.parse::<usize>().ok()?)?;
        }
    }
    match current {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment(generation: i64, status: Value) -> Value {
        json!({"kind": "Deployment", "metadata": {"generation": generation}, "spec": {"replicas": 3}, "status": status})
    }

    #[test]
    fn a_deployment_is_done_when_every_replica_is_updated_and_available() {
        let done = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3, "readyReplicas": 3, "availableReplicas": 3});
        assert_eq!(rollout(&deployment(2, done.clone())), Progress::Done);
        assert!(matches!(rollout(&deployment(3, done)), Progress::Waiting(w) if w.contains("generation 3")));
        let partial = json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2});
        assert!(matches!(rollout(&deployment(2, partial)), Progress::Waiting(w) if w.contains("2 of 3")));
    }

    #[test]
    fn a_progress_deadline_fails() {
        let stalled = json!({"observedGeneration": 1, "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing."}]});
        assert!(
            matches!(rollout(&deployment(1, stalled)), Progress::Failed(m) if m.contains("ProgressDeadlineExceeded") && m.contains("timed out"))
        );
    }

    #[test]
    fn fields_and_conditions() {
        let object = json!({"status": {"phase": "Running", "loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}, "conditions": [{"type": "Ready", "status": "True"}]}});
        let mut wait = WaitFor::default();
        wait.fields
            .insert("status.loadBalancer.ingress[0].hostname".into(), regex::Regex::new("^lb\\.").expect("a regex"));
        wait.conditions.push(("Ready".into(), "True".into()));
        assert_eq!(progress(&object, &wait), Progress::Done);
        wait.conditions.push(("Synced".into(), "True".into()));
        assert!(matches!(progress(&object, &wait), Progress::Waiting(_)));
    }
}
