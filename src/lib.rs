#![doc = include_str!("../README.md")]

// The layers, bottom up; each uses only those above it in this list (see
// ARCHITECTURE.md). `tests/layers.rs` keeps it so.
mod compile;
mod eval;
mod format;
mod model;
mod reports;
mod signed;

pub use compile::audience::browser_salt;
pub use compile::snapshot::{FlagId, Snapshot};
pub use eval::bucket::{BUCKETS, INCLUSION_SEED, VARIANT_SEED, bucket, frame, to_bucket};
pub use eval::error::{ErrorCode, EvalError};
pub use eval::guard;
pub use eval::halt;
pub use eval::ledger;
pub use eval::wire::{Field, FieldMap, Source};
pub use eval::{DefaultMismatch, Reason, Resolution, Typed};
pub use format::base64::Base64Error;
pub use format::decode::{Camel, DecodeError, camel};
pub use format::json::{DEFAULT_MAX_DEPTH, Json, JsonError, parse as parse_json};
pub use format::path::{Loc, Seg};
pub use format::time::{Timestamp, parse_duration};
pub use model::context::{Attr, Context, ContextError, TARGETING_KEY, Text};
pub use model::error::ReleaseError;
pub use model::*;
pub use reports::checklist::{
    Check, CheckItem, CheckStatus, CheckSummary, ChecklistReport, FlagReport, Thresholds, check,
};
pub use reports::promote::{Gate, GateError, candidate};
pub use reports::simulate::{
    Change, Distribution, FlagDiff, Outcome, definition_changes, diff, segment_changes,
    synthetic_user,
};
pub use reports::status::{FlagStatus, RollbackStatus, RolloutStatus, RuleStatus, StageStatus};
pub use signed::accept::{
    DEFAULT_MAX_SIZE, DEFAULT_MAX_VALUES, DEFAULT_SKEW_MS, EDGE_MAX_SIZE, Holding, Mark, MarkMerge,
    Policy, Purpose, Served, Verified, accept, mark_name, verify, version_order,
};
pub use signed::envelope::{Envelope, EnvelopeSignature, Payload, Promotion};
pub use signed::keys::{KeyError, PublicKey, SigningKey};
pub use signed::{
    ENVELOPE_VALUES, EXTRA_SIGNATURES, PAYLOAD_TYPE, SNAPSHOT_SCHEMA, Signed, SnapshotError,
    cosign, digest, pae, sign,
};
