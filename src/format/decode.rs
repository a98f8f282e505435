//! From a parsed JSON document (see `json`) to typed values, and the two
//! macros every model type is declared with: [`schema!`] for records and
//! [`names!`] for enums of names. Each declares its fields or names once and
//! derives from that one list both the reader (here) and the writer (serde's
//! `Serialize`), so the CLI that writes a snapshot and the edge that reads it
//! cannot disagree about a field. Release files (TOML or JSON) and snapshots
//! are read by this one reader.
//!
//! The rules: unknown fields are refused, an optional field may be absent or
//! null, a defaulted field may be absent, and a field with an alias (`match`
//! conditions take `values` or `value`) refuses both at once.

use std::borrow::Cow;

use indexmap::IndexMap;
use serde_json::Value;

use crate::format::json::Json;
use crate::format::path::{Loc, Seg};

pub(crate) type Decoded<T> = Result<T, DecodeError>;

/// Why a JSON document is not the expected shape, and where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("{}{why}", if at.path.is_empty() { String::new() } else { format!("{at}: ") })]
    Shape { at: Loc, why: String },
}

impl DecodeError {
    /// Where in the document the problem is.
    pub fn loc(&self) -> &Loc {
        match self {
            DecodeError::Shape { at, .. } => at,
        }
    }
}

