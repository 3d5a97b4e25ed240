//! Diagnostics as people and programs read them: the source line with a caret under the
//! problem (codespan-reporting), or JSON in the shape of `terraform validate -json`.

use std::io::{IsTerminal, Write};

use codespan_reporting::diagnostic::{Diagnostic as Report, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use serde::Serialize;
use slipway_core::{Diagnostic, Diagnostics, Severity};
use slipway_lang::source::Sources;
use termcolor::{ColorChoice, StandardStream, WriteColor};

/// Whether to colour output: only on a terminal, and never with -no-color.
pub fn color_choice(no_color: bool) -> ColorChoice {
    if no_color || !std::io::stderr().is_terminal() || std::env::var_os("NO_COLOR").is_some() {
        ColorChoice::Never
    } else {
        ColorChoice::Auto
    }
}

/// Writes every diagnostic to standard error.
pub fn print_diagnostics(diagnostics: &Diagnostics, sources: &Sources, no_color: bool) {
    let mut stream = StandardStream::stderr(color_choice(no_color));
    write_diagnostics(&mut stream, diagnostics, sources);
}

/// Renders diagnostics to a string without colour, for tests, files and error messages.
pub fn render_to_string(diagnostics: &Diagnostics, sources: &Sources) -> String {
    let mut buffer = termcolor::Buffer::no_color();
    write_diagnostics(&mut buffer, diagnostics, sources);
    String::from_utf8_lossy(buffer.as_slice()).into_owned()
}

fn write_diagnostics(out: &mut dyn WriteColor, diagnostics: &Diagnostics, sources: &Sources) {
    let mut files = SimpleFiles::new();
    let ids: Vec<(std::sync::Arc<str>, usize)> =
        sources.iter().map(|f| (f.name.clone(), files.add(f.name.to_string(), f.text.to_string()))).collect();
    let config = Config::default();
    for diagnostic in diagnostics {
        let report = to_report(diagnostic, &ids);
        if term::emit_to_write_style(out, &config, &files, &report).is_err() {
            // A range outside its file would be a bug; still show the message itself.
            let _ =
                writeln!(out, "{}: {}\n{}", severity_word(diagnostic.severity), diagnostic.summary, diagnostic.detail);
        }
    }
}

fn to_report(diagnostic: &Diagnostic, ids: &[(std::sync::Arc<str>, usize)]) -> Report<usize> {
    let report = match diagnostic.severity {
        Severity::Error => Report::error(),
        Severity::Warning => Report::warning(),
    }
    .with_message(&diagnostic.summary);
    let mut labels = Vec::new();
    let file_of = |name: &str| ids.iter().find(|(n, _)| &**n == name).map(|(_, id)| *id);
    if let Some((range, id)) = diagnostic.subject.as_ref().and_then(|r| Some((r, file_of(&r.filename)?))) {
        labels.push(Label::primary(id, range.start.byte..range.end.byte.max(range.start.byte)));
    }
    for related in &diagnostic.related {
        if let Some(id) = file_of(&related.range.filename) {
            labels.push(
                Label::secondary(id, related.range.start.byte..related.range.end.byte).with_message(&related.message),
            );
        }
    }
    let mut notes = Vec::new();
    if !diagnostic.detail.is_empty() {
        notes.push(diagnostic.detail.clone());
    }
    report.with_labels(labels).with_notes(notes)
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// An error that is not about configuration, such as a failed -chdir.
pub fn print_plain_error(message: &str) -> std::io::Result<()> {
    let mut stream = StandardStream::stderr(color_choice(false));
    // Messages are written as Terraform words them ("Error: ..."); the prefix is ours to add once.
    let message = message.strip_prefix("Error: ").unwrap_or(message);
    // Diagnostics rendered beforehand (render_to_string) carry their own severity.
    if message.starts_with("error: ") || message.starts_with("error[") {
        return write!(stream, "{message}");
    }
    writeln!(stream, "error: {message}")
}

/// The JSON document of `validate -json`.
#[derive(Serialize)]
pub struct ValidateJson<'a> {
    pub format_version: &'static str,
    pub valid: bool,
    pub error_count: usize,
    pub warning_count: usize,
    pub diagnostics: &'a Diagnostics,
}

impl<'a> ValidateJson<'a> {
    pub fn new(diagnostics: &'a Diagnostics) -> Self {
        let error_count = diagnostics.iter().filter(|d| d.is_error()).count();
        ValidateJson {
            format_version: "1.0",
            valid: error_count == 0,
            error_count,
            warning_count: diagnostics.len() - error_count,
            diagnostics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use slipway_lang::source::SourceFile;

    #[test]
    fn shows_the_source_line_and_a_caret() {
        let mut sources = Sources::new();
        let text = "locals {\n  a = var.nope\n}\n";
        let file = sources.add(SourceFile::new("main.tf", text));
        let start = text.find("var.nope").expect("reference in text");
        let range = sources.range(file, Some(start..start + "var.nope".len()));
        let diags: Diagnostics =
            Diagnostic::error("Reference to undeclared input variable", "Declare it.").with_subject(range).into();
        let text = render_to_string(&diags, &sources);
        assert!(text.contains("main.tf:2:7"), "{text}");
        assert!(text.contains("a = var.nope"), "{text}");
        assert!(text.contains("^^^^^^^^"), "{text}");
    }
}
