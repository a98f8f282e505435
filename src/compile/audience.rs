//! Browser snapshots: what a page may hold. A browser gets only the flags
//! whose `clients` include it, and only what evaluating them needs. Values
//! compared against private attributes, and every target key, travel as
//! salted SHA-256 digests, so the page never holds an email, an account id
//! or a QA account; the core digests the context's own value before it
//! compares. Bucketing still reads the raw value: it stays on the device.
//! Stages after the snapshot's expiry can be left out, so launch dates past
//! it are not published (docs/browser.md says what remains visible).

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::compile::snapshot::Snapshot;
use crate::format::base64::hex;
use crate::format::path::Loc;
use crate::format::time::Timestamp;
use crate::model::error::ReleaseError;
use crate::model::{Audience, Condition, Definitions, Op, Private, Rollout, Stage};

/// The bytes of a digest that a snapshot keeps: 128 bits, written as 32
/// lowercase hex digits.
pub(crate) const DIGEST_BYTES: usize = 16;

pub(crate) type ValueDigest = [u8; DIGEST_BYTES];

/// A context value as it is digested: the type is part of the input, so the
/// number 1 and the string "1" differ here exactly as `eq` tells them apart.
#[derive(Clone, Copy)]
pub(crate) enum Plain<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
}

impl<'a> Plain<'a> {
    fn of(v: &'a Value) -> Option<Plain<'a>> {
        match v {
            Value::String(s) => Some(Plain::Str(s)),
            Value::Number(n) => n.as_f64().map(Plain::Num),
            Value::Bool(b) => Some(Plain::Bool(*b)),
            _ => None,
        }
    }
}

/// `sha256(salt, 0, type, value)`, cut to [`DIGEST_BYTES`]. Numbers are
/// digested by their bits with -0 made 0, since `eq` holds -0 == 0.
pub(crate) fn digest(salt: &str, v: Plain) -> ValueDigest {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    match v {
        Plain::Str(s) => {
            h.update(b"s");
            h.update(s.as_bytes());
        }
        Plain::Num(n) => {
            let n = if n == 0.0 { 0.0 } else { n };
            h.update(b"n");
            h.update(n.to_bits().to_be_bytes());
        }
        Plain::Bool(b) => {
            h.update(b"b");
            h.update([u8::from(b)]);
        }
    }
    let mut out = [0; DIGEST_BYTES];
    for (o, b) in out.iter_mut().zip(h.finalize()) {
        *o = b;
    }
    out
}

/// A digest as a snapshot writes it; `None` for anything else.
pub(crate) fn parse_digest(s: &str) -> Option<ValueDigest> {
    let bytes = s.as_bytes();
    if bytes.len() != DIGEST_BYTES * 2 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0; DIGEST_BYTES];
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = (pair.first().copied()?, pair.get(1).copied()?);
        *o = (nibble(hi)? << 4) | nibble(lo)?;
    }
    Some(out)
}

/// The operators that still work on digests: those that only ask whether
/// two values are equal (and `exists`, which compares nothing).
pub(crate) fn works_on_digests(op: Op) -> bool {
    matches!(op, Op::In | Op::NotIn | Op::Eq | Op::Neq | Op::Exists)
}

/// The salt of a browser snapshot, from what makes the snapshot unique (the
/// CLI passes the environment, version and issue time): a fresh salt per
/// snapshot, so a dictionary built against one is useless against the next,
/// and the same inputs build the same bytes.
pub fn browser_salt(seed: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"edgeflag browser salt\0");
    h.update(seed.as_bytes());
    let full = h.finalize();
    hex(full.get(..DIGEST_BYTES).unwrap_or(&[]))
}