/// A place in the document, built into a [`Loc`] only when there is an error.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn loc(&self) -> Loc {
        let mut path = Vec::new();
        let mut here = self;
        loop {
            match here {
                Path::Root => break,
                Path::Key(up, k) => {
                    path.push(Seg::Key((*k).to_owned()));
                    here = up;
                }
                Path::Index(up, i) => {
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

/// A type read from JSON. One implementation per type, not per call site
/// (the browser build's size).
pub(crate) trait Decode: Sized {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self>;
}

/// Whether a defaulted field holds its default, and is then left unwritten.
pub(crate) trait IsDefault {
    fn is_default(&self) -> bool;
}

impl IsDefault for bool {
    fn is_default(&self) -> bool {
        !*self
    }
}

impl<T> IsDefault for Vec<T> {
    fn is_default(&self) -> bool {
        self.is_empty()
    }
}

impl<K, V> IsDefault for IndexMap<K, V> {
    fn is_default(&self) -> bool {
        self.is_empty()
    }
}

/// A value as JavaScript APIs spell it: record fields in camelCase (see
/// `eval::wire::camel`), map keys (flag keys, variant names) as written.
pub trait Camel {
    /// The JSON value, record fields renamed.
    fn camel(&self) -> Value;
}

impl Camel for String {
    fn camel(&self) -> Value {
        Value::String(self.clone())
    }
}

impl Camel for bool {
    fn camel(&self) -> Value {
        Value::Bool(*self)
    }
}

impl Camel for u32 {
    fn camel(&self) -> Value {
        Value::from(*self)
    }
}

impl Camel for u64 {
    fn camel(&self) -> Value {
        Value::from(*self)
    }
}

impl Camel for f64 {
    fn camel(&self) -> Value {
        Value::from(*self)
    }
}

impl Camel for Value {
    fn camel(&self) -> Value {
        self.clone()
    }
}

impl<T: Camel> Camel for Option<T> {
    fn camel(&self) -> Value {
        self.as_ref().map_or(Value::Null, Camel::camel)
    }
}

impl<T: Camel> Camel for Vec<T> {
    fn camel(&self) -> Value {
        Value::Array(self.iter().map(Camel::camel).collect())
    }
}

impl<T: Camel> Camel for IndexMap<String, T> {
    fn camel(&self) -> Value {
        let mut out = serde_json::Map::new();
        for (k, v) in self {
            out.insert(k.clone(), v.camel());
        }
        Value::Object(out)
    }
}

/// A field name as JavaScript and OpenFeature spell it: `rollback_steps`
/// becomes `rollbackSteps`. Names are ASCII, so no Unicode case tables.
pub fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The fields of one object, taken one by one.
pub(crate) struct Fields<'a, 's> {
    at: Path<'a>,
    fields: Vec<(Cow<'s, str>, Json<'s>)>,
}

/// An object whose keys are all among `names`.
pub(crate) fn object<'a, 's>(j: Json<'s>, at: Path<'a>, names: &[&str]) -> Decoded<Fields<'a, 's>> {
    let Json::Object(fields) = j else {
        return at.expected("an object", &j);
    };
    if let Some((k, _)) = fields.iter().find(|(k, _)| !names.contains(&k.as_ref())) {
        let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        // Located at the unknown key itself, so a release file's error
        // points at the line of the typo.
        return Path::Key(&at, k).fail(format!(
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
    pub(crate) fn req<T: Decode>(&mut self, name: &str) -> Decoded<T> {
        match self.take(name) {
            Some(j) => T::decode(j, Path::Key(&self.at, name)),
            None => self.at.fail(format!("missing field `{name}`")),
        }
    }

    /// A field that may be absent or null.
    pub(crate) fn opt<T: Decode>(&mut self, name: &str) -> Decoded<Option<T>> {
        match self.take(name) {
            None | Some(Json::Null) => Ok(None),
            Some(j) => T::decode(j, Path::Key(&self.at, name)).map(Some),
        }
    }

    /// A field that may be absent, then its type's default.
    pub(crate) fn or_default<T: Decode + Default>(&mut self, name: &str) -> Decoded<T> {
        self.or(name, T::default())
    }

    /// A field that may be absent, then `default`.
    pub(crate) fn or<T: Decode>(&mut self, name: &str, default: T) -> Decoded<T> {
        match self.take(name) {
            None => Ok(default),
            Some(j) => T::decode(j, Path::Key(&self.at, name)),
        }
    }

    /// One value or a list of them, under either of two names (an alias);
    /// both at once is an error.
    pub(crate) fn many(&mut self, name: &str, alias: &str) -> Decoded<Vec<Value>> {
        match (self.take(name), self.take(alias)) {
            (Some(_), Some(_)) => self.at.fail(format!("duplicate field `{name}`")),
            (Some(j), None) | (None, Some(j)) => Ok(match Value::from(j) {
                Value::Array(items) => items,
                single => vec![single],
            }),
            (None, None) => Ok(Vec::new()),
        }
    }
}

impl Decode for String {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self> {
        match j {
            Json::String(s) => Ok(s.into_owned()),
            other => at.expected("a string", &other),
        }
    }
}

impl Decode for bool {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self> {
        match j {
            Json::Bool(b) => Ok(b),
            other => at.expected("a boolean", &other),
        }
    }
}

impl Decode for u64 {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self> {
        match &j {
            Json::Number(n) => match n.as_u64() {
                Some(v) => Ok(v),
                None => at.fail("expected a non-negative integer".into()),
            },
            _ => at.expected("a non-negative integer", &j),
        }
    }
}

impl Decode for u32 {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self> {
        let n = u64::decode(j, at)?;
        u32::try_from(n).or_else(|_| at.fail("expected an integer below 2^32".into()))
    }
}

impl Decode for f64 {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self> {
        match &j {
            Json::Number(n) => match n.as_f64() {
                Some(v) => Ok(v),
                None => at.fail("expected a number".into()),
            },
            _ => at.expected("a number", &j),
        }
    }
}

impl Decode for Value {
    fn decode(j: Json<'_>, _: Path<'_>) -> Decoded<Self> {
        Ok(j.into())
    }
}

impl<T: Decode> Decode for Vec<T> {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self> {
        let Json::Array(items) = j else {
            return at.expected("an array", &j);
        };
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| T::decode(item, Path::Index(&at, i)))
            .collect()
    }
}

impl<T: Decode> Decode for IndexMap<String, T> {
    fn decode(j: Json<'_>, at: Path<'_>) -> Decoded<Self> {
        let Json::Object(fields) = j else {
            return at.expected("an object", &j);
        };
        let mut out = IndexMap::with_capacity(fields.len());
        for (k, v) in fields {
            let item = T::decode(v, Path::Key(&at, &k))?;
            out.insert(k.into_owned(), item);
        }
        Ok(out)
    }
}

/// A document's top-level integer `schema`, read before the rest so that a
/// newer schema is reported as such rather than as unknown fields.
pub(crate) fn schema_of(doc: &Json) -> Option<u64> {
    match doc {
        Json::Object(fields) => fields.iter().find_map(|(k, v)| match v {
            Json::Number(n) if k == "schema" => n.as_u64(),
            _ => None,
        }),
        _ => None,
    }
}

/// One of a fixed set of names.
pub(crate) fn one_of<T: Copy>(j: Json, at: Path, names: &[(&str, T)]) -> Decoded<T> {
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

/// Declares a record once: the struct, its JSON field names and how each is
/// read and written, and from that both [`Decode`] and serde's `Serialize`.
/// Each field is `name: Type = how "json"`, where `how` is
/// - `req`: must be present, always written;
/// - `opt`: an `Option`, absent or null is `None`, written when `Some`;
/// - `or_default`: absent is the default, written when not the default;
/// - `always`: absent is the default, always written;
/// - `yes`: a `bool`, absent is `true`, always written;
/// - `many "alias"`: a `Vec<Value>` written as one value or a list, under
///   the name or its alias, written as a list when not empty.
macro_rules! schema {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = $how:ident $json:literal $($alias:literal)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The JSON names of the fields, in order (aliases included).
            pub const FIELDS: &'static [&'static str] = &[$($json, $($alias,)?)*];
        }

        impl $crate::format::decode::Decode for $name {
            fn decode(
                j: $crate::format::json::Json<'_>,
                at: $crate::format::decode::Path<'_>,
            ) -> $crate::format::decode::Decoded<Self> {
                let mut f = $crate::format::decode::object(j, at, Self::FIELDS)?;
                Ok($name {
                    $( $field: schema!(@read f $how $json $($alias)?)?, )*
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut m = s.serialize_map(None)?;
                $( schema!(@write m self.$field, $how $json); )*
                m.end()
            }
        }

        impl $crate::format::decode::Camel for $name {
            fn camel(&self) -> serde_json::Value {
                // The fields the JSON form writes, under their camelCase names.
                let mut out = serde_json::Map::new();
                $( schema!(@camel out self.$field, $how $json); )*
                serde_json::Value::Object(out)
            }
        }
    };
    (@camel $m:ident $v:expr, opt $json:literal) => {
        if let Some(v) = &$v {
            $m.insert($crate::format::decode::camel($json), $crate::format::decode::Camel::camel(v));
        }
    };
    (@camel $m:ident $v:expr, or_default $json:literal) => {
        if !$crate::format::decode::IsDefault::is_default(&$v) {
            $m.insert($crate::format::decode::camel($json), $crate::format::decode::Camel::camel(&$v));
        }
    };
    (@camel $m:ident $v:expr, many $json:literal) => {
        if !$v.is_empty() {
            $m.insert($crate::format::decode::camel($json), $crate::format::decode::Camel::camel(&$v));
        }
    };
    (@camel $m:ident $v:expr, $how:ident $json:literal) => {
        $m.insert($crate::format::decode::camel($json), $crate::format::decode::Camel::camel(&$v));
    };
    (@read $f:ident req $json:literal) => { $f.req($json) };
    (@read $f:ident opt $json:literal) => { $f.opt($json) };
    (@read $f:ident or_default $json:literal) => { $f.or_default($json) };
    (@read $f:ident always $json:literal) => { $f.or_default($json) };
    (@read $f:ident yes $json:literal) => { $f.or($json, true) };
    (@read $f:ident many $json:literal $alias:literal) => { $f.many($json, $alias) };
    (@write $m:ident $v:expr, req $json:literal) => { $m.serialize_entry($json, &$v)? };
    (@write $m:ident $v:expr, opt $json:literal) => {
        if let Some(v) = &$v {
            $m.serialize_entry($json, v)?;
        }
    };
    (@write $m:ident $v:expr, or_default $json:literal) => {
        if !$crate::format::decode::IsDefault::is_default(&$v) {
            $m.serialize_entry($json, &$v)?;
        }
    };
    (@write $m:ident $v:expr, always $json:literal) => { $m.serialize_entry($json, &$v)? };
    (@write $m:ident $v:expr, yes $json:literal) => { $m.serialize_entry($json, &$v)? };
    (@write $m:ident $v:expr, many $json:literal) => {
        if !$v.is_empty() {
            $m.serialize_entry($json, &$v)?;
        }
    };
}

/// Declares an enum of names once: the enum, `NAMES` (name and variant, in
/// order), `name()`, and from that [`Decode`] and serde's `Serialize`.
macro_rules! names {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
        }

        impl $name {
            /// Every name and its variant, in declaration order.
            pub const NAMES: &'static [(&'static str, $name)] = &[$(($text, $name::$variant)),*];

            /// The name as written in files and on the wire.
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )*
                }
            }

            /// The variant of a name.
            pub fn from_name(name: &str) -> Option<Self> {
                Self::NAMES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
            }
        }

        impl $crate::format::decode::Decode for $name {
            fn decode(
                j: $crate::format::json::Json<'_>,
                at: $crate::format::decode::Path<'_>,
            ) -> $crate::format::decode::Decoded<Self> {
                $crate::format::decode::one_of(j, at, Self::NAMES)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl $crate::format::decode::Camel for $name {
            fn camel(&self) -> serde_json::Value {
                serde_json::Value::String(self.name().to_owned())
            }
        }
    };
}

pub(crate) use {names, schema};
