//! `slipway fmt`: rewrites a `.tf` file into the canonical layout of `terraform fmt`.
//!
//! Terraform formats at the token level (hashicorp/hcl `hclwrite`), not on a syntax tree, and
//! its output depends on quirks of that approach (a heredoc is one "line", alignment groups end
//! at any line without a `=`, brackets are counted per line). To reproduce it byte for byte we do
//! the same, in three steps:
//!
//! 1. [`lex`] splits the source into tokens shaped like those of `hclsyntax`: line comments own
//!    their newline, a heredoc's body is literal text (so it is never re-indented), template
//!    interpolations are bracket-like tokens.
//! 2. [`rewrite_legacy`] applies the few structural rewrites `terraform fmt` does on top of
//!    `hclwrite`: bare block labels become quoted, an attribute value that is only one
//!    interpolation (`"${var.x}"`) is unwrapped, and legacy quoted types in `variable` blocks
//!    (`"string"`) become type expressions.
//! 3. [`format_tokens`] recomputes only the horizontal whitespace before each token: indentation,
//!    spacing inside a line, and the alignment of `=` and trailing comments.
//!
//! Vertical whitespace is kept exactly as written, as `terraform fmt` does: blank lines are not
//! collapsed and no final newline is added or removed.
//!
//! Known differences from `terraform fmt`: a comment between a block's type and its labels is
//! kept (Terraform loses it when it re-quotes the labels); a quoted label is kept as written
//! rather than re-escaped; syntax accepted by hcl-edit but rejected by Terraform's parser is
//! formatted rather than refused. Like Terraform, the output is not always a fixed point:
//! `"${"${x}"}"` unwraps one level per run.
//!
//! The source is parsed with hcl-edit first only to reject invalid input: formatting a file that
//! does not parse could make drastic changes that are hard for the user to undo.

use std::fmt;

/// A syntax error that prevents formatting, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// What the parser expected or found.
    pub message: String,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for FormatError {}

/// Formats one .tf file's source into the canonical layout of `terraform fmt`.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    if let Err(err) = hcl_edit::parser::parse_body(source) {
        return Err(syntax_error(source, &err, err.message().to_string()));
    }
    let (tokens, trailing_spaces) = lex(source);
    let mut tokens = rewrite_legacy(tokens);
    format_tokens(&mut tokens);

    let mut out = String::with_capacity(source.len() + source.len() / 8);
    for token in &tokens {
        push_spaces(&mut out, token.spaces);
        out.push_str(&token.text);
    }
    // hclwrite never touches the whitespace before end of file (its EOF token is not part of any
    // line), so spaces after the last token survive; tabs there become spaces because only the
    // byte count is kept.
    push_spaces(&mut out, trailing_spaces);
    // hcl-edit accepts a few things Terraform's scanner reads differently, such as a bare `"` in
    // the body of a template directive (`"%{for x in y}"%{endfor}"`); the tokens above follow
    // Terraform, so such a file would come out broken. Refuse it rather than write that: lines
    // are kept as written, so the line of the error is the input's.
    if let Err(err) = hcl_edit::parser::parse_body(&out) {
        let message = format!("this file uses syntax that Terraform does not accept: {}", err.message());
        return Err(syntax_error(&out, &err, message));
    }
    Ok(out)
}

