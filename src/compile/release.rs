//! Release files: parsing, environment overrides, and line numbers for errors.

use crate::compile::Origins;
use crate::compile::snapshot::Snapshot;
use crate::format::decode::{Decode, Path, schema_of};
use crate::format::json::{self, Json, JsonError};
use crate::format::path::Loc;
use crate::model::Definitions;
use crate::model::error::ReleaseError;
use crate::model::{RELEASE_SCHEMA, ReleaseFile};

impl ReleaseFile {
    /// Parses a release file and checks that every environment it mentions
    /// compiles, with the TOML line of the first problem.
    #[cfg(feature = "toml")]
    pub fn from_toml(src: &str) -> Result<ReleaseFile, ReleaseError> {
        let doc = crate::format::toml::parse(src).map_err(|e| ReleaseError::Syntax {
            message: e.message,
            line: e.offset.map(|o| crate::compile::lines::line_of(src, o)),
        })?;
        let locate = |e| crate::compile::lines::locate(e, src);
        let file =
            ReleaseFile::read(doc.map_err(ReleaseError::from).map_err(locate)?).map_err(locate)?;
        file.validate().map_err(locate)?;
        Ok(file)
    }

    /// Parses a release file written as JSON (the same shape as the TOML) and
    /// validates it like [`ReleaseFile::from_toml`]; syntax errors carry the
    /// JSON line.
    pub fn from_json(src: &str) -> Result<ReleaseFile, ReleaseError> {
        let doc = json::parse(src.as_bytes(), json::DEFAULT_MAX_DEPTH).map_err(|e| {
            let line = match &e {
                JsonError::Syntax { line, .. } => Some(*line),
                _ => None,
            };
            ReleaseError::Syntax {
                message: e.to_string(),
                line,
            }
        })?;
        let file = ReleaseFile::read(doc)?;
        file.validate()?;
        Ok(file)
    }

    /// The schema first, so a newer file's new fields do not read as typos,
    /// then the one reader of every model type.
    fn read(doc: Json) -> Result<ReleaseFile, ReleaseError> {
        if let Some(found) = schema_of(&doc) {
            if found != u64::from(RELEASE_SCHEMA) {
                return Err(ReleaseError::UnsupportedSchema {
                    found: u32::try_from(found).unwrap_or(u32::MAX),
                    supported: RELEASE_SCHEMA,
                });
            }
        }
        Ok(ReleaseFile::decode(doc, Path::Root)?)
    }

    /// Checks the schema, the checklist thresholds, and that the base plan
    /// and every environment compile.
    pub fn validate(&self) -> Result<(), ReleaseError> {
        if self.schema != RELEASE_SCHEMA {
            return Err(ReleaseError::UnsupportedSchema {
                found: self.schema,
                supported: RELEASE_SCHEMA,
            });
        }
        if let Some(c) = &self.checklist {
            let at = Loc::root().key("checklist");
            if let Some(p) = c.max_first_stage_percent {
                crate::compile::thousandths(p, || at.key("max_first_stage_percent"))?;
            }
            if let Some(p) = c.require_guard_above {
                crate::compile::thousandths(p, || at.key("require_guard_above"))?;
            }
            let promote = at.key("promote");
            let durations = [
                (c.min_stage_soak.as_ref(), at.key("min_stage_soak")),
                (c.promote.as_ref().map(|p| &p.soak), promote.key("soak")),
                (
                    c.promote.as_ref().and_then(|p| p.hotfix_soak.as_ref()),
                    promote.key("hotfix_soak"),
                ),
            ];
            for (value, at) in durations {
                if let Some(d) = value.filter(|d| crate::format::time::parse_duration(d).is_none())
                {
                    return Err(ReleaseError::BadDuration {
                        at,
                        value: d.clone(),
                    });
                }
            }
            if let Some(p) = &c.promote {
                self.check_promote(p, &at.key("promote"))?;
            }
        }
        // The base plan on its own: an environment without overrides gets it.
        let (base, origins) = self.resolve(None)?;
        Snapshot::compile_with(base, &origins)?;
        for env in self.environment_names() {
            self.compile(&env)?;
        }
        Ok(())
    }

