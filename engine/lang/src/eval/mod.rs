//! The expression evaluator. It evaluates hcl-edit expressions to [`Value`]s, carrying
//! "known after apply" through every operation, and never fails wholesale: an error becomes a
//! diagnostic and an unknown result, so evaluation goes on and every problem is reported.

mod heredoc;
mod ops;
pub mod reference;
mod template;

use std::cell::RefCell;
use std::collections::BTreeMap;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ForExpr, FuncCall, ObjectKey, TraversalOperator};
use slipway_core::diagnostics::did_you_mean;
use slipway_core::{Data, Diagnostic, Diagnostics, Number, SourceRange, Type, Value, convert, types::unify};

use crate::functions::{self, FunctionContext, FunctionError};
use crate::source::{FileId, Sources};
pub use heredoc::prepare_template;
pub use reference::{Reference, parse_reference, traversal_parts};

/// Why a reference could not be resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScopeError {
    pub summary: String,
    pub detail: String,
}

/// What the names in an expression refer to.
pub trait Scope {
    fn resolve(&self, reference: &Reference) -> Result<Value, ScopeError>;

    /// An error for any name that is not bound by the expression itself (a `for` variable),
    /// before it is read as a reference; for scopes that know no references at all, such as
    /// template files, which see only the variables passed to `templatefile`.
    fn unbound_name(&self, _name: &str) -> Option<ScopeError> {
        None
    }
}

/// A scope in which nothing is declared: for constant expressions such as type defaults.
#[derive(Debug, Default)]
pub struct EmptyScope;

impl Scope for EmptyScope {
    fn resolve(&self, reference: &Reference) -> Result<Value, ScopeError> {
        Err(ScopeError {
            summary: "Variables not allowed".into(),
            detail: format!("The reference to {reference} is not allowed here: only constant values may be used."),
        })
    }
}

/// Names bound by `for` expressions and template `for` directives, innermost last.
#[derive(Clone, Default)]
struct Locals<'a> {
    parent: Option<&'a Locals<'a>>,
    bindings: Vec<(String, Value)>,
}

impl Locals<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.bindings.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v).or_else(|| self.parent?.get(name))
    }
}

/// Evaluates expressions of one file against a scope.
pub struct Evaluator<'a> {
    pub sources: &'a Sources,
    pub file: FileId,
    pub scope: &'a dyn Scope,
    pub functions: &'a FunctionContext<'a>,
    diagnostics: RefCell<Diagnostics>,
    /// Errors in references (undeclared names and the like), which Terraform finds before
    /// evaluating, so that `try` and `can` do not catch them.
    reference_errors: RefCell<Diagnostics>,
}

impl<'a> Evaluator<'a> {
    pub fn new(sources: &'a Sources, file: FileId, scope: &'a dyn Scope, functions: &'a FunctionContext<'a>) -> Self {
        Evaluator {
            sources,
            file,
            scope,
            functions,
            diagnostics: RefCell::new(Diagnostics::new()),
            reference_errors: RefCell::new(Diagnostics::new()),
        }
    }

    /// Evaluates `expr`; errors are collected, see [`Evaluator::take_diagnostics`].
    pub fn eval(&self, expr: &Expression) -> Value {
        self.eval_in(expr, &Locals::default())
    }

    /// Evaluates `expr` with extra names bound, as a template file's variables.
    pub fn eval_with(&self, expr: &Expression, bindings: Vec<(String, Value)>) -> Value {
        self.eval_in(expr, &Locals { parent: None, bindings })
    }

    pub fn take_diagnostics(&self) -> Diagnostics {
        let mut diags = std::mem::take(&mut *self.diagnostics.borrow_mut());
        diags.extend(std::mem::take(&mut *self.reference_errors.borrow_mut()));
        diags
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.borrow().has_errors() || self.reference_errors.borrow().has_errors()
    }