/// A parse error of `source` with its 1-based position.
fn syntax_error(source: &str, err: &hcl_edit::parser::Error, message: String) -> FormatError {
    let location = err.location();
    // hcl-edit clamps an error at end of input onto the last byte and carries the excess only in
    // its column; recover the true offset so that end of input is reported where it is (`3:1`
    // for an unclosed block ending in a newline, not `2:9` past the line end).
    let clamped = line_column(source, location.offset()).1;
    let offset = location.offset() + location.column().saturating_sub(clamped);
    let (line, column) = line_column(source, offset);
    FormatError { message, line, column }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Newline,
    /// `#`/`//` comments (which include their newline) and `/* */` comments.
    Comment,
    Ident,
    Number,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    Equal,
    Comma,
    Dot,
    Ellipsis,
    Colon,
    DoubleColon,
    Question,
    FatArrow,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Bang,
    And,
    Or,
    EqualOp,
    NotEqual,
    Lt,
    Le,
    Gt,
    Ge,
    /// Opening `"` of a quoted template.
    OQuote,
    CQuote,
    /// Literal text inside a quoted template.
    QuotedLit,
    /// `${` or `${~`.
    TemplateInterp,
    /// `%{` or `%{~`.
    TemplateControl,
    /// `}` or `~}` ending an interpolation or directive.
    TemplateSeqEnd,
    /// `<<EOT` or `<<-EOT`, including the newline after the marker.
    OHeredoc,
    /// The heredoc's closing marker line, including its leading whitespace.
    CHeredoc,
    /// Literal text of a heredoc body.
    StringLit,
    /// Anything the lexer does not recognise; only reachable where hcl-edit is laxer than HCL.
    Invalid,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    /// Spaces written before the token; the formatter recomputes it.
    spaces: usize,
}

impl Token {
    fn new(kind: Kind, text: impl Into<String>) -> Self {
        Token { kind, text: text.into(), spaces: 0 }
    }

    /// A `#` or `//` comment ends its line, as a newline token does.
    fn ends_line(&self) -> bool {
        self.kind == Kind::Newline || (self.kind == Kind::Comment && self.text.ends_with('\n'))
    }

