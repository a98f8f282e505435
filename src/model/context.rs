//! The evaluation context: the attributes of one user or request. It is built
//! once and reused for every flag, so strings that look like versions or times
//! are parsed here, once, rather than in every condition.

use std::fmt;

use semver::Version;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::format::json::{self, Json, JsonError};
use crate::format::time::Timestamp;

/// The attribute that identifies the user: what targets list and what
/// rollouts bucket by unless told otherwise (OpenFeature's name for it).
pub const TARGETING_KEY: &str = "targetingKey";

/// Whether two strings are equal, compared eight bytes at a time. wasm's
/// `memcmp`, which `==` calls, is a byte loop behind a call; attribute names
/// and the values conditions test are short, and are compared on every
/// evaluation.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut x = a.chunks_exact(8);
    let mut y = b.chunks_exact(8);
    let word = |c: &[u8]| <[u8; 8]>::try_from(c).map(u64::from_le_bytes).unwrap_or(0);
    for (p, q) in (&mut x).zip(&mut y) {
        if word(p) != word(q) {
            return false;
        }
    }
    let (p, q) = (x.remainder(), y.remainder());
    p.iter().zip(q).all(|(c, d)| c == d)
}

/// One attribute value.
#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    Null,
    Bool(bool),
    Number(f64),
    String(Text),
    List(Vec<Attr>),
    /// A nested object: it exists, but no operator compares it.
    Object,
}

/// A string attribute with the readings that operators need, made once.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub(crate) text: Box<str>,
    pub(crate) version: Option<Version>,
    pub(crate) time: Option<Timestamp>,
}

impl Text {
    pub(crate) fn new(s: &str) -> Self {
        Text {
            text: s.into(),
            version: parse_version(s),
            time: looks_like_time(s).then(|| Timestamp::parse(s)).flatten(),
        }
    }

    /// The string itself.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn looks_like_time(s: &str) -> bool {
    s.len() >= 20 && s.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

/// Parses a version with the `semver` crate's rules, tolerating a leading `v`.
/// Build metadata is dropped: it has no part in SemVer precedence.
pub(crate) fn parse_version(s: &str) -> Option<Version> {
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    if !s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let mut v = Version::parse(s).ok()?;
    v.build = semver::BuildMetadata::EMPTY;
    Some(v)
}

impl From<&Value> for Attr {
    fn from(v: &Value) -> Self {
        match v {
            Value::Null => Attr::Null,
            Value::Bool(b) => Attr::Bool(*b),
            Value::Number(n) => n.as_f64().map_or(Attr::Null, Attr::Number),
            Value::String(s) => Attr::String(Text::new(s)),
            Value::Array(items) => Attr::List(items.iter().map(Attr::from).collect()),
            Value::Object(_) => Attr::Object,
        }
    }
}

impl From<&str> for Attr {
    fn from(s: &str) -> Self {
        Attr::String(Text::new(s))
    }
}

impl From<String> for Attr {
    fn from(s: String) -> Self {
        Attr::String(Text::new(&s))
    }
}

impl From<f64> for Attr {
    fn from(n: f64) -> Self {
        Attr::Number(n)
    }
}

impl From<i64> for Attr {
    fn from(n: i64) -> Self {
        Attr::Number(n as f64)
    }
}

impl From<bool> for Attr {
    fn from(b: bool) -> Self {
        Attr::Bool(b)
    }
}

impl From<Value> for Attr {
    fn from(v: Value) -> Self {
        Attr::from(&v)
    }
}

impl From<Json<'_>> for Attr {
    fn from(v: Json<'_>) -> Self {
        match v {
            Json::Null => Attr::Null,
            Json::Bool(b) => Attr::Bool(b),
            Json::Number(n) => n.as_f64().map_or(Attr::Null, Attr::Number),
            Json::String(s) => Attr::String(Text::new(&s)),
            Json::Array(items) => Attr::List(items.into_iter().map(Attr::from).collect()),
            Json::Object(_) => Attr::Object,
        }
    }
}

/// Why a context could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    #[error("{0}")]
    Json(JsonError),
    #[error("expected an object of context attributes, found {found}")]
    NotAnObject { found: &'static str },
}

/// The attributes of one evaluation: `targetingKey` and any others.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    attrs: Vec<(Box<str>, Attr)>,
}

impl Context {
    /// An empty context.
    pub fn new() -> Self {
        Context::default()
    }

    /// A context with only a targeting key.
    pub fn with_key(key: &str) -> Self {
        Context::new().with(TARGETING_KEY, key)
    }

    /// This context with one more attribute (replacing one of the same name).
    pub fn with(mut self, name: &str, value: impl Into<Attr>) -> Self {
        self.set(name, value.into());
        self
    }

