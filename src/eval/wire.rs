//! The wire form of a resolution: which fields it has, under which names.
//! One list, read by serde for JSON (the CLI's `--json`) and by the wasm
//! shell for JS objects, and one list of OpenFeature's `flagMetadata` made
//! from it, which the OFREP worker and the npm providers both send, so no
//! runtime can report a different field set. Names are snake_case here;
//! JavaScript and OpenFeature get them through [`camel`], the one rule.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::eval::{Reason, Resolution};
use crate::format::decode::camel;

/// One field's value.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Field<'a> {
    /// A JSON value, `null` when absent.
    Json(Option<&'a Value>),
    /// A string, `null` when absent.
    Str(Option<&'a str>),
    Text(String),
    Count(usize),
    Number(f64),
    Bool(bool),
    List(&'a [String]),
}

impl Resolution<'_> {
    /// The fields of this resolution, in order, without the flag's metadata:
    /// `value`, `variant`, `reason`, then `error_code` and `error_message`,
    /// `rule`, `stage`, `percent` when they apply, and `guard` (the metric)
    /// when a guard's halt decided.
    pub fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        let mut out = vec![
            ("value", Field::Json(self.value)),
            ("variant", Field::Str(self.variant)),
            ("reason", Field::Str(Some(self.reason.name()))),
        ];
        if let Some(e) = &self.error {
            out.push(("error_code", Field::Str(Some(e.code().name()))));
            out.push(("error_message", Field::Text(e.to_string())));
        }
        if let Some(rule) = self.rule {
            out.push(("rule", Field::Str(Some(rule))));
        }
        if let Some(stage) = self.stage {
            out.push(("stage", Field::Count(stage)));
        }
        if let Some(percent) = self.percent {
            out.push(("percent", Field::Number(percent)));
        }
        if self.guard.is_some_and(|g| g.halted) {
            out.push(("guard", Field::Str(self.guard_metric())));
        }
        out
    }

    /// The flag's metadata, what someone on call needs: `type`,
    /// `description`, `owner`, `runbook` (when set), `hotfix`,
    /// `rollback_steps`. Empty when the flag is not in the snapshot.
    pub fn metadata(&self) -> Vec<(&'static str, Field<'_>)> {
        let Some(d) = self.flag else {
            return Vec::new();
        };
        let mut out = vec![("type", Field::Str(Some(d.kind.name())))];
        for (k, v) in [
            ("description", &d.description),
            ("owner", &d.owner),
            ("runbook", &d.runbook),
        ] {
            if let Some(v) = v {
                out.push((k, Field::Str(Some(v))));
            }
        }
        out.push(("hotfix", Field::Bool(d.hotfix)));
        let steps: &[String] = d.rollback.as_ref().map_or(&[], |r| &r.steps);
        out.push(("rollback_steps", Field::List(steps)));
        out
    }
}

/// Facts about the snapshot a result came from, for `flagMetadata`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Source<'a> {
    pub version: u64,
    pub environment: &'a str,
    pub release: &'a str,
}

impl Resolution<'_> {
    /// OpenFeature's `flagMetadata`: camelCase keys and flat values
    /// (strings, numbers, booleans), as OFREP's schema requires. It is
    /// - the snapshot: `snapshotVersion`, `environment`, `release`;
    /// - the flag's [`Resolution::metadata`], lists joined by newlines and
    ///   left out when empty (`rollbackSteps`);
    /// - the result: `rule`, `stage`, `percent` and `guard` when they apply,
    ///   and `stale`.
    pub fn flag_metadata(&self, source: &Source<'_>) -> Vec<(String, Field<'_>)> {
        let mut out = vec![
            (
                camel("snapshot_version"),
                Field::Count(source.version as usize),
            ),
            (
                "environment".to_owned(),
                Field::Text(source.environment.to_owned()),
            ),
            ("release".to_owned(), Field::Text(source.release.to_owned())),
        ];
        for (k, v) in self.metadata() {
            match v {
                Field::List([]) => {}
                Field::List(items) => out.push((camel(k), Field::Text(items.join("\n")))),
                v => out.push((camel(k), v)),
            }
        }
        for (k, v) in self.fields() {
            if matches!(k, "rule" | "stage" | "percent" | "guard") {
                out.push((camel(k), v));
            }
        }
        out.push((
            "stale".to_owned(),
            Field::Bool(self.reason == Reason::Stale),
        ));
        out
    }
}

impl Serialize for Field<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Json(v) => v.serialize(s),
            Field::Str(v) => v.serialize(s),
            Field::Text(t) => s.serialize_str(t),
            Field::Count(n) => s.serialize_u64(*n as u64),
            Field::Number(n) => s.serialize_f64(*n),
            Field::Bool(b) => s.serialize_bool(*b),
            Field::List(items) => items.serialize(s),
        }
    }
}

/// The JSON form: the fields, and `metadata` when the flag exists.
impl Serialize for Resolution<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let fields = self.fields();
        if self.flag.is_some() {
            let meta = self.metadata();
            let mut m = s.serialize_map(Some(fields.len() + 1))?;
            for (k, v) in &fields {
                m.serialize_entry(k, v)?;
            }
            m.serialize_entry("metadata", &FieldMap(&meta))?;
            return m.end();
        }
        FieldMap(&fields).serialize(s)
    }
}

/// A list of fields as a JSON object, in order (for `flagMetadata`).
pub struct FieldMap<'a, K: AsRef<str>>(pub &'a [(K, Field<'a>)]);

impl<K: AsRef<str>> Serialize for FieldMap<'_, K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k.as_ref(), v)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use crate::format::decode::camel;

    #[test]
    fn snake_case_becomes_camel_case() {
        for (snake, js) in [
            ("error_message", "errorMessage"),
            ("rollback_steps", "rollbackSteps"),
            ("snapshot_version", "snapshotVersion"),
            ("value", "value"),
        ] {
            assert_eq!(camel(snake), js);
        }
    }
}
