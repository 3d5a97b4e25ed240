//! Encoding functions: base64, JSON, YAML, URL query escaping and CSV, with the output formats
//! and decoded types Terraform gives (`jsondecode` yields objects and tuples, `yamlencode` writes
//! libyaml's block style with double-quoted strings).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use slipway_core::json::{from_json, to_json};
use slipway_core::{Data, Number, Type, Value};

use super::util::str_arg;
use super::{Function, FunctionContext, FunctionError, Param, Registry, Returns};

pub(super) fn register(registry: &mut Registry) {
    registry.add(Function::new(
        "base64encode",
        vec![Param::new("str", Type::String)],
        Returns::Fixed(|| Type::String),
        base64encode,
    ));
    registry.add(Function::new(
        "base64gzip",
        vec![Param::new("str", Type::String)],
        Returns::Fixed(|| Type::String),
        base64gzip,
    ));
    registry.add(Function::new(
        "base64decode",
        // Marked so the error message can avoid echoing a sensitive input.
        vec![Param::new("str", Type::String).allow_marked()],
        Returns::Fixed(|| Type::String),
        base64decode,
    ));
    registry.add(Function::new(
        "jsonencode",
        vec![Param::new("val", Type::Any).allow_null()],
        Returns::Fixed(|| Type::String),
        jsonencode,
    ));
    registry.add(Function::new(
        "jsondecode",
        vec![Param::new("str", Type::String)],
        Returns::Fixed(|| Type::Any),
        jsondecode,
    ));
    registry.add(Function::new(
        "yamlencode",
        vec![Param::new("value", Type::Any).allow_null()],
        Returns::Fixed(|| Type::String),
        yamlencode,
    ));
    registry.add(Function::new(
        "yamldecode",
        vec![Param::new("src", Type::String)],
        Returns::Fixed(|| Type::Any),
        yamldecode,
    ));
    registry.add(Function::new(
        "manifestdecode",
        vec![Param::new("src", Type::String)],
        Returns::Fixed(|| Type::Any),
        manifestdecode,
    ));
    registry.add(Function::new(
        "urlencode",
        vec![Param::new("str", Type::String)],
        Returns::Fixed(|| Type::String),
        urlencode,
    ));
    registry.add(Function::new(
        "csvdecode",
        vec![Param::new("str", Type::String)],
        Returns::FromArgs(csvdecode_type),
        csvdecode,
    ));
}

/// Go's `base64.StdEncoding`: padding required, but non-zero trailing bits accepted (it is not
/// `Strict`).
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

fn base64encode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    Ok(Value::string(GO_STD_BASE64.encode(str_arg(args, 0)?)))
}

/// gzip, then base64, as Terraform's `base64gzip` (cloud-init takes gzipped user data as it is,
/// which keeps a large one under EC2's 16 KiB). The header carries no time or name, so the same
/// string always gives the same result and plans stay stable.
fn base64gzip(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    use std::io::Write as _;
    let mut encoder = flate2::GzBuilder::new().mtime(0).write(Vec::new(), flate2::Compression::default());
    let compressed = encoder
        .write_all(str_arg(args, 0)?.as_bytes())
        .and_then(|()| encoder.finish())
        .map_err(|e| FunctionError::Call(format!("gzip failed: {e}")))?;
    Ok(Value::string(GO_STD_BASE64.encode(compressed)))
}

fn base64decode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let arg = args.first().cloned().ok_or_else(|| FunctionError::Arg(0, "a string is required".into()))?;
    let (arg, sensitive) = arg.unmark_deep();
    let s = arg.as_str().ok_or_else(|| FunctionError::Arg(0, "a string is required".into()))?;
    // Go's decoder skips line breaks, so wrapped base64 (as from `openssl base64`) decodes.
    let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let shown = if sensitive { "(sensitive value)".to_string() } else { s.to_string() };
    let bytes = GO_STD_BASE64
        .decode(cleaned.as_bytes())
        .map_err(|_| FunctionError::Arg(0, format!("failed to decode base64 data {shown}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| FunctionError::Arg(0, "the result of decoding the provided string is not valid UTF-8".into()))?;
    Ok(Value::string(text).with_sensitive(sensitive))
}

fn jsonencode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let value = args.first().ok_or_else(|| FunctionError::Arg(0, "a value is required".into()))?;
    if !value.is_wholly_known() {
        return Ok(Value::unknown(Type::String));
    }
    let json = to_json(value).map_err(|e| FunctionError::Arg(0, e.to_string()))?;
    let text = serde_json::to_string(&json).map_err(|e| FunctionError::Call(e.to_string()))?;
    Ok(Value::string(go_html_escape(&text)))
}

/// Go's `json.Marshal` escapes these characters so the output is safe inside HTML and
/// JavaScript; Terraform's documented output keeps that. They can only occur inside JSON
/// strings, so replacing them in the serialized text is exact.
fn go_html_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn jsondecode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let s = str_arg(args, 0)?;
    let json: serde_json::Value =
        serde_json::from_str(s).map_err(|e| FunctionError::Arg(0, format!("invalid JSON: {e}")))?;
    Ok(from_json(&json))
}

