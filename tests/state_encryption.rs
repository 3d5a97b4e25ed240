//! Client-side encryption of state and saved plans, end to end: the real binary with a
//! passphrase (PBKDF2) on the local backend and with AWS KMS on the S3 backend of the emulator.
//! What is on disk or in the bucket never holds a secret in plain text; the right key reads it
//! back; a wrong key or an altered byte is a clear error; a plain state migrates.

// The tests read the files slipway writes, as a user (or an attacker) would.
#![allow(clippy::disallowed_methods)]

mod support;

use std::path::Path;

use support::moto::Moto;
use support::{rt, slipway_env};

const PASSPHRASE: &str = "correct horse battery staple";
/// The value a sensitive attribute holds, looked for in every file written.
const SECRET: &str = "s3cr3t-d0-n0t-l34k";

/// A configuration with a secret in its state, encrypted with the passphrase in `var.passphrase`.
fn encrypted_config(extra_state: &str) -> String {
    format!(
        r#"variable "passphrase" {{
  type      = string
  sensitive = true
}}

terraform {{
  encryption {{
    key_provider "pbkdf2" "main" {{
      passphrase = var.passphrase
      iterations = 200000
    }}
    method "aes_gcm" "main" {{
      keys = key_provider.pbkdf2.main
    }}
    state {{
      method = method.aes_gcm.main
      {extra_state}
    }}
    plan {{
      method = method.aes_gcm.main
    }}
  }}
}}
{}"#,
        resources()
    )
}

fn resources() -> String {
    format!(
        r#"
resource "terraform_data" "secret" {{
  input = sensitive("{SECRET}")
}}

output "secret" {{
  value     = terraform_data.secret.output
  sensitive = true
}}
"#
    )
}

fn run(dir: &Path, args: &[&str], passphrase: &str) -> (i32, String) {
    slipway_env(dir, args, &[("TF_VAR_passphrase", passphrase)])
}

fn state_file(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("slipway.tfstate")).expect("state file")
}

