//! `-deny-destroy PATTERN`: a plan that would destroy or replace a protected resource fails,
//! naming each one, before anything is applied. Unlike `lifecycle { prevent_destroy }`, the
//! protection lives in the pipeline, not in the configuration a pull request can change.
//!
//! A pattern is an address in which `*` stands for any run of characters: `aws_s3_bucket.state`,
//! `module.prod.*`, `aws_db_instance.*`. A resource address also covers its instances
//! (`aws_instance.web` protects `aws_instance.web[0]`).

use slipway_core::Diagnostic;
use slipway_engine::plan::{Action, Plan};

/// The errors for each change of `plan` that destroys or replaces an address matching one of
/// `patterns`.
pub fn deny_destroy(plan: &Plan, patterns: &[String]) -> Vec<Diagnostic> {
    if patterns.is_empty() {
        return Vec::new();
    }
    plan.changes
        .iter()
        .filter(|c| c.action == Action::Delete || c.action.is_replace())
        .filter_map(|c| {
            let instance = c.addr.to_string();
            let resource = format!("{}{}", module_prefix(&c.addr.module.to_string()), c.addr.resource);
            let pattern = patterns.iter().find(|p| matches(p, &instance) || matches(p, &resource))?;
            let what = if c.action.is_replace() { "replace" } else { "destroy" };
            Some(Diagnostic::error(
                format!("Plan would {what} a protected resource"),
                format!(
                    "{instance} is protected by -deny-destroy {pattern:?}, and this plan would {what} it. If that is intended, run without this protection; otherwise change the configuration so that it keeps {instance}."
                ),
            ))
        })
        .collect()
}

fn module_prefix(module: &str) -> String {
    if module.is_empty() { String::new() } else { format!("{module}.") }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters (none included)
/// and everything else matches itself.
fn matches(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = match parts.split_first() {
        Some(split) => split,
        None => return text.is_empty(),
    };
    let Some(mut remaining) = text.strip_prefix(first) else { return false };
    let Some((last, middle)) = rest.split_last() else { return remaining.is_empty() };
    for part in middle {
        match remaining.find(part) {
            Some(at) => remaining = &remaining[at + part.len()..],
            None => return false,
        }
    }
    remaining.len() >= last.len() && remaining.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_match_any_run_and_the_rest_is_literal() {
        assert!(matches("aws_s3_bucket.state", "aws_s3_bucket.state"));
        assert!(!matches("aws_s3_bucket.state", "aws_s3_bucket.state2"));
        assert!(matches("module.prod.*", "module.prod.aws_vpc.main"));
        assert!(!matches("module.prod.*", "module.staging.aws_vpc.main"));
        assert!(matches("aws_instance.web[0]", "aws_instance.web[0]"), "brackets are literal");
        assert!(!matches("aws_instance.web[0]", "aws_instance.web0"));
        assert!(matches("*.data", "aws_ebs_volume.data"));
        assert!(matches("a*b*c", "abc") && matches("a*b*c", "a-b-b-c") && !matches("a*b*c", "a-c-b"));
        assert!(matches("*", "anything") && matches("x*", "x"));
    }
}
