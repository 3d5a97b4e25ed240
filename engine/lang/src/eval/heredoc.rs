//! Literal handling that HCL does while parsing heredocs and template files, which hcl-edit
//! does differently: HCL scans their text line by line, so a `~` strip marker trims only the
//! adjacent part of one line, and in a `<<-` heredoc the indentation removed is the least found
//! at the start of a line *after* strip markers were applied (a line starting with an
//! interpolation or directive has none, so nothing is removed).

use hcl_edit::template::{Directive, Element, HeredocTemplate, Strip, Template};
use hcl_edit::{Span, Spanned};

use crate::source::{FileId, Sources};

/// A heredoc's template as HCL reads it, from the heredoc's source text (hcl-edit has already
/// removed indentation from `<<-` heredocs its own way); strip markers are applied and cleared.
pub(super) fn heredoc_template(heredoc: &HeredocTemplate, sources: &Sources, file: FileId) -> Template {
    let flush = heredoc.indent().is_some();
    let mut template = raw_heredoc_template(heredoc, sources, file).unwrap_or_else(|| heredoc.template.clone());
    prepare_template(&mut template, flush);
    template
}

/// Re-parses the heredoc's body from the source. The body is parsed after as many spaces as it
/// starts bytes into the file, so that spans in it stay file offsets; the padding is removed.
fn raw_heredoc_template(heredoc: &HeredocTemplate, sources: &Sources, file: FileId) -> Option<Template> {
    let span = heredoc.template.span()?;
    let text = sources.get(file)?.text.get(span.clone())?;
    let padded = format!("{}{text}", " ".repeat(span.start));
    let mut template = hcl_edit::parser::parse_template(&padded).ok()?;
    let mut elements: Vec<Element> = template.iter().cloned().collect();
    match elements.first_mut() {
        Some(Element::Literal(lit)) => {
            let rest = lit.value().get(span.start..)?.to_string();
            *lit.value_mut() = rest;
            if lit.value().is_empty() {
                elements.remove(0);
            }
        }
        _ => return None,
    }
    template = Template::from(elements);
    Some(template)
}

/// Splits literals at line ends, applies the strip markers to the literal parts next to them
/// (clearing the markers), and, for a `<<-` heredoc (`flush`), removes the common indentation.
pub fn prepare_template(template: &mut Template, flush: bool) {
    split_lines(template);
    let mut tokens = Vec::new();
    collect(template, &mut tokens);
    apply_strips(&mut tokens);
    if flush {
        flush_indentation(&mut tokens);
    }
}

fn split_lines(template: &mut Template) {
    let mut out = Vec::new();
    for element in template.iter() {
        match element {
            Element::Literal(lit) if lit.value().contains('\n') => {
                // Literal spans are not used in diagnostics, so the parts go without.
                for line in lit.value().split_inclusive('\n') {
                    out.push(Element::Literal(Spanned::new(line.to_string())));
                }
            }
            other => out.push(other.clone()),
        }
    }
    let mut rebuilt = Template::from(out);
    for element in rebuilt.iter_mut() {
        if let Element::Directive(directive) = element {
            match &mut **directive {
                Directive::If(d) => {
                    split_lines(&mut d.if_expr.template);
                    if let Some(e) = &mut d.else_expr {
                        split_lines(&mut e.template);
                    }
                }
                Directive::For(d) => split_lines(&mut d.for_expr.template),
            }
        }
    }
    *template = rebuilt;
}

/// The template's parts in source order: literal text, and the interpolations and directive
/// keywords between, with their strip markers.
enum Token<'a> {
    Literal(&'a mut String),
    Marker(&'a mut Strip),
}

fn collect<'a>(template: &'a mut Template, out: &mut Vec<Token<'a>>) {
    for element in template.iter_mut() {
        match element {
            Element::Literal(lit) => out.push(Token::Literal(lit.value_mut())),
            Element::Interpolation(interp) => out.push(Token::Marker(&mut interp.strip)),
            Element::Directive(directive) => match &mut **directive {
                Directive::If(d) => {
                    out.push(Token::Marker(&mut d.if_expr.strip));
                    collect(&mut d.if_expr.template, out);
                    if let Some(e) = &mut d.else_expr {
                        out.push(Token::Marker(&mut e.strip));
                        collect(&mut e.template, out);
                    }
                    out.push(Token::Marker(&mut d.endif_expr.strip));
                }
                Directive::For(d) => {
                    out.push(Token::Marker(&mut d.for_expr.strip));
                    collect(&mut d.for_expr.template, out);
                    out.push(Token::Marker(&mut d.endfor_expr.strip));
                }
            },
        }
    }
}

