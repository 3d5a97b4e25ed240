//! IAM policy documents compared by meaning, not by text: users write the same policy in many
//! ways (key order, whitespace, `"s3:*"` or `["s3:*"]`, statements in any order) and IAM hands
//! documents back URL-encoded. A plan must show no diff for any of these.

use serde_json::{Map, Value as Json};

/// The statement keys whose value is a set of strings (one string counts as a set of one).
const STRING_SETS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];

/// The JSON of a document as AWS returns it: IAM URL-encodes documents (RFC 3986), S3 and
/// others do not. A document that already parses is left alone.
pub fn decode(document: &str) -> String {
    if serde_json::from_str::<Json>(document).is_ok() {
        return document.to_string();
    }
    percent_encoding::percent_decode_str(document).decode_utf8_lossy().into_owned()
}

/// Whether two policy documents mean the same. Documents that are not JSON are equal only as
/// the same text.
pub fn equivalent(a: &str, b: &str) -> bool {
    match (canonical(a), canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => decode(a) == decode(b),
    }
}

/// What the state should hold for a document AWS returned as `actual`: the `known` text (the
/// configuration's, or the prior state's) while it means the same, so there is no diff; AWS's
/// (decoded) otherwise, which shows as drift.
pub fn keep_known(known: Option<&str>, actual: &str) -> String {
    match known {
        Some(k) if equivalent(k, actual) => k.to_string(),
        _ => decode(actual),
    }
}

/// Plans the document attribute `name`: the prior text while the configured one means the
/// same, so that reformatting a policy in the configuration is no change.
pub fn plan_document(
    prior: Option<&slipway_core::Value>,
    planned: &mut std::collections::BTreeMap<String, slipway_core::Value>,
    name: &str,
) {
    let Some(prior) = prior.and_then(|p| p.get_attr(name)).and_then(|v| v.as_str()) else { return };
    let Some(wanted) = planned.get(name).and_then(|v| v.as_str()) else { return };
    if wanted != prior && equivalent(wanted, prior) {
        planned.insert(name.to_string(), slipway_core::Value::string(prior));
    }
}

/// The document in one canonical form: keys sorted, sets sorted and deduplicated, single
/// values as one-element lists, statements in a fixed order, empty `Sid`s dropped.
pub fn canonical(document: &str) -> Option<Json> {
    let parsed: Json = serde_json::from_str(&decode(document)).ok()?;
    let Json::Object(top) = parsed else { return None };
    let mut out = Map::new();
    for (key, value) in sorted(top) {
        let value = if key == "Statement" {
            let statements = match value {
                Json::Array(items) => items,
                single => vec![single],
            };
            let mut canon: Vec<Json> = statements.into_iter().map(statement).collect();
            canon.sort_by_key(|s| s.to_string());
            canon.dedup();
            Json::Array(canon)
        } else {
            sort_deep(value)
        };
        out.insert(key, value);
    }
    Some(Json::Object(out))
}

fn statement(value: Json) -> Json {
    let Json::Object(fields) = value else { return sort_deep(value) };
    let mut out = Map::new();
    for (key, value) in sorted(fields) {
        let value = match key.as_str() {
            "Sid" if value.as_str() == Some("") => continue,
            k if STRING_SETS.contains(&k) => string_set(value),
            "Principal" | "NotPrincipal" => principal(value),
            "Condition" => condition(value),
            _ => sort_deep(value),
        };
        out.insert(key, value);
    }
    Json::Object(out)
}

/// `"*"` is the same principal as `{"AWS": "*"}`; each principal type holds a set.
fn principal(value: Json) -> Json {
    match value {
        Json::String(s) if s == "*" => Json::Object(Map::from_iter([("AWS".to_string(), string_set(Json::String(s)))])),
        Json::Object(types) => Json::Object(sorted(types).into_iter().map(|(k, v)| (k, string_set(v))).collect()),
        other => sort_deep(other),
    }
}

/// Operator -> key -> set of values.
fn condition(value: Json) -> Json {
    let Json::Object(operators) = value else { return sort_deep(value) };
    let operators = sorted(operators).into_iter().map(|(op, keys)| {
        let keys = match keys {
            Json::Object(keys) => Json::Object(sorted(keys).into_iter().map(|(k, v)| (k, string_set(v))).collect()),
            other => sort_deep(other),
        };
        (op, keys)
    });
    Json::Object(operators.collect())
}

/// A string or list of scalars as a sorted, deduplicated list of strings: IAM reads `true` and
/// `"true"`, `5` and `"5"` alike in these places.
fn string_set(value: Json) -> Json {
    let items = match value {
        Json::Array(items) => items,
        single => vec![single],
    };
    let mut strings: Vec<String> = Vec::new();
    for item in items {
        match item {
            Json::String(s) => strings.push(s),
            Json::Bool(b) => strings.push(b.to_string()),
            Json::Number(n) => strings.push(n.to_string()),
            // Not a scalar: not a set of strings after all; keep it as written, sorted.
            other => return sort_deep(other),
        }
    }
    strings.sort();
    strings.dedup();
    Json::Array(strings.into_iter().map(Json::String).collect())
}

