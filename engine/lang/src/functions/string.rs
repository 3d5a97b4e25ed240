//! String functions: `chomp`, `format`, `formatlist`, `indent`, `join`, `lower`, `upper`, `regex`,
//! `regexall`, `replace`, `split`, `startswith`, `endswith`, `strcontains`, `strrev`, `substr`, `title`, `trim`,
//! `trimprefix`, `trimsuffix`, `trimspace`.
//!
//! Terraform measures strings in grapheme clusters; we measure in Unicode scalar values (chars),
//! which agrees except for combining sequences and emoji joined with zero-width joiners.

use std::collections::BTreeMap;
use std::fmt::Write;

use num_bigint::BigInt;
use num_traits::Signed;
use regex::Regex;
use slipway_core::{Data, Number, Type, Value, convert};

use super::util::str_arg;
use super::{Function, FunctionContext, FunctionError, Param, Registry, Returns};

/// The largest width, precision or indentation honoured; larger ones are almost certainly a
/// mistake and would allocate without bound (Go's fmt refuses widths above a million too).
const MAX_PAD: usize = 1_000_000;

pub(super) fn register(registry: &mut Registry) {
    let string = || Type::String;
    let str_fn = |name: &'static str, body: super::Body| {
        Function::new(name, vec![Param::new("str", Type::String)], Returns::Fixed(string), body)
    };
    registry.add(str_fn("chomp", |args, _| Ok(Value::string(str_arg(args, 0)?.trim_end_matches(['\r', '\n'])))));
    registry.add(str_fn("lower", |args, _| Ok(Value::string(map_chars(str_arg(args, 0)?, char::to_lowercase)))));
    registry.add(str_fn("upper", |args, _| Ok(Value::string(map_chars(str_arg(args, 0)?, char::to_uppercase)))));
    registry.add(str_fn("strrev", |args, _| Ok(Value::string(str_arg(args, 0)?.chars().rev().collect::<String>()))));
    registry.add(str_fn("title", |args, _| Ok(Value::string(title(str_arg(args, 0)?)))));
    registry.add(str_fn("trimspace", |args, _| Ok(Value::string(str_arg(args, 0)?.trim()))));

    let pair = |name: &'static str, second: &'static str, returns: fn() -> Type, body: super::Body| {
        Function::new(
            name,
            vec![Param::new("str", Type::String), Param::new(second, Type::String)],
            Returns::Fixed(returns),
            body,
        )
    };
    registry.add(pair("trim", "cutset", string, |args, _| {
        let cutset = str_arg(args, 1)?;
        Ok(Value::string(str_arg(args, 0)?.trim_matches(|c| cutset.contains(c))))
    }));
    registry.add(pair("trimprefix", "prefix", string, |args, _| {
        let s = str_arg(args, 0)?;
        Ok(Value::string(s.strip_prefix(str_arg(args, 1)?).unwrap_or(s)))
    }));
    registry.add(pair("trimsuffix", "suffix", string, |args, _| {
        let s = str_arg(args, 0)?;
        Ok(Value::string(s.strip_suffix(str_arg(args, 1)?).unwrap_or(s)))
    }));
    registry.add(pair(
        "endswith",
        "suffix",
        || Type::Bool,
        |args, _| Ok(Value::bool(str_arg(args, 0)?.ends_with(str_arg(args, 1)?))),
    ));
    registry.add(pair(
        "strcontains",
        "substr",
        || Type::Bool,
        |args, _| Ok(Value::bool(str_arg(args, 0)?.contains(str_arg(args, 1)?))),
    ));
    // Terraform answers `startswith(unknown, "")` with true: every string starts with "".
    registry.add(Function::new(
        "startswith",
        vec![Param::new("str", Type::String).allow_unknown(), Param::new("prefix", Type::String)],
        Returns::Fixed(|| Type::Bool),
        |args, _| {
            let prefix = str_arg(args, 1)?;
            match args.first().map(Value::is_known) {
                Some(false) if prefix.is_empty() => Ok(Value::bool(true)),
                Some(false) => Ok(Value::unknown(Type::Bool)),
                _ => Ok(Value::bool(str_arg(args, 0)?.starts_with(prefix))),
            }
        },
    ));

    registry.add(Function::new(
        "split",
        vec![Param::new("separator", Type::String), Param::new("str", Type::String)],
        Returns::Fixed(|| Type::list(Type::String)),
        split,
    ));
    registry.add(Function::new(
        "indent",
        vec![Param::new("spaces", Type::Number), Param::new("str", Type::String)],
        Returns::Fixed(string),
        indent,
    ));
    registry.add(Function::new(
        "substr",
        vec![Param::new("str", Type::String), Param::new("offset", Type::Number), Param::new("length", Type::Number)],
        Returns::Fixed(string),
        substr,
    ));
    registry.add(
        Function::new("join", vec![Param::new("separator", Type::String)], Returns::Fixed(string), join)
            .variadic(Param::new("lists", Type::list(Type::String))),
    );
    registry.add(Function::new(
        "replace",
        vec![Param::new("str", Type::String), Param::new("substr", Type::String), Param::new("replace", Type::String)],
        Returns::Fixed(string),
        replace,
    ));
    registry.add(Function::new(
        "regex",
        vec![Param::new("pattern", Type::String), Param::new("string", Type::String)],
        Returns::FromArgs(|args| regex_return_type(args).unwrap_or(Type::Any)),
        regex_one,
    ));
    registry.add(Function::new(
        "regexall",
        vec![Param::new("pattern", Type::String), Param::new("string", Type::String)],
        Returns::FromArgs(|args| Type::list(regex_return_type(args).unwrap_or(Type::Any))),
        regex_all,
    ));
    registry.add(
        Function::new("format", vec![Param::new("format", Type::String)], Returns::Fixed(string), format_fn)
            .variadic(Param::new("args", Type::Any).allow_null()),
    );
    registry.add(
        Function::new(
            "formatlist",
            vec![Param::new("format", Type::String)],
            Returns::Fixed(|| Type::list(Type::String)),
            formatlist,
        )
        .variadic(Param::new("args", Type::Any).allow_null().allow_unknown()),
    );
}

