//! Why an evaluation used the caller's default: the OpenFeature error codes.

use crate::model::FlagType;

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
