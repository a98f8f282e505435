//! A first pass over untrusted JSON that serde's own parsing would let
//! through: nesting deeper than a limit (a stack hazard for every consumer)
//! and duplicate object keys (which parsers resolve differently, so two
//! runtimes could read two different snapshots from the same signed bytes).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
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
/// duplicate keys in any object. Returns the top-level `schema` when it is an
/// integer: reading it here spares a second pass over the document.
pub(crate) fn check(bytes: &[u8], max_depth: usize) -> Result<Option<u64>, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let found = RefCell::new(None);
    let schema = Cell::new(None);
    let result = Walk {
        depth: 0,
        max_depth,
        found: &found,
        schema: &schema,
        capture: false,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (found.into_inner(), result) {
        (Some(problem), _) => Err(problem),
        (None, Err(e)) => Err(Problem::Syntax(e.to_string())),
        (None, Ok(())) => Ok(schema.get()),
    }
}

struct Walk<'a> {
    depth: usize,
    max_depth: usize,
    found: &'a RefCell<Option<Problem>>,
    schema: &'a Cell<Option<u64>>,
    /// This value is the top-level `schema`.
    capture: bool,
}

/// A key, borrowed from the input unless it had escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(s.to_owned()))
    }
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
        Ok(self.child(false))
    }
    fn child(&self, capture: bool) -> Walk<'_> {
        Walk {
            depth: self.depth + 1,
            max_depth: self.max_depth,
            found: self.found,
            schema: self.schema,
            capture,
        }
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
    fn visit_u64<E>(self, n: u64) -> Result<(), E> {
        if self.capture {
            self.schema.set(Some(n));
        }
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
        let _ = self.deeper::<A::Error>()?;
        while seq.next_element_seed(self.child(false))?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let _ = self.deeper::<A::Error>()?;
        // Most objects are small: a scan beats hashing until they are not.
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        let mut many: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(key) = map.next_key_seed(Key)? {
            let duplicate = if many.is_empty() && few.len() < 16 {
                few.contains(&key)
            } else {
                many.extend(few.drain(..));
                many.contains(&key)
            };
            if duplicate {
                return Err(self.fail(Problem::Duplicate(key.into_owned())));
            }
            let capture = self.depth == 0 && key == "schema";
            map.next_value_seed(self.child(capture))?;
            if many.is_empty() {
                few.push(key);
            } else {
                many.insert(key);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicates_depth_and_syntax() {
        assert_eq!(check(br#"{"a":1,"b":{"c":[1,{"d":2}]}}"#, 8), Ok(None));
        assert_eq!(check(br#"{"x":{"schema":3},"schema":2}"#, 8), Ok(Some(2)));
        let wide: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
        assert_eq!(
            check(format!("{{{wide}\"k7\":0}}").as_bytes(), 8),
            Err(Problem::Duplicate("k7".into()))
        );
        assert_eq!(
            check(br#"{"a":1,"b":{"c":1,"c":2}}"#, 8),
            Err(Problem::Duplicate("c".into()))
        );
        assert_eq!(check(b"[[[[1]]]]", 3), Err(Problem::TooDeep));
        assert_eq!(check(b"[[[1]]]", 3), Ok(None));
        assert!(matches!(check(b"{\"a\":", 8), Err(Problem::Syntax(_))));
        assert!(matches!(check(b"{} {}", 8), Err(Problem::Syntax(_))));
        // Escaped keys are compared after unescaping.
        assert_eq!(
            check(br#"{"a":1,"\u0061":2}"#, 8),
            Err(Problem::Duplicate("a".into()))
        );
    }
}