fn invalid(index: usize, param: &str, message: &str) -> FunctionError {
    FunctionError::Arg(index, format!("Invalid value for {param:?} parameter: {message}."))
}

/// Maps each char with Go's simple case mapping: a char whose mapping is more than one char
/// (`ß` upper-cases to `SS`) is left alone, as Go's `strings.ToUpper` leaves it.
fn map_chars<I: Iterator<Item = char>>(s: &str, f: fn(char) -> I) -> String {
    s.chars()
        .map(|c| {
            let mut mapped = f(c);
            match (mapped.next(), mapped.next()) {
                (Some(m), None) => m,
                _ => c,
            }
        })
        .collect()
}

/// Go's `strings.Title`: the first letter of each word upper-cased, where words are separated
/// by ASCII punctuation or spaces and by Unicode spaces.
fn title(s: &str) -> String {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        // Letters and digits are never separators, and of the rest only spaces are.
        c.is_whitespace()
    }
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) {
                map_chars(c.encode_utf8(&mut [0; 4]), char::to_uppercase)
            } else {
                c.to_string()
            };
            prev = c;
            out
        })
        .collect()
}

fn split(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let separator = str_arg(args, 0)?;
    let s = str_arg(args, 1)?;
    // Go's strings.Split with an empty separator splits into chars (and "" into no parts);
    // Rust's would add empty strings at both ends.
    let parts: Vec<Value> = if separator.is_empty() {
        s.chars().map(|c| Value::string(c.to_string())).collect()
    } else {
        s.split(separator).map(Value::string).collect()
    };
    Ok(Value::list(Type::String, parts))
}

fn indent(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let spaces = args.first().and_then(Value::as_number).and_then(Number::to_i64);
    let spaces = match spaces.map(usize::try_from) {
        Some(Ok(n)) if n <= MAX_PAD => n,
        _ => {
            return Err(invalid(0, "spaces", "the number of spaces must be a whole number between 0 and 1000000"));
        }
    };
    let pad = format!("\n{}", " ".repeat(spaces));
    Ok(Value::string(str_arg(args, 1)?.replace('\n', &pad)))
}

fn substr(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let s = str_arg(args, 0)?;
    let whole = |index: usize, name: &str| {
        args.get(index)
            .and_then(Value::as_number)
            .and_then(Number::to_i64)
            .ok_or_else(|| invalid(index, name, &format!("the {name} must be a whole number")))
    };
    let offset = whole(1, "offset")?;
    let length = whole(2, "length")?;
    let total = i64::try_from(s.chars().count()).unwrap_or(i64::MAX);
    // A negative offset counts from the end; one still before the start means the start. A
    // negative length means "to the end", as in Terraform.
    let start = if offset < 0 { offset.saturating_add(total).max(0) } else { offset.min(total) };
    let taken = if length < 0 { total } else { length };
    let start = usize::try_from(start).unwrap_or(0);
    let taken = usize::try_from(taken).unwrap_or(0);
    Ok(Value::string(s.chars().skip(start).take(taken).collect::<String>()))
}

fn join(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let separator = str_arg(args, 0)?;
    let lists = args.get(1..).unwrap_or_default();
    if lists.is_empty() {
        return Err(FunctionError::Call(
            "At least one list is required after the separator, as in join(\",\", var.names).".into(),
        ));
    }
    let mut items = Vec::new();
    for (list_index, list) in lists.iter().enumerate() {
        for (element_index, element) in list.as_elements().unwrap_or_default().iter().enumerate() {
            let Some(s) = element.as_str() else {
                let which = if lists.len() > 1 {
                    format!("element {element_index} of list {}", list_index + 1)
                } else {
                    format!("element {element_index}")
                };
                return Err(invalid(
                    list_index + 1,
                    "lists",
                    &format!("{which} is null; cannot concatenate null values (filter them out with compact())"),
                ));
            };
            items.push(s);
        }
    }
    Ok(Value::string(items.join(separator)))
}

fn replace(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let s = str_arg(args, 0)?;
    let substr = str_arg(args, 1)?;
    let replacement = str_arg(args, 2)?;
    // A substring wrapped in slashes is a regular expression, and the replacement may refer to
    // its captures as $1 or ${name}.
    if substr.len() > 1
        && let Some(pattern) = substr.strip_prefix('/').and_then(|p| p.strip_suffix('/'))
    {
        let re = compile(pattern).map_err(|e| invalid(1, "substr", &e))?;
        return Ok(Value::string(re.replace_all(s, replacement).into_owned()));
    }
    Ok(Value::string(s.replace(substr, replacement)))
}

/// Compiles an RE2 pattern, as Terraform (Go's regexp) reads it, with the `regex` crate.
fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&re2_to_rust(pattern)).map_err(|e| format!("invalid regular expression {pattern:?}: {e}"))
}