fn sorted(map: Map<String, Json>) -> Vec<(String, Json)> {
    let mut entries: Vec<(String, Json)> = map.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

fn sort_deep(value: Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(sorted(map).into_iter().map(|(k, v)| (k, sort_deep(v))).collect()),
        Json::Array(items) => Json::Array(items.into_iter().map(sort_deep).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::equivalent;

    const BASE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;

    /// Pairs that mean the same policy.
    const EQUAL: &[(&str, &str)] = &[
        // whitespace and indentation
        (
            BASE,
            "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Effect\": \"Allow\",\n      \"Action\": \"s3:GetObject\",\n      \"Resource\": \"arn:aws:s3:::b/*\"\n    }\n  ]\n}",
        ),
        // key order at the top and in a statement
        (
            BASE,
            r#"{"Statement":[{"Resource":"arn:aws:s3:::b/*","Action":"s3:GetObject","Effect":"Allow"}],"Version":"2012-10-17"}"#,
        ),
        // a single action as a one-element list
        (
            BASE,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
        // a single resource as a one-element list
        (
            BASE,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*"]}]}"#,
        ),
        // one statement as an object instead of a list
        (
            BASE,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        ),
        // URL-encoded, as IAM returns documents
        (
            BASE,
            "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22arn%3Aaws%3As3%3A%3A%3Ab%2F%2A%22%7D%5D%7D",
        ),
        // URL-encoded with spaces as %20
        (
            r#"{"Version": "2012-10-17", "Statement": []}"#,
            "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D",
        ),
        // actions in another order
        (
            r#"{"Statement":[{"Effect":"Allow","Action":["ec2:Describe*","s3:List*"],"Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:List*","ec2:Describe*"],"Resource":"*"}]}"#,
        ),
        // a repeated action
        (
            r#"{"Statement":[{"Effect":"Allow","Action":["s3:List*","s3:List*"],"Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:List*","Resource":"*"}]}"#,
        ),
        // statements in another order
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*"},{"Effect":"Deny","Action":"c:D","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"c:D","Resource":"*"},{"Effect":"Allow","Action":"a:B","Resource":"*"}]}"#,
        ),
        // principal "*" and {"AWS": "*"}
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":"*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Principal":{"AWS":"*"},"Resource":"*"}]}"#,
        ),
        // a single service principal as a list
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"Service":["ec2.amazonaws.com"]}}]}"#,
        ),
        // principal identifiers in another order
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["arn:aws:iam::1:root","arn:aws:iam::2:root"]}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["arn:aws:iam::2:root","arn:aws:iam::1:root"]}}]}"#,
        ),
        // condition values: one string and a list of one, a bool and its string
        (
            r#"{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false},"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":["vpc-1"]},"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        ),
        // condition values in another order, a number and its string
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":["b/*","a/*"]},"NumericLessThan":{"s3:max-keys":10}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"10"},"StringLike":{"s3:prefix":["a/*","b/*"]}}}]}"#,
        ),
        // an empty Sid and none
        (
            r#"{"Statement":[{"Sid":"","Effect":"Allow","Action":"a:B","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*"}]}"#,
        ),
        // NotAction and NotResource as sets too
        (
            r#"{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:s3:::x"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","NotAction":["sts:*","iam:*"],"NotResource":["arn:aws:s3:::x"]}]}"#,
        ),
    ];

    /// Pairs that differ in meaning.
    const DIFFERENT: &[(&str, &str)] = &[
        // another action
        (
            BASE,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
        // Deny instead of Allow
        (
            BASE,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        ),
        // no Version: the 2008 policy language
        (BASE, r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#),
        // one more resource
        (
            BASE,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","arn:aws:s3:::c/*"]}]}"#,
        ),
        // a condition added
        (
            BASE,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#,
        ),
        // another principal type
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"ec2.amazonaws.com"}}]}"#,
        ),
        // Action and NotAction are not the same
        (
            r#"{"Statement":[{"Effect":"Allow","Action":"a:B","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","NotAction":"a:B","Resource":"*"}]}"#,
        ),
        // not JSON, and different text
        ("not json", "not json either"),
    ];

    #[test]
    fn documents_that_mean_the_same_are_equivalent() {
        assert!(EQUAL.len() >= 15);
        for (a, b) in EQUAL {
            assert!(equivalent(a, b), "should be equal:\n{a}\n{b}");
            assert!(equivalent(b, a), "should be equal (swapped):\n{b}\n{a}");
        }
    }

    #[test]
    fn documents_that_differ_are_not_equivalent() {
        assert!(DIFFERENT.len() >= 5);
        for (a, b) in DIFFERENT {
            assert!(!equivalent(a, b), "should differ:\n{a}\n{b}");
            assert!(!equivalent(b, a), "should differ (swapped):\n{b}\n{a}");
        }
    }

    #[test]
    fn the_known_text_is_kept_while_it_means_the_same() {
        let encoded = "%7B%22Statement%22%3A%5B%5D%7D";
        assert_eq!(super::keep_known(Some(r#"{ "Statement": [] }"#), encoded), r#"{ "Statement": [] }"#);
        assert_eq!(super::keep_known(Some(r#"{"Statement":[{}]}"#), encoded), r#"{"Statement":[]}"#);
        assert_eq!(super::keep_known(None, encoded), r#"{"Statement":[]}"#);
    }
}
