//! Date and time functions: `timestamp` (impure), `formatdate` with Terraform's own format
//! mnemonics, `timeadd` with Go duration syntax, and `timecmp` (-1, 0 or 1, offsets counted). Timestamps are parsed as strictly as Go's
//! `time.Parse(time.RFC3339, ...)`, and parse errors are worded as Terraform words them.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use slipway_core::{Type, Value};

use super::util::str_arg;
use super::{Function, FunctionContext, FunctionError, Param, Registry, Returns};

pub(super) fn register(registry: &mut Registry) {
    registry.add(Function::new("timestamp", vec![], Returns::Fixed(|| Type::String), timestamp).impure());
    registry.add(Function::new(
        "formatdate",
        vec![Param::new("format", Type::String), Param::new("time", Type::String)],
        Returns::Fixed(|| Type::String),
        formatdate,
    ));
    registry.add(Function::new(
        "timeadd",
        vec![Param::new("timestamp", Type::String), Param::new("duration", Type::String)],
        Returns::Fixed(|| Type::String),
        timeadd,
    ));
    registry.add(Function::new(
        "timecmp",
        vec![Param::new("timestamp_a", Type::String), Param::new("timestamp_b", Type::String)],
        Returns::Fixed(|| Type::Number),
        timecmp,
    ));
}

fn timestamp(_: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    Ok(Value::string(Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

/// Go's `Format(time.RFC3339)`: whole seconds, and `Z` for a zero offset.
fn format_rfc3339(t: &DateTime<FixedOffset>) -> String {
    let mut out =
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second());
    out.push_str(&format_offset(t.offset().local_minus_utc(), true, true));
    out
}

/// An offset as `+hh:mm`/`+hhmm`, or `Z` for zero when `z_for_utc`.
fn format_offset(seconds: i32, colon: bool, z_for_utc: bool) -> String {
    if seconds == 0 && z_for_utc {
        return "Z".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    let (h, m) = (minutes / 60, minutes % 60);
    if colon { format!("{sign}{h:02}:{m:02}") } else { format!("{sign}{h:02}{m:02}") }
}

// ---------------------------------------------------------------------------------------------
// RFC 3339 parsing

/// A cursor over the timestamp text that produces Terraform's parse error messages.
struct TsParser<'a> {
    rest: &'a str,
}

fn ts_error(detail: impl std::fmt::Display) -> String {
    format!("not a valid RFC3339 timestamp: {detail}")
}

impl<'a> TsParser<'a> {
    fn bad_value(&self, what: &str) -> String {
        if self.rest.is_empty() {
            ts_error(format!("end of string before {what}"))
        } else {
            ts_error(format!("cannot use {:?} as {what}", self.rest))
        }
    }

    fn literal(&mut self, c: char) -> Result<(), String> {
        if let Some(rest) = self.rest.strip_prefix(c) {
            self.rest = rest;
            return Ok(());
        }
        if c == 'T' {
            return Err(ts_error("missing required time introducer 'T'"));
        }
        if self.rest.is_empty() {
            Err(ts_error(format!("end of string where \"{c}\" is expected")))
        } else {
            Err(ts_error(format!("found {:?} where \"{c}\" is expected", self.rest)))
        }
    }

    /// Two digits (or one, when `fixed` is false), checked against `max`. As in Go, a value
    /// out of range is reported with the text after it.
    fn number(&mut self, what: &str, fixed: bool, min: u32, max: u32) -> Result<u32, String> {
        let digits = self.rest.bytes().take(2).take_while(u8::is_ascii_digit).count();
        if digits == 0 || (fixed && digits < 2) {
            return Err(self.bad_value(what));
        }
        let value: u32 = self.rest[..digits].parse().map_err(|_| self.bad_value(what))?;
        self.rest = &self.rest[digits..];
        if value < min || value > max {
            return Err(self.bad_value(what));
        }
        Ok(value)
    }

    fn year(&mut self) -> Result<i32, String> {
        if self.rest.len() < 4 || !self.rest.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(self.bad_value("year"));
        }
        let (head, tail) = self.rest.split_at_checked(4).ok_or_else(|| self.bad_value("year"))?;
        self.rest = tail;
        if !head.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.bad_value("year"));
        }
        head.parse().map_err(|_| self.bad_value("year"))
    }

    /// Optional fractional seconds, as nanoseconds; Go accepts `.` or `,` before them.
    fn fraction(&mut self) -> u32 {
        let mut chars = self.rest.chars();
        let starts = matches!(chars.next(), Some('.' | ',')) && chars.next().is_some_and(|c| c.is_ascii_digit());
        if !starts {
            return 0;
        }
        let digits: String = self.rest[1..].chars().take_while(char::is_ascii_digit).collect();
        self.rest = &self.rest[1 + digits.len()..];
        let mut nanos = 0u32;
        for (i, d) in digits.bytes().take(9).enumerate() {
            let place = 10u32.pow(8 - u32::try_from(i).unwrap_or(8));
            nanos += u32::from(d - b'0') * place;
        }
        nanos
    }

    fn offset(&mut self) -> Result<i32, String> {
        if let Some(rest) = self.rest.strip_prefix('Z') {
            self.rest = rest;
            return Ok(0);
        }
        let bytes = self.rest.as_bytes();
        let valid = bytes.len() >= 6
            && matches!(bytes[0], b'+' | b'-')
            && bytes[1..3].iter().all(u8::is_ascii_digit)
            && bytes[3] == b':'
            && bytes[4..6].iter().all(u8::is_ascii_digit);
        if !valid {
            return Err(self.bad_value("UTC offset"));
        }
        let h = i32::from(bytes[1] - b'0') * 10 + i32::from(bytes[2] - b'0');
        let m = i32::from(bytes[4] - b'0') * 10 + i32::from(bytes[5] - b'0');
        if h > 24 || m > 60 {
            return Err(self.bad_value("UTC offset"));
        }
        let sign = if bytes[0] == b'-' { -1 } else { 1 };
        self.rest = &self.rest[6..];
        Ok(sign * (h * 3600 + m * 60))
    }
}

