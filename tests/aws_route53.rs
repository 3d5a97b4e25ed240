//! Route 53 end to end, through the real binary against the local AWS (moto): a public zone
//! with A, AAAA, CNAME, TXT, NS and alias records and a private zone with a VPC are applied and
//! read back through the SDK; names written in another case or with a trailing dot are no
//! change; a new TTL and new values are in-place updates; a new record name is a replacement;
//! a record changed or deleted outside slipway is drift; a record made outside slipway is
//! imported, and taken over only with allow_overwrite; destroy with force_destroy leaves nothing.

#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType};
use support::moto::Moto;
use support::rt;
use support::slipway;

fn output(dir: &Path, name: &str) -> String {
    let (code, value) = slipway(dir, &["output", "-raw", name]);
    assert_eq!(code, 0, "output {name}: {value}");
    value
}

const DNS: &str = r#"
resource "aws_route53_zone" "cluster" {
  name          = "ZONE_NAME"
  force_destroy = true
  tags = {
    Cluster = "k1"
  }
}

resource "aws_route53_zone" "internal" {
  name = "k1.internal"
  vpc {
    vpc_id = "VPC_ID"
  }
}

resource "aws_route53_record" "api" {
  zone_id = aws_route53_zone.cluster.zone_id
  name    = "API_NAME"
  type    = "A"
  ttl     = TTL
  records = ["10.0.0.10", "10.0.0.11"]
}

resource "aws_route53_record" "api6" {
  zone_id = aws_route53_zone.cluster.zone_id
  name    = "api.k1.example.com"
  type    = "AAAA"
  ttl     = 60
  records = ["2001:db8::10"]
}

resource "aws_route53_record" "www" {
  zone_id = aws_route53_zone.cluster.zone_id
  name    = "www"
  type    = "CNAME"
  ttl     = 300
  records = ["api.k1.example.com"]
}

resource "aws_route53_record" "txt" {
  zone_id = aws_route53_zone.cluster.zone_id
  name    = "k1.example.com"
  type    = "TXT"
  ttl     = 300
  records = ["v=spf1 -all"]
}

resource "aws_route53_record" "sub" {
  zone_id = aws_route53_zone.cluster.zone_id
  name    = "dev.k1.example.com"
  type    = "NS"
  ttl     = 300
  records = ["ns1.example.net", "ns2.example.net"]
}

resource "aws_route53_record" "apex" {
  zone_id = aws_route53_zone.cluster.zone_id
  name    = "alias.k1.example.com"
  type    = "A"
  alias {
    name                   = "lb-123.elb.us-east-1.amazonaws.com"
    zone_id                = "Z35SXDOTRQ7X7K"
    evaluate_target_health = false
  }
}

data "aws_route53_zone" "cluster" {
  name = aws_route53_zone.cluster.name
}

output "zone_id" {
  value = aws_route53_zone.cluster.zone_id
}

output "internal_id" {
  value = aws_route53_zone.internal.zone_id
}

output "api_fqdn" {
  value = aws_route53_record.api.fqdn
}

output "data_zone_id" {
  value = data.aws_route53_zone.cluster.zone_id
}
"#;

/// The provider block with Route 53 through the proxy that hides moto's CDATA.
fn provider_block(moto: &Moto, proxy: &str) -> String {
    let block = moto.provider_block();
    let line = format!("route53     = \"{}\"", moto.url);
    assert!(block.contains(&line), "{block}");
    block.replace(&line, &format!("route53     = \"{proxy}\""))
}

fn config(moto: &Moto, proxy: &str, vpc: &str, zone_name: &str, api_name: &str, ttl: u32) -> String {
    let body = DNS
        .replace("ZONE_NAME", zone_name)
        .replace("VPC_ID", vpc)
        .replace("API_NAME", api_name)
        .replace("TTL", &ttl.to_string());
    format!("{}{body}", provider_block(moto, proxy))
}

fn records(rt: &tokio::runtime::Runtime, r53: &aws_sdk_route53::Client, zone: &str) -> Vec<ResourceRecordSet> {
    rt.block_on(r53.list_resource_record_sets().hosted_zone_id(zone).send())
        .expect("list")
        .resource_record_sets()
        .to_vec()
}

fn find<'a>(sets: &'a [ResourceRecordSet], name: &str, kind: &str) -> Option<&'a ResourceRecordSet> {
    sets.iter().find(|s| s.name().trim_end_matches('.') == name && s.r#type().as_str() == kind)
}