/// `~` trims the literal immediately before or after the marker, as HCL's parser does.
fn apply_strips(tokens: &mut [Token<'_>]) {
    for i in 0..tokens.len() {
        let strip = match &mut tokens[i] {
            Token::Marker(strip) => std::mem::take(&mut **strip),
            Token::Literal(_) => continue,
        };
        if strip.strip_start()
            && let Some(Token::Literal(text)) = i.checked_sub(1).and_then(|j| tokens.get_mut(j))
        {
            let kept = text.trim_end().len();
            text.truncate(kept);
        }
        if strip.strip_end()
            && let Some(Token::Literal(text)) = tokens.get_mut(i + 1)
        {
            let trimmed = text.trim_start().to_string();
            **text = trimmed;
        }
    }
}

/// HCL's `flushHeredocTemplateParts`: the least indentation of the lines that start with
/// literal text is removed from each; blank lines do not count, and a line that starts with an
/// interpolation or directive has no indentation.
fn flush_indentation(tokens: &mut [Token<'_>]) {
    let mut min = usize::MAX;
    let mut adjust = Vec::new();
    let mut line_start = true;
    for (i, token) in tokens.iter().enumerate() {
        if line_start {
            line_start = false;
            let spaces = match token {
                Token::Literal(text) => {
                    let trimmed = text.trim_start();
                    if trimmed.is_empty() && text.ends_with('\n') {
                        usize::MAX
                    } else {
                        adjust.push(i);
                        text[..text.len() - trimmed.len()].chars().count()
                    }
                }
                Token::Marker(_) => 0,
            };
            min = min.min(spaces);
        }
        if let Token::Literal(text) = token
            && text.ends_with('\n')
        {
            line_start = true;
        }
    }
    if min == usize::MAX || min == 0 {
        return;
    }
    for i in adjust {
        if let Token::Literal(text) = &mut tokens[i] {
            let cut = text.char_indices().nth(min).map_or(text.len(), |(at, _)| at);
            text.replace_range(..cut, "");
        }
    }
}

#[cfg(test)]
mod tests {
    /// Evaluates the attribute `x` of `src`, which must be a string.
    fn eval_x(src: &str) -> String {
        let (value, errors) = crate::eval::tests::eval_x(src);
        assert!(errors.is_empty(), "{errors:?}");
        value.as_str().expect("a string").to_string()
    }

    #[test]
    fn interpolation_after_indentation_counts_its_indentation() {
        let src = "x = <<-EOT\n    ${\"a\"} first\n      second\n    EOT\n";
        assert_eq!(eval_x(src), "a first\n  second\n");
    }

    #[test]
    fn line_starting_with_interpolation_prevents_dedent() {
        let src = "x = <<-EOT\n${\"a\"}\n    b\n    EOT\n";
        assert_eq!(eval_x(src), "a\n    b\n");
    }

    #[test]
    fn strip_markers_trim_within_one_line_of_a_heredoc() {
        let src = "x = <<EOT\nheader\n   %{~ if true }x%{ endif }\nEOT\n";
        assert_eq!(eval_x(src), "header\nx\n");
        let src = "x = <<EOT\nheader\n%{~ if true }x%{ endif ~}\ntail\nEOT\n";
        assert_eq!(eval_x(src), "headerxtail\n");
    }

    #[test]
    fn indentation_is_measured_after_strip_markers() {
        // The stripped "    " before `%{~ if` leaves an empty line start: nothing is removed.
        let src = "x = <<-EOT\n    header\n    %{~ if true }x%{ endif ~}\n    tail\n    EOT\n";
        assert_eq!(eval_x(src), "    header\nx    tail\n");
        let src = "x = <<-EOT\n    %{ if true ~}\n      in\n    %{ endif ~}\n    out\n    EOT\n";
        assert_eq!(eval_x(src), "      in\n    out\n");
    }

    #[test]
    fn blank_lines_keep_their_spaces_and_do_not_count() {
        let src = "x = <<-EOT\n      a\n\n        \n    b\n    EOT\n";
        assert_eq!(eval_x(src), "  a\n\n        \nb\n");
    }

    #[test]
    fn quoted_templates_strip_across_escaped_newlines() {
        let src = "x = \"header\\n   %{~ if true }x%{ endif ~}  \\n tail\"\n";
        assert_eq!(eval_x(src), "headerxtail");
    }
}