/// Parses an RFC 3339 timestamp with Go's `time.RFC3339` layout.
fn parse_timestamp(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let mut p = TsParser { rest: text };
    let year = p.year()?;
    p.literal('-')?;
    let month = p.number("month", true, 1, 12)?;
    p.literal('-')?;
    let day = p.number("day of month", true, 1, 31)?;
    p.literal('T')?;
    let hour = p.number("hour", false, 0, 23)?;
    p.literal(':')?;
    let minute = p.number("minute", true, 0, 59)?;
    p.literal(':')?;
    let second = p.number("second", true, 0, 59)?;
    let nanos = p.fraction();
    let offset = p.offset()?;
    if !p.rest.is_empty() {
        return Err(ts_error(format!("extra text: {:?}", p.rest)));
    }
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| ts_error("day out of range"))?;
    let time =
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos).ok_or_else(|| ts_error("time out of range"))?;
    let zone = FixedOffset::east_opt(offset).ok_or_else(|| ts_error("UTC offset out of range"))?;
    zone.from_local_datetime(&date.and_time(time)).single().ok_or_else(|| ts_error("time out of range"))
}

// ---------------------------------------------------------------------------------------------
// formatdate

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// One piece of a format specification.
enum Token<'a> {
    /// A run of one repeated ASCII letter.
    Verb(char, usize),
    /// Text printed as it is, with quoting already removed.
    Literal(String),
    Text(&'a str),
}