    /// Records an error in a reference: one that `try` and `can` pass on rather than catch.
    fn reference_error(&self, span: Option<std::ops::Range<usize>>, summary: &str, detail: impl Into<String>) -> Value {
        self.reference_errors.borrow_mut().push(Diagnostic::error(summary, detail).with_subject(self.range(span)));
        Value::unknown(Type::Any)
    }

    /// Passes on the reference errors of a probe evaluation (of `try` or `can`); true if any.
    fn pass_on_reference_errors(&self, probe: &Evaluator<'_>) -> bool {
        let errors = std::mem::take(&mut *probe.reference_errors.borrow_mut());
        let any = errors.has_errors();
        self.reference_errors.borrow_mut().extend(errors);
        any
    }

    pub fn range(&self, span: Option<std::ops::Range<usize>>) -> Option<SourceRange> {
        self.sources.range(self.file, span)
    }

    /// Records an error at `span` and returns the unknown value that stands in for the result.
    fn error(&self, span: Option<std::ops::Range<usize>>, summary: &str, detail: impl Into<String>) -> Value {
        self.diagnostics.borrow_mut().push(Diagnostic::error(summary, detail).with_subject(self.range(span)));
        Value::unknown(Type::Any)
    }

    fn eval_in(&self, expr: &Expression, locals: &Locals<'_>) -> Value {
        match expr {
            Expression::Null(_) => Value::null(Type::Any),
            Expression::Bool(b) => Value::bool(*b.value()),
            Expression::Number(n) => self.number_literal(expr, n.value()),
            Expression::String(s) => Value::string(s.as_str()),
            Expression::Array(items) => Value::tuple(items.iter().map(|e| self.eval_in(e, locals)).collect()),
            Expression::Object(object) => self.eval_object(object, locals),
            Expression::StringTemplate(t) => self.eval_template(t, locals),
            Expression::HeredocTemplate(h) => {
                let template = heredoc::heredoc_template(h, self.sources, self.file);
                self.eval_template(&template, locals)
            }
            Expression::Parenthesis(p) => self.eval_in(p.inner(), locals),
            Expression::Variable(_) | Expression::Traversal(_) => self.eval_traversal(expr, locals),
            Expression::Conditional(c) => self.eval_conditional(&c.cond_expr, &c.true_expr, &c.false_expr, locals),
            Expression::FuncCall(call) => self.eval_call(call, locals),
            Expression::UnaryOp(op) => {
                let operand = self.eval_in(&op.expr, locals);
                ops::unary(self, *op.operator.value(), operand, op.expr.span())
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval_in(&op.lhs_expr, locals);
                let rhs = self.eval_in(&op.rhs_expr, locals);
                ops::binary(self, *op.operator.value(), lhs, rhs, op.lhs_expr.span(), op.rhs_expr.span())
            }
            Expression::ForExpr(f) => self.eval_for(f, locals),
        }
    }

    /// Numbers are read from the source text, so that no digit is lost to a float.
    fn number_literal(&self, expr: &Expression, parsed: &hcl_edit::Number) -> Value {
        let text = expr
            .span()
            .and_then(|span| self.sources.get(self.file).and_then(|f| f.text.get(span).map(str::to_owned)))
            .unwrap_or_else(|| parsed.to_string());
        match Number::parse(&text) {
            Some(n) => Value::number(n),
            None => self.error(
                expr.span(),
                "Invalid number literal",
                format!(
                    "{text} is not a valid number: numbers must lie between 1e-{max} and 1e{max} in magnitude.",
                    max = slipway_core::number::MAX_EXPONENT
                ),
            ),
        }
    }

