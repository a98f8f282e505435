//! Places in a document (a release file, a snapshot), and numbers in
//! messages: what every error that points into a file is written with.

use std::fmt;

/// One step of a path into the release file, e.g. `flags`, `store-layout`, `[2]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Where in the release file something is: a path, and its line once known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loc {
    pub path: Vec<Seg>,
    pub line: Option<usize>,
}

impl Loc {
    pub(crate) fn root() -> Self {
        Loc::default()
    }

    pub(crate) fn key(&self, k: &str) -> Loc {
        let mut path = self.path.clone();
        path.push(Seg::Key(k.to_owned()));
        Loc { path, line: None }
    }

    pub(crate) fn index(&self, i: usize) -> Loc {
        let mut path = self.path.clone();
        path.push(Seg::Index(i));
        Loc { path, line: None }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, seg) in self.path.iter().enumerate() {
            match seg {
                Seg::Index(i) => write!(f, "[{i}]")?,
                Seg::Key(k) => {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty()
                        && k.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if bare { f.write_str(k)? } else { quoted(f, k)? }
                }
            }
        }
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

/// A key in double quotes, escaped as `{:?}` would for the characters a key
/// may hold (the `Debug` escaper brings Unicode tables into the browser build).
fn quoted(f: &mut fmt::Formatter<'_>, k: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in k.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if c.is_control() => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// A number in a message, written without core's float formatting (a sixth
/// of the browser build): the shortest decimal that reads back as the same
/// number when it has at most 17 significant digits, as `Display` writes it,
/// which covers every percent and weight people write; otherwise an
/// approximation in scientific notation.
pub(crate) struct Num(pub(crate) f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("NaN");
        }
        if x.is_sign_negative() {
            f.write_str("-")?;
        }
        let a = x.abs();
        if a.is_infinite() {
            return f.write_str("inf");
        }
        // Below 2^53 every integer is exact, and dividing by an exact power
        // of ten rounds correctly: the first count of decimals that reads
        // back is the shortest.
        let mut scale = 1.0;
        for decimals in 0..=17 {
            let m = (a * scale).round();
            if m > 9_007_199_254_740_992.0 {
                break;
            }
            if m / scale == a {
                return decimal(f, m as u64, decimals);
            }
            scale *= 10.0;
        }
        if a.fract() == 0.0 && a < 1.8e19 {
            return write!(f, "{}", a as u64);
        }
        let (mut m, mut exp) = (a, 0i32);
        while m >= 1e16 {
            m /= 10.0;
            exp += 1;
        }
        while m < 1e15 {
            m *= 10.0;
            exp -= 1;
        }
        decimal(f, m.round() as u64, 15)?;
        write!(f, "e{}", exp + 15)
    }
}

/// `m / 10^decimals`, written out.
fn decimal(f: &mut fmt::Formatter<'_>, m: u64, decimals: usize) -> fmt::Result {
    let digits = format!("{m:0>width$}", width = decimals + 1);
    let (int, frac) = digits.split_at(digits.len() - decimals);
    f.write_str(int)?;
    if !frac.is_empty() {
        f.write_str(".")?;
        f.write_str(frac)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_messages_read_as_display_writes_them() {
        for x in [
            0.0,
            5.0,
            100.0,
            150.5,
            12.3456,
            0.001,
            0.0005,
            33.333,
            1e-7,
            1e15,
            -3.25,
            99.99999999,
            123456.789,
        ] {
            assert_eq!(Num(x).to_string(), x.to_string(), "{x}");
        }
        // Past 17 significant digits: close, in scientific notation.
        for x in [2.5e300, 1e-300, 1.0 / 3.0e20, 0.1 + 0.2] {
            let text = Num(x).to_string();
            let back: f64 = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!((back - x).abs() <= x.abs() * 1e-14, "{x}: {text}");
        }
        assert_eq!(Num(1e18).to_string(), "1000000000000000000");
        assert_eq!(Num(f64::NAN).to_string(), "NaN");
    }

    #[test]
    fn odd_keys_are_quoted_as_debug_quotes_them() {
        for k in [
            "a b",
            "x.y",
            "quote\"d",
            "back\\slash",
            "tab\tnew\nline\r",
            "bell\u{7}",
            "é ü",
        ] {
            let loc = Loc::root().key("flags").key(k);
            assert_eq!(loc.to_string(), format!("flags.{k:?}"));
        }
        assert_eq!(Num(f64::NEG_INFINITY).to_string(), "-inf");
    }
}
