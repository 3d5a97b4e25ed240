//! End-to-end tests of the `slipway` binary's language commands: `validate`, `fmt`, `console`
//! and `version`, run as a user runs them, on configurations written to a temporary directory.

// Tests set up their fixtures on the real file system.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use assert_cmd::Command;

fn slipway(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("slipway").expect("slipway binary");
    cmd.current_dir(dir).env("NO_COLOR", "1").env_remove("TF_WORKSPACE").env_remove("CI");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create dirs");
    }
    std::fs::write(path, text).expect("write file");
}

fn stdout_of(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const NETWORK: &str = r#"variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
}

variable "zones" {
  type    = list(string)
  default = ["us-east-1a", "us-east-1b"]
}

locals {
  subnets = { for i, zone in var.zones : zone => cidrsubnet(var.cidr, 8, i) }
}

resource "aws_vpc" "main" {
  cidr_block = var.cidr
}

resource "aws_subnet" "zone" {
  for_each          = local.subnets
  vpc_id            = aws_vpc.main.id
  availability_zone = each.key
  cidr_block        = each.value
}

output "subnets" {
  value = local.subnets
}
"#;

#[test]
fn validate_accepts_a_valid_configuration() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "main.tf", NETWORK);
    let (code, stdout, stderr) = stdout_of(slipway(dir.path()).arg("validate"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim(), "Success! The configuration is valid.");
}

#[test]
fn validate_reports_every_error_with_its_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "main.tf",
        &NETWORK.replace("var.cidr\n}", "var.cdir\n}").replace("each.value\n", "each.valeu\n"),
    );
    write(dir.path(), "extra.tf", "output \"x\" {\n  value = upperr(\"a\")\n}\n");
    let (code, _, stderr) = stdout_of(slipway(dir.path()).arg("validate"));
    assert_eq!(code, 1);
    assert!(stderr.contains("main.tf:16:16"), "{stderr}");
    assert!(stderr.contains("Did you mean \"cidr\"?"), "{stderr}");
    assert!(stderr.contains("extra.tf:2:11"), "{stderr}");
    assert!(stderr.contains("Did you mean \"upper\"?"), "{stderr}");
    assert!(stderr.contains("each.valeu"), "{stderr}");
}

#[test]
fn validate_json_matches_terraforms_shape() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "main.tf", "locals {\n  a = local.b\n}\n");
    let (code, stdout, _) = stdout_of(slipway(dir.path()).args(["validate", "-json"]));
    assert_eq!(code, 1);
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["error_count"], 1);
    let diag = &doc["diagnostics"][0];
    assert_eq!(diag["severity"], "error");
    assert_eq!(diag["summary"], "Reference to undeclared local value");
    assert_eq!(diag["range"]["filename"], "main.tf");
    assert_eq!(diag["range"]["start"]["line"], 2);
    assert_eq!(diag["range"]["start"]["column"], 7);
}

#[test]
fn chdir_runs_in_another_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "infra/main.tf", NETWORK);
    let (code, stdout, stderr) = stdout_of(slipway(dir.path()).args(["-chdir=infra", "validate"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Success!"));
}

#[test]
fn fmt_check_diff_and_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy =
        "resource \"aws_vpc\" \"main\" {\ncidr_block = \"10.0.0.0/16\" # the network\n  enable_dns_support=true\n}\n";
    write(dir.path(), "main.tf", messy);
    write(dir.path(), "modules/net/main.tf", messy);

    let (code, stdout, _) = stdout_of(slipway(dir.path()).args(["fmt", "-check"]));
    assert_eq!(code, 3, "unformatted files make -check exit 3");
    assert_eq!(stdout.trim(), "main.tf");
    assert_eq!(std::fs::read_to_string(dir.path().join("main.tf")).expect("read"), messy, "-check writes nothing");

    let (_, diff, _) = stdout_of(slipway(dir.path()).args(["fmt", "-check", "-diff", "-list=false"]));
    assert!(diff.contains("+  cidr_block         = \"10.0.0.0/16\" # the network"), "{diff}");

    let (code, stdout, _) = stdout_of(slipway(dir.path()).args(["fmt", "-recursive"]));
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["main.tf", "modules/net/main.tf"]);
    let formatted = std::fs::read_to_string(dir.path().join("main.tf")).expect("read");
    assert_eq!(
        formatted,
        "resource \"aws_vpc\" \"main\" {\n  cidr_block         = \"10.0.0.0/16\" # the network\n  enable_dns_support = true\n}\n"
    );

    let (code, stdout, _) = stdout_of(slipway(dir.path()).args(["fmt", "-check", "-recursive"]));
    assert_eq!((code, stdout.as_str()), (0, ""), "formatting is idempotent");
}

