//! The errors of each stage: reading and compiling a release (`ReleaseError`)
//! and evaluating a flag (`EvalError`). Messages are lowercase and name the
//! exact place, so a release manager can fix the file without guessing.

use std::fmt;

use crate::model::FlagType;

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

/// Why a release file or a set of flag definitions was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    #[error("invalid release file{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Syntax {
        message: String,
        line: Option<usize>,
    },
    #[error("unsupported release schema {found}: this version reads schema {supported}")]
    UnsupportedSchema { found: u32, supported: u32 },
    #[error("{at}: unknown environment `{env}`; the release declares {declared}")]
    UnknownEnvironment {
        at: Loc,
        env: String,
        declared: String,
    },
    #[error("{at}: unknown variant `{variant}`; the flag has {known}")]
    UnknownVariant {
        at: Loc,
        variant: String,
        known: String,
    },
    #[error("{at}: unknown segment `{segment}`")]
    UnknownSegment { at: Loc, segment: String },
    #[error("{at}: unknown flag `{flag}`")]
    UnknownFlag { at: Loc, flag: String },
    #[error("{at}: `{value}` is not an rfc 3339 time such as 2026-12-01T16:00:00Z")]
    BadTime { at: Loc, value: String },
    #[error("{at}: `{value}` is not a duration such as 12h or 1d12h")]
    BadDuration { at: Loc, value: String },
    #[error("{at}: stage {index} is not later than the stage before it")]
    StagesNotIncreasing { at: Loc, index: usize },
    #[error("{at}: percent {} is outside [0, 100]", Num(*percent))]
    PercentOutOfRange { at: Loc, percent: f64 },
    #[error("{at}: percent {} is finer than the 0.001% resolution", Num(*percent))]
    PercentTooPrecise { at: Loc, percent: f64 },
    #[error("{at}: weights sum to {}, not 100", Num(*sum))]
    WeightsSum { at: Loc, sum: f64 },
    #[error("{at}: duplicate name `{name}`")]
    DuplicateName { at: Loc, name: String },
    #[error("{at}: a {expected} flag cannot have the value {value}")]
    WrongValueType {
        at: Loc,
        expected: &'static str,
        value: String,
    },
    #[error("{at}: missing `{field}`: {why}")]
    Missing {
        at: Loc,
        field: &'static str,
        why: &'static str,
    },
    #[error("{at}: {why}")]
    Conflict { at: Loc, why: &'static str },
    #[error("{at}: operator `{op}` {why}")]
    BadCondition {
        at: Loc,
        op: &'static str,
        why: String,
    },
    #[error("prerequisite cycle: {}", cycle.join(" -> "))]
    PrerequisiteCycle { cycle: Vec<String> },
}

impl ReleaseError {
    /// The location in the release file, when the error has one.
    pub fn loc(&self) -> Option<&Loc> {
        match self {
            ReleaseError::UnknownEnvironment { at, .. }
            | ReleaseError::UnknownVariant { at, .. }
            | ReleaseError::UnknownSegment { at, .. }
            | ReleaseError::UnknownFlag { at, .. }
            | ReleaseError::BadTime { at, .. }
            | ReleaseError::BadDuration { at, .. }
            | ReleaseError::StagesNotIncreasing { at, .. }
            | ReleaseError::PercentOutOfRange { at, .. }
            | ReleaseError::PercentTooPrecise { at, .. }
            | ReleaseError::WeightsSum { at, .. }
            | ReleaseError::DuplicateName { at, .. }
            | ReleaseError::WrongValueType { at, .. }
            | ReleaseError::Missing { at, .. }
            | ReleaseError::Conflict { at, .. }
            | ReleaseError::BadCondition { at, .. } => Some(at),
            _ => None,
        }
    }

    /// The line in the release file, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ReleaseError::Syntax { line, .. } => *line,
            other => other.loc().and_then(|l| l.line),
        }
    }

    // Only line lookup (TOML sources) rewrites locations.
    #[cfg(feature = "toml")]
    pub(crate) fn loc_mut(&mut self) -> Option<&mut Loc> {
        match self {
            ReleaseError::UnknownEnvironment { at, .. }
            | ReleaseError::UnknownVariant { at, .. }
            | ReleaseError::UnknownSegment { at, .. }
            | ReleaseError::UnknownFlag { at, .. }
            | ReleaseError::BadTime { at, .. }
            | ReleaseError::BadDuration { at, .. }
            | ReleaseError::StagesNotIncreasing { at, .. }
            | ReleaseError::PercentOutOfRange { at, .. }
            | ReleaseError::PercentTooPrecise { at, .. }
            | ReleaseError::WeightsSum { at, .. }
            | ReleaseError::DuplicateName { at, .. }
            | ReleaseError::WrongValueType { at, .. }
            | ReleaseError::Missing { at, .. }
            | ReleaseError::Conflict { at, .. }
            | ReleaseError::BadCondition { at, .. } => Some(at),
            _ => None,
        }
    }
}

/// The OpenFeature error codes an evaluation can end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ErrorCode {
    FlagNotFound,
    TypeMismatch,
    ParseError,
    InvalidContext,
    ProviderNotReady,
    General,
}

impl ErrorCode {
    /// The OpenFeature spelling, e.g. `FLAG_NOT_FOUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FlagNotFound => "FLAG_NOT_FOUND",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::ParseError => "PARSE_ERROR",
            ErrorCode::InvalidContext => "INVALID_CONTEXT",
            ErrorCode::ProviderNotReady => "PROVIDER_NOT_READY",
            ErrorCode::General => "GENERAL",
        }
    }
}

/// Why an evaluation fell back to the caller's default. Evaluation never
/// fails outright: this travels inside the resolution.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    #[error("flag `{key}` is not in the snapshot")]
    FlagNotFound { key: String },
    #[error("flag `{key}` is a {actual} flag, not {expected}")]
    TypeMismatch {
        key: String,
        expected: &'static str,
        actual: &'static str,
    },
}

impl EvalError {
    /// The OpenFeature error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            EvalError::FlagNotFound { .. } => ErrorCode::FlagNotFound,
            EvalError::TypeMismatch { .. } => ErrorCode::TypeMismatch,
        }
    }

    pub(crate) fn type_mismatch(key: &str, expected: FlagType, actual: FlagType) -> Self {
        EvalError::TypeMismatch {
            key: key.to_owned(),
            expected: expected.name(),
            actual: actual.name(),
        }
    }
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
