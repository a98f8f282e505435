//! `--match 'ATTR OP VALUE'`: one condition of a partial rollback.

use edgeflag::{Op, Timestamp};
use toml_edit::{InlineTable, Value};

/// One `--match`, ready for the file and for the description.
pub(super) struct Cond {
    pub(super) value: InlineTable,
    pub(super) text: String,
}

/// Parses `ATTR OP VALUE`; the error says what is wrong, the caller says where.
pub(super) fn parse_match(raw: &str) -> std::result::Result<Cond, String> {
    let usage = "expected `ATTR OP VALUE`, e.g. `country in FR,BE`";
    let (attr, rest) = raw.trim().split_once(char::is_whitespace).ok_or(usage)?;
    let rest = rest.trim_start();
    let (op, value) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(o, v)| (o, v.trim()));
    if attr.is_empty() || op.is_empty() {
        return Err(usage.to_owned());
    }
    // The core's operators and their names: no list of our own to drift.
    let Some(parsed) = Op::from_name(op) else {
        let names: Vec<&str> = Op::NAMES.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "unknown operator `{op}`; use one of {}",
            names.join(", ")
        ));
    };
    let mut values = toml_edit::Array::new();
    match parsed {
        Op::Exists if !value.is_empty() => {
            return Err(format!("operator `exists` takes no value, not `{value}`"));
        }
        Op::Exists => {}
        _ if value.is_empty() => return Err(format!("operator `{op}` needs a value")),
        Op::In | Op::NotIn | Op::StartsWith | Op::EndsWith | Op::Contains => {
            for item in value.split(',').map(str::trim) {
                if item.is_empty() {
                    return Err(format!("empty item in the list `{value}`"));
                }
                values.push(item);
            }
        }
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
            if let Ok(n) = value.parse::<i64>() {
                values.push(n);
            } else {
                match value.parse::<f64>() {
                    Ok(n) if n.is_finite() => values.push(n),
                    _ => return Err(format!("operator `{op}` compares numbers, not `{value}`")),
                }
            }
        }
        Op::Before | Op::After if Timestamp::parse(value).is_none() => {
            return Err(format!(
                "operator `{op}` needs an rfc 3339 time such as 2026-12-01T16:00:00Z, not `{value}`"
            ));
        }
        _ => values.push(value),
    }
    let mut table = InlineTable::new();
    table.insert("attr", Value::from(attr));
    table.insert("op", Value::from(op));
    let text = if values.is_empty() {
        format!("{attr} {op}")
    } else {
        let shown: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        table.insert("values", Value::Array(values));
        format!("{attr} {op} {}", shown.join(","))
    };
    table.fmt();
    Ok(Cond { value: table, text })
}
