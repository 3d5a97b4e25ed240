//! The Markdown plan for pull requests, end to end through the real binary: a golden file of a
//! plan that creates, updates, replaces and destroys (destroys and replacements listed first,
//! each change in a `<details>` block, change symbols in the first column of a `diff` block), and
//! a 3,000-resource plan that stays under the size limit with its summary whole.

#![allow(clippy::disallowed_methods)]

mod support;

use support::slipway;

fn applied(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), config).expect("write");
    let (code, out) = slipway(dir.path(), &["apply", "-auto-approve"]);
    assert_eq!(code, 0, "first apply: {out}");
    dir
}

const BEFORE: &str = r#"
resource "terraform_data" "config" {
  input = { size = "small", zone = "a" }
}

resource "terraform_data" "server" {
  input            = "v1"
  triggers_replace = ["v1"]
}

resource "terraform_data" "old" {
  input = "going away"
}
"#;

const AFTER: &str = r#"
resource "terraform_data" "config" {
  input = { size = "large", zone = "a" }
}

resource "terraform_data" "server" {
  input            = "v2"
  triggers_replace = ["v2"]
}

resource "terraform_data" "new" {
  input = "hello"
}
"#;

#[test]
fn a_mixed_plan_as_markdown() {
    let dir = applied(BEFORE);
    let d = dir.path();
    std::fs::write(d.join("main.tf"), AFTER).expect("write");
    let (code, out) = slipway(d, &["plan", "-out=tfplan", "-markdown=plan.md", "-detailed-exitcode"]);
    assert_eq!(code, 2, "{out}");
    let written = std::fs::read_to_string(d.join("plan.md")).expect("plan -markdown wrote the file");
    let (code, shown) = slipway(d, &["show", "-markdown", "tfplan"]);
    assert_eq!(code, 0, "{shown}");
    assert_eq!(shown, written, "plan -markdown and show -markdown agree");
    let destroys = shown.find("**Destroyed or replaced:**").expect("the dangerous part is listed");
    let details = shown.find("<details>").expect("details follow");
    assert!(destroys < details, "destroys and replacements come before the details:\n{shown}");
    insta::with_settings!({
        filters => vec![(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>")],
        snapshot_path => "snapshots/plans",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("markdown_mixed", shown);
    });
}

#[test]
fn a_3000_resource_plan_stays_under_the_limit_with_its_summary_whole() {
    let mut before = String::new();
    for i in 0..3000 {
        before.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = \"a fairly long value number {i} before\"\n}}\n"
        ));
    }
    let dir = applied(&before);
    let d = dir.path();
    // Every resource changes; every tenth is removed.
    let mut after = String::new();
    for i in (0..3000).filter(|i| i % 10 != 0) {
        after.push_str(&format!(
            "resource \"terraform_data\" \"r{i}\" {{\n  input = \"a fairly long value number {i} after\"\n}}\n"
        ));
    }
    std::fs::write(d.join("main.tf"), after).expect("write");
    let (code, out) = slipway(d, &["plan", "-out=tfplan"]);
    assert_eq!(code, 0, "{out}");
    for limit in [65_000usize, 20_000] {
        let (code, md) = slipway(d, &["show", "-markdown", &format!("-markdown-limit={limit}"), "tfplan"]);
        assert_eq!(code, 0, "{md}");
        assert!(md.chars().count() <= limit, "{} characters over the limit {limit}", md.chars().count());
        assert!(md.starts_with("### Slipway plan: 0 to add, 2700 to change, 300 to destroy"), "{}", &md[..200]);
        assert!(md.contains("| Update in place | 2700 |") && md.contains("| Destroy | 300 |"), "counts whole");
        if limit == 65_000 {
            assert!(md.contains("- `terraform_data.r2990` destroyed"), "every destroy is listed");
        } else {
            assert!(md.contains("- `terraform_data.r0` destroyed"), "the first destroys are listed");
            assert!(md.contains("more: `slipway show PLANFILE` lists them all"), "and the rest counted");
        }
        assert!(md.contains("more changes are left out"), "says what was left out");
    }
}