    fn eval_object(&self, object: &hcl_edit::expr::Object, locals: &Locals<'_>) -> Value {
        let mut attrs = BTreeMap::new();
        let mut unknown_key = false;
        let mut key_sensitive = false;
        for (key, value) in object.iter() {
            let name = match key {
                ObjectKey::Ident(ident) => ident.as_str().to_string(),
                ObjectKey::Expression(key_expr) => {
                    let key_value = self.eval_in(key_expr, locals);
                    let (key_value, marked) = key_value.unmark();
                    key_sensitive |= marked;
                    if !key_value.is_known() {
                        unknown_key = true;
                        continue;
                    }
                    match convert(key_value, &Type::String) {
                        Ok(k) if !k.is_null() => k.as_str().unwrap_or_default().to_string(),
                        Ok(_) => {
                            self.error(key_expr.span(), "Invalid object key", "An object key must not be null.");
                            continue;
                        }
                        Err(e) => {
                            self.error(
                                key_expr.span(),
                                "Invalid object key",
                                format!("An object key must be a string: {e}."),
                            );
                            continue;
                        }
                    }
                }
            };
            attrs.insert(name, self.eval_in(value.expr(), locals));
        }
        if unknown_key {
            return Value::unknown(Type::Any);
        }
        Value::object(attrs).with_sensitive(key_sensitive)
    }

    fn eval_conditional(&self, cond: &Expression, yes: &Expression, no: &Expression, locals: &Locals<'_>) -> Value {
        let condition = self.eval_in(cond, locals);
        let (condition, sensitive) = condition.unmark();
        // As in HCL, only the chosen result's errors count, so that `length(l) > 0 ? l[0] : ""`
        // is no error for an empty list; with the condition unknown, neither's does yet.
        let (yes_value, yes_errors) = self.eval_apart(yes, locals);
        let (no_value, no_errors) = self.eval_apart(no, locals);
        let result_type = match unify(&[yes_value.ty(), no_value.ty()]) {
            Some(t) => t,
            None => {
                return self.error(
                    yes.span().map(|s| s.start..no.span().map_or(s.end, |n| n.end)),
                    "Inconsistent conditional result types",
                    format!(
                        "The true and false result expressions must have consistent types: the true result is {} and the false result is {}.",
                        yes_value.ty().friendly_name(),
                        no_value.ty().friendly_name()
                    ),
                );
            }
        };
        if condition.is_null() {
            return self.error(
                cond.span(),
                "Null condition",
                "The condition value is null. Conditions must either be true or false.",
            );
        }
        if !condition.is_known() {
            return Value::unknown(result_type).with_sensitive(sensitive);
        }
        let chosen = match convert(condition, &Type::Bool) {
            Ok(c) => c.as_bool() == Some(true),
            Err(e) => {
                return self.error(
                    cond.span(),
                    "Incorrect condition type",
                    format!("The condition expression must be a bool: {e}."),
                );
            }
        };
        let (result, errors) = if chosen { (yes_value, yes_errors) } else { (no_value, no_errors) };
        self.diagnostics.borrow_mut().extend(errors);
        match convert(result, &result_type) {
            Ok(v) => v.with_sensitive(sensitive),
            Err(e) => self.error(
                if chosen { yes.span() } else { no.span() },
                "Inconsistent conditional result types",
                e.to_string(),
            ),
        }
    }

    /// Evaluates `expr` and returns its evaluation errors instead of recording them (errors in
    /// references are recorded all the same).
    fn eval_apart(&self, expr: &Expression, locals: &Locals<'_>) -> (Value, Diagnostics) {
        let before = std::mem::take(&mut *self.diagnostics.borrow_mut());
        let value = self.eval_in(expr, locals);
        let errors = std::mem::replace(&mut *self.diagnostics.borrow_mut(), before);
        (value, errors)
    }

