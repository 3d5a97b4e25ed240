//! The S3 backend end to end: the real binary against the emulator's S3, with builtin
//! resources only. State and workspaces at Terraform's keys, the lease lock between real
//! processes (contention, a holder killed with SIGKILL, heartbeats, a lost lease), conditional
//! state writes, force-unlock, partial configuration and state migration.

// The tests read the state files slipway writes, as a user would.
#![allow(clippy::disallowed_methods)]

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use support::moto::Moto;
use support::{command, slipway_env};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(future)
}

/// A bucket with a name no other test uses (bucket names are global in moto too).
fn bucket(moto: &Moto, name: &str) -> String {
    let bucket = format!("{name}-{}", std::process::id());
    block_on(moto.s3().create_bucket().bucket(&bucket).send()).expect("create bucket");
    bucket
}

fn backend_block(moto: &Moto, bucket: &str) -> String {
    format!(
        r#"terraform {{
  backend "s3" {{
    bucket = "{bucket}"
    key    = "app/terraform.tfstate"
    region = "us-east-1"
    endpoints {{
      s3 = "{url}"
    }}
  }}
}}
"#,
        url = moto.url
    )
}

const CREDENTIALS: [(&str, &str); 2] = [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")];

fn env<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    CREDENTIALS.iter().copied().chain(extra.iter().copied()).collect()
}

fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    slipway_env(dir, args, &env(&[]))
}

fn resources(count: usize) -> String {
    format!(
        r#"variable "run" {{
  default = "0"
}}
resource "terraform_data" "item" {{
  count = {count}
  input = "${{var.run}}-${{count.index}}"
}}
output "workspace" {{
  value = terraform.workspace
}}
"#
    )
}

fn setup(moto: &Moto, name: &str, count: usize) -> (tempfile::TempDir, String) {
    let bucket = bucket(moto, name);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), format!("{}{}", backend_block(moto, &bucket), resources(count)))
        .expect("write config");
    let (code, out) = run(dir.path(), &["init"]);
    assert_eq!(code, 0, "{out}");
    (dir, bucket)
}

fn get(moto: &Moto, bucket: &str, key: &str) -> Option<(Vec<u8>, String)> {
    block_on(async {
        let out = moto.s3().get_object().bucket(bucket).key(key).send().await.ok()?;
        let etag = out.e_tag().unwrap_or_default().to_string();
        Some((out.body.collect().await.ok()?.into_bytes().to_vec(), etag))
    })
}

fn put(moto: &Moto, bucket: &str, key: &str, body: &[u8]) {
    block_on(moto.s3().put_object().bucket(bucket).key(key).body(body.to_vec().into()).send()).expect("put");
}

fn keys(moto: &Moto, bucket: &str) -> Vec<String> {
    let listed = block_on(moto.s3().list_objects_v2().bucket(bucket).send()).expect("list");
    let mut keys: Vec<String> = listed.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect();
    keys.sort();
    keys
}

fn state_json(moto: &Moto, bucket: &str, key: &str) -> serde_json::Value {
    let (bytes, _) = get(moto, bucket, key).unwrap_or_else(|| panic!("no state at {key}"));
    serde_json::from_slice(&bytes).expect("state is JSON")
}

const LOCK: &str = "app/terraform.tfstate.tflock";

