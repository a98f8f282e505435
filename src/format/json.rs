//! The JSON reader of every snapshot and envelope, in every runtime, and of
//! the wasm build's contexts (the worker reads OFREP bodies with serde).
//! Hand-written rather than serde's generated code for two reasons: that
//! code was the largest single part of the browser build, and untrusted input gets
//! the checks serde lets through (nesting past a limit, a stack hazard for
//! every consumer; duplicate object keys, which parsers resolve differently,
//! so two runtimes could read two snapshots from the same signed bytes).
//! Objects keep their order: a release file's flag order is part of it.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

/// A parsed JSON document. Objects keep their keys in order, without
/// duplicates. Strings without escapes borrow from the input: most of a
/// snapshot's strings are field names, which decoding only compares.
#[derive(Clone, Debug, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

impl Json<'_> {
    /// What kind of value this is, for messages: "a string", "an object", ...
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

impl From<Json<'_>> for Value {
    fn from(j: Json<'_>) -> Value {
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => Value::Number(n),
            Json::String(s) => Value::String(s.into_owned()),
            Json::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Json::Object(fields) => {
                // Inserting rather than collecting: `collect` sorts first,
                // and a stable sort is kilobytes of the browser build.
                let mut map = Map::new();
                for (k, v) in fields {
                    map.insert(k.into_owned(), v.into());
                }
                Value::Object(map)
            }
        }
    }
}

/// Why a document is not acceptable JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    #[error("{why} at line {line} column {column}")]
    Syntax {
        why: &'static str,
        line: usize,
        column: usize,
    },
    #[error("json nests deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("json repeats the key `{key}`")]
    DuplicateKey { key: String },
    #[error("json holds more than {limit} values")]
    TooManyValues { limit: usize },
}

/// Default nesting limit of envelopes, payloads and contexts.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// Past this the reader refuses any document, whatever the caller's limit:
/// it recurses once per level.
const HARD_DEPTH: usize = 128;

/// Parses one JSON value (RFC 8259, whitespace around it allowed), nested at
/// most `max_depth` arrays and objects deep, without duplicate keys in any object.
pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Json<'_>, JsonError> {
    parse_bounded(bytes, max_depth, usize::MAX)
}

/// As [`parse`], holding at most `max_values` values in all (every array,
/// object, string, number and literal counts one): the parsed tree takes
/// tens of bytes per value, so a bound on values bounds memory whatever the
/// text, and the reader stops at the first value over it.
pub fn parse_bounded(
    bytes: &[u8],
    max_depth: usize,
    max_values: usize,
) -> Result<Json<'_>, JsonError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return Err(syntax_at(bytes, e.valid_up_to(), "invalid utf-8")),
    };
    let mut r = Reader {
        text,
        bytes,
        pos: 0,
        max_depth,
        values_left: max_values,
        max_values,
        items: Vec::new(),
        fields: Vec::new(),
    };
    let value = r.value(0)?;
    r.skip_ws();
    if r.pos < bytes.len() {
        return Err(r.fail("trailing characters after the value"));
    }
    Ok(value)
}

fn syntax_at(bytes: &[u8], pos: usize, why: &'static str) -> JsonError {
    let before = bytes.get(..pos).unwrap_or(bytes);
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    JsonError::Syntax {
        why,
        line,
        column: pos - line_start + 1,
    }
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
    values_left: usize,
    max_values: usize,
    items: Vec<Json<'a>>,
    fields: Vec<(Cow<'a, str>, Json<'a>)>,
}