impl Definitions {
    /// The definitions a browser snapshot carries: the flags whose `clients`
    /// include browsers, stripped of what evaluating them does not need
    /// (descriptions, owners, runbooks, rollback steps, the incident channel,
    /// unless a flag sets `public_metadata`), with private values and target
    /// keys digested with `salt`. With `until` (the snapshot's expiry), stages
    /// that start after it are left out; a rollout with none left keeps one
    /// 0% stage at `until`, so its results before then do not change.
    pub fn for_browser(
        &self,
        salt: &str,
        until: Option<Timestamp>,
    ) -> Result<Definitions, ReleaseError> {
        // Errors in what was written come first, as every build reports them.
        Snapshot::compile(self.clone())?;
        let private: Vec<String> = self.release.private_attributes.clone();
        let hide = Hide {
            salt,
            private: &private,
        };
        let mut out = Definitions {
            release: crate::model::ReleaseInfo {
                name: self.release.name.clone(),
                owner: None,
                description: None,
                incident_channel: None,
                environments: None,
                private_attributes: Vec::new(),
            },
            environment: self.environment.clone(),
            segments: indexmap::IndexMap::new(),
            flags: indexmap::IndexMap::new(),
            private: Some(Private {
                salt: salt.to_owned(),
                attributes: private.clone(),
            }),
        };
        for (key, def) in &self.flags {
            if !def.serves(Audience::Browser) {
                continue;
            }
            let at = || Loc::root().key("flags").key(key);
            for (i, p) in def.prerequisites.iter().enumerate() {
                if !self
                    .flags
                    .get(&p.flag)
                    .is_some_and(|d| d.serves(Audience::Browser))
                {
                    return Err(ReleaseError::NotForBrowsers {
                        at: at().key("prerequisites").index(i).key("flag"),
                        flag: p.flag.clone(),
                    });
                }
            }
            let mut d = def.clone();
            if !d.public_metadata {
                d.description = None;
                d.owner = None;
                d.runbook = None;
                if let Some(r) = &mut d.rollback {
                    r.steps.clear();
                }
            }
            d.targets = d
                .targets
                .iter()
                .map(|(variant, keys)| {
                    let keys = keys
                        .iter()
                        .map(|k| hex(&digest(salt, Plain::Str(k))))
                        .collect();
                    (variant.clone(), keys)
                })
                .collect();
            for (i, r) in d.rules.iter_mut().enumerate() {
                let step = format!("rule `{}`", r.name.as_deref().unwrap_or("#"));
                let rat = || at().key("rules").index(i).key("match");
                hide.conditions(&mut r.conditions, &step, &rat)?;
                if let (Some(ro), Some(until)) = (&mut r.rollout, until) {
                    cut(ro, until);
                }
            }
            for (i, r) in d.rollbacks.iter_mut().enumerate() {
                let step = format!("partial rollback `{}`", r.name.as_deref().unwrap_or("#"));
                let bat = || at().key("rollbacks").index(i).key("match");
                hide.conditions(&mut r.conditions, &step, &bat)?;
            }
            if let (Some(ro), Some(until)) = (&mut d.rollout, until) {
                cut(ro, until);
            }
            let used = d.rules.iter().filter_map(|r| r.segment.as_ref());
            let used = used.chain(d.rollbacks.iter().filter_map(|r| r.segment.as_ref()));
            for name in used {
                if out.segments.contains_key(name) {
                    continue;
                }
                let Some(seg) = self.segments.get(name) else {
                    continue;
                };
                let mut seg = seg.clone();
                seg.description = None;
                seg.internal = false;
                let step = format!("segment `{name}`");
                let sat = || Loc::root().key("segments").key(name).key("match");
                hide.conditions(&mut seg.conditions, &step, &sat)?;
                out.segments.insert(name.clone(), seg);
            }
            out.flags.insert(key.clone(), d);
        }
        // The segments in the order the release declares them.
        out.segments
            .sort_by_cached_key(|name, _| self.segments.get_index_of(name));
        Snapshot::compile(out.clone())?;
        Ok(out)
    }
}

struct Hide<'a> {
    salt: &'a str,
    private: &'a [String],
}

impl Hide<'_> {
    /// Digests the values of conditions on private attributes, refusing the
    /// operators that need the value itself.
    fn conditions(
        &self,
        conds: &mut [Condition],
        step: &str,
        at: &dyn Fn() -> Loc,
    ) -> Result<(), ReleaseError> {
        for (i, c) in conds.iter_mut().enumerate() {
            if !self.private.contains(&c.attr) {
                continue;
            }
            if !works_on_digests(c.op) {
                return Err(ReleaseError::PrivateOperator {
                    at: at().index(i).key("op"),
                    step: Some(step.to_owned()),
                    op: c.op.name(),
                    attr: c.attr.clone(),
                });
            }
            for v in &mut c.values {
                if let Some(p) = Plain::of(v) {
                    *v = Value::String(hex(&digest(self.salt, p)));
                }
            }
        }
        Ok(())
    }
}

/// Leaves out the stages after `until`; stages only grow in time, so what
/// remains is a prefix and every stage index stays what it was.
fn cut(r: &mut Rollout, until: Timestamp) {
    if r.stages.is_empty() {
        return;
    }
    r.stages
        .retain(|s| Timestamp::parse(&s.at).is_some_and(|t| t <= until));
    if r.stages.is_empty() {
        r.stages.push(Stage {
            at: until.to_string(),
            percent: 0.0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_tell_types_apart_and_read_back() {
        let s = "salt";
        assert_ne!(digest(s, Plain::Str("1")), digest(s, Plain::Num(1.0)));
        assert_ne!(digest(s, Plain::Str("true")), digest(s, Plain::Bool(true)));
        assert_eq!(digest(s, Plain::Num(0.0)), digest(s, Plain::Num(-0.0)));
        assert_ne!(digest(s, Plain::Str("a")), digest("other", Plain::Str("a")));
        let d = digest(s, Plain::Str("a@b.c"));
        assert_eq!(parse_digest(&hex(&d)), Some(d));
        for bad in ["", "abc", &hex(&d).to_uppercase(), &format!("{}0", hex(&d))] {
            assert_eq!(parse_digest(bad), None, "{bad}");
        }
        assert_eq!(browser_salt("production/3").len(), DIGEST_BYTES * 2);
        assert_ne!(browser_salt("production/3"), browser_salt("production/4"));
    }
}