    fn eval_traversal(&self, expr: &Expression, locals: &Locals<'_>) -> Value {
        let (root_expr, operators): (&Expression, Vec<&hcl_edit::Decorated<TraversalOperator>>) = match expr {
            Expression::Traversal(t) => (&t.expr, t.operators.iter().collect()),
            other => (other, Vec::new()),
        };
        let plain_ops: Vec<&TraversalOperator> = operators.iter().map(|op| op.value()).collect();
        let (value, consumed) = match root_expr {
            Expression::Variable(name) => {
                if let Some(bound) = locals.get(name.as_str()) {
                    (bound.clone(), 0)
                } else if let Some(e) = self.scope.unbound_name(name.as_str()) {
                    return self.reference_error(root_expr.span(), &e.summary, e.detail);
                } else {
                    match parse_reference(name.as_str(), &plain_ops) {
                        Ok((reference, consumed)) => {
                            let span = expr_prefix_span(root_expr, &operators, consumed);
                            match self.scope.resolve(&reference) {
                                Ok(v) => (v, consumed),
                                Err(e) => return self.reference_error(span, &e.summary, e.detail),
                            }
                        }
                        Err(e) => return self.reference_error(expr.span(), &e.summary, e.detail),
                    }
                }
            }
            other => (self.eval_in(other, locals), 0),
        };
        self.apply_operators(value, &operators[consumed..], locals)
    }

    fn apply_operators(
        &self,
        mut value: Value,
        operators: &[&hcl_edit::Decorated<TraversalOperator>],
        locals: &Locals<'_>,
    ) -> Value {
        let mut index = 0;
        while index < operators.len() {
            let op = operators[index];
            match op.value() {
                TraversalOperator::GetAttr(name) => value = self.get_attr(value, name.as_str(), op.span()),
                TraversalOperator::Index(key_expr) => {
                    let key = self.eval_in(key_expr, locals);
                    value = self.index(value, key, key_expr.span().or(op.span()));
                }
                TraversalOperator::LegacyIndex(i) => {
                    let key = Value::number(Number::from_u64(*i.value()));
                    value = self.index(value, key, op.span());
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let full = matches!(op.value(), TraversalOperator::FullSplat(_));
                    // An attribute splat applies only the attribute accesses that follow it.
                    let rest_len = if full {
                        operators.len() - index - 1
                    } else {
                        operators[index + 1..]
                            .iter()
                            .take_while(|o| matches!(o.value(), TraversalOperator::GetAttr(_)))
                            .count()
                    };
                    let rest = &operators[index + 1..index + 1 + rest_len];
                    value = self.splat(value, rest, locals);
                    index += rest_len;
                }
            }
            index += 1;
        }
        value
    }

    fn splat(&self, value: Value, rest: &[&hcl_edit::Decorated<TraversalOperator>], locals: &Locals<'_>) -> Value {
        let (value, sensitive) = value.unmark();
        if value.is_null() {
            return Value::empty_tuple().with_sensitive(sensitive);
        }
        if !value.is_known() {
            return Value::unknown(Type::Any).with_sensitive(sensitive);
        }
        let result = match value.data() {
            Data::List(_, items) | Data::Tuple(items) | Data::Set(_, items) => {
                let mapped: Vec<Value> = items.iter().map(|v| self.apply_operators(v.clone(), rest, locals)).collect();
                match value.data() {
                    Data::Tuple(_) => Value::tuple(mapped),
                    _ => Value::list_of(mapped.clone()).unwrap_or_else(|| Value::tuple(mapped)),
                }
            }
            // A splat on a single value treats it as a one-element tuple, as HCL does.
            _ => Value::tuple(vec![self.apply_operators(value.clone(), rest, locals)]),
        };
        result.with_sensitive(sensitive)
    }

