//! A first pass over untrusted JSON that serde's own parsing would let
//! through: nesting deeper than a limit (a stack hazard for every consumer)
//! and duplicate object keys (which parsers resolve differently, so two
//! runtimes could read two different snapshots from the same signed bytes).

use std::collections::HashSet;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// What the pass found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    Syntax(String),
    TooDeep,
    Duplicate(String),
}

/// Checks `bytes` is one JSON value, nested at most `max_depth` deep, without
/// duplicate keys in any object.
pub(crate) fn check(bytes: &[u8], max_depth: usize) -> Result<(), Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = std::cell::RefCell::new(None);
    let result = Walk {
        depth: 0,
        max_depth,
        found: &found,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (found.into_inner(), result) {
        (Some(problem), _) => Err(problem),
        (None, Err(e)) => Err(Problem::Syntax(e.to_string())),
        (None, Ok(())) => Ok(()),
    }
}

struct Walk<'a> {
    depth: usize,
    max_depth: usize,
    found: &'a std::cell::RefCell<Option<Problem>>,
}

impl Walk<'_> {
    fn fail<E: serde::de::Error>(&self, p: Problem) -> E {
        *self.found.borrow_mut() = Some(p);
        E::custom("rejected")
    }
    fn deeper<E: serde::de::Error>(&self) -> Result<Walk<'_>, E> {
        if self.depth >= self.max_depth {
            return Err(self.fail(Problem::TooDeep));
        }
        Ok(Walk {
            depth: self.depth + 1,
            max_depth: self.max_depth,
            found: self.found,
        })
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("json")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while seq
            .next_element_seed(Walk {
                depth: inner.depth,
                max_depth: inner.max_depth,
                found: inner.found,
            })?
            .is_some()
        {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !seen.insert(key.clone().into_owned()) {
                return Err(self.fail(Problem::Duplicate(key.into_owned())));
            }
            map.next_value_seed(Walk {
                depth: inner.depth,
                max_depth: inner.max_depth,
                found: inner.found,
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicates_depth_and_syntax() {
        assert_eq!(check(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#, 8), Ok(()));
        assert_eq!(
            check(br#"{"a":1,"b":{"c":1,"c":2}}"#, 8),
            Err(Problem::Duplicate("c".into()))
        );
        assert_eq!(check(b"[[[[1]]]]", 3), Err(Problem::TooDeep));
        assert_eq!(check(b"[[[1]]]", 3), Ok(()));
        assert!(matches!(check(b"{\"a\":", 8), Err(Problem::Syntax(_))));
        assert!(matches!(check(b"{} {}", 8), Err(Problem::Syntax(_))));
        // Escaped keys are compared after unescaping.
        assert_eq!(
            check(br#"{"a":1,"\u0061":2}"#, 8),
            Err(Problem::Duplicate("a".into()))
        );
    }
}