fn values(set: &ResourceRecordSet) -> Vec<String> {
    let mut v: Vec<String> = set.resource_records().iter().map(|r| r.value().to_string()).collect();
    v.sort();
    v
}

fn upsert(rt: &tokio::runtime::Runtime, r53: &aws_sdk_route53::Client, zone: &str, name: &str, value: &str) {
    let set = ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value(value).build().expect("record"))
        .build()
        .expect("set");
    let change = Change::builder().action(ChangeAction::Upsert).resource_record_set(set).build().expect("change");
    let batch = ChangeBatch::builder().changes(change).build().expect("batch");
    rt.block_on(r53.change_resource_record_sets().hosted_zone_id(zone).change_batch(batch).send()).expect("upsert");
}

#[test]
fn zones_and_records_are_created_read_back_updated_kept_converged_replaced_and_destroyed() {
    let moto = Moto::start();
    let proxy = moto.plain_xml_proxy();
    let vpc = moto.create_vpc("10.40.0.0/16", &[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    std::fs::write(d.join("main.tf"), config(&moto, &proxy, &vpc, "k1.example.com", "api.k1.example.com", 60))
        .expect("write");

    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Apply complete! Resources: 8 added"), "{out}");
    let zone = output(d, "zone_id");
    assert_eq!(output(d, "data_zone_id"), zone);
    assert_eq!(output(d, "api_fqdn"), "api.k1.example.com");

    // Read back through the SDK.
    let r53 = moto.route53(&proxy);
    let rt = rt();
    let sets = records(&rt, &r53, &zone);
    assert_eq!(values(find(&sets, "api.k1.example.com", "A").expect("A")), ["10.0.0.10", "10.0.0.11"]);
    assert_eq!(find(&sets, "api.k1.example.com", "A").and_then(|s| s.ttl()), Some(60));
    assert_eq!(values(find(&sets, "api.k1.example.com", "AAAA").expect("AAAA")), ["2001:db8::10"]);
    assert_eq!(
        values(find(&sets, "www.k1.example.com", "CNAME").expect("relative name expanded")),
        ["api.k1.example.com"]
    );
    assert_eq!(
        values(find(&sets, "k1.example.com", "TXT").expect("TXT")),
        ["\"v=spf1 -all\""],
        "TXT quoted for Route 53"
    );
    assert_eq!(values(find(&sets, "dev.k1.example.com", "NS").expect("NS")), ["ns1.example.net", "ns2.example.net"]);
    let alias = find(&sets, "alias.k1.example.com", "A").and_then(|s| s.alias_target()).expect("alias");
    assert_eq!(alias.hosted_zone_id(), "Z35SXDOTRQ7X7K");
    let internal = rt.block_on(r53.get_hosted_zone().id(output(d, "internal_id")).send()).expect("zone");
    assert_eq!(internal.vpcs().first().and_then(|v| v.vpc_id()), Some(vpc.as_str()));
    assert_eq!(internal.hosted_zone().and_then(|z| z.config()).map(|c| c.private_zone()), Some(true));
    let tags = rt
        .block_on(
            r53.list_tags_for_resource()
                .resource_type(aws_sdk_route53::types::TagResourceType::Hostedzone)
                .resource_id(&zone)
                .send(),
        )
        .expect("tags");
    let tags: Vec<(String, String)> = tags
        .resource_tag_set()
        .map(|s| {
            s.tags()
                .iter()
                .map(|t| (t.key().unwrap_or_default().into(), t.value().unwrap_or_default().into()))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        tags.contains(&("Cluster".into(), "k1".into())) && tags.iter().any(|(k, _)| k == "slipway:owner"),
        "{tags:?}"
    );

    // Idempotence; and names in another case, with a trailing dot, are no change.
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "no changes after apply: {out}");
    std::fs::write(d.join("main.tf"), config(&moto, &proxy, &vpc, "K1.Example.com.", "API.k1.example.com.", 60))
        .expect("write");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "another spelling of the same names is no change: {out}");

    // In place: a new TTL.
    std::fs::write(d.join("main.tf"), config(&moto, &proxy, &vpc, "k1.example.com", "api.k1.example.com", 30))
        .expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("0 added, 1 changed, 0 destroyed"), "{out}");
    let sets = records(&rt, &r53, &zone);
    assert_eq!(find(&sets, "api.k1.example.com", "A").and_then(|s| s.ttl()), Some(30));

    // Drift: the A record's values changed and the CNAME deleted outside slipway.
    upsert(&rt, &r53, &zone, "api.k1.example.com", "192.0.2.1");
    let www = find(&sets, "www.k1.example.com", "CNAME").expect("www").clone();
    let change = Change::builder().action(ChangeAction::Delete).resource_record_set(www).build().expect("change");
    rt.block_on(
        r53.change_resource_record_sets()
            .hosted_zone_id(&zone)
            .change_batch(ChangeBatch::builder().changes(change).build().expect("batch"))
            .send(),
    )
    .expect("delete");
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("aws_route53_record.api will be updated in-place") && out.contains("192.0.2.1"), "{out}");
    assert!(out.contains("aws_route53_record.www will be created"), "{out}");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let sets = records(&rt, &r53, &zone);
    assert_eq!(values(find(&sets, "api.k1.example.com", "A").expect("A")), ["10.0.0.10", "10.0.0.11"]);
    assert!(find(&sets, "www.k1.example.com", "CNAME").is_some());
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "{out}");

    // Replace: another name is another record, the old one deleted.
    std::fs::write(d.join("main.tf"), config(&moto, &proxy, &vpc, "k1.example.com", "api2.k1.example.com", 30))
        .expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 added, 0 changed, 1 destroyed"), "{out}");
    let sets = records(&rt, &r53, &zone);
    assert!(find(&sets, "api.k1.example.com", "A").is_none() && find(&sets, "api2.k1.example.com", "A").is_some());

    // A record made outside slipway in the zone: force_destroy deletes it with the zone.
    upsert(&rt, &r53, &zone, "stray.k1.example.com", "192.0.2.9");
    let (code, out) = slipway(d, &["destroy", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let zones = rt.block_on(r53.list_hosted_zones().send()).expect("zones");
    assert!(zones.hosted_zones().is_empty(), "{:?}", zones.hosted_zones());
}

#[test]
fn a_record_made_outside_is_imported_and_taken_over_only_with_allow_overwrite() {
    let moto = Moto::start();
    let proxy = moto.plain_xml_proxy();
    let r53 = moto.route53(&proxy);
    let rt = rt();
    let made = rt
        .block_on(r53.create_hosted_zone().name("legacy.example.com").caller_reference("legacy").send())
        .expect("zone");
    let zone = made.hosted_zone().expect("zone").id().trim_start_matches("/hostedzone/").to_string();
    upsert(&rt, &r53, &zone, "old.legacy.example.com", "192.0.2.1");
    upsert(&rt, &r53, &zone, "taken.legacy.example.com", "192.0.2.2");
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = |overwrite: bool| {
        format!(
            r#"{provider}
resource "aws_route53_zone" "legacy" {{
  name    = "legacy.example.com"
  comment = ""
}}

resource "aws_route53_record" "old" {{
  zone_id = aws_route53_zone.legacy.zone_id
  name    = "old"
  type    = "A"
  ttl     = 60
  records = ["192.0.2.1"]
}}

resource "aws_route53_record" "taken" {{
  zone_id         = aws_route53_zone.legacy.zone_id
  name            = "taken.legacy.example.com"
  type            = "A"
  ttl             = 60
  records         = ["192.0.2.3"]
  allow_overwrite = {overwrite}
}}
"#,
            provider = provider_block(&moto, &proxy)
        )
    };
    std::fs::write(d.join("main.tf"), config(false)).expect("write");
    let (code, out) = slipway(d, &["import", "aws_route53_zone.legacy", &zone]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["import", "aws_route53_record.old", &format!("{zone}_old.legacy.example.com_A")]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway(d, &["state", "show", "aws_route53_record.old"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("192.0.2.1"), "{out}");

    // The record that exists already is not silently taken over.
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("allow_overwrite"), "{out}");
    std::fs::write(d.join("main.tf"), config(true)).expect("write");
    let (code, out) = slipway(d, &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "{out}");
    let sets = records(&rt, &r53, &zone);
    assert_eq!(values(find(&sets, "taken.legacy.example.com", "A").expect("taken")), ["192.0.2.3"]);
    let (code, out) = slipway(d, &["plan", "-detailed-exitcode"]);
    assert_eq!(code, 0, "imported names relative to the zone stay as written: {out}");
}
