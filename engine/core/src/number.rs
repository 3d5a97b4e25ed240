//! Numbers as Terraform has them: arbitrary-precision decimals, so that ports, counts, sizes and
//! large integers never lose a digit, with `f64` only behind the functions that need it (log, pow).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use bigdecimal::{BigDecimal, RoundingMode, Zero};
use num_bigint::BigInt;
use num_traits::{FromPrimitive, Signed, ToPrimitive};

/// Digits kept by division; Terraform keeps 512 bits (about 154 decimal digits).
const DIVISION_DIGITS: u64 = 160;

/// The largest decimal exponent a nonzero number may have, either way: every `f64` and every
/// number a configuration means fits well inside, and no operation on numbers in this range has
/// to build an absurdly long decimal (`1e-100000000 + 1` would need a hundred million digits).
pub const MAX_EXPONENT: i64 = 10_000;

/// Significant digits an arithmetic result keeps at most; longer results are rounded, as
/// Terraform rounds every result to 512 bits.
const MAX_DIGITS: u64 = 1_000;

/// An arbitrary-precision decimal number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Number(BigDecimal);

impl Number {
    /// Parses a number as HCL writes it (`1`, `-2.5`, `1e3`); `None` when it is not one.
    pub fn parse(text: &str) -> Option<Number> {
        let trimmed = text.trim();
        if trimmed.is_empty()
            || trimmed.starts_with('+') && trimmed.len() == 1
            || !trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            return None;
        }
        BigDecimal::from_str(trimmed).ok().and_then(Number::bounded)
    }

    /// `v` as a number, rounded to [`MAX_DIGITS`]; `None` when its exponent is beyond
    /// [`MAX_EXPONENT`].
    fn bounded(v: BigDecimal) -> Option<Number> {
        if v.is_zero() {
            return Some(Number::zero());
        }
        if !(-MAX_EXPONENT..=MAX_EXPONENT).contains(&v.order_of_magnitude()) {
            return None;
        }
        let v = if v.digits() > MAX_DIGITS { v.with_prec(MAX_DIGITS) } else { v };
        Some(Number(v))
    }

    pub fn from_i64(v: i64) -> Number {
        Number(BigDecimal::from(v))
    }

    pub fn from_u64(v: u64) -> Number {
        Number(BigDecimal::from(v))
    }

    /// `None` for NaN and infinities, which Terraform numbers cannot hold.
    pub fn from_f64(v: f64) -> Option<Number> {
        if !v.is_finite() {
            return None;
        }
        // Shortest decimal that round-trips, so 0.1 stays 0.1 and not 0.1000000000000000055...
        Number::parse(&format!("{v:?}")).or_else(|| BigDecimal::from_f64(v).map(Number))
    }

    pub fn from_bigint(v: BigInt) -> Number {
        Number(BigDecimal::from(v))
    }

    pub fn zero() -> Number {
        Number(BigDecimal::zero())
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    pub fn is_integer(&self) -> bool {
        self.0.is_integer()
    }

    pub fn is_negative(&self) -> bool {
        self.0.is_negative()
    }

    /// The value as an `i64` when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_integer() { self.0.to_i64() } else { None }
    }

    /// The value as a `usize` when it is a whole, non-negative number in range.
    pub fn to_usize(&self) -> Option<usize> {
        self.to_i64().and_then(|v| usize::try_from(v).ok())
    }

    pub fn to_bigint(&self) -> Option<BigInt> {
        if self.is_integer() { Some(self.0.with_scale(0).into_bigint_and_exponent().0) } else { None }
    }

    pub fn to_f64(&self) -> f64 {
        self.0.to_f64().unwrap_or(f64::NAN)
    }

    /// `None` when the result is out of range (see [`MAX_EXPONENT`]).
    pub fn add(&self, other: &Number) -> Option<Number> {
        Number::bounded(&self.0 + &other.0)
    }

    /// `None` when the result is out of range (see [`MAX_EXPONENT`]).
    pub fn sub(&self, other: &Number) -> Option<Number> {
        Number::bounded(&self.0 - &other.0)
    }

    /// `None` when the result is out of range (see [`MAX_EXPONENT`]).
    pub fn mul(&self, other: &Number) -> Option<Number> {
        Number::bounded(&self.0 * &other.0)
    }

    /// `None` when dividing by zero or when the result is out of range.
    pub fn div(&self, other: &Number) -> Option<Number> {
        if other.is_zero() {
            return None;
        }
        let quotient = (&self.0 / &other.0).with_prec(DIVISION_DIGITS);
        Number::bounded(quotient.normalized())
    }

    /// Remainder with the sign of the dividend, as Terraform's `%`; `None` when dividing by zero.
    pub fn rem(&self, other: &Number) -> Option<Number> {
        if other.is_zero() {
            return None;
        }
        Some(Number(&self.0 % &other.0))
    }

    pub fn neg(&self) -> Number {
        Number(-self.0.clone())
    }

    pub fn abs(&self) -> Number {
        Number(self.0.abs())
    }

    pub fn floor(&self) -> Number {
        Number(self.0.with_scale_round(0, RoundingMode::Floor))
    }

    pub fn ceil(&self) -> Number {
        Number(self.0.with_scale_round(0, RoundingMode::Ceiling))
    }

    pub fn signum(&self) -> Number {
        match self.0.sign() {
            num_bigint::Sign::Minus => Number::from_i64(-1),
            num_bigint::Sign::NoSign => Number::zero(),
            num_bigint::Sign::Plus => Number::from_i64(1),
        }
    }

    pub fn compare(&self, other: &Number) -> Ordering {
        self.0.cmp(&other.0)
    }

    pub fn as_bigdecimal(&self) -> &BigDecimal {
        &self.0
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::from_i64(v)
    }
}