#[test]
fn fmt_reads_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, stdout, _) = stdout_of(slipway(dir.path()).args(["fmt", "-"]).write_stdin("a=1\nbb = 2\n"));
    assert_eq!(code, 0);
    assert_eq!(stdout, "a  = 1\nbb = 2\n");
}

#[test]
fn fmt_reports_syntax_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "main.tf", "resource \"x\" \"y\" {\n  a = [\n");
    let (code, _, stderr) = stdout_of(slipway(dir.path()).arg("fmt"));
    assert_eq!(code, 2);
    assert!(stderr.contains("main.tf:"), "{stderr}");
}

#[test]
fn console_evaluates_each_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "main.tf", NETWORK);
    let input = "local.subnets\naws_vpc.main.id\n\"${var.cidr}!\"\n1 + \"2\"\n";
    let (code, stdout, stderr) =
        stdout_of(slipway(dir.path()).args(["console", "-var", "cidr=172.16.0.0/12"]).write_stdin(input));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "{\n  \"us-east-1a\" = \"172.16.0.0/20\"\n  \"us-east-1b\" = \"172.16.16.0/20\"\n}\n(known after apply)\n\"172.16.0.0/12!\"\n3\n"
    );
}

#[test]
fn console_takes_variables_from_files_and_environment_and_redacts_secrets() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(
        dir.path(),
        "main.tf",
        "variable \"token\" {\n  sensitive = true\n}\nvariable \"size\" {\n  type = number\n}\nvariable \"name\" {}\n",
    );
    write(dir.path(), "terraform.tfvars", "size = 3\n");
    write(dir.path(), "prod.tfvars", "name = \"from-file\"\n");
    let mut cmd = slipway(dir.path());
    cmd.args(["console", "-var-file=prod.tfvars"]).env("TF_VAR_token", "hunter2").env("TF_VAR_size", "1");
    let (code, stdout, stderr) =
        stdout_of(cmd.write_stdin("var.token\nvar.size * 2\nvar.name\nnonsensitive(var.token)\n"));
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "(sensitive value)\n6\n\"from-file\"\n\"hunter2\"\n");
}

#[test]
fn console_reports_errors_and_continues() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "main.tf", "locals {\n  a = 1\n}\n");
    let (code, stdout, stderr) = stdout_of(slipway(dir.path()).arg("console").write_stdin("local.b\nlocal.a\n"));
    assert_eq!(code, 1, "a failed expression fails a non-interactive run");
    assert_eq!(stdout, "1\n");
    assert!(stderr.contains("Reference to undeclared local value"), "{stderr}");
}

#[test]
fn version_prints_text_and_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, stdout, _) = stdout_of(slipway(dir.path()).arg("version"));
    assert_eq!(code, 0);
    assert!(stdout.starts_with(&format!("slipway v{}", env!("CARGO_PKG_VERSION"))), "{stdout}");
    let (_, json, _) = stdout_of(slipway(dir.path()).args(["version", "-json"]));
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(doc["slipway_version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn every_example_validates_and_is_formatted() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).expect("examples directory") {
        let dir = entry.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        let (code, _, stderr) = stdout_of(slipway(&dir).arg("validate"));
        assert_eq!(code, 0, "{} does not validate:\n{stderr}", dir.display());
        let (code, stdout, _) = stdout_of(slipway(&dir).args(["fmt", "-check", "-recursive"]));
        assert_eq!(code, 0, "{} is not formatted: {stdout}", dir.display());
        checked += 1;
    }
    assert!(checked > 0, "no examples found");
}