/// Rewrites the places where RE2 and the `regex` crate read a pattern differently: in RE2 the
/// classes `\d`, `\w`, `\s` and the boundary `\b` are ASCII-only, and inside a bracket class `[`
/// and the operators `&&` and `~~` are ordinary characters.
fn re2_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    // Right after `[` or `[^` a `]` is a literal, not the end of the class.
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let was_start = class_start;
        class_start = false;
        match c {
            '\\' => match chars.next() {
                Some('d') => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                Some('D') => out.push_str("[^0-9]"),
                Some('w') => out.push_str(if in_class { "0-9A-Za-z_" } else { "[0-9A-Za-z_]" }),
                Some('W') => out.push_str("[^0-9A-Za-z_]"),
                Some('s') => out.push_str(if in_class { r"\t\n\f\r " } else { r"[\t\n\f\r ]" }),
                Some('S') => out.push_str(r"[^\t\n\f\r ]"),
                Some('b') if !in_class => out.push_str(r"(?-u:\b)"),
                Some('B') if !in_class => out.push_str(r"(?-u:\B)"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            '[' if chars.peek() == Some(&':') => {
                // A POSIX class such as [:alpha:], copied whole.
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str(r"\["),
            ']' if in_class && !was_start => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class && chars.peek() == Some(&c) => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// What a match of `re` produces: the matched string when there are no capture groups, a tuple
/// of positional captures, or an object of named captures.
fn regex_result_type(re: &Regex) -> Result<Type, String> {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let named = names.iter().filter(|n| n.is_some()).count();
    match (named, names.len() - named) {
        (0, 0) => Ok(Type::String),
        (0, positional) => Ok(Type::Tuple(vec![Type::String; positional])),
        (_, 0) => Ok(Type::object(names.iter().flatten().map(|n| (*n, Type::String)))),
        _ => Err("invalid regexp pattern: cannot mix both named and unnamed capture groups".into()),
    }
}

fn regex_return_type(args: &[Value]) -> Option<Type> {
    let re = compile(args.first()?.as_str()?).ok()?;
    regex_result_type(&re).ok()
}

fn regex_setup(args: &[Value]) -> Result<(Regex, Type, &str), FunctionError> {
    let re = compile(str_arg(args, 0)?).map_err(|e| invalid(0, "pattern", &e))?;
    let ty = regex_result_type(&re).map_err(|e| invalid(0, "pattern", &e))?;
    Ok((re, ty, str_arg(args, 1)?))
}

fn capture_value(re: &Regex, caps: &regex::Captures<'_>, ty: &Type) -> Value {
    let group = |i: usize| caps.get(i).map_or(Value::null(Type::String), |m| Value::string(m.as_str()));
    match ty {
        Type::Tuple(elems) => Value::tuple((1..=elems.len()).map(group).collect()),
        Type::Object(_) => Value::object(
            re.capture_names()
                .enumerate()
                .filter_map(|(i, name)| name.map(|n| (n.to_string(), group(i))))
                .collect::<BTreeMap<_, _>>(),
        ),
        _ => group(0),
    }
}

fn regex_one(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let (re, ty, s) = regex_setup(args)?;
    let caps = re.captures(s).ok_or_else(|| {
        FunctionError::Call(
            "The pattern did not match any part of the given string; use regexall() and check its length to test for a match."
                .into(),
        )
    })?;
    Ok(capture_value(&re, &caps, &ty))
}

fn regex_all(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let (re, ty, s) = regex_setup(args)?;
    let items = re.captures_iter(s).map(|caps| capture_value(&re, &caps, &ty)).collect();
    Ok(Value::list(ty, items))
}

fn format_fn(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let spec = str_arg(args, 0)?;
    let values = args.get(1..).unwrap_or_default();
    format_values(spec, values).map(Value::string).map_err(|e| e.into_function_error(""))
}

fn formatlist(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let spec = str_arg(args, 0)?;
    let values = args.get(1..).unwrap_or_default();
    // Lists, sets and tuples are iterated in lockstep; anything else is repeated every time.
    let mut length: Option<(usize, usize)> = None; // (length, argument that set it)
    let mut unknown = false;
    for (i, v) in values.iter().enumerate() {
        let is_sequence = matches!(v.ty(), Type::List(_) | Type::Set(_) | Type::Tuple(_)) && !v.is_null();
        if !is_sequence {
            continue;
        }
        let len = match (v.data(), v.ty()) {
            (Data::Unknown(_), Type::Tuple(elems)) => Some(elems.len()),
            (Data::Unknown(_), _) => None,
            (Data::Set(_, items), _) if !items.iter().all(Value::is_known) => None,
            _ => v.length(),
        };
        let Some(len) = len else {
            unknown = true;
            continue;
        };
        match length {
            None => length = Some((len, i)),
            Some((expected, first)) if expected != len => {
                return Err(invalid(
                    i + 1,
                    "args",
                    &format!(
                        "argument {} has length {len}, which is inconsistent with argument {} of length {expected}; all lists must have the same length",
                        i + 1,
                        first + 1
                    ),
                ));
            }
            Some(_) => {}
        }
        if !v.is_known() {
            unknown = true;
        }
    }
    if unknown {
        return Ok(Value::unknown(Type::list(Type::String)));
    }
    let rounds = length.map_or(1, |(len, _)| len);
    let mut out = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let mut call_args = Vec::with_capacity(values.len());
        for v in values {
            let item = match v.as_elements() {
                Some(items) if !v.is_null() => items.get(round).cloned().unwrap_or(Value::null(Type::Any)),
                _ => v.clone(),
            };
            call_args.push(item);
        }
        if !call_args.iter().all(Value::is_wholly_known) {
            out.push(Value::unknown(Type::String));
            continue;
        }
        let s = format_values(spec, &call_args)
            .map_err(|e| e.into_function_error(&format!("error on format iteration {round}: ")))?;
        out.push(Value::string(s));
    }
    Ok(Value::list(Type::String, out))
}

/// A `format` failure, blaming a value argument (counting from the first after the spec) or the
/// specification.
struct FormatError {
    arg: Option<usize>,
    message: String,
}

impl FormatError {
    fn spec(message: String) -> FormatError {
        FormatError { arg: None, message }
    }

    fn into_function_error(self, prefix: &str) -> FunctionError {
        match self.arg {
            Some(i) => {
                FunctionError::Arg(i + 1, format!("Invalid value for \"args\" parameter: {prefix}{}.", self.message))
            }
            None => FunctionError::Arg(0, format!("Invalid value for \"format\" parameter: {prefix}{}.", self.message)),
        }
    }
}

/// One `%` sequence of a format specification.
#[derive(Default)]
struct Verb<'a> {
    raw: &'a str,
    offset: usize,
    arg_num: usize,
    mode: char,
    zero: bool,
    sharp: bool,
    plus: bool,
    minus: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Formats `values` by `spec` with the verbs and flags of Terraform's `format`.
fn format_values(spec: &str, values: &[Value]) -> Result<String, FormatError> {
    let bytes = spec.as_bytes();
    let mut out = String::with_capacity(spec.len());
    let mut next_arg = 1;
    let mut highest_arg = 0;
    let mut p = 0;
    let unrecognized = |p: usize| {
        let c = spec.get(p..).and_then(|rest| rest.chars().next()).unwrap_or('?');
        FormatError::spec(format!("unrecognized format character {c:?} at offset {p}"))
    };
    while p < bytes.len() {
        let Some(rest) = spec.get(p..) else { break };
        let Some(c) = rest.chars().next() else { break };
        if c != '%' {
            out.push(c);
            p += c.len_utf8();
            continue;
        }
        if bytes.get(p + 1) == Some(&b'%') {
            out.push('%');
            p += 2;
            continue;
        }
        let start = p;
        p += 1;
        let mut verb = Verb { arg_num: next_arg, offset: start, ..Verb::default() };
        // Flags, in any order.
        while let Some(&b) = bytes.get(p) {
            match b {
                b'0' => verb.zero = true,
                b'#' => verb.sharp = true,
                b'-' => verb.minus = true,
                b'+' => verb.plus = true,
                b' ' => verb.space = true,
                _ => break,
            }
            p += 1;
        }
        // An explicit argument index: [n] with n from 1.
        if bytes.get(p) == Some(&b'[') {
            p += 1;
            if bytes.get(p) == Some(&b'0') {
                return Err(unrecognized(p));
            }
            let (n, after) = read_number(bytes, p);
            match (n, bytes.get(after)) {
                (Some(n), Some(b']')) => verb.arg_num = n,
                (_, None) if after == bytes.len() => {
                    return Err(FormatError::spec(format!("invalid format string starting at offset {after}")));
                }
                (Some(_), _) => return Err(unrecognized(after)),
                (None, _) => return Err(unrecognized(p)),
            }
            p = after + 1;
        }
        // Width: a number without a leading zero (a leading zero is the flag).
        if matches!(bytes.get(p), Some(b'1'..=b'9')) {
            let (n, after) = read_number(bytes, p);
            verb.width = Some(n.unwrap_or(usize::MAX));
            p = after;
        }
        if bytes.get(p) == Some(&b'.') {
            let (n, after) = read_number(bytes, p + 1);
            verb.prec = Some(if after == p + 1 { 0 } else { n.unwrap_or(usize::MAX) });
            p = after;
        }
        match bytes.get(p) {
            None => return Err(FormatError::spec(format!("invalid format string starting at offset {p}"))),
            Some(b) if b.is_ascii_alphabetic() => verb.mode = char::from(*b),
            Some(_) => return Err(unrecognized(p)),
        }
        p += 1;
        verb.raw = spec.get(start..p).unwrap_or_default();
        if verb.width.is_some_and(|w| w > MAX_PAD) || verb.prec.is_some_and(|w| w > MAX_PAD) {
            return Err(FormatError::spec(format!(
                "width or precision in {:?} at offset {start} is too large; the limit is {MAX_PAD}",
                verb.raw
            )));
        }
        highest_arg = highest_arg.max(verb.arg_num);
        append_verb(&mut out, &verb, values)?;
        next_arg = verb.arg_num.saturating_add(1);
    }
    if highest_arg < values.len() {
        let message = if highest_arg == 0 {
            "too many arguments; no verbs in format string".to_string()
        } else {
            format!("too many arguments; only {highest_arg} used by format string")
        };
        return Err(FormatError { arg: Some(highest_arg), message });
    }
    Ok(out)
}

/// The decimal number at `p` (saturating, so an absurd one is reported as too large), and where
/// it ends; `None` for no digits.
fn read_number(bytes: &[u8], p: usize) -> (Option<usize>, usize) {
    let mut end = p;
    let mut n: usize = 0;
    while let Some(&b) = bytes.get(end) {
        if !b.is_ascii_digit() {
            break;
        }
        n = n.saturating_mul(10).saturating_add(usize::from(b - b'0'));
        end += 1;
    }
    (if end == p { None } else { Some(n) }, end)
}

fn append_verb(out: &mut String, verb: &Verb<'_>, values: &[Value]) -> Result<(), FormatError> {
    let Some(arg) = verb.arg_num.checked_sub(1).and_then(|i| values.get(i)) else {
        return Err(FormatError::spec(format!(
            "not enough arguments for {:?} at {}: need index {} but have {} total",
            verb.raw,
            verb.offset,
            verb.arg_num,
            values.len()
        )));
    };
    let unsupported = |detail: &str| FormatError {
        arg: verb.arg_num.checked_sub(1),
        message: format!("unsupported value for {:?} at {}: {detail}", verb.raw, verb.offset),
    };
    if verb.mode != 'v' && arg.is_null() {
        return Err(unsupported("null value cannot be formatted"));
    }
    match verb.mode {
        'v' => {
            let text = match arg.data() {
                Data::String(s) if !verb.sharp => s.to_string(),
                Data::Number(n) if !verb.sharp => {
                    let (negative, text) = float_text(n, 'g', None);
                    if negative { format!("-{text}") } else { text }
                }
                _ => {
                    let mut json = String::new();
                    write_json(&mut json, arg);
                    json
                }
            };
            out.push_str(&pad_width(verb, text));
        }
        't' => {
            let b = convert(arg.clone(), &Type::Bool).map_err(|e| unsupported(&e.to_string()))?;
            out.push_str(if b.as_bool() == Some(true) { "true" } else { "false" });
        }
        'b' | 'd' | 'o' | 'x' | 'X' | 'e' | 'E' | 'f' | 'g' | 'G' => {
            let n = convert(arg.clone(), &Type::Number).map_err(|e| unsupported(&e.to_string()))?;
            let n = n.as_number().ok_or_else(|| unsupported("a number is required"))?;
            if matches!(verb.mode, 'e' | 'E' | 'f' | 'g' | 'G') {
                out.push_str(&format_float(verb, n));
            } else {
                let i = n.to_bigint().ok_or_else(|| unsupported("an integer is required"))?;
                out.push_str(&format_integer(verb, &i));
            }
        }
        's' | 'q' => {
            let s = convert(arg.clone(), &Type::String).map_err(|e| unsupported(&e.to_string()))?;
            let s = s.as_str().unwrap_or_default();
            // Precision limits how much of the input is used, counted in characters.
            let s = match verb.prec {
                Some(prec) if prec > 0 => s.char_indices().nth(prec).map_or(s, |(i, _)| &s[..i]),
                _ => s,
            };
            let text = if verb.mode == 'q' {
                let mut json = String::new();
                write_json_string(&mut json, s);
                json
            } else {
                s.to_string()
            };
            out.push_str(&pad_width(verb, text));
        }
        other => {
            return Err(FormatError::spec(format!(
                "unsupported format verb {other:?} in {:?} at offset {}",
                verb.raw, verb.offset
            )));
        }
    }
    Ok(())
}

/// Pads to the verb's width with spaces or zeros, on the left or with `-` on the right.
fn pad_width(verb: &Verb<'_>, text: String) -> String {
    let len = text.chars().count();
    match verb.width {
        Some(width) if width > len => {
            let pad = (if verb.zero { "0" } else { " " }).repeat(width - len);
            if verb.minus { text + &pad } else { pad + &text }
        }
        _ => text,
    }
}

/// Go's `big.Int` formatting of `%b %d %o %x %X` with sign, `#` prefix, precision as the
/// minimum number of digits, and width.
fn format_integer(verb: &Verb<'_>, i: &BigInt) -> String {
    let radix = match verb.mode {
        'b' => 2,
        'o' => 8,
        'x' | 'X' => 16,
        _ => 10,
    };
    let mut digits = i.abs().to_str_radix(radix);
    if verb.mode == 'X' {
        digits = digits.to_uppercase();
    }
    let sign = if i.is_negative() {
        "-"
    } else if verb.plus {
        "+"
    } else if verb.space {
        " "
    } else {
        ""
    };
    let prefix = match (verb.sharp, verb.mode) {
        (true, 'b') => "0b",
        (true, 'o') => "0",
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        _ => "",
    };
    let mut zeros = 0;
    if let Some(prec) = verb.prec {
        if digits.len() < prec {
            zeros = prec - digits.len();
        } else if digits == "0" && prec == 0 {
            // Go prints nothing at all for zero with zero precision.
            return String::new();
        }
    }
    let length = sign.len() + prefix.len() + zeros + digits.len();
    let (mut left, mut right) = (0, 0);
    if let Some(width) = verb.width
        && width > length
    {
        let d = width - length;
        if verb.minus {
            right = d;
        } else if verb.zero && verb.prec.is_none() {
            zeros = d;
        } else {
            left = d;
        }
    }
    format!("{}{sign}{prefix}{}{digits}{}", " ".repeat(left), "0".repeat(zeros), " ".repeat(right))
}

/// Go's `big.Float` formatting of `%e %E %f %g %G`: default precision 6 for `e` and `f`, the
/// shortest exact form for `g`; sign flags; width padded with spaces or zeros.
fn format_float(verb: &Verb<'_>, n: &Number) -> String {
    let (negative, body) = float_text(n, verb.mode, verb.prec);
    let sign = if negative {
        "-"
    } else if verb.plus {
        "+"
    } else if verb.space {
        " "
    } else {
        ""
    };
    let padding = verb.width.map_or(0, |w| w.saturating_sub(sign.len() + body.len()));
    if verb.zero && !verb.minus {
        format!("{sign}{}{body}", "0".repeat(padding))
    } else if verb.minus {
        format!("{sign}{body}{}", " ".repeat(padding))
    } else {
        format!("{}{sign}{body}", " ".repeat(padding))
    }
}

/// A decimal as digits `0.mant × 10^exp`, without trailing zeros; zero has no digits.
struct Decimal {
    mant: Vec<u8>,
    exp: i64,
}

impl Decimal {
    fn of(n: &Number) -> (bool, Decimal) {
        let (int, scale) = n.as_bigdecimal().normalized().as_bigint_and_exponent();
        let negative = int.is_negative();
        let digits = int.abs().to_string();
        let trimmed = digits.trim_end_matches('0');
        if trimmed.is_empty() {
            return (false, Decimal { mant: Vec::new(), exp: 0 });
        }
        let len = i64::try_from(digits.len()).unwrap_or(i64::MAX);
        (negative, Decimal { mant: trimmed.as_bytes().to_vec(), exp: len.saturating_sub(scale) })
    }

    fn len(&self) -> i64 {
        i64::try_from(self.mant.len()).unwrap_or(i64::MAX)
    }

    /// The digit at position `i` after the decimal point's origin, '0' outside the digits.
    fn at(&self, i: i64) -> u8 {
        usize::try_from(i).ok().and_then(|i| self.mant.get(i).copied()).unwrap_or(b'0')
    }

    /// Rounds to `n` digits, half to even, as Go's decimal rounding does.
    fn round(&mut self, n: i64) {
        let Ok(n) = usize::try_from(n) else { return };
        if n >= self.mant.len() {
            return;
        }
        let up = if self.mant[n] == b'5' && n + 1 == self.mant.len() {
            n > 0 && (self.mant[n - 1] - b'0') % 2 == 1
        } else {
            self.mant[n] >= b'5'
        };
        if up {
            let mut k = n;
            while k > 0 && self.mant[k - 1] == b'9' {
                k -= 1;
            }
            if k == 0 {
                self.mant = vec![b'1'];
                self.exp += 1;
            } else {
                self.mant[k - 1] += 1;
                self.mant.truncate(k);
            }
        } else {
            self.mant.truncate(n);
            while self.mant.last() == Some(&b'0') {
                self.mant.pop();
            }
        }
    }
}

/// The unsigned text of `n` in `mode` (`e`, `E`, `f`, `g`, `G`), and whether it is negative.
fn float_text(n: &Number, mode: char, prec: Option<usize>) -> (bool, String) {
    let (negative, mut d) = Decimal::of(n);
    let given = prec.map(|p| i64::try_from(p).unwrap_or(i64::MAX));
    let shortest = given.is_none() && matches!(mode, 'g' | 'G');
    let mut prec = match (given, mode) {
        (Some(p), _) => p,
        (None, 'g' | 'G') => d.len(),
        (None, _) => 6,
    };
    if !shortest {
        match mode {
            'e' | 'E' => d.round(prec.saturating_add(1)),
            'f' => d.round(d.exp.saturating_add(prec)),
            _ => {
                if prec == 0 {
                    prec = 1;
                }
                d.round(prec);
            }
        }
    }
    let text = match mode {
        'e' | 'E' => fmt_e(&d, mode, prec),
        'f' => fmt_f(&d, prec),
        _ => {
            let mut eprec = prec;
            if eprec > d.len() && d.len() >= d.exp {
                eprec = d.len();
            }
            if shortest {
                eprec = 6;
            }
            let exp = d.exp - 1;
            let e = if mode == 'G' { 'E' } else { 'e' };
            if exp < -4 || exp >= eprec {
                fmt_e(&d, e, prec.min(d.len()) - 1)
            } else {
                if prec > d.exp {
                    prec = d.len();
                }
                fmt_f(&d, (prec - d.exp).max(0))
            }
        }
    };
    (negative, text)
}

/// `d.ddddde±dd` with `prec` digits after the point.
fn fmt_e(d: &Decimal, e: char, prec: i64) -> String {
    let mut out = String::new();
    out.push(char::from(d.mant.first().copied().unwrap_or(b'0')));
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(char::from(d.at(i)));
        }
    }
    out.push(e);
    let exp = if d.mant.is_empty() { 0 } else { d.exp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.unsigned_abs());
    out
}

/// `ddd.ddd` with `prec` digits after the point.
fn fmt_f(d: &Decimal, prec: i64) -> String {
    let mut out = String::new();
    if d.exp > 0 {
        for i in 0..d.exp {
            out.push(char::from(d.at(i)));
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec {
            out.push(char::from(d.at(d.exp.saturating_add(i))));
        }
    }
    out
}

/// The JSON form `%#v` prints, as Terraform's `jsonencode` writes it.
fn write_json(out: &mut String, v: &Value) {
    match v.data() {
        Data::Null(_) | Data::Unknown(_) => out.push_str("null"),
        Data::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Data::Number(n) => {
            let (negative, text) = float_text(n, 'f', Some(0));
            // Whole numbers print as integers; fractions keep every digit they have.
            if n.is_integer() {
                out.push_str(if negative { "-" } else { "" });
                out.push_str(&text);
            } else {
                out.push_str(&n.as_bigdecimal().normalized().to_plain_string());
            }
        }
        Data::String(s) => write_json_string(out, s),
        Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Data::Map(_, entries) | Data::Object(entries) => {
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, k);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go's encoding/json writes it, escaping `<`, `>` and `&` for HTML safety.
fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::super::testing::call_fn;
    use super::*;
    use crate::functions::testing::{check, check_err, check_unknown, num};

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn strings(items: &[&str]) -> Value {
        Value::list(Type::String, items.iter().map(|i| s(i)).collect())
    }

    fn tuple(items: &[&str]) -> Value {
        Value::tuple(items.iter().map(|i| s(i)).collect())
    }

    fn format(spec: &str, args: Vec<Value>) -> Result<String, FunctionError> {
        let mut all = vec![s(spec)];
        all.extend(args);
        call_fn("format", all).map(|v| v.as_str().expect("a string").to_string())
    }

    #[test]
    fn documented_examples() {
        check("chomp", vec![s("hello\n")], s("hello"));
        check("chomp", vec![s("hello\r\n")], s("hello"));
        check("chomp", vec![s("hello\n\n")], s("hello"));
        check("format", vec![s("Hello, %s!"), s("Ander")], s("Hello, Ander!"));
        check("format", vec![s("There are %d lights"), Value::int(4)], s("There are 4 lights"));
        check(
            "formatlist",
            vec![s("Hello, %s!"), tuple(&["Valentina", "Ander", "Olivia", "Sam"])],
            strings(&["Hello, Valentina!", "Hello, Ander!", "Hello, Olivia!", "Hello, Sam!"]),
        );
        check(
            "formatlist",
            vec![s("%s, %s!"), s("Salutations"), tuple(&["Valentina", "Ander", "Olivia", "Sam"])],
            strings(&["Salutations, Valentina!", "Salutations, Ander!", "Salutations, Olivia!", "Salutations, Sam!"]),
        );
        check("indent", vec![Value::int(2), s("[\n  foo,\n  bar,\n]\n")], s("[\n    foo,\n    bar,\n  ]\n  "));
        check("join", vec![s("-"), tuple(&["foo", "bar", "baz"])], s("foo-bar-baz"));
        check("join", vec![s(", "), tuple(&["foo", "bar", "baz"])], s("foo, bar, baz"));
        check("join", vec![s(", "), tuple(&["foo"])], s("foo"));
        check("lower", vec![s("HELLO")], s("hello"));
        check("lower", vec![s("АЛЛО!")], s("алло!"));
        check("upper", vec![s("hello")], s("HELLO"));
        check("upper", vec![s("алло!")], s("АЛЛО!"));
        check("regex", vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")], s("aaabbbccc"));
        check("regex", vec![s(r"(\d\d\d\d)-(\d\d)-(\d\d)"), s("2019-02-01")], tuple(&["2019", "02", "01"]));
        check(
            "regex",
            vec![s("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"), s("https://terraform.io/docs/")],
            Value::object_from([("authority", s("terraform.io")), ("scheme", s("https"))]),
        );
        check_err("regex", vec![s("[a-z]+"), s("53453453.34534523454")], "did not match");
        check("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")], strings(&["abcd", "efgh"]));
        check("regexall", vec![s("[a-z]+"), s("123456789")], strings(&[]));
        check("replace", vec![s("1 + 2 + 3"), s("+"), s("-")], s("1 - 2 - 3"));
        check("replace", vec![s("hello world"), s("/w.*d/"), s("everybody")], s("hello everybody"));
        check("split", vec![s(","), s("foo")], strings(&["foo"]));
        check("split", vec![s(","), s("foo,bar,baz")], strings(&["foo", "bar", "baz"]));
        check("split", vec![s(","), s("")], strings(&[""]));
        check("startswith", vec![s("hello world"), s("hello")], Value::bool(true));
        check("startswith", vec![s("hello world"), s("world")], Value::bool(false));
        check("endswith", vec![s("hello world"), s("world")], Value::bool(true));
        check("endswith", vec![s("hello world"), s("hello")], Value::bool(false));
        check("strcontains", vec![s("hello world"), s("o w")], Value::bool(true));
        check("strcontains", vec![s("hello world"), s("O W")], Value::bool(false));
        check("strcontains", vec![s("hello"), s("")], Value::bool(true));
        check("strrev", vec![s("hello")], s("olleh"));
        check("strrev", vec![s("a ☃")], s("☃ a"));
        check("substr", vec![s("hello world"), Value::int(1), Value::int(4)], s("ello"));
        check("substr", vec![s("🤔🤷"), Value::int(0), Value::int(1)], s("🤔"));
        check("substr", vec![s("hello world"), Value::int(-5), Value::int(-1)], s("world"));
        check("substr", vec![s("hello world"), Value::int(6), Value::int(10)], s("world"));
        check("title", vec![s("hello world")], s("Hello World"));
        check("trim", vec![s("?!hello?!"), s("!?")], s("hello"));
        check("trim", vec![s("foobar"), s("far")], s("oob"));
        check("trim", vec![s("   hello! world.!  "), s("! ")], s("hello! world."));
        check("trimprefix", vec![s("helloworld"), s("hello")], s("world"));
        check("trimprefix", vec![s("helloworld"), s("cat")], s("helloworld"));
        check("trimsuffix", vec![s("helloworld"), s("world")], s("hello"));
        check("trimsuffix", vec![s("helloworld"), s("cat")], s("helloworld"));
        check("trimspace", vec![s("  hello\n\n")], s("hello"));
    }

    #[test]
    fn format_verbs_flags_and_widths() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%%|%s", vec![s("a")], "%|a"),
            ("%5s|%-5s|", vec![s("ab"), s("cd")], "   ab|cd   |"),
            ("%.3s", vec![s("abcdef")], "abc"),
            ("%05d", vec![Value::int(42)], "00042"),
            ("%+d % d %d", vec![Value::int(5), Value::int(5), Value::int(-5)], "+5  5 -5"),
            (
                "%x %X %#x %o %b",
                vec![Value::int(255), Value::int(255), Value::int(255), Value::int(8), Value::int(5)],
                "ff FF 0xff 10 101",
            ),
            ("%.3d|%6.3d|%-6d|", vec![Value::int(7), Value::int(-7), Value::int(7)], "007|  -007|7     |"),
            ("%d", vec![num("123456789012345678901234567890")], "123456789012345678901234567890"),
            ("%d", vec![s("12")], "12"),
            ("%f", vec![Value::int(1)], "1.000000"),
            ("%.2f", vec![num("3.14159")], "3.14"),
            ("%.1f", vec![num("0.06")], "0.1"),
            ("%.0f", vec![num("2.5")], "2"),
            ("%08.3f", vec![num("-3.14159")], "-003.142"),
            ("%10.4f|", vec![num("3.14159")], "    3.1416|"),
            ("%-8.2f|", vec![num("2.5")], "2.50    |"),
            ("%e", vec![num("1234.5678")], "1.234568e+03"),
            ("%E", vec![num("-0.000123")], "-1.230000E-04"),
            ("%e", vec![Value::int(0)], "0.000000e+00"),
            ("%g %g %g", vec![Value::int(1000000), Value::int(123456), num("0.00001")], "1e+06 123456 1e-05"),
            ("%.3g", vec![num("1234.5")], "1.23e+03"),
            ("%G", vec![num("0.0000000001")], "1E-10"),
            ("%v %v %v", vec![s("x"), num("1.5"), Value::bool(true)], "x 1.5 true"),
            ("%v", vec![Value::int(-42)], "-42"),
            ("%t", vec![s("true")], "true"),
            ("%q", vec![s("a\"b<\n")], "\"a\\\"b\\u003c\\n\""),
            ("%v|%#v", vec![Value::null(Type::String), s("x")], "null|\"x\""),
            (
                "%v",
                vec![Value::object_from([
                    ("b", Value::tuple(vec![Value::bool(true), Value::int(2)])),
                    ("a", num("1.5")),
                ])],
                "{\"a\":1.5,\"b\":[true,2]}",
            ),
            ("%[2]s %[1]s %s", vec![s("a"), s("b")], "b a b"),
            ("%s ünïcode", vec![s("é")], "é ünïcode"),
        ];
        for (spec, args, expected) in cases {
            assert_eq!(format(spec, args.clone()).as_deref(), Ok(expected), "format({spec:?}, {args:?})");
        }
    }

    #[test]
    fn format_errors() {
        check_err("format", vec![s("%s")], "not enough arguments for \"%s\" at 0: need index 1 but have 0 total");
        check_err("format", vec![s("%s"), s("a"), s("b")], "too many arguments; only 1 used by format string");
        check_err("format", vec![s("hello"), s("a")], "too many arguments; no verbs in format string");
        check_err("format", vec![s("%z"), s("a")], "unsupported format verb 'z'");
        check_err("format", vec![s("%d"), num("1.5")], "an integer is required");
        check_err("format", vec![s("%d"), s("x")], "a number is required");
        check_err("format", vec![s("%s"), Value::null(Type::String)], "null value cannot be formatted");
        check_err("format", vec![s("%s"), Value::tuple(vec![])], "unsupported value for \"%s\"");
        check_err("format", vec![s("abc %")], "invalid format string starting at offset 5");
        check_err("format", vec![s("%*d"), Value::int(1)], "unrecognized format character '*' at offset 1");
        check_err("format", vec![s("%[0]d"), Value::int(1)], "unrecognized format character");
        check_err("format", vec![s("%[3]d"), Value::int(1)], "need index 3 but have 1 total");
        check_err("format", vec![s("%99999999999999999999999d"), Value::int(1)], "too large");
        check_err("format", vec![s("%[99999999999999999999999]d"), Value::int(1)], "not enough arguments");
        check_err("format", vec![s("%[1"), Value::int(1)], "invalid format string");
    }

    #[test]
    fn formatlist_lockstep_and_unknowns() {
        check(
            "formatlist",
            vec![s("%s=%d"), tuple(&["a", "b"]), Value::list(Type::Number, vec![Value::int(1), Value::int(2)])],
            strings(&["a=1", "b=2"]),
        );
        check("formatlist", vec![s("x")], strings(&["x"]));
        check("formatlist", vec![s("%s"), strings(&[])], strings(&[]));
        check_err(
            "formatlist",
            vec![s("%s%s"), tuple(&["a", "b"]), tuple(&["c"])],
            "argument 2 has length 1, which is inconsistent with argument 1 of length 2",
        );
        check_err("formatlist", vec![s("%d"), tuple(&["a"])], "error on format iteration 0");
        check_unknown("formatlist", vec![s("%s"), Value::unknown(Type::list(Type::String))], Type::list(Type::String));
        let got = call_fn("formatlist", vec![s("%s"), Value::tuple(vec![s("a"), Value::unknown(Type::String)])])
            .expect("formats");
        let items = got.as_elements().expect("a list");
        assert!(items[0].same_known_value(&s("a")) && !items[1].is_known(), "{got:?}");
    }

    #[test]
    fn regex_flavours() {
        // Unmatched optional groups are null.
        check("regex", vec![s("(a)|(b)"), s("b")], Value::tuple(vec![Value::null(Type::String), s("b")]));
        check_err("regex", vec![s("(?P<x>a)(b)"), s("ab")], "cannot mix both named and unnamed");
        check_err("regex", vec![s("(a"), s("a")], "invalid regular expression");
        // RE2 classes are ASCII-only: an Arabic-Indic digit is not \d, é is not \w.
        check("regexall", vec![s(r"\d"), s("1٣")], strings(&["1"]));
        check("regexall", vec![s(r"\w+"), s("café")], strings(&["caf"]));
        check("regexall", vec![s(r"[\d.]+"), s("v1.2")], strings(&["1.2"]));
        check("regexall", vec![s(r"[[]"), s("a[b")], strings(&["["]));
        check("regexall", vec![s(r"[]a]+"), s("x]a]y")], strings(&["]a]"]));
        check("regexall", vec![s(r"[[:alpha:]]+"), s("ab1")], strings(&["ab"]));
        check("regex", vec![s(r"\bfoo\b"), s("a foo b")], s("foo"));
        check("replace", vec![s("a-1 b-2"), s(r"/(\w)-(\d)/"), s("$2${1}")], s("1a 2b"));
        check("replace", vec![s("key=value"), s("/(?P<k>\\w+)=(?P<v>\\w+)/"), s("${v}=${k}")], s("value=key"));
        check("replace", vec![s("a/b"), s("/"), s("|")], s("a|b"));
        check_err("replace", vec![s("a"), s("/(/"), s("b")], "\"substr\" parameter");
        check_unknown("regex", vec![s("(a)(b)"), Value::unknown(Type::String)], Type::Tuple(vec![Type::String; 2]));
        check_unknown("regexall", vec![s("a"), Value::unknown(Type::String)], Type::list(Type::String));
        check_unknown("regex", vec![Value::unknown(Type::String), s("a")], Type::Any);
    }

    #[test]
    fn edges_follow_go() {
        check("split", vec![s(""), s("abc")], strings(&["a", "b", "c"]));
        check("split", vec![s(""), s("")], strings(&[]));
        check("replace", vec![s("abc"), s(""), s("-")], s("-a-b-c-"));
        check("chomp", vec![s("a\n\r\r\n")], s("a"));
        check("chomp", vec![s("a\nb")], s("a\nb"));
        check("title", vec![s("hello-world foo_bar o'neil")], s("Hello-World Foo_bar O'Neil"));
        check("upper", vec![s("straße")], s("STRAßE"));
        check("substr", vec![s("hello"), Value::int(10), Value::int(2)], s(""));
        check("substr", vec![s("hello"), Value::int(-10), Value::int(2)], s("he"));
        check("substr", vec![s("hello"), Value::int(1), Value::int(0)], s(""));
        check("substr", vec![s("hello"), Value::int(i64::MAX), Value::int(i64::MAX)], s(""));
        check("substr", vec![s("hello"), Value::int(i64::MIN), Value::int(i64::MAX)], s("hello"));
        check_err("substr", vec![s("hello"), num("1.5"), Value::int(1)], "whole number");
        check_err("indent", vec![Value::int(-1), s("a")], "\"spaces\" parameter");
        check_err("join", vec![s(",")], "At least one list is required");
        check_err("join", vec![s(","), Value::tuple(vec![s("a"), Value::null(Type::String)])], "element 1 is null");
        check_err(
            "join",
            vec![s(","), tuple(&["a"]), Value::tuple(vec![Value::null(Type::String)])],
            "element 0 of list 2 is null",
        );
        check("join", vec![s(","), tuple(&["a"]), strings(&["b", "c"])], s("a,b,c"));
    }

    #[test]
    fn unknown_null_and_sensitive() {
        for name in ["chomp", "lower", "upper", "strrev", "title", "trimspace"] {
            check_unknown(name, vec![Value::unknown(Type::String)], Type::String);
            check_err(name, vec![Value::null(Type::String)], "\"str\" parameter: argument must not be null");
        }
        check_unknown("split", vec![s(","), Value::unknown(Type::String)], Type::list(Type::String));
        check_unknown("format", vec![s("%s"), Value::unknown(Type::String)], Type::String);
        check_unknown("format", vec![s("%v"), Value::tuple(vec![Value::unknown(Type::String)])], Type::String);
        check_unknown("join", vec![s(","), Value::tuple(vec![Value::unknown(Type::String)])], Type::String);
        check_unknown("endswith", vec![Value::unknown(Type::String), s("a")], Type::Bool);
        check_unknown("strcontains", vec![Value::unknown(Type::String), s("a")], Type::Bool);
        check_unknown("startswith", vec![Value::unknown(Type::String), s("a")], Type::Bool);
        check("startswith", vec![Value::unknown(Type::String), s("")], Value::bool(true));
        check_err("replace", vec![s("a"), Value::null(Type::String), s("b")], "\"substr\" parameter");
        check_err("substr", vec![s("a"), Value::int(0), Value::null(Type::Number)], "\"length\" parameter");

        let got = call_fn("upper", vec![s("secret").mark_sensitive()]).expect("upper");
        assert!(got.is_sensitive() && got.same_known_value(&s("SECRET")));
        let got = call_fn("join", vec![s(","), Value::tuple(vec![s("a"), s("b").mark_sensitive()])]).expect("join");
        assert!(got.is_sensitive() && got.same_known_value(&s("a,b")));
        let got = call_fn("format", vec![s("%s-%s"), s("a"), s("b").mark_sensitive()]).expect("format");
        assert!(got.is_sensitive());
        assert!(!call_fn("format", vec![s("%s"), s("a")]).expect("format").is_sensitive());
    }
}
