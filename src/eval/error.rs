//! Why an evaluation used the caller's default: the OpenFeature error codes.

use crate::format::decode::names;
use crate::model::FlagType;

names! {
    /// The OpenFeature error codes an evaluation can end with.
    #[non_exhaustive]
    pub enum ErrorCode {
        FlagNotFound = "FLAG_NOT_FOUND",
        TypeMismatch = "TYPE_MISMATCH",
        ParseError = "PARSE_ERROR",
        InvalidContext = "INVALID_CONTEXT",
        ProviderNotReady = "PROVIDER_NOT_READY",
        General = "GENERAL",
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
    /// An input a runtime could not hand to the core (a context or a time
    /// that does not convert), with the OpenFeature code it ends with.
    #[error("{why}")]
    Input { code: ErrorCode, why: String },
}

impl EvalError {
    /// The OpenFeature error code for this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            EvalError::FlagNotFound { .. } => ErrorCode::FlagNotFound,
            EvalError::TypeMismatch { .. } => ErrorCode::TypeMismatch,
            EvalError::Input { code, .. } => *code,
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