    /// Net change of nesting depth: brackets and template sequences open and close levels.
    fn bracket_change(&self) -> i32 {
        match self.kind {
            Kind::OBrace | Kind::OBrack | Kind::OParen | Kind::TemplateControl | Kind::TemplateInterp => 1,
            Kind::CBrace | Kind::CBrack | Kind::CParen | Kind::TemplateSeqEnd => -1,
            _ => 0,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

/// What the lexer is inside of; the top of the stack decides how the next bytes are read.
#[derive(Debug)]
enum Mode {
    /// Expression syntax inside `${ }` / `%{ }`: a `}` at this level ends the sequence.
    Interp,
    /// Expression syntax inside `{ }`: a `}` at this level is a closing brace.
    Brace,
    Quoted,
    Heredoc {
        marker: String,
        /// Only a whole line can be the closing marker.
        at_line_start: bool,
    },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    stack: Vec<Mode>,
    out: Vec<Token>,
    spaces: usize,
}

/// Splits `src` into tokens; also returns the number of whitespace bytes after the last token.
fn lex(src: &str) -> (Vec<Token>, usize) {
    let mut lx = Lexer { src, pos: 0, stack: Vec::new(), out: Vec::new(), spaces: 0 };
    while lx.pos < src.len() {
        match lx.stack.last() {
            Some(Mode::Quoted) => lx.quoted(),
            Some(Mode::Heredoc { .. }) => lx.heredoc(),
            _ => lx.expression(),
        }
    }
    let trailing = lx.spaces;
    (lx.out, trailing)
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek_byte(&self, ahead: usize) -> Option<u8> {
        self.src.as_bytes().get(self.pos + ahead).copied()
    }

    /// Emits the next `len` bytes as a token of `kind`.
    fn emit(&mut self, kind: Kind, len: usize) {
        let end = (self.pos + len).min(self.src.len());
        let text = self.src.get(self.pos..end).unwrap_or("");
        self.out.push(Token { kind, text: text.to_string(), spaces: self.spaces });
        self.spaces = 0;
        self.pos = end;
    }

    fn expression(&mut self) {
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            self.pos = self.src.len();
            return;
        };
        let starts = |s: &str| rest.starts_with(s);
        match c {
            ' ' | '\t' => {
                self.spaces += 1;
                self.pos += 1;
            }
            '\n' => self.emit(Kind::Newline, 1),
            '\r' if starts("\r\n") => self.emit(Kind::Newline, 2),
            '#' => self.emit(Kind::Comment, line_len(rest)),
            '/' if starts("//") => self.emit(Kind::Comment, line_len(rest)),
            '/' if starts("/*") => {
                let len = rest.get(2..).and_then(|r| r.find("*/")).map_or(rest.len(), |i| i + 4);
                self.emit(Kind::Comment, len);
            }
            '"' => {
                self.emit(Kind::OQuote, 1);
                self.stack.push(Mode::Quoted);
            }
            '<' if starts("<<") => {
                if let Some((len, marker)) = heredoc_header(rest) {
                    self.emit(Kind::OHeredoc, len);
                    self.stack.push(Mode::Heredoc { marker, at_line_start: true });
                } else {
                    self.emit(Kind::Lt, 1);
                }
            }
            '0'..='9' => self.emit(Kind::Number, number_len(rest)),
            c if c.is_alphabetic() || c == '_' => {
                let len = rest
                    .char_indices()
                    .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-'))
                    .map_or(rest.len(), |(i, _)| i);
                self.emit(Kind::Ident, len);
            }
            '{' => {
                self.emit(Kind::OBrace, 1);
                self.stack.push(Mode::Brace);
            }
            '}' => self.close_brace(1),
            '~' if starts("~}") && matches!(self.stack.last(), Some(Mode::Interp)) => {
                self.close_brace(2);
            }
            _ => {
                let (kind, len) = operator(rest).unwrap_or((Kind::Invalid, c.len_utf8()));
                self.emit(kind, len);
            }
        }
    }

    /// A `}` either closes an object/block brace or ends a template sequence.
    fn close_brace(&mut self, len: usize) {
        match self.stack.last() {
            Some(Mode::Interp) => {
                self.stack.pop();
                self.emit(Kind::TemplateSeqEnd, len);
            }
            Some(Mode::Brace) => {
                self.stack.pop();
                self.emit(Kind::CBrace, len);
            }
            _ => self.emit(Kind::CBrace, len),
        }
    }

    /// Opens a `${`/`%{` sequence at the current position if there is one.
    fn template_open(&mut self) -> bool {
        let rest = self.rest();
        let kind = if rest.starts_with("${") {
            Kind::TemplateInterp
        } else if rest.starts_with("%{") {
            Kind::TemplateControl
        } else {
            return false;
        };
        let len = if rest.get(2..3) == Some("~") { 3 } else { 2 };
        self.emit(kind, len);
        self.stack.push(Mode::Interp);
        true
    }

    fn quoted(&mut self) {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                // hcl-edit accepts a newline inside a quoted string (Terraform does not); the
                // literal goes on to the closing quote, so its text is never re-spaced.
                b'"' => break,
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => break,
                // `$${` and `%%{` are escapes for a literal `${` and `%{`.
                b'$' | b'%' if bytes.get(i + 1) == Some(&bytes[i]) && bytes.get(i + 2) == Some(&b'{') => {
                    i += 3;
                }
                b'\\' => {
                    i += 1;
                    i += rest.get(i..).and_then(|r| r.chars().next()).map_or(0, char::len_utf8);
                }
                _ => i += 1,
            }
        }
        let i = i.min(bytes.len());
        if i > 0 {
            self.emit(Kind::QuotedLit, i);
        }
        match self.peek_byte(0) {
            Some(b'"') => {
                self.stack.pop();
                self.emit(Kind::CQuote, 1);
            }
            Some(_) => {
                // The literal stopped at `${` or `%{`; the fallback only guarantees progress.
                let opened = self.template_open();
                if !opened {
                    self.emit(Kind::QuotedLit, 1);
                }
            }
            None => {}
        }
    }

