//! Numeric functions: `abs`, `ceil`, `floor`, `log`, `max`, `min`, `parseint`, `pow`, `signum`.
//!
//! Numbers stay exact decimals everywhere except `log` and `pow`, which Terraform itself computes
//! in binary floating point.

use std::cmp::Ordering;

use num_bigint::BigInt;
use num_traits::{FromPrimitive, Zero};
use slipway_core::{Number, Type, Value};

use super::util::number_arg;
use super::{Body, Function, FunctionContext, FunctionError, Param, Registry, Returns};

pub(super) fn register(registry: &mut Registry) {
    registry.add(unary("abs", |args, _| Ok(Value::number(number_arg(args, 0)?.abs()))));
    registry.add(unary("ceil", |args, _| Ok(Value::number(number_arg(args, 0)?.ceil()))));
    registry.add(unary("floor", |args, _| Ok(Value::number(number_arg(args, 0)?.floor()))));
    registry.add(unary("signum", |args, _| Ok(Value::number(number_arg(args, 0)?.signum()))));
    registry.add(Function::new(
        "log",
        vec![Param::new("num", Type::Number), Param::new("base", Type::Number)],
        Returns::Fixed(|| Type::Number),
        log,
    ));
    registry.add(Function::new(
        "pow",
        vec![Param::new("num", Type::Number), Param::new("power", Type::Number)],
        Returns::Fixed(|| Type::Number),
        pow,
    ));
    registry.add(
        Function::new("max", vec![], Returns::Fixed(|| Type::Number), |args, _| extreme(args, Ordering::Greater))
            .variadic(Param::new("numbers", Type::Number)),
    );
    registry.add(
        Function::new("min", vec![], Returns::Fixed(|| Type::Number), |args, _| extreme(args, Ordering::Less))
            .variadic(Param::new("numbers", Type::Number)),
    );
    registry.add(Function::new(
        "parseint",
        // `number` is not converted: Terraform insists on a string so that `parseint(10, 2)`
        // is reported rather than silently reading the decimal digits "10".
        vec![Param::new("number", Type::Any), Param::new("base", Type::Number)],
        Returns::Fixed(|| Type::Number),
        parseint,
    ));
}

/// A function of one number returning a number.
fn unary(name: &'static str, body: Body) -> Function {
    Function::new(name, vec![Param::new("num", Type::Number)], Returns::Fixed(|| Type::Number), body)
}

fn invalid(index: usize, param: &str, message: &str) -> FunctionError {
    FunctionError::Arg(index, format!("Invalid value for {param:?} parameter: {message}."))
}

/// A float result as a Terraform number; NaN and infinities have no Terraform form.
fn from_float(v: f64, what: &str) -> Result<Value, FunctionError> {
    if !v.is_finite() {
        return Err(FunctionError::Call(format!(
            "The result of {what} is not a finite number; Terraform numbers cannot hold infinity or NaN."
        )));
    }
    // Whole results such as pow(2, 64) are converted exactly, as Terraform's big floats keep every
    // bit of the double; fractions use the shortest decimal that reads back as the same double.
    if v.fract() == 0.0
        && let Some(i) = BigInt::from_f64(v)
    {
        return Ok(Value::number(Number::from_bigint(i)));
    }
    Number::from_f64(v)
        .map(Value::number)
        .ok_or_else(|| FunctionError::Call(format!("The result of {what} is not a number.")))
}

fn log(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let num = number_arg(args, 0)?.to_f64();
    let base = number_arg(args, 1)?.to_f64();
    if num < 0.0 {
        return Err(invalid(
            0,
            "num",
            "the logarithm of a negative number is not defined; use abs() first if that is what you meant",
        ));
    }
    if num == 0.0 {
        return Err(invalid(
            0,
            "num",
            "the logarithm of zero is negative infinity, which Terraform numbers cannot hold",
        ));
    }
    if base <= 0.0 || base == 1.0 {
        return Err(invalid(1, "base", "the base must be a positive number other than 1"));
    }
    from_float(num.ln() / base.ln(), "log")
}

fn pow(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    // Terraform computes pow in float64 (Go's math.Pow), so pow(3, 40) is the nearest double, not
    // the exact integer; matching that keeps plans identical.
    let num = number_arg(args, 0)?;
    let power = number_arg(args, 1)?;
    from_float(num.to_f64().powf(power.to_f64()), "pow")
}

fn extreme(args: &[Value], wanted: Ordering) -> Result<Value, FunctionError> {
    let mut best: Option<&Number> = None;
    for index in 0..args.len() {
        let n = number_arg(args, index)?;
        best = match best {
            Some(b) if n.compare(b) != wanted => Some(b),
            _ => Some(n),
        };
    }
    best.map(|n| Value::number(n.clone())).ok_or_else(|| {
        FunctionError::Call(
            "At least one number is required; pass the numbers as separate arguments, or expand a list with `...`."
                .into(),
        )
    })
}

fn parseint(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let Some(text) = args.first().and_then(Value::as_str) else {
        let ty = args.first().map(Value::ty).unwrap_or(Type::Any);
        return Err(invalid(
            0,
            "number",
            &format!(
                "a string is required, but got {}; pass the digits as a string such as \"ff\"",
                ty.friendly_name()
            ),
        ));
    };
    let base = number_arg(args, 1)?;
    let base = match base.to_i64() {
        Some(b) if (2..=62).contains(&b) => b as u32,
        _ => return Err(invalid(1, "base", "base must be a whole number between 2 and 62 inclusive")),
    };
    parse_digits(text, base)
        .map(|n| Value::number(Number::from_bigint(n)))
        .ok_or_else(|| invalid(0, "number", &format!("cannot parse {text:?} as a base {base} integer")))
}

