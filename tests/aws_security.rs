//! Security groups, rules and key pairs end to end, through the real binary against the local
//! AWS (moto): groups with inline rule blocks (one referencing another group), standalone rule
//! resources and a key pair are applied and read back through the SDK; a second plan shows no
//! changes; one changed port is an in-place update that touches that rule only; a rule added
//! behind slipway's back is drift and is removed; a group made outside slipway is imported;
//! destroy leaves nothing behind.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange};
use support::moto::Moto;
use support::rt;
use support::slipway;

fn output(dir: &Path, name: &str) -> String {
    let (code, value) = slipway(dir, &["output", "-raw", name]);
    assert_eq!(code, 0, "output {name}: {value}");
    value
}

/// A valid ed25519 public key (RFC 8032's first test vector): moto rejects invalid keys with an
/// HTTP 500 that the SDK retries.
const PUBLIC_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea deploy@example";

const SECURITY: &str = r#"
resource "aws_vpc" "main" {
  cidr_block = "10.30.0.0/16"
}

resource "aws_security_group" "web" {
  name        = "web"
  description = "web servers"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port   = SSH_PORT
    to_port     = SSH_PORT
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"]
  }

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
    description = "https"
  }

  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = {
    Name = "web"
  }
}

resource "aws_security_group" "db" {
  name_prefix = "db-"
  vpc_id      = aws_vpc.main.id

  ingress {
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.web.id]
  }
}

resource "aws_security_group" "rules" {
  name   = "rules"
  vpc_id = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  security_group_id = aws_security_group.rules.id
  cidr_ipv4         = "192.168.0.0/16"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  tags = {
    Name = "http"
  }
}

resource "aws_vpc_security_group_egress_rule" "dns" {
  security_group_id            = aws_security_group.rules.id
  referenced_security_group_id = aws_security_group.web.id
  ip_protocol                  = "udp"
  from_port                    = 53
  to_port                      = 53
}

