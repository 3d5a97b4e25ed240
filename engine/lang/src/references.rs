//! Static reference extraction: every named thing an expression or body refers to, with the
//! span of the reference, skipping names bound by `for` expressions, template `for` directives
//! and `dynamic` block iterators. The dependency graph is built from these.

use std::ops::Range;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};

use crate::config::{Body, Expr};
use crate::eval::{Reference, parse_reference};

/// A reference and where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundReference {
    pub reference: Reference,
    pub span: Option<Range<usize>>,
}

/// The references of one expression.
pub fn expression_references(expr: &Expression) -> Vec<FoundReference> {
    let mut walker = Walker { bound: Vec::new(), found: Vec::new() };
    walker.expr(expr);
    walker.found
}

/// The references of every attribute and nested block of a body, with `dynamic` blocks' iterator
/// names bound inside their `content`.
pub fn body_references(body: &Body) -> Vec<(crate::source::FileId, FoundReference)> {
    let mut out = Vec::new();
    collect_body(body, &mut Vec::new(), &mut out);
    out
}

fn collect_body(body: &Body, bound: &mut Vec<String>, out: &mut Vec<(crate::source::FileId, FoundReference)>) {
    for attr in body.attributes.values() {
        collect_expr(&attr.expr, bound, out);
    }
    for block in &body.blocks {
        if block.kind == "dynamic" {
            let iterator = block
                .body
                .attributes
                .get("iterator")
                .and_then(|a| crate::eval::traversal_parts(&a.expr.expr).map(|(root, _)| root.to_string()))
                .or_else(|| block.labels.first().cloned())
                .unwrap_or_default();
            for (name, attr) in &block.body.attributes {
                if name != "iterator" {
                    collect_expr(&attr.expr, bound, out);
                }
            }
            bound.push(iterator);
            for inner in &block.body.blocks {
                collect_body(&inner.body, bound, out);
            }
            bound.pop();
        } else {
            collect_body(&block.body, bound, out);
        }
    }
}

fn collect_expr(expr: &Expr, bound: &[String], out: &mut Vec<(crate::source::FileId, FoundReference)>) {
    let mut walker = Walker { bound: bound.to_vec(), found: Vec::new() };
    walker.expr(&expr.expr);
    out.extend(walker.found.into_iter().map(|r| (expr.file, r)));
}

struct Walker {
    bound: Vec<String>,
    found: Vec<FoundReference>,
}

impl Walker {
    fn expr(&mut self, expr: &Expression) {
        match expr {
            Expression::Null(_) | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
            Expression::Array(items) => items.iter().for_each(|e| self.expr(e)),
            Expression::Object(object) => {
                for (key, value) in object.iter() {
                    if let ObjectKey::Expression(k) = key {
                        self.expr(k);
                    }
                    self.expr(value.expr());
                }
            }
            Expression::StringTemplate(t) => self.template(t),
            Expression::HeredocTemplate(h) => self.template(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(_) | Expression::Traversal(_) => self.traversal(expr),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::FuncCall(call) => call.args.iter().for_each(|a| self.expr(a)),
            Expression::UnaryOp(op) => self.expr(&op.expr),
            Expression::BinaryOp(op) => {
                self.expr(&op.lhs_expr);
                self.expr(&op.rhs_expr);
            }
            Expression::ForExpr(f) => {
                self.expr(&f.intro.collection_expr);
                let before = self.bound.len();
                self.bound.push(f.intro.value_var.as_str().to_string());
                if let Some(k) = &f.intro.key_var {
                    self.bound.push(k.as_str().to_string());
                }
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond {
                    self.expr(&c.expr);
                }
                self.bound.truncate(before);
            }
        }
    }

    fn traversal(&mut self, expr: &Expression) {
        let (root, operators) = match expr {
            Expression::Traversal(t) => {
                // Index keys are expressions of their own.
                for op in &t.operators {
                    if let TraversalOperator::Index(k) = op.value() {
                        self.expr(k);
                    }
                }
                match &t.expr {
                    Expression::Variable(v) => (v, t.operators.iter().collect::<Vec<_>>()),
                    other => {
                        self.expr(other);
                        return;
                    }
                }
            }
            Expression::Variable(v) => (v, Vec::new()),
            _ => return,
        };
        if self.bound.iter().any(|b| b == root.as_str()) {
            return;
        }
        let plain: Vec<&TraversalOperator> = operators.iter().map(|o| o.value()).collect();
        if let Ok((reference, consumed)) = parse_reference(root.as_str(), &plain) {
            let start = root.span().map(|s| s.start);
            let end = match consumed.checked_sub(1).and_then(|i| operators.get(i)) {
                Some(op) => op.span().map(|s| s.end),
                None => root.span().map(|s| s.end),
            };
            let span = start.zip(end).map(|(s, e)| s..e);
            self.found.push(FoundReference { reference, span });
        }
    }

    fn template(&mut self, template: &Template) {
        for element in template.iter() {
            match element {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match &**d {
                    Directive::If(d) => {
                        self.expr(&d.if_expr.cond_expr);
                        self.template(&d.if_expr.template);
                        if let Some(e) = &d.else_expr {
                            self.template(&e.template);
                        }
                    }
                    Directive::For(d) => {
                        self.expr(&d.for_expr.collection_expr);
                        let before = self.bound.len();
                        self.bound.push(d.for_expr.value_var.as_str().to_string());
                        if let Some(k) = &d.for_expr.key_var {
                            self.bound.push(k.as_str().to_string());
                        }
                        self.template(&d.for_expr.template);
                        self.bound.truncate(before);
                    }
                },
            }
        }
    }
}