fn tokenize(spec: &str) -> Result<Vec<Token<'_>>, FunctionError> {
    let mut tokens = Vec::new();
    let mut rest = spec;
    while let Some(first) = rest.chars().next() {
        if first == '\'' {
            // '' is a quote; otherwise a quoted literal runs to the next lone quote.
            if let Some(after) = rest.strip_prefix("''") {
                tokens.push(Token::Literal("'".into()));
                rest = after;
                continue;
            }
            let body = &rest[1..];
            let mut literal = String::new();
            let mut chars = body.char_indices().peekable();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                if c == '\'' {
                    if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                        literal.push('\'');
                        chars.next();
                        continue;
                    }
                    end = Some(i);
                    break;
                }
                literal.push(c);
            }
            let end = end.ok_or_else(|| FunctionError::Arg(0, "unterminated literal '".into()))?;
            tokens.push(Token::Literal(literal));
            rest = &body[end + 1..];
        } else if first.is_ascii_alphabetic() {
            let len = rest.chars().take_while(|c| *c == first).count();
            tokens.push(Token::Verb(first, len));
            rest = &rest[len..];
        } else {
            let len = rest.find(|c: char| c == '\'' || c.is_ascii_alphabetic()).unwrap_or(rest.len());
            tokens.push(Token::Text(&rest[..len]));
            rest = &rest[len..];
        }
    }
    Ok(tokens)
}

fn formatdate(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let spec = str_arg(args, 0)?;
    let t = parse_timestamp(str_arg(args, 1)?).map_err(|e| FunctionError::Arg(1, e))?;
    let mut out = String::new();
    for token in tokenize(spec)? {
        let (verb, len) = match token {
            Token::Literal(text) => {
                out.push_str(&text);
                continue;
            }
            Token::Text(text) => {
                out.push_str(text);
                continue;
            }
            Token::Verb(verb, len) => (verb, len),
        };
        let tok: String = std::iter::repeat_n(verb, len).collect();
        let invalid = |why: &str| FunctionError::Arg(0, format!("invalid date format verb {tok:?}: {why}"));
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let month_name = MONTHS.get(t.month0() as usize).copied().unwrap_or("");
        let day_name = WEEKDAYS.get(t.weekday().num_days_from_monday() as usize).copied().unwrap_or("");
        let offset = t.offset().local_minus_utc();
        let _ = match (verb, len) {
            ('Y', 2) => write!(out, "{:02}", t.year().rem_euclid(100)),
            ('Y', 4) => write!(out, "{:04}", t.year()),
            ('Y', _) => return Err(invalid("year must either be \"YY\" or \"YYYY\"")),
            ('M', 1) => write!(out, "{}", t.month()),
            ('M', 2) => write!(out, "{:02}", t.month()),
            ('M', 3) => write!(out, "{}", month_name.get(..3).unwrap_or(month_name)),
            ('M', 4) => write!(out, "{month_name}"),
            ('M', _) => return Err(invalid("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")),
            ('D', 1) => write!(out, "{}", t.day()),
            ('D', 2) => write!(out, "{:02}", t.day()),
            ('D', _) => return Err(invalid("day of month must either be \"D\" or \"DD\"")),
            ('E', 3) => write!(out, "{}", day_name.get(..3).unwrap_or(day_name)),
            ('E', 4) => write!(out, "{day_name}"),
            ('E', _) => return Err(invalid("day of week must either be \"EEE\" or \"EEEE\"")),
            ('h', 1) => write!(out, "{}", t.hour()),
            ('h', 2) => write!(out, "{:02}", t.hour()),
            ('h', _) => return Err(invalid("24-hour must either be \"h\" or \"hh\"")),
            ('H', 1) => write!(out, "{hour12}"),
            ('H', 2) => write!(out, "{hour12:02}"),
            ('H', _) => return Err(invalid("12-hour must either be \"H\" or \"HH\"")),
            ('A' | 'a', 2) => {
                let marker = if t.hour() < 12 { "AM" } else { "PM" };
                if verb == 'A' { write!(out, "{marker}") } else { write!(out, "{}", marker.to_lowercase()) }
            }
            ('A' | 'a', _) => return Err(invalid(&format!("must be \"{verb}{verb}\""))),
            ('m', 1) => write!(out, "{}", t.minute()),
            ('m', 2) => write!(out, "{:02}", t.minute()),
            ('m', _) => return Err(invalid("minute must either be \"m\" or \"mm\"")),
            ('s', 1) => write!(out, "{}", t.second()),
            ('s', 2) => write!(out, "{:02}", t.second()),
            ('s', _) => return Err(invalid("second must either be \"s\" or \"ss\"")),
            ('Z', 1) => write!(out, "{}", format_offset(offset, true, true)),
            ('Z', 3) if offset == 0 => write!(out, "UTC"),
            ('Z', 3 | 4) => write!(out, "{}", format_offset(offset, false, false)),
            ('Z', 5) => write!(out, "{}", format_offset(offset, true, false)),
            ('Z', _) => return Err(invalid("timezone must be Z, ZZZZ, or ZZZZZ")),
            _ => return Err(FunctionError::Arg(0, format!("invalid date format verb {tok:?}"))),
        };
    }
    Ok(Value::string(out))
}

