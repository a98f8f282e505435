//! From a parsed JSON document (see `json`) to the envelope, the payload and
//! the flag definitions, by hand. The rules are serde's for the same types
//! (unknown fields refused, optional fields may be absent or null, `match`
//! conditions take `values` or `value`), so a snapshot reads the same here as
//! it was written by the CLI's serde model; a round-trip test pins that.

use std::borrow::Cow;

use indexmap::IndexMap;
use serde_json::Value;

use crate::error::{Loc, Seg};
use crate::json::Json;
use crate::signed::{Envelope, EnvelopeSignature, Payload};

pub(crate) type Decoded<T> = Result<T, DecodeError>;

/// Decodes one value. Function pointers rather than generic closures: one
/// copy of each helper per result type, not per call site (wasm size).
pub(crate) type Decoder<T> = for<'a, 's> fn(Json<'s>, At<'a>) -> Decoded<T>;

/// Why a JSON document is not the expected shape, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("{}{why}", if at.path.is_empty() { String::new() } else { format!("{at}: ") })]
    Shape { at: Loc, why: String },
}

/// A place in the document, built into a [`Loc`] only when there is an error.
#[derive(Clone, Copy)]
pub(crate) enum At<'a> {
    Root,
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn loc(&self) -> Loc {
        let mut path = Vec::new();
        let mut here = self;
        loop {
            match here {
                At::Root => break,
                At::Key(up, k) => {
                    path.push(Seg::Key((*k).to_owned()));
                    here = up;
                }
                At::Index(up, i) => {
                    path.push(Seg::Index(*i));
                    here = up;
                }
            }
        }
        path.reverse();
        Loc { path, line: None }
    }

    pub(crate) fn fail<T>(&self, why: String) -> Decoded<T> {
        Err(DecodeError::Shape {
            at: self.loc(),
            why,
        })
    }

    fn expected<T>(&self, what: &str, found: &Json) -> Decoded<T> {
        self.fail(format!("expected {what}, found {}", found.kind()))
    }
}

/// The fields of one object, taken one by one.
pub(crate) struct Fields<'a, 's> {
    at: At<'a>,
    fields: Vec<(Cow<'s, str>, Json<'s>)>,
}

/// An object whose keys are all among `names`.
pub(crate) fn object<'a, 's>(j: Json<'s>, at: At<'a>, names: &[&str]) -> Decoded<Fields<'a, 's>> {
    let Json::Object(fields) = j else {
        return at.expected("an object", &j);
    };
    if let Some((k, _)) = fields.iter().find(|(k, _)| !names.contains(&k.as_ref())) {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        return at.fail(format!(
            "unknown field `{k}`; expected one of {}",
            list.join(", ")
        ));
    }
    Ok(Fields { at, fields })
}

impl<'s> Fields<'_, 's> {
    fn take(&mut self, name: &str) -> Option<Json<'s>> {
        let i = self.fields.iter().position(|(k, _)| k == name)?;
        Some(self.fields.swap_remove(i).1)
    }

    /// A field that must be present.
    pub(crate) fn req<T>(&mut self, name: &str, f: Decoder<T>) -> Decoded<T> {
        match self.take(name) {
            Some(j) => f(j, At::Key(&self.at, name)),
            None => self.at.fail(format!("missing field `{name}`")),
        }
    }

    /// A field that may be absent or null.
    pub(crate) fn opt<T>(&mut self, name: &str, f: Decoder<T>) -> Decoded<Option<T>> {
        match self.take(name) {
            None | Some(Json::Null) => Ok(None),
            Some(j) => f(j, At::Key(&self.at, name)).map(Some),
        }
    }

    /// A field that may be absent, then its type's default.
    pub(crate) fn or_default<T: Default>(&mut self, name: &str, f: Decoder<T>) -> Decoded<T> {
        match self.take(name) {
            None => Ok(T::default()),
            Some(j) => f(j, At::Key(&self.at, name)),
        }
    }

    /// A field under either of two names (a serde alias); both is an error.
    pub(crate) fn either(&mut self, name: &str, alias: &str) -> Decoded<Option<Json<'s>>> {
        match (self.take(name), self.take(alias)) {
            (Some(_), Some(_)) => self.at.fail(format!("duplicate field `{name}`")),
            (Some(j), None) | (None, Some(j)) => Ok(Some(j)),
            (None, None) => Ok(None),
        }
    }
}

