//! One diagnostic model for every error and warning slipway reports: what happened, where in the
//! source, and what to do. Renderers (human, JSON) live in the CLI.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a source file: 1-based line and column (in characters), 0-based byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Pos {
    pub line: usize,
    pub column: usize,
    pub byte: usize,
}

/// A range of a source file, as Terraform's JSON diagnostics give it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct SourceRange {
    pub filename: Arc<str>,
    pub start: Pos,
    pub end: Pos,
}

impl fmt::Display for SourceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.filename, self.start.line, self.start.column)
    }
}

/// Another place that helps explain a diagnostic ("declared here").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelatedRange {
    pub range: SourceRange,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// One line: what is wrong.
    pub summary: String,
    /// Why, and what to do about it.
    pub detail: String,
    /// The source range the diagnostic is about, when it is about configuration.
    #[serde(rename = "range", skip_serializing_if = "Option::is_none")]
    pub subject: Option<SourceRange>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<RelatedRange>,
    /// For a provider's diagnostic about one attribute of the resource it was asked about: the
    /// path to it (`allowed_uses[2]`), which the engine turns into `subject`.
    #[serde(skip)]
    pub attribute: Option<crate::path::AttrPath>,
}

impl Diagnostic {
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            subject: None,
            related: Vec::new(),
            attribute: None,
        }
    }

    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(summary, detail) }
    }

    pub fn with_subject(mut self, subject: Option<SourceRange>) -> Self {
        self.subject = subject;
        self
    }

    /// Says which attribute of the resource the diagnostic is about (providers).
    pub fn with_attribute(mut self, path: crate::path::AttrPath) -> Self {
        self.attribute = Some(path);
        self
    }

    pub fn with_related(mut self, range: SourceRange, message: impl Into<String>) -> Self {
        self.related.push(RelatedRange { range, message: message.into() });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics of one operation, in the order found.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Diagnostics(Vec::new())
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Sorted by file and position, errors and warnings interleaved as they appear in the source,
    /// with exact duplicates (the same problem found by two walks) removed.
    pub fn sorted(mut self) -> Self {
        self.0.sort_by(|a, b| a.subject.cmp(&b.subject).then(a.severity.cmp(&b.severity)));
        self.0.dedup();
        self
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl FromIterator<Diagnostic> for Diagnostics {
    fn from_iter<T: IntoIterator<Item = Diagnostic>>(iter: T) -> Self {
        Diagnostics(iter.into_iter().collect())
    }
}

/// The candidate closest to `name` when it is a likely typo: fewer than three edits away, the
/// rule Terraform uses for its suggestions.
pub fn closest_name<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(distance, c)| *distance < 3 && *c != name)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// " Did you mean \"x\"?" for appending to a detail, or an empty string.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest_name(name, candidates) {
        Some(c) => format!(" Did you mean {c:?}?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_name() {
        assert_eq!(closest_name("vpc_di", ["vpc_id", "cidr_block", "tags"]), Some("vpc_id"));
        assert_eq!(closest_name("zzz", ["vpc_id", "cidr_block"]), None);
        assert_eq!(closest_name("nmae", ["name", "tags"]), Some("name"));
    }
}