/// `slipway apply` waiting at its confirmation prompt, which it reaches holding the lock (its
/// plan always has changes: a new value of `run`).
fn apply_at_prompt(dir: &Path, moto: &Moto, bucket: &str, extra: &[(&str, &str)]) -> Child {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    let child = command(dir, &env(extra))
        .args(["apply", &format!("-var=run=held{nanos}")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn apply");
    let deadline = Instant::now() + Duration::from_secs(30);
    while get(moto, bucket, LOCK).is_none() {
        assert!(Instant::now() < deadline, "apply never took the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

fn finish(mut child: Child, answer: &str) -> (i32, String) {
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(answer.as_bytes());
    }
    let out = child.wait_with_output().expect("waits");
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn state_and_workspaces_live_at_terraforms_keys() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "keys", 3);
    let dir = dir.path();

    let (code, out) = run(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(keys(&moto, &bucket), ["app/terraform.tfstate"], "no lock or journal is left behind");
    let state = state_json(&moto, &bucket, "app/terraform.tfstate");
    assert_eq!(state["resources"][0]["instances"].as_array().map(Vec::len), Some(3), "{state}");
    let (code, out) = run(dir, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "a second plan has nothing to do: {out}");

    let (code, out) = run(dir, &["workspace", "new", "dev"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(dir, &["workspace", "show"]);
    assert_eq!((code, out.trim()), (0, "dev"));
    let (code, out) = run(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("workspace = \"dev\""), "terraform.workspace is the selected one: {out}");
    assert!(keys(&moto, &bucket).contains(&"env:/dev/app/terraform.tfstate".to_string()), "{:?}", keys(&moto, &bucket));
    let (code, out) = run(dir, &["workspace", "list"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "  default\n* dev\n");

    let (code, out) = run(dir, &["workspace", "delete", "dev"]);
    assert_ne!(code, 0, "the active workspace is not deleted");
    assert!(out.contains("active workspace"), "{out}");
    let (code, out) = run(dir, &["workspace", "select", "default"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(dir, &["workspace", "delete", "dev"]);
    assert_ne!(code, 0, "a workspace with resources is not deleted without -force");
    assert!(out.contains("3 resource instance(s)"), "{out}");
    let (code, out) = run(dir, &["workspace", "delete", "-force", "dev"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(keys(&moto, &bucket), ["app/terraform.tfstate"]);
    let (code, out) = run(dir, &["workspace", "select", "nope"]);
    assert_ne!(code, 0);
    assert!(out.contains("doesn't exist"), "{out}");
    let (code, out) = run(dir, &["workspace", "select", "-or-create", "qa"]);
    assert_eq!(code, 0, "{out}");
    assert!(keys(&moto, &bucket).contains(&"env:/qa/app/terraform.tfstate".to_string()));
}

#[test]
fn a_refused_lock_names_the_holder_and_a_waiting_run_gets_it() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "held", 2);
    let dir = dir.path();
    let holder = apply_at_prompt(dir, &moto, &bucket, &[]);

    let (code, out) = run(dir, &["plan"]);
    assert_ne!(code, 0, "{out}");
    for expected in ["locked by another run", "OperationTypeApply", "Who:", "ago)", "slipway force-unlock"] {
        assert!(out.contains(expected), "{expected:?} missing: {out}");
    }
    let lock: serde_json::Value = serde_json::from_slice(&get(&moto, &bucket, LOCK).expect("lock").0).expect("json");
    for field in ["ID", "Operation", "Who", "Version", "Created", "Expires"] {
        assert!(lock.get(field).is_some(), "the lock body has {field}: {lock}");
    }
    let id = lock["ID"].as_str().expect("id").to_string();

    let (code, out) = run(dir, &["force-unlock", "-force", "not-the-id"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains(&id), "the refusal names the real ID: {out}");
    assert!(get(&moto, &bucket, LOCK).is_some(), "a wrong ID removes nothing");

    // A run that waits gets the lock once the holder is done.
    let waiter = command(dir, &env(&[]))
        .args(["apply", "-auto-approve", "-lock-timeout=60s", "-var=run=waiter"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(800));
    let (code, out) = finish(holder, "yes\n");
    assert_eq!(code, 0, "{out}");
    let (code, out) = finish(waiter, "");
    assert_eq!(code, 0, "{out}");
    assert!(get(&moto, &bucket, LOCK).is_none(), "released");
    let state = state_json(&moto, &bucket, "app/terraform.tfstate");
    assert_eq!(state["resources"][0]["instances"][0]["attributes"]["input"], "waiter-0", "the waiter ran last");

    // force-unlock with the right ID removes a lock a run left.
    let holder = apply_at_prompt(dir, &moto, &bucket, &[]);
    let id =
        serde_json::from_slice::<serde_json::Value>(&get(&moto, &bucket, LOCK).expect("lock").0).expect("json")["ID"]
            .as_str()
            .expect("id")
            .to_string();
    let (code, out) = run(dir, &["force-unlock", "-force", &id]);
    assert_eq!(code, 0, "{out}");
    assert!(get(&moto, &bucket, LOCK).is_none());
    let (_, _) = finish(holder, "no\n");
}

#[test]
fn two_applies_started_together_run_one_after_the_other_20_times() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "race", 30);
    let dir = dir.path();
    let mut last_serial = 0;
    let mut refusals = 0;
    for round in 0..20 {
        let waiting = round % 2 == 0;
        let spawn = |n: usize| {
            let mut args = vec!["apply".to_string(), "-auto-approve".into(), format!("-var=run={round}-{n}")];
            if waiting {
                args.push("-lock-timeout=120s".into());
            }
            command(dir, &env(&[])).args(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn")
        };
        let (a, b) = (spawn(0), spawn(1));
        let results = [finish(a, ""), finish(b, "")];
        let failed: Vec<&(i32, String)> = results.iter().filter(|(code, _)| *code != 0).collect();
        if waiting {
            assert!(failed.is_empty(), "round {round}: with -lock-timeout both run: {failed:?}");
        } else {
            assert!(failed.len() <= 1, "round {round}: one of the two always runs: {results:?}");
            refusals += failed.len();
            for (_, out) in failed {
                assert!(
                    out.contains("locked by another run") && out.contains("OperationTypeApply"),
                    "round {round}: a refusal names the holder: {out}"
                );
            }
        }
        assert!(get(&moto, &bucket, LOCK).is_none(), "round {round}: the lock is released");
        let state = state_json(&moto, &bucket, "app/terraform.tfstate");
        let serial = state["serial"].as_u64().expect("serial");
        assert!(serial > last_serial, "round {round}: the serial only grows ({last_serial} then {serial})");
        last_serial = serial;
        let inputs: std::collections::BTreeSet<String> = state["resources"][0]["instances"]
            .as_array()
            .expect("instances")
            .iter()
            .map(|i| {
                i["attributes"]["input"].as_str().unwrap_or_default().split('-').take(2).collect::<Vec<_>>().join("-")
            })
            .collect();
        assert_eq!(inputs.len(), 1, "round {round}: every instance comes from the same run, never a mix: {inputs:?}");
    }
    // Starting together, they overlap (here every time): the lock, not luck, kept them apart.
    assert!(refusals > 0, "in 10 rounds without -lock-timeout, no run ever found the lock taken");
}

#[test]
fn a_holder_killed_with_sigkill_loses_its_lease_and_the_next_run_takes_over() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "killed", 2);
    let dir = dir.path();
    let lease = [("SLIPWAY_S3_LOCK_LEASE_SECONDS", "3")];
    let mut holder = apply_at_prompt(dir, &moto, &bucket, &lease);
    holder.kill().expect("SIGKILL");
    let _ = holder.wait();
    assert!(get(&moto, &bucket, LOCK).is_some(), "a killed run leaves its lock");

    let (code, out) = slipway_env(dir, &["apply", "-auto-approve"], &env(&lease));
    assert_ne!(code, 0, "the lease has not expired yet: {out}");
    assert!(out.contains("locked by another run"), "{out}");

    let started = Instant::now();
    let (code, out) = slipway_env(dir, &["apply", "-auto-approve", "-lock-timeout=30s", "-var=run=next"], &env(&lease));
    assert_eq!(code, 0, "the expired lease is taken over without force-unlock: {out}");
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert!(get(&moto, &bucket, LOCK).is_none());
}

#[test]
fn the_holder_renews_its_lease_and_stops_writing_when_it_loses_it() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "renew", 2);
    let dir = dir.path();
    let lease = [("SLIPWAY_S3_LOCK_LEASE_SECONDS", "3")];
    let holder = apply_at_prompt(dir, &moto, &bucket, &lease);
    let (_, first_etag) = get(&moto, &bucket, LOCK).expect("lock");
    std::thread::sleep(Duration::from_secs(5));
    let (_, etag) = get(&moto, &bucket, LOCK).expect("lock");
    assert_ne!(etag, first_etag, "the heartbeat rewrote the lease");
    let (code, out) = slipway_env(dir, &["plan"], &env(&lease));
    assert_ne!(code, 0, "a renewed lease is not taken over, past its first expiry: {out}");
    let (code, out) = finish(holder, "yes\n");
    assert_eq!(code, 0, "{out}");

    // Someone takes the lock over behind the holder's back: it must not write state.
    let before = get(&moto, &bucket, "app/terraform.tfstate").expect("state").0;
    let holder = apply_at_prompt(dir, &moto, &bucket, &lease);
    put(&moto, &bucket, LOCK, br#"{"ID":"intruder","Operation":"OperationTypeApply","Who":"x@y","Version":"","Created":"","Path":"","Expires":"2999-01-01T00:00:00Z"}"#);
    std::thread::sleep(Duration::from_secs(3));
    let (code, out) = finish(holder, "yes\n");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("taken over by another run"), "{out}");
    let rescued: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("errored.tfstate")).expect("emergency file")).expect("json");
    let inputs = |state: &serde_json::Value| -> Vec<serde_json::Value> {
        state["resources"][0]["instances"]
            .as_array()
            .map_or(vec![], |i| i.iter().map(|i| i["attributes"]["input"].clone()).collect())
    };
    let stored: serde_json::Value = serde_json::from_slice(&before).expect("json");
    assert_ne!(inputs(&rescued), inputs(&stored), "what the run did before it stopped is in the emergency file");
    assert_eq!(get(&moto, &bucket, "app/terraform.tfstate").expect("state").0, before, "the state is untouched");
    let lock: serde_json::Value = serde_json::from_slice(&get(&moto, &bucket, LOCK).expect("lock").0).expect("json");
    assert_eq!(lock["ID"], "intruder", "the lock of the new holder stays");
}

#[test]
fn a_state_replaced_behind_a_runs_back_is_not_overwritten() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "etag", 2);
    let dir = dir.path();
    let (code, out) = run(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let holder = apply_at_prompt(dir, &moto, &bucket, &[]);
    let (bytes, _) = get(&moto, &bucket, "app/terraform.tfstate").expect("state");
    let mut other: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
    other["serial"] = serde_json::json!(other["serial"].as_u64().unwrap_or(0) + 10);
    let other = serde_json::to_vec(&other).expect("json");
    put(&moto, &bucket, "app/terraform.tfstate", &other);
    let (code, out) = finish(holder, "yes\n");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("was written by another run"), "{out}");
    assert_eq!(get(&moto, &bucket, "app/terraform.tfstate").expect("state").0, other);
}

#[test]
fn partial_configuration_from_backend_config_and_migration_both_ways() {
    let moto = Moto::start();
    let bucket = bucket(&moto, "migrate");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), resources(2)).expect("write");
    let (code, out) = run(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let local: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("slipway.tfstate")).expect("local state")).expect("json");

    // An empty block, completed by -backend-config: a KEY=VALUE and a file.
    std::fs::write(dir.join("main.tf"), format!("terraform {{\n  backend \"s3\" {{}}\n}}\n{}", resources(2)))
        .expect("write");
    std::fs::write(
        dir.join("s3.hcl"),
        format!("key = \"app/terraform.tfstate\"\nregion = \"us-east-1\"\nendpoints {{\n  s3 = \"{}\"\n}}\n", moto.url),
    )
    .expect("write");
    let (code, out) = run(dir, &["plan"]);
    assert_ne!(code, 0);
    assert!(out.contains("slipway init"), "{out}");
    let bucket_arg = format!("-backend-config=bucket={bucket}");
    let (code, out) = run(dir, &["init", &bucket_arg, "-backend-config=s3.hcl"]);
    assert_ne!(code, 0, "local state exists: init asks what to do with it: {out}");
    assert!(out.contains("-migrate-state") && out.contains("-reconfigure"), "{out}");
    let (code, out) = run(dir, &["init", "-migrate-state", &bucket_arg, "-backend-config=s3.hcl"]);
    assert_eq!(code, 0, "{out}");
    let remote = state_json(&moto, &bucket, "app/terraform.tfstate");
    assert_eq!(remote["lineage"], local["lineage"], "the migrated state keeps its lineage");
    assert_eq!(remote["serial"], local["serial"]);
    let (code, out) = run(dir, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "the migrated state matches: {out}");
    let (code, out) = run(dir, &["init"]);
    assert_eq!(code, 0, "the recorded settings stand when the block is unchanged: {out}");

    // A changed block stops commands until init.
    std::fs::write(
        dir.join("main.tf"),
        format!("terraform {{\n  backend \"s3\" {{\n    key = \"other.tfstate\"\n  }}\n}}\n{}", resources(2)),
    )
    .expect("write");
    let (code, out) = run(dir, &["plan"]);
    assert_ne!(code, 0);
    assert!(out.contains("Backend configuration changed"), "{out}");
    // The state commands trust what init recorded when the configuration does not parse.
    std::fs::write(dir.join("broken.tf"), "resource \"terraform_data\" {").expect("write");
    let (code, out) = run(dir, &["state", "list"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 2, "{out}");
    std::fs::remove_file(dir.join("broken.tf")).expect("remove");
    let (code, out) = run(dir, &["init", "-reconfigure", &bucket_arg, "-backend-config=s3.hcl"]);
    assert_eq!(code, 0, "-reconfigure takes the new settings as they are: {out}");
    let (code, out) = run(dir, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // And back to local state.
    std::fs::write(dir.join("main.tf"), resources(2)).expect("write");
    std::fs::remove_file(dir.join("slipway.tfstate")).expect("remove");
    let (code, out) = run(dir, &["init", "-migrate-state"]);
    assert_eq!(code, 0, "{out}");
    let back: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("slipway.tfstate")).expect("local state")).expect("json");
    assert_eq!(back["lineage"], local["lineage"]);
    let (code, out) = run(dir, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_run_killed_mid_apply_leaves_a_journal_that_the_next_read_replays() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "journal", 400);
    let dir = dir.path();
    let lease = [("SLIPWAY_S3_LOCK_LEASE_SECONDS", "3")];
    let mut apply = command(dir, &env(&lease))
        .args(["apply", "-auto-approve", "-parallelism=2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    let journaled = loop {
        let journal: Vec<String> = keys(&moto, &bucket).into_iter().filter(|k| k.contains(".journal/")).collect();
        if journal.len() >= 3 {
            break journal;
        }
        assert!(Instant::now() < deadline, "apply never journaled");
        std::thread::sleep(Duration::from_millis(20));
    };
    apply.kill().expect("SIGKILL");
    let _ = apply.wait();
    let stored = state_json(&moto, &bucket, "app/terraform.tfstate");
    let in_object = stored["resources"]
        .as_array()
        .map_or(0, |r| r.iter().map(|r| r["instances"].as_array().map_or(0, Vec::len)).sum());
    let (code, out) = slipway_env(dir, &["state", "list"], &env(&lease));
    assert_eq!(code, 0, "{out}");
    let listed = out.lines().filter(|l| l.starts_with("terraform_data.item")).count();
    assert!(
        listed > in_object && listed >= journaled.len(),
        "the journal's operations are in the state read ({listed} listed, {in_object} in the state object, {} journal objects)",
        journaled.len()
    );
    // The next run takes the abandoned lease over, finishes the job and folds the journal in.
    let (code, out) = slipway_env(dir, &["apply", "-auto-approve", "-lock-timeout=30s"], &env(&lease));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{} added", 400 - listed)), "only what was not journaled is created: {out}");
    assert_eq!(keys(&moto, &bucket), ["app/terraform.tfstate"], "the journal is folded into the state");
}