pub(crate) fn string(j: Json, at: At) -> Decoded<String> {
    match j {
        Json::String(s) => Ok(s.into_owned()),
        other => at.expected("a string", &other),
    }
}

pub(crate) fn boolean(j: Json, at: At) -> Decoded<bool> {
    match j {
        Json::Bool(b) => Ok(b),
        other => at.expected("a boolean", &other),
    }
}

pub(crate) fn uint(j: Json, at: At) -> Decoded<u64> {
    match &j {
        Json::Number(n) => match n.as_u64() {
            Some(v) => Ok(v),
            None => at.fail("expected a non-negative integer".into()),
        },
        _ => at.expected("a non-negative integer", &j),
    }
}

pub(crate) fn uint32(j: Json, at: At) -> Decoded<u32> {
    let n = uint(j, at)?;
    u32::try_from(n).or_else(|_| at.fail("expected an integer below 2^32".into()))
}

pub(crate) fn number(j: Json, at: At) -> Decoded<f64> {
    match &j {
        Json::Number(n) => match n.as_f64() {
            Some(v) => Ok(v),
            None => at.fail("expected a number".into()),
        },
        _ => at.expected("a number", &j),
    }
}

pub(crate) fn value(j: Json, _: At) -> Decoded<Value> {
    Ok(j.into())
}

pub(crate) fn list<T>(j: Json, at: At, f: Decoder<T>) -> Decoded<Vec<T>> {
    let Json::Array(items) = j else {
        return at.expected("an array", &j);
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| f(item, At::Index(&at, i)))
        .collect()
}

pub(crate) fn map<T>(j: Json, at: At, f: Decoder<T>) -> Decoded<IndexMap<String, T>> {
    let Json::Object(fields) = j else {
        return at.expected("an object", &j);
    };
    let mut out = IndexMap::with_capacity(fields.len());
    for (k, v) in fields {
        let item = f(v, At::Key(&at, &k))?;
        out.insert(k.into_owned(), item);
    }
    Ok(out)
}

/// One of a fixed set of names.
pub(crate) fn one_of<T: Copy>(j: Json, at: At, names: &[(&str, T)]) -> Decoded<T> {
    let Json::String(s) = j else {
        return at.expected("a string", &j);
    };
    match names.iter().find(|(n, _)| *n == s) {
        Some((_, v)) => Ok(*v),
        None => {
            let list: Vec<String> = names.iter().map(|(n, _)| format!("`{n}`")).collect();
            at.fail(format!(
                "unknown variant `{s}`; expected one of {}",
                list.join(", ")
            ))
        }
    }
}

pub(crate) fn envelope(j: Json) -> Decoded<Envelope> {
    let mut f = object(j, At::Root, &["payload", "payloadType", "signatures"])?;
    Ok(Envelope {
        payload: f.req("payload", string)?,
        payload_type: f.req("payloadType", string)?,
        signatures: f.req("signatures", |j, at| list(j, at, signature))?,
    })
}

fn signature(j: Json, at: At) -> Decoded<EnvelopeSignature> {
    let mut f = object(j, at, &["keyid", "sig"])?;
    Ok(EnvelopeSignature {
        keyid: f.req("keyid", string)?,
        sig: f.req("sig", string)?,
    })
}

pub(crate) fn payload(j: Json) -> Decoded<Payload> {
    let mut f = object(
        j,
        At::Root,
        &[
            "schema",
            "version",
            "issued_at",
            "expires_at",
            "previous",
            "forced",
            "never_expires",
            "definitions",
        ],
    )?;
    Ok(Payload {
        schema: f.req("schema", uint32)?,
        version: f.req("version", uint)?,
        issued_at: f.req("issued_at", string)?,
        expires_at: f.opt("expires_at", string)?,
        previous: f.opt("previous", string)?,
        forced: f.or_default("forced", boolean)?,
        never_expires: f.or_default("never_expires", boolean)?,
        definitions: f.req("definitions", crate::decode_model::definitions)?,
    })
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
