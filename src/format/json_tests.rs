use super::*;

fn ok(text: &str) -> Json<'_> {
    parse(text.as_bytes(), 8).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str, depth: usize) -> String {
    parse(text.as_bytes(), depth).expect_err(text).to_string()
}

#[test]
fn reads_every_kind_of_value_in_order() {
    let j = ok(
        r#" {"b": [1, -2, 2.5, 1e3, true, false, null], "a": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} "#,
    );
    let Json::Object(fields) = j else {
        panic!("not an object")
    };
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, ["b", "a"]);
    assert_eq!(
        Value::from(Json::Object(fields)),
        serde_json::json!({"b": [1, -2, 2.5, 1000.0, true, false, null], "a": "x\"\\/\u{8}\u{c}\n\r\té😀"})
    );
}

#[test]
fn numbers_match_serde_json() {
    for text in [
        "0",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "-9223372036854775809",
        "0.1",
        "1.5e-7",
        "-0.0",
        "12E+2",
    ] {
        let mine = Value::from(ok(text));
        let theirs: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(mine, theirs, "{text}");
    }
}

#[test]
fn syntax_errors_say_what_and_where() {
    assert_eq!(
        err("{\"a\":", 8),
        "unexpected end of input at line 1 column 6"
    );
    assert_eq!(
        err("{} {}", 8),
        "trailing characters after the value at line 1 column 4"
    );
    assert_eq!(
        err("[1,\n 2 3]", 8),
        "expected `,` or `]` at line 2 column 4"
    );
    assert_eq!(err("{\"a\" 1}", 8), "expected `:` at line 1 column 6");
    assert_eq!(err("{a:1}", 8), "expected a string key at line 1 column 2");
    assert_eq!(err("[01]", 8), "invalid number at line 1 column 2");
    assert_eq!(err("[1.]", 8), "invalid number at line 1 column 4");
    assert_eq!(err("[1e400]", 8), "number out of range at line 1 column 2");
    assert_eq!(
        err("\"a\tb\"", 8),
        "control character in a string at line 1 column 3"
    );
    assert_eq!(err(r#""\x""#, 8), "invalid escape at line 1 column 3");
    assert_eq!(
        err(r#""\ud800""#, 8),
        "lone surrogate in a unicode escape at line 1 column 8"
    );
    assert_eq!(
        err(r#""\u12g4""#, 8),
        "invalid unicode escape at line 1 column 6"
    );
    assert_eq!(err("[tru]", 8), "expected a value at line 1 column 2");
    assert_eq!(err("", 8), "unexpected end of input at line 1 column 1");
    assert_eq!(
        parse(b"[\"\xff\"]", 8).expect_err("bad utf-8").to_string(),
        "invalid utf-8 at line 1 column 3"
    );
}

#[test]
fn depth_is_limited() {
    assert_eq!(err("[[[[1]]]]", 3), "json nests deeper than 3 levels");
    assert_eq!(ok("[[[1]]]"), parse(b"[[[1]]]", 3).expect("3 levels"));
    assert_eq!(
        err(r#"{"a":{"b":{"c":{}}}}"#, 3),
        "json nests deeper than 3 levels"
    );
    let deep = "[".repeat(200) + &"]".repeat(200);
    assert_eq!(
        err(&deep, 1000),
        "nesting deeper than 128 levels at line 1 column 129"
    );
}

#[test]
fn duplicate_keys_are_refused_small_or_large() {
    assert_eq!(
        err(r#"{"a":1,"b":{"c":1,"c":2}}"#, 8),
        "json repeats the key `c`"
    );
    // Escaped keys are compared after unescaping.
    assert_eq!(err(r#"{"a":1,"\u0061":2}"#, 8), "json repeats the key `a`");
    let wide: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
    assert_eq!(
        err(&format!("{{{wide}\"k7\":0,\"k3\":0}}"), 8),
        "json repeats the key `k7`"
    );
    assert!(parse(format!("{{{wide}\"z\":0}}").as_bytes(), 8).is_ok());
}

mod properties {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::super::parse;

    fn values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            "\\PC{0,12}".prop_map(Value::String),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map("\\PC{0,6}", inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever serde_json writes, compact or pretty, reads back the same.
        #[test]
        fn reads_what_serde_json_writes(v in values(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&v).expect("encode")
            } else {
                serde_json::to_string(&v).expect("encode")
            };
            let back = parse(text.as_bytes(), 64).map(Value::from);
            prop_assert_eq!(back, Ok(v));
        }

        /// Any bytes at all: an answer, never a panic, and the same verdict
        /// on whether they are JSON as serde_json's.
        #[test]
        fn any_bytes_get_an_answer(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            same_verdict(&bytes)?;
        }

        /// Damaged JSON (one byte changed): the same.
        #[test]
        fn damaged_json_gets_an_answer(v in values(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
            let mut text = serde_json::to_vec(&v).expect("encode");
            let i = at.index(text.len());
            text[i] = byte;
            same_verdict(&text)?;
        }
    }

    /// Syntax errors are serde_json's errors too; what serde_json reads is
    /// read here, unless it repeats a key (which this reader refuses).
    fn same_verdict(bytes: &[u8]) -> Result<(), TestCaseError> {
        use super::super::JsonError;
        let theirs = serde_json::from_slice::<Value>(bytes);
        match parse(bytes, 64) {
            Err(JsonError::Syntax { .. }) => prop_assert!(theirs.is_err(), "{:?}", theirs),
            Err(
                JsonError::DuplicateKey { .. }
                | JsonError::TooDeep { .. }
                | JsonError::TooManyValues { .. },
            ) => {}
            Ok(mine) => {
                let theirs = theirs.map_err(|e| e.to_string());
                prop_assert!(
                    theirs
                        .as_ref()
                        .is_ok_and(|t| same(&Value::from(mine.clone()), t)),
                    "{mine:?} / {theirs:?}"
                );
            }
        }
        Ok(())
    }

    /// Equal, but for the last bit of a float: serde_json's default float
    /// parsing is not always correctly rounded (its `float_roundtrip`
    /// feature is), std's is, so this reader can be the closer of the two.
    fn same(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) if x.is_f64() || y.is_f64() => {
                let (x, y) = (
                    x.as_f64().unwrap_or(f64::NAN),
                    y.as_f64().unwrap_or(f64::NAN),
                );
                x == y || (x - y).abs() <= x.abs().max(y.abs()) * 2.0 * f64::EPSILON
            }
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
            }
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((kx, x), (ky, y))| kx == ky && same(x, y))
            }
            _ => a == b,
        }
    }
}