impl From<BigDecimal> for Number {
    fn from(v: BigDecimal) -> Self {
        Number(v)
    }
}

impl fmt::Display for Number {
    /// Integers are printed exactly; fractions with more digits than a float holds are printed as
    /// the shortest form that reads back the same, as `terraform console` prints `1/3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let normalized = self.0.normalized();
        if normalized.is_integer() {
            return write!(f, "{}", normalized.with_scale(0).into_bigint_and_exponent().0);
        }
        if normalized.digits() > 17 {
            let v = normalized.to_f64().unwrap_or(f64::NAN);
            if v.is_finite() {
                return write!(f, "{v}");
            }
        }
        write!(f, "{}", normalized.to_plain_string())
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_keep_every_digit() {
        let n = Number::parse("123456789012345678901234567890").expect("parses");
        assert_eq!(n.add(&Number::from_i64(1)).expect("in range").to_string(), "123456789012345678901234567891");
    }

    #[test]
    fn formats_like_terraform() {
        assert_eq!(Number::parse("1e3").expect("parses").to_string(), "1000");
        assert_eq!(Number::parse("2.50").expect("parses").to_string(), "2.5");
        let third = Number::from_i64(1).div(&Number::from_i64(3)).expect("divides");
        assert_eq!(third.to_string(), "0.3333333333333333");
        assert_eq!(Number::from_f64(0.1).expect("finite").to_string(), "0.1");
    }

    #[test]
    fn rejects_what_is_not_a_number() {
        assert!(Number::parse("12abc").is_none());
        assert!(Number::parse("").is_none());
        assert!(Number::parse("0x10").is_none());
        assert!(Number::from_i64(1).div(&Number::zero()).is_none());
    }

    #[test]
    fn exponents_are_bounded() {
        // Found by fuzzing: `1e-100000000 + 1` aligned both to a hundred million digits.
        assert!(Number::parse("1e-100000000").is_none());
        assert!(Number::parse("1e-9223372036854775807").is_none());
        assert!(Number::parse("1e10001").is_none());
        assert_eq!(Number::parse("0e-100000000").expect("zero").to_string(), "0");
        let big = Number::parse("1e10000").expect("in range");
        let tiny = Number::parse("1e-10000").expect("in range");
        assert!(big.mul(&big).is_none());
        assert!(tiny.mul(&tiny).is_none());
        assert!(Number::from_i64(10).div(&tiny).is_none());
        let sum = big.add(&tiny).expect("in range");
        assert_eq!(sum.as_bigdecimal().digits(), MAX_DIGITS);
        assert_eq!(sum.compare(&big), Ordering::Equal);
    }

    #[test]
    fn remainder_has_the_sign_of_the_dividend() {
        assert_eq!(Number::from_i64(-7).rem(&Number::from_i64(3)).expect("rem").to_string(), "-1");
        assert_eq!(Number::from_i64(7).rem(&Number::from_i64(-3)).expect("rem").to_string(), "1");
    }
}