#[test]
fn versions_of_the_state_are_listed_and_an_old_one_can_be_pulled_and_pushed_back() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "versions", 2);
    let dir = dir.path();
    let (code, out) = run(dir, &["state", "versions"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("does not keep versions: enable versioning"), "{out}");

    let enabled = aws_sdk_s3::types::VersioningConfiguration::builder()
        .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
        .build();
    block_on(moto.s3().put_bucket_versioning().bucket(&bucket).versioning_configuration(enabled).send())
        .expect("versioning");
    for run_id in ["1", "2", "3"] {
        let (code, out) = run(dir, &["apply", "-auto-approve", &format!("-var=run={run_id}")]);
        assert_eq!(code, 0, "{out}");
    }
    let (code, out) = run(dir, &["state", "versions"]);
    assert_eq!(code, 0, "{out}");
    let rows: Vec<&str> = out.lines().skip(1).filter(|l| !l.trim().is_empty()).collect();
    assert!(rows.len() >= 3, "every write is a version: {out}");
    assert!(rows[0].ends_with("(current)"), "newest first: {out}");
    let oldest = rows.last().and_then(|r| r.split_whitespace().next()).expect("a version id");

    let (code, old) = run(dir, &["state", "pull", &format!("-version={oldest}")]);
    assert_eq!(code, 0, "{old}");
    let old_state: serde_json::Value = serde_json::from_str(&old).expect("state JSON");
    let (_, current) = run(dir, &["state", "pull"]);
    let current: serde_json::Value = serde_json::from_str(&current).expect("state JSON");
    assert!(old_state["serial"].as_u64() < current["serial"].as_u64(), "an older serial");

    // Rolling back is a deliberate push of the old version.
    std::fs::write(dir.join("old.tfstate"), &old).expect("write");
    let (code, out) = run(dir, &["state", "push", "old.tfstate"]);
    assert_eq!(code, 1, "an older serial is refused without -force: {out}");
    let (code, out) = run(dir, &["state", "push", "-force", "old.tfstate"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(dir, &["state", "pull", "-version=no-such-version"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no-such-version"), "{out}");
}

#[test]
fn a_network_drop_mid_apply_leaves_a_sealed_emergency_file_that_state_push_restores() {
    let moto = Moto::start();
    let cable = support::cable::Cable::to(&moto.url);
    let bucket = bucket(&moto, "dropped");
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let passphrase = [("TF_VAR_passphrase", "correct horse battery staple")];
    let encryption = r#"variable "passphrase" {
  sensitive = true
}
terraform {
  encryption {
    key_provider "pbkdf2" "main" {
      passphrase = var.passphrase
      iterations = 200000
    }
    method "aes_gcm" "main" {
      keys = key_provider.pbkdf2.main
    }
    state {
      method = method.aes_gcm.main
    }
  }
}
"#;
    let config =
        format!("{}{encryption}{}", backend_block(&moto, &bucket).replace(&moto.url, &cable.url), resources(300));
    std::fs::write(dir.join("main.tf"), config).expect("config");
    let (code, out) = slipway_env(dir, &["init"], &env(&passphrase));
    assert_eq!(code, 0, "{out}");

    let apply = command(dir, &env(&passphrase))
        .args(["apply", "-auto-approve", "-parallelism=2", "-lock=false"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while keys(&moto, &bucket).iter().filter(|k| k.contains(".journal/")).count() < 3 {
        assert!(Instant::now() < deadline, "apply never journaled");
        std::thread::sleep(Duration::from_millis(10));
    }
    cable.cut();
    let out = apply.wait_with_output().expect("apply ends");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("errored.tfstate") && text.contains("slipway state push"), "the way back is named: {text}");
    let emergency = std::fs::read_to_string(dir.join("errored.tfstate")).expect("an emergency file");
    assert!(emergency.contains("\"encrypted_data\"") && !emergency.contains("terraform_data"), "sealed: {emergency}");

    cable.restore();
    let (code, out) = slipway_env(dir, &["state", "push", "errored.tfstate"], &env(&passphrase));
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway_env(dir, &["state", "list"], &env(&passphrase));
    assert_eq!(code, 0, "{out}");
    let saved = out.lines().filter(|l| l.starts_with("terraform_data.item")).count();
    assert!(saved > 0, "what completed before the drop is in the pushed state: {out}");
    let (code, out) = slipway_env(dir, &["apply", "-auto-approve"], &env(&passphrase));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{} added", 300 - saved)), "nothing created twice: {out}");
    let (code, out) = slipway_env(dir, &["plan", "-detailed-exitcode"], &env(&passphrase));
    assert_eq!(code, 0, "{out}");
}

/// `scripts/bench-state-s3`: lock, read, write and unlock of a 5,000-resource state through the
/// real backend and state manager, and the heartbeat's requests while a lock is held (moto's
/// recorder counts them). Ignored in normal runs: it holds a lock for a minute.
#[test]
#[ignore = "a benchmark: run scripts/bench-state-s3"]
#[allow(clippy::print_stdout)]
fn bench_state_s3() {
    use slipway_core::backend::Backend;
    use slipway_engine::lock::StateLock;
    use slipway_engine::state::{InstanceObject, InstanceStatus, State, StateManager};
    use std::sync::Arc;

    let n: usize = std::env::var("BENCH_RESOURCES").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    let hold: u64 = std::env::var("BENCH_HOLD_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(61);
    let rounds = 5;
    let moto = Moto::start();
    let bucket = bucket(&moto, "bench");
    let settings: std::collections::BTreeMap<String, String> = [
        ("bucket", bucket.as_str()),
        ("key", "bench/terraform.tfstate"),
        ("region", "us-east-1"),
        ("endpoints.s3", moto.url.as_str()),
        ("access_key", "testing"),
        ("secret_key", "testing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let s3 = slipway_provider_aws::backend_s3::S3Settings::from_map(&settings).expect("settings");
    let lease = s3.lease.as_secs();
    let backend: Arc<dyn Backend> =
        Arc::new(runtime.block_on(slipway_provider_aws::backend_s3::connect(s3)).expect("connects"));

    let mut state = State::new();
    for i in 0..n {
        let address = format!("aws_subnet.s[{i}]").parse().expect("address");
        let object = InstanceObject {
            provider: slipway_core::address::ProviderConfigAddr::root("aws"),
            schema_version: 1,
            attributes: serde_json::json!({
                "id": format!("subnet-{i:017x}"),
                "arn": format!("arn:aws:ec2:us-east-1:123456789012:subnet/subnet-{i:017x}"),
                "vpc_id": "vpc-0123456789abcdef0",
                "cidr_block": format!("10.{}.{}.0/24", i / 256, i % 256),
                "availability_zone": "us-east-1a",
                "map_public_ip_on_launch": false,
                "owner_id": "123456789012",
                "tags": { "Name": format!("s{i}") },
                "tags_all": { "Name": format!("s{i}"), "ManagedBy": "slipway" },
            }),
            sensitive_paths: vec![],
            private: vec![],
            dependencies: vec![],
            create_before_destroy: false,
            status: InstanceStatus::Ready,
        };
        state.instances.insert(address, object);
    }
    let bytes = state.to_json();
    runtime.block_on(backend.write("default", &bytes)).expect("seed");

    let mut totals = [Duration::ZERO; 5];
    for _ in 0..rounds {
        runtime.block_on(async {
            let t0 = Instant::now();
            let lock = StateLock::acquire(backend.clone(), "default", "OperationTypeApply", Duration::ZERO)
                .await
                .expect("lock");
            let t1 = Instant::now();
            let (mut manager, _) = StateManager::load(backend.clone(), "default").await.expect("read");
            let t2 = Instant::now();
            manager.state_mut();
            manager.persist(Path::new(".")).await.expect("write");
            let t3 = Instant::now();
            lock.release().await.expect("unlock");
            let t4 = Instant::now();
            for (total, d) in totals.iter_mut().zip([t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0]) {
                *total += d;
            }
        });
    }
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0 / rounds as f64);
    println!("state: {n} resources, {} bytes; mean of {rounds} rounds", bytes.len());
    println!("| lock | read | write | unlock | total |");
    println!("|---|---|---|---|---|");
    println!("| {} | {} | {} | {} | {} |", ms(totals[0]), ms(totals[1]), ms(totals[2]), ms(totals[3]), ms(totals[4]));

    // Heartbeat traffic: requests to the emulator while a lock is held and nothing else runs.
    let post = |path: &str| {
        let url = format!("{}/moto-api/recorder/{path}", moto.url);
        std::process::Command::new("curl").args(["-s", "-X", "POST", &url]).output().expect("curl");
    };
    let lock = runtime
        .block_on(StateLock::acquire(backend.clone(), "default", "OperationTypeApply", Duration::ZERO))
        .expect("lock");
    post("reset-recording");
    post("start-recording");
    std::thread::sleep(Duration::from_secs(hold));
    post("stop-recording");
    let url = format!("{}/moto-api/recorder/download-recording", moto.url);
    let recording = std::process::Command::new("curl").args(["-s", &url]).output().expect("curl");
    let requests = String::from_utf8_lossy(&recording.stdout).lines().filter(|l| !l.trim().is_empty()).count();
    runtime.block_on(lock.release()).expect("unlock");
    println!(
        "heartbeat: {requests} request(s) in {hold} s while holding the lock (lease {lease} s, renewed every {} s): {:.2} per 30 s",
        lease / 3,
        requests as f64 * 30.0 / hold as f64
    );
}

#[test]
fn encrypt_asks_s3_for_server_side_encryption() {
    let moto = Moto::start();
    let bucket = bucket(&moto, "sse");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), format!("{}{}", backend_block(&moto, &bucket), resources(1))).expect("write");
    let (code, out) = run(dir, &["init", "-backend-config=encrypt=true"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let head =
        block_on(moto.s3().head_object().bucket(&bucket).key("app/terraform.tfstate").send()).expect("head object");
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("AES256"));
}

#[test]
fn kms_key_id_asks_s3_for_kms_encryption_with_that_key() {
    let moto = Moto::start();
    let bucket = bucket(&moto, "sse-kms");
    let key = block_on(moto.kms().create_key().send()).expect("key");
    let key_arn = key.key_metadata().and_then(|m| m.arn()).expect("key arn").to_string();
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), format!("{}{}", backend_block(&moto, &bucket), resources(1))).expect("write");
    let (code, out) = run(dir, &["init", &format!("-backend-config=kms_key_id={key_arn}")]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let head =
        block_on(moto.s3().head_object().bucket(&bucket).key("app/terraform.tfstate").send()).expect("head object");
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("aws:kms"));
    assert_eq!(head.ssekms_key_id(), Some(key_arn.as_str()));
    let (code, out) = run(dir, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "the state reads back: {out}");
}

#[test]
fn workspaces_of_the_local_backend_live_in_slipway_tfstate_d() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    std::fs::write(dir.join("main.tf"), resources(1)).expect("write");
    let (code, out) = run(dir, &["workspace", "new", "dev"]);
    assert_eq!(code, 0, "{out}");
    assert!(dir.join("slipway.tfstate.d/dev/slipway.tfstate").exists());
    let (code, out) = run(dir, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("workspace = \"dev\""), "{out}");
    let (code, out) = run(dir, &["workspace", "list"]);
    assert_eq!((code, out.as_str()), (0, "  default\n* dev\n"));
    let (code, out) = slipway_env(dir, &["workspace", "show"], &env(&[("TF_WORKSPACE", "default")]));
    assert_eq!((code, out.trim()), (0, "default"), "TF_WORKSPACE overrides the selection");
    let (code, out) = run(dir, &["workspace", "select", "default"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(dir, &["workspace", "delete", "-force", "dev"]);
    assert_eq!(code, 0, "{out}");
    assert!(!dir.join("slipway.tfstate.d/dev").exists());
}

#[test]
fn ctrl_c_at_the_prompt_releases_the_lock() {
    let moto = Moto::start();
    let (dir, bucket) = setup(&moto, "sigint", 1);
    let holder = apply_at_prompt(dir.path(), &moto, &bucket, &[]);
    let pid = holder.id().to_string();
    let sent = std::process::Command::new("kill").args(["-INT", &pid]).status().expect("kill");
    assert!(sent.success());
    // Standard input stays open: the interrupt, not an empty answer, ends the run.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut holder = holder;
    while holder.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the interrupt did not stop the run");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, out) = finish(holder, "");
    assert_eq!(code, 130, "{out}");
    assert!(out.contains("releasing the state lock"), "{out}");
    assert!(get(&moto, &bucket, LOCK).is_none(), "the lock is gone");
}