impl<'a> Reader<'a> {
    fn fail(&self, why: &'static str) -> JsonError {
        syntax_at(self.bytes, self.pos, why)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and consumes `byte` if it comes next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        let found = self.peek() == Some(byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn literal(&mut self, word: &str, value: Json<'a>) -> Result<Json<'a>, JsonError> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word.as_bytes()) {
            self.pos = end;
            Ok(value)
        } else {
            Err(self.fail("expected a value"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        self.skip_ws();
        if self.values_left == 0 {
            return Err(JsonError::TooManyValues {
                limit: self.max_values,
            });
        }
        self.values_left -= 1;
        match self.peek() {
            None => Err(self.fail("unexpected end of input")),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'-' | b'0'..=b'9') => self.number().map(Json::Number),
            Some(open @ (b'[' | b'{')) => {
                if depth >= self.max_depth {
                    return Err(JsonError::TooDeep {
                        limit: self.max_depth,
                    });
                }
                if depth >= HARD_DEPTH {
                    return Err(self.fail("nesting deeper than 128 levels"));
                }
                self.pos += 1;
                if open == b'[' {
                    self.array(depth + 1)
                } else {
                    self.object(depth + 1)
                }
            }
            Some(_) => Err(self.fail("expected a value")),
        }
    }

    // Arrays and objects collect into shared stacks and move out in one
    // exact allocation when they close: no growth reallocations per object.
    fn array(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        let start = self.items.len();
        if !self.eat(b']') {
            loop {
                let item = self.value(depth)?;
                self.items.push(item);
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.fail("expected `,` or `]`"));
                }
            }
        }
        Ok(Json::Array(self.items.split_off(start)))
    }

    fn object(&mut self, depth: usize) -> Result<Json<'a>, JsonError> {
        let start = self.fields.len();
        if !self.eat(b'}') {
            loop {
                self.skip_ws();
                if self.peek() != Some(b'"') {
                    return Err(self.fail("expected a string key"));
                }
                let key = self.string()?;
                // Most objects are small: a scan is cheapest, and larger
                // ones are checked once, sorted, at the end.
                let mine = self.fields.get(start..).unwrap_or_default();
                if mine.len() < 16 && mine.iter().any(|(k, _)| *k == key) {
                    return Err(JsonError::DuplicateKey {
                        key: key.into_owned(),
                    });
                }
                if !self.eat(b':') {
                    return Err(self.fail("expected `:`"));
                }
                let value = self.value(depth)?;
                self.fields.push((key, value));
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.fail("expected `,` or `}`"));
                }
            }
        }
        let fields = self.fields.split_off(start);
        if fields.len() > 16 {
            first_duplicate(&fields)?;
        }
        Ok(Json::Object(fields))
    }

    /// A string, the reader at its opening quote: borrowed when it has no escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, JsonError> {
        self.pos += 1;
        let start = self.pos;
        self.skip_plain();
        // Quotes and backslashes are ASCII, so the run ends on a char boundary.
        let run = self.text.get(start..self.pos).unwrap_or_default();
        if self.peek() == Some(b'"') {
            self.pos += 1;
            return Ok(Cow::Borrowed(run));
        }
        let mut out = String::from(run);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                Some(_) => return Err(self.fail("control character in a string")),
                None => return Err(self.fail("unexpected end of input in a string")),
            }
            let start = self.pos;
            self.skip_plain();
            out.push_str(self.text.get(start..self.pos).unwrap_or_default());
        }
    }

    /// Moves past characters that stand for themselves in a string, eight
    /// at a time while none of them is a quote, a backslash or a control
    /// character (the payload string of an envelope is most of its bytes).
    fn skip_plain(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let mut chunks = rest.chunks_exact(8);
        let mut skipped = 0;
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            let x = u64::from_le_bytes(w);
            let special = has_zero(x ^ (ONES * u64::from(b'"')))
                | has_zero(x ^ (ONES * u64::from(b'\\')))
                | (x.wrapping_sub(ONES * 0x20) & !x & HIGHS);
            if special != 0 {
                break;
            }
            skipped += 8;
        }
        let tail = rest.get(skipped..).unwrap_or_default();
        skipped += tail
            .iter()
            .position(|b| *b == b'"' || *b == b'\\' || *b < 0x20)
            .unwrap_or(tail.len());
        self.pos += skipped;
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let high = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&high) {
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(self.fail("lone surrogate in a unicode escape"));
                    }
                    self.pos += 2;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(self.fail("lone surrogate in a unicode escape"));
                    }
                    0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                } else {
                    high
                };
                let c = char::from_u32(code)
                    .ok_or_else(|| self.fail("lone surrogate in a unicode escape"))?;
                out.push(c);
                return Ok(());
            }
            _ => return Err(self.fail("invalid escape")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.fail("invalid unicode escape"))?;
            code = code * 16 + digit;
            self.pos += 1;
        }
        Ok(code)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    /// A number: integers stay exact as `u64`/`i64` when they fit, as serde_json keeps them.
    fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let int_start = self.pos;
        let int_len = self.digits();
        if int_len == 0 || (int_len > 1 && self.bytes.get(int_start) == Some(&b'0')) {
            self.pos = int_start;
            return Err(self.fail("invalid number"));
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            integer = false;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or_default();
        if integer {
            if negative {
                // `-0` stays the float -0, as serde_json and JavaScript read it.
                if let Ok(n) = text.parse::<i64>() {
                    if n != 0 {
                        return Ok(n.into());
                    }
                }
            } else if let Ok(n) = text.parse::<u64>() {
                return Ok(n.into());
            }
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .ok_or_else(|| syntax_at(self.bytes, start, "number out of range"))
    }
}

/// The first key (in document order of its second occurrence) that a large
/// object repeats. Sorting rather than hashing: the input is untrusted.
fn first_duplicate(fields: &[(Cow<'_, str>, Json<'_>)]) -> Result<(), JsonError> {
    let mut order: Vec<usize> = (0..fields.len()).collect();
    let key = |i: &usize| fields.get(*i).map(|(k, _)| k.as_ref());
    order.sort_unstable_by(|a, b| key(a).cmp(&key(b)).then(a.cmp(b)));
    let repeat = order
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if key(a) == key(b) => Some(*b),
            _ => None,
        })
        .min();
    match repeat.and_then(|i| fields.get(i)) {
        Some((k, _)) => Err(JsonError::DuplicateKey {
            key: k.clone().into_owned(),
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