fn urlencode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    // Go's url.QueryEscape: unreserved bytes stay, space becomes '+', the rest is %XX.
    let s = str_arg(args, 0)?;
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    Ok(Value::string(out))
}

// ---------------------------------------------------------------------------------------------
// csvdecode

/// The list-of-objects type implied by the header line, when the argument is known.
fn csvdecode_type(args: &[Value]) -> Type {
    let Some(s) = args.first().and_then(Value::as_str) else {
        return Type::Any;
    };
    match csv_header(s) {
        Ok(headers) => Type::list(Type::object(headers.into_iter().map(|h| (h, Type::String)))),
        Err(_) => Type::Any,
    }
}

fn csv_reader(s: &str) -> csv::Reader<&[u8]> {
    // Field-count checks are done here, to report them as Terraform does.
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(s.as_bytes())
}

fn csv_error(e: &csv::Error) -> String {
    match e.position() {
        Some(pos) => format!("CSV parse error on line {}: {e}", pos.line()),
        None => format!("CSV parse error: {e}"),
    }
}

fn csv_header(s: &str) -> Result<Vec<String>, String> {
    let mut reader = csv_reader(s);
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Err("missing header line".into()),
        Err(e) => return Err(csv_error(&e)),
    }
    let headers: Vec<String> = record.iter().map(str::to_string).collect();
    let mut seen = std::collections::BTreeSet::new();
    for h in &headers {
        if !seen.insert(h.as_str()) {
            return Err(format!("duplicate column name {h:?}"));
        }
    }
    Ok(headers)
}

fn csvdecode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let s = str_arg(args, 0)?;
    let headers = csv_header(s).map_err(|e| FunctionError::Arg(0, e))?;
    let elem = Type::object(headers.iter().map(|h| (h.clone(), Type::String)));
    let mut reader = csv_reader(s);
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    let mut first = true;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(FunctionError::Arg(0, csv_error(&e))),
        }
        if first {
            // The header line, already read by csv_header.
            first = false;
            continue;
        }
        if record.len() != headers.len() {
            let line = record.position().map_or(0, csv::Position::line);
            return Err(FunctionError::Arg(0, format!("CSV parse error on line {line}: wrong number of fields")));
        }
        let attrs: BTreeMap<String, Value> = headers.iter().cloned().zip(record.iter().map(Value::from)).collect();
        rows.push(Value::object(attrs));
    }
    Ok(Value::list(elem, rows))
}

// ---------------------------------------------------------------------------------------------
// yamldecode

fn yamldecode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let s = str_arg(args, 0)?;
    let mut yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(s).map_err(|e| FunctionError::Arg(0, e.to_string()))?;
    // Merge keys (`<<: *base`) are part of the YAML that Terraform accepts.
    yaml.apply_merge().map_err(|e| FunctionError::Arg(0, e.to_string()))?;
    from_yaml(&yaml).map_err(|e| FunctionError::Arg(0, e))
}

