//! The formats everything else is written in: JSON (read by hand, bounded),
//! strict base64, RFC 3339 times and durations, places in a document, and
//! the one reader every model type is declared with (`decode`). Depends on
//! nothing else in the crate.

pub mod base64;
pub mod decode;
pub mod json;
pub mod path;
pub mod time;
#[cfg(feature = "toml")]
pub mod toml;