    fn get_attr(&self, value: Value, name: &str, span: Option<std::ops::Range<usize>>) -> Value {
        let (value, sensitive) = value.unmark();
        if value.is_null() {
            return self.error(
                span,
                "Attempt to get attribute from null value",
                format!("This value is null, so it does not have any attribute named {name:?}."),
            );
        }
        let result = match value.data() {
            Data::Unknown(Type::Object(o)) => match o.attributes.get(name) {
                Some(t) => Value::unknown(t.clone()),
                None => return self.unsupported_attribute(span, name, o.attributes.keys().map(String::as_str)),
            },
            Data::Unknown(Type::Map(e)) => Value::unknown((**e).clone()),
            Data::Unknown(_) => Value::unknown(Type::Any),
            Data::Object(attrs) => match attrs.get(name) {
                Some(v) => v.clone(),
                None => return self.unsupported_attribute(span, name, attrs.keys().map(String::as_str)),
            },
            Data::Map(_, entries) => match entries.get(name) {
                Some(v) => v.clone(),
                None => {
                    return self.error(
                        span,
                        "Missing map element",
                        format!("This map does not have an element with the key {name:?}."),
                    );
                }
            },
            Data::List(..) | Data::Tuple(_) | Data::Set(..) => {
                return self.error(
                    span,
                    "Unsupported attribute",
                    format!("Can't access attributes on a {}. Did you mean to access attribute {name:?} for a specific element, or across all elements with [*].{name}?", describe_collection(&value)),
                );
            }
            _ => {
                return self.error(
                    span,
                    "Unsupported attribute",
                    format!("Can't access attributes on a primitive-typed value ({}).", value.ty()),
                );
            }
        };
        result.with_sensitive(sensitive)
    }