    fn heredoc(&mut self) {
        let Some(Mode::Heredoc { marker, at_line_start }) = self.stack.last() else {
            return;
        };
        let (marker, at_line_start) = (marker.clone(), *at_line_start);
        let rest = self.rest();
        if at_line_start {
            let line = rest.split('\n').next().unwrap_or("");
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim() == marker {
                // The newline after the marker stays a separate token: it ends the attribute.
                let len = line.len();
                self.stack.pop();
                self.emit(Kind::CHeredoc, len);
                return;
            }
        }
        let bytes = rest.as_bytes();
        let mut i = 0;
        let mut ended_line = false;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => {
                    i += 1;
                    ended_line = true;
                    break;
                }
                b'$' | b'%' if bytes.get(i + 1) == Some(&bytes[i]) && bytes.get(i + 2) == Some(&b'{') => {
                    i += 3;
                }
                b'$' | b'%' if bytes.get(i + 1) == Some(&b'{') => break,
                _ => i += 1,
            }
        }
        if let Some(Mode::Heredoc { at_line_start, .. }) = self.stack.last_mut() {
            *at_line_start = ended_line;
        }
        if i > 0 {
            self.emit(Kind::StringLit, i);
        } else if !self.template_open() {
            // Unreachable by construction; consuming a byte guarantees progress regardless.
            self.emit(Kind::StringLit, 1);
        }
    }
}

/// Length of a `#`/`//` comment including its newline.
fn line_len(rest: &str) -> usize {
    rest.find('\n').map_or(rest.len(), |i| i + 1)
}

/// Parses `<<EOT\n` / `<<-EOT\n`, returning its length (newline included) and the marker.
fn heredoc_header(rest: &str) -> Option<(usize, String)> {
    let after = rest.strip_prefix("<<")?;
    let after_dash = after.strip_prefix('-').unwrap_or(after);
    let marker_len = after_dash
        .char_indices()
        .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .map_or(after_dash.len(), |(i, _)| i);
    let first = after_dash.chars().next()?;
    if marker_len == 0 || !(first.is_alphabetic() || first == '_') {
        return None;
    }
    let marker = after_dash.get(..marker_len)?;
    let tail = after_dash.get(marker_len..)?;
    let nl = if tail.starts_with("\r\n") {
        2
    } else if tail.starts_with('\n') {
        1
    } else {
        return None;
    };
    let len = rest.len() - tail.len() + nl;
    Some((len, marker.to_string()))
}

fn number_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let digits = |from: usize| from + b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = digits(0);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if b.get(i + 1 + sign).is_some_and(u8::is_ascii_digit) {
            i = digits(i + 1 + sign);
        }
    }
    i
}

fn operator(rest: &str) -> Option<(Kind, usize)> {
    const OPS: &[(&str, Kind)] = &[
        ("...", Kind::Ellipsis),
        ("::", Kind::DoubleColon),
        ("==", Kind::EqualOp),
        ("!=", Kind::NotEqual),
        ("<=", Kind::Le),
        (">=", Kind::Ge),
        ("&&", Kind::And),
        ("||", Kind::Or),
        ("=>", Kind::FatArrow),
        ("[", Kind::OBrack),
        ("]", Kind::CBrack),
        ("(", Kind::OParen),
        (")", Kind::CParen),
        ("=", Kind::Equal),
        (",", Kind::Comma),
        (".", Kind::Dot),
        (":", Kind::Colon),
        ("?", Kind::Question),
        ("+", Kind::Plus),
        ("-", Kind::Minus),
        ("*", Kind::Star),
        ("/", Kind::Slash),
        ("%", Kind::Percent),
        ("!", Kind::Bang),
        ("<", Kind::Lt),
        (">", Kind::Gt),
    ];
    OPS.iter().find(|(op, _)| rest.starts_with(op)).map(|&(op, kind)| (kind, op.len()))
}

// ---------------------------------------------------------------------------------------------
// Terraform's rewrites of legacy forms (terraform `command/fmt.go`, `formatBody`)

/// Walks bodies, blocks and attributes over the token stream and returns the rewritten stream.
fn rewrite_legacy(tokens: Vec<Token>) -> Vec<Token> {
    let mut walker = Walker { toks: tokens, pos: 0, out: Vec::new() };
    let mut blocks = Vec::new();
    walker.body(&mut blocks, false);
    // Whatever the walk did not understand is kept as it is.
    while walker.pos < walker.toks.len() {
        walker.copy();
    }
    walker.out
}

