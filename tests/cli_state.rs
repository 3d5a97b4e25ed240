//! End-to-end tests of the commands that work on the state itself: `state list`, `state show`,
//! `state mv`, `state rm`, `state pull`, `state push`, `force-unlock`, and `graph`, run as a user
//! runs them after an apply, with what they did read back from disk and from the next plan.

// Tests set up their fixtures on the real file system and read back what the commands wrote.
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::sync::Arc;

use assert_cmd::Command;
use slipway_core::backend::{Backend, LockInfo};
use slipway_engine::backend_local::LocalBackend;
use slipway_engine::state::{JournalEntry, StateManager};

fn slipway(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("slipway").expect("slipway binary");
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TF_WORKSPACE").env_remove("CI");
    cmd
}

fn output(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    output(slipway(dir).args(args))
}

fn run_with_stdin(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    output(slipway(dir).args(args).write_stdin(stdin))
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    std::fs::write(path, text).expect("write file");
}

fn state_json(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("slipway.tfstate")).expect("state file");
    serde_json::from_str(&text).expect("state is JSON")
}

fn serial(dir: &Path) -> u64 {
    state_json(dir)["serial"].as_u64().expect("serial")
}

const MODULE: &str = r#"variable "input" {}

resource "terraform_data" "inner" {
  input = var.input
}
"#;

const CONFIG: &str = r#"resource "terraform_data" "a" {
  count = 2
  input = "a${count.index}"
}

resource "null_resource" "b" {
  triggers = {
    first = terraform_data.a[0].id
  }
}

module "m" {
  source = "./m"
  input  = terraform_data.a[1].output
}
"#;

/// CONFIG with every address renamed: a resource, an instance key and a module call.
const RENAMED: &str = r#"resource "terraform_data" "renamed" {
  count = 2
  input = "a${count.index}"
}

resource "null_resource" "b" {
  count = 1
  triggers = {
    first = terraform_data.renamed[0].id
  }
}

module "n" {
  source = "./m"
  input  = terraform_data.renamed[1].output
}
"#;

