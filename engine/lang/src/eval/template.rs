//! String templates: interpolations, `%{if}` and `%{for}` directives, and the `~` strip markers
//! that trim whitespace from the literal text next to them.

use hcl_edit::Span;
use hcl_edit::template::{Directive, Element, Strip, Template};
use slipway_core::{Type, Value, convert};

use super::{Evaluator, Locals};

/// Rendered template output before strip markers are applied.
enum Piece {
    Literal(String),
    Value(String),
    /// Trim trailing whitespace of the literal just before.
    StripPrevious,
    /// Trim leading whitespace of the literal just after.
    StripNext,
}

/// The outcome of rendering: text, or why it is not known yet.
enum Rendered {
    Done,
    Unknown,
    Failed,
}

impl Evaluator<'_> {
    pub(super) fn eval_template(&self, template: &Template, locals: &Locals<'_>) -> Value {
        // A template that is exactly one interpolation yields the value itself, unconverted.
        if let Some(Element::Interpolation(interp)) = template.as_single_element() {
            return self.eval_in(&interp.expr, locals);
        }
        let mut pieces = Vec::new();
        let mut sensitive = false;
        match self.render_elements(template, locals, &mut pieces, &mut sensitive) {
            Rendered::Done => Value::string(join_pieces(pieces)).with_sensitive(sensitive),
            Rendered::Unknown => Value::unknown(Type::String).with_sensitive(sensitive),
            Rendered::Failed => Value::unknown(Type::Any),
        }
    }

    fn render_elements(
        &self,
        template: &Template,
        locals: &Locals<'_>,
        out: &mut Vec<Piece>,
        sensitive: &mut bool,
    ) -> Rendered {
        let mut unknown = false;
        for element in template.iter() {
            let step = match element {
                Element::Literal(text) => {
                    out.push(Piece::Literal(text.value().clone()));
                    Rendered::Done
                }
                Element::Interpolation(interp) => {
                    strip_markers(out, interp.strip, true);
                    let value = self.eval_in(&interp.expr, locals);
                    let step = self.push_value(value, interp.expr.span(), out, sensitive);
                    strip_markers(out, interp.strip, false);
                    step
                }
                Element::Directive(directive) => {
                    match &**directive {
                        Directive::If(d) => {
                            strip_markers(out, d.if_expr.strip, true);
                            let cond = self.eval_in(&d.if_expr.cond_expr, locals);
                            let (cond, marked) = cond.unmark();
                            *sensitive |= marked;
                            if !cond.is_known() {
                                Rendered::Unknown
                            } else {
                                match convert(cond, &Type::Bool).ok().and_then(|c| c.as_bool()) {
                                    None => {
                                        self.error(
                                            d.if_expr.cond_expr.span(),
                                            "Invalid template directive",
                                            "The condition of an if directive must be a bool.",
                                        );
                                        Rendered::Failed
                                    }
                                    Some(true) => {
                                        strip_markers(out, d.if_expr.strip, false);
                                        let step = self.render_elements(&d.if_expr.template, locals, out, sensitive);
                                        let closing = d.else_expr.as_ref().map_or(d.endif_expr.strip, |e| e.strip);
                                        strip_markers(out, closing, true);
                                        strip_markers(out, d.endif_expr.strip, false);
                                        step
                                    }
                                    Some(false) => {
                                        let step = match &d.else_expr {
                                            Some(else_expr) => {
                                                strip_markers(out, else_expr.strip, false);
                                                let step =
                                                    self.render_elements(&else_expr.template, locals, out, sensitive);
                                                strip_markers(out, d.endif_expr.strip, true);
                                                step
                                            }
                                            None => {
                                                strip_markers(out, d.if_expr.strip, false);
                                                strip_markers(out, d.endif_expr.strip, true);
                                                Rendered::Done
                                            }
                                        };
                                        strip_markers(out, d.endif_expr.strip, false);
                                        step
                                    }
                                }
                            }
                        }
                        Directive::For(d) => {
                            strip_markers(out, d.for_expr.strip, true);
                            let collection = self.eval_in(&d.for_expr.collection_expr, locals);
                            let (collection, marked) = collection.unmark();
                            *sensitive |= marked;
                            let step = if collection.is_null() {
                                self.error(
                                    d.for_expr.collection_expr.span(),
                                    "Iteration over null value",
                                    "A null value cannot be used as the collection in a 'for' directive.",
                                );
                                Rendered::Failed
                            } else if !collection.is_known() {
                                Rendered::Unknown
                            } else {
                                let pairs = super::iteration_pairs(&collection);
                                match pairs {
                                    None => {
                                        self.error(d.for_expr.collection_expr.span(), "Iteration over non-iterable value", format!("A value of type {} cannot be used as the collection in a 'for' directive.", collection.ty()));
                                        Rendered::Failed
                                    }
                                    Some(pairs) => {
                                        let mut step = Rendered::Done;
                                        for (key, item) in pairs {
                                            let mut bindings = vec![(d.for_expr.value_var.as_str().to_string(), item)];
                                            if let Some(k) = &d.for_expr.key_var {
                                                bindings.push((k.as_str().to_string(), key));
                                            }
                                            let scope = Locals { parent: Some(locals), bindings };
                                            strip_markers(out, d.for_expr.strip, false);
                                            match self.render_elements(&d.for_expr.template, &scope, out, sensitive) {
                                                Rendered::Done => {}
                                                other => step = other,
                                            }
                                            strip_markers(out, d.endfor_expr.strip, true);
                                        }
                                        step
                                    }
                                }
                            };
                            strip_markers(out, d.endfor_expr.strip, false);
                            step
                        }
                    }
                }
            };
            match step {
                Rendered::Done => {}
                Rendered::Unknown => unknown = true,
                Rendered::Failed => return Rendered::Failed,
            }
        }
        if unknown { Rendered::Unknown } else { Rendered::Done }
    }

    fn push_value(
        &self,
        value: Value,
        span: Option<std::ops::Range<usize>>,
        out: &mut Vec<Piece>,
        sensitive: &mut bool,
    ) -> Rendered {
        let (value, marked) = value.unmark();
        *sensitive |= marked;
        if value.is_null() {
            self.error(
                span,
                "Invalid template interpolation value",
                "The expression result is null. Cannot include a null value in a string template.",
            );
            return Rendered::Failed;
        }
        if !value.is_known() {
            return Rendered::Unknown;
        }
        match convert(value.clone(), &Type::String) {
            Ok(s) => {
                out.push(Piece::Value(s.as_str().unwrap_or_default().to_string()));
                Rendered::Done
            }
            Err(_) => {
                self.error(
                    span,
                    "Invalid template interpolation value",
                    format!(
                        "Cannot include the given value in a string template: string required, but got {}.",
                        value.ty().friendly_name()
                    ),
                );
                Rendered::Failed
            }
        }
    }
}

/// Pushes the markers that `strip` asks for at the opening (`before`) or closing side.
fn strip_markers(out: &mut Vec<Piece>, strip: Strip, before: bool) {
    match (strip, before) {
        (Strip::Start | Strip::Both, true) => out.push(Piece::StripPrevious),
        (Strip::End | Strip::Both, false) => out.push(Piece::StripNext),
        _ => {}
    }
}

fn join_pieces(pieces: Vec<Piece>) -> String {
    let mut texts: Vec<(bool, String)> = Vec::new();
    let mut strip_next = false;
    for piece in pieces {
        match piece {
            Piece::Literal(mut s) => {
                if strip_next {
                    s = s.trim_start().to_string();
                    strip_next = false;
                }
                texts.push((true, s));
            }
            Piece::Value(s) => {
                strip_next = false;
                texts.push((false, s));
            }
            Piece::StripPrevious => {
                if let Some((true, last)) = texts.last_mut() {
                    *last = last.trim_end().to_string();
                }
            }
            Piece::StripNext => strip_next = true,
        }
    }
    texts.into_iter().map(|(_, s)| s).collect()
}