struct Walker {
    toks: Vec<Token>,
    pos: usize,
    out: Vec<Token>,
}

impl Walker {
    fn kind(&self, at: usize) -> Option<Kind> {
        self.toks.get(at).map(|t| t.kind)
    }

    fn copy(&mut self) {
        if let Some(t) = self.toks.get(self.pos) {
            self.out.push(t.clone());
        }
        self.pos += 1;
    }

    /// A body: attributes and blocks, up to a closing brace when `nested`.
    fn body(&mut self, blocks: &mut Vec<String>, nested: bool) {
        while let Some(kind) = self.kind(self.pos) {
            match kind {
                Kind::Newline | Kind::Comment => self.copy(),
                Kind::CBrace if nested => return,
                Kind::Ident if self.kind(self.pos + 1) == Some(Kind::Equal) => self.attribute(blocks),
                Kind::Ident => {
                    if !self.block(blocks) {
                        return;
                    }
                }
                // Not a body after all: leave the rest untouched.
                _ => return,
            }
        }
    }

    fn attribute(&mut self, blocks: &[String]) {
        let name = self.toks.get(self.pos).map(|t| t.text.clone()).unwrap_or_default();
        self.copy();
        self.copy();
        // Inline comments before the value are not part of it either (`a = /* c */ "${x}"`).
        while self.kind(self.pos) == Some(Kind::Comment) && self.toks.get(self.pos).is_some_and(|t| !t.ends_line()) {
            self.copy();
        }
        let start = self.pos;
        let mut depth = 0i32;
        let mut end = start;
        while let Some(t) = self.toks.get(end) {
            if depth == 0 && (t.ends_line() || t.kind == Kind::CBrace) {
                break;
            }
            depth += t.bracket_change();
            end += 1;
        }
        // An inline `/* */` comment after the value belongs to the line, not to the value.
        let mut value_end = end;
        while value_end > start && self.kind(value_end - 1) == Some(Kind::Comment) {
            value_end -= 1;
        }
        let value = self.toks.get(start..value_end).unwrap_or_default();
        let rewritten = if blocks.len() == 1 && blocks[0] == "variable" && name == "type" {
            type_expr(value)
        } else {
            value_expr(value)
        };
        self.out.extend(rewritten.unwrap_or_else(|| value.to_vec()));
        self.pos = value_end;
    }

    /// A block header and body; returns false if the tokens are not a block after all.
    fn block(&mut self, blocks: &mut Vec<String>) -> bool {
        let block_type = self.toks.get(self.pos).map(|t| t.text.clone()).unwrap_or_default();
        self.copy();
        loop {
            match self.kind(self.pos) {
                Some(Kind::Ident) => {
                    // `block.SetLabels(block.Labels())`: labels are always written quoted.
                    let label = self.toks.get(self.pos).map(|t| t.text.clone()).unwrap_or_default();
                    self.out.push(Token::new(Kind::OQuote, "\""));
                    self.out.push(Token::new(Kind::QuotedLit, label));
                    self.out.push(Token::new(Kind::CQuote, "\""));
                    self.pos += 1;
                }
                Some(Kind::OQuote) => {
                    while let Some(kind) = self.kind(self.pos) {
                        self.copy();
                        if kind == Kind::CQuote {
                            break;
                        }
                    }
                }
                Some(Kind::Comment) => self.copy(),
                Some(Kind::OBrace) => break,
                _ => return false,
            }
        }
        self.copy();
        blocks.push(block_type);
        self.body(blocks, true);
        blocks.pop();
        if self.kind(self.pos) == Some(Kind::CBrace) {
            self.copy();
            true
        } else {
            false
        }
    }
}

