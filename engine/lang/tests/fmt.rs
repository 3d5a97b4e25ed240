//! Tests of `slipway fmt`'s formatter against fixture pairs in `tests/fmt/`.
//!
//! Each `NAME.in.tf` is formatted and compared byte for byte with `NAME.out.tf`. The expected
//! outputs were produced by `terraform fmt` (v1.11) on a copy of the input, so a difference is
//! a divergence from Terraform, not a matter of taste. `hclwrite_cases` ports the input/output
//! pairs of hashicorp/hcl `hclwrite/format_test.go` (as attributes and blocks, since every
//! fixture must be a valid body). The one exception is `divergence_label_comment`: Terraform
//! drops a comment between a block's type and its labels when it re-quotes them, and we keep
//! every comment. `.gitattributes` keeps git from touching line endings, so the
//! CRLF fixture stays CRLF.

// Tests set up their fixtures on the real file system.
#![allow(clippy::disallowed_methods)]

use std::fs;
use std::path::{Path, PathBuf};

use similar::TextDiff;
use slipway_lang::format::format_source;

struct Fixture {
    name: String,
    input: String,
    expected: String,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fmt")
}

fn fixtures() -> Vec<Fixture> {
    let dir = fixture_dir();
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("read tests/fmt")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".in.tf").map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let read = |suffix: &str| {
                let path = dir.join(format!("{name}{suffix}"));
                fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            };
            Fixture { input: read(".in.tf"), expected: read(".out.tf"), name }
        })
        .collect()
}

fn format_ok(name: &str, source: &str) -> String {
    format_source(source).unwrap_or_else(|e| panic!("{name}: unexpected syntax error {e}"))
}

fn diff(name: &str, expected: &str, actual: &str) -> String {
    TextDiff::from_lines(expected, actual)
        .unified_diff()
        .header(&format!("{name} (expected)"), &format!("{name} (formatted)"))
        .to_string()
}

#[test]
fn there_are_enough_fixtures() {
    let count = fixtures().len();
    assert!(count >= 12, "only {count} fixture pairs in tests/fmt");
}

#[test]
fn fixtures_match_terraform_fmt() {
    let mut failures = Vec::new();
    for f in fixtures() {
        let actual = format_ok(&f.name, &f.input);
        if actual != f.expected {
            failures.push(diff(&f.name, &f.expected, &actual));
        }
    }
    assert!(failures.is_empty(), "{} fixture(s) differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn formatting_is_idempotent() {
    let mut failures = Vec::new();
    for f in fixtures() {
        let once = format_ok(&f.name, &f.input);
        for (label, text) in [("out", &f.expected), ("in, formatted", &once)] {
            let again = format_ok(&f.name, text);
            if &again != text {
                failures.push(diff(&format!("{} [{label}]", f.name), text, &again));
            }
        }
    }
    assert!(failures.is_empty(), "not idempotent:\n{}", failures.join("\n"));
}

/// Comments of a source, found by a scanner that only knows enough HCL to skip strings and
/// heredoc bodies. It is deliberately independent of the formatter's lexer.
fn comments(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with('#') || rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            found.push(rest[..end].trim_end().to_string());
            rest = &rest[end..];
        } else if rest.starts_with("/*") {
            let end = rest[2..].find("*/").map_or(rest.len(), |i| i + 4);
            found.push(rest[..end].to_string());
            rest = &rest[end..];
        } else if c == '"' {
            // Skip the string, honouring escapes; interpolations rarely hold quotes here.
            let mut chars = rest.char_indices().skip(1);
            let mut end = rest.len();
            while let Some((i, ch)) = chars.next() {
                match ch {
                    '\\' => {
                        chars.next();
                    }
                    '"' | '\n' => {
                        end = i + 1;
                        break;
                    }
                    _ => {}
                }
            }
            rest = &rest[end..];
        } else if let Some(after) = rest.strip_prefix("<<") {
            let after = after.strip_prefix('-').unwrap_or(after);
            let header_end = after.find('\n').unwrap_or(after.len());
            let marker = after[..header_end].trim();
            let mut body = &after[header_end..];
            // Skip body lines up to and including the closing marker.
            loop {
                let Some(nl) = body.find('\n') else {
                    body = "";
                    break;
                };
                body = &body[nl + 1..];
                let line_end = body.find('\n').unwrap_or(body.len());
                if body[..line_end].trim() == marker {
                    body = &body[line_end..];
                    break;
                }
            }
            rest = body;
        } else {
            rest = &rest[c.len_utf8()..];
        }
    }
    found
}

#[test]
fn comment_scanner_sees_all_three_kinds() {
    let src = "# a\nx = \"# not\" // b\ny = <<EOT\n# not either\nEOT\n/* c */ z = 1\n";
    assert_eq!(comments(src), ["# a", "// b", "/* c */"]);
}

#[test]
fn every_comment_survives() {
    let mut missing = Vec::new();
    for f in fixtures() {
        let before = comments(&f.input);
        let formatted = format_ok(&f.name, &f.input);
        let after = comments(&formatted);
        if before != after {
            missing.push(format!("{}:\n  before {before:?}\n  after  {after:?}", f.name));
        }
    }
    assert!(missing.is_empty(), "comments changed:\n{}", missing.join("\n"));
}

#[test]
fn syntax_errors_carry_their_position() {
    let cases: &[(&str, usize, usize)] = &[
        ("a = 1\nb = = 2\n", 2, 5),
        ("block {\n  x = \"unterminated\n}\n", 2, 3),
        ("a = [1, 2\n", 2, 1),
        ("resource \"x\" {\n  a = 1\n", 3, 1),
        ("a = 1\na = 2\n", 2, 1),
    ];
    for &(src, line, column) in cases {
        let err = format_source(src).expect_err(src);
        assert_eq!((err.line, err.column), (line, column), "{src:?}: {err}");
        assert!(!err.message.is_empty(), "{src:?}: empty message");
    }
}

#[test]
fn no_panic_on_any_prefix_of_the_fixtures() {
    // Truncated files exercise unterminated strings, heredocs, comments and brackets.
    for f in fixtures() {
        for (cut, _) in f.input.char_indices() {
            let _ = format_source(&f.input[..cut]);
        }
    }
}

#[test]
fn no_panic_on_odd_input() {
    let inputs = [
        "",
        "\n",
        "}",
        "{{{",
        "a = \"${",
        "a = <<EOT",
        "a = <<EOT\n",
        "a = <<-\n",
        "/*",
        "a = 1 ~ 2",
        "a = \"\\",
        "\u{feff}a = 1\n",
        "a = \"😀\" # 🇬🇧\u{200d}\n",
        "a\r= 1\r",
    ];
    for src in inputs {
        let _ = format_source(src);
    }
}