/// Parses an optionally signed integer in `base` as Go's `big.Int.SetString` does: for bases up
/// to 36 letters are case-insensitive; above that `a`-`z` are 10-35 and `A`-`Z` are 36-61.
fn parse_digits(text: &str, base: u32) -> Option<BigInt> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value = BigInt::zero();
    for c in digits.chars() {
        let d = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 10,
            'A'..='Z' if base <= 36 => c as u32 - 'A' as u32 + 10,
            'A'..='Z' => c as u32 - 'A' as u32 + 36,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        value = value * base + d;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::super::testing::call_fn;
    use super::*;
    use crate::functions::testing::{check, check_err, num};

    #[test]
    fn documented_examples() {
        check("abs", vec![Value::int(23)], Value::int(23));
        check("abs", vec![Value::int(0)], Value::int(0));
        check("abs", vec![num("-12.4")], num("12.4"));
        check("ceil", vec![Value::int(5)], Value::int(5));
        check("ceil", vec![num("5.1")], Value::int(6));
        check("floor", vec![Value::int(5)], Value::int(5));
        check("floor", vec![num("4.9")], Value::int(4));
        check("log", vec![Value::int(50), Value::int(10)], num("1.6989700043360185"));
        check("log", vec![Value::int(16), Value::int(2)], Value::int(4));
        check("log", vec![Value::int(1), Value::int(10)], Value::int(0));
        check("max", vec![Value::int(12), Value::int(54), Value::int(3)], Value::int(54));
        check("min", vec![Value::int(12), Value::int(54), Value::int(3)], Value::int(3));
        check("parseint", vec!["100".into(), Value::int(10)], Value::int(100));
        check("parseint", vec!["FF".into(), Value::int(16)], Value::int(255));
        check("parseint", vec!["-10".into(), Value::int(16)], Value::int(-16));
        check("parseint", vec!["1011111011101111".into(), Value::int(2)], Value::int(48879));
        check("parseint", vec!["aA".into(), Value::int(62)], Value::int(656));
        check_err("parseint", vec!["12".into(), Value::int(2)], "cannot parse \"12\" as a base 2 integer");
        check("pow", vec![Value::int(3), Value::int(2)], Value::int(9));
        check("pow", vec![Value::int(4), Value::int(0)], Value::int(1));
        check("signum", vec![Value::int(-13)], Value::int(-1));
        check("signum", vec![Value::int(0)], Value::int(0));
        check("signum", vec![Value::int(344)], Value::int(1));
    }

    #[test]
    fn numbers_stay_exact() {
        let big = "123456789012345678901234567890.5";
        check("floor", vec![num(big)], num("123456789012345678901234567890"));
        check("ceil", vec![num("-0.5")], Value::int(0));
        check("max", vec![num(big), Value::int(1)], num(big));
        check("parseint", vec!["ffffffffffffffffffff".into(), Value::int(16)], num("1208925819614629174706175"));
        // A double's exact value, as Terraform's big floats hold it.
        check("pow", vec![Value::int(2), Value::int(64)], num("18446744073709551616"));
        check("pow", vec![Value::int(2), Value::int(-1)], num("0.5"));
        // String arguments convert to numbers as in Terraform.
        check("abs", vec!["-3".into()], Value::int(3));
    }

    #[test]
    fn errors_explain_the_fix() {
        check_err("max", vec![], "At least one number is required");
        check_err("parseint", vec![Value::int(10), Value::int(2)], "a string is required");
        check_err("parseint", vec!["1".into(), Value::int(1)], "between 2 and 62");
        check_err("parseint", vec!["1".into(), num("2.5")], "between 2 and 62");
        check_err("parseint", vec!["".into(), Value::int(10)], "cannot parse");
        check_err("parseint", vec!["-".into(), Value::int(10)], "cannot parse");
        check_err("log", vec![Value::int(0), Value::int(10)], "zero");
        check_err("log", vec![Value::int(-1), Value::int(10)], "negative");
        check_err("log", vec![Value::int(8), Value::int(1)], "base");
        check_err("pow", vec![Value::int(10), Value::int(400)], "finite");
        check_err("abs", vec!["x".into()], "a number is required");
    }

    #[test]
    fn unknown_null_and_sensitive() {
        for name in ["abs", "ceil", "floor", "signum"] {
            let got = call_fn(name, vec![Value::unknown(Type::Number)]).expect("unknown");
            assert!(!got.is_known() && got.ty() == Type::Number, "{name}");
            check_err(name, vec![Value::null(Type::Number)], "must not be null");
        }
        let got = call_fn("max", vec![Value::int(1), Value::unknown(Type::Number)]).expect("unknown");
        assert!(!got.is_known());
        let got = call_fn("parseint", vec![Value::unknown(Type::String), Value::int(10)]).expect("unknown");
        assert_eq!(got, Value::unknown(Type::Number));
        check_err("log", vec![Value::int(1), Value::null(Type::Number)], "\"base\" parameter");
        let got = call_fn("abs", vec![Value::int(-5).mark_sensitive()]).expect("sensitive");
        assert!(got.is_sensitive() && got.same_known_value(&Value::int(5)));
        let got = call_fn("min", vec![Value::int(1), Value::int(2).mark_sensitive()]).expect("sensitive");
        assert!(got.is_sensitive());
        assert!(!call_fn("min", vec![Value::int(1), Value::int(2)]).expect("plain").is_sensitive());
    }
}
