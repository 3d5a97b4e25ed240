//! Unary and binary operators with Terraform's conversions (`"1" + 1 == 2`) and unknown
//! propagation (`unknown + 1` is unknown; `false && unknown` is false).

use std::cmp::Ordering;
use std::ops::Range;

use hcl_edit::expr::{BinaryOperator, UnaryOperator};
use slipway_core::{Type, Value, convert};

use super::Evaluator;

pub(super) fn unary(ev: &Evaluator<'_>, op: UnaryOperator, operand: Value, span: Option<Range<usize>>) -> Value {
    let (operand, sensitive) = operand.unmark();
    let ty = match op {
        UnaryOperator::Neg => Type::Number,
        UnaryOperator::Not => Type::Bool,
    };
    let Some(operand) = operand_of(ev, operand, &ty, span, "operand") else {
        return Value::unknown(Type::Any);
    };
    if !operand.is_known() {
        return Value::unknown(ty).with_sensitive(sensitive);
    }
    let result = match op {
        UnaryOperator::Neg => operand.as_number().map(|n| Value::number(n.neg())),
        UnaryOperator::Not => operand.as_bool().map(|b| Value::bool(!b)),
    };
    result.unwrap_or_else(|| Value::unknown(ty)).with_sensitive(sensitive)
}

pub(super) fn binary(
    ev: &Evaluator<'_>,
    op: BinaryOperator,
    lhs: Value,
    rhs: Value,
    lhs_span: Option<Range<usize>>,
    rhs_span: Option<Range<usize>>,
) -> Value {
    use BinaryOperator as B;
    if matches!(op, B::Eq | B::NotEq) {
        let eq = lhs.equals(&rhs);
        return if op == B::Eq { eq } else { negate(eq) };
    }
    let (lhs, lhs_marked) = lhs.unmark();
    let (rhs, rhs_marked) = rhs.unmark();
    let sensitive = lhs_marked || rhs_marked;
    let operand_type = match op {
        B::And | B::Or => Type::Bool,
        _ => Type::Number,
    };
    let result_type = match op {
        B::Plus | B::Minus | B::Mul | B::Div | B::Mod => Type::Number,
        _ => Type::Bool,
    };
    let both = (
        operand_of(ev, lhs, &operand_type, lhs_span.clone(), "left operand"),
        operand_of(ev, rhs, &operand_type, rhs_span.clone(), "right operand"),
    );
    let (Some(lhs), Some(rhs)) = both else {
        return Value::unknown(Type::Any);
    };
    // A known false on either side of && (true for ||) decides the result, even when the
    // other side is known only after apply.
    match op {
        B::And if lhs.as_bool() == Some(false) || rhs.as_bool() == Some(false) => {
            return Value::bool(false).with_sensitive(sensitive);
        }
        B::Or if lhs.as_bool() == Some(true) || rhs.as_bool() == Some(true) => {
            return Value::bool(true).with_sensitive(sensitive);
        }
        _ => {}
    }
    if !lhs.is_known() || !rhs.is_known() {
        return Value::unknown(result_type).with_sensitive(sensitive);
    }
    let result = match (op, lhs.as_number(), rhs.as_number(), lhs.as_bool(), rhs.as_bool()) {
        (B::And, _, _, Some(a), Some(b)) => Value::bool(a && b),
        (B::Or, _, _, Some(a), Some(b)) => Value::bool(a || b),
        (B::Plus | B::Minus | B::Mul, Some(a), Some(b), ..) => {
            let result = match op {
                B::Plus => a.add(b),
                B::Minus => a.sub(b),
                _ => a.mul(b),
            };
            match result {
                Some(n) => Value::number(n),
                None => return out_of_range(ev, lhs_span, rhs_span),
            }
        }
        (B::Div, Some(a), Some(b), ..) => match a.div(b) {
            Some(q) => Value::number(q),
            None if b.is_zero() => {
                return ev.error(
                    rhs_span,
                    "Division by zero",
                    "The right operand of / is zero; a number cannot be divided by zero.",
                );
            }
            None => return out_of_range(ev, lhs_span, rhs_span),
        },
        (B::Mod, Some(a), Some(b), ..) => match a.rem(b) {
            Some(r) => Value::number(r),
            None => {
                return ev.error(
                    rhs_span,
                    "Division by zero",
                    "The right operand of % is zero; a number cannot be divided by zero.",
                );
            }
        },
        (B::Less, Some(a), Some(b), ..) => Value::bool(a.compare(b) == Ordering::Less),
        (B::LessEq, Some(a), Some(b), ..) => Value::bool(a.compare(b) != Ordering::Greater),
        (B::Greater, Some(a), Some(b), ..) => Value::bool(a.compare(b) == Ordering::Greater),
        (B::GreaterEq, Some(a), Some(b), ..) => Value::bool(a.compare(b) != Ordering::Less),
        _ => Value::unknown(result_type),
    };
    result.with_sensitive(sensitive)
}

/// Reports a numeric result beyond the numbers' range (see [`slipway_core::number::MAX_EXPONENT`]).
fn out_of_range(ev: &Evaluator<'_>, lhs_span: Option<Range<usize>>, rhs_span: Option<Range<usize>>) -> Value {
    let span = match (lhs_span, rhs_span) {
        (Some(l), Some(r)) => Some(l.start.min(r.start)..l.end.max(r.end)),
        (l, r) => l.or(r),
    };
    ev.error(
        span,
        "Number out of range",
        format!(
            "The result of this operation is too large or too small: numbers must lie between 1e-{max} and 1e{max} in magnitude.",
            max = slipway_core::number::MAX_EXPONENT
        ),
    )
}

fn negate(v: Value) -> Value {
    let (plain, sensitive) = v.unmark();
    match plain.as_bool() {
        Some(b) => Value::bool(!b).with_sensitive(sensitive),
        None => plain.with_sensitive(sensitive),
    }
}

/// The operand converted to the operator's type, or `None` after reporting why it cannot be.
fn operand_of(ev: &Evaluator<'_>, value: Value, ty: &Type, span: Option<Range<usize>>, which: &str) -> Option<Value> {
    if value.is_null() {
        ev.error(
            span,
            "Invalid operand",
            format!("Unsuitable value for {which}: a {ty} is required, but the value is null."),
        );
        return None;
    }
    match convert(value, ty) {
        Ok(v) => Some(v),
        Err(e) => {
            ev.error(span, "Invalid operand", format!("Unsuitable value for {which}: {e}."));
            None
        }
    }
}
