//! Why a release file or a set of definitions is rejected. Messages are
//! lowercase and name the exact place, so a release manager can fix the file
//! without guessing.

use crate::format::decode::DecodeError;
use crate::format::path::{Loc, Num};

/// Why a release file or a set of flag definitions was rejected.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReleaseError {
    #[error("invalid release file{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
    Syntax {
        message: String,
        line: Option<usize>,
    },
    #[error("{}{why}", if at.path.is_empty() { String::new() } else { format!("{at}: ") })]
    Shape { at: Loc, why: String },
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
    #[error("{at}: {}operator `{op}` cannot test private attribute `{attr}` in a browser snapshot; only in, not_in, eq, neq and exists can, on salted digests", step.as_ref().map(|s| format!("{s}: ")).unwrap_or_default())]
    PrivateOperator {
        at: Loc,
        /// The rule, partial rollback or segment, by name, when known.
        step: Option<String>,
        op: &'static str,
        attr: String,
    },
    #[error(
        "{at}: prerequisite `{flag}` is not served to browsers; add \"browser\" to its `clients`, or keep this flag on servers"
    )]
    NotForBrowsers { at: Loc, flag: String },
    #[error("prerequisite cycle: {}", cycle.join(" -> "))]
    PrerequisiteCycle { cycle: Vec<String> },
}

/// The variants that carry a location, listed once for `loc` and `loc_mut`
/// (the match binds `at` by reference or mutably, as the scrutinee is).
macro_rules! located {
    ($e:expr) => {
        match $e {
            ReleaseError::Shape { at, .. }
            | ReleaseError::UnknownEnvironment { at, .. }
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
            | ReleaseError::BadCondition { at, .. }
            | ReleaseError::PrivateOperator { at, .. }
            | ReleaseError::NotForBrowsers { at, .. } => Some(at),
            _ => None,
        }
    };
}

impl ReleaseError {
    /// The location in the release file, when the error has one.
    pub fn loc(&self) -> Option<&Loc> {
        located!(self)
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
        located!(self)
    }
}

impl From<DecodeError> for ReleaseError {
    fn from(e: DecodeError) -> Self {
        match e {
            DecodeError::Shape { at, why } => ReleaseError::Shape { at, why },
        }
    }
}
