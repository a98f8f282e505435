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
