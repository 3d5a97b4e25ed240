//! End-to-end tests of the commands that work on the state itself: `state list`, `state show`
//! and `state pull`, run as a user runs them after an apply.

// Tests set up their fixtures on the real file system and read back what the commands wrote.
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::sync::Arc;

use assert_cmd::Command;
use slipway_core::backend::Backend;
use slipway_engine::backend_local::LocalBackend;
use slipway_engine::state::{JournalEntry, StateManager};

fn slipway(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("slipway").expect("slipway binary");
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TF_WORKSPACE");
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