// ---------------------------------------------------------------------------------------------
// timeadd

const NANOS_PER_UNIT: [(&str, u64); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// Go's `time.ParseDuration`: a sign, then number-unit pairs like `1h30m` or `2.5s`, within
/// the ±292 years an `i64` of nanoseconds holds.
fn parse_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut s) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    const LIMIT: u64 = 1 << 63;
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !s.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = s.bytes().take_while(u8::is_ascii_digit).count();
        let whole: u64 = if int_len == 0 { 0 } else { s[..int_len].parse().map_err(|_| invalid())? };
        s = &s[int_len..];
        // Fraction digits beyond u64 precision are ignored, as in Go.
        let (mut frac, mut scale, mut frac_len) = (0u64, 1f64, 0usize);
        if let Some(after) = s.strip_prefix('.') {
            frac_len = after.bytes().take_while(u8::is_ascii_digit).count();
            let mut overflowed = false;
            for d in after[..frac_len].bytes() {
                if overflowed {
                    continue;
                }
                match frac.checked_mul(10).and_then(|f| f.checked_add(u64::from(d - b'0'))) {
                    Some(f) => {
                        frac = f;
                        scale *= 10.0;
                    }
                    None => overflowed = true,
                }
            }
            s = &after[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = s.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(s.len());
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {text:?}"));
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let per = NANOS_PER_UNIT
            .iter()
            .find(|(name, _)| *name == unit)
            .map(|(_, n)| *n)
            .ok_or_else(|| format!("time: unknown unit {unit:?} in duration {text:?}"))?;
        let mut v = whole.checked_mul(per).filter(|v| *v <= LIMIT).ok_or_else(invalid)?;
        if frac > 0 {
            // Float arithmetic as in Go, exact to the nanosecond for fractions of an hour.
            let extra = (frac as f64 * (per as f64 / scale)) as u64;
            v = v.checked_add(extra).filter(|v| *v <= LIMIT).ok_or_else(invalid)?;
        }
        total = total.checked_add(v).filter(|t| *t <= LIMIT).ok_or_else(invalid)?;
    }
    if negative {
        // -2^63 fits exactly.
        Ok(0i64.wrapping_sub_unsigned(total))
    } else {
        i64::try_from(total).map_err(|_| invalid())
    }
}

fn timeadd(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let t = parse_timestamp(str_arg(args, 0)?).map_err(|e| FunctionError::Arg(0, e))?;
    let nanos = parse_duration(str_arg(args, 1)?).map_err(|e| FunctionError::Arg(1, e))?;
    let sum = t
        .checked_add_signed(chrono::Duration::nanoseconds(nanos))
        .ok_or_else(|| FunctionError::Call("the resulting time is out of range".into()))?;
    Ok(Value::string(format_rfc3339(&sum)))
}

