//! The GitOps examples stay true to the binary: both CI files parse as YAML, and every `slipway`
//! command they run exists with the options they give it (`slipway CMD OPTIONS... -help` is
//! refused for an unknown command or option).

#![allow(clippy::disallowed_methods)]

use std::path::Path;

/// Every string in the document, wherever it is.
fn strings(value: &serde_yaml_ng::Value, out: &mut Vec<String>) {
    match value {
        serde_yaml_ng::Value::String(s) => out.push(s.clone()),
        serde_yaml_ng::Value::Sequence(items) => items.iter().for_each(|v| strings(v, out)),
        serde_yaml_ng::Value::Mapping(map) => map.values().for_each(|v| strings(v, out)),
        serde_yaml_ng::Value::Tagged(tagged) => strings(&tagged.value, out),
        _ => {}
    }
}

/// The `slipway ...` command lines in a script, continuation lines joined, quotes removed.
fn slipway_commands(script: &str) -> Vec<Vec<String>> {
    let joined = script.replace("\\\n", " ");
    joined
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- ").or(Some(line.trim())))
        .filter(|line| line.starts_with("slipway "))
        .map(|line| line.split_whitespace().skip(1).map(|w| w.replace('\'', "")).collect())
        .collect()
}

#[test]
fn the_ci_files_parse_and_run_only_commands_that_exist() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gitops");
    let mut checked = 0;
    for file in [".github/workflows/slipway.yml", ".gitlab-ci.yml"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("read");
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut all = Vec::new();
        strings(&doc, &mut all);
        for command in all.iter().flat_map(|s| slipway_commands(s)) {
            let mut args = command.clone();
            args.push("-help".into());
            let out = assert_cmd::Command::cargo_bin("slipway")
                .expect("binary")
                .current_dir(&dir)
                .args(&args)
                .output()
                .expect("runs");
            assert!(
                out.status.success(),
                "{file}: `slipway {}` is not a command slipway has: {}",
                command.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "found only {checked} slipway commands");
}
