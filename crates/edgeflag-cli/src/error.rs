//! The CLI's two kinds of failure, which map to its exit codes.

/// A command's failure: exit 1 when something was checked and failed (the
/// checklist, a snapshot's verification), exit 2 when the input was unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// A check failed or a snapshot was rejected (exit 1).
    #[error("{0}")]
    Failed(String),
    /// A file, flag or argument could not be used (exit 2).
    #[error("{0}")]
    Input(String),
}

impl CliError {
    pub fn input(msg: impl Into<String>) -> Self {
        CliError::Input(msg.into())
    }
    pub fn failed(msg: impl Into<String>) -> Self {
        CliError::Failed(msg.into())
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