/// `"${expr}"` becomes `expr` (wrapped in parentheses if it spans lines), as Terraform 0.12+
/// `fmt` does for values that are a single interpolation.
fn value_expr(tokens: &[Token]) -> Option<Vec<Token>> {
    let n = tokens.len();
    if n < 5
        || tokens[0].kind != Kind::OQuote
        || tokens[1].kind != Kind::TemplateInterp
        || tokens[n - 2].kind != Kind::TemplateSeqEnd
        || tokens[n - 1].kind != Kind::CQuote
    {
        return None;
    }
    let inside = &tokens[2..n - 2];
    // Only provably single interpolations: any literal text or second sequence at the outer
    // level ("${a}-${b}") must stay a template. Sequences in nested strings are fine.
    let mut quotes = 0;
    for t in inside {
        match t.kind {
            Kind::OQuote => quotes += 1,
            Kind::CQuote => quotes -= 1,
            _ if quotes > 0 => {}
            Kind::TemplateInterp | Kind::TemplateSeqEnd | Kind::QuotedLit => return None,
            _ => {}
        }
    }
    let first = inside.iter().position(|t| t.kind != Kind::Newline)?;
    let last = inside.iter().rposition(|t| t.kind != Kind::Newline)?;
    let trimmed = &inside[first..=last];
    let multiline = trimmed.iter().any(|t| t.kind == Kind::Newline);
    let parenthesised = trimmed.first().map(|t| t.kind) == Some(Kind::OParen)
        && trimmed.last().map(|t| t.kind) == Some(Kind::CParen)
        && trimmed.len() > 1;
    if multiline && !parenthesised {
        // A multi-line expression (a conditional, say) would not parse unwrapped on its own.
        let mut wrapped = Vec::with_capacity(trimmed.len() + 2);
        wrapped.push(Token::new(Kind::OParen, "("));
        wrapped.extend_from_slice(trimmed);
        wrapped.push(Token::new(Kind::CParen, ")"));
        return Some(wrapped);
    }
    Some(trimmed.to_vec())
}