/// slipway's `manifestdecode(src)`: every Kubernetes object of a multi-document YAML stream
/// (as `kubectl apply -f` reads it; `kind: List` items included, empty documents skipped) as an
/// object keyed `Kind/namespace/name` (`Kind/name` without a namespace), for
/// `for_each = manifestdecode(file("app.yaml"))` with one `kubernetes_manifest` instance each.
fn manifestdecode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    use serde::Deserialize;
    let s = str_arg(args, 0)?;
    let mut objects = BTreeMap::new();
    for (index, document) in serde_yaml_ng::Deserializer::from_str(s).enumerate() {
        let n = index + 1;
        let mut yaml = serde_yaml_ng::Value::deserialize(document)
            .map_err(|e| FunctionError::Arg(0, format!("document {n}: {e}")))?;
        yaml.apply_merge().map_err(|e| FunctionError::Arg(0, format!("document {n}: {e}")))?;
        if yaml.is_null() {
            continue;
        }
        let items = match yaml.get("kind").and_then(serde_yaml_ng::Value::as_str) {
            Some("List") => yaml.get("items").and_then(|i| i.as_sequence()).cloned().unwrap_or_default(),
            _ => vec![yaml],
        };
        for item in items {
            let field = |path: &[&str]| path.iter().try_fold(&item, |v, k| v.get(k)).and_then(|v| v.as_str());
            let (Some(_), Some(kind), Some(name)) =
                (field(&["apiVersion"]), field(&["kind"]), field(&["metadata", "name"]))
            else {
                return Err(FunctionError::Arg(
                    0,
                    format!("document {n} is not a Kubernetes object: it needs apiVersion, kind and metadata.name"),
                ));
            };
            let key = match field(&["metadata", "namespace"]) {
                Some(ns) => format!("{kind}/{ns}/{name}"),
                None => format!("{kind}/{name}"),
            };
            let value = from_yaml(&item).map_err(|e| FunctionError::Arg(0, format!("document {n}: {e}")))?;
            if objects.insert(key.clone(), value).is_some() {
                return Err(FunctionError::Arg(0, format!("{key} is in the stream twice (document {n})")));
            }
        }
    }
    Ok(Value::object(objects))
}

fn from_yaml(yaml: &serde_yaml_ng::Value) -> Result<Value, String> {
    use serde_yaml_ng::Value as Y;
    Ok(match yaml {
        Y::Null => Value::null(Type::Any),
        Y::Bool(b) => Value::bool(*b),
        Y::Number(n) => Value::number(yaml_number(n)?),
        Y::String(s) => Value::string(s.as_str()),
        Y::Sequence(items) => Value::tuple(items.iter().map(from_yaml).collect::<Result<_, _>>()?),
        Y::Mapping(entries) => {
            let mut attrs = BTreeMap::new();
            for (k, v) in entries {
                let key = match k {
                    Y::String(s) => s.clone(),
                    Y::Bool(b) => b.to_string(),
                    Y::Number(n) => yaml_number(n)?.to_string(),
                    _ => return Err("only strings, numbers and bools can be used as mapping keys".into()),
                };
                attrs.insert(key, from_yaml(v)?);
            }
            Value::object(attrs)
        }
        Y::Tagged(tagged) => return Err(format!("unsupported tag {:?}", tagged.tag.to_string())),
    })
}

fn yaml_number(n: &serde_yaml_ng::Number) -> Result<Number, String> {
    if let Some(i) = n.as_i64() {
        return Ok(Number::from_i64(i));
    }
    if let Some(u) = n.as_u64() {
        return Ok(Number::from_u64(u));
    }
    if n.is_nan() {
        return Err("floating point NaN is not supported".into());
    }
    n.as_f64().and_then(Number::from_f64).ok_or_else(|| "infinite numbers are not supported".to_string())
}

// ---------------------------------------------------------------------------------------------
// yamlencode

fn yamlencode(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let value = args.first().ok_or_else(|| FunctionError::Arg(0, "a value is required".into()))?;
    if !value.is_wholly_known() {
        return Ok(Value::unknown(Type::String));
    }
    let mut emitter = YamlEmitter { out: String::new(), open_ended: false };
    emitter.node(value, -1, Context::Root)?;
    if !emitter.out.ends_with('\n') {
        emitter.out.push('\n');
    }
    if emitter.open_ended {
        // libyaml ends a document whose last scalar could run on with an explicit end marker.
        emitter.out.push_str("...\n");
    }
    Ok(Value::string(emitter.out))
}

/// libyaml's preferred line width: double-quoted scalars fold at spaces beyond it.
const BEST_WIDTH: usize = 80;
/// libyaml's indentation step.
const BEST_INDENT: i64 = 2;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Root,
    /// A value in a block mapping, written after `"key":`.
    MappingValue,
    /// An entry of a block sequence, written after `- `.
    SequenceEntry,
}

/// A port of the parts of libyaml's emitter that go-cty-yaml's encoder exercises: block
/// mappings and sequences, flow `[]`/`{}` for empty collections, double-quoted strings (literal
/// block style for multi-line ones) and plain numbers, bools and nulls.
struct YamlEmitter {
    out: String,
    /// Set by a root plain scalar or a "keep" literal, which need the `...` end marker.
    open_ended: bool,
}

impl YamlEmitter {
    fn column(&self) -> usize {
        let line_start = self.out.rfind('\n').map_or(0, |i| i + 1);
        self.out[line_start..].chars().count()
    }