/// Which of two instants comes first: -1 when `a` does, 1 when `b` does, 0 when they are the
/// same instant however each is written.
fn timecmp(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let a = parse_timestamp(str_arg(args, 0)?).map_err(|e| FunctionError::Arg(0, e))?;
    let b = parse_timestamp(str_arg(args, 1)?).map_err(|e| FunctionError::Arg(1, e))?;
    Ok(Value::int(match a.cmp(&b) {
        std::cmp::Ordering::Less => -1,
        std::cmp::Ordering::Equal => 0,
        std::cmp::Ordering::Greater => 1,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::testing::call_fn;
    use super::super::{call, lookup};
    use super::*;
    use crate::fs::OsFileSystem;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn fmt(spec: &str, ts: &str) -> Result<Value, FunctionError> {
        call_fn("formatdate", vec![s(spec), s(ts)])
    }

    fn arg_error(result: Result<Value, FunctionError>) -> String {
        match result {
            Err(FunctionError::Arg(_, m)) => m,
            other => panic!("expected an argument error, got {other:?}"),
        }
    }

    #[test]
    fn formatdate_documented_examples() {
        assert_eq!(fmt("DD MMM YYYY hh:mm ZZZ", "2018-01-02T23:12:01Z"), Ok(s("02 Jan 2018 23:12 UTC")));
        assert_eq!(
            fmt("EEEE, DD-MMM-YY hh:mm:ss ZZZ", "2018-01-02T23:12:01Z"),
            Ok(s("Tuesday, 02-Jan-18 23:12:01 UTC"))
        );
        assert_eq!(
            fmt("EEE, DD MMM YYYY hh:mm:ss ZZZ", "2018-01-02T23:12:01-08:00"),
            Ok(s("Tue, 02 Jan 2018 23:12:01 -0800"))
        );
        assert_eq!(fmt("MMM DD, YYYY", "2018-01-02T23:12:01Z"), Ok(s("Jan 02, 2018")));
        assert_eq!(fmt("HH:mmaa", "2018-01-02T23:12:01Z"), Ok(s("11:12pm")));
        assert_eq!(fmt("h'h'mm", "2018-01-02T23:12:01Z"), Ok(s("23h12")));
    }

    #[test]
    fn formatdate_all_verbs() {
        let ts = "2006-01-02T15:04:05Z";
        assert_eq!(fmt("", ts), Ok(s("")));
        assert_eq!(fmt("EEE, MMM D ''YY", ts), Ok(s("Mon, Jan 2 '06")));
        assert_eq!(fmt("H 'o''clock' AA", ts), Ok(s("3 o'clock PM")));
        assert_eq!(fmt("H 'o''clock'", ts), Ok(s("3 o'clock")));
        assert_eq!(fmt("hh:mm:ssZZZZ", ts), Ok(s("15:04:05+0000")));
        assert_eq!(fmt("hh:mm:ssZZZZZ", ts), Ok(s("15:04:05+00:00")));
        assert_eq!(fmt("YYYY-MM-DD'T'hh:mm:ssZ", ts), Ok(s("2006-01-02T15:04:05Z")));
        assert_eq!(fmt("MMMM EEEE M D h m s H", "2006-09-03T01:02:03+05:30"), Ok(s("September Sunday 9 3 1 2 3 1")));
        assert_eq!(fmt("Z ZZZ ZZZZZ", "2006-09-03T01:02:03+05:30"), Ok(s("+05:30 +0530 +05:30")));
        assert_eq!(fmt("HH aa", "2006-09-03T00:02:03Z"), Ok(s("12 am")));
        assert_eq!(fmt("YY", "2005-01-01T00:00:00.123456789Z"), Ok(s("05")));
        assert_eq!(fmt("\u{e9}-'\u{1F600}'", ts), Ok(s("\u{e9}-\u{1F600}")));
    }

    #[test]
    fn formatdate_bad_formats() {
        let ts = "2006-01-02T15:04:05Z";
        assert_eq!(arg_error(fmt("Y", ts)), "invalid date format verb \"Y\": year must either be \"YY\" or \"YYYY\"");
        assert_eq!(
            arg_error(fmt("YYYYY", ts)),
            "invalid date format verb \"YYYYY\": year must either be \"YY\" or \"YYYY\""
        );
        assert_eq!(arg_error(fmt("A", ts)), "invalid date format verb \"A\": must be \"AA\"");
        assert_eq!(arg_error(fmt("a", ts)), "invalid date format verb \"a\": must be \"aa\"");
        assert_eq!(arg_error(fmt("'blah blah", ts)), "unterminated literal '");
        assert_eq!(arg_error(fmt("'", ts)), "unterminated literal '");
        assert_eq!(arg_error(fmt("x", ts)), "invalid date format verb \"x\"");
        assert!(arg_error(fmt("ZZ", ts)).contains("timezone"));
        assert!(arg_error(fmt("MMMMM", ts)).contains("month"));
    }

    #[test]
    fn formatdate_timestamp_errors_match_terraform() {
        let cases = [
            ("", "not a valid RFC3339 timestamp: end of string before year"),
            ("2017-01-02", "not a valid RFC3339 timestamp: missing required time introducer 'T'"),
            ("2017-12-02t00:00:00Z", "not a valid RFC3339 timestamp: missing required time introducer 'T'"),
            ("2017:01:02", "not a valid RFC3339 timestamp: found \":01:02\" where \"-\" is expected"),
            ("2017", "not a valid RFC3339 timestamp: end of string where \"-\" is expected"),
            ("2017-01-02T", "not a valid RFC3339 timestamp: end of string before hour"),
            ("2017-01-02T00", "not a valid RFC3339 timestamp: end of string where \":\" is expected"),
            ("2017-01-02T00:00:00", "not a valid RFC3339 timestamp: end of string before UTC offset"),
            ("2017-01-02T26:00:00Z", "not a valid RFC3339 timestamp: cannot use \":00:00Z\" as hour"),
            ("2017-13-02T00:00:00Z", "not a valid RFC3339 timestamp: cannot use \"-02T00:00:00Z\" as month"),
            ("2017-02-31T00:00:00Z", "not a valid RFC3339 timestamp: day out of range"),
            (
                "\"2017-12-02T00:00:00Z\"",
                "not a valid RFC3339 timestamp: cannot use \"\\\"2017-12-02T00:00:00Z\\\"\" as year",
            ),
            ("2-12-02T00:00:00Z", "not a valid RFC3339 timestamp: cannot use \"-02T00:00:00Z\" as year"),
            ("2017-01-02T00:00:00Zjunk", "not a valid RFC3339 timestamp: extra text: \"junk\""),
        ];
        for (ts, want) in cases {
            let got = call_fn("formatdate", vec![s(""), s(ts)]);
            assert_eq!(got, Err(FunctionError::Arg(1, want.to_string())), "{ts}");
        }
        // Multi-byte text where digits are expected must not split a character.
        assert!(fmt("YYYY", "20\u{e9}7-01-01T00:00:00Z").is_err());
        assert!(fmt("YYYY", "2017-0\u{e9}-01T00:00:00Z").is_err());
    }

    #[test]
    fn formatdate_unknown_null_sensitive() {
        assert_eq!(
            call_fn("formatdate", vec![s("YYYY"), Value::unknown(Type::String)]),
            Ok(Value::unknown(Type::String))
        );
        assert!(call_fn("formatdate", vec![Value::null(Type::String), s("2017-01-02T00:00:00Z")]).is_err());
        let v = call_fn("formatdate", vec![s("YYYY"), s("2017-01-02T00:00:00Z").mark_sensitive()]).expect("formats");
        assert!(v.is_sensitive());
    }

    #[test]
    fn timeadd_documented_examples() {
        let add = |ts: &str, d: &str| call_fn("timeadd", vec![s(ts), s(d)]);
        assert_eq!(add("2017-11-22T00:00:00Z", "10m"), Ok(s("2017-11-22T00:10:00Z")));
        assert_eq!(add("2017-11-22T00:00:00Z", "1h30m"), Ok(s("2017-11-22T01:30:00Z")));
        assert_eq!(add("2017-11-22T00:00:00Z", "-10s"), Ok(s("2017-11-21T23:59:50Z")));
        assert_eq!(add("2017-11-22T00:00:00Z", "2.5h"), Ok(s("2017-11-22T02:30:00Z")));
        assert_eq!(add("2017-11-22T00:00:00+05:00", "1h"), Ok(s("2017-11-22T01:00:00+05:00")));
        assert_eq!(add("2017-11-22T00:00:00.5Z", "500ms"), Ok(s("2017-11-22T00:00:01Z")));
        assert_eq!(add("2017-11-22T00:00:00Z", "0"), Ok(s("2017-11-22T00:00:00Z")));
        assert_eq!(add("2017-11-22T00:00:00Z", "1\u{b5}s"), Ok(s("2017-11-22T00:00:00Z")));
    }

    #[test]
    fn timecmp_documented_examples() {
        let cmp = |a: &str, b: &str| call_fn("timecmp", vec![s(a), s(b)]);
        assert_eq!(cmp("2017-11-22T00:00:00Z", "2017-11-22T00:00:00Z"), Ok(Value::int(0)));
        assert_eq!(cmp("2017-11-22T00:00:00Z", "2017-11-22T01:00:00Z"), Ok(Value::int(-1)));
        assert_eq!(cmp("2017-11-22T01:00:00Z", "2017-11-22T00:59:00-01:00"), Ok(Value::int(-1)));
        assert_eq!(cmp("2017-11-22T01:00:00+01:00", "2017-11-22T00:00:00Z"), Ok(Value::int(0)));
        assert_eq!(cmp("2017-11-22T00:00:01Z", "2017-11-22T00:00:00.5Z"), Ok(Value::int(1)));
        assert!(matches!(cmp("2017-11-22", "2017-11-22T00:00:00Z"), Err(FunctionError::Arg(0, _))));
        assert!(matches!(cmp("2017-11-22T00:00:00Z", "noon"), Err(FunctionError::Arg(1, _))));
    }

    #[test]
    fn timeadd_errors() {
        let add = |ts: &str, d: &str| call_fn("timeadd", vec![s(ts), s(d)]);
        for bad in ["", "1", "h", "1x", "-", ".s", "1.h2", "9999999999999999999h", "3000000h"] {
            assert!(matches!(add("2017-11-22T00:00:00Z", bad), Err(FunctionError::Arg(1, _))), "{bad:?}");
        }
        assert_eq!(arg_error(add("2017-11-22T00:00:00Z", "1x")), "time: unknown unit \"x\" in duration \"1x\"");
        assert!(matches!(add("nope", "1h"), Err(FunctionError::Arg(0, _))));
        assert_eq!(call_fn("timeadd", vec![Value::unknown(Type::String), s("1h")]), Ok(Value::unknown(Type::String)));
        assert!(call_fn("timeadd", vec![s("2017-11-22T00:00:00Z"), Value::null(Type::String)]).is_err());
    }

    #[test]
    fn parse_duration_like_go() {
        assert_eq!(parse_duration("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse_duration("-1.5h"), Ok(-5_400_000_000_000));
        assert_eq!(parse_duration("+.5s"), Ok(500_000_000));
        assert_eq!(parse_duration("1.s"), Ok(1_000_000_000));
        assert_eq!(parse_duration("-2562047h47m16.854775808s"), Ok(i64::MIN));
        assert!(parse_duration("2562047h47m16.854775808s").is_err());
    }

    #[test]
    fn timestamp_is_rfc3339_utc_and_impure() {
        let now = call_fn("timestamp", vec![]).expect("timestamp");
        let text = now.as_str().expect("string");
        assert!(parse_timestamp(text).is_ok(), "{text}");
        assert!(text.ends_with('Z') && text.len() == 20, "{text}");
        let fs = OsFileSystem;
        let ctx = FunctionContext::in_current_dir(&fs, true);
        assert_eq!(call(lookup("timestamp").expect("registered"), vec![], &ctx), Ok(Value::unknown(Type::String)));
    }
}
