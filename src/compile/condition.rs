//! Conditions compiled once per snapshot. A missing attribute or a value of
//! the wrong type never matches, whatever `negate` says: a typo in a context
//! must not silently switch a feature on for everyone.

use std::cmp::Ordering;

use semver::Version;
use serde_json::Value;

use crate::compile::Locate;
use crate::compile::audience::{Plain, ValueDigest, digest, parse_digest, works_on_digests};
use crate::format::time::Timestamp;
use crate::model::context::{Attr, Context, parse_version, same_text};
use crate::model::error::ReleaseError;
use crate::model::{Condition, Op, Private};

#[derive(Clone, Debug, PartialEq)]
enum Scalar {
    Str(Box<str>),
    Num(f64),
    Bool(bool),
}

impl Scalar {
    fn from_value(v: &Value) -> Option<Scalar> {
        match v {
            Value::String(s) => Some(Scalar::Str(s.as_str().into())),
            Value::Number(n) => n.as_f64().map(Scalar::Num),
            Value::Bool(b) => Some(Scalar::Bool(*b)),
            _ => None,
        }
    }

    fn equals(&self, attr: &Attr) -> Option<bool> {
        match (self, attr) {
            (Scalar::Str(a), Attr::String(b)) => Some(same_text(a, b.as_str())),
            (Scalar::Num(a), Attr::Number(b)) => Some(a == b),
            (Scalar::Bool(a), Attr::Bool(b)) => Some(a == b),
            (_, Attr::String(_) | Attr::Number(_) | Attr::Bool(_)) => Some(false),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cmp {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl Cmp {
    fn holds(self, ord: Ordering) -> bool {
        match self {
            Cmp::Eq => ord == Ordering::Equal,
            Cmp::Lt => ord == Ordering::Less,
            Cmp::Lte => ord != Ordering::Greater,
            Cmp::Gt => ord == Ordering::Greater,
            Cmp::Gte => ord != Ordering::Less,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Test {
    /// `in`, `eq`; `not_in` and `neq` are the same test negated.
    OneOf(Vec<Scalar>),
    StartsWith(Vec<Box<str>>),
    EndsWith(Vec<Box<str>>),
    Contains(Vec<Scalar>),
    Number(Cmp, f64),
    Semver(Cmp, Version),
    Before(Timestamp),
    After(Timestamp),
    Exists,
    /// `in`/`eq` on a private attribute of a browser snapshot: the salt, and
    /// the digests of the values (see `compile::audience`).
    Digest(Box<str>, Vec<ValueDigest>),
}

/// A condition ready to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Cond {
    attr: Box<str>,
    negate: bool,
    test: Test,
}

impl Cond {
    /// The attribute the condition reads.
    pub(crate) fn attr(&self) -> &str {
        &self.attr
    }

    pub(crate) fn matches(&self, ctx: &Context) -> bool {
        let attr = ctx.get(&self.attr);
        if let Test::Exists = self.test {
            let present = !matches!(attr, None | Some(Attr::Null));
            return present != self.negate;
        }
        match attr.and_then(|a| self.test.apply(a)) {
            Some(result) => result != self.negate,
            None => false,
        }
    }
}

impl Test {
    /// `None` when the attribute has the wrong type for the operator.
    fn apply(&self, attr: &Attr) -> Option<bool> {
        match self {
            Test::OneOf(values) => {
                let mut any = false;
                for v in values {
                    any |= v.equals(attr)?;
                }
                Some(any)
            }
            Test::StartsWith(values) => {
                let s = text(attr)?;
                Some(
                    values
                        .iter()
                        .any(|v| same_text(s.get(..v.len()).unwrap_or(""), v)),
                )
            }
            Test::EndsWith(values) => {
                let s = text(attr)?;
                Some(values.iter().any(|v| {
                    s.len() >= v.len() && same_text(s.get(s.len() - v.len()..).unwrap_or(""), v)
                }))
            }
            Test::Contains(values) => match attr {
                Attr::String(s) => Some(values.iter().any(|v| match v {
                    Scalar::Str(sub) => s.as_str().contains(&**sub),
                    _ => false,
                })),
                Attr::List(items) => Some(
                    items
                        .iter()
                        .any(|item| values.iter().any(|v| v.equals(item) == Some(true))),
                ),
                _ => None,
            },
            Test::Number(cmp, n) => match attr {
                Attr::Number(a) => a.partial_cmp(n).map(|o| cmp.holds(o)),
                _ => None,
            },
            Test::Semver(cmp, v) => match attr {
                Attr::String(t) => t.version.as_ref().map(|a| cmp.holds(a.cmp(v))),
                _ => None,
            },
            Test::Before(t) => time(attr).map(|a| a < *t),
            Test::After(t) => time(attr).map(|a| a > *t),
            Test::Exists => Some(true),
            Test::Digest(salt, digests) => {
                let plain = match attr {
                    Attr::String(t) => Plain::Str(t.as_str()),
                    Attr::Number(n) => Plain::Num(*n),
                    Attr::Bool(b) => Plain::Bool(*b),
                    // As `OneOf`: no value of these types is ever equal.
                    _ => return None,
                };
                let d = digest(salt, plain);
                Some(digests.contains(&d))
            }
        }
    }
}

fn text(attr: &Attr) -> Option<&str> {
    match attr {
        Attr::String(t) => Some(t.as_str()),
        _ => None,
    }
}

fn time(attr: &Attr) -> Option<Timestamp> {
    match attr {
        Attr::String(t) => t.time,
        _ => None,
    }
}

/// Compiles one condition; `at` locates it for error messages. With
/// `private` (a browser snapshot), conditions on its attributes compare
/// digests.
pub(crate) fn compile(
    c: &Condition,
    at: Locate,
    private: Option<&Private>,
) -> Result<Cond, ReleaseError> {
    let bad = |why: String| ReleaseError::BadCondition {
        at: at().key("values"),
        op: c.op.name(),
        why,
    };
    let one = || match c.values.as_slice() {
        [v] => Ok(v),
        other => Err(bad(format!("takes exactly one value, not {}", other.len()))),
    };
    let some = || {
        if c.values.is_empty() {
            Err(bad("needs at least one value".into()))
        } else {
            Ok(&c.values)
        }
    };
    let scalars = |vals: &[Value]| -> Result<Vec<Scalar>, ReleaseError> {
        vals.iter()
            .map(|v| {
                Scalar::from_value(v)
                    .ok_or_else(|| bad(format!("compares strings, numbers or booleans, not {v}")))
            })
            .collect()
    };
    let strings = |vals: &[Value]| -> Result<Vec<Box<str>>, ReleaseError> {
        vals.iter()
            .map(|v| {
                v.as_str()
                    .map(Into::into)
                    .ok_or_else(|| bad(format!("compares strings, not {v}")))
            })
            .collect()
    };
    let number = || {
        let v = one()?;
        v.as_f64()
            .ok_or_else(|| bad(format!("compares numbers, not {v}")))
    };
    let version = || {
        let v = one()?;
        v.as_str().and_then(parse_version).ok_or_else(|| {
            bad(format!(
                "needs a semantic version such as \"4.2.0\", not {v}"
            ))
        })
    };
    let instant = || {
        let v = one()?;
        v.as_str()
            .and_then(Timestamp::parse)
            .ok_or_else(|| bad(format!("needs an rfc 3339 time, not {v}")))
    };
    if let Some(p) = private.filter(|p| p.attributes.contains(&c.attr) && c.op != Op::Exists) {
        if !works_on_digests(c.op) {
            return Err(ReleaseError::PrivateOperator {
                at: at().key("op"),
                step: None,
                op: c.op.name(),
                attr: c.attr.clone(),
            });
        }
        let digests = match c.op {
            Op::Eq | Op::Neq => std::slice::from_ref(one()?),
            _ => some()?.as_slice(),
        };
        let digests = digests
            .iter()
            .map(|v| {
                v.as_str().and_then(parse_digest).ok_or_else(|| {
                    bad(format!(
                        "compares salted digests (32 hex digits) on a private attribute, not {v}"
                    ))
                })
            })
            .collect::<Result<_, _>>()?;
        return finish(
            c,
            matches!(c.op, Op::NotIn | Op::Neq),
            Test::Digest(p.salt.as_str().into(), digests),
            at,
        );
    }
    let (test, invert) = match c.op {
        Op::In => (Test::OneOf(scalars(some()?)?), false),
        Op::NotIn => (Test::OneOf(scalars(some()?)?), true),
        Op::Eq => (Test::OneOf(scalars(std::slice::from_ref(one()?))?), false),
        Op::Neq => (Test::OneOf(scalars(std::slice::from_ref(one()?))?), true),
        Op::StartsWith => (Test::StartsWith(strings(some()?)?), false),
        Op::EndsWith => (Test::EndsWith(strings(some()?)?), false),
        Op::Contains => (Test::Contains(scalars(some()?)?), false),
        Op::Lt => (Test::Number(Cmp::Lt, number()?), false),
        Op::Lte => (Test::Number(Cmp::Lte, number()?), false),
        Op::Gt => (Test::Number(Cmp::Gt, number()?), false),
        Op::Gte => (Test::Number(Cmp::Gte, number()?), false),
        Op::SemverEq => (Test::Semver(Cmp::Eq, version()?), false),
        Op::SemverLt => (Test::Semver(Cmp::Lt, version()?), false),
        Op::SemverLte => (Test::Semver(Cmp::Lte, version()?), false),
        Op::SemverGt => (Test::Semver(Cmp::Gt, version()?), false),
        Op::SemverGte => (Test::Semver(Cmp::Gte, version()?), false),
        Op::Before => (Test::Before(instant()?), false),
        Op::After => (Test::After(instant()?), false),
        Op::Exists => {
            if !c.values.is_empty() {
                return Err(bad("takes no values".into()));
            }
            (Test::Exists, false)
        }
    };
    finish(c, invert, test, at)
}

fn finish(c: &Condition, invert: bool, test: Test, at: Locate) -> Result<Cond, ReleaseError> {
    if c.attr.is_empty() {
        return Err(ReleaseError::Missing {
            at: at().key("attr"),
            field: "attr",
            why: "a condition names the context attribute it tests",
        });
    }
    Ok(Cond {
        attr: c.attr.as_str().into(),
        negate: c.negate != invert,
        test,
    })
}
