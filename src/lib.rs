#![doc = include_str!("../README.md")]

mod accept;
mod base64;
mod bucket;
mod checklist;
mod compile;
mod condition;
mod context;
mod decode;
mod decode_model;
mod error;
mod eval;
mod json;
mod keys;
#[cfg(feature = "toml")]
mod lines;
mod model;
mod release;
mod signed;
mod simulate;
mod snapshot;
mod status;
mod time;
mod wire;

pub use accept::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_SIZE, DEFAULT_MAX_VALUES, DEFAULT_SKEW_MS, EDGE_MAX_SIZE,
    Holding, Mark, MarkMerge, Policy, Purpose, Served, Verified, accept, verify, version_order,
};
pub use base64::Base64Error;
pub use bucket::{BUCKETS, INCLUSION_SEED, VARIANT_SEED, bucket, frame, to_bucket};
pub use checklist::{
    Check, CheckItem, CheckStatus, CheckSummary, ChecklistReport, FlagReport, Thresholds, check,
};
pub use context::{Attr, Context, ContextError, Text};
pub use error::{ErrorCode, EvalError, Loc, ReleaseError, Seg};
pub use eval::{Reason, Resolution, Typed};
pub use json::JsonError;
pub use keys::{KeyError, PublicKey, SigningKey};
pub use model::*;
pub use signed::{
    ENVELOPE_VALUES, EXTRA_SIGNATURES, Envelope, EnvelopeSignature, PAYLOAD_TYPE, Payload,
    SNAPSHOT_SCHEMA, Signed, SnapshotError, cosign, digest, pae, sign,
};
pub use simulate::{
    Change, Distribution, FlagDiff, Outcome, definition_changes, diff, segment_changes,
    synthetic_user,
};
pub use snapshot::{Definitions, FlagId, Snapshot};
pub use status::{FlagStatus, RollbackStatus, RolloutStatus, StageStatus};
pub use time::{Timestamp, parse_duration};
pub use wire::Field;