    fn unsupported_attribute<'n>(
        &self,
        span: Option<std::ops::Range<usize>>,
        name: &str,
        candidates: impl Iterator<Item = &'n str>,
    ) -> Value {
        let suggestion = did_you_mean(name, candidates);
        self.error(
            span,
            "Unsupported attribute",
            format!("This object does not have an attribute named {name:?}.{suggestion}"),
        )
    }

    fn index(&self, value: Value, key: Value, span: Option<std::ops::Range<usize>>) -> Value {
        let (value, sensitive) = value.unmark();
        let (key, key_sensitive) = key.unmark();
        let sensitive = sensitive || key_sensitive;
        if value.is_null() {
            return self.error(span, "Invalid index", "This value is null, so it does not have any indices.");
        }
        if key.is_null() {
            return self.error(span, "Invalid index", "Can't use a null value as an indexing key.");
        }
        let result = match value.data() {
            Data::Unknown(t) => Value::unknown(t.element_type().cloned().unwrap_or(Type::Any)),
            Data::List(_, items) | Data::Tuple(items) => {
                if !key.is_known() {
                    let elem = match value.data() {
                        Data::List(e, _) => e.clone(),
                        _ => Type::Any,
                    };
                    return Value::unknown(elem).with_sensitive(sensitive);
                }
                let position =
                    convert(key.clone(), &Type::Number).ok().and_then(|k| k.as_number().and_then(Number::to_usize));
                match position.and_then(|i| items.get(i)) {
                    Some(v) => v.clone(),
                    None => {
                        return self.error(
                            span,
                            "Invalid index",
                            format!("The given key does not identify an element in this collection value: {} is not a valid index for a collection of {} elements.", render_key(&key), items.len()),
                        );
                    }
                }
            }
            Data::Map(_, entries) | Data::Object(entries) => {
                if !key.is_known() {
                    let elem = match value.data() {
                        Data::Map(e, _) => e.clone(),
                        _ => Type::Any,
                    };
                    return Value::unknown(elem).with_sensitive(sensitive);
                }
                let name = convert(key.clone(), &Type::String).ok().and_then(|k| k.as_str().map(str::to_owned));
                match name.as_deref().and_then(|n| entries.get(n)) {
                    Some(v) => v.clone(),
                    None => {
                        return self.error(
                            span,
                            "Invalid index",
                            format!("The given key does not identify an element in this collection value: there is no element {}.", render_key(&key)),
                        );
                    }
                }
            }
            Data::Set(..) => {
                return self.error(span, "Invalid index", "Elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set.");
            }
            _ => {
                return self.error(
                    span,
                    "Invalid index",
                    format!("This value does not have any indices: it is {}.", value.ty().friendly_name()),
                );
            }
        };
        result.with_sensitive(sensitive)
    }

    fn eval_for(&self, f: &ForExpr, locals: &Locals<'_>) -> Value {
        let collection = self.eval_in(&f.intro.collection_expr, locals);
        let (collection, sensitive) = collection.unmark();
        let span = f.intro.collection_expr.span();
        if collection.is_null() {
            return self.error(
                span,
                "Iteration over null value",
                "A null value cannot be used as the collection in a 'for' expression.",
            );
        }
        if !collection.is_known() {
            return Value::unknown(Type::Any).with_sensitive(sensitive);
        }
        let Some(pairs) = iteration_pairs(&collection) else {
            return self.error(
                span,
                "Iteration over non-iterable value",
                format!("A value of type {} cannot be used as the collection in a 'for' expression.", collection.ty()),
            );
        };
        let value_var = f.intro.value_var.as_str().to_string();
        let key_var = f.intro.key_var.as_ref().map(|k| k.as_str().to_string());
        let mut tuple_items = Vec::new();
        let mut object_items: BTreeMap<String, Value> = BTreeMap::new();
        let mut groups: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (key, item) in pairs {
            let mut bindings = vec![(value_var.clone(), item)];
            if let Some(k) = &key_var {
                bindings.push((k.clone(), key));
            }
            let scope = Locals { parent: Some(locals), bindings };
            if let Some(cond) = &f.cond {
                let include = self.eval_in(&cond.expr, &scope);
                let (include, _) = include.unmark();
                if !include.is_known() {
                    return Value::unknown(Type::Any).with_sensitive(sensitive);
                }
                match include.as_bool() {
                    Some(true) => {}
                    Some(false) => continue,
                    None => {
                        return self.error(
                            cond.expr.span(),
                            "Invalid 'for' condition",
                            format!("The 'if' clause value must be a bool, not {}.", include.ty().friendly_name()),
                        );
                    }
                }
            }
            let value = self.eval_in(&f.value_expr, &scope);
            match &f.key_expr {
                None => tuple_items.push(value),
                Some(key_expr) => {
                    let key = self.eval_in(key_expr, &scope);
                    if !key.is_known() {
                        return Value::unknown(Type::Any).with_sensitive(sensitive);
                    }
                    let key = match convert(key, &Type::String) {
                        Ok(k) if !k.is_null() => k.as_str().unwrap_or_default().to_string(),
                        _ => {
                            return self.error(
                                key_expr.span(),
                                "Invalid object key",
                                "The key expression produced an invalid result: a string is required.",
                            );
                        }
                    };
                    if f.grouping {
                        groups.entry(key).or_default().push(value);
                    } else {
                        match object_items.entry(key) {
                            std::collections::btree_map::Entry::Occupied(taken) => {
                                return self.error(
                                    key_expr.span(),
                                    "Duplicate object key",
                                    format!("Two different items produced the key {:?} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.", taken.key()),
                                );
                            }
                            std::collections::btree_map::Entry::Vacant(slot) => {
                                slot.insert(value);
                            }
                        }
                    }
                }
            }
        }
        let result = match &f.key_expr {
            None => Value::tuple(tuple_items),
            Some(_) if f.grouping => Value::object(groups.into_iter().map(|(k, v)| (k, Value::tuple(v))).collect()),
            Some(_) => Value::object(object_items),
        };
        result.with_sensitive(sensitive)
    }

    fn eval_call(&self, call: &FuncCall, locals: &Locals<'_>) -> Value {
        let name = call.name.name.as_str();
        let span = call.name.name.span();
        if call.name.is_namespaced() {
            let namespace: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
            return self.error(
                span,
                "Call to unknown function",
                format!(
                    "Provider-defined functions ({}::{name}) are not supported by slipway yet.",
                    namespace.join("::")
                ),
            );
        }
        match name {
            "try" => return self.eval_try(call, locals),
            "can" => return self.eval_can(call, locals),
            _ => {}
        }
        let Some(function) = functions::lookup(name) else {
            let suggestion = did_you_mean(name, functions::names().into_iter().chain(["can", "try"]));
            return self.error(
                span,
                "Call to unknown function",
                format!("There is no function named {name:?}.{suggestion}"),
            );
        };
        let arg_exprs: Vec<&Expression> = call.args.iter().collect();
        let mut args: Vec<Value> = arg_exprs.iter().map(|e| self.eval_in(e, locals)).collect();
        let mut arg_spans: Vec<Option<std::ops::Range<usize>>> = arg_exprs.iter().map(|e| e.span()).collect();
        if call.args.expand_final() {
            let last_span = arg_spans.pop().flatten();
            let Some(last) = args.pop() else {
                return self.error(span, "Invalid expanding argument", "The ... operator requires a final argument.");
            };
            let (last, sensitive) = last.unmark();
            if !last.is_known() {
                return Value::unknown(Type::Any).with_sensitive(sensitive);
            }
            match last.as_elements() {
                Some(items) => {
                    for item in items {
                        args.push(item.clone().with_sensitive(sensitive));
                        arg_spans.push(last_span.clone());
                    }
                }
                None => {
                    return self.error(
                        last_span,
                        "Invalid expanding argument",
                        "The expanding argument (indicated by ...) must be of a tuple, list, or set type.",
                    );
                }
            }
        }
        match functions::call(function, args, self.functions) {
            Ok(v) => v,
            Err(FunctionError::Arg(i, message)) => {
                let arg_span = arg_spans.get(i).cloned().flatten().or(span);
                self.error(arg_span, "Invalid function argument", message)
            }
            Err(FunctionError::Call(message)) => self.error(
                call.span().or(span),
                "Error in function call",
                format!("Call to function {name:?} failed: {message}"),
            ),
        }
    }

    /// `try(a, b, ...)`: the first argument that evaluates without errors.
    fn eval_try(&self, call: &FuncCall, locals: &Locals<'_>) -> Value {
        if call.args.is_empty() {
            return self.error(call.span(), "Invalid function arguments", "At least one argument is required.");
        }
        // Every argument is evaluated: errors in references are errors even in an argument
        // that is not used, as Terraform finds them before evaluating.
        let mut results = Vec::new();
        let mut reference_errors = false;
        for arg in call.args.iter() {
            let probe = Evaluator::new(self.sources, self.file, self.scope, self.functions);
            let value = probe.eval_in(arg, locals);
            reference_errors |= self.pass_on_reference_errors(&probe);
            results.push((value, probe.has_errors()));
        }
        if reference_errors {
            return Value::unknown(Type::Any);
        }
        if let Some((value, _)) = results.into_iter().find(|(_, failed)| !failed) {
            // An unknown result might still fail once known, so the choice waits until then.
            if !value.is_wholly_known() {
                return Value::unknown(value.ty());
            }
            return value;
        }
        self.error(
            call.span(),
            "Invalid function argument",
            "No expression succeeded: every argument of try produced an error.",
        )
    }

    /// `can(expr)`: whether `expr` evaluates without errors.
    fn eval_can(&self, call: &FuncCall, locals: &Locals<'_>) -> Value {
        let args: Vec<&Expression> = call.args.iter().collect();
        let [arg] = args.as_slice() else {
            return self.error(
                call.span(),
                "Invalid function arguments",
                "Function \"can\" expects exactly one argument.",
            );
        };
        let probe = Evaluator::new(self.sources, self.file, self.scope, self.functions);
        let value = probe.eval_in(arg, locals);
        if self.pass_on_reference_errors(&probe) {
            return Value::unknown(Type::Bool);
        }
        if probe.has_errors() {
            return Value::bool(false);
        }
        if !value.is_wholly_known() {
            return Value::unknown(Type::Bool);
        }
        Value::bool(true)
    }
}

