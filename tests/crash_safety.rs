//! Crash safety, proved by killing: a 40-resource apply against the local AWS is killed with
//! SIGKILL at 20 points: half just after one more operation completed, with others in flight,
//! half at fixed times after the start, wherever the run is.
//! Each next run picks up from the journal; the last one finishes. Then what EC2 holds is
//! exactly what the state records: nothing forgotten, nothing created twice (the owner tags and
//! idempotency tokens of the AWS provider), and a second plan shows no changes. Every run takes
//! the state lock: a killed holder's lock dies with it, so none needs `force-unlock`.

// The test watches the journal file slipway writes.
#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::moto::Moto;
use support::{command, rt, slipway_env};

const KILLS: usize = 20;

/// 40 resources: a VPC, its gateway and route table, 12 subnets, 12 security groups with 9
/// rules, and 4 instances (whose RunInstances the emulator does not make idempotent, so only
/// adoption by owner tag keeps them single).
const CONFIG: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.40.0.0/16"
  tags       = { Name = "crash" }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_subnet" "s" {
  count             = 12
  vpc_id            = aws_vpc.main.id
  cidr_block        = cidrsubnet(aws_vpc.main.cidr_block, 8, count.index)
  availability_zone = "us-east-1a"
  tags              = { Name = "crash-${count.index}" }
}

resource "aws_security_group" "g" {
  count  = 12
  name   = "crash-${count.index}"
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "r" {
  count             = 9
  security_group_id = aws_security_group.g[count.index].id
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "tcp"
  from_port         = 8000 + count.index
  to_port           = 8000 + count.index
}

resource "aws_instance" "i" {
  count         = 4
  ami           = "ami-1e749f67"
  instance_type = "t3.micro"
  subnet_id     = aws_subnet.s[count.index].id
  tags          = { Name = "crash-${count.index}" }
}
"#;

fn env(moto: &Moto) -> Vec<(&str, &str)> {
    vec![
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]
}

fn journal_lines(dir: &Path) -> usize {
    std::fs::read(dir.join("slipway.tfstate.journal")).map_or(0, |bytes| bytes.iter().filter(|b| **b == b'\n').count())
}

/// Every `id` the state records, for the kinds the emulator lists by owner tag.
fn ids_in_state(moto: &Moto, dir: &Path) -> BTreeSet<String> {
    let (code, out) = slipway_env(dir, &["state", "pull"], &env(moto));
    assert_eq!(code, 0, "{out}");
    let state: serde_json::Value = serde_json::from_str(&out).expect("state JSON");
    state["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["type"] != "aws_vpc_security_group_ingress_rule")
        .flat_map(|r| r["instances"].as_array().cloned().unwrap_or_default())
        .filter_map(|i| i["attributes"]["id"].as_str().map(str::to_string))
        .collect()
}

/// The ingress rules of the crash groups, as EC2 lists them: (group, port) pairs, with repeats.
fn rules_in_ec2(moto: &Moto, rt: &tokio::runtime::Runtime) -> Vec<(String, i32)> {
    let out = rt.block_on(moto.ec2().describe_security_group_rules().send()).expect("rules");
    let mut rules: Vec<(String, i32)> = out
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .filter_map(|r| Some((r.group_id()?.to_string(), r.from_port()?)))
        .collect();
    rules.sort();
    rules
}

/// What must hold once a run finished after kills: no changes planned, EC2 holding exactly the
/// objects the state records, each rule authorized once.
fn assert_converged(moto: &Moto, d: &Path, rt: &tokio::runtime::Runtime, kills: usize) {
    let (code, out) = slipway_env(d, &["plan", "-detailed-exitcode"], &env(moto));
    assert_eq!(code, 0, "a second plan shows no changes after {kills} kills: {out}");
    let in_state = ids_in_state(moto, d);
    assert_eq!(in_state.len(), 31, "every tagged object is in the state once");
    let owned: Vec<String> = moto.owned_by_slipway(rt);
    let owned_set: BTreeSet<String> = owned.iter().cloned().collect();
    assert_eq!(owned.len(), owned_set.len());
    assert_eq!(owned_set, in_state, "EC2 holds exactly what the state records: nothing forgotten, nothing doubled");
    let rules = rules_in_ec2(moto, rt);
    let distinct: BTreeSet<_> = rules.iter().cloned().collect();
    assert_eq!((rules.len(), distinct.len()), (9, 9), "each rule authorized once: {rules:?}");
}

fn destroy(moto: &Moto, d: &Path, rt: &tokio::runtime::Runtime) {
    let (code, out) = slipway_env(d, &["destroy", "-auto-approve"], &env(moto));
    assert_eq!(code, 0, "{out}");
    assert_eq!(moto.owned_by_slipway(rt), Vec::<String>::new(), "destroy leaves nothing");
    assert!(rules_in_ec2(moto, rt).is_empty(), "no rule left");
}

#[test]
fn an_apply_killed_at_twenty_points_converges_with_nothing_lost_or_doubled() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), CONFIG).expect("config");
    let rt = rt();

    // Kill, run again, kill... A machine fast enough to finish the apply before the 20th kill
    // gets the check, a destroy and another round from empty, until 20 kills were made.
    let mut kills = 0;
    while kills < KILLS {
        let before = journal_lines(d);
        let log = std::fs::File::create(d.join("apply.log")).expect("log");
        let mut apply = command(d, &env(&moto))
            .args(["apply", "-auto-approve", "-parallelism=2"])
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn");
        // Every other kill comes once one more operation is journaled, at a varying moment
        // after, so that other operations are in flight: some objects exist that no journal
        // names yet. The others come at a fixed time after the start, wherever the run is then
        // (reading state, refreshing, planning, in the middle of a call).
        let wanted = before + 1;
        let started = Instant::now();
        let by_time = (kills % 2 == 1).then(|| Duration::from_millis([10, 25, 50, 80, 120][(kills / 2) % 5]));
        let deadline = started + Duration::from_secs(120);
        let exited = loop {
            if let Some(status) = apply.try_wait().expect("wait") {
                break Some(status);
            }
            let due = match by_time {
                Some(after) => started.elapsed() >= after,
                None => journal_lines(d) >= wanted,
            };
            if due {
                break None;
            }
            assert!(Instant::now() < deadline, "the apply made no progress in two minutes");
            std::thread::sleep(Duration::from_millis(5));
        };
        match exited {
            Some(status) => {
                let log = std::fs::read_to_string(d.join("apply.log")).unwrap_or_default();
                assert!(status.success(), "an uninterrupted run succeeds (after {kills} kills): {log}");
                assert_converged(&moto, d, &rt, kills);
                destroy(&moto, d, &rt);
            }
            None => {
                std::thread::sleep(Duration::from_millis([0, 5, 15][(kills / 2) % 3]));
                apply.kill().expect("SIGKILL");
                let _ = apply.wait();
                kills += 1;
            }
        }
    }
    let (code, out) = slipway_env(d, &["apply", "-auto-approve"], &env(&moto));
    assert_eq!(code, 0, "the run after the last kill converges: {out}");
    assert_converged(&moto, d, &rt, kills);
    destroy(&moto, d, &rt);
}