#[test]
fn state_and_plans_are_sealed_and_read_back_with_the_passphrase() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), encrypted_config("enforced = true")).expect("config");

    let (code, out) = run(dir.path(), &["apply", "-auto-approve"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    let raw = state_file(dir.path());
    assert!(raw.contains("\"encrypted_data\"") && raw.contains("aes_gcm.main"), "{raw}");
    assert!(!raw.contains(SECRET) && !raw.contains("terraform_data"), "the state file leaks: {raw}");

    let (code, out) = run(dir.path(), &["plan", "-detailed-exitcode"], PASSPHRASE);
    assert_eq!(code, 0, "no changes with the right passphrase: {out}");
    let (code, out) = run(dir.path(), &["state", "pull"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(SECRET) && out.contains("\"lineage\""), "state pull shows the decrypted state: {out}");

    // A saved plan is sealed too, and holds no secret: not the resource's, not the passphrase.
    std::fs::write(
        dir.path().join("main.tf"),
        encrypted_config("enforced = true").replace(SECRET, "rotated-secret-value"),
    )
    .expect("config");
    let (code, out) = run(dir.path(), &["plan", "-out=change.plan"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    let plan_bytes = std::fs::read(dir.path().join("change.plan")).expect("plan file");
    let plan_text = String::from_utf8_lossy(&plan_bytes);
    assert!(plan_text.contains("\"encrypted_data\""), "{plan_text}");
    for leak in ["rotated-secret-value", SECRET, PASSPHRASE] {
        assert!(!plan_text.contains(leak), "the plan file leaks {leak:?}");
    }
    let (code, out) = run(dir.path(), &["show", "change.plan"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("terraform_data.secret must be replaced") || out.contains("terraform_data.secret"), "{out}");
    let (code, out) = run(dir.path(), &["show", "change.plan"], "the wrong passphrase entirely");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the plan could not be decrypted"), "{out}");
    let (code, out) = run(dir.path(), &["apply", "change.plan"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(dir.path(), &["state", "pull"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("rotated-secret-value"), "{out}");
}

#[test]
fn a_wrong_passphrase_or_an_altered_byte_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), encrypted_config("")).expect("config");
    let (code, out) = run(dir.path(), &["apply", "-auto-approve"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    let before = state_file(dir.path());

    for args in [&["plan"][..], &["state", "list"], &["apply", "-auto-approve"]] {
        let (code, out) = run(dir.path(), args, "not the passphrase it was written with");
        assert_eq!(code, 1, "{args:?}: {out}");
        assert!(
            out.contains("could not be decrypted with aes_gcm.main (key from pbkdf2.main)")
                && out.contains("Check the passphrase"),
            "{args:?}: {out}"
        );
        assert!(!out.contains("panicked"), "{out}");
    }
    assert_eq!(state_file(dir.path()), before, "a failed read writes nothing");

    // One flipped character in the ciphertext.
    let mut envelope: serde_json::Value = serde_json::from_str(&before).expect("envelope is JSON");
    let data = envelope["encrypted_data"].as_str().expect("data").to_string();
    let middle = data.len() / 2;
    let flipped = if &data[middle..=middle] == "A" { "B" } else { "A" };
    envelope["encrypted_data"] = format!("{}{flipped}{}", &data[..middle], &data[middle + 1..]).into();
    std::fs::write(dir.path().join("slipway.tfstate"), envelope.to_string()).expect("tamper");
    let (code, out) = run(dir.path(), &["plan"], PASSPHRASE);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("or the state was altered"), "{out}");

    // Without the encryption block, the state is refused, not misread as empty.
    std::fs::write(dir.path().join("slipway.tfstate"), &before).expect("restore");
    std::fs::write(dir.path().join("main.tf"), resources()).expect("plain config");
    let (code, out) = run(dir.path(), &["plan"], PASSPHRASE);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the state is encrypted, but no encryption is configured"), "{out}");
}

#[test]
fn a_plain_state_is_encrypted_when_encryption_is_added_unless_enforced_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("main.tf"), resources()).expect("config");
    let (code, out) = run(dir.path(), &["apply", "-auto-approve"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    assert!(state_file(dir.path()).contains(SECRET), "plain to begin with");

    std::fs::write(dir.path().join("main.tf"), encrypted_config("enforced = true")).expect("config");
    let (code, out) = run(dir.path(), &["plan"], PASSPHRASE);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the state is not encrypted, but the encryption block enforces encryption"), "{out}");

    std::fs::write(dir.path().join("main.tf"), encrypted_config("")).expect("config");
    let (code, out) = run(dir.path(), &["plan", "-detailed-exitcode"], PASSPHRASE);
    assert_eq!(code, 0, "the plain state reads as it is: {out}");
    let (code, out) = run(dir.path(), &["apply", "-auto-approve"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    let raw = state_file(dir.path());
    assert!(raw.contains("\"encrypted_data\"") && !raw.contains(SECRET), "migrated: {raw}");

    // From now on it is enforced, and a second plan still sees no changes.
    std::fs::write(dir.path().join("main.tf"), encrypted_config("enforced = true")).expect("config");
    let (code, out) = run(dir.path(), &["plan", "-detailed-exitcode"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn configuration_errors_point_at_the_encryption_block() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = encrypted_config("").replace("keys = key_provider.pbkdf2.main", "keys = key_provider.pbkdf2.other");
    std::fs::write(dir.path().join("main.tf"), config).expect("config");
    let (code, out) = run(dir.path(), &["plan"], PASSPHRASE);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Reference to an undeclared key provider") && out.contains("main.tf:13:14"), "{out}");
    assert_eq!(out.matches("error").count(), 1, "one mistake, one error (no cascade): {out}");

    let (code, out) = run(dir.path(), &["plan"], "short");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the passphrase must be at least 16 characters long") && out.contains("main.tf:"), "{out}");

    std::fs::write(dir.path().join("main.tf"), encrypted_config("")).expect("config");
    let (code, out) = slipway_env(dir.path(), &["plan", "-input=false"], &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("passphrase"), "a missing passphrase variable is named: {out}");
}

#[test]
fn kms_keys_seal_the_state_in_s3() {
    let moto = Moto::start();
    let runtime = rt();
    let key_id = runtime
        .block_on(moto.kms().create_key().description("slipway state").send())
        .expect("create key")
        .key_metadata()
        .map(|m| m.key_id().to_string())
        .expect("key id");
    let bucket = format!("kms-state-{}", std::process::id());
    runtime.block_on(moto.s3().create_bucket().bucket(&bucket).send()).expect("bucket");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        r#"terraform {{
  backend "s3" {{
    bucket = "{bucket}"
    key    = "app/terraform.tfstate"
    region = "us-east-1"
    endpoints {{
      s3 = "{url}"
    }}
  }}
  encryption {{
    key_provider "aws_kms" "main" {{
      kms_key_id = "{key_id}"
      key_spec   = "AES_256"
      region     = "us-east-1"
      endpoint   = "{url}"
    }}
    method "aes_gcm" "main" {{
      keys = key_provider.aws_kms.main
    }}
    state {{
      method   = method.aes_gcm.main
      enforced = true
    }}
  }}
}}
{}"#,
        resources(),
        url = moto.url
    );
    std::fs::write(dir.path().join("main.tf"), config).expect("config");
    let env = [("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")];
    for args in [&["init"][..], &["apply", "-auto-approve"]] {
        let (code, out) = slipway_env(dir.path(), args, &env);
        assert_eq!(code, 0, "{args:?}: {out}");
    }
    let object =
        runtime.block_on(moto.s3().get_object().bucket(&bucket).key("app/terraform.tfstate").send()).expect("object");
    let object = runtime.block_on(object.body.collect()).expect("body");
    let raw = String::from_utf8_lossy(&object.into_bytes()).into_owned();
    assert!(raw.contains("\"key_provider\":\"aws_kms.main\"") && raw.contains("ciphertext_blob"), "{raw}");
    assert!(!raw.contains(SECRET), "the object leaks: {raw}");

    let (code, out) = slipway_env(dir.path(), &["plan", "-detailed-exitcode"], &env);
    assert_eq!(code, 0, "{out}");
    let (code, out) = slipway_env(dir.path(), &["state", "pull"], &env);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(SECRET), "{out}");
    let (code, out) = slipway_env(dir.path(), &["destroy", "-auto-approve"], &env);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_plain_plan_file_never_holds_the_passphrase() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = encrypted_config("").replace("    plan {\n      method = method.aes_gcm.main\n    }\n", "");
    assert!(!config.contains("plan {"), "{config}");
    std::fs::write(dir.path().join("main.tf"), config).expect("config");
    let (code, out) = run(dir.path(), &["plan", "-out=plain.plan"], PASSPHRASE);
    assert_eq!(code, 0, "{out}");
    let plan_text = String::from_utf8_lossy(&std::fs::read(dir.path().join("plain.plan")).expect("plan")).into_owned();
    assert!(plan_text.contains("terraform_data"), "plans are plain without a plan block");
    assert!(!plan_text.contains(PASSPHRASE), "the passphrase is not saved with the plan's variables");
    let (code, out) = run(dir.path(), &["apply", "plain.plan"], PASSPHRASE);
    assert_eq!(code, 0, "applying reads the passphrase from the environment again: {out}");
    assert!(!state_file(dir.path()).contains(SECRET));
}