resource "aws_key_pair" "deploy" {
  key_name   = "deploy"
  public_key = "PUBLIC_KEY"
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "web_id" {
  value = aws_security_group.web.id
}

output "db_id" {
  value = aws_security_group.db.id
}

output "db_name" {
  value = aws_security_group.db.name
}

output "rules_id" {
  value = aws_security_group.rules.id
}

output "http_rule_id" {
  value = aws_vpc_security_group_ingress_rule.http.id
}

output "dns_rule_id" {
  value = aws_vpc_security_group_egress_rule.dns.id
}

output "fingerprint" {
  value = aws_key_pair.deploy.fingerprint
}
"#;

fn config(moto: &Moto, ssh_port: u16) -> String {
    let body = SECURITY.replace("SSH_PORT", &ssh_port.to_string()).replace("PUBLIC_KEY", PUBLIC_KEY);
    format!("{}{body}", moto.provider_block())
}

/// A group's permissions as (protocol, from, to) -> sorted sources (CIDRs and group IDs).
fn permissions(perms: &[IpPermission]) -> BTreeMap<(String, i32, i32), Vec<String>> {
    let mut out: BTreeMap<(String, i32, i32), Vec<String>> = BTreeMap::new();
    for p in perms {
        let key =
            (p.ip_protocol().unwrap_or_default().to_string(), p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
        let sources = out.entry(key).or_default();
        sources.extend(p.ip_ranges().iter().filter_map(|r| r.cidr_ip().map(str::to_string)));
        sources.extend(p.user_id_group_pairs().iter().filter_map(|g| g.group_id().map(str::to_string)));
        sources.sort();
    }
    out
}

fn key(protocol: &str, from: i32, to: i32) -> (String, i32, i32) {
    (protocol.to_string(), from, to)
}

fn group(rt: &tokio::runtime::Runtime, ec2: &aws_sdk_ec2::Client, id: &str) -> aws_sdk_ec2::types::SecurityGroup {
    let out = rt.block_on(ec2.describe_security_groups().group_ids(id).send()).expect("describe security groups");
    out.security_groups()[0].clone()
}

/// The rule IDs of a group's ingress rules by (port, source CIDR).
fn ingress_rule_ids(
    rt: &tokio::runtime::Runtime,
    ec2: &aws_sdk_ec2::Client,
    id: &str,
) -> BTreeMap<(i32, String), String> {
    let out = rt
        .block_on(
            ec2.describe_security_group_rules().filters(Filter::builder().name("group-id").values(id).build()).send(),
        )
        .expect("describe rules");
    out.security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(false))
        .map(|r| {
            (
                (r.from_port().unwrap_or(-1), r.cidr_ipv4().unwrap_or_default().to_string()),
                r.security_group_rule_id().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn groups_rules_and_a_key_pair_are_created_read_back_updated_kept_converged_and_destroyed() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), config(&moto, 22)).expect("write");

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 7 added"), "{out}");
    let (web_id, db_id, rules_id) = (output(d, "web_id"), output(d, "db_id"), output(d, "rules_id"));

    // Read back through the SDK.
    let ec2 = moto.ec2();
    let rt = rt();
    let web = group(&rt, &ec2, &web_id);
    assert_eq!((web.group_name(), web.description()), (Some("web"), Some("web servers")));
    assert_eq!(
        permissions(web.ip_permissions()),
        BTreeMap::from([
            (key("tcp", 22, 22), vec!["10.0.0.0/8".to_string()]),
            (key("tcp", 443, 443), vec!["0.0.0.0/0".to_string()]),
        ])
    );
    let https = web.ip_permissions().iter().find(|p| p.from_port() == Some(443)).expect("443");
    assert_eq!(https.ip_ranges()[0].description(), Some("https"));
    assert_eq!(
        permissions(web.ip_permissions_egress()),
        BTreeMap::from([(key("tcp", 443, 443), vec!["0.0.0.0/0".to_string()])]),
        "declared egress replaces AWS's default allow-all rule"
    );
    let db = group(&rt, &ec2, &db_id);
    assert!(db.group_name().is_some_and(|n| n.starts_with("db-")), "{:?}", db.group_name());
    assert_eq!(output(d, "db_name"), db.group_name().unwrap_or_default());
    assert_eq!(db.description(), Some("Managed by Terraform"));
    assert_eq!(permissions(db.ip_permissions()), BTreeMap::from([(key("tcp", 5432, 5432), vec![web_id.clone()])]));
    assert_eq!(
        permissions(db.ip_permissions_egress()),
        BTreeMap::from([(key("-1", -1, -1), vec!["0.0.0.0/0".to_string()])]),
        "without egress blocks AWS's default stays"
    );
    let rules = group(&rt, &ec2, &rules_id);
    assert_eq!(
        permissions(rules.ip_permissions()),
        BTreeMap::from([(key("tcp", 80, 80), vec!["192.168.0.0/16".into()])])
    );
    assert_eq!(
        permissions(rules.ip_permissions_egress()),
        BTreeMap::from([
            (key("-1", -1, -1), vec!["0.0.0.0/0".to_string()]),
            (key("udp", 53, 53), vec![web_id.clone()]),
        ])
    );
    let described = rt
        .block_on(ec2.describe_security_group_rules().security_group_rule_ids(output(d, "http_rule_id")).send())
        .expect("rule");
    let http = &described.security_group_rules()[0];
    assert_eq!((http.cidr_ipv4(), http.from_port(), http.is_egress()), (Some("192.168.0.0/16"), Some(80), Some(false)));
    assert!(http.tags().iter().any(|t| t.key() == Some("Name") && t.value() == Some("http")), "{:?}", http.tags());
    let described = rt
        .block_on(ec2.describe_security_group_rules().security_group_rule_ids(output(d, "dns_rule_id")).send())
        .expect("rule");
    let dns = &described.security_group_rules()[0];
    assert_eq!(dns.referenced_group_info().and_then(|g| g.group_id()), Some(web_id.as_str()));
    assert_eq!(dns.is_egress(), Some(true));
    let keys = rt.block_on(ec2.describe_key_pairs().key_names("deploy").send()).expect("key pairs");
    let key_pair = &keys.key_pairs()[0];
    assert_eq!(key_pair.key_fingerprint(), Some(output(d, "fingerprint").as_str()));
    assert!(key_pair.key_fingerprint().is_some_and(|f| !f.is_empty()));

    // Idempotence, also for the group whose egress rules come from AWS and a rule resource.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");

    // One port changed: an in-place update that replaces that rule and leaves the other alone.
    let before = ingress_rule_ids(&rt, &ec2, &web_id);
    std::fs::write(d.join("main.tf"), config(&moto, 2222)).expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("aws_security_group.web will be updated in-place") && !out.contains("must be replaced"),
        "{out}"
    );
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Resources: 0 added, 1 changed, 0 destroyed."), "{out}");
    let after = ingress_rule_ids(&rt, &ec2, &web_id);
    let https_rule = (443, "0.0.0.0/0".to_string());
    assert_eq!(after.get(&https_rule), before.get(&https_rule), "the unchanged rule was not touched");
    assert!(after.contains_key(&(2222, "10.0.0.0/8".into())) && !after.contains_key(&(22, "10.0.0.0/8".into())));
    assert_eq!(after.len(), 2, "{after:?}");

    // Drift: a rule added outside slipway shows in the plan and apply removes it.
    rt.block_on(
        ec2.authorize_security_group_ingress()
            .group_id(&web_id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(8080)
                    .to_port(8080)
                    .ip_ranges(IpRange::builder().cidr_ip("1.2.3.4/32").build())
                    .build(),
            )
            .send(),
    )
    .expect("authorize out of band");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_security_group.web will be updated in-place") && out.contains("8080"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let rules_now = ingress_rule_ids(&rt, &ec2, &web_id);
    assert!(!rules_now.contains_key(&(8080, "1.2.3.4/32".into())), "{rules_now:?}");
    assert_eq!(rules_now, after, "only the drifted rule was removed");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    let vpc_id = output(d, "vpc_id");
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Destroy complete! Resources: 7 destroyed."), "{out}");
    let left = rt
        .block_on(
            ec2.describe_security_groups()
                .filters(Filter::builder().name("group-id").values(&web_id).values(&db_id).values(&rules_id).build())
                .send(),
        )
        .expect("describe");
    assert!(left.security_groups().is_empty(), "{:?}", left.security_groups());
    let keys = rt.block_on(ec2.describe_key_pairs().send()).expect("key pairs");
    assert!(keys.key_pairs().is_empty(), "{:?}", keys.key_pairs());
    let vpcs = rt
        .block_on(ec2.describe_vpcs().filters(Filter::builder().name("vpc-id").values(&vpc_id).build()).send())
        .expect("vpcs");
    assert!(vpcs.vpcs().is_empty());
}

#[test]
fn an_existing_security_group_is_imported_and_then_managed() {
    let moto = Moto::start();
    let ec2 = moto.ec2();
    let rt = rt();
    let made = rt
        .block_on(ec2.create_security_group().group_name("legacy").description("legacy group").send())
        .expect("create group");
    let id = made.group_id().expect("id").to_string();
    rt.block_on(
        ec2.authorize_security_group_ingress()
            .group_id(&id)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                    .build(),
            )
            .send(),
    )
    .expect("authorize");
    let before = ingress_rule_ids(&rt, &ec2, &id);
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = r#"
resource "aws_security_group" "legacy" {
  name        = "legacy"
  description = "legacy group"

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"#;
    std::fs::write(d.join("main.tf"), format!("{}{config}", moto.provider_block())).expect("write");

    let (code, out) = slipway(d, &["import", "aws_security_group.legacy", &id]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Import successful!"), "{out}");
    let (code, out) = slipway(d, &["state", "show", "aws_security_group.legacy"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&id) && out.contains("legacy group") && out.contains("0.0.0.0/0"), "{out}");
    // Only default_tags' tag is missing: an in-place update, no replace.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("will be updated in-place") && !out.contains("must be replaced"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(ingress_rule_ids(&rt, &ec2, &id), before, "the imported rule was kept as it is");
    let legacy = group(&rt, &ec2, &id);
    assert!(legacy.tags().iter().any(|t| t.key() == Some("ManagedBy")), "{:?}", legacy.tags());
    assert_eq!(legacy.ip_permissions_egress().len(), 1, "AWS's default egress stays");
}