/// Evaluates an expression that may refer to nothing (a `.tfvars` value, a type default): file
/// functions resolve paths against the current directory.
pub fn eval_constant(sources: &Sources, file: FileId, expr: &Expression, impure_unknown: bool) -> (Value, Diagnostics) {
    let fs = crate::fs::OsFileSystem;
    let ctx = FunctionContext::in_current_dir(&fs, impure_unknown);
    let evaluator = Evaluator::new(sources, file, &EmptyScope, &ctx);
    let value = evaluator.eval(expr);
    (value, evaluator.take_diagnostics())
}

/// The (key, value) pairs a `for` expression, template `for` directive or `dynamic` block
/// iterates: index and element of a list or tuple, element and element of a set, key and
/// value of a map or object. `None` for a value that cannot be iterated.
pub(crate) fn iteration_pairs(collection: &Value) -> Option<Vec<(Value, Value)>> {
    match collection.data() {
        Data::List(_, items) | Data::Tuple(items) => {
            Some(items.iter().enumerate().map(|(i, v)| (Value::int(i as i64), v.clone())).collect())
        }
        Data::Set(_, items) => Some(items.iter().map(|v| (v.clone(), v.clone())).collect()),
        Data::Map(_, entries) | Data::Object(entries) => {
            Some(entries.iter().map(|(k, v)| (Value::string(k.as_str()), v.clone())).collect())
        }
        _ => None,
    }
}