    /// Starts a line at `indent`, as libyaml's write_indent: a literal block scalar has already
    /// ended its last line, and its trailing empty lines must stay as they are.
    fn newline_indent(&mut self, indent: i64) {
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        for _ in 0..indent.max(0) {
            self.out.push(' ');
        }
    }

    /// Emits `value`; `indent` is the indentation of the enclosing collection (-1 at the root).
    fn node(&mut self, value: &Value, indent: i64, context: Context) -> Result<(), FunctionError> {
        // A scalar's continuation lines sit one step deeper than its collection.
        let scalar_indent = if indent < 0 { BEST_INDENT } else { indent + BEST_INDENT };
        // Only the last thing written decides whether the document needs its end marker.
        self.open_ended = false;
        match value.data() {
            Data::Unknown(_) => return Err(FunctionError::Call("cannot serialize unknown value as YAML".into())),
            Data::Null(_) => self.plain(" null", "null", context),
            Data::Bool(b) => {
                let text = if *b { "true" } else { "false" };
                self.plain(&format!(" {text}"), text, context);
            }
            Data::Number(n) => {
                let text = n.to_string();
                self.plain(&format!(" {text}"), &text, context);
            }
            Data::String(s) => {
                if context == Context::MappingValue {
                    self.out.push(' ');
                }
                self.string(s, scalar_indent, false);
            }
            Data::List(_, items) | Data::Set(_, items) | Data::Tuple(items) => {
                if items.is_empty() {
                    self.out.push_str(if context == Context::MappingValue { " []" } else { "[]" });
                    return Ok(());
                }
                // A sequence directly under a mapping key is not indented further (libyaml's
                // "indentless" sequences); anywhere else it steps in.
                let seq_indent = match context {
                    Context::Root => 0,
                    Context::MappingValue => indent,
                    Context::SequenceEntry => indent + BEST_INDENT,
                };
                for (i, item) in items.iter().enumerate() {
                    if i > 0 || context == Context::MappingValue {
                        self.newline_indent(seq_indent);
                    }
                    self.out.push_str("- ");
                    self.node(item, seq_indent, Context::SequenceEntry)?;
                }
            }
            Data::Map(_, entries) | Data::Object(entries) => {
                if entries.is_empty() {
                    self.out.push_str(if context == Context::MappingValue { " {}" } else { "{}" });
                    return Ok(());
                }
                let map_indent = match context {
                    Context::Root => 0,
                    Context::MappingValue | Context::SequenceEntry => indent + BEST_INDENT,
                };
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 || context == Context::MappingValue {
                        self.newline_indent(map_indent);
                    }
                    self.string(k, map_indent + BEST_INDENT, true);
                    self.out.push(':');
                    self.node(v, map_indent, Context::MappingValue)?;
                }
            }
        }
        Ok(())
    }

    fn plain(&mut self, after_key: &str, text: &str, context: Context) {
        match context {
            Context::MappingValue => self.out.push_str(after_key),
            Context::SequenceEntry => self.out.push_str(text),
            Context::Root => {
                self.out.push_str(text);
                self.open_ended = true;
            }
        }
    }

    fn string(&mut self, s: &str, indent: i64, is_key: bool) {
        self.open_ended = false;
        // go-cty-yaml asks for literal style for strings with a newline; libyaml falls back to
        // double quotes where a block scalar cannot represent the text or is not allowed.
        if !is_key && s.contains('\n') && literal_allowed(s) {
            self.literal(s, indent);
        } else {
            self.double_quoted(s, indent, !is_key);
        }
    }

    fn literal(&mut self, s: &str, indent: i64) {
        self.out.push('|');
        if s.starts_with([' ', '\n', '\u{85}', '\u{2028}', '\u{2029}']) {
            let _ = write!(self.out, "{BEST_INDENT}");
        }
        let mut chars = s.chars().rev();
        match (chars.next(), chars.next()) {
            (Some(last), prev) if is_break(last) => {
                if prev.is_none_or(is_break) {
                    self.out.push('+');
                    self.open_ended = true;
                }
            }
            _ => self.out.push('-'),
        }
        self.out.push('\n');
        let mut at_line_start = true;
        for c in s.chars() {
            if is_break(c) {
                self.out.push(c);
                at_line_start = true;
            } else {
                if at_line_start {
                    for _ in 0..indent.max(0) {
                        self.out.push(' ');
                    }
                    at_line_start = false;
                }
                self.out.push(c);
            }
        }
    }

    fn double_quoted(&mut self, s: &str, indent: i64, allow_breaks: bool) {
        self.out.push('"');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut column = self.column();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !yaml_printable(c) || is_break(c) || c == '"' || c == '\\' || c == '\u{feff}' {
                let escaped = match c {
                    '\0' => "\\0".to_string(),
                    '\u{7}' => "\\a".to_string(),
                    '\u{8}' => "\\b".to_string(),
                    '\t' => "\\t".to_string(),
                    '\n' => "\\n".to_string(),
                    '\u{b}' => "\\v".to_string(),
                    '\u{c}' => "\\f".to_string(),
                    '\r' => "\\r".to_string(),
                    '\u{1b}' => "\\e".to_string(),
                    '"' => "\\\"".to_string(),
                    '\\' => "\\\\".to_string(),
                    '\u{85}' => "\\N".to_string(),
                    '\u{a0}' => "\\_".to_string(),
                    '\u{2028}' => "\\L".to_string(),
                    '\u{2029}' => "\\P".to_string(),
                    c if u32::from(c) <= 0xff => format!("\\x{:02X}", u32::from(c)),
                    c if u32::from(c) <= 0xffff => format!("\\u{:04X}", u32::from(c)),
                    c => format!("\\U{:08X}", u32::from(c)),
                };
                column += escaped.len();
                self.out.push_str(&escaped);
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && column > BEST_WIDTH && i != 0 && i + 1 != chars.len() {
                    // Fold: the line break reads back as this one space.
                    self.newline_indent(indent);
                    column = usize::try_from(indent.max(0)).unwrap_or(0);
                    if chars.get(i + 1) == Some(&' ') {
                        self.out.push('\\');
                        column += 1;
                    }
                } else {
                    self.out.push(' ');
                    column += 1;
                }
                spaces = true;
            } else {
                self.out.push(c);
                column += 1;
                spaces = false;
            }
            i += 1;
        }
        self.out.push('"');
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// libyaml's notion of printable: note that it excludes tab and everything beyond the BMP.
fn yaml_printable(c: char) -> bool {
    let c = u32::from(c);
    c == 0x0a
        || (0x20..=0x7e).contains(&c)
        || (0xa0..=0xd7ff).contains(&c)
        || ((0xe000..=0xfffd).contains(&c) && c != 0xfeff)
}

