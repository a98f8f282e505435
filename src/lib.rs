#![doc = include_str!("../README.md")]

mod bucket;
mod compile;
mod condition;
mod context;
mod error;
mod eval;
mod jsoncheck;
mod keys;
#[cfg(feature = "toml")]
mod lines;
mod model;
mod release;
mod signed;
mod snapshot;
mod time;

pub use bucket::{BUCKETS, INCLUSION_SEED, VARIANT_SEED, bucket, frame, to_bucket};
pub use context::{Attr, Context, Text};
pub use error::{ErrorCode, EvalError, Loc, ReleaseError, Seg};
pub use eval::{Reason, Resolution, Typed};
pub use keys::{KeyError, PublicKey, SigningKey};
pub use model::*;
pub use signed::{
    DEFAULT_MAX_DEPTH, DEFAULT_MAX_SIZE, DEFAULT_SKEW_MS, Envelope, EnvelopeSignature,
    PAYLOAD_TYPE, Payload, SNAPSHOT_SCHEMA, SnapshotError, Verified, VerifyOptions, digest, pae,
    sign, verify,
};
pub use snapshot::{Definitions, FlagId, Snapshot};
pub use time::{Timestamp, parse_duration};