    /// Sets an attribute, replacing one of the same name.
    pub fn set(&mut self, name: &str, value: Attr) {
        match self.attrs.iter_mut().find(|(k, _)| &**k == name) {
            Some(slot) => slot.1 = value,
            None => self.attrs.push((name.into(), value)),
        }
    }

    /// The context of a JSON object; `None` for any other JSON value.
    pub fn from_json(v: &Value) -> Option<Self> {
        let obj = v.as_object()?;
        let mut ctx = Context::new();
        for (k, v) in obj {
            ctx.set(k, Attr::from(v));
        }
        Some(ctx)
    }

    /// The context of a JSON text holding an object of attributes, read by
    /// the core's own JSON reader (the browser build carries no other).
    pub fn parse_json(text: &[u8]) -> Result<Self, ContextError> {
        match json::parse(text, crate::format::json::DEFAULT_MAX_DEPTH)
            .map_err(ContextError::Json)?
        {
            Json::Object(fields) => {
                let mut ctx = Context::new();
                for (k, v) in fields {
                    ctx.set(&k, Attr::from(v));
                }
                Ok(ctx)
            }
            other => Err(ContextError::NotAnObject {
                found: other.kind(),
            }),
        }
    }

    /// One attribute value from JSON text, read as [`Context::parse_json`]
    /// reads each attribute of an object.
    pub fn parse_attr(text: &[u8]) -> Result<Attr, ContextError> {
        json::parse(text, crate::format::json::DEFAULT_MAX_DEPTH)
            .map(Attr::from)
            .map_err(ContextError::Json)
    }

    /// An attribute by exact name.
    pub fn get(&self, name: &str) -> Option<&Attr> {
        self.attrs
            .iter()
            .find(|(k, _)| same_text(k, name))
            .map(|(_, v)| v)
    }

    /// The attribute names, in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attrs.iter().map(|(k, _)| &**k)
    }
}

// Deserializing straight into the context skips an intermediate JSON tree: the
// worker reads each OFREP request's context this way, once. (The wasm build
// uses `parse_json`, to carry no serde parsing at all.)
impl<'de> Deserialize<'de> for Attr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AttrVisitor)
    }
}

struct AttrVisitor;

impl<'de> Visitor<'de> for AttrVisitor {
    type Value = Attr;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a json value")
    }
    fn visit_unit<E>(self) -> Result<Attr, E> {
        Ok(Attr::Null)
    }
    fn visit_none<E>(self) -> Result<Attr, E> {
        Ok(Attr::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Attr, D::Error> {
        Attr::deserialize(d)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Attr, E> {
        Ok(Attr::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Attr, E> {
        Ok(Attr::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Attr, E> {
        Ok(Attr::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Attr, E> {
        Ok(Attr::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Attr, E> {
        Ok(Attr::String(Text::new(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Attr, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Attr>()? {
            items.push(item);
        }
        Ok(Attr::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attr, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Attr::Object)
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct CtxVisitor;
        impl<'de> Visitor<'de> for CtxVisitor {
            type Value = Context;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of context attributes")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
                let mut ctx = Context::new();
                while let Some((k, v)) = map.next_entry::<String, Attr>()? {
                    ctx.set(&k, v);
                }
                Ok(ctx)
            }
        }
        d.deserialize_map(CtxVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_contexts_read_as_serde_reads_them() {
        let text = r#"{"targetingKey":"u1","plan":"pro","age":41,"beta":true,"tags":["a",1],"x":null,"geo":{"c":"DE"},"v":"v1.2.3"}"#;
        let mine = Context::parse_json(text.as_bytes()).expect("a context");
        let theirs: Context = serde_json::from_str(text).expect("serde");
        assert_eq!(mine, theirs);
        assert!(matches!(mine.get("v"), Some(Attr::String(t)) if t.version.is_some()));
    }

    #[test]
    fn same_text_is_string_equality() {
        let words = [
            "",
            "a",
            "ab",
            "country",
            "country!",
            "targetingKey",
            "targetingKez",
            "é",
            "e\u{301}",
        ];
        for a in words {
            for b in words {
                assert_eq!(same_text(a, b), a == b, "{a:?} {b:?}");
                let (a2, b2) = (a.repeat(3), b.repeat(3));
                assert_eq!(same_text(&a2, &b2), a2 == b2, "{a2:?} {b2:?}");
            }
        }
    }

    #[test]
    fn bad_contexts_say_why() {
        let err = |t: &str| Context::parse_json(t.as_bytes()).expect_err(t).to_string();
        assert_eq!(
            err("[1]"),
            "expected an object of context attributes, found an array"
        );
        assert_eq!(
            err("\"u1\""),
            "expected an object of context attributes, found a string"
        );
        assert_eq!(err("{\"a\":"), "unexpected end of input at line 1 column 6");
        assert_eq!(err(r#"{"a":1,"a":2}"#), "json repeats the key `a`");
    }
}