/// Whether libyaml would keep the literal block style go-cty-yaml asks for.
fn literal_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let special = chars.iter().any(|c| !yaml_printable(*c) && !is_break(*c) || *c == '\u{feff}');
    // \r and U+0085 are breaks but not printable, which makes libyaml refuse block style.
    let unprintable_break = chars.iter().any(|c| matches!(c, '\r' | '\u{85}'));
    let trailing_space = chars.last() == Some(&' ');
    let space_break = chars.windows(2).any(|w| w[0] == ' ' && is_break(w[1]));
    !(special || unprintable_break || trailing_space || space_break)
}

#[cfg(test)]
mod tests {
    use super::super::testing::call_fn;
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn ok(name: &str, args: Vec<Value>) -> Value {
        call_fn(name, args).unwrap_or_else(|e| panic!("{name} failed: {e:?}"))
    }

    fn text(name: &str, args: Vec<Value>) -> String {
        ok(name, args).as_str().map(str::to_string).unwrap_or_else(|| panic!("{name} did not return a string"))
    }

    #[test]
    fn base64_round_trips_as_documented() {
        assert_eq!(ok("base64encode", vec![s("Hello World")]), s("SGVsbG8gV29ybGQ="));
        assert_eq!(ok("base64decode", vec![s("SGVsbG8gV29ybGQ=")]), s("Hello World"));
        let zipped = ok("base64gzip", vec![s("Hello World")]);
        assert_eq!(zipped, ok("base64gzip", vec![s("Hello World")]), "the same every time");
        let bytes = GO_STD_BASE64.decode(zipped.as_str().unwrap_or_default()).unwrap_or_default();
        assert_eq!(&bytes[..2], &[0x1f, 0x8b], "gzip magic");
        let mut unzipped = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut unzipped).unwrap_or_default();
        assert_eq!(unzipped, "Hello World");
        assert_eq!(ok("base64decode", vec![s("SGVsbG8g\nV29ybGQ=")]), s("Hello World"));
    }

    #[test]
    fn base64decode_rejects_garbage_and_binary() {
        for bad in ["!!!", "SGVsbG8", "a", "====", "\u{1F600}"] {
            let err = call_fn("base64decode", vec![s(bad)]).expect_err(bad);
            assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("failed to decode base64")), "{err:?}");
        }
        let err = call_fn("base64decode", vec![s("/w==")]).expect_err("0xff is not UTF-8");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("not valid UTF-8")), "{err:?}");
    }

    #[test]
    fn base64decode_keeps_secrets_out_of_errors_and_results_marked() {
        let err = call_fn("base64decode", vec![s("hunter2!").mark_sensitive()]).expect_err("invalid");
        assert!(matches!(&err, FunctionError::Arg(0, m) if !m.contains("hunter2")), "{err:?}");
        let v = ok("base64decode", vec![s("SGk=").mark_sensitive()]);
        assert!(v.is_sensitive());
        assert_eq!(v.unmark().0, s("Hi"));
    }

    #[test]
    fn base64_unknown_and_null() {
        assert_eq!(ok("base64encode", vec![Value::unknown(Type::String)]), Value::unknown(Type::String));
        assert!(call_fn("base64encode", vec![Value::null(Type::String)]).is_err());
        assert!(ok("base64encode", vec![s("x").mark_sensitive()]).is_sensitive());
    }

    #[test]
    fn jsonencode_matches_terraform() {
        let v = Value::object_from([("hello", s("world"))]);
        assert_eq!(text("jsonencode", vec![v]), r#"{"hello":"world"}"#);
        assert_eq!(text("jsonencode", vec![s("<b>&")]), r#""\u003cb\u003e\u0026""#);
        assert_eq!(text("jsonencode", vec![Value::null(Type::String)]), "null");
        let v = Value::tuple(vec![Value::int(1), Value::bool(true), s("a\nb")]);
        assert_eq!(text("jsonencode", vec![v]), r#"[1,true,"a\nb"]"#);
        let big = Value::number(Number::parse("123456789012345678901234567890").expect("number"));
        assert_eq!(text("jsonencode", vec![big]), "123456789012345678901234567890");
        let frac = Value::number(Number::parse("0.1").expect("number"));
        assert_eq!(text("jsonencode", vec![frac]), "0.1");
    }

    #[test]
    fn jsonencode_of_partly_unknown_is_unknown() {
        let v = Value::tuple(vec![Value::int(1), Value::unknown(Type::String)]);
        assert_eq!(ok("jsonencode", vec![v]), Value::unknown(Type::String));
        let secret = Value::object_from([("k", s("v").mark_sensitive())]);
        assert!(ok("jsonencode", vec![secret]).is_sensitive());
    }

    #[test]
    fn jsondecode_gives_objects_and_tuples() {
        let v = ok("jsondecode", vec![s(r#"{"hello": "world"}"#)]);
        assert_eq!(v, Value::object_from([("hello", s("world"))]));
        assert_eq!(ok("jsondecode", vec![s("true")]), Value::bool(true));
        let v = ok("jsondecode", vec![s(r#"[1, "a", null]"#)]);
        assert_eq!(v.ty(), Type::Tuple(vec![Type::Number, Type::String, Type::Any]));
        assert!(call_fn("jsondecode", vec![s("{")]).is_err());
        assert!(call_fn("jsondecode", vec![s("1 2")]).is_err());
        assert_eq!(ok("jsondecode", vec![Value::unknown(Type::String)]), Value::unknown(Type::Any));
    }

    #[test]
    fn urlencode_matches_go_query_escape() {
        assert_eq!(ok("urlencode", vec![s("Hello World!")]), s("Hello+World%21"));
        assert_eq!(ok("urlencode", vec![s("\u{2603}")]), s("%E2%98%83"));
        assert_eq!(
            ok("urlencode", vec![s("foo:bar@localhost?foo=bar&bar=baz")]),
            s("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz")
        );
        assert_eq!(ok("urlencode", vec![s("a-b_c.d~e")]), s("a-b_c.d~e"));
    }

    #[test]
    fn csvdecode_documented_example() {
        let v = ok("csvdecode", vec![s("a,b,c\n1,2,3\n4,5,6")]);
        let row = |a: &str, b: &str, c: &str| Value::object_from([("a", s(a)), ("b", s(b)), ("c", s(c))]);
        let elem = Type::object([("a", Type::String), ("b", Type::String), ("c", Type::String)]);
        assert_eq!(v, Value::list(elem.clone(), vec![row("1", "2", "3"), row("4", "5", "6")]));
        assert_eq!(ok("csvdecode", vec![s("a,b,c\n")]), Value::list(elem, vec![]));
        assert_eq!(ok("csvdecode", vec![s("a\n\"x,\"\"y\"\"\"\n")]).as_elements().map(<[Value]>::len), Some(1));
    }

    #[test]
    fn csvdecode_errors() {
        let err = call_fn("csvdecode", vec![s("a,b\n1,2,3\n")]).expect_err("too many fields");
        assert!(
            matches!(&err, FunctionError::Arg(0, m) if m.contains("line 2") && m.contains("wrong number")),
            "{err:?}"
        );
        let err = call_fn("csvdecode", vec![s("")]).expect_err("empty");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("missing header line")), "{err:?}");
        let err = call_fn("csvdecode", vec![s("a,a\n1,2")]).expect_err("duplicate");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("duplicate column name")), "{err:?}");
        assert_eq!(ok("csvdecode", vec![Value::unknown(Type::String)]), Value::unknown(Type::Any));
    }

    #[test]
    fn yamldecode_documented_examples() {
        assert_eq!(ok("yamldecode", vec![s("hello: world")]), Value::object_from([("hello", s("world"))]));
        assert_eq!(ok("yamldecode", vec![s("true")]), Value::bool(true));
        let v = ok("yamldecode", vec![s("{a: &foo [1, 2, 3], b: *foo}")]);
        let nums = Value::tuple(vec![Value::int(1), Value::int(2), Value::int(3)]);
        assert_eq!(v, Value::object_from([("a", nums.clone()), ("b", nums)]));
        // An alias inside its own anchor must neither hang nor panic.
        let _ = call_fn("yamldecode", vec![s("{a: &foo [1, *foo, 3]}")]);
    }

    #[test]
    fn yamldecode_scalars_and_structure() {
        let v = ok("yamldecode", vec![s("a: 1.5\nb: null\nc: '1'\nd:\n- x\n- 2\n")]);
        assert_eq!(v.get_attr("a"), Some(&Value::number(Number::parse("1.5").expect("n"))));
        assert!(v.get_attr("b").is_some_and(Value::is_null));
        assert_eq!(v.get_attr("c"), Some(&s("1")));
        assert_eq!(v.get_attr("d"), Some(&Value::tuple(vec![s("x"), Value::int(2)])));
        assert!(ok("yamldecode", vec![s("")]).is_null());
        let merged = ok("yamldecode", vec![s("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n")]);
        assert_eq!(merged.get_attr("derived"), Some(&Value::object_from([("x", Value::int(1)), ("y", Value::int(2))])));
    }

    #[test]
    fn manifestdecode_keys_every_object_of_a_stream() {
        let stream = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: web\n---\n# empty documents are skipped\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: nginx\n  namespace: web\nspec:\n  replicas: 2\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: nginx, namespace: web}\n";
        let v = ok("manifestdecode", vec![s(stream)]);
        let keys: Vec<&String> = v.as_entries().expect("an object").keys().collect();
        assert_eq!(keys, ["Deployment/web/nginx", "Namespace/web", "Service/web/nginx"]);
        let replicas =
            v.get_attr("Deployment/web/nginx").and_then(|d| d.get_attr("spec")).and_then(|s| s.get_attr("replicas"));
        assert_eq!(replicas, Some(&Value::int(2)));
        assert_eq!(ok("manifestdecode", vec![s("")]), Value::object(BTreeMap::new()));
    }

    #[test]
    fn manifestdecode_errors_name_the_document() {
        let not_object =
            call_fn("manifestdecode", vec![s("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nfoo: bar\n")]);
        assert!(format!("{:?}", not_object.expect_err("an error")).contains("document 2"));
        let twice = "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\napiVersion: v1\nkind: A\nmetadata: {name: a}\n";
        assert!(
            format!("{:?}", call_fn("manifestdecode", vec![s(twice)]).expect_err("an error"))
                .contains("A/a is in the stream twice")
        );
        assert!(call_fn("manifestdecode", vec![s("a: [1")]).is_err());
    }

    #[test]
    fn yamldecode_errors() {
        assert!(call_fn("yamldecode", vec![s("a: 1\n---\nb: 2\n")]).is_err(), "multiple documents");
        assert!(call_fn("yamldecode", vec![s("a: [1")]).is_err());
        assert!(call_fn("yamldecode", vec![s(".nan")]).is_err());
        assert!(call_fn("yamldecode", vec![s("!custom x")]).is_err());
        assert!(call_fn("yamldecode", vec![Value::null(Type::String)]).is_err());
    }

    #[test]
    fn yamlencode_documented_examples() {
        let v = Value::object_from([("a", s("b")), ("c", s("d"))]);
        assert_eq!(text("yamlencode", vec![v]), "\"a\": \"b\"\n\"c\": \"d\"\n");
        let v = Value::object_from([
            ("foo", Value::tuple(vec![Value::int(1), Value::int(2), Value::int(3)])),
            ("bar", s("baz")),
        ]);
        assert_eq!(text("yamlencode", vec![v]), "\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n");
        let v = Value::object_from([
            (
                "foo",
                Value::tuple(vec![Value::int(1), Value::object_from([("a", s("b")), ("c", s("d"))]), Value::int(3)]),
            ),
            ("bar", s("baz")),
        ]);
        assert_eq!(
            text("yamlencode", vec![v]),
            "\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n"
        );
    }

    #[test]
    fn yamlencode_scalars_like_go_cty_yaml() {
        assert_eq!(text("yamlencode", vec![Value::bool(true)]), "true\n...\n");
        assert_eq!(text("yamlencode", vec![Value::int(0)]), "0\n...\n");
        assert_eq!(text("yamlencode", vec![Value::null(Type::String)]), "null\n...\n");
        assert_eq!(text("yamlencode", vec![s("")]), "\"\"\n");
        assert_eq!(text("yamlencode", vec![s("hello")]), "\"hello\"\n");
        assert_eq!(text("yamlencode", vec![Value::empty_object()]), "{}\n");
        assert_eq!(text("yamlencode", vec![Value::empty_tuple()]), "[]\n");
        assert_eq!(text("yamlencode", vec![Value::list(Type::String, vec![s("b")])]), "- \"b\"\n");
        assert_eq!(text("yamlencode", vec![s("tab\there \u{1F600}")]), "\"tab\\there \\U0001F600\"\n");
    }

    #[test]
    fn yamlencode_nesting_and_multiline() {
        let v = Value::object_from([
            ("a", Value::object_from([("b", Value::object_from([("c", Value::int(1))]))])),
            ("e", Value::empty_tuple()),
            ("s", s("line1\nline2\n")),
            ("t", s("x\ny")),
            ("u", Value::tuple(vec![Value::tuple(vec![Value::int(1), Value::int(2)])])),
        ]);
        assert_eq!(
            text("yamlencode", vec![v]),
            "\"a\":\n  \"b\":\n    \"c\": 1\n\"e\": []\n\"s\": |\n  line1\n  line2\n\"t\": |-\n  x\n  y\n\"u\":\n- - 1\n  - 2\n"
        );
        assert_eq!(text("yamlencode", vec![s("a\nb\n\n")]), "|+\n  a\n  b\n\n...\n");
        assert_eq!(text("yamlencode", vec![s(" x\ny")]), "|2-\n   x\n  y\n");
        let v = Value::object_from([("a", s("x\n\n")), ("b", Value::int(1))]);
        assert_eq!(text("yamlencode", vec![v]), "\"a\": |+\n  x\n\n\"b\": 1\n");
        // A trailing space or a carriage return rules out block style.
        assert_eq!(text("yamlencode", vec![s("x\r\ny")]), "\"x\\r\\ny\"\n");
        assert_eq!(text("yamlencode", vec![s("a \nb")]), "\"a \\nb\"\n");
    }

    #[test]
    fn yamlencode_folds_long_double_quoted_strings() {
        let long = "word ".repeat(30);
        let long = long.trim_end();
        let out = text("yamlencode", vec![Value::object_from([("k", s(long))])]);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1, "{out}");
        assert!(lines[1].starts_with("  word"), "{out}");
        // Folded output still reads back as the original string.
        let back = ok("yamldecode", vec![s(&out)]);
        assert_eq!(back.get_attr("k"), Some(&s(long)));
    }

    #[test]
    fn yamlencode_round_trips_through_yamldecode() {
        let v = Value::object_from([
            ("list", Value::tuple(vec![s("a\nb\n\n"), s(" lead\nx"), Value::int(-3)])),
            ("map", Value::object_from([("quote\"d", s("back\\slash")), ("n", Value::null(Type::String))])),
        ]);
        let out = text("yamlencode", vec![v.clone()]);
        let back = ok("yamldecode", vec![s(&out)]);
        assert!(back.same_known_value(&v), "{out}\n{back:?}");
    }

    #[test]
    fn yamlencode_unknown_and_sensitive() {
        let v = Value::tuple(vec![Value::unknown(Type::String)]);
        assert_eq!(ok("yamlencode", vec![v]), Value::unknown(Type::String));
        assert!(ok("yamlencode", vec![s("x").mark_sensitive()]).is_sensitive());
    }
}