    /// The gate names declared environments (when the release declares them),
    /// at least one target, and never gates its own source.
    fn check_promote(&self, p: &crate::model::Promote, at: &Loc) -> Result<(), ReleaseError> {
        if let Some(declared) = &self.release.environments {
            let named = std::iter::once(("from", &p.from)).chain(p.to.iter().map(|e| ("to", e)));
            for (field, env) in named {
                if !declared.contains(env) {
                    return Err(ReleaseError::UnknownEnvironment {
                        at: at.key(field),
                        env: env.clone(),
                        declared: declared.join(", "),
                    });
                }
            }
        }
        if p.to.is_empty() || p.to.contains(&p.from) {
            return Err(ReleaseError::Shape {
                at: at.key("to"),
                why: format!(
                    "names the environments promoted from `{}`: at least one, and not `{}` itself",
                    p.from, p.from
                ),
            });
        }
        Ok(())
    }

    /// Every environment the file names: declared ones and those with overrides.
    pub fn environment_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.release.environments.clone().unwrap_or_default();
        for def in self.flags.values() {
            for env in def.env.keys() {
                if !names.contains(env) {
                    names.push(env.clone());
                }
            }
        }
        if names.is_empty() {
            names.push("production".to_owned());
        }
        names
    }

    /// The definitions of one environment: each override replaces its field.
    pub fn for_environment(&self, env: &str) -> Result<Definitions, ReleaseError> {
        Ok(self.resolve(Some(env))?.0)
    }

    /// Compiles the snapshot of one environment.
    pub fn compile(&self, env: &str) -> Result<Snapshot, ReleaseError> {
        let (defs, origins) = self.resolve(Some(env))?;
        Snapshot::compile_with(defs, &origins)
    }

    /// `None` resolves the base plan, with no environment's overrides.
    fn resolve(&self, env: Option<&str>) -> Result<(Definitions, Vec<Origins<'_>>), ReleaseError> {
        if let (Some(declared), Some(env)) = (&self.release.environments, env) {
            let list = declared.join(", ");
            if !declared.iter().any(|d| d == env) {
                return Err(ReleaseError::UnknownEnvironment {
                    at: Loc::root().key("release").key("environments"),
                    env: env.to_owned(),
                    declared: list,
                });
            }
            for (key, def) in &self.flags {
                if let Some(name) = def.env.keys().find(|n| !declared.contains(n)) {
                    return Err(ReleaseError::UnknownEnvironment {
                        at: Loc::root().key("flags").key(key).key("env").key(name),
                        env: name.clone(),
                        declared: list,
                    });
                }
            }
        }
        let mut flags = indexmap::IndexMap::with_capacity(self.flags.len());
        let mut origins = Vec::with_capacity(self.flags.len());
        for (key, def) in &self.flags {
            let mut resolved = def.clone();
            resolved.env.clear();
            let mut origin = Origins::default();
            if let Some((name, o)) = env.and_then(|e| def.env.get_key_value(e)) {
                if let Some(v) = o.enabled {
                    resolved.enabled = Some(v);
                }
                if let Some(v) = &o.targets {
                    resolved.targets = v.clone();
                    origin.targets = Some(name);
                }
                if let Some(v) = &o.rules {
                    resolved.rules = v.clone();
                    origin.rules = Some(name);
                }
                if let Some(v) = &o.rollout {
                    resolved.rollout = Some(v.clone());
                    origin.rollout = Some(name);
                }
            }
            flags.insert(key.clone(), resolved);
            origins.push(origin);
        }
        let defs = Definitions {
            private: None,
            release: self.release.clone(),
            environment: env.unwrap_or_default().to_owned(),
            segments: self.segments.clone(),
            flags,
        };
        Ok((defs, origins))
    }
}