/// A directory with CONFIG applied.
fn applied() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "main.tf", CONFIG);
    write(dir.path(), "m/main.tf", MODULE);
    let (code, out, err) = run(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Resources: 4 added"), "{out}");
    dir
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn list_and_show_what_apply_created() {
    let dir = applied();
    let d = dir.path();

    let (code, out, err) = run(d, &["state", "list"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        lines(&out),
        ["null_resource.b", "terraform_data.a[0]", "terraform_data.a[1]", "module.m.terraform_data.inner"]
    );
    let (_, out, _) = run(d, &["state", "list", "terraform_data.a"]);
    assert_eq!(lines(&out), ["terraform_data.a[0]", "terraform_data.a[1]"]);
    let (_, out, _) = run(d, &["state", "list", "module.m", "terraform_data.a[1]"]);
    assert_eq!(lines(&out), ["terraform_data.a[1]", "module.m.terraform_data.inner"]);
    let (_, out, _) = run(d, &["state", "list", "module.other"]);
    assert_eq!(out, "");

    let state = state_json(d);
    let a1 = state["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["type"] == "terraform_data" && r["name"] == "a"))
        .and_then(|r| r["instances"][1]["attributes"]["id"].as_str())
        .expect("terraform_data.a[1] id")
        .to_string();
    let (code, out, _) = run(d, &["state", "list", &format!("-id={a1}")]);
    assert_eq!((code, lines(&out)), (0, vec!["terraform_data.a[1]"]));
    let (code, out, _) = run(d, &["state", "list", "-id=no-such-id"]);
    assert_eq!((code, out.as_str()), (0, ""));

    let (code, out, err) = run(d, &["state", "show", "terraform_data.a[1]"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("# terraform_data.a[1]:\nresource \"terraform_data\" \"a\" {\n"), "{out}");
    assert!(out.contains(&format!("\"id\"               = \"{a1}\"")), "{out}");
    assert!(out.contains("\"input\"            = \"a1\""), "{out}");
    let (code, out, _) = run(d, &["state", "show", "module.m.terraform_data.inner"]);
    assert_eq!(code, 0);
    assert!(out.contains("\"output\"           = \"a1\""), "{out}");

    let (code, out, err) = run(d, &["state", "show", "terraform_data.a[7]"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("The state has no resource instance terraform_data.a[7]"), "{err}");
    let (code, _, err) = run(d, &["state", "show", "terraform_data.a"]);
    assert_eq!(code, 1);
    assert!(err.contains("give one, as in terraform_data.a[0]"), "{err}");
    for bad in [vec!["state", "show", "not-an-address"], vec!["state", "list", "module.m["]] {
        let (code, _, err) = run(d, &bad);
        assert_eq!(code, 1, "{bad:?}");
        assert!(err.contains("Invalid address"), "{bad:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }

    // The state commands need only the state: a configuration that does not load is no obstacle.
    write(d, "broken.tf", "resource \"terraform_data\" {\n");
    let (code, out, err) = run(d, &["state", "list", "null_resource.b"]);
    assert_eq!((code, out.as_str()), (0, "null_resource.b\n"), "{err}");
}

#[test]
fn state_commands_without_a_state_say_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let (code, out, err) = run(d, &["state", "list"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("No state file was found!"), "{err}");
    let (code, out, _) = run(d, &["state", "pull"]);
    assert_eq!((code, out.as_str()), (0, ""), "nothing to pull, as Terraform");
}

#[test]
fn show_redacts_sensitive_values() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(d, "main.tf", "resource \"random_password\" \"p\" {\n  length = 12\n}\n");
    let (code, out, err) = run(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    let password = state_json(d)["resources"][0]["instances"][0]["attributes"]["result"]
        .as_str()
        .expect("result in state")
        .to_string();
    let (code, out, err) = run(d, &["state", "show", "random_password.p"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("(sensitive value)"), "{out}");
    assert!(out.contains("\"length\""), "{out}");
    assert!(!out.contains(&password), "the password is never printed: {out}");
}

#[test]
fn mv_follows_renames_in_the_configuration_until_the_plan_is_empty() {
    let dir = applied();
    let d = dir.path();
    let ids_before = state_json(d)["resources"].clone();
    write(d, "main.tf", RENAMED);
    let (code, out, err) = run(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("terraform_data.renamed[0] will be created"), "{out}");

    // A whole resource, keys kept.
    let serial_before = serial(d);
    let (code, out, err) = run(d, &["state", "mv", "terraform_data.a", "terraform_data.renamed"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Move \"terraform_data.a\" to \"terraform_data.renamed\"\nSuccessfully moved 1 object(s).\n");
    assert_eq!(serial(d), serial_before + 1);
    let backup: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("slipway.tfstate.backup")).expect("backup"))
            .expect("backup is JSON");
    assert_eq!(backup["serial"].as_u64(), Some(serial_before), "the previous state is kept as the backup");
    let (code, out, err) = run(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(!out.contains("terraform_data.renamed"), "the moved resource has no changes: {out}");
    assert!(!out.contains("terraform_data.a["), "{out}");
    assert!(out.contains("null_resource.b[0] will be created"), "{out}");

    // One instance, taking a key.
    let (code, out, err) = run(d, &["state", "mv", "null_resource.b", "null_resource.b[0]"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Move \"null_resource.b\" to \"null_resource.b[0]\"\nSuccessfully moved 1 object(s).\n");
    let (code, out, err) = run(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(!out.contains("null_resource.b"), "the moved instance has no changes: {out}");
    assert!(out.contains("module.n.terraform_data.inner will be created"), "{out}");

    // A module, with everything in it.
    let (code, out, err) = run(d, &["state", "mv", "module.m", "module.n"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Move \"module.m\" to \"module.n\"\nSuccessfully moved 1 object(s).\n");
    let (code, out, err) = run(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "everything is where the configuration says: {out}{err}");
    assert!(out.contains("No changes."), "{out}");

    let (_, out, _) = run(d, &["state", "list"]);
    assert_eq!(
        lines(&out),
        [
            "null_resource.b[0]",
            "terraform_data.renamed[0]",
            "terraform_data.renamed[1]",
            "module.n.terraform_data.inner"
        ]
    );
    // The objects are the same ones: only their addresses changed.
    let ids = |resources: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = resources
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["instances"].as_array().cloned().unwrap_or_default())
            .filter_map(|i| i["attributes"]["id"].as_str().map(str::to_string))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&state_json(d)["resources"]), ids(&ids_before));
}

#[test]
fn mv_refuses_what_does_not_fit_and_dry_run_changes_nothing() {
    let dir = applied();
    let d = dir.path();
    let before = state_json(d);

    let (code, out, err) = run(d, &["state", "mv", "-dry-run", "terraform_data.a", "terraform_data.c"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Would move \"terraform_data.a\" to \"terraform_data.c\"\n");
    for (from, to, message) in [
        ("terraform_data.a[0]", "terraform_data.a[1]", "terraform_data.a[1] already exists in the state"),
        ("terraform_data.a", "null_resource.c", "an object keeps its resource type"),
        ("null_resource.b", "data.null_resource.b", "a managed resource and a data source"),
        ("terraform_data.a", "terraform_data.c[0]", "it moves only to a resource address"),
        ("module.m.terraform_data.inner", "terraform_data.a", "terraform_data.a has instances with keys"),
        ("module.m", "module.m.module.deeper", "a module cannot move to itself or into itself"),
        ("module.m", "terraform_data.c", "a module moves only to a module address"),
        ("terraform_data.nope", "terraform_data.c", "Nothing in the state matches terraform_data.nope"),
        ("terraform_data.a", "terraform_data.a[", "Invalid address"),
    ] {
        let (code, out, err) = run(d, &["state", "mv", from, to]);
        assert_eq!((code, out.as_str()), (1, ""), "{from} -> {to}");
        assert!(err.contains(message), "{from} -> {to}: {err}");
    }
    assert_eq!(state_json(d), before, "nothing changed, not even the serial");
}

#[test]
fn rm_forgets_objects_so_plan_creates_them_again() {
    let dir = applied();
    let d = dir.path();
    let before = state_json(d);

    let (code, out, err) = run(d, &["state", "rm", "-dry-run", "module.m", "terraform_data.a[1]"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "Would remove terraform_data.a[1]\nWould remove module.m.terraform_data.inner\n");
    let (code, out, err) = run(d, &["state", "rm", "terraform_data.a[1]", "null_resource.nope"]);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(err.contains("Nothing in the state matches null_resource.nope, so nothing was removed"), "{err}");
    assert_eq!(state_json(d), before, "neither changed anything");

    let (code, out, err) = run(d, &["state", "rm", "module.m", "terraform_data.a[1]"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "Removed terraform_data.a[1]\nRemoved module.m.terraform_data.inner\nSuccessfully removed 2 resource instance(s).\n"
    );
    assert_eq!(serial(d), before["serial"].as_u64().expect("serial") + 1);
    let (_, out, _) = run(d, &["state", "list"]);
    assert_eq!(lines(&out), ["null_resource.b", "terraform_data.a[0]"]);

    // The objects still exist, but slipway no longer knows them: plan creates them again.
    let (code, out, err) = run(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("terraform_data.a[1] will be created"), "{out}");
    assert!(out.contains("module.m.terraform_data.inner will be created"), "{out}");
    assert!(out.contains("Plan: 2 to add, 0 to change, 0 to destroy."), "{out}");

    // A whole resource goes with every instance.
    let (code, out, _) = run(d, &["state", "rm", "terraform_data.a"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "Removed terraform_data.a[0]\nSuccessfully removed 1 resource instance(s).\n")
    );
}

#[test]
fn pull_prints_the_current_state_with_its_lineage() {
    let dir = applied();
    let d = dir.path();
    let (code, out, err) = run(d, &["state", "pull"]);
    assert_eq!(code, 0, "{err}");
    let pulled: serde_json::Value = serde_json::from_str(&out).expect("pull prints JSON");
    let stored = state_json(d);
    assert!(pulled["lineage"].as_str().is_some_and(|l| !l.is_empty()), "{pulled}");
    assert_eq!(pulled["lineage"], stored["lineage"]);
    assert_eq!(pulled, stored);

    // A run that stopped before its final write left a journal: it is part of the current state.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(d));
    runtime.block_on(async {
        let (mut run, _) = StateManager::load(backend, "default").await.expect("loads");
        let address = "null_resource.b".parse().expect("address");
        run.record(JournalEntry::Remove { address }).await.expect("records");
    });
    let (code, out, err) = run(d, &["state", "pull"]);
    assert_eq!(code, 0, "{err}");
    let pulled: serde_json::Value = serde_json::from_str(&out).expect("pull prints JSON");
    let types: Vec<&str> =
        pulled["resources"].as_array().into_iter().flatten().filter_map(|r| r["type"].as_str()).collect();
    assert_eq!(types, ["terraform_data", "terraform_data"], "null_resource.b is gone: {pulled}");
    assert_eq!(state_json(d), stored, "pull writes nothing");
}

#[test]
fn push_follows_lineage_and_serial() {
    let dir = applied();
    let d = dir.path();
    let (_, out, _) = run(d, &["state", "pull"]);
    let pulled: serde_json::Value = serde_json::from_str(&out).expect("pull prints JSON");
    let lineage = pulled["lineage"].as_str().expect("lineage").to_string();
    let serial_now = serial(d);

    // Edited: one instance fewer, a higher serial. Accepted, and the next commands see it.
    let mut edited = pulled.clone();
    edited["serial"] = serde_json::json!(serial_now + 5);
    edited["resources"]
        .as_array_mut()
        .expect("resources")
        .retain(|r| !(r["type"] == "null_resource" && r["name"] == "b"));
    write(d, "edited.tfstate", &edited.to_string());
    let (code, out, err) = run(d, &["state", "push", "edited.tfstate"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert_eq!(serial(d), serial_now + 5);
    let (_, out, _) = run(d, &["state", "list"]);
    assert!(!out.contains("null_resource.b"), "{out}");
    let (code, out, _) = run(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2);
    assert!(out.contains("null_resource.b will be created"), "{out}");

    // The same document again: the serial still goes up, so that older saved plans are stale.
    let (code, _, err) = run_with_stdin(d, &["state", "push", "-"], &edited.to_string());
    assert_eq!(code, 0, "{err}");
    assert_eq!(serial(d), serial_now + 6);

    // Older than what is stored: refused.
    let (code, _, err) = run(d, &["state", "push", "-"]);
    assert_eq!(code, 1, "empty standard input is no state");
    assert!(err.contains("Failed to read the state to push"), "{err}");
    let (code, _, err) = run_with_stdin(d, &["state", "push", "-"], &pulled.to_string());
    assert_eq!(code, 1);
    assert!(err.contains("lower than the current state's"), "{err}");

    // Another history: refused, and accepted with -force.
    let mut foreign = pulled.clone();
    foreign["lineage"] = serde_json::json!("another-lineage");
    foreign["serial"] = serde_json::json!(100);
    write(d, "foreign.tfstate", &foreign.to_string());
    let (code, _, err) = run(d, &["state", "push", "foreign.tfstate"]);
    assert_eq!(code, 1);
    assert!(err.contains("has lineage another-lineage, but the current state has lineage"), "{err}");
    assert!(err.contains("-force"), "{err}");
    assert_eq!(state_json(d)["lineage"].as_str(), Some(lineage.as_str()), "refused: nothing changed");
    let (code, _, err) = run(d, &["state", "push", "-force", "foreign.tfstate"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(state_json(d)["lineage"], "another-lineage");
    assert_eq!(serial(d), 100);

    write(d, "garbage.tfstate", "{\"format_version\": 1, \"lineage\": 3}");
    let (code, _, err) = run(d, &["state", "push", "garbage.tfstate"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot be used"), "{err}");
    let (code, _, err) = run(d, &["state", "push", "missing.tfstate"]);
    assert_eq!(code, 1);
    assert!(err.contains("Could not read missing.tfstate"), "{err}");
}

#[test]
fn push_restores_the_emergency_file() {
    let dir = applied();
    let d = dir.path();
    // What a failed final write leaves: the state as it should have been saved, with the next
    // serial, in errored.tfstate.
    let (_, out, _) = run(d, &["state", "pull"]);
    let mut errored: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    errored["serial"] = serde_json::json!(serial(d) + 1);
    errored["resources"].as_array_mut().expect("resources").retain(|r| r["module"] != "module.m");
    write(d, "errored.tfstate", &errored.to_string());
    let (code, _, err) = run(d, &["state", "push", "errored.tfstate"]);
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(d, &["state", "pull"]);
    let now: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(now, errored);
}

#[test]
fn force_unlock_removes_only_the_named_lock() {
    let dir = applied();
    let d = dir.path();
    // A run that died holding the lock.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let backend = LocalBackend::new(d);
    let info = LockInfo {
        id: "5f1c2e0a-dead-run".into(),
        operation: "OperationTypeApply".into(),
        who: "someone@elsewhere".into(),
        version: "0.1.0".into(),
        created: "2025-01-01T00:00:00Z".into(),
        path: backend.describe("default"),
    };
    runtime.block_on(backend.lock("default", &info)).expect("takes the lock");

    let (code, _, err) = run(d, &["state", "rm", "null_resource.b"]);
    assert_eq!(code, 1);
    assert!(err.contains("slipway force-unlock 5f1c2e0a-dead-run"), "{err}");

    let (code, _, err) = run(d, &["force-unlock", "-force", "wrong-id"]);
    assert_eq!(code, 1);
    assert!(err.contains("The state is locked with ID 5f1c2e0a-dead-run, not wrong-id"), "{err}");
    let (code, out, _) = run_with_stdin(d, &["force-unlock", "5f1c2e0a-dead-run"], "no\n");
    assert_eq!(code, 1);
    assert!(out.contains("Do you really want to force-unlock?"), "{out}");
    assert!(out.contains("force-unlock cancelled."), "{out}");
    let held = runtime.block_on(backend.lock_info("default")).expect("reads the lock");
    assert_eq!(held.as_ref().map(|l| l.id.as_str()), Some("5f1c2e0a-dead-run"), "still locked");

    let (code, out, err) = run_with_stdin(d, &["force-unlock", "5f1c2e0a-dead-run"], "yes\n");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Slipway state has been successfully unlocked!"), "{out}");
    assert_eq!(runtime.block_on(backend.lock_info("default")).expect("reads the lock"), None);
    let (code, _, err) = run(d, &["state", "rm", "null_resource.b"]);
    assert_eq!(code, 0, "the state can be locked again: {err}");

    let (code, _, err) = run(d, &["force-unlock", "-force", "5f1c2e0a-dead-run"]);
    assert_eq!(code, 1);
    assert!(err.contains("is not locked"), "{err}");

    runtime.block_on(backend.lock("default", &info)).expect("takes the lock");
    let (code, out, err) = run(d, &["force-unlock", "-force", "5f1c2e0a-dead-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("Do you really want"), "-force asks nothing: {out}");
    assert_eq!(runtime.block_on(backend.lock_info("default")).expect("reads the lock"), None);
}

const GRAPH_CONFIG: &str = r#"resource "terraform_data" "a" {
  count            = 2
  triggers_replace = var.generation
}

variable "generation" {
  default = 1
}

resource "null_resource" "b" {
  triggers = {
    a = terraform_data.a[0].id
  }
}

resource "terraform_data" "keyed" {
  for_each = toset(["plain", "q\"uote"])
  input    = "${each.key}-${var.generation}"
}

module "net" {
  source = "./net"
  input  = null_resource.b.id
}
"#;

#[test]
fn graph_of_the_configuration_and_of_a_plan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    write(d, "main.tf", GRAPH_CONFIG);
    write(d, "net/main.tf", MODULE);

    let (code, out, err) = run(d, &["graph"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("graph_plan", out);
    let (_, typed, _) = run(d, &["graph", "-type=plan"]);
    assert_eq!(typed, out);

    let (code, out, err) = run(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}{err}");
    // A new generation replaces terraform_data.a, and with it what depends on its id, and updates
    // terraform_data.keyed, whose keys must stay one DOT name each.
    let (code, _, err) = run(d, &["plan", "-var", "generation=2", "-out=tfplan"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(d, &["graph", "-type=apply", "-var", "generation=2"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("digraph {\n"), "{out}");
    insta::assert_snapshot!("graph_apply", out);
    let (code, saved, err) = run(d, &["graph", "-plan=tfplan"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(saved, out, "a saved plan has the same graph");

    let (code, _, err) = run(d, &["graph", "-type=plan", "-plan=tfplan"]);
    assert_eq!(code, 1);
    assert!(err.contains("-plan needs -type=apply"), "{err}");
    let (code, _, err) = run(d, &["graph", "-type=nonsense"]);
    assert_eq!(code, 1);
    assert!(err.contains("nonsense"), "{err}");
}
