//! The wire form of a resolution: which fields it has, under which names.
//! One list, read by serde for JSON (the CLI, the worker) and by the wasm
//! shell for JS objects, so no runtime can report a different field set.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::eval::Resolution;

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
    /// `rule`, `stage`, `percent` when they apply.
    pub fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        let mut out = vec![
            ("value", Field::Json(self.value)),
            ("variant", Field::Str(self.variant)),
            ("reason", Field::Str(Some(self.reason.as_str()))),
        ];
        if let Some(e) = &self.error {
            out.push(("error_code", Field::Str(Some(e.code().as_str()))));
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

struct Fields<'a>(Vec<(&'static str, Field<'a>)>);

impl Serialize for Fields<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The JSON form: the fields, and `metadata` when the flag exists.
impl Serialize for Resolution<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut fields = self.fields();
        if self.flag.is_some() {
            let meta = Fields(self.metadata());
            let mut m = s.serialize_map(Some(fields.len() + 1))?;
            for (k, v) in fields.drain(..) {
                m.serialize_entry(k, &v)?;
            }
            m.serialize_entry("metadata", &meta)?;
            return m.end();
        }
        Fields(fields).serialize(s)
    }
}
