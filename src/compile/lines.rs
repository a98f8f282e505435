//! Finds the TOML line a compile error points at, by walking the error's path
//! through a span-keeping parse of the same source.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::format::path::Seg;
use crate::model::error::ReleaseError;

/// The 1-based line of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()
        .iter()
        .take(offset)
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Fills in the line of the error's location, when the source has it.
pub(crate) fn locate(mut err: ReleaseError, src: &str) -> ReleaseError {
    let Ok(root) = DeTable::parse(src) else {
        return err;
    };
    if let Some(loc) = err.loc_mut() {
        let mut table: Option<&DeTable> = Some(root.get_ref());
        let mut value: Option<&Spanned<DeValue>> = None;
        let mut best = None;
        for seg in &loc.path {
            value = match (seg, table, value) {
                (Seg::Key(k), Some(t), _) => t
                    .iter()
                    .find(|(key, _)| key.get_ref().as_ref() == k.as_str())
                    .map(|(_, v)| v),
                (Seg::Index(i), _, Some(v)) => v.get_ref().as_array().and_then(|a| a.get(*i)),
                _ => None,
            };
            let Some(v) = value else { break };
            best = Some(v.span().start);
            table = v.get_ref().as_table();
        }
        loc.line = best.map(|offset| line_of(src, offset));
    }
    err
}
