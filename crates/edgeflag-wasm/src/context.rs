//! Evaluation contexts from JS values.

use edgeflag::{Attr, Context};
use wasm_bindgen::prelude::*;

use crate::convert::js_message;

/// A context parsed once (versions and times read once, as the core does) and
/// reusable for any number of evaluations, with any snapshot. Made by
/// `EdgeFlags.context`; free it with `free()` (or let the GC do it).
#[wasm_bindgen]
pub struct FlagContext {
    pub(crate) ctx: Context,
}

/// The core context of a JS value: `undefined` and `null` are the empty
/// context; an object is read as JSON, so a `Date` attribute becomes its
/// RFC 3339 string (the time operators' input) and `undefined` attributes are
/// absent. Anything else is an error message.
pub(crate) fn parse_context(attributes: &JsValue) -> Result<Context, String> {
    if attributes.is_undefined() || attributes.is_null() {
        return Ok(Context::new());
    }
    if !attributes.is_object() || js_sys::Array::is_array(attributes) {
        let kind = if attributes.is_object() {
            "array".to_owned()
        } else {
            attributes.js_typeof().as_string().unwrap_or_default()
        };
        return Err(format!(
            "the context must be an object of attributes, not a {kind}"
        ));
    }
    let text = js_sys::JSON::stringify(attributes)
        .map_err(|e| format!("the context cannot be read as json: {}", js_message(&e)))?;
    let text = String::from(text);
    Context::parse_json(text.as_bytes()).map_err(|e| format!("the context cannot be read: {e}"))
}

/// The context of the attributes a snapshot reads, as the JS wrapper encodes
/// them per call (npm/src/slots.js writes this format; keep the two in step).
/// One item per name of `Snapshot::attributes`, in that order, with no
/// separators, because each item says where it ends:
///
/// - `u`: absent; `n`: null; `t` / `f`: a boolean;
/// - `d` digits `;`: a finite number, as JS's `String(n)` writes it;
/// - `s` length `:` text: a string, its length in UTF-16 code units (JS's
///   `length`), so the text may hold any character;
/// - `j` length `:` json: any other value (a list, a nested object) as its
///   JSON text, read as `parse_context` reads an attribute.
///
/// The wrapper applies JSON's rules before encoding (a `Date` is its
/// `toJSON()`, `NaN` is null), so both paths read the same values.
pub(crate) fn decode_slots(names: &[Box<str>], enc: &str) -> Result<Context, String> {
    let mut ctx = Context::new();
    let mut rest = enc;
    for name in names {
        let (tag, tail) = split_at(rest, 1)?;
        rest = tail;
        let value = match tag {
            "u" => continue,
            "n" => Attr::Null,
            "t" => Attr::Bool(true),
            "f" => Attr::Bool(false),
            "d" => {
                let (digits, tail) = rest.split_once(';').ok_or("an unterminated number")?;
                rest = tail;
                let n: f64 = digits
                    .parse()
                    .map_err(|_| format!("a bad number `{digits}`"))?;
                Attr::Number(n)
            }
            "s" | "j" => {
                let (len, tail) = rest.split_once(':').ok_or("a length without its text")?;
                let units: usize = len.parse().map_err(|_| format!("a bad length `{len}`"))?;
                let (text, tail) = utf16_prefix(tail, units)?;
                rest = tail;
                if tag == "s" {
                    Attr::from(text)
                } else {
                    Context::parse_attr(text.as_bytes())
                        .map_err(|e| format!("the attribute `{name}` cannot be read: {e}"))?
                }
            }
            other => return Err(format!("an unknown tag `{other}`")),
        };
        ctx.set(name, value);
    }
    if rest.is_empty() {
        Ok(ctx)
    } else {
        Err("more items than attributes".into())
    }
}

fn split_at(s: &str, n: usize) -> Result<(&str, &str), String> {
    if s.is_char_boundary(n) && n <= s.len() {
        Ok(s.split_at(n))
    } else {
        Err("fewer items than attributes".into())
    }
}

/// The first `units` UTF-16 code units of `s`, and the rest. A lone surrogate
/// reached wasm as U+FFFD, which is one unit too, so the count holds.
fn utf16_prefix(s: &str, units: usize) -> Result<(&str, &str), String> {
    let mut seen = 0;
    for (at, c) in s.char_indices() {
        if seen == units {
            return Ok(s.split_at(at));
        }
        seen += c.len_utf16();
    }
    if seen == units {
        Ok((s, ""))
    } else {
        Err("a string longer than the input".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<Box<str>> {
        n.iter().map(|s| (*s).into()).collect()
    }

    #[test]
    fn slots_decode_as_json_reads_the_same_values() {
        let n = names(&["a", "b", "c", "d", "e", "f", "g"]);
        let got = decode_slots(&n, "us8:x;y:zé😀nd-1.5e-7;ts2:[]j9:[1,\"v\",2]").expect("decodes");
        let want = Context::parse_json(
            r#"{"b":"x;y:zé😀","c":null,"d":-1.5e-7,"e":true,"f":"[]","g":[1,"v",2]}"#.as_bytes(),
        )
        .expect("json");
        assert_eq!(got, want);
    }

    #[test]
    fn bad_slots_say_why() {
        let n = names(&["a", "b"]);
        let err = |enc: &str| decode_slots(&n, enc).expect_err(enc);
        assert_eq!(err("u"), "fewer items than attributes");
        assert_eq!(err("uuu"), "more items than attributes");
        assert_eq!(err("ud1"), "an unterminated number");
        assert_eq!(err("udx;"), "a bad number `x`");
        assert_eq!(err("us9:ab"), "a string longer than the input");
        assert_eq!(err("uq"), "an unknown tag `q`");
        assert_eq!(
            err("uj3:{,}"),
            "the attribute `b` cannot be read: expected a string key at line 1 column 2"
        );
    }
}
