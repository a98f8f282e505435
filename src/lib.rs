#![doc = include_str!("../README.md")]

mod bucket;
mod compile;
mod condition;
mod context;
mod error;
mod eval;
#[cfg(feature = "toml")]
mod lines;
mod model;
mod release;
mod snapshot;
mod time;

pub use bucket::{BUCKETS, INCLUSION_SEED, VARIANT_SEED, bucket, frame, to_bucket};
pub use context::{Attr, Context, Text};
pub use error::{ErrorCode, EvalError, Loc, ReleaseError, Seg};
pub use eval::{Reason, Resolution, Typed};
pub use model::*;
pub use snapshot::{Definitions, FlagId, Snapshot};
pub use time::{Timestamp, parse_duration};