/// Legacy type constraints of a `variable` block: `"string"` → `string`, `"list"` →
/// `list(string)`, `"map"` → `map(string)`; bare `list`/`map`/`set` get their implied `(any)`.
fn type_expr(tokens: &[Token]) -> Option<Vec<Token>> {
    let collection = |name: &str, elem: &str| {
        vec![
            Token::new(Kind::Ident, name),
            Token::new(Kind::OParen, "("),
            Token::new(Kind::Ident, elem),
            Token::new(Kind::CParen, ")"),
        ]
    };
    match tokens {
        [t] if t.kind == Kind::Ident => match t.text.as_str() {
            "list" | "map" | "set" => Some(collection(&t.text, "any")),
            _ => None,
        },
        [o, s, c] if o.kind == Kind::OQuote && s.kind == Kind::QuotedLit && c.kind == Kind::CQuote => {
            // 0.11 had no `any`; string is what its values were converted to.
            match s.text.as_str() {
                "string" => Some(vec![Token::new(Kind::Ident, "string")]),
                "list" => Some(collection("list", "string")),
                "map" => Some(collection("map", "string")),
                _ => None,
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Horizontal layout (hclwrite `format.go`)

/// One line split into cells: `lead` up to the `=`, `assign` from the `=`, and a trailing
/// `comment`. The first token of `assign` and of `comment` is aligned across consecutive lines.
#[derive(Debug)]
struct Line {
    start: usize,
    assign: Option<usize>,
    comment: Option<usize>,
    end: usize,
}

impl Line {
    fn lead(&self) -> std::ops::Range<usize> {
        self.start..self.assign.or(self.comment).unwrap_or(self.end)
    }

    fn assign(&self) -> Option<std::ops::Range<usize>> {
        self.assign.map(|a| a..self.comment.unwrap_or(self.end))
    }
}

fn format_tokens(tokens: &mut [Token]) {
    let lines = lines_for_format(tokens);
    format_indent(tokens, &lines);
    format_spaces(tokens, &lines);
    format_cells(tokens, &lines);
}

fn lines_for_format(tokens: &[Token]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.ends_line() {
            lines.push(Line { start, assign: None, comment: None, end: i + 1 });
            start = i + 1;
        }
    }
    if start < tokens.len() {
        lines.push(Line { start, assign: None, comment: None, end: tokens.len() });
    }

    for line in &mut lines {
        let mut lead_end = line.end;
        // A comment is only a trailing cell after other tokens: a whole-line comment stays
        // at the indentation.
        if line.end - line.start > 1 && tokens[line.end - 1].kind == Kind::Comment {
            line.comment = Some(line.end - 1);
            lead_end = line.end - 1;
        }
        let lead = &tokens[line.start..lead_end];
        if let Some(eq) = lead.iter().skip(1).position(|t| t.kind == Kind::Equal) {
            let eq = eq + 1;
            // Only a value that closes on this line is aligned: an opening bracket here means
            // a multi-line expression follows.
            let net: i32 = lead[eq..].iter().map(Token::bracket_change).sum();
            if net == 0 {
                line.assign = Some(line.start + eq);
            }
        }
    }
    lines
}

fn format_indent(tokens: &mut [Token], lines: &[Line]) {
    // Each entry is how many brackets a line opened; a line closing that many pops it. This
    // keeps degenerate input like `[[` ... `]` `]` from drifting.
    let mut indents: Vec<i32> = Vec::new();
    for line in lines {
        let lead = line.lead();
        if lead.is_empty() {
            continue;
        }
        if tokens[lead.start].kind == Kind::Newline {
            tokens[lead.start].spaces = 0;
            continue;
        }
        let mut net = 0;
        for t in &tokens[lead.clone()] {
            net += t.bracket_change();
            // Interpolations inside a heredoc body do not nest the following lines.
            if t.kind == Kind::OHeredoc {
                break;
            }
        }
        if let Some(assign) = line.assign() {
            net += tokens[assign].iter().map(Token::bracket_change).sum::<i32>();
        }
        if net > 0 {
            tokens[lead.start].spaces = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else {
                    break;
                };
                if closed >= *top {
                    closed -= *top;
                    indents.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            tokens[lead.start].spaces = 2 * indents.len();
        }
    }
}

fn format_spaces(tokens: &mut [Token], lines: &[Line]) {
    for line in lines {
        let cells = [Some(line.lead()), line.assign()];
        for (cell_index, cell) in cells.into_iter().enumerate() {
            let Some(cell) = cell else { continue };
            if cell_index == 1 {
                // Separates the `=` from the name; alignment adjusts it later.
                tokens[cell.start].spaces = 1;
            }
            for i in cell.start..cell.end.saturating_sub(1) {
                let before = if i > cell.start { Some(tokens[i - 1].kind) } else { None };
                let space = space_after(&tokens[i], before, &tokens[i + 1]);
                tokens[i + 1].spaces = usize::from(space);
            }
        }
    }
}

/// Whether `subject` is followed by a space, given its neighbours (hclwrite `spaceAfterToken`).
fn space_after(subject: &Token, before: Option<Kind>, after: &Token) -> bool {
    use Kind::*;
    let s = subject.kind;
    let a = after.kind;
    match () {
        _ if a == Newline => false,
        // A function name and its parenthesis.
        _ if s == Ident && a == OParen => false,
        // Provider function namespaces: provider::name::fn.
        _ if (s == Ident && a == DoubleColon) || (s == DoubleColon && a == Ident) => false,
        _ if s == Dot || a == Dot => false,
        _ if a == Comma || a == Ellipsis => false,
        _ if s == Comma => true,
        // Template text is literal.
        _ if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc)
            || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc) =>
        {
            false
        }
        // `in [foo]` of a for expression is a keyword, not an index into `in`.
        _ if s == Ident && subject.text == "in" && before == Some(Ident) => true,
        _ if a == OBrack && (s == Ident || s == Number || subject.bracket_change() < 0) => false,
        _ if s == Bang => false,
        // Negation when the minus cannot follow the end of an operand.
        _ if s == Minus => !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | Gt
                    | Ge
                    | Lt
                    | Le
                    | And
                    | Or
                    | Bang
            )
        ),
        // Braces have spaces inside, `{ a = 1 }`, except when empty, `{}`.
        _ if s == OBrace || a == CBrace => !(s == OBrace && a == CBrace),
        // `${ {a = 1} }` keeps the object visibly apart from the interpolation braces.
        _ if matches!(s, TemplateInterp | TemplateControl) && a == OBrace => true,
        _ if s == CBrace && a == TemplateSeqEnd => true,
        _ if s == TemplateSeqEnd && matches!(a, TemplateInterp | TemplateControl) => false,
        _ if subject.bracket_change() > 0 => false,
        _ if after.bracket_change() < 0 => false,
        _ => true,
    }
}

