//! TOML release files as the JSON tree every model type is read from, so a
//! release file and a snapshot go through the one reader (`decode`).

use std::borrow::Cow;

use serde_json::Number;

use crate::format::decode::{Decoded, Path};
use crate::format::json::Json;

/// A TOML syntax error: its message and the byte offset it points at.
pub(crate) struct SyntaxError {
    pub(crate) message: String,
    pub(crate) offset: Option<usize>,
}

/// Parses TOML text into the JSON tree. Datetimes written without quotes
/// (`at = 2026-12-01T16:00:00Z`) become their text, as a quoted one would be.
pub(crate) fn parse(src: &str) -> Result<Decoded<Json<'static>>, SyntaxError> {
    let table: toml::Table = toml::from_str(src).map_err(|e| SyntaxError {
        message: e.message().trim_end().to_owned(),
        offset: e.span().map(|s| s.start),
    })?;
    Ok(from_table(table, Path::Root))
}

fn from_table(table: toml::Table, at: Path) -> Decoded<Json<'static>> {
    let mut fields = Vec::with_capacity(table.len());
    for (k, v) in table {
        let item = from_value(v, Path::Key(&at, &k))?;
        fields.push((Cow::Owned(k), item));
    }
    Ok(Json::Object(fields))
}

fn from_value(v: toml::Value, at: Path) -> Decoded<Json<'static>> {
    Ok(match v {
        toml::Value::String(s) => Json::String(Cow::Owned(s)),
        toml::Value::Integer(i) => Json::Number(Number::from(i)),
        toml::Value::Float(f) => match Number::from_f64(f) {
            Some(n) => Json::Number(n),
            None => {
                let found = f.to_string().to_lowercase();
                return at.fail(format!("expected a finite number, found {found}"));
            }
        },
        toml::Value::Boolean(b) => Json::Bool(b),
        toml::Value::Datetime(d) => Json::String(Cow::Owned(d.to_string())),
        toml::Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                out.push(from_value(item, Path::Index(&at, i))?);
            }
            Json::Array(out)
        }
        toml::Value::Table(t) => from_table(t, at)?,
    })
}