fn expr_prefix_span(
    root: &Expression,
    operators: &[&hcl_edit::Decorated<TraversalOperator>],
    consumed: usize,
) -> Option<std::ops::Range<usize>> {
    let start = root.span()?.start;
    let end = match consumed.checked_sub(1).and_then(|i| operators.get(i)) {
        Some(op) => op.span()?.end,
        None => root.span()?.end,
    };
    Some(start..end)
}

fn describe_collection(value: &Value) -> &'static str {
    match value.data() {
        Data::List(..) => "list",
        Data::Set(..) => "set",
        _ => "tuple",
    }
}

fn render_key(key: &Value) -> String {
    slipway_core::render::render_value(key, slipway_core::render::Redaction::Redact)
}

#[cfg(test)]
pub(crate) mod tests {

    use hcl_edit::structure::Body;

    use super::*;
    use crate::source::SourceFile;

    /// Evaluates the attribute `x` of `src` where nothing is declared; the value and the
    /// summaries of the errors.
    pub(crate) fn eval_x(src: &str) -> (Value, Vec<String>) {
        let mut sources = Sources::new();
        let file = sources.add(SourceFile::new("test.tf", src));
        let body: Body = src.parse().expect("parses");
        let attr = body.get_attribute("x").expect("attribute x");
        let (value, diags) = eval_constant(&sources, file, &attr.value, false);
        (value, diags.iter().map(|d| d.summary.clone()).collect())
    }

    #[test]
    fn try_and_can_catch_evaluation_errors() {
        assert_eq!(eval_x("x = try(tonumber(\"a\"), 1)\n"), (Value::int(1), vec![]));
        assert_eq!(eval_x("x = can({}.a)\n"), (Value::bool(false), vec![]));
    }

    #[test]
    fn try_and_can_pass_on_errors_in_references() {
        let (value, errors) = eval_x("x = try(local.nope, 1)\n");
        assert!(!value.is_known() && errors.len() == 1, "{value:?} {errors:?}");
        // Even in an argument that is not used.
        let (value, errors) = eval_x("x = try(1, var.nope)\n");
        assert!(!value.is_known() && errors.len() == 1, "{value:?} {errors:?}");
        let (value, errors) = eval_x("x = can(local.nope)\n");
        assert!(!value.is_known() && errors.len() == 1, "{value:?} {errors:?}");
    }
}