fn format_cells(tokens: &mut [Token], lines: &[Line]) {
    // `=` first: moving it moves the trailing comments too.
    let mut chain: Vec<&Line> = Vec::new();
    let close_assign = |tokens: &mut [Token], chain: &mut Vec<&Line>| {
        let max = chain.iter().map(|l| columns(&tokens[l.lead()])).max().unwrap_or(0);
        for l in chain.drain(..) {
            let cols = columns(&tokens[l.lead()]);
            if let Some(a) = l.assign {
                tokens[a].spaces = max - cols + 1;
            }
        }
    };
    for line in lines {
        if line.assign.is_some() {
            chain.push(line);
        } else {
            close_assign(tokens, &mut chain);
        }
    }
    close_assign(tokens, &mut chain);

    let width = |tokens: &[Token], l: &Line| columns(&tokens[l.lead()]) + l.assign().map_or(0, |a| columns(&tokens[a]));
    let close_comment = |tokens: &mut [Token], chain: &mut Vec<&Line>| {
        let max = chain.iter().map(|l| width(tokens, l)).max().unwrap_or(0);
        for l in chain.drain(..) {
            let cols = width(tokens, l);
            if let Some(c) = l.comment {
                tokens[c].spaces = max - cols + 1;
            }
        }
    };
    for line in lines {
        if line.comment.is_some() {
            chain.push(line);
        } else {
            close_comment(tokens, &mut chain);
        }
    }
    close_comment(tokens, &mut chain);
}

/// Width of a run of tokens in columns, counting grapheme clusters as hclwrite does.
fn columns(tokens: &[Token]) -> usize {
    tokens.iter().map(|t| t.spaces + graphemes(&t.text)).sum()
}

/// Approximates the number of extended grapheme clusters without a Unicode segmentation table:
/// combining marks, joiners, variation selectors, emoji modifiers and tags extend the previous
/// character, and regional indicators pair up into one flag.
fn graphemes(text: &str) -> usize {
    let mut count = 0;
    let mut joined = false;
    let mut open_flag = false;
    for c in text.chars() {
        let cp = u32::from(c);
        let extends = matches!(cp,
            0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
            | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F
            | 0x200C..=0x200D);
        let regional = (0x1F1E6..=0x1F1FF).contains(&cp);
        if extends || joined || (regional && open_flag) {
            joined = cp == 0x200D;
            open_flag = false;
            continue;
        }
        count += 1;
        open_flag = regional;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_string_over_two_lines_keeps_its_text() {
        // Found by fuzzing: the second line was lexed as expression tokens and re-spaced,
        // turning `\u0302` into `\ u0302`, which no longer parses.
        let source = "a = \"x\n(y \\u0302\" # c\n";
        let formatted = format_source(source).expect("hcl-edit accepts it");
        assert_eq!(formatted, source);
        assert_eq!(format_source(&formatted).as_deref(), Ok(source));
    }

    #[test]
    fn a_quote_inside_a_template_directive_is_refused() {
        // Found by fuzzing: hcl-edit reads the `"` as text of the `for` body, Terraform (and our
        // tokens) as the end of the string, and the output no longer parsed.
        let err = format_source("a=\"%{for x in r}\"%{endfor}\"").expect_err("refused");
        assert!(err.message.contains("Terraform does not accept"), "{err:?}");
        assert_eq!(err.line, 1);
    }
}
